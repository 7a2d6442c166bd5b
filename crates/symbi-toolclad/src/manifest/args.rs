//! `[args.*]` tables and `toolclad.toml` custom types compiled into [`ArgSpec`]s. Custom type
//! constraints override the argument's own (as in the published implementations); defaults are
//! validated here like any supplied value, so a bad default fails at load, not at call time.

use std::collections::BTreeMap;
use std::path::Path;

use super::raw::{RawArg, RawCustomType, RawProject};
use crate::argtype::{ArgKind, BUILTIN_TYPES, Bounds, Checks, Pattern};
use crate::diagnostic::{LoadError, toml_error};

/// One declared argument.
#[derive(Debug, Clone)]
pub struct ArgSpec {
    name: String,
    type_name: String,
    position: i64,
    required: bool,
    description: String,
    default: Option<String>,
    pub(crate) kind: ArgKind,
}

impl ArgSpec {
    /// The argument name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The type as written: a built-in or a `toolclad.toml` custom type.
    pub fn type_name(&self) -> &str {
        &self.type_name
    }
    /// `position`, for ordering schemas and listings.
    pub fn position(&self) -> i64 {
        self.position
    }
    /// Whether a call must supply it (unless it has a default).
    pub fn required(&self) -> bool {
        self.required
    }
    /// Schema text.
    pub fn description(&self) -> &str {
        &self.description
    }
    /// The validated default value.
    pub fn default(&self) -> Option<&str> {
        self.default.as_deref()
    }
    /// `allowed` values of an enum.
    pub fn allowed(&self) -> Option<&[String]> {
        match &self.kind {
            ArgKind::Enum(values) => Some(values),
            _ => None,
        }
    }
    /// The built-in type this argument validates as.
    pub fn base_type(&self) -> &'static str {
        match &self.kind {
            ArgKind::String(_) => "string",
            ArgKind::Integer(_) => "integer",
            ArgKind::Number(_) => "number",
            ArgKind::Port(_) => "port",
            ArgKind::Boolean => "boolean",
            ArgKind::Enum(_) => "enum",
            ArgKind::ScopeTarget => "scope_target",
            ArgKind::Url { .. } => "url",
            ArgKind::Path => "path",
            ArgKind::IpAddress => "ip_address",
            ArgKind::Cidr => "cidr",
            ArgKind::MsfOptions => "msf_options",
            ArgKind::CredentialFile => "credential_file",
            ArgKind::Duration => "duration",
            ArgKind::RegexMatch(_) => "regex_match",
        }
    }
    pub(crate) fn int_bounds(&self) -> (Option<i64>, Option<i64>) {
        match &self.kind {
            ArgKind::Integer(b) => (b.min, b.max),
            ArgKind::Port(b) => (Some(b.min.unwrap_or(1)), Some(b.max.unwrap_or(65535))),
            _ => (None, None),
        }
    }
    pub(crate) fn float_bounds(&self) -> (Option<f64>, Option<f64>) {
        match &self.kind {
            ArgKind::Number(b) => (b.min, b.max),
            _ => (None, None),
        }
    }
    pub(crate) fn pattern(&self) -> Option<&str> {
        self.kind.pattern().map(Pattern::source)
    }
}

/// Custom types from `toolclad.toml`, by name.
#[derive(Debug, Clone, Default)]
pub(crate) struct CustomTypes(BTreeMap<String, RawCustomType>);

/// Loads `toolclad.toml`; a missing file means no custom types.
pub(crate) fn load_custom_types(path: &Path) -> Result<CustomTypes, Vec<LoadError>> {
    let Ok(text) = std::fs::read_to_string(path) else { return Ok(CustomTypes::default()) };
    let raw: RawProject = toml::from_str(&text).map_err(|e| vec![toml_error(path, &text, &e)])?;
    let mut errors = Vec::new();
    let mut types = BTreeMap::new();
    for (name, spanned) in raw.types {
        let at = spanned.span().start;
        let ty = spanned.into_inner();
        if !BUILTIN_TYPES.contains(&ty.base.as_str()) {
            errors.push(LoadError::at(
                path,
                &text,
                at,
                format!("custom type `{name}` has invalid base type `{}`", ty.base),
            ));
        } else if BUILTIN_TYPES.contains(&name.as_str()) {
            errors.push(LoadError::at(path, &text, at, format!("custom type `{name}` would shadow the built-in type")));
        } else {
            types.insert(name, ty);
        }
    }
    if errors.is_empty() { Ok(CustomTypes(types)) } else { Err(errors) }
}

/// Compiles one `[args.<name>]` table, or says what is wrong with it.
pub(crate) fn compile(
    name: &str,
    mut raw: RawArg,
    custom: &CustomTypes,
    checks: Checks<'_>,
) -> Result<ArgSpec, String> {
    let at = |msg: String| format!("argument `{name}`: {msg}");
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') || name.starts_with('_') {
        return Err(at("names are ASCII letters, digits and `_`, not starting with `_`".into()));
    }
    let type_name = raw.ty.clone().ok_or_else(|| at("`type` is required".into()))?;
    let base = match custom.0.get(&type_name) {
        Some(ty) => {
            raw.allowed = ty.allowed.clone().or(raw.allowed);
            raw.pattern = ty.pattern.clone().or(raw.pattern);
            raw.min = ty.min.or(raw.min);
            raw.max = ty.max.or(raw.max);
            raw.min_float = ty.min_float.or(raw.min_float);
            raw.max_float = ty.max_float.or(raw.max_float);
            ty.base.clone()
        }
        None if BUILTIN_TYPES.contains(&type_name.as_str()) => type_name.clone(),
        None => return Err(at(format!("unknown type `{type_name}` (not built in and not in toolclad.toml)"))),
    };
    if raw.sanitize.as_ref().is_some_and(|s| s.iter().any(|x| x != "injection")) {
        return Err(at("`sanitize` only accepts `[\"injection\"]` (values are always checked)".into()));
    }
    let kind = kind(&base, &mut raw).map_err(at)?;
    let default = match raw.default.take() {
        Some(value) => {
            let text =
                super::scalar_text(&value).ok_or_else(|| at("`default` must be a string, number or boolean".into()))?;
            Some(kind.validate(&text, checks).map_err(|p| at(format!("`default` {p}")))?)
        }
        None => None,
    };
    Ok(ArgSpec {
        name: name.to_owned(),
        type_name,
        position: raw.position,
        required: raw.required,
        description: raw.description,
        default,
        kind,
    })
}

/// Builds the kind for `base`, taking the keys it uses out of `raw` and refusing keys it would
/// silently ignore.
fn kind(base: &str, raw: &mut RawArg) -> Result<ArgKind, String> {
    let pattern = match raw.pattern.take() {
        Some(p) => Some(Pattern::new(&p).map_err(|e| format!("invalid `pattern`: {e}"))?),
        None => None,
    };
    let ints = Bounds { min: raw.min.take(), max: raw.max.take(), clamp: raw.clamp };
    let floats = Bounds {
        min: raw.min_float.take().or(ints.min.map(|v| v as f64)),
        max: raw.max_float.take().or(ints.max.map(|v| v as f64)),
        clamp: raw.clamp,
    };
    let allowed = raw.allowed.take();
    let schemes = raw.schemes.take();
    let kind = match base {
        "string" => ArgKind::String(pattern.clone()),
        "integer" => ArgKind::Integer(ints),
        "number" => ArgKind::Number(floats),
        "port" => ArgKind::Port(ints),
        "boolean" => ArgKind::Boolean,
        "enum" => match allowed.as_ref().filter(|a| !a.is_empty()) {
            Some(values) => ArgKind::Enum(values.clone()),
            None => return Err("an `enum` needs a non-empty `allowed` list".into()),
        },
        "scope_target" => ArgKind::ScopeTarget,
        "url" => ArgKind::Url { schemes: schemes.clone().unwrap_or_default(), scope_check: raw.scope_check },
        "path" => ArgKind::Path,
        "ip_address" => ArgKind::IpAddress,
        "cidr" => ArgKind::Cidr,
        "msf_options" => ArgKind::MsfOptions,
        "credential_file" => ArgKind::CredentialFile,
        "duration" => ArgKind::Duration,
        "regex_match" => ArgKind::RegexMatch(pattern.clone().ok_or("a `regex_match` needs a `pattern`")?),
        other => return Err(format!("unknown type `{other}`")),
    };
    let numeric = matches!(base, "integer" | "number" | "port");
    let misplaced = [
        ("pattern", pattern.is_some() && !matches!(base, "string" | "regex_match")),
        ("allowed", allowed.is_some() && base != "enum"),
        ("schemes", schemes.is_some() && base != "url"),
        ("scope_check", raw.scope_check && base != "url"),
        ("min/max", (ints.min.is_some() || ints.max.is_some()) && !numeric),
        ("min_float/max_float", (floats.min.is_some() || floats.max.is_some()) && base != "number" && !numeric),
        ("clamp", raw.clamp && !matches!(base, "integer" | "number")),
    ];
    match misplaced.iter().find(|(_, bad)| *bad) {
        Some((key, _)) => Err(format!("`{key}` does not apply to type `{base}`")),
        None => Ok(kind),
    }
}
