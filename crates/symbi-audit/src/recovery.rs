//! Opening a log after any kind of stop: scan every segment, rebuild the index, check the chain
//! and the signed checkpoints, and cut off a torn tail (the unfinished write of a crash). Any
//! other damage refuses the open, so a log with a hole is never silently appended to. The scan
//! itself ([`Scan`]) changes nothing; `AuditReader` runs it too, again on each refresh.

use std::fs::{self, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::checkpoint::Checkpoint;
use crate::encoding::{DecodeError, FrameRead};
use crate::hash::Sha256Hash;
use crate::index::Index;
use crate::json::{self, Parsed};
use crate::segment::{self, LIVE_DIR, Resume, SegmentFile};

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
    /// There is no audit log in the directory: it is missing, or holds no `checkpoint.pub`.
    /// Only [`crate::AuditReader::open`] reports this; [`crate::AuditLog::open`] creates a log.
    #[error("no audit log in `{path}`; a log is created when the runtime first opens it")]
    NotFound {
        /// The directory asked for.
        path: PathBuf,
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
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| OpenError::Io { path, source }
    };
    let mut index = Index::default();
    let mut scan = Scan::default();
    scan.advance(dir, &mut index)?;
    // Only once the signed checkpoints agree with what is kept (checked by the scan) is
    // anything cut off, so damage they would expose is never destroyed by a "repair".
    if scan.checkpoint_torn {
        let path = dir.join(CHECKPOINT_FILE);
        let file = OpenOptions::new().write(true).open(&path).map_err(io(&path))?;
        file.set_len(scan.checkpoint_bytes).and_then(|()| file.sync_all()).map_err(io(&path))?;
    }
    let pending = dir.join(REPAIR_FILE);
    let mut repair = match fs::read_to_string(&pending) {
        Ok(reason) => Some(Repair { reason }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => return Err(OpenError::Io { path: pending, source }),
    };
    if let (Some((tail, offset)), Some(dropped)) = (&scan.tail, scan.torn) {
        let name = tail.path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        let reason = format!("torn tail: cut {dropped} bytes at offset {offset} of `{name}` after an unclean stop");
        // A repair still pending from an earlier open keeps its own reason in the same record.
        let reason = match repair {
            Some(earlier) => format!("{}; {reason}", earlier.reason),
            None => reason,
        };
        crate::fsutil::write_new_file(dir, REPAIR_FILE, reason.as_bytes(), 0o644).map_err(io(dir))?;
        let file = OpenOptions::new().write(true).open(&tail.path).map_err(io(&tail.path))?;
        file.set_len(*offset).and_then(|()| file.sync_all()).map_err(io(&tail.path))?;
        repair = Some(Repair { reason });
    }
    let live = dir.join(LIVE_DIR);
    // Appends continue in the newest segment only while it is live; otherwise a new one starts.
    let last = scan.tail.filter(|(file, _)| file.path.parent() == Some(live.as_path()));
    let next_seq = index.len();
    Ok(Recovered {
        index,
        resume: Resume {
            dir: live,
            last,
            next_seq,
            head: scan.head,
            last_timestamp_ms: scan.last_timestamp_ms,
            max_segment_bytes,
        },
        repair,
    })
}

/// How far a read-only scan of a log's files has got, so the next scan reads only what was
/// added since. The writer's open scans once and then repairs; an `AuditReader` scans again on
/// every refresh while another process appends, so a scan tolerates everything a writer leaves
/// mid-append and changes no file.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    // INVARIANT (scan-matches-index): `head`, `last_timestamp_ms` and `tail` describe exactly the
    // records the index holds; they move together, record by record.
    head: Sha256Hash,
    last_timestamp_ms: u64,
    /// The newest segment scanned and the end of its last whole record.
    tail: Option<(SegmentFile, u64)>,
    /// Non-zero bytes past the tail's last whole record: a batch still being written, or torn.
    torn: Option<u64>,
    /// Bytes of whole lines of the checkpoint file read and checked so far.
    checkpoint_bytes: u64,
    /// Whether the checkpoint file ends in a partial line (a checkpoint being written, or torn).
    checkpoint_torn: bool,
}

impl Scan {
    /// Reads what was added to the log in `dir` since the last call and adds it to `index`;
    /// returns how many records were added. A partly written last record (a torn tail) is left
    /// out; a later call picks it up once it is whole.
    ///
    /// Checkpoints are read before segments: the writer stores a checkpoint only after the
    /// records it covers, so every checkpoint read is covered by the records scanned after it,
    /// and one that is not means records were lost.
    pub(crate) fn advance(&mut self, dir: &Path, index: &mut Index) -> Result<u64, OpenError> {
        let before = index.len();
        let (checkpoints, checkpoint_bytes) = self.read_checkpoints(dir)?;
        let segments = segment::list(dir).map_err(|source| OpenError::Io { path: dir.to_path_buf(), source })?;
        let newer = match &self.tail {
            Some((tail, _)) => segments.partition_point(|file| file.first_seq < tail.first_seq),
            None => 0,
        };
        let newer = segments.get(newer..).unwrap_or_default();
        for (position, file) in newer.iter().enumerate() {
            let is_last = position + 1 == newer.len();
            self.scan_segment(dir, file, is_last, index)?;
        }
        for (offset, checkpoint) in checkpoints {
            if index.tree.root(checkpoint.tree_size) != Some(checkpoint.root_hash) {
                return Err(OpenError::Damaged {
                    path: dir.join(CHECKPOINT_FILE),
                    offset,
                    damage: Damage::CheckpointMismatch { tree_size: checkpoint.tree_size },
                });
            }
            index.checkpoints.push(checkpoint);
        }
        self.checkpoint_bytes = checkpoint_bytes;
        Ok(index.len() - before)
    }

    /// Scans `file` from where the last scan of it stopped (or from the start if it is new).
    fn scan_segment(
        &mut self,
        dir: &Path,
        file: &SegmentFile,
        is_last: bool,
        index: &mut Index,
    ) -> Result<(), OpenError> {
        let damaged = |offset, damage| OpenError::Damaged { path: file.path.clone(), offset, damage };
        let start = match &self.tail {
            Some((tail, end)) if tail.first_seq == file.first_seq => *end,
            _ => {
                if file.first_seq != index.len() {
                    return Err(damaged(0, Damage::OutOfSequence { expected: index.len(), found: file.first_seq }));
                }
                index.segments.push(file.clone());
                self.tail = Some((file.clone(), 0));
                0
            }
        };
        let bytes = segment::open(&file.path)
            .and_then(|opened| read_from(opened, start))
            .map_err(|source| OpenError::Io { path: file.path.clone(), source })?;
        let mut broken = None;
        let mut unreadable = DecodeError::Truncated { field: "frame" };
        let end = segment::scan(&bytes, |offset, read| match read {
            FrameRead::Record { record, len } => {
                let offset = start + offset;
                if record.seq != index.len() {
                    broken = Some(damaged(offset, Damage::OutOfSequence { expected: index.len(), found: record.seq }));
                    return false;
                }
                if record.prev_hash != self.head {
                    broken = Some(damaged(offset, Damage::BrokenChain { seq: record.seq }));
                    return false;
                }
                // INVARIANT (scan-matches-index): the record and the scan state move together.
                self.head = record.entry_hash;
                self.last_timestamp_ms = record.timestamp_ms;
                self.tail = Some((file.clone(), offset + len as u64));
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
        // Whole records that do not chain are never a crash's doing, nor a writer's mid-append.
        if let Some(broken) = broken {
            return Err(broken);
        }
        let rest = bytes.get(end..).unwrap_or_default();
        self.torn = None;
        if !segment::is_unwritten(rest) {
            // Past the last whole record of the segment being written lies what an unfinished
            // batch left (or is leaving): no appender was answered for it. Anywhere else such
            // bytes are damage.
            let is_tail = is_last && file.path.parent() == Some(dir.join(LIVE_DIR).as_path());
            if !is_tail {
                return Err(damaged(start + end as u64, Damage::Unreadable(unreadable)));
            }
            self.torn = Some(rest.iter().rposition(|&b| b != 0).map_or(0, |last| last + 1) as u64);
        }
        Ok(())
    }

    /// The whole checkpoint lines added since the last scan, each with its offset, and the
    /// offset after the last of them. A partial last line (a checkpoint being written, or a
    /// crash during its write) is left for later.
    fn read_checkpoints(&mut self, dir: &Path) -> Result<(Vec<(u64, Checkpoint)>, u64), OpenError> {
        let path = dir.join(CHECKPOINT_FILE);
        let bytes = match fs::File::open(&path).and_then(|file| read_from(file, self.checkpoint_bytes)) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Vec::new(), self.checkpoint_bytes));
            }
            Err(source) => return Err(OpenError::Io { path, source }),
        };
        let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |at| at + 1);
        self.checkpoint_torn = complete < bytes.len();
        let mut checkpoints = Vec::new();
        let mut offset = self.checkpoint_bytes;
        for line in bytes.get(..complete).unwrap_or_default().split_inclusive(|&b| b == b'\n') {
            // The same line ends `str::lines` strips.
            let text = std::str::from_utf8(line).map(|text| {
                let text = text.strip_suffix('\n').unwrap_or(text);
                text.strip_suffix('\r').unwrap_or(text)
            });
            match text.map(json::parse_line) {
                Ok(Ok(Parsed::Checkpoint(checkpoint))) => checkpoints.push((offset, checkpoint)),
                Ok(Ok(Parsed::Record(_)) | Err(_)) | Err(_) => {
                    return Err(OpenError::Damaged { path, offset, damage: Damage::BadCheckpointLine });
                }
            }
            offset += line.len() as u64;
        }
        Ok((checkpoints, offset))
    }
}

/// The bytes of `file` from `offset` to its current end.
fn read_from(mut file: fs::File, offset: u64) -> std::io::Result<Vec<u8>> {
    file.seek(SeekFrom::Start(offset))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Appends one checkpoint line to the checkpoint file and syncs it.
pub(crate) fn append_checkpoint(file: &mut fs::File, checkpoint: &Checkpoint) -> std::io::Result<()> {
    let mut line = json::checkpoint_to_line(checkpoint);
    line.push('\n');
    file.write_all(line.as_bytes())?;
    file.sync_data()
}
