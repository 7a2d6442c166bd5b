//! Interpolation: validated values, `[command.defaults]`, mappings and conditionals resolved in
//! the published order, then substituted into the words, URL, headers and body of the plan. A
//! value is always substituted whole; only manifest-authored mapping and conditional text can
//! expand to several words in legacy `template` commands.

use std::collections::HashMap;

use crate::call::ValueSource;
use crate::manifest::backend::VarPlan;
use crate::manifest::{CommandPlan, HttpPlan};
use crate::template::{Piece, Word};

/// Part of a rendered word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    Text(String),
    Gen(Generated),
    Secret(String),
}

/// A value the executor generates per execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Generated {
    ScanId,
    EvidenceDir,
    OutputFile,
}

/// The variables the executor fills per execution, by placeholder name.
pub(crate) const GENERATED_VARS: [(&str, Generated); 3] = [
    ("_scan_id", Generated::ScanId),
    ("_evidence_dir", Generated::EvidenceDir),
    ("_output_file", Generated::OutputFile),
];

/// The plan with every variable filled in except generated values and secrets.
#[derive(Debug, Clone)]
pub(crate) enum Rendered {
    Argv(Vec<Vec<Seg>>),
    Http(HttpRendered),
    Callback,
}

/// A rendered `[http]` request.
#[derive(Debug, Clone)]
pub(crate) struct HttpRendered {
    pub(crate) method: String,
    pub(crate) url: Vec<Seg>,
    pub(crate) headers: Vec<(String, Vec<Seg>)>,
    pub(crate) body: Option<Vec<Seg>>,
    pub(crate) success_status: Vec<u16>,
    pub(crate) error_status: Vec<u16>,
}

/// A variable's value: one word's worth of segments, or (template mappings and conditionals)
/// several words.
#[derive(Debug, Clone)]
enum Value {
    One(Vec<Seg>),
    Many(Vec<Vec<Seg>>),
}

/// How substituted text is escaped for where it lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Escape {
    None,
    /// Percent-encode everything but RFC 3986 unreserved characters (URL templates).
    Url,
    /// JSON string escaping without the outer quotes (`body_template`).
    Json,
}

type Vars = HashMap<String, Value>;

pub(crate) fn argv(plan: &CommandPlan, values: &[(String, String, ValueSource)]) -> Vec<Vec<Seg>> {
    let vars = resolve(&plan.vars, values, plan.split);
    let mut out = Vec::with_capacity(plan.words.len());
    words(&plan.words, &vars, plan.split, &mut out);
    out
}

pub(crate) fn http(plan: &HttpPlan, values: &[(String, String, ValueSource)]) -> HttpRendered {
    let vars = resolve(&plan.vars, values, false);
    // A URL that is exactly one `url` argument is taken whole; anywhere else a value is one
    // encoded component, so `a/../admin?x=` cannot rewrite the path or query.
    let url_escape = if matches!(plan.url.as_slice(), [Piece::Var(_)]) { Escape::None } else { Escape::Url };
    HttpRendered {
        method: plan.method.clone(),
        url: pieces(&plan.url, &vars, url_escape),
        headers: plan.headers.iter().map(|(k, v)| (k.clone(), pieces(v, &vars, Escape::None))).collect(),
        body: plan.body.as_ref().map(|b| pieces(b, &vars, Escape::Json)),
        success_status: plan.success_status.clone(),
        error_status: plan.error_status.clone(),
    }
}

/// Resolution order: arguments, `[command.defaults]`, generated values, mappings, conditionals.
fn resolve(plan: &VarPlan, values: &[(String, String, ValueSource)], split: bool) -> Vars {
    let mut vars = Vars::with_capacity(values.len() + plan.defaults.len() + 8);
    for (name, value, _) in values {
        vars.insert(name.clone(), Value::One(vec![Seg::Text(value.clone())]));
    }
    for (name, value) in &plan.defaults {
        vars.entry(name.clone()).or_insert_with(|| Value::One(vec![Seg::Text(value.clone())]));
    }
    for (name, generated) in [
        ("_scan_id", Generated::ScanId),
        ("_evidence_dir", Generated::EvidenceDir),
        ("_output_file", Generated::OutputFile),
    ] {
        vars.insert(name.to_owned(), Value::One(vec![Seg::Gen(generated)]));
    }
    for mapping in &plan.mappings {
        let arg_value =
            values.iter().find(|(n, _, _)| *n == mapping.arg).map(|(_, v, _)| v.as_str()).unwrap_or_default();
        let (text, split_words) =
            mapping.table.get(arg_value).map_or(("", &[][..]), |(t, w)| (t.as_str(), w.as_slice()));
        let value = if split {
            Value::Many(split_words.iter().map(|w| vec![Seg::Text(w.clone())]).collect())
        } else {
            Value::One(vec![Seg::Text(text.to_owned())])
        };
        for var in &mapping.vars {
            vars.insert(var.clone(), value.clone());
        }
    }
    for cond in &plan.conditionals {
        let holds = cond.when.holds(|name| match vars.get(name) {
            Some(Value::One(segs)) => match segs.as_slice() {
                [Seg::Text(t)] => Some(t.as_str()),
                _ => None,
            },
            _ => None,
        });
        let value = match (holds, split) {
            (true, true) => {
                let mut out = Vec::new();
                words(&cond.words, &vars, true, &mut out);
                Value::Many(out)
            }
            (true, false) => {
                Value::One(cond.words.first().map(|w| pieces(&w.pieces, &vars, Escape::None)).unwrap_or_default())
            }
            (false, true) => Value::Many(Vec::new()),
            (false, false) => Value::One(vec![Seg::Text(String::new())]),
        };
        vars.insert(cond.var.clone(), value);
    }
    vars
}

fn words(plan: &[Word], vars: &Vars, split: bool, out: &mut Vec<Vec<Seg>>) {
    for word in plan {
        if split
            && !word.quoted
            && let [Piece::Var(name)] = word.pieces.as_slice()
            && let Some(Value::Many(many)) = vars.get(name)
        {
            out.extend(many.iter().cloned());
            continue;
        }
        let segs = pieces(&word.pieces, vars, Escape::None);
        let empty = segs.iter().all(|s| matches!(s, Seg::Text(t) if t.is_empty()));
        if split && !word.quoted && empty {
            continue;
        }
        out.push(segs);
    }
}

fn pieces(plan: &[Piece], vars: &Vars, escape: Escape) -> Vec<Seg> {
    let mut out: Vec<Seg> = Vec::with_capacity(plan.len());
    let push_text = |out: &mut Vec<Seg>, text: &str, escape: Escape| {
        let text = escaped(text, escape);
        match out.last_mut() {
            Some(Seg::Text(last)) => last.push_str(&text),
            _ => out.push(Seg::Text(text)),
        }
    };
    for piece in plan {
        match piece {
            Piece::Lit(text) => push_text(&mut out, text, Escape::None),
            Piece::Secret(name) => out.push(Seg::Secret(name.clone())),
            Piece::Var(name) => match vars.get(name) {
                Some(Value::One(segs)) => {
                    for seg in segs {
                        match seg {
                            Seg::Text(t) => push_text(&mut out, t, escape),
                            other => out.push(other.clone()),
                        }
                    }
                }
                Some(Value::Many(words)) => {
                    let joined = words.iter().map(|w| preview(w)).collect::<Vec<_>>().join(" ");
                    push_text(&mut out, &joined, escape);
                }
                // INVARIANT (known-placeholders): the loader refused unknown names; keep the text.
                None => push_text(&mut out, &format!("{{{name}}}"), Escape::None),
            },
        }
    }
    out
}

pub(crate) fn escaped(text: &str, escape: Escape) -> String {
    match escape {
        Escape::None => text.to_owned(),
        Escape::Url => {
            let mut out = String::with_capacity(text.len());
            for b in text.bytes() {
                if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                    out.push(char::from(b));
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            out
        }
        Escape::Json => {
            let quoted = serde_json::Value::String(text.to_owned()).to_string();
            quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or_default().to_owned()
        }
    }
}

/// A word for display: generated values and secrets as their placeholders.
pub(crate) fn preview(word: &[Seg]) -> String {
    word.iter()
        .map(|seg| match seg {
            Seg::Text(t) => t.clone(),
            Seg::Gen(generated) => {
                let name = GENERATED_VARS.iter().find(|(_, g)| g == generated).map_or("", |(n, _)| n);
                format!("{{{name}}}")
            }
            Seg::Secret(name) => format!("{{_secret:{name}}}"),
        })
        .collect()
}
