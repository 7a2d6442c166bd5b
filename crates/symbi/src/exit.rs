//! Exit codes and error reporting. The codes are stable and listed in `symbi --help`.

use std::process::ExitCode;

use crate::cli::ErrorFormat;

/// How a command ended, when it did not fail outright.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// 0: done.
    Success,
    /// 1: the command ran but found problems (for example a failed `doctor` check).
    Problems,
    /// 2: the action asked about is refused (a hook's deny; the reason is already printed).
    Blocked,
}

/// A command that could not do its job.
#[derive(Debug)]
pub(crate) struct Failure {
    kind: FailureKind,
    error: anyhow::Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FailureKind {
    /// 1: something failed while running (I/O, store, network).
    Runtime,
    /// 2: the input was wrong (arguments, configuration, files); nothing was changed.
    InvalidInput,
}

impl Failure {
    /// The input (arguments, configuration, project files) is wrong; exit code 2.
    pub(crate) fn invalid(error: impl Into<anyhow::Error>) -> Self {
        Self { kind: FailureKind::InvalidInput, error: error.into() }
    }
}

impl std::fmt::Display for Failure {
    /// The error with its causes, as `finish` prints it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.error)
    }
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(error: E) -> Self {
        Self { kind: FailureKind::Runtime, error: error.into() }
    }
}

/// Prints the error (if any) in the chosen format and picks the exit code.
pub(crate) fn finish(result: crate::Outcome, format: ErrorFormat) -> ExitCode {
    match result {
        Ok(Exit::Success) => ExitCode::SUCCESS,
        Ok(Exit::Problems) => ExitCode::from(1),
        Ok(Exit::Blocked) => ExitCode::from(2),
        Err(failure) => {
            let (code, name) = match failure.kind {
                FailureKind::Runtime => (1, "FAILURE"),
                FailureKind::InvalidInput => (2, "INVALID_INPUT"),
            };
            let message = format!("{:#}", failure.error);
            match format {
                ErrorFormat::Human => eprintln!("error: {message}"),
                ErrorFormat::Json => {
                    eprintln!("{}", serde_json::json!({ "error": message, "code": name, "exit_code": code }));
                }
            }
            ExitCode::from(code)
        }
    }
}
