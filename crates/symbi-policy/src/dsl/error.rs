//! Errors of compiling `.symbi` policy blocks: the file's own parse and check errors, passed
//! through, and the rules that have no faithful Cedar form, each with its position.

use std::fmt::Write as _;

use symbi_dsl::{CheckErrors, Location, ParseErrors, Span};

/// Why the policies of a `.symbi` file were not compiled. Every problem of the failing stage is
/// listed; nothing is compiled when there is any.
#[derive(Debug, Clone, PartialEq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum DslCompileErrors {
    /// The file does not parse.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Parse {
        /// Every syntax error.
        errors: ParseErrors,
    },
    /// The file parses but does not make sense as agents (duplicate names, bad tiers, …).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Check {
        /// Every semantic error.
        errors: CheckErrors,
    },
    /// Policy rules that cannot be compiled to Cedar.
    #[error("{}", render(origin, errors))]
    Rules {
        /// The file's name, as given to the compiler.
        origin: String,
        /// Every rule problem, in source order; never empty.
        #[related]
        errors: Vec<DslRuleError>,
    },
    /// The file defines several agents and none has the id it is registered under.
    #[error(
        "`{origin}` defines {} agents ({}) and none is named `{principal}`; register each agent under its own name",
        agents.len(), agents.join(", ")
    )]
    #[diagnostic(code(symbi_policy::ambiguous_agent))]
    Ambiguous {
        /// The file's name, as given to the compiler.
        origin: String,
        /// The id the agent is registered under.
        principal: String,
        /// The agents the file defines.
        agents: Vec<String>,
    },
}

/// One policy rule (or policy block) that cannot be compiled to Cedar.
///
/// The compiler fails closed: a rule it cannot translate faithfully is an error, never dropped
/// and never replaced by something that allows more.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum DslRuleError {
    /// A name in a condition that stands for nothing policy can see.
    #[error("`{name}` is not known in a policy condition")]
    #[diagnostic(code(symbi_policy::unknown_name))]
    UnknownName {
        /// The name as written.
        name: String,
        /// How to fix it.
        #[help]
        help: String,
        /// Where it is.
        #[label("unknown name")]
        span: Span,
        /// Line and column of `span`.
        location: Location,
    },
    /// An attribute the policy schema does not define.
    #[error("{entity} has no attribute `{attribute}`")]
    #[diagnostic(code(symbi_policy::unknown_attribute), help("known attributes: {known}"))]
    UnknownAttribute {
        /// What the attribute was asked of, such as `a tool`.
        entity: &'static str,
        /// The attribute as written.
        attribute: String,
        /// The attributes it has, such as `` `kind`, `classification` ``.
        known: String,
        /// Where it is.
        #[label("unknown attribute")]
        span: Span,
        /// Line and column of `span`.
        location: Location,
    },
    /// A value of the wrong type for where it is used.
    #[error("expected {expected}, found {found}")]
    #[diagnostic(code(symbi_policy::type_mismatch), help("compare values of the same type"))]
    Mismatch {
        /// The type wanted, such as `a number`.
        expected: &'static str,
        /// The type found.
        found: &'static str,
        /// Where it is.
        #[label("expected {expected}")]
        span: Span,
        /// Line and column of `span`.
        location: Location,
    },
    /// A form that has no faithful Cedar translation (yet).
    #[error("{what} cannot be compiled to Cedar")]
    #[diagnostic(code(symbi_policy::unsupported))]
    Unsupported {
        /// What was found, such as ``a `match` expression``.
        what: String,
        /// How to fix it.
        #[help]
        help: String,
        /// Where it is.
        #[label("not supported in policy rules")]
        span: Span,
        /// Line and column of `span`.
        location: Location,
    },
    /// A policy block that governs no agent: in a channel, or at the top level of a file without
    /// agents.
    #[error("policy `{policy}` is {place}, not in an agent")]
    #[diagnostic(
        code(symbi_policy::policy_outside_agent),
        help(
            "agent policies and top-level policies (which govern the agents of their file) compile to Cedar; put the rules in the file of the agents they govern"
        )
    )]
    OutsideAgent {
        /// The policy's name.
        policy: String,
        /// Where it is, such as `at the top level`.
        place: String,
        /// The policy block.
        #[label("not in an agent")]
        span: Span,
        /// Line and column of `span`.
        location: Location,
    },
    /// Two `audit` rules of one agent that name different levels.
    #[error("agent `{agent}` has two audit levels, `{first}` and `{second}`")]
    #[diagnostic(code(symbi_policy::conflicting_audit), help("keep one `audit:` rule per agent"))]
    ConflictingAudit {
        /// The agent.
        agent: String,
        /// The level set first.
        first: String,
        /// The other level.
        second: String,
        /// The second audit rule.
        #[label("second audit level")]
        span: Span,
        /// Line and column of `span`.
        location: Location,
    },
}

impl DslRuleError {
    /// Where the problem is in the `.symbi` source.
    pub fn span(&self) -> Span {
        match self {
            Self::UnknownName { span, .. }
            | Self::UnknownAttribute { span, .. }
            | Self::Mismatch { span, .. }
            | Self::Unsupported { span, .. }
            | Self::OutsideAgent { span, .. }
            | Self::ConflictingAudit { span, .. } => *span,
        }
    }

    /// The 1-based line and column of [`DslRuleError::span`].
    pub fn location(&self) -> Location {
        match self {
            Self::UnknownName { location, .. }
            | Self::UnknownAttribute { location, .. }
            | Self::Mismatch { location, .. }
            | Self::Unsupported { location, .. }
            | Self::OutsideAgent { location, .. }
            | Self::ConflictingAudit { location, .. } => *location,
        }
    }
}

/// `n policy rule problem(s) in `file`` followed by one `file:line:col: message` line each.
fn render(origin: &str, errors: &[DslRuleError]) -> String {
    let plural = if errors.len() == 1 { "" } else { "s" };
    let mut out = format!("{} policy rule problem{plural} in `{origin}`; nothing was compiled:", errors.len());
    for e in errors {
        let at = e.location();
        // Writing to a `String` cannot fail.
        let _ = write!(out, "\n  {origin}:{}:{}: {e}", at.line, at.column);
    }
    out
}

/// Collects rule problems with their locations in one source.
#[derive(Debug)]
pub(super) struct Problems<'s> {
    source: &'s str,
    list: Vec<DslRuleError>,
}

impl<'s> Problems<'s> {
    pub(super) fn new(source: &'s str) -> Self {
        Self { source, list: Vec::new() }
    }

    pub(super) fn len(&self) -> usize {
        self.list.len()
    }

    pub(super) fn at(&self, span: Span) -> Location {
        span.location(self.source)
    }

    pub(super) fn push(&mut self, error: DslRuleError) {
        self.list.push(error);
    }

    pub(super) fn unsupported(&mut self, what: impl Into<String>, help: impl Into<String>, span: Span) {
        let (what, help, location) = (what.into(), help.into(), self.at(span));
        self.list.push(DslRuleError::Unsupported { what, help, span, location });
    }

    pub(super) fn unknown_name(&mut self, name: &str, help: impl Into<String>, span: Span) {
        let (name, help, location) = (name.to_owned(), help.into(), self.at(span));
        self.list.push(DslRuleError::UnknownName { name, help, span, location });
    }

    pub(super) fn mismatch(&mut self, expected: &'static str, found: &'static str, span: Span) {
        let location = self.at(span);
        self.list.push(DslRuleError::Mismatch { expected, found, span, location });
    }

    /// The problems in source order, or `None` when there are none.
    pub(super) fn finish(mut self) -> Option<Vec<DslRuleError>> {
        self.list.sort_by_key(|e| e.span().start());
        if self.list.is_empty() { None } else { Some(self.list) }
    }
}
