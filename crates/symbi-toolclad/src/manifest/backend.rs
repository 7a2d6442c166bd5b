//! `[command]`, `[http]` and `[output]` compiled into plans. Every placeholder is checked against
//! the variables that will exist at call time, so a typo such as `{targte}` is a load error with
//! a line number instead of a literal `{targte}` passed to the tool.

use std::collections::{BTreeMap, BTreeSet};

use toml::Spanned;

use super::raw::{RawCommand, RawHttp, RawOutput};
use super::{ArgSpec, OutputSpec, scalar_text};
use crate::call::render::GENERATED_VARS;
use crate::condition::Condition;
use crate::output::OutputFormat;
use crate::template::{Piece, Word, pieces, split_words};

/// How a tool runs.
#[derive(Debug, Clone)]
pub(crate) enum Backend {
    /// A child process built from `[command]` (`oneshot`).
    Command(CommandPlan),
    /// An HTTP request built from `[http]`.
    Http(HttpPlan),
    /// `dispatch = "callback"`: validated here, run by the caller.
    Callback,
}

/// `[command]`: the argv words and the variables they draw on.
#[derive(Debug, Clone)]
pub(crate) struct CommandPlan {
    pub(crate) words: Vec<Word>,
    /// Legacy `template` form: mapping and conditional values may expand to several words.
    pub(crate) split: bool,
    pub(crate) vars: VarPlan,
}

/// `[http]`.
#[derive(Debug, Clone)]
pub(crate) struct HttpPlan {
    pub(crate) method: String,
    pub(crate) url: Vec<Piece>,
    pub(crate) headers: Vec<(String, Vec<Piece>)>,
    pub(crate) body: Option<Vec<Piece>>,
    pub(crate) success_status: Vec<u16>,
    pub(crate) error_status: Vec<u16>,
    pub(crate) vars: VarPlan,
}

/// Variables computed from the arguments: `[command.defaults]`, mappings and conditionals.
#[derive(Debug, Clone, Default)]
pub(crate) struct VarPlan {
    pub(crate) defaults: Vec<(String, String)>,
    pub(crate) mappings: Vec<Mapping>,
    pub(crate) conditionals: Vec<Conditional>,
}

/// `[command.mappings.<arg>]`: sets `_<arg>_flags` (and `_<stem>_flags` for `<stem>_type`).
#[derive(Debug, Clone)]
pub(crate) struct Mapping {
    pub(crate) arg: String,
    pub(crate) vars: Vec<String>,
    /// Value → (flags text, the flags split into words for template commands).
    pub(crate) table: BTreeMap<String, (String, Vec<String>)>,
}

/// `[command.conditionals.<name>]`: sets `_<name>` to the fragment when `when` holds.
#[derive(Debug, Clone)]
pub(crate) struct Conditional {
    pub(crate) var: String,
    pub(crate) when: Condition,
    pub(crate) words: Vec<Word>,
}

type Located = (usize, String);

/// Picks and compiles the backend of an `exec`-dispatch manifest.
pub(crate) fn compile(
    command: Option<Spanned<RawCommand>>,
    http: Option<Spanned<RawHttp>>,
    args: &[ArgSpec],
) -> Result<Backend, Located> {
    let (command_at, command) = match command {
        Some(c) => (c.span().start, Some(c.into_inner())),
        None => (0, None),
    };
    let Some(mut command) = command else {
        return match http {
            Some(h) => {
                let at = h.span().start;
                http_plan(h.into_inner(), VarPlan::default(), args).map(Backend::Http).map_err(|m| (at, m))
            }
            None => Err((0, NO_BACKEND.into())),
        };
    };
    let at = |m: String| (command_at, m);
    if let Some(executor) = &command.executor {
        return Err(at(format!("custom executor `{executor}` is not supported yet; use `exec`")));
    }
    let words = match (command.exec.take(), command.template.take()) {
        (Some(_), Some(_)) => return Err(at("`[command]` has both `exec` and `template`; keep `exec`".into())),
        (Some(exec), None) => {
            Some((exec.iter().map(|e| Word { pieces: pieces(e), quoted: true }).collect::<Vec<_>>(), false))
        }
        (None, Some(template)) => Some((split_words(&template).map_err(|e| at(e.to_string()))?, true)),
        (None, None) => None,
    };
    let split = words.as_ref().is_some_and(|(_, split)| *split);
    let vars = var_plan(command.defaults, command.mappings, command.conditionals, args, split).map_err(at)?;
    match (words, http) {
        (Some(_), Some(h)) => Err((h.span().start, "a manifest has either `[command]` or `[http]`, not both".into())),
        (Some((words, split)), None) => {
            let program_is_literal =
                matches!(words.first().map(|w| w.pieces.as_slice()), Some([Piece::Lit(p)]) if !p.is_empty());
            if !program_is_literal {
                return Err(at("the command's first word must be the program name, written literally".into()));
            }
            let plan = CommandPlan { words, split, vars };
            check_vars(plan.words.iter().flat_map(|w| &w.pieces), &plan.vars, args).map_err(at)?;
            Ok(Backend::Command(plan))
        }
        (None, Some(h)) => {
            let h_at = h.span().start;
            http_plan(h.into_inner(), vars, args).map(Backend::Http).map_err(|m| (h_at, m))
        }
        (None, None) => Err(at(NO_BACKEND.into())),
    }
}

const NO_BACKEND: &str = "manifest must define an execution backend: `[command]` with `exec` or `template`, or `[http]` (or set `tool.dispatch = \"callback\"`)";

/// Refuses placeholders that name no variable the call will have; conditional fragments are
/// checked too, since they are interpolated with the same variables.
fn check_vars<'a>(used: impl Iterator<Item = &'a Piece>, vars: &'a VarPlan, args: &[ArgSpec]) -> Result<(), String> {
    let known = |name: &str| {
        args.iter().any(|a| a.name() == name)
            || GENERATED_VARS.iter().any(|(n, _)| *n == name)
            || vars.defaults.iter().any(|(n, _)| n == name)
            || vars.mappings.iter().any(|m| m.vars.iter().any(|v| v == name))
            || vars.conditionals.iter().any(|c| c.var == name)
    };
    let fragments = vars.conditionals.iter().flat_map(|c| c.words.iter().flat_map(|w| &w.pieces));
    for piece in used.chain(fragments) {
        if let Piece::Var(name) = piece
            && !known(name)
        {
            return Err(format!(
                "placeholder `{{{name}}}` names no argument, default, mapping, conditional or generated variable"
            ));
        }
    }
    Ok(())
}

fn var_plan(
    defaults: BTreeMap<String, toml::Value>,
    mappings: BTreeMap<String, BTreeMap<String, String>>,
    conditionals: BTreeMap<String, super::raw::RawConditional>,
    args: &[ArgSpec],
    split: bool,
) -> Result<VarPlan, String> {
    let is_arg = |n: &str| args.iter().any(|a| a.name() == n);
    let mut plan = VarPlan::default();
    for (name, value) in defaults {
        if is_arg(&name) {
            return Err(format!("`[command.defaults].{name}` names an argument; use `[args.{name}].default`"));
        }
        let text = scalar_text(&value).ok_or_else(|| format!("`[command.defaults].{name}` must be a scalar"))?;
        plan.defaults.push((name, text));
    }
    for (arg, table) in mappings {
        if !is_arg(&arg) {
            return Err(format!("`[command.mappings.{arg}]` names no declared argument"));
        }
        let mut vars = vec![format!("_{arg}_flags")];
        if let Some(stem) = arg.strip_suffix("_type") {
            vars.push(format!("_{stem}_flags"));
        }
        let mut compiled = BTreeMap::new();
        for (value, flags) in table {
            let words = split_words(&flags)
                .map_err(|e| format!("`[command.mappings.{arg}].{value}`: {e}"))?
                .into_iter()
                .map(|w| literal_text(&w.pieces))
                .collect();
            compiled.insert(value, (flags, words));
        }
        plan.mappings.push(Mapping { arg, vars, table: compiled });
    }
    let condition_vars: BTreeSet<String> = args
        .iter()
        .map(|a| a.name().to_owned())
        .chain(plan.defaults.iter().map(|(n, _)| n.clone()))
        .chain(plan.mappings.iter().flat_map(|m| m.vars.iter().cloned()))
        .collect();
    for (name, cond) in conditionals {
        let when = Condition::parse(&cond.when).map_err(|e| format!("`[command.conditionals.{name}].when`: {e}"))?;
        if let Some(unknown) = when.vars().find(|v| !condition_vars.contains(*v)) {
            return Err(format!("`[command.conditionals.{name}].when` reads unknown variable `{unknown}`"));
        }
        let words = if split {
            split_words(&cond.template).map_err(|e| format!("`[command.conditionals.{name}].template`: {e}"))?
        } else {
            vec![Word { pieces: pieces(&cond.template), quoted: true }]
        };
        plan.conditionals.push(Conditional { var: format!("_{name}"), when, words });
    }
    Ok(plan)
}

fn literal_text(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Lit(s) => s.clone(),
            Piece::Var(v) => format!("{{{v}}}"),
            Piece::Secret(s) => format!("{{_secret:{s}}}"),
        })
        .collect()
}

/// Compiles `[output]`.
pub(crate) fn output(raw: RawOutput) -> Result<OutputSpec, String> {
    let format_name = raw.format.unwrap_or_else(|| "text".into());
    let format = OutputFormat::parse(&format_name)
        .ok_or_else(|| format!("invalid output format `{format_name}`, must be one of: text, json, jsonl, csv, xml"))?;
    let format = match raw.parser {
        None => format,
        Some(parser) => match parser.strip_prefix("builtin:").and_then(OutputFormat::parse) {
            Some(f) => f,
            None => return Err(format!("output parser `{parser}` is not supported; use `builtin:<format>`")),
        },
    };
    let schema = match raw.schema {
        Some(s) => serde_json::to_value(s).map_err(|e| format!("invalid `[output.schema]`: {e}"))?,
        None => serde_json::json!({"type": "object"}),
    };
    Ok(OutputSpec { format, envelope: raw.envelope.unwrap_or(true), schema })
}

/// Methods the published Rust implementation accepts.
const METHODS: [&str; 6] = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"];

fn http_plan(raw: RawHttp, vars: VarPlan, args: &[ArgSpec]) -> Result<HttpPlan, String> {
    let method = raw.method.unwrap_or_else(|| "GET".into()).to_ascii_uppercase();
    if !METHODS.contains(&method.as_str()) {
        return Err(format!("invalid HTTP method `{method}`, must be one of: {}", METHODS.join(", ")));
    }
    let url_text = raw.url.ok_or("`[http].url` is required")?;
    let url = pieces(&url_text);
    let fixed_scheme =
        matches!(url.first(), Some(Piece::Lit(p)) if p.starts_with("https://") || p.starts_with("http://"));
    let whole_url_arg =
        matches!(url.as_slice(), [Piece::Var(v)] if args.iter().any(|a| a.name() == v && a.base_type() == "url"));
    if !fixed_scheme && !whole_url_arg {
        return Err("`[http].url` must start with `http://` or `https://`, or be exactly one `url` argument".into());
    }
    let headers: Vec<(String, Vec<Piece>)> = raw.headers.into_iter().map(|(k, v)| (k, pieces(&v))).collect();
    if let Some((bad, _)) =
        headers.iter().find(|(k, _)| k.is_empty() || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    {
        return Err(format!("invalid header name `{bad}`"));
    }
    let body = raw.body_template.as_deref().map(pieces);
    let plan = HttpPlan {
        method,
        url,
        headers,
        body,
        success_status: raw.success_status,
        error_status: raw.error_status,
        vars,
    };
    let used = plan.url.iter().chain(plan.headers.iter().flat_map(|(_, v)| v)).chain(plan.body.iter().flatten());
    check_vars(used, &plan.vars, args)?;
    Ok(plan)
}
