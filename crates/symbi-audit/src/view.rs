//! [`LogView`]: the read side of a log, one implementation behind both [`crate::AuditLog`] (over
//! the writer's live index) and [`crate::AuditReader`] (over an index it scanned without the
//! lock). It answers every read from the index and the segment files, and never writes.

use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard};

use crate::checkpoint::{Checkpoint, CheckpointPublicKey};
use crate::index::{Index, ReadError};
use crate::json;
use crate::policy_archive::PolicyArchive;
use crate::proof::{ConsistencyProof, InclusionProof};
use crate::query::{Cursor, Page, QueryFilter};
use crate::record::{EventId, Record};
use crate::verify::{self, VerifyError, VerifyProgress, VerifyReport};
use crate::writer::AppendError;

/// A record with proof that it is in the log: an inclusion proof against a signed checkpoint.
#[derive(Debug, Clone)]
pub struct RecordProof {
    /// The record.
    pub record: Record,
    /// The signed checkpoint the proof leads to.
    pub checkpoint: Checkpoint,
    /// The record's inclusion proof in the checkpoint's tree.
    pub inclusion: InclusionProof,
}

/// A proof could not be produced.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProveError {
    /// No record has this id.
    #[error("no audit record `{event_id}`")]
    NotFound {
        /// The id asked for.
        event_id: EventId,
    },
    /// Reading the record failed.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// No signed checkpoint covers the record yet, and this handle cannot sign one. The running log signs one within its checkpoint
    /// interval, or at once on `symbi audit checkpoint`; ask again after that.
    #[error(
        "no signed checkpoint covers audit record `{event_id}` yet; the runtime signs one within its checkpoint interval, or run `symbi audit checkpoint`"
    )]
    NotCheckpointed {
        /// The id asked for.
        event_id: EventId,
    },
    /// A checkpoint covering the record could not be signed.
    #[error(transparent)]
    Checkpoint(#[from] AppendError),
}

/// Writing an export failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// Reading the log failed.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// Writing the output failed.
    #[error("cannot write the audit export: {0}")]
    Output(#[source] std::io::Error),
}

/// The shared read side of a log: its directory, its index, the key that verifies its
/// checkpoints and its policy archive.
#[derive(Debug)]
pub(crate) struct LogView {
    dir: PathBuf,
    // INVARIANT (acknowledged-only): see `Index`; whoever extends it adds only whole records.
    index: Arc<RwLock<Index>>,
    public_key: CheckpointPublicKey,
    policies: PolicyArchive,
}

impl LogView {
    pub(crate) fn new(
        dir: &Path,
        index: Arc<RwLock<Index>>,
        public_key: CheckpointPublicKey,
        policies: PolicyArchive,
    ) -> Self {
        Self { dir: dir.to_path_buf(), index, public_key, policies }
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// The index, for a reader to extend with what it scanned since.
    pub(crate) const fn index(&self) -> &Arc<RwLock<Index>> {
        &self.index
    }

    pub(crate) fn latest_checkpoint(&self) -> Option<Checkpoint> {
        self.read_index().checkpoints.last().cloned()
    }

    pub(crate) const fn public_key(&self) -> &CheckpointPublicKey {
        &self.public_key
    }

    pub(crate) const fn policy_archive(&self) -> &PolicyArchive {
        &self.policies
    }

    pub(crate) fn len(&self) -> u64 {
        self.read_index().len()
    }

    pub(crate) fn record(&self, event_id: EventId) -> Result<Option<Record>, ReadError> {
        let seq = event_id.seq();
        let Some(span) = self.read_index().span(seq, seq.saturating_add(1)) else { return Ok(None) };
        let mut found = None;
        span.read(|record| {
            found = Some(record);
            ControlFlow::Break(())
        })?;
        Ok(found)
    }

    pub(crate) fn query(&self, filter: &QueryFilter) -> Result<Page, ReadError> {
        let from = filter.after.map_or(0, Cursor::next_seq);
        let limit = filter.limit.clamp(1, QueryFilter::MAX_LIMIT);
        let (span, size) = {
            let index = self.read_index();
            (index.span(from, index.len()), index.len())
        };
        let mut records = Vec::new();
        let mut next = None;
        if let Some(span) = span {
            span.read(|record| {
                let seq = record.seq;
                if filter.matches(&record) {
                    records.push(record);
                }
                if records.len() >= limit {
                    next = Some(Cursor::after(seq)).filter(|_| seq + 1 < size);
                    return ControlFlow::Break(());
                }
                ControlFlow::Continue(())
            })?;
        }
        Ok(Page { records, next })
    }

    pub(crate) fn export_jsonl(&self, out: &mut dyn Write) -> Result<u64, ExportError> {
        let (span, checkpoints) = {
            let index = self.read_index();
            (index.span(0, index.len()), index.checkpoints.clone())
        };
        for checkpoint in &checkpoints {
            writeln!(out, "{}", json::checkpoint_to_line(checkpoint)).map_err(ExportError::Output)?;
        }
        let mut count = 0;
        let mut failure = None;
        if let Some(span) = span {
            span.read(|record| match writeln!(out, "{}", json::record_to_line(&record)) {
                Ok(()) => {
                    count += 1;
                    ControlFlow::Continue(())
                }
                Err(error) => {
                    failure = Some(error);
                    ControlFlow::Break(())
                }
            })?;
        }
        match failure {
            Some(error) => Err(ExportError::Output(error)),
            None => out.flush().map(|()| count).map_err(ExportError::Output),
        }
    }

    /// A proof of the record against the newest checkpoint, which must already cover it.
    pub(crate) fn proof(&self, event_id: EventId) -> Result<RecordProof, ProveError> {
        let record = self.record(event_id)?.ok_or(ProveError::NotFound { event_id })?;
        let checkpoint = self
            .latest_checkpoint()
            .filter(|checkpoint| checkpoint.tree_size > event_id.seq())
            .ok_or(ProveError::NotCheckpointed { event_id })?;
        let path = self.read_index().tree.inclusion_path(event_id.seq(), checkpoint.tree_size);
        let path = path.ok_or(ProveError::NotFound { event_id })?;
        Ok(RecordProof {
            record,
            inclusion: InclusionProof::new(event_id.seq(), checkpoint.tree_size, path),
            checkpoint,
        })
    }

    pub(crate) fn consistency_proof(&self, old_size: u64, new_size: u64) -> Option<ConsistencyProof> {
        let path = self.read_index().tree.consistency_path(old_size, new_size)?;
        Some(ConsistencyProof::new(old_size, new_size, path))
    }

    pub(crate) fn verify(&self, progress: &mut dyn FnMut(VerifyProgress)) -> Result<VerifyReport, VerifyError> {
        let (size, checkpoints) = {
            let index = self.read_index();
            (index.len(), index.checkpoints.clone())
        };
        verify::verify_segments(&self.dir, &self.public_key, checkpoints, Some(size), progress)
    }

    fn read_index(&self) -> RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The read methods `AuditLog` and `AuditReader` share, each a call into their `view:
/// LogView` field: written once so the two handles' reads and docs cannot drift apart.
/// Methods whose behaviour differs (`proof`, `public_key`, `policy_archive`) are written out
/// by each handle.
macro_rules! shared_reads {
    () => {
        /// The newest signed checkpoint this handle knows of, if any.
        pub fn latest_checkpoint(&self) -> Option<$crate::checkpoint::Checkpoint> {
            self.view.latest_checkpoint()
        }

        /// The number of records this handle reads: every acknowledged record of an open log,
        /// or every whole record of a reader's view.
        pub fn len(&self) -> u64 {
            self.view.len()
        }

        /// Whether there are no records to read.
        pub fn is_empty(&self) -> bool {
            self.len() == 0
        }

        /// The record with `event_id`, if it exists.
        ///
        /// # Errors
        /// [`ReadError`](crate::ReadError) if its segment cannot be read or no longer holds it.
        pub fn record(
            &self,
            event_id: $crate::record::EventId,
        ) -> Result<Option<$crate::record::Record>, $crate::index::ReadError> {
            self.view.record(event_id)
        }

        /// One page of records matching `filter`, oldest first; pass the page's `next` cursor
        /// back in the filter for the following page.
        ///
        /// # Errors
        /// [`ReadError`](crate::ReadError) if a segment cannot be read.
        pub fn query(
            &self,
            filter: &$crate::query::QueryFilter,
        ) -> Result<$crate::query::Page, $crate::index::ReadError> {
            self.view.query(filter)
        }

        /// Writes every record (and first every checkpoint) as JSON lines: the offline form
        /// that [`crate::verify_jsonl`] checks with only the public key. Returns the records
        /// written.
        ///
        /// # Errors
        /// [`ExportError`](crate::ExportError) if the log cannot be read or `out` cannot be
        /// written.
        pub fn export_jsonl(&self, out: &mut dyn std::io::Write) -> Result<u64, $crate::view::ExportError> {
            self.view.export_jsonl(out)
        }

        /// A proof that the tree of `old_size` records is a prefix of the tree of `new_size`
        /// records, or `None` if the sizes are out of order or past the last record.
        pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Option<$crate::proof::ConsistencyProof> {
            self.view.consistency_proof(old_size, new_size)
        }

        /// Verifies every record this handle reads (archived segments included) and every
        /// checkpoint; records appended after it (or after the reader's last refresh) are not
        /// looked at.
        ///
        /// # Errors
        /// [`VerifyError`](crate::VerifyError) naming the first bad record and why.
        pub fn verify(&self) -> Result<$crate::verify::VerifyReport, $crate::verify::VerifyError> {
            self.view.verify(&mut |_| {})
        }

        /// `verify`, calling `progress` after each segment and every 65,536 records, for a
        /// progress bar on large logs.
        ///
        /// # Errors
        /// As `verify`.
        pub fn verify_with_progress(
            &self,
            progress: &mut dyn FnMut($crate::verify::VerifyProgress),
        ) -> Result<$crate::verify::VerifyReport, $crate::verify::VerifyError> {
            self.view.verify(progress)
        }
    };
}

pub(crate) use shared_reads;
