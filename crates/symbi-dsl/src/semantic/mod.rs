//! The semantic check: turns a parsed [`File`] into the checked [`Model`], reporting every
//! problem with its position (duplicate names, unknown tiers and keys, bad cron, durations,
//! times and values). `agent` reads agents and policies, `section` the keyed blocks.

mod agent;
pub(crate) mod error;
mod section;
mod time;

use std::collections::HashMap;
use std::time::Duration;

use crate::ast::{Entry, Expr, ExprKind, File, Item, Literal, Member, Nested, Policy, UnaryOp};
use crate::model::{Model, Value};
use crate::span::Span;
use error::{CheckError, CheckErrors};

/// Checks a parsed file and builds its [`Model`].
///
/// # Errors
/// Every semantic error, in source order: duplicate names (agents, schedules, webhooks,
/// channels, memory blocks, policies, types, functions, keys, parameters), unknown sandbox
/// tiers, keys or values, missing required keys, invalid cron, `at` times, timezones and
/// durations, a schedule without exactly one of `cron`/`at`, and rules that name no action.
pub fn check(file: &File) -> Result<Model, CheckErrors> {
    let mut checker = Checker::default();
    let model = checker.file(file);
    checker.errors.sort_by_key(|error| error.span().start());
    match CheckErrors::new(checker.errors) {
        Some(errors) => Err(errors),
        None => Ok(model),
    }
}

#[derive(Default)]
pub(crate) struct Checker {
    errors: Vec<CheckError>,
    webhook_paths: Names,
}

/// First definitions by name, for duplicate detection within one namespace.
#[derive(Default)]
struct Names(HashMap<String, Span>);

impl Names {
    /// Records `name`; returns the first span if it was already defined.
    fn insert(&mut self, name: &str, span: Span) -> Option<Span> {
        match self.0.get(name) {
            Some(first) => Some(*first),
            None => {
                self.0.insert(name.to_owned(), span);
                None
            }
        }
    }
}

/// The members of a keyed block, sorted by kind, after unknown and duplicate keys are reported.
struct Fields<'a> {
    entries: Vec<&'a Entry>,
    nested: Vec<&'a Nested>,
    policies: Vec<&'a Policy>,
}

impl<'a> Fields<'a> {
    fn get(&self, key: &str) -> Option<&'a Entry> {
        self.entries.iter().copied().find(|entry| entry.key.name == key)
    }

    fn nested(&self, key: &str) -> Option<&'a Nested> {
        self.nested.iter().copied().find(|nested| nested.key.name == key)
    }
}

/// What a keyed block accepts.
struct Shape {
    place: &'static str,
    keys: &'static [&'static str],
    nested: &'static [&'static str],
    known: &'static str,
    policies: bool,
}

impl Checker {
    fn file(&mut self, file: &File) -> Model {
        let mut model = Model {
            metadata: Vec::new(),
            agents: Vec::new(),
            policies: Vec::new(),
            schedules: Vec::new(),
            webhooks: Vec::new(),
            channels: Vec::new(),
            memories: Vec::new(),
            types: Vec::new(),
            functions: Vec::new(),
        };
        let mut metadata_seen: Option<Span> = None;
        let mut names: HashMap<&'static str, Names> = HashMap::new();
        for item in &file.items {
            match item {
                Item::Metadata(metadata) => {
                    if let Some(first) = metadata_seen {
                        self.duplicate("metadata block", "metadata", metadata.span, first);
                    }
                    metadata_seen.get_or_insert(metadata.span);
                    let record = self.record(&metadata.members, "metadata");
                    model.metadata.extend(record);
                }
                Item::Agent(agent) => {
                    self.unique(&mut names, "agent", &agent.name.name, agent.name.span);
                    if let Some(agent) = self.agent(agent) {
                        model.agents.push(agent);
                    }
                }
                Item::Policy(policy) => {
                    self.unique(&mut names, "policy", &policy.name.name, policy.name.span);
                    model.policies.push(self.policy(policy));
                }
                Item::Type(def) => {
                    self.unique(&mut names, "type", &def.name.name, def.name.span);
                    self.type_def(def);
                    model.types.push(def.clone());
                }
                Item::Function(function) => {
                    self.unique(&mut names, "function", &function.name.name, function.name.span);
                    self.params(&function.params);
                    model.functions.push(function.clone());
                }
                Item::Section(section) => {
                    let what = section.kind.keyword();
                    self.unique(&mut names, what, &section.name.name, section.name.span);
                    self.section(section, &mut model);
                }
            }
        }
        model
    }

    fn unique(&mut self, names: &mut HashMap<&'static str, Names>, what: &'static str, name: &str, span: Span) {
        if let Some(first) = names.entry(what).or_default().insert(name, span) {
            self.duplicate(what, name, span, first);
        }
    }

    fn duplicate(&mut self, what: &'static str, name: &str, span: Span, first: Span) {
        self.errors.push(CheckError::Duplicate { what, name: name.to_owned(), span, first });
    }

    fn type_def(&mut self, def: &crate::ast::TypeDef) {
        if let crate::ast::TypeBody::Record(fields) = &def.body {
            let mut names = Names::default();
            for field in fields {
                if let Some(first) = names.insert(&field.name.name, field.name.span) {
                    self.duplicate("field", &field.name.name, field.name.span, first);
                }
            }
        }
    }

    fn params(&mut self, params: &[crate::ast::Param]) {
        let mut names = Names::default();
        for param in params {
            if let Some(first) = names.insert(&param.name.name, param.name.span) {
                self.duplicate("parameter", &param.name.name, param.name.span, first);
            }
        }
    }

    /// Sorts a block's members, reporting unknown keys, duplicate keys and misplaced blocks.
    fn fields<'a>(&mut self, members: &'a [Member], shape: &Shape) -> Fields<'a> {
        let mut fields = Fields { entries: Vec::new(), nested: Vec::new(), policies: Vec::new() };
        let mut keys = Names::default();
        for member in members {
            match member {
                Member::Entry(entry) => {
                    if !shape.keys.contains(&entry.key.name.as_str()) {
                        self.unknown_key(&entry.key.name, entry.key.span, shape);
                    } else if let Some(first) = keys.insert(&entry.key.name, entry.key.span) {
                        self.duplicate("key", &entry.key.name, entry.key.span, first);
                    } else {
                        fields.entries.push(entry);
                    }
                }
                Member::Nested(nested) => {
                    if !shape.nested.contains(&nested.key.name.as_str()) {
                        if shape.keys.contains(&nested.key.name.as_str()) {
                            let what = format!("a `{}` block", nested.key.name);
                            self.errors.push(CheckError::Misplaced { what, place: shape.place, span: nested.key.span });
                        } else {
                            self.unknown_key(&nested.key.name, nested.key.span, shape);
                        }
                    } else if let Some(first) = keys.insert(&nested.key.name, nested.key.span) {
                        self.duplicate("key", &nested.key.name, nested.key.span, first);
                    } else {
                        fields.nested.push(nested);
                    }
                }
                Member::Policy(policy) => {
                    if shape.policies {
                        fields.policies.push(policy);
                    } else {
                        let what = "a policy".to_owned();
                        self.errors.push(CheckError::Misplaced { what, place: shape.place, span: policy.span });
                    }
                }
            }
        }
        fields
    }

    fn unknown_key(&mut self, key: &str, span: Span, shape: &Shape) {
        let place = shape.place.trim_start_matches("a ").trim_start_matches("an ");
        self.errors.push(CheckError::UnknownKey { key: key.to_owned(), place, known: shape.known, span });
    }

    /// Metadata and other free-form blocks: every entry and nested block becomes a value.
    fn record(&mut self, members: &[Member], place: &'static str) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        let mut keys = Names::default();
        for member in members {
            let (key, value) = match member {
                Member::Entry(entry) => (&entry.key, self.constant(&entry.value, &entry.key.name)),
                Member::Nested(nested) => (&nested.key, Some(Value::Record(self.record(&nested.members, place)))),
                Member::Policy(policy) => {
                    let what = "a policy".to_owned();
                    self.errors.push(CheckError::Misplaced { what, place, span: policy.span });
                    continue;
                }
            };
            if let Some(first) = keys.insert(&key.name, key.span) {
                self.duplicate("key", &key.name, key.span, first);
            } else if let Some(value) = value {
                out.push((key.name.clone(), value));
            }
        }
        out
    }

    /// A constant value: a literal, a bare word, or arrays and records of them.
    fn constant(&mut self, expr: &Expr, key: &str) -> Option<Value> {
        let value = match &expr.kind {
            ExprKind::Literal(literal) => match literal {
                Literal::Int(n) => match i64::try_from(*n) {
                    Ok(n) => Value::Int(n),
                    Err(_) => return self.not_constant(expr, key),
                },
                Literal::Float(x) => Value::Float(*x),
                Literal::Str(s) => Value::Str(s.clone()),
                Literal::Bool(b) => Value::Bool(*b),
                Literal::Duration { value, unit } => {
                    Value::Duration(Duration::from_secs(value.saturating_mul(unit.seconds())))
                }
                Literal::Vault(path) => Value::Vault(path.clone()),
            },
            ExprKind::Name(name) => Value::Str(name.clone()),
            ExprKind::Unary { op: UnaryOp::Neg, operand } => match &operand.kind {
                ExprKind::Literal(Literal::Int(n)) => match 0i64.checked_sub_unsigned(*n) {
                    Some(n) => Value::Int(n),
                    None => return self.not_constant(expr, key),
                },
                ExprKind::Literal(Literal::Float(x)) => Value::Float(-x),
                _ => return self.not_constant(expr, key),
            },
            ExprKind::Array(items) => {
                let mut values = Vec::new();
                for item in items {
                    values.push(self.constant(item, key)?);
                }
                Value::List(values)
            }
            ExprKind::Record(fields) => {
                let mut values = Vec::new();
                for field in fields {
                    values.push((field.key.name.clone(), self.constant(&field.value, key)?));
                }
                Value::Record(values)
            }
            _ => return self.not_constant(expr, key),
        };
        Some(value)
    }

    fn not_constant(&mut self, expr: &Expr, key: &str) -> Option<Value> {
        let expected = "a constant (text, a number that fits in 64 bits, a list or a record)";
        self.invalid(key, expected, "`version = \"1.0.0\"`", expr.span)
    }

    fn invalid<T>(&mut self, key: &str, expected: &'static str, example: &'static str, span: Span) -> Option<T> {
        self.errors.push(CheckError::InvalidValue { key: key.to_owned(), expected, example, span });
        None
    }

    // ---- typed entry values -------------------------------------------------------------------

    /// Text: a string or a bare word.
    fn text(&mut self, entry: &Entry, example: &'static str) -> Option<String> {
        match &entry.value.kind {
            ExprKind::Literal(Literal::Str(text)) | ExprKind::Name(text) => Some(text.clone()),
            _ => self.invalid(&entry.key.name, "text", example, entry.value.span),
        }
    }

    fn boolean(&mut self, entry: &Entry) -> Option<bool> {
        match &entry.value.kind {
            ExprKind::Literal(Literal::Bool(value)) => Some(*value),
            ExprKind::Literal(Literal::Str(text)) if text == "true" || text == "false" => Some(text == "true"),
            _ => self.invalid(&entry.key.name, "`true` or `false`", "`one_shot = true`", entry.value.span),
        }
    }

    fn number(&mut self, entry: &Entry, example: &'static str) -> Option<f64> {
        match &entry.value.kind {
            #[expect(clippy::cast_precision_loss, reason = "weights are small; any u64 is a valid, if rounded, f64")]
            ExprKind::Literal(Literal::Int(n)) => Some(*n as f64),
            ExprKind::Literal(Literal::Float(x)) => Some(*x),
            _ => self.invalid(&entry.key.name, "a number", example, entry.value.span),
        }
    }

    /// A list of text, or one text value as a list of one.
    fn text_list(&mut self, entry: &Entry, example: &'static str) -> Option<Vec<String>> {
        let items = match &entry.value.kind {
            ExprKind::Array(items) => items.as_slice(),
            _ => std::slice::from_ref(&entry.value),
        };
        let mut out = Vec::new();
        for item in items {
            match &item.kind {
                ExprKind::Literal(Literal::Str(text)) | ExprKind::Name(text) => out.push(text.clone()),
                _ => return self.invalid(&entry.key.name, "a list of text", example, item.span),
            }
        }
        Some(out)
    }

    /// A positive duration: a duration literal, a number of seconds, or duration text.
    fn duration(&mut self, key: &str, value: &Expr) -> Option<Duration> {
        let (result, written) = match &value.kind {
            ExprKind::Literal(Literal::Duration { value: n, unit }) => (
                n.checked_mul(unit.seconds()).map(Duration::from_secs).ok_or_else(|| "too long".to_owned()),
                format!("{n}{}", unit.suffix()),
            ),
            ExprKind::Literal(Literal::Int(n)) => (Ok(Duration::from_secs(*n)), n.to_string()),
            ExprKind::Literal(Literal::Str(text)) => (time::parse_duration(text), text.clone()),
            _ => return self.invalid(key, "a duration", "`timeout = 30.seconds`", value.span),
        };
        match result {
            Ok(duration) if !duration.is_zero() => Some(duration),
            Ok(_) => self.bad_duration(written, "it must be longer than zero".to_owned(), value.span),
            Err(reason) => self.bad_duration(written, reason, value.span),
        }
    }

    fn bad_duration<T>(&mut self, value: String, reason: String, span: Span) -> Option<T> {
        self.errors.push(CheckError::InvalidDuration { value, reason, span });
        None
    }
}

#[cfg(test)]
mod tests;
