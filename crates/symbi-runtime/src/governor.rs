//! The Governor: the one door every action passes. It holds the policy set in force, builds the
//! entity data a decision reads from runtime state, and decides.
//!
//! The set has four inputs: files in the policy directory, policies managed over the API, the
//! policy blocks of every agent's `.symbi` definition (origin `agent:<id>`), and Cedar attached
//! to one agent over the API (origin `agent:<id>/<name>`, scoped to that agent). Every change —
//! a file edit, a managed policy, an agent registered with DSL — is applied to a copy of the
//! inputs, compiled and validated whole, and only then stored and swapped in; an invalid set is
//! refused and the old one stays in force (fail closed: the runtime never runs on a half-loaded
//! set). Changes are serialised so two writers cannot interleave check and swap. The directory is
//! polled for changes, which needs no platform watcher and catches edits made by any tool.

mod entity_cache;
mod identity;
mod inputs;
mod record;
mod tools;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use symbi_audit::AuditLog;
use symbi_toolclad::Catalog;

use symbi_policy::{
    AgentFacts, AgentPolicies, CommunicationAction, CommunicationGate, CommunicationRule, DslCompileErrors, Effect,
    EntityRef, EntitySet, EntitySetBuilder, Evaluation, Policies, PolicyError, PolicyRequest, RuleError, RuleSpec,
    Surface, ToolFacts,
};

use self::entity_cache::{EntityCache, Gathered};
pub use self::identity::{CredentialRefused, VerifiedAgent};
use self::inputs::{Compiled, Inputs, api_origin, attached_origin};
pub use self::record::decision_record;
use self::record::{Decided, InForce};
use self::tools::Tools;
pub use self::tools::{ToolRunError, tool_facts};
use crate::agent::{Agent, AgentDefinition, AgentId};
use crate::agent_files::{self, AgentFileError, SOURCE_KEY};
use crate::approvals::{ApprovalQueue, Resolution};
use crate::config::{Config, Groups};
use crate::keys::KeyScope;
use crate::store::{AgentUpdate, Store, StoreError, StoredAgentPolicy, StoredPolicy, StoredRule};

/// The sandbox tier of agents whose definition does not set one. Tier 1 (container) is the
/// default the house plan gives registered agents unless their DSL says otherwise.
const DEFAULT_SANDBOX_TIER: u8 = 1;

/// The principal label of changes made by following `agents/*.symbi`.
const AGENT_FILES: &str = "agent-files";

/// The principal label of tool catalog reloads made by following the tool files.
const TOOL_FILES: &str = "tool-files";

/// Decides actions against policy.
#[derive(Debug)]
pub struct Governor {
    store: Arc<dyn Store>,
    /// The policy set in force and its archive hash, swapped whole.
    in_force: RwLock<Arc<InForce>>,
    audit: Arc<AuditLog>,
    policy_dir: PathBuf,
    agents_dir: PathBuf,
    project_dir: PathBuf,
    groups: Groups,
    config_rules: Vec<CommunicationRule>,
    communication: RwLock<Arc<Communication>>,
    /// What each agent's DSL says about it (sandbox tier, capabilities), from the last swap.
    agent_dsl: RwLock<Arc<HashMap<String, AgentPolicies>>>,
    /// Held from reading the inputs of a change to swapping its result in.
    changes: tokio::sync::Mutex<()>,
    approvals: ApprovalQueue,
    tools: Tools,
    /// Where the AgentPin documents credentials are verified against come from: the data
    /// directory's files, then HTTPS when `[trust] fetch` allows.
    identity: identity::Identity,
    /// Entity data of recent decisions, emptied whenever the state it describes changes.
    entity_cache: EntityCache,
}

/// The communication gate in force and the id of each of its rules: `config-<n>` for rules from
/// `symbiont.toml`, the store's number for rules added over the API.
#[derive(Debug, Default)]
pub struct Communication {
    /// The gate.
    pub gate: CommunicationGate,
    /// Rule ids, in the gate's order.
    pub ids: Vec<String>,
}

/// Proof that the Governor allowed one action. Executors require it, and only the Governor can
/// make one: its fields are private, and it has no public constructor, `Clone`, `Default` or
/// `Deserialize`, so no code path can run an action without a decision.
#[derive(Debug)]
pub struct Authorization {
    request: PolicyRequest,
    policies: Vec<String>,
    approved_by: Option<String>,
}

impl Authorization {
    /// The action that was allowed.
    pub fn request(&self) -> &PolicyRequest {
        &self.request
    }

    /// The policies that allowed it.
    pub fn policies(&self) -> &[String] {
        &self.policies
    }

    /// Who approved it, when policy required approval.
    pub fn approved_by(&self) -> Option<&str> {
        self.approved_by.as_deref()
    }
}

/// Why the Governor refused an action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Policy denied it.
    #[error("denied by policy: {reason}")]
    Denied {
        /// Why.
        reason: String,
        /// The determining policies (empty for default deny).
        policies: Vec<String>,
    },
    /// A person refused it.
    #[error("a person refused the action (`{by}`)")]
    NotApproved {
        /// Who.
        by: String,
    },
    /// Nobody approved it in time.
    #[error("nobody approved the action in time")]
    ApprovalTimedOut,
    /// Its audit record could not be made durable, so it is not done (fail closed).
    #[error("the action cannot be recorded in the audit log, so it is refused: {reason}")]
    Unrecorded {
        /// Why the append failed.
        reason: String,
    },
}

/// Why policies could not be loaded or changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GovernorError {
    /// The policy text is invalid; nothing changed.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A communication rule does not check.
    #[error(transparent)]
    Rule(#[from] RuleError),
    /// An agent's `.symbi` definition does not compile to policy; nothing changed.
    #[error("the definition of agent `{agent}` does not compile to policy: {error}")]
    AgentDsl {
        /// The agent id.
        agent: String,
        /// Every problem, with positions in the agent's source.
        #[source]
        error: Box<DslCompileErrors>,
    },
    /// A ToolClad manifest (or the scope file) is invalid.
    #[error(transparent)]
    Tools(#[from] symbi_toolclad::LoadErrors),
    /// The outbound client cannot be set up (`[network]`).
    #[error(transparent)]
    Network(#[from] crate::http_client::NetworkError),
    /// The agent files have errors; nothing changed.
    #[error(transparent)]
    AgentFiles(#[from] AgentFileError),
    /// A file defines an agent whose id an agent registered over the API already has.
    #[error(
        "`{file}` defines agent `{agent}`, but an agent with that id was registered over the API; \
         rename one or delete the registered agent"
    )]
    AgentFileConflict {
        /// The agent id.
        agent: String,
        /// The file.
        file: String,
    },
    /// The agent does not exist.
    #[error("agent `{agent}` not found")]
    AgentNotFound {
        /// The agent id.
        agent: String,
    },
    /// The audit log could not record the change or archive the policy set; nothing changed.
    #[error("{reason}")]
    Audit {
        /// What failed.
        reason: String,
    },
    /// A policy name or surface is not acceptable.
    #[error("invalid policy `{name}`: {reason}")]
    Name {
        /// The name given.
        name: String,
        /// What is wrong.
        reason: String,
    },
}

impl Governor {
    /// Loads every policy and checks the set.
    ///
    /// Fails when any policy is invalid (the runtime must not start on a set it cannot enforce)
    /// or the store cannot be read.
    pub async fn open(config: &Config, store: Arc<dyn Store>, audit: Arc<AuditLog>) -> Result<Self, GovernorError> {
        let project_dir = config.policy.dir.parent().map(Path::to_owned).unwrap_or_default();
        // Manifests are read from disk: off the async threads.
        let dir = project_dir.clone();
        let catalog = tokio::task::spawn_blocking(move || Catalog::load(&dir))
            .await
            .map_err(|e| StoreError::Backend { reason: e.to_string() })??;
        // The runtime's one outbound client: `[http]` tools and discovery fetches share it.
        let client = Arc::new(crate::http_client::HttpClient::new(&config.network)?);
        let tools = Tools::new(
            catalog,
            Arc::clone(&store),
            &config.data_dir,
            project_dir.clone(),
            config.tools,
            Arc::clone(&client),
        );
        let empty =
            Arc::new(InForce { policies: Arc::new(Policies::empty()), set_hash: symbi_audit::Sha256Hash::default() });
        let governor = Self {
            store,
            in_force: RwLock::new(empty),
            identity: identity::Identity::new(config, client, Arc::clone(&audit)),
            audit,
            policy_dir: config.policy.dir.clone(),
            agents_dir: config.agents_dir.clone(),
            project_dir,
            groups: config.groups.clone(),
            config_rules: config.communication_rules.clone(),
            communication: RwLock::default(),
            agent_dsl: RwLock::default(),
            changes: tokio::sync::Mutex::new(()),
            approvals: ApprovalQueue::new(config.approval_timeout),
            tools,
            entity_cache: EntityCache::default(),
        };
        governor.install(governor.inputs().await?.compile()?).await?;
        governor.rebuild_communication().await?;
        Ok(governor)
    }

    /// The policy set in force now.
    pub fn policies(&self) -> Arc<Policies> {
        Arc::clone(&self.in_force().policies)
    }

    fn in_force(&self) -> Arc<InForce> {
        Arc::clone(&self.in_force.read().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// The communication policy gate in force.
    pub fn communication(&self) -> Arc<Communication> {
        Arc::clone(&self.communication.read().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Adds a communication rule over the API and returns its id.
    ///
    /// Fails when a glob does not parse or `max_depth` is set on a deny rule.
    pub async fn add_communication_rule(&self, spec: RuleSpec) -> Result<String, GovernorError> {
        CommunicationRule::new(spec.clone())?;
        let stored = StoredRule {
            id: 0,
            from: spec.from,
            to: spec.to,
            action: spec.action.map(|a| a.as_str().to_owned()),
            effect: match spec.effect {
                Effect::Permit => "allow".to_owned(),
                Effect::Forbid => "deny".to_owned(),
            },
            reason: spec.reason,
            priority: spec.priority,
            max_depth: spec.max_depth,
        };
        let id = self.store.add_communication_rule(&stored).await?;
        self.rebuild_communication().await?;
        Ok(id.to_string())
    }

    /// Removes a communication rule added over the API; `false` if there was none. Rules from
    /// `symbiont.toml` are changed in the file, not here.
    pub async fn delete_communication_rule(&self, id: &str) -> Result<bool, GovernorError> {
        let Ok(id) = id.parse::<i64>() else { return Ok(false) };
        let removed = self.store.delete_communication_rule(id).await?;
        self.rebuild_communication().await?;
        Ok(removed)
    }

    async fn rebuild_communication(&self) -> Result<(), GovernorError> {
        let mut rules = self.config_rules.clone();
        let mut ids: Vec<String> = (0..rules.len()).map(|i| format!("config-{i}")).collect();
        for stored in self.store.communication_rules().await? {
            let spec = RuleSpec {
                from: stored.from,
                to: stored.to,
                action: stored.action.as_deref().and_then(CommunicationAction::parse),
                effect: if stored.effect == "allow" { Effect::Permit } else { Effect::Forbid },
                reason: stored.reason,
                max_depth: stored.max_depth,
                priority: stored.priority,
            };
            rules.push(CommunicationRule::new(spec)?);
            ids.push(stored.id.to_string());
        }
        let next = Arc::new(Communication { gate: CommunicationGate::new(rules), ids });
        *self.communication.write().unwrap_or_else(std::sync::PoisonError::into_inner) = next;
        Ok(())
    }

    /// Re-reads every policy and swaps the set in whole. On failure the old set stays in force.
    pub async fn reload(&self) -> Result<usize, GovernorError> {
        let _change = self.changes.lock().await;
        let compiled = self.inputs().await?.compile()?;
        self.install(compiled).await
    }

    /// Adds or replaces a policy managed over the API, only if the whole set stays valid.
    /// Returns the ids of the policies the text defines.
    pub async fn put_policy(
        &self,
        name: &str,
        surface: Option<&str>,
        source: &str,
    ) -> Result<Vec<String>, GovernorError> {
        check_name(name)?;
        let surface = match surface {
            Some(s) => Some(Surface::parse(s).ok_or_else(|| GovernorError::Name {
                name: name.to_owned(),
                reason: format!("`{s}` is not a surface; use one of {}", Surface::ALL.map(Surface::as_str).join(", ")),
            })?),
            None => None,
        };
        let candidate = StoredPolicy {
            name: name.to_owned(),
            surface: surface.map(|s| s.as_str().to_owned()),
            source: source.to_owned(),
            updated_at: SystemTime::now(),
        };
        let _change = self.changes.lock().await;
        let mut inputs = self.inputs().await?;
        inputs.managed.insert(name.to_owned(), candidate.clone());
        let compiled = inputs.compile()?;
        let ids = compiled.ids_from(&api_origin(name));
        self.store.put_policy(&candidate).await?;
        self.install(compiled).await?;
        Ok(ids)
    }

    /// Removes a policy managed over the API; `false` if there was none.
    pub async fn delete_policy(&self, name: &str) -> Result<bool, GovernorError> {
        let _change = self.changes.lock().await;
        if !self.store.delete_policy(name).await? {
            return Ok(false);
        }
        self.install(self.inputs().await?.compile()?).await?;
        Ok(true)
    }

    /// Attaches Cedar text to one agent (the SDK's `reasoning/cedar`), or replaces its namesake.
    /// Its policies are scoped to the agent; an inactive policy is stored but not enforced. The
    /// whole set is validated first. Returns the ids in force from it (none when inactive).
    pub async fn put_agent_policy(&self, policy: StoredAgentPolicy) -> Result<Vec<String>, GovernorError> {
        check_name(&policy.name)?;
        let _change = self.changes.lock().await;
        let mut inputs = self.inputs().await?;
        if !inputs.agent_dsl.contains_key(policy.agent.as_str()) {
            return Err(GovernorError::AgentNotFound { agent: policy.agent.to_string() });
        }
        let origin = attached_origin(policy.agent.as_str(), &policy.name);
        inputs.attached.insert((policy.agent.to_string(), policy.name.clone()), policy.clone());
        let compiled = inputs.compile()?;
        let ids = compiled.ids_from(&origin);
        if self.store.put_agent_policy(&policy).await?.is_none() {
            return Err(GovernorError::AgentNotFound { agent: policy.agent.to_string() });
        }
        self.install(compiled).await?;
        Ok(ids)
    }

    /// Removes Cedar text attached to an agent; `false` if there was none.
    pub async fn delete_agent_policy(&self, agent: &AgentId, name: &str) -> Result<bool, GovernorError> {
        let _change = self.changes.lock().await;
        if !self.store.delete_agent_policy(agent, name).await? {
            return Ok(false);
        }
        self.install(self.inputs().await?.compile()?).await?;
        Ok(true)
    }

    /// Registers an agent for `by` (a principal label). When it has a `.symbi` definition, its
    /// policy blocks are compiled and validated with the whole set first, and are in force when
    /// this returns. The change is recorded in the audit log before it is made.
    pub async fn register_agent(
        &self,
        id: &AgentId,
        definition: &AgentDefinition,
        by: &str,
    ) -> Result<Agent, GovernorError> {
        let _change = self.changes.lock().await;
        let mut inputs = self.inputs().await?;
        inputs.agent_dsl.insert(id.to_string(), definition.dsl.clone());
        let compiled = inputs.compile()?;
        if self.store.agent(id).await?.is_some() {
            return Err(StoreError::AgentExists { id: id.clone() }.into());
        }
        self.record_lifecycle(id.as_str(), "created", by).await?;
        let agent = self.store.create_agent(id, definition, SystemTime::now()).await?;
        self.install(compiled).await?;
        Ok(agent)
    }

    /// Changes an agent's definition for `by`; a new `.symbi` definition is compiled and
    /// validated with the whole set first. `None` if the agent does not exist.
    pub async fn update_agent(
        &self,
        id: &AgentId,
        update: &AgentUpdate,
        by: &str,
    ) -> Result<Option<Agent>, GovernorError> {
        let _change = self.changes.lock().await;
        let mut inputs = self.inputs().await?;
        if !inputs.agent_dsl.contains_key(id.as_str()) {
            return Ok(None);
        }
        if let Some(dsl) = &update.dsl {
            inputs.agent_dsl.insert(id.to_string(), Some(dsl.clone()));
        }
        let compiled = inputs.compile()?;
        self.record_lifecycle(id.as_str(), "updated", by).await?;
        let Some(agent) = self.store.update_agent(id, update, SystemTime::now()).await? else { return Ok(None) };
        self.install(compiled).await?;
        Ok(Some(agent))
    }

    /// Removes an agent with its history and every policy of it for `by`; `false` if it did
    /// not exist.
    pub async fn remove_agent(&self, id: &AgentId, by: &str) -> Result<bool, GovernorError> {
        let _change = self.changes.lock().await;
        if self.store.agent(id).await?.is_none() {
            return Ok(false);
        }
        self.record_lifecycle(id.as_str(), "deleted", by).await?;
        if !self.store.delete_agent(id).await? {
            return Ok(false);
        }
        self.install(self.inputs().await?.compile()?).await?;
        Ok(true)
    }

    /// Decides `request`, reading the entity data it needs from runtime state. Never fails:
    /// anything that prevents a decision is a deny with the reason.
    /// A dry run: nothing is authorized, so nothing is recorded.
    pub async fn evaluate(&self, request: &PolicyRequest) -> Evaluation {
        self.decide(request, None).await.evaluation
    }

    /// Decides `request` against the set in force, keeping what the decision read.
    /// With `identity`, the principal's facts are what its verified credential says.
    async fn decide(&self, request: &PolicyRequest, identity: Option<&VerifiedAgent>) -> Decided {
        let in_force = self.in_force();
        let principal_tier = identity
            .filter(|v| request.principal == EntityRef::Agent(v.agent_id.clone()))
            .and_then(|v| v.sandbox_tier)
            .or_else(|| self.principal_tier(request));
        match self.entities(request, identity).await {
            Ok(gathered) => Decided {
                evaluation: in_force.policies.evaluate(request, &gathered.set),
                set_hash: in_force.set_hash,
                entities: gathered,
                principal_tier,
            },
            Err(reason) => Decided {
                evaluation: Evaluation {
                    decision: symbi_policy::Decision::Deny,
                    policies: Vec::new(),
                    reason: format!("cannot gather what the decision needs, so the request is refused: {reason}"),
                },
                set_hash: in_force.set_hash,
                entities: Arc::new(Gathered::nothing()),
                principal_tier,
            },
        }
    }

    /// Decides `request`, records the decision, and, if policy allows it, returns the
    /// authorization an executor needs. When policy requires approval the call waits until a
    /// person approves, refuses, or the approval timeout passes (a refusal); the resolution is
    /// recorded too. A decision that cannot be recorded authorizes nothing.
    pub async fn authorize(&self, request: PolicyRequest) -> Result<Authorization, Refusal> {
        self.authorize_with(request, false, None).await
    }

    /// As [`Governor::authorize`]; with `manifest_hold` (a manifest's `human_approval`) an
    /// action policy allows is held for a person as well.
    /// With `identity`, the principal is an agent whose credential was verified.
    async fn authorize_with(
        &self,
        request: PolicyRequest,
        manifest_hold: bool,
        identity: Option<&VerifiedAgent>,
    ) -> Result<Authorization, Refusal> {
        let decided = self.decide(&request, identity).await;
        self.record_decision(&request, &decided, manifest_hold).await?;
        let Evaluation { decision, policies, reason } = decided.evaluation;
        match decision {
            symbi_policy::Decision::Deny => Err(Refusal::Denied { reason, policies }),
            symbi_policy::Decision::Allow if !manifest_hold => {
                Ok(Authorization { request, policies, approved_by: None })
            }
            symbi_policy::Decision::Allow => {
                let reason = format!("{reason}; the tool's manifest requires human approval");
                self.hold(request, reason, policies).await
            }
            symbi_policy::Decision::RequireApproval => self.hold(request, reason, policies).await,
        }
    }

    /// Holds `request` until a person approves it (an authorization), refuses it, or the approval
    /// timeout passes (a refusal), and records which.
    async fn hold(
        &self,
        request: PolicyRequest,
        reason: String,
        policies: Vec<String>,
    ) -> Result<Authorization, Refusal> {
        match self.approvals.hold(request.clone(), reason, policies.clone()).await {
            Some(Resolution::Approved { by }) => {
                self.record_resolution(&request, Some(&by), true).await?;
                Ok(Authorization { request, policies, approved_by: Some(by) })
            }
            Some(Resolution::Denied { by }) => {
                self.record_resolution(&request, Some(&by), false).await?;
                Err(Refusal::NotApproved { by })
            }
            None => {
                self.record_resolution(&request, None, false).await?;
                Err(Refusal::ApprovalTimedOut)
            }
        }
    }

    /// Brings the registered agents in step with `agents/*.symbi`: registers the agents the files
    /// define (under their names), updates those whose file changed, and removes those whose file
    /// no longer defines them, with their policies. The resulting set is validated whole first;
    /// on any error nothing changes. Agents registered over the API are left alone. Returns how
    /// many agents the files define.
    pub async fn sync_agent_files(&self) -> Result<usize, GovernorError> {
        let (dir, base) = (self.agents_dir.clone(), self.project_dir.clone());
        let wanted = tokio::task::spawn_blocking(move || agent_files::read(&dir, &base))
            .await
            .map_err(|e| StoreError::Backend { reason: e.to_string() })??;
        let _change = self.changes.lock().await;
        let mut inputs = self.inputs().await?;
        let mut registered = BTreeMap::new();
        for id in self.store.agent_ids().await? {
            if let Some(agent) = self.store.agent(&id).await? {
                registered.insert(id, agent);
            }
        }
        let mut changed = Vec::new();
        for agent in &wanted {
            let current = registered.get(&agent.id).map(|a| &a.definition);
            if current.is_some_and(|d| !d.metadata.contains_key(SOURCE_KEY)) {
                let file = agent.definition.metadata.get(SOURCE_KEY).cloned().unwrap_or_default();
                return Err(GovernorError::AgentFileConflict { agent: agent.id.to_string(), file });
            }
            let same =
                current.is_some_and(|d| d.dsl == agent.definition.dsl && d.description == agent.definition.description);
            if !same {
                changed.push(agent);
            }
            inputs.agent_dsl.insert(agent.id.to_string(), agent.definition.dsl.clone());
        }
        let gone: Vec<&AgentId> = registered
            .iter()
            .filter(|(id, a)| a.definition.metadata.contains_key(SOURCE_KEY) && !wanted.iter().any(|w| &w.id == *id))
            .map(|(id, _)| id)
            .collect();
        for id in &gone {
            inputs.agent_dsl.remove(id.as_str());
            inputs.attached.retain(|(agent, _), _| agent != id.as_str());
        }
        let compiled = inputs.compile()?;
        let now = SystemTime::now();
        for agent in changed {
            if registered.contains_key(&agent.id) {
                let update = AgentUpdate {
                    description: Some(agent.definition.description.clone()),
                    dsl: agent.definition.dsl.clone(),
                    ..AgentUpdate::default()
                };
                self.record_lifecycle(agent.id.as_str(), "updated", AGENT_FILES).await?;
                self.store.update_agent(&agent.id, &update, now).await?;
                tracing::info!(agent = %agent.id, "agent definition changed in its file; updated");
            } else {
                self.record_lifecycle(agent.id.as_str(), "created", AGENT_FILES).await?;
                self.store.create_agent(&agent.id, &agent.definition, now).await?;
                tracing::info!(agent = %agent.id, "agent registered from its file");
            }
        }
        for id in gone {
            self.record_lifecycle(id.as_str(), "deleted", AGENT_FILES).await?;
            self.store.delete_agent(id).await?;
            tracing::info!(agent = %id, "agent no longer defined by any file; removed");
        }
        self.install(compiled).await?;
        Ok(wanted.len())
    }

    /// The actions held for approval.
    pub fn approvals(&self) -> &ApprovalQueue {
        &self.approvals
    }

    /// Polls the policy and agent directories and the tool files (`tools/`, `toolclad.toml`,
    /// `scope/`) and reloads what changed; runs until the runtime stops. An invalid change is
    /// logged and what was in force stays in force.
    pub(crate) async fn watch(self: Arc<Self>, interval: Duration) {
        let project = &self.project_dir;
        let watched = [
            self.policy_dir.clone(),
            self.agents_dir.clone(),
            project.join("tools"),
            project.join("toolclad.toml"),
            project.join("scope"),
        ];
        let mut seen = watched.clone().map(|d| fingerprint(&d));
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let probe = watched.clone();
            let now = tokio::task::spawn_blocking(move || probe.map(|d| fingerprint(&d))).await.unwrap_or_default();
            if now == seen {
                continue;
            }
            let (policies_changed, agents_changed) = (now[0] != seen[0], now[1] != seen[1]);
            let tools_changed = now[2..] != seen[2..];
            seen = now;
            if tools_changed {
                match self.reload_tools(TOOL_FILES).await {
                    Ok(count) => tracing::info!(tools = count, "tool files changed; new catalog in force"),
                    Err(e) => {
                        tracing::error!(error = %e, "tool files changed but are invalid; the previous catalog stays in force")
                    }
                }
            }
            if !(policies_changed || agents_changed) {
                continue;
            }
            let outcome = if agents_changed { self.sync_agent_files().await.map(|_| ()) } else { Ok(()) };
            match outcome.and(self.reload().await) {
                Ok(count) => tracing::info!(policies = count, "project files changed; new set in force"),
                Err(e) => {
                    tracing::error!(error = %e, "project files changed but the new set is invalid; the previous set stays in force")
                }
            }
        }
    }

    /// Everything the policy set is built from, as stored now.
    async fn inputs(&self) -> Result<Inputs, GovernorError> {
        let (dir, base) = (self.policy_dir.clone(), self.project_dir.clone());
        let files = tokio::task::spawn_blocking(move || symbi_policy::read_dir(&dir, &base))
            .await
            .map_err(|e| StoreError::Backend { reason: e.to_string() })??;
        let managed = self.store.policies().await?.into_iter().map(|p| (p.name.clone(), p)).collect();
        let mut agent_dsl = BTreeMap::new();
        for id in self.store.agent_ids().await? {
            if let Some(agent) = self.store.agent(&id).await? {
                agent_dsl.insert(id.to_string(), agent.definition.dsl);
            }
        }
        let attached = self
            .store
            .agent_policies(None)
            .await?
            .into_iter()
            .map(|p| ((p.agent.to_string(), p.name.clone()), p))
            .collect();
        Ok(Inputs { files, managed, agent_dsl, attached })
    }

    /// Archives a compiled set for replay, then swaps it in with what agents' DSL says about
    /// them; returns its size. A set that cannot be archived is not put in force.
    async fn install(&self, compiled: Compiled) -> Result<usize, GovernorError> {
        let count = compiled.policies.len();
        let in_force = self.archive(compiled.policies).await?;
        *self.in_force.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(in_force);
        *self.agent_dsl.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(compiled.agents);
        // Agents' DSL facts may have changed, and every agent change ends here.
        self.entity_cache.invalidate();
        Ok(count)
    }

    /// The entity data `request` reads, from the cache while runtime state is unchanged.
    async fn entities(
        &self,
        request: &PolicyRequest,
        identity: Option<&VerifiedAgent>,
    ) -> Result<Arc<Gathered>, String> {
        let key = entity_cache::Key {
            principal: request.principal.clone(),
            resource: request.resource.clone(),
            identity: identity.cloned(),
        };
        let ticket = match self.entity_cache.get(&key) {
            Ok(gathered) => return Ok(gathered),
            Err(ticket) => ticket,
        };
        let set = self.gather(request, identity).await?;
        let gathered = Arc::new(Gathered { json: set.to_json(), set });
        self.entity_cache.insert(ticket, key, Arc::clone(&gathered));
        Ok(gathered)
    }

    /// Builds the entity data `request` reads from runtime state: its principal and resource with
    /// what the registry, their DSL, the catalog and `[groups]` say, and the group hierarchy.
    async fn gather(&self, request: &PolicyRequest, identity: Option<&VerifiedAgent>) -> Result<EntitySet, String> {
        let mut builder = EntitySetBuilder::new();
        let mut added = std::collections::HashSet::new();
        for entity in [&request.principal, &request.resource] {
            if !added.insert(entity.clone()) {
                continue;
            }
            match entity {
                EntityRef::Agent(id) => {
                    let facts = self.agent_facts(id).await.map_err(|e| e.to_string())?;
                    let facts = match identity.filter(|v| &v.agent_id == id) {
                        Some(verified) => Some(verified_facts(facts, id, verified)),
                        None => facts,
                    };
                    if let Some(facts) = facts {
                        builder.agent(&facts);
                    }
                }
                EntityRef::Tool(id) => {
                    builder.tool(&self.tool_facts(id));
                }
                EntityRef::ApiKey(id) => {
                    let keys = self.store.keys().await.map_err(|e| e.to_string())?;
                    let admin = keys.iter().any(|k| k.id.as_str() == id && k.scope == KeyScope::Admin);
                    builder.api_key(id, admin);
                }
                EntityRef::AgentGroup(_)
                | EntityRef::ToolSet(_)
                | EntityRef::Resource(_)
                | EntityRef::Secret(_)
                | EntityRef::Schedule(_) => {}
            }
        }
        for group in self.groups.agents.keys() {
            // A group listed as a member of another group is nested in it.
            let parents: Vec<String> =
                self.groups.agents.iter().filter(|(_, m)| m.contains(group)).map(|(g, _)| g.clone()).collect();
            builder.agent_group(group, &parents);
        }
        for set in self.groups.tools.keys() {
            builder.tool_set(set, &[]);
        }
        builder.build().map_err(|e| e.to_string())
    }

    async fn agent_facts(&self, id: &str) -> Result<Option<AgentFacts>, StoreError> {
        let Ok(agent_id) = AgentId::parse(id) else { return Ok(None) };
        let Some(agent) = self.store.agent(&agent_id).await? else { return Ok(None) };
        let dsl = Arc::clone(&self.agent_dsl.read().unwrap_or_else(std::sync::PoisonError::into_inner));
        let from_dsl = dsl.get(id);
        let mut capabilities = agent.definition.capabilities;
        for capability in from_dsl.map(AgentPolicies::capabilities).unwrap_or_default() {
            if !capabilities.contains(capability) {
                capabilities.push(capability.clone());
            }
        }
        let member_of = |table: &BTreeMap<String, Vec<String>>| {
            table.iter().filter(|(_, members)| members.iter().any(|m| m == id)).map(|(name, _)| name.clone()).collect()
        };
        Ok(Some(AgentFacts {
            id: id.to_owned(),
            name: agent.definition.name,
            sandbox_tier: from_dsl.and_then(AgentPolicies::sandbox_tier).unwrap_or(DEFAULT_SANDBOX_TIER),
            capabilities,
            domain: String::new(),
            verified: false,
            roles: member_of(&self.groups.roles),
            groups: member_of(&self.groups.agents),
        }))
    }

    /// Facts about a tool, from the catalog in force and `[groups]`.
    fn tool_facts(&self, id: &str) -> ToolFacts {
        tools::tool_facts(id, self.tools.catalog().tool(id), &self.groups)
    }
}

/// An agent's facts once its credential verified: verified, its domain, the credential's
/// capabilities (with any its definition declares) and the tier the credential claims. An agent
/// the registry does not know is described by its credential alone.
fn verified_facts(registered: Option<AgentFacts>, id: &str, verified: &VerifiedAgent) -> AgentFacts {
    let mut facts = registered.unwrap_or_else(|| AgentFacts {
        id: id.to_owned(),
        name: id.to_owned(),
        sandbox_tier: DEFAULT_SANDBOX_TIER,
        ..AgentFacts::default()
    });
    facts.verified = true;
    facts.domain.clone_from(&verified.domain);
    for capability in &verified.capabilities {
        if !facts.capabilities.contains(capability) {
            facts.capabilities.push(capability.clone());
        }
    }
    if let Some(tier) = verified.sandbox_tier {
        facts.sandbox_tier = tier;
    }
    facts
}

fn check_name(name: &str) -> Result<(), GovernorError> {
    let ok = (1..=128).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(GovernorError::Name {
            name: name.to_owned(),
            reason: "names are 1-128 characters of letters, digits, `-`, `_` and `.`".to_owned(),
        })
    }
}

/// Names, sizes and modification times of everything under `dir` (or of `dir` itself when it is
/// a file): a change in any is a reason to reload.
fn fingerprint(dir: &Path) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    let mut out = Vec::new();
    if let Ok(meta) = std::fs::metadata(dir)
        && meta.is_file()
    {
        out.push((dir.to_owned(), meta.len(), meta.modified().ok()));
        return out;
    }
    let mut pending = vec![dir.to_owned()];
    while let Some(next) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else { continue };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                pending.push(entry.path());
            }
            out.push((entry.path(), meta.len(), meta.modified().ok()));
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests;
