//! Turns source text into tokens and comments. The parser reads the tokens; the formatter puts
//! the comments back. Lexing never stops at an error: a bad character or malformed literal
//! becomes a diagnostic and the rest of the file is still read, so one pass reports everything.

use crate::ast::DurationUnit;
use crate::diagnostic::ParseError;
use crate::parser::MAX_ERRORS;
use crate::span::Span;

/// Token kinds. Words (names and keywords alike) are `Word`; the parser reads their text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind {
    Word,
    Int(u64),
    Float(f64),
    Str(String),
    Duration(u64, DurationUnit),
    Vault(String),
    LBrace,
    RBrace,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Colon,
    Semi,
    Dot,
    Arrow,
    FatArrow,
    Eq,
    EqEq,
    NotEq,
    Lt,
    Gt,
    Le,
    Ge,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    PlusEq,
    MinusEq,
    StarEq,
    SlashEq,
    PercentEq,
    AndAnd,
    OrOr,
    Bang,
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub(crate) kind: TokenKind,
    pub(crate) span: Span,
    /// Whether this is the first token on its line (recovery resumes at line starts).
    pub(crate) line_start: bool,
}

/// A `//` or `#` comment; `text` includes the marker and has no trailing whitespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Comment {
    pub(crate) text: String,
    pub(crate) span: Span,
}

/// Everything [`lex`] found; `tokens` ends with one `Eof` token.
#[cfg(test)]
#[derive(Debug, Default)]
pub(crate) struct Lexed {
    pub(crate) tokens: Vec<Token>,
    pub(crate) comments: Vec<Comment>,
    pub(crate) errors: Vec<ParseError>,
}

/// Lexes a whole source at once (tests; the parser pulls tokens one at a time).
#[cfg(test)]
pub(crate) fn lex(source: &str) -> Lexed {
    let mut lexer = Lexer::new(source);
    let mut tokens = Vec::new();
    loop {
        let token = lexer.next_token();
        let done = token.kind == TokenKind::Eof;
        tokens.push(token);
        if done {
            break;
        }
    }
    Lexed { tokens, comments: lexer.comments, errors: lexer.errors }
}

/// How many tokens `source` lexes into, comments and errors aside: the baseline the parser's
/// bench measures against (parsing can be no faster than reading every token once).
pub(crate) fn token_count(source: &str) -> usize {
    let mut lexer = Lexer::new(source);
    let mut count = 0_usize;
    while lexer.next_token().kind != TokenKind::Eof {
        count = count.saturating_add(1);
    }
    count
}

/// A pull lexer: the parser asks for one token at a time, so a parse that stops early (nesting
/// limit, too many errors) never pays for lexing or storing the rest of a huge input.
pub(crate) struct Lexer<'s> {
    src: &'s str,
    bytes: &'s [u8],
    pos: usize,
    line_start: bool,
    pending: Option<Token>,
    pub(crate) comments: Vec<Comment>,
    pub(crate) errors: Vec<ParseError>,
}

impl<'s> Lexer<'s> {
    pub(crate) fn new(src: &'s str) -> Self {
        let pos = if src.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };
        Self {
            src,
            bytes: src.as_bytes(),
            pos,
            line_start: true,
            pending: None,
            comments: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// The next token, or `Eof` (again and again) at the end.
    pub(crate) fn next_token(&mut self) -> Token {
        while let Some(byte) = self.peek() {
            let start = self.pos;
            match byte {
                b'\n' => {
                    self.pos += 1;
                    self.line_start = true;
                }
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'/' if self.peek_at(1) == Some(b'/') => self.comment(),
                b'#' => self.comment(),
                b'"' => self.string(),
                b'0'..=b'9' => self.number(),
                b'a'..=b'z' | b'A'..=b'Z' | b'_' => self.word(),
                _ => {
                    if let Some(kind) = self.punct(byte) {
                        self.push(kind, start);
                    } else {
                        let ch = self.src.get(start..).and_then(|rest| rest.chars().next()).unwrap_or('\u{fffd}');
                        self.pos += ch.len_utf8().max(1);
                        self.error(ParseError::InvalidCharacter { ch, span: Span::new(start, self.pos) });
                    }
                }
            }
            if let Some(token) = self.pending.take() {
                return token;
            }
        }
        let end = self.bytes.len();
        Token { kind: TokenKind::Eof, span: Span::new(end, end), line_start: true }
    }

    fn error(&mut self, error: ParseError) {
        // Garbage input could otherwise hold one error per byte; the parser reports the cut.
        if self.errors.len() <= MAX_ERRORS {
            self.errors.push(error);
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        self.pending = Some(Token { kind, span: Span::new(start, self.pos), line_start: self.line_start });
        self.line_start = false;
    }

    fn comment(&mut self) {
        let start = self.pos;
        while self.peek().is_some_and(|byte| byte != b'\n') {
            self.pos += 1;
        }
        let text = self.src.get(start..self.pos).unwrap_or("").trim_end().to_owned();
        self.comments.push(Comment { span: Span::new(start, start + text.len()), text });
    }

    fn punct(&mut self, byte: u8) -> Option<TokenKind> {
        use TokenKind as T;
        let next = self.peek_at(1);
        let (kind, len) = match (byte, next) {
            (b'{', _) => (T::LBrace, 1),
            (b'}', _) => (T::RBrace, 1),
            (b'(', _) => (T::LParen, 1),
            (b')', _) => (T::RParen, 1),
            (b'[', _) => (T::LBracket, 1),
            (b']', _) => (T::RBracket, 1),
            (b',', _) => (T::Comma, 1),
            (b':', _) => (T::Colon, 1),
            (b';', _) => (T::Semi, 1),
            (b'.', _) => (T::Dot, 1),
            (b'-', Some(b'>')) => (T::Arrow, 2),
            (b'-', Some(b'=')) => (T::MinusEq, 2),
            (b'-', _) => (T::Minus, 1),
            (b'=', Some(b'>')) => (T::FatArrow, 2),
            (b'=', Some(b'=')) => (T::EqEq, 2),
            (b'=', _) => (T::Eq, 1),
            (b'!', Some(b'=')) => (T::NotEq, 2),
            (b'!', _) => (T::Bang, 1),
            (b'<', Some(b'=')) => (T::Le, 2),
            (b'<', _) => (T::Lt, 1),
            (b'>', Some(b'=')) => (T::Ge, 2),
            (b'>', _) => (T::Gt, 1),
            (b'+', Some(b'=')) => (T::PlusEq, 2),
            (b'+', _) => (T::Plus, 1),
            (b'*', Some(b'=')) => (T::StarEq, 2),
            (b'*', _) => (T::Star, 1),
            (b'/', Some(b'=')) => (T::SlashEq, 2),
            (b'/', _) => (T::Slash, 1),
            (b'%', Some(b'=')) => (T::PercentEq, 2),
            (b'%', _) => (T::Percent, 1),
            (b'&', Some(b'&')) => (T::AndAnd, 2),
            (b'|', Some(b'|')) => (T::OrOr, 2),
            _ => return None,
        };
        self.pos += len;
        Some(kind)
    }

    fn word(&mut self) {
        let start = self.pos;
        self.eat_word_chars();
        if self.src.get(start..self.pos) == Some("vault")
            && self.src.get(self.pos..).is_some_and(|r| r.starts_with("://"))
        {
            self.pos += 3;
            let path_start = self.pos;
            while self.peek().is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/')) {
                self.pos += 1;
            }
            let path = self.src.get(path_start..self.pos).unwrap_or("").to_owned();
            if path.is_empty() {
                self.error(ParseError::EmptyVaultReference { span: Span::new(start, self.pos) });
            }
            self.push(TokenKind::Vault(path), start);
            return;
        }
        self.push(TokenKind::Word, start);
    }

    fn eat_word_chars(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_') {
            self.pos += 1;
        }
    }

    fn number(&mut self) {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit() || b == b'_') {
            self.pos += 1;
        }
        let mut is_float = false;
        if self.peek() == Some(b'.') && self.peek_at(1).is_some_and(|b| b.is_ascii_digit()) {
            is_float = true;
            self.pos += 1;
            while self.peek().is_some_and(|b| b.is_ascii_digit() || b == b'_') {
                self.pos += 1;
            }
        }
        let digits_end = self.pos;
        let digits: String = self.src.get(start..digits_end).unwrap_or("").chars().filter(|&c| c != '_').collect();
        // A unit straight after the digits (`5m`), or `.seconds` / `.minutes` / `.hours`.
        let mut unit = None;
        if self.peek().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_') {
            self.eat_word_chars();
            let suffix = self.src.get(digits_end..self.pos).unwrap_or("");
            match DurationUnit::from_suffix(suffix).filter(|u| !u.suffix().starts_with('.')) {
                Some(found) if !is_float => unit = Some(found),
                _ => {
                    let reason = if is_float {
                        "durations take whole numbers".to_owned()
                    } else {
                        format!("unknown unit `{suffix}`")
                    };
                    return self.bad_number(start, reason);
                }
            }
        } else if !is_float && self.peek() == Some(b'.') {
            let after_dot = self.pos + 1;
            let mut end = after_dot;
            while self.bytes.get(end).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_') {
                end += 1;
            }
            let word = self.src.get(after_dot..end).unwrap_or("");
            if let Some(found) = DurationUnit::from_suffix(word).filter(|u| u.suffix().starts_with('.')) {
                self.pos = end;
                unit = Some(found);
            }
        }
        if is_float {
            match digits.parse::<f64>() {
                Ok(value) if value.is_finite() => self.push(TokenKind::Float(value), start),
                _ => self.bad_number(start, "too large".to_owned()),
            }
            return;
        }
        match digits.parse::<u64>() {
            Ok(value) => match unit {
                Some(unit) => self.push(TokenKind::Duration(value, unit), start),
                None => self.push(TokenKind::Int(value), start),
            },
            Err(_) => self.bad_number(start, format!("larger than `{}`", u64::MAX)),
        }
    }

    fn bad_number(&mut self, start: usize, reason: String) {
        let span = Span::new(start, self.pos);
        let text = self.src.get(start..self.pos).unwrap_or("").to_owned();
        self.error(ParseError::InvalidNumber { text, reason, span });
        // Keep a placeholder so the parser does not report the same spot again.
        self.push(TokenKind::Int(0), start);
    }

    fn string(&mut self) {
        let start = self.pos;
        self.pos += 1;
        let mut value = String::new();
        loop {
            let Some(byte) = self.peek() else {
                self.error(ParseError::UnterminatedString { span: Span::new(start, self.pos) });
                break;
            };
            match byte {
                b'"' => {
                    self.pos += 1;
                    break;
                }
                b'\n' => {
                    self.error(ParseError::UnterminatedString { span: Span::new(start, self.pos) });
                    break;
                }
                b'\\' => self.escape(&mut value),
                _ => {
                    let ch = self.src.get(self.pos..).and_then(|rest| rest.chars().next()).unwrap_or('\u{fffd}');
                    value.push(ch);
                    self.pos += ch.len_utf8().max(1);
                }
            }
        }
        self.push(TokenKind::Str(value), start);
    }

    fn escape(&mut self, value: &mut String) {
        let start = self.pos;
        self.pos += 1;
        let simple = match self.peek() {
            Some(b'n') => Some('\n'),
            Some(b't') => Some('\t'),
            Some(b'r') => Some('\r'),
            Some(b'0') => Some('\0'),
            Some(b'"') => Some('"'),
            Some(b'\\') => Some('\\'),
            _ => None,
        };
        if let Some(ch) = simple {
            self.pos += 1;
            value.push(ch);
            return;
        }
        if self.peek() == Some(b'u') && self.peek_at(1) == Some(b'{') {
            let digits_start = self.pos + 2;
            let mut end = digits_start;
            while self.bytes.get(end).is_some_and(u8::is_ascii_hexdigit) && end - digits_start < 6 {
                end += 1;
            }
            if end > digits_start && self.bytes.get(end) == Some(&b'}') {
                let code = self.src.get(digits_start..end).and_then(|hex| u32::from_str_radix(hex, 16).ok());
                if let Some(ch) = code.and_then(char::from_u32) {
                    self.pos = end + 1;
                    value.push(ch);
                    return;
                }
                self.pos = end + 1;
                let escape = self.src.get(start..self.pos).unwrap_or("").to_owned();
                self.error(ParseError::InvalidEscape { escape, span: Span::new(start, self.pos) });
                return;
            }
        }
        // Unknown escape: report it and skip the backslash and the next character (not a newline,
        // so an unterminated string is still reported as such).
        let next = self.src.get(self.pos..).and_then(|rest| rest.chars().next()).filter(|&ch| ch != '\n');
        self.pos += next.map_or(0, char::len_utf8);
        let escape = self.src.get(start..self.pos).unwrap_or("\\").to_owned();
        self.error(ParseError::InvalidEscape { escape, span: Span::new(start, self.pos) });
    }
}

#[cfg(test)]
mod tests;
