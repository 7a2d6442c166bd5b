//! The JSON line form of records and checkpoints: what `export_jsonl` writes, what the
//! checkpoint file holds and what `verify_jsonl` reads. These wire types are separate from the
//! internal ones and converted by hand, so the hashed encoding never depends on serde.

use serde::{Deserialize, Serialize};

use crate::checkpoint::Checkpoint;
use crate::hash::Sha256Hash;
use crate::record::{Decision, Event, EventId, EventKind, Outcome, Record, ReplayInputs};

/// One line of an export: a checkpoint or a record.
#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum Line {
    Checkpoint { checkpoint: CheckpointLine },
    Record(Box<RecordLine>),
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckpointLine {
    tree_size: u64,
    root_hash: String,
    timestamp_ms: u64,
    signature: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RecordLine {
    event_id: String,
    timestamp: String,
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    surface: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    principal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resource: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    decision: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sandbox_tier: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    duration_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    outcome: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    replay: Option<ReplayLine>,
    prev_hash: String,
    entry_hash: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplayLine {
    policy_set: String,
    principal: String,
    action: String,
    resource: String,
    context: String,
    entities: String,
}

/// Which field of a JSON line is missing or invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}` is invalid")]
pub struct JsonLineError {
    field: &'static str,
}

impl From<&Record> for RecordLine {
    fn from(record: &Record) -> Self {
        let event = record.event();
        Self {
            event_id: record.event_id().to_string(),
            timestamp: record.timestamp_rfc3339(),
            kind: event.kind.as_str().to_owned(),
            surface: event.surface.clone(),
            agent: event.agent.clone(),
            principal: event.principal.clone(),
            action: event.action.clone(),
            resource: event.resource.clone(),
            decision: event.decision.map(|d| d.as_str().to_owned()),
            policy: event.policy.clone(),
            sandbox_tier: event.sandbox_tier,
            duration_ms: event.duration_ms,
            request_id: event.request_id.clone(),
            reason: event.reason.clone(),
            outcome: event.outcome.map(|o| o.as_str().to_owned()),
            error: event.error.clone(),
            replay: event.replay.as_ref().map(|r| ReplayLine {
                policy_set: r.policy_set.to_string(),
                principal: r.principal.clone(),
                action: r.action.clone(),
                resource: r.resource.clone(),
                context: r.context.clone(),
                entities: r.entities.clone(),
            }),
            prev_hash: record.prev_hash().to_string(),
            entry_hash: record.entry_hash().to_string(),
        }
    }
}

/// A record read from JSON: its fields, and the entry hash the line claims (which the caller
/// compares with the hash recomputed from the fields).
#[derive(Debug)]
pub(crate) struct ClaimedRecord {
    pub(crate) record: Record,
    pub(crate) claimed_hash: Sha256Hash,
}

impl RecordLine {
    /// Converts the line into a record, recomputing the entry hash from the canonical encoding.
    pub(crate) fn into_record(self) -> Result<ClaimedRecord, JsonLineError> {
        let bad = |field| JsonLineError { field };
        let seq = self.event_id.parse::<EventId>().map_err(|_| bad("event_id"))?.seq();
        let timestamp = humantime::parse_rfc3339(&self.timestamp).map_err(|_| bad("timestamp"))?;
        let timestamp_ms = timestamp
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .and_then(|d| u64::try_from(d.as_millis()).ok())
            .ok_or(bad("timestamp"))?;
        let kind = EventKind::parse(&self.kind).ok_or(bad("kind"))?;
        let decision = match self.decision.as_deref() {
            None => None,
            Some(text) => Some(Decision::parse(text).ok_or(bad("decision"))?),
        };
        let outcome = match self.outcome.as_deref() {
            None => None,
            Some(text) => Some(
                [Outcome::Success, Outcome::Error].into_iter().find(|o| o.as_str() == text).ok_or(bad("outcome"))?,
            ),
        };
        let replay = match self.replay {
            None => None,
            Some(r) => Some(ReplayInputs {
                policy_set: r.policy_set.parse().map_err(|_| bad("replay.policy_set"))?,
                principal: r.principal,
                action: r.action,
                resource: r.resource,
                context: r.context,
                entities: r.entities,
            }),
        };
        let prev_hash: Sha256Hash = self.prev_hash.parse().map_err(|_| bad("prev_hash"))?;
        let claimed_hash = self.entry_hash.parse().map_err(|_| bad("entry_hash"))?;
        let event = Event {
            surface: self.surface,
            agent: self.agent,
            principal: self.principal,
            action: self.action,
            resource: self.resource,
            decision,
            policy: self.policy,
            sandbox_tier: self.sandbox_tier,
            duration_ms: self.duration_ms,
            request_id: self.request_id,
            reason: self.reason,
            outcome,
            error: self.error,
            replay,
            ..Event::new(kind)
        };
        let mut scratch = Vec::with_capacity(256);
        let record = crate::encoding::seal(&mut scratch, seq, timestamp_ms, event, prev_hash);
        if scratch.len() > crate::encoding::MAX_ENTRY_BYTES {
            return Err(bad("record size"));
        }
        Ok(ClaimedRecord { record, claimed_hash })
    }
}

impl From<&Checkpoint> for CheckpointLine {
    fn from(checkpoint: &Checkpoint) -> Self {
        Self {
            tree_size: checkpoint.tree_size,
            root_hash: checkpoint.root_hash.to_string(),
            timestamp_ms: checkpoint.timestamp_ms,
            signature: format!("ed25519:{}", hex::encode(checkpoint.signature)),
        }
    }
}

impl CheckpointLine {
    pub(crate) fn into_checkpoint(self) -> Result<Checkpoint, JsonLineError> {
        let bad = |field| JsonLineError { field };
        let mut signature = [0u8; 64];
        let digits = self.signature.strip_prefix("ed25519:").ok_or(bad("signature"))?;
        hex::decode_to_slice(digits, &mut signature).map_err(|_| bad("signature"))?;
        Ok(Checkpoint {
            tree_size: self.tree_size,
            root_hash: self.root_hash.parse().map_err(|_| bad("root_hash"))?,
            timestamp_ms: self.timestamp_ms,
            signature,
        })
    }
}

/// One record as a JSON line (no trailing newline).
pub(crate) fn record_to_line(record: &Record) -> String {
    // Serializing a struct of strings and integers cannot fail.
    serde_json::to_string(&Line::Record(Box::new(RecordLine::from(record)))).unwrap_or_default()
}

/// One checkpoint as a JSON line (no trailing newline).
pub(crate) fn checkpoint_to_line(checkpoint: &Checkpoint) -> String {
    serde_json::to_string(&Line::Checkpoint { checkpoint: CheckpointLine::from(checkpoint) }).unwrap_or_default()
}

/// Parsed content of one JSON line.
#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "a transient value returned once per record; boxing would add an allocation on the verify and scan hot path"
)]
pub(crate) enum Parsed {
    Checkpoint(Checkpoint),
    Record(ClaimedRecord),
}

/// Parses one line of an export or of the checkpoint file.
pub(crate) fn parse_line(line: &str) -> Result<Parsed, JsonLineError> {
    match serde_json::from_str::<Line>(line).map_err(|_| JsonLineError { field: "line" })? {
        Line::Checkpoint { checkpoint } => checkpoint.into_checkpoint().map(Parsed::Checkpoint),
        Line::Record(record) => record.into_record().map(Parsed::Record),
    }
}

/// A JSON line that is not the record or checkpoint it should be, or whose content does not
/// match the hash it claims.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LineError {
    /// The line is not well-formed (the field named is missing or invalid).
    #[error("not a valid audit {expected} line: {source}")]
    Malformed {
        /// `record` or `checkpoint`.
        expected: &'static str,
        /// Which field is wrong.
        source: JsonLineError,
    },
    /// The line is the other kind.
    #[error("expected an audit {expected} line")]
    WrongKind {
        /// `record` or `checkpoint`.
        expected: &'static str,
    },
    /// The record's content does not hash to the `entry_hash` it shows: it was altered.
    #[error("the record's content does not match its entry_hash {claimed}; it was altered")]
    HashMismatch {
        /// The hash the line claims.
        claimed: Sha256Hash,
    },
}

impl Record {
    /// Reads one record line of an export (the form [`Record::to_json_line`] writes), recomputing
    /// its entry hash from the content: a line whose content was altered is refused even if its
    /// `entry_hash` was left as it was.
    ///
    /// # Errors
    /// [`LineError`] when the line is not a record or its content does not match its hash.
    pub fn from_json_line(line: &str) -> Result<Self, LineError> {
        const EXPECTED: &str = "record";
        match parse_line(line) {
            Ok(Parsed::Record(claimed)) if claimed.record.entry_hash() == claimed.claimed_hash => Ok(claimed.record),
            Ok(Parsed::Record(claimed)) => Err(LineError::HashMismatch { claimed: claimed.claimed_hash }),
            Ok(Parsed::Checkpoint(_)) => Err(LineError::WrongKind { expected: EXPECTED }),
            Err(source) => Err(LineError::Malformed { expected: EXPECTED, source }),
        }
    }
}

impl Checkpoint {
    /// The checkpoint as one line of an export, `{"checkpoint":{…}}`.
    pub fn to_json_line(&self) -> String {
        checkpoint_to_line(self)
    }

    /// Reads a checkpoint line (as [`Checkpoint::to_json_line`] writes it). The signature is not
    /// checked here; call [`Checkpoint::verify_signature`].
    ///
    /// # Errors
    /// [`LineError`] when the line is not a checkpoint.
    pub fn from_json_line(line: &str) -> Result<Self, LineError> {
        const EXPECTED: &str = "checkpoint";
        match parse_line(line) {
            Ok(Parsed::Checkpoint(checkpoint)) => Ok(checkpoint),
            Ok(Parsed::Record(_)) => Err(LineError::WrongKind { expected: EXPECTED }),
            Err(source) => Err(LineError::Malformed { expected: EXPECTED, source }),
        }
    }
}
