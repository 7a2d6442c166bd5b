//! Agents as the runtime registers them: identity, definition and lifecycle state.
//!
//! Values here are built once at the edge (the REST API or `agents/*.symbi`) and carry their
//! invariants; the store persists them and the API converts them to wire shapes by hand.

use std::collections::BTreeMap;
use std::fmt;
use std::time::SystemTime;

/// The longest agent id accepted.
const MAX_AGENT_ID_LEN: usize = 128;

/// An agent's id: 1–128 characters from `A-Z a-z 0-9 . _ -`, not starting with `.` or `-`.
///
/// Ids appear in URLs, key scopes and (later) Cedar entity ids, so the alphabet is kept to
/// characters that need no escaping in any of them.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AgentId(String);

impl AgentId {
    /// Parses an id; fails with a reason a user can act on.
    pub fn parse(text: &str) -> Result<Self, InvalidAgentId> {
        let reason = if text.is_empty() {
            "an agent id cannot be empty"
        } else if text.len() > MAX_AGENT_ID_LEN {
            "an agent id is at most 128 characters"
        } else if text.starts_with(['.', '-']) {
            "an agent id cannot start with `.` or `-`"
        } else if !text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')) {
            "an agent id may contain only letters, digits, `.`, `_` and `-`"
        } else {
            // INVARIANT (agent-id-alphabet): only ids passing every check above are constructed.
            return Ok(Self(text.to_owned()));
        };
        Err(InvalidAgentId { reason })
    }

    /// A fresh random id (a UUID v4), for agents created without one.
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    /// The id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AgentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AgentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AgentId({})", self.0)
    }
}

/// Why text is not an agent id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct InvalidAgentId {
    reason: &'static str,
}

/// Where an agent is in its life. The names are those the official Python SDK validates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentState {
    /// Registered and able to run, not running now.
    Idle,
    /// Running a task.
    Active,
    /// Running and not accepting more work.
    Busy,
    /// The last run failed; the agent stays registered.
    Error,
    /// Stopped by an operator; it does not run until started again.
    Stopped,
}

impl AgentState {
    /// The lowercase name used on the wire and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Active => "active",
            Self::Busy => "busy",
            Self::Error => "error",
            Self::Stopped => "stopped",
        }
    }

    /// The inverse of [`AgentState::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "idle" => Self::Idle,
            "active" => Self::Active,
            "busy" => Self::Busy,
            "error" => Self::Error,
            "stopped" => Self::Stopped,
            _ => return None,
        })
    }
}

/// What an agent is: written by its creator, validated by the API before it gets here.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AgentDefinition {
    /// Display name.
    pub name: String,
    /// What the agent is for.
    pub description: String,
    /// `.symbi` source, when the agent is defined in the DSL.
    pub dsl: Option<String>,
    /// Model settings, when the agent is defined by a system prompt (the SDK's agent model).
    pub model: Option<ModelProfile>,
    /// Capabilities the agent declares.
    pub capabilities: Vec<String>,
    /// Free-form labels.
    pub metadata: BTreeMap<String, String>,
}

/// The model side of an agent defined by prompt rather than DSL.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModelProfile {
    /// The system prompt.
    pub system_prompt: String,
    /// Tool names the agent may propose (each call still goes through policy).
    pub tools: Vec<String>,
    /// Model identifier; `None` leaves the choice to the inference provider's default.
    pub model: Option<String>,
    /// Sampling temperature; `None` for the provider's default.
    pub temperature: Option<f64>,
    /// Nucleus sampling mass; `None` for the provider's default.
    pub top_p: Option<f64>,
    /// Largest completion; `None` for the provider's default.
    pub max_tokens: Option<u32>,
}

/// A registered agent.
#[derive(Debug, Clone, PartialEq)]
pub struct Agent {
    /// Its id.
    pub id: AgentId,
    /// Its definition.
    pub definition: AgentDefinition,
    /// Its lifecycle state.
    pub state: AgentState,
    /// When it was registered.
    pub created_at: SystemTime,
    /// When its definition last changed.
    pub updated_at: SystemTime,
    /// When it last did anything (registration counts).
    pub last_activity: SystemTime,
}

/// One line of an agent's history: a lifecycle change or a run.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    /// The run's id, or the id of the change for lifecycle entries.
    pub execution_id: String,
    /// What happened, such as `registered`, `updated`, `completed`.
    pub status: String,
    /// When.
    pub timestamp: SystemTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_ids() {
        for ok in ["a", "planner-1", "x.y_z", "550e8400-e29b-41d4-a716-446655440000"] {
            assert_eq!(AgentId::parse(ok).unwrap().as_str(), ok);
        }
        for bad in ["", "-x", ".x", "a b", "a/b", "ä", &"a".repeat(129)] {
            assert!(AgentId::parse(bad).is_err(), "{bad:?}");
        }
        assert!(AgentId::parse(AgentId::generate().as_str()).is_ok());
    }

    #[test]
    fn state_names_round_trip() {
        for s in [AgentState::Idle, AgentState::Active, AgentState::Busy, AgentState::Error, AgentState::Stopped] {
            assert_eq!(AgentState::parse(s.as_str()), Some(s));
        }
    }
}
