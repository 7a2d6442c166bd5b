//! Fetching discovery and revocation documents: the crate's one network path, behind a trait.
//!
//! [`Fetcher`] owns the policy (HTTPS only, no userinfo, size and time limits, at most a few
//! redirects and none to a private or loopback address, a short cache, revocation fail-closed);
//! the runtime supplies the [`Transport`] that moves bytes, and calls the fetcher through the
//! Governor so every outbound request is an audited action.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::discovery::{DiscoveryDocument, DiscoveryError};
use crate::names::Domain;
use crate::revocation::{RevocationDocument, RevocationError};

/// One GET for a [`Transport`] to perform.
#[derive(Debug, Clone, Copy)]
pub struct TransportRequest<'a> {
    /// An `https://` URL whose host the fetcher has checked.
    pub url: &'a str,
    /// Read at most this many body bytes plus one, then stop: the fetcher refuses anything
    /// longer, and the extra byte tells it so.
    pub max_bytes: usize,
    /// Give up on the whole exchange after this long.
    pub timeout: Duration,
    /// Which resolved addresses the transport may connect to; it must check every address it
    /// resolves the host to, which a URL check alone cannot do (DNS rebinding).
    pub addresses: AddressPolicy,
}

/// What a [`Transport`] got back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportResponse {
    /// The HTTP status.
    pub status: u16,
    /// The `Location` header, for redirects.
    pub location: Option<String>,
    /// The body, at most `max_bytes + 1` bytes.
    pub body: Vec<u8>,
}

/// A transport failure, in the transport's own words.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct TransportError {
    /// What went wrong.
    pub message: String,
}

/// Moves bytes for the [`Fetcher`]. Implementations must not follow redirects (the fetcher
/// judges each hop), must verify TLS certificates, and must enforce the request's address
/// policy, size cap and timeout.
pub trait Transport: Send + Sync {
    /// Performs one GET.
    ///
    /// # Errors
    ///
    /// [`TransportError`] for anything that produced no HTTP response.
    fn get(&self, request: &TransportRequest<'_>) -> Result<TransportResponse, TransportError>;
}

/// Which IP addresses an outbound fetch may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AddressPolicy {
    allow_loopback: bool,
}

impl AddressPolicy {
    /// Public addresses only.
    pub fn public_only() -> Self {
        Self { allow_loopback: false }
    }

    /// Public and loopback addresses: for tests and local development against a server on
    /// this machine. Private, link-local and other special ranges stay refused.
    pub fn insecure_allow_loopback() -> Self {
        Self { allow_loopback: true }
    }

    /// Whether `ip` may be connected to.
    pub fn permits(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(v4) => self.permits_v4(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => self.permits_v4(v4),
                None => self.permits_v6(v6),
            },
        }
    }

    fn permits_v4(self, ip: Ipv4Addr) -> bool {
        if ip.is_loopback() {
            return self.allow_loopback;
        }
        let [a, b, ..] = ip.octets();
        let shared = a == 100 && (64..128).contains(&b);
        let this_network = a == 0;
        !(ip.is_private()
            || ip.is_link_local()
            || ip.is_unspecified()
            || ip.is_broadcast()
            || ip.is_multicast()
            || ip.is_documentation()
            || shared
            || this_network
            || a >= 240)
    }

    fn permits_v6(self, ip: Ipv6Addr) -> bool {
        if ip.is_loopback() {
            return self.allow_loopback;
        }
        let first = ip.segments().first().copied().unwrap_or(0);
        let unique_local = first & 0xfe00 == 0xfc00;
        let link_local = first & 0xffc0 == 0xfe80;
        let documentation = first == 0x2001 && ip.segments().get(1) == Some(&0x0db8);
        !(ip.is_unspecified() || ip.is_multicast() || unique_local || link_local || documentation)
    }
}

/// Fetcher limits.
#[derive(Debug, Clone, Copy)]
pub struct FetcherConfig {
    /// Largest document accepted; discovery documents are a few kilobytes.
    pub max_bytes: usize,
    /// Time limit per request.
    pub timeout: Duration,
    /// Redirect hops followed before giving up.
    pub max_redirects: usize,
    /// How long a fetched document is reused.
    pub cache_ttl: Duration,
    /// Which addresses may be reached.
    pub addresses: AddressPolicy,
}

impl Default for FetcherConfig {
    fn default() -> Self {
        Self {
            max_bytes: 64 * 1024,
            timeout: Duration::from_secs(5),
            max_redirects: 3,
            cache_ttl: Duration::from_secs(300),
            addresses: AddressPolicy::public_only(),
        }
    }
}

/// Why a document could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The URL is not `https://host[:port]/…` without userinfo.
    #[error("`{url}` is not an https URL without credentials")]
    NotHttps {
        /// The URL.
        url: String,
    },
    /// The host is an address, or a name, the address policy refuses.
    #[error("`{host}` is a private, loopback or reserved address")]
    ForbiddenAddress {
        /// The host.
        host: String,
    },
    /// More redirects than allowed, or a redirect without a `Location`.
    #[error("too many or broken redirects fetching `{url}`")]
    Redirects {
        /// The URL first asked for.
        url: String,
    },
    /// The server answered with a non-success status.
    #[error("`{url}` answered HTTP {status}")]
    Status {
        /// The URL.
        url: String,
        /// The status.
        status: u16,
    },
    /// The body is larger than allowed.
    #[error("`{url}` sent more than {limit} bytes")]
    TooLarge {
        /// The URL.
        url: String,
        /// The limit.
        limit: usize,
    },
    /// The transport failed.
    #[error("fetching `{url}` failed: {source}")]
    Transport {
        /// The URL.
        url: String,
        /// The transport's error.
        source: TransportError,
    },
    /// The discovery document is invalid.
    #[error("discovery document of `{domain}` is invalid: {source}")]
    Discovery {
        /// The domain.
        domain: Domain,
        /// What was wrong.
        source: DiscoveryError,
    },
    /// The revocation document is invalid. Revocation fails closed: a domain that publishes
    /// an endpoint is not trusted while its list cannot be read.
    #[error("revocation document of `{domain}` is invalid: {source}")]
    Revocation {
        /// The domain.
        domain: Domain,
        /// What was wrong.
        source: RevocationError,
    },
}

impl FetchError {
    /// The ecosystem's error code: `DISCOVERY_INVALID` for bad documents, otherwise
    /// `DISCOVERY_FETCH_FAILED`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Discovery { .. } | Self::Revocation { .. } => "DISCOVERY_INVALID",
            Self::NotHttps { .. }
            | Self::ForbiddenAddress { .. }
            | Self::Redirects { .. }
            | Self::Status { .. }
            | Self::TooLarge { .. }
            | Self::Transport { .. } => "DISCOVERY_FETCH_FAILED",
        }
    }
}

/// Fetches and caches discovery and revocation documents.
pub struct Fetcher {
    transport: Arc<dyn Transport>,
    config: FetcherConfig,
    cache: Mutex<HashMap<String, (Instant, Vec<u8>)>>,
}

impl fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fetcher").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Fetcher {
    /// A fetcher over `transport`.
    pub fn new(transport: Arc<dyn Transport>, config: FetcherConfig) -> Self {
        Self { transport, config, cache: Mutex::new(HashMap::new()) }
    }

    /// Fetches `https://{domain}/.well-known/schemapin.json` and, when it names a
    /// `revocation_endpoint`, that document too (fail-closed).
    ///
    /// # Errors
    ///
    /// Any [`FetchError`].
    pub fn discovery(&self, domain: &Domain) -> Result<(DiscoveryDocument, Option<RevocationDocument>), FetchError> {
        let url = format!("https://{domain}/.well-known/schemapin.json");
        let bytes = self.fetch(&url)?;
        let discovery = DiscoveryDocument::from_json(&bytes)
            .map_err(|source| FetchError::Discovery { domain: domain.clone(), source })?;
        let revocation = match discovery.revocation_endpoint() {
            Some(endpoint) => {
                let bytes = self.fetch(endpoint)?;
                let doc = RevocationDocument::from_json(&bytes)
                    .map_err(|source| FetchError::Revocation { domain: domain.clone(), source })?;
                Some(doc)
            }
            None => None,
        };
        Ok((discovery, revocation))
    }

    /// Fetches one URL under the fetcher's rules, from the cache when fresh.
    ///
    /// # Errors
    ///
    /// Any [`FetchError`] but the document ones.
    pub fn fetch(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        if let Some(bytes) = self.cached(url) {
            return Ok(bytes);
        }
        let mut current = url.to_owned();
        for _ in 0..=self.config.max_redirects {
            let origin = self.check_url(&current)?;
            let request = TransportRequest {
                url: &current,
                max_bytes: self.config.max_bytes,
                timeout: self.config.timeout,
                addresses: self.config.addresses,
            };
            let response = self
                .transport
                .get(&request)
                .map_err(|source| FetchError::Transport { url: current.clone(), source })?;
            match response.status {
                200 => {
                    if response.body.len() > self.config.max_bytes {
                        return Err(FetchError::TooLarge { url: current, limit: self.config.max_bytes });
                    }
                    self.store(url, &response.body);
                    return Ok(response.body);
                }
                301 | 302 | 303 | 307 | 308 => {
                    let location = response.location.ok_or_else(|| FetchError::Redirects { url: url.to_owned() })?;
                    current = if location.starts_with('/') { format!("{origin}{location}") } else { location };
                }
                status => return Err(FetchError::Status { url: current, status }),
            }
        }
        Err(FetchError::Redirects { url: url.to_owned() })
    }

    /// Checks scheme, userinfo and host; returns the origin (`https://host[:port]`).
    fn check_url<'u>(&self, url: &'u str) -> Result<&'u str, FetchError> {
        let not_https = || FetchError::NotHttps { url: url.to_owned() };
        let rest = url.strip_prefix("https://").ok_or_else(not_https)?;
        let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = rest.get(..authority_len).ok_or_else(not_https)?;
        if authority.is_empty() || authority.contains('@') {
            return Err(not_https());
        }
        let host = match authority.strip_prefix('[') {
            Some(v6) => v6.split_once(']').map(|(h, _)| h).ok_or_else(not_https)?,
            None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
        };
        let forbidden = || FetchError::ForbiddenAddress { host: host.to_owned() };
        match host.parse::<IpAddr>() {
            Ok(ip) if !self.config.addresses.permits(ip) => return Err(forbidden()),
            Ok(_) => {}
            Err(_) => {
                let name = host.trim_end_matches('.').to_ascii_lowercase();
                let loopback_name = name == "localhost" || name.ends_with(".localhost");
                if loopback_name && !self.config.addresses.allow_loopback {
                    return Err(forbidden());
                }
                Domain::new(&name).map_err(|_| not_https())?;
            }
        }
        url.get(..8 + authority_len).ok_or_else(not_https)
    }

    fn cached(&self, url: &str) -> Option<Vec<u8>> {
        let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        cache.get(url).filter(|(at, _)| at.elapsed() < self.config.cache_ttl).map(|(_, bytes)| bytes.clone())
    }

    fn store(&self, url: &str, bytes: &[u8]) {
        // The cache only ever holds whole entries, so a poisoned lock still guards valid data.
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        cache.retain(|_, (at, _)| at.elapsed() < self.config.cache_ttl);
        cache.insert(url.to_owned(), (Instant::now(), bytes.to_vec()));
    }
}
