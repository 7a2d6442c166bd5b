//! Translates a rule's `if` condition into a Cedar `when` expression, type-checking it against
//! the schema's attributes so the output always validates, and collecting the `has` guards that
//! optional attributes need. Anything without a faithful translation is a positioned problem.

use std::collections::BTreeSet;

use symbi_dsl::Span;
use symbi_dsl::ast::{Arg, BinaryOp, Expr, ExprKind, Literal, UnaryOp};

use super::error::{DslRuleError, Problems};
use super::target::{AGENT, Bound, CONTEXT, Entity, Target, Ty};
use super::{like_pattern, string_literal};

/// A translated condition.
#[derive(Debug)]
pub(super) struct Condition {
    /// The Cedar expression, without guards.
    pub(super) text: String,
    /// Whether `text` is an `||` and needs parentheses after `guard &&`.
    pub(super) is_or: bool,
    /// `(variable, attribute)` pairs that must be tested with `has` before the expression.
    pub(super) guards: BTreeSet<(&'static str, &'static str)>,
}

/// What the names in a condition stand for.
#[derive(Debug)]
pub(super) struct Scope<'a> {
    pub(super) target: &'a Target<'a>,
    /// The agent's parameter names.
    pub(super) params: Vec<&'a str>,
}

/// Translates `expr`; `None` when it has problems (all of them are in `problems`).
pub(super) fn translate(expr: &Expr, scope: &Scope<'_>, problems: &mut Problems<'_>) -> Option<Condition> {
    let before = problems.len();
    let mut translator = Translator { scope, problems, guards: BTreeSet::new() };
    let value = translator.expr(expr);
    let guards = translator.guards;
    let value = value?;
    if value.ty != Ty::Bool {
        problems.mismatch(Ty::Bool.describe(), value.ty.describe(), expr.span);
    }
    (problems.len() == before).then_some(Condition { is_or: value.strength == OR, text: value.text, guards })
}

// Cedar's binding strengths, weakest first; an operand weaker than its place needs parentheses.
const OR: u8 = 1;
const AND: u8 = 2;
const RELATION: u8 = 3;
const ADD: u8 = 4;
const MUL: u8 = 5;
const UNARY: u8 = 6;
const MEMBER: u8 = 7;

/// A translated sub-expression.
#[derive(Debug)]
struct Value {
    text: String,
    ty: Ty,
    strength: u8,
}

impl Value {
    fn new(text: String, ty: Ty, strength: u8) -> Self {
        Self { text, ty, strength }
    }

    /// The text, in parentheses when it binds less tightly than `at_least`.
    fn at(&self, at_least: u8) -> String {
        if self.strength < at_least { format!("({})", self.text) } else { self.text.clone() }
    }
}

struct Translator<'a, 'p, 's> {
    scope: &'a Scope<'a>,
    problems: &'p mut Problems<'s>,
    guards: BTreeSet<(&'static str, &'static str)>,
}

impl Translator<'_, '_, '_> {
    fn expr(&mut self, expr: &Expr) -> Option<Value> {
        let span = expr.span;
        match &expr.kind {
            ExprKind::Literal(literal) => self.literal(literal, span),
            ExprKind::Name(name) => {
                self.bare_name(name, span);
                None
            }
            ExprKind::Unary { op, operand } => self.unary(*op, operand, span),
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs),
            ExprKind::Member { object, field } => self.member(object, &field.name, field.span),
            ExprKind::Call { callee, args } => self.call(callee, args, span),
            ExprKind::Array(_) => self.unsupported("a list outside `in`", "use a list only after `in`", span),
            ExprKind::Record(_) | ExprKind::Struct { .. } => {
                self.unsupported("a record", "compare attributes with single values", span)
            }
            ExprKind::Index { .. } => self.unsupported("indexing", "compare attributes with single values", span),
            ExprKind::Lambda { .. } => self.unsupported("a lambda", "write the condition without a lambda", span),
            ExprKind::If(_) => {
                self.unsupported("an `if` expression", "combine conditions with `&&`, `||` and `!`", span)
            }
            ExprKind::Match { .. } => {
                self.unsupported("a `match` expression", "combine conditions with `&&`, `||` and `!`", span)
            }
        }
    }

    fn unsupported(&mut self, what: &str, help: &str, span: Span) -> Option<Value> {
        self.problems.unsupported(what, help, span);
        None
    }

    fn literal(&mut self, literal: &Literal, span: Span) -> Option<Value> {
        match literal {
            Literal::Bool(b) => Some(Value::new(b.to_string(), Ty::Bool, MEMBER)),
            Literal::Str(text) => Some(Value::new(string_literal(text), Ty::Str, MEMBER)),
            Literal::Int(n) => match i64::try_from(*n) {
                Ok(n) => Some(Value::new(n.to_string(), Ty::Long, MEMBER)),
                Err(_) => self.unsupported(
                    &format!("the number `{n}`"),
                    "policy numbers are whole numbers up to 9223372036854775807",
                    span,
                ),
            },
            Literal::Float(_) => self.unsupported("a decimal number", "compare with whole numbers", span),
            Literal::Duration { .. } => {
                self.unsupported("a duration", "the policy schema has no durations to compare with", span)
            }
            Literal::Vault(_) => {
                self.unsupported("a `vault://` reference", "policy conditions cannot read secrets", span)
            }
        }
    }

    /// A name used as a value on its own, which no Cedar value stands for.
    fn bare_name(&mut self, name: &str, span: Span) {
        match self.resolve(name, span) {
            Some(Resolved::Entity(_, entity)) => self.problems.unsupported(
                format!("`{name}` on its own"),
                format!("compare one of the attributes of {} ({})", entity.described, entity.known()),
                span,
            ),
            Some(Resolved::ToolArgument) | None => {}
        }
    }

    fn unary(&mut self, op: UnaryOp, operand: &Expr, span: Span) -> Option<Value> {
        match op {
            UnaryOp::Not => {
                let value = self.typed(operand, Ty::Bool)?;
                Some(Value::new(format!("!{}", value.at(MEMBER)), Ty::Bool, UNARY))
            }
            UnaryOp::Neg => {
                if let ExprKind::Literal(Literal::Int(n)) = operand.kind {
                    // `-9223372036854775808` fits although its magnitude does not.
                    return match i64::try_from(i128::from(n).saturating_neg()) {
                        Ok(n) => Some(Value::new(n.to_string(), Ty::Long, UNARY)),
                        Err(_) => self.unsupported(
                            &format!("the number `-{n}`"),
                            "policy numbers are whole numbers down to -9223372036854775808",
                            span,
                        ),
                    };
                }
                let value = self.typed(operand, Ty::Long)?;
                Some(Value::new(format!("-{}", value.at(MEMBER)), Ty::Long, UNARY))
            }
        }
    }

    /// Translates `expr` and requires it to have type `ty`.
    fn typed(&mut self, expr: &Expr, ty: Ty) -> Option<Value> {
        let value = self.expr(expr)?;
        if value.ty != ty {
            self.problems.mismatch(ty.describe(), value.ty.describe(), expr.span);
            return None;
        }
        Some(value)
    }

    fn binary(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr) -> Option<Value> {
        let (symbol, strength, operand) = match op {
            BinaryOp::Or => ("||", OR, Some(Ty::Bool)),
            BinaryOp::And => ("&&", AND, Some(Ty::Bool)),
            BinaryOp::Eq => ("==", RELATION, None),
            BinaryOp::Ne => ("!=", RELATION, None),
            BinaryOp::Lt => ("<", RELATION, Some(Ty::Long)),
            BinaryOp::Le => ("<=", RELATION, Some(Ty::Long)),
            BinaryOp::Gt => (">", RELATION, Some(Ty::Long)),
            BinaryOp::Ge => (">=", RELATION, Some(Ty::Long)),
            BinaryOp::Add => ("+", ADD, Some(Ty::Long)),
            BinaryOp::Sub => ("-", ADD, Some(Ty::Long)),
            BinaryOp::Mul => ("*", MUL, Some(Ty::Long)),
            BinaryOp::In => return self.membership(lhs, rhs),
            BinaryOp::Div | BinaryOp::Rem => {
                let what = format!("`{}`", op.symbol());
                return self.unsupported(&what, "Cedar has no division; compare with `<`, `<=`, `>` or `>=`", rhs.span);
            }
        };
        let (left, right) = match operand {
            Some(ty) => (self.typed(lhs, ty), self.typed(rhs, ty)),
            None => {
                let (left, right) = (self.expr(lhs), self.expr(rhs));
                if let (Some(l), Some(r)) = (&left, &right)
                    && l.ty != r.ty
                {
                    self.problems.mismatch(l.ty.describe(), r.ty.describe(), rhs.span);
                    return None;
                }
                (left, right)
            }
        };
        let (left, right) = (left?, right?);
        // Relations do not chain in Cedar, so their operands must bind tighter.
        let (left_at, right_at) = if strength == RELATION { (ADD, ADD) } else { (strength, strength + 1) };
        let ty = if strength <= RELATION { Ty::Bool } else { Ty::Long };
        Some(Value::new(format!("{} {symbol} {}", left.at(left_at), right.at(right_at)), ty, strength))
    }

    /// `x in [a, b]` and `x in set`.
    fn membership(&mut self, lhs: &Expr, rhs: &Expr) -> Option<Value> {
        let element = self.expr(lhs);
        let set = match &rhs.kind {
            ExprKind::Array(items) if items.is_empty() => {
                // Nothing is in an empty list; Cedar's strict validation refuses `[]` itself.
                element?;
                return Some(Value::new("false".to_owned(), Ty::Bool, MEMBER));
            }
            ExprKind::Array(items) => {
                let ty = element.as_ref().map(|e| e.ty);
                let mut texts = Vec::new();
                for item in items {
                    let value = match ty {
                        Some(ty) => self.typed(item, ty),
                        None => self.expr(item),
                    };
                    texts.extend(value.map(|v| v.text));
                }
                (texts.len() == items.len()).then(|| format!("[{}]", texts.join(", ")))
            }
            _ => {
                let set = self.typed(rhs, Ty::StrSet);
                if let Some(e) = &element
                    && e.ty != Ty::Str
                {
                    self.problems.mismatch(Ty::Str.describe(), e.ty.describe(), lhs.span);
                    return None;
                }
                set.map(|s| s.at(MEMBER))
            }
        };
        let (element, set) = (element?, set?);
        Some(Value::new(format!("{set}.contains({})", element.text), Ty::Bool, MEMBER))
    }

    /// `name.attribute`.
    fn member(&mut self, object: &Expr, field: &str, field_span: Span) -> Option<Value> {
        let ExprKind::Name(name) = &object.kind else {
            self.expr(object)?;
            return self.unsupported(
                "an attribute of a value",
                "policy reads attributes of the resource, `self` and `context` only",
                field_span,
            );
        };
        match self.resolve(name, object.span)? {
            Resolved::ToolArgument => None,
            Resolved::Entity(variable, entity) => {
                if let Some(attr) = entity.attr(field) {
                    if attr.optional {
                        self.guards.insert((variable, attr.name));
                    }
                    return Some(Value::new(format!("{variable}.{}", attr.name), attr.ty, MEMBER));
                }
                if variable == "resource" && field == "depth" && self.scope.target.depth_in_context {
                    self.guards.insert(("context", "delegation_depth"));
                    return Some(Value::new("context.delegation_depth".to_owned(), Ty::Long, MEMBER));
                }
                let (attribute, known, location) = (field.to_owned(), entity.known(), self.problems.at(field_span));
                let entity = entity.described;
                let span = field_span;
                self.problems.push(DslRuleError::UnknownAttribute { entity, attribute, known, span, location });
                None
            }
        }
    }

    /// `x.starts_with("a")`, `x.ends_with("a")`, `x.contains("a")` on text and
    /// `set.contains(x)` on sets.
    fn call(&mut self, callee: &Expr, args: &[Arg], span: Span) -> Option<Value> {
        let help = "conditions may call `.starts_with(\"…\")`, `.ends_with(\"…\")` and `.contains(…)`";
        let ExprKind::Member { object, field } = &callee.kind else {
            return self.unsupported("a function call", help, span);
        };
        let method = field.name.as_str();
        if !matches!(method, "starts_with" | "ends_with" | "contains") {
            return self.unsupported(&format!("the method `{method}`"), help, field.span);
        }
        let [Arg { name: None, value: arg, .. }] = args else {
            return self.unsupported(&format!("`{method}` without exactly one argument"), help, span);
        };
        let receiver = self.expr(object)?;
        match receiver.ty {
            Ty::Str => {
                let ExprKind::Literal(Literal::Str(text)) = &arg.kind else {
                    return self.unsupported(
                        &format!("`{method}` with a computed argument"),
                        "on text, the argument must be a quoted literal, like `.starts_with(\"src/\")`",
                        arg.span,
                    );
                };
                let pattern = match method {
                    "starts_with" => like_pattern("", text, "*"),
                    "ends_with" => like_pattern("*", text, ""),
                    _ => like_pattern("*", text, "*"),
                };
                Some(Value::new(format!("{} like {pattern}", receiver.at(ADD)), Ty::Bool, RELATION))
            }
            Ty::StrSet if method == "contains" => {
                let element = self.typed(arg, Ty::Str)?;
                Some(Value::new(format!("{}.contains({})", receiver.at(MEMBER), element.text), Ty::Bool, MEMBER))
            }
            ty => {
                self.problems.mismatch(Ty::Str.describe(), ty.describe(), object.span);
                None
            }
        }
    }

    /// What a name stands for; reports names that stand for nothing policy can see.
    fn resolve(&mut self, name: &str, span: Span) -> Option<Resolved> {
        let target = self.scope.target;
        match target.bound(name) {
            Some(Bound::Resource) => return Some(Resolved::Entity("resource", target.resource)),
            Some(Bound::ToolArgument) => {
                self.problems.unsupported(
                    format!("a condition on the tool argument `{name}`"),
                    "policy sees which tool is called, not its arguments; check argument values in the \
                     tool's manifest",
                    span,
                );
                return Some(Resolved::ToolArgument);
            }
            None => {}
        }
        match name {
            "self" => return Some(Resolved::Entity("principal", &AGENT)),
            "context" => return Some(Resolved::Entity("context", &CONTEXT)),
            _ => {}
        }
        let help = if self.scope.params.contains(&name) {
            format!(
                "policy does not see the agent's argument `{name}`; name the resource in the rule instead, like \
                 `read({name}) if {name}.classification == \"public\"`"
            )
        } else {
            "a condition may use the rule's argument (`file` in `read(file)`), `self` (the agent) and `context`"
                .to_owned()
        };
        self.problems.unknown_name(name, help, span);
        None
    }
}

/// What a name in a condition stands for.
#[derive(Debug)]
enum Resolved {
    /// A Cedar variable (`resource`, `principal`, `context`) with the attributes it has.
    Entity(&'static str, &'static Entity),
    /// A tool argument (already reported).
    ToolArgument,
}
