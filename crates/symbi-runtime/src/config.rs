//! Runtime configuration: `symbiont.toml`, then `SYMBIONT_*` environment overrides.
//!
//! Every key is optional. The defaults live in one place, [`TEMPLATE`], which is also the
//! commented file `symbi init` writes; a test proves the template and [`Config::default`] agree.
//! This is the only module allowed to read the process environment.

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

use std::collections::BTreeMap;

use ipnet::IpNet;
use serde::Deserialize;
use symbi_policy::{CommunicationAction, CommunicationRule, Effect, RuleSpec};
use zeroize::Zeroizing;

pub use self::network::{NetworkSettings, TrustSettings};
use self::network::{RawNetwork, RawTrust};

mod network;

/// The configuration file's name inside a project directory.
pub const FILE_NAME: &str = "symbiont.toml";

/// The commented configuration file `symbi init` writes: every key with its default.
pub const TEMPLATE: &str = include_str!("config/template.toml");

/// The validated runtime configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the store, keys and logs live; absolute once loaded.
    pub data_dir: PathBuf,
    /// Where the `.symbi` agent definitions `symbi up` registers live; absolute once loaded.
    pub agents_dir: PathBuf,
    /// Logging settings.
    pub log: LogConfig,
    /// REST API settings.
    pub api: ApiConfig,
    /// Where policies come from and how often they are re-read.
    pub policy: PolicyConfig,
    /// Agent groups, roles and tool sets that policies refer to.
    pub groups: Groups,
    /// Rules of the communication policy gate, in file order.
    pub communication_rules: Vec<CommunicationRule>,
    /// How long an action held for approval waits before it is denied.
    pub approval_timeout: Duration,
    /// How the audit log signs checkpoints.
    pub audit: AuditSettings,
    /// How ToolClad tools reach the network.
    pub tools: ToolSettings,
    /// Outbound connections: extra certificate authorities, pinned addresses.
    pub network: NetworkSettings,
    /// Fetching SchemaPin and AgentPin documents over HTTPS.
    pub trust: TrustSettings,
}

/// `[tools]`: how the `http` backend reaches the network.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ToolSettings {
    /// Let `http` tools reach loopback, private and link-local addresses (tests against a local
    /// server, tools meant for the local network). Off by default: the SSRF guard refuses them.
    pub dangerous_allow_internal_http: bool,
}

/// Checkpoint pacing of the audit log (`[audit]`). A signed checkpoint is what inclusion proofs
/// are checked against, so the pace bounds how long a new record waits to be provable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditSettings {
    /// Sign a checkpoint after this many new records.
    pub checkpoint_every: u64,
    /// Also sign one when this much time has passed with new records.
    pub checkpoint_interval: Duration,
}

/// Policy loading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyConfig {
    /// The policy directory (`*.cedar`, `<surface>/*.cedar`); absolute once loaded.
    pub dir: PathBuf,
    /// How often the directory is checked for changes.
    pub reload_interval: Duration,
}

/// Memberships that policies test with `in`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Groups {
    /// Agent groups: group → agent ids or other group names (`principal in AgentGroup::"ops"`).
    pub agents: BTreeMap<String, Vec<String>>,
    /// Roles: role agent → agents acting in that role (`principal in Agent::"planner"`).
    pub roles: BTreeMap<String, Vec<String>>,
    /// Tool sets: set → tool names (`resource in ToolSet::"approved"`).
    pub tools: BTreeMap<String, Vec<String>>,
}

/// How logs are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// Human or machine format.
    pub format: LogFormat,
    /// A `tracing` filter directive such as `info` or `symbi_runtime=debug,info`.
    pub filter: String,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Coloured, multi-field lines for people.
    Pretty,
    /// One JSON object per line for log shippers.
    Json,
}

/// REST API settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiConfig {
    /// Address to listen on.
    pub bind: IpAddr,
    /// Port to listen on; 0 picks a free one.
    pub port: u16,
    /// Largest accepted request body; larger bodies are answered with 413.
    pub body_limit_bytes: usize,
    /// Requests running longer are answered with 503 `REQUEST_TIMEOUT`.
    pub request_timeout: Duration,
    /// How long in-flight requests may run after SIGINT/SIGTERM.
    pub shutdown_grace: Duration,
    /// Browser origins allowed by CORS; empty means no cross-origin access.
    pub cors_origins: Vec<String>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Per-client-IP rate limit.
    pub rate_limit: RateLimitConfig,
    /// `SYMBIONT_API_TOKEN`: an extra admin token, only when set.
    pub admin_token: Option<AdminToken>,
}

/// Token bucket per client IP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitConfig {
    /// Sustained requests per second.
    pub per_second: NonZeroU32,
    /// Requests allowed at once before the sustained rate applies.
    pub burst: NonZeroU32,
}

/// The `SYMBIONT_API_TOKEN` value; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminToken(Zeroizing<String>);

impl AdminToken {
    /// The token text, for constant-time comparison by the authenticator.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file exists but could not be read.
    #[error("cannot read `{path}`: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has an unknown or mistyped key.
    #[error("invalid configuration in `{path}`: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A value (from the file or an environment variable) is out of range.
    #[error("invalid value `{value}` for `{key}`: {reason}")]
    Invalid {
        /// The key or environment variable.
        key: String,
        /// The offending value.
        value: String,
        /// What a valid value looks like.
        reason: String,
    },
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from(".symbi"),
            agents_dir: PathBuf::from("agents"),
            log: LogConfig { format: LogFormat::Pretty, filter: "info".to_owned() },
            api: ApiConfig {
                bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
                port: 8080,
                body_limit_bytes: 1024 * 1024,
                request_timeout: Duration::from_secs(30),
                shutdown_grace: Duration::from_secs(30),
                cors_origins: Vec::new(),
                trusted_proxies: Vec::new(),
                rate_limit: RateLimitConfig {
                    per_second: NonZeroU32::MIN.saturating_add(19),
                    burst: NonZeroU32::MIN.saturating_add(99),
                },
                admin_token: None,
            },
            policy: PolicyConfig { dir: PathBuf::from("policies"), reload_interval: Duration::from_secs(1) },
            groups: Groups::default(),
            communication_rules: Vec::new(),
            approval_timeout: Duration::from_secs(300),
            audit: AuditSettings { checkpoint_every: 10_000, checkpoint_interval: Duration::from_secs(60) },
            tools: ToolSettings::default(),
            network: NetworkSettings::default(),
            trust: TrustSettings::default(),
        }
    }
}

// Rules do not implement `PartialEq` (they hold compiled globs); compare what was written.
impl PartialEq for Config {
    fn eq(&self, other: &Self) -> bool {
        let specs = |c: &Self| c.communication_rules.iter().map(|r| r.spec().clone()).collect::<Vec<_>>();
        self.data_dir == other.data_dir
            && self.agents_dir == other.agents_dir
            && self.log == other.log
            && self.api == other.api
            && self.policy == other.policy
            && self.groups == other.groups
            && specs(self) == specs(other)
            && self.approval_timeout == other.approval_timeout
            && self.audit == other.audit
            && self.tools == other.tools
            && self.network == other.network
            && self.trust == other.trust
    }
}

impl Config {
    /// Loads `symbiont.toml` from `project_dir` (if present) and applies `SYMBIONT_*` overrides.
    ///
    /// Fails when the file cannot be read, has unknown keys or bad values, or an environment
    /// override is malformed. A missing file is not an error: every key has a default.
    pub fn load(project_dir: &Path) -> Result<Self, ConfigError> {
        Self::load_with_env(project_dir, &process_env)
    }

    /// As [`Config::load`], reading overrides through `env` instead of the process environment.
    pub fn load_with_env(project_dir: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let path = project_dir.join(FILE_NAME);
        let file = match std::fs::read_to_string(&path) {
            Ok(text) => parse_file(&path, &text)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => RawConfig::default(),
            Err(source) => return Err(ConfigError::Read { path, source }),
        };
        let mut config = Self::default();
        file.apply(&mut config)?;
        apply_env(&mut config, env)?;
        if config.data_dir.is_relative() {
            config.data_dir = project_dir.join(&config.data_dir);
        }
        if config.policy.dir.is_relative() {
            config.policy.dir = project_dir.join(&config.policy.dir);
        }
        if config.agents_dir.is_relative() {
            config.agents_dir = project_dir.join(&config.agents_dir);
        }
        config.network.anchor(project_dir);
        Ok(config)
    }
}

/// The directories of `PATH`, for tools that look for executables (`symbi doctor`).
pub fn search_path() -> Vec<PathBuf> {
    process_env("PATH").map(|p| std::env::split_paths(&p).collect()).unwrap_or_default()
}

fn parse_file(path: &Path, text: &str) -> Result<RawConfig, ConfigError> {
    toml::from_str(text).map_err(|e| {
        let message = e.message().trim_end_matches('\n').replace('\n', "; ");
        let message = match e.span() {
            Some(span) => {
                let (line, column) = line_column(text, span.start);
                format!("line {line}, column {column}: {message}")
            }
            None => message,
        };
        ConfigError::Parse { path: path.to_owned(), message }
    })
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or_default().chars().count() + 1;
    (line, column)
}

/// Reads one variable; the single sanctioned environment read in the workspace.
#[expect(clippy::disallowed_methods, reason = "config owns every environment override")]
fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn apply_env(config: &mut Config, env: &dyn Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
    let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    if let Some(v) = var("SYMBIONT_DATA_DIR") {
        config.data_dir = PathBuf::from(v);
    }
    if let Some(v) = var("SYMBIONT_LOG_FORMAT") {
        config.log.format = match v.as_str() {
            "pretty" => LogFormat::Pretty,
            "json" => LogFormat::Json,
            _ => return Err(invalid("SYMBIONT_LOG_FORMAT", &v, "expected `pretty` or `json`")),
        };
    }
    if let Some(v) = var("SYMBIONT_LOG") {
        config.log.filter = v;
    }
    if let Some(v) = var("SYMBIONT_API_BIND") {
        config.api.bind = v.parse().map_err(|_| invalid("SYMBIONT_API_BIND", &v, "expected an IP address"))?;
    }
    if let Some(v) = var("SYMBIONT_API_PORT") {
        config.api.port = v.parse().map_err(|_| invalid("SYMBIONT_API_PORT", &v, "expected a port number"))?;
    }
    if let Some(v) = var("SYMBIONT_CORS_ORIGINS") {
        config.api.cors_origins = split_list(&v).map(str::to_owned).collect();
    }
    if let Some(v) = var("SYMBIONT_TRUSTED_PROXIES") {
        config.api.trusted_proxies =
            split_list(&v).map(|p| parse_net("SYMBIONT_TRUSTED_PROXIES", p)).collect::<Result<_, _>>()?;
    }
    if let Some(v) = var("SYMBIONT_RATE_LIMIT_PER_SECOND") {
        config.api.rate_limit.per_second = parse_nonzero("SYMBIONT_RATE_LIMIT_PER_SECOND", &v)?;
    }
    if let Some(v) = var("SYMBIONT_RATE_LIMIT_BURST") {
        config.api.rate_limit.burst = parse_nonzero("SYMBIONT_RATE_LIMIT_BURST", &v)?;
    }
    // An empty SYMBIONT_API_TOKEN is "unset": it must never become a token that matches "".
    if let Some(v) = var("SYMBIONT_API_TOKEN") {
        config.api.admin_token = Some(AdminToken(Zeroizing::new(v)));
    }
    Ok(())
}

fn split_list(v: &str) -> impl Iterator<Item = &str> {
    v.split(',').map(str::trim).filter(|s| !s.is_empty())
}

/// Accepts a CIDR (`10.0.0.0/8`) or a bare address (`10.0.0.1`, taken as a /32 or /128).
fn parse_net(key: &str, value: &str) -> Result<IpNet, ConfigError> {
    value
        .parse::<IpNet>()
        .or_else(|_| value.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| invalid(key, value, "expected an IP address or CIDR such as `10.0.0.0/8`"))
}

fn parse_nonzero(key: &str, value: &str) -> Result<NonZeroU32, ConfigError> {
    value.parse().map_err(|_| invalid(key, value, "expected a whole number of at least 1"))
}

fn invalid(key: &str, value: &str, reason: &str) -> ConfigError {
    ConfigError::Invalid { key: key.to_owned(), value: value.to_owned(), reason: reason.to_owned() }
}

/// The file as written: every key optional, unknown keys refused so typos are caught.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    runtime: RawRuntime,
    #[serde(default)]
    log: RawLog,
    #[serde(default)]
    api: RawApi,
    #[serde(default)]
    policy: RawPolicy,
    #[serde(default)]
    groups: RawGroups,
    #[serde(default)]
    communication_policy: RawCommunication,
    #[serde(default)]
    approvals: RawApprovals,
    #[serde(default)]
    audit: RawAudit,
    #[serde(default)]
    tools: RawTools,
    #[serde(default)]
    network: RawNetwork,
    #[serde(default)]
    trust: RawTrust,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTools {
    dangerous_allow_internal_http: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAudit {
    checkpoint_every: Option<u64>,
    checkpoint_interval_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApprovals {
    timeout_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    dir: Option<PathBuf>,
    reload_interval_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroups {
    #[serde(default)]
    agents: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    roles: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    tools: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCommunication {
    #[serde(default)]
    rules: Vec<RawRule>,
}

/// One `[[communication_policy.rules]]` entry, exactly as the seed writes them plus `priority`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    from: String,
    to: String,
    action: Option<String>,
    effect: String,
    reason: Option<String>,
    max_depth: Option<u32>,
    #[serde(default)]
    priority: i32,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRuntime {
    data_dir: Option<PathBuf>,
    agents_dir: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLog {
    format: Option<LogFormat>,
    filter: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApi {
    bind: Option<IpAddr>,
    port: Option<u16>,
    body_limit_bytes: Option<usize>,
    request_timeout_ms: Option<u64>,
    shutdown_grace_ms: Option<u64>,
    cors_origins: Option<Vec<String>>,
    trusted_proxies: Option<Vec<String>>,
    #[serde(default)]
    rate_limit: RawRateLimit,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRateLimit {
    per_second: Option<NonZeroU32>,
    burst: Option<NonZeroU32>,
}

impl RawConfig {
    fn apply(self, config: &mut Config) -> Result<(), ConfigError> {
        let Self { runtime, log, api, policy, groups, communication_policy, approvals, audit, tools, network, trust } =
            self;
        network.apply(&mut config.network)?;
        trust.apply(&mut config.trust)?;
        if let Some(v) = tools.dangerous_allow_internal_http {
            config.tools.dangerous_allow_internal_http = v;
        }
        if let Some(v) = audit.checkpoint_every {
            if v == 0 {
                return Err(invalid("audit.checkpoint_every", &v.to_string(), "must be at least 1"));
            }
            config.audit.checkpoint_every = v;
        }
        if let Some(v) = audit.checkpoint_interval_secs {
            config.audit.checkpoint_interval = positive_ms("audit.checkpoint_interval_secs", v.saturating_mul(1000))?;
        }
        if let Some(v) = approvals.timeout_secs {
            config.approval_timeout = positive_ms("approvals.timeout_secs", v.saturating_mul(1000))?;
        }
        if let Some(v) = policy.dir {
            config.policy.dir = v;
        }
        if let Some(v) = policy.reload_interval_ms {
            config.policy.reload_interval = positive_ms("policy.reload_interval_ms", v)?;
        }
        config.groups = Groups { agents: groups.agents, roles: groups.roles, tools: groups.tools };
        config.communication_rules = communication_policy
            .rules
            .into_iter()
            .enumerate()
            .map(|(i, r)| r.into_rule(i))
            .collect::<Result<_, _>>()?;
        if let Some(v) = runtime.data_dir {
            config.data_dir = v;
        }
        if let Some(v) = runtime.agents_dir {
            config.agents_dir = v;
        }
        if let Some(v) = log.format {
            config.log.format = v;
        }
        if let Some(v) = log.filter {
            config.log.filter = v;
        }
        let target = &mut config.api;
        if let Some(v) = api.bind {
            target.bind = v;
        }
        if let Some(v) = api.port {
            target.port = v;
        }
        if let Some(v) = api.body_limit_bytes {
            if v == 0 {
                return Err(invalid("api.body_limit_bytes", "0", "expected at least 1"));
            }
            target.body_limit_bytes = v;
        }
        if let Some(v) = api.request_timeout_ms {
            target.request_timeout = positive_ms("api.request_timeout_ms", v)?;
        }
        if let Some(v) = api.shutdown_grace_ms {
            target.shutdown_grace = Duration::from_millis(v);
        }
        if let Some(v) = api.cors_origins {
            target.cors_origins = v;
        }
        if let Some(v) = api.trusted_proxies {
            target.trusted_proxies = v.iter().map(|p| parse_net("api.trusted_proxies", p)).collect::<Result<_, _>>()?;
        }
        if let Some(v) = api.rate_limit.per_second {
            target.rate_limit.per_second = v;
        }
        if let Some(v) = api.rate_limit.burst {
            target.rate_limit.burst = v;
        }
        Ok(())
    }
}

impl RawRule {
    fn into_rule(self, index: usize) -> Result<CommunicationRule, ConfigError> {
        let key = |field: &str| format!("communication_policy.rules[{index}].{field}");
        let effect = match self.effect.as_str() {
            "allow" => Effect::Permit,
            "deny" => Effect::Forbid,
            other => return Err(invalid(&key("effect"), other, "expected `allow` or `deny`")),
        };
        let action = match self.action.as_deref() {
            None | Some("*") => None,
            Some(a) => Some(
                CommunicationAction::parse(a)
                    .ok_or_else(|| invalid(&key("action"), a, "expected `delegate`, `send_message` or `*`"))?,
            ),
        };
        let spec = RuleSpec {
            from: self.from,
            to: self.to,
            action,
            effect,
            reason: self.reason,
            max_depth: self.max_depth,
            priority: self.priority,
        };
        CommunicationRule::new(spec).map_err(|e| invalid(&key("rule"), "", &e.to_string()))
    }
}

fn positive_ms(key: &str, ms: u64) -> Result<Duration, ConfigError> {
    if ms == 0 {
        return Err(invalid(key, "0", "expected at least 1 millisecond"));
    }
    Ok(Duration::from_millis(ms))
}

#[cfg(test)]
mod tests;
