//! The `.symbi` agent language: lexer, parser, diagnostics, semantic checks and formatter.
//!
//! # Overview
//!
//! ```text
//! source ──lexer──► tokens ──parser──► ast::File ──check──► model::Model ──► runtime, Cedar
//!                     │                   │    └──print/format──► canonical source
//!                 comments ───────────────┴──► format (puts them back)
//! ```
//!
//! - [`parse`] is the strict path used by `symbi run` and `symbi up`: a tree, or every syntax
//!   error in the file as [`ParseErrors`]. [`parse_tolerant`] returns a partial tree together
//!   with the errors, for `symbi fmt`, editors and other tooling.
//! - [`ast`] is the syntax tree as written; every node keeps its [`Span`].
//!   [`ast::File::without_spans`] compares two trees by meaning.
//! - [`check`] turns a tree into the checked [`model::Model`] (agents with capabilities,
//!   policies, sandbox [`model::Tier`] and timeout; schedules, webhooks, channels, memory),
//!   or every semantic error as [`CheckErrors`].
//! - [`format()`] prints source in the canonical layout with comments kept, refuses source with
//!   errors and verifies that its output means the same; [`print()`] prints a tree.
//! - Errors implement `miette::Diagnostic` (labels, help, codes); [`render`] prints any of them
//!   as `file:line:col: error: …` with a snippet, carets and a help line.
//!
//! The grammar is written down in `GRAMMAR.md` next to this crate's `Cargo.toml`.
//!
//! # What it never does
//!
//! It does no I/O, knows nothing of Cedar, tokio or the runtime, runs no agent code and does
//! not resolve `vault://` references. Bad input never panics, overflows the stack or hangs:
//! sources over [`MAX_SOURCE_BYTES`], nesting past [`MAX_DEPTH`] and more than [`MAX_ERRORS`]
//! errors end the parse with an error. Tree and model types are not `Serialize`; wire formats
//! are converted by hand at the edge.
//!
//! # Features
//!
//! None.
//!
//! # Example
//!
//! ```
//! let source = r#"
//! agent hello(question: String) -> String {
//!     policy hello_policy {
//!         allow: read(question)
//!         deny: send_email without approval
//!     }
//!     with sandbox = "tier1", timeout = 30.seconds {
//!         return respond(question);
//!     }
//! }
//! "#;
//! let file = symbi_dsl::parse(source)?;
//! let model = symbi_dsl::check(&file)?;
//! let agent = model.agent("hello").expect("defined above");
//! assert_eq!(agent.tier(), Some(symbi_dsl::model::Tier::Container));
//! assert_eq!(agent.timeout(), Some(std::time::Duration::from_secs(30)));
//! assert!(agent.policies()[0].rules()[1].requires_approval());
//!
//! let broken = "agent hello {\n    with sandbox = \"tier9\" {\n        x = 1\n    }\n}\n";
//! let errors = symbi_dsl::parse(broken).unwrap_err();
//! let text = symbi_dsl::render("hello.symbi", broken, &errors);
//! assert!(text.starts_with("hello.symbi:3:14: error: expected `;`, found `}`"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![deny(clippy::indexing_slicing)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod ast;
mod diagnostic;
mod format;
mod lexer;
pub mod model;
mod parser;
mod semantic;
mod span;

pub use crate::diagnostic::{ParseError, ParseErrors, render};
pub use crate::format::{FormatError, format, print};
pub use crate::parser::{MAX_DEPTH, MAX_ERRORS, MAX_SOURCE_BYTES};
pub use crate::semantic::check;
pub use crate::semantic::error::{CheckError, CheckErrors};
pub use crate::span::{Location, Span};

/// How many tokens `source` lexes into. A cheap size measure for tooling, and the baseline the
/// parser's criterion bench compares against.
pub fn token_count(source: &str) -> usize {
    lexer::token_count(source)
}

/// Parses `source` strictly, for running agents.
///
/// # Errors
/// Every syntax error in the source, in source order (at most [`MAX_ERRORS`]), including a
/// source over [`MAX_SOURCE_BYTES`] and nesting deeper than [`MAX_DEPTH`].
pub fn parse(source: &str) -> Result<ast::File, ParseErrors> {
    let parsed = parser::parse_source(source);
    match ParseErrors::new(parsed.errors) {
        Some(errors) => Err(errors),
        None => Ok(parsed.file),
    }
}

/// Parses `source` as far as possible, for tooling: the tree holds every item and member that
/// could be read, and the list holds every error (empty when the source is valid). Never use
/// a tree with errors to run an agent.
pub fn parse_tolerant(source: &str) -> (ast::File, Vec<ParseError>) {
    let parsed = parser::parse_source(source);
    (parsed.file, parsed.errors)
}
