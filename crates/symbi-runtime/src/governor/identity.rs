//! Agents that prove who they are. An AgentPin credential presented with a request is verified
//! with all twelve steps — against the discovery documents kept in `<data_dir>/agentpin/` (the
//! layout `symbi keygen` writes), or, for a domain with no local document and when `[trust]
//! fetch` is on, the documents fetched from `https://<domain>/.well-known/` — and the store's key
//! pins. Its claims become the principal's facts for Cedar: `verified`, `domain`, `capabilities`
//! and `sandbox_tier`. A refused credential is an authentication failure, recorded with the
//! ecosystem's error code.
//!
//! A fetch here is an action of the runtime, not of the agent: the credential's issuer names the
//! domain, but no agent asked for the request, so no agent's policy decides it. The Governor
//! owns the one client, `[trust]` is the rule that allows it (HTTPS only, the address policy on
//! every hop, limits), and each request is recorded (`network_fetch`, then `execution_outcome`)
//! with the API request's id before the host is resolved; a fetch that cannot be recorded is not
//! made, and the credential is refused.

use std::cell::RefCell;
use std::sync::Arc;

use symbi_agentpin::{Capability, ChainResolver, LocalFileResolver, Resolver, SandboxTier, Verifier, VerifierConfig};
use symbi_audit::{AuditLog, Event};

use super::Governor;
use crate::config::Config;
use crate::http_client::HttpClient;
use crate::trust_fetch::{FetchRecorder, TrustFetcher};

/// Where credentials' documents come from: the local files first, then (when allowed) HTTPS.
/// Long-lived, so decoded local files (kept while their modification time holds) and fetched
/// documents (kept for `[trust] cache_ttl_secs`) are reused across calls.
#[derive(Clone)]
pub(super) struct Identity(Arc<dyn Resolver>);

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Identity")
    }
}

impl Identity {
    /// The sources `config` allows, recording fetches in `audit`. Must be called on a tokio
    /// runtime, which then drives the fetches.
    pub(super) fn new(config: &Config, client: Arc<HttpClient>, audit: Arc<AuditLog>) -> Self {
        let local: Arc<dyn Resolver> = Arc::new(LocalFileResolver::new(config.data_dir.join("agentpin")));
        if !config.trust.fetch {
            return Self(local);
        }
        let recorder = Arc::new(GovernorRecorder { audit });
        let remote = TrustFetcher::with_client(client, config, tokio::runtime::Handle::current(), recorder, "runtime");
        Self(Arc::new(ChainResolver::new(vec![local, Arc::new(remote)])))
    }
}

/// Writes fetch records straight to the Governor's audit log, tagged with the surface and API
/// request the verification serves (set by [`Governor::verify_credential`] on its thread).
#[derive(Debug)]
struct GovernorRecorder {
    audit: Arc<AuditLog>,
}

thread_local! {
    /// The surface and request id of the verification running on this blocking thread.
    static SERVING: RefCell<Option<(String, Option<String>)>> = const { RefCell::new(None) };
}

impl FetchRecorder for GovernorRecorder {
    fn record(&self, mut event: Event) -> Result<(), String> {
        SERVING.with_borrow(|serving| {
            if let Some((surface, request_id)) = serving {
                event.surface = Some(surface.clone());
                event.request_id.clone_from(request_id);
            }
        });
        self.audit.append_blocking(event).map(drop).map_err(|e| {
            tracing::error!(error = %e, "cannot write the audit record of a fetch; the fetch is refused");
            e.to_string()
        })
    }
}

/// What a verified credential says about its agent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VerifiedAgent {
    /// The issuer domain (`iss`).
    pub domain: String,
    /// The agent id (`sub`): the principal `Agent::"<id>"`.
    pub agent_id: String,
    /// The granted capabilities.
    pub capabilities: Vec<String>,
    /// The sandbox tier the credential claims, if any.
    pub sandbox_tier: Option<u8>,
}

/// Why a credential was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("credential refused ({code}): {message}")]
pub struct CredentialRefused {
    /// The ecosystem's error code (`SIGNATURE_INVALID`, `KEY_PIN_MISMATCH`, …).
    pub code: String,
    /// What was wrong.
    pub message: String,
}

impl Governor {
    /// Verifies an AgentPin credential presented on `surface`. A refusal is recorded as an
    /// authentication failure; if even that cannot be recorded, it is still a refusal.
    ///
    /// Fails when any of the twelve steps refuses the credential, or the store keeps no pins.
    pub async fn verify_credential(&self, jwt: &str, surface: &str) -> Result<VerifiedAgent, CredentialRefused> {
        let outcome = match self.store.agentpin_pins() {
            None => Err(CredentialRefused {
                code: "PIN_STORE_FAILED".to_owned(),
                message: "this store keeps no AgentPin key pins".to_owned(),
            }),
            Some(pins) => {
                let (resolver, jwt) = (Arc::clone(&self.identity.0), jwt.to_owned());
                let serving = (surface.to_owned(), crate::api::current_request_id());
                tokio::task::spawn_blocking(move || {
                    SERVING.set(Some(serving));
                    let verified = verify(&*resolver, &jwt, &*pins);
                    SERVING.set(None);
                    verified
                })
                .await
                .unwrap_or_else(|e| Err(CredentialRefused { code: "INTERNAL".to_owned(), message: e.to_string() }))
            }
        };
        if let Err(refused) = &outcome {
            let event = symbi_audit::Event::auth_failure(surface, refused.to_string());
            if let Err(e) = self.record(event).await {
                tracing::error!(error = %e, "cannot record a refused credential");
            }
        }
        outcome
    }
}

fn verify(
    resolver: &dyn Resolver,
    jwt: &str,
    pins: &dyn symbi_agentpin::PinStore,
) -> Result<VerifiedAgent, CredentialRefused> {
    let config = VerifierConfig::default();
    let verified = Verifier::new(resolver, pins, &config)
        .verify(jwt, None)
        .map_err(|e| CredentialRefused { code: e.code().as_str().to_owned(), message: e.to_string() })?;
    Ok(VerifiedAgent {
        domain: verified.domain().to_owned(),
        agent_id: verified.agent_id().to_owned(),
        capabilities: verified.capabilities().iter().map(Capability::as_str).map(str::to_owned).collect(),
        sandbox_tier: verified.sandbox_tier().map(SandboxTier::get),
    })
}
