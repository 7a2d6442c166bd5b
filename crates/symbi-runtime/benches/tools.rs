//! What governing a tool call costs: `/bin/true` through the whole path — the call checked against
//! its manifest, the Governor's Cedar decision, the decision's durable audit record, the launcher,
//! the evidence write, the outcome's durable audit record — against spawning `/bin/true` directly
//! with `std::process`, in the same run, so the result reads as overhead beyond the child process.
//! A third case keeps the audit log in memory (`/dev/shm`) to separate the disk's fsync latency,
//! which the two durable records per call pay, from the rest of the path.

#![expect(clippy::unwrap_used, reason = "a bench that cannot set up should stop loudly")]
#![expect(missing_docs, reason = "criterion_group! generates an undocumented entry point")]

use std::path::Path;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use symbi_policy::{EntityRef, Surface};
use symbi_runtime::{Config, DataDir, Governor, SqliteStore};

const TRUE: &str = "[tool]\nname = \"true\"\nversion = \"1\"\nbinary = \"true\"\ndescription = \"does nothing\"\n\
                    [command]\nexec = [\"/bin/true\"]\n[output]\n";
const ALLOW: &str = "permit(principal, action == Action::\"execute_tool\", resource == Tool::\"true\");\n";

/// Whether this is a measuring run (`cargo bench` passes `--bench`) rather than a smoke run.
fn measuring() -> bool {
    std::env::args().any(|arg| arg == "--bench")
}

/// A Governor over a project in `dir` (an allow policy, the `true` tool) whose data directory,
/// with the audit log, is `data_dir`.
fn governor(rt: &tokio::runtime::Runtime, dir: &Path, data_dir: &Path) -> Governor {
    for (path, text) in [("tools/true.clad.toml", TRUE), ("policies/allow.cedar", ALLOW)] {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let mut config = Config::load(dir).unwrap();
    config.data_dir = data_dir.to_owned();
    rt.block_on(async {
        let data_dir = DataDir::prepare(&config.data_dir).unwrap();
        let store = Arc::new(SqliteStore::open(&data_dir.store_file()).unwrap());
        let audit = symbi_audit::AuditLog::open(data_dir.audit_dir(), &symbi_audit::AuditConfig::default()).unwrap();
        Governor::open(&config, store, Arc::new(audit)).await.unwrap()
    })
}

#[expect(
    clippy::disallowed_methods,
    reason = "the baseline spawns the same program directly, outside the Governor's executor seam"
)]
fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let on_disk = governor(&rt, dir.path(), &dir.path().join(".symbi"));
    let shm = Path::new("/dev/shm");
    let in_memory = shm.is_dir().then(|| {
        let data = tempfile::tempdir_in(shm).unwrap();
        let governor = governor(&rt, dir.path(), data.path());
        (data, governor)
    });
    let args = serde_json::Map::new();
    let principal = || EntityRef::Agent("bench".to_owned());
    // Fail loudly now if the path is not what is being measured.
    let envelope = rt.block_on(on_disk.run_tool(principal(), "true", &args, Surface::Run)).unwrap();
    assert_eq!(envelope.exit_code, 0);

    let mut group = c.benchmark_group("governed_oneshot_bin_true");
    group.sample_size(if measuring() { 100 } else { 10 });
    group.bench_function("governor_run_tool", |b| {
        b.iter(|| rt.block_on(on_disk.run_tool(principal(), "true", &args, Surface::Run)).unwrap())
    });
    if let Some((_, governor)) = &in_memory {
        group.bench_function("governor_run_tool_audit_in_memory", |b| {
            b.iter(|| rt.block_on(governor.run_tool(principal(), "true", &args, Surface::Run)).unwrap())
        });
    }
    group.bench_function("baseline_raw_spawn", |b| {
        b.iter(|| std::process::Command::new("/bin/true").current_dir(dir.path()).output().unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
