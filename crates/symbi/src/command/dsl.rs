//! `symbi dsl check`: the strict parse and semantic check of `.symbi` files, with diagnostics
//! rendered as `file:line:col: error: …` plus a source snippet and a help line.

use std::path::Path;

use crate::Outcome;
use crate::cli::{DslAction, DslArgs};
use crate::exit::{Exit, Failure};

pub(crate) fn run(args: &DslArgs) -> Outcome {
    match &args.action {
        DslAction::Check { files, json } => check(files, *json),
    }
}

fn check(files: &[std::path::PathBuf], json: bool) -> Outcome {
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
