//! `symbi up`: start the runtime and serve until SIGINT or SIGTERM.

use std::net::SocketAddr;

use anyhow::Context as _;
use symbi_runtime::{LogFormat, Runtime, RuntimeError};

use crate::Outcome;
use crate::cli::{LogFormatArg, UpArgs};
use crate::exit::{Exit, Failure};

pub(crate) fn run(args: &UpArgs) -> Outcome {
    let mut config = super::load_config(&args.dir)?;
    if let Some(port) = args.port {
        config.api.port = port;
    }
    if let Some(bind) = args.bind {
        config.api.bind = bind;
    }
    if let Some(format) = args.log_format {
        config.log.format = match format {
            LogFormatArg::Pretty => LogFormat::Pretty,
            LogFormatArg::Json => LogFormat::Json,
        };
    }
    crate::logging::init(config.log.format, &config.log.filter).map_err(Failure::invalid)?;
    // Two workers match the machines this runs on; more threads only add contention there, and
    // the blocking pool (store, Argon2) grows on its own.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get().min(4)))
        .enable_all()
        .build()?;
    runtime.block_on(serve(config))?;
    Ok(Exit::Success)
}

async fn serve(config: symbi_runtime::Config) -> Result<(), Failure> {
    let address = SocketAddr::new(config.api.bind, config.api.port);
    let data_dir = config.data_dir.clone();
    let runtime = match Runtime::open(config).await {
        Ok(runtime) => runtime,
        // Invalid policies are the operator's input to fix; nothing started.
        Err(e @ RuntimeError::Policy(_)) => {
            return Err(Failure::invalid(
                anyhow::Error::new(e).context("cannot start: the policies or agent definitions are invalid"),
            ));
        }
        Err(e) => {
            let context = format!("cannot start with data directory `{}`", data_dir.display());
            return Err(anyhow::Error::new(e).context(context).into());
        }
    };
    if let Some(path) = runtime.first_admin_key() {
        // Deliberately not a log line: logs are shipped elsewhere, and the operator needs to know
        // where the key is, not to see it.
        eprintln!("symbi: issued the first admin API key; it is in {} (mode 0600)", path.display());
        eprintln!("symbi: send it as `Authorization: Bearer <key>`; manage keys with `symbi keys`");
    }
    let listener = tokio::net::TcpListener::bind(address).await.with_context(|| {
        format!("cannot listen on {address}; is another process using the port? try `symbi up --port <N>`")
    })?;
    let local = listener.local_addr()?;
    tracing::info!(
        address = %local,
        data_dir = %data_dir.display(),
        policies = runtime.policy_count(),
        version = symbi_runtime::VERSION,
        "listening"
    );
    // The address file first, so whoever reads the line below can already find it.
    runtime.publish_address(local)?;
    eprintln!("symbi: listening on http://{local}");
    runtime.serve(listener, shutdown_signal()).await?;
    Ok(())
}

/// Completes on SIGINT or SIGTERM. If a handler cannot be installed the runtime still stops on
/// the other signal; if neither can, it runs until killed, which the log says.
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot handle SIGTERM; stop with SIGINT");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = interrupt => tracing::info!("received SIGINT"),
        () = terminate => tracing::info!("received SIGTERM"),
    }
}
