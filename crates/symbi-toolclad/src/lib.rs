//! ToolClad for symbi: declarative tool manifests (`tools/*.clad.toml`) compiled into tools whose
//! every argument is typed, scope-checked and injection-checked before anything runs.
//!
//! ```text
//! project dir ──► Catalog::load ──► Tool (manifest checked once, file:line errors)
//! ToolCall {tool, raw args} ──► Catalog::validate ──► ValidatedCall (argv / request, secrets symbolic)
//!                                  └─► Catalog::dry_run ──► DryRun (nothing runs)
//! ValidatedCall ──► Executor::execute(ExecContext) ──► Launcher (the one spawn seam) / HttpTransport
//!                                                 ──► output parser ──► Envelope (JSON in evidence_dir)
//! Tool ──► PolicyFacts::of / cedar_template / mcp_schema
//! ```
//!
//! The interface does not permit the dangerous action: commands are argv, never a shell;
//! values are substituted whole; the first word is always the manifest's literal program.
//!
//! What this crate never does: decide whether a call is allowed (the Governor does, from
//! [`PolicyFacts`] and Cedar), resolve host names, open sockets (HTTP goes through the
//! [`HttpTransport`] the runtime supplies), read the environment, or log.
//!
//! Features: `fuzzing` exposes hidden entry points for the `fuzz/` targets; it adds API only and
//! must never be enabled in a shipped build.
//!
//! ```
//! # let dir = tempfile::tempdir().unwrap();
//! # std::fs::create_dir(dir.path().join("tools")).unwrap();
//! std::fs::write(dir.path().join("tools/echo.clad.toml"), r#"
//! [tool]
//! name = "echo"
//! version = "1.0"
//! binary = "echo"
//! description = "Say something"
//! [args.message]
//! type = "string"
//! required = true
//! [command]
//! exec = ["echo", "{message}"]
//! [output]
//! format = "text"
//! "#).unwrap();
//! let catalog = symbi_toolclad::Catalog::load(dir.path()).unwrap();
//! let call = symbi_toolclad::ToolCall::new("echo").arg("message", "hello world");
//! assert_eq!(catalog.validate(&call).unwrap().argv_preview(), ["echo", "hello world"]);
//! let evil = symbi_toolclad::ToolCall::new("echo").arg("message", "hi; rm -rf /");
//! assert!(catalog.validate(&evil).is_err());
//! ```

#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr)]
#![deny(clippy::indexing_slicing)]

mod argtype;
mod call;
mod catalog;
mod charset;
mod condition;
mod diagnostic;
mod envelope;
mod executor;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod http;
mod launcher;
mod manifest;
mod net;
mod output;
mod policy;
mod scope;
mod secret;
mod template;

pub use argtype::ArgProblem;
pub use call::{ArgError, CallError, ToolCall, ValidatedCall, ValueSource};
pub use catalog::{Catalog, DryRun};
pub use diagnostic::{LoadError, LoadErrors};
pub use envelope::{Envelope, Status};
pub use executor::{DEFAULT_OUTPUT_CAP, ExecContext, ExecError, Executor};
pub use http::{HttpRequest, HttpResponse, HttpTransport, SsrfError, SsrfGuard, TransportError};
pub use launcher::{LaunchError, LaunchOutput, LaunchSpec, Launcher, NativeLauncher, ProcessEnd};
pub use manifest::{ArgSpec, CedarRef, RiskTier, Tool};
pub use policy::{PolicyFacts, cedar_template, mcp_schema};
pub use scope::ScopeMiss;
pub use secret::{NoSecrets, SecretResolver, SecretValue};
