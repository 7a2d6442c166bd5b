use std::time::SystemTime;

use super::*;
use crate::store::SqliteStore;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

async fn setup(dir: &std::path::Path, admin_token: Option<&AdminToken>) -> (Arc<dyn Store>, Authenticator) {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.join("s.db")).unwrap());
    let auth = Authenticator::new(Arc::clone(&store), admin_token).await.unwrap();
    (store, auth)
}

async fn add_key(store: &Arc<dyn Store>, scope: KeyScope) -> (String, KeyId) {
    let (token, stored) = keys::issue(scope, "t", SystemTime::now()).unwrap();
    store.insert_key(&stored).await.unwrap();
    (token.reveal().to_owned(), token.id().clone())
}

#[test]
fn tokens_map_to_principals() {
    let dir = tempfile::tempdir().unwrap();
    rt().block_on(async {
        let (store, auth) = setup(dir.path(), None).await;
        assert!(!auth.has_live_keys());
        let (admin, admin_id) = add_key(&store, KeyScope::Admin).await;
        let agent = AgentId::parse("a").unwrap();
        let (scoped, _) = add_key(&store, KeyScope::Agents(vec![agent.clone()])).await;
        auth.refresh().await.unwrap();
        assert!(auth.has_live_keys());

        assert_eq!(auth.authenticate(&admin).await, Ok(Principal::Admin { key: Some(admin_id) }));
        // The second check is served from the verified cache and must agree.
        assert!(auth.authenticate(&admin).await.unwrap().is_admin());
        let p = auth.authenticate(&scoped).await.unwrap();
        assert!(!p.is_admin());
        assert!(p.may_access(&agent));
        assert!(!p.may_access(&AgentId::parse("b").unwrap()));
    });
}

#[test]
fn bad_tokens_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    rt().block_on(async {
        let (store, auth) = setup(dir.path(), None).await;
        let (admin, _) = add_key(&store, KeyScope::Admin).await;
        auth.refresh().await.unwrap();
        let (id, secret) = admin.split_once('.').unwrap();
        let flipped = format!("{id}.{}", secret.chars().rev().collect::<String>());
        assert_eq!(auth.authenticate("garbage").await, Err(AuthError::Malformed));
        assert_eq!(auth.authenticate(&format!("ffffffffffffffff.{secret}")).await, Err(AuthError::UnknownKey));
        assert_eq!(auth.authenticate(&flipped).await, Err(AuthError::WrongSecret));
        // A wrong secret after the right one was cached is still wrong.
        auth.authenticate(&admin).await.unwrap();
        assert_eq!(auth.authenticate(&flipped).await, Err(AuthError::WrongSecret));
    });
}

#[test]
fn revocation_by_another_process_applies_on_refresh() {
    let dir = tempfile::tempdir().unwrap();
    rt().block_on(async {
        let (store, auth) = setup(dir.path(), None).await;
        let (token, id) = add_key(&store, KeyScope::Admin).await;
        auth.refresh().await.unwrap();
        auth.authenticate(&token).await.unwrap();
        let other = SqliteStore::open(&dir.path().join("s.db")).unwrap();
        other.revoke_key(&id, SystemTime::now()).await.unwrap();
        auth.refresh().await.unwrap();
        assert_eq!(auth.authenticate(&token).await, Err(AuthError::Revoked));
    });
}

#[test]
fn environment_token_is_admin_only_when_set() {
    let dir = tempfile::tempdir().unwrap();
    rt().block_on(async {
        let (_, auth) = setup(dir.path(), None).await;
        assert_eq!(auth.authenticate("").await, Err(AuthError::Malformed));
        let token = crate::config::Config::load_with_env(dir.path(), &|k| {
            (k == "SYMBIONT_API_TOKEN").then(|| "s3cret".to_owned())
        })
        .unwrap()
        .api
        .admin_token
        .unwrap();
        let other = tempfile::tempdir().unwrap();
        let (_, auth) = setup(other.path(), Some(&token)).await;
        assert_eq!(auth.authenticate("s3cret").await, Ok(Principal::Admin { key: None }));
        assert_eq!(auth.authenticate("s3cre").await, Err(AuthError::Malformed));
    });
}
