//! Any text as an AgentPin credential, verified against a fixed issuer: never a panic, the same
//! answer twice, and anything accepted is the fixture's agent — a fuzzer cannot forge ES256, so
//! only the seeds' genuine credentials (and their high-s twins) may pass.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use symbi_agentpin::{
    AgentDeclaration, Capability, DiscoveryDocument, EntityType, Jwk, MemoryPinStore, SigningKey, TrustBundle,
    UnixTime, Verifier, VerifierConfig,
};

/// Credentials past the verifier's own 16 KiB cap are refused before decoding.
const MAX_INPUT: usize = 20 * 1024;
/// The seeds were issued by Python `agentpin` 52 seconds before this, for a day.
const NOW: UnixTime = UnixTime::from_secs(1_796_010_000);
/// A fuzzing-only key (not a secret): the seeds in `seeds/agentpin_jwt` are signed with it.
const FUZZ_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgC9gCTbv8XUKWeQSd
Snmnk0vVakpOddbljJsnXHEycmmhRANCAASrviRNoA2U1V+qqz99jPwcXrSMalHa
bP98tt0nQA5eCvL//pNi9d7oxCg/Y03YUNQsA3y3/N3+3oFs2g0tEDQW
-----END PRIVATE KEY-----
";

fn bundle() -> &'static TrustBundle {
    static BUNDLE: OnceLock<TrustBundle> = OnceLock::new();
    BUNDLE.get_or_init(|| {
        let key = SigningKey::from_pkcs8_pem(FUZZ_KEY).expect("the fuzz key loads");
        let capabilities = ["read:data", "write:report"].iter().map(|c| Capability::parse(c).expect("valid")).collect();
        let doc = DiscoveryDocument::new(
            "fuzz.example",
            EntityType::Deployer,
            vec![Jwk::new("fuzz.example#agent", key.public_key().clone())],
            vec![AgentDeclaration::new("agent", "agent", capabilities)],
            NOW,
        )
        .expect("the fixture document is valid");
        let mut bundle = TrustBundle::new(NOW);
        bundle.insert_discovery(doc);
        bundle
    })
}

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    let jwt = String::from_utf8_lossy(data);
    let config = VerifierConfig::default();
    let verify = || Verifier::new(bundle(), &MemoryPinStore::new(), &config).verify_at(&jwt, None, NOW);
    match (verify(), verify()) {
        (Ok(first), Ok(second)) => {
            assert_eq!(first.claims(), second.claims());
            assert_eq!((first.domain(), first.agent_id()), ("fuzz.example", "agent"));
        }
        (Err(first), Err(second)) => assert_eq!(first.code(), second.code()),
        (first, second) => panic!("verification is not deterministic: {first:?} then {second:?}"),
    }
});
