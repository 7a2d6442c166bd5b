//! ToolClad hot paths, each beside its baseline in the same group so results read as ratios:
//! validating a call and building its argv (vs. naive string interpolation and splitting, which
//! checks nothing), and executing `/bin/true` through the whole governed path (vs. spawning it
//! directly).

#![expect(missing_docs, reason = "criterion_group! generates an undocumented entry point")]

use std::path::Path;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use symbi_toolclad::{Catalog, ExecContext, Executor, NativeLauncher, NoSecrets, ToolCall};

const NMAP: &str = r#"[tool]
name = "nmap_scan"
version = "7.94"
binary = "nmap"
description = "scan"
[args.target]
type = "scope_target"
required = true
[args.scan_type]
type = "enum"
allowed = ["ping", "service", "syn"]
default = "ping"
[args.ports]
type = "string"
pattern = '[0-9]{1,5}(-[0-9]{1,5})?(,[0-9]{1,5}(-[0-9]{1,5})?)*'
[command]
template = "nmap {_scan_flags} {_port_flags} -oX {_output_file} {target}"
[command.mappings.scan_type]
ping = "-sn -PE"
service = "-sT -sV --version-intensity 5"
syn = "-sS"
[command.conditionals.port_flags]
when = "ports != ''"
template = "-p {ports}"
[output]
format = "xml"
"#;

const TRUE: &str = "[tool]\nname = \"true\"\nversion = \"1\"\nbinary = \"true\"\ndescription = \"does nothing\"\n[command]\nexec = [\"/bin/true\"]\n[output]\n";

#[expect(clippy::unwrap_used, reason = "a bench project that cannot be set up aborts the bench")]
fn project() -> (tempfile::TempDir, Catalog) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("tools")).unwrap();
    std::fs::create_dir_all(dir.path().join("scope")).unwrap();
    std::fs::write(dir.path().join("tools/nmap_scan.clad.toml"), NMAP).unwrap();
    std::fs::write(dir.path().join("tools/true.clad.toml"), TRUE).unwrap();
    std::fs::write(
        dir.path().join("scope/scope.toml"),
        "targets = [\"10.0.0.0/8\"]\ndomains = [\"*.example.com\"]\nexcludes = [\"10.0.0.1\"]\n",
    )
    .unwrap();
    let catalog = Catalog::load(dir.path()).unwrap();
    (dir, catalog)
}

fn validate(c: &mut Criterion) {
    let (_dir, catalog) = project();
    let call = ToolCall::new("nmap_scan")
        .arg("target", "10.1.2.0/24")
        .arg("scan_type", "service")
        .arg("ports", "22,80,8000-8100");
    let mut group = c.benchmark_group("validate_and_build_argv");
    group.bench_function("toolclad", |b| {
        b.iter(|| std::hint::black_box(catalog.validate(&call).map(|v| v.argv_preview())))
    });
    group.bench_function("baseline_unchecked_format_and_split", |b| {
        b.iter(|| {
            let line = format!(
                "nmap {} -p {} -oX {} {}",
                "-sT -sV --version-intensity 5", "22,80,8000-8100", "out.xml", "10.1.2.0/24"
            );
            std::hint::black_box(line.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        })
    });
    group.finish();
}

#[expect(clippy::unwrap_used, reason = "a bench tool that cannot run aborts the bench")]
#[expect(
    clippy::disallowed_methods,
    reason = "the baseline spawns the same program directly, outside the launcher seam"
)]
fn execute(c: &mut Criterion) {
    let (dir, catalog) = project();
    let call = catalog.validate(&ToolCall::new("true")).unwrap();
    let executor = Executor::new(Arc::new(NativeLauncher));
    let evidence = dir.path().join("evidence");
    let ctx = ExecContext { evidence_dir: &evidence, work_dir: dir.path(), secrets: &NoSecrets };
    let mut group = c.benchmark_group("execute_bin_true");
    group.sample_size(60);
    group.bench_function("governed_oneshot", |b| b.iter(|| executor.execute(&call, &ctx).unwrap()));
    group.bench_function("baseline_raw_spawn", |b| {
        b.iter(|| std::process::Command::new("/bin/true").current_dir(Path::new(dir.path())).output().unwrap())
    });
    group.finish();
}

criterion_group!(benches, validate, execute);
criterion_main!(benches);
