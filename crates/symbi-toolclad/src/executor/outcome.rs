//! What an execution produced, before it becomes an envelope: raw output, stderr and how the
//! run ended. Secrets are redacted here, before the raw output is stored, hashed or parsed.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::call::HttpRendered;
use crate::envelope::{Envelope, Status};
use crate::http::{HttpResponse, TransportError};
use crate::launcher::{LaunchError, LaunchOutput, ProcessEnd};
use crate::output::OutputFormat;

/// Text put in place of a secret value found in output.
const REDACTED: &str = "[REDACTED]";

pub(super) struct Outcome {
    status: Status,
    exit_code: i32,
    raw: String,
    stderr: String,
    results: Results,
    format: OutputFormat,
    http_status: Option<u16>,
}

enum Results {
    Parse,
    Failed { error: String, with_raw: bool },
    ExitCode(i32),
}

/// The outcome of a process run. A non-empty `output_file` the tool wrote itself (`-oX
/// {_output_file}`) is the raw output; otherwise stdout is.
pub(super) fn process(
    result: Result<LaunchOutput, LaunchError>,
    output_file: &Path,
    format: OutputFormat,
    cap: usize,
    timeout: Duration,
) -> Outcome {
    let out = match result {
        Ok(out) => out,
        Err(e) => return failed(Status::Error, -1, e.to_string(), format),
    };
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let raw = read_tool_file(output_file, cap).unwrap_or(stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let (status, exit_code, results) = match out.end {
        ProcessEnd::Exited(0) => (Status::Success, 0, Results::Parse),
        ProcessEnd::Exited(code) => (Status::Error, code, Results::ExitCode(code)),
        ProcessEnd::Signaled(signal) => (Status::Error, -1, failure(format!("the tool was killed by signal {signal}"))),
        ProcessEnd::TimedOut => {
            (Status::Timeout, -1, failure(format!("command timed out after {}s", timeout.as_secs())))
        }
        ProcessEnd::OutputCapExceeded => {
            (Status::Error, -1, failure(format!("output exceeded the {cap}-byte cap; the tool was stopped")))
        }
    };
    Outcome { status, exit_code, raw, stderr, results, format, http_status: None }
}

/// The outcome of an HTTP request, judged by `success_status`, then `error_status`, then 2xx.
pub(super) fn http(result: Result<HttpResponse, TransportError>, plan: &HttpRendered, format: OutputFormat) -> Outcome {
    let response = match result {
        Ok(r) => r,
        Err(TransportError::Timeout) => return failed(Status::Timeout, -1, "request timed out".into(), format),
        Err(e) => return failed(Status::Error, -1, e.to_string(), format),
    };
    let code = response.status;
    let ok = if !plan.success_status.is_empty() {
        plan.success_status.contains(&code)
    } else if !plan.error_status.is_empty() {
        !plan.error_status.contains(&code)
    } else {
        (200..300).contains(&code)
    };
    let raw = String::from_utf8_lossy(&response.body).into_owned();
    let (status, exit_code, results) = if ok {
        (Status::Success, 0, Results::Parse)
    } else {
        let class = match code {
            400..=499 => "client_error",
            500..=599 => "server_error",
            _ => "error",
        };
        (Status::Error, 1, Results::Failed { error: format!("{class} (HTTP {code})"), with_raw: true })
    };
    Outcome { status, exit_code, raw, stderr: String::new(), results, format, http_status: Some(code) }
}

fn failed(status: Status, exit_code: i32, error: String, format: OutputFormat) -> Outcome {
    Outcome {
        status,
        exit_code,
        raw: String::new(),
        stderr: error.clone(),
        results: failure(error),
        format,
        http_status: None,
    }
}

fn failure(error: String) -> Results {
    Results::Failed { error, with_raw: false }
}

fn read_tool_file(path: &Path, cap: usize) -> Option<String> {
    let meta = fs::symlink_metadata(path).ok().filter(|m| m.is_file() && m.len() > 0)?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(cap).min(cap));
    fs::File::open(path).ok()?.take(u64::try_from(cap).unwrap_or(u64::MAX)).read_to_end(&mut bytes).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

impl Outcome {
    /// Replaces every secret value (of four or more characters) in the output and error text.
    pub(super) fn redact<'a>(&mut self, secrets: impl Iterator<Item = &'a str>) {
        for secret in secrets.filter(|s| s.len() >= 4) {
            self.raw = self.raw.replace(secret, REDACTED);
            self.stderr = self.stderr.replace(secret, REDACTED);
            if let Results::Failed { error, .. } = &mut self.results {
                *error = error.replace(secret, REDACTED);
            }
        }
    }

    /// Writes the raw output to `path` (replacing the tool's own file with its redacted text).
    pub(super) fn store_raw(&self, path: &Path) -> io::Result<Option<PathBuf>> {
        fs::write(path, &self.raw)?;
        Ok(Some(path.to_owned()))
    }

    /// Fills the outcome's fields into `base`.
    pub(super) fn into_envelope(self, base: Envelope) -> Envelope {
        let (status, results) = match self.results {
            Results::Parse => match self.format.parse_output(&self.raw) {
                Ok(v) => (self.status, v),
                Err(e) => (Status::Error, json!({"error": e.to_string(), "raw_output": self.raw})),
            },
            Results::Failed { error, with_raw: true } => (self.status, json!({"error": error, "raw_output": self.raw})),
            Results::Failed { error, with_raw: false } => (self.status, json!({ "error": error })),
            Results::ExitCode(code) => {
                (self.status, json!({"returncode": code, "stderr": self.stderr, "raw_output": self.raw}))
            }
        };
        Envelope {
            status,
            exit_code: self.exit_code,
            output_hash: format!("sha256:{}", hex::encode(Sha256::digest(self.raw.as_bytes()))),
            stderr: self.stderr,
            results: if results.is_null() { Value::Object(Default::default()) } else { results },
            http_status: self.http_status,
            ..base
        }
    }
}
