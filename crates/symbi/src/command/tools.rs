//! `symbi tools`: the project's ToolClad tools from the command line. `list`, `validate`,
//! `schema` and `init` only read and write files; `test` decides offline from the project's files
//! as `symbi policy evaluate` does; `run` goes through the Governor (module `run`), so every run is
//! decided and recorded.

mod run;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::anyhow;
use serde_json::{Map, Value, json};
use symbi_policy::{Action, Decision, EntityRef, PolicyRequest, Surface};
use symbi_runtime::{AgentId, Config};
use symbi_toolclad::{CallError, Catalog, LoadError, Tool, ToolCall};

use super::policy::Offline;
use crate::Outcome;
use crate::cli::{CallArgs, ToolsAction, ToolsArgs};
use crate::exit::{Exit, Failure};

pub(crate) fn run(args: &ToolsArgs) -> Outcome {
    let config = super::load_config(&args.dir)?;
    // The runtime reads tools from the project the policy directory is in; so does the CLI.
    let project = config.policy.dir.parent().unwrap_or(&args.dir).to_owned();
    let project = Project { dir: &args.dir, root: project, config };
    match &args.action {
        ToolsAction::List { json } => list(&project, *json),
        ToolsAction::Validate { files, json } => validate(&project, files, *json),
        ToolsAction::Test { name, call, agent, json } => test(&project, name, call, agent.as_deref(), *json),
        ToolsAction::Schema { name } => schema(&project, name),
        ToolsAction::Cedar { name } => cedar(&project, name),
        ToolsAction::Init { name, binary } => init(&project, name, binary),
        ToolsAction::Run { name, call, agent, json } => {
            run::run(&project.config, name, &arguments(call)?, &agent_id(agent)?, *json)
        }
    }
}

/// The project a command works on.
struct Project<'a> {
    /// `--dir`, as given.
    dir: &'a Path,
    /// Where `tools/`, `toolclad.toml` and `scope/` are.
    root: PathBuf,
    config: Config,
}

impl Project<'_> {
    fn catalog(&self) -> Result<Catalog, Failure> {
        Catalog::load(&self.root).map_err(|e| Failure::invalid(anyhow!("{}", self.problems(e.errors()))))
    }

    /// `file:line: message` lines, paths relative to the project.
    fn problems(&self, errors: &[LoadError]) -> String {
        let lines: Vec<String> = errors
            .iter()
            .map(|e| format!("{}:{}: {}", self.relative(e.file()).display(), e.line(), e.message()))
            .collect();
        lines.join("\n")
    }

    fn relative<'p>(&self, path: &'p Path) -> &'p Path {
        path.strip_prefix(&self.root).unwrap_or(path)
    }

    fn tool<'c>(&self, catalog: &'c Catalog, name: &str) -> Result<&'c Tool, Failure> {
        catalog.tool(name).ok_or_else(|| no_tool(name))
    }
}

fn no_tool(name: &str) -> Failure {
    Failure::invalid(anyhow!("no tool `{name}` in the project; `symbi tools list` shows them"))
}

/// The arguments of `--arg NAME=VALUE` or `--args JSON`, as the REST API takes them.
fn arguments(call: &CallArgs) -> Result<Map<String, Value>, Failure> {
    if let Some(text) = &call.json_args {
        return match serde_json::from_str(text) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(Failure::invalid(anyhow!("`--args` must be a JSON object such as {{\"path\": \"a.txt\"}}"))),
            Err(e) => Err(Failure::invalid(anyhow!("`--args` is not JSON: {e}"))),
        };
    }
    let mut map = Map::new();
    for pair in &call.args {
        let (name, value) =
            pair.split_once('=').ok_or_else(|| Failure::invalid(anyhow!("`--arg {pair}`: write NAME=VALUE")))?;
        if map.insert(name.to_owned(), Value::String(value.to_owned())).is_some() {
            return Err(Failure::invalid(anyhow!("argument `{name}` is given twice")));
        }
    }
    Ok(map)
}

fn agent_id(agent: &str) -> Result<AgentId, Failure> {
    AgentId::parse(agent).map_err(|e| Failure::invalid(anyhow!("invalid agent id `{agent}`: {e}")))
}

/// The error for a call that does not fit its manifest: nothing ran.
fn call_failure(error: CallError) -> Failure {
    match error {
        CallError::UnknownTool { name } => no_tool(&name),
        other => Failure::invalid(other),
    }
}

fn list(project: &Project<'_>, json: bool) -> Outcome {
    let catalog = project.catalog()?;
    let rows: Vec<Value> = catalog
        .tools()
        .map(|tool| {
            let facts = symbi_runtime::tool_facts(tool.name(), Some(tool), &project.config.groups);
            json!({
                "name": tool.name(),
                "version": tool.version(),
                "description": tool.description(),
                "risk_tier": tool.risk_tier().as_str(),
                "human_approval": tool.human_approval(),
                "tool_sets": facts.tool_sets,
                "manifest": project.relative(tool.source()).display().to_string(),
            })
        })
        .collect();
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", Value::Array(rows))?;
        return Ok(Exit::Success);
    }
    if rows.is_empty() {
        eprintln!(
            "symbi: no tools in `{}`; write one with `symbi tools init NAME`",
            project.root.join("tools").display()
        );
        return Ok(Exit::Success);
    }
    writeln!(out, "{:<20}  {:<8}  {:<9}  {:<24}  DESCRIPTION", "NAME", "RISK", "APPROVAL", "TOOL SETS")?;
    for row in &rows {
        let sets: Vec<&str> = row["tool_sets"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        writeln!(
            out,
            "{:<20}  {:<8}  {:<9}  {:<24}  {}",
            row["name"].as_str().unwrap_or_default(),
            row["risk_tier"].as_str().unwrap_or_default(),
            if row["human_approval"] == true { "always" } else { "by policy" },
            if sets.is_empty() { "-".to_owned() } else { sets.join(",") },
            row["description"].as_str().unwrap_or_default(),
        )?;
    }
    Ok(Exit::Success)
}

/// Checks the whole project, or only `files`; prints every problem and exits 2 when there is one.
fn validate(project: &Project<'_>, files: &[PathBuf], json: bool) -> Outcome {
    let mut names = Vec::new();
    let mut problems: Vec<LoadError> = Vec::new();
    if files.is_empty() {
        match Catalog::load(&project.root) {
            Ok(catalog) => names.extend(catalog.tools().map(|t| t.name().to_owned())),
            Err(e) => problems.extend(e.errors().iter().cloned()),
        }
    }
    for file in files {
        let text = super::dsl::read(file)?;
        match Catalog::check_manifest(&project.root, file, &text) {
            Ok(tool) => names.push(tool.name().to_owned()),
            // The project's custom types and scope are checked with every file; report them once.
            Err(e) => problems.extend(e.errors().iter().filter(|p| !problems.contains(p)).cloned().collect::<Vec<_>>()),
        }
    }
    let mut out = std::io::stdout().lock();
    if json {
        let listed: Vec<Value> = problems
            .iter()
            .map(|p| json!({"file": project.relative(p.file()).display().to_string(), "line": p.line(), "message": p.message()}))
            .collect();
        writeln!(out, "{}", json!({"valid": problems.is_empty(), "problems": listed, "tools": names}))?;
    } else if problems.is_empty() {
        writeln!(out, "ok: {} tool(s) valid: {}", names.len(), names.join(", "))?;
    } else {
        writeln!(out, "{}", project.problems(&problems))?;
    }
    if problems.is_empty() {
        Ok(Exit::Success)
    } else {
        Err(Failure::invalid(anyhow!("{} problem(s) in the tool files", problems.len())))
    }
}

/// A dry run: the checks, what would run, and (for an agent) the decision. Nothing runs.
fn test(project: &Project<'_>, name: &str, call: &CallArgs, agent: Option<&str>, json: bool) -> Outcome {
    let catalog = project.catalog()?;
    let tool = project.tool(&catalog, name)?;
    let dry = catalog.dry_run(&ToolCall::from_json(name, &arguments(call)?)).map_err(call_failure)?;
    let decided = match agent {
        Some(agent) => {
            let request = PolicyRequest {
                principal: EntityRef::Agent(agent_id(agent)?.to_string()),
                action: Action::ExecuteTool,
                resource: EntityRef::Tool(name.to_owned()),
                surface: Surface::Run,
                delegation_depth: None,
            };
            let evaluation = Offline::load(project.dir)?.with_catalog(catalog.clone()).decide(&request);
            // As the Governor: a manifest's `human_approval` holds whatever policy allows.
            let decision = match evaluation.decision {
                Decision::Allow if tool.human_approval() => Decision::RequireApproval,
                other => other,
            };
            Some((request.principal, decision, evaluation))
        }
        None => None,
    };
    let mut out = std::io::stdout().lock();
    if json {
        let mut report = json!({
            "tool": name, "validations": dry.validations, "argv": dry.argv, "command": dry.command,
            "timeout_seconds": dry.timeout_seconds,
        });
        if let (Some((_, decision, evaluation)), Some(map)) = (&decided, report.as_object_mut()) {
            map.insert("decision".to_owned(), decision.as_str().into());
            map.insert("reason".to_owned(), evaluation.reason.clone().into());
            map.insert("policies".to_owned(), evaluation.policies.clone().into());
        }
        writeln!(out, "{report}")?;
        return Ok(Exit::Success);
    }
    writeln!(out, "tool      {name} {} (risk {})", tool.version(), tool.risk_tier().as_str())?;
    for line in &dry.validations {
        writeln!(out, "check     {line}")?;
    }
    if dry.argv.is_empty() {
        writeln!(out, "request   {}", dry.command)?;
    } else {
        let words: Vec<String> = dry.argv.iter().map(|w| format!("{w:?}")).collect();
        writeln!(out, "argv      {}", words.join(" "))?;
    }
    writeln!(out, "timeout   {} s", dry.timeout_seconds)?;
    match &decided {
        Some((principal, decision, evaluation)) => {
            let policies = if evaluation.policies.is_empty() {
                String::new()
            } else {
                format!(" [{}]", evaluation.policies.join(", "))
            };
            writeln!(out, "decision  {} for {principal}: {}{policies}", decision.as_str(), evaluation.reason)?;
        }
        None => writeln!(out, "decision  (give --agent to see what policy decides)")?,
    }
    writeln!(out, "nothing was run")?;
    Ok(Exit::Success)
}

fn schema(project: &Project<'_>, name: &str) -> Outcome {
    let catalog = project.catalog()?;
    let schema = symbi_toolclad::mcp_schema(project.tool(&catalog, name)?);
    writeln!(std::io::stdout().lock(), "{}", serde_json::to_string_pretty(&schema)?)?;
    Ok(Exit::Success)
}

/// Prints the tool's generated Cedar policy template (as `cedar_template` in GET /tools/{name}).
fn cedar(project: &Project<'_>, name: &str) -> Outcome {
    let catalog = project.catalog()?;
    write!(std::io::stdout().lock(), "{}", symbi_toolclad::cedar_template(project.tool(&catalog, name)?))?;
    Ok(Exit::Success)
}

/// Writes `tools/NAME.clad.toml` from the starter template, after checking that it loads.
fn init(project: &Project<'_>, name: &str, binary: &str) -> Outcome {
    let name_ok =
        (1..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !name_ok {
        return Err(Failure::invalid(anyhow!("tool name `{name}` must be 1-64 ASCII letters, digits, `_` or `-`")));
    }
    let binary_ok = !binary.is_empty()
        && !binary.starts_with('-')
        && binary.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'+' | b'/'));
    if !binary_ok {
        return Err(Failure::invalid(anyhow!(
            "`--binary {binary}` must be a program name or path of letters, digits, `_`, `-`, `.`, `+` and `/`"
        )));
    }
    let relative = PathBuf::from("tools").join(format!("{name}.clad.toml"));
    let path = project.root.join(&relative);
    let text = STARTER.replace("{NAME}", name).replace("{BINARY}", binary);
    // The starter must load as written, with the project's custom types and scope.
    Catalog::check_manifest(&project.root, &relative, &text).map_err(|e| {
        Failure::invalid(anyhow!("the starter manifest does not load here:\n{}", project.problems(e.errors())))
    })?;
    std::fs::create_dir_all(project.root.join("tools"))?;
    let mut file = match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Failure::invalid(anyhow!(
                "`{}` already exists; edit it, or choose another name",
                path.display()
            )));
        }
        Err(e) => return Err(anyhow::Error::new(e).context(format!("cannot create `{}`", path.display())).into()),
    };
    file.write_all(text.as_bytes())?;
    eprintln!("symbi: wrote {}", path.display());
    eprintln!("symbi: edit it, then `symbi tools validate` and `symbi tools test {name} --arg input=hello`");
    Ok(Exit::Success)
}

/// The manifest `symbi tools init` writes; `{NAME}` and `{BINARY}` are replaced.
const STARTER: &str = r#"# {NAME}: a ToolClad manifest (reference: docs/toolclad.md).
# The model fills in arguments; the manifest types and checks them and builds the command. The
# command is argv, never a shell, and each value is always one word.
#   symbi tools validate                          check this file
#   symbi tools test {NAME} --arg input=hello     see what would run and what policy decides

[tool]
name = "{NAME}"
version = "0.1.0"
binary = "{BINARY}"                 # found on PATH; the tool's environment is scrubbed
description = "Describe what {NAME} does: the model reads this"
timeout_seconds = 30                # the whole process group is killed after this
risk_tier = "low"                   # info | low | medium | high | critical
# human_approval = true             # hold every call for a person, whatever policy says

[tool.cedar]
resource = "Tool"
action = "execute_tool"
# tool_sets = ["read_only"]         # Cedar ToolSets for policies: `resource in ToolSet::"read_only"`

[args.input]
type = "string"                     # string, integer, port, boolean, enum, path, url, scope_target, ...
required = true
description = "What to pass to {BINARY}"
# pattern = "^[a-z0-9.-]+$"         # must match the whole value

[command]
exec = ["{BINARY}", "{input}"]      # one element, one argv word

[output]
format = "text"                     # text | json | jsonl | csv | xml
"#;
