//! A `*.clad.toml` manifest compiled into a [`Tool`]: typed arguments, the command or HTTP plan,
//! output format and policy metadata. Every rule is checked here, once, so later code (the
//! builder in `call`, the executor, policy) only ever sees a tool that passed.

mod args;
pub(crate) mod backend;
pub(crate) mod raw;

use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

pub use args::ArgSpec;
pub(crate) use backend::{Backend, CommandPlan, HttpPlan};

use crate::argtype::Checks;
use crate::diagnostic::{LoadError, toml_error};
use crate::output::OutputFormat;

use raw::RawManifest;

/// A tool: one validated manifest.
#[derive(Debug)]
pub struct Tool {
    name: String,
    version: String,
    binary: String,
    description: String,
    timeout: Duration,
    risk_tier: RiskTier,
    human_approval: bool,
    cedar: Option<CedarRef>,
    tool_sets: Vec<String>,
    capture: bool,
    output_dir: Option<String>,
    args: Vec<ArgSpec>,
    pub(crate) backend: Backend,
    output: Option<OutputSpec>,
    source: PathBuf,
    manifest_hash: String,
}

/// `[tool].risk_tier`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RiskTier {
    /// `info`.
    Info,
    /// `low` (the default).
    Low,
    /// `medium`.
    Medium,
    /// `high`: policy templates require approval.
    High,
    /// `critical`: policy templates require approval.
    Critical,
}

/// `[tool.cedar]`: the entity type and action the manifest names for its policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CedarRef {
    /// Entity type, e.g. `PenTest::ScanTarget`.
    pub resource: String,
    /// Action name, e.g. `execute_tool`.
    pub action: String,
}

/// `[output]`.
#[derive(Debug, Clone)]
pub(crate) struct OutputSpec {
    pub(crate) format: OutputFormat,
    pub(crate) envelope: bool,
    pub(crate) schema: serde_json::Value,
}

impl RiskTier {
    /// The manifest spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Self::Info, Self::Low, Self::Medium, Self::High, Self::Critical].into_iter().find(|t| t.as_str() == text)
    }
}

impl Tool {
    /// `[tool].name`: the MCP tool name and the Cedar `Tool` entity id.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// `[tool].version`: the version of the underlying program.
    pub fn version(&self) -> &str {
        &self.version
    }
    /// `[tool].binary`: informational; the command's first word is what runs.
    pub fn binary(&self) -> &str {
        &self.binary
    }
    /// `[tool].description`.
    pub fn description(&self) -> &str {
        &self.description
    }
    /// `[tool].timeout_seconds`.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
    /// `[tool].risk_tier`.
    pub fn risk_tier(&self) -> RiskTier {
        self.risk_tier
    }
    /// `[tool].human_approval`: the Governor holds every call for approval.
    pub fn human_approval(&self) -> bool {
        self.human_approval
    }
    /// `[tool.cedar]`, if present.
    pub fn cedar(&self) -> Option<&CedarRef> {
        self.cedar.as_ref()
    }
    /// `[tool.cedar].tool_sets` (a symbi extension): the policy `ToolSet`s of this tool.
    pub fn tool_sets(&self) -> &[String] {
        &self.tool_sets
    }
    /// The arguments, ordered by `position`, then name.
    pub fn args(&self) -> &[ArgSpec] {
        &self.args
    }
    /// The manifest file.
    pub fn source(&self) -> &Path {
        &self.source
    }
    /// `sha256:<hex>` of the manifest file's bytes, for pinning and audit records.
    pub fn manifest_hash(&self) -> &str {
        &self.manifest_hash
    }
    /// `[tool].dispatch = "callback"`: arguments are validated, nothing runs here.
    pub fn is_callback(&self) -> bool {
        matches!(self.backend, Backend::Callback)
    }
    /// `[tool.evidence].capture`.
    pub fn captures_evidence(&self) -> bool {
        self.capture
    }
    pub(crate) fn output(&self) -> Option<&OutputSpec> {
        self.output.as_ref()
    }
    pub(crate) fn output_dir_template(&self) -> Option<&str> {
        self.output_dir.as_deref()
    }
    pub(crate) fn arg(&self, name: &str) -> Option<&ArgSpec> {
        self.args.iter().find(|a| a.name() == name)
    }
}

/// Loads one manifest file.
pub(crate) fn load(path: &Path, custom: &CustomTypes, checks: Checks<'_>) -> Result<Tool, Vec<LoadError>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| vec![LoadError::new(path, 1, format!("cannot read the manifest: {e}"))])?;
    compile(path, &text, custom, checks)
}

/// Compiles manifest `text` (read from `path`).
pub(crate) fn compile(
    path: &Path,
    text: &str,
    custom: &CustomTypes,
    checks: Checks<'_>,
) -> Result<Tool, Vec<LoadError>> {
    let raw: RawManifest = toml::from_str(text).map_err(|e| vec![toml_error(path, text, &e)])?;
    let mut errors = Vec::new();
    let mut err = |offset: usize, message: String| errors.push(LoadError::at(path, text, offset, message));

    for (key, section) in [("mcp", &raw.mcp), ("session", &raw.session), ("browser", &raw.browser)] {
        if let Some(section) = section {
            err(section.span().start, format!("`[{key}]` manifests are not supported by this runtime yet"));
        }
    }
    let tool_at = raw.tool.span().start;
    let tool = raw.tool.into_inner();
    let mut required = |value: Option<String>, key: &str| match value.filter(|v| !v.trim().is_empty()) {
        Some(v) => v,
        None => {
            err(tool_at, format!("`[tool].{key}` is required"));
            String::new()
        }
    };
    let name = required(tool.name, "name");
    let version = required(tool.version, "version");
    let binary = required(tool.binary, "binary");
    let description = required(tool.description, "description");
    if !name.is_empty() && !is_tool_name(&name) {
        err(tool_at, format!("tool name `{name}` must be 1-64 ASCII letters, digits, `_` or `-`"));
    }
    let timeout = match tool.timeout_seconds {
        Some(t) if !(1..=86_400).contains(t.get_ref()) => {
            err(t.span().start, "`timeout_seconds` must be between 1 and 86400".into());
            60
        }
        Some(t) => t.into_inner().unsigned_abs(),
        None => 60,
    };
    let risk_tier = match tool.risk_tier {
        Some(t) => RiskTier::parse(t.get_ref()).unwrap_or_else(|| {
            err(
                t.span().start,
                format!("invalid risk_tier `{}`, must be one of: info, low, medium, high, critical", t.get_ref()),
            );
            RiskTier::Low
        }),
        None => RiskTier::Low,
    };
    let callback = match tool.dispatch.as_ref().map(|d| (d.get_ref().as_str(), d.span().start)) {
        None | Some(("exec", _)) => false,
        Some(("callback", _)) => true,
        Some((other, at)) => {
            err(at, format!("invalid dispatch `{other}`, must be one of: exec, callback"));
            false
        }
    };
    if let Some(mode) = tool.mode.filter(|m| m.get_ref() != "oneshot") {
        err(
            mode.span().start,
            format!("mode `{}` is not supported by this runtime yet (only `oneshot`)", mode.get_ref()),
        );
    }
    let (cedar, tool_sets) = match tool.cedar {
        Some(c) => {
            let at = c.span().start;
            let c = c.into_inner();
            let cedar = match (c.resource, c.action) {
                (Some(resource), Some(action)) if !resource.is_empty() && !action.is_empty() => {
                    Some(CedarRef { resource, action })
                }
                _ => {
                    err(at, "`[tool.cedar]` needs both `resource` and `action`".into());
                    None
                }
            };
            for set in c.tool_sets.iter().filter(|s| !is_tool_name(s)) {
                err(at, format!("tool set `{set}` must be 1-64 ASCII letters, digits, `_` or `-`"));
            }
            (cedar, c.tool_sets)
        }
        None => (None, Vec::new()),
    };
    let (capture, output_dir) = match tool.evidence {
        Some(e) => {
            let at = e.span().start;
            let e = e.into_inner();
            if e.hash.as_deref().is_some_and(|h| h != "sha256") {
                err(at, "`[tool.evidence].hash` must be `sha256`".into());
            }
            let dir_ok = |d: &String| d.starts_with("{evidence_dir}") && !d.split(['/', '\\']).any(|s| s == "..");
            if let Some(dir) = e.output_dir.as_ref().filter(|d| !dir_ok(d)) {
                err(at, format!("`output_dir` `{dir}` must start with `{{evidence_dir}}` and contain no `..`"));
            }
            (e.capture, e.output_dir)
        }
        None => (false, None),
    };

    let mut args = Vec::new();
    for (arg_name, spanned) in raw.args {
        let at = spanned.span().start;
        match args::compile(&arg_name, spanned.into_inner(), custom, checks) {
            Ok(spec) => args.push(spec),
            Err(message) => err(at, message),
        }
    }
    args.sort_by(|a, b| (a.position(), a.name()).cmp(&(b.position(), b.name())));

    let has_output = raw.output.is_some();
    let output = match raw.output {
        Some(o) => {
            let at = o.span().start;
            match backend::output(o.into_inner()) {
                Ok(spec) => Some(spec),
                Err(message) => {
                    err(at, message);
                    None
                }
            }
        }
        None => None,
    };
    let backend = if callback {
        Backend::Callback
    } else {
        if !has_output {
            err(tool_at, "manifest is missing the `[output]` table (or set `tool.dispatch = \"callback\"`)".into());
        }
        match backend::compile(raw.command, raw.http, &args) {
            Ok(plan) => plan,
            Err((offset, message)) => {
                err(offset, message);
                Backend::Callback
            }
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Tool {
        name,
        version,
        binary,
        description,
        timeout: Duration::from_secs(timeout),
        risk_tier,
        human_approval: tool.human_approval,
        cedar,
        tool_sets,
        capture,
        output_dir,
        args,
        backend,
        output,
        source: path.to_owned(),
        manifest_hash: format!("sha256:{}", hex::encode(Sha256::digest(text.as_bytes()))),
    })
}

/// MCP tool names and Cedar ids we can print without quoting trouble.
fn is_tool_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

pub(crate) use args::{CustomTypes, load_custom_types};

/// Converts a TOML scalar to the text an argument would have been given as.
pub(crate) fn scalar_text(value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(f) => Some(crate::argtype::python_float(*f)),
        toml::Value::Boolean(b) => Some(b.to_string()),
        toml::Value::Datetime(_) | toml::Value::Array(_) | toml::Value::Table(_) => None,
    }
}

#[cfg(test)]
mod tests;
