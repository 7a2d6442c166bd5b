//! Full offline credential verification (decode, the twelve steps, pin lookup) against two
//! baselines in the same run: one raw aws-lc P-256 ECDSA verification with a pre-parsed key and
//! the fixed-width signature form (the fastest verify this machine has; target: at most 1.3× it),
//! and the published Rust `agentpin` 0.3.0 crate verifying the same credential (ours must not be
//! slower).

#![expect(clippy::expect_used, reason = "a bench that cannot set up should stop loudly")]
#![expect(missing_docs, reason = "criterion_group! generates an undocumented entry point")]

use std::hint::black_box;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair, ParsedPublicKey,
};
use criterion::{Criterion, criterion_group, criterion_main};
use symbi_agentpin::{
    Capability, KeygenRequest, MemoryPinStore, TrustBundle, UnixTime, Verifier, VerifierConfig, keygen,
};

fn verify(c: &mut Criterion) {
    // The published crate reads the system clock, so the credential is issued now.
    let now = UnixTime::now();
    let mut request = KeygenRequest::new("agents.example.com", "planner-01");
    request.capabilities =
        ["read:tools", "write:plan", "execute:search"].iter().filter_map(|c| Capability::parse(c).ok()).collect();
    let identity = keygen(&request, now).expect("keygen");
    let jwt = identity.credential().jwt().to_owned();
    let mut bundle = TrustBundle::new(now);
    bundle.insert_discovery(identity.discovery().clone());
    let pins = MemoryPinStore::new();
    let config = VerifierConfig::default();
    let verifier = Verifier::new(&bundle, &pins, &config);
    verifier.verify_at(&jwt, Some("verifier.example"), now).expect("the benchmark credential verifies");

    let theirs_doc: agentpin::types::discovery::DiscoveryDocument =
        serde_json::from_str(&identity.discovery().to_json()).expect("the published crate reads our document");
    let mut theirs_pins = agentpin::pinning::KeyPinStore::new();
    let theirs_config = agentpin::verification::VerifierConfig::default();
    let theirs = |pins: &mut agentpin::pinning::KeyPinStore| {
        agentpin::verification::verify_credential_offline(
            &jwt,
            &theirs_doc,
            None,
            pins,
            Some("verifier.example"),
            &theirs_config,
        )
    };
    assert!(theirs(&mut theirs_pins).valid, "the published crate verifies our credential");

    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("key");
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).expect("key");
    let message = jwt.rsplit_once('.').map_or(jwt.as_str(), |(input, _)| input).as_bytes().to_vec();
    let signature = pair.sign(&rng, &message).expect("sign");
    let public = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, pair.public_key().as_ref()).expect("public key");

    let mut group = c.benchmark_group("agentpin_verify");
    group.bench_function("baseline_raw_p256_verify", |b| {
        b.iter(|| public.verify_sig(black_box(&message), black_box(signature.as_ref())).is_ok())
    });
    group.bench_function("symbi_full_credential_verify", |b| {
        b.iter(|| verifier.verify_at(black_box(&jwt), Some("verifier.example"), now).is_ok())
    });
    group.bench_function("published_agentpin_0_3_0_verify", |b| b.iter(|| theirs(&mut theirs_pins).valid));
    group.finish();
}

criterion_group!(benches, verify);
criterion_main!(benches);
