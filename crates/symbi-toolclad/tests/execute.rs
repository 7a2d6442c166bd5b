//! Execution paths beyond the process runaway cases: secrets by reference (resolved late, never
//! shown or stored), and the `http` backend against a real HTTP/1.1 server on loopback, behind
//! the SSRF guard.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use support::{project, tool_head};
use symbi_toolclad::{
    ExecContext, ExecError, Executor, HttpRequest, HttpResponse, HttpTransport, NativeLauncher, NoSecrets,
    SecretResolver, SecretValue, SsrfGuard, Status, ToolCall, TransportError,
};

const TOKEN: &str = "s3cr3t-t0ken-value";

struct Vault;

impl SecretResolver for Vault {
    fn resolve(&self, name: &str) -> Option<SecretValue> {
        (name == "API_TOKEN").then(|| SecretValue::new(TOKEN.to_owned()))
    }
}

#[test]
fn secrets_are_resolved_late_and_never_shown_or_stored() {
    let manifest = format!(
        "{}[command]\nexec = [\"sh\", \"-c\", \"echo token=$0; echo $0 >&2\", \"{{_secret:API_TOKEN}}\"]\n[output]\nformat = \"text\"\n",
        tool_head("leaky", 5)
    );
    let (dir, catalog) = project(&[("leaky", manifest)], None);
    let call = catalog.validate(&ToolCall::new("leaky")).unwrap();
    assert!(!format!("{call:?}").contains(TOKEN));
    let evidence = dir.path().join("evidence");
    let executor = Executor::new(Arc::new(NativeLauncher));
    let envelope = executor
        .execute(&call, &ExecContext { evidence_dir: &evidence, work_dir: dir.path(), secrets: &Vault })
        .unwrap();
    assert_eq!(envelope.status, Status::Success);
    assert_eq!(envelope.command, "sh -c echo token=$0; echo $0 >&2 {_secret:API_TOKEN}");
    assert_eq!(envelope.results.get("raw_output").and_then(|v| v.as_str()), Some("token=[REDACTED]\n"));
    assert_eq!(envelope.stderr, "[REDACTED]\n");
    for entry in walk(&evidence) {
        let text = std::fs::read_to_string(&entry).unwrap();
        assert!(!text.contains(TOKEN), "{} holds the secret", entry.display());
    }
    let err = executor
        .execute(&call, &ExecContext { evidence_dir: &evidence, work_dir: dir.path(), secrets: &NoSecrets })
        .unwrap_err();
    assert!(matches!(err, ExecError::MissingSecret { ref name } if name == "API_TOKEN"), "{err}");
    assert_eq!(format!("{:?}", SecretValue::new(TOKEN.to_owned())), "SecretValue(***)");
}

#[expect(clippy::unwrap_used, reason = "an unreadable evidence directory fails the test")]
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.path().is_dir() {
            out.extend(walk(&entry.path()));
        } else {
            out.push(entry.path());
        }
    }
    out
}

/// A minimal HTTP/1.1 client over `TcpStream`, standing in for the runtime's transport; it asks
/// the guard about the address before connecting, as the trait requires.
#[derive(Debug, Default)]
struct LoopbackTransport {
    sent: AtomicUsize,
}

impl HttpTransport for LoopbackTransport {
    fn send(&self, request: &HttpRequest, guard: &SsrfGuard) -> Result<HttpResponse, TransportError> {
        let rest = request.url.strip_prefix("http://").ok_or_else(|| TransportError::Failed("http only".into()))?;
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let (host, port) = authority.split_once(':').ok_or_else(|| TransportError::Failed("port required".into()))?;
        let ip: IpAddr = host.parse().map_err(|_| TransportError::Failed("literal address required".into()))?;
        guard.check_addr(ip)?;
        self.sent.fetch_add(1, Ordering::SeqCst);
        let fail = |e: std::io::Error| TransportError::Failed(e.to_string());
        let mut stream =
            TcpStream::connect((ip, port.parse::<u16>().map_err(|_| TransportError::Failed("bad port".into()))?))
                .map_err(fail)?;
        stream.set_read_timeout(Some(request.timeout)).map_err(fail)?;
        let body = request.body.clone().unwrap_or_default();
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Length: {}\r\n",
            request.method,
            if path.is_empty() { "/" } else { path },
            body.len()
        );
        for (k, v) in &request.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        stream.write_all(format!("{head}\r\n{body}").as_bytes()).map_err(fail)?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).map_err(fail)?;
        let text = String::from_utf8_lossy(&response);
        let status = text
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| TransportError::Failed("bad status line".into()))?;
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b.as_bytes().to_vec()).unwrap_or_default();
        Ok(HttpResponse { status, body })
    }
}

#[expect(clippy::unwrap_used, reason = "a malformed request from our own transport fails the test")]
/// Serves `count` requests: 404 for paths under `/missing`, else a JSON echo of the request.
fn serve(count: usize) -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        for stream in listener.incoming().take(count) {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let (mut auth, mut length) = (String::new(), 0usize);
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                if header.trim().is_empty() {
                    break;
                }
                let (k, v) = header.split_once(':').unwrap();
                match k.to_ascii_lowercase().as_str() {
                    "authorization" => auth = v.trim().to_owned(),
                    "content-length" => length = v.trim().parse().unwrap(),
                    _ => {}
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let path = line.split_whitespace().nth(1).unwrap_or_default().to_owned();
            let (status, reply) = if path.starts_with("/missing") {
                ("404 Not Found", "{\"error\":\"no such item\"}".to_owned())
            } else {
                let echo = serde_json::json!({"path": path, "auth": auth, "body": String::from_utf8_lossy(&body)});
                ("200 OK", echo.to_string())
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{reply}",
                reply.len()
            );
        }
    });
    (port, handle)
}

fn http_tool(port: u16) -> String {
    format!(
        "{}[args.item]\ntype = \"string\"\nrequired = true\n[http]\nmethod = \"POST\"\nurl = \"http://127.0.0.1:{port}/items/{{item}}\"\nheaders = {{ Authorization = \"Bearer {{_secret:API_TOKEN}}\" }}\nbody_template = '{{\"item\": \"{{item}}\"}}'\n[output]\nformat = \"json\"\n",
        tool_head("items", 5)
    )
}

#[test]
fn http_calls_go_through_the_guard_and_the_transport() {
    let (port, server) = serve(2);
    let (dir, catalog) = project(&[("items", http_tool(port))], None);
    let transport = Arc::new(LoopbackTransport::default());
    let evidence = dir.path().join("evidence");
    let ctx = ExecContext { evidence_dir: &evidence, work_dir: dir.path(), secrets: &Vault };

    let guarded = Executor::new(Arc::new(NativeLauncher))
        .with_http(Arc::clone(&transport) as Arc<dyn HttpTransport>, SsrfGuard::new());
    let call = catalog.validate(&ToolCall::new("items").arg("item", "a b/../x")).unwrap();
    assert!(matches!(guarded.execute(&call, &ctx), Err(ExecError::Refused(_))));
    assert_eq!(transport.sent.load(Ordering::SeqCst), 0, "the guard refuses loopback before anything is sent");

    let local = Executor::new(Arc::new(NativeLauncher))
        .with_http(Arc::clone(&transport) as Arc<dyn HttpTransport>, SsrfGuard::dangerous_allow_internal());
    let envelope = local.execute(&call, &ctx).unwrap();
    assert_eq!((envelope.status, envelope.exit_code, envelope.http_status), (Status::Success, 0, Some(200)));
    assert_eq!(envelope.command, format!("POST http://127.0.0.1:{port}/items/a%20b%2F..%2Fx"));
    assert_eq!(
        envelope.results,
        serde_json::json!({"path": "/items/a%20b%2F..%2Fx", "auth": "Bearer [REDACTED]", "body": "{\"item\": \"a b/../x\"}"})
    );

    let tool404 = http_tool(port).replace("/items/", "/missing/");
    let (dir404, catalog404) = project(&[("items", tool404)], None);
    let envelope = local
        .execute(
            &catalog404.validate(&ToolCall::new("items").arg("item", "x")).unwrap(),
            &ExecContext { evidence_dir: &dir404.path().join("e"), work_dir: dir404.path(), secrets: &Vault },
        )
        .unwrap();
    assert_eq!((envelope.status, envelope.exit_code, envelope.http_status), (Status::Error, 1, Some(404)));
    assert_eq!(envelope.results.get("error").and_then(|e| e.as_str()), Some("client_error (HTTP 404)"));
    server.join().unwrap();
}
