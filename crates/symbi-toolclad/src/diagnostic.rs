//! Load-time errors: every problem in the tool directory, each with the file and line it comes
//! from, so `symbi tools validate` can list them all at once.

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem in a manifest, `toolclad.toml` or `scope/scope.toml`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}: {message}", file.display())]
pub struct LoadError {
    file: PathBuf,
    line: usize,
    message: String,
}

impl LoadError {
    pub(crate) fn new(file: &Path, line: usize, message: impl Into<String>) -> Self {
        Self { file: file.to_owned(), line, message: message.into() }
    }

    /// Builds an error at byte `offset` of `text`.
    pub(crate) fn at(file: &Path, text: &str, offset: usize, message: impl Into<String>) -> Self {
        Self::new(file, line_of(text, offset), message)
    }

    /// The file the problem is in.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The 1-based line of the problem (the line of the enclosing table when the problem is the
    /// table as a whole).
    pub fn line(&self) -> usize {
        self.line
    }

    /// What is wrong, without the location.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Every problem found while loading; never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadErrors(Vec<LoadError>);

impl LoadErrors {
    pub(crate) fn new(errors: Vec<LoadError>) -> Self {
        Self(errors)
    }

    /// The problems, in file order.
    pub fn errors(&self) -> &[LoadError] {
        &self.0
    }
}

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for error in &self.0 {
            if !first {
                f.write_str("\n")?;
            }
            first = false;
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadErrors {}

/// The 1-based line holding byte `offset` of `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes().iter().take(offset).filter(|&&b| b == b'\n').count() + 1
}

/// Turns a TOML syntax or shape error into a [`LoadError`] at its line.
pub(crate) fn toml_error(file: &Path, text: &str, error: &toml::de::Error) -> LoadError {
    let offset = error.span().map_or(0, |s| s.start);
    LoadError::at(file, text, offset, error.message().trim_end_matches('\n').to_owned())
}
