//! `[network]` and `[trust]`: how the runtime reaches other machines (certificate authorities,
//! pinned addresses for tests) and how it fetches SchemaPin and AgentPin documents (on or off,
//! limits, cache, loopback for development).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::{ConfigError, invalid, positive_ms};

/// `[network]`: outbound connections of the runtime, for discovery fetches and `[http]` tools.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkSettings {
    /// PEM files of certificate authorities trusted for outbound HTTPS on top of the built-in
    /// Web PKI roots (a development or test CA); absolute once loaded.
    pub extra_ca_files: Vec<PathBuf>,
    /// Hosts connected to a fixed address instead of being resolved, like `curl --resolve`
    /// (tests, local development). The address still passes every address check, and the
    /// certificate must still name the host.
    pub resolve: BTreeMap<String, SocketAddr>,
}

/// `[trust]`: fetching SchemaPin and AgentPin discovery and revocation documents over HTTPS for
/// domains whose documents are not kept locally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustSettings {
    /// Fetch documents of domains that have no local document. Off: only local documents (and
    /// bundles) are used, and an unknown domain is refused.
    pub fetch: bool,
    /// Largest document accepted, in bytes.
    pub max_document_bytes: usize,
    /// Time limit of one request, from name lookup to the last body byte.
    pub fetch_timeout: Duration,
    /// How long a fetched document is reused before it is fetched again.
    pub cache_ttl: Duration,
    /// Redirect hops a SchemaPin fetch follows (never to a private address); AgentPin follows
    /// none, as its specification says.
    pub max_redirects: usize,
    /// Let fetches reach loopback addresses (`127.0.0.1`, `::1`, `localhost`): tests and local
    /// development only. Private, link-local and other internal ranges stay refused.
    pub dangerous_allow_loopback: bool,
}

impl Default for TrustSettings {
    fn default() -> Self {
        Self {
            fetch: true,
            max_document_bytes: 64 * 1024,
            fetch_timeout: Duration::from_secs(5),
            cache_ttl: Duration::from_secs(300),
            max_redirects: 3,
            dangerous_allow_loopback: false,
        }
    }
}

/// `[network]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNetwork {
    extra_ca_files: Option<Vec<PathBuf>>,
    #[serde(default)]
    resolve: BTreeMap<String, String>,
}

/// `[trust]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTrust {
    fetch: Option<bool>,
    max_document_bytes: Option<usize>,
    fetch_timeout_ms: Option<u64>,
    cache_ttl_secs: Option<u64>,
    max_redirects: Option<usize>,
    dangerous_allow_loopback: Option<bool>,
}

impl RawNetwork {
    pub(super) fn apply(self, target: &mut NetworkSettings) -> Result<(), ConfigError> {
        if let Some(files) = self.extra_ca_files {
            target.extra_ca_files = files;
        }
        for (host, address) in self.resolve {
            let key = format!("network.resolve.\"{host}\"");
            let name = host.trim_end_matches('.').to_ascii_lowercase();
            let name_ok = !name.is_empty()
                && name.split('.').all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
            if !name_ok {
                return Err(invalid(&key, &host, "expected a host name such as `agents.example.test`"));
            }
            let address = address
                .parse::<SocketAddr>()
                .map_err(|_| invalid(&key, &address, "expected an address and port such as `127.0.0.1:8443`"))?;
            target.resolve.insert(name, address);
        }
        Ok(())
    }
}

impl RawTrust {
    pub(super) fn apply(self, target: &mut TrustSettings) -> Result<(), ConfigError> {
        if let Some(v) = self.fetch {
            target.fetch = v;
        }
        if let Some(v) = self.max_document_bytes {
            if v == 0 {
                return Err(invalid("trust.max_document_bytes", "0", "expected at least 1"));
            }
            target.max_document_bytes = v;
        }
        if let Some(v) = self.fetch_timeout_ms {
            target.fetch_timeout = positive_ms("trust.fetch_timeout_ms", v)?;
        }
        if let Some(v) = self.cache_ttl_secs {
            target.cache_ttl = Duration::from_secs(v);
        }
        if let Some(v) = self.max_redirects {
            target.max_redirects = v;
        }
        if let Some(v) = self.dangerous_allow_loopback {
            target.dangerous_allow_loopback = v;
        }
        Ok(())
    }
}

impl NetworkSettings {
    /// Takes relative CA file paths from `project_dir`.
    pub(super) fn anchor(&mut self, project_dir: &Path) {
        for file in &mut self.extra_ca_files {
            if file.is_relative() {
                *file = project_dir.join(&*file);
            }
        }
    }
}
