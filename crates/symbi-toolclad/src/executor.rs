//! Runs a [`ValidatedCall`]: fills in the scan id, evidence paths and secrets, hands the argv to
//! the [`Launcher`] (or the request to the [`HttpTransport`] after the [`SsrfGuard`]), parses the
//! output and writes the [`Envelope`] to the evidence directory. Whether the call may run at all
//! is the Governor's decision, made before this is called.

mod outcome;

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use zeroize::Zeroizing;

use crate::call::render::{Escape, escaped};
use crate::call::{Generated, HttpRendered, Rendered, Seg, ValidatedCall};
use crate::envelope::{Envelope, rfc3339, scan_id};
use crate::http::{HttpRequest, HttpTransport, SsrfError, SsrfGuard};
use crate::launcher::{LaunchSpec, Launcher};
use crate::output::OutputFormat;
use crate::secret::{SecretResolver, SecretValue};

/// Default cap on a tool's stdout plus stderr (or an HTTP body): 8 MiB.
pub const DEFAULT_OUTPUT_CAP: usize = 8 * 1024 * 1024;

/// The child's `PATH`: the parent's environment is never inherited.
const CHILD_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// Executes validated calls through one launcher (and optionally one HTTP transport).
#[derive(Debug, Clone)]
pub struct Executor {
    launcher: Arc<dyn Launcher>,
    http: Option<Arc<dyn HttpTransport>>,
    guard: SsrfGuard,
    output_cap: usize,
}

/// Where one execution happens and what it may use.
pub struct ExecContext<'a> {
    /// Evidence goes to `<evidence_dir>/<scan_id>-<tool>/` (created if missing).
    pub evidence_dir: &'a Path,
    /// The child's working directory (the project directory, normally).
    pub work_dir: &'a Path,
    /// Resolves `{_secret:NAME}` references for this call's agent.
    pub secrets: &'a dyn SecretResolver,
}

/// Why an execution did not produce an envelope. A tool that ran and failed is not an error: it
/// gives an envelope with status `error` or `timeout`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExecError {
    /// `dispatch = "callback"` tools are run by the caller.
    #[error("tool `{tool}` is a callback tool; its caller runs it")]
    Callback {
        /// The tool.
        tool: String,
    },
    /// A `{_secret:NAME}` the resolver does not have (or will not give this agent).
    #[error("secret `{name}` is not available to this call")]
    MissingSecret {
        /// The secret's name.
        name: String,
    },
    /// A secret value with a control character, which would split a header or argument.
    #[error("secret `{name}` contains a control character and cannot be used here")]
    InvalidSecret {
        /// The secret's name.
        name: String,
    },
    /// An HTTP tool, but no transport was configured.
    #[error("tool `{tool}` uses the http backend, but no HTTP transport is configured")]
    NoHttpTransport {
        /// The tool.
        tool: String,
    },
    /// The SSRF guard refused the URL; nothing was sent.
    #[error(transparent)]
    Refused(#[from] SsrfError),
    /// The evidence could not be written; the result is not recorded, so it is not returned.
    #[error("cannot write evidence to `{}`: {source}", path.display())]
    Evidence {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
}

/// Per-execution values substituted for generated placeholders and secrets.
struct Fill<'a> {
    scan_id: &'a str,
    evidence_dir: String,
    output_file: String,
    secrets: Vec<(String, SecretValue)>,
}

impl Executor {
    /// An executor that starts processes through `launcher`, with the default output cap and no
    /// HTTP transport.
    pub fn new(launcher: Arc<dyn Launcher>) -> Self {
        Self { launcher, http: None, guard: SsrfGuard::new(), output_cap: DEFAULT_OUTPUT_CAP }
    }

    /// Enables the `http` backend through `transport`, checked by `guard`.
    #[must_use]
    pub fn with_http(mut self, transport: Arc<dyn HttpTransport>, guard: SsrfGuard) -> Self {
        self.http = Some(transport);
        self.guard = guard;
        self
    }

    /// Sets the cap on captured output in bytes.
    #[must_use]
    pub fn with_output_cap(mut self, bytes: usize) -> Self {
        self.output_cap = bytes;
        self
    }

    /// Runs `call` and stores its envelope as `envelope.json` in its evidence directory.
    ///
    /// # Errors
    ///
    /// [`ExecError`] when nothing could run (callback tool, missing or unusable secret, no HTTP
    /// transport, SSRF refusal) or when the evidence could not be written.
    pub fn execute(&self, call: &ValidatedCall, ctx: &ExecContext<'_>) -> Result<Envelope, ExecError> {
        let tool = call.tool();
        if matches!(call.rendered, Rendered::Callback) {
            return Err(ExecError::Callback { tool: tool.name().to_owned() });
        }
        let started = SystemTime::now();
        let clock = Instant::now();
        let (scan_id, dir) = evidence_dir(ctx.evidence_dir, tool.name(), started)?;
        let format = tool.output().map_or(OutputFormat::Text, |o| o.format);
        let out_dir = match tool.output_dir_template() {
            Some(template) => {
                let resolved = template
                    .replace("{evidence_dir}", &ctx.evidence_dir.display().to_string())
                    .replace("{scan_id}", &scan_id);
                let path = PathBuf::from(resolved);
                fs::create_dir_all(&path).map_err(|source| ExecError::Evidence { path: path.clone(), source })?;
                path
            }
            None => dir.clone(),
        };
        let output_file = out_dir.join(format!("scan.{}", format.extension()));
        let fill = Fill {
            scan_id: &scan_id,
            evidence_dir: out_dir.display().to_string(),
            output_file: output_file.display().to_string(),
            secrets: resolve_secrets(call, ctx.secrets)?,
        };
        let masks = fill.secret_values();
        let timestamp = rfc3339(started);
        let mut outcome = match &call.rendered {
            Rendered::Argv(words) => {
                let argv =
                    Zeroizing::new(words.iter().map(|w| fill.word(w, Escape::None)).collect::<Result<Vec<_>, _>>()?);
                let env = [
                    ("PATH".to_owned(), CHILD_PATH.to_owned()),
                    ("LANG".to_owned(), "C.UTF-8".to_owned()),
                    ("HOME".to_owned(), ctx.work_dir.display().to_string()),
                    ("TOOLCLAD_SCAN_ID".to_owned(), scan_id.clone()),
                    ("TOOLCLAD_TOOL_NAME".to_owned(), tool.name().to_owned()),
                    ("TOOLCLAD_EVIDENCE_DIR".to_owned(), fill.evidence_dir),
                ];
                let spec = LaunchSpec::new(&argv, &env, ctx.work_dir, tool.timeout(), self.output_cap);
                outcome::process(self.launcher.launch(&spec), &output_file, format, self.output_cap, tool.timeout())
            }
            Rendered::Http(http) => {
                let transport =
                    self.http.as_ref().ok_or_else(|| ExecError::NoHttpTransport { tool: tool.name().to_owned() })?;
                let request = fill.request(http, tool.timeout())?;
                // The URL may carry a secret: a refusal names it with every secret masked.
                self.guard.check_url(&request.url).map_err(|e| e.redacted(&masks))?;
                outcome::http(transport.send(&request, &self.guard), http, format)
            }
            Rendered::Callback => return Err(ExecError::Callback { tool: tool.name().to_owned() }),
        };
        outcome.redact(masks.iter().map(|m| m.as_str()));
        let raw_path = outcome
            .store_raw(&output_file)
            .map_err(|source| ExecError::Evidence { path: output_file.clone(), source })?;
        let envelope = outcome.into_envelope(Envelope {
            status: crate::envelope::Status::Success,
            scan_id,
            tool: tool.name().to_owned(),
            command: call.command_preview(),
            duration_ms: u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX),
            timestamp,
            output_hash: String::new(),
            exit_code: 0,
            stderr: String::new(),
            results: serde_json::Value::Null,
            output_file: raw_path.map(|p| p.display().to_string()),
            http_status: None,
        });
        let path = dir.join("envelope.json");
        let json = serde_json::to_vec_pretty(&envelope)
            .map_err(|e| ExecError::Evidence { path: path.clone(), source: e.into() })?;
        fs::write(&path, json).map_err(|source| ExecError::Evidence { path, source })?;
        Ok(envelope)
    }
}

impl fmt::Debug for ExecContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExecContext")
            .field("evidence_dir", &self.evidence_dir)
            .field("work_dir", &self.work_dir)
            .finish_non_exhaustive()
    }
}

impl Fill<'_> {
    /// Every secret value in the forms it can take in output: as given, and as substituted into
    /// a URL or a JSON body (an echoing server answers with those).
    fn secret_values(&self) -> Vec<Zeroizing<String>> {
        let mut forms = Vec::new();
        for (_, value) in &self.secrets {
            for escape in [Escape::None, Escape::Url, Escape::Json] {
                let form = Zeroizing::new(escaped(value.expose(), escape));
                if !forms.contains(&form) {
                    forms.push(form);
                }
            }
        }
        forms
    }

    fn word(&self, segs: &[Seg], escape: Escape) -> Result<String, ExecError> {
        let mut out = String::new();
        for seg in segs {
            match seg {
                Seg::Text(t) => out.push_str(t),
                Seg::Gen(Generated::ScanId) => out.push_str(&escaped(self.scan_id, escape)),
                Seg::Gen(Generated::EvidenceDir) => out.push_str(&escaped(&self.evidence_dir, escape)),
                Seg::Gen(Generated::OutputFile) => out.push_str(&escaped(&self.output_file, escape)),
                Seg::Secret(name) => {
                    let value =
                        self.secrets.iter().find(|(n, _)| n == name).map(|(_, v)| v.expose()).unwrap_or_default();
                    if value.chars().any(char::is_control) {
                        return Err(ExecError::InvalidSecret { name: name.clone() });
                    }
                    out.push_str(&escaped(value, escape));
                }
            }
        }
        Ok(out)
    }

    fn request(&self, http: &HttpRendered, timeout: std::time::Duration) -> Result<HttpRequest, ExecError> {
        // Secrets and generated values inside a URL are always one encoded component.
        Ok(HttpRequest {
            method: http.method.clone(),
            url: self.word(&http.url, Escape::Url)?,
            headers: http
                .headers
                .iter()
                .map(|(k, v)| Ok((k.clone(), self.word(v, Escape::None)?)))
                .collect::<Result<_, ExecError>>()?,
            body: http.body.as_ref().map(|b| self.word(b, Escape::Json)).transpose()?,
            timeout,
        })
    }
}

/// Creates `<evidence_dir>/<scan_id>-<tool>` exclusively, drawing a new id on collision.
fn evidence_dir(root: &Path, tool: &str, now: SystemTime) -> Result<(String, PathBuf), ExecError> {
    fs::create_dir_all(root).map_err(|source| ExecError::Evidence { path: root.to_owned(), source })?;
    let mut last = None;
    for _ in 0..16 {
        let id = scan_id(now);
        let dir = root.join(format!("{id}-{tool}"));
        match fs::create_dir(&dir) {
            Ok(()) => return Ok((id, dir)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(source) => return Err(ExecError::Evidence { path: dir, source }),
        }
    }
    Err(ExecError::Evidence {
        path: root.to_owned(),
        source: last.unwrap_or_else(|| io::Error::other("no free scan id")),
    })
}

/// Resolves every secret the call references before anything runs.
fn resolve_secrets(
    call: &ValidatedCall,
    resolver: &dyn SecretResolver,
) -> Result<Vec<(String, SecretValue)>, ExecError> {
    call.secret_names()
        .into_iter()
        .map(|name| {
            let value = resolver.resolve(name).ok_or_else(|| ExecError::MissingSecret { name: name.to_owned() })?;
            Ok((name.to_owned(), value))
        })
        .collect()
}
