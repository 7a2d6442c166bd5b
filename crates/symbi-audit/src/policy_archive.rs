//! The content-addressed archive of policy sets. A decision record names the policy set it was
//! decided under by hash; the archive keeps the text so `symbi audit replay` can re-evaluate the
//! decision long after the policies changed. Files are written once and never rewritten.

use std::fs;
use std::path::{Path, PathBuf};

use crate::fsutil;
use crate::hash::Sha256Hash;

/// The folder of archived policy sets inside a log's data directory.
const POLICY_DIR: &str = "policies";

/// Policy set texts stored under the SHA-256 of their UTF-8 bytes.
#[derive(Debug, Clone)]
pub struct PolicyArchive {
    dir: PathBuf,
    /// Whether this handle may store texts: only the writer's may, so a reader of a log another
    /// process appends to never writes into its directory.
    writable: bool,
}

impl PolicyArchive {
    pub(crate) fn open(data_dir: &Path) -> std::io::Result<Self> {
        let dir = data_dir.join(POLICY_DIR);
        fs::create_dir_all(&dir)?;
        Ok(Self { dir, writable: true })
    }

    /// The archive of the log in `data_dir` for a process that does not hold the log but submits
    /// decision records through its inbox (`symbi policy evaluate`): archived texts are
    /// content-addressed and written whole with a rename, so this is safe beside the holder.
    ///
    /// # Errors
    /// The log's directory does not exist (no log was ever created there), or the archive folder
    /// cannot be created.
    pub fn for_submitter(data_dir: &Path) -> std::io::Result<Self> {
        if !data_dir.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("no audit log in `{}`", data_dir.display()),
            ));
        }
        Self::open(data_dir)
    }

    /// The archive of `data_dir` for reading only; creates nothing.
    pub(crate) fn read_only(data_dir: &Path) -> Self {
        Self { dir: data_dir.join(POLICY_DIR), writable: false }
    }

    /// Stores `text` (once) and returns its hash, the value for
    /// [`crate::ReplayInputs::policy_set`]. The caller decides how a multi-file policy set
    /// becomes one text; the same text always gives the same hash.
    ///
    /// # Errors
    /// The file cannot be written durably; or this is the archive of a read-only
    /// [`crate::AuditReader`] and the text is not archived yet ([`std::io::ErrorKind::PermissionDenied`]).
    pub fn archive(&self, text: &str) -> std::io::Result<Sha256Hash> {
        let hash = Sha256Hash::digest(text.as_bytes());
        let name = file_name(&hash);
        if !self.dir.join(&name).exists() {
            if !self.writable {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    "cannot archive a policy set through a read-only audit reader",
                ));
            }
            fsutil::write_new_file(&self.dir, &name, text.as_bytes(), 0o644)?;
        }
        Ok(hash)
    }

    /// Whether the set with `hash` is archived. A process that remembers a set's hash (a hook's
    /// cache of the compiled set) checks this instead of rebuilding and rehashing the text.
    pub fn contains(&self, hash: &Sha256Hash) -> bool {
        self.dir.join(file_name(hash)).is_file()
    }

    /// The policy set text with `hash`, or `None` if it was never archived.
    ///
    /// # Errors
    /// The file cannot be read, or its content no longer matches its hash.
    pub fn get(&self, hash: &Sha256Hash) -> std::io::Result<Option<String>> {
        let path = self.dir.join(file_name(hash));
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(error),
        };
        if Sha256Hash::digest(text.as_bytes()) != *hash {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("archived policy set `{}` does not match its hash", path.display()),
            ));
        }
        Ok(Some(text))
    }
}

fn file_name(hash: &Sha256Hash) -> String {
    format!("{}.policy", hex::encode(hash.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_is_content_addressed_and_detects_edits() {
        let dir = tempfile::tempdir().unwrap();
        let archive = PolicyArchive::open(dir.path()).unwrap();
        let text = "permit(principal, action, resource);";
        let hash = archive.archive(text).unwrap();
        assert_eq!(archive.archive(text).unwrap(), hash);
        assert_eq!(archive.get(&hash).unwrap().as_deref(), Some(text));
        assert_eq!(archive.get(&Sha256Hash::digest(b"other")).unwrap(), None);
        fs::write(dir.path().join(POLICY_DIR).join(file_name(&hash)), "forbid(principal, action, resource);").unwrap();
        assert!(archive.get(&hash).is_err());
    }
}
