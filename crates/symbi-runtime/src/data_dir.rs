//! The data directory: where the store, the audit log and the first admin key live. Created with mode 0700 and
//! tightened to it if it is open to other users, since it holds key hashes and (once) a token.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The audit log's directory inside data directory `data_dir`, prepared or not (the CLI reads
/// the log of a runtime without preparing anything).
pub fn audit_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("audit")
}

/// A prepared data directory.
#[derive(Debug, Clone)]
pub struct DataDir {
    path: PathBuf,
}

/// What went wrong preparing the data directory.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataDirError {
    /// A filesystem call failed.
    #[error("cannot prepare the data directory `{path}`: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
}

impl DataDir {
    /// Creates the directory (and parents) if needed and makes sure only its owner can use it.
    ///
    /// Fails if it cannot be created or its permissions cannot be set.
    pub fn prepare(path: &Path) -> Result<Self, DataDirError> {
        let io = |source| DataDirError::Io { path: path.to_owned(), source };
        let existed = path.exists();
        fs::create_dir_all(path).map_err(io)?;
        let mode = fs::metadata(path).map_err(io)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            fs::set_permissions(path, fs::Permissions::from_mode(0o700)).map_err(io)?;
            if existed {
                // Someone chose (or a tool left) a looser mode; say that we changed it.
                tracing::warn!(path = %path.display(), old_mode = format!("{mode:o}"), "tightened data directory to 0700");
            }
        }
        Ok(Self { path: path.to_owned() })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The embedded store's database file.
    pub fn store_file(&self) -> PathBuf {
        self.path.join("store.db")
    }

    /// The audit log's directory: segments, checkpoints, the checkpoint key pair and the policy
    /// archive.
    pub fn audit_dir(&self) -> PathBuf {
        audit_dir(&self.path)
    }

    /// Where the first admin key is written.
    pub fn admin_key_file(&self) -> PathBuf {
        self.path.join("admin.key")
    }

    /// Writes `contents` to `name` inside the directory with mode 0600, replacing any old file
    /// atomically (write to a temporary file, then rename).
    pub fn write_private(&self, name: &str, contents: &str) -> Result<PathBuf, DataDirError> {
        let target = self.path.join(name);
        let temp = self.path.join(format!(".{name}.tmp"));
        let io = |source| DataDirError::Io { path: target.clone(), source };
        let _ = fs::remove_file(&temp);
        let mut file = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temp).map_err(io)?;
        file.write_all(contents.as_bytes()).and_then(|()| file.sync_all()).map_err(io)?;
        fs::rename(&temp, &target).map_err(io)?;
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_private_and_tightened() {
        let root = tempfile::tempdir().unwrap();
        let dir = DataDir::prepare(&root.path().join("a/b")).unwrap();
        assert_eq!(fs::metadata(dir.path()).unwrap().permissions().mode() & 0o777, 0o700);
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o777)).unwrap();
        DataDir::prepare(dir.path()).unwrap();
        assert_eq!(fs::metadata(dir.path()).unwrap().permissions().mode() & 0o777, 0o700);
        let file = dir.write_private("admin.key", "x").unwrap();
        dir.write_private("admin.key", "y").unwrap();
        assert_eq!(fs::read_to_string(&file).unwrap(), "y");
        assert_eq!(fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }
}
