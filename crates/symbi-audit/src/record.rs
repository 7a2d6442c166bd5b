//! What an audit record says: the event a caller appends ([`Event`]) and the stored, chained
//! record ([`Record`]) the log hands back. The byte layout that is hashed lives in `encoding`;
//! the JSON shape of exports lives in `json`.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::hash::Sha256Hash;

/// What kind of door an audit record comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventKind {
    /// A caller failed to authenticate (bad or unknown key, bad credential).
    AuthFailure,
    /// A key was created, rotated, revoked or used for signing configuration.
    KeyManagement,
    /// An agent was created, started, stopped or deleted.
    AgentLifecycle,
    /// The Governor decided a proposed action (allow, deny or require approval).
    Decision,
    /// A held action's approval was granted or refused by a person.
    ApprovalResolved,
    /// A held action's approval timed out (always a deny).
    ApprovalTimeout,
    /// An authorized action finished, with its outcome and duration.
    ExecutionOutcome,
    /// The log repaired itself on open (a torn tail after a crash was cut off).
    LogRepair,
    /// The runtime is about to reach another machine on its own behalf (a SchemaPin or AgentPin
    /// discovery or revocation document); recorded before the name is resolved.
    NetworkFetch,
    /// Configuration the runtime acts on changed: a tool catalog swapped in, a secret set or
    /// removed. Names what changed and who changed it, never a secret value.
    ConfigChange,
}

impl EventKind {
    /// Every kind, in code order.
    pub const ALL: [Self; 10] = [
        Self::AuthFailure,
        Self::KeyManagement,
        Self::AgentLifecycle,
        Self::Decision,
        Self::ApprovalResolved,
        Self::ApprovalTimeout,
        Self::ExecutionOutcome,
        Self::LogRepair,
        Self::NetworkFetch,
        Self::ConfigChange,
    ];

    /// The snake_case name used in JSON and on the command line.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AuthFailure => "auth_failure",
            Self::KeyManagement => "key_management",
            Self::AgentLifecycle => "agent_lifecycle",
            Self::Decision => "decision",
            Self::ApprovalResolved => "approval_resolved",
            Self::ApprovalTimeout => "approval_timeout",
            Self::ExecutionOutcome => "execution_outcome",
            Self::LogRepair => "log_repair",
            Self::NetworkFetch => "network_fetch",
            Self::ConfigChange => "config_change",
        }
    }

    /// The kind named `name` (its [`EventKind::as_str`] form), if any.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    /// The one-byte code in the canonical encoding (1 to 9, in the order of [`EventKind::ALL`]).
    pub(crate) const fn code(self) -> u8 {
        match self {
            Self::AuthFailure => 1,
            Self::KeyManagement => 2,
            Self::AgentLifecycle => 3,
            Self::Decision => 4,
            Self::ApprovalResolved => 5,
            Self::ApprovalTimeout => 6,
            Self::ExecutionOutcome => 7,
            Self::LogRepair => 8,
            Self::NetworkFetch => 9,
            Self::ConfigChange => 10,
        }
    }

    pub(crate) fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.code() == code)
    }
}

/// The decision an audit record reports. Approval resolutions use `Allow` (approved) or `Deny`
/// (refused); a timeout is always `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// The action may proceed.
    Allow,
    /// The action is refused.
    Deny,
    /// The action is held until a person approves it.
    RequireApproval,
}

impl Decision {
    /// The snake_case name used in JSON and on the command line.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Deny => "deny",
            Self::RequireApproval => "require_approval",
        }
    }

    /// The decision named `name` (`allow`, `deny` or `require_approval`), if any.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Allow, Self::Deny, Self::RequireApproval].into_iter().find(|d| d.as_str() == name)
    }

    pub(crate) const fn code(self) -> u8 {
        match self {
            Self::Allow => 1,
            Self::Deny => 2,
            Self::RequireApproval => 3,
        }
    }

    pub(crate) fn from_code(code: u8) -> Option<Self> {
        [Self::Allow, Self::Deny, Self::RequireApproval].into_iter().find(|d| d.code() == code)
    }
}

/// How an executed action ended; the error text, if any, is in [`Event::error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The action completed.
    Success,
    /// The action failed.
    Error,
}

impl Outcome {
    /// The snake_case name used in JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Error => "error",
        }
    }

    pub(crate) const fn code(self) -> u8 {
        match self {
            Self::Success => 1,
            Self::Error => 2,
        }
    }

    pub(crate) fn from_code(code: u8) -> Option<Self> {
        [Self::Success, Self::Error].into_iter().find(|o| o.code() == code)
    }
}

/// The inputs a decision read, kept so the decision can be replayed against its own policy set.
///
/// `context` and `entities` are JSON text, hashed byte for byte; build them with
/// [`ReplayInputs::new`] so they are compact `serde_json` output. Entity data must never carry a
/// secret or a raw credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayInputs {
    /// The hash of the policy set in force, as archived in the log's policy archive.
    pub policy_set: Sha256Hash,
    /// The principal, in the policy vocabulary (e.g. `Agent::"planner-01"`).
    pub principal: String,
    /// The action, in the policy vocabulary.
    pub action: String,
    /// The resource, in the policy vocabulary.
    pub resource: String,
    /// The request context, as JSON text.
    pub context: String,
    /// The entity data the decision read, as JSON text.
    pub entities: String,
}

impl ReplayInputs {
    /// Builds replay inputs, serializing `context` and `entities` as compact JSON.
    pub fn new(
        policy_set: Sha256Hash,
        principal: impl Into<String>,
        action: impl Into<String>,
        resource: impl Into<String>,
        context: &serde_json::Value,
        entities: &serde_json::Value,
    ) -> Self {
        Self {
            policy_set,
            principal: principal.into(),
            action: action.into(),
            resource: resource.into(),
            context: context.to_string(),
            entities: entities.to_string(),
        }
    }
}

/// An event to append. Every field but `kind` is optional; the constructors fill the fields each
/// kind of door always has. Never put a secret or a raw credential in any field.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Event {
    /// The kind of door this event comes from.
    pub kind: EventKind,
    /// The surface the request came through (api, run, http-input, schedule, mcp, hook).
    pub surface: Option<String>,
    /// The agent acting or acted upon.
    pub agent: Option<String>,
    /// Who asked: an API key id, an AgentPin credential subject, or an internal agent id.
    pub principal: Option<String>,
    /// The action, in the policy vocabulary.
    pub action: Option<String>,
    /// The resource the action targets.
    pub resource: Option<String>,
    /// The decision, for decision and approval records.
    pub decision: Option<Decision>,
    /// The policy (or policy set reference) that decided.
    pub policy: Option<String>,
    /// The sandbox tier the action ran in (0–3).
    pub sandbox_tier: Option<u8>,
    /// How long the action took, in milliseconds.
    pub duration_ms: Option<u64>,
    /// The request id that ties this record to logs and API responses.
    pub request_id: Option<String>,
    /// Why: the decision's reason, the failure's cause, the repair's description.
    pub reason: Option<String>,
    /// How an executed action ended.
    pub outcome: Option<Outcome>,
    /// The error text of a failed action.
    pub error: Option<String>,
    /// What a decision read, so it can be replayed.
    pub replay: Option<ReplayInputs>,
}

impl Event {
    /// An event of `kind` with every other field empty.
    pub const fn new(kind: EventKind) -> Self {
        Self {
            kind,
            surface: None,
            agent: None,
            principal: None,
            action: None,
            resource: None,
            decision: None,
            policy: None,
            sandbox_tier: None,
            duration_ms: None,
            request_id: None,
            reason: None,
            outcome: None,
            error: None,
            replay: None,
        }
    }

    /// A Governor decision on `action` over `resource` by `agent`, with what it read.
    pub fn decision(
        agent: impl Into<String>,
        action: impl Into<String>,
        resource: impl Into<String>,
        decision: Decision,
        replay: ReplayInputs,
    ) -> Self {
        Self {
            agent: Some(agent.into()),
            action: Some(action.into()),
            resource: Some(resource.into()),
            decision: Some(decision),
            replay: Some(replay),
            ..Self::new(EventKind::Decision)
        }
    }

    /// A person granted (`Allow`) or refused (`Deny`) a held action.
    pub fn approval_resolved(
        agent: impl Into<String>,
        action: impl Into<String>,
        resource: impl Into<String>,
        decision: Decision,
    ) -> Self {
        Self {
            agent: Some(agent.into()),
            action: Some(action.into()),
            resource: Some(resource.into()),
            decision: Some(decision),
            ..Self::new(EventKind::ApprovalResolved)
        }
    }

    /// A held action's approval timed out; a timeout is a deny.
    pub fn approval_timeout(agent: impl Into<String>, action: impl Into<String>, resource: impl Into<String>) -> Self {
        Self {
            agent: Some(agent.into()),
            action: Some(action.into()),
            resource: Some(resource.into()),
            decision: Some(Decision::Deny),
            ..Self::new(EventKind::ApprovalTimeout)
        }
    }

    /// An authorized action finished after `duration_ms`.
    pub fn execution_outcome(
        agent: impl Into<String>,
        action: impl Into<String>,
        resource: impl Into<String>,
        outcome: Outcome,
        duration_ms: u64,
    ) -> Self {
        Self {
            agent: Some(agent.into()),
            action: Some(action.into()),
            resource: Some(resource.into()),
            outcome: Some(outcome),
            duration_ms: Some(duration_ms),
            ..Self::new(EventKind::ExecutionOutcome)
        }
    }

    /// `principal` (the runtime, or a person at the command line) is allowed to fetch `url` for
    /// `purpose`, and is about to; written before the host is resolved, so no request leaves
    /// without its record. The decision is `Allow`; the policy names what allowed it.
    pub fn network_fetch(principal: impl Into<String>, url: impl Into<String>, purpose: impl Into<String>) -> Self {
        Self {
            principal: Some(principal.into()),
            action: Some("fetch".to_owned()),
            resource: Some(url.into()),
            reason: Some(purpose.into()),
            decision: Some(Decision::Allow),
            ..Self::new(EventKind::NetworkFetch)
        }
    }

    /// A caller on `surface` failed to authenticate, for `reason` (never the credential itself).
    pub fn auth_failure(surface: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { surface: Some(surface.into()), reason: Some(reason.into()), ..Self::new(EventKind::AuthFailure) }
    }

    /// `principal` performed a key management `action` (create, rotate, revoke) on key `resource`.
    pub fn key_management(
        principal: impl Into<String>,
        action: impl Into<String>,
        resource: impl Into<String>,
    ) -> Self {
        Self {
            principal: Some(principal.into()),
            action: Some(action.into()),
            resource: Some(resource.into()),
            ..Self::new(EventKind::KeyManagement)
        }
    }

    /// `agent` went through a lifecycle `action` (created, started, stopped, deleted).
    pub fn agent_lifecycle(agent: impl Into<String>, action: impl Into<String>) -> Self {
        Self { agent: Some(agent.into()), action: Some(action.into()), ..Self::new(EventKind::AgentLifecycle) }
    }

    /// `principal` changed configuration: `action` (`reload`, `set`, `remove`) on `resource`
    /// (`ToolCatalog`, `Secret::"NAME"`); the reason says what changed.
    pub fn config_change(principal: impl Into<String>, action: impl Into<String>, resource: impl Into<String>) -> Self {
        Self {
            principal: Some(principal.into()),
            action: Some(action.into()),
            resource: Some(resource.into()),
            ..Self::new(EventKind::ConfigChange)
        }
    }

    /// Sets the surface.
    #[must_use]
    pub fn with_surface(mut self, surface: impl Into<String>) -> Self {
        self.surface = Some(surface.into());
        self
    }

    /// Sets the principal.
    #[must_use]
    pub fn with_principal(mut self, principal: impl Into<String>) -> Self {
        self.principal = Some(principal.into());
        self
    }

    /// Sets the request id.
    #[must_use]
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = Some(request_id.into());
        self
    }

    /// Sets the reason.
    #[must_use]
    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// Sets the deciding policy.
    #[must_use]
    pub fn with_policy(mut self, policy: impl Into<String>) -> Self {
        self.policy = Some(policy.into());
        self
    }

    /// Sets the sandbox tier.
    #[must_use]
    pub const fn with_sandbox_tier(mut self, tier: u8) -> Self {
        self.sandbox_tier = Some(tier);
        self
    }

    /// Sets the error text (and marks the outcome as an error).
    #[must_use]
    pub fn with_error(mut self, error: impl Into<String>) -> Self {
        self.error = Some(error.into());
        self.outcome = Some(Outcome::Error);
        self
    }
}

/// The position of a record in its log, shown as `evt_` and 16 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(u64);

impl EventId {
    /// The id of the record at zero-based position `seq`.
    pub const fn from_seq(seq: u64) -> Self {
        Self(seq)
    }

    /// The zero-based position of the record in its log (also its Merkle leaf index).
    pub const fn seq(self) -> u64 {
        self.0
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "evt_{:016x}", self.0)
    }
}

impl fmt::Debug for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The text was not an event id (`evt_` and 16 lowercase hex digits).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid event id `{text}`: expected `evt_` followed by 16 hex digits")]
pub struct EventIdParseError {
    text: String,
}

impl FromStr for EventId {
    type Err = EventIdParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || EventIdParseError { text: text.chars().take(80).collect() };
        let digits = text.strip_prefix("evt_").ok_or_else(error)?;
        if digits.len() != 16 || !digits.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(error());
        }
        u64::from_str_radix(digits, 16).map(Self).map_err(|_| error())
    }
}

/// A stored audit record: an event with its position, time and place in the hash chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    // INVARIANT (entry-hash): `entry_hash` is the leaf hash of the canonical encoding of the other
    // fields; only `encoding::decode_entry` and `Record::seal` build a record.
    pub(crate) seq: u64,
    pub(crate) timestamp_ms: u64,
    pub(crate) event: Event,
    pub(crate) prev_hash: Sha256Hash,
    pub(crate) entry_hash: Sha256Hash,
}

impl Record {
    /// The record's id.
    pub const fn event_id(&self) -> EventId {
        EventId(self.seq)
    }

    /// When the log accepted the record.
    pub fn timestamp(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.timestamp_ms)
    }

    /// The timestamp in RFC 3339 UTC with milliseconds, e.g. `2025-03-19T14:32:01.847Z`.
    pub fn timestamp_rfc3339(&self) -> String {
        humantime::format_rfc3339_millis(self.timestamp()).to_string()
    }

    /// What happened.
    pub const fn event(&self) -> &Event {
        &self.event
    }

    /// The `entry_hash` of the record before this one (all zeros for the first record).
    pub const fn prev_hash(&self) -> Sha256Hash {
        self.prev_hash
    }

    /// This record's hash: `SHA-256(0x00 ‖ canonical entry)`, also its Merkle leaf hash.
    pub const fn entry_hash(&self) -> Sha256Hash {
        self.entry_hash
    }

    /// The record as one line of the JSON lines export (no trailing newline), the shape
    /// `docs/audit.md` specifies and `verify_jsonl` reads back.
    pub fn to_json_line(&self) -> String {
        crate::json::record_to_line(self)
    }
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_round_trip_and_reject_other_text() {
        let id = EventId::from_seq(0x8f3a_1b2c);
        assert_eq!(id.to_string(), "evt_000000008f3a1b2c");
        assert_eq!("evt_000000008f3a1b2c".parse::<EventId>().unwrap(), id);
        for bad in ["evt_8f3a1b2c", "evt_000000008F3A1B2C", "000000008f3a1b2c", "evt_+00000008f3a1b2c"] {
            assert!(bad.parse::<EventId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn codes_round_trip() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(EventKind::from_code(0), None);
        assert_eq!(Decision::from_code(Decision::RequireApproval.code()), Some(Decision::RequireApproval));
        assert_eq!(Outcome::from_code(Outcome::Error.code()), Some(Outcome::Error));
    }
}
