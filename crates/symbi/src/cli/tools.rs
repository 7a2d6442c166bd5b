//! Arguments of `symbi tools`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  symbi tools list                                   the project's tools, their risk and tool sets
  symbi tools validate                               check every manifest, custom type and scope
  symbi tools validate tools/new.clad.toml           check one manifest before it goes live
  symbi tools init dns_lookup --binary dig           write a starter manifest to edit
  symbi tools test file_hash --arg path=README.md --agent hello
                                                     what would run, and what policy would decide
  symbi tools schema file_hash                       the MCP tool schema
  symbi tools run file_hash --agent hello --arg path=README.md
                                                     run it through the Governor (audited)

`run` is decided by the Governor and recorded in the audit log like any other call: in this process
when no runtime is running, else by the running runtime (`symbi up`) over its API with the admin
key. Exit codes: 0 done, 1 failure, 2 invalid input, a problem found, or a refusal.")]
pub(crate) struct ToolsArgs {
    /// Project directory (holds tools/, symbiont.toml and the data directory).
    #[arg(long, default_value = ".", global = true)]
    pub(crate) dir: PathBuf,
    #[command(subcommand)]
    pub(crate) action: ToolsAction,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ToolsAction {
    /// List the tools: name, risk tier, whether the manifest holds calls for approval, tool sets.
    List {
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Check the project's tool files as `symbi up` loads them, or only the given manifests
    /// (against the project's custom types and scope). Exit 2 with every problem at file:line.
    Validate {
        /// Manifests to check instead of the whole `tools/` directory.
        files: Vec<PathBuf>,
        /// Print `{valid, problems, tools}` as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Dry run: check the arguments, show the argv (or HTTP request) that would run and, with
    /// --agent, what the project's policies decide. Nothing runs and nothing is recorded.
    Test {
        /// The tool.
        name: String,
        #[command(flatten)]
        call: CallArgs,
        /// Decide for this agent as principal (from the project's files, as `symbi policy
        /// evaluate` does; policies managed over the API are not seen).
        #[arg(long)]
        agent: Option<String>,
        /// Print the dry run as JSON (the shape of POST /api/v1/tools/{name}/test).
        #[arg(long)]
        json: bool,
    },
    /// Print the tool's MCP tool schema (as GET /api/v1/tools/{name}/schema).
    Schema {
        /// The tool.
        name: String,
    },
    /// Print a Cedar policy template for the tool: a permit of `execute_tool` on `Tool::"NAME"`,
    /// `@approval` when the manifest sets `human_approval`. Narrow its principal, then save it
    /// under policies/ (for example `symbi tools cedar nmap_scan > policies/nmap_scan.cedar`).
    Cedar {
        /// The tool.
        name: String,
    },
    /// Write a commented starter manifest `tools/NAME.clad.toml`; never overwrites.
    Init {
        /// The tool's name (1-64 letters, digits, `_`, `-`).
        name: String,
        /// The program it runs.
        #[arg(long, default_value = "echo")]
        binary: String,
    },
    /// Run the tool for an agent through the Governor: policy decides, the decision and the
    /// outcome are recorded, the evidence envelope is printed. Exit 2 when refused. A call policy
    /// holds for approval needs a running runtime, where a person can approve it.
    Run {
        /// The tool.
        name: String,
        #[command(flatten)]
        call: CallArgs,
        /// The agent the call is made for: the principal policy decides on.
        #[arg(long)]
        agent: String,
        /// Print the envelope as one JSON line instead of indented.
        #[arg(long)]
        json: bool,
    },
}

/// A tool call's arguments.
#[derive(Debug, Args)]
pub(crate) struct CallArgs {
    /// An argument as `NAME=VALUE` (repeatable).
    #[arg(long = "arg", value_name = "NAME=VALUE")]
    pub(crate) args: Vec<String>,
    /// All arguments as one JSON object, as the REST API takes them.
    #[arg(long = "args", value_name = "JSON", conflicts_with = "args")]
    pub(crate) json_args: Option<String>,
}
