//! Any text as a `symbi policy test FILE` case file: it decodes whole or is refused, never
//! panics, answers the same twice, and every accepted case's principal and resource print back
//! to an entity reference that parses to the same entity.

#![no_main]

use libfuzzer_sys::fuzz_target;
use symbi_policy::{EntityRef, parse_test_file};

/// Case files are small; the TOML decoder is linear.
const MAX_INPUT: usize = 16 * 1024;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    let text = String::from_utf8_lossy(data);
    let first = parse_test_file(&text);
    assert_eq!(first, parse_test_file(&text), "the same file gets the same answer");
    let Ok(cases) = first else { return };
    for case in &cases {
        for entity in [&case.request.principal, &case.request.resource] {
            assert_eq!(EntityRef::parse(&entity.to_string()).as_ref(), Some(entity), "{entity} prints to itself");
        }
    }
});
