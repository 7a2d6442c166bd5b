//! Durable appends: group commit (one fsync per batch) against the one-fsync-per-record
//! baseline (the same log with `max_batch = 1`), at 1, 16 and 64 concurrent appenders, in the
//! same run; plus offline verification of a 100,000-record log, and append latency percentiles.

#![expect(clippy::unwrap_used, reason = "a bench that cannot set up should stop loudly")]
#![expect(missing_docs, reason = "criterion_group! generates an undocumented entry point")]

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use symbi_audit::{AuditConfig, AuditLog, Decision, Event, ReplayInputs, Sha256Hash, verify_dir};

/// Records each appender writes per measured iteration (and per smoke-run iteration).
const PER_APPENDER: u64 = 40;
const SMOKE_PER_APPENDER: u64 = 2;
/// The log size verification is measured on (`cargo bench`); the smoke run under `cargo test`
/// uses a small log so CI stays quick.
const VERIFY_RECORDS: u64 = 100_000;
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

/// Appends `per_appender` records from each of `appenders` threads; returns every latency.
fn run(log: &AuditLog, appenders: u64, per_appender: u64) -> Vec<Duration> {
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..appenders)
            .map(|a| {
                scope.spawn(move || {
                    (0..per_appender)
                        .map(|i| {
                            let start = Instant::now();
                            log.append_blocking(event(a, i)).unwrap();
                            start.elapsed()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().flat_map(|worker| worker.join().unwrap()).collect()
    })
}

fn config(max_batch: usize) -> AuditConfig {
    AuditConfig { max_batch, checkpoint_interval: None, ..AuditConfig::default() }
}

fn bench_append(c: &mut Criterion) {
    let per_appender = if measuring() { PER_APPENDER } else { SMOKE_PER_APPENDER };
    let mut group = c.benchmark_group("append");
    group.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    for appenders in [1, 16, 64] {
        group.throughput(Throughput::Elements(appenders * per_appender));
        for (name, max_batch) in [("group_commit", 4096), ("fsync_per_record", 1)] {
            let dir = tempfile::tempdir().unwrap();
            let log = AuditLog::open(dir.path(), &config(max_batch)).unwrap();
            group.bench_function(format!("{name}/{appenders}"), |b| {
                b.iter_custom(|iters| {
                    let start = Instant::now();
                    for _ in 0..iters {
                        run(&log, appenders, per_appender);
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
    let log = AuditLog::open(dir.path(), &config(4096)).unwrap();
    let mut latencies = run(&log, 64, 200);
    latencies.sort();
    let at = |p: usize| latencies[(latencies.len() * p / 100).min(latencies.len() - 1)];
    eprintln!("append latency at 64 appenders (group commit): p50 {:?}, p99 {:?}", at(50), at(99));
}

fn bench_verify(c: &mut Criterion) {
    let records = if measuring() { VERIFY_RECORDS } else { SMOKE_RECORDS };
    let dir = tempfile::tempdir().unwrap();
    let key = {
        let log = AuditLog::open(dir.path(), &config(4096)).unwrap();
        run(&log, 64, records / 64);
        let rest = records - log.len();
        run(&log, 1, rest);
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
