//! The shipped example manifests load, and the offline ones run for real.

#[path = "support/exec.rs"]
mod exec;

use std::path::{Path, PathBuf};

use symbi_toolclad::{Catalog, Status, ToolCall};

#[expect(clippy::panic, reason = "shipped manifests that do not load fail the test")]
fn examples() -> Catalog {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples");
    Catalog::load(&dir).unwrap_or_else(|e| panic!("{e}"))
}

#[expect(clippy::unwrap_used, reason = "a workspace that cannot be written fails the test")]
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "alpha\nbeta\ngamma beta\n").unwrap();
    std::fs::write(dir.path().join("package.json"), r#"{"package": {"name": "demo", "version": "1.0.0"}}"#).unwrap();
    dir
}

fn raw_output(envelope: &symbi_toolclad::Envelope) -> &str {
    envelope.results.get("raw_output").and_then(|v| v.as_str()).unwrap_or_default()
}

#[test]
fn every_example_loads() {
    let catalog = examples();
    let names: Vec<&str> = catalog.tools().map(|t| t.name()).collect();
    assert_eq!(names, ["count_lines", "file_hash", "nmap_scan", "query_json", "search_text"]);
}

#[test]
fn file_hash_and_count_lines_run_offline() {
    let (catalog, work) = (examples(), workspace());
    let hash = exec::run(&catalog, &ToolCall::new("file_hash").arg("path", "notes.txt"), work.path(), 1 << 20);
    assert_eq!(hash.status, Status::Success, "{hash:?}");
    assert!(raw_output(&hash).starts_with("f3b8ad80"), "{}", raw_output(&hash));
    assert!(hash.output_hash.starts_with("sha256:"));
    let lines = exec::run(&catalog, &ToolCall::new("count_lines").arg("path", "notes.txt"), work.path(), 1 << 20);
    assert_eq!(raw_output(&lines).trim(), "3 notes.txt");
}

#[test]
fn search_text_matches_literally_and_reports_no_match_as_exit_1() {
    let (catalog, work) = (examples(), workspace());
    let hit = exec::run(
        &catalog,
        &ToolCall::new("search_text").arg("text", "beta").arg("path", "notes.txt"),
        work.path(),
        1 << 20,
    );
    assert_eq!(raw_output(&hit), "2:beta\n3:gamma beta\n");
    let miss = exec::run(
        &catalog,
        &ToolCall::new("search_text").arg("text", "zeta").arg("path", "notes.txt"),
        work.path(),
        1 << 20,
    );
    assert_eq!((miss.status, miss.exit_code), (Status::Error, 1));
}

#[test]
fn query_json_reads_a_path_and_refuses_programs() {
    let (catalog, work) = (examples(), workspace());
    let call = ToolCall::new("query_json").arg("file", "package.json").arg("query", ".package.name");
    let envelope = exec::run(&catalog, &call, work.path(), 1 << 20);
    assert_eq!(envelope.results, serde_json::json!({"parsed_output": "demo"}));
    let program = ToolCall::new("query_json").arg("file", "package.json").arg("query", ".a | env");
    assert!(catalog.validate(&program).is_err());
}

#[test]
fn evidence_is_written_beside_the_raw_output() {
    let (catalog, work) = (examples(), workspace());
    let envelope = exec::run(&catalog, &ToolCall::new("count_lines").arg("path", "notes.txt"), work.path(), 1 << 20);
    let dir = work.path().join(".evidence").join(format!("{}-count_lines", envelope.scan_id));
    let stored: symbi_toolclad::Envelope =
        serde_json::from_slice(&std::fs::read(dir.join("envelope.json")).unwrap()).unwrap();
    assert_eq!(stored, envelope);
    assert_eq!(envelope.output_file.as_deref().map(Path::new), Some(dir.join("scan.txt").as_path()));
}

#[test]
fn nmap_scan_dry_run_is_scope_checked() {
    let catalog = examples();
    let dry = catalog
        .dry_run(
            &ToolCall::new("nmap_scan").arg("target", "192.0.2.10").arg("scan_type", "service").arg("ports", "22,80"),
        )
        .unwrap();
    assert_eq!(
        dry.argv,
        ["nmap", "-sT", "-sV", "--version-intensity", "5", "-p", "22,80", "-oX", "{_output_file}", "192.0.2.10"]
    );
    assert_eq!(dry.cedar.as_deref(), Some("PenTest::ScanTarget / execute_tool"));
    for outside in ["192.0.2.1", "198.51.100.1", "admin.example.com", "192.0.2.0/16", "::ffff:192.0.2.1"] {
        assert!(catalog.validate(&ToolCall::new("nmap_scan").arg("target", outside)).is_err(), "{outside}");
    }
}
