//! Full offline credential verification (decode, twelve steps, pin lookup) against the baseline
//! it cannot beat: one raw aws-lc P-256 ECDSA verification of a message of the same length, with
//! a pre-parsed key, in the same run. The target is a ratio of at most 1.3.

#![expect(clippy::expect_used, reason = "a bench that cannot set up should stop loudly")]
#![expect(missing_docs, reason = "criterion_group! generates an undocumented entry point")]

use std::hint::black_box;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair, ParsedPublicKey,
};
use criterion::{Criterion, criterion_group, criterion_main};
use symbi_agentpin::{
    Capability, KeygenRequest, MemoryPinStore, TrustBundle, UnixTime, Verifier, VerifierConfig, keygen,
};

fn verify(c: &mut Criterion) {
    let now = UnixTime::from_secs(1_800_000_000);
    let mut request = KeygenRequest::new("agents.example.com", "planner-01");
    request.capabilities =
        ["plan", "delegate", "read:tools"].iter().filter_map(|c| Capability::parse(c).ok()).collect();
    let identity = keygen(&request, now).expect("keygen");
    let jwt = identity.credential().jwt().to_owned();
    let mut bundle = TrustBundle::new(now);
    bundle.insert_discovery(identity.discovery().clone());
    let pins = MemoryPinStore::new();
    let config = VerifierConfig::default();
    let verifier = Verifier::new(&bundle, &pins, &config);
    verifier.verify_at(&jwt, None, now).expect("the benchmark credential verifies");

    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).expect("key");
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref()).expect("key");
    let message = jwt.rsplit_once('.').map_or(jwt.as_str(), |(input, _)| input).as_bytes().to_vec();
    let signature = pair.sign(&rng, &message).expect("sign");
    let public = ParsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, pair.public_key().as_ref()).expect("public key");

    let mut group = c.benchmark_group("agentpin_verify");
    group.bench_function("baseline_raw_p256_verify", |b| {
        b.iter(|| public.verify_sig(black_box(&message), black_box(signature.as_ref())).is_ok())
    });
    group.bench_function("full_credential_verify", |b| {
        b.iter(|| verifier.verify_at(black_box(&jwt), Some("verifier.example.com"), now).is_ok())
    });
    group.finish();
}

criterion_group!(benches, verify);
criterion_main!(benches);
