//! What the runtime process uses: resident memory, CPU since the previous sample, and the data
//! directory's disk footprint. Read from `/proc` and `statvfs`; on other systems the figures are 0.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

/// Samples the runtime's own resource use.
#[derive(Debug)]
pub(crate) struct Resources {
    data_dir: PathBuf,
    last_cpu: Mutex<Option<(Instant, u64)>>,
}

/// One reading.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Sample {
    pub(crate) memory_bytes: u64,
    pub(crate) memory_percent: f64,
    pub(crate) cpu_percent: f64,
    pub(crate) disk_bytes: u64,
    pub(crate) disk_percent: f64,
}

impl Resources {
    pub(crate) fn new(data_dir: &Path) -> Self {
        Self { data_dir: data_dir.to_owned(), last_cpu: Mutex::new(None) }
    }

    /// Reads `/proc` and walks the data directory: call from a blocking task.
    pub(crate) fn sample(&self) -> Sample {
        let memory_bytes = resident_bytes().unwrap_or(0);
        let memory_percent = total_memory_bytes().map_or(0.0, |total| percent(memory_bytes, total));
        let disk_bytes = dir_bytes(&self.data_dir);
        let disk_percent = filesystem_used_percent(&self.data_dir).unwrap_or(0.0);
        Sample { memory_bytes, memory_percent, cpu_percent: self.cpu_percent(), disk_bytes, disk_percent }
    }

    /// CPU time used since the previous call, as a share of one core's wall time.
    fn cpu_percent(&self) -> f64 {
        let Some(ticks) = cpu_ticks() else { return 0.0 };
        let now = Instant::now();
        let mut last = self.last_cpu.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let result = last.map_or(0.0, |(then, then_ticks)| {
            let wall = now.duration_since(then).as_secs_f64();
            let hz = rustix::param::clock_ticks_per_second() as f64;
            if wall <= 0.0 || hz <= 0.0 { 0.0 } else { ticks.saturating_sub(then_ticks) as f64 / hz / wall * 100.0 }
        });
        *last = Some((now, ticks));
        result
    }
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 / whole as f64 * 100.0 }
}

/// `VmRSS` from `/proc/self/status`.
fn resident_bytes() -> Option<u64> {
    kib_field(&std::fs::read_to_string("/proc/self/status").ok()?, "VmRSS:")
}

/// `MemTotal` from `/proc/meminfo`.
fn total_memory_bytes() -> Option<u64> {
    kib_field(&std::fs::read_to_string("/proc/meminfo").ok()?, "MemTotal:")
}

fn kib_field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(name))?;
    let kib: u64 = line.trim_start_matches(name).split_whitespace().next()?.parse().ok()?;
    kib.checked_mul(1024)
}

/// User plus system time, in clock ticks, from `/proc/self/stat`.
fn cpu_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may contain spaces and parentheses; fields after the last `)`
    // are plain. utime and stime are fields 14 and 15, i.e. 11th and 12th after the name.
    let rest = stat.rsplit_once(')')?.1;
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    utime.checked_add(stime)
}

fn filesystem_used_percent(path: &Path) -> Option<f64> {
    let fs = rustix::fs::statvfs(path).ok()?;
    let used = fs.f_blocks.saturating_sub(fs.f_bfree);
    Some(percent(used, fs.f_blocks))
}

/// Total size of regular files under `dir`, not following symlinks.
fn dir_bytes(dir: &Path) -> u64 {
    let mut total = 0u64;
    let mut pending = vec![dir.to_owned()];
    while let Some(next) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else { continue };
        for entry in entries.flatten() {
            match entry.metadata() {
                Ok(meta) if meta.is_dir() => pending.push(entry.path()),
                Ok(meta) if meta.is_file() => total = total.saturating_add(meta.len()),
                Ok(_) | Err(_) => {}
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_reads_this_process() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f"), [0u8; 1000]).unwrap();
        let r = Resources::new(dir.path());
        let s = r.sample();
        assert!(s.memory_bytes > 0 && s.memory_percent > 0.0);
        assert_eq!(s.disk_bytes, 1000);
        assert!(s.disk_percent > 0.0 && s.disk_percent <= 100.0);
        assert!(r.sample().cpu_percent >= 0.0);
    }

    #[test]
    fn stat_line_with_odd_command_name() {
        assert_eq!(kib_field("VmRSS:\t  1234 kB\n", "VmRSS:"), Some(1234 * 1024));
        assert_eq!(kib_field("nothing", "VmRSS:"), None);
    }
}
