//! Hand-written recursive-descent parser: pulls tokens from the lexer and builds the [`File`]
//! tree, recording every error and resynchronising (at `;`, `}` or the next line) instead of
//! stopping. Hard limits on input size, nesting depth and error count keep any input fast.
//! `item` parses top-level and block members, `expr` statements, expressions and types.

mod expr;
mod item;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use crate::ast::{File, Ident, is_reserved};
use crate::diagnostic::ParseError;
use crate::lexer::{Comment, Lexer, Token, TokenKind};
use crate::span::Span;

/// How deeply blocks, expressions, operator chains and types may nest.
pub const MAX_DEPTH: usize = 128;
/// The largest source the parser reads, in bytes.
pub const MAX_SOURCE_BYTES: usize = 4 * 1024 * 1024;
/// After this many errors the parser stops and says so.
pub const MAX_ERRORS: usize = 100;

/// The result of one parse: the (possibly partial) tree, its comments and every error.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub(crate) file: File,
    pub(crate) comments: Vec<Comment>,
    pub(crate) errors: Vec<ParseError>,
}

pub(crate) fn parse_source(source: &str) -> Parsed {
    if source.len() > MAX_SOURCE_BYTES {
        let error = ParseError::TooLarge { len: source.len(), limit: MAX_SOURCE_BYTES, span: Span::new(0, 0) };
        return Parsed { file: File::default(), comments: Vec::new(), errors: vec![error] };
    }
    let mut parser = Parser::new(source);
    let file = parser.file();
    let Parser { lexer, mut errors, .. } = parser;
    let mut all = lexer.errors;
    all.append(&mut errors);
    all.sort_by_key(|error| error.span().start());
    all.dedup();
    if all.len() > MAX_ERRORS {
        let span = all.get(MAX_ERRORS).map_or_else(Span::default, ParseError::span);
        all.truncate(MAX_ERRORS);
        all.push(ParseError::TooManyErrors { limit: MAX_ERRORS, span });
    }
    Parsed { file, comments: lexer.comments, errors: all }
}

pub(crate) struct Parser<'s> {
    source: &'s str,
    lexer: Lexer<'s>,
    // INVARIANT (lookahead): holds at least `LOOKAHEAD` tokens unless the lexer has reached the
    // end, in which case the last one is `Eof`.
    ahead: VecDeque<Token>,
    eof: Token,
    /// Tokens consumed so far; loops compare it to guarantee progress.
    consumed: usize,
    /// End of the last consumed token, for node spans.
    last_end: usize,
    errors: Vec<ParseError>,
    depth: usize,
    /// Set by a hard limit: every token reads as `Eof` so all loops end at once.
    fatal: bool,
}

const LOOKAHEAD: usize = 3;

impl<'s> Parser<'s> {
    fn new(source: &'s str) -> Self {
        let end = source.len();
        let mut parser = Self {
            source,
            lexer: Lexer::new(source),
            ahead: VecDeque::with_capacity(LOOKAHEAD + 1),
            eof: Token { kind: TokenKind::Eof, span: Span::new(end, end), line_start: true },
            consumed: 0,
            last_end: 0,
            errors: Vec::new(),
            depth: 0,
            fatal: false,
        };
        parser.fill();
        parser
    }

    fn fill(&mut self) {
        while self.ahead.len() < LOOKAHEAD {
            if self.ahead.back().is_some_and(|token| token.kind == TokenKind::Eof) {
                return;
            }
            let token = self.lexer.next_token();
            self.ahead.push_back(token);
        }
    }

    fn file(&mut self) -> File {
        let mut items = Vec::new();
        while !self.at_eof() {
            let before = self.consumed;
            match self.item() {
                Some(item) => items.push(item),
                None => self.recover_item(),
            }
            if self.consumed == before {
                self.bump();
            }
        }
        File { items, span: Span::new(0, self.source.len()) }
    }

    // ---- token access -------------------------------------------------------------------------

    fn nth(&self, n: usize) -> &Token {
        if self.fatal {
            return &self.eof;
        }
        // INVARIANT (lookahead): a missing token means the end was already reached.
        self.ahead.get(n).or(self.ahead.back()).unwrap_or(&self.eof)
    }

    fn peek(&self) -> &Token {
        self.nth(0)
    }

    fn kind(&self) -> &TokenKind {
        &self.peek().kind
    }

    fn at(&self, kind: &TokenKind) -> bool {
        self.kind() == kind
    }

    fn nth_is(&self, n: usize, kind: &TokenKind) -> bool {
        &self.nth(n).kind == kind
    }

    fn at_eof(&self) -> bool {
        self.at(&TokenKind::Eof)
    }

    fn text(&self, span: Span) -> &'s str {
        self.source.get(span.start()..span.end()).unwrap_or("")
    }

    /// The current token's text if it is a word.
    fn word(&self) -> Option<&'s str> {
        self.nth_word(0)
    }

    fn nth_word(&self, n: usize) -> Option<&'s str> {
        let token = self.nth(n);
        (token.kind == TokenKind::Word).then(|| self.text(token.span))
    }

    fn at_word(&self, word: &str) -> bool {
        self.word() == Some(word)
    }

    fn bump(&mut self) -> Token {
        if self.fatal {
            return self.eof.clone();
        }
        let Some(token) = self.ahead.pop_front() else {
            return self.eof.clone();
        };
        if token.kind == TokenKind::Eof {
            // Keep `Eof` in place so every later peek still sees it.
            self.ahead.push_front(token.clone());
            return token;
        }
        self.consumed += 1;
        self.last_end = token.span.end();
        self.fill();
        token
    }

    fn eat(&mut self, kind: &TokenKind) -> bool {
        if self.at(kind) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn eat_word(&mut self, word: &str) -> bool {
        if self.at_word(word) {
            self.bump();
            true
        } else {
            false
        }
    }

    /// Span from `start` to the end of the last consumed token.
    fn span_from(&self, start: usize) -> Span {
        Span::new(start, self.last_end.max(start))
    }

    fn start(&self) -> usize {
        self.peek().span.start()
    }

    // ---- errors -------------------------------------------------------------------------------

    fn error(&mut self, error: ParseError) {
        if self.fatal {
            return;
        }
        self.errors.push(error);
        if self.errors.len() + self.lexer.errors.len() > MAX_ERRORS {
            self.fatal = true;
        }
    }

    /// Records "expected …, found <current token>" and returns `None` for `?`.
    fn unexpected<T>(&mut self, expected: &str, help: &str) -> Option<T> {
        let token = self.peek();
        let found = self.describe(token);
        let span = token.span;
        self.error(ParseError::Unexpected { expected: expected.to_owned(), found, span, help: help.to_owned() });
        None
    }

    /// Like [`Parser::unexpected`], but when the current token starts a new line the error
    /// points at the end of the previous line, where the missing piece belongs.
    fn missing<T>(&mut self, expected: &str, help: &str) -> Option<T> {
        if !self.peek().line_start {
            return self.unexpected(expected, help);
        }
        let found = self.describe(self.peek());
        let span = Span::new(self.last_end, self.last_end);
        self.error(ParseError::Unexpected { expected: expected.to_owned(), found, span, help: help.to_owned() });
        None
    }

    fn describe(&self, token: &Token) -> String {
        let text = self.text(token.span);
        match &token.kind {
            TokenKind::Eof => "end of file".to_owned(),
            TokenKind::Word if is_reserved(text) => format!("keyword `{text}`"),
            TokenKind::Word => format!("`{text}`"),
            TokenKind::Str(_) => {
                let short: String = text.chars().take(32).collect();
                let dots = if short.len() < text.len() { "…" } else { "" };
                format!("string `{short}{dots}`")
            }
            TokenKind::Int(_) | TokenKind::Float(_) => format!("number `{text}`"),
            TokenKind::Duration(..) => format!("duration `{text}`"),
            TokenKind::Vault(_) => format!("vault reference `{text}`"),
            _ => format!("`{text}`"),
        }
    }

    fn expect(&mut self, kind: &TokenKind, expected: &str, help: &str) -> Option<Span> {
        if self.at(kind) { Some(self.bump().span) } else { self.unexpected(expected, help) }
    }

    /// Enters one nesting level; past [`MAX_DEPTH`] the parse stops with one error. Every
    /// `Some` must be paired with one [`Parser::leave`].
    fn enter(&mut self) -> Option<()> {
        if self.depth >= MAX_DEPTH {
            if !self.fatal {
                let span = self.peek().span;
                self.errors.push(ParseError::TooDeep { limit: MAX_DEPTH, span });
                self.fatal = true;
            }
            return None;
        }
        self.depth += 1;
        Some(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Runs `parse` one nesting level deeper.
    fn nested<T>(&mut self, parse: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        self.enter()?;
        let result = parse(self);
        self.leave();
        result
    }

    /// A name that may be used in expressions (not a reserved word).
    fn name(&mut self, what: &str) -> Option<Ident> {
        match self.word() {
            Some(word) if !is_reserved(word) => {
                let span = self.bump().span;
                Some(Ident { name: word.to_owned(), span })
            }
            _ => self.unexpected(what, "names start with a letter or `_` and are not keywords"),
        }
    }

    /// Any word, keywords included (keys of entries and fields after `.`).
    fn key(&mut self, what: &str, help: &str) -> Option<Ident> {
        match self.word() {
            Some(word) => {
                let span = self.bump().span;
                Some(Ident { name: word.to_owned(), span })
            }
            None => self.unexpected(what, help),
        }
    }

    // ---- recovery -----------------------------------------------------------------------------

    /// Skips the rest of a broken member: up to and including a `;`, or up to a `}` closing the
    /// enclosing block, or up to the next line, whichever comes first (at bracket depth 0).
    /// `before` is the token count when the member started: if the member already consumed
    /// tokens and the error is at the start of a line, nothing is skipped, because that line
    /// is most likely the next member.
    fn recover(&mut self, before: usize) {
        if self.consumed > before && self.peek().line_start {
            return;
        }
        let mut depth = 0usize;
        let mut first = true;
        loop {
            let token = self.peek();
            if token.kind == TokenKind::Eof {
                return;
            }
            if depth == 0 && !first && token.line_start {
                return;
            }
            match token.kind {
                TokenKind::RBrace if depth == 0 => return,
                TokenKind::Semi if depth == 0 => {
                    self.bump();
                    return;
                }
                TokenKind::LBrace | TokenKind::LParen | TokenKind::LBracket => depth += 1,
                TokenKind::RBrace | TokenKind::RParen | TokenKind::RBracket => depth = depth.saturating_sub(1),
                _ => {}
            }
            self.bump();
            first = false;
        }
    }

    /// Skips a broken top-level item up to the next line that starts an item.
    fn recover_item(&mut self) {
        let mut depth = 0usize;
        let mut first = true;
        while !self.at_eof() {
            if depth == 0 && !first && self.at_item_start() {
                return;
            }
            match self.kind() {
                TokenKind::LBrace | TokenKind::LParen | TokenKind::LBracket => depth += 1,
                TokenKind::RBrace | TokenKind::RParen | TokenKind::RBracket => depth = depth.saturating_sub(1),
                _ => {}
            }
            self.bump();
            first = false;
        }
    }

    /// Whether the current token starts a top-level item on a new line, such as `agent x {`.
    /// Blocks stop at such a line and report their own `{` as unclosed, so one missing `}`
    /// does not swallow the rest of the file.
    fn at_item_start(&self) -> bool {
        if !self.peek().line_start {
            return false;
        }
        let next_is_word = self.nth(1).kind == TokenKind::Word;
        match self.word() {
            Some("metadata") => self.nth_is(1, &TokenKind::LBrace),
            Some("agent" | "schedule" | "webhook" | "memory" | "channel") => {
                next_is_word && matches!(self.nth(2).kind, TokenKind::LBrace | TokenKind::LParen)
            }
            Some("type") => next_is_word && self.nth_is(2, &TokenKind::Eq),
            _ => false,
        }
    }

    /// Consumes the `close` token that ends a block opened at `open`, or reports it unclosed.
    fn close(&mut self, open: Span, close: &TokenKind) {
        if self.eat(close) {
            return;
        }
        let (open_char, close_char) = match close {
            TokenKind::RParen => ('(', ')'),
            TokenKind::RBracket => ('[', ']'),
            _ => ('{', '}'),
        };
        if self.at_eof() || self.at_item_start() {
            self.error(ParseError::Unclosed { open: open_char, close: close_char, span: open });
        } else {
            let expected = format!("`{close_char}`");
            let _: Option<()> = self.unexpected(&expected, "close the block before starting another");
        }
    }

    /// Whether a member loop of a `{ … }` block should stop (at `}`, end of file or a new item).
    fn block_done(&self) -> bool {
        self.at(&TokenKind::RBrace) || self.at_eof() || self.at_item_start()
    }
}
