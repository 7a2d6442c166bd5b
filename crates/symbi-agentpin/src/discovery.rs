//! Discovery documents, `/.well-known/agent-identity.json`: an entity's published keys and agent
//! declarations. Built here for the agents we publish, parsed here for the agents we verify.
//!
//! Parsing validates the whole document before anything uses it: version `0.1`, a domain-shaped
//! `entity`, at least one key, every key a valid P-256 JWK with a distinct `kid`, distinct agent
//! ids, capabilities and constraints well-formed, and a delegation depth of at most 3.

use serde::{Deserialize, Serialize};

use crate::capability::{self, Capability};
use crate::constraints::Constraints;
use crate::credential::AGENTPIN_VERSION;
use crate::json::{self, DocumentError};
use crate::jwk::{Jwk, JwkWire};
use crate::time::UnixTime;

/// Largest discovery document accepted.
pub(crate) const MAX_DISCOVERY_BYTES: usize = 256 * 1024;
/// The protocol's hard cap on delegation chain length.
pub(crate) const MAX_DELEGATION_DEPTH: u8 = 3;

/// Whether the entity makes agent software, deploys agents, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityType {
    /// Builds agent types that others deploy.
    Maker,
    /// Runs agent instances.
    Deployer,
    /// Both.
    Both,
}

/// An agent's declared status; only `active` agents verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    /// In service.
    Active,
    /// Temporarily out of service.
    Suspended,
    /// Retired.
    Deprecated,
}

impl AgentStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Deprecated => "deprecated",
        }
    }
}

/// One agent a discovery document declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentDeclaration {
    agent_id: String,
    name: String,
    capabilities: Vec<Capability>,
    constraints: Option<Constraints>,
    credential_ttl_max: Option<u64>,
    status: AgentStatus,
    extra: AgentExtra,
}

/// Declaration members we carry through unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct AgentExtra {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    agent_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    maker_attestation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    directory_listing: Option<bool>,
}

impl AgentDeclaration {
    /// An active agent with these capabilities.
    pub fn new(agent_id: impl Into<String>, name: impl Into<String>, capabilities: Vec<Capability>) -> Self {
        Self {
            agent_id: agent_id.into(),
            name: name.into(),
            capabilities,
            constraints: None,
            credential_ttl_max: None,
            status: AgentStatus::Active,
            extra: AgentExtra::default(),
        }
    }

    /// The same declaration with default constraints.
    pub fn with_constraints(mut self, constraints: Constraints) -> Self {
        self.constraints = Some(constraints);
        self
    }

    /// The same declaration with a maximum credential lifetime.
    pub fn with_credential_ttl_max(mut self, secs: u64) -> Self {
        self.credential_ttl_max = Some(secs);
        self
    }

    /// The same declaration with another status.
    pub fn with_status(mut self, status: AgentStatus) -> Self {
        self.status = status;
        self
    }

    /// The agent id (`sub` of its credentials).
    pub fn agent_id(&self) -> &str {
        &self.agent_id
    }
    /// The display name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Capabilities the agent may be granted.
    pub fn capabilities(&self) -> &[Capability] {
        &self.capabilities
    }
    /// Default constraints that credentials may only narrow.
    pub fn constraints(&self) -> Option<&Constraints> {
        self.constraints.as_ref()
    }
    /// Longest credential lifetime the entity allows for this agent, in seconds.
    pub fn credential_ttl_max(&self) -> Option<u64> {
        self.credential_ttl_max
    }
    /// The declared status.
    pub fn status(&self) -> AgentStatus {
        self.status
    }
}

/// A validated discovery document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryDocument {
    entity: String,
    entity_type: EntityType,
    public_keys: Vec<Jwk>,
    agents: Vec<AgentDeclaration>,
    max_delegation_depth: u8,
    updated_at: String,
    endpoints: Endpoints,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Endpoints {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    revocation_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    policy_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    schemapin_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    a2a_endpoint: Option<String>,
}

impl DiscoveryDocument {
    /// A document for `entity` publishing `keys` and `agents`, with the ecosystem's default
    /// revocation endpoint and no delegation allowed.
    ///
    /// Fails when `entity` is not a domain name, `keys` is empty, or kids or agent ids repeat.
    pub fn new(
        entity: &str,
        entity_type: EntityType,
        keys: Vec<Jwk>,
        agents: Vec<AgentDeclaration>,
        updated_at: UnixTime,
    ) -> Result<Self, DocumentError> {
        let doc = Self {
            entity: entity.to_owned(),
            entity_type,
            public_keys: keys,
            agents,
            max_delegation_depth: 0,
            updated_at: updated_at.to_rfc3339(),
            endpoints: Endpoints {
                revocation_endpoint: Some(format!("https://{entity}/.well-known/agent-identity-revocations.json")),
                ..Endpoints::default()
            },
        };
        doc.validated()
    }

    /// The same document allowing delegation chains up to `depth` (at most 3).
    ///
    /// Fails when `depth` exceeds 3.
    pub fn with_max_delegation_depth(mut self, depth: u8) -> Result<Self, DocumentError> {
        self.max_delegation_depth = depth;
        self.validated()
    }

    /// Parses and validates a discovery document.
    ///
    /// Fails on oversized or duplicate-key input, a version other than `0.1`, and any rule in the
    /// module documentation.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DocumentError> {
        let wire: DiscoveryWire = json::decode(bytes, MAX_DISCOVERY_BYTES)?;
        if wire.agentpin_version != AGENTPIN_VERSION {
            return Err(DocumentError::field("agentpin_version", format!("must be `{AGENTPIN_VERSION}`")));
        }
        let public_keys = wire.public_keys.into_iter().map(Jwk::from_wire).collect::<Result<_, _>>()?;
        let agents = wire.agents.into_iter().map(AgentWire::into_declaration).collect::<Result<_, _>>()?;
        let doc = Self {
            entity: wire.entity,
            entity_type: wire.entity_type,
            public_keys,
            agents,
            max_delegation_depth: wire.max_delegation_depth,
            updated_at: wire.updated_at,
            endpoints: wire.endpoints,
        };
        doc.validated()
    }

    /// The document as pretty JSON, ready to serve at `/.well-known/agent-identity.json`.
    pub fn to_json(&self) -> String {
        let wire = DiscoveryWire {
            agentpin_version: AGENTPIN_VERSION.into(),
            entity: self.entity.clone(),
            entity_type: self.entity_type,
            public_keys: self.public_keys.iter().map(Jwk::to_wire).collect(),
            agents: self.agents.iter().map(AgentWire::from_declaration).collect(),
            max_delegation_depth: self.max_delegation_depth,
            updated_at: self.updated_at.clone(),
            endpoints: self.endpoints.clone(),
        };
        serde_json::to_string_pretty(&wire).unwrap_or_default()
    }

    fn validated(self) -> Result<Self, DocumentError> {
        if !is_domain(&self.entity) {
            return Err(DocumentError::field("entity", "must be a lower-case domain name"));
        }
        if self.public_keys.is_empty() {
            return Err(DocumentError::field("public_keys", "must publish at least one key"));
        }
        if let Some(kid) = first_repeat(self.public_keys.iter().map(Jwk::kid)) {
            return Err(DocumentError::field("public_keys", format!("kid `{kid}` appears twice")));
        }
        if self.agents.iter().any(|a| a.agent_id.is_empty()) {
            return Err(DocumentError::field("agents", "`agent_id` must not be empty"));
        }
        if let Some(id) = first_repeat(self.agents.iter().map(AgentDeclaration::agent_id)) {
            return Err(DocumentError::field("agents", format!("agent `{id}` appears twice")));
        }
        if self.max_delegation_depth > MAX_DELEGATION_DEPTH {
            return Err(DocumentError::field("max_delegation_depth", "must be 0 to 3"));
        }
        Ok(self)
    }

    /// The entity (domain) the document speaks for.
    pub fn entity(&self) -> &str {
        &self.entity
    }
    /// Maker, deployer or both.
    pub fn entity_type(&self) -> EntityType {
        self.entity_type
    }
    /// Published keys.
    pub fn public_keys(&self) -> &[Jwk] {
        &self.public_keys
    }
    /// Declared agents.
    pub fn agents(&self) -> &[AgentDeclaration] {
        &self.agents
    }
    /// Longest delegation chain this entity accepts in credentials it is part of.
    pub fn max_delegation_depth(&self) -> u8 {
        self.max_delegation_depth
    }
    /// Where the entity publishes revocations, if anywhere.
    pub fn revocation_endpoint(&self) -> Option<&str> {
        self.endpoints.revocation_endpoint.as_deref()
    }
    /// The key with this id.
    pub fn key(&self, kid: &str) -> Option<&Jwk> {
        self.public_keys.iter().find(|k| k.kid() == kid)
    }
    /// The agent with this id.
    pub fn agent(&self, agent_id: &str) -> Option<&AgentDeclaration> {
        self.agents.iter().find(|a| a.agent_id == agent_id)
    }
}

/// A lower-case DNS name (with an optional `:port` for local development): letters, digits,
/// hyphens and dots, no empty label. Also the guard that keeps domains safe as file names.
pub(crate) fn is_domain(text: &str) -> bool {
    let (host, port) = text.split_once(':').unwrap_or((text, "1"));
    let port_ok = !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit());
    let labels_ok = host.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    });
    !host.is_empty() && host.len() <= 253 && labels_ok && port_ok
}

fn first_repeat<'a>(items: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut seen = std::collections::HashSet::new();
    items.into_iter().find(|item| !seen.insert(*item))
}

#[derive(Serialize, Deserialize)]
struct DiscoveryWire {
    agentpin_version: String,
    entity: String,
    entity_type: EntityType,
    public_keys: Vec<JwkWire>,
    agents: Vec<AgentWire>,
    #[serde(flatten)]
    endpoints: Endpoints,
    max_delegation_depth: u8,
    updated_at: String,
}

#[derive(Serialize, Deserialize)]
struct AgentWire {
    agent_id: String,
    name: String,
    capabilities: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    constraints: Option<Constraints>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    credential_ttl_max: Option<u64>,
    status: AgentStatus,
    #[serde(flatten)]
    extra: AgentExtra,
}

impl AgentWire {
    fn into_declaration(self) -> Result<AgentDeclaration, DocumentError> {
        let capabilities =
            capability::parse_all(&self.capabilities).map_err(|e| DocumentError::field("agents", e.to_string()))?;
        Ok(AgentDeclaration {
            agent_id: self.agent_id,
            name: self.name,
            capabilities,
            constraints: self.constraints,
            credential_ttl_max: self.credential_ttl_max,
            status: self.status,
            extra: self.extra,
        })
    }

    fn from_declaration(agent: &AgentDeclaration) -> Self {
        Self {
            agent_id: agent.agent_id.clone(),
            name: agent.name.clone(),
            capabilities: agent.capabilities.iter().map(|c| c.as_str().to_owned()).collect(),
            constraints: agent.constraints.clone(),
            credential_ttl_max: agent.credential_ttl_max,
            status: agent.status,
            extra: agent.extra.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_that_may_become_file_names() {
        for good in ["example.com", "a-b.example", "localhost:8443", "x1.y2.z3"] {
            assert!(is_domain(good), "{good}");
        }
        for bad in
            ["", "../etc", "Example.com", "a..b", "-a.com", "a-.com", "a/b", "a b", "a.com:", "a.com:123456", "é.com"]
        {
            assert!(!is_domain(bad), "{bad}");
        }
    }
}
