//! Any bytes as a coding-assistant hook event on stdin: the parser reads an event or refuses
//! it, never panics, answers the same twice, and an event it accepts becomes a hook-surface
//! request for the named agent whose resource is the tool or the file the event names.

#![no_main]

use libfuzzer_sys::fuzz_target;
use symbi_policy::{EntityRef, HookEvent, HookHost, Surface};

/// The CLI reads at most 8 MiB of event; a fuzzer gains nothing past 64 KiB.
const MAX_INPUT: usize = 64 * 1024;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    // The first byte picks the host override, so `--host` is fuzzed too.
    let (host, event) = match data.split_first() {
        Some((0, rest)) => (Some(HookHost::Claude), rest),
        Some((1, rest)) => (Some(HookHost::Gemini), rest),
        Some((_, rest)) => (None, rest),
        None => (None, data),
    };
    let first = HookEvent::parse(event, host);
    assert_eq!(first, HookEvent::parse(event, host), "the same event gets the same answer");
    let Ok(parsed) = first else { return };
    assert!(!parsed.tool().is_empty(), "accepted an event without a tool");
    let request = parsed.request("fuzz-agent");
    assert_eq!(request.surface, Surface::Hook);
    assert_eq!(request.principal, EntityRef::Agent("fuzz-agent".into()));
    match &request.resource {
        EntityRef::Tool(tool) => assert_eq!(tool, parsed.tool()),
        EntityRef::Resource(path) => assert_eq!(Some(path.as_str()), parsed.path()),
        other => panic!("a hook request about {other}"),
    }
});
