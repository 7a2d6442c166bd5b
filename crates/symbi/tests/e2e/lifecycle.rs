//! Starting, stopping and restarting: durability, concurrency, graceful drain.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use crate::util::{Project, Server, get, post, sdk_agent};

#[test]
fn first_start_issues_a_private_admin_key_and_is_ready_quickly() {
    let project = Project::new();
    let server = Server::start(&project);
    let mut ready_after = None;
    while ready_after.is_none() {
        if get(&server.url("/api/v1/health/ready"), None).status == 200 {
            ready_after = Some(server.started.elapsed());
        }
    }
    // The budget is 300 ms on a release build; debug builds under a parallel test run get slack.
    assert!(ready_after.unwrap() < Duration::from_secs(3), "ready after {ready_after:?}");
    let key_file = project.path().join(".symbi/admin.key");
    assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::metadata(project.path().join(".symbi")).unwrap().permissions().mode() & 0o777, 0o700);
    let key = project.admin_key();
    assert!(server.stderr_lines().iter().all(|l| !l.contains(&key)), "the key itself must never be printed");
    // A second start keeps the existing key and issues none.
    drop(server);
    let server = Server::start(&project);
    assert_eq!(project.admin_key(), key);
    assert_eq!(get(&server.url("/api/v1/agents"), Some(&key)).status, 200);
    assert!(server.stderr_lines().iter().all(|l| !l.contains("issued the first admin")));
}

#[test]
fn hundred_concurrent_creates_lose_nothing_and_survive_restart() {
    let project = Project::new();
    let server = Server::start_with(&project, &[("SYMBIONT_RATE_LIMIT_BURST", "1000")]);
    let key = project.admin_key();
    let url = server.url("/api/v1/agents");
    let threads: Vec<_> = (0..100)
        .map(|i| {
            let (url, key) = (url.clone(), key.clone());
            std::thread::spawn(move || post(&url, Some(&key), &sdk_agent(&format!("agent-{i:03}"))).status)
        })
        .collect();
    let statuses: Vec<u16> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    let mut ids: Vec<String> = serde_json::from_value(get(&url, Some(&key)).json()).unwrap();
    ids.sort();
    let expected: Vec<String> = (0..100).map(|i| format!("agent-{i:03}")).collect();
    assert_eq!(ids, expected);

    assert!(server.signal_and_wait("TERM").success());
    let server = Server::start(&project);
    let mut after: Vec<String> = serde_json::from_value(get(&server.url("/api/v1/agents"), Some(&key)).json()).unwrap();
    after.sort();
    assert_eq!(after, expected);
    assert_eq!(get(&server.url("/api/v1/agents/agent-042/status"), Some(&key)).json()["state"], "idle");
}

#[test]
fn sigterm_drains_an_in_flight_request_then_exits_zero() {
    let project = Project::new();
    let server = Server::start(&project);
    let key = project.admin_key();
    let body = sdk_agent("drained");
    let address = server.base.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&address).unwrap();
    let head = format!(
        "POST /api/v1/agents HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    // Send the headers and half the body: the request is now in flight inside the server.
    let (first, rest) = body.split_at(body.len() / 2);
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(first.as_bytes()).unwrap();
    stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(200));

    let pid = server.pid();
    let waiter = std::thread::spawn(move || server.signal_and_wait("TERM"));
    std::thread::sleep(Duration::from_millis(300));
    // New connections are refused while the in-flight request is still served.
    assert!(TcpStream::connect(&address).is_err(), "server {pid} still accepting during drain");
    stream.write_all(rest.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    let started = Instant::now();
    assert!(waiter.join().unwrap().success(), "exit status after drain");
    assert!(started.elapsed() < Duration::from_secs(5));

    // What the drained request wrote is durable.
    let server = Server::start(&project);
    assert_eq!(get(&server.url("/api/v1/agents"), Some(&key)).json(), serde_json::json!(["drained"]));
}
