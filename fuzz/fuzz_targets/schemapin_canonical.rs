//! Any bytes as a SchemaPin JSON document: strict parsing accepts or names the problem, never
//! panics; anything accepted canonicalizes to bytes that parse back to the same value and
//! canonicalize to themselves (the signed bytes have exactly one spelling).

#![no_main]

use libfuzzer_sys::fuzz_target;
use symbi_schemapin::{canonical_bytes, parse_json};

/// Tool schemas are a few kilobytes; larger inputs only slow the fuzzer down.
const MAX_INPUT: usize = 64 * 1024;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    let Ok(value) = parse_json(data) else { return };
    let canonical = canonical_bytes(&value);
    let again = parse_json(&canonical).expect("canonical bytes parse");
    assert_eq!(again, value, "canonical form changed the value");
    assert_eq!(canonical_bytes(&again), canonical, "canonicalization is not idempotent");
});
