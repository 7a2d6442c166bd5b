//! [`AuditReader`]: a read-only view of a log that another process (the runtime) holds open.
//! It takes no lock and writes nothing: it scans the segments itself (`recovery::Scan`), keeps
//! its own index, answers reads through the shared [`LogView`], and on refresh scans only what
//! was appended since.

use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock};

use crate::checkpoint::{CheckpointPublicKey, PUBLIC_KEY_FILE};
use crate::index::Index;
use crate::policy_archive::PolicyArchive;
use crate::record::EventId;
use crate::recovery::{OpenError, Scan};
use crate::view::{LogView, ProveError, RecordProof, shared_reads};

/// A read-only view of the log in one data directory, for reading it while another process
/// appends (the CLI's `symbi audit tail|export|proof|verify|replay` while `symbi up` runs).
///
/// Unlike [`crate::AuditLog`] it takes no lock, never repairs, signs nothing and writes,
/// creates or truncates no file or folder. Its view is the whole records on disk when it was
/// opened or last [refreshed](AuditReader::refresh): a partly written last record (the normal
/// state while the writer is mid-append, or a crash's torn tail that the next
/// [`crate::AuditLog::open`] repairs) is left out. Records of a batch the writer has written
/// but not yet fsynced can be part of the view; a crash of the process does not lose them,
/// only a crash of the machine could.
///
/// Reads do blocking file I/O: from async code, call them inside `tokio::task::spawn_blocking`.
#[derive(Debug)]
pub struct AuditReader {
    view: LogView,
    scan: Scan,
}

impl AuditReader {
    /// Opens the log in `dir` for reading: reads `checkpoint.pub`, scans every segment and
    /// checks the chain and the signed checkpoints, as [`crate::AuditLog::open`] does, but
    /// without taking the lock or changing anything.
    ///
    /// # Errors
    /// [`OpenError::NotFound`] if `dir` does not exist or holds no log; [`OpenError::Damaged`] if
    /// a segment or checkpoint is damaged beyond a torn tail; [`OpenError::Io`] for file errors.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, OpenError> {
        Self::open_dir(dir.as_ref())
    }

    fn open_dir(dir: &Path) -> Result<Self, OpenError> {
        let public_key = match CheckpointPublicKey::read(dir) {
            Ok(key) => key,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(OpenError::NotFound { path: dir.to_path_buf() });
            }
            Err(source) => return Err(OpenError::Io { path: dir.join(PUBLIC_KEY_FILE), source }),
        };
        let mut index = Index::default();
        let mut scan = Scan::default();
        scan.advance(dir, &mut index)?;
        let index = Arc::new(RwLock::new(index));
        Ok(Self { view: LogView::new(dir, index, public_key, PolicyArchive::read_only(dir)), scan })
    }

    shared_reads!();

    /// Adds the records and checkpoints written since the last open or refresh, reading only
    /// the new bytes (cheap enough to poll for `symbi audit tail -f`). Returns how many records
    /// were added.
    ///
    /// # Errors
    /// [`OpenError::Damaged`] if what was added is damaged beyond a torn tail (the records
    /// before the damage stay in the view); [`OpenError::Io`] for file errors.
    pub fn refresh(&mut self) -> Result<u64, OpenError> {
        let mut index = self.view.index().write().unwrap_or_else(PoisonError::into_inner);
        self.scan.advance(self.view.dir(), &mut index)
    }

    /// The key that verifies this log's checkpoints, as read from `checkpoint.pub` on open. To
    /// check a log against tampering by whoever can write its directory, verify against a copy
    /// of the key kept elsewhere instead (see [`crate::verify_dir`]).
    pub const fn public_key(&self) -> &CheckpointPublicKey {
        self.view.public_key()
    }

    /// The archive of policy sets that decision records refer to, for replay. It is read-only
    /// here: archiving a text it does not hold yet fails.
    pub const fn policy_archive(&self) -> &PolicyArchive {
        self.view.policy_archive()
    }

    /// A proof that the record is in the log, against the newest checkpoint, which must already
    /// cover the record: a reader cannot sign one.
    ///
    /// # Errors
    /// [`ProveError::NotFound`] for an id not in the view; [`ProveError::NotCheckpointed`] if no
    /// checkpoint covers the record yet (refresh after the runtime signs one);
    /// [`ProveError::Read`] if the record cannot be read.
    pub fn proof(&self, event_id: EventId) -> Result<RecordProof, ProveError> {
        self.view.proof(event_id)
    }
}
