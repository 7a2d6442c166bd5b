//! Interop with the published ecosystem: the shared vectors and the Python `schemapin` 1.3.0
//! package, in both directions.

#![expect(clippy::unwrap_used, reason = "fixture helpers fail the test on a bad fixture")]

use serde_json::{Value, json};
use symbi_schemapin::{
    DiscoveryDocument, PinStatus, SignatureError, SignedSchema, SigningKey, VerifyError, WellKnownBuilder,
    canonical_bytes, sign_schema,
};

use crate::common::{python, vector, vector_json, verify};

fn signed(path: &str) -> (Value, String) {
    let envelope = vector_json(path);
    (envelope["schema"].clone(), envelope["signature"].as_str().unwrap().to_owned())
}

fn discovery(path: &str) -> DiscoveryDocument {
    DiscoveryDocument::from_json(&vector(path)).unwrap()
}

#[test]
fn python_and_javascript_signed_vectors_verify() {
    for lang in ["python", "javascript"] {
        let (schema, signature) = signed(&format!("{lang}/demo_schema_signed.json"));
        let doc = discovery(&format!("{lang}/demo_well_known.json"));
        let verified = verify("calculate_sum", &schema, &signature, &doc).unwrap();
        assert_eq!(verified.pin_status(), PinStatus::FirstUse, "{lang}");
    }
}

#[test]
fn go_signed_vectors_are_refused_for_their_single_hash() {
    let doc = discovery("go-negative/schemapin.json");
    let (schema, signature) = signed("go-negative/demo_signed.json");
    let err = verify("sample", &schema, &signature, &doc).unwrap_err();
    assert!(matches!(err, VerifyError::Signature { source: SignatureError::Mismatch, .. }), "{err}");
    for who in ["developer", "client"] {
        let doc = discovery(&format!("go-negative/{who}_demo_well_known.json"));
        let (schema, signature) = signed(&format!("go-negative/{who}_demo_schema_signed.json"));
        let err = verify("calculate_sum", &schema, &signature, &doc).unwrap_err();
        assert_eq!(err.code(), "SIGNATURE_INVALID", "{who}");
    }
}

/// Schemas exercising every canonicalization rule: nesting, arrays, Unicode, escapes, and the
/// float spellings where the ecosystem's languages disagree (Python is the reference).
fn tricky_schemas() -> Vec<Value> {
    let mut schemas: Vec<Value> = ["mcp_tool", "api_endpoint", "complex_nested"]
        .iter()
        .map(|n| vector_json(&format!("sample_schemas/{n}.json")))
        .collect();
    schemas.push(json!({
        "name": "tricky",
        "description": "Ünïcödé — 日本語 😀 \u{2028} tab\t quote\" backslash\\ ctrl\u{1} del\u{7f} slash/",
        "inputSchema": {"type": "object", "properties": {"z": {"default": 1.0}, "a": {"minimum": -0.0, "maximum": 1e20}}},
        "numbers": [0, -1, 18446744073709551615_u64, -9223372036854775808_i64, 1.5e-7, 100.5, 0.1, 1e16, 1e15, 0.00001, 5e-324],
        "keys": {"10": 1, "2": 2, "B": 3, "a": 4, "\u{FFFF}": 5, "\u{1F600}": 6, "": 7},
        "literals": [true, false, null, [], {}],
    }));
    schemas
}

fn tool_of(schema: &Value) -> &str {
    schema.get("name").and_then(Value::as_str).unwrap_or("sample")
}

#[test]
fn canonical_bytes_match_python_byte_for_byte() {
    let schemas = tricky_schemas();
    let theirs = python(
        "import json,sys\nfrom schemapin.core import SchemaPinCore\n\
         print(json.dumps([SchemaPinCore.canonicalize_schema(s) for s in json.load(sys.stdin)]))",
        &Value::Array(schemas.clone()),
    );
    for (schema, theirs) in schemas.iter().zip(theirs.as_array().unwrap()) {
        assert_eq!(String::from_utf8(canonical_bytes(schema)).unwrap(), theirs.as_str().unwrap());
    }
}

#[test]
fn python_signed_schemas_verify_here() {
    let schemas = tricky_schemas();
    let out = python(
        "import json,sys\n\
         from schemapin.crypto import KeyManager\n\
         from schemapin.utils import SchemaSigningWorkflow, create_well_known_response\n\
         priv, pub = KeyManager.generate_keypair()\n\
         priv_pem = KeyManager.export_private_key_pem(priv)\n\
         pub_pem = KeyManager.export_public_key_pem(pub)\n\
         wf = SchemaSigningWorkflow(priv_pem)\n\
         # Sign each schema several times: about half of OpenSSL's signatures are high-S.\n\
         sigs = [[wf.sign_schema(s) for _ in range(4)] for s in json.load(sys.stdin)]\n\
         print(json.dumps({'discovery': create_well_known_response(pub_pem, 'Py Dev'), 'sigs': sigs}))",
        &Value::Array(schemas.clone()),
    );
    let doc = DiscoveryDocument::from_value(&out["discovery"]).unwrap();
    assert_eq!(doc.developer_name(), Some("Py Dev"));
    for (schema, sigs) in schemas.iter().zip(out["sigs"].as_array().unwrap()) {
        for sig in sigs.as_array().unwrap() {
            verify(tool_of(schema), schema, sig.as_str().unwrap(), &doc).unwrap();
        }
    }
}

#[test]
fn our_signed_schemas_verify_in_python() {
    let key = SigningKey::generate().unwrap();
    let well_known = WellKnownBuilder::new(key.public_key()).developer_name("symbi").build();
    let cases: Vec<Value> = tricky_schemas()
        .into_iter()
        .map(|schema| {
            let signature = sign_schema(&key, &schema).unwrap().to_base64();
            json!({"tool": tool_of(&schema), "schema": schema, "signature": signature})
        })
        .collect();
    let results = python(
        "import json,sys\n\
         from schemapin.verification import verify_schema_offline, KeyPinStore\n\
         d = json.load(sys.stdin)\n\
         out = []\n\
         for c in d['cases']:\n\
         \x20   r = verify_schema_offline(c['schema'], c['signature'], 'example.com', c['tool'], d['discovery'], None, KeyPinStore())\n\
         \x20   out.append([r.valid, r.error_code.value if r.error_code else None])\n\
         print(json.dumps(out))",
        &json!({"cases": cases, "discovery": well_known}),
    );
    for result in results.as_array().unwrap() {
        assert_eq!(result, &json!([true, null]));
    }
}

#[test]
fn float_spelling_matches_python_for_random_doubles() {
    // Bit patterns from a fixed xorshift stream cover every exponent range, plus decimal-looking
    // values around the fixed/scientific switch points (1e-4 and 1e16).
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut floats: Vec<Value> = Vec::new();
    while floats.len() < 400 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let f = f64::from_bits(state);
        if let Some(n) = serde_json::Number::from_f64(f) {
            floats.push(Value::Number(n));
        }
    }
    for exp in -8..=20 {
        for mantissa in [1.0, 1.5, 9.999, 123.456] {
            floats.push(json!(mantissa * 10f64.powi(exp)));
            floats.push(json!(-mantissa * 10f64.powi(exp)));
        }
    }
    let schema = json!({"floats": floats});
    let theirs = python(
        "import json,sys\nfrom schemapin.core import SchemaPinCore\nprint(json.dumps(SchemaPinCore.canonicalize_schema(json.load(sys.stdin))))",
        &schema,
    );
    assert_eq!(String::from_utf8(canonical_bytes(&schema)).unwrap(), theirs.as_str().unwrap());
}

#[test]
fn vector_private_keys_load_and_match_their_discovery_keys() {
    for (private, discovery) in [
        ("python/demo_private_key.pem", "python/demo_well_known.json"),
        ("javascript/demo_private_key.pem", "javascript/demo_well_known.json"),
        ("go-negative/developer_demo_private_key.pem", "go-negative/developer_demo_well_known.json"),
        ("go-negative/client_demo_private_key.pem", "go-negative/client_demo_well_known.json"),
    ] {
        let key = SigningKey::from_pem(std::str::from_utf8(&vector(private)).unwrap()).unwrap();
        assert_eq!(
            Some(key.public_key()),
            DiscoveryDocument::from_json(&vector(discovery)).unwrap().select_key(None).ok()
        );
    }
    let authority =
        SigningKey::from_pem(std::str::from_utf8(&vector("bundle/authority_private.pem")).unwrap()).unwrap();
    assert_eq!(
        authority.public_key().fingerprint().as_str(),
        "sha256:8120d9001e5cb51e54e2910c0e5fe97bf1ed4e699587f5af94e285a9bbafa07d"
    );
}

#[test]
fn our_signed_schema_files_pass_the_python_cli() {
    let key = SigningKey::generate().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (envelope, public) = (dir.path().join("tool.signed.json"), dir.path().join("key.pem"));
    let signed = SignedSchema::sign(vector_json("sample_schemas/mcp_tool.json"), &key, None, 1_780_000_000).unwrap();
    std::fs::write(&envelope, signed.to_json()).unwrap();
    std::fs::write(&public, key.public_key().to_pem()).unwrap();
    let report = python(
        "import json,sys\nfrom tools.verify_schema import main\nd = json.load(sys.stdin)\n\
         sys.argv = ['schemapin-verify', '--schema', d['file'], '--public-key', d['key'], '--json', '--exit-code']\n\
         sys.exit(main())",
        &json!({"file": envelope, "key": public}),
    );
    assert_eq!(report["valid"], json!(1), "{report}");
    assert_eq!(report["results"][0]["key_fingerprint"], json!(key.public_key().fingerprint().as_str()));
}
