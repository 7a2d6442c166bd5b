//! Any bytes as a `/.well-known/schemapin.json` document: decoding accepts or names the
//! problem, never panics; every accepted key survives a PEM round trip, and the document our
//! builder writes for the first key decodes to that same key.

#![no_main]

use libfuzzer_sys::fuzz_target;
use symbi_schemapin::{DiscoveryDocument, PublicKey, WellKnownBuilder};

/// Discovery documents are a few kilobytes; the fetcher's own cap is 64 KiB.
const MAX_INPUT: usize = 64 * 1024;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    let Ok(doc) = DiscoveryDocument::from_json(data) else { return };
    for published in doc.keys() {
        let key = published.key();
        assert_eq!(&PublicKey::from_pem(&key.to_pem()).expect("our PEM parses"), key);
    }
    let first = doc.keys().first().expect("a decoded document has a key").key();
    let rebuilt = DiscoveryDocument::from_value(&WellKnownBuilder::new(first).build()).expect("our document parses");
    assert_eq!(rebuilt.select_key(None).expect("one key"), first);
});
