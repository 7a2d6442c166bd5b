//! Group commit: one thread owns the segment and checkpoint files. Appenders queue events;
//! the thread takes everything queued, writes it with one `write` and one fsync, then answers
//! every appender in the batch. So 64 concurrent appenders pay for one fsync, not 64, and no
//! appender is answered before its record is durable.

use std::fs::{self, File};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, oneshot};

use crate::checkpoint::{Checkpoint, CheckpointSigner};
use crate::fsutil;
use crate::index::Index;
use crate::record::{Event, EventId, Record, now_ms};
use crate::recovery;
use crate::segment::{ARCHIVE_DIR, SegmentWriter, Written};

/// What an acknowledged append tells the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    /// The new record's id.
    pub event_id: EventId,
    /// The new record's entry hash.
    pub entry_hash: crate::hash::Sha256Hash,
    /// When the log accepted it, in milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
}

/// An append (or a checkpoint, or an archive) did not become durable. The caller must treat
/// the action as not done (fail closed).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AppendError {
    /// Writing or syncing the log failed; this record is not durable.
    #[error("audit log write failed: {source}")]
    Write {
        /// The underlying error, shared by every append of the failed batch.
        source: Arc<std::io::Error>,
    },
    /// An earlier write failed, so the log accepts nothing more until it is reopened (which
    /// repairs the tail).
    #[error("audit log stopped after an earlier write failure; reopen it to repair")]
    Stopped,
    /// The log was closed.
    #[error("audit log is closed")]
    Closed,
    /// The record is larger than the log accepts.
    #[error("audit record of {len} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The record's encoded size.
        len: usize,
        /// The limit.
        limit: usize,
    },
}

/// A request to the writer thread.
#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "appends dominate the queue; boxing each event would add an allocation per append"
)]
pub(crate) enum Command {
    Append(Event, oneshot::Sender<Result<Receipt, AppendError>>),
    Checkpoint(oneshot::Sender<Result<Checkpoint, AppendError>>),
    Archive(oneshot::Sender<Result<usize, AppendError>>),
}

/// How the writer paces checkpoints.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pacing {
    pub(crate) checkpoint_every: u64,
    pub(crate) checkpoint_interval: Option<Duration>,
    pub(crate) max_batch: usize,
}

/// Everything the writer thread owns.
#[derive(Debug)]
pub(crate) struct Writer {
    pub(crate) dir: PathBuf,
    pub(crate) segments: SegmentWriter,
    pub(crate) signer: CheckpointSigner,
    pub(crate) checkpoint_file: File,
    pub(crate) index: Arc<RwLock<Index>>,
    pub(crate) events: broadcast::Sender<Arc<Record>>,
    pub(crate) pacing: Pacing,
    pub(crate) stopped: bool,
}

impl Writer {
    /// Serves commands until every sender is gone.
    pub(crate) fn run(mut self, commands: &Receiver<Command>) {
        let mut last_checkpoint = Instant::now();
        let mut batch = Vec::new();
        let mut replies = Vec::new();
        loop {
            let first = match self.pacing.checkpoint_interval {
                Some(interval) => match commands.recv_timeout(interval.saturating_sub(last_checkpoint.elapsed())) {
                    Ok(command) => Some(command),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => return,
                },
                None => match commands.recv() {
                    Ok(command) => Some(command),
                    Err(_) => return,
                },
            };
            let mut pending = first.into_iter().chain(std::iter::from_fn(|| commands.try_recv().ok()));
            for command in pending.by_ref() {
                match command {
                    Command::Append(event, reply) => {
                        batch.push(event);
                        replies.push(reply);
                        if batch.len() >= self.pacing.max_batch {
                            break;
                        }
                    }
                    // Checkpoints and archives see every append queued before them.
                    Command::Checkpoint(reply) => {
                        self.commit(&mut batch, &mut replies);
                        let _ = reply.send(self.checkpoint());
                        last_checkpoint = Instant::now();
                    }
                    Command::Archive(reply) => {
                        self.commit(&mut batch, &mut replies);
                        let _ = reply.send(self.archive());
                    }
                }
            }
            self.commit(&mut batch, &mut replies);
            let since = self
                .index
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .checkpoints
                .last()
                .map_or(0, Checkpoint::tree_size);
            let size = self.len();
            let due_by_count = self.pacing.checkpoint_every > 0 && size - since >= self.pacing.checkpoint_every;
            let due_by_time = self.pacing.checkpoint_interval.is_some_and(|every| last_checkpoint.elapsed() >= every);
            if size > since && (due_by_count || due_by_time) {
                // A failed periodic checkpoint stops the log like a failed append would.
                let _ = self.checkpoint();
                last_checkpoint = Instant::now();
            } else if due_by_time {
                // Nothing new to sign: start the next interval instead of waking at once again.
                last_checkpoint = Instant::now();
            }
        }
    }

    fn len(&self) -> u64 {
        self.index.read().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Writes the queued events as one batch and answers their appenders.
    fn commit(&mut self, batch: &mut Vec<Event>, replies: &mut Vec<oneshot::Sender<Result<Receipt, AppendError>>>) {
        if batch.is_empty() {
            return;
        }
        let result = self.write(batch.drain(..));
        match result {
            Ok(written) => {
                // Answer every appender before anything else: their records are durable.
                for (item, reply) in written.iter().zip(replies.drain(..)) {
                    let record = &item.record;
                    let receipt = Receipt {
                        event_id: record.event_id(),
                        entry_hash: record.entry_hash,
                        timestamp_ms: record.timestamp_ms,
                    };
                    let _ = reply.send(Ok(receipt));
                }
                // Subscribers are optional; with none, skip an allocation and a broadcast per
                // record. One that subscribes after this check missed nothing it was promised:
                // these records were durable before it subscribed.
                if self.events.receiver_count() > 0 {
                    for item in written {
                        let _ = self.events.send(Arc::new(item.record));
                    }
                }
            }
            Err(error) => {
                for reply in replies.drain(..) {
                    let _ = reply.send(Err(error.clone()));
                }
            }
        }
    }

    /// Writes `events` durably and publishes them to the index.
    pub(crate) fn write(&mut self, events: impl Iterator<Item = Event>) -> Result<Vec<Written>, AppendError> {
        if self.stopped {
            return Err(AppendError::Stopped);
        }
        let (written, rotated) = self.segments.write_batch(events).map_err(|error| self.stop(error))?;
        let mut index = self.index.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(segment) = rotated {
            index.segments.push(segment);
        }
        for item in &written {
            index.push(item);
        }
        Ok(written)
    }

    /// Signs and durably stores a checkpoint of the current tree.
    fn checkpoint(&mut self) -> Result<Checkpoint, AppendError> {
        if self.stopped {
            return Err(AppendError::Stopped);
        }
        let (size, root) = {
            let index = self.index.read().unwrap_or_else(PoisonError::into_inner);
            (index.len(), index.tree.root(index.len()))
        };
        let checkpoint = self.signer.sign(size, root.unwrap_or_default(), now_ms());
        recovery::append_checkpoint(&mut self.checkpoint_file, &checkpoint).map_err(|error| self.stop(error))?;
        self.index.write().unwrap_or_else(PoisonError::into_inner).checkpoints.push(checkpoint.clone());
        Ok(checkpoint)
    }

    /// Moves every segment but the one being appended to into `archive/`.
    fn archive(&mut self) -> Result<usize, AppendError> {
        let archive = self.dir.join(ARCHIVE_DIR);
        let active = self.segments.active_first_seq();
        let mut index = self.index.write().unwrap_or_else(PoisonError::into_inner);
        let mut moved = 0;
        for segment in &mut index.segments {
            if segment.first_seq >= active || segment.path.parent() == Some(archive.as_path()) {
                continue;
            }
            let Some(name) = segment.path.file_name() else { continue };
            let target = archive.join(name);
            fs::rename(&segment.path, &target).map_err(|error| AppendError::Write { source: Arc::new(error) })?;
            segment.path = target;
            moved += 1;
        }
        if moved > 0 {
            for dir in [archive.as_path(), self.segments.dir()] {
                fsutil::sync_dir(dir).map_err(|error| AppendError::Write { source: Arc::new(error) })?;
            }
        }
        Ok(moved)
    }

    fn stop(&mut self, error: std::io::Error) -> AppendError {
        // After a failed write or fsync the file's tail is unknown (the kernel may have dropped
        // dirty pages), so nothing more is appended until a reopen repairs it.
        self.stopped = true;
        AppendError::Write { source: Arc::new(error) }
    }
}
