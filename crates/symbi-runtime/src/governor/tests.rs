use std::sync::Arc;

use symbi_policy::{Action, Decision, EntityRef, PolicyRequest, Surface};

use super::*;
use crate::agent::AgentDefinition;
use crate::store::SqliteStore;

async fn governor(dir: &Path, policy: &str, timeout: Duration) -> Arc<Governor> {
    std::fs::create_dir_all(dir.join("policies")).unwrap();
    std::fs::write(dir.join("policies/p.cedar"), policy).unwrap();
    let mut config = Config::load_with_env(dir, &|_| None).unwrap();
    config.approval_timeout = timeout;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.join("s.db")).unwrap());
    let def = AgentDefinition { name: "a".into(), dsl: Some("agent a {}".into()), ..AgentDefinition::default() };
    store.create_agent(&AgentId::parse("a").unwrap(), &def, SystemTime::now()).await.unwrap();
    let audit = Arc::new(symbi_audit::AuditLog::open(dir.join("audit"), &symbi_audit::AuditConfig::default()).unwrap());
    Arc::new(Governor::open(&config, store, audit).await.unwrap())
}

fn message(to: &str) -> PolicyRequest {
    PolicyRequest {
        principal: EntityRef::Agent("a".into()),
        action: Action::SendMessage,
        resource: EntityRef::Agent(to.into()),
        surface: Surface::Api,
        delegation_depth: Some(1),
    }
}

const POLICY: &str = r#"
@id("to-b") permit(principal, action == Action::"send_message", resource == Agent::"b");
@id("to-c-held") @approval permit(principal, action == Action::"send_message", resource == Agent::"c");
@id("tier-check") permit(principal, action == Action::"send_message", resource == Agent::"d") when { principal.sandbox_tier >= 1 };
"#;

#[tokio::test]
async fn authorize_allows_denies_and_holds() {
    let dir = tempfile::tempdir().unwrap();
    let g = governor(dir.path(), POLICY, Duration::from_secs(60)).await;
    let allowed = g.authorize(message("b")).await.unwrap();
    assert_eq!((allowed.policies(), allowed.approved_by()), (&["to-b".to_owned()][..], None));
    assert!(matches!(g.authorize(message("z")).await, Err(Refusal::Denied { .. })));
    // Attributes come from the agent registry: `a` is registered (tier 1 by default).
    assert_eq!(g.evaluate(&message("d")).await.decision, Decision::Allow);

    let waiter = tokio::spawn({
        let g = Arc::clone(&g);
        async move { g.authorize(message("c")).await }
    });
    let id = loop {
        if let Some(h) = g.approvals().pending().first() {
            break h.id.clone();
        }
        tokio::task::yield_now().await;
    };
    g.approvals().resolve(&id, Resolution::Approved { by: "admin-key".into() }).unwrap();
    let approved = waiter.await.unwrap().unwrap();
    assert_eq!(approved.approved_by(), Some("admin-key"));

    let waiter = tokio::spawn({
        let g = Arc::clone(&g);
        async move { g.authorize(message("c")).await }
    });
    let id = loop {
        if let Some(h) = g.approvals().pending().first() {
            break h.id.clone();
        }
        tokio::task::yield_now().await;
    };
    g.approvals().resolve(&id, Resolution::Denied { by: "admin-key".into() }).unwrap();
    assert_eq!(waiter.await.unwrap().unwrap_err(), Refusal::NotApproved { by: "admin-key".into() });
}

#[tokio::test(start_paused = true)]
async fn an_unapproved_hold_times_out_as_a_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let g = governor(dir.path(), POLICY, Duration::from_secs(5)).await;
    assert_eq!(g.authorize(message("c")).await.unwrap_err(), Refusal::ApprovalTimedOut);
}

#[tokio::test]
async fn invalid_files_keep_the_previous_set() {
    let dir = tempfile::tempdir().unwrap();
    let g = governor(dir.path(), POLICY, Duration::from_secs(5)).await;
    std::fs::write(dir.path().join("policies/p.cedar"), "permit(principal, action, resource) when { oops };").unwrap();
    assert!(g.reload().await.is_err());
    assert_eq!(g.policies().len(), 3);
    assert_eq!(g.evaluate(&message("b")).await.decision, Decision::Allow);
}

/// Every record in `audit`, oldest first.
fn all_records(audit: &symbi_audit::AuditLog) -> Vec<symbi_audit::Record> {
    let filter = symbi_audit::QueryFilter { limit: symbi_audit::QueryFilter::MAX_LIMIT, ..Default::default() };
    audit.query(&filter).unwrap().records
}

fn replay(archive: &symbi_audit::PolicyArchive, records: &[symbi_audit::Record]) -> crate::ReplayReport {
    let mut replayer = crate::Replayer::new(archive);
    records.iter().for_each(|r| replayer.check(r));
    replayer.finish()
}

async fn approve_next(g: &Governor) {
    let id = loop {
        if let Some(h) = g.approvals().pending().first() {
            break h.id.clone();
        }
        tokio::task::yield_now().await;
    };
    g.approvals().resolve(&id, Resolution::Approved { by: "admin-key".into() }).unwrap();
}

#[tokio::test]
async fn decisions_across_two_reloads_are_recorded_and_replay_without_difference() {
    let dir = tempfile::tempdir().unwrap();
    let g = governor(dir.path(), POLICY, Duration::from_secs(60)).await;
    assert!(g.authorize(message("b")).await.is_ok());
    assert!(g.authorize(message("z")).await.is_err());
    let held = tokio::spawn({
        let g = Arc::clone(&g);
        async move { g.authorize(message("c")).await }
    });
    approve_next(&g).await;
    assert!(held.await.unwrap().is_ok());

    // Reload 1: `b` is now forbidden, `z` allowed.
    let second = r#"
        @id("no-b") forbid(principal, action == Action::"send_message", resource == Agent::"b");
        @id("to-z") permit(principal, action == Action::"send_message", resource == Agent::"z");
        @id("any") permit(principal, action == Action::"send_message", resource);
    "#;
    std::fs::write(dir.path().join("policies/p.cedar"), second).unwrap();
    g.reload().await.unwrap();
    assert!(g.authorize(message("b")).await.is_err());
    assert!(g.authorize(message("z")).await.is_ok());
    // Reload 2: everything to `d` needs approval, and tier conditions read the entity data.
    let third = r#"
        @id("d-held") @approval permit(principal, action == Action::"send_message", resource == Agent::"d")
            when { principal.sandbox_tier >= 1 };
    "#;
    std::fs::write(dir.path().join("policies/p.cedar"), third).unwrap();
    g.reload().await.unwrap();
    let held = tokio::spawn({
        let g = Arc::clone(&g);
        async move { g.authorize(message("d")).await }
    });
    approve_next(&g).await;
    assert!(held.await.unwrap().is_ok());
    assert!(g.authorize(message("b")).await.is_err());

    let records = all_records(g.audit());
    let kinds = |kind| records.iter().filter(|r| r.event().kind == kind).count();
    assert_eq!(kinds(symbi_audit::EventKind::Decision), 7);
    assert_eq!(kinds(symbi_audit::EventKind::ApprovalResolved), 2);
    let sets: std::collections::HashSet<_> =
        records.iter().filter_map(|r| r.event().replay.as_ref().map(|i| i.policy_set)).collect();
    assert_eq!(sets.len(), 3, "each decision names the set it was made with");
    let first = records.first().unwrap().event();
    assert_eq!(
        (first.agent.as_deref(), first.policy.as_deref(), first.surface.as_deref()),
        (Some("a"), Some("to-b"), Some("api"))
    );
    assert_eq!(first.sandbox_tier, Some(1));

    let report = replay(g.audit().policy_archive(), &records);
    assert_eq!((report.replayed, report.differences.len()), (7, 0), "{:?}", report.differences);

    // A forger who rewrites one decision and re-chains the log (a fresh log with the same
    // events) passes the chain checks, but replay reports the record.
    let forged_dir = tempfile::tempdir().unwrap();
    let forged = symbi_audit::AuditLog::open(forged_dir.path(), &symbi_audit::AuditConfig::default()).unwrap();
    for (n, record) in records.iter().enumerate() {
        let mut event = record.event().clone();
        if n == 1 {
            event.decision = Some(symbi_audit::Decision::Allow);
        }
        forged.append(event).await.unwrap();
    }
    assert!(forged.verify().is_ok(), "the forged log is well chained");
    let report = replay(g.audit().policy_archive(), &all_records(&forged));
    assert_eq!(report.differences.len(), 1, "{:?}", report.differences);
    let difference = report.differences.first().unwrap();
    assert_eq!(difference.event_id, symbi_audit::EventId::from_seq(1));
    assert_eq!((difference.recorded.as_str(), difference.replayed.as_deref()), ("allow", Some("deny")));
}

#[tokio::test(start_paused = true)]
async fn a_timed_out_hold_is_recorded_as_a_deny() {
    let dir = tempfile::tempdir().unwrap();
    let g = governor(dir.path(), POLICY, Duration::from_secs(5)).await;
    assert_eq!(g.authorize(message("c")).await.unwrap_err(), Refusal::ApprovalTimedOut);
    let records = all_records(g.audit());
    let kinds: Vec<_> = records.iter().map(|r| (r.event().kind, r.event().decision)).collect();
    assert_eq!(
        kinds,
        [
            (symbi_audit::EventKind::Decision, Some(symbi_audit::Decision::RequireApproval)),
            (symbi_audit::EventKind::ApprovalTimeout, Some(symbi_audit::Decision::Deny)),
        ]
    );
}

#[tokio::test]
async fn agent_changes_are_recorded_with_who_made_them() {
    let dir = tempfile::tempdir().unwrap();
    let g = governor(dir.path(), POLICY, Duration::from_secs(5)).await;
    let id = AgentId::parse("helper").unwrap();
    let def = AgentDefinition { name: "helper".into(), ..AgentDefinition::default() };
    g.register_agent(&id, &def, "ApiKey::\"k1\"").await.unwrap();
    assert!(g.register_agent(&id, &def, "ApiKey::\"k1\"").await.is_err(), "a duplicate is refused unrecorded");
    assert!(g.remove_agent(&id, "ApiKey::\"k2\"").await.unwrap());
    assert!(!g.remove_agent(&id, "ApiKey::\"k2\"").await.unwrap());
    let changes: Vec<_> = all_records(g.audit())
        .iter()
        .map(|r| (r.event().action.clone().unwrap(), r.event().principal.clone().unwrap()))
        .collect();
    assert_eq!(
        changes,
        [("created".to_owned(), "ApiKey::\"k1\"".to_owned()), ("deleted".to_owned(), "ApiKey::\"k2\"".to_owned())]
    );
}

#[tokio::test]
async fn a_decision_that_cannot_be_recorded_authorizes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let g = governor(dir.path(), "permit(principal, action, resource);", Duration::from_secs(5)).await;
    // An agent whose entity data is larger than an audit record may be: its decision record
    // cannot be written, so the decision must not stand.
    let id = AgentId::parse("huge").unwrap();
    let capabilities = (0..80_000).map(|i| format!("capability-number-{i}")).collect();
    let def = AgentDefinition { name: "huge".into(), capabilities, ..AgentDefinition::default() };
    g.register_agent(&id, &def, "test").await.unwrap();
    let request = PolicyRequest {
        principal: EntityRef::Agent("huge".into()),
        action: Action::SendMessage,
        resource: EntityRef::Agent("b".into()),
        surface: Surface::Api,
        delegation_depth: None,
    };
    assert_eq!(g.evaluate(&request).await.decision, Decision::Allow, "policy alone would allow it");
    assert!(matches!(g.authorize(request).await, Err(Refusal::Unrecorded { .. })));
}

#[tokio::test]
async fn decisions_follow_agent_changes_made_after_earlier_decisions() {
    let dir = tempfile::tempdir().unwrap();
    let policy = r#"@id("tier-2") permit(principal, action == Action::"send_message", resource == Agent::"b") when { principal.sandbox_tier >= 2 };"#;
    let g = governor(dir.path(), policy, Duration::from_secs(5)).await;
    let id = AgentId::parse("a").unwrap();
    // Twice, so the second answer can come from the entity cache.
    for _ in 0..2 {
        assert_eq!(g.evaluate(&message("b")).await.decision, Decision::Deny, "`a` is tier 1 by default");
    }
    let tier2 = "agent a { with sandbox = \"tier2\" { x = respond(\"hi\"); } }";
    let update = AgentUpdate { dsl: Some(tier2.into()), ..AgentUpdate::default() };
    g.update_agent(&id, &update, "test").await.unwrap().unwrap();
    assert_eq!(g.evaluate(&message("b")).await.decision, Decision::Allow, "the new tier is seen at once");

    assert!(g.remove_agent(&id, "test").await.unwrap());
    assert_eq!(g.evaluate(&message("b")).await.decision, Decision::Deny, "a removed agent has no facts");
}

#[tokio::test]
async fn a_tool_catalog_swap_is_recorded_first_or_not_made() {
    let dir = tempfile::tempdir().unwrap();
    let g = governor(dir.path(), "permit(principal, action, resource);", Duration::from_secs(5)).await;
    assert_eq!(g.tool_catalog().tools().count(), 0);
    std::fs::create_dir_all(dir.path().join("tools")).unwrap();
    std::fs::write(
        dir.path().join("tools/t.clad.toml"),
        "[tool]\nname = \"t\"\nversion = \"1\"\nbinary = \"true\"\ndescription = \"d\"\n\
         [command]\nexec = [\"/bin/true\"]\n[output]\n",
    )
    .unwrap();
    // A record too large for the log cannot be written: the new catalog must not go in force.
    let unrecordable = "x".repeat(2 << 20);
    assert!(matches!(g.reload_tools(&unrecordable).await, Err(GovernorError::Audit { .. })));
    assert_eq!(g.tool_catalog().tools().count(), 0, "nothing swapped without a record");

    assert_eq!(g.reload_tools("ApiKey::\"k1\"").await.unwrap(), 1);
    assert_eq!(g.tool_catalog().tools().count(), 1);
    let reloads: Vec<(Option<String>, Option<String>)> = all_records(g.audit())
        .iter()
        .map(symbi_audit::Record::event)
        .filter(|e| e.kind == symbi_audit::EventKind::ConfigChange)
        .map(|e| (e.principal.clone(), e.reason.clone()))
        .collect();
    assert_eq!(reloads, [(Some("ApiKey::\"k1\"".to_owned()), Some("added: t".to_owned()))]);
}
