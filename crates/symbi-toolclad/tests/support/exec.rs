//! Runs one call through the native launcher, for the suites that execute tools.

use std::path::Path;
use std::sync::Arc;

use symbi_toolclad::{Catalog, Envelope, ExecContext, Executor, NativeLauncher, NoSecrets, ToolCall};

#[expect(clippy::panic, reason = "a call that does not validate or execute fails the test")]
/// Validates and executes `call` with the native launcher in `work_dir`.
pub(crate) fn run(catalog: &Catalog, call: &ToolCall, work_dir: &Path, output_cap: usize) -> Envelope {
    let validated = catalog.validate(call).unwrap_or_else(|e| panic!("{e}"));
    let evidence = work_dir.join(".evidence");
    let executor = Executor::new(Arc::new(NativeLauncher)).with_output_cap(output_cap);
    let ctx = ExecContext { evidence_dir: &evidence, work_dir, secrets: &NoSecrets };
    executor.execute(&validated, &ctx).unwrap_or_else(|e| panic!("{e}"))
}
