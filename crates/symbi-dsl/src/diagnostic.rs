//! Parse errors and the plain-text renderer. Errors carry spans and help as
//! `miette::Diagnostic`; [`render`] prints any diagnostic as `file:line:col`, a snippet with
//! carets and a help line, for the CLI and the golden tests (the binary may use miette instead).

use std::fmt;
use std::fmt::Write as _;

use crate::span::{Location, Span};

/// One problem found while reading `.symbi` source.
#[derive(Debug, Clone, PartialEq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum ParseError {
    /// A character that cannot start any token.
    #[error("unexpected character `{ch}`")]
    #[diagnostic(
        code(symbi_dsl::invalid_character),
        help("remove it; text belongs in double quotes and comments start with `//` or `#`")
    )]
    InvalidCharacter {
        /// The character.
        ch: char,
        /// Where it is.
        #[label("not part of the language")]
        span: Span,
    },
    /// A string with no closing quote on its line.
    #[error("unterminated string")]
    #[diagnostic(
        code(symbi_dsl::unterminated_string),
        help("close the string with `\"` on the same line; write line breaks as `\\n`")
    )]
    UnterminatedString {
        /// From the opening quote to the end of the line.
        #[label("string starts here")]
        span: Span,
    },
    /// A backslash escape the language does not know.
    #[error("unknown escape `{escape}` in string")]
    #[diagnostic(
        code(symbi_dsl::invalid_escape),
        help("use `\\n`, `\\t`, `\\r`, `\\0`, `\\\"`, `\\\\` or `\\u{{…}}`, or double the backslash")
    )]
    InvalidEscape {
        /// The escape as written.
        escape: String,
        /// Where it is.
        #[label("unknown escape")]
        span: Span,
    },
    /// A malformed number or duration.
    #[error("invalid number `{text}`: {reason}")]
    #[diagnostic(
        code(symbi_dsl::invalid_number),
        help("numbers look like `42`, `1_000` or `3.14`; durations like `30.seconds`, `5m` or `90d`")
    )]
    InvalidNumber {
        /// The token as written.
        text: String,
        /// What is wrong with it.
        reason: String,
        /// Where it is.
        #[label("invalid number")]
        span: Span,
    },
    /// `vault://` with no path after it.
    #[error("empty `vault://` reference")]
    #[diagnostic(
        code(symbi_dsl::empty_vault_reference),
        help("write the secret's path, like `vault://webhooks/github`")
    )]
    EmptyVaultReference {
        /// Where it is.
        #[label("no path")]
        span: Span,
    },
    /// A token where the grammar wants something else.
    #[error("expected {expected}, found {found}")]
    #[diagnostic(code(symbi_dsl::unexpected_token))]
    Unexpected {
        /// What the grammar allows here.
        expected: String,
        /// What was found.
        found: String,
        /// Where it is.
        #[label("expected {expected}")]
        span: Span,
        /// How to fix it.
        #[help]
        help: String,
    },
    /// A `{`, `(` or `[` that is never closed.
    #[error("unclosed `{open}`")]
    #[diagnostic(code(symbi_dsl::unclosed_delimiter), help("add the matching `{close}`"))]
    Unclosed {
        /// The opening delimiter.
        open: char,
        /// The closing delimiter it needs.
        close: char,
        /// The opening delimiter's position.
        #[label("opened here")]
        span: Span,
    },
    /// Nesting past the parser's limit.
    #[error("nesting deeper than `{limit}` levels")]
    #[diagnostic(
        code(symbi_dsl::too_deep),
        help("split the expression or block into smaller parts, for example with `let` bindings")
    )]
    TooDeep {
        /// The limit.
        limit: usize,
        /// Where the limit was passed.
        #[label("too deep")]
        span: Span,
    },
    /// Source larger than the parser accepts.
    #[error("source is `{len}` bytes, over the limit of `{limit}`")]
    #[diagnostic(code(symbi_dsl::too_large), help("split the definitions into several files"))]
    TooLarge {
        /// The source length in bytes.
        len: usize,
        /// The limit in bytes.
        limit: usize,
        /// The start of the file.
        #[label("file starts here")]
        span: Span,
    },
    /// So many errors that the parser stopped reporting.
    #[error("too many errors (`{limit}`); stopped here")]
    #[diagnostic(code(symbi_dsl::too_many_errors), help("fix the errors above and check again"))]
    TooManyErrors {
        /// The limit.
        limit: usize,
        /// Where the parser stopped.
        #[label("stopped here")]
        span: Span,
    },
}

impl ParseError {
    /// Where the error is.
    pub fn span(&self) -> Span {
        match self {
            Self::InvalidCharacter { span, .. }
            | Self::UnterminatedString { span }
            | Self::InvalidEscape { span, .. }
            | Self::InvalidNumber { span, .. }
            | Self::EmptyVaultReference { span }
            | Self::Unexpected { span, .. }
            | Self::Unclosed { span, .. }
            | Self::TooDeep { span, .. }
            | Self::TooLarge { span, .. }
            | Self::TooManyErrors { span, .. } => *span,
        }
    }
}

/// Every error found in one pass over a source; never empty.
#[derive(Debug, Clone, PartialEq, thiserror::Error, miette::Diagnostic)]
pub struct ParseErrors {
    // INVARIANT (non-empty): built only by `new`, which refuses an empty list.
    #[related]
    errors: Vec<ParseError>,
}

impl ParseErrors {
    pub(crate) fn new(errors: Vec<ParseError>) -> Option<Self> {
        if errors.is_empty() { None } else { Some(Self { errors }) }
    }

    /// The errors in source order.
    pub fn as_slice(&self) -> &[ParseError] {
        &self.errors
    }

    /// The errors in source order.
    pub fn iter(&self) -> std::slice::Iter<'_, ParseError> {
        self.errors.iter()
    }

    /// The errors, owned.
    pub fn into_vec(self) -> Vec<ParseError> {
        self.errors
    }
}

impl fmt::Display for ParseErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        summarize(f, &self.errors)
    }
}

impl<'a> IntoIterator for &'a ParseErrors {
    type Item = &'a ParseError;
    type IntoIter = std::slice::Iter<'a, ParseError>;

    fn into_iter(self) -> Self::IntoIter {
        self.errors.iter()
    }
}

/// `first message` or `first message (and N more errors)`.
pub(crate) fn summarize<E: fmt::Display>(f: &mut fmt::Formatter<'_>, errors: &[E]) -> fmt::Result {
    match errors {
        [] => Ok(()),
        [only] => write!(f, "{only}"),
        [first, rest @ ..] => {
            let more = rest.len();
            write!(f, "{first} (and `{more}` more error{})", if more == 1 { "" } else { "s" })
        }
    }
}

/// Renders a diagnostic as plain text: for each error (the diagnostic itself, or each of its
/// related errors when it is a list), a `file:line:col: error: message` line, the source lines
/// under its labels with carets, and its help.
pub fn render(file_name: &str, source: &str, diagnostic: &dyn miette::Diagnostic) -> String {
    let mut out = String::new();
    match diagnostic.related() {
        Some(related) => {
            for (index, item) in related.enumerate() {
                if index > 0 {
                    out.push('\n');
                }
                render_one(&mut out, file_name, source, item);
            }
        }
        None => render_one(&mut out, file_name, source, diagnostic),
    }
    out
}

fn render_one(out: &mut String, file_name: &str, source: &str, diagnostic: &dyn miette::Diagnostic) {
    let labels: Vec<miette::LabeledSpan> = diagnostic.labels().map(Iterator::collect).unwrap_or_default();
    let primary = labels.iter().find(|label| label.primary()).or(labels.first());
    let at = primary.map_or(0, |label| label.offset());
    let location = Location::of(source, at);
    // Writing to a `String` cannot fail.
    let _ = writeln!(out, "{file_name}:{}:{}: error: {diagnostic}", location.line, location.column);
    let mut sorted: Vec<&miette::LabeledSpan> = labels.iter().collect();
    sorted.sort_by_key(|label| label.offset());
    let width =
        sorted.iter().map(|label| Location::of(source, label.offset()).line.to_string().len()).max().unwrap_or(1);
    let pad = " ".repeat(width);
    if !sorted.is_empty() {
        let _ = writeln!(out, "{pad} |");
    }
    for label in sorted {
        let span = Span::new(label.offset(), label.offset() + label.len());
        let start = Location::of(source, span.start());
        let line_text = source.lines().nth(start.line.saturating_sub(1)).unwrap_or("");
        let line_text = line_text.strip_suffix('\r').unwrap_or(line_text);
        let _ = writeln!(out, "{:>width$} | {line_text}", start.line);
        // Carets cover the span's characters on its first line, at least one.
        let indent: String =
            line_text.chars().take(start.column - 1).map(|ch| if ch == '\t' { '\t' } else { ' ' }).collect();
        let line_chars = line_text.chars().count();
        let span_chars = source.get(span.start()..span.end()).map_or(0, |text| text.chars().count());
        let carets = span_chars.min(line_chars.saturating_sub(start.column - 1)).max(1);
        let text = label.label().map(|text| format!(" {text}")).unwrap_or_default();
        let _ = writeln!(out, "{pad} | {indent}{}{text}", "^".repeat(carets));
    }
    if let Some(help) = diagnostic.help() {
        let _ = writeln!(out, "{pad} = help: {help}");
    }
}
