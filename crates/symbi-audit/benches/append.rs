//! Durable appends: group commit (one fsync per batch) against the one-fsync-per-record
//! baseline (the same log with `max_batch = 1`), at 1, 16 and 64 concurrent appenders, in the
//! same run; plus offline verification of a 100,000-record log, and append latency percentiles.
//! Appenders are tokio tasks on a multi-thread runtime, as the Governor's callers are.

#![expect(clippy::unwrap_used, reason = "a bench that cannot set up should stop loudly")]
#![expect(missing_docs, reason = "criterion_group! generates an undocumented entry point")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use symbi_audit::{AuditConfig, AuditLog, Decision, Event, EventId, ReplayInputs, Sha256Hash, verify_dir};
use tokio::runtime::Runtime;

/// Records each appender writes per measured iteration (and per smoke-run iteration).
const PER_APPENDER: u64 = 40;
const SMOKE_PER_APPENDER: u64 = 2;
/// The log size verification (target: ≤ 3 s) and proof size (target: ≤ 1 KiB) are measured on
/// (`cargo bench`); the smoke run under `cargo test` uses a small log so CI stays quick.
const VERIFY_RECORDS: u64 = 1_000_000;
const SMOKE_RECORDS: u64 = 1_000;

/// Whether this is a measuring run (`cargo bench` passes `--bench`) rather than a smoke run.
fn measuring() -> bool {
    std::env::args().any(|arg| arg == "--bench")
}

fn event(appender: u64, i: u64) -> Event {
    let replay = ReplayInputs::new(
        Sha256Hash::digest(b"policy set"),
        format!("Agent::\"agent-{appender}\""),
        "Action::\"invoke_tool\"",
        "Tool::\"get_weather\"",
        &serde_json::json!({"tier": 2, "i": i}),
        &serde_json::json!([]),
    );
    Event::decision(format!("agent-{appender}"), "invoke_tool", "get_weather", Decision::Allow, replay)
        .with_surface("api")
        .with_request_id(format!("req-{appender}-{i}"))
        .with_sandbox_tier(2)
}

/// Appends `per_appender` records from each of `appenders` tasks (the runtime's async callers);
/// returns every append's latency.
fn run(runtime: &Runtime, log: &Arc<AuditLog>, appenders: u64, per_appender: u64) -> Vec<Duration> {
    runtime.block_on(async {
        let tasks: Vec<_> = (0..appenders)
            .map(|a| {
                let log = Arc::clone(log);
                tokio::spawn(async move {
                    let mut latencies = Vec::with_capacity(per_appender as usize);
                    for i in 0..per_appender {
                        let start = Instant::now();
                        log.append(event(a, i)).await.unwrap();
                        latencies.push(start.elapsed());
                    }
                    latencies
                })
            })
            .collect();
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.unwrap());
        }
        all
    })
}

fn open(dir: &std::path::Path, max_batch: usize) -> Arc<AuditLog> {
    let config = AuditConfig { max_batch, checkpoint_interval: None, ..AuditConfig::default() };
    Arc::new(AuditLog::open(dir, &config).unwrap())
}

fn bench_append(c: &mut Criterion) {
    let per_appender = if measuring() { PER_APPENDER } else { SMOKE_PER_APPENDER };
    let runtime = Runtime::new().unwrap();
    let mut group = c.benchmark_group("append");
    group.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    for appenders in [1, 16, 64] {
        group.throughput(Throughput::Elements(appenders * per_appender));
        for (name, max_batch) in [("group_commit", 4096), ("fsync_per_record", 1)] {
            let dir = tempfile::tempdir().unwrap();
            let log = open(dir.path(), max_batch);
            group.bench_function(format!("{name}/{appenders}"), |b| {
                b.iter_custom(|iters| {
                    let start = Instant::now();
                    for _ in 0..iters {
                        run(&runtime, &log, appenders, per_appender);
                    }
                    start.elapsed()
                });
            });
        }
    }
    group.finish();

    // Latency percentiles at 64 appenders, outside criterion (it reports means only).
    if !measuring() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), 4096);
    let mut latencies = run(&runtime, &log, 64, 200);
    latencies.sort();
    let at = |p: usize| latencies[(latencies.len() * p / 100).min(latencies.len() - 1)];
    eprintln!("append latency at 64 appenders (group commit): p50 {:?}, p99 {:?}", at(50), at(99));
}

fn bench_verify(c: &mut Criterion) {
    let records = if measuring() { VERIFY_RECORDS } else { SMOKE_RECORDS };
    let dir = tempfile::tempdir().unwrap();
    let key = {
        let runtime = Runtime::new().unwrap();
        let log = open(dir.path(), 4096);
        run(&runtime, &log, 64, records / 64);
        let rest = records - log.len();
        run(&runtime, &log, 1, rest);
        let proof = runtime.block_on(log.proof(EventId::from_seq(records / 2))).unwrap();
        eprintln!(
            "inclusion proof at {records} records: {} hashes, {} bytes encoded",
            proof.inclusion.path().len(),
            proof.inclusion.to_bytes().len()
        );
        *log.public_key()
    };
    let mut group = c.benchmark_group("verify");
    group.sample_size(10).throughput(Throughput::Elements(records));
    group.bench_function(format!("verify_dir/{records}"), |b| {
        b.iter(|| assert_eq!(verify_dir(dir.path(), &key).unwrap().records, records));
    });
    group.finish();
}

criterion_group!(benches, bench_append, bench_verify);
criterion_main!(benches);
