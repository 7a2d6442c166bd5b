//! JSON shapes of the REST API. Only this module knows them; domain types are converted by hand.
//!
//! Shapes follow what the official Python SDK (`symbiont-sdk` 1.16) parses: it validates required
//! keys and ignores extra ones, so responses may carry more than it reads but never less.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Error body of every failed request.
#[derive(Serialize, ToSchema)]
pub(crate) struct ErrorResponse {
    /// What went wrong, for people.
    pub(crate) error: String,
    /// Stable machine code, such as `AGENT_NOT_FOUND`.
    pub(crate) code: &'static str,
    /// Structured detail when there is any (field errors, the request id of a 5xx).
    pub(crate) details: Option<serde_json::Value>,
}

/// `GET /health`.
#[derive(Serialize, ToSchema)]
pub(crate) struct HealthResponse {
    /// Always `healthy` when the process answers.
    pub(crate) status: &'static str,
    /// Whole seconds since start.
    pub(crate) uptime_seconds: u64,
    /// Now, RFC 3339.
    pub(crate) timestamp: String,
    /// The runtime's version.
    pub(crate) version: &'static str,
}

/// `GET /health/live` and `GET /health/ready`.
#[derive(Serialize, ToSchema)]
pub(crate) struct ProbeResponse {
    /// `live` or `ready`.
    pub(crate) status: &'static str,
}

/// `GET /status`.
#[derive(Serialize, ToSchema)]
pub(crate) struct StatusResponse {
    /// The runtime's version.
    pub(crate) version: &'static str,
    /// Whether the store answers.
    pub(crate) healthy: bool,
    /// Registered agents.
    pub(crate) agent_count: u64,
    /// Cron schedules.
    pub(crate) schedule_count: u64,
    /// Channel adapters.
    pub(crate) channel_count: u64,
}

/// `GET /metrics`: the SDK's `SystemMetrics`.
#[derive(Serialize, ToSchema)]
pub(crate) struct SystemMetrics {
    /// Whole seconds since start.
    pub(crate) uptime_seconds: u64,
    /// Resident memory of the runtime process.
    pub(crate) memory_usage_bytes: u64,
    /// Resident memory as a share of the machine's memory, 0–100.
    pub(crate) memory_usage_percent: f64,
    /// CPU used by the runtime since the previous sample, 0–100 per core.
    pub(crate) cpu_usage_percent: f64,
    /// Bytes in the data directory.
    pub(crate) disk_usage_bytes: u64,
    /// How full the data directory's filesystem is, 0–100.
    pub(crate) disk_usage_percent: f64,
    /// Agents in state `active` or `busy`.
    pub(crate) active_agents: u64,
    /// All registered agents.
    pub(crate) total_agents: u64,
    /// Secrets held by the runtime's secret store.
    pub(crate) secrets_count: u64,
    /// Open MCP client connections.
    pub(crate) mcp_connections: u64,
    /// Items in the vector store.
    pub(crate) vector_db_items: u64,
}

/// `POST /agents`: either the SDK's agent model or `{name, dsl}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateAgentRequest {
    /// The agent's id; generated (UUID) when absent.
    pub(crate) id: Option<String>,
    /// Display name.
    pub(crate) name: String,
    /// What the agent is for.
    pub(crate) description: Option<String>,
    /// `.symbi` source.
    pub(crate) dsl: Option<String>,
    /// System prompt (SDK agent model).
    pub(crate) system_prompt: Option<String>,
    /// Tool names the agent may propose.
    pub(crate) tools: Option<Vec<String>>,
    /// Model identifier.
    pub(crate) model: Option<String>,
    /// Sampling temperature, 0–2.
    pub(crate) temperature: Option<f64>,
    /// Nucleus sampling mass, 0–1.
    pub(crate) top_p: Option<f64>,
    /// Largest completion, at least 1.
    pub(crate) max_tokens: Option<u32>,
    /// Declared capabilities.
    pub(crate) capabilities: Option<Vec<String>>,
    /// Free-form labels.
    pub(crate) metadata: Option<BTreeMap<String, String>>,
}

/// `PUT /agents/{id}`: every field optional, at least one required.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateAgentRequest {
    /// New display name.
    pub(crate) name: Option<String>,
    /// New description.
    pub(crate) description: Option<String>,
    /// New `.symbi` source.
    pub(crate) dsl: Option<String>,
}

/// Answer to create, update and delete.
#[derive(Serialize, ToSchema)]
pub(crate) struct AgentChangeResponse {
    /// The agent's id.
    pub(crate) id: String,
    /// `created`, `updated` or `deleted`.
    pub(crate) status: &'static str,
}

/// `GET /agents/{id}/status`.
#[derive(Serialize, ToSchema)]
pub(crate) struct AgentStatusResponse {
    /// The agent's id.
    pub(crate) agent_id: String,
    /// Display name.
    pub(crate) name: String,
    /// `idle`, `active`, `busy`, `error` or `stopped`.
    pub(crate) state: &'static str,
    /// RFC 3339.
    pub(crate) last_activity: String,
    /// What the agent is using now.
    pub(crate) resource_usage: ResourceUsage,
}

/// An agent's current resource use.
#[derive(Serialize, ToSchema)]
pub(crate) struct ResourceUsage {
    /// Memory held by the agent's running tasks.
    pub(crate) memory_bytes: u64,
    /// CPU used by the agent's running tasks.
    pub(crate) cpu_percent: f64,
    /// Tasks running now.
    pub(crate) active_tasks: u64,
}

/// `GET /agents/{id}/history`.
#[derive(Serialize, ToSchema)]
pub(crate) struct AgentHistoryResponse {
    /// Newest first.
    pub(crate) history: Vec<HistoryEntry>,
}

/// One history line.
#[derive(Serialize, ToSchema)]
pub(crate) struct HistoryEntry {
    /// The run's id, or the change's id for lifecycle entries.
    pub(crate) execution_id: String,
    /// `registered`, `updated`, or a run outcome.
    pub(crate) status: String,
    /// RFC 3339.
    pub(crate) timestamp: String,
}

/// Query of `GET /agents/{id}/history`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct HistoryQuery {
    /// Entries to return, 1–1000; default 100.
    pub(crate) limit: Option<u32>,
}

/// `POST /keys`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateKeyRequest {
    /// Agents the key may reach; absent or empty makes an admin key.
    #[serde(default)]
    pub(crate) agents: Vec<String>,
    /// Free text, such as who holds the key.
    #[serde(default)]
    pub(crate) description: String,
}

/// A key as listed; never the secret.
#[derive(Serialize, ToSchema)]
pub(crate) struct KeySummary {
    /// The key's id (the part before the `.`).
    pub(crate) key_id: String,
    /// `admin` or `agents`.
    pub(crate) scope: &'static str,
    /// For `agents` scope: the agent ids.
    pub(crate) agents: Vec<String>,
    /// Free text.
    pub(crate) description: String,
    /// RFC 3339.
    pub(crate) created_at: String,
    /// RFC 3339, when revoked.
    pub(crate) revoked_at: Option<String>,
}

/// `POST /keys` answer: the only time the token is shown.
#[derive(Serialize, ToSchema)]
pub(crate) struct CreatedKey {
    /// The new key.
    #[serde(flatten)]
    pub(crate) key: KeySummary,
    /// The bearer token `keyid.secret`. Store it now; it cannot be shown again.
    pub(crate) token: String,
}

/// `DELETE /keys/{id}` answer.
#[derive(Serialize, ToSchema)]
pub(crate) struct RevokedKey {
    /// The key's id.
    pub(crate) key_id: String,
    /// `revoked`, or `already_revoked` when nothing changed.
    pub(crate) status: &'static str,
}

/// RFC 3339 with milliseconds, UTC.
pub(crate) fn timestamp(t: std::time::SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

/// `POST /policies/evaluate`: a dry run; nothing is held or executed.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EvaluateRequest {
    /// `Agent::"<id>"` or `ApiKey::"<id>"`.
    pub(crate) principal: String,
    /// An action name such as `invoke_tool` (`tool_call` is accepted too).
    pub(crate) action: String,
    /// The resource, such as `Tool::"search"`.
    pub(crate) resource: String,
    /// The surface to evaluate on; default `api`.
    pub(crate) surface: Option<String>,
    /// For delegation and messages: hops so far.
    pub(crate) delegation_depth: Option<u32>,
}

/// A decision and its grounds.
#[derive(Serialize, ToSchema)]
pub(crate) struct EvaluateResponse {
    /// `allow`, `deny` or `require_approval`.
    pub(crate) decision: &'static str,
    /// Why, in words.
    pub(crate) reason: String,
    /// Ids of the determining policies.
    pub(crate) policies: Vec<String>,
}

/// One policy in force.
#[derive(Serialize, ToSchema)]
pub(crate) struct PolicySummary {
    /// `@id`, or `<origin>#<n>`.
    pub(crate) id: String,
    /// A file path, or `api:<name>` for managed policies.
    pub(crate) origin: String,
    /// The surface it is limited to, if any.
    pub(crate) surface: Option<&'static str>,
    /// `permit` or `forbid`.
    pub(crate) effect: &'static str,
    /// Whether an allow it determines waits for a person's approval.
    pub(crate) requires_approval: bool,
    /// Its `@reason`, if any.
    pub(crate) reason: Option<String>,
    /// Its Cedar text.
    pub(crate) source: String,
}

/// `POST /policies`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PutPolicyRequest {
    /// A name for the managed policy text; reusing a name replaces it.
    pub(crate) name: String,
    /// Cedar text: one or more policies.
    pub(crate) source: String,
    /// Limit it to one surface (`api`, `run`, `http-input`, `schedule`, `mcp`, `hook`).
    pub(crate) surface: Option<String>,
}

/// Answer to `POST /policies`.
#[derive(Serialize, ToSchema)]
pub(crate) struct PutPolicyResponse {
    /// The name.
    pub(crate) name: String,
    /// `created` or `replaced`.
    pub(crate) status: &'static str,
    /// Ids of the policies the text defines.
    pub(crate) policies: Vec<String>,
}

/// Answer to `DELETE /policies/{name}` and `POST /policies/reload`.
#[derive(Serialize, ToSchema)]
pub(crate) struct PolicyChangeResponse {
    /// `deleted` or `reloaded`.
    pub(crate) status: &'static str,
    /// Policies in force afterwards.
    pub(crate) policies_in_force: usize,
}

/// `POST /communication/evaluate`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CommunicationRequest {
    /// The sending agent's id.
    pub(crate) sender: String,
    /// The receiving agent's id.
    pub(crate) recipient: String,
    /// `delegate` or `send_message`.
    pub(crate) action: String,
    /// Hops in the delegation chain so far; default 1.
    pub(crate) delegation_depth: Option<u32>,
}

/// The gate's answer.
#[derive(Serialize, ToSchema)]
pub(crate) struct CommunicationResponse {
    /// Whether it may go ahead.
    pub(crate) allowed: bool,
    /// Id of the deciding rule (see `GET /communication/rules`); null for default deny.
    pub(crate) rule: Option<String>,
    /// Why.
    pub(crate) reason: String,
}

/// One communication rule.
#[derive(Serialize, ToSchema)]
pub(crate) struct CommunicationRuleSummary {
    /// `config-<n>` for rules in `symbiont.toml`, a number for rules added over the API.
    pub(crate) id: String,
    /// Glob over the sender.
    pub(crate) from_agent: String,
    /// Glob over the recipient.
    pub(crate) to_agent: String,
    /// `delegate`, `send_message`, or `*`.
    pub(crate) action: &'static str,
    /// `allow` or `deny`.
    pub(crate) effect: &'static str,
    /// Its reason, if written.
    pub(crate) reason: Option<String>,
    /// Higher wins.
    pub(crate) priority: i32,
    /// For allows: the deepest delegation chain allowed.
    pub(crate) max_depth: Option<u32>,
}

/// An action waiting for a person's approval.
#[derive(Serialize, ToSchema)]
pub(crate) struct HeldAction {
    /// The hold's id, for approve and deny.
    pub(crate) id: String,
    /// Who asked, such as `Agent::"planner-01"`.
    pub(crate) principal: String,
    /// What they want to do.
    pub(crate) action: &'static str,
    /// To what.
    pub(crate) resource: String,
    /// Which door the request came through.
    pub(crate) surface: &'static str,
    /// Why policy wants approval.
    pub(crate) reason: String,
    /// The policies that asked for it.
    pub(crate) policies: Vec<String>,
    /// RFC 3339.
    pub(crate) held_at: String,
    /// RFC 3339; unresolved by then, it is denied.
    pub(crate) expires_at: String,
}

/// Answer to approve and deny.
#[derive(Serialize, ToSchema)]
pub(crate) struct ApprovalResponse {
    /// The hold's id.
    pub(crate) id: String,
    /// `approved` or `denied`.
    pub(crate) status: &'static str,
}

/// `POST /communication/rules`. `action` also accepts `allow`/`deny` (then meaning the effect,
/// for both actions), which is how older SDKs send it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddRuleRequest {
    /// Optional client-side id; accepted for SDK compatibility and ignored: the runtime assigns ids.
    #[serde(rename = "id")]
    _client_id: Option<String>,
    /// Glob over the sender.
    pub(crate) from_agent: String,
    /// Glob over the recipient.
    pub(crate) to_agent: String,
    /// `delegate`, `send_message` or `*`.
    pub(crate) action: Option<String>,
    /// `allow` or `deny`.
    pub(crate) effect: Option<String>,
    /// Shown with decisions it makes.
    pub(crate) reason: Option<String>,
    /// Higher wins; default 0.
    pub(crate) priority: Option<i32>,
    /// For allows: the deepest delegation chain allowed.
    pub(crate) max_depth: Option<u32>,
}

/// Answer to adding or removing a rule.
#[derive(Serialize, ToSchema)]
pub(crate) struct RuleChangeResponse {
    /// The rule's id.
    pub(crate) id: String,
    /// `created` or `removed`.
    pub(crate) status: &'static str,
}

/// One Cedar policy attached to an agent (`/agents/{id}/reasoning/cedar`, the SDK's `CedarPolicy`).
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AgentCedarPolicy {
    /// Its name, unique per agent; reusing a name replaces it.
    pub(crate) name: String,
    /// Cedar text. Its principal is scoped to the agent: write `principal` or
    /// `principal == Agent::"<id>"`.
    pub(crate) source: String,
    /// Whether it is in force; inactive policies are kept but not enforced.
    #[serde(default = "active_by_default")]
    pub(crate) active: bool,
}

fn active_by_default() -> bool {
    true
}

/// Answer to attaching a policy to an agent.
#[derive(Serialize, ToSchema)]
pub(crate) struct AgentCedarPolicyResponse {
    /// The name.
    pub(crate) name: String,
    /// `created` or `replaced`.
    pub(crate) status: &'static str,
    /// Ids of the policies now in force from it (none when inactive).
    pub(crate) policies: Vec<String>,
}

/// Answer to removing an agent's policy.
#[derive(Serialize, ToSchema)]
pub(crate) struct RemovedResponse {
    /// Whether there was such a policy.
    pub(crate) removed: bool,
}

/// An action an agent proposes (the SDK's `ProposedAction`): `type` is `tool_call`, `delegate`,
/// `respond` or `terminate`. Policy reads the tool `name` and the delegation `target`; the SDK's
/// other fields (`call_id`, `arguments`, `message`, `content`, `reason`, `output`) are accepted
/// and not read, since no decision depends on them.
#[derive(Deserialize, ToSchema)]
pub(crate) struct ProposedAction {
    /// `tool_call`, `delegate`, `respond` or `terminate`.
    #[serde(rename = "type")]
    pub(crate) kind: String,
    /// tool_call: the tool.
    pub(crate) name: Option<String>,
    /// delegate: the agent to delegate to.
    pub(crate) target: Option<String>,
}

/// The decision on a proposed action, in the SDK's shape plus our grounds.
#[derive(Serialize, ToSchema)]
pub(crate) struct ActionDecision {
    /// `allow` or `deny` (an action that needs approval is not allowed outright: `deny`, with
    /// `requires_approval` set).
    pub(crate) decision: &'static str,
    /// Why, in words.
    pub(crate) reason: String,
    /// Whether policy would hold the action for a person.
    pub(crate) requires_approval: bool,
    /// Ids of the determining policies.
    pub(crate) policies: Vec<String>,
}

/// One tool the project defines (`GET /tools`).
#[derive(Serialize, ToSchema)]
pub(crate) struct ToolSummary {
    /// Its name.
    pub(crate) name: String,
    /// Its manifest version.
    pub(crate) version: String,
    /// What it does.
    pub(crate) description: String,
    /// `info`, `low`, `medium`, `high` or `critical`.
    pub(crate) risk_tier: &'static str,
    /// Whether every call is held for a person.
    pub(crate) human_approval: bool,
}

/// `POST /tools/{name}/execute`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExecuteToolRequest {
    /// The agent the call is made for; policy decides with it as principal. Without it the API
    /// key is the principal.
    pub(crate) agent_id: Option<String>,
    /// Argument values by name, as the manifest's `[args.*]` define them.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub(crate) arguments: serde_json::Map<String, serde_json::Value>,
}

/// One tool in full (`GET /tools/{name}`).
#[derive(Serialize, ToSchema)]
pub(crate) struct ToolDetail {
    /// What `GET /tools` lists.
    #[serde(flatten)]
    pub(crate) summary: ToolSummary,
    /// The run's time limit.
    pub(crate) timeout_seconds: u64,
    /// `ToolSet`s the manifest puts it in.
    pub(crate) tool_sets: Vec<String>,
    /// `sha256:<hex>` of the manifest file.
    pub(crate) manifest_hash: String,
    /// A starting Cedar policy for it (`@approval` when the manifest asks for a person).
    pub(crate) cedar_template: String,
}

/// Answer to `POST /tools/{name}/test`: what would run and what policy would decide; nothing runs.
#[derive(Serialize, ToSchema)]
pub(crate) struct ToolDryRun {
    /// One line per argument with its check.
    pub(crate) validations: Vec<String>,
    /// The argv, secrets symbolic.
    pub(crate) argv: Vec<String>,
    /// The command line as the envelope would record it.
    pub(crate) command: String,
    /// The run's time limit.
    pub(crate) timeout_seconds: u64,
    /// `allow`, `deny` or `require_approval` (a manifest's `human_approval` makes any allow
    /// `require_approval`).
    pub(crate) decision: &'static str,
    /// Why.
    pub(crate) reason: String,
    /// The determining policies.
    pub(crate) policies: Vec<String>,
}

/// `POST /tools/validate`: a manifest to check; nothing is installed.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ValidateToolRequest {
    /// The manifest's TOML text.
    pub(crate) manifest: String,
    /// The file name it would have in `tools/` (only used to label problems); default
    /// `manifest.clad.toml`.
    pub(crate) name: Option<String>,
}

/// Answer to `POST /tools/validate`.
#[derive(Serialize, ToSchema)]
pub(crate) struct ValidateToolResponse {
    /// Whether the manifest would load.
    pub(crate) valid: bool,
    /// Every problem (empty when valid).
    pub(crate) problems: Vec<ManifestProblem>,
    /// The tool it defines, when valid.
    pub(crate) tool: Option<ToolSummary>,
}

/// One problem in a manifest, `toolclad.toml` or the scope file.
#[derive(Serialize, ToSchema)]
pub(crate) struct ManifestProblem {
    /// The file, relative to the project (`tools/<name>` for the manifest checked).
    pub(crate) file: String,
    /// 1-based line.
    pub(crate) line: usize,
    /// What is wrong.
    pub(crate) message: String,
}

/// Answer to `POST /tools/reload`.
#[derive(Serialize, ToSchema)]
pub(crate) struct ReloadToolsResponse {
    /// How many tools the new catalog defines.
    pub(crate) tools: usize,
}
