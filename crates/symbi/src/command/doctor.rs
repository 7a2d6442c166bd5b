//! `symbi doctor`: checks what `symbi up` and the sandbox tiers need, each failing check with a
//! one-line remedy. Project checks fail (exit 1); sandbox tiers that are unavailable only warn,
//! since a project may not use them.

use std::fs;
use std::net::{SocketAddr, TcpListener};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use symbi_runtime::{Config, SqliteStore};

use crate::Outcome;
use crate::cli::DoctorArgs;
use crate::exit::Exit;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Ok,
    Warn,
    Fail,
}

#[derive(Debug)]
struct Check {
    name: &'static str,
    status: Status,
    detail: String,
    remedy: Option<String>,
}

impl Check {
    fn ok(name: &'static str, detail: impl Into<String>) -> Self {
        Self { name, status: Status::Ok, detail: detail.into(), remedy: None }
    }

    fn problem(name: &'static str, status: Status, detail: impl Into<String>, remedy: impl Into<String>) -> Self {
        Self { name, status, detail: detail.into(), remedy: Some(remedy.into()) }
    }
}

pub(crate) fn run(args: &DoctorArgs) -> Outcome {
    let mut checks = Vec::new();
    let config = match Config::load(&args.dir) {
        Ok(config) => {
            checks.push(Check::ok("configuration", config_source(&args.dir)));
            Some(config)
        }
        Err(e) => {
            checks.push(Check::problem(
                "configuration",
                Status::Fail,
                e.to_string(),
                "fix the key named above in symbiont.toml or the environment",
            ));
            None
        }
    };
    if let Some(config) = &config {
        checks.push(data_dir(&config.data_dir));
        checks.push(store(&config.data_dir));
        checks.push(audit_log(&config.data_dir));
        let port = args.port.unwrap_or(config.api.port);
        checks.push(port_free(SocketAddr::new(config.api.bind, port)));
    }
    checks.push(gvisor());
    checks.push(docker());
    checks.push(kvm());

    if args.json {
        let list: Vec<_> = checks
            .iter()
            .map(|c| {
                serde_json::json!({
                    "check": c.name,
                    "status": match c.status { Status::Ok => "ok", Status::Warn => "warn", Status::Fail => "fail" },
                    "detail": c.detail,
                    "remedy": c.remedy,
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(list));
    } else {
        for c in &checks {
            let tag = match c.status {
                Status::Ok => "ok  ",
                Status::Warn => "warn",
                Status::Fail => "FAIL",
            };
            println!("[{tag}] {:<14} {}", c.name, c.detail);
            if let Some(remedy) = &c.remedy {
                println!("       {:<14} fix: {remedy}", "");
            }
        }
    }
    Ok(if checks.iter().any(|c| c.status == Status::Fail) { Exit::Problems } else { Exit::Success })
}

fn config_source(dir: &Path) -> String {
    let file = dir.join(symbi_runtime::config::FILE_NAME);
    if file.exists() { format!("{} is valid", file.display()) } else { "no symbiont.toml; using defaults".to_owned() }
}

fn data_dir(path: &Path) -> Check {
    const NAME: &str = "data directory";
    let meta = match fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Check::ok(NAME, format!("{} does not exist yet; `symbi up` creates it (0700)", path.display()));
        }
        Err(e) => {
            return Check::problem(
                NAME,
                Status::Fail,
                format!("cannot read {}: {e}", path.display()),
                "check the path and its parents' permissions",
            );
        }
    };
    let mode = meta.permissions().mode() & 0o777;
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        return Check::problem(
            NAME,
            Status::Fail,
            format!("{} belongs to uid {}, not to this user (uid {me})", path.display(), meta.uid()),
            format!("chown -R {me} {}", path.display()),
        );
    }
    if mode & 0o077 != 0 {
        return Check::problem(
            NAME,
            Status::Warn,
            format!("{} has mode {mode:o}; other users can read it", path.display()),
            format!("chmod 700 {} (symbi up also tightens it)", path.display()),
        );
    }
    Check::ok(NAME, format!("{} (mode {mode:o})", path.display()))
}

fn store(data_dir: &Path) -> Check {
    const NAME: &str = "store";
    let file = data_dir.join("store.db");
    if !file.exists() {
        return Check::ok(NAME, "no store yet; `symbi up` creates it");
    }
    match SqliteStore::open(&file) {
        Ok(_) => Check::ok(NAME, format!("{} opens and its schema is current", file.display())),
        Err(e) => Check::problem(
            NAME,
            Status::Fail,
            e.to_string(),
            "restore the store from a backup, or move it aside to start empty",
        ),
    }
}

/// The audit log opens (chain and checkpoints agree) without taking its lock, so this works
/// while the runtime runs; the full re-hash is `symbi audit verify`.
fn audit_log(data_dir: &Path) -> Check {
    const NAME: &str = "audit log";
    let dir = symbi_runtime::audit_dir(data_dir);
    if !dir.exists() {
        return Check::ok(NAME, "no audit log yet; `symbi up` creates it");
    }
    match symbi_audit::AuditReader::open(&dir) {
        Ok(reader) => {
            let signed = reader.latest_checkpoint().map_or(0, |c| c.tree_size());
            Check::ok(
                NAME,
                format!(
                    "{} records, {signed} covered by a signed checkpoint; `symbi audit verify` re-checks every hash",
                    reader.len()
                ),
            )
        }
        Err(e) => Check::problem(
            NAME,
            Status::Fail,
            e.to_string(),
            "run `symbi audit verify` to find the first bad record; keep the directory as evidence and do not edit it",
        ),
    }
}

fn port_free(address: SocketAddr) -> Check {
    const NAME: &str = "api port";
    match TcpListener::bind(address) {
        Ok(_) => Check::ok(NAME, format!("{address} is free")),
        Err(e) => Check::problem(
            NAME,
            Status::Fail,
            format!("cannot listen on {address}: {e}"),
            format!("stop whatever holds port {}, or run `symbi up --port <N>`", address.port()),
        ),
    }
}

fn gvisor() -> Check {
    const NAME: &str = "tier 2 gVisor";
    match find_on_path("runsc") {
        Some(path) => Check::ok(NAME, format!("runsc at {}", path.display())),
        None => Check::problem(NAME, Status::Warn, "runsc is not on PATH", "apt-get install runsc"),
    }
}

fn docker() -> Check {
    const NAME: &str = "tier 1 docker";
    let Some(binary) = find_on_path("docker").or_else(|| find_on_path("dockerd")) else {
        return Check::problem(NAME, Status::Warn, "docker is not installed", "apt-get install docker.io");
    };
    let socket = Path::new("/var/run/docker.sock");
    match UnixStream::connect(socket) {
        Ok(_) => Check::ok(NAME, format!("{} with a daemon at {}", binary.display(), socket.display())),
        Err(e) => Check::problem(
            NAME,
            Status::Warn,
            format!("{} is installed but the daemon does not answer at {}: {e}", binary.display(), socket.display()),
            "start the daemon: systemctl start docker (or run dockerd)",
        ),
    }
}

fn kvm() -> Check {
    const NAME: &str = "tier 3 microVM";
    let device = Path::new("/dev/kvm");
    if !device.exists() {
        return Check::problem(
            NAME,
            Status::Warn,
            "/dev/kvm does not exist",
            "enable hardware virtualisation (or nested virtualisation) for this machine",
        );
    }
    match fs::OpenOptions::new().read(true).write(true).open(device) {
        Ok(_) => Check::ok(NAME, "/dev/kvm is usable"),
        Err(e) => {
            Check::problem(NAME, Status::Warn, format!("cannot open /dev/kvm: {e}"), "add this user to the `kvm` group")
        }
    }
}

/// The first executable file called `name` in `PATH`'s directories. PATH comes from the runtime's
/// configuration module, the only reader of the environment.
fn find_on_path(name: &str) -> Option<PathBuf> {
    symbi_runtime::config::search_path()
        .into_iter()
        .map(|dir| dir.join(name))
        .find(|p| fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}
