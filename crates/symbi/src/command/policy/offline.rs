//! Decisions without a running runtime: the project's policy files and the policy blocks of its
//! `agents/*.symbi`, compiled and validated exactly as `symbi up` does, with entity data from
//! those files and `[groups]`. Used by coding-assistant hooks and `symbi policy test`, which
//! must answer in milliseconds and cannot depend on a server being up.

use std::collections::BTreeMap;
use std::path::Path;

use symbi_policy::{
    AgentFacts, EntityRef, EntitySetBuilder, Evaluation, Policies, PolicyRequest, PolicySource, ResourceFacts,
    ToolFacts,
};
use symbi_runtime::Config;

use super::cache::{self, AgentView, Agents};
use crate::exit::Failure;

/// A project's policy set and what its files say about agents (and, with a catalog, tools).
#[derive(Debug)]
pub(crate) struct Offline {
    policies: Policies,
    agents: Agents,
    config: Config,
    catalog: Option<symbi_toolclad::Catalog>,
    /// The hash the set's archive text has, when the hook cache remembered it.
    set_hash: Option<symbi_audit::Sha256Hash>,
}

/// Everything a project's policy set is compiled from, read from disk.
struct Inputs {
    config: Config,
    /// The policy files.
    sources: Vec<PolicySource>,
    /// `agents/*.symbi`, as (path relative to the project, text).
    agent_files: Vec<(String, String)>,
}

impl Offline {
    /// Loads `dir`'s configuration, policy files and agent files, compiling and validating all.
    ///
    /// Fails (invalid input) when any of them has errors; the message lists every problem.
    pub(crate) fn load(dir: &Path) -> Result<Self, Failure> {
        let inputs = Inputs::read(dir)?;
        let (policies, agents) = inputs.compile()?;
        Ok(Self { policies, agents, config: inputs.config, catalog: None, set_hash: None })
    }

    /// As [`Offline::load`], but takes the compiled set from the project's hook cache when every
    /// input is unchanged since it was written, and refreshes the cache when not.
    ///
    /// Fails as [`Offline::load`] does; a cache that cannot be read or written is not a failure.
    pub(super) fn load_cached(dir: &Path) -> Result<Self, Failure> {
        let inputs = Inputs::read(dir)?;
        let key = cache::key(&inputs.sources, &inputs.agent_files);
        let file = cache::path(&inputs.config.data_dir);
        if let Some(cached) = cache::read(&file, &key) {
            let cache::Cached { policies, agents, set_hash } = cached;
            return Ok(Self { policies, agents, config: inputs.config, catalog: None, set_hash: Some(set_hash) });
        }
        let (policies, agents) = inputs.compile()?;
        cache::write(&file, &key, &policies, &agents);
        Ok(Self { policies, agents, config: inputs.config, catalog: None, set_hash: None })
    }

    /// Decides with the risk tier and tool sets `catalog`'s manifests give tools, as the
    /// Governor does (`symbi tools test`).
    pub(crate) fn with_catalog(mut self, catalog: symbi_toolclad::Catalog) -> Self {
        self.catalog = Some(catalog);
        self
    }

    /// How many policies are in force.
    pub(super) fn len(&self) -> usize {
        self.policies.len()
    }

    /// Decides `request` with the entity data the project's files give.
    pub(crate) fn decide(&self, request: &PolicyRequest) -> Evaluation {
        self.decide_recorded(request).0
    }

    /// As [`Offline::decide`], also returning the entity data the decision read (Cedar's entity
    /// JSON), for its audit record.
    pub(super) fn decide_recorded(&self, request: &PolicyRequest) -> (Evaluation, serde_json::Value) {
        let mut builder = EntitySetBuilder::new();
        let mut seen = Vec::new();
        for entity in [&request.principal, &request.resource] {
            if seen.contains(&entity) {
                continue;
            }
            seen.push(entity);
            match entity {
                EntityRef::Agent(id) => {
                    builder.agent(&self.agent_facts(id));
                }
                EntityRef::Tool(id) => {
                    builder.tool(&self.tool_facts(id));
                }
                EntityRef::Resource(id) => {
                    builder.resource_facts(&ResourceFacts {
                        id: id.clone(),
                        kind: "file".to_owned(),
                        classification: "unknown".to_owned(),
                        verified: None,
                        path: Some(id.clone()),
                    });
                }
                EntityRef::ApiKey(id) => {
                    builder.api_key(id, false);
                }
                EntityRef::AgentGroup(_) | EntityRef::ToolSet(_) | EntityRef::Secret(_) | EntityRef::Schedule(_) => {}
            }
        }
        let groups = &self.config.groups;
        for group in groups.agents.keys() {
            let parents: Vec<String> =
                groups.agents.iter().filter(|(_, m)| m.contains(group)).map(|(g, _)| g.clone()).collect();
            builder.agent_group(group, &parents);
        }
        for set in groups.tools.keys() {
            builder.tool_set(set, &[]);
        }
        match builder.build() {
            Ok(entities) => (self.policies.evaluate(request, &entities), entities.to_json()),
            Err(e) => (
                Evaluation {
                    decision: symbi_policy::Decision::Deny,
                    policies: Vec::new(),
                    reason: format!("cannot build what the decision needs, so the request is refused: {e}"),
                },
                serde_json::Value::Array(Vec::new()),
            ),
        }
    }

    /// The policy set, for its archived record form.
    pub(super) fn policies(&self) -> &Policies {
        &self.policies
    }

    /// The hash of the set's archive text, when the hook cache remembered it.
    pub(super) fn set_hash(&self) -> Option<symbi_audit::Sha256Hash> {
        self.set_hash
    }

    /// The project's configuration.
    pub(super) fn config(&self) -> &Config {
        &self.config
    }

    /// An agent as its `.symbi` file and `[groups]` describe it; an agent no file defines is
    /// tier 0 with no capabilities.
    fn agent_facts(&self, id: &str) -> AgentFacts {
        let view = self.agents.get(id);
        let member_of = |table: &BTreeMap<String, Vec<String>>| {
            table.iter().filter(|(_, members)| members.iter().any(|m| m == id)).map(|(name, _)| name.clone()).collect()
        };
        AgentFacts {
            id: id.to_owned(),
            name: id.to_owned(),
            sandbox_tier: view.and_then(|a| a.sandbox_tier).unwrap_or(0),
            capabilities: view.map(|a| a.capabilities.clone()).unwrap_or_default(),
            domain: String::new(),
            verified: false,
            roles: member_of(&self.config.groups.roles),
            groups: member_of(&self.config.groups.agents),
        }
    }

    /// A tool as its manifest (when a catalog is given) and `[groups]` describe it.
    fn tool_facts(&self, id: &str) -> ToolFacts {
        let manifest = self.catalog.as_ref().and_then(|c| c.tool(id));
        symbi_runtime::tool_facts(id, manifest, &self.config.groups)
    }
}

impl Inputs {
    /// Reads the configuration, every policy file and every agent file.
    fn read(dir: &Path) -> Result<Self, Failure> {
        let config = super::super::load_config(dir)?;
        let project = config.policy.dir.parent().unwrap_or(dir).to_owned();
        let sources = symbi_policy::read_dir(&config.policy.dir, &project).map_err(Failure::invalid)?;
        let mut agent_files = Vec::new();
        for file in symbi_files(&config.agents_dir)? {
            let label = file.strip_prefix(&project).unwrap_or(&file).display().to_string();
            agent_files.push((label, super::super::dsl::read(&file)?));
        }
        Ok(Self { config, sources, agent_files })
    }

    /// Compiles the agent files' policy blocks and validates the whole set.
    fn compile(&self) -> Result<(Policies, Agents), Failure> {
        let mut sources = self.sources.clone();
        let mut agents = Agents::new();
        for (label, source) in &self.agent_files {
            let compiled = symbi_policy::compile_agent_policies(label, source)
                .map_err(|e| Failure::invalid(anyhow::anyhow!("{}", symbi_dsl::render(label, source, &e))))?;
            sources.push(compiled.policy_source());
            for agent in compiled.agents() {
                let view =
                    AgentView { sandbox_tier: agent.sandbox_tier(), capabilities: agent.capabilities().to_vec() };
                agents.insert(agent.name().to_owned(), view);
            }
        }
        let policies = Policies::compile(&sources).map_err(Failure::invalid)?;
        Ok((policies, agents))
    }
}

/// The `*.symbi` files directly in `dir`, sorted; none when it does not exist.
fn symbi_files(dir: &Path) -> Result<Vec<std::path::PathBuf>, Failure> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Failure::invalid(anyhow::anyhow!("cannot list `{}`: {e}", dir.display()))),
    };
    let mut files: Vec<_> =
        entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "symbi")).collect();
    files.sort();
    Ok(files)
}
