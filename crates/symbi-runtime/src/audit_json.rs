//! The JSON forms of audit records, checkpoints and proofs that the REST API and `symbi audit`
//! both show: one shape, in the field names `docs/audit.md` specifies, so a proof fetched over
//! HTTP and one printed by the CLI are checked the same way.

use serde_json::{Value, json};
use symbi_audit::{Checkpoint, CheckpointPublicKey, Record, RecordProof};

/// A record as in the JSON lines export (with `event_id`, `prev_hash`, `entry_hash`).
pub fn record_json(record: &Record) -> Value {
    serde_json::from_str(&record.to_json_line()).unwrap_or(Value::Null)
}

/// A signed checkpoint: `tree_size`, `root_hash`, `timestamp_ms`, `signature` (the object inside
/// the export's checkpoint line).
pub fn checkpoint_json(checkpoint: &Checkpoint) -> Value {
    let line: Value = serde_json::from_str(&checkpoint.to_json_line()).unwrap_or(Value::Null);
    line.get("checkpoint").cloned().unwrap_or(Value::Null)
}

/// A record with its inclusion proof against a signed checkpoint, and the key that verifies it.
pub fn proof_json(proof: &RecordProof, key: &CheckpointPublicKey) -> Value {
    let inclusion = &proof.inclusion;
    json!({
        "event_id": proof.record.event_id().to_string(),
        "record": record_json(&proof.record),
        "checkpoint": checkpoint_json(&proof.checkpoint),
        "inclusion": {
            "leaf_index": inclusion.leaf_index(),
            "tree_size": inclusion.tree_size(),
            "path": inclusion.path().iter().map(ToString::to_string).collect::<Vec<_>>(),
            "encoded": hex::encode(inclusion.to_bytes()),
        },
        "public_key": key.to_string(),
    })
}
