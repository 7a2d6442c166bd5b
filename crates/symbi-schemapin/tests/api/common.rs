//! Shared test plumbing: the interop Python, fixture paths, and a verify shortcut.

#![expect(clippy::unwrap_used, clippy::panic, reason = "a missing fixture or interpreter fails the test")]

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;

use serde_json::Value;
use symbi_schemapin::{
    DiscoveryDocument, Domain, MemoryPinStore, SchemaRequest, ToolName, VerifiedTool, Verifier, VerifierConfig,
    VerifyError,
};

/// Runs `script` under the interop Python (`SYMBI_TEST_PYTHON`, else `python3`) with `input` as
/// JSON on stdin and returns its stdout parsed as JSON. Fails the test, never skips it, when
/// the interpreter or the `schemapin` package is missing.
#[expect(clippy::disallowed_methods, reason = "tests read the interop interpreter and spawn it directly")]
pub(crate) fn python(script: &str, input: &Value) -> Value {
    let interpreter = std::env::var("SYMBI_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let mut child = Command::new(&interpreter)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start `{interpreter}` (set SYMBI_TEST_PYTHON to the interop venv): {e}"));
    child.stdin.take().unwrap().write_all(input.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "`{interpreter}` failed (is schemapin 1.3.0 installed?):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A file of the ecosystem's shared SchemaPin interop vectors, kept in `tests/vectors/`.
pub(crate) fn vector(path: &str) -> Vec<u8> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    std::fs::read(root.join(path)).unwrap_or_else(|e| panic!("vector `{path}`: {e}"))
}

/// A vector parsed as JSON.
pub(crate) fn vector_json(path: &str) -> Value {
    symbi_schemapin::parse_json(&vector(path)).unwrap()
}

/// Verifies with a fresh TOFU store.
pub(crate) fn verify(
    tool: &str,
    schema: &Value,
    signature: &str,
    discovery: &DiscoveryDocument,
) -> Result<VerifiedTool, VerifyError> {
    let verifier = Verifier::new(Arc::new(MemoryPinStore::new()), VerifierConfig::default());
    verify_with(&verifier, tool, "example.com", schema, signature, discovery)
}

/// Verifies with `verifier`.
pub(crate) fn verify_with(
    verifier: &Verifier,
    tool: &str,
    domain: &str,
    schema: &Value,
    signature: &str,
    discovery: &DiscoveryDocument,
) -> Result<VerifiedTool, VerifyError> {
    let tool = ToolName::new(tool).unwrap();
    let domain = Domain::new(domain).unwrap();
    verifier.verify(&SchemaRequest {
        tool: &tool,
        domain: &domain,
        schema,
        signature,
        kid: None,
        canonicalization: None,
        discovery,
        revocation: None,
    })
}
