//! Segment files: where records live on disk. A segment is a plain sequence of frames (see
//! `encoding`) named for the sequence number of its first record; `segments/` holds the live
//! ones and `archive/` the archived ones, and together they must cover every record from 0.
//! This module lists and scans them and owns the append-side file handle.
//!
//! The segment being written is preallocated with zeros ahead of the data, so each batch is an
//! overwrite inside the file and its `fdatasync` flushes data blocks only, without a journal
//! commit for a new file size; that is most of what a durable append costs. A zero length word
//! followed by nothing but zeros is therefore the clean end of a segment's data.

use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::encoding::{self, FrameRead};
use crate::fsutil;
use crate::hash::Sha256Hash;
use crate::record::{Event, Record};

/// The folder of live segments inside a log's data directory.
pub(crate) const LIVE_DIR: &str = "segments";
/// The folder of archived segments inside a log's data directory.
pub(crate) const ARCHIVE_DIR: &str = "archive";
const EXTENSION: &str = "seg";

/// One segment file and the sequence number of its first record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SegmentFile {
    pub(crate) first_seq: u64,
    pub(crate) path: PathBuf,
}

/// The file name of the segment whose first record is `first_seq`.
pub(crate) fn file_name(first_seq: u64) -> String {
    format!("{first_seq:016x}.{EXTENSION}")
}

/// Every segment under `dir` (archived and live), ordered by first sequence number.
///
/// Segments only ever move from `segments/` to `archive/`, and a reader may list while the
/// writer archives; so the live folder is listed first, and a segment moved in between shows up
/// twice rather than not at all. The live entry of such a pair is dropped once it is gone; two
/// entries that both still exist are both kept, for the scan to refuse as damage.
pub(crate) fn list(dir: &Path) -> std::io::Result<Vec<SegmentFile>> {
    let mut segments = Vec::new();
    for folder in [LIVE_DIR, ARCHIVE_DIR] {
        let entries = match fs::read_dir(dir.join(folder)) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error),
        };
        for entry in entries {
            let path = entry?.path();
            let first_seq = path
                .file_name()
                .and_then(|name| name.to_str())
                .and_then(|name| name.strip_suffix(&format!(".{EXTENSION}")))
                .filter(|stem| stem.len() == 16)
                .and_then(|stem| u64::from_str_radix(stem, 16).ok());
            if let Some(first_seq) = first_seq {
                segments.push(SegmentFile { first_seq, path });
            }
        }
    }
    // Stable: of two entries with the same first record, the live one comes first.
    segments.sort_by_key(|segment| segment.first_seq);
    segments.dedup_by(|archived, live| {
        let moved = archived.first_seq == live.first_seq && !live.path.exists();
        if moved {
            std::mem::swap(archived, live);
        }
        moved
    });
    Ok(segments)
}

/// Opens a segment by the path the index gave, or in `archive/` if it was archived since: the
/// only way a segment ever moves.
pub(crate) fn open(path: &Path) -> std::io::Result<File> {
    match File::open(path) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let archived = path
                .parent()
                .and_then(Path::parent)
                .zip(path.file_name())
                .map(|(dir, name)| dir.join(ARCHIVE_DIR).join(name));
            archived.map_or(Err(error), File::open)
        }
        result => result,
    }
}

/// Whether `bytes` is all zeros: preallocated space past the end of a segment's data.
pub(crate) fn is_unwritten(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| b == 0)
}

/// Calls `each(offset, frame)` for every frame of `bytes` until one is not a whole record,
/// which is passed too; returns the end offset of the last whole record.
pub(crate) fn scan(bytes: &[u8], mut each: impl FnMut(u64, FrameRead) -> bool) -> usize {
    let mut offset = 0;
    while let Some(rest) = bytes.get(offset..).filter(|rest| !rest.is_empty()) {
        let read = encoding::read_frame(rest);
        let len = match &read {
            FrameRead::Record { len, .. } => Some(*len),
            FrameRead::Incomplete | FrameRead::Corrupt(_) => None,
        };
        if !each(offset as u64, read) {
            return offset;
        }
        match len {
            Some(len) => offset += len,
            None => return offset,
        }
    }
    offset
}

/// The append side of the newest segment: assigns sequence numbers, chains, writes and syncs.
#[derive(Debug)]
pub(crate) struct SegmentWriter {
    dir: PathBuf,
    file: File,
    // INVARIANT (preallocated): bytes `file_len..allocated` of `file` are zeros made durable by
    // an fsync, so a batch written there needs only `fdatasync`.
    file_len: u64,
    allocated: u64,
    first_seq: u64,
    next_seq: u64,
    head: Sha256Hash,
    last_timestamp_ms: u64,
    max_segment_bytes: u64,
    buf: Vec<u8>,
}

/// Where a newly written record sits.
#[derive(Debug)]
pub(crate) struct Written {
    pub(crate) record: Record,
    pub(crate) offset: u64,
}

/// The state a writer resumes from after the segments were scanned.
#[derive(Debug)]
pub(crate) struct Resume {
    /// The live folder.
    pub(crate) dir: PathBuf,
    /// The newest live segment and the end of its data, or `None` to start a new segment.
    pub(crate) last: Option<(SegmentFile, u64)>,
    pub(crate) next_seq: u64,
    pub(crate) head: Sha256Hash,
    pub(crate) last_timestamp_ms: u64,
    pub(crate) max_segment_bytes: u64,
}

/// The most zeros written ahead at once; large enough that extending is rare, small enough that
/// the append that pays for it is not held up long.
const MAX_PREALLOCATE: u64 = 8 << 20;
const MIN_PREALLOCATE: u64 = 64 << 10;

impl SegmentWriter {
    /// Opens the newest segment for appending, or creates the first one.
    pub(crate) fn resume(resume: Resume) -> std::io::Result<(Self, Option<SegmentFile>)> {
        let (segment, file_len, created) = match resume.last {
            Some((segment, len)) => (segment, len, None),
            None => {
                let segment =
                    SegmentFile { first_seq: resume.next_seq, path: resume.dir.join(file_name(resume.next_seq)) };
                (segment.clone(), 0, Some(segment))
            }
        };
        let file = OpenOptions::new().create(true).truncate(false).read(true).write(true).open(&segment.path)?;
        if created.is_some() {
            fsutil::sync_dir(&resume.dir)?;
        }
        // INVARIANT (preallocated): recovery left only zeros past `file_len`; they are durable
        // once this fsync returns.
        file.sync_all()?;
        let allocated = file.metadata()?.len().max(file_len);
        let writer = Self {
            dir: resume.dir,
            file,
            file_len,
            allocated,
            first_seq: segment.first_seq,
            next_seq: resume.next_seq,
            head: resume.head,
            last_timestamp_ms: resume.last_timestamp_ms,
            max_segment_bytes: resume.max_segment_bytes,
            buf: Vec::with_capacity(64 * 1024),
        };
        Ok((writer, created))
    }

    /// The live folder the writer creates segments in.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// The first sequence number of the segment being appended to.
    pub(crate) const fn active_first_seq(&self) -> u64 {
        self.first_seq
    }

    /// Writes `events` as consecutive records with one write and one fsync. Returns the new
    /// segment if the batch started one. On error nothing is acknowledged and the caller must
    /// stop writing: the file's tail is unknown until the log is reopened and repaired.
    pub(crate) fn write_batch(
        &mut self,
        events: impl IntoIterator<Item = Event>,
    ) -> std::io::Result<(Vec<Written>, Option<SegmentFile>)> {
        let rotated =
            if self.file_len >= self.max_segment_bytes && self.file_len > 0 { Some(self.rotate()?) } else { None };
        self.buf.clear();
        // Timestamps never go backwards, so `since` filters and readers can rely on order.
        let timestamp_ms = crate::record::now_ms().max(self.last_timestamp_ms);
        let mut written = Vec::new();
        let mut seq = self.next_seq;
        let mut head = self.head;
        for event in events {
            let offset = self.file_len + self.buf.len() as u64;
            let record = encoding::frame(&mut self.buf, seq, timestamp_ms, event, head);
            head = record.entry_hash;
            seq += 1;
            written.push(Written { record, offset });
        }
        let end = self.file_len + self.buf.len() as u64;
        self.preallocate(end)?;
        self.file.write_all_at(&self.buf, self.file_len)?;
        // INVARIANT (preallocated): the batch lies inside durable zeros, so data sync suffices.
        self.file.sync_data()?;
        self.file_len = end;
        self.next_seq = seq;
        self.head = head;
        self.last_timestamp_ms = timestamp_ms;
        Ok((written, rotated))
    }

    /// Makes sure durable zeros reach at least `end`.
    fn preallocate(&mut self, end: u64) -> std::io::Result<()> {
        if end <= self.allocated {
            return Ok(());
        }
        let step = self.max_segment_bytes.clamp(MIN_PREALLOCATE, MAX_PREALLOCATE);
        let target = end.max(self.allocated + step);
        let zeros = vec![0u8; 256 << 10];
        let mut at = self.allocated;
        while at < target {
            let len = (target - at).min(zeros.len() as u64);
            self.file.write_all_at(zeros.get(..len as usize).unwrap_or_default(), at)?;
            at += len;
        }
        self.file.sync_all()?;
        self.allocated = target;
        Ok(())
    }

    /// Seals the current segment (cut to its data, synced) and starts the next one.
    fn rotate(&mut self) -> std::io::Result<SegmentFile> {
        self.file.set_len(self.file_len)?;
        self.file.sync_all()?;
        let segment = SegmentFile { first_seq: self.next_seq, path: self.dir.join(file_name(self.next_seq)) };
        let file = OpenOptions::new().create_new(true).read(true).write(true).open(&segment.path)?;
        fsutil::sync_dir(&self.dir)?;
        self.file = file;
        self.file_len = 0;
        self.allocated = 0;
        self.first_seq = segment.first_seq;
        Ok(segment)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn a_segment_archived_after_lookup_is_still_found() {
        let dir = tempfile::tempdir().unwrap();
        for folder in [LIVE_DIR, ARCHIVE_DIR] {
            std::fs::create_dir(dir.path().join(folder)).unwrap();
        }
        let live = dir.path().join(LIVE_DIR).join("0000000000000000.seg");
        std::fs::write(&live, b"frames").unwrap();
        std::fs::rename(&live, dir.path().join(ARCHIVE_DIR).join("0000000000000000.seg")).unwrap();
        let mut text = String::new();
        open(&live).unwrap().read_to_string(&mut text).unwrap();
        assert_eq!(text, "frames");
        assert!(open(&dir.path().join(LIVE_DIR).join("missing.seg")).is_err());
    }
}
