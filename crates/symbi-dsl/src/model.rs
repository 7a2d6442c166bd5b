//! The checked model of a `.symbi` file: what the runtime reads. Only
//! [`check`](crate::check) builds it, so every value here has passed the semantic checks
//! (known sandbox tiers, valid cron and durations, unique names, required keys present).

use std::fmt;
use std::time::Duration;

use crate::ast::{Arg, Block, Expr, Function, Param, RuleKind, TypeDef, TypeExpr};
use crate::span::Span;

/// Everything defined in one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub(crate) metadata: Vec<(String, Value)>,
    pub(crate) agents: Vec<Agent>,
    pub(crate) policies: Vec<Policy>,
    pub(crate) schedules: Vec<Schedule>,
    pub(crate) webhooks: Vec<Webhook>,
    pub(crate) channels: Vec<Channel>,
    pub(crate) memories: Vec<Memory>,
    pub(crate) types: Vec<TypeDef>,
    pub(crate) functions: Vec<Function>,
}

impl Model {
    /// Metadata entries in source order.
    pub fn metadata(&self) -> &[(String, Value)] {
        &self.metadata
    }
    /// The metadata value under `key`.
    pub fn metadata_value(&self, key: &str) -> Option<&Value> {
        self.metadata.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
    /// Agents in source order.
    pub fn agents(&self) -> &[Agent] {
        &self.agents
    }
    /// The agent named `name`.
    pub fn agent(&self, name: &str) -> Option<&Agent> {
        self.agents.iter().find(|agent| agent.name == name)
    }
    /// Top-level policies.
    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }
    /// Schedules.
    pub fn schedules(&self) -> &[Schedule] {
        &self.schedules
    }
    /// Webhooks.
    pub fn webhooks(&self) -> &[Webhook] {
        &self.webhooks
    }
    /// Channels.
    pub fn channels(&self) -> &[Channel] {
        &self.channels
    }
    /// Memory blocks.
    pub fn memories(&self) -> &[Memory] {
        &self.memories
    }
    /// Type definitions.
    pub fn types(&self) -> &[TypeDef] {
        &self.types
    }
    /// Top-level functions.
    pub fn functions(&self) -> &[Function] {
        &self.functions
    }
}

/// A constant value (metadata, records).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Text (quoted or a bare word).
    Str(String),
    /// A whole number.
    Int(i64),
    /// A decimal number.
    Float(f64),
    /// `true` or `false`.
    Bool(bool),
    /// A duration.
    Duration(Duration),
    /// A `vault://` reference (the path after the scheme).
    Vault(String),
    /// `[…]`.
    List(Vec<Value>),
    /// `{ key: value }` or a nested block.
    Record(Vec<(String, Value)>),
}

/// Sandbox tiers, weakest isolation first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tier {
    /// Tier 0: `native` / `tier0` (namespaces, seccomp, landlock).
    Native,
    /// Tier 1: `docker` / `tier1` (container).
    Container,
    /// Tier 2: `gvisor` / `tier2`.
    Gvisor,
    /// Tier 3: `firecracker` / `tier3` (microVM).
    Firecracker,
}

impl Tier {
    /// The tier number, 0–3.
    pub fn level(self) -> u8 {
        match self {
            Self::Native => 0,
            Self::Container => 1,
            Self::Gvisor => 2,
            Self::Firecracker => 3,
        }
    }
}

/// A checked agent.
#[derive(Debug, Clone, PartialEq)]
pub struct Agent {
    pub(crate) name: String,
    pub(crate) span: Span,
    pub(crate) params: Vec<Param>,
    pub(crate) returns: Option<TypeExpr>,
    pub(crate) capabilities: Vec<String>,
    pub(crate) policies: Vec<Policy>,
    pub(crate) functions: Vec<Function>,
    pub(crate) tier: Option<Tier>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) requires_approval: bool,
    pub(crate) attributes: Vec<(String, Expr)>,
    pub(crate) body: Option<Block>,
}

impl Agent {
    /// The agent's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Where it is defined.
    pub fn span(&self) -> Span {
        self.span
    }
    /// Its parameters.
    pub fn params(&self) -> &[Param] {
        &self.params
    }
    /// Its return type.
    pub fn returns(&self) -> Option<&TypeExpr> {
        self.returns.as_ref()
    }
    /// Its capabilities, in order, without duplicates.
    pub fn capabilities(&self) -> &[String] {
        &self.capabilities
    }
    /// Its policies.
    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }
    /// Its functions.
    pub fn functions(&self) -> &[Function] {
        &self.functions
    }
    /// The sandbox tier from `with sandbox = …`; `None` leaves it to the runtime's default.
    pub fn tier(&self) -> Option<Tier> {
        self.tier
    }
    /// The run timeout from `with timeout = …`.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }
    /// Whether `with requires = "approval"` was given: every action needs approval.
    pub fn requires_approval(&self) -> bool {
        self.requires_approval
    }
    /// Other `with` attributes (such as `memory`), kept but not interpreted.
    pub fn attributes(&self) -> &[(String, Expr)] {
        &self.attributes
    }
    /// The body of the `with` block.
    pub fn body(&self) -> Option<&Block> {
        self.body.as_ref()
    }
}

/// A checked policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub(crate) name: String,
    pub(crate) span: Span,
    pub(crate) rules: Vec<Rule>,
}

impl Policy {
    /// The policy's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Where it is defined.
    pub fn span(&self) -> Span {
        self.span
    }
    /// Its rules in order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }
}

/// A checked rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub(crate) kind: RuleKind,
    pub(crate) action: String,
    pub(crate) args: Vec<Arg>,
    pub(crate) requires_approval: bool,
    pub(crate) condition: Option<Expr>,
    pub(crate) span: Span,
}

impl Rule {
    /// `allow`, `deny`, `require` or `audit`.
    pub fn kind(&self) -> RuleKind {
        self.kind
    }
    /// The action's name (`read` in `read(file)`), or the audit scope for `audit` rules.
    pub fn action(&self) -> &str {
        &self.action
    }
    /// The action's arguments (`file` in `read(file)`), positional or named.
    pub fn args(&self) -> &[Arg] {
        &self.args
    }
    /// Whether the action needs approval (`without approval`, or a `require` rule).
    pub fn requires_approval(&self) -> bool {
        self.requires_approval
    }
    /// The `if` condition.
    pub fn condition(&self) -> Option<&Expr> {
        self.condition.as_ref()
    }
    /// Where the rule is.
    pub fn span(&self) -> Span {
        self.span
    }
}

/// When a schedule fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Timing {
    /// A cron expression (5 fields, or 6 with seconds first, or a macro such as `@daily`).
    Cron(String),
    /// One RFC 3339 instant.
    At(String),
}

/// A checked schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub(crate) name: String,
    pub(crate) span: Span,
    pub(crate) timing: Timing,
    pub(crate) timezone: String,
    pub(crate) agent: Option<String>,
    pub(crate) policy: Option<String>,
    pub(crate) audit: Option<String>,
    pub(crate) one_shot: bool,
    pub(crate) deliver: Vec<String>,
}

impl Schedule {
    /// The schedule's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Where it is defined.
    pub fn span(&self) -> Span {
        self.span
    }
    /// When it fires.
    pub fn timing(&self) -> &Timing {
        &self.timing
    }
    /// Its timezone (default `UTC`).
    pub fn timezone(&self) -> &str {
        &self.timezone
    }
    /// The agent it runs.
    pub fn agent(&self) -> Option<&str> {
        self.agent.as_deref()
    }
    /// The policy it runs under.
    pub fn policy(&self) -> Option<&str> {
        self.policy.as_deref()
    }
    /// Its audit level.
    pub fn audit(&self) -> Option<&str> {
        self.audit.as_deref()
    }
    /// Whether it runs once and is then removed.
    pub fn one_shot(&self) -> bool {
        self.one_shot
    }
    /// Where results are delivered.
    pub fn deliver(&self) -> &[String] {
        &self.deliver
    }
}

/// Webhook signature schemes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provider {
    /// GitHub (`X-Hub-Signature-256`).
    GitHub,
    /// Stripe.
    Stripe,
    /// Slack.
    Slack,
    /// Any other name, kept as written.
    Custom(String),
}

/// Where a secret comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum Secret {
    /// A `vault://` reference (the path after the scheme).
    Vault(String),
    /// A value written in the file. Its `Debug` output never shows it.
    Inline(String),
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Vault(path) => f.debug_tuple("Vault").field(path).finish(),
            Self::Inline(_) => f.write_str("Inline(<redacted>)"),
        }
    }
}

/// How a webhook filter compares the value at its JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterMatch {
    /// Equal to the text.
    Equals(String),
    /// Contains the text.
    Contains(String),
}

/// `filter { json_path …, equals|contains … }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// The JSON path, such as `$.action`.
    pub json_path: String,
    /// The comparison.
    pub matcher: FilterMatch,
}

/// A checked webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    pub(crate) name: String,
    pub(crate) span: Span,
    pub(crate) path: String,
    pub(crate) provider: Option<Provider>,
    pub(crate) secret: Option<Secret>,
    pub(crate) agent: Option<String>,
    pub(crate) filter: Option<Filter>,
}

impl Webhook {
    /// The webhook's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Where it is defined.
    pub fn span(&self) -> Span {
        self.span
    }
    /// The URL path it listens on (starts with `/`).
    pub fn path(&self) -> &str {
        &self.path
    }
    /// The signature scheme.
    pub fn provider(&self) -> Option<&Provider> {
        self.provider.as_ref()
    }
    /// The signing secret.
    pub fn secret(&self) -> Option<&Secret> {
        self.secret.as_ref()
    }
    /// The agent it invokes.
    pub fn agent(&self) -> Option<&str> {
        self.agent.as_deref()
    }
    /// The payload filter.
    pub fn filter(&self) -> Option<&Filter> {
        self.filter.as_ref()
    }
}

/// A checked memory block.
#[derive(Debug, Clone, PartialEq)]
pub struct Memory {
    pub(crate) name: String,
    pub(crate) span: Span,
    pub(crate) path: String,
    pub(crate) retention: Duration,
    pub(crate) vector_weight: f64,
    pub(crate) keyword_weight: f64,
}

impl Memory {
    /// The memory's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Where it is defined.
    pub fn span(&self) -> Span {
        self.span
    }
    /// Storage directory (default `data/agents`); the store is always markdown.
    pub fn path(&self) -> &str {
        &self.path
    }
    /// How long entries are kept (default 90 days).
    pub fn retention(&self) -> Duration {
        self.retention
    }
    /// Weight of vector similarity in hybrid search (default 0.7).
    pub fn vector_weight(&self) -> f64 {
        self.vector_weight
    }
    /// Weight of keyword match in hybrid search (default 0.3).
    pub fn keyword_weight(&self) -> f64 {
        self.keyword_weight
    }
}

/// Chat platforms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Platform {
    /// Slack.
    Slack,
    /// Microsoft Teams.
    Teams,
    /// Mattermost.
    Mattermost,
}

/// What a channel does with a class of data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Classification {
    /// Let it through.
    Allow,
    /// Replace it with a placeholder.
    Redact,
    /// Refuse the message.
    Block,
}

/// A checked channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    pub(crate) name: String,
    pub(crate) span: Span,
    pub(crate) platform: Platform,
    pub(crate) workspace: Option<String>,
    pub(crate) channels: Vec<String>,
    pub(crate) default_agent: Option<String>,
    pub(crate) dlp_profile: Option<String>,
    pub(crate) audit_level: Option<String>,
    pub(crate) default_deny: bool,
    pub(crate) policies: Vec<Policy>,
    pub(crate) data_classification: Vec<(String, Classification)>,
}

impl Channel {
    /// The channel's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Where it is defined.
    pub fn span(&self) -> Span {
        self.span
    }
    /// The platform.
    pub fn platform(&self) -> Platform {
        self.platform
    }
    /// The workspace or team.
    pub fn workspace(&self) -> Option<&str> {
        self.workspace.as_deref()
    }
    /// Platform channel names.
    pub fn channels(&self) -> &[String] {
        &self.channels
    }
    /// The agent that answers by default.
    pub fn default_agent(&self) -> Option<&str> {
        self.default_agent.as_deref()
    }
    /// The DLP profile.
    pub fn dlp_profile(&self) -> Option<&str> {
        self.dlp_profile.as_deref()
    }
    /// The audit level.
    pub fn audit_level(&self) -> Option<&str> {
        self.audit_level.as_deref()
    }
    /// Whether anything not allowed by a policy is denied (default `true`).
    pub fn default_deny(&self) -> bool {
        self.default_deny
    }
    /// The channel's policies.
    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }
    /// Data classes and what to do with each.
    pub fn data_classification(&self) -> &[(String, Classification)] {
        &self.data_classification
    }
}
