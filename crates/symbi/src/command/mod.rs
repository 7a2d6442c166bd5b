//! One module per subcommand.

pub(crate) mod agentpin;
pub(crate) mod audit;
pub(crate) mod doctor;
pub(crate) mod dsl;
pub(crate) mod fmt;
pub(crate) mod init;
pub(crate) mod keys;
pub(crate) mod openapi;
pub(crate) mod policy;
pub(crate) mod schemapin;
pub(crate) mod secrets;
pub(crate) mod tools;
pub(crate) mod up;

use std::path::Path;

use symbi_runtime::Config;

use crate::exit::Failure;

/// Loads the project's configuration; a bad file or variable is invalid input (exit 2).
fn load_config(dir: &Path) -> Result<Config, Failure> {
    Config::load(dir).map_err(Failure::invalid)
}

/// A runtime for commands that only need async store calls, not a server.
fn small_runtime() -> Result<tokio::runtime::Runtime, Failure> {
    Ok(tokio::runtime::Builder::new_current_thread().enable_all().build()?)
}

/// How audit records name a person at this machine's command line: `cli:uid=<uid>`.
fn cli_principal() -> String {
    format!("cli:uid={}", rustix::process::getuid().as_raw())
}

/// The HTTPS fetcher of SchemaPin and AgentPin documents under the project's `[trust]` and
/// `[network]` settings, recording each request as done by this user, and the runtime that
/// drives its requests (keep it alive while fetching).
fn trust_fetcher(config: &Config) -> Result<(tokio::runtime::Runtime, symbi_runtime::TrustFetcher), Failure> {
    // Multi-threaded, so the fetcher's blocking calls from this thread are driven by a worker.
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    let recorder = std::sync::Arc::new(CliRecorder { audit_dir: symbi_runtime::audit_dir(&config.data_dir) });
    let fetcher = symbi_runtime::TrustFetcher::new(config, runtime.handle().clone(), recorder, &cli_principal())
        .map_err(Failure::invalid)?;
    Ok((runtime, fetcher))
}

/// Records fetches made at the command line, as [`record_event`] does, from a blocking caller.
#[derive(Debug)]
struct CliRecorder {
    audit_dir: std::path::PathBuf,
}

impl symbi_runtime::FetchRecorder for CliRecorder {
    fn record(&self, event: symbi_audit::Event) -> Result<(), String> {
        record_event_blocking(&self.audit_dir, event.with_surface("cli")).map_err(|e| format!("{e:#}"))
    }
}

/// Records `event` in the audit log in `audit_dir`: directly when no runtime holds the log, else
/// through its inbox (the runtime appends it within a quarter of a second). Callers record a
/// change before making it, and do not make it when this fails.
async fn record_event(audit_dir: &Path, event: symbi_audit::Event) -> anyhow::Result<()> {
    let dir = audit_dir.to_owned();
    tokio::task::spawn_blocking(move || record_event_blocking(&dir, event)).await?
}

/// [`record_event`] for a caller that may block: opening the log and the fsyncs happen here.
fn record_event_blocking(audit_dir: &Path, event: symbi_audit::Event) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let context = "cannot record the change in the audit log";
    match symbi_audit::AuditLog::open(audit_dir, &symbi_audit::AuditConfig::default()) {
        Ok(log) => log.append_blocking(event).map(drop).context(context),
        Err(symbi_audit::OpenError::Locked { .. }) => symbi_audit::submit_to_inbox(audit_dir, event).context(context),
        Err(e) => Err(anyhow::Error::new(e).context(context)),
    }
}

/// Writes a private key file whole with mode 0600: a temporary file, fsynced, renamed over.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("key");
    let temp = path.with_file_name(format!(".{name}.tmp"));
    let _ = std::fs::remove_file(&temp);
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temp, path).map_err(|e| anyhow::anyhow!("cannot write `{}`: {e}", path.display()))?;
    Ok(())
}
