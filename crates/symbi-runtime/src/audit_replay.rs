//! Replaying logged decisions: each decision record names the policy set it was made with (by
//! the hash it is archived under) and carries the request and entity data the decision read.
//! Compiling that set again and deciding that request again must give the recorded decision; a
//! record where it does not is evidence that the runtime did not obey its policy, or that the
//! record was altered and re-chained. This is `symbi audit replay`.

use std::collections::HashMap;
use std::sync::Arc;

use symbi_audit::{EventId, EventKind, PolicyArchive, Record, ReplayInputs, Sha256Hash};
use symbi_policy::{Decision, EntitySet, Policies, PolicyRequest};

/// One record whose replay did not give the recorded decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The record.
    pub event_id: EventId,
    /// The decision the record states.
    pub recorded: String,
    /// The decision replay made, or `None` when the record could not be replayed at all.
    pub replayed: Option<String>,
    /// What differs, or why replay was impossible.
    pub detail: String,
}

/// What a replay found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayReport {
    /// Decision records replayed.
    pub replayed: u64,
    /// Records whose replay differed or was impossible, in log order.
    pub differences: Vec<Difference>,
}

/// Replays decision records one by one, compiling each archived policy set once.
#[derive(Debug)]
pub struct Replayer<'a> {
    archive: &'a PolicyArchive,
    sets: HashMap<Sha256Hash, Result<Arc<Policies>, String>>,
    report: ReplayReport,
}

impl<'a> Replayer<'a> {
    /// A replayer reading policy sets from `archive`.
    pub fn new(archive: &'a PolicyArchive) -> Self {
        Self { archive, sets: HashMap::new(), report: ReplayReport::default() }
    }

    /// Replays `record` if it is a decision (other kinds are passed over), noting any difference.
    pub fn check(&mut self, record: &Record) {
        let event = record.event();
        if event.kind != EventKind::Decision {
            return;
        }
        self.report.replayed += 1;
        let recorded = event.decision.map_or("none", symbi_audit::Decision::as_str).to_owned();
        let difference = |replayed: Option<String>, detail: String| Difference {
            event_id: record.event_id(),
            recorded: recorded.clone(),
            replayed,
            detail,
        };
        let Some(inputs) = &event.replay else {
            let found = difference(None, "the decision record carries no replay inputs".to_owned());
            self.report.differences.push(found);
            return;
        };
        let stated = event.policy.clone().unwrap_or_default();
        let found = match self.decide(inputs) {
            Err(detail) => Some(difference(None, detail)),
            Ok((decision, policies)) if decision.as_str() != recorded => {
                let detail = format!(
                    "recorded `{recorded}` but its policy set decides `{}` (policies: {})",
                    decision.as_str(),
                    if policies.is_empty() { "none; default deny".to_owned() } else { policies.join(", ") }
                );
                Some(difference(Some(decision.as_str().to_owned()), detail))
            }
            Ok((decision, policies)) if policies.join(",") != stated => Some(difference(
                Some(decision.as_str().to_owned()),
                format!("same decision, but the record names policies `{stated}` and replay `{}`", policies.join(",")),
            )),
            Ok(_) => None,
        };
        self.report.differences.extend(found);
    }

    /// What was found so far.
    pub fn finish(self) -> ReplayReport {
        self.report
    }

    /// Decides the recorded request again: the decision and the determining policies.
    fn decide(&mut self, inputs: &ReplayInputs) -> Result<(Decision, Vec<String>), String> {
        let policies = self.policies(&inputs.policy_set)?;
        let context: serde_json::Value =
            serde_json::from_str(&inputs.context).map_err(|e| format!("the recorded context is not JSON: {e}"))?;
        let entities: serde_json::Value =
            serde_json::from_str(&inputs.entities).map_err(|e| format!("the recorded entities are not JSON: {e}"))?;
        let request = PolicyRequest::from_record(&inputs.principal, &inputs.action, &inputs.resource, &context)?;
        let entities =
            EntitySet::from_json(&entities).map_err(|e| format!("the recorded entities do not fit the schema: {e}"))?;
        let evaluation = policies.evaluate(&request, &entities);
        Ok((evaluation.decision, evaluation.policies))
    }

    fn policies(&mut self, hash: &Sha256Hash) -> Result<Arc<Policies>, String> {
        let archive = self.archive;
        self.sets
            .entry(*hash)
            .or_insert_with(|| match archive.get(hash) {
                Ok(Some(text)) => Policies::from_archive_text(&text)
                    .map(Arc::new)
                    .map_err(|e| format!("the archived policy set {hash} does not compile: {e}")),
                Ok(None) => Err(format!("the policy set {hash} is not in the archive")),
                Err(e) => Err(format!("cannot read the archived policy set {hash}: {e}")),
            })
            .clone()
    }
}
