//! Deciding one request: Cedar's answer, turned into allow, deny or require-approval with the
//! determining policies and a reason a person can read.
//!
//! Approval: a `permit` annotated `@approval` (or `@approval("required")`) allows only after a
//! person approves. When several permits apply and any of them asks for approval, approval is
//! required. A `forbid` always wins. Fail closed: if a `forbid` could not be evaluated, or the
//! request does not fit the schema, the answer is deny.

use std::sync::OnceLock;

use cedar_policy::{Authorizer, Context, RestrictedExpression};

use crate::entities::{EntityRef, EntitySet};
use crate::policies::{Effect, Policies};
use crate::vocabulary::{Action, Surface};

/// What policy says about a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allow,
    /// Refused.
    Deny,
    /// Allowed once a person approves; refused if nobody does in time.
    RequireApproval,
}

impl Decision {
    /// `allow`, `deny` or `require_approval`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Deny => "deny",
            Self::RequireApproval => "require_approval",
        }
    }
}

/// One request to decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRequest {
    /// Who asks: an agent or an API key.
    pub principal: EntityRef,
    /// What they want to do.
    pub action: Action,
    /// What they want to do it to.
    pub resource: EntityRef,
    /// Which door the request came through.
    pub surface: Surface,
    /// For delegation and messages: hops in the chain so far.
    pub delegation_depth: Option<u32>,
}

/// A decision with its grounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// The decision.
    pub decision: Decision,
    /// Ids of the policies that determined it (empty for default deny), sorted.
    pub policies: Vec<String>,
    /// Why, in words.
    pub reason: String,
}

impl Policies {
    /// Decides `request` against this set, reading `entities`.
    ///
    /// Denies when no permit applies (default deny), when any forbid applies, when a forbid could
    /// not be evaluated, and when the request does not fit the schema (say, `invoke_tool` on an
    /// agent rather than a tool).
    pub fn evaluate(&self, request: &PolicyRequest, entities: &EntitySet) -> Evaluation {
        self.evaluate_over(Over::Slice, request, entities)
    }

    /// Decides `request` with Cedar evaluating the policies `over` names.
    pub(crate) fn evaluate_over(&self, over: Over, request: &PolicyRequest, entities: &EntitySet) -> Evaluation {
        let deny = |reason: String| Evaluation { decision: Decision::Deny, policies: Vec::new(), reason };
        let (principal, resource) = (request.principal.uid(), request.resource.uid());
        // Cedar's schema check of a request is `appliesTo` for the principal and resource types
        // plus the context's shape; our context always has the schema's shape (a `surface`
        // string and an optional `delegation_depth` long), so only `appliesTo` is left to check.
        let (principal_type, resource_type) = (request.principal.type_name(), request.resource.type_name());
        if !request.action.applies_to(principal_type, resource_type) {
            return deny(format!(
                "the request does not fit the policy schema: `{}` does not apply to {principal_type} → {resource_type}",
                request.action
            ));
        }
        let cedar_request = context(request.surface, request.delegation_depth).and_then(|context| {
            cedar_policy::Request::new(
                principal.clone(),
                crate::entities::uid("Action", request.action.as_str()),
                resource.clone(),
                context,
                None,
            )
            .map_err(|e| e.to_string())
        });
        let cedar_request = match cedar_request {
            Ok(r) => r,
            Err(e) => return deny(format!("the request does not fit the policy schema: {e}")),
        };
        let set = match over {
            Over::Slice => self.index.slice(request.surface, request.action, &principal, &resource, &entities.0),
            #[cfg(test)]
            Over::WholeSurface => self.index.whole_surface(request.surface).map(std::sync::Arc::new),
        };
        let set = match set {
            Ok(set) => set,
            Err(e) => return deny(format!("the policies that apply could not be gathered: {e}")),
        };
        let response = Authorizer::new().is_authorized(&cedar_request, &set, &entities.0);
        let mut determining: Vec<String> = response.diagnostics().reason().map(ToString::to_string).collect();
        determining.sort();
        let mut failed_forbids: Vec<String> = response
            .diagnostics()
            .errors()
            .filter(|e| {
                let cedar_policy::AuthorizationError::PolicyEvaluationError(e) = e;
                self.info.get(&e.policy_id().to_string()).is_some_and(|i| i.effect == Effect::Forbid)
            })
            .map(ToString::to_string)
            .collect();
        failed_forbids.sort();
        if !failed_forbids.is_empty() {
            return deny(format!(
                "a forbid policy could not be evaluated, so the request is refused: {}",
                failed_forbids.join("; ")
            ));
        }
        match response.decision() {
            cedar_policy::Decision::Deny if determining.is_empty() => deny(format!(
                "no policy permits `{}` on {} for {} (default deny)",
                request.action, request.resource, request.principal
            )),
            cedar_policy::Decision::Deny => {
                let reason = self.reason_of(&determining, "forbidden by");
                Evaluation { decision: Decision::Deny, policies: determining, reason }
            }
            cedar_policy::Decision::Allow => {
                let approval = determining.iter().any(|id| self.info.get(id).is_some_and(|i| i.requires_approval));
                if approval {
                    let reason = self.reason_of(&determining, "needs a person's approval under");
                    Evaluation { decision: Decision::RequireApproval, policies: determining, reason }
                } else {
                    let reason = self.reason_of(&determining, "permitted by");
                    Evaluation { decision: Decision::Allow, policies: determining, reason }
                }
            }
        }
    }

    /// The `@reason` of the first determining policy that has one, else "<verb> policy `id`".
    fn reason_of(&self, ids: &[String], verb: &str) -> String {
        ids.iter().find_map(|id| self.info.get(id).and_then(|i| i.reason.clone())).unwrap_or_else(|| {
            let list = ids.iter().map(|id| format!("`{id}`")).collect::<Vec<_>>().join(", ");
            format!("{verb} policy {list}")
        })
    }
}

/// A request's context. The context of each surface without a delegation depth, which is most
/// requests, is built once per process.
fn context(surface: Surface, delegation_depth: Option<u32>) -> Result<Context, String> {
    static PLAIN: [OnceLock<Result<Context, String>>; Surface::ALL.len()] =
        [const { OnceLock::new() }; Surface::ALL.len()];
    let build = || {
        let mut pairs = vec![("surface".to_owned(), RestrictedExpression::new_string(surface.to_string()))];
        if let Some(depth) = delegation_depth {
            pairs.push(("delegation_depth".to_owned(), RestrictedExpression::new_long(i64::from(depth))));
        }
        Context::from_pairs(pairs).map_err(|e| e.to_string())
    };
    let slot = Surface::ALL.iter().position(|s| *s == surface).and_then(|i| PLAIN.get(i));
    match (delegation_depth, slot) {
        (None, Some(slot)) => slot.get_or_init(build).clone(),
        _ => build(),
    }
}

/// Which policies Cedar evaluates for a decision.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Over {
    /// The index's slice for the request: the only choice outside tests.
    Slice,
    /// Every policy of the request's surface, as naive Cedar would: the reference the property
    /// tests hold the index to.
    #[cfg(test)]
    WholeSurface,
}

#[cfg(test)]
mod tests;
