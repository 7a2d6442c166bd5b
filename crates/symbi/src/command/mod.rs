//! One module per subcommand.

pub(crate) mod audit;
pub(crate) mod doctor;
pub(crate) mod dsl;
pub(crate) mod fmt;
pub(crate) mod init;
pub(crate) mod keys;
pub(crate) mod openapi;
pub(crate) mod policy;
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
