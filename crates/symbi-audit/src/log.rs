//! [`AuditLog`]: the open log. It owns the data directory lock, hands appends to the writer
//! thread, and answers reads (query, record, export, proofs, verify) through the shared
//! [`LogView`] over the writer's index. Reads and `open` do blocking file I/O: from async code, call them inside
//! `tokio::task::spawn_blocking`.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::{broadcast, oneshot};

use crate::checkpoint::{Checkpoint, CheckpointPublicKey, CheckpointSigner};
use crate::encoding::{self, MAX_ENTRY_BYTES};
use crate::policy_archive::PolicyArchive;
use crate::record::{Event, EventId, EventKind, Record};
use crate::recovery::{self, CHECKPOINT_FILE, OpenError, Repair};
use crate::segment::{ARCHIVE_DIR, LIVE_DIR, SegmentWriter};
use crate::view::{LogView, ProveError, RecordProof, shared_reads};
use crate::writer::{AppendError, Command, Pacing, Receipt, Writer};

/// How a log paces checkpoints, sizes segments and batches appends. Every field has a default.
#[derive(Debug, Clone)]
pub struct AuditConfig {
    /// Sign a checkpoint after this many new records (0: only on request or by time).
    /// Default 10,000.
    pub checkpoint_every: u64,
    /// Also sign a checkpoint when this much time has passed with new records. Default 60 s.
    pub checkpoint_interval: Option<Duration>,
    /// Start a new segment file once the current one reaches this many bytes. Default 64 MiB.
    pub segment_max_bytes: u64,
    /// The most appends written with one fsync. Default 4,096; 1 means one fsync per record.
    pub max_batch: usize,
    /// How many records a slow subscriber may fall behind before it misses some. Default 1,024.
    pub subscriber_capacity: usize,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            checkpoint_every: 10_000,
            checkpoint_interval: Some(Duration::from_secs(60)),
            segment_max_bytes: 64 << 20,
            max_batch: 4096,
            subscriber_capacity: 1024,
        }
    }
}

/// The lock file that keeps a second process from appending to the same log.
const LOCK_FILE: &str = "LOCK";

/// An open, append-only, tamper-evident audit log in one data directory. Share it with `Arc`;
/// dropping the last handle waits for the appends already queued to become durable.
#[derive(Debug)]
pub struct AuditLog {
    pub(crate) view: LogView,
    commands: mpsc::Sender<Command>,
    writer: Option<JoinHandle<()>>,
    events: broadcast::Sender<Arc<Record>>,
    _lock: File,
}

impl AuditLog {
    /// Opens (or creates) the log in `dir`: scans every segment, cuts off a torn tail left by
    /// a crash and records that repair as a `log_repair` record, creates the checkpoint key on
    /// first use, and starts the writer thread.
    ///
    /// # Errors
    /// [`OpenError::Locked`] if another process has the log open; [`OpenError::Damaged`] if a
    /// segment or checkpoint is damaged beyond a torn tail (nothing is changed then);
    /// [`OpenError::Io`] for file errors.
    pub fn open(dir: impl AsRef<Path>, config: &AuditConfig) -> Result<Self, OpenError> {
        Self::open_dir(dir.as_ref(), config)
    }

    fn open_dir(dir: &Path, config: &AuditConfig) -> Result<Self, OpenError> {
        let io = |path: PathBuf| move |source| OpenError::Io { path, source };
        for folder in [dir.to_path_buf(), dir.join(LIVE_DIR), dir.join(ARCHIVE_DIR)] {
            fs::create_dir_all(&folder).map_err(io(folder.clone()))?;
        }
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(LOCK_FILE))
            .map_err(io(dir.join(LOCK_FILE)))?;
        rustix::fs::flock(&lock, rustix::fs::FlockOperation::NonBlockingLockExclusive)
            .map_err(|_| OpenError::Locked { path: dir.to_path_buf() })?;
        let signer = CheckpointSigner::load_or_create(dir).map_err(io(dir.to_path_buf()))?;
        let policies = PolicyArchive::open(dir).map_err(io(dir.to_path_buf()))?;
        let recovered = recovery::recover(dir, config.segment_max_bytes)?;
        let checkpoint_file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(CHECKPOINT_FILE))
            .map_err(io(dir.join(CHECKPOINT_FILE)))?;
        let (segments, created) = SegmentWriter::resume(recovered.resume).map_err(io(dir.join(LIVE_DIR)))?;
        let mut index = recovered.index;
        index.segments.extend(created);
        let index = Arc::new(RwLock::new(index));
        let (events, _) = broadcast::channel(config.subscriber_capacity.max(1));
        let public_key = signer.public_key();
        let mut writer = Writer {
            dir: dir.to_path_buf(),
            segments,
            signer,
            checkpoint_file,
            index: Arc::clone(&index),
            events: events.clone(),
            pacing: Pacing {
                checkpoint_every: config.checkpoint_every,
                checkpoint_interval: config.checkpoint_interval,
                max_batch: config.max_batch.max(1),
            },
            stopped: false,
        };
        if let Some(repair) = recovered.repair {
            let event = Event::new(EventKind::LogRepair).with_reason(repair.reason);
            writer.write(std::iter::once(event)).map_err(|source| OpenError::Repair { source })?;
            Repair::recorded(dir).map_err(io(dir.to_path_buf()))?;
        }
        let (commands, receiver) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("symbi-audit-writer".into())
            .spawn(move || writer.run(&receiver))
            .map_err(io(dir.to_path_buf()))?;
        Ok(Self {
            view: LogView::new(dir, index, public_key, policies),
            commands,
            writer: Some(thread),
            events,
            _lock: lock,
        })
    }

    /// Appends `event`; returns once the record is durable (fsynced). Concurrent appends share
    /// one fsync. Dropping the future does not withdraw the event: once submitted it is written.
    ///
    /// # Errors
    /// Any [`AppendError`]: the record is then not durable and the action must fail closed.
    pub async fn append(&self, event: Event) -> Result<Receipt, AppendError> {
        self.submit(event)?.await.map_err(|_| AppendError::Closed)?
    }

    /// [`AuditLog::append`] for synchronous callers. Must not be called on an async runtime
    /// thread (it blocks until the fsync).
    ///
    /// # Errors
    /// As [`AuditLog::append`].
    pub fn append_blocking(&self, event: Event) -> Result<Receipt, AppendError> {
        self.submit(event)?.blocking_recv().map_err(|_| AppendError::Closed)?
    }

    fn submit(&self, event: Event) -> Result<oneshot::Receiver<Result<Receipt, AppendError>>, AppendError> {
        let len = encoding::entry_len(&event);
        if len > MAX_ENTRY_BYTES {
            return Err(AppendError::TooLarge { len, limit: MAX_ENTRY_BYTES });
        }
        let (reply, receiver) = oneshot::channel();
        self.commands.send(Command::Append(event, reply)).map_err(|_| AppendError::Closed)?;
        Ok(receiver)
    }

    shared_reads!();

    /// Signs a checkpoint of every record appended so far and stores it.
    ///
    /// # Errors
    /// Any [`AppendError`] from storing the checkpoint.
    pub async fn checkpoint(&self) -> Result<Checkpoint, AppendError> {
        let (reply, receiver) = oneshot::channel();
        self.commands.send(Command::Checkpoint(reply)).map_err(|_| AppendError::Closed)?;
        receiver.await.map_err(|_| AppendError::Closed)?
    }

    /// The key that verifies this log's checkpoints (also published as `checkpoint.pub`).
    pub const fn public_key(&self) -> &CheckpointPublicKey {
        self.view.public_key()
    }

    /// The content-addressed archive of policy sets that decision records refer to.
    pub const fn policy_archive(&self) -> &PolicyArchive {
        self.view.policy_archive()
    }

    /// Every new record, as it becomes durable (for `tail -f`). A subscriber that falls more
    /// than `subscriber_capacity` records behind gets a `Lagged` error and can resume with
    /// [`AuditLog::query`].
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Record>> {
        self.events.subscribe()
    }

    /// A proof that the record is in the log, against the newest checkpoint (signing a new one
    /// first if none covers the record yet).
    ///
    /// # Errors
    /// [`ProveError::NotFound`] for an unknown id; [`ProveError::Read`] or
    /// [`ProveError::Checkpoint`] if the record or a checkpoint cannot be had.
    pub async fn proof(&self, event_id: EventId) -> Result<RecordProof, ProveError> {
        match self.view.proof(event_id) {
            Err(ProveError::NotCheckpointed { .. }) => {
                self.checkpoint().await?;
                self.view.proof(event_id)
            }
            result => result,
        }
    }

    /// Moves every segment except the one being written into `archive/`, returning how many
    /// moved. Nothing is deleted: archived segments stay part of the log, and open, read and
    /// verify span them.
    ///
    /// # Errors
    /// [`AppendError::Write`] if a move fails.
    pub async fn archive_segments(&self) -> Result<usize, AppendError> {
        let (reply, receiver) = oneshot::channel();
        self.commands.send(Command::Archive(reply)).map_err(|_| AppendError::Closed)?;
        receiver.await.map_err(|_| AppendError::Closed)?
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        // Closing the channel ends the writer once it has answered every queued append; joining
        // it means the files are closed (and the lock released) when `drop` returns.
        let (closed, _) = mpsc::channel();
        drop(std::mem::replace(&mut self.commands, closed));
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}
