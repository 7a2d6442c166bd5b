//! Where discovery and revocation documents come from. This crate does no network I/O: the
//! runtime implements [`Resolver`] over HTTPS (or fetches asynchronously into a
//! [`crate::TrustBundle`] first), and [`LocalFileResolver`] reads documents from a directory for
//! offline and air-gapped use.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::discovery::{DiscoveryDocument, MAX_DISCOVERY_BYTES, is_domain};
use crate::json::DocumentError;
use crate::revocation::{MAX_REVOCATION_BYTES, RevocationDocument};

/// Why a document could not be obtained.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// Nothing is known about this domain.
    #[error("no discovery document for `{domain}`")]
    NotFound {
        /// The domain.
        domain: String,
    },
    /// The domain is not a domain name (and so never becomes a file name or URL).
    #[error("`{domain}` is not a domain name")]
    InvalidDomain {
        /// The offending text, shortened.
        domain: String,
    },
    /// Reading the document failed.
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The document was obtained but is not valid.
    #[error("invalid document `{origin}`: {source}")]
    Invalid {
        /// Where it came from.
        origin: String,
        /// What is wrong.
        #[source]
        source: DocumentError,
    },
    /// A revocation endpoint is declared but could not be read (verification fails closed).
    #[error("revocation document for `{domain}` is unavailable")]
    RevocationUnavailable {
        /// The domain.
        domain: String,
    },
}

/// A source of discovery and revocation documents, keyed by domain.
pub trait Resolver: Send + Sync {
    /// The discovery document of `domain`.
    ///
    /// Fails when the document cannot be obtained or is invalid.
    fn discovery(&self, domain: &str) -> Result<Arc<DiscoveryDocument>, ResolveError>;

    /// The revocation document of `domain`; `Ok(None)` when the domain publishes none.
    ///
    /// Fails when a published document cannot be obtained, which verification treats as a
    /// refusal (fail closed).
    fn revocation(&self, domain: &str) -> Result<Option<Arc<RevocationDocument>>, ResolveError>;
}

/// Reads `{dir}/{domain}.json` and `{dir}/{domain}.revocations.json`, the layout of the
/// ecosystem's local-file resolver. A missing revocation file means "no revocations".
#[derive(Debug, Clone)]
pub struct LocalFileResolver {
    dir: PathBuf,
}

impl LocalFileResolver {
    /// A resolver over `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    fn path(&self, domain: &str, suffix: &str) -> Result<PathBuf, ResolveError> {
        // INVARIANT (domain-file-name): only lower-case DNS names reach the file system, so a
        // hostile `iss` such as `../../etc/passwd` can never name a file outside `dir`.
        if !is_domain(domain) {
            return Err(ResolveError::InvalidDomain { domain: domain.chars().take(64).collect() });
        }
        Ok(self.dir.join(format!("{domain}{suffix}")))
    }
}

impl Resolver for LocalFileResolver {
    fn discovery(&self, domain: &str) -> Result<Arc<DiscoveryDocument>, ResolveError> {
        let path = self.path(domain, ".json")?;
        let bytes = read_capped(&path, MAX_DISCOVERY_BYTES).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => ResolveError::NotFound { domain: domain.to_owned() },
            _ => ResolveError::Io { path: path.clone(), source },
        })?;
        let doc = DiscoveryDocument::from_json(&bytes)
            .map_err(|source| ResolveError::Invalid { origin: path.display().to_string(), source })?;
        Ok(Arc::new(doc))
    }

    fn revocation(&self, domain: &str) -> Result<Option<Arc<RevocationDocument>>, ResolveError> {
        let path = self.path(domain, ".revocations.json")?;
        let bytes = match read_capped(&path, MAX_REVOCATION_BYTES) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(ResolveError::Io { path, source }),
        };
        let doc = RevocationDocument::from_json(&bytes)
            .map_err(|source| ResolveError::Invalid { origin: path.display().to_string(), source })?;
        Ok(Some(Arc::new(doc)))
    }
}

/// Reads at most `max + 1` bytes so that an oversized file is refused by the decoder's size check
/// without being read whole.
fn read_capped(path: &Path, max: usize) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    File::open(path)?.take(limit).read_to_end(&mut bytes)?;
    Ok(bytes)
}
