//! End-to-end tests: the real `symbi` binary on a loopback port, driven over HTTP and its CLI.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking, helpers included"
)]

mod util;

mod agents;
mod api;
mod audit;
mod auth;
mod cli;
mod hardening;
mod hooks;
mod https;
mod identity;
mod lifecycle;
mod policy;
mod schemapin;
mod secrets;
mod tools;
mod tools_cli;

mod tls;
