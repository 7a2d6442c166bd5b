//! One-call provisioning for `symbi keygen --domain D --agent-id A [--capabilities …] [--ttl]`:
//! a fresh key, its discovery document declaring the agent, and a first credential, using the
//! seed's key id form `{domain}#{agent-id}`.

use crate::capability::Capability;
use crate::credential::{IssueError, IssueRequest, IssuedCredential, SandboxTier, issue};
use crate::discovery::{AgentDeclaration, DiscoveryDocument, EntityType, is_domain};
use crate::jwk::Jwk;
use crate::key::SigningKey;
use crate::time::UnixTime;

/// Default credential lifetime: one day, the verifier's default maximum.
pub(crate) const DEFAULT_TTL_SECS: u32 = 86_400;

/// What `symbi keygen` asks for.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct KeygenRequest {
    /// The domain that will serve the discovery document.
    pub domain: String,
    /// The agent's id (`sub`).
    pub agent_id: String,
    /// Capabilities to declare and grant.
    pub capabilities: Vec<Capability>,
    /// The seed's sandbox tier claim.
    pub sandbox_tier: Option<SandboxTier>,
    /// Credential lifetime in seconds.
    pub ttl_secs: u32,
}

impl KeygenRequest {
    /// A request with no capabilities, no tier and the default lifetime.
    pub fn new(domain: impl Into<String>, agent_id: impl Into<String>) -> Self {
        Self {
            domain: domain.into(),
            agent_id: agent_id.into(),
            capabilities: Vec::new(),
            sandbox_tier: None,
            ttl_secs: DEFAULT_TTL_SECS,
        }
    }
}

/// A provisioned agent identity. The signing key is secret: store it with the secrets store.
#[derive(Debug)]
pub struct AgentIdentity {
    signing_key: SigningKey,
    discovery: DiscoveryDocument,
    credential: IssuedCredential,
}

impl AgentIdentity {
    /// The private key (print only into a protected file).
    pub fn signing_key(&self) -> &SigningKey {
        &self.signing_key
    }
    /// The key id, `{domain}#{agent-id}`.
    pub fn kid(&self) -> &str {
        self.credential.kid()
    }
    /// The discovery document to serve at `/.well-known/agent-identity.json`.
    pub fn discovery(&self) -> &DiscoveryDocument {
        &self.discovery
    }
    /// The first credential.
    pub fn credential(&self) -> &IssuedCredential {
        &self.credential
    }
}

/// Generates a key and builds the discovery document and first credential for one agent.
///
/// Fails when the domain is not a lower-case domain name, the agent id is empty, the lifetime is
/// zero, or key generation or signing fails.
pub fn keygen(request: &KeygenRequest, now: UnixTime) -> Result<AgentIdentity, IssueError> {
    if !is_domain(&request.domain) {
        return Err(IssueError::Invalid("the domain must be a lower-case domain name"));
    }
    if request.agent_id.is_empty() {
        return Err(IssueError::Invalid("the agent id must not be empty"));
    }
    let signing_key = SigningKey::generate()?;
    let kid = format!("{}#{}", request.domain, request.agent_id);
    let jwk = Jwk::new(kid.clone(), signing_key.public_key().clone());
    let agent = AgentDeclaration::new(&request.agent_id, &request.agent_id, request.capabilities.clone());
    let discovery = DiscoveryDocument::new(&request.domain, EntityType::Deployer, vec![jwk], vec![agent], now)
        .map_err(IssueError::Document)?;
    let mut issue_request = IssueRequest::new(kid, &request.domain, &request.agent_id, request.ttl_secs);
    issue_request.capabilities = request.capabilities.clone();
    issue_request.sandbox_tier = request.sandbox_tier;
    let credential = issue(&signing_key, &issue_request, now)?;
    Ok(AgentIdentity { signing_key, discovery, credential })
}
