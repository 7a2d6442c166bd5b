//! What the policy set is built from, and how those inputs become one validated set.
//!
//! A change is made to a copy of the [`Inputs`], compiled whole, and only then stored and
//! swapped in, so the store never holds anything the set in force could not be built from.

use std::collections::{BTreeMap, HashMap};

use symbi_policy::{AgentPolicies, Policies, PolicySource, Surface, compile_registered_agent, scope_to_agent};

use super::GovernorError;
use crate::store::{StoredAgentPolicy, StoredPolicy};

/// Every input of the policy set.
#[derive(Debug)]
pub(super) struct Inputs {
    /// Files in the policy directory.
    pub(super) files: Vec<PolicySource>,
    /// Policies managed over the API, by name.
    pub(super) managed: BTreeMap<String, StoredPolicy>,
    /// Every registered agent by id, with its `.symbi` source when it has one.
    pub(super) agent_dsl: BTreeMap<String, Option<String>>,
    /// Cedar attached to agents over the API, by (agent, name).
    pub(super) attached: BTreeMap<(String, String), StoredAgentPolicy>,
}

/// A validated policy set with what the agents' DSL says about them.
#[derive(Debug)]
pub(super) struct Compiled {
    pub(super) policies: Policies,
    pub(super) agents: HashMap<String, AgentPolicies>,
}

impl Inputs {
    /// Turns the inputs into Cedar sources and compiles them into one set.
    ///
    /// Fails, building nothing, when an agent's DSL does not compile, attached text names another
    /// principal, or the whole set does not validate.
    pub(super) fn compile(self) -> Result<Compiled, GovernorError> {
        let mut sources = self.files;
        for policy in self.managed.into_values() {
            let surface = policy.surface.as_deref().and_then(Surface::parse);
            sources.push(PolicySource { origin: api_origin(&policy.name), surface, text: policy.source });
        }
        let mut agents = HashMap::new();
        for (id, dsl) in self.agent_dsl {
            let Some(dsl) = dsl else { continue };
            let origin = format!("agent:{id}");
            let compiled = compile_registered_agent(&origin, &dsl, &id)
                .map_err(|error| GovernorError::AgentDsl { agent: id.clone(), error: Box::new(error) })?;
            let Some(compiled) = compiled else { continue };
            if !compiled.is_empty() {
                sources.push(PolicySource { origin, surface: None, text: compiled.cedar().to_owned() });
            }
            agents.insert(id, compiled);
        }
        for ((agent, name), policy) in self.attached {
            if !policy.active {
                continue;
            }
            let origin = attached_origin(&agent, &name);
            let text = scope_to_agent(&origin, &policy.source, &agent)?;
            sources.push(PolicySource { origin, surface: None, text });
        }
        Ok(Compiled { policies: Policies::compile(&sources)?, agents })
    }
}

impl Compiled {
    /// The ids of the policies that came from `origin`.
    pub(super) fn ids_from(&self, origin: &str) -> Vec<String> {
        self.policies.policies().filter(|p| p.origin == origin).map(|p| p.id.clone()).collect()
    }
}

/// The origin of a policy managed over the API.
pub(super) fn api_origin(name: &str) -> String {
    format!("api:{name}")
}

/// The origin of Cedar attached to an agent over the API.
pub(super) fn attached_origin(agent: &str, name: &str) -> String {
    format!("agent:{agent}/{name}")
}
