//! Authentication cost per request: the authenticator's verified-key cache against the naive
//! design that runs Argon2id on every request (the baseline), measured in the same run.

#![expect(clippy::unwrap_used, reason = "a bench that cannot set up should stop loudly")]
#![expect(missing_docs, reason = "criterion_group! generates an undocumented entry point")]

use std::sync::Arc;
use std::time::SystemTime;

use argon2::{PasswordHash, PasswordVerifier};
use criterion::{Criterion, criterion_group, criterion_main};
use symbi_runtime::{Authenticator, KeyScope, SqliteStore, Store};

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("s.db")).unwrap());
    let (token, stored) = symbi_runtime::issue_key(KeyScope::Admin, "bench", SystemTime::now()).unwrap();
    rt.block_on(store.insert_key(&stored)).unwrap();
    let auth = rt.block_on(Authenticator::new(Arc::clone(&store), None)).unwrap();
    let token = token.reveal().to_owned();
    rt.block_on(auth.authenticate(&token)).unwrap();

    let mut group = c.benchmark_group("authenticate");
    group.bench_function("argon2id_every_request (baseline)", |b| {
        let hash = PasswordHash::new(&stored.secret_hash).unwrap();
        let secret = token.split_once('.').unwrap().1;
        let argon2 = argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            argon2::Params::new(19 * 1024, 2, 1, None).unwrap(),
        );
        b.iter(|| argon2.verify_password(secret.as_bytes(), &hash).unwrap());
    });
    group.bench_function("verified_key_cache", |b| {
        b.iter(|| rt.block_on(auth.authenticate(&token)).unwrap());
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
