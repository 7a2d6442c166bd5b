//! The communication policy gate: who may message or delegate to whom, and how deep a delegation
//! chain may grow. Rules come from `[[communication_policy.rules]]` in `symbiont.toml` or the
//! API. Default deny.
//!
//! Order of rules: the highest `priority` wins; among matching rules of equal priority, a deny
//! beats an allow. An allow with `max_depth` applies only while the chain is at most that deep.

use globset::{Glob, GlobMatcher};

use crate::policies::Effect;

/// What one agent wants from another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommunicationAction {
    /// Hand over a task.
    Delegate,
    /// Send a message.
    SendMessage,
}

impl CommunicationAction {
    /// `delegate` or `send_message`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Delegate => "delegate",
            Self::SendMessage => "send_message",
        }
    }

    /// The inverse of [`CommunicationAction::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "delegate" => Some(Self::Delegate),
            "send_message" => Some(Self::SendMessage),
            _ => None,
        }
    }
}

/// A rule as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSpec {
    /// Glob over the sending agent's id (`worker-*`).
    pub from: String,
    /// Glob over the receiving agent's id.
    pub to: String,
    /// The action it governs; `None` for both.
    pub action: Option<CommunicationAction>,
    /// Allow or deny.
    pub effect: Effect,
    /// Shown with decisions it makes.
    pub reason: Option<String>,
    /// For allows: the deepest delegation chain allowed.
    pub max_depth: Option<u32>,
    /// Higher wins.
    pub priority: i32,
}

/// A checked rule.
#[derive(Debug, Clone)]
pub struct CommunicationRule {
    spec: RuleSpec,
    from: GlobMatcher,
    to: GlobMatcher,
}

impl CommunicationRule {
    /// Checks a rule's globs.
    ///
    /// Fails when `from` or `to` is not a valid glob, or `max_depth` is set on a deny rule.
    pub fn new(spec: RuleSpec) -> Result<Self, RuleError> {
        let glob = |field: &'static str, pattern: &str| {
            Glob::new(pattern)
                .map(|g| g.compile_matcher())
                .map_err(|e| RuleError { field, message: format!("`{pattern}` is not a valid pattern: {}", e.kind()) })
        };
        if spec.max_depth.is_some() && spec.effect == Effect::Forbid {
            return Err(RuleError { field: "max_depth", message: "applies to allow rules only".to_owned() });
        }
        Ok(Self { from: glob("from", &spec.from)?, to: glob("to", &spec.to)?, spec })
    }

    /// The rule as written.
    pub fn spec(&self) -> &RuleSpec {
        &self.spec
    }

    fn matches(&self, from: &str, to: &str, action: CommunicationAction) -> bool {
        self.spec.action.is_none_or(|a| a == action) && self.from.is_match(from) && self.to.is_match(to)
    }
}

/// A rule that does not check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid communication rule `{field}`: {message}")]
pub struct RuleError {
    field: &'static str,
    message: String,
}

/// The gate's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunicationDecision {
    /// Whether the message or delegation may go ahead.
    pub allowed: bool,
    /// Index (in the gate's rule list) of the deciding rule; `None` for default deny.
    pub rule: Option<usize>,
    /// Why.
    pub reason: String,
}

/// Rules in force.
#[derive(Debug, Clone, Default)]
pub struct CommunicationGate {
    rules: Vec<CommunicationRule>,
}

impl CommunicationGate {
    /// A gate with `rules` (their order is their index).
    pub fn new(rules: Vec<CommunicationRule>) -> Self {
        Self { rules }
    }

    /// The rules, in order.
    pub fn rules(&self) -> &[CommunicationRule] {
        &self.rules
    }

    /// Decides whether `from` may do `action` to `to` when the chain is `depth` hops deep
    /// (1 for a direct request).
    pub fn evaluate(&self, from: &str, to: &str, action: CommunicationAction, depth: u32) -> CommunicationDecision {
        let matching = self.rules.iter().enumerate().filter(|(_, r)| r.matches(from, to, action));
        let best = matching.max_by(|(ia, a), (ib, b)| {
            a.spec
                .priority
                .cmp(&b.spec.priority)
                // A deny outranks an allow of the same priority; then the earlier rule wins.
                .then((a.spec.effect == Effect::Forbid).cmp(&(b.spec.effect == Effect::Forbid)))
                .then(ib.cmp(ia))
        });
        let Some((index, rule)) = best else {
            return CommunicationDecision {
                allowed: false,
                rule: None,
                reason: format!("no rule lets `{from}` {} `{to}` (default deny)", action.as_str()),
            };
        };
        let written = rule.spec.reason.clone();
        match (rule.spec.effect, rule.spec.max_depth) {
            (Effect::Forbid, _) => CommunicationDecision {
                allowed: false,
                rule: Some(index),
                reason: written.unwrap_or_else(|| format!("denied by communication rule {index}")),
            },
            (Effect::Permit, Some(max)) if depth > max => CommunicationDecision {
                allowed: false,
                rule: Some(index),
                reason: format!("delegation depth {depth} exceeds max_depth {max} of communication rule {index}"),
            },
            (Effect::Permit, _) => CommunicationDecision {
                allowed: true,
                rule: Some(index),
                reason: written.unwrap_or_else(|| format!("allowed by communication rule {index}")),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(from: &str, to: &str, effect: Effect, max_depth: Option<u32>, priority: i32) -> CommunicationRule {
        CommunicationRule::new(RuleSpec {
            from: from.into(),
            to: to.into(),
            action: Some(CommunicationAction::Delegate),
            effect,
            reason: None,
            max_depth,
            priority,
        })
        .unwrap()
    }

    #[test]
    fn seed_rules() {
        // The two rules of the trust-stack seed.
        let gate = CommunicationGate::new(vec![
            rule("worker-*", "planner", Effect::Forbid, None, 0),
            rule("planner", "worker-*", Effect::Permit, Some(2), 0),
        ]);
        let d = CommunicationAction::Delegate;
        assert!(!gate.evaluate("worker-1", "planner", d, 1).allowed);
        assert!(gate.evaluate("planner", "worker-1", d, 1).allowed);
        assert!(gate.evaluate("planner", "worker-7", d, 2).allowed);
        let too_deep = gate.evaluate("planner", "worker-1", d, 3);
        assert!(!too_deep.allowed && too_deep.reason.contains("max_depth 2"), "{too_deep:?}");
        let unknown = gate.evaluate("planner", "auditor", d, 1);
        assert_eq!((unknown.allowed, unknown.rule), (false, None));
        assert!(!gate.evaluate("planner", "worker-1", CommunicationAction::SendMessage, 1).allowed);
    }

    #[test]
    fn priority_then_deny_wins() {
        let gate = CommunicationGate::new(vec![
            rule("*", "*", Effect::Permit, None, 0),
            rule("a", "b", Effect::Forbid, None, 0),
            rule("a", "c", Effect::Forbid, None, 0),
            rule("a", "c", Effect::Permit, None, 5),
        ]);
        let d = CommunicationAction::Delegate;
        assert_eq!(gate.evaluate("a", "b", d, 1).rule, Some(1));
        assert!(gate.evaluate("a", "c", d, 1).allowed);
        assert!(gate.evaluate("x", "y", d, 1).allowed);
    }

    #[test]
    fn bad_rules_are_refused() {
        let spec = RuleSpec {
            from: "[".into(),
            to: "*".into(),
            action: None,
            effect: Effect::Permit,
            reason: None,
            max_depth: None,
            priority: 0,
        };
        assert!(
            CommunicationRule::new(spec.clone())
                .unwrap_err()
                .to_string()
                .starts_with("invalid communication rule `from`")
        );
        let deny_depth = RuleSpec { from: "*".into(), effect: Effect::Forbid, max_depth: Some(1), ..spec };
        assert!(CommunicationRule::new(deny_depth).is_err());
    }
}
