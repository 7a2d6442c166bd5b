//! Cedar policy for symbi: the schema of our vocabulary, entity data, validated policy sets,
//! decisions (allow, deny, require approval) and the communication policy gate.
//!
//! ```text
//! .symbi file ──► compile_agent_policies ──► CompiledAgentPolicies ──► PolicySource (Cedar text)
//! PolicySource (file / API text) ──► Policies::compile (parse, id, validate, index)
//!                                          │ PolicyStore::replace (atomic swap)
//! runtime state ──► EntitySetBuilder ──► EntitySet
//! PolicyRequest ──► Policies::evaluate(request, entities) ──► Evaluation { Decision, policies, reason }
//! ```
//!
//! A decision hands Cedar only the policies whose surface, action and scope could apply to the
//! request (the index built by `Policies::compile`); conditions stay with Cedar. A set also has a
//! cache form ([`Policies::cache_text`]) that short-lived processes load without parsing any
//! policy. Coding-assistant hook events ([`HookEvent`]) and policy test files
//! ([`parse_test_file`]) are read here too, so every untrusted input has a library entry point.
//!
//! Default deny: a request no permit covers is denied; any applicable forbid denies; a permit
//! marked `@approval` makes the decision `RequireApproval`. Policies are always validated against
//! the embedded schema ([`SCHEMA_TEXT`]) before use, and a set with any invalid policy is refused
//! whole, with every problem's file, line and column.
//!
//! The `policy` blocks of `.symbi` agents compile to Cedar with [`compile_agent_policies`]:
//! `allow` → permit, `deny` → forbid, `without approval`/`require`/`requires = "approval"` →
//! permit with `@approval`, `if` → `when`; a rule with no faithful translation is a positioned
//! error, never dropped.
//!
//! What this crate never does: network or file I/O other than reading a policy directory the
//! caller names, logging, or exposing `cedar_policy` types in its API.
//!
//! Features: none.
//!
//! ```
//! use symbi_policy::{Action, Decision, EntityRef, EntitySet, Policies, PolicyRequest, PolicySource, Surface};
//! let source = PolicySource {
//!     origin: "policies/default.cedar".into(),
//!     surface: None,
//!     text: r#"forbid(principal, action == Action::"invoke_tool", resource == Tool::"shell_exec");"#.into(),
//! };
//! let policies = Policies::compile(&[source]).unwrap();
//! let request = PolicyRequest {
//!     principal: EntityRef::Agent("planner-01".into()),
//!     action: Action::InvokeTool,
//!     resource: EntityRef::Tool("shell_exec".into()),
//!     surface: Surface::Run,
//!     delegation_depth: None,
//! };
//! assert_eq!(policies.evaluate(&request, &EntitySet::empty()).decision, Decision::Deny);
//! ```

#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

mod agent_scope;
mod cache_form;
mod communication;
mod decision;
mod dsl;
mod entities;
mod hook;
mod index;
mod policies;
mod record_form;
mod request_fields;
mod schema;
mod store;
mod test_file;
mod vocabulary;

pub use agent_scope::scope_to_agent;
pub use communication::{
    CommunicationAction, CommunicationDecision, CommunicationGate, CommunicationRule, RuleError, RuleSpec,
};
pub use decision::{Decision, Evaluation, PolicyRequest};
pub use dsl::{
    AgentPolicies, CompiledAgentPolicies, DslCompileErrors, DslRuleError, compile_agent_policies,
    compile_registered_agent,
};
pub use entities::{AgentFacts, EntityError, EntityRef, EntitySet, EntitySetBuilder, ResourceFacts, ToolFacts};
pub use hook::{HookEvent, HookEventError, HookHost};
pub use policies::{Effect, Policies, PolicyError, PolicyInfo, PolicyProblem, PolicySource, read_dir};
pub use request_fields::{RequestFieldError, RequestFields};
pub use schema::SCHEMA_TEXT;
pub use store::PolicyStore;
pub use test_file::{PolicyTestCase, TestFileError, parse_test_file};
pub use vocabulary::{Action, Surface};
