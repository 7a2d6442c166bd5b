//! Entry points for the `fuzz/` targets (feature `fuzzing`, never on in a shipped build): one
//! manifest text compiled as it would be from `tools/`, without a project directory.

use std::path::Path;
use std::sync::Arc;

use crate::argtype::Checks;
use crate::call::{CallError, ToolCall, ValidatedCall, validate};
use crate::diagnostic::LoadError;
use crate::manifest::{Tool, compile};
use crate::scope::Scope;

/// Compiles `text` as `tools/fuzz.clad.toml` with no custom types and an empty scope.
///
/// # Errors
///
/// Every problem the loader finds.
pub fn compile_manifest(text: &str) -> Result<Arc<Tool>, Vec<LoadError>> {
    let scope = Scope::default();
    let checks = Checks { scope: &scope, project_dir: Path::new(".") };
    compile(Path::new("tools/fuzz.clad.toml"), text, &Default::default(), checks).map(Arc::new)
}

/// Validates `call` against `tool` with an empty scope.
///
/// # Errors
///
/// As [`crate::Catalog::validate`].
pub fn validate_call(tool: &Arc<Tool>, call: &ToolCall) -> Result<ValidatedCall, CallError> {
    let scope = Scope::default();
    validate(tool, call, Checks { scope: &scope, project_dir: Path::new(".") })
}
