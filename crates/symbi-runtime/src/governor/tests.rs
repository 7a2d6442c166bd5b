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
