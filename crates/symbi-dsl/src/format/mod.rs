//! The canonical formatter behind `symbi fmt`. It refuses source with errors, prints the tree
//! in one layout with every comment kept, and checks its own output before returning it: the
//! result must parse to the same tree with the same comments, or nothing is returned.

mod printer;

use crate::ast::File;
use crate::diagnostic::ParseErrors;
use crate::lexer::Comment;
use crate::parser::parse_source;

/// Why source could not be formatted.
#[derive(Debug, Clone, PartialEq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum FormatError {
    /// The source has syntax errors; fix them first.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Parse {
        /// Every error in the source.
        #[from]
        errors: ParseErrors,
    },
    /// The formatted text would not mean the same as the source. This is a bug in the
    /// formatter; the source is left as it is.
    #[error("formatting would change the meaning of the file, so it was left unchanged")]
    #[diagnostic(code(symbi_dsl::format_changed_meaning), help("please report this as a bug with the file attached"))]
    ChangedMeaning,
}

/// Formats `source` in the canonical layout: 4-space indent, one member per line,
/// `key = value` entries, a blank line between top-level items, minimal parentheses; comments
/// and single blank lines inside blocks are kept. Formatting formatted text changes nothing.
///
/// # Errors
/// [`FormatError::Parse`] if the source has any syntax error (nothing is formatted), and
/// [`FormatError::ChangedMeaning`] if the self-check fails.
pub fn format(source: &str) -> Result<String, FormatError> {
    let parsed = parse_source(source);
    if let Some(errors) = ParseErrors::new(parsed.errors) {
        return Err(FormatError::Parse { errors });
    }
    let trivia = printer::Trivia { source, comments: &parsed.comments };
    let out = printer::print(&parsed.file.items, Some(trivia));
    let again = parse_source(&out);
    let same_tree = again.errors.is_empty() && again.file.without_spans() == parsed.file.without_spans();
    if !same_tree || !same_comments(&parsed.comments, &again.comments) {
        return Err(FormatError::ChangedMeaning);
    }
    Ok(out)
}

/// Prints a tree in the canonical layout (no comments: the tree holds none).
pub fn print(file: &File) -> String {
    printer::print(&file.items, None)
}

fn same_comments(before: &[Comment], after: &[Comment]) -> bool {
    before.len() == after.len() && before.iter().zip(after).all(|(a, b)| a.text == b.text)
}

#[cfg(test)]
mod tests;
