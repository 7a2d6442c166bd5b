//! A validated policy set: sources (files or API-managed text) parsed, given stable ids, checked
//! against the schema as a whole, and indexed by surface, action and scope. Either every policy is valid and the set
//! is built, or nothing is: a set is never partly loaded.
//!
//! Policy ids are `@id("…")` when a policy carries that annotation, otherwise `<origin>#<n>` (the
//! n-th policy in its file, from 1).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::str::FromStr;

use cedar_policy::{EntityUid, PolicyId, PolicySet, ValidationMode, Validator};
use miette::Diagnostic;

use crate::index::{IndexEntry, PolicyIndex};
use crate::schema::schema;
use crate::vocabulary::Surface;

/// Where the text of some policies came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySource {
    /// A file path relative to the project, or `api:<name>` for policies managed over the API.
    pub origin: String,
    /// `None` for policies that apply everywhere; a surface for `policies/<surface>/`.
    pub surface: Option<Surface>,
    /// Cedar policy text.
    pub text: String,
}

/// One problem with the policy text, with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyProblem {
    /// The source's origin (file path or `api:<name>`).
    pub origin: String,
    /// 1-based line, when known.
    pub line: usize,
    /// 1-based column, when known.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for PolicyProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}: {}", self.origin, self.line, self.column, self.message)
    }
}

/// Why a policy set was not built; every problem found is listed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// Policy text is malformed, does not fit the schema, or ids clash.
    #[error("{} policy problem{} found; nothing was loaded:\n{}", problems.len(), if problems.len() == 1 { "" } else { "s" }, render(problems))]
    Invalid {
        /// Every problem, in source order.
        problems: Vec<PolicyProblem>,
    },
    /// A policy directory could not be read.
    #[error("cannot read policies from `{path}`: {reason}")]
    Read {
        /// The path.
        path: String,
        /// The I/O failure.
        reason: String,
    },
}

fn render(problems: &[PolicyProblem]) -> String {
    problems.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n")
}

/// What the runtime needs to know about one policy beyond its Cedar text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyInfo {
    /// The policy's id.
    pub id: String,
    /// Where it came from.
    pub origin: String,
    /// Where it applies.
    pub surface: Option<Surface>,
    /// `permit` or `forbid`.
    pub effect: Effect,
    /// Whether an allow it determines must be approved by a person first (`@approval`).
    pub requires_approval: bool,
    /// `@reason("…")`, shown with decisions it determines.
    pub reason: Option<String>,
    /// The policy's text as written.
    pub text: String,
}

/// A policy's effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// `permit`.
    Permit,
    /// `forbid`.
    Forbid,
}

/// A validated, immutable policy set, indexed by surface, action and scope.
#[derive(Debug, Clone)]
pub struct Policies {
    /// Which policies could apply to a request (the `index` module).
    pub(crate) index: PolicyIndex,
    pub(crate) info: BTreeMap<String, PolicyInfo>,
    /// The sources the set was compiled from, in order: its record form.
    pub(crate) sources: Vec<PolicySource>,
}

impl Policies {
    /// A set with no policies: everything is denied.
    pub fn empty() -> Self {
        Self { index: PolicyIndex::new(Vec::new()), info: BTreeMap::new(), sources: Vec::new() }
    }

    /// Parses and validates `sources` into one set.
    ///
    /// Fails, loading nothing, when any policy does not parse, does not validate against the
    /// schema, is a template, or has an `@id` another policy already uses.
    pub fn compile(sources: &[PolicySource]) -> Result<Self, PolicyError> {
        let schema = schema().map_err(|reason| invalid("schema", 1, 1, reason))?;
        let mut problems = Vec::new();
        let mut all = PolicySet::new();
        let mut info = BTreeMap::new();
        // Policy id → (origin, text) so validation errors can be placed in their file.
        let mut texts: HashMap<String, (String, String)> = HashMap::new();
        for source in sources {
            let parsed = match PolicySet::from_str(&source.text) {
                Ok(set) => set,
                Err(errors) => {
                    for e in errors.iter() {
                        problems.push(problem(&source.origin, &source.text, e, &e.to_string()));
                    }
                    continue;
                }
            };
            if parsed.templates().next().is_some() {
                problems.push(located(
                    &source.origin,
                    1,
                    1,
                    "policy templates are not supported; write plain policies",
                ));
            }
            let mut ordered: Vec<_> = parsed.policies().collect();
            ordered.sort_by_key(|p| p.id().to_string().trim_start_matches("policy").parse::<usize>().unwrap_or(0));
            for (n, policy) in ordered.into_iter().enumerate() {
                let id = match policy.annotation("id") {
                    Some(id) if !id.trim().is_empty() => id.to_owned(),
                    _ => format!("{}#{}", source.origin, n.saturating_add(1)),
                };
                if info.contains_key(&id) {
                    problems.push(located(&source.origin, 1, 1, &format!("policy id `{id}` is used twice")));
                    continue;
                }
                let renamed = policy.new_id(PolicyId::new(&id));
                let effect = match renamed.effect() {
                    cedar_policy::Effect::Permit => Effect::Permit,
                    cedar_policy::Effect::Forbid => Effect::Forbid,
                };
                let requires_approval = renamed.annotation("approval").is_some_and(|v| v.is_empty() || v == "required");
                if requires_approval && effect == Effect::Forbid {
                    problems.push(located(
                        &source.origin,
                        1,
                        1,
                        &format!("policy `{id}`: `@approval` applies to permit policies only"),
                    ));
                }
                info.insert(
                    id.clone(),
                    PolicyInfo {
                        id: id.clone(),
                        origin: source.origin.clone(),
                        surface: source.surface,
                        effect,
                        requires_approval,
                        reason: renamed.annotation("reason").map(str::to_owned),
                        text: renamed.to_string(),
                    },
                );
                texts.insert(id.clone(), (source.origin.clone(), source.text.clone()));
                if let Err(e) = all.add(renamed) {
                    problems.push(located(&source.origin, 1, 1, &e.to_string()));
                }
            }
        }
        let validation = Validator::new(schema.clone()).validate(&all, ValidationMode::Strict);
        for e in validation.validation_errors() {
            let id = e.policy_id().to_string();
            let (origin, text) = texts.get(&id).cloned().unwrap_or_default();
            problems.push(problem(&origin, &text, e, &format!("policy `{id}`: {e}")));
        }
        if !problems.is_empty() {
            return Err(PolicyError::Invalid { problems });
        }
        let actions = schema.action_entities().map_err(|e| invalid("schema", 1, 1, &e.to_string()))?;
        let action_ancestors =
            |action: &EntityUid| actions.ancestors(action).map(|a| a.cloned().collect()).unwrap_or_default();
        let entries = all
            .policies()
            .filter_map(|p| {
                let info = info.get(&p.id().to_string())?;
                Some(IndexEntry::parsed(p.clone(), info.text.clone(), info.surface, &action_ancestors))
            })
            .collect();
        let index = PolicyIndex::new(entries);
        Ok(Self { index, info, sources: sources.to_vec() })
    }

    /// Every policy, by id.
    pub fn policies(&self) -> impl Iterator<Item = &PolicyInfo> {
        self.info.values()
    }

    /// One policy.
    pub fn policy(&self, id: &str) -> Option<&PolicyInfo> {
        self.info.get(id)
    }

    /// How many policies the set has.
    pub fn len(&self) -> usize {
        self.info.len()
    }

    /// Whether the set has no policies.
    pub fn is_empty(&self) -> bool {
        self.info.is_empty()
    }
}

/// Reads `dir/*.cedar` (everywhere) and `dir/<surface>/*.cedar` (that surface only), in name
/// order; origins are shown relative to `base`.
///
/// Fails on unreadable files and on subdirectories that are not a surface name, since a typo there
/// would silently disable policies.
pub fn read_dir(dir: &Path, base: &Path) -> Result<Vec<PolicySource>, PolicyError> {
    let mut sources = Vec::new();
    if !dir.exists() {
        return Ok(sources);
    }
    read_files(dir, base, None, &mut sources)?;
    let mut subdirs = list(dir)?.into_iter().filter(|p| p.is_dir()).collect::<Vec<_>>();
    subdirs.sort();
    for sub in subdirs {
        let name = sub.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        let Some(surface) = Surface::parse(&name) else {
            return Err(PolicyError::Read {
                path: sub.display().to_string(),
                reason: format!(
                    "`{name}` is not a surface; policy subdirectories must be one of: {}",
                    Surface::ALL.map(Surface::as_str).join(", ")
                ),
            });
        };
        read_files(&sub, base, Some(surface), &mut sources)?;
    }
    Ok(sources)
}

fn read_files(
    dir: &Path,
    base: &Path,
    surface: Option<Surface>,
    out: &mut Vec<PolicySource>,
) -> Result<(), PolicyError> {
    let mut files: Vec<_> =
        list(dir)?.into_iter().filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "cedar")).collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .map_err(|e| PolicyError::Read { path: file.display().to_string(), reason: e.to_string() })?;
        let origin = file.strip_prefix(base).unwrap_or(&file).display().to_string();
        out.push(PolicySource { origin, surface, text });
    }
    Ok(())
}

fn list(dir: &Path) -> Result<Vec<std::path::PathBuf>, PolicyError> {
    let read = |e: std::io::Error| PolicyError::Read { path: dir.display().to_string(), reason: e.to_string() };
    std::fs::read_dir(dir).map_err(read)?.map(|entry| entry.map(|e| e.path()).map_err(read)).collect()
}

/// Places a Cedar diagnostic in its source text.
fn problem(origin: &str, text: &str, diagnostic: &dyn Diagnostic, message: &str) -> PolicyProblem {
    let offset = diagnostic.labels().and_then(|mut labels| labels.next()).map_or(0, |l| l.offset());
    let (line, column) = line_column(text, offset);
    PolicyProblem { origin: origin.to_owned(), line, column, message: first_line(message) }
}

fn located(origin: &str, line: usize, column: usize, message: &str) -> PolicyProblem {
    PolicyProblem { origin: origin.to_owned(), line, column, message: message.to_owned() }
}

pub(crate) fn invalid(origin: &str, line: usize, column: usize, message: &str) -> PolicyError {
    PolicyError::Invalid { problems: vec![located(origin, line, column, message)] }
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or_default().trim_end_matches('.').to_owned()
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count().saturating_add(1);
    let column = before.rsplit('\n').next().unwrap_or_default().chars().count().saturating_add(1);
    (line, column)
}
