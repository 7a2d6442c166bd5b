//! The tamper-evident audit log of symbi: the system of record for every decision and outcome,
//! durable across crashes and provable to an outside verifier.
//!
//! ```text
//! Event ──► AuditLog::append ──► writer thread (group commit: one write + one fsync per batch)
//!                                   │ canonical entry ─► entry_hash = SHA-256(0x00 ‖ entry)
//!                                   │ chain: each entry includes the previous entry_hash
//!                                   ▼
//!              segments/*.seg  ──► Merkle tree (RFC 9162) ──► signed Checkpoint (Ed25519)
//!                   │                          │
//!   query / record / subscribe / export_jsonl  └─► InclusionProof / ConsistencyProof
//!   verify / verify_dir / verify_jsonl (offline, with checkpoint.pub only)
//!                   │
//!   AuditReader::open / refresh: the same reads, no lock, no writes (the CLI beside `symbi up`)
//! ```
//!
//! An append returns only once its record is fsynced; concurrent appends share one fsync. A
//! failed append is an error the caller must treat as "not done" (fail closed). On open, a torn
//! tail left by a crash is cut off and a `log_repair` record says so; any other damage refuses
//! the open. While one process holds the log open, others read it through an [`AuditReader`],
//! which leaves a torn tail (a write in flight) out of its view instead of repairing it and
//! changes no file. Verification re-derives every hash, follows the chain, rebuilds the Merkle tree and
//! checks every signed checkpoint, and names the first bad record and why (changed, deleted,
//! inserted, reordered, truncated, or rewritten and re-chained). Decision records carry the hash
//! of their policy set (kept in the [`PolicyArchive`]) and the inputs the decision read, so they
//! can be replayed. The byte layouts are specified in `docs/audit.md`.
//!
//! What this crate never does: network I/O, logging, deleting a record or a segment, or
//! storing a secret (callers must not put credentials in any field; the checkpoint signing key
//! never leaves `checkpoint.key`).
//!
//! Features: `fuzzing` exposes hidden decode entry points for `fuzz/`; never on the decision path.
//!
//! ```
//! use symbi_audit::{AuditConfig, AuditLog, Decision, Event, ReplayInputs, verify_jsonl};
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let dir = tempfile::tempdir().unwrap();
//! let log = AuditLog::open(dir.path(), &AuditConfig::default()).unwrap();
//! let policy_set = log.policy_archive().archive("permit(principal, action, resource);").unwrap();
//! let replay = ReplayInputs::new(
//!     policy_set,
//!     r#"Agent::"planner-01""#,
//!     r#"Action::"invoke_tool""#,
//!     r#"Tool::"get_weather""#,
//!     &serde_json::json!({}),
//!     &serde_json::json!([]),
//! );
//! let event = Event::decision("planner-01", "invoke_tool", "get_weather", Decision::Allow, replay)
//!     .with_surface("api");
//! let receipt = log.append(event).await.unwrap();
//!
//! let proof = log.proof(receipt.event_id).await.unwrap();
//! proof.checkpoint.verify_inclusion(&proof.inclusion, &receipt.entry_hash).unwrap();
//!
//! let mut export = Vec::new();
//! log.export_jsonl(&mut export).unwrap();
//! assert_eq!(verify_jsonl(export.as_slice(), log.public_key()).unwrap().records, 1);
//! # });
//! ```

#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr)]
#![deny(clippy::indexing_slicing)]

mod checkpoint;
mod encoding;
mod fsutil;
mod hash;
mod inbox;
mod index;
mod json;
mod log;
mod merkle;
mod policy_archive;
mod proof;
mod query;
mod reader;
mod record;
mod recovery;
mod segment;
mod verify;
mod view;
mod writer;

pub use checkpoint::{Checkpoint, CheckpointError, CheckpointPublicKey, PUBLIC_KEY_FILE};
pub use encoding::DecodeError;
pub use hash::{HashParseError, Sha256Hash};
pub use inbox::submit_to_inbox;
pub use index::ReadError;
pub use json::{JsonLineError, LineError};
pub use log::{AuditConfig, AuditLog};
pub use policy_archive::PolicyArchive;
pub use proof::{ConsistencyProof, InclusionProof, ProofError};
pub use query::{Cursor, Page, QueryFilter};
pub use reader::AuditReader;
pub use record::{Decision, Event, EventId, EventIdParseError, EventKind, Outcome, Record, ReplayInputs};
pub use recovery::{Damage, OpenError};
pub use verify::{
    Tamper, Tampering, VerifyError, VerifyProgress, VerifyReport, verify_dir, verify_dir_with_progress, verify_jsonl,
};
pub use view::{ExportError, ProveError, RecordProof};
pub use writer::{AppendError, Receipt};

/// Entry points for the `fuzz/` targets: decode untrusted input and check what decodes
/// re-encodes to the same value.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing {
    use crate::encoding::{decode_entry, entry_bytes};
    use crate::json::{Parsed, parse_line, record_to_line};
    use crate::proof::{ConsistencyProof, InclusionProof};

    /// A canonical entry that decodes must re-encode to the same bytes.
    pub fn entry_round_trips(bytes: &[u8]) -> bool {
        decode_entry(bytes).map_or(true, |record| entry_bytes(&record) == bytes)
    }

    /// A JSON record line that decodes must print to a line that decodes to the same record.
    pub fn json_line_round_trips(line: &str) -> bool {
        match parse_line(line) {
            Ok(Parsed::Record(claimed)) => {
                matches!(parse_line(&record_to_line(&claimed.record)), Ok(Parsed::Record(again)) if again.record == claimed.record)
            }
            Ok(Parsed::Checkpoint(_)) | Err(_) => true,
        }
    }

    /// Proofs that decode must re-encode to the same bytes.
    pub fn proofs_round_trip(bytes: &[u8]) -> bool {
        InclusionProof::from_bytes(bytes).map_or(true, |proof| proof.to_bytes() == bytes)
            && ConsistencyProof::from_bytes(bytes).map_or(true, |proof| proof.to_bytes() == bytes)
    }
}
