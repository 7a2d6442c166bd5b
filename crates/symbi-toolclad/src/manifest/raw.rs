//! The manifest file as TOML gives it to us, before any rule is checked. Unknown keys are refused
//! (`deny_unknown_fields`) so a misspelt `requierd = true` is an error, not a silently optional
//! argument; spans let every later error name its line.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawManifest {
    pub(crate) tool: Spanned<RawTool>,
    #[serde(default)]
    pub(crate) args: BTreeMap<String, Spanned<RawArg>>,
    pub(crate) command: Option<Spanned<RawCommand>>,
    pub(crate) output: Option<Spanned<RawOutput>>,
    pub(crate) http: Option<Spanned<RawHttp>>,
    pub(crate) mcp: Option<Spanned<toml::Value>>,
    pub(crate) session: Option<Spanned<toml::Value>>,
    pub(crate) browser: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTool {
    pub(crate) name: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) binary: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) timeout_seconds: Option<Spanned<i64>>,
    pub(crate) risk_tier: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) human_approval: bool,
    pub(crate) dispatch: Option<Spanned<String>>,
    pub(crate) mode: Option<Spanned<String>>,
    pub(crate) cedar: Option<Spanned<RawCedar>>,
    pub(crate) evidence: Option<Spanned<RawEvidence>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCedar {
    pub(crate) resource: Option<String>,
    pub(crate) action: Option<String>,
    /// symbi extension: the `ToolSet`s the tool belongs to in policy.
    #[serde(default)]
    pub(crate) tool_sets: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEvidence {
    pub(crate) output_dir: Option<String>,
    #[serde(default)]
    pub(crate) capture: bool,
    pub(crate) hash: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawArg {
    #[serde(default)]
    pub(crate) position: i64,
    #[serde(default)]
    pub(crate) required: bool,
    #[serde(rename = "type")]
    pub(crate) ty: Option<String>,
    #[serde(default)]
    pub(crate) description: String,
    pub(crate) default: Option<toml::Value>,
    pub(crate) allowed: Option<Vec<String>>,
    pub(crate) pattern: Option<String>,
    pub(crate) min: Option<i64>,
    pub(crate) max: Option<i64>,
    pub(crate) min_float: Option<f64>,
    pub(crate) max_float: Option<f64>,
    #[serde(default)]
    pub(crate) clamp: bool,
    pub(crate) sanitize: Option<Vec<String>>,
    pub(crate) schemes: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) scope_check: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCommand {
    pub(crate) template: Option<String>,
    pub(crate) exec: Option<Vec<String>>,
    pub(crate) executor: Option<String>,
    #[serde(default)]
    pub(crate) defaults: BTreeMap<String, toml::Value>,
    #[serde(default)]
    pub(crate) mappings: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    pub(crate) conditionals: BTreeMap<String, RawConditional>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConditional {
    pub(crate) when: String,
    pub(crate) template: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOutput {
    pub(crate) format: Option<String>,
    pub(crate) parser: Option<String>,
    pub(crate) envelope: Option<bool>,
    pub(crate) schema: Option<toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHttp {
    pub(crate) method: Option<String>,
    pub(crate) url: Option<String>,
    #[serde(default)]
    pub(crate) headers: BTreeMap<String, String>,
    pub(crate) body_template: Option<String>,
    #[serde(default)]
    pub(crate) success_status: Vec<u16>,
    #[serde(default)]
    pub(crate) error_status: Vec<u16>,
}

/// `toolclad.toml`: project-wide custom types.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProject {
    #[serde(default)]
    pub(crate) types: BTreeMap<String, Spanned<RawCustomType>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCustomType {
    pub(crate) base: String,
    /// Documentation for humans; accepted and not used.
    #[serde(default, rename = "description")]
    _description: Option<serde::de::IgnoredAny>,
    pub(crate) allowed: Option<Vec<String>>,
    pub(crate) pattern: Option<String>,
    pub(crate) min: Option<i64>,
    pub(crate) max: Option<i64>,
    pub(crate) min_float: Option<f64>,
    pub(crate) max_float: Option<f64>,
}
