//! Prints a tree in the canonical layout: 4-space indent, one member per line, `key = value`
//! entries, a blank line between top-level items, blank lines inside blocks kept (at most
//! one), minimal parentheses. With source trivia it puts every comment back, in order.

use crate::ast::{
    Agent, AgentMember, ArmBody, Block, Capabilities, Cond, Else, Entry, Expr, ExprKind, FieldInit, FieldType,
    Function, IfExpr, Item, Literal, MatchArm, Member, Param, Pattern, PatternKind, Policy, Rule, Stmt, StmtKind,
    TypeBody, TypeExpr, UnaryOp, With,
};
use crate::lexer::Comment;
use crate::span::Span;

const INDENT: &str = "    ";

/// Comments and the source they came from, for putting comments back.
pub(crate) struct Trivia<'a> {
    pub(crate) source: &'a str,
    pub(crate) comments: &'a [Comment],
}

pub(crate) fn print(items: &[Item], trivia: Option<Trivia<'_>>) -> String {
    let mut printer = Printer { out: String::new(), indent: 0, trivia, next_comment: 0, last_end: 0 };
    for (index, item) in items.iter().enumerate() {
        printer.before(item_span(item).start(), index == 0, index > 0);
        printer.start_line();
        printer.item(item);
        printer.end_member(item_span(item).end());
    }
    printer.before(usize::MAX, items.is_empty(), false);
    printer.out
}

fn item_span(item: &Item) -> Span {
    match item {
        Item::Metadata(metadata) => metadata.span,
        Item::Agent(agent) => agent.span,
        Item::Policy(policy) => policy.span,
        Item::Type(def) => def.span,
        Item::Function(function) => function.span,
        Item::Section(section) => section.span,
    }
}

struct Printer<'a> {
    out: String,
    indent: usize,
    trivia: Option<Trivia<'a>>,
    /// Index of the first comment not yet printed.
    next_comment: usize,
    /// Source offset just past what has been printed (for blank lines and trailing comments).
    last_end: usize,
}

/// A line-level node inside `{ … }`.
trait Node {
    fn span(&self) -> Span;
    fn print(&self, printer: &mut Printer<'_>);
}

impl Printer<'_> {
    fn start_line(&mut self) {
        for _ in 0..self.indent {
            self.out.push_str(INDENT);
        }
    }

    fn push(&mut self, text: &str) {
        self.out.push_str(text);
    }

    fn end_member(&mut self, end: usize) {
        self.out.push('\n');
        self.last_end = self.last_end.max(end);
    }

    /// Newlines in the source between `from` and `to`, or `None` if `to` is before `from`.
    fn newlines_between(&self, from: usize, to: usize) -> Option<usize> {
        let trivia = self.trivia.as_ref()?;
        trivia.source.get(from..to).map(|gap| gap.bytes().filter(|&b| b == b'\n').count())
    }

    /// Prints the comments that come before source offset `start`, then the blank line (if
    /// any) that belongs before the next member. `first` is true for the first member of a
    /// block; `separate` forces a blank line before whatever comes next.
    fn before(&mut self, start: usize, first: bool, separate: bool) {
        let mut first = first;
        let mut separate = separate;
        loop {
            let comment = self
                .trivia
                .as_ref()
                .and_then(|trivia| trivia.comments.get(self.next_comment))
                .filter(|comment| comment.span.start() < start)
                .cloned();
            let Some(comment) = comment else { break };
            self.next_comment += 1;
            let gap = self.newlines_between(self.last_end, comment.span.start());
            if gap == Some(0) && self.out.ends_with('\n') && !self.out.ends_with("\n\n") && !self.out.is_empty() {
                // A trailing comment: same line as what was printed last.
                self.out.pop();
                self.push(" ");
                self.push(&comment.text);
                self.out.push('\n');
            } else {
                if separate || (!first && gap.is_some_and(|n| n >= 2)) {
                    self.out.push('\n');
                }
                self.start_line();
                self.push(&comment.text);
                self.out.push('\n');
                first = false;
                separate = false;
            }
            self.last_end = self.last_end.max(comment.span.end());
        }
        if start == usize::MAX {
            return;
        }
        let gap = self.newlines_between(self.last_end, start);
        if separate || (!first && gap.is_some_and(|n| n >= 2)) {
            self.out.push('\n');
        }
    }

    fn has_comments_before(&self, end: usize) -> bool {
        self.trivia
            .as_ref()
            .and_then(|trivia| trivia.comments.get(self.next_comment))
            .is_some_and(|comment| comment.span.start() < end)
    }

    /// `{ members }` of a node spanning `span`; `{}` when there is nothing inside.
    fn body<T: Node>(&mut self, span: Span, members: &[T]) {
        if members.is_empty() && !self.has_comments_before(span.end()) {
            self.push("{}");
            return;
        }
        self.push("{\n");
        self.indent += 1;
        self.last_end = self.last_end.max(span.start());
        for (index, member) in members.iter().enumerate() {
            self.before(member.span().start(), index == 0, false);
            self.start_line();
            member.print(self);
            self.end_member(member.span().end());
        }
        self.before(span.end(), members.is_empty(), false);
        self.indent -= 1;
        self.start_line();
        self.push("}");
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Metadata(metadata) => {
                self.push("metadata ");
                self.body(metadata.span, &metadata.members);
            }
            Item::Agent(agent) => self.agent(agent),
            Item::Policy(policy) => policy.print(self),
            Item::Type(def) => {
                self.push("type ");
                self.push(&def.name.name);
                self.push(" = ");
                match &def.body {
                    TypeBody::Record(fields) => self.body(def.span, fields),
                    TypeBody::Alias(ty) => self.type_expr(ty),
                }
            }
            Item::Function(function) => self.function(function),
            Item::Section(section) => {
                self.push(section.kind.keyword());
                self.push(" ");
                self.push(&section.name.name);
                self.push(" ");
                self.body(section.span, &section.members);
            }
        }
    }

    fn agent(&mut self, agent: &Agent) {
        self.push("agent ");
        self.push(&agent.name.name);
        if !agent.params.is_empty() {
            self.params(&agent.params);
        }
        if let Some(returns) = &agent.returns {
            self.push(" -> ");
            self.type_expr(returns);
        }
        self.push(" ");
        self.body(agent.span, &agent.members);
    }

    fn function(&mut self, function: &Function) {
        self.push("function ");
        self.push(&function.name.name);
        self.params(&function.params);
        if let Some(returns) = &function.returns {
            self.push(" -> ");
            self.type_expr(returns);
        }
        self.push(" ");
        self.block(&function.body);
    }

    fn params(&mut self, params: &[Param]) {
        self.push("(");
        for (index, param) in params.iter().enumerate() {
            if index > 0 {
                self.push(", ");
            }
            self.push(&param.name.name);
            self.push(": ");
            self.type_expr(&param.ty);
        }
        self.push(")");
    }

    fn type_expr(&mut self, ty: &TypeExpr) {
        self.push(&ty.name.name);
        if !ty.args.is_empty() {
            self.push("<");
            for (index, arg) in ty.args.iter().enumerate() {
                if index > 0 {
                    self.push(", ");
                }
                self.type_expr(arg);
            }
            self.push(">");
        }
    }

    fn block(&mut self, block: &Block) {
        self.body(block.span, &block.stmts);
    }

    // ---- expressions --------------------------------------------------------------------------

    fn expr(&mut self, expr: &Expr, no_struct: bool) {
        match &expr.kind {
            ExprKind::Literal(literal) => self.literal(literal),
            ExprKind::Name(name) => self.push(name),
            ExprKind::Array(items) => {
                self.push("[");
                self.comma_list(items, |p, item| p.expr(item, false));
                self.push("]");
            }
            ExprKind::Record(fields) => self.fields(fields),
            ExprKind::Struct { name, fields } => {
                if no_struct {
                    self.push("(");
                }
                self.push(&name.name);
                self.push(" ");
                self.fields(fields);
                if no_struct {
                    self.push(")");
                }
            }
            ExprKind::Unary { op, operand } => {
                self.push(match op {
                    UnaryOp::Not => "!",
                    UnaryOp::Neg => "-",
                });
                let wrap = matches!(operand.kind, ExprKind::Binary { .. } | ExprKind::Lambda { .. });
                self.maybe_parens(operand, wrap, no_struct);
            }
            ExprKind::Binary { op, lhs, rhs } => {
                self.operand(lhs, op.precedence(), no_struct);
                self.push(" ");
                self.push(op.symbol());
                self.push(" ");
                self.operand(rhs, op.precedence() + 1, no_struct);
            }
            ExprKind::Member { object, field } => {
                self.receiver(object, no_struct);
                self.push(".");
                self.push(&field.name);
            }
            ExprKind::Index { object, index } => {
                self.receiver(object, no_struct);
                self.push("[");
                self.expr(index, false);
                self.push("]");
            }
            ExprKind::Call { callee, args } => {
                self.receiver(callee, no_struct);
                self.push("(");
                self.comma_list(args, |p, arg| {
                    if let Some(name) = &arg.name {
                        p.push(&name.name);
                        p.push(" = ");
                    }
                    p.expr(&arg.value, false);
                });
                self.push(")");
            }
            ExprKind::Lambda { param, body } => {
                self.push(&param.name);
                self.push(" => ");
                self.expr(body, no_struct);
            }
            ExprKind::If(if_expr) => self.if_expr(if_expr),
            ExprKind::Match { scrutinee, arms } => {
                self.push("match ");
                self.expr(scrutinee, true);
                self.push(" ");
                self.body(expr.span, arms);
            }
        }
    }

    fn maybe_parens(&mut self, expr: &Expr, wrap: bool, no_struct: bool) {
        if wrap {
            self.push("(");
            self.expr(expr, false);
            self.push(")");
        } else {
            self.expr(expr, no_struct);
        }
    }

    /// An operand of a binary operator that must bind at least as tightly as `min`.
    fn operand(&mut self, expr: &Expr, min: u8, no_struct: bool) {
        let wrap = match &expr.kind {
            ExprKind::Binary { op, .. } => op.precedence() < min,
            ExprKind::Lambda { .. } => true,
            _ => false,
        };
        self.maybe_parens(expr, wrap, no_struct);
    }

    /// The left side of `.`, `(…)` or `[…]`.
    fn receiver(&mut self, expr: &Expr, no_struct: bool) {
        // A number before `.` would lex as a decimal or a duration (`5.seconds`), and a vault
        // path would swallow `.field`.
        let wrap = matches!(
            expr.kind,
            ExprKind::Unary { .. }
                | ExprKind::Binary { .. }
                | ExprKind::Lambda { .. }
                | ExprKind::Literal(Literal::Int(_) | Literal::Float(_) | Literal::Vault(_))
        );
        self.maybe_parens(expr, wrap, no_struct);
    }

    fn comma_list<T>(&mut self, items: &[T], mut each: impl FnMut(&mut Self, &T)) {
        for (index, item) in items.iter().enumerate() {
            if index > 0 {
                self.push(", ");
            }
            each(self, item);
        }
    }

    fn fields(&mut self, fields: &[FieldInit]) {
        if fields.is_empty() {
            self.push("{}");
            return;
        }
        self.push("{ ");
        self.comma_list(fields, |p, field| {
            p.push(&field.key.name);
            p.push(": ");
            p.expr(&field.value, false);
        });
        self.push(" }");
    }

    fn if_expr(&mut self, if_expr: &IfExpr) {
        self.push("if ");
        match &if_expr.cond {
            Cond::Expr(cond) => self.expr(cond, true),
            Cond::Let { pattern, value } => {
                self.push("let ");
                self.pattern(pattern);
                self.push(" = ");
                self.expr(value, true);
            }
        }
        self.push(" ");
        self.block(&if_expr.then);
        match &if_expr.otherwise {
            Some(Else::Block(block)) => {
                self.push(" else ");
                self.block(block);
            }
            Some(Else::If(nested)) => {
                self.push(" else ");
                self.if_expr(nested);
            }
            None => {}
        }
    }

    fn literal(&mut self, literal: &Literal) {
        match literal {
            Literal::Int(value) => self.push(&value.to_string()),
            Literal::Float(value) => {
                let text = value.to_string();
                self.push(&text);
                if !text.contains('.') {
                    self.push(".0");
                }
            }
            Literal::Str(value) => {
                let quoted = quote(value);
                self.push(&quoted);
            }
            Literal::Bool(value) => self.push(if *value { "true" } else { "false" }),
            Literal::Duration { value, unit } => {
                self.push(&value.to_string());
                self.push(unit.suffix());
            }
            Literal::Vault(path) => {
                self.push("vault://");
                self.push(path);
            }
        }
    }

    fn pattern(&mut self, pattern: &Pattern) {
        match &pattern.kind {
            PatternKind::Wildcard => self.push("_"),
            PatternKind::Binding(name) => self.push(name),
            PatternKind::Literal(literal) => self.literal(literal),
            PatternKind::Constructor { name, args } => {
                self.push(&name.name);
                self.push("(");
                self.comma_list(args, Self::pattern);
                self.push(")");
            }
        }
    }
}

/// A string literal with the escapes the lexer understands.
pub(crate) fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for ch in value.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            ch if ch.is_control() => out.push_str(&format!("\\u{{{:x}}}", u32::from(ch))),
            ch => out.push(ch),
        }
    }
    out.push('"');
    out
}

/// Whether `expr` is a record or its printed text begins with one.
fn starts_with_record(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Record(_) => true,
        ExprKind::Binary { lhs: inner, .. }
        | ExprKind::Member { object: inner, .. }
        | ExprKind::Index { object: inner, .. }
        | ExprKind::Call { callee: inner, .. } => starts_with_record(inner),
        _ => false,
    }
}

/// Whether an expression statement would start with `if` or `match` without being one, so
/// that the parser would end the statement early; such statements are parenthesised.
fn starts_with_block_like(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Binary { lhs: inner, .. }
        | ExprKind::Member { object: inner, .. }
        | ExprKind::Index { object: inner, .. }
        | ExprKind::Call { callee: inner, .. } => {
            matches!(inner.kind, ExprKind::If(_) | ExprKind::Match { .. }) || starts_with_block_like(inner)
        }
        _ => false,
    }
}

impl Node for Member {
    fn span(&self) -> Span {
        match self {
            Member::Entry(entry) => entry.span,
            Member::Nested(nested) => nested.span,
            Member::Policy(policy) => policy.span,
        }
    }

    fn print(&self, printer: &mut Printer<'_>) {
        match self {
            Member::Entry(entry) => entry.print(printer),
            Member::Nested(nested) => {
                printer.push(&nested.key.name);
                printer.push(" ");
                printer.body(nested.span, &nested.members);
            }
            Member::Policy(policy) => policy.print(printer),
        }
    }
}

impl Node for Entry {
    fn span(&self) -> Span {
        self.span
    }

    fn print(&self, printer: &mut Printer<'_>) {
        printer.push(&self.key.name);
        printer.push(" = ");
        printer.expr(&self.value, false);
    }
}

impl Node for AgentMember {
    fn span(&self) -> Span {
        match self {
            AgentMember::Capabilities(caps) => caps.span,
            AgentMember::Policy(policy) => policy.span,
            AgentMember::Function(function) => function.span,
            AgentMember::With(with) => with.span,
        }
    }

    fn print(&self, printer: &mut Printer<'_>) {
        match self {
            AgentMember::Capabilities(Capabilities { items, .. }) => {
                printer.push("capabilities = [");
                printer.comma_list(items, |p, item| p.expr(item, false));
                printer.push("]");
            }
            AgentMember::Policy(policy) => policy.print(printer),
            AgentMember::Function(function) => printer.function(function),
            AgentMember::With(With { attrs, body, .. }) => {
                printer.push("with ");
                printer.comma_list(attrs, |p, attr| {
                    p.push(&attr.key.name);
                    p.push(" = ");
                    p.expr(&attr.value, true);
                });
                if !attrs.is_empty() {
                    printer.push(" ");
                }
                printer.block(body);
            }
        }
    }
}

impl Node for Policy {
    fn span(&self) -> Span {
        self.span
    }

    fn print(&self, printer: &mut Printer<'_>) {
        printer.push("policy ");
        printer.push(&self.name.name);
        printer.push(" ");
        printer.body(self.span, &self.rules);
    }
}

impl Node for Rule {
    fn span(&self) -> Span {
        self.span
    }

    fn print(&self, printer: &mut Printer<'_>) {
        printer.push(self.kind.keyword());
        printer.push(": ");
        printer.expr(&self.action, false);
        if self.without_approval {
            printer.push(" without approval");
        }
        if let Some(condition) = &self.condition {
            printer.push(" if ");
            printer.expr(condition, false);
        }
    }
}

impl Node for FieldType {
    fn span(&self) -> Span {
        self.span
    }

    fn print(&self, printer: &mut Printer<'_>) {
        printer.push(&self.name.name);
        printer.push(": ");
        printer.type_expr(&self.ty);
        printer.push(",");
    }
}

impl Node for MatchArm {
    fn span(&self) -> Span {
        self.span
    }

    fn print(&self, printer: &mut Printer<'_>) {
        printer.pattern(&self.pattern);
        printer.push(" => ");
        match &self.body {
            ArmBody::Expr(expr) => {
                // A record here (or an expression starting with one, like `{}[0]`) would read as
                // a block.
                let wrap = starts_with_record(expr);
                printer.maybe_parens(expr, wrap, false);
                printer.push(",");
            }
            ArmBody::Block(block) => printer.block(block),
        }
    }
}

impl Node for Stmt {
    fn span(&self) -> Span {
        self.span
    }

    fn print(&self, printer: &mut Printer<'_>) {
        match &self.kind {
            StmtKind::Let { name, ty, value } => {
                printer.push("let ");
                printer.push(&name.name);
                if let Some(ty) = ty {
                    printer.push(": ");
                    printer.type_expr(ty);
                }
                printer.push(" = ");
                printer.expr(value, false);
                printer.push(";");
            }
            StmtKind::Assign { target, op, value } => {
                let wrap =
                    matches!(target.kind, ExprKind::If(_) | ExprKind::Match { .. }) || starts_with_block_like(target);
                printer.maybe_parens(target, wrap, false);
                printer.push(" ");
                printer.push(op.symbol());
                printer.push(" ");
                printer.expr(value, false);
                printer.push(";");
            }
            StmtKind::Return(value) => {
                printer.push("return");
                if let Some(value) = value {
                    printer.push(" ");
                    printer.expr(value, false);
                }
                printer.push(";");
            }
            StmtKind::Expr { expr, semi } => {
                let wrap = starts_with_block_like(expr);
                printer.maybe_parens(expr, wrap, false);
                if *semi {
                    printer.push(";");
                }
            }
            StmtKind::For { var, iter, body } => {
                printer.push("for ");
                printer.push(&var.name);
                printer.push(" in ");
                printer.expr(iter, true);
                printer.push(" ");
                printer.block(body);
            }
            StmtKind::Try { body, var, ty, handler } => {
                printer.push("try ");
                printer.block(body);
                printer.push(" catch (");
                printer.push(&var.name);
                if let Some(ty) = ty {
                    printer.push(": ");
                    printer.type_expr(ty);
                }
                printer.push(") ");
                printer.block(handler);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quote_escapes_what_the_lexer_reads() {
        assert_eq!(quote("a\"b\\c\nd\te\u{1}"), "\"a\\\"b\\\\c\\nd\\te\\u{1}\"");
    }
}
