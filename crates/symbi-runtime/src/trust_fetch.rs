//! Fetching SchemaPin and AgentPin documents over HTTPS: the runtime's [`Transport`] for
//! SchemaPin's [`Fetcher`] (which holds the fetch policy: HTTPS only, no credentials in the URL,
//! size and time limits, the address policy on every redirect hop, a cache) and an AgentPin
//! [`Resolver`] on the same policy that follows no redirect, as AgentPin's specification says.
//!
//! Every request is an audited action of whoever fetches (the runtime, or a person at the command
//! line): a `network_fetch` record is made durable before the host is even resolved, and an
//! `execution_outcome` record after; when either cannot be written the fetch fails (fail closed),
//! so no document is used that the log does not account for. Cached answers make no request and
//! no record.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use sha2::Digest as _;
use symbi_agentpin::{DiscoveryDocument, ResolveError, Resolver, RevocationDocument};
use symbi_audit::{Event, Outcome};
use symbi_schemapin::{
    AddressPolicy, Domain, Fetcher, FetcherConfig, Transport, TransportError, TransportRequest, TransportResponse,
};

use crate::config::Config;
use crate::http_client::{HttpClient, NetworkError, Request, SendError};

/// Makes audit records of fetches durable. The fetch does not happen, or its answer is not used,
/// when [`FetchRecorder::record`] fails.
pub trait FetchRecorder: Send + Sync + fmt::Debug {
    /// Appends `event` durably.
    ///
    /// # Errors
    ///
    /// Why the record could not be made durable.
    fn record(&self, event: Event) -> Result<(), String>;
}

/// The fetch paths of one principal: SchemaPin discovery through [`TrustFetcher::schemapin`], and
/// AgentPin discovery and revocation as a [`Resolver`].
#[derive(Debug)]
pub struct TrustFetcher {
    schemapin: Fetcher,
    agentpin: Fetcher,
}

impl TrustFetcher {
    /// Fetchers following `config.trust` and `config.network`, recording every request through
    /// `recorder` as done by `principal`, and driving requests on `handle` (the calls are
    /// blocking: make them from a blocking thread or outside any runtime).
    ///
    /// # Errors
    ///
    /// A CA file of `[network] extra_ca_files` is unreadable or holds no certificate.
    pub fn new(
        config: &Config,
        handle: tokio::runtime::Handle,
        recorder: Arc<dyn FetchRecorder>,
        principal: &str,
    ) -> Result<Self, NetworkError> {
        let client = Arc::new(HttpClient::new(&config.network)?);
        Ok(Self::with_client(client, config, handle, recorder, principal))
    }

    /// As [`TrustFetcher::new`], on a client the runtime already holds.
    pub(crate) fn with_client(
        client: Arc<HttpClient>,
        config: &Config,
        handle: tokio::runtime::Handle,
        recorder: Arc<dyn FetchRecorder>,
        principal: &str,
    ) -> Self {
        let trust = &config.trust;
        let addresses = if trust.dangerous_allow_loopback {
            AddressPolicy::insecure_allow_loopback()
        } else {
            AddressPolicy::public_only()
        };
        let limits = FetcherConfig {
            max_bytes: trust.max_document_bytes,
            timeout: trust.fetch_timeout,
            max_redirects: trust.max_redirects,
            cache_ttl: trust.cache_ttl,
            addresses,
        };
        let schemapin = AuditedTransport {
            client,
            handle,
            recorder,
            principal: principal.to_owned(),
            purpose: "SchemaPin discovery",
            allowed_by: if trust.dangerous_allow_loopback {
                "symbiont.toml [trust] fetch, dangerous_allow_loopback"
            } else {
                "symbiont.toml [trust] fetch"
            },
        };
        let agentpin = AuditedTransport { purpose: "AgentPin discovery", ..schemapin.clone() };
        Self {
            schemapin: Fetcher::new(Arc::new(schemapin), limits),
            // AgentPin's specification: redirects are not followed, a 3xx fails the fetch.
            agentpin: Fetcher::new(Arc::new(agentpin), FetcherConfig { max_redirects: 0, ..limits }),
        }
    }

    /// The SchemaPin fetcher: `Fetcher::discovery` fetches a domain's discovery document and its
    /// revocation document.
    pub fn schemapin(&self) -> &Fetcher {
        &self.schemapin
    }

    fn agentpin_url(domain: &str, path: &str) -> Result<String, ResolveError> {
        // INVARIANT (domain-in-url): only a DNS name (with an optional port) becomes the host of
        // the URL, so an `iss` such as `evil.test/x?` cannot choose the path.
        match Domain::new(domain) {
            Ok(checked) if checked.as_str() == domain => Ok(format!("https://{domain}{path}")),
            _ => Err(ResolveError::InvalidDomain { domain: domain.chars().take(64).collect() }),
        }
    }

    fn fetch(&self, url: &str) -> Result<Vec<u8>, ResolveError> {
        self.agentpin.fetch(url).map_err(|e| ResolveError::Fetch { url: url.to_owned(), reason: e.to_string() })
    }
}

impl Resolver for TrustFetcher {
    fn discovery(&self, domain: &str) -> Result<Arc<DiscoveryDocument>, ResolveError> {
        let url = Self::agentpin_url(domain, "/.well-known/agent-identity.json")?;
        let bytes = self.fetch(&url)?;
        let doc =
            DiscoveryDocument::from_json(&bytes).map_err(|source| ResolveError::Invalid { origin: url, source })?;
        Ok(Arc::new(doc))
    }

    fn revocation(&self, domain: &str) -> Result<Option<Arc<RevocationDocument>>, ResolveError> {
        let discovery = self.discovery(domain)?;
        let Some(endpoint) = discovery.revocation_endpoint() else { return Ok(None) };
        // Fail closed: a domain that publishes a revocation endpoint is not trusted while its
        // list cannot be read.
        let bytes = self.fetch(endpoint)?;
        let doc = RevocationDocument::from_json(&bytes)
            .map_err(|source| ResolveError::Invalid { origin: endpoint.to_owned(), source })?;
        Ok(Some(Arc::new(doc)))
    }
}

/// The [`Transport`] on the runtime's client that records each request before and after.
#[derive(Debug, Clone)]
struct AuditedTransport {
    client: Arc<HttpClient>,
    handle: tokio::runtime::Handle,
    recorder: Arc<dyn FetchRecorder>,
    principal: String,
    purpose: &'static str,
    allowed_by: &'static str,
}

impl Transport for AuditedTransport {
    fn get(&self, request: &TransportRequest<'_>) -> Result<TransportResponse, TransportError> {
        let refuse = |message: String| TransportError { message };
        let intent = Event::network_fetch(&self.principal, request.url, self.purpose).with_policy(self.allowed_by);
        self.recorder
            .record(intent)
            .map_err(|e| refuse(format!("the fetch cannot be recorded in the audit log, so it is not made: {e}")))?;
        let started = Instant::now();
        let headers = [("Accept".to_owned(), "application/json".to_owned())];
        let outgoing = Request {
            method: "GET",
            url: request.url,
            headers: &headers,
            body: None,
            // One byte more than allowed, so the fetcher can tell an oversized document.
            max_body: request.max_bytes.saturating_add(1),
            timeout: request.timeout,
        };
        let policy = request.addresses;
        let admit = |ip: IpAddr| if policy.permits(ip) { Ok(()) } else { Err(ip) };
        let result = self.client.send_blocking(&self.handle, &outgoing, &admit).map_err(|e| match e {
            SendError::Refused(ip) => {
                refuse(format!("`{ip}` is a private, loopback or reserved address; nothing was sent"))
            }
            SendError::Timeout => refuse(format!("no complete answer within {} ms", request.timeout.as_millis())),
            SendError::Failed(reason) => refuse(reason),
        });
        let millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let outcome = match &result {
            Ok(response) => Event::execution_outcome(&self.principal, "fetch", request.url, Outcome::Success, millis)
                .with_reason(format!(
                    "HTTP {}, {} bytes, sha256:{}",
                    response.status,
                    response.body.len(),
                    hex::encode(sha2::Sha256::digest(&response.body))
                )),
            Err(error) => Event::execution_outcome(&self.principal, "fetch", request.url, Outcome::Error, millis)
                .with_error(error.message.clone()),
        };
        self.recorder.record(outcome).map_err(|e| {
            refuse(format!("the fetch's outcome cannot be recorded in the audit log, so it is not used: {e}"))
        })?;
        let response = result?;
        Ok(TransportResponse { status: response.status, location: response.location, body: response.body })
    }
}
