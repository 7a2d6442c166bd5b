//! The secret store's key and its AES-256-GCM sealing. The key is 32 random bytes kept as hex in
//! `<data dir>/secrets.key` (mode 0600, refused if other users can read it); the store holds only
//! sealed values. Each value is sealed with a fresh random nonce and bound, as associated data,
//! to its scope and name, so a sealed value copied onto another row does not open.
//!
//! Sealed layout: `0x01 ‖ key id (8) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`, where the key id is
//! the first 8 bytes of SHA-256 over the key, so a value sealed under another key file is named
//! as such instead of failing as damage.

use std::fmt;
use std::fs;
use std::io::{self, Write as _};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The layout version byte of sealed values.
const VERSION: u8 = 1;
const KEY_ID_LEN: usize = 8;
const KEY_LEN: usize = 32;

/// The key secrets are sealed with; never printed.
pub(super) struct SealKey {
    key: RandomizedNonceKey,
    id: [u8; KEY_ID_LEN],
}

/// Why the key file could not be used, or a value not sealed or opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// The key file does not exist (no secret was ever set in this data directory).
    #[error("no secret key at `{}`; set a secret with `symbi secrets set` first", path.display())]
    NoKey {
        /// The key file.
        path: PathBuf,
    },
    /// The key file could not be read or written.
    #[error("cannot use the secret key `{}`: {source}", path.display())]
    Io {
        /// The key file.
        path: PathBuf,
        /// The failure.
        #[source]
        source: io::Error,
    },
    /// Other users can read the key file, so it is not trusted.
    #[error("the secret key `{}` is readable by other users (mode {mode:o}); run `chmod 600` on it", path.display())]
    Exposed {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The key file is not 64 hex digits.
    #[error("the secret key `{}` is not 64 hex digits", path.display())]
    BadKey {
        /// The key file.
        path: PathBuf,
    },
    /// A stored value was sealed under a different key file.
    #[error("secret `{name}` was sealed with a different secret key than `secrets.key`")]
    OtherKey {
        /// The secret.
        name: String,
    },
    /// A stored value does not open: it was altered, moved to another name or scope, or damaged.
    #[error("secret `{name}` does not decrypt: it was altered or damaged")]
    Damaged {
        /// The secret.
        name: String,
    },
}

impl SealKey {
    /// Reads the key at `path`.
    ///
    /// # Errors
    ///
    /// [`SealError::NoKey`] when the file does not exist, [`SealError::Exposed`] when its mode
    /// lets other users read it, [`SealError::BadKey`] when it is not a 32-byte hex key.
    pub(super) fn load(path: &Path) -> Result<Self, SealError> {
        let io = |source| SealError::Io { path: path.to_owned(), source };
        let meta = match fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(SealError::NoKey { path: path.to_owned() }),
            Err(e) => return Err(io(e)),
        };
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(SealError::Exposed { path: path.to_owned(), mode });
        }
        let text = Zeroizing::new(fs::read_to_string(path).map_err(io)?);
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        hex::decode_to_slice(text.trim(), bytes.as_mut_slice())
            .map_err(|_| SealError::BadKey { path: path.to_owned() })?;
        Self::from_bytes(&bytes).ok_or_else(|| SealError::BadKey { path: path.to_owned() })
    }

    /// Reads the key at `path`, first creating it (32 random bytes, mode 0600, made durable)
    /// when there is none. Two processes creating it at once agree: only one file wins.
    ///
    /// # Errors
    ///
    /// As [`SealKey::load`], or when the file cannot be created.
    pub(super) fn load_or_create(path: &Path) -> Result<Self, SealError> {
        match Self::load(path) {
            Err(SealError::NoKey { .. }) => {}
            other => return other,
        }
        let io = |source| SealError::Io { path: path.to_owned(), source };
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        aws_lc_rs::rand::fill(bytes.as_mut_slice()).map_err(|_| io(io::Error::other("no randomness")))?;
        let text = Zeroizing::new(format!("{}\n", hex::encode(bytes.as_slice())));
        match fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
            Ok(mut file) => {
                file.write_all(text.as_bytes()).and_then(|()| file.sync_all()).map_err(io)?;
                if let Some(dir) = path.parent() {
                    fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
                }
            }
            // Another process made it first: use theirs.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io(e)),
        }
        Self::load(path)
    }

    fn from_bytes(bytes: &[u8; KEY_LEN]) -> Option<Self> {
        let key = RandomizedNonceKey::new(&AES_256_GCM, bytes).ok()?;
        let digest = Sha256::digest(bytes);
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(digest.get(..KEY_ID_LEN)?);
        Some(Self { key, id })
    }

    /// Seals `value` for `name` in `scope`.
    pub(super) fn seal(&self, scope: &str, name: &str, value: &str) -> Result<Vec<u8>, SealError> {
        let mut in_out = Zeroizing::new(value.as_bytes().to_vec());
        let nonce = self
            .key
            .seal_in_place_append_tag(Aad::from(aad(scope, name)), &mut *in_out)
            .map_err(|_| SealError::Damaged { name: name.to_owned() })?;
        let mut out = Vec::with_capacity(1 + KEY_ID_LEN + NONCE_LEN + in_out.len());
        out.push(VERSION);
        out.extend_from_slice(&self.id);
        let nonce: &[u8; NONCE_LEN] = nonce.as_ref();
        out.extend_from_slice(nonce);
        out.extend_from_slice(&in_out);
        Ok(out)
    }

    /// Opens a value sealed for `name` in `scope`.
    pub(super) fn open(&self, scope: &str, name: &str, sealed: &[u8]) -> Result<Zeroizing<String>, SealError> {
        let damaged = || SealError::Damaged { name: name.to_owned() };
        let (&version, rest) = sealed.split_first().ok_or_else(damaged)?;
        if version != VERSION || rest.len() < KEY_ID_LEN + NONCE_LEN {
            return Err(damaged());
        }
        let (id, rest) = rest.split_at(KEY_ID_LEN);
        if id != self.id {
            return Err(SealError::OtherKey { name: name.to_owned() });
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| damaged())?;
        let mut in_out = Zeroizing::new(ciphertext.to_vec());
        let plain = self.key.open_in_place(nonce, Aad::from(aad(scope, name)), &mut in_out).map_err(|_| damaged())?;
        let text = std::str::from_utf8(plain).map_err(|_| damaged())?;
        Ok(Zeroizing::new(text.to_owned()))
    }
}

impl fmt::Debug for SealKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealKey").field("id", &hex::encode(self.id)).finish_non_exhaustive()
    }
}

/// The associated data a value is bound to: layout version, scope and name.
fn aad(scope: &str, name: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(24 + scope.len() + name.len());
    aad.extend_from_slice(b"symbi-secret-v1\0");
    aad.extend_from_slice(scope.as_bytes());
    aad.push(0);
    aad.extend_from_slice(name.as_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_under_their_key_scope_and_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.key");
        let key = SealKey::load_or_create(&path).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        let sealed = key.seal("", "API_TOKEN", "hunter2-value").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"hunter"), "the value is not stored in clear");
        assert_eq!(key.open("", "API_TOKEN", &sealed).unwrap().as_str(), "hunter2-value");
        assert!(matches!(key.open("", "OTHER", &sealed), Err(SealError::Damaged { .. })));
        assert!(matches!(key.open("agent-a", "API_TOKEN", &sealed), Err(SealError::Damaged { .. })));
        let mut flipped = sealed.clone();
        if let Some(last) = flipped.last_mut() {
            *last ^= 1;
        }
        assert!(matches!(key.open("", "API_TOKEN", &flipped), Err(SealError::Damaged { .. })));
        assert_ne!(key.seal("", "API_TOKEN", "hunter2-value").unwrap(), sealed, "fresh nonce per seal");
        // Reloading gives the same key; another key file cannot open the value.
        assert_eq!(SealKey::load(&path).unwrap().open("", "API_TOKEN", &sealed).unwrap().as_str(), "hunter2-value");
        let other = SealKey::load_or_create(&dir.path().join("other.key")).unwrap();
        assert!(matches!(other.open("", "API_TOKEN", &sealed), Err(SealError::OtherKey { .. })));
        assert!(!format!("{key:?}").contains(&fs::read_to_string(&path).unwrap().trim()[..16]));
    }

    #[test]
    fn a_key_file_others_can_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.key");
        SealKey::load_or_create(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(SealKey::load(&path), Err(SealError::Exposed { .. })));
        assert!(matches!(SealKey::load(&dir.path().join("none.key")), Err(SealError::NoKey { .. })));
        fs::write(dir.path().join("bad.key"), "zz").unwrap();
        fs::set_permissions(dir.path().join("bad.key"), fs::Permissions::from_mode(0o600)).unwrap();
        assert!(matches!(SealKey::load(&dir.path().join("bad.key")), Err(SealError::BadKey { .. })));
    }
}
