//! Opening a log after any kind of stop: scan every segment, rebuild the index, check the chain
//! and the signed checkpoints, and cut off a torn tail (the unfinished write of a crash). Any
//! other damage refuses the open, so a log with a hole is never silently appended to.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::checkpoint::Checkpoint;
use crate::encoding::{DecodeError, FrameRead};
use crate::hash::Sha256Hash;
use crate::index::Index;
use crate::json::{self, Parsed};
use crate::segment::{self, LIVE_DIR, Resume};

/// The file of signed checkpoints, one JSON line each.
pub(crate) const CHECKPOINT_FILE: &str = "checkpoints.jsonl";

/// Opening a log failed; nothing was appended.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// A file or folder of the log could not be read or written.
    #[error("cannot open audit log file `{path}`: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Another process has the log open for writing.
    #[error("audit log `{path}` is already open in another process")]
    Locked {
        /// The log's data directory.
        path: PathBuf,
    },
    /// A torn tail was cut off but the `log_repair` record saying so could not be written; the
    /// repair stays pending and the next open writes its record first.
    #[error("cannot record the repair of the audit log's torn tail: {source}")]
    Repair {
        /// Why the record could not be written.
        source: crate::writer::AppendError,
    },
    /// The log is damaged beyond a torn tail; it is left untouched.
    #[error("audit log file `{path}` is damaged at offset {offset}: {damage}; run `symbi audit verify` to locate it")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// The byte offset of the damage.
        offset: u64,
        /// What is wrong.
        damage: Damage,
    },
}

/// What is wrong with a damaged log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Damage {
    /// A record does not decode or does not match its hash.
    #[error("record is unreadable: {0}")]
    Unreadable(DecodeError),
    /// A record has the wrong sequence number (missing, inserted or reordered records).
    #[error("expected record {expected} but found record {found}")]
    OutOfSequence {
        /// The sequence number that should come next.
        expected: u64,
        /// The one found.
        found: u64,
    },
    /// A record's `prev_hash` is not the previous record's `entry_hash`.
    #[error("record {seq} does not chain to the record before it")]
    BrokenChain {
        /// The record's sequence number.
        seq: u64,
    },
    /// A signed checkpoint does not match the records.
    #[error("signed checkpoint at tree size {tree_size} does not match the records")]
    CheckpointMismatch {
        /// The checkpoint's tree size.
        tree_size: u64,
    },
    /// The checkpoint file is not valid JSON lines.
    #[error("checkpoint line is invalid")]
    BadCheckpointLine,
}

/// What open found and fixed.
#[derive(Debug)]
pub(crate) struct Recovered {
    pub(crate) index: Index,
    pub(crate) resume: Resume,
    pub(crate) repair: Option<Repair>,
}

/// A repair whose `log_repair` record is not yet written: the reason it will carry, kept in
/// [`REPAIR_FILE`] from before the cut until the record is durable, so a failure in between
/// cannot leave a repair unrecorded.
#[derive(Debug)]
pub(crate) struct Repair {
    pub(crate) reason: String,
}

/// The file that holds the reason of a repair whose record is still to be written.
const REPAIR_FILE: &str = "repair.pending";

impl Repair {
    /// Forgets the pending repair once its record is durable.
    pub(crate) fn recorded(dir: &Path) -> std::io::Result<()> {
        fs::remove_file(dir.join(REPAIR_FILE))?;
        crate::fsutil::sync_dir(dir)
    }
}

/// Scans `dir`, repairing a torn tail, and returns the index and where appends resume.
pub(crate) fn recover(dir: &Path, max_segment_bytes: u64) -> Result<Recovered, OpenError> {
    let live = dir.join(LIVE_DIR);
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| OpenError::Io { path, source }
    };
    let segments = segment::list(dir).map_err(io(dir))?;
    let mut index = Index::default();
    let mut head = Sha256Hash::ZERO;
    let mut last_timestamp_ms = 0;
    let mut cut = None;
    let mut last = None;
    let count = segments.len();
    for (position, file) in segments.into_iter().enumerate() {
        let damaged = |offset, damage| OpenError::Damaged { path: file.path.clone(), offset, damage };
        if file.first_seq != index.len() {
            return Err(damaged(0, Damage::OutOfSequence { expected: index.len(), found: file.first_seq }));
        }
        let bytes = fs::read(&file.path).map_err(io(&file.path))?;
        let mut broken = None;
        let mut unreadable = DecodeError::Truncated { field: "frame" };
        let end = segment::scan(&bytes, |offset, read| match read {
            FrameRead::Record { record, .. } => {
                if record.seq != index.len() {
                    broken = Some(damaged(offset, Damage::OutOfSequence { expected: index.len(), found: record.seq }));
                    return false;
                }
                if record.prev_hash != head {
                    broken = Some(damaged(offset, Damage::BrokenChain { seq: record.seq }));
                    return false;
                }
                head = record.entry_hash;
                last_timestamp_ms = record.timestamp_ms;
                index.offsets.push(offset);
                index.tree.push(record.entry_hash);
                true
            }
            FrameRead::Incomplete => false,
            FrameRead::Corrupt(error) => {
                unreadable = error;
                false
            }
        });
        // Whole records that do not chain are never a crash's doing.
        if let Some(broken) = broken {
            return Err(broken);
        }
        let is_tail = position + 1 == count && file.path.parent() == Some(live.as_path());
        let rest = bytes.get(end..).unwrap_or_default();
        if !segment::is_unwritten(rest) {
            // Past the last whole record of the segment being written lies what an unfinished
            // batch left: no appender was answered for it, so it is cut off (and recorded).
            // Anywhere else such bytes are damage.
            if !is_tail {
                return Err(damaged(end as u64, Damage::Unreadable(unreadable)));
            }
            let dropped = rest.iter().rposition(|&b| b != 0).map_or(0, |last| last + 1) as u64;
            cut = Some((file.path.clone(), end as u64, dropped));
        }
        if is_tail {
            last = Some((file.clone(), end as u64));
        }
        index.segments.push(file);
    }
    index.checkpoints = read_checkpoints(dir)?;
    for checkpoint in &index.checkpoints {
        if index.tree.root(checkpoint.tree_size) != Some(checkpoint.root_hash) {
            return Err(OpenError::Damaged {
                path: dir.join(CHECKPOINT_FILE),
                offset: 0,
                damage: Damage::CheckpointMismatch { tree_size: checkpoint.tree_size },
            });
        }
    }
    // Only once the signed checkpoints agree with what is kept is anything cut off, so damage
    // they would expose is never destroyed by a "repair".
    let pending = dir.join(REPAIR_FILE);
    let mut repair = match fs::read_to_string(&pending) {
        Ok(reason) => Some(Repair { reason }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => return Err(OpenError::Io { path: pending, source }),
    };
    if let Some((path, offset, dropped)) = cut {
        let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        let reason = format!("torn tail: cut {dropped} bytes at offset {offset} of `{name}` after an unclean stop");
        // A repair still pending from an earlier open keeps its own reason in the same record.
        let reason = match repair {
            Some(earlier) => format!("{}; {reason}", earlier.reason),
            None => reason,
        };
        crate::fsutil::write_new_file(dir, REPAIR_FILE, reason.as_bytes(), 0o644).map_err(io(dir))?;
        let file = OpenOptions::new().write(true).open(&path).map_err(io(&path))?;
        file.set_len(offset).and_then(|()| file.sync_all()).map_err(io(&path))?;
        repair = Some(Repair { reason });
    }
    let next_seq = index.len();
    Ok(Recovered {
        index,
        resume: Resume { dir: live, last, next_seq, head, last_timestamp_ms, max_segment_bytes },
        repair,
    })
}

/// Reads the signed checkpoints, dropping a torn last line (a crash during its write).
fn read_checkpoints(dir: &Path) -> Result<Vec<Checkpoint>, OpenError> {
    let path = dir.join(CHECKPOINT_FILE);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(OpenError::Io { path, source }),
    };
    let complete = text.rfind('\n').map_or(0, |at| at + 1);
    let mut checkpoints = Vec::new();
    let mut offset = 0u64;
    for line in text.get(..complete).unwrap_or_default().lines() {
        match json::parse_line(line) {
            Ok(Parsed::Checkpoint(checkpoint)) => checkpoints.push(checkpoint),
            Ok(Parsed::Record(_)) | Err(_) => {
                return Err(OpenError::Damaged { path, offset, damage: Damage::BadCheckpointLine });
            }
        }
        offset += line.len() as u64 + 1;
    }
    if complete < text.len() {
        let file = OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(|source| OpenError::Io { path: path.clone(), source })?;
        file.set_len(complete as u64)
            .and_then(|()| file.sync_all())
            .map_err(|source| OpenError::Io { path, source })?;
    }
    Ok(checkpoints)
}

/// Appends one checkpoint line to the checkpoint file and syncs it.
pub(crate) fn append_checkpoint(file: &mut fs::File, checkpoint: &Checkpoint) -> std::io::Result<()> {
    let mut line = json::checkpoint_to_line(checkpoint);
    line.push('\n');
    file.write_all(line.as_bytes())?;
    file.sync_data()
}
