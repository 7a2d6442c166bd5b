//! What the Governor writes to the audit log: every decision with the inputs it read (so
//! `symbi audit replay` can make it again against its own policy set), every approval resolved or
//! timed out, every execution outcome with its duration, and agent lifecycle changes.
//!
//! Recording is part of acting: a decision whose record cannot be made durable authorizes
//! nothing (fail closed), and a tool result whose outcome cannot be recorded is not handed out.
//! Dry runs (`POST /api/v1/policies/evaluate`, tool tests) authorize nothing and are not recorded.

use std::sync::Arc;

use symbi_audit::{AuditLog, Event, Outcome, Receipt, ReplayInputs, Sha256Hash};
use symbi_policy::{Decision, EntityRef, Evaluation, Policies, PolicyRequest};

use super::{Governor, GovernorError, Refusal};
use crate::store::StoreError;

/// The policy set in force with the hash it is archived under; swapped as one, so a decision
/// always names the set it was made with.
#[derive(Debug)]
pub(super) struct InForce {
    pub(super) policies: Arc<Policies>,
    pub(super) set_hash: Sha256Hash,
}

/// Context key of replay inputs saying the tool's manifest holds every call policy allows for a
/// person (`human_approval = true`). The record states the policy's own decision; this key
/// explains the hold that follows it.
const MANIFEST_APPROVAL_KEY: &str = "manifest_requires_approval";

/// A decision about to be recorded: the evaluation plus what it read.
#[derive(Debug)]
pub(super) struct Decided {
    pub(super) evaluation: Evaluation,
    pub(super) set_hash: Sha256Hash,
    pub(super) entities: Arc<super::Gathered>,
    /// The sandbox tier of an agent principal, as its verified credential or definition sets it.
    pub(super) principal_tier: Option<u8>,
}

impl Governor {
    /// The audit log every decision and outcome is written to.
    pub fn audit(&self) -> &Arc<AuditLog> {
        &self.audit
    }

    /// Archives `policies` in the audit log's policy archive, so decisions made with it can be
    /// replayed, and pairs the set with its hash.
    pub(super) async fn archive(&self, policies: Policies) -> Result<InForce, GovernorError> {
        let audit = Arc::clone(&self.audit);
        tokio::task::spawn_blocking(move || {
            let set_hash = audit.policy_archive().archive(&policies.archive_text())?;
            Ok(InForce { policies: Arc::new(policies), set_hash })
        })
        .await
        .map_err(|e| StoreError::Backend { reason: e.to_string() })?
        .map_err(|e: std::io::Error| GovernorError::Audit { reason: format!("cannot archive the policy set: {e}") })
    }

    /// Appends `event`, tagged with the API request being served; an append that fails is a
    /// refusal, since an action without a durable record must not happen.
    pub(crate) async fn record(&self, mut event: Event) -> Result<Receipt, Refusal> {
        if event.request_id.is_none() {
            event.request_id = crate::api::current_request_id();
        }
        self.audit.append(event).await.map_err(|e| {
            tracing::error!(error = %e, "cannot write the audit record; the action is refused");
            Refusal::Unrecorded { reason: e.to_string() }
        })
    }

    /// Records a decision on `request` with its replay inputs.
    pub(super) async fn record_decision(
        &self,
        request: &PolicyRequest,
        decided: &Decided,
        manifest_hold: bool,
    ) -> Result<Receipt, Refusal> {
        let mut context = request.context_json();
        if let (true, Some(map)) = (manifest_hold, context.as_object_mut()) {
            map.insert(MANIFEST_APPROVAL_KEY.to_owned(), serde_json::Value::Bool(true));
        }
        let mut event =
            decision_record(request, &decided.evaluation, decided.set_hash, &context, &decided.entities.json);
        if manifest_hold && decided.evaluation.decision == Decision::Allow {
            event.reason =
                Some(format!("{}; the tool's manifest requires a person's approval", decided.evaluation.reason));
        }
        if let Some(tier) = decided.principal_tier {
            event = event.with_sandbox_tier(tier);
        }
        self.record(event).await
    }

    /// Records how a held action ended: approved or refused by a person (`by`), or timed out.
    pub(super) async fn record_resolution(
        &self,
        request: &PolicyRequest,
        by: Option<&str>,
        approved: bool,
    ) -> Result<Receipt, Refusal> {
        let (actor, action, resource) = (actor(request), request.action.as_str(), request.resource.to_string());
        let event = match by {
            Some(by) => {
                let decision = if approved { symbi_audit::Decision::Allow } else { symbi_audit::Decision::Deny };
                let verb = if approved { "approved" } else { "refused" };
                Event::approval_resolved(actor, action, resource, decision).with_reason(format!("{verb} by `{by}`"))
            }
            None => Event::approval_timeout(actor, action, resource)
                .with_reason("nobody approved the held action in time; denied"),
        };
        self.record(event.with_surface(request.surface.as_str()).with_principal(request.principal.to_string())).await
    }

    /// Records how an authorized action ended and how long it took.
    pub(super) async fn record_outcome(
        &self,
        request: &PolicyRequest,
        duration: std::time::Duration,
        error: Option<String>,
    ) -> Result<Receipt, Refusal> {
        let millis = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        let mut event = Event::execution_outcome(
            actor(request),
            request.action.as_str(),
            request.resource.to_string(),
            Outcome::Success,
            millis,
        )
        .with_surface(request.surface.as_str())
        .with_principal(request.principal.to_string());
        if let Some(error) = error {
            event = event.with_error(error);
        }
        self.record(event).await
    }

    /// Records an agent lifecycle change (`created`, `updated`, `deleted`) made by `by`.
    pub(super) async fn record_lifecycle(&self, agent: &str, change: &str, by: &str) -> Result<Receipt, GovernorError> {
        let event = Event::agent_lifecycle(agent, change).with_principal(by);
        self.record(event).await.map_err(|e| GovernorError::Audit { reason: e.to_string() })
    }

    /// The sandbox tier of an agent principal, as its definition sets it.
    pub(super) fn principal_tier(&self, request: &PolicyRequest) -> Option<u8> {
        let EntityRef::Agent(id) = &request.principal else { return None };
        let dsl = self.agent_dsl.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        let definition = dsl.get(id.as_str())?;
        Some(definition.sandbox_tier().unwrap_or(super::DEFAULT_SANDBOX_TIER))
    }
}

/// The audit record of one decision: who, what, on what, where, the decision with its policies and
/// reason, and the replay inputs (`set_hash` names the archived policy set; `context` and
/// `entities` are what the decision read). The Governor and `symbi policy evaluate` (hooks)
/// record decisions in this one shape, so `symbi audit replay` reads both alike.
pub fn decision_record(
    request: &PolicyRequest,
    evaluation: &Evaluation,
    set_hash: Sha256Hash,
    context: &serde_json::Value,
    entities: &serde_json::Value,
) -> Event {
    let replay = ReplayInputs::new(
        set_hash,
        request.principal.to_string(),
        request.action_ref(),
        request.resource.to_string(),
        context,
        entities,
    );
    let mut event = Event::decision(
        actor(request),
        request.action.as_str(),
        request.resource.to_string(),
        audit_decision(evaluation.decision),
        replay,
    )
    .with_surface(request.surface.as_str())
    .with_principal(request.principal.to_string())
    .with_reason(evaluation.reason.clone());
    if !evaluation.policies.is_empty() {
        event = event.with_policy(evaluation.policies.join(","));
    }
    event
}

/// The agent a record is about: the principal when it is an agent, else the agent acted upon
/// (an API caller running a tool for nobody in particular gives its own label).
fn actor(request: &PolicyRequest) -> String {
    match (&request.principal, &request.resource) {
        (EntityRef::Agent(id), _) | (_, EntityRef::Agent(id)) => id.clone(),
        (principal, _) => principal.to_string(),
    }
}

fn audit_decision(decision: Decision) -> symbi_audit::Decision {
    match decision {
        Decision::Allow => symbi_audit::Decision::Allow,
        Decision::Deny => symbi_audit::Decision::Deny,
        Decision::RequireApproval => symbi_audit::Decision::RequireApproval,
    }
}
