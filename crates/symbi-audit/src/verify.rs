//! Offline verification: re-derive every entry hash, follow the chain, rebuild the Merkle tree
//! and check every signed checkpoint against it. Works on a data directory (archived segments
//! included) or on an exported JSON lines file, with nothing but the checkpoint public key, and
//! names the first bad record and the kind of tampering.

use std::fmt;
use std::fs;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use crate::checkpoint::{Checkpoint, CheckpointPublicKey};
use crate::encoding::{self, DecodeError};
use crate::hash::Sha256Hash;
use crate::json::{self, Parsed};
use crate::merkle::MerkleTree;
use crate::record::{EventId, Record};
use crate::recovery::CHECKPOINT_FILE;
use crate::segment;

/// What a successful verification covered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifyReport {
    /// How many records verified.
    pub records: u64,
    /// How many signed checkpoints matched the records.
    pub checkpoints: usize,
    /// The Merkle root over all records.
    pub root_hash: Sha256Hash,
}

/// Verification failed: the log could not be read, or it was tampered with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// A file could not be read.
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The log is not what was recorded and signed.
    #[error(transparent)]
    Tampered(#[from] Tampering),
}

/// The first bad record of a log and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Tampering {
    position: Option<u64>,
    event_id: Option<EventId>,
    kind: Tamper,
}

/// The kinds of tampering verification tells apart.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Tamper {
    /// The record's content does not match its hash, or no longer matches the hash the next
    /// record chained to.
    Changed,
    /// A record is missing here and nowhere later.
    Deleted {
        /// The id of the missing record.
        missing: EventId,
    },
    /// A record here does not belong in the sequence.
    Inserted,
    /// Records are out of order: the record expected here comes later.
    Reordered {
        /// The id that should have been here.
        expected: EventId,
    },
    /// The record's bytes or JSON do not decode.
    Unreadable {
        /// Why.
        why: String,
    },
    /// The log ends inside a record (an unrepaired crash).
    TornTail,
    /// The log has fewer records than a signed checkpoint covers.
    Truncated {
        /// The checkpoint's tree size.
        checkpoint_size: u64,
        /// How many records are present.
        records: u64,
    },
    /// The records up to a signed checkpoint are self-consistent but not the ones signed: they
    /// were rewritten and re-chained. The first bad record is at or after the reported one.
    Rechained {
        /// The size of the first checkpoint that no longer matches.
        checkpoint_size: u64,
    },
    /// A checkpoint's signature does not verify under the given public key.
    BadCheckpointSignature {
        /// The tree size the checkpoint claims.
        tree_size: u64,
    },
}

impl Tampering {
    fn at(position: u64, event_id: Option<EventId>, kind: Tamper) -> Self {
        Self { position: Some(position), event_id, kind }
    }

    /// The zero-based position (in file order) of the first bad record, if a record is to blame.
    pub const fn position(&self) -> Option<u64> {
        self.position
    }

    /// The id the first bad record carries (or, for a deletion, the id found in its place).
    pub const fn event_id(&self) -> Option<EventId> {
        self.event_id
    }

    /// What is wrong.
    pub const fn kind(&self) -> &Tamper {
        &self.kind
    }
}

impl fmt::Display for Tampering {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.position, self.event_id) {
            (Some(position), Some(id)) => write!(f, "audit log tampered at record {position} (`{id}`): ")?,
            (Some(position), None) => write!(f, "audit log tampered at record {position}: ")?,
            (None, _) => write!(f, "audit log tampered: ")?,
        }
        match &self.kind {
            Tamper::Changed => write!(f, "record was changed"),
            Tamper::Deleted { missing } => write!(f, "record `{missing}` was deleted"),
            Tamper::Inserted => write!(f, "record was inserted"),
            Tamper::Reordered { expected } => write!(f, "records were reordered (expected `{expected}` here)"),
            Tamper::Unreadable { why } => write!(f, "record is unreadable: {why}"),
            Tamper::TornTail => write!(f, "log ends inside a record (open the log to repair a crash)"),
            Tamper::Truncated { checkpoint_size, records } => {
                write!(f, "log was truncated: a checkpoint covers {checkpoint_size} records, only {records} remain")
            }
            Tamper::Rechained { checkpoint_size } => write!(
                f,
                "records were rewritten and re-chained: they no longer match the checkpoint at tree size {checkpoint_size}"
            ),
            Tamper::BadCheckpointSignature { tree_size } => {
                write!(f, "checkpoint at tree size {tree_size} has a bad signature")
            }
        }
    }
}

/// Verifies the log in data directory `dir` (archived segments included) and its checkpoints
/// against `key` — use a copy of `checkpoint.pub` kept outside the directory, since whoever can
/// rewrite the directory can also replace the key there. For a log that another process is
/// appending to, the batch being written may show as a bad last record; verify a live log
/// through [`crate::AuditReader::verify`] (or the writer's own [`crate::AuditLog::verify`])
/// instead, which stops at the last whole record of its view.
///
/// # Errors
/// [`VerifyError::Tampered`] naming the first bad record; [`VerifyError::Io`] if a file cannot
/// be read.
pub fn verify_dir(dir: &Path, key: &CheckpointPublicKey) -> Result<VerifyReport, VerifyError> {
    verify_dir_with_progress(dir, key, &mut |_| {})
}

/// How far a verification has got, for a progress bar on large logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifyProgress {
    /// Records checked so far.
    pub records: u64,
    /// Segment bytes read so far.
    pub bytes: u64,
    /// Segment bytes in the whole log (preallocated space included).
    pub total_bytes: u64,
}

/// [`verify_dir`], calling `progress` after each segment and every 65,536 records.
///
/// # Errors
/// As [`verify_dir`].
pub fn verify_dir_with_progress(
    dir: &Path,
    key: &CheckpointPublicKey,
    progress: &mut dyn FnMut(VerifyProgress),
) -> Result<VerifyReport, VerifyError> {
    let path = dir.join(CHECKPOINT_FILE);
    let checkpoints = match fs::read_to_string(&path) {
        Ok(text) => parse_checkpoints(&text)?,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(source) => return Err(VerifyError::Io { path, source }),
    };
    verify_segments(dir, key, checkpoints, None, progress)
}

fn parse_checkpoints(text: &str) -> Result<Vec<Checkpoint>, VerifyError> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| match json::parse_line(line) {
            Ok(Parsed::Checkpoint(checkpoint)) => Ok(checkpoint),
            Ok(Parsed::Record(_)) | Err(_) => Err(VerifyError::Tampered(Tampering {
                position: None,
                event_id: None,
                kind: Tamper::Unreadable { why: "checkpoint line is invalid".into() },
            })),
        })
        .collect()
}

/// Verifies the segments of `dir` (at most `limit` records) against `checkpoints`.
pub(crate) fn verify_segments(
    dir: &Path,
    key: &CheckpointPublicKey,
    checkpoints: Vec<Checkpoint>,
    limit: Option<u64>,
    progress: &mut dyn FnMut(VerifyProgress),
) -> Result<VerifyReport, VerifyError> {
    let segments = segment::list(dir).map_err(|source| VerifyError::Io { path: dir.to_path_buf(), source })?;
    let total_bytes = segments.iter().filter_map(|file| fs::metadata(&file.path).ok()).map(|m| m.len()).sum();
    let mut done = VerifyProgress { records: 0, bytes: 0, total_bytes };
    let mut chain = Chain::default();
    let count = segments.len();
    'files: for (at, file) in segments.iter().enumerate() {
        let mut bytes = Vec::new();
        segment::open(&file.path)
            .and_then(|mut opened| opened.read_to_end(&mut bytes))
            .map_err(|source| VerifyError::Io { path: file.path.clone(), source })?;
        done.bytes += bytes.len() as u64;
        let mut rest = bytes.as_slice();
        // Zeros past the data are the preallocated space of the segment being written.
        while !segment::is_unwritten(rest) {
            if limit.is_some_and(|limit| chain.position >= limit) {
                break 'files;
            }
            let item = match encoding::split_frame(rest) {
                None if at + 1 == count => Item::Torn,
                None => Item::Unreadable(DecodeError::Truncated { field: "frame" }.to_string()),
                Some(Err(error)) => Item::Unreadable(error.to_string()),
                Some(Ok(frame)) => {
                    rest = rest.get(frame.len..).unwrap_or_default();
                    match encoding::decode_entry(frame.entry) {
                        Ok(record) => Item::Record { hash_ok: record.entry_hash == frame.stored_hash, record },
                        Err(error) => Item::Unreadable(error.to_string()),
                    }
                }
            };
            let stop = matches!(item, Item::Torn | Item::Unreadable(_));
            if chain.push(item).is_break() || stop {
                break 'files;
            }
            if chain.position.is_multiple_of(1 << 16) {
                progress(VerifyProgress { records: chain.position, bytes: done.bytes - rest.len() as u64, ..done });
            }
        }
        done.records = chain.position;
        progress(done);
    }
    chain.finish(key, checkpoints)
}

/// Verifies an exported JSON lines log (from `export_jsonl`) against `key`, offline.
///
/// # Errors
/// [`VerifyError::Tampered`] naming the first bad record; [`VerifyError::Io`] if `reader` fails.
pub fn verify_jsonl(reader: impl BufRead, key: &CheckpointPublicKey) -> Result<VerifyReport, VerifyError> {
    verify_lines(&mut reader.lines(), key)
}

fn verify_lines(
    lines: &mut dyn Iterator<Item = std::io::Result<String>>,
    key: &CheckpointPublicKey,
) -> Result<VerifyReport, VerifyError> {
    let mut chain = Chain::default();
    let mut checkpoints = Vec::new();
    for line in lines {
        let line = line.map_err(|source| VerifyError::Io { path: PathBuf::from("<export>"), source })?;
        if line.trim().is_empty() {
            continue;
        }
        let item = match json::parse_line(&line) {
            Ok(Parsed::Checkpoint(checkpoint)) => {
                checkpoints.push(checkpoint);
                continue;
            }
            Ok(Parsed::Record(claimed)) => {
                Item::Record { hash_ok: claimed.record.entry_hash == claimed.claimed_hash, record: claimed.record }
            }
            Err(error) => Item::Unreadable(error.to_string()),
        };
        let stop = matches!(item, Item::Unreadable(_));
        if chain.push(item).is_break() || stop {
            break;
        }
    }
    chain.finish(key, checkpoints)
}

/// One record (or failure to read one) in file order.
#[expect(
    clippy::large_enum_variant,
    reason = "a transient value returned once per record; boxing would add an allocation on the verify and scan hot path"
)]
enum Item {
    Record { record: Record, hash_ok: bool },
    Unreadable(String),
    Torn,
}

/// The running state of a verification: what the next record must look like.
#[derive(Default)]
struct Chain {
    tree: MerkleTree,
    position: u64,
    head: Sha256Hash,
    before_head: Sha256Hash,
    failure: Option<Tampering>,
    /// A gap in the sequence, while looking further on for the missing record.
    gap: Option<(EventId, Tampering)>,
}

impl Chain {
    fn push(&mut self, item: Item) -> std::ops::ControlFlow<()> {
        use std::ops::ControlFlow::{Break, Continue};
        let position = self.position;
        self.position += 1;
        if let Some((missing, found_at)) = &self.gap {
            if let Item::Record { record, .. } = &item
                && record.event_id() == *missing
            {
                self.failure = Some(Tampering { kind: Tamper::Reordered { expected: *missing }, ..found_at.clone() });
                return Break(());
            }
            return Continue(());
        }
        let expected = self.tree.len();
        let (record, hash_ok) = match item {
            Item::Record { record, hash_ok } => (record, hash_ok),
            Item::Unreadable(why) => return self.fail(Tampering::at(position, None, Tamper::Unreadable { why })),
            Item::Torn => return self.fail(Tampering::at(position, None, Tamper::TornTail)),
        };
        let id = Some(record.event_id());
        if !hash_ok {
            return self.fail(Tampering::at(position, id, Tamper::Changed));
        }
        if record.seq > expected {
            let missing = EventId::from_seq(expected);
            self.gap = Some((missing, Tampering::at(position, id, Tamper::Deleted { missing })));
            return Continue(());
        }
        if record.seq < expected {
            // A duplicate of the previous position that chains from the record before it means
            // the previous record was the intruder.
            let intruder_before = record.seq + 1 == expected && record.prev_hash == self.before_head && position > 0;
            let (at, intruder) = if intruder_before { (position - 1, record.seq) } else { (position, record.seq) };
            return self.fail(Tampering::at(at, Some(EventId::from_seq(intruder)), Tamper::Inserted));
        }
        if record.prev_hash != self.head {
            // The record before no longer has the hash this one chained to: it was changed
            // (with its own hash recomputed).
            let (at, blamed) = if position == 0 { (0, record.seq) } else { (position - 1, record.seq - 1) };
            return self.fail(Tampering::at(at, Some(EventId::from_seq(blamed)), Tamper::Changed));
        }
        self.before_head = self.head;
        self.head = record.entry_hash;
        self.tree.push(record.entry_hash);
        Continue(())
    }

    fn fail(&mut self, tampering: Tampering) -> std::ops::ControlFlow<()> {
        self.failure = Some(tampering);
        std::ops::ControlFlow::Break(())
    }

    fn finish(
        mut self,
        key: &CheckpointPublicKey,
        mut checkpoints: Vec<Checkpoint>,
    ) -> Result<VerifyReport, VerifyError> {
        if let Some((_, deleted)) = self.gap.take() {
            self.failure.get_or_insert(deleted);
        }
        checkpoints.sort_by_key(Checkpoint::tree_size);
        let records = self.tree.len();
        // A failure in the chain at position p leaves the tree at the records before it; only
        // checkpoints within that prefix can still be compared.
        let checked_up_to = self.failure.as_ref().and_then(Tampering::position).unwrap_or(u64::MAX);
        let mut matched = 0;
        let mut last_good = 0;
        for checkpoint in &checkpoints {
            checkpoint.verify_signature(key).map_err(|_| Tampering {
                position: None,
                event_id: None,
                kind: Tamper::BadCheckpointSignature { tree_size: checkpoint.tree_size },
            })?;
            if checkpoint.tree_size > checked_up_to.min(records) {
                if self.failure.is_none() {
                    let kind = Tamper::Truncated { checkpoint_size: checkpoint.tree_size, records };
                    return Err(Tampering::at(records, Some(EventId::from_seq(records)), kind).into());
                }
                continue;
            }
            if self.tree.root(checkpoint.tree_size) != Some(checkpoint.root_hash) {
                let kind = Tamper::Rechained { checkpoint_size: checkpoint.tree_size };
                return Err(Tampering::at(last_good, Some(EventId::from_seq(last_good)), kind).into());
            }
            last_good = checkpoint.tree_size;
            matched += 1;
        }
        if let Some(failure) = self.failure {
            return Err(failure.into());
        }
        Ok(VerifyReport { records, checkpoints: matched, root_hash: self.tree.root(records).unwrap_or_default() })
    }
}

#[cfg(test)]
mod tests;
