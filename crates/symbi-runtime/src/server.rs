//! Starting and stopping the runtime: open the data directory and store, load keys, issue the
//! first admin key, serve the API, and on shutdown stop accepting, drain, flush.

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::net::TcpListener;
use tokio::sync::Notify;

use crate::api::{self, AppState};
use crate::auth::{self, Authenticator};
use crate::config::Config;
use crate::data_dir::{DataDir, DataDirError};
use crate::governor::{Governor, GovernorError};
use crate::keys::{self, KeyError, KeyScope};
use crate::store::{SqliteStore, Store, StoreError};

/// The file in the data directory that holds the address a serving runtime listens on.
pub const RUNTIME_ADDRESS_FILE: &str = "runtime.addr";

/// The address the runtime serving data directory `data_dir` listens on, as it wrote it when it
/// started; `None` when no runtime wrote one (or it stopped cleanly). A runtime that crashed
/// leaves a stale file: callers confirm by connecting.
pub fn runtime_address(data_dir: &std::path::Path) -> Option<SocketAddr> {
    std::fs::read_to_string(data_dir.join(RUNTIME_ADDRESS_FILE)).ok()?.trim().parse().ok()
}

/// A runtime with its state open, ready to serve.
#[derive(Debug)]
pub struct Runtime {
    config: Config,
    store: Arc<dyn Store>,
    auth: Arc<Authenticator>,
    governor: Arc<Governor>,
    state: AppState,
    first_key: Option<PathBuf>,
    data_dir: DataDir,
}

/// Why the runtime could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// The data directory could not be prepared.
    #[error(transparent)]
    DataDir(#[from] DataDirError),
    /// The store could not be opened or read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The first admin key could not be made.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The audit log could not be opened: the runtime does not act without a record.
    #[error(transparent)]
    Audit(#[from] symbi_audit::OpenError),
    /// The SchemaPin publisher key exists but cannot be read.
    #[error(transparent)]
    Publisher(#[from] crate::publisher::PublisherError),
    /// A start-up action could not be recorded, so it was not done.
    #[error("cannot write the audit log: {0}")]
    AuditAppend(String),
    /// The policies could not be loaded: the runtime does not start on a set it cannot enforce.
    #[error(transparent)]
    Policy(#[from] GovernorError),
    /// The listener failed.
    #[error("the API server failed: {0}")]
    Serve(std::io::Error),
}

impl Runtime {
    /// Opens the data directory and store, loads keys, and on a store that has never had a key
    /// issues an admin key into `admin.key` (mode 0600).
    ///
    /// Fails if the data directory or store cannot be opened, or key hashing fails.
    pub async fn open(config: Config) -> Result<Self, RuntimeError> {
        let data_dir = DataDir::prepare(&config.data_dir)?;
        let store_file = data_dir.store_file();
        let store: Arc<dyn Store> = Arc::new(
            tokio::task::spawn_blocking(move || SqliteStore::open(&store_file))
                .await
                .map_err(|e| StoreError::Backend { reason: e.to_string() })??,
        );
        let audit = open_audit(&data_dir, &config).await?;
        let first_key = issue_first_key(&*store, &data_dir, &audit).await?;
        let auth = Arc::new(Authenticator::new(Arc::clone(&store), config.api.admin_token.as_ref()).await?);
        let governor = Arc::new(Governor::open(&config, Arc::clone(&store), audit).await?);
        let defined = governor.sync_agent_files().await?;
        tracing::info!(agents = defined, dir = %config.agents_dir.display(), "agent files loaded");
        let publisher = crate::publisher::Publisher::load(data_dir.path())?;
        let state =
            AppState::new(Arc::clone(&store), Arc::clone(&auth), Arc::clone(&governor), data_dir.path(), publisher);
        Ok(Self { config, store, auth, governor, state, first_key, data_dir })
    }

    /// Where the admin key issued at this start was written, if one was.
    pub fn first_admin_key(&self) -> Option<&std::path::Path> {
        self.first_key.as_deref()
    }

    /// How many policies are in force.
    pub fn policy_count(&self) -> usize {
        self.governor.policies().len()
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Writes `address` to [`RUNTIME_ADDRESS_FILE`] in the data directory, where `symbi tools run`
    /// finds a runtime beside it (the port may be 0 or set on the command line, so the configured
    /// one is not enough). [`Runtime::serve`] does this itself; call it first to announce the
    /// address only once the file is in place. The file is removed when serving stops.
    ///
    /// # Errors
    ///
    /// The file cannot be written.
    pub fn publish_address(&self, address: SocketAddr) -> Result<PathBuf, RuntimeError> {
        let text = format!("{address}\n");
        let path = self.data_dir.path().join(RUNTIME_ADDRESS_FILE);
        if std::fs::read_to_string(&path).is_ok_and(|current| current == text) {
            return Ok(path);
        }
        Ok(self.data_dir.write_private(RUNTIME_ADDRESS_FILE, &text)?)
    }

    /// Serves the API on `listener` until `shutdown` completes, then stops accepting, gives
    /// in-flight requests the configured grace period, and flushes the store.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), RuntimeError> {
        let (router, limiter) = api::router(self.state.clone(), &self.config.api);
        let address = listener.local_addr().map_err(RuntimeError::Serve)?;
        let address_file = self.publish_address(address)?;
        let sweeper = tokio::spawn(limiter.sweep_forever());
        let refresher = tokio::spawn(refresh_keys(Arc::clone(&self.auth)));
        let watcher = tokio::spawn(Arc::clone(&self.governor).watch(self.config.policy.reload_interval));
        let inbox = tokio::spawn(drain_inbox(Arc::clone(self.governor.audit())));
        let draining = Arc::new(Notify::new());
        let (state, notify) = (self.state.clone(), Arc::clone(&draining));
        let server = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                shutdown.await;
                state.start_draining();
                notify.notify_one();
            })
            .into_future();
        let mut server = std::pin::pin!(server);
        let result = tokio::select! {
            result = &mut server => result,
            () = draining.notified() => {
                tracing::info!(grace = ?self.config.api.shutdown_grace, "shutting down: draining in-flight requests");
                match tokio::time::timeout(self.config.api.shutdown_grace, server).await {
                    Ok(result) => result,
                    Err(_) => {
                        tracing::warn!("drain grace period ended with requests still running; abandoning them");
                        Ok(())
                    }
                }
            }
        };
        sweeper.abort();
        refresher.abort();
        watcher.abort();
        inbox.abort();
        // Another runtime may have started on this data directory meanwhile: only remove our own.
        if std::fs::read_to_string(&address_file).is_ok_and(|text| text.trim() == address.to_string()) {
            let _ = std::fs::remove_file(&address_file);
        }
        self.store.flush().await?;
        tracing::info!("stopped");
        result.map_err(RuntimeError::Serve)
    }
}

/// Keeps the key ring in step with the store so keys revoked by `symbi keys revoke` in another
/// process stop working within [`auth::RELOAD_INTERVAL`].
async fn refresh_keys(auth: Arc<Authenticator>) {
    let mut tick = tokio::time::interval(auth::RELOAD_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = auth.refresh().await {
            tracing::warn!(error = %e, "cannot reload API keys; keeping the last loaded set");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

/// Appends the events other processes (`symbi keys` while the runtime runs) leave in the audit
/// log's inbox, at the pace the key ring is refreshed so a key change and its record arrive
/// together.
async fn drain_inbox(audit: Arc<symbi_audit::AuditLog>) {
    let mut tick = tokio::time::interval(auth::RELOAD_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let log = Arc::clone(&audit);
        let drained = tokio::task::spawn_blocking(move || log.drain_inbox())
            .await
            .unwrap_or_else(|e| Err(symbi_audit::AppendError::Write { source: Arc::new(std::io::Error::other(e)) }));
        if let Err(e) = drained {
            tracing::error!(error = %e, "cannot append the audit log's inbox; retrying");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

/// Opens the audit log in `<data dir>/audit` with the configured checkpoint pace.
async fn open_audit(data_dir: &DataDir, config: &Config) -> Result<Arc<symbi_audit::AuditLog>, RuntimeError> {
    let dir = data_dir.audit_dir();
    let settings = symbi_audit::AuditConfig {
        checkpoint_every: config.audit.checkpoint_every,
        checkpoint_interval: Some(config.audit.checkpoint_interval),
        ..symbi_audit::AuditConfig::default()
    };
    let log = tokio::task::spawn_blocking(move || {
        let log = symbi_audit::AuditLog::open(dir, &settings)?;
        // Events other processes left while no runtime held the log are appended now.
        let drained = log.drain_inbox().map_err(|e| RuntimeError::AuditAppend(e.to_string()))?;
        Ok::<_, RuntimeError>((log, drained))
    })
    .await
    .map_err(|e| StoreError::Backend { reason: e.to_string() })?;
    let (log, drained) = log?;
    tracing::info!(records = log.len(), from_inbox = drained, "audit log open");
    Ok(Arc::new(log))
}

async fn issue_first_key(
    store: &dyn Store,
    data_dir: &DataDir,
    audit: &symbi_audit::AuditLog,
) -> Result<Option<PathBuf>, RuntimeError> {
    if !store.keys().await?.is_empty() {
        return Ok(None);
    }
    let (token, stored) = tokio::task::spawn_blocking(|| {
        keys::issue(KeyScope::Admin, "first admin key, issued by symbi up", SystemTime::now())
    })
    .await
    .map_err(|e| StoreError::Backend { reason: e.to_string() })??;
    // Write the file before the key becomes valid: a crash in between leaves an unusable file,
    // never a valid key nobody can read.
    let path = data_dir.write_private("admin.key", &format!("{}\n", token.reveal()))?;
    let event = symbi_audit::Event::key_management("runtime", "create", format!("ApiKey::\"{}\"", stored.id))
        .with_reason("first admin key, written to admin.key");
    audit.append(event).await.map_err(|e| RuntimeError::AuditAppend(e.to_string()))?;
    store.insert_key(&stored).await?;
    Ok(Some(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A damaged or absent address file means "no runtime found": the caller falls back to the
    /// configured port rather than failing or connecting somewhere odd.
    #[test]
    fn an_address_file_is_read_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(runtime_address(dir.path()), None);
        let file = dir.path().join(RUNTIME_ADDRESS_FILE);
        for bad in ["", "localhost:8080", "127.0.0.1", "127.0.0.1:99999", "\u{0}\u{ff}"] {
            std::fs::write(&file, bad).unwrap();
            assert_eq!(runtime_address(dir.path()), None, "{bad:?}");
        }
        std::fs::write(&file, "127.0.0.1:8123\n").unwrap();
        assert_eq!(runtime_address(dir.path()), Some("127.0.0.1:8123".parse().unwrap()));
    }
}
