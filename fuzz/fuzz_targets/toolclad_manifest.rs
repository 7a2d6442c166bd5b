//! Any text as a ToolClad manifest: compiling ends in a tool or a list of positioned problems,
//! never a panic; an accepted tool compiles the same way twice, describes itself to MCP and
//! Cedar, and any argv it builds has a non-empty program word.

#![no_main]

use libfuzzer_sys::fuzz_target;
use symbi_toolclad::fuzzing::{compile_manifest, validate_call};
use symbi_toolclad::{ToolCall, cedar_template, mcp_schema};

/// Manifests past this are not worth the fuzzer's time; parsing is linear.
const MAX_INPUT: usize = 16 * 1024;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    let text = String::from_utf8_lossy(data);
    let Ok(tool) = compile_manifest(&text) else { return };
    let again = compile_manifest(&text).expect("an accepted manifest compiles again");
    assert_eq!(again.manifest_hash(), tool.manifest_hash());
    assert_eq!(again.args().len(), tool.args().len());
    assert!(mcp_schema(&tool).get("inputSchema").is_some_and(|s| s.is_object()));
    assert!(cedar_template(&tool).contains(&format!("Tool::\"{}\"", tool.name())));
    if let Ok(call) = validate_call(&tool, &ToolCall::new(tool.name())) {
        let argv = call.argv_preview();
        if let Some(program) = argv.first() {
            assert!(!program.is_empty(), "empty program word");
        }
    }
});
