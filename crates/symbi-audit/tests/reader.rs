//! `AuditReader`: reading a log that an `AuditLog` (standing in for the runtime) holds open,
//! without its lock, and without changing a byte of it.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use symbi_audit::{
    AuditConfig, AuditLog, AuditReader, Decision, Event, EventId, OpenError, ProveError, QueryFilter, ReplayInputs,
    Sha256Hash, verify_jsonl,
};

mod paging;

fn config() -> AuditConfig {
    AuditConfig { checkpoint_every: 0, checkpoint_interval: None, ..AuditConfig::default() }
}

fn event(i: u64) -> Event {
    let replay = ReplayInputs::new(
        Sha256Hash::digest(b"policy set"),
        format!("Agent::\"agent-{i}\""),
        "Action::\"invoke_tool\"",
        "Tool::\"get_weather\"",
        &serde_json::json!({"i": i}),
        &serde_json::json!([]),
    );
    let decision = if i.is_multiple_of(3) { Decision::Deny } else { Decision::Allow };
    Event::decision(format!("agent-{}", i % 4), "invoke_tool", "get_weather", decision, replay)
}

#[expect(clippy::unwrap_used, reason = "a log that cannot be written fails the test")]
fn fill(log: &AuditLog, range: std::ops::Range<u64>) {
    for i in range {
        log.append_blocking(event(i)).unwrap();
    }
}

/// Every file under `dir` with its bytes: what a reader must leave exactly as it found it.
#[expect(clippy::unwrap_used, reason = "a directory that cannot be read fails the test")]
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files.insert(path.clone(), Vec::new());
                folders.push(path);
            } else {
                files.insert(path.clone(), fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// Runs one of the log's async calls (checkpoint, archive) from a plain test.
#[expect(clippy::unwrap_used, reason = "a runtime that cannot start fails the test")]
fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(future)
}

/// Every id in the reader's view, paged seven at a time.
fn all_ids(reader: &AuditReader) -> Vec<EventId> {
    paging::query_all(QueryFilter { limit: 7, ..QueryFilter::default() }, |filter| reader.query(filter))
}

#[test]
fn a_reader_sees_what_a_running_log_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::open(dir.path(), &config()).unwrap();
    fill(&log, 0..30);

    // The log still holds its lock: a second writer is refused, a reader is not.
    assert!(matches!(AuditLog::open(dir.path(), &config()), Err(OpenError::Locked { .. })));
    let reader = AuditReader::open(dir.path()).unwrap();
    assert_eq!(reader.len(), 30);
    assert_eq!(reader.public_key(), log.public_key());
    assert_eq!(reader.record(EventId::from_seq(12)).unwrap(), log.record(EventId::from_seq(12)).unwrap());
    assert_eq!(reader.record(EventId::from_seq(30)).unwrap(), None);
    assert_eq!(all_ids(&reader), (0..30).map(EventId::from_seq).collect::<Vec<_>>());
    let denies = QueryFilter { decision: Some(Decision::Deny), ..QueryFilter::default() };
    assert_eq!(reader.query(&denies).unwrap().records.len(), 10);

    let mut export = Vec::new();
    assert_eq!(reader.export_jsonl(&mut export).unwrap(), 30);
    assert_eq!(verify_jsonl(export.as_slice(), log.public_key()).unwrap().records, 30);
    let mut progress = Vec::new();
    let report = reader.verify_with_progress(&mut |done| progress.push(done)).unwrap();
    assert_eq!(report, log.verify().unwrap());
    assert_eq!(progress.last().map(|done| done.records), Some(30));
}

#[test]
fn reader_proofs_need_a_checkpoint_that_covers_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::open(dir.path(), &config()).unwrap();
    fill(&log, 0..5);
    let mut reader = AuditReader::open(dir.path()).unwrap();
    let id = EventId::from_seq(3);
    let error = reader.proof(id).unwrap_err();
    assert!(matches!(error, ProveError::NotCheckpointed { event_id } if event_id == id), "{error:?}");
    assert!(error.to_string().contains("symbi audit checkpoint"), "{error}");
    assert!(matches!(reader.proof(EventId::from_seq(9)), Err(ProveError::NotFound { .. })));

    let first = block_on(log.checkpoint()).unwrap();
    fill(&log, 5..9);
    assert_eq!(reader.refresh().unwrap(), 4);
    let proof = reader.proof(id).unwrap();
    assert_eq!(proof.checkpoint, first);
    proof.checkpoint.verify_signature(reader.public_key()).unwrap();
    proof.checkpoint.verify_inclusion(&proof.inclusion, &proof.record.entry_hash()).unwrap();
    // Record 7 came after the only checkpoint.
    assert!(matches!(reader.proof(EventId::from_seq(7)), Err(ProveError::NotCheckpointed { .. })));

    let second = block_on(log.checkpoint()).unwrap();
    reader.refresh().unwrap();
    assert_eq!(reader.latest_checkpoint(), Some(second.clone()));
    let proof = reader.proof(EventId::from_seq(7)).unwrap();
    proof.checkpoint.verify_inclusion(&proof.inclusion, &proof.record.entry_hash()).unwrap();
    let consistency = reader.consistency_proof(first.tree_size(), second.tree_size()).unwrap();
    first.verify_consistency(&second, &consistency).unwrap();
}

#[test]
fn refresh_reads_only_what_was_appended_across_segments_and_archiving() {
    let dir = tempfile::tempdir().unwrap();
    let config = AuditConfig { segment_max_bytes: 2048, ..config() };
    let log = AuditLog::open(dir.path(), &config).unwrap();
    let mut reader = AuditReader::open(dir.path()).unwrap();
    assert!(reader.is_empty());
    assert_eq!(reader.refresh().unwrap(), 0);
    fill(&log, 0..20);
    assert_eq!(reader.refresh().unwrap(), 20);
    assert_eq!(reader.refresh().unwrap(), 0);
    assert!(block_on(log.archive_segments()).unwrap() > 0);
    fill(&log, 20..45);
    assert_eq!(reader.refresh().unwrap(), 25);
    assert_eq!(all_ids(&reader), (0..45).map(EventId::from_seq).collect::<Vec<_>>());
    assert_eq!(reader.verify().unwrap().records, 45);
    // A fresh reader agrees with the refreshed one.
    let fresh = AuditReader::open(dir.path()).unwrap();
    assert_eq!(fresh.verify().unwrap(), reader.verify().unwrap());
}

#[test]
fn a_reader_polling_a_busy_log_sees_a_growing_chained_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let config = AuditConfig { segment_max_bytes: 16 << 10, checkpoint_every: 50, ..config() };
    let log = Arc::new(AuditLog::open(dir.path(), &config).unwrap());
    let mut reader = AuditReader::open(dir.path()).unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let log = Arc::clone(&log);
            std::thread::spawn(move || fill(&log, w * 100..(w + 1) * 100))
        })
        .collect();
    let watcher = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let mut seen = 0;
            while !done.load(Ordering::Acquire) {
                seen += reader.refresh().unwrap();
                assert_eq!(reader.len(), seen);
            }
            reader.refresh().unwrap();
            reader
        })
    };
    for writer in writers {
        writer.join().unwrap();
    }
    done.store(true, Ordering::Release);
    let reader = watcher.join().unwrap();
    assert_eq!(reader.len(), 400);
    assert_eq!(reader.verify().unwrap(), log.verify().unwrap());
}

/// Writes the first half of a copy of the live segment's last record after its data: what a
/// writer killed mid-append leaves (and what a reader sees while a write is in flight).
#[expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a segment that cannot be torn as planned fails the test"
)]
fn tear_tail(dir: &Path) {
    let segments = dir.join("segments");
    let path = fs::read_dir(&segments).unwrap().map(|entry| entry.unwrap().path()).max().unwrap();
    let mut bytes = fs::read(&path).unwrap();
    // Walk the frames (length word, entry, 32-byte hash) up to the zero length word that ends
    // the data.
    let (mut start, mut end) = (0, 0);
    loop {
        let len = u32::from_be_bytes(bytes[end..end + 4].try_into().unwrap()) as usize;
        if len == 0 {
            break;
        }
        start = end;
        end += len + 36;
    }
    let half: Vec<u8> = bytes[start..start + (end - start) / 2].to_vec();
    bytes.splice(end..end + half.len(), half);
    fs::write(&path, bytes).unwrap();
}

#[test]
fn a_reader_leaves_a_torn_tail_alone() {
    let dir = tempfile::tempdir().unwrap();
    let key = {
        let log = AuditLog::open(dir.path(), &config()).unwrap();
        fill(&log, 0..6);
        *log.public_key()
    };
    tear_tail(dir.path());
    let before = snapshot(dir.path());

    let mut reader = AuditReader::open(dir.path()).unwrap();
    assert_eq!(reader.len(), 6);
    assert_eq!(all_ids(&reader), (0..6).map(EventId::from_seq).collect::<Vec<_>>());
    assert_eq!(reader.verify().unwrap().records, 6);
    let mut export = Vec::new();
    reader.export_jsonl(&mut export).unwrap();
    assert_eq!(verify_jsonl(export.as_slice(), &key).unwrap().records, 6);
    assert_eq!(reader.refresh().unwrap(), 0);
    assert!(reader.policy_archive().archive("permit(principal, action, resource);").is_err());
    drop(reader);
    assert_eq!(snapshot(dir.path()), before, "the reader changed the log directory");

    // It was a torn tail, not damage: the writer's open repairs it.
    let log = AuditLog::open(dir.path(), &config()).unwrap();
    assert_eq!(log.len(), 7);
}

#[test]
fn a_reader_refuses_damage_beyond_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    let config = AuditConfig { segment_max_bytes: 1024, ..config() };
    drop({
        let log = AuditLog::open(dir.path(), &config).unwrap();
        fill(&log, 0..10);
        log
    });
    // The first segment is sealed: a bad record there is damage, not a write in flight.
    let segment = dir.path().join("segments").join("0000000000000000.seg");
    let mut bytes = fs::read(&segment).unwrap();
    bytes[20] ^= 0x40;
    fs::write(&segment, &bytes).unwrap();
    let before = snapshot(dir.path());
    let error = AuditReader::open(dir.path()).unwrap_err();
    assert!(matches!(&error, OpenError::Damaged { path, offset: 0, .. } if *path == segment), "{error:?}");
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn a_missing_log_is_an_error_and_nothing_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("audit");
    let error = AuditReader::open(&missing).unwrap_err();
    assert!(matches!(&error, OpenError::NotFound { path } if *path == missing), "{error:?}");
    assert!(error.to_string().contains("no audit log"), "{error}");
    assert!(!missing.exists());
    // A folder that exists but holds no log is not one either.
    assert!(matches!(AuditReader::open(dir.path()), Err(OpenError::NotFound { .. })));
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}
