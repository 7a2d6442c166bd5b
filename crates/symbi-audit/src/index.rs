//! The in-memory index of an open log: which segment and offset holds each record, the Merkle
//! tree over all entry hashes, and the signed checkpoints. The writer thread is its only
//! mutator; readers take a short read lock to copy what they need, then read the files.

use std::io::{BufReader, Read, Seek, SeekFrom};
use std::ops::ControlFlow;
use std::path::PathBuf;

use crate::checkpoint::Checkpoint;
use crate::encoding::{self, FrameRead, MAX_ENTRY_BYTES};
use crate::merkle::MerkleTree;
use crate::record::Record;
use crate::segment::{self, SegmentFile, Written};

/// What the log knows about its acknowledged records.
#[derive(Debug, Default)]
pub(crate) struct Index {
    // INVARIANT (acknowledged-only): everything here is durable; the writer adds a batch only
    // after its fsync, so readers never see a record that could still be lost.
    pub(crate) segments: Vec<SegmentFile>,
    pub(crate) offsets: Vec<u64>,
    pub(crate) tree: MerkleTree,
    pub(crate) checkpoints: Vec<Checkpoint>,
}

impl Index {
    /// The number of acknowledged records.
    pub(crate) fn len(&self) -> u64 {
        self.offsets.len() as u64
    }

    pub(crate) fn push(&mut self, written: &Written) {
        self.offsets.push(written.offset);
        self.tree.push(written.record.entry_hash);
    }

    /// The file and offset holding record `seq`.
    pub(crate) fn locate(&self, seq: u64) -> Option<(PathBuf, u64)> {
        let offset = *self.offsets.get(usize::try_from(seq).ok()?)?;
        let at = self.segments.partition_point(|segment| segment.first_seq <= seq).checked_sub(1)?;
        Some((self.segments.get(at)?.path.clone(), offset))
    }

    /// Where a scan of records `from..to` starts, and the files it crosses in order.
    pub(crate) fn span(&self, from: u64, to: u64) -> Option<Span> {
        if from >= to {
            return None;
        }
        let (_, offset) = self.locate(from)?;
        let first = self.segments.partition_point(|segment| segment.first_seq <= from).checked_sub(1)?;
        let last = self.segments.partition_point(|segment| segment.first_seq < to);
        let files = self.segments.get(first..last)?.iter().map(|segment| segment.path.clone()).collect();
        Some(Span { files, offset, from, to })
    }
}

/// A run of consecutive records to read from disk.
#[derive(Debug)]
pub(crate) struct Span {
    files: Vec<PathBuf>,
    offset: u64,
    from: u64,
    to: u64,
}

/// Reading an acknowledged record failed: the file went missing or its bytes changed under us.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// A segment file could not be read.
    #[error("cannot read audit segment `{path}`: {source}")]
    Io {
        /// The segment file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A segment no longer holds the record the index expects there.
    #[error("audit segment `{path}` changed on disk at offset {offset}; run `symbi audit verify`")]
    Changed {
        /// The segment file.
        path: PathBuf,
        /// The offset of the record that no longer reads back.
        offset: u64,
    },
}

impl Span {
    /// Calls `each` on every record of the span, in order, until it breaks.
    pub(crate) fn read(&self, mut each: impl FnMut(Record) -> ControlFlow<()>) -> Result<(), ReadError> {
        let mut seq = self.from;
        let mut offset = self.offset;
        let mut buf = Vec::new();
        for path in &self.files {
            let io = |source| ReadError::Io { path: path.clone(), source };
            let mut file = segment::open(path).map_err(io)?;
            file.seek(SeekFrom::Start(offset)).map_err(io)?;
            let mut reader = BufReader::with_capacity(256 * 1024, file);
            while seq < self.to {
                let changed = || ReadError::Changed { path: path.clone(), offset };
                let mut len = [0u8; 4];
                match reader.read_exact(&mut len) {
                    Ok(()) => {}
                    // The next record is in the next file.
                    Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => break,
                    Err(error) => return Err(io(error)),
                }
                let body = u32::from_be_bytes(len) as usize;
                if body > MAX_ENTRY_BYTES {
                    return Err(changed());
                }
                buf.clear();
                buf.extend_from_slice(&len);
                buf.resize(4 + body + 32, 0);
                reader.read_exact(buf.get_mut(4..).unwrap_or_default()).map_err(|_| changed())?;
                let FrameRead::Record { record, len } = encoding::read_frame(&buf) else {
                    return Err(changed());
                };
                if record.seq != seq {
                    return Err(changed());
                }
                seq += 1;
                offset += len as u64;
                if each(record).is_break() {
                    return Ok(());
                }
            }
            offset = 0;
        }
        Ok(())
    }
}
