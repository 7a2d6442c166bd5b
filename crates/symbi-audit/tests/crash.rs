//! Crash test: a child process appends under load and is killed with SIGKILL, again and again.
//! Every event id the child saw acknowledged must be in the log afterwards, and the log must
//! verify. The child is this test binary re-run with `crash_child` selected and the log's
//! directory in an environment variable.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use symbi_audit::{AuditConfig, AuditLog, Event, EventId, EventKind, QueryFilter, verify_dir};

const CHILD_DIR_VAR: &str = "SYMBI_AUDIT_CRASH_CHILD_DIR";
const ROUNDS: u64 = 6;

#[test]
fn acknowledged_records_survive_repeated_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut acknowledged = Vec::new();
    for round in 0..ROUNDS {
        acknowledged.extend(run_and_kill(dir.path(), Duration::from_millis(40 + 53 * round)));
    }
    assert!(acknowledged.len() as u64 >= ROUNDS, "each round acknowledged at least one record");

    let log = AuditLog::open(dir.path(), &AuditConfig::default()).unwrap();
    for id in &acknowledged {
        assert!(log.record(*id).unwrap().is_some(), "acknowledged record `{id}` was lost");
    }
    let report = log.verify().unwrap();
    assert!(report.records >= acknowledged.len() as u64);
    let repairs = QueryFilter { kind: Some(EventKind::LogRepair), limit: 1000, ..QueryFilter::default() };
    let repairs = log.query(&repairs).unwrap().records.len();
    let key = *log.public_key();
    drop(log);
    verify_dir(dir.path(), &key).unwrap();
    println!("{} acknowledged, {} records, {repairs} torn tails repaired", acknowledged.len(), report.records);
}

#[expect(clippy::unwrap_used, clippy::expect_used, reason = "a child that cannot be started or read fails the test")]
/// Starts a child appending to the log in `dir`, kills it `after` its first acknowledgement,
/// and returns every event id it printed as acknowledged.
fn run_and_kill(dir: &Path, after: Duration) -> Vec<EventId> {
    #[expect(
        clippy::disallowed_methods,
        reason = "the crash test must run its writer in a separate process to kill it"
    )]
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR_VAR, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines, acks) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(id) = line.strip_prefix("ACK ") {
                let _ = lines.send(id.parse::<EventId>().unwrap());
            }
        }
    });
    let first = acks.recv_timeout(Duration::from_secs(60)).expect("the child acknowledged nothing");
    std::thread::sleep(after);
    child.kill().unwrap(); // SIGKILL on Unix.
    child.wait().unwrap();
    reader.join().unwrap();
    std::iter::once(first).chain(acks.try_iter()).collect()
}

/// The child side: append from several threads until killed, printing each acknowledged id.
#[test]
fn crash_child() {
    #[expect(
        clippy::disallowed_methods,
        reason = "the crash test passes the child its directory through the environment"
    )]
    let Some(dir) = std::env::var_os(CHILD_DIR_VAR) else { return };
    let config = AuditConfig { checkpoint_every: 500, ..AuditConfig::default() };
    let log = AuditLog::open(&dir, &config).unwrap();
    std::thread::scope(|scope| {
        for worker in 0..8 {
            let log = &log;
            scope.spawn(move || {
                for i in 0.. {
                    let event = Event::agent_lifecycle(format!("agent-{worker}"), format!("step-{i}"));
                    let receipt = log.append_blocking(event).unwrap();
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "ACK {}", receipt.event_id).unwrap();
                    out.flush().unwrap();
                }
            });
        }
    });
}
