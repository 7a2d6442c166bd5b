//! Latency of one request through the whole stack (HTTP, layers, auth, store) on loopback:
//! authenticated `GET /api/v1/agents` against unauthenticated `GET /api/v1/health` (the
//! baseline), on one keep-alive connection, in the same run.

#![expect(clippy::unwrap_used, reason = "a bench that cannot set up should stop loudly")]
#![expect(missing_docs, reason = "criterion_group! generates an undocumented entry point")]

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use symbi_runtime::{Config, Runtime};

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::load(dir.path()).unwrap();
    config.api.rate_limit.burst = std::num::NonZeroU32::MAX;
    config.api.rate_limit.per_second = std::num::NonZeroU32::MAX;
    let (base, key) = rt.block_on(async {
        let runtime = Runtime::open(config).await.unwrap();
        let key = std::fs::read_to_string(runtime.first_admin_key().unwrap()).unwrap().trim().to_owned();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(runtime.serve(listener, std::future::pending()));
        (base, key)
    });
    let agent: ureq::Agent = ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(5))).build().into();
    let bearer = format!("Bearer {key}");
    // Warm the verified-key cache so the measurement is the steady state.
    agent.get(format!("{base}/api/v1/agents")).header("authorization", &bearer).call().unwrap();

    let mut group = c.benchmark_group("request");
    group.bench_function("GET /health, no auth (baseline)", |b| {
        b.iter(|| agent.get(format!("{base}/api/v1/health")).call().unwrap().into_body().read_to_string().unwrap());
    });
    group.bench_function("GET /agents, authenticated", |b| {
        b.iter(|| {
            let response = agent.get(format!("{base}/api/v1/agents")).header("authorization", &bearer).call();
            response.unwrap().into_body().read_to_string().unwrap()
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50);
    targets = bench
}
criterion_main!(benches);
