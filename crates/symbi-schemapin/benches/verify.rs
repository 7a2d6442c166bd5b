//! SchemaPin verification cost as a ratio: a full schema verification (strict signature decode,
//! canonicalize, hash, ECDSA, revocation and pin checks) and the per-invocation recheck, against
//! one raw aws-lc P-256 verification and the published `schemapin` crate's offline verification
//! of the same schema, all in the same run.

#![expect(missing_docs, reason = "criterion_group! generates an undocumented entry point")]

use std::hint::black_box;
use std::sync::Arc;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1, ParsedPublicKey};
use base64::Engine as _;
use criterion::{Criterion, criterion_group, criterion_main};
use sha2::{Digest as _, Sha256};
use symbi_schemapin::{
    DiscoveryDocument, Domain, MemoryPinStore, SchemaRequest, SigningKey, ToolName, Verifier, VerifierConfig,
    WellKnownBuilder, canonical_bytes, parse_json, sign_schema,
};

/// A realistic MCP tool definition (the ecosystem's `mcp_tool.json` sample shape).
const TOOL: &str = r#"{"name":"file_reader","description":"Reads a file from the local filesystem and returns its contents","inputSchema":{"type":"object","properties":{"path":{"type":"string","description":"Absolute path of the file to read"},"encoding":{"type":"string","enum":["utf-8","ascii","latin-1"],"default":"utf-8"},"max_bytes":{"type":"integer","minimum":1,"maximum":10485760}},"required":["path"]}}"#;

#[expect(clippy::expect_used, reason = "a bench whose fixture fails to build has nothing to measure")]
fn verification(c: &mut Criterion) {
    let key = SigningKey::generate().expect("key generation");
    let schema = parse_json(TOOL.as_bytes()).expect("tool definition parses");
    let signature = sign_schema(&key, &schema).expect("signing").to_base64();
    let discovery =
        DiscoveryDocument::from_value(&WellKnownBuilder::new(key.public_key()).build()).expect("discovery document");
    let verifier = Verifier::new(Arc::new(MemoryPinStore::new()), VerifierConfig::default());
    let tool = ToolName::new("file_reader").expect("tool name");
    let domain = Domain::new("tools.example.com").expect("domain");
    let request = SchemaRequest {
        tool: &tool,
        domain: &domain,
        schema: &schema,
        signature: &signature,
        kid: None,
        canonicalization: None,
        discovery: &discovery,
        revocation: None,
    };
    let verified = verifier.verify(&request).expect("first use pins the key");

    // Baseline: the same signature over the same 32-byte message, straight through aws-lc with
    // the key already parsed, which is the least any verifier must spend.
    let raw_key = ParsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, key.public_key().spki_der()).expect("raw key");
    let der = base64::engine::general_purpose::STANDARD.decode(&signature).expect("base64");
    let message: [u8; 32] = Sha256::digest(canonical_bytes(&schema)).into();

    let mut group = c.benchmark_group("schemapin_verify");
    group.bench_function("raw_aws_lc_p256_verify", |b| {
        b.iter(|| raw_key.verify_sig(black_box(&message), black_box(&der)).expect("raw verify"));
    });
    group.bench_function("full_verify", |b| {
        b.iter(|| verifier.verify(black_box(&request)).expect("verify"));
    });
    group.bench_function("recheck_unchanged", |b| {
        b.iter(|| verified.recheck(black_box(&schema)).expect("unchanged"));
    });

    // The published crate (pure-Rust `p256`), same schema, signature and discovery document.
    let published: schemapin::types::discovery::WellKnownResponse =
        serde_json::from_value(WellKnownBuilder::new(key.public_key()).build()).expect("published discovery type");
    let mut published_pins = schemapin::pinning::KeyPinStore::new();
    group.bench_function("published_schemapin_1_3_verify", |b| {
        b.iter(|| {
            let result = schemapin::verification::verify_schema_offline(
                black_box(&schema),
                black_box(&signature),
                "tools.example.com",
                "file_reader",
                &published,
                None,
                &mut published_pins,
            );
            assert!(result.valid, "the published crate verifies our signature");
        });
    });
    group.finish();
}

criterion_group!(benches, verification);
criterion_main!(benches);
