//! `symbi`: the command-line interface to the symbi runtime. `main` only parses arguments,
//! dispatches to one module per subcommand, and turns the outcome into an exit code.

mod cli;
mod command;
mod exit;
mod logging;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::exit::Exit;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let format = cli.error_format;
    let result = match cli.command {
        Command::Init(args) => command::init::run(&args),
        Command::Up(args) => command::up::run(&args),
        Command::Keys(args) => command::keys::run(args),
        Command::Secrets(args) => command::secrets::run(args),
        Command::Doctor(args) => command::doctor::run(&args),
        Command::Dsl(args) => command::dsl::run(&args),
        Command::Fmt(args) => command::fmt::run(&args),
        Command::Openapi => command::openapi::run(),
        Command::Policy(args) => command::policy::run(&args),
        Command::Audit(args) => command::audit::run(args),
        Command::Keygen(args) => command::agentpin::keygen(&args),
        Command::Agentpin(args) => command::agentpin::run(args),
        Command::Schemapin(args) => command::schemapin::run(args),
        Command::Tools(args) => command::tools::run(&args),
    };
    exit::finish(result, format)
}

/// The outcome of a subcommand: an exit status, or an error to report.
type Outcome = Result<Exit, exit::Failure>;
