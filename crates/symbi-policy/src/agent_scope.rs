//! Cedar policies attached to one agent (the SDK's per-agent `reasoning/cedar` policies) govern
//! that agent and nobody else. Each policy's principal is forced to `Agent::"<id>"`: an
//! unconstrained `principal` (or `principal is Agent`) is narrowed to it, a policy already scoped
//! to that agent is kept, and any other principal is refused, so text attached to one agent can
//! never grant or deny anything to another.

use std::str::FromStr;

use cedar_policy::{PolicySet, PrincipalConstraint};

use crate::policies::{PolicyError, PolicyProblem};

/// Rewrites `text` so every policy in it applies to agent `agent` only, and returns the scoped
/// Cedar text (annotations kept). `origin` names the text in errors.
///
/// # Errors
///
/// [`PolicyError::Invalid`] when the text does not parse, holds a template, or a policy names a
/// principal other than this agent. Schema validation happens later, with the whole set.
pub fn scope_to_agent(origin: &str, text: &str, agent: &str) -> Result<String, PolicyError> {
    let refuse = |message: String| PolicyError::Invalid {
        problems: vec![PolicyProblem { origin: origin.to_owned(), line: 1, column: 1, message }],
    };
    let parsed = PolicySet::from_str(text).map_err(|e| refuse(format!("the Cedar text does not parse: {e}")))?;
    if parsed.templates().next().is_some() {
        return Err(refuse("policy templates are not supported; write plain policies".to_owned()));
    }
    let mut policies: Vec<_> = parsed.policies().collect();
    // Keep the author's order: the parser numbers policies `policy0`, `policy1`, … in source order.
    policies.sort_by_key(|p| p.id().to_string().trim_start_matches("policy").parse::<usize>().unwrap_or(0));
    let mut out = String::new();
    for (n, policy) in policies.into_iter().enumerate() {
        let keep = match policy.principal_constraint() {
            PrincipalConstraint::Any => false,
            PrincipalConstraint::Is(kind) => {
                if kind.to_string() != "Agent" {
                    return Err(refuse(wrong_principal(n, agent)));
                }
                false
            }
            PrincipalConstraint::Eq(uid) => {
                if uid.type_name().to_string() != "Agent" || uid.id().unescaped() != agent {
                    return Err(refuse(wrong_principal(n, agent)));
                }
                true
            }
            PrincipalConstraint::In(_) | PrincipalConstraint::IsIn(_, _) => {
                return Err(refuse(wrong_principal(n, agent)));
            }
        };
        let scoped = if keep {
            policy.to_string()
        } else {
            let mut json = policy.to_json().map_err(|e| refuse(e.to_string()))?;
            json["principal"] = serde_json::json!({ "op": "==", "entity": { "type": "Agent", "id": agent } });
            let rebuilt = cedar_policy::Policy::from_json(None, json).map_err(|e| refuse(e.to_string()))?;
            rebuilt.to_cedar().unwrap_or_else(|| rebuilt.to_string())
        };
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(scoped.trim_end());
    }
    if out.is_empty() {
        return Err(refuse("the text holds no policy".to_owned()));
    }
    out.push('\n');
    Ok(out)
}

fn wrong_principal(n: usize, agent: &str) -> String {
    format!(
        "policy {} names another principal; a policy attached to agent `{agent}` governs that agent only: \
         write `principal` or `principal == Agent::\"{agent}\"`",
        n.saturating_add(1)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Decision, EntityRef, EntitySet, Policies, PolicyRequest, PolicySource, Surface, vocabulary::Action};

    fn scope(text: &str) -> Result<String, PolicyError> {
        scope_to_agent("agent:a/p", text, "a")
    }

    #[test]
    fn unconstrained_principals_are_narrowed_and_annotations_kept() {
        let text = "@reason(\"reads are fine\")\npermit(principal, action == Action::\"read\", resource);\n\
                    forbid(principal is Agent, action == Action::\"write\", resource);";
        let scoped = scope(text).unwrap();
        assert_eq!(scoped.matches("principal == Agent::\"a\"").count(), 2, "{scoped}");
        assert!(scoped.contains("@reason(\"reads are fine\")"), "{scoped}");
        assert!(scoped.find("permit") < scoped.find("forbid"), "order kept: {scoped}");
        let policies =
            Policies::compile(&[PolicySource { origin: "agent:a/p".into(), surface: None, text: scoped }]).unwrap();
        let ask = |agent: &str| {
            let request = PolicyRequest {
                principal: EntityRef::Agent(agent.into()),
                action: Action::Read,
                resource: EntityRef::Resource("r".into()),
                surface: Surface::Run,
                delegation_depth: None,
            };
            policies.evaluate(&request, &EntitySet::empty()).decision
        };
        assert_eq!(ask("a"), Decision::Allow);
        assert_eq!(ask("b"), Decision::Deny);
    }

    #[test]
    fn the_agents_own_scope_is_kept_verbatim() {
        let text = "permit(principal == Agent::\"a\", action, resource);";
        assert_eq!(scope(text).unwrap(), format!("{text}\n"));
    }

    #[test]
    fn other_principals_are_refused() {
        for text in [
            "permit(principal == Agent::\"b\", action, resource);",
            "permit(principal in AgentGroup::\"all\", action, resource);",
            "permit(principal is ApiKey, action, resource);",
            "permit(principal is Agent in AgentGroup::\"all\", action, resource);",
        ] {
            let e = scope(text).unwrap_err().to_string();
            assert!(e.contains("governs that agent only"), "{text}: {e}");
        }
    }

    #[test]
    fn malformed_or_empty_text_is_refused() {
        assert!(scope("permit(").unwrap_err().to_string().contains("does not parse"));
        assert!(scope("// nothing").unwrap_err().to_string().contains("no policy"));
        assert!(
            scope("permit(principal == ?principal, action, resource);").unwrap_err().to_string().contains("templates")
        );
    }
}
