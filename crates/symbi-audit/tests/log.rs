//! The public API end to end: appends, reads, subscriptions, proofs, archiving and reopening.

use std::sync::Arc;

use symbi_audit::{
    AuditConfig, AuditLog, Cursor, Decision, Event, EventId, EventKind, Outcome, QueryFilter, ReplayInputs, verify_dir,
    verify_jsonl,
};

fn config(checkpoint_every: u64) -> AuditConfig {
    AuditConfig { checkpoint_every, checkpoint_interval: None, ..AuditConfig::default() }
}

#[expect(clippy::unwrap_used, reason = "a policy set that cannot be archived fails the test")]
fn decision(agent: &str, decision: Decision, log: &AuditLog) -> Event {
    let policy_set = log.policy_archive().archive("permit(principal, action, resource);").unwrap();
    let replay = ReplayInputs::new(
        policy_set,
        format!("Agent::\"{agent}\""),
        "Action::\"invoke_tool\"",
        "Tool::\"get_weather\"",
        &serde_json::json!({"tier": 2}),
        &serde_json::json!([]),
    );
    Event::decision(agent, "invoke_tool", "get_weather", decision, replay).with_surface("api").with_sandbox_tier(2)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_are_all_durable_chained_and_queryable() {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(AuditLog::open(dir.path(), &config(50)).unwrap());
    let mut tasks = Vec::new();
    for task in 0..16 {
        let log = Arc::clone(&log);
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..20 {
                let verdict = if i % 4 == 0 { Decision::Deny } else { Decision::Allow };
                let event = decision(&format!("agent-{task}"), verdict, &log);
                ids.push(log.append(event).await.unwrap().event_id);
            }
            ids
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.extend(task.await.unwrap());
    }
    ids.sort();
    assert_eq!(ids, (0..320).map(EventId::from_seq).collect::<Vec<_>>());
    assert_eq!(log.verify().unwrap().records, 320);

    let denies =
        QueryFilter { agent: Some("agent-3".into()), decision: Some(Decision::Deny), ..QueryFilter::default() };
    let page = log.query(&denies).unwrap();
    assert_eq!(page.records.len(), 5);
    assert!(page.records.iter().all(|r| r.event().agent.as_deref() == Some("agent-3")));

    // Paging with a cursor visits every record exactly once.
    let mut seen = Vec::new();
    let mut filter = QueryFilter { limit: 64, kind: Some(EventKind::Decision), ..QueryFilter::default() };
    loop {
        let page = log.query(&filter).unwrap();
        seen.extend(page.records.iter().map(|r| r.event_id()));
        match page.next {
            Some(next) => filter.after = Some(next.to_string().parse::<Cursor>().unwrap()),
            None => break,
        }
    }
    assert_eq!(seen, (0..320).map(EventId::from_seq).collect::<Vec<_>>());

    let since = QueryFilter {
        since: Some(std::time::SystemTime::now() + std::time::Duration::from_secs(60)),
        ..QueryFilter::default()
    };
    assert!(log.query(&since).unwrap().records.is_empty());
}

#[tokio::test]
async fn decision_records_keep_their_replay_inputs_and_policy_text() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::open(dir.path(), &config(0)).unwrap();
    let receipt = log.append(decision("planner-01", Decision::RequireApproval, &log)).await.unwrap();
    let record = log.record(receipt.event_id).unwrap().unwrap();
    assert_eq!(record.entry_hash(), receipt.entry_hash);
    let replay = record.event().replay.as_ref().unwrap();
    assert_eq!(replay.context, r#"{"tier":2}"#);
    let text = log.policy_archive().get(&replay.policy_set).unwrap().unwrap();
    assert_eq!(text, "permit(principal, action, resource);");
    assert!(log.record(EventId::from_seq(1)).unwrap().is_none());
}

#[tokio::test]
async fn subscribers_see_each_record_once_it_is_durable() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::open(dir.path(), &config(0)).unwrap();
    let mut tail = log.subscribe();
    let outcome = Event::execution_outcome("planner-01", "invoke_tool", "get_weather", Outcome::Success, 142);
    let receipt = log.append(outcome).await.unwrap();
    let seen = tail.recv().await.unwrap();
    assert_eq!(seen.event_id(), receipt.event_id);
    assert_eq!(seen.event().duration_ms, Some(142));
    let line = seen.to_json_line();
    assert!(line.starts_with(r#"{"event_id":"evt_0000000000000000","timestamp":""#), "{line}");
    assert!(line.contains(r#""kind":"execution_outcome""#) && line.contains(r#""duration_ms":142"#), "{line}");
}

#[tokio::test]
async fn proofs_verify_against_signed_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::open(dir.path(), &config(0)).unwrap();
    for i in 0..10 {
        log.append(Event::agent_lifecycle(format!("agent-{i}"), "created")).await.unwrap();
    }
    let old = log.checkpoint().await.unwrap();
    let mut receipts = Vec::new();
    for i in 0..7 {
        receipts.push(log.append(Event::auth_failure("api", format!("unknown key {i}"))).await.unwrap());
    }
    let proof = log.proof(receipts[3].event_id).await.unwrap();
    assert_eq!(proof.checkpoint.tree_size(), 17, "a new checkpoint covers the record");
    proof.checkpoint.verify_signature(log.public_key()).unwrap();
    proof.checkpoint.verify_inclusion(&proof.inclusion, &receipts[3].entry_hash).unwrap();
    assert!(proof.checkpoint.verify_inclusion(&proof.inclusion, &receipts[4].entry_hash).is_err());
    assert!(old.verify_inclusion(&proof.inclusion, &receipts[3].entry_hash).is_err(), "other tree size");

    let consistency = log.consistency_proof(old.tree_size(), proof.checkpoint.tree_size()).unwrap();
    old.verify_consistency(&proof.checkpoint, &consistency).unwrap();
    assert!(proof.checkpoint.verify_consistency(&old, &consistency).is_err());

    // A proof from another log is rejected by this log's checkpoint.
    let other_dir = tempfile::tempdir().unwrap();
    let other = AuditLog::open(other_dir.path(), &config(0)).unwrap();
    for i in 0..17 {
        other.append(Event::agent_lifecycle(format!("agent-{i}"), "created")).await.unwrap();
    }
    let foreign = other.proof(receipts[3].event_id).await.unwrap();
    assert!(proof.checkpoint.verify_inclusion(&foreign.inclusion, &foreign.record.entry_hash()).is_err());
}

#[tokio::test]
async fn archived_segments_stay_part_of_the_log_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let small = AuditConfig { segment_max_bytes: 512, ..config(7) };
    let key = {
        let log = AuditLog::open(dir.path(), &small).unwrap();
        for i in 0..40 {
            log.append(Event::key_management("admin", "rotate", format!("key-{i}"))).await.unwrap();
        }
        let moved = log.archive_segments().await.unwrap();
        assert!(moved > 1, "{moved}");
        log.append(Event::key_management("admin", "revoke", "key-0")).await.unwrap();
        assert_eq!(log.query(&QueryFilter { limit: 1000, ..QueryFilter::default() }).unwrap().records.len(), 41);
        log.verify().unwrap();
        *log.public_key()
    };
    let log = AuditLog::open(dir.path(), &small).unwrap();
    assert_eq!(log.len(), 41);
    let receipt = log.append(Event::key_management("admin", "create", "key-41")).await.unwrap();
    assert_eq!(receipt.event_id, EventId::from_seq(41));
    let first = log.record(EventId::from_seq(0)).unwrap().unwrap();
    assert_eq!(first.event().resource.as_deref(), Some("key-0"));
    let mut export = Vec::new();
    assert_eq!(log.export_jsonl(&mut export).unwrap(), 42);
    drop(log);
    assert_eq!(verify_dir(dir.path(), &key).unwrap().records, 42);
    assert_eq!(verify_jsonl(export.as_slice(), &key).unwrap().records, 42);
}

#[test]
fn a_second_writer_is_refused_and_oversized_records_fail_closed() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::open(dir.path(), &config(0)).unwrap();
    assert!(matches!(AuditLog::open(dir.path(), &config(0)), Err(symbi_audit::OpenError::Locked { .. })));
    let huge = Event::auth_failure("api", "x".repeat(2 << 20));
    assert!(matches!(log.append_blocking(huge), Err(symbi_audit::AppendError::TooLarge { .. })));
    assert!(log.is_empty());
}

#[test]
fn checkpoints_are_signed_by_count_and_by_time() {
    let dir = tempfile::tempdir().unwrap();
    let by_count = AuditLog::open(dir.path(), &config(3)).unwrap();
    for i in 0..7 {
        by_count.append_blocking(Event::agent_lifecycle(format!("agent-{i}"), "started")).unwrap();
    }
    assert_eq!(by_count.latest_checkpoint().unwrap().tree_size(), 6);
    drop(by_count);

    let timed = AuditConfig {
        checkpoint_every: 0,
        checkpoint_interval: Some(std::time::Duration::from_millis(30)),
        ..AuditConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::open(dir.path(), &timed).unwrap();
    log.append_blocking(Event::agent_lifecycle("planner-01", "started")).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while log.latest_checkpoint().is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let checkpoint = log.latest_checkpoint().unwrap();
    assert_eq!(checkpoint.tree_size(), 1);
    checkpoint.verify_signature(log.public_key()).unwrap();
}

#[tokio::test]
async fn a_deleted_archived_segment_is_never_silent() {
    let dir = tempfile::tempdir().unwrap();
    let small = AuditConfig { segment_max_bytes: 256, ..config(0) };
    let key = {
        let log = AuditLog::open(dir.path(), &small).unwrap();
        for i in 0..12 {
            log.append(Event::agent_lifecycle(format!("agent-{i}"), "deleted")).await.unwrap();
        }
        assert!(log.archive_segments().await.unwrap() > 0);
        *log.public_key()
    };
    let oldest = std::fs::read_dir(dir.path().join("archive")).unwrap().map(|e| e.unwrap().path()).min().unwrap();
    std::fs::remove_file(oldest).unwrap();
    assert!(matches!(
        AuditLog::open(dir.path(), &small),
        Err(symbi_audit::OpenError::Damaged { damage: symbi_audit::Damage::OutOfSequence { expected: 0, .. }, .. })
    ));
    let Err(symbi_audit::VerifyError::Tampered(tampering)) = verify_dir(dir.path(), &key) else {
        panic!("a missing segment must fail verification")
    };
    assert_eq!(tampering.position(), Some(0));
    assert_eq!(tampering.kind(), &symbi_audit::Tamper::Deleted { missing: EventId::from_seq(0) });
}
