//! Command-line arguments as clap parses them. Commands turn these raw values into validated
//! configuration once, at their start.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod tools;

pub(crate) use self::tools::{CallArgs, ToolsAction, ToolsArgs};

const AFTER_HELP: &str = "\
Exit codes:
  0  success
  1  failure while running, or problems found (doctor)
  2  invalid input: arguments, configuration or project files; nothing was changed

Quick start:
  symbi init my-project --no-interact   scaffold a project
  symbi up --dir my-project             start the runtime on 127.0.0.1:8080
  curl -H \"Authorization: Bearer $(cat my-project/.symbi/admin.key)\" \\
       http://127.0.0.1:8080/api/v1/agents";

/// symbi: a policy-governed runtime for AI agents.
///
/// Agents propose; the runtime decides and acts.
#[derive(Debug, Parser)]
#[command(name = "symbi", version, after_help = AFTER_HELP, max_term_width = 100)]
pub(crate) struct Cli {
    /// How errors are printed on stderr: `human` lines or one `json` object.
    #[arg(long, value_enum, default_value_t = ErrorFormat::Human, global = true)]
    pub(crate) error_format: ErrorFormat,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ErrorFormat {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Scaffold a project: symbiont.toml, agents/, policies/, tools/ and the data directory.
    Init(InitArgs),
    /// Start the runtime: the REST API and the store, on embedded defaults.
    Up(UpArgs),
    /// Manage API keys: create, list, revoke.
    Keys(KeysArgs),
    /// Manage the secrets tool manifests reference as `{_secret:NAME}`: set, list, rm.
    Secrets(SecretsArgs),
    /// Check this machine and project: configuration, data directory, port, sandbox tiers.
    Doctor(DoctorArgs),
    /// Work with `.symbi` agent definitions: check them, show their Cedar policies or their syntax tree.
    Dsl(DslArgs),
    /// Format `.symbi` files in the canonical style (4-space indent, comments kept).
    Fmt(FmtArgs),
    /// Print the REST API's OpenAPI 3.1 document (also served at /api/v1/openapi.json).
    Openapi,
    /// Decide with the project's policies without a running runtime: coding-assistant hooks
    /// (Claude Code, Gemini CLI), validation, and policy tests for CI.
    Policy(PolicyArgs),
    /// Read, prove and check the tamper-evident audit log: every decision and outcome.
    Audit(AuditArgs),
    /// Create an agent identity: an ES256 key, the agent's entry in its domain's AgentPin
    /// discovery document, and a first credential (a compact JWT, printed on stdout).
    Keygen(KeygenArgs),
    /// Issue and verify AgentPin credentials and show discovery documents.
    Agentpin(AgentpinArgs),
    /// Sign tool schemas (SchemaPin), verify others' against their discovery documents, and manage
    /// the key pins the runtime trusts.
    Schemapin(SchemapinArgs),
    /// Work with ToolClad tools: list, validate, dry-run, describe, scaffold, and run them
    /// through the Governor.
    Tools(ToolsArgs),
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  symbi schemapin keygen --developer \"Example Tools\"     the runtime's publisher key
  symbi schemapin sign --tool file_hash > file_hash.signed.json
  symbi schemapin verify weather.signed.json --domain tools.example.com --discovery schemapin.json
  symbi schemapin verify weather.signed.json --domain tools.example.com   fetched over HTTPS
  symbi schemapin pin --tool get_weather --domain tools.example.com --discovery schemapin.json --force
  symbi schemapin list

Pins live in the project's store (the runtime uses the same ones). In `tofu` mode the first key
that verifies is pinned and a different key later is refused (and audited) until an explicit
`pin --force`.")]
pub(crate) struct SchemapinArgs {
    /// Project directory (holds symbiont.toml and the data directory).
    #[arg(long, default_value = ".", global = true)]
    pub(crate) dir: PathBuf,
    #[command(subcommand)]
    pub(crate) action: SchemapinAction,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SchemapinAction {
    /// Create the runtime's publisher key (ECDSA P-256) and print its fingerprint.
    Keygen {
        /// `developer_name` in the discovery document.
        #[arg(long)]
        developer: Option<String>,
        /// Replace an existing key.
        #[arg(long)]
        force: bool,
        /// Print `{fingerprint, key_file, public_key_pem}` as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Sign a tool schema (a JSON file, or a project tool's MCP schema) with the publisher key.
    Sign {
        /// The schema file.
        #[arg(conflicts_with = "tool")]
        schema: Option<PathBuf>,
        /// Sign this project tool's MCP schema instead.
        #[arg(long)]
        tool: Option<String>,
        /// A key id to name in the signature.
        #[arg(long)]
        kid: Option<String>,
        /// Write the signed schema here instead of stdout.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Verify a signed schema against its domain's discovery document and the key pins. Exit 1
    /// with the ecosystem's error code when it is refused.
    ///
    /// Without --discovery the document is fetched from
    /// https://DOMAIN/.well-known/schemapin.json (and its revocation endpoint, fail-closed)
    /// under `[trust]` in symbiont.toml: HTTPS only, no redirect to a private address, size and
    /// time limits; each request is recorded in the audit log first.
    Verify {
        /// The signed schema (`{schema, signature, …}`).
        signed: PathBuf,
        /// The domain that publishes the tool.
        #[arg(long)]
        domain: String,
        /// The domain's discovery document (`/.well-known/schemapin.json`), saved to a file.
        /// Without it the document is fetched over HTTPS.
        #[arg(long, value_name = "FILE")]
        discovery: Option<PathBuf>,
        /// The domain's standalone revocation document, if it publishes one (with --discovery).
        #[arg(long, value_name = "FILE", requires = "discovery")]
        revocation: Option<PathBuf>,
        /// Never fetch: without --discovery the schema is refused (DISCOVERY_FETCH_FAILED).
        #[arg(long)]
        offline: bool,
        /// The tool name (default: the schema's `name`).
        #[arg(long)]
        tool: Option<String>,
        /// `tofu` (pin the first key), `strict` (only keys pinned beforehand) or `disabled`.
        #[arg(long, default_value = "tofu")]
        pin_mode: String,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Pin a tool's key: from a discovery document or a fingerprint. A different pinned key is
    /// only replaced with --force.
    Pin {
        /// The tool.
        #[arg(long)]
        tool: String,
        /// The domain.
        #[arg(long)]
        domain: String,
        /// Take the key from this discovery document.
        #[arg(long, value_name = "FILE")]
        discovery: Option<PathBuf>,
        /// Pin this key fingerprint (`sha256:…`).
        #[arg(long)]
        fingerprint: Option<String>,
        /// Replace a different pinned key.
        #[arg(long)]
        force: bool,
    },
    /// Remove a pin (its next verification pins whatever key it presents).
    Unpin {
        /// The tool.
        #[arg(long)]
        tool: String,
        /// The domain.
        #[arg(long)]
        domain: String,
    },
    /// List the pins.
    List {
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Print the discovery document the runtime serves at /.well-known/schemapin.json.
    WellKnown,
}

#[derive(Debug, Args)]
#[command(after_help = "Example:
  symbi keygen --domain agents.example.com --agent-id planner-01 \\
      --capabilities plan,delegate,read:tools --sandbox-tier 2

The credential goes to stdout (its decoded header and claims to stderr), so it can be captured:
  CREDENTIAL=$(symbi keygen --domain agents.example.com --agent-id planner-01)
Keys and discovery documents live in <data_dir>/agentpin/; serve <domain>.json at
https://<domain>/.well-known/agent-identity.json.")]
pub(crate) struct KeygenArgs {
    /// The domain that publishes the agent's discovery document (the credential's `iss`).
    #[arg(long)]
    pub(crate) domain: String,
    /// The agent's id (the credential's `sub`; the key id is `<domain>#<agent-id>`).
    #[arg(long)]
    pub(crate) agent_id: String,
    /// Capabilities to declare and grant, comma-separated or repeated (`plan,read:tools`).
    #[arg(long, value_delimiter = ',')]
    pub(crate) capabilities: Vec<String>,
    /// The sandbox tier claim (0-3).
    #[arg(long)]
    pub(crate) sandbox_tier: Option<u8>,
    /// Credential lifetime (`1h`, `30m`); at most and by default one day.
    #[arg(long)]
    pub(crate) ttl: Option<String>,
    /// Replace an existing key for this agent.
    #[arg(long)]
    pub(crate) force: bool,
    /// Print `{credential, header, claims, key_file, discovery_file}` as JSON.
    #[arg(long)]
    pub(crate) json: bool,
    /// Project directory (holds symbiont.toml and the data directory).
    #[arg(long, default_value = ".")]
    pub(crate) dir: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct AgentpinArgs {
    /// Project directory (holds symbiont.toml and the data directory).
    #[arg(long, default_value = ".", global = true)]
    pub(crate) dir: PathBuf,
    #[command(subcommand)]
    pub(crate) action: AgentpinAction,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AgentpinAction {
    /// Issue a new credential with an agent's existing key.
    Issue {
        /// The agent's domain.
        #[arg(long)]
        domain: String,
        /// The agent's id.
        #[arg(long)]
        agent_id: String,
        /// Capabilities to grant, comma-separated or repeated.
        #[arg(long, value_delimiter = ',')]
        capabilities: Vec<String>,
        /// The sandbox tier claim (0-3).
        #[arg(long)]
        sandbox_tier: Option<u8>,
        /// Lifetime (`1h`); at most and by default one day.
        #[arg(long)]
        ttl: Option<String>,
        /// The intended verifier (`aud`).
        #[arg(long)]
        audience: Option<String>,
        /// Print the credential with its decoded parts as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Verify a credential (argument, or stdin with `-`) with all twelve AgentPin steps against
    /// this project's discovery documents, or a trust bundle. Exit 1 with the ecosystem's error
    /// code when it is refused.
    ///
    /// A domain with no document in `<data_dir>/agentpin/` is looked up at
    /// https://DOMAIN/.well-known/agent-identity.json (and its revocation endpoint,
    /// fail-closed) under `[trust]` in symbiont.toml: HTTPS only, no redirects, size and time
    /// limits; each request is recorded in the audit log first. --offline or `[trust] fetch =
    /// false` keeps verification to local documents.
    Verify {
        /// The compact JWT, or `-` for stdin.
        credential: Option<String>,
        /// The audience this verifier is (checked against `aud`).
        #[arg(long)]
        audience: Option<String>,
        /// A trust bundle (JSON) to resolve discovery and revocation documents from instead
        /// (nothing is fetched).
        #[arg(long, value_name = "FILE")]
        bundle: Option<PathBuf>,
        /// Never fetch: a domain with no local document is refused (DISCOVERY_FETCH_FAILED).
        #[arg(long)]
        offline: bool,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a domain's discovery document (serve it at /.well-known/agent-identity.json).
    Discovery {
        /// The domain.
        #[arg(long)]
        domain: String,
    },
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  symbi audit tail -f --decision deny            follow refusals as they happen
  symbi audit proof evt_0000000000000007 --json > proof.json
  symbi audit export --format jsonl -o audit.jsonl
  symbi audit verify --export audit.jsonl --public-key .symbi/audit/checkpoint.pub
  symbi audit replay                               re-decide every logged decision

Every command but `checkpoint` reads the log without locking it, so they work while `symbi up`
runs.")]
pub(crate) struct AuditArgs {
    /// Project directory (holds symbiont.toml and the data directory).
    #[arg(long, default_value = ".", global = true)]
    pub(crate) dir: PathBuf,
    #[command(subcommand)]
    pub(crate) action: AuditAction,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuditAction {
    /// Show the newest records, oldest first; with -f keep printing new ones as they arrive.
    Tail {
        /// Keep following the log (Ctrl-C ends).
        #[arg(short = 'f', long)]
        follow: bool,
        /// How many of the newest matching records to show first.
        #[arg(short = 'n', long, default_value_t = 20)]
        lines: usize,
        /// Only records about this agent.
        #[arg(long)]
        agent: Option<String>,
        /// Only records with this decision.
        #[arg(long, value_enum)]
        decision: Option<DecisionArg>,
        /// Only records of this kind (decision, approval_resolved, approval_timeout,
        /// execution_outcome, auth_failure, key_management, agent_lifecycle, log_repair,
        /// network_fetch).
        #[arg(long)]
        kind: Option<String>,
        /// Only records at or after this time: RFC 3339 (`2026-11-30T06:00:00Z`) or an age (`15m`, `2h`).
        #[arg(long)]
        since: Option<String>,
        /// One JSON object per line, as in the export.
        #[arg(long)]
        json: bool,
    },
    /// Check every record, the hash chain, the Merkle tree and every signed checkpoint; name the
    /// first bad record. Exit 1 when the log was tampered with.
    Verify {
        /// Also check that the log still contains a checkpoint you saved earlier (a JSON line from
        /// `symbi audit checkpoint --json`), kept where this host cannot rewrite it: catches a
        /// history rewritten even by someone holding the signing key.
        #[arg(long, value_name = "FILE")]
        from_checkpoint: Option<PathBuf>,
        /// Verify an exported JSON lines file instead of the data directory (offline, needs only
        /// the public key).
        #[arg(long, value_name = "FILE", requires = "public_key")]
        export: Option<PathBuf>,
        /// The checkpoint public key (`ed25519:…`) or a file holding it; default: the log's own
        /// `checkpoint.pub`.
        #[arg(long, value_name = "KEY|FILE")]
        public_key: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print an inclusion proof of one record against a signed checkpoint, or check one offline.
    Proof {
        /// The record id (`evt_` and 16 hex digits).
        #[arg(required_unless_present = "verify")]
        event_id: Option<String>,
        /// Check a proof saved with `--json` (or fetched from GET /api/v1/audit/proof/{id})
        /// against its public key, or the key given with --public-key.
        #[arg(long, value_name = "FILE", conflicts_with = "event_id")]
        verify: Option<PathBuf>,
        /// The key to check against (`ed25519:…` or a file); default: the one in the proof.
        #[arg(long, value_name = "KEY|FILE")]
        public_key: Option<String>,
        /// Print the proof as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write every checkpoint and record as JSON lines: the offline form `verify --export` checks.
    Export {
        /// The output format.
        #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
        format: ExportFormat,
        /// Write to this file instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Sign a checkpoint of every record so far (when the runtime is not running; a running
    /// runtime signs them itself, and this prints its newest).
    Checkpoint {
        /// Print the checkpoint as one JSON line (save it for `verify --from-checkpoint`).
        #[arg(long)]
        json: bool,
    },
    /// Move every finished segment into `archive/` (to copy off the host or onto cheaper storage).
    /// Nothing is deleted; `verify`, `tail` and proofs span archived segments. A running runtime
    /// does this on `POST /api/v1/audit/archive`.
    Archive {
        /// Print the outcome as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Re-decide every logged decision against the policy set it names and report any record
    /// where the result differs. Exit 1 when any does.
    Replay {
        /// First record to replay: an event id or an RFC 3339 time.
        #[arg(long)]
        from: Option<String>,
        /// Last record to replay: an event id or an RFC 3339 time.
        #[arg(long)]
        to: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DecisionArg {
    Allow,
    Deny,
    RequireApproval,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExportFormat {
    /// One JSON object per line: checkpoints first, then records.
    Jsonl,
}

#[derive(Debug, Args)]
pub(crate) struct PolicyArgs {
    #[command(subcommand)]
    pub(crate) action: PolicyAction,
}

#[derive(Debug, Subcommand)]
pub(crate) enum PolicyAction {
    /// Answer a coding-assistant hook: read a Claude Code `PreToolUse` or Gemini CLI `BeforeTool`
    /// event on stdin and answer in that host's format. Allow (and Claude Code's ask) is JSON on
    /// stdout with exit 0; deny is exit 2 with the reason on stderr. Anything that prevents a
    /// decision (bad event, invalid policies) is a deny.
    ///
    /// Claude Code settings: {"hooks": {"PreToolUse": [{"matcher": ".*", "hooks":
    /// [{"type": "command", "command": "symbi policy evaluate --dir $CLAUDE_PROJECT_DIR"}]}]}}
    #[command(verbatim_doc_comment)]
    Evaluate {
        /// Project directory (policies/, agents/, symbiont.toml).
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// The agent the assistant acts as: the principal of every decision.
        #[arg(long, default_value = "coding-assistant")]
        agent: String,
        /// The host's protocol; detected from `hook_event_name` when omitted.
        #[arg(long, value_enum)]
        host: Option<crate::command::policy::Host>,
    },
    /// Compile and validate every policy `symbi up` would load (files and agents' DSL).
    /// Exit 2 with every problem's position when any is invalid.
    Validate {
        /// Project directory.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
    },
    /// Run a TOML file of `[[case]]` requests (`principal`, `action`, `resource`, optional
    /// `surface`, `delegation_depth`, `name`) against the policies, each with its `expect`ed
    /// decision (`allow`, `deny`, `require_approval`). Exit 1 when any case fails.
    Test {
        /// The test file.
        file: PathBuf,
        /// Project directory.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// Print a JSON array of results.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub(crate) struct DslArgs {
    #[command(subcommand)]
    pub(crate) action: DslAction,
}

#[derive(Debug, Subcommand)]
pub(crate) enum DslAction {
    /// Parse and check files the strict way `symbi up` does; report every error with its position.
    /// Exit 1 if any file has errors.
    Check {
        /// The `.symbi` files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print a JSON array with one entry per file: `{file, ok, diagnostics}`.
        #[arg(long)]
        json: bool,
    },
    /// Print the Cedar policies compiled from the files' `policy` blocks, as `symbi up` loads them,
    /// validated against the runtime's schema. Exit 1 if any file has errors.
    Cedar {
        /// The `.symbi` files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print a file's syntax tree. With --json: `{version, file, ast}` for tooling; spans are byte
    /// offsets. Exit 1 if the file does not parse.
    Parse {
        /// The `.symbi` file.
        file: PathBuf,
        /// Print the tree as one JSON object.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub(crate) struct FmtArgs {
    /// Files to format in place.
    pub(crate) files: Vec<PathBuf>,
    /// Change nothing; exit 1 if any file is not already formatted.
    #[arg(long)]
    pub(crate) check: bool,
    /// Read source from stdin and write the formatted text to stdout.
    #[arg(long, conflicts_with = "files")]
    pub(crate) stdin: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "Profiles:
  minimal      one example agent and a default-deny policy set
  assistant    a question-answering assistant that may read but needs approval to send
  dev-agent    a coding agent: reads freely, writes with approval, never runs a shell
  multi-agent  a planner delegating to workers, with the planner/worker policies")]
pub(crate) struct InitArgs {
    /// Project directory to create or fill.
    #[arg(default_value = ".")]
    pub(crate) dir: PathBuf,
    /// Which example project to write. Asked interactively when omitted on a terminal.
    #[arg(long, value_enum)]
    pub(crate) profile: Option<Profile>,
    /// Overwrite files that already exist.
    #[arg(long)]
    pub(crate) force: bool,
    /// Never prompt; use defaults for anything not given.
    #[arg(long)]
    pub(crate) no_interact: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Profile {
    Minimal,
    Assistant,
    DevAgent,
    MultiAgent,
}

#[derive(Debug, Args)]
pub(crate) struct UpArgs {
    /// Project directory (holds symbiont.toml and the data directory).
    #[arg(long, default_value = ".")]
    pub(crate) dir: PathBuf,
    /// Port for the REST API (overrides `api.port`); 0 picks a free one.
    #[arg(long, short)]
    pub(crate) port: Option<u16>,
    /// Address for the REST API (overrides `api.bind`).
    #[arg(long)]
    pub(crate) bind: Option<IpAddr>,
    /// Log format (overrides `log.format`).
    #[arg(long, value_enum)]
    pub(crate) log_format: Option<LogFormatArg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogFormatArg {
    Pretty,
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct KeysArgs {
    /// Project directory (holds symbiont.toml and the data directory).
    #[arg(long, default_value = ".", global = true)]
    pub(crate) dir: PathBuf,
    #[command(subcommand)]
    pub(crate) action: KeysAction,
}

#[derive(Debug, Subcommand)]
pub(crate) enum KeysAction {
    /// Issue a key and print its token once. Without --agent the key is admin.
    #[command(after_help = "The token goes to stdout and nothing else does, so it can be captured:
  TOKEN=$(symbi keys create --agent planner --description \"CI for planner\")")]
    Create {
        /// Scope the key to this agent id (repeatable). A scoped key never reaches admin routes.
        #[arg(long = "agent", value_name = "AGENT")]
        agents: Vec<String>,
        /// Who or what holds the key.
        #[arg(long, default_value = "")]
        description: String,
        /// Print the key as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// List keys (never their secrets).
    List {
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key. A running runtime refuses it within a quarter of a second.
    Revoke {
        /// The key id (the part of the token before the `.`).
        key_id: String,
        /// Print the outcome as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub(crate) struct SecretsArgs {
    /// Project directory (holds symbiont.toml and the data directory).
    #[arg(long, default_value = ".", global = true)]
    pub(crate) dir: PathBuf,
    #[command(subcommand)]
    pub(crate) action: SecretsAction,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SecretsAction {
    /// Set a secret. The value is read from stdin (or asked for, unechoed, at a terminal), never
    /// from the command line; one trailing newline is dropped.
    #[command(after_help = "Examples:
  symbi secrets set GITHUB_TOKEN --agent triage < token.txt
  printf %s \"$VALUE\" | symbi secrets set API_KEY")]
    Set {
        /// The name manifests use in `{_secret:NAME}`: letters, digits and `_`.
        name: String,
        /// Only this agent may be given it (default: every agent of the project that has no
        /// secret of this name of its own).
        #[arg(long, value_name = "AGENT")]
        agent: Option<String>,
    },
    /// List secrets by scope and name (never their values).
    List {
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Remove a secret.
    Rm {
        /// The secret's name.
        name: String,
        /// Remove the agent's own secret rather than the project's.
        #[arg(long, value_name = "AGENT")]
        agent: Option<String>,
    },
}

#[derive(Debug, Args)]
pub(crate) struct DoctorArgs {
    /// Project directory to check.
    #[arg(long, default_value = ".")]
    pub(crate) dir: PathBuf,
    /// Port to check (defaults to `api.port`).
    #[arg(long, short)]
    pub(crate) port: Option<u16>,
    /// Print the checks as a JSON array.
    #[arg(long)]
    pub(crate) json: bool,
}
