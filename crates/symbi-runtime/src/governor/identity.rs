//! Agents that prove who they are. An AgentPin credential presented with a request is verified
//! with all twelve steps — against the discovery documents kept in `<data_dir>/agentpin/` (the
//! layout `symbi keygen` writes) and the store's key pins — and its claims become the principal's
//! facts for Cedar: `verified`, `domain`, `capabilities` and `sandbox_tier`. A refused credential
//! is an authentication failure, recorded with the ecosystem's error code.

use std::path::PathBuf;

use symbi_agentpin::{Capability, LocalFileResolver, SandboxTier, Verifier, VerifierConfig};

use super::Governor;

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
                let (dir, jwt) = (self.identity_dir.clone(), jwt.to_owned());
                tokio::task::spawn_blocking(move || verify(dir, &jwt, &*pins))
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

fn verify(dir: PathBuf, jwt: &str, pins: &dyn symbi_agentpin::PinStore) -> Result<VerifiedAgent, CredentialRefused> {
    let resolver = LocalFileResolver::new(dir);
    let config = VerifierConfig::default();
    let verified = Verifier::new(&resolver, pins, &config)
        .verify(jwt, None)
        .map_err(|e| CredentialRefused { code: e.code().as_str().to_owned(), message: e.to_string() })?;
    Ok(VerifiedAgent {
        domain: verified.domain().to_owned(),
        agent_id: verified.agent_id().to_owned(),
        capabilities: verified.capabilities().iter().map(Capability::as_str).map(str::to_owned).collect(),
        sandbox_tier: verified.sandbox_tier().map(SandboxTier::get),
    })
}
