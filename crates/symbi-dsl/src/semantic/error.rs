//! Errors of the semantic check: well-formed source that does not make sense as agents,
//! policies, schedules, webhooks, channels or memory.

use std::fmt;

use crate::diagnostic::summarize;
use crate::span::Span;

/// One problem found by [`check`](crate::check).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum CheckError {
    /// Two definitions with one name (or two entries with one key).
    #[error("duplicate {what} `{name}`")]
    #[diagnostic(code(symbi_dsl::duplicate), help("rename or remove one of them"))]
    Duplicate {
        /// What kind of thing, such as `agent` or `key`.
        what: &'static str,
        /// The repeated name.
        name: String,
        /// The second definition.
        #[label(primary, "defined again here")]
        span: Span,
        /// The first definition.
        #[label("first defined here")]
        first: Span,
    },
    /// A word that is not one of the allowed values, such as an unknown sandbox tier.
    #[error("unknown {what} `{value}`")]
    #[diagnostic(code(symbi_dsl::unknown_value), help("use one of {known}"))]
    UnknownValue {
        /// What the value names, such as `sandbox tier`.
        what: &'static str,
        /// The value as written.
        value: String,
        /// The allowed values.
        known: &'static str,
        /// Where it is.
        #[label("unknown {what}")]
        span: Span,
    },
    /// A key a block does not take.
    #[error("unknown key `{key}` in {place}")]
    #[diagnostic(code(symbi_dsl::unknown_key), help("known keys: {known}"))]
    UnknownKey {
        /// The key.
        key: String,
        /// The block, such as `schedule`.
        place: &'static str,
        /// The keys the block takes.
        known: &'static str,
        /// Where it is.
        #[label("unknown key")]
        span: Span,
    },
    /// A required key is missing.
    #[error("{place} `{name}` has no `{key}`")]
    #[diagnostic(code(symbi_dsl::missing_key), help("add `{key} = …`, for example {example}"))]
    MissingKey {
        /// The block, such as `webhook`.
        place: &'static str,
        /// The block's name.
        name: String,
        /// The missing key.
        key: &'static str,
        /// An example entry.
        example: &'static str,
        /// The block.
        #[label("needs `{key}`")]
        span: Span,
    },
    /// A value of the wrong shape.
    #[error("`{key}` must be {expected}")]
    #[diagnostic(code(symbi_dsl::invalid_value), help("for example: {example}"))]
    InvalidValue {
        /// The key or attribute.
        key: String,
        /// What it must be.
        expected: &'static str,
        /// An example.
        example: &'static str,
        /// Where the value is.
        #[label("not {expected}")]
        span: Span,
    },
    /// A duration that cannot be read.
    #[error("invalid duration `{value}`: {reason}")]
    #[diagnostic(
        code(symbi_dsl::invalid_duration),
        help("write a duration like `30.seconds`, `5m`, `90d` or `\"1h 30m\"`; a bare number means seconds")
    )]
    InvalidDuration {
        /// The value as written.
        value: String,
        /// What is wrong.
        reason: String,
        /// Where it is.
        #[label("invalid duration")]
        span: Span,
    },
    /// A cron expression that cannot be read.
    #[error("invalid cron expression `{value}`: {reason}")]
    #[diagnostic(
        code(symbi_dsl::invalid_cron),
        help("cron takes 5 fields `minute hour day month weekday`, 6 with seconds first, or a macro like `@daily`")
    )]
    InvalidCron {
        /// The expression.
        value: String,
        /// What is wrong.
        reason: String,
        /// Where it is.
        #[label("invalid cron")]
        span: Span,
    },
    /// An `at` time that is not an RFC 3339 timestamp.
    #[error("invalid time `{value}`: {reason}")]
    #[diagnostic(code(symbi_dsl::invalid_time), help("write an RFC 3339 timestamp like `2026-01-31T09:00:00Z`"))]
    InvalidTime {
        /// The value as written.
        value: String,
        /// What is wrong.
        reason: String,
        /// Where it is.
        #[label("invalid time")]
        span: Span,
    },
    /// A timezone that is neither `UTC`, an offset nor an IANA name.
    #[error("invalid timezone `{value}`")]
    #[diagnostic(
        code(symbi_dsl::invalid_timezone),
        help("write `UTC`, an offset like `+02:00`, or an IANA name like `Europe/Berlin`")
    )]
    InvalidTimezone {
        /// The value as written.
        value: String,
        /// Where it is.
        #[label("invalid timezone")]
        span: Span,
    },
    /// A schedule with neither or both of `cron` and `at`.
    #[error("schedule `{name}` needs exactly one of `cron` or `at`")]
    #[diagnostic(
        code(symbi_dsl::schedule_timing),
        help("use `cron = \"0 9 * * 1-5\"` for a repeating run or `at = \"2026-01-31T09:00:00Z\"` for one run")
    )]
    ScheduleTiming {
        /// The schedule's name.
        name: String,
        /// The schedule.
        #[label("needs one of `cron` or `at`")]
        span: Span,
    },
    /// A policy rule whose target is not an action.
    #[error("policy rule must name an action")]
    #[diagnostic(code(symbi_dsl::invalid_action), help("write an action like `read(file)` or `send_email`"))]
    InvalidAction {
        /// The rule's target.
        #[label("not an action")]
        span: Span,
    },
    /// Something in a block that does not take it.
    #[error("{what} is not allowed in {place}")]
    #[diagnostic(code(symbi_dsl::misplaced), help("move it or remove it"))]
    Misplaced {
        /// What was found, such as `a policy`.
        what: String,
        /// The block, such as `a schedule`.
        place: &'static str,
        /// Where it is.
        #[label("not allowed here")]
        span: Span,
    },
}

impl CheckError {
    /// Where the error is.
    pub fn span(&self) -> Span {
        match self {
            Self::Duplicate { span, .. }
            | Self::UnknownValue { span, .. }
            | Self::UnknownKey { span, .. }
            | Self::MissingKey { span, .. }
            | Self::InvalidValue { span, .. }
            | Self::InvalidDuration { span, .. }
            | Self::InvalidCron { span, .. }
            | Self::InvalidTime { span, .. }
            | Self::InvalidTimezone { span, .. }
            | Self::ScheduleTiming { span, .. }
            | Self::InvalidAction { span }
            | Self::Misplaced { span, .. } => *span,
        }
    }
}

/// Every semantic error in a file; never empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub struct CheckErrors {
    // INVARIANT (non-empty): built only by `new`, which refuses an empty list.
    #[related]
    errors: Vec<CheckError>,
}

impl CheckErrors {
    pub(crate) fn new(errors: Vec<CheckError>) -> Option<Self> {
        if errors.is_empty() { None } else { Some(Self { errors }) }
    }

    /// The errors in source order.
    pub fn as_slice(&self) -> &[CheckError] {
        &self.errors
    }

    /// The errors in source order.
    pub fn iter(&self) -> std::slice::Iter<'_, CheckError> {
        self.errors.iter()
    }

    /// The errors, owned.
    pub fn into_vec(self) -> Vec<CheckError> {
        self.errors
    }
}

impl fmt::Display for CheckErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        summarize(f, &self.errors)
    }
}

impl<'a> IntoIterator for &'a CheckErrors {
    type Item = &'a CheckError;
    type IntoIter = std::slice::Iter<'a, CheckError>;

    fn into_iter(self) -> Self::IntoIter {
        self.errors.iter()
    }
}
