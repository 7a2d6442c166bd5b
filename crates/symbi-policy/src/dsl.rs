//! Compiles the `policy` blocks of `.symbi` agents into Cedar policies over our schema, using
//! symbi-dsl's checked model. The output is Cedar text plus a [`PolicySource`] that
//! [`Policies::compile`](crate::Policies::compile) validates like any policy file.
//!
//! # Translation
//!
//! Every policy is scoped to its agent: `principal == Agent::"<agent>"`. Its id is
//! `@id("<agent>.<policy>.<n>")`, `n` being the rule's place in its block from 1, and its
//! `@reason` quotes the rule as written.
//!
//! | Rule | Cedar |
//! |---|---|
//! | `allow: X` | `permit` (with `@approval` when the agent's `with` says `requires = "approval"`) |
//! | `deny: X` | `forbid` (also in agents that require approval) |
//! | `deny: X without approval`, `require: X` | `permit` with `@approval`: held for a person |
//! | `audit: level` | no policy; the agent's audit level |
//!
//! Targets: a schema action (`read`, `write`, `delegate`, `send_message`, `invoke_tool` or
//! `tool_call`, `execute_tool`, `access_secret`, `schedule`, `respond`, `terminate`) gives
//! `action == Action::"<name>"`; an action group (`tool_use`, `communicate`, `data_access`,
//! `lifecycle`) gives `action in Action::"<group>"`. Its one argument either names the resource
//! with a quoted id (`invoke_tool("shell_exec")` → `resource == Tool::"shell_exec"`) or is an
//! identifier that stands for the request's resource in the condition (`read(file) if
//! file.classification != "secret"`): it does not restrict which resource, the condition does.
//! Any other name is a tool: `send_email` → `action in Action::"tool_use"` (proposing the call,
//! `invoke_tool`, or running it through its manifest, `execute_tool`),
//! `resource == Tool::"send_email"`. A tool's identifier arguments only name its inputs, which
//! policy cannot see, so conditions on them and literal argument values are errors.
//!
//! Conditions become `when { … }`: the rule's argument is `resource`, `self` is the agent
//! (`principal`), `context` is the request context, and on `delegate`/`send_message`
//! `<arg>.depth` is `context.delegation_depth`. Supported: `== != < <= > >=`, `+ - *` on
//! numbers, `&& || !`, text, whole-number and boolean literals, `x in [..]`, `x in set`,
//! `.starts_with("a")`, `.ends_with("a")` and `.contains("a")` on text (as `like`), and
//! `.contains(x)` on sets. Optional attributes are guarded with `has` so the policy validates;
//! when one is missing a `permit` does not apply and a `forbid` does (fail closed). Anything
//! else is a [`DslRuleError`] at its line and column.
//!
//! A top-level `policy` block applies to every agent of its file, as if written in each (ids
//! `<agent>.<policy>.<n>`); in a file without agents it is an error, as is a policy block in a
//! channel, which the channel gate will enforce, not an agent's policy.

mod condition;
mod error;
mod target;

use std::fmt::Write as _;

use symbi_dsl::ast::RuleKind;
use symbi_dsl::model::{Agent, Policy, Rule};

use self::condition::{Condition, Scope};
use self::error::Problems;
pub use self::error::{DslCompileErrors, DslRuleError};
use self::target::{ActionScope, Target};
use crate::policies::{Effect, PolicySource};

/// The Cedar policies compiled from one `.symbi` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledAgentPolicies {
    origin: String,
    agents: Vec<AgentPolicies>,
}

impl CompiledAgentPolicies {
    /// The file's name as given to [`compile_agent_policies`].
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Every agent of the file, in source order, including agents without policies.
    pub fn agents(&self) -> &[AgentPolicies] {
        &self.agents
    }

    /// The agent named `name`.
    pub fn agent(&self, name: &str) -> Option<&AgentPolicies> {
        self.agents.iter().find(|a| a.name == name)
    }

    /// All agents' policies as one source for [`Policies::compile`](crate::Policies::compile),
    /// applying on every surface, with the file's name as origin.
    pub fn policy_source(&self) -> PolicySource {
        let mut text = format!("// Compiled from `{}`; edit that file, not this text.\n", self.origin);
        for agent in &self.agents {
            text.push('\n');
            text.push_str(&agent.cedar);
        }
        PolicySource { origin: self.origin.clone(), surface: None, text }
    }
}

/// One agent's compiled policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentPolicies {
    name: String,
    principal: String,
    sandbox_tier: Option<u8>,
    capabilities: Vec<String>,
    audit_level: Option<String>,
    cedar: String,
    count: usize,
}

impl AgentPolicies {
    /// The agent's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The agent id its policies name as principal: its name, unless it was compiled with
    /// [`compile_registered_agent`] under another id.
    pub fn principal(&self) -> &str {
        &self.principal
    }

    /// The sandbox tier (0–3) its `with sandbox = …` asks for; `None` leaves it to the runtime.
    pub fn sandbox_tier(&self) -> Option<u8> {
        self.sandbox_tier
    }

    /// The capabilities it declares.
    pub fn capabilities(&self) -> &[String] {
        &self.capabilities
    }

    /// The level named by its `audit:` rule, such as `all_operations`.
    pub fn audit_level(&self) -> Option<&str> {
        self.audit_level.as_deref()
    }

    /// Its Cedar policies; empty when it has no rules but `audit` (default deny).
    pub fn cedar(&self) -> &str {
        &self.cedar
    }

    /// How many Cedar policies it has.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether it has no Cedar policies, so every action of it is denied.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// Parses, checks and compiles the agent policies of one `.symbi` file. `source_name` (such as
/// `agents/hello.symbi`) becomes the origin of the generated policies.
///
/// The generated policies still have to pass [`Policies::compile`](crate::Policies::compile)
/// with the rest of the set, which also catches ids used twice across files.
///
/// # Errors
///
/// Every syntax error ([`DslCompileErrors::Parse`]); else every semantic error
/// ([`DslCompileErrors::Check`]); else every rule with no faithful Cedar form, every policy
/// block outside an agent and every agent with two audit levels ([`DslCompileErrors::Rules`]).
pub fn compile_agent_policies(source_name: &str, source: &str) -> Result<CompiledAgentPolicies, DslCompileErrors> {
    let file = symbi_dsl::parse(source).map_err(|errors| DslCompileErrors::Parse { errors })?;
    let model = symbi_dsl::check(&file).map_err(|errors| DslCompileErrors::Check { errors })?;
    let mut problems = Problems::new(source);
    // Top-level policies apply to the agents of their file; in a file without agents they would
    // govern nobody, which is never what the author meant.
    let orphans = if model.agents().is_empty() { model.policies() } else { &[] };
    let outside = orphans.iter().map(|p| (p, "at the top level of a file without agents".to_owned())).chain(
        model.channels().iter().flat_map(|c| c.policies().iter().map(|p| (p, format!("in channel `{}`", c.name())))),
    );
    for (policy, place) in outside {
        let (span, location) = (policy.span(), problems.at(policy.span()));
        problems.push(DslRuleError::OutsideAgent { policy: policy.name().to_owned(), place, span, location });
    }
    let agents = model
        .agents()
        .iter()
        .map(|agent| compile_agent(agent, agent.name(), model.policies(), source, &mut problems))
        .collect();
    match problems.finish() {
        Some(errors) => Err(DslCompileErrors::Rules { origin: source_name.to_owned(), errors }),
        None => Ok(CompiledAgentPolicies { origin: source_name.to_owned(), agents }),
    }
}

/// Compiles the policies of the agent registered under id `principal` from its `.symbi` source:
/// the file's agent named `principal`, or else its only agent. The policies name `principal`, so
/// an agent registered over the API under a generated id is governed by its own definition.
/// `None` when the file defines no agent (it has no policies then).
///
/// # Errors
///
/// As [`compile_agent_policies`], for the whole file; and [`DslCompileErrors::Ambiguous`] when
/// the file defines several agents and none is named `principal`.
pub fn compile_registered_agent(
    source_name: &str,
    source: &str,
    principal: &str,
) -> Result<Option<AgentPolicies>, DslCompileErrors> {
    let file = symbi_dsl::parse(source).map_err(|errors| DslCompileErrors::Parse { errors })?;
    let model = symbi_dsl::check(&file).map_err(|errors| DslCompileErrors::Check { errors })?;
    let agent = match model.agents() {
        [] => return Ok(None),
        [only] => model.agent(principal).unwrap_or(only),
        several => model.agent(principal).ok_or_else(|| DslCompileErrors::Ambiguous {
            origin: source_name.to_owned(),
            principal: principal.to_owned(),
            agents: several.iter().map(|a| a.name().to_owned()).collect(),
        })?,
    };
    let mut problems = Problems::new(source);
    let compiled = compile_agent(agent, principal, model.policies(), source, &mut problems);
    match problems.finish() {
        Some(errors) => Err(DslCompileErrors::Rules { origin: source_name.to_owned(), errors }),
        None => Ok(Some(compiled)),
    }
}

/// Compiles an agent's own policy blocks, then the file's top-level ones, which apply to every
/// agent the file defines, naming `principal` as the agent.
fn compile_agent(
    agent: &Agent,
    principal: &str,
    file_policies: &[Policy],
    source: &str,
    problems: &mut Problems<'_>,
) -> AgentPolicies {
    let mut cedar = String::new();
    let mut count = 0_usize;
    let mut audit_level: Option<String> = None;
    let params: Vec<&str> = agent.params().iter().map(|p| p.name.name.as_str()).collect();
    for policy in agent.policies().iter().chain(file_policies) {
        for (index, rule) in policy.rules().iter().enumerate() {
            let (effect, approval) = match rule.kind() {
                RuleKind::Audit => {
                    audit(agent, rule, &mut audit_level, problems);
                    continue;
                }
                RuleKind::Allow => (Effect::Permit, agent.requires_approval()),
                RuleKind::Deny if rule.requires_approval() => (Effect::Permit, true),
                RuleKind::Deny => (Effect::Forbid, false),
                RuleKind::Require => (Effect::Permit, true),
            };
            let before = problems.len();
            let target = target::target(rule, problems);
            let scope = Scope { target: &target, params: params.clone() };
            let condition = rule.condition().and_then(|c| condition::translate(c, &scope, problems));
            if problems.len() != before {
                continue;
            }
            let header = Header {
                id: format!("{principal}.{}.{}", policy.name(), index.saturating_add(1)),
                reason: reason(agent, policy.name(), rule, source, approval && rule.kind() == RuleKind::Allow),
                approval,
                effect,
            };
            if count > 0 {
                cedar.push('\n');
            }
            write_policy(&mut cedar, &header, principal, &target, condition.as_ref());
            count = count.saturating_add(1);
        }
    }
    AgentPolicies {
        name: agent.name().to_owned(),
        principal: principal.to_owned(),
        sandbox_tier: agent.tier().map(symbi_dsl::model::Tier::level),
        capabilities: agent.capabilities().to_vec(),
        audit_level,
        cedar,
        count,
    }
}

/// Records the level of an `audit:` rule; a rule with arguments or a condition, or a second
/// level, is a problem.
fn audit(agent: &Agent, rule: &Rule, level: &mut Option<String>, problems: &mut Problems<'_>) {
    if let Some(arg) = rule.args().first() {
        let help = "write the level alone, like `audit: all_operations`";
        problems.unsupported("arguments to an audit level", help, arg.span);
        return;
    }
    if let Some(condition) = rule.condition() {
        let help = "an agent has one audit level; write it without `if`";
        problems.unsupported("a condition on an audit rule", help, condition.span);
        return;
    }
    match level {
        Some(first) if first != rule.action() => {
            let (span, location) = (rule.span(), problems.at(rule.span()));
            problems.push(DslRuleError::ConflictingAudit {
                agent: agent.name().to_owned(),
                first: first.clone(),
                second: rule.action().to_owned(),
                span,
                location,
            });
        }
        Some(_) => {}
        None => *level = Some(rule.action().to_owned()),
    }
}

/// The annotations of one generated policy.
struct Header {
    id: String,
    reason: String,
    approval: bool,
    effect: Effect,
}

/// ``rule `allow: read(file)` of policy `p` of agent `a` ``, with why approval is needed when
/// the agent asks for it.
fn reason(agent: &Agent, policy: &str, rule: &Rule, source: &str, agent_approval: bool) -> String {
    let text = source.get(rule.span().start()..rule.span().end()).unwrap_or_default();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut reason = format!("rule `{text}` of policy `{policy}` of agent `{}`", agent.name());
    if agent_approval {
        reason.push_str("; the agent requires approval for every action");
    }
    reason
}

fn write_policy(out: &mut String, header: &Header, agent: &str, target: &Target<'_>, condition: Option<&Condition>) {
    // Writing to a `String` cannot fail.
    let _ = writeln!(out, "@id({})", string_literal(&header.id));
    let _ = writeln!(out, "@reason({})", string_literal(&header.reason));
    if header.approval {
        out.push_str("@approval\n");
    }
    let effect = match header.effect {
        Effect::Permit => "permit",
        Effect::Forbid => "forbid",
    };
    let action = match target.action {
        ActionScope::Is(name) => format!("action == Action::{}", string_literal(name)),
        ActionScope::In(group) => format!("action in Action::{}", string_literal(group)),
    };
    let resource = match &target.resource_id {
        Some(id) => format!("resource == {}::{}", target.resource.cedar, string_literal(id)),
        None => "resource".to_owned(),
    };
    let _ = write!(out, "{effect}(\n  principal == Agent::{},\n  {action},\n  {resource}\n)", string_literal(agent));
    if let Some(condition) = condition {
        let _ = write!(out, "\nwhen {{ {} }}", guarded(header.effect, condition));
    }
    out.push_str(";\n");
}

/// The condition behind its `has` guards. A permit needs the attributes present; a forbid
/// applies when they are missing, so a deny never lapses for want of data (fail closed).
fn guarded(effect: Effect, condition: &Condition) -> String {
    if condition.guards.is_empty() {
        return condition.text.clone();
    }
    let guards: Vec<String> = condition.guards.iter().map(|(var, attr)| format!("{var} has {attr}")).collect();
    let guards = guards.join(" && ");
    match effect {
        Effect::Permit if condition.is_or => format!("{guards} && ({})", condition.text),
        Effect::Permit => format!("{guards} && {}", condition.text),
        Effect::Forbid => format!("if {guards} then {} else true", condition.text),
    }
}

/// A Cedar string literal: `"` and `\` escaped, control characters as `\u{…}`.
fn string_literal(text: &str) -> String {
    let mut out = String::from("\"");
    escape_into(&mut out, text, false);
    out.push('"');
    out
}

/// A Cedar `like` pattern: `prefix` and `suffix` are wildcards, `text` matches literally
/// (its `*` escaped).
fn like_pattern(prefix: &str, text: &str, suffix: &str) -> String {
    let mut out = String::from("\"");
    out.push_str(prefix);
    escape_into(&mut out, text, true);
    out.push_str(suffix);
    out.push('"');
    out
}

fn escape_into(out: &mut String, text: &str, star: bool) {
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '*' if star => out.push_str("\\*"),
            ch if ch.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(ch));
            }
            ch => out.push(ch),
        }
    }
}

#[cfg(test)]
mod tests;
