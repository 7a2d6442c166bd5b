//! Any bytes as a discovery or revocation document: a parse error or a document that prints back
//! to JSON which parses to the same document.

#![no_main]

use libfuzzer_sys::fuzz_target;
use symbi_agentpin::{DiscoveryDocument, RevocationDocument};

/// Real documents are a few KiB; the parsers are linear, so larger inputs only slow the fuzzer.
const MAX_INPUT: usize = 64 * 1024;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    if let Ok(doc) = DiscoveryDocument::from_json(data) {
        let again = DiscoveryDocument::from_json(doc.to_json().as_bytes()).expect("a printed document parses again");
        assert_eq!(again, doc);
    }
    if let Ok(doc) = RevocationDocument::from_json(data) {
        let again = RevocationDocument::from_json(doc.to_json().as_bytes()).expect("a printed document parses again");
        assert_eq!(again, doc);
    }
});
