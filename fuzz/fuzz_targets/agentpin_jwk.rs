//! Any bytes as a published JWK: a parse error or a key that prints back to JSON which parses to
//! the same key with the same thumbprint.

#![no_main]

use libfuzzer_sys::fuzz_target;
use symbi_agentpin::Jwk;

/// The parser's own cap is 4 KiB; a little more exercises the size check.
const MAX_INPUT: usize = 8 * 1024;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    let Ok(jwk) = Jwk::from_json(data) else { return };
    let again = Jwk::from_json(jwk.to_json().as_bytes()).expect("a printed JWK parses again");
    assert_eq!(again, jwk);
    assert_eq!(again.thumbprint(), jwk.public_key().thumbprint());
});
