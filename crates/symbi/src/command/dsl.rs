//! `symbi dsl check|cedar|parse`: the strict parse and semantic check of `.symbi` files, the Cedar
//! their policy blocks compile to, and their syntax tree. Diagnostics are rendered as
//! `file:line:col: error: …` plus a source snippet and a help line.

use std::path::{Path, PathBuf};

use symbi_dsl::ast::Item;

use crate::Outcome;
use crate::cli::{DslAction, DslArgs};
use crate::exit::{Exit, Failure};

pub(crate) fn run(args: &DslArgs) -> Outcome {
    match &args.action {
        DslAction::Check { files, json } => check(files, *json),
        DslAction::Cedar { files } => cedar(files),
        DslAction::Parse { file, json } => parse(file, *json),
    }
}

fn check(files: &[PathBuf], json: bool) -> Outcome {
    let mut reports = Vec::new();
    let mut failed = false;
    for file in files {
        let source = read(file)?;
        let name = file.display().to_string();
        let (rendered, diagnostics) = diagnose(&name, &source);
        failed |= !diagnostics.is_empty();
        if json {
            reports.push(serde_json::json!({ "file": name, "ok": diagnostics.is_empty(), "diagnostics": diagnostics }));
        } else if let Some(text) = rendered {
            eprintln!("{text}");
        } else {
            eprintln!("{name}: ok");
        }
    }
    if json {
        println!("{}", serde_json::Value::Array(reports));
    }
    Ok(if failed { Exit::Problems } else { Exit::Success })
}

/// Compiles every file, then validates all generated policies together against the schema, as
/// `symbi up` does: ids used twice across files are caught here too.
fn cedar(files: &[PathBuf]) -> Outcome {
    let mut sources = Vec::new();
    let mut failed = false;
    for file in files {
        let source = read(file)?;
        let name = file.display().to_string();
        match symbi_policy::compile_agent_policies(&name, &source) {
            Ok(compiled) => sources.push(compiled.policy_source()),
            Err(errors) => {
                failed = true;
                eprintln!("{}", symbi_dsl::render(&name, &source, &errors));
            }
        }
    }
    if failed {
        return Ok(Exit::Problems);
    }
    if let Err(error) = symbi_policy::Policies::compile(&sources) {
        eprintln!("error: the generated policies do not validate against the runtime's schema: {error}");
        return Ok(Exit::Problems);
    }
    let texts: Vec<&str> = sources.iter().map(|s| s.text.as_str()).collect();
    print!("{}", texts.join("\n"));
    Ok(Exit::Success)
}

/// The version of the `dsl parse --json` document; bumped when the tree's shape changes.
const AST_JSON_VERSION: u32 = 1;

fn parse(file: &Path, json: bool) -> Outcome {
    let source = read(file)?;
    let name = file.display().to_string();
    let tree = match symbi_dsl::parse(&source) {
        Ok(tree) => tree,
        Err(errors) => {
            eprintln!("{}", symbi_dsl::render(&name, &source, &errors));
            return Ok(Exit::Problems);
        }
    };
    if json {
        let document = serde_json::json!({ "version": AST_JSON_VERSION, "file": name, "ast": tree });
        println!("{document}");
    } else {
        println!("{name}: {} item{}", tree.items.len(), if tree.items.len() == 1 { "" } else { "s" });
        for item in &tree.items {
            let (kind, ident, span) = outline(item);
            let at = span.location(&source);
            println!("  {}:{}  {kind} {ident}", at.line, at.column);
        }
    }
    Ok(Exit::Success)
}

/// What one top-level item is, its name (empty for metadata) and where it starts.
fn outline(item: &Item) -> (&'static str, &str, symbi_dsl::Span) {
    match item {
        Item::Metadata(m) => ("metadata", "", m.span),
        Item::Agent(a) => ("agent", &a.name.name, a.span),
        Item::Policy(p) => ("policy", &p.name.name, p.name.span),
        Item::Type(t) => ("type", &t.name.name, t.name.span),
        Item::Function(f) => ("function", &f.name.name, f.name.span),
        Item::Section(s) => (s.kind.keyword(), &s.name.name, s.name.span),
    }
}

/// Rendered text and structured diagnostics for one file; both empty when it is valid.
fn diagnose(name: &str, source: &str) -> (Option<String>, Vec<serde_json::Value>) {
    let structured = |span: symbi_dsl::Span, e: &dyn miette::Diagnostic| {
        let at = span.location(source);
        serde_json::json!({
            "line": at.line, "column": at.column, "message": e.to_string(), "help": e.help().map(|h| h.to_string())
        })
    };
    match symbi_dsl::parse(source) {
        Err(errors) => {
            let list = errors.iter().map(|e| structured(e.span(), e)).collect();
            (Some(symbi_dsl::render(name, source, &errors)), list)
        }
        Ok(file) => match symbi_dsl::check(&file) {
            Ok(_) => (None, Vec::new()),
            Err(errors) => {
                let list = errors.iter().map(|e| structured(e.span(), e)).collect();
                (Some(symbi_dsl::render(name, source, &errors)), list)
            }
        },
    }
}

pub(super) fn read(file: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(file)
        .map_err(|e| Failure::invalid(anyhow::anyhow!("cannot read `{}`: {e}", file.display())))
}
