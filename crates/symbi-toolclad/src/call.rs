//! From a [`ToolCall`] (tool name plus raw values, as an agent or API caller proposes them) to a
//! [`ValidatedCall`]: every value checked by its type and the scope, defaults applied, mappings
//! and conditionals resolved, and the command rendered as argv words. Values generated at
//! execution (scan id, evidence paths) and secret references stay symbolic until the executor
//! fills them, so a validated call can be shown, approved and audited without revealing secrets.

pub(crate) mod render;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use crate::argtype::{ArgProblem, Checks};
use crate::manifest::{Backend, Tool};
pub(crate) use render::{Generated, HttpRendered, Rendered, Seg};

/// A proposed tool call: the tool's name and one raw text value per argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCall {
    tool: String,
    args: BTreeMap<String, Result<String, ()>>,
}

/// One refused argument.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("argument `{arg}` {problem}")]
pub struct ArgError {
    arg: String,
    problem: ArgProblem,
}

/// Why a call could not be validated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// No manifest defines the tool.
    #[error("unknown tool `{name}`")]
    UnknownTool {
        /// The name asked for.
        name: String,
    },
    /// One or more arguments were refused; nothing runs.
    #[error("invalid arguments for tool `{tool}`: {}", join(errors))]
    InvalidArgs {
        /// The tool.
        tool: String,
        /// Every refused argument.
        errors: Vec<ArgError>,
    },
}

/// How an argument got its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueSource {
    /// The call supplied it.
    Supplied,
    /// The manifest's `default`.
    Default,
    /// Optional, not supplied, no default: the empty string.
    Empty,
}

/// A call whose arguments all passed; the only input the executor accepts.
#[derive(Debug, Clone)]
pub struct ValidatedCall {
    tool: Arc<Tool>,
    values: Vec<(String, String, ValueSource)>,
    pub(crate) rendered: Rendered,
}

impl ToolCall {
    /// A call to `tool` with no arguments yet.
    pub fn new(tool: impl Into<String>) -> Self {
        Self { tool: tool.into(), args: BTreeMap::new() }
    }

    /// Adds an argument value, verbatim (no trimming).
    #[must_use]
    pub fn arg(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.args.insert(name.into(), Ok(value.into()));
        self
    }

    /// A call from a JSON object of arguments (REST and MCP bodies). Strings are taken
    /// verbatim, numbers in their JSON spelling, booleans as `true`/`false`; arrays, objects
    /// and `null` are refused at validation with [`ArgProblem::NotScalar`].
    pub fn from_json(tool: impl Into<String>, args: &serde_json::Map<String, Value>) -> Self {
        let args = args
            .iter()
            .map(|(k, v)| {
                let text = match v {
                    Value::String(s) => Ok(s.clone()),
                    Value::Number(n) => Ok(n.to_string()),
                    Value::Bool(b) => Ok(b.to_string()),
                    Value::Null | Value::Array(_) | Value::Object(_) => Err(()),
                };
                (k.clone(), text)
            })
            .collect();
        Self { tool: tool.into(), args }
    }

    /// The tool's name.
    pub fn tool(&self) -> &str {
        &self.tool
    }
}

impl ArgError {
    /// The argument's name.
    pub fn arg(&self) -> &str {
        &self.arg
    }

    /// What is wrong with it.
    pub fn problem(&self) -> &ArgProblem {
        &self.problem
    }
}

impl ValidatedCall {
    /// The tool.
    pub fn tool(&self) -> &Tool {
        &self.tool
    }

    /// Every declared argument with its validated value and where it came from, in the
    /// manifest's order.
    pub fn values(&self) -> impl Iterator<Item = (&str, &str, ValueSource)> {
        self.values.iter().map(|(n, v, s)| (n.as_str(), v.as_str(), *s))
    }

    /// The argv as it will run, with generated values shown as `{_scan_id}`,
    /// `{_evidence_dir}`, `{_output_file}` and secrets as `{_secret:NAME}`; empty for HTTP and
    /// callback tools.
    pub fn argv_preview(&self) -> Vec<String> {
        match &self.rendered {
            Rendered::Argv(words) => words.iter().map(|w| render::preview(w)).collect(),
            Rendered::Http(_) | Rendered::Callback => Vec::new(),
        }
    }

    /// The names of the secrets the call references (`{_secret:NAME}` in its argv, or in its
    /// URL, headers and body), each once, in order of first use. The runtime resolves exactly
    /// these before it runs the call.
    pub fn secret_names(&self) -> Vec<&str> {
        let words: Vec<&Vec<Seg>> = match &self.rendered {
            Rendered::Argv(words) => words.iter().collect(),
            Rendered::Http(h) => {
                std::iter::once(&h.url).chain(h.headers.iter().map(|(_, v)| v)).chain(h.body.iter()).collect()
            }
            Rendered::Callback => Vec::new(),
        };
        let mut names: Vec<&str> = Vec::new();
        for seg in words.into_iter().flatten() {
            if let Seg::Secret(name) = seg
                && !names.contains(&name.as_str())
            {
                names.push(name);
            }
        }
        names
    }

    /// The command line for display and the envelope: argv joined by spaces, `METHOD url` for
    /// HTTP, empty for callback tools. Secrets are never filled in.
    pub fn command_preview(&self) -> String {
        match &self.rendered {
            Rendered::Argv(words) => words.iter().map(|w| render::preview(w)).collect::<Vec<_>>().join(" "),
            Rendered::Http(http) => format!("{} {}", http.method, render::preview(&http.url)),
            Rendered::Callback => String::new(),
        }
    }
}

/// Validates `call` against `tool`; see [`crate::Catalog::validate`].
pub(crate) fn validate(tool: &Arc<Tool>, call: &ToolCall, checks: Checks<'_>) -> Result<ValidatedCall, CallError> {
    let mut errors: Vec<ArgError> = call
        .args
        .keys()
        .filter(|name| tool.arg(name).is_none())
        .map(|name| ArgError { arg: name.clone(), problem: ArgProblem::Unknown })
        .collect();
    let mut values = Vec::with_capacity(tool.args().len());
    for spec in tool.args() {
        let resolved = match (call.args.get(spec.name()), spec.default()) {
            (Some(Ok(raw)), _) => spec.kind.validate(raw, checks).map(|v| (v, ValueSource::Supplied)),
            (Some(Err(())), _) => Err(ArgProblem::NotScalar),
            (None, Some(default)) => Ok((default.to_owned(), ValueSource::Default)),
            (None, None) if spec.required() => Err(ArgProblem::Missing),
            (None, None) => Ok((String::new(), ValueSource::Empty)),
        };
        match resolved {
            Ok((value, source)) => values.push((spec.name().to_owned(), value, source)),
            Err(problem) => errors.push(ArgError { arg: spec.name().to_owned(), problem }),
        }
    }
    if !errors.is_empty() {
        return Err(CallError::InvalidArgs { tool: tool.name().to_owned(), errors });
    }
    let rendered = match &tool.backend {
        Backend::Command(plan) => Rendered::Argv(render::argv(plan, &values)),
        Backend::Http(plan) => Rendered::Http(render::http(plan, &values)),
        Backend::Callback => Rendered::Callback,
    };
    Ok(ValidatedCall { tool: Arc::clone(tool), values, rendered })
}

fn join(errors: &[ArgError]) -> impl fmt::Display + '_ {
    struct Join<'a>(&'a [ArgError]);
    impl fmt::Display for Join<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            for (i, e) in self.0.iter().enumerate() {
                if i > 0 {
                    f.write_str("; ")?;
                }
                write!(f, "{e}")?;
            }
            Ok(())
        }
    }
    Join(errors)
}

#[cfg(test)]
mod tests;
