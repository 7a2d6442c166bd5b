//! Blocks, statements, expressions (precedence climbing), patterns and types. Struct literals
//! (`Name { … }`) are not read where a `{` opens a body (`if`, `for`, `match`, `with` headers),
//! as in Rust; parentheses lift that restriction.

use super::Parser;
use crate::ast::{
    Arg, ArmBody, AssignOp, BinaryOp, Block, Cond, Else, Expr, ExprKind, FieldInit, IfExpr, Literal, MatchArm, Pattern,
    PatternKind, Stmt, StmtKind, TypeExpr, UnaryOp, is_reserved,
};
use crate::diagnostic::ParseError;
use crate::lexer::TokenKind;
use crate::span::Span;

const EXPR_HELP: &str = "expressions are names, literals like `\"text\"`, `42` or `30.seconds`, calls like `read(file)`, `[...]` or `{...}`";

impl Parser<'_> {
    pub(super) fn block(&mut self) -> Option<Block> {
        let start = self.start();
        let open =
            self.expect(&TokenKind::LBrace, "`{` to open a block", "blocks are statements between `{` and `}`")?;
        self.enter()?;
        let mut stmts = Vec::new();
        while !self.block_done() {
            if self.at(&TokenKind::Semi) {
                let _: Option<()> = self.unexpected("a statement", "remove the extra `;`");
                self.bump();
                continue;
            }
            let before = self.consumed;
            match self.stmt() {
                Some(stmt) => stmts.push(stmt),
                None => self.recover(before),
            }
            if self.consumed == before {
                self.bump();
            }
        }
        self.leave();
        self.close(open, &TokenKind::RBrace);
        Some(Block { stmts, span: self.span_from(start) })
    }

    fn stmt(&mut self) -> Option<Stmt> {
        let start = self.start();
        let kind = match self.word() {
            Some("let") => {
                self.bump();
                let name = self.name("a variable name")?;
                let ty = if self.eat(&TokenKind::Colon) { Some(self.type_expr()?) } else { None };
                self.expect(&TokenKind::Eq, "`=` in `let`", "write `let name = value;`")?;
                let value = self.expr()?;
                self.end_stmt()?;
                StmtKind::Let { name, ty, value }
            }
            Some("return") => {
                self.bump();
                let value =
                    if self.at(&TokenKind::Semi) || self.at(&TokenKind::RBrace) { None } else { Some(self.expr()?) };
                self.end_stmt()?;
                StmtKind::Return(value)
            }
            Some("for") => {
                self.bump();
                let var = self.name("a loop variable")?;
                if !self.eat_word("in") {
                    return self.unexpected("`in`", "write `for item in items { ... }`");
                }
                let iter = self.expr_no_struct()?;
                let body = self.block()?;
                StmtKind::For { var, iter, body }
            }
            Some("try") => {
                self.bump();
                let body = self.block()?;
                if !self.eat_word("catch") {
                    return self.unexpected("`catch`", "write `try { ... } catch (error) { ... }`");
                }
                self.expect(&TokenKind::LParen, "`(` after `catch`", "write `catch (error) { ... }`")?;
                let var = self.name("an error variable")?;
                let ty = if self.eat(&TokenKind::Colon) { Some(self.type_expr()?) } else { None };
                self.expect(&TokenKind::RParen, "`)`", "write `catch (error: Type) { ... }`")?;
                let handler = self.block()?;
                StmtKind::Try { body, var, ty, handler }
            }
            Some("if" | "match") => {
                // A statement-level `if`/`match` ends at its `}`; it needs no `;`.
                let expr = self.block_like()?;
                let semi = self.eat(&TokenKind::Semi);
                StmtKind::Expr { expr, semi }
            }
            _ => {
                let target = self.expr()?;
                if let Some(op) = assign_op(self.kind()) {
                    self.bump();
                    let value = self.expr()?;
                    self.end_stmt()?;
                    StmtKind::Assign { target, op, value }
                } else if self.at(&TokenKind::RBrace) {
                    StmtKind::Expr { expr: target, semi: false }
                } else {
                    self.end_stmt()?;
                    StmtKind::Expr { expr: target, semi: true }
                }
            }
        };
        Some(Stmt { kind, span: self.span_from(start) })
    }

    /// Consumes the `;` ending a statement. A missing `;` at the end of a line is reported
    /// without skipping anything, since the next line is most likely a fine statement.
    fn end_stmt(&mut self) -> Option<()> {
        if self.eat(&TokenKind::Semi) {
            return Some(());
        }
        if self.peek().line_start || self.block_done() {
            let found = self.describe(self.peek());
            let at = self.last_end;
            self.error(ParseError::Unexpected {
                expected: "`;`".to_owned(),
                found,
                span: Span::new(at, at),
                help: "end the statement with `;`".to_owned(),
            });
            return Some(());
        }
        self.unexpected("`;`", "end the statement with `;`")
    }

    pub(super) fn expr(&mut self) -> Option<Expr> {
        self.nested(|p| p.binary(0, false))
    }

    pub(super) fn expr_no_struct(&mut self) -> Option<Expr> {
        self.nested(|p| p.binary(0, true))
    }

    fn binary(&mut self, min: u8, no_struct: bool) -> Option<Expr> {
        let mut lhs = self.unary(no_struct)?;
        let mut chain = 0;
        let result = loop {
            let Some(op) = binary_op(self.kind(), self.word()) else { break Some(lhs) };
            if op.precedence() < min {
                break Some(lhs);
            }
            self.bump();
            // Each operator in a chain counts as a level, so `a + a + …` cannot build a tree too
            // deep to print or drop.
            if self.enter().is_none() {
                break None;
            }
            chain += 1;
            let Some(rhs) = self.binary(op.precedence() + 1, no_struct) else { break None };
            let span = lhs.span.to(rhs.span);
            lhs = Expr { kind: ExprKind::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs) }, span };
        };
        self.depth = self.depth.saturating_sub(chain);
        result
    }

    fn unary(&mut self, no_struct: bool) -> Option<Expr> {
        let start = self.start();
        let op = match self.kind() {
            TokenKind::Bang => UnaryOp::Not,
            TokenKind::Minus => UnaryOp::Neg,
            TokenKind::Word if self.at_word("not") => UnaryOp::Not,
            _ => return self.postfix(no_struct),
        };
        self.bump();
        let operand = self.nested(|p| p.unary(no_struct))?;
        Some(Expr { kind: ExprKind::Unary { op, operand: Box::new(operand) }, span: self.span_from(start) })
    }

    fn postfix(&mut self, no_struct: bool) -> Option<Expr> {
        let start = self.start();
        let mut expr = self.primary(no_struct)?;
        let mut chain = 0;
        let result = loop {
            let kind = match self.kind() {
                TokenKind::Dot | TokenKind::LParen | TokenKind::LBracket => self.kind().clone(),
                _ => break Some(expr),
            };
            if self.enter().is_none() {
                break None;
            }
            chain += 1;
            let next = match kind {
                TokenKind::Dot => {
                    self.bump();
                    self.key("a field name after `.`", "write `value.field`")
                        .map(|field| ExprKind::Member { object: Box::new(expr), field })
                }
                TokenKind::LParen => self
                    .list(&TokenKind::LParen, "arguments", Self::arg)
                    .map(|args| ExprKind::Call { callee: Box::new(expr), args }),
                _ => {
                    let open = self.bump().span;
                    self.expr().and_then(|index| {
                        self.close_list(open, &TokenKind::RBracket, "the index")?;
                        Some(ExprKind::Index { object: Box::new(expr), index: Box::new(index) })
                    })
                }
            };
            let Some(next) = next else { break None };
            expr = Expr { kind: next, span: self.span_from(start) };
        };
        self.depth = self.depth.saturating_sub(chain);
        result
    }

    fn arg(&mut self) -> Option<Arg> {
        let start = self.start();
        let named = self.word().is_some_and(|word| !is_reserved(word)) && self.nth_is(1, &TokenKind::Eq);
        let name = if named {
            let name = self.name("an argument name")?;
            self.bump();
            Some(name)
        } else {
            None
        };
        let value = self.expr()?;
        Some(Arg { name, value, span: self.span_from(start) })
    }

    fn primary(&mut self, no_struct: bool) -> Option<Expr> {
        let token = self.peek().clone();
        let literal = match token.kind.clone() {
            TokenKind::Int(value) => Some(Literal::Int(value)),
            TokenKind::Float(value) => Some(Literal::Float(value)),
            TokenKind::Str(value) => Some(Literal::Str(value)),
            TokenKind::Duration(value, unit) => Some(Literal::Duration { value, unit }),
            TokenKind::Vault(path) => Some(Literal::Vault(path)),
            _ => None,
        };
        if let Some(literal) = literal {
            self.bump();
            return Some(Expr { kind: ExprKind::Literal(literal), span: token.span });
        }
        let start = token.span.start();
        match token.kind {
            TokenKind::LParen => {
                let open = self.bump().span;
                let inner = self.expr()?;
                self.close_list(open, &TokenKind::RParen, "the parenthesised expression")?;
                Some(Expr { kind: inner.kind, span: self.span_from(start) })
            }
            TokenKind::LBracket => {
                let items = self.list(&TokenKind::LBracket, "array items", Self::expr)?;
                Some(Expr { kind: ExprKind::Array(items), span: self.span_from(start) })
            }
            TokenKind::LBrace => {
                let fields = self.list(&TokenKind::LBrace, "record fields", Self::field)?;
                Some(Expr { kind: ExprKind::Record(fields), span: self.span_from(start) })
            }
            TokenKind::Word => self.word_expr(no_struct),
            _ => self.unexpected("an expression", EXPR_HELP),
        }
    }

    fn word_expr(&mut self, no_struct: bool) -> Option<Expr> {
        let token = self.peek().clone();
        let start = token.span.start();
        match self.text(token.span) {
            "true" | "false" => {
                let value = self.text(token.span) == "true";
                self.bump();
                Some(Expr { kind: ExprKind::Literal(Literal::Bool(value)), span: token.span })
            }
            "if" | "match" => self.block_like(),
            word if is_reserved(word) => self.unexpected("an expression", EXPR_HELP),
            _ if self.nth_is(1, &TokenKind::FatArrow) => {
                let param = self.name("a parameter name")?;
                self.bump();
                let body = self.nested(|p| p.binary(0, no_struct))?;
                Some(Expr { kind: ExprKind::Lambda { param, body: Box::new(body) }, span: self.span_from(start) })
            }
            _ if !no_struct && self.nth_is(1, &TokenKind::LBrace) && !self.nth(1).line_start => {
                let name = self.name("a type name")?;
                let fields = self.list(&TokenKind::LBrace, "struct fields", Self::field)?;
                Some(Expr { kind: ExprKind::Struct { name, fields }, span: self.span_from(start) })
            }
            word => {
                self.bump();
                Some(Expr { kind: ExprKind::Name(word.to_owned()), span: token.span })
            }
        }
    }

    fn field(&mut self) -> Option<FieldInit> {
        let start = self.start();
        let key = self.key("a field name", "write `field: value`")?;
        self.expect(&TokenKind::Colon, "`:` after the field name", "write `field: value`")?;
        let value = self.expr()?;
        Some(FieldInit { key, value, span: self.span_from(start) })
    }

    /// An `if` or `match` expression, which ends at its closing `}`.
    fn block_like(&mut self) -> Option<Expr> {
        let start = self.start();
        if self.at_word("if") {
            let if_expr = self.if_expr()?;
            return Some(Expr { span: if_expr.span, kind: ExprKind::If(Box::new(if_expr)) });
        }
        self.nested(|p| {
            p.bump();
            let scrutinee = p.expr_no_struct()?;
            let open = p.expect(
                &TokenKind::LBrace,
                "`{` to open the match arms",
                "write `match value { pattern => result }`",
            )?;
            let mut arms = Vec::new();
            while !p.block_done() {
                let before = p.consumed;
                match p.arm() {
                    Some(arm) => arms.push(arm),
                    None => p.recover(before),
                }
                if p.consumed == before {
                    p.bump();
                }
            }
            p.close(open, &TokenKind::RBrace);
            let kind = ExprKind::Match { scrutinee: Box::new(scrutinee), arms };
            Some(Expr { kind, span: p.span_from(start) })
        })
    }

    fn arm(&mut self) -> Option<MatchArm> {
        let start = self.start();
        let pattern = self.pattern()?;
        self.expect(&TokenKind::FatArrow, "`=>` after the pattern", "write `pattern => result`")?;
        let body =
            if self.at(&TokenKind::LBrace) { ArmBody::Block(self.block()?) } else { ArmBody::Expr(self.expr()?) };
        self.eat(&TokenKind::Comma);
        Some(MatchArm { pattern, body, span: self.span_from(start) })
    }

    fn if_expr(&mut self) -> Option<IfExpr> {
        self.nested(|p| {
            let start = p.start();
            p.bump();
            let cond = if p.eat_word("let") {
                let pattern = p.pattern()?;
                p.expect(&TokenKind::Eq, "`=` in `if let`", "write `if let pattern = value { ... }`")?;
                Cond::Let { pattern, value: p.expr_no_struct()? }
            } else {
                Cond::Expr(p.expr_no_struct()?)
            };
            let then = p.block()?;
            let otherwise = if p.eat_word("else") {
                if p.at_word("if") { Some(Else::If(Box::new(p.if_expr()?))) } else { Some(Else::Block(p.block()?)) }
            } else {
                None
            };
            Some(IfExpr { cond, then, otherwise, span: p.span_from(start) })
        })
    }

    fn pattern(&mut self) -> Option<Pattern> {
        self.nested(|p| {
            let token = p.peek().clone();
            let start = token.span.start();
            let literal = match token.kind {
                TokenKind::Int(value) => Some(Literal::Int(value)),
                TokenKind::Float(value) => Some(Literal::Float(value)),
                TokenKind::Str(value) => Some(Literal::Str(value)),
                TokenKind::Duration(value, unit) => Some(Literal::Duration { value, unit }),
                TokenKind::Word if matches!(p.text(token.span), "true" | "false") => {
                    Some(Literal::Bool(p.text(token.span) == "true"))
                }
                _ => None,
            };
            if let Some(literal) = literal {
                p.bump();
                return Some(Pattern { kind: PatternKind::Literal(literal), span: token.span });
            }
            if p.at_word("_") {
                p.bump();
                return Some(Pattern { kind: PatternKind::Wildcard, span: token.span });
            }
            let name = p.name("a pattern")?;
            if p.at(&TokenKind::LParen) {
                let args = p.list(&TokenKind::LParen, "patterns", Self::pattern)?;
                return Some(Pattern { kind: PatternKind::Constructor { name, args }, span: p.span_from(start) });
            }
            Some(Pattern { kind: PatternKind::Binding(name.name), span: name.span })
        })
    }

    pub(super) fn type_expr(&mut self) -> Option<TypeExpr> {
        self.nested(|p| {
            let start = p.start();
            let name = p.name("a type")?;
            let args = if p.at(&TokenKind::Lt) {
                p.list(&TokenKind::Lt, "type arguments", Self::type_expr)?
            } else {
                Vec::new()
            };
            Some(TypeExpr { name, args, span: p.span_from(start) })
        })
    }

    /// `open item, item, … close` with an optional trailing comma; the current token is `open`.
    pub(super) fn list<T>(
        &mut self,
        open: &TokenKind,
        what: &str,
        mut item: impl FnMut(&mut Self) -> Option<T>,
    ) -> Option<Vec<T>> {
        let close = match open {
            TokenKind::LParen => TokenKind::RParen,
            TokenKind::LBracket => TokenKind::RBracket,
            TokenKind::Lt => TokenKind::Gt,
            _ => TokenKind::RBrace,
        };
        let open_span = self.expect(open, "an opening bracket", "")?;
        let mut items = Vec::new();
        loop {
            if self.eat(&close) {
                return Some(items);
            }
            if self.at_eof() || self.at_item_start() {
                self.close_list(open_span, &close, what)?;
            }
            items.push(item(self)?);
            if !self.eat(&TokenKind::Comma) {
                self.close_list(open_span, &close, what)?;
                return Some(items);
            }
        }
    }

    /// Consumes `close`, or reports the list opened at `open` as unclosed (at the end of the
    /// file or the next item) or as missing a separator.
    fn close_list(&mut self, open: Span, close: &TokenKind, what: &str) -> Option<()> {
        if self.eat(close) {
            return Some(());
        }
        let (open_char, close_char) = match close {
            TokenKind::RParen => ('(', ')'),
            TokenKind::RBracket => ('[', ']'),
            TokenKind::Gt => ('<', '>'),
            _ => ('{', '}'),
        };
        if self.at_eof() || self.at_item_start() {
            self.error(ParseError::Unclosed { open: open_char, close: close_char, span: open });
            return None;
        }
        let expected = format!("`,` or `{close_char}`");
        self.unexpected(&expected, &format!("separate {what} with `,` and close with `{close_char}`"))
    }
}

fn binary_op(kind: &TokenKind, word: Option<&str>) -> Option<BinaryOp> {
    Some(match kind {
        TokenKind::OrOr => BinaryOp::Or,
        TokenKind::AndAnd => BinaryOp::And,
        TokenKind::EqEq => BinaryOp::Eq,
        TokenKind::NotEq => BinaryOp::Ne,
        TokenKind::Word if word == Some("in") => BinaryOp::In,
        TokenKind::Lt => BinaryOp::Lt,
        TokenKind::Gt => BinaryOp::Gt,
        TokenKind::Le => BinaryOp::Le,
        TokenKind::Ge => BinaryOp::Ge,
        TokenKind::Plus => BinaryOp::Add,
        TokenKind::Minus => BinaryOp::Sub,
        TokenKind::Star => BinaryOp::Mul,
        TokenKind::Slash => BinaryOp::Div,
        TokenKind::Percent => BinaryOp::Rem,
        _ => return None,
    })
}

fn assign_op(kind: &TokenKind) -> Option<AssignOp> {
    Some(match kind {
        TokenKind::Eq => AssignOp::Set,
        TokenKind::PlusEq => AssignOp::Add,
        TokenKind::MinusEq => AssignOp::Sub,
        TokenKind::StarEq => AssignOp::Mul,
        TokenKind::SlashEq => AssignOp::Div,
        TokenKind::PercentEq => AssignOp::Rem,
        _ => return None,
    })
}
