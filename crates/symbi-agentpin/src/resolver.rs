//! Where discovery and revocation documents come from. This crate does no network I/O: the
//! runtime implements [`Resolver`] over HTTPS (or fetches asynchronously into a
//! [`crate::TrustBundle`] first), [`LocalFileResolver`] reads documents from a directory for
//! offline and air-gapped use, and [`ChainResolver`] asks one source after another.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

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
    /// Fetching a document failed (refused URL or address, transport, status, size, time).
    #[error("cannot fetch `{url}`: {reason}")]
    Fetch {
        /// The URL asked for.
        url: String,
        /// Why, in the fetcher's words.
        reason: String,
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
///
/// Decoded documents are kept and reused while the file's modification time and length stay
/// the same, so a long-lived resolver reads and decodes a file once per change, not per call.
/// Clones share that cache.
#[derive(Debug, Clone)]
pub struct LocalFileResolver {
    dir: PathBuf,
    cache: Arc<Mutex<HashMap<PathBuf, Cached>>>,
}

/// A decoded file and the stamp it was read at.
#[derive(Debug, Clone)]
struct Cached {
    stamp: Stamp,
    document: CachedDocument,
}

/// What tells one version of a file from the next: its modification time and length. A rewrite
/// to the same length within one tick of the file system's clock goes unseen until the next
/// change; files without a modification time are never cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
}

#[derive(Debug, Clone)]
enum CachedDocument {
    Discovery(Arc<DiscoveryDocument>),
    Revocation(Arc<RevocationDocument>),
}

impl LocalFileResolver {
    /// A resolver over `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into(), cache: Arc::default() }
    }

    /// The cached document of `path` if the file still has the stamp it was read at, else
    /// `None`; `Err` when the file cannot be looked at (missing included).
    fn cached(&self, path: &Path) -> std::io::Result<(Option<CachedDocument>, Stamp)> {
        let meta = std::fs::metadata(path)?;
        let stamp = Stamp { modified: meta.modified().ok(), len: meta.len() };
        // The cache holds only whole entries, so a poisoned lock still guards valid data.
        let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        let hit =
            cache.get(path).filter(|c| c.stamp.modified.is_some() && c.stamp == stamp).map(|c| c.document.clone());
        Ok((hit, stamp))
    }

    fn remember(&self, path: PathBuf, stamp: Stamp, document: CachedDocument) {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        cache.insert(path, Cached { stamp, document });
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
        let io_error = |source: std::io::Error| match source.kind() {
            std::io::ErrorKind::NotFound => ResolveError::NotFound { domain: domain.to_owned() },
            _ => ResolveError::Io { path: path.clone(), source },
        };
        let (hit, stamp) = self.cached(&path).map_err(io_error)?;
        if let Some(CachedDocument::Discovery(doc)) = hit {
            return Ok(doc);
        }
        let bytes = read_capped(&path, MAX_DISCOVERY_BYTES).map_err(io_error)?;
        let doc = Arc::new(
            DiscoveryDocument::from_json(&bytes)
                .map_err(|source| ResolveError::Invalid { origin: path.display().to_string(), source })?,
        );
        self.remember(path, stamp, CachedDocument::Discovery(Arc::clone(&doc)));
        Ok(doc)
    }

    fn revocation(&self, domain: &str) -> Result<Option<Arc<RevocationDocument>>, ResolveError> {
        let path = self.path(domain, ".revocations.json")?;
        let (hit, stamp) = match self.cached(&path) {
            Ok(found) => found,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(ResolveError::Io { path, source }),
        };
        if let Some(CachedDocument::Revocation(doc)) = hit {
            return Ok(Some(doc));
        }
        let bytes = match read_capped(&path, MAX_REVOCATION_BYTES) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(ResolveError::Io { path, source }),
        };
        let doc = Arc::new(
            RevocationDocument::from_json(&bytes)
                .map_err(|source| ResolveError::Invalid { origin: path.display().to_string(), source })?,
        );
        self.remember(path, stamp, CachedDocument::Revocation(Arc::clone(&doc)));
        Ok(Some(doc))
    }
}

/// Asks each resolver in turn. The first that has a discovery document for the domain answers
/// both the discovery and the revocation question, so a domain's revocations always come from
/// the same source as its keys. Only [`ResolveError::NotFound`] passes the question on; any other
/// failure is the answer (a local file that does not decode is not papered over by a fetch).
#[derive(Clone, Default)]
pub struct ChainResolver {
    sources: Vec<Arc<dyn Resolver>>,
}

impl std::fmt::Debug for ChainResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainResolver").field("sources", &self.sources.len()).finish()
    }
}

impl ChainResolver {
    /// A chain over `sources`, asked in order.
    pub fn new(sources: Vec<Arc<dyn Resolver>>) -> Self {
        Self { sources }
    }

    /// The first source with a discovery document for `domain`, and that document.
    fn first(&self, domain: &str) -> Result<(&dyn Resolver, Arc<DiscoveryDocument>), ResolveError> {
        for source in &self.sources {
            match source.discovery(domain) {
                Ok(doc) => return Ok((&**source, doc)),
                Err(ResolveError::NotFound { .. }) => {}
                Err(other) => return Err(other),
            }
        }
        Err(ResolveError::NotFound { domain: domain.to_owned() })
    }
}

impl Resolver for ChainResolver {
    fn discovery(&self, domain: &str) -> Result<Arc<DiscoveryDocument>, ResolveError> {
        self.first(domain).map(|(_, doc)| doc)
    }

    fn revocation(&self, domain: &str) -> Result<Option<Arc<RevocationDocument>>, ResolveError> {
        let (source, _) = self.first(domain)?;
        source.revocation(domain)
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
