//! Tamper tests: each kind of tampering is detected at the right record, on an export and on a
//! data directory.

#![expect(clippy::indexing_slicing, reason = "tests index fixtures whose shape they assert")]

use std::fs;

use super::*;
use crate::json::{Parsed, parse_line, record_to_line};
use crate::log::{AuditConfig, AuditLog};
use crate::record::{Decision, Event};

/// A log of `n` records signed every `checkpoint_every` records, exported.
struct Export {
    checkpoints: Vec<String>,
    records: Vec<String>,
    key: CheckpointPublicKey,
    _dir: tempfile::TempDir,
}

fn export(n: u64, checkpoint_every: u64) -> Export {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), checkpoint_every);
    fill(&log, n);
    let mut out = Vec::new();
    log.export_jsonl(&mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let (checkpoints, records) = text.lines().map(str::to_owned).partition(|line| line.starts_with("{\"checkpoint\""));
    Export { checkpoints, records, key: *log.public_key(), _dir: dir }
}

fn open(dir: &Path, checkpoint_every: u64) -> AuditLog {
    let config = AuditConfig { checkpoint_every, checkpoint_interval: None, ..AuditConfig::default() };
    AuditLog::open(dir, &config).unwrap()
}

fn fill(log: &AuditLog, n: u64) {
    for i in 0..n {
        let decision = if i % 3 == 0 { Decision::Deny } else { Decision::Allow };
        let event = Event::approval_resolved(format!("agent-{i}"), "invoke_tool", "get_weather", decision);
        log.append_blocking(event).unwrap();
    }
}

impl Export {
    fn verify(&self) -> Result<VerifyReport, VerifyError> {
        let text = self.checkpoints.iter().chain(&self.records).cloned().collect::<Vec<_>>().join("\n");
        verify_jsonl(text.as_bytes(), &self.key)
    }

    fn record(&self, position: usize) -> Record {
        match parse_line(&self.records[position]).unwrap() {
            Parsed::Record(claimed) => claimed.record,
            Parsed::Checkpoint(_) => panic!("not a record"),
        }
    }

    /// Replaces the record at `position` with `record` re-sealed after `edit`.
    fn reseal(&mut self, position: usize, prev_hash: Sha256Hash, edit: impl FnOnce(&mut Event)) -> Record {
        let old = self.record(position);
        let mut event = old.event.clone();
        edit(&mut event);
        let record = encoding::seal(&mut Vec::new(), old.seq, old.timestamp_ms, event, prev_hash);
        self.records[position] = record_to_line(&record);
        record
    }
}

fn tampering(result: Result<VerifyReport, VerifyError>) -> Tampering {
    match result {
        Err(VerifyError::Tampered(tampering)) => tampering,
        other => panic!("expected tampering, got {other:?}"),
    }
}

fn check(result: Result<VerifyReport, VerifyError>, position: u64, kind: &Tamper) {
    let found = tampering(result);
    assert_eq!((found.position(), found.kind()), (Some(position), kind), "{found}");
}

#[test]
fn an_untouched_export_verifies() {
    let export = export(25, 10);
    let report = export.verify().unwrap();
    assert_eq!((report.records, report.checkpoints), (25, 2));
}

#[test]
fn a_changed_field_is_named() {
    let mut export = export(12, 10);
    export.records[5] = export.records[5].replace("agent-5", "mallory");
    check(export.verify(), 5, &Tamper::Changed);
}

#[test]
fn a_changed_record_with_a_recomputed_hash_is_named() {
    let mut export = export(12, 0);
    let prev = export.record(5).prev_hash;
    export.reseal(5, prev, |event| event.decision = Some(Decision::RequireApproval));
    let found = tampering(export.verify());
    assert_eq!(
        (found.position(), found.event_id(), found.kind()),
        (Some(5), Some(EventId::from_seq(5)), &Tamper::Changed)
    );
}

#[test]
fn a_deleted_record_is_named() {
    let mut export = export(12, 0);
    export.records.remove(5);
    check(export.verify(), 5, &Tamper::Deleted { missing: EventId::from_seq(5) });
}

#[test]
fn an_inserted_copy_is_named() {
    let mut export = export(12, 0);
    let copy = export.records[3].clone();
    export.records.insert(6, copy);
    check(export.verify(), 6, &Tamper::Inserted);
}

#[test]
fn an_inserted_forgery_that_chains_is_named() {
    let mut export = export(12, 0);
    let prev = export.record(4).entry_hash;
    let genuine = export.records[5].clone();
    export.reseal(5, prev, |event| event.agent = Some("forged".into()));
    export.records.insert(6, genuine);
    let found = tampering(export.verify());
    assert_eq!((found.position(), found.kind()), (Some(5), &Tamper::Inserted), "{found}");
}

#[test]
fn reordered_records_are_named() {
    let mut export = export(12, 0);
    export.records.swap(5, 6);
    check(export.verify(), 5, &Tamper::Reordered { expected: EventId::from_seq(5) });
    let mut moved = self::export(12, 0);
    let record = moved.records.remove(2);
    moved.records.push(record);
    check(moved.verify(), 2, &Tamper::Reordered { expected: EventId::from_seq(2) });
}

#[test]
fn truncation_below_a_checkpoint_is_named() {
    let mut export = export(25, 10);
    export.records.truncate(15);
    check(export.verify(), 15, &Tamper::Truncated { checkpoint_size: 20, records: 15 });
}

#[test]
fn a_rewritten_and_rechained_tail_is_caught_by_the_checkpoints() {
    for (every, expected_position) in [(1, 12), (5, 10)] {
        let mut export = export(20, every);
        let mut prev = export.record(11).entry_hash;
        for position in 12..20 {
            let record = export.reseal(position, prev, |event| {
                if position == 12 {
                    event.decision = Some(Decision::Allow);
                }
            });
            prev = record.entry_hash;
        }
        check(export.verify(), expected_position, &Tamper::Rechained { checkpoint_size: expected_position + every });
    }
}

#[test]
fn a_forged_checkpoint_is_rejected() {
    let mut export = export(12, 10);
    export.checkpoints[0] = export.checkpoints[0].replace("\"tree_size\":10", "\"tree_size\":9");
    let found = tampering(export.verify());
    assert_eq!(found.kind(), &Tamper::BadCheckpointSignature { tree_size: 9 });
}

#[test]
fn a_changed_byte_in_a_segment_is_named_and_refuses_open() {
    let dir = tempfile::tempdir().unwrap();
    let key = {
        let log = open(dir.path(), 4);
        fill(&log, 10);
        *log.public_key()
    };
    let segment = segment::list(dir.path()).unwrap().remove(0).path;
    let bytes = fs::read(&segment).unwrap();
    let at = bytes.windows(7).position(|w| w == b"agent-3").unwrap();
    let mut changed = bytes;
    changed[at + 6] = b'X';
    fs::write(&segment, &changed).unwrap();
    check(verify_dir(dir.path(), &key), 3, &Tamper::Changed);
    // In the segment being written, bad bytes could be an unfinished batch, but the signed
    // checkpoints cover record 3, so open refuses rather than cutting it off.
    assert!(matches!(
        AuditLog::open(dir.path(), &AuditConfig::default()),
        Err(crate::OpenError::Damaged { damage: crate::Damage::CheckpointMismatch { tree_size: 4 }, .. })
    ));
    assert_eq!(fs::read(&segment).unwrap(), changed, "a refused open changes nothing");
}

#[test]
fn a_changed_byte_in_a_sealed_segment_refuses_open() {
    let dir = tempfile::tempdir().unwrap();
    let config = AuditConfig {
        checkpoint_every: 0,
        checkpoint_interval: None,
        segment_max_bytes: 200,
        ..AuditConfig::default()
    };
    let log = AuditLog::open(dir.path(), &config).unwrap();
    fill(&log, 6);
    drop(log);
    let sealed = segment::list(dir.path()).unwrap().remove(0).path;
    let mut bytes = fs::read(&sealed).unwrap();
    let at = bytes.windows(7).position(|w| w == b"agent-0").unwrap();
    bytes[at + 6] = b'X';
    fs::write(&sealed, &bytes).unwrap();
    assert!(matches!(
        AuditLog::open(dir.path(), &config),
        Err(crate::OpenError::Damaged { damage: crate::Damage::Unreadable(DecodeError::HashMismatch), .. })
    ));
}

#[test]
fn verification_reports_progress_up_to_the_whole_log() {
    let dir = tempfile::tempdir().unwrap();
    let config = AuditConfig {
        checkpoint_every: 0,
        checkpoint_interval: None,
        segment_max_bytes: 300,
        ..AuditConfig::default()
    };
    let key = {
        let log = AuditLog::open(dir.path(), &config).unwrap();
        fill(&log, 8);
        *log.public_key()
    };
    let mut seen = Vec::new();
    verify_dir_with_progress(dir.path(), &key, &mut |progress| seen.push(progress)).unwrap();
    assert!(seen.len() > 1, "one report per segment");
    assert!(seen.windows(2).all(|w| w[0].records <= w[1].records && w[0].bytes <= w[1].bytes));
    let last = seen.last().unwrap();
    assert_eq!((last.records, last.bytes), (8, last.total_bytes));
}

#[test]
fn a_torn_tail_is_reported_offline_and_repaired_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let key = {
        let log = open(dir.path(), 0);
        fill(&log, 5);
        *log.public_key()
    };
    let segment = segment::list(dir.path()).unwrap().remove(0).path;
    let bytes = fs::read(&segment).unwrap();
    let data_end = bytes.iter().rposition(|&b| b != 0).unwrap() + 1;
    // A crash that cut the file inside the last record.
    fs::OpenOptions::new().write(true).open(&segment).unwrap().set_len(data_end as u64 - 10).unwrap();
    check(verify_dir(dir.path(), &key), 4, &Tamper::TornTail);
    assert_repaired(dir.path(), &key, 5);

    // A crash that left the end of the last batch unwritten inside the preallocated space.
    let bytes = fs::read(&segment).unwrap();
    let data_end = bytes.iter().rposition(|&b| b != 0).unwrap() + 1;
    let mut torn = bytes;
    torn[data_end - 10..data_end].fill(0);
    fs::write(&segment, &torn).unwrap();
    assert_repaired(dir.path(), &key, 5);

    // A crash after the cut but before the repair record was durable: the next open writes it.
    fs::write(dir.path().join("repair.pending"), "torn tail: cut 7 bytes at offset 9 of `x.seg`").unwrap();
    assert_repaired(dir.path(), &key, 6);
    assert!(!dir.path().join("repair.pending").exists());
}

/// Opens the log in `dir`, expecting its last record to be a fresh torn-tail repair.
fn assert_repaired(dir: &Path, key: &CheckpointPublicKey, records: u64) {
    let log = open(dir, 0);
    assert_eq!(log.len(), records, "the torn record was replaced by a repair record");
    let repair = log.record(EventId::from_seq(records - 1)).unwrap().unwrap();
    assert_eq!(repair.event().kind, crate::EventKind::LogRepair);
    assert!(repair.event().reason.as_deref().unwrap().contains("torn tail"), "{repair:?}");
    log.verify().unwrap();
    drop(log);
    verify_dir(dir, key).unwrap();
}

/// The vector in `docs/audit.md`, built from the documentation alone (by a short script, not by
/// this crate): the entry decodes and re-encodes byte for byte, and the JSON line's fields hash
/// to the documented `entry_hash`.
#[test]
fn the_documented_vector_matches_the_code() {
    const DOCUMENTED: &str = "sha256:16a27b7dd827ed8ed5fc0ea0398bfe65f10246df300d6cee46470957f41f5db0";
    let entry = &include_bytes!("../../../../fuzz/seeds/audit_decode/entry-decision")[1..];
    let record = encoding::decode_entry(entry).unwrap();
    assert_eq!(encoding::entry_bytes(&record), entry);
    assert_eq!(record.entry_hash().to_string(), DOCUMENTED);

    let line = &include_str!("../../../../fuzz/seeds/audit_decode/json-record")[1..];
    let Parsed::Record(claimed) = parse_line(line).unwrap() else { panic!("not a record") };
    assert_eq!(claimed.record, record);
    assert_eq!(claimed.claimed_hash.to_string(), DOCUMENTED);
    assert_eq!(record_to_line(&record), line);
}

mod random_logs {
    use proptest::prelude::*;

    use super::*;
    use crate::checkpoint::CheckpointSigner;
    use crate::record::{EventKind, Outcome, ReplayInputs};

    fn text() -> impl Strategy<Value = Option<String>> {
        proptest::option::of("[a-z0-9 \"\\\\é\u{1F600}-]{0,12}")
    }

    prop_compose! {
        fn event()(
            kind in proptest::sample::select(EventKind::ALL.to_vec()),
            strings in proptest::collection::vec(text(), 9),
            decision in proptest::option::of(proptest::sample::select(vec![Decision::Allow, Decision::Deny, Decision::RequireApproval])),
            outcome in proptest::option::of(proptest::sample::select(vec![Outcome::Success, Outcome::Error])),
            tier in proptest::option::of(0u8..4),
            duration in proptest::option::of(any::<u64>()),
            replay in proptest::option::of(("[a-z\"]{0,10}", any::<u8>())),
        ) -> Event {
            let mut strings = strings.into_iter();
            let mut next = || strings.next().flatten();
            let mut event = Event::new(kind);
            event.surface = next();
            event.agent = next();
            event.principal = next();
            event.action = next();
            event.resource = next();
            event.policy = next();
            event.request_id = next();
            event.reason = next();
            event.error = next();
            event.decision = decision;
            event.outcome = outcome;
            event.sandbox_tier = tier;
            event.duration_ms = duration;
            event.replay = replay.map(|(name, n)| ReplayInputs::new(
                Sha256Hash::digest(&[n]), name.clone(), "a", "r", &serde_json::json!({"n": n}), &serde_json::json!([name]),
            ));
            event
        }
    }

    /// A chained log of `events` as JSON lines, built the way the writer builds it.
    fn lines(events: Vec<Event>) -> Vec<String> {
        let mut head = Sha256Hash::ZERO;
        events
            .into_iter()
            .enumerate()
            .map(|(seq, event)| {
                let record = encoding::seal(&mut Vec::new(), seq as u64, 1_700_000_000_000 + seq as u64, event, head);
                let bytes = encoding::entry_bytes(&record);
                assert_eq!(encoding::decode_entry(&bytes).unwrap(), record);
                head = record.entry_hash;
                record_to_line(&record)
            })
            .collect()
    }

    fn key() -> CheckpointPublicKey {
        CheckpointSigner::load_or_create(tempfile::tempdir().unwrap().path()).unwrap().public_key()
    }

    fn run(lines: &[String], key: &CheckpointPublicKey) -> Result<VerifyReport, VerifyError> {
        verify_jsonl(lines.join("\n").as_bytes(), key)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn random_logs_verify_and_any_single_tampering_is_named(
            events in proptest::collection::vec(event(), 2..40),
            at_seed in any::<usize>(),
            how in 0u8..3,
        ) {
            let key = key();
            let mut lines = lines(events);
            let n = lines.len();
            prop_assert_eq!(run(&lines, &key).unwrap().records, n as u64);
            let at = at_seed % (n - 1);
            let expected = match how {
                0 => {
                    let Parsed::Record(claimed) = parse_line(&lines[at]).unwrap() else { unreachable!() };
                    let mut record = claimed.record;
                    record.event.agent = Some(format!("{}x", record.event.agent.unwrap_or_default()));
                    // Keep the old hash: the line now claims a hash its fields do not have.
                    let changed = record_to_line(&record);
                    lines[at] = changed;
                    Tamper::Changed
                }
                1 => {
                    lines.remove(at);
                    Tamper::Deleted { missing: EventId::from_seq(at as u64) }
                }
                _ => {
                    lines.swap(at, at + 1);
                    Tamper::Reordered { expected: EventId::from_seq(at as u64) }
                }
            };
            let found = tampering(run(&lines, &key));
            prop_assert_eq!((found.position(), found.kind()), (Some(at as u64), &expected));
        }
    }
}
