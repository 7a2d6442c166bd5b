//! The project's tools: every `tools/*.clad.toml`, the custom types of `toolclad.toml` and the
//! scope of `scope/scope.toml`, loaded and checked together. The catalog is immutable; reloading
//! builds a new one, so a half-edited directory never replaces a good catalog.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::argtype::Checks;
use crate::call::{CallError, ToolCall, ValidatedCall, ValueSource, validate};
use crate::diagnostic::{LoadError, LoadErrors, toml_error};
use crate::manifest::{self, CustomTypes, Tool, load_custom_types};
use crate::scope::{RawScope, Scope};

/// Loaded tools plus the scope their arguments are checked against.
#[derive(Debug, Clone)]
pub struct Catalog {
    project_dir: PathBuf,
    tools: BTreeMap<String, Arc<Tool>>,
    scope: Arc<Scope>,
    context_hash: String,
}

/// What a dry run shows: the argv and checks, nothing executed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DryRun {
    /// One line per argument: `name=value (type: OK)`, `(default)` or `(empty)`.
    pub validations: Vec<String>,
    /// The argv (empty for HTTP and callback tools), generated values and secrets symbolic.
    pub argv: Vec<String>,
    /// The command line as the envelope will record it.
    pub command: String,
    /// `Resource / action` from `[tool.cedar]`, if present.
    pub cedar: Option<String>,
    /// `[tool].timeout_seconds`.
    pub timeout_seconds: u64,
}

impl Catalog {
    /// Loads `project_dir/tools/*.clad.toml` (sorted by file name), `project_dir/toolclad.toml`
    /// and `project_dir/scope/scope.toml`.
    ///
    /// A missing `tools/` directory gives an empty catalog; a missing scope file gives an empty
    /// scope, which refuses every scope-checked argument.
    ///
    /// # Errors
    ///
    /// Every problem found, each with file and line: unreadable files, TOML errors, unknown
    /// keys, invalid types or constraints, bad defaults, unknown placeholders, unsupported
    /// backends, malformed scope entries and two manifests with the same tool name.
    pub fn load(project_dir: &Path) -> Result<Self, LoadErrors> {
        let mut errors = Vec::new();
        let context_hash = context_hash(project_dir);
        let (scope, custom) = load_context(project_dir, &mut errors);
        let checks = Checks { scope: &scope, project_dir };
        let mut tools = BTreeMap::new();
        for path in manifest_paths(&project_dir.join("tools"), &mut errors) {
            match manifest::load(&path, &custom, checks) {
                Ok(tool) => {
                    if let Some(previous) = tools.get(tool.name()).map(|t: &Arc<Tool>| t.source().to_owned()) {
                        errors.push(LoadError::new(
                            &path,
                            1,
                            format!("tool `{}` is already defined in {}", tool.name(), previous.display()),
                        ));
                    } else {
                        tools.insert(tool.name().to_owned(), Arc::new(tool));
                    }
                }
                Err(e) => errors.extend(e),
            }
        }
        if errors.is_empty() {
            Ok(Self { project_dir: project_dir.to_owned(), tools, scope: Arc::new(scope), context_hash })
        } else {
            Err(LoadErrors::new(errors))
        }
    }

    /// Checks manifest `text` exactly as [`Catalog::load`] would check it as file `source` of
    /// `project_dir` (with that project's custom types and scope), without adding it anywhere.
    /// For `symbi tools validate FILE` and `POST /api/v1/tools/validate`.
    ///
    /// # Errors
    ///
    /// Every problem in the manifest, as for [`Catalog::load`], plus those of the project's
    /// `toolclad.toml` and `scope/scope.toml`, which the manifest would be loaded with.
    pub fn check_manifest(project_dir: &Path, source: &Path, text: &str) -> Result<Tool, LoadErrors> {
        let mut errors = Vec::new();
        let (scope, custom) = load_context(project_dir, &mut errors);
        let checks = Checks { scope: &scope, project_dir };
        match manifest::compile(source, text, &custom, checks) {
            Ok(tool) if errors.is_empty() => Ok(tool),
            Ok(_) => Err(LoadErrors::new(errors)),
            Err(e) => {
                errors.extend(e);
                Err(LoadErrors::new(errors))
            }
        }
    }

    /// The tools, by name.
    pub fn tools(&self) -> impl Iterator<Item = &Tool> {
        self.tools.values().map(AsRef::as_ref)
    }

    /// `sha256:<hex>` over the project's `scope/scope.toml` and `toolclad.toml` as this catalog
    /// read them (a missing file counts as absent), so a reload can tell whether the scope or
    /// the custom types changed.
    pub fn context_hash(&self) -> &str {
        &self.context_hash
    }

    /// One tool by name.
    pub fn tool(&self, name: &str) -> Option<&Tool> {
        self.tools.get(name).map(AsRef::as_ref)
    }

    /// Validates a call and renders its argv or request.
    ///
    /// # Errors
    ///
    /// [`CallError::UnknownTool`] when no manifest defines the tool; [`CallError::InvalidArgs`]
    /// listing every undeclared, missing, malformed or out-of-scope argument.
    pub fn validate(&self, call: &ToolCall) -> Result<ValidatedCall, CallError> {
        let tool =
            self.tools.get(call.tool()).ok_or_else(|| CallError::UnknownTool { name: call.tool().to_owned() })?;
        validate(tool, call, Checks { scope: &self.scope, project_dir: &self.project_dir })
    }

    /// Validates a call and describes what would run, without running anything.
    ///
    /// # Errors
    ///
    /// As [`Catalog::validate`].
    pub fn dry_run(&self, call: &ToolCall) -> Result<DryRun, CallError> {
        let validated = self.validate(call)?;
        let tool = validated.tool();
        let validations = validated
            .values()
            .map(|(name, value, source)| {
                let ty = tool.args().iter().find(|a| a.name() == name).map_or("", |a| a.type_name());
                match source {
                    ValueSource::Supplied => format!("{name}={value} ({ty}: OK)"),
                    ValueSource::Default => format!("{name}={value} (default)"),
                    ValueSource::Empty => format!("{name}= (empty)"),
                }
            })
            .collect();
        Ok(DryRun {
            validations,
            argv: validated.argv_preview(),
            command: validated.command_preview(),
            cedar: tool.cedar().map(|c| format!("{} / {}", c.resource, c.action)),
            timeout_seconds: tool.timeout().as_secs(),
        })
    }
}

/// The scope and custom types every manifest of `project_dir` is checked with; problems go to
/// `errors` and leave an empty scope or no custom types.
fn load_context(project_dir: &Path, errors: &mut Vec<LoadError>) -> (Scope, CustomTypes) {
    let scope = load_scope(&project_dir.join("scope").join("scope.toml")).unwrap_or_else(|e| {
        errors.push(e);
        Scope::default()
    });
    let custom = load_custom_types(&project_dir.join("toolclad.toml")).unwrap_or_else(|e| {
        errors.extend(e);
        CustomTypes::default()
    });
    (scope, custom)
}

fn context_hash(project_dir: &Path) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for file in [project_dir.join("scope").join("scope.toml"), project_dir.join("toolclad.toml")] {
        match std::fs::read(&file) {
            Ok(bytes) => {
                hasher.update([1]);
                hasher.update(u64::try_from(bytes.len()).unwrap_or(u64::MAX).to_be_bytes());
                hasher.update(&bytes);
            }
            Err(_) => hasher.update([0]),
        }
    }
    format!("sha256:{}", hex::encode(hasher.finalize()))
}

fn load_scope(path: &Path) -> Result<Scope, LoadError> {
    let Ok(text) = std::fs::read_to_string(path) else { return Ok(Scope::default()) };
    let raw: RawScope = toml::from_str(&text).map_err(|e| toml_error(path, &text, &e))?;
    Scope::from_raw(raw).map_err(|e| {
        let line = text.lines().position(|l| l.contains(&e.entry)).map_or(1, |i| i + 1);
        LoadError::new(path, line, e.to_string())
    })
}

fn manifest_paths(dir: &Path, errors: &mut Vec<LoadError>) -> Vec<PathBuf> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => {
            errors.push(LoadError::new(dir, 1, format!("cannot read the tools directory: {e}")));
            return Vec::new();
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(".clad.toml")))
        .collect();
    paths.sort();
    paths
}
