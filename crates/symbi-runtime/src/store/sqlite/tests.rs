use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn definition(name: &str) -> AgentDefinition {
    AgentDefinition { name: name.to_owned(), dsl: Some(format!("agent {name}() {{}}")), ..AgentDefinition::default() }
}

fn id(s: &str) -> AgentId {
    AgentId::parse(s).unwrap()
}

#[test]
fn agents_round_trip_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let now = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
    rt().block_on(async {
        let store = SqliteStore::open(&path).unwrap();
        let mut def = definition("planner");
        def.model = Some(ModelProfile {
            system_prompt: "plan".into(),
            tools: vec!["search".into()],
            model: Some("m".into()),
            temperature: Some(0.25),
            top_p: None,
            max_tokens: Some(64),
        });
        def.metadata.insert("team".into(), "blue".into());
        let created = store.create_agent(&id("a1"), &def, now).await.unwrap();
        assert_eq!(created.state, AgentState::Idle);
        assert!(matches!(store.create_agent(&id("a1"), &def, now).await, Err(StoreError::AgentExists { .. })));
        assert_eq!(store.agent(&id("a1")).await.unwrap(), Some(created.clone()));
        drop(store);

        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.agent(&id("a1")).await.unwrap(), Some(created));
        let update = AgentUpdate { name: Some("renamed".into()), ..AgentUpdate::default() };
        let updated = store.update_agent(&id("a1"), &update, now + Duration::from_secs(1)).await.unwrap().unwrap();
        assert_eq!(updated.definition.name, "renamed");
        assert_eq!(updated.definition.dsl, def.dsl);
        let history = store.agent_history(&id("a1"), 10).await.unwrap();
        assert_eq!(history.iter().map(|h| h.status.as_str()).collect::<Vec<_>>(), ["updated", "registered"]);
        assert!(store.delete_agent(&id("a1")).await.unwrap());
        assert!(!store.delete_agent(&id("a1")).await.unwrap());
        assert!(store.agent_history(&id("a1"), 10).await.unwrap().is_empty());
        assert_eq!(store.update_agent(&id("a1"), &update, now).await.unwrap(), None);
    });
}

#[test]
fn keys_revoke_once() {
    let dir = tempfile::tempdir().unwrap();
    rt().block_on(async {
        let store = SqliteStore::open(&dir.path().join("s.db")).unwrap();
        let (_, key) = crate::keys::issue(KeyScope::Agents(vec![id("a"), id("b")]), "ci", UNIX_EPOCH).unwrap();
        store.insert_key(&key).await.unwrap();
        assert!(matches!(store.insert_key(&key).await, Err(StoreError::KeyExists { .. })));
        assert_eq!(store.keys().await.unwrap(), std::slice::from_ref(&key));
        let now = UNIX_EPOCH + Duration::from_secs(5);
        assert_eq!(store.revoke_key(&key.id, now).await.unwrap(), Revocation::Revoked);
        assert_eq!(store.revoke_key(&key.id, now).await.unwrap(), Revocation::AlreadyRevoked);
        let other = KeyId::parse("0000000000000000").unwrap();
        assert_eq!(store.revoke_key(&other, now).await.unwrap(), Revocation::NotFound);
        assert_eq!(store.keys().await.unwrap()[0].revoked_at, Some(now));
    });
}

#[test]
fn change_marker_sees_writes_from_another_process() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    rt().block_on(async {
        let store = SqliteStore::open(&path).unwrap();
        let before = store.change_marker().await.unwrap();
        assert_eq!(store.change_marker().await.unwrap(), before);
        // A second handle stands in for `symbi keys` run beside the server.
        let other = SqliteStore::open(&path).unwrap();
        other.create_agent(&id("x"), &definition("x"), SystemTime::now()).await.unwrap();
        assert_ne!(store.change_marker().await.unwrap(), before);
    });
}

#[test]
fn newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    Connection::open(&path).unwrap().pragma_update(None, "user_version", 99).unwrap();
    assert!(matches!(SqliteStore::open(&path), Err(StoreError::TooNew { found: 99, .. })));
}

#[test]
fn not_a_database_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    std::fs::write(&path, b"this is not sqlite, just some text long enough to have a header....").unwrap();
    let err = SqliteStore::open(&path).unwrap_err().to_string();
    assert!(err.contains("not a database"), "{err}");
}

#[derive(Debug, Clone)]
enum Op {
    Create(u8),
    Update(u8, String),
    Delete(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..6).prop_map(Op::Create),
        ((0u8..6), "[a-z]{1,8}").prop_map(|(i, n)| Op::Update(i, n)),
        (0u8..6).prop_map(Op::Delete),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// The store and a `BTreeMap` model, driven by the same random operations, always agree.
    #[test]
    fn store_matches_model(ops in proptest::collection::vec(op(), 1..40)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        rt().block_on(async {
            let store = SqliteStore::open(&path).unwrap();
            let mut model: BTreeMap<String, String> = BTreeMap::new();
            let now = SystemTime::now();
            for op in ops {
                match op {
                    Op::Create(i) => {
                        let key = format!("agent-{i}");
                        let result = store.create_agent(&id(&key), &definition(&key), now).await;
                        prop_assert_eq!(result.is_ok(), !model.contains_key(&key));
                        model.entry(key.clone()).or_insert(key);
                    }
                    Op::Update(i, name) => {
                        let key = format!("agent-{i}");
                        let update = AgentUpdate { name: Some(name.clone()), ..AgentUpdate::default() };
                        let result = store.update_agent(&id(&key), &update, now).await.unwrap();
                        prop_assert_eq!(result.is_some(), model.contains_key(&key));
                        if let Some(v) = model.get_mut(&key) { *v = name; }
                    }
                    Op::Delete(i) => {
                        let key = format!("agent-{i}");
                        prop_assert_eq!(store.delete_agent(&id(&key)).await.unwrap(), model.remove(&key).is_some());
                    }
                }
            }
            drop(store);
            let store = SqliteStore::open(&path).unwrap();
            let mut ids: Vec<String> = store.agent_ids().await.unwrap().iter().map(|a| a.to_string()).collect();
            ids.sort();
            prop_assert_eq!(ids, model.keys().cloned().collect::<Vec<_>>());
            for (key, name) in &model {
                prop_assert_eq!(&store.agent(&id(key)).await.unwrap().unwrap().definition.name, name);
            }
            Ok(())
        })?;
    }
}
