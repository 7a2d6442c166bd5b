//! Runaway tools are contained: every process of the tool's group is gone when `execute`
//! returns, within the timeout (plus a small margin), and output stops at the cap.

#[path = "support/exec.rs"]
mod exec;
mod support;

use std::time::{Duration, Instant};

use exec::run;
use support::{project, tool_head};
use symbi_toolclad::{Status, ToolCall};

/// Margin over the timeout for killing, reaping and draining on a loaded two-core machine.
const MARGIN: Duration = Duration::from_millis(1500);

/// A tool running `script` under `sh -c`; the script's first act records its process group.
fn shell_tool(name: &str, timeout: u64, script: &str) -> (String, String) {
    let script = format!("echo $$ > group.pid; {script}");
    (
        name.to_owned(),
        format!(
            "{}[command]\nexec = [\"sh\", \"-c\", '''{script}''']\n[output]\nformat = \"text\"\n",
            tool_head(name, timeout)
        ),
    )
}

/// Processes still in the process group whose leader wrote `group.pid`.
#[expect(clippy::unwrap_used, reason = "a tool that did not record its group fails the test")]
fn survivors(work: &std::path::Path) -> Vec<String> {
    let group = std::fs::read_to_string(work.join("group.pid")).unwrap().trim().to_owned();
    let mut alive = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        // Fields after the parenthesised command: state, ppid, pgrp, ...
        let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or_default();
        let fields: Vec<&str> = after.split_whitespace().collect();
        if fields.get(2) == Some(&group.as_str()) && fields.first() != Some(&"Z") {
            alive.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    alive
}

fn contained(name: &str, timeout: u64, script: &str, cap: usize) -> (symbi_toolclad::Envelope, Duration, Vec<String>) {
    let (stem, manifest) = shell_tool(name, timeout, script);
    let (dir, catalog) = project(&[(&stem, manifest)], None);
    let started = Instant::now();
    let envelope = run(&catalog, &ToolCall::new(name), dir.path(), cap);
    let took = started.elapsed();
    std::thread::sleep(Duration::from_millis(50));
    (envelope, took, survivors(dir.path()))
}

#[test]
fn a_hung_process_is_killed_at_the_timeout() {
    let (envelope, took, left) = contained("hang", 1, "sleep 600", 1 << 20);
    assert_eq!((envelope.status, envelope.exit_code), (Status::Timeout, -1));
    assert!(took < Duration::from_secs(1) + MARGIN, "took {took:?}");
    assert!(left.is_empty(), "survivors: {left:?}");
}

#[test]
fn a_child_ignoring_sigterm_is_killed() {
    let (envelope, took, left) =
        contained("stubborn", 1, "trap '' TERM INT HUP; sh -c \"trap '' TERM; sleep 600\" & sleep 600", 1 << 20);
    assert_eq!(envelope.status, Status::Timeout);
    assert!(took < Duration::from_secs(1) + MARGIN, "took {took:?}");
    assert!(left.is_empty(), "survivors: {left:?}");
}

#[test]
fn a_fork_storm_is_killed_with_its_group() {
    let script = "i=0; while [ $i -lt 150 ]; do sleep 600 & i=$((i+1)); done; wait";
    let (envelope, took, left) = contained("storm", 2, script, 1 << 20);
    assert_eq!(envelope.status, Status::Timeout);
    assert!(took < Duration::from_secs(2) + MARGIN, "took {took:?}");
    assert!(left.is_empty(), "{} survivors", left.len());
}

#[test]
fn background_children_do_not_outlive_a_tool_that_exits() {
    let (envelope, took, left) = contained("daemonish", 5, "sleep 600 & echo done", 1 << 20);
    assert_eq!(envelope.status, Status::Success);
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert!(left.is_empty(), "survivors: {left:?}");
}

#[test]
fn megabytes_of_output_stop_at_the_cap() {
    let cap = 256 * 1024;
    let (envelope, took, left) = contained("flood", 10, "head -c 50000000 /dev/zero | tr '\\0' x; sleep 600", cap);
    assert_eq!((envelope.status, envelope.exit_code), (Status::Error, -1));
    let error = envelope.results.get("error").and_then(|e| e.as_str()).unwrap_or_default();
    assert!(error.contains("cap"), "{error}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert!(left.is_empty(), "survivors: {left:?}");
}

#[test]
fn stderr_counts_toward_the_cap() {
    let cap = 64 * 1024;
    let (envelope, _, left) = contained("errflood", 10, "yes error >&2", cap);
    assert_eq!(envelope.status, Status::Error);
    assert!(envelope.stderr.len() <= cap);
    assert!(left.is_empty(), "survivors: {left:?}");
}

#[test]
fn the_environment_is_scrubbed() {
    let (envelope, _, _) = contained("env", 5, "env | sort", 1 << 20);
    let out = envelope.results.get("raw_output").and_then(|v| v.as_str()).unwrap_or_default();
    let keys: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split_once('=').map(|(k, _)| k))
        .filter(|k| !matches!(*k, "PWD" | "SHLVL" | "_"))
        .collect();
    assert_eq!(keys, ["HOME", "LANG", "PATH", "TOOLCLAD_EVIDENCE_DIR", "TOOLCLAD_SCAN_ID", "TOOLCLAD_TOOL_NAME"]);
}
