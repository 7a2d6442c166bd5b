//! Runs the real `symbi` binary in a fresh project directory and talks HTTP to it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_symbi");

/// A scaffolded project in a temporary directory.
pub(crate) struct Project {
    pub(crate) dir: tempfile::TempDir,
}

impl Project {
    /// The scaffold without its agent files, so the registry starts empty.
    pub(crate) fn new() -> Self {
        let project = Self::scaffolded();
        for entry in std::fs::read_dir(project.path().join("agents")).unwrap() {
            std::fs::remove_file(entry.unwrap().path()).unwrap();
        }
        project
    }

    /// The scaffold exactly as `symbi init` writes it, agents included.
    pub(crate) fn scaffolded() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let out = symbi(&["init", dir.path().to_str().unwrap(), "--no-interact"], &[]);
        assert!(out.status.success(), "init failed: {}", String::from_utf8_lossy(&out.stderr));
        Self { dir }
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Replaces the project's configuration file.
    pub(crate) fn configure(&self, toml: &str) {
        std::fs::write(self.path().join("symbiont.toml"), toml).unwrap();
    }

    /// Runs `symbi <args> --dir <project>`.
    pub(crate) fn run(&self, args: &[&str]) -> Output {
        let mut all = args.to_vec();
        all.extend(["--dir", self.path().to_str().unwrap()]);
        symbi(&all, &[])
    }

    pub(crate) fn admin_key(&self) -> String {
        std::fs::read_to_string(self.path().join(".symbi/admin.key")).unwrap().trim().to_owned()
    }
}

/// Runs the binary to completion.
#[expect(clippy::disallowed_methods, reason = "tests run the real binary")]
pub(crate) fn symbi(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).env_remove("SYMBIONT_API_TOKEN");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// Runs the binary to completion with `input` on its stdin.
#[expect(clippy::disallowed_methods, reason = "tests run the real binary")]
pub(crate) fn symbi_with_stdin(args: &[&str], input: &str) -> Output {
    use std::io::Write as _;
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("SYMBIONT_API_TOKEN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// A loopback HTTP service: each request's request line and header lines are reported on the
/// receiver, and `answer` (given those lines) is the JSON body of its `200`.
pub(crate) fn http_service(
    answer: impl Fn(&[String]) -> String + Send + 'static,
) -> (u16, mpsc::Receiver<Vec<String>>) {
    use std::io::Write as _;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut lines = Vec::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                    break;
                }
                lines.push(line.trim_end().to_owned());
            }
            let body = answer(&lines);
            let _ = tx.send(lines);
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).unwrap();
            stream.write_all(body.as_bytes()).unwrap();
        }
    });
    (port, rx)
}

/// A loopback port that was free a moment ago.
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running `symbi up`, killed on drop.
pub(crate) struct Server {
    child: Child,
    pub(crate) base: String,
    pub(crate) started: Instant,
    stderr: mpsc::Receiver<String>,
}

impl Server {
    pub(crate) fn start(project: &Project) -> Self {
        Self::start_with(project, &[])
    }

    pub(crate) fn start_with(project: &Project, env: &[(&str, &str)]) -> Self {
        Self::spawn(project, "0", env)
    }

    /// Starts on the port the project's configuration names (`api.port`), as a user would.
    pub(crate) fn start_configured(project: &Project) -> Self {
        let config = std::fs::read_to_string(project.path().join("symbiont.toml")).unwrap();
        let port = config
            .lines()
            .find_map(|l| l.trim().strip_prefix("port = "))
            .expect("the configuration names api.port")
            .to_owned();
        Self::spawn(project, &port, &[])
    }

    #[expect(clippy::disallowed_methods, reason = "tests run the real binary")]
    fn spawn(project: &Project, port: &str, env: &[(&str, &str)]) -> Self {
        let started = Instant::now();
        let mut cmd = Command::new(BIN);
        cmd.args(["up", "--port", port, "--dir", project.path().to_str().unwrap()])
            .env_remove("SYMBIONT_API_TOKEN")
            .env("SYMBIONT_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let base = loop {
            let line = rx
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .expect("symbi up did not report its address");
            if let Some(addr) = line.strip_prefix("symbi: listening on ") {
                break addr.to_owned();
            }
        };
        Self { child, base, started, stderr: rx }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) fn pid(&self) -> i32 {
        i32::try_from(self.child.id()).unwrap()
    }

    /// Sends a signal and waits for the exit status.
    #[expect(clippy::disallowed_methods, reason = "tests signal the real binary")]
    pub(crate) fn signal_and_wait(mut self, signal: &str) -> std::process::ExitStatus {
        let status = Command::new("kill").args([&format!("-{signal}"), &self.pid().to_string()]).status().unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "symbi up did not exit after SIG{signal}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Everything the server printed on stderr so far.
    pub(crate) fn stderr_lines(&self) -> Vec<String> {
        self.stderr.try_iter().collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response: status, headers we care about, body.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: String,
    pub(crate) retry_after: Option<String>,
    pub(crate) request_id: Option<String>,
}

impl Reply {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The `code` of an error body, after checking the body has exactly the error shape.
    pub(crate) fn code(&self) -> String {
        let v = self.json();
        let obj = v.as_object().unwrap_or_else(|| panic!("error body is not an object: {}", self.body));
        let mut keys: Vec<_> = obj.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["code", "details", "error"], "{}", self.body);
        v["code"].as_str().unwrap().to_owned()
    }
}

pub(crate) fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// One request: `method` on `url` with an optional bearer token and JSON body.
pub(crate) fn request(method: &str, url: &str, token: Option<&str>, body: Option<&str>) -> Reply {
    request_with(method, url, token, body.map(|b| ("application/json", b.as_bytes())))
}

pub(crate) fn request_with(method: &str, url: &str, token: Option<&str>, body: Option<(&str, &[u8])>) -> Reply {
    let agent = client();
    let builder = ureq::http::Request::builder().method(method).uri(url);
    let builder = match token {
        Some(t) => builder.header("authorization", format!("Bearer {t}")),
        None => builder,
    };
    let result = match body {
        Some((content_type, bytes)) => {
            agent.run(builder.header("content-type", content_type).body(bytes.to_vec()).unwrap())
        }
        None => agent.run(builder.body(()).unwrap()),
    };
    let response = result.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    let (status, retry_after, request_id) = (response.status().as_u16(), header("retry-after"), header("x-request-id"));
    let body = response.into_body().read_to_string().unwrap();
    Reply { status, body, retry_after, request_id }
}

pub(crate) fn get(url: &str, token: Option<&str>) -> Reply {
    request("GET", url, token, None)
}

pub(crate) fn post(url: &str, token: Option<&str>, body: &str) -> Reply {
    request("POST", url, token, Some(body))
}

/// An agent body in the SDK's shape.
pub(crate) fn sdk_agent(id: &str) -> String {
    serde_json::json!({
        "id": id, "name": id, "description": "test agent", "system_prompt": "be brief",
        "tools": ["search"], "model": "m", "temperature": 0.2, "top_p": 1.0, "max_tokens": 64
    })
    .to_string()
}
