//! Shared helpers for the integration tests: a throwaway project directory of manifests.

use symbi_toolclad::Catalog;
use tempfile::TempDir;

/// The `[tool]` keys every test manifest repeats; `name` and `timeout_seconds` vary.
pub(crate) fn tool_head(name: &str, timeout: u64) -> String {
    format!(
        "[tool]\nname = \"{name}\"\nversion = \"1\"\nbinary = \"{name}\"\ndescription = \"test tool\"\ntimeout_seconds = {timeout}\n"
    )
}

#[expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a project that cannot be set up or does not load fails the test"
)]
/// A project directory holding `manifests` (file stem, text) and an optional scope file.
pub(crate) fn project(manifests: &[(impl AsRef<str>, String)], scope: Option<&str>) -> (TempDir, Catalog) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("tools")).unwrap();
    for (stem, text) in manifests {
        std::fs::write(dir.path().join("tools").join(format!("{}.clad.toml", stem.as_ref())), text).unwrap();
    }
    if let Some(scope) = scope {
        std::fs::create_dir(dir.path().join("scope")).unwrap();
        std::fs::write(dir.path().join("scope/scope.toml"), scope).unwrap();
    }
    let catalog = Catalog::load(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    (dir, catalog)
}
