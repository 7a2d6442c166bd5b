//! Events from other processes. Only one process appends to a log (it holds the lock), but other
//! doors exist outside it: `symbi keys revoke` run by an operator while the runtime serves. Such a
//! process leaves its event in the log's `inbox/` as one durable file; the holder appends it and
//! removes the file only once the record is durable, so an event is never lost between the two.
//!
//! An entry is a record line sealed at position 0 with its submission time: its entry hash lets
//! the holder tell a damaged file from a good one. A damaged entry is moved to `inbox/rejected/`
//! and a `log_repair` record says so; nothing is deleted silently.

use std::fs;
use std::path::{Path, PathBuf};

use crate::encoding;
use crate::fsutil;
use crate::hash::Sha256Hash;
use crate::json::record_to_line;
use crate::log::AuditLog;
use crate::record::{Event, EventKind, Record, now_ms};
use crate::writer::AppendError;

/// The inbox folder inside a log's directory.
const INBOX_DIR: &str = "inbox";
/// Where damaged entries are set aside.
const REJECTED_DIR: &str = "rejected";
/// Entries larger than this are damaged by definition (a record line is far smaller).
const MAX_ENTRY_BYTES: u64 = 1 << 20;

/// Leaves `event` for the process holding the log in `dir`; returns once the entry is durable.
/// The holder appends it on its next [`AuditLog::drain_inbox`].
///
/// # Errors
/// The entry cannot be written (the log's directory is missing or not writable).
pub fn submit_to_inbox(dir: &Path, event: Event) -> std::io::Result<()> {
    if !dir.is_dir() {
        return Err(std::io::Error::new(std::io::ErrorKind::NotFound, format!("no audit log in `{}`", dir.display())));
    }
    let inbox = dir.join(INBOX_DIR);
    fs::create_dir_all(&inbox)?;
    let submitted = now_ms();
    let record = encoding::seal(&mut Vec::new(), 0, submitted, event, Sha256Hash::default());
    let name = format!("{submitted:020}-{}-{}.json", std::process::id(), unique());
    fsutil::write_new_file(&inbox, &name, record_to_line(&record).as_bytes(), 0o600)
}

impl AuditLog {
    /// Appends every event waiting in the inbox, oldest first, removing each entry once its
    /// record is durable. Returns how many were appended. Blocks on file I/O and fsyncs: from
    /// async code, call it inside `tokio::task::spawn_blocking`.
    ///
    /// # Errors
    /// An append failed (the entry stays for the next drain), or the inbox cannot be read.
    pub fn drain_inbox(&self) -> Result<usize, AppendError> {
        let inbox = self.view.dir().join(INBOX_DIR);
        let io = |e: std::io::Error| AppendError::Write { source: std::sync::Arc::new(e) };
        let mut appended = 0;
        for path in entries(&inbox).map_err(io)? {
            match read_entry(&path) {
                Ok(record) => {
                    self.append_blocking(record.event().clone())?;
                    fs::remove_file(&path).map_err(io)?;
                    appended += 1;
                }
                Err(why) => {
                    let rejected = inbox.join(REJECTED_DIR);
                    fs::create_dir_all(&rejected).map_err(io)?;
                    let name = path.file_name().map(PathBuf::from).unwrap_or_default();
                    fs::rename(&path, rejected.join(&name)).map_err(io)?;
                    let reason =
                        format!("inbox entry `{}` is damaged ({why}); set aside in inbox/rejected", name.display());
                    self.append_blocking(Event::new(EventKind::LogRepair).with_reason(reason))?;
                }
            }
        }
        if appended > 0 {
            fsutil::sync_dir(&inbox).map_err(io)?;
        }
        Ok(appended)
    }
}

/// The entries waiting, oldest first (names start with the submission time).
fn entries(inbox: &Path) -> std::io::Result<Vec<PathBuf>> {
    let listing = match fs::read_dir(inbox) {
        Ok(listing) => listing,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut paths = Vec::new();
    for entry in listing {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        // Temporary files of a submission still being written start with a dot.
        if path.is_file() && !name.starts_with('.') && name.ends_with(".json") {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths)
}

fn read_entry(path: &Path) -> Result<Record, String> {
    let size = fs::metadata(path).map_err(|e| e.to_string())?.len();
    if size > MAX_ENTRY_BYTES {
        return Err(format!("{size} bytes is too large"));
    }
    let text = fs::read_to_string(path).map_err(|e| e.to_string())?;
    Record::from_json_line(text.trim()).map_err(|e| e.to_string())
}

/// A number no other submission of this process uses.
fn unique() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::AuditConfig;
    use crate::query::QueryFilter;

    #[test]
    fn events_left_in_the_inbox_are_appended_once_and_damaged_ones_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(dir.path(), &AuditConfig::default()).unwrap();
        for key in ["k1", "k2"] {
            submit_to_inbox(dir.path(), Event::key_management("cli:uid=0", "revoke", key)).unwrap();
        }
        fs::write(dir.path().join("inbox/00000000000000000001-1-1.json"), "{\"not\":\"a record\"}").unwrap();
        assert_eq!(log.drain_inbox().unwrap(), 2);
        assert_eq!(log.drain_inbox().unwrap(), 0, "each entry is appended once");

        let records = log.query(&QueryFilter::default()).unwrap().records;
        let kinds: Vec<_> = records.iter().map(|r| (r.event().kind, r.event().resource.clone())).collect();
        assert_eq!(
            kinds,
            [
                (EventKind::LogRepair, None),
                (EventKind::KeyManagement, Some("k1".to_owned())),
                (EventKind::KeyManagement, Some("k2".to_owned())),
            ]
        );
        assert!(dir.path().join("inbox/rejected/00000000000000000001-1-1.json").is_file(), "nothing is deleted");
        assert!(submit_to_inbox(&dir.path().join("missing"), Event::new(EventKind::KeyManagement)).is_err());
    }
}
