//! Interop with the published Python `agentpin` 0.3.0, both directions: credentials, documents,
//! bundles, pin files, attestations and challenge responses made there are accepted here (and
//! refused for the same reasons), and ours are accepted there.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

/// Runs one scenario of `tests/peer/agentpin_peer.py` under the interop Python (the interpreter
/// in `SYMBI_TEST_PYTHON`, else `python3`). A missing interpreter or package fails the test
/// with the peer's own error: interop is never silently skipped.
#[expect(clippy::disallowed_methods, reason = "interop tests drive the published Python agentpin package")]
#[expect(clippy::unwrap_used, clippy::panic, reason = "a peer that cannot run or answer fails the test")]
fn peer(scenario: &str, input: &Value) -> Value {
    let python = std::env::var("SYMBI_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peer/agentpin_peer.py");
    let mut child = Command::new(&python)
        .arg(&script)
        .arg(scenario)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start `{python}` (set SYMBI_TEST_PYTHON to the interop venv): {e}"));
    child.stdin.take().unwrap().write_all(input.to_string().as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "python agentpin peer `{scenario}` failed (is agentpin==0.3.0 installed for `{python}`?):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

use symbi_agentpin::{
    Attestation, Capability, Challenge, DelegationEntry, DelegationRole, DiscoveryDocument, ErrorCode, IssueRequest,
    Jwk, MemoryPinStore, PinCandidate, PinOutcome, PinStore, PublicKey, Response, RevocationDocument, SigningKey,
    TrustBundle, UnixTime, VerifiedCredential, Verifier, VerifierConfig, VerifyError, issue, verify_response,
};

#[expect(clippy::unwrap_used, reason = "test capabilities are valid")]
fn caps(texts: &[&str]) -> Vec<Capability> {
    texts.iter().map(|t| Capability::parse(t).unwrap()).collect()
}

#[expect(clippy::unwrap_used, reason = "a Python document we cannot read fails the test")]
fn doc(value: &Value) -> DiscoveryDocument {
    DiscoveryDocument::from_json(value.to_string().as_bytes()).unwrap()
}

/// Everything the Python issuer produced, parsed into our types.
struct PythonIssued {
    raw: Value,
    bundle: TrustBundle,
}

#[expect(clippy::unwrap_used, reason = "Python output we cannot read fails the test")]
impl PythonIssued {
    fn new() -> Self {
        let raw = peer("issue", &serde_json::json!({}));
        let bundle = TrustBundle::from_json(raw["bundle"].to_string().as_bytes()).unwrap();
        Self { raw, bundle }
    }

    fn credential(&self, name: &str) -> &str {
        self.raw["credentials"][name].as_str().unwrap()
    }

    fn verify(&self, jwt: &str, config: &VerifierConfig) -> Result<VerifiedCredential, VerifyError> {
        let pins = MemoryPinStore::new();
        Verifier::new(&self.bundle, &pins, config).verify(jwt, Some("verifier.example"))
    }
}

#[test]
fn python_credentials_verify_here_and_are_refused_for_the_same_reasons() {
    let python = PythonIssued::new();
    let config = VerifierConfig::default();
    for name in ["plain", "audience", "narrowed"] {
        let verified = python.verify(python.credential(name), &config).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(verified.domain(), "issuer.example");
        assert_eq!(verified.agent_id(), "urn:agentpin:issuer.example:scout");
    }
    let refusals = [
        ("widened", ErrorCode::ConstraintViolation),
        ("escalated", ErrorCode::CapabilityExceeded),
        ("suspended", ErrorCode::AgentInactive),
        ("revoked", ErrorCode::CredentialRevoked),
    ];
    for (name, code) in refusals {
        let error = python.verify(python.credential(name), &config).unwrap_err();
        assert_eq!(error.code(), code, "{name}: {error}");
    }
}

#[test]
fn python_delegation_chains_are_actually_verified() {
    let python = PythonIssued::new();
    let verified = python.verify(python.credential("delegated"), &VerifierConfig::default()).unwrap();
    let chain = verified.delegation_chain();
    assert_eq!(chain.len(), 1);
    assert_eq!((chain[0].domain(), chain[0].role()), ("maker.example", DelegationRole::Maker));

    // Without the maker's discovery document the chain cannot be checked, so it is refused.
    let mut issuer_only = TrustBundle::new(UnixTime::now());
    issuer_only.insert_discovery(doc(&python.raw["discovery"]));
    let pins = MemoryPinStore::new();
    let config = VerifierConfig::default();
    let error = Verifier::new(&issuer_only, &pins, &config).verify(python.credential("delegated"), None).unwrap_err();
    assert_eq!(error.code(), ErrorCode::DelegationInvalid, "{error}");
}

#[test]
fn python_signs_high_s_about_half_the_time_and_we_accept_it_unless_told_not_to() {
    let python = PythonIssued::new();
    let mut strict = VerifierConfig::default();
    strict.require_low_s = true;
    let mut high_s = 0;
    for jwt in python.raw["many"].as_array().unwrap() {
        let jwt = jwt.as_str().unwrap();
        python.verify(jwt, &VerifierConfig::default()).unwrap();
        if let Err(error) = python.verify(jwt, &strict) {
            assert!(matches!(error, VerifyError::SignatureEncoding(_)), "{error}");
            high_s += 1;
        }
    }
    // 40 OpenSSL signatures are all low-s with probability 2^-40.
    assert!(high_s > 0, "expected some high-s signatures from OpenSSL");
}

#[test]
fn keys_thumbprints_pins_and_bundles_agree() {
    let python = PythonIssued::new();
    let public = PublicKey::from_spki_pem(python.raw["public_key_pem"].as_str().unwrap()).unwrap();
    assert_eq!(public.thumbprint(), python.raw["thumbprint"].as_str().unwrap());
    assert_eq!(public.key_id(), python.raw["key_id"].as_str().unwrap());
    assert_eq!(public.to_spki_pem(), python.raw["public_key_pem"].as_str().unwrap());

    let pins = MemoryPinStore::from_json(python.raw["pins"].as_str().unwrap().as_bytes()).unwrap();
    let candidate = PinCandidate { kid: "issuer-2026-01", thumbprint: &public.thumbprint() };
    assert_eq!(pins.check_and_pin("issuer.example", candidate, UnixTime::now()).unwrap(), PinOutcome::Matched);
    let other = SigningKey::generate().unwrap().public_key().thumbprint();
    let candidate = PinCandidate { kid: "issuer-2026-01", thumbprint: &other };
    assert_eq!(pins.check_and_pin("issuer.example", candidate, UnixTime::now()).unwrap(), PinOutcome::Changed);

    let revocation = RevocationDocument::from_json(python.raw["revocation"].to_string().as_bytes()).unwrap();
    assert_eq!(revocation.entity(), "issuer.example");
}

#[test]
fn our_credentials_documents_and_attestations_verify_in_python() {
    let now = UnixTime::now();
    let (issuer, maker) = ("deployer.example", "maker.example");
    let agent_id = "urn:agentpin:deployer.example:planner-01";
    let maker_type = "urn:agentpin:maker.example:planner";
    let key = SigningKey::generate().unwrap();
    let maker_key = SigningKey::generate().unwrap();
    let kid = format!("{issuer}#planner-01");
    let granted = caps(&["read:tools", "write:plan"]);
    let agent = symbi_agentpin::AgentDeclaration::new(agent_id, "planner-01", granted.clone());
    let discovery = DiscoveryDocument::new(
        issuer,
        symbi_agentpin::EntityType::Deployer,
        vec![Jwk::new(kid.clone(), key.public_key().clone())],
        vec![agent],
        now,
    )
    .unwrap()
    .with_max_delegation_depth(1)
    .unwrap();
    let discovery_json: Value = serde_json::from_str(&discovery.to_json()).unwrap();

    let credential = |configure: &dyn Fn(&mut IssueRequest), at: UnixTime| {
        let mut request = IssueRequest::new(kid.clone(), issuer, agent_id, 3600);
        request.capabilities = granted.clone();
        request.sandbox_tier = symbi_agentpin::SandboxTier::new(2);
        configure(&mut request);
        issue(&key, &request, at).unwrap().jwt().to_owned()
    };
    let attestation = Attestation {
        domain: maker,
        role: DelegationRole::Maker,
        agent_id: maker_type,
        delegatee_domain: issuer,
        delegatee_agent_id: agent_id,
        capabilities: &granted,
    };
    let entry = DelegationEntry::attest(&maker_key, "maker-1", &attestation).unwrap();
    let mut revocation = RevocationDocument::new(issuer, now).unwrap();
    let revoked = credential(&|_| {}, now);
    let revoked_jti = jti_of(&revoked);
    revocation.revoke_credential(&revoked_jti, symbi_agentpin::RevocationReason::Superseded, now);

    let mut bundle = TrustBundle::new(now);
    bundle.insert_discovery(discovery);
    let pins = MemoryPinStore::new();
    pins.check_and_pin(issuer, PinCandidate { kid: &kid, thumbprint: &key.public_key().thumbprint() }, now).unwrap();

    let case = |jwt: String, audience: Option<&str>, revocation: Option<&RevocationDocument>| {
        serde_json::json!({
            "jwt": jwt,
            "discovery": discovery_json,
            "audience": audience,
            "revocation": revocation.map(|r| serde_json::from_str::<Value>(&r.to_json()).unwrap()),
        })
    };
    let input = serde_json::json!({
        "cases": {
            "plain": case(credential(&|_| {}, now), None, None),
            "audience": case(credential(&|r| r.audience = Some("verifier.example".into()), now), Some("verifier.example"), None),
            "wrong_audience": case(credential(&|r| r.audience = Some("other.example".into()), now), Some("verifier.example"), None),
            "delegated": case(credential(&|r| r.delegation_chain = vec![entry.clone()], now), None, None),
            "expired": case(credential(&|_| {}, UnixTime::from_secs(now.secs() - 7200)), None, None),
            "revoked": case(revoked, None, Some(&revocation)),
        },
        "bundle": serde_json::from_str::<Value>(&bundle.to_json()).unwrap(),
        "bundle_jwt": credential(&|_| {}, now),
        "jwk": serde_json::from_str::<Value>(&Jwk::new(kid.clone(), key.public_key().clone()).to_json()).unwrap(),
        "public_key_pem": key.public_key().to_spki_pem(),
        "pins": pins.to_json(),
        "pin_domain": issuer,
        "attestation": {
            "entry": serde_json::to_value(&entry).unwrap(),
            "public_key_pem": maker_key.public_key().to_spki_pem(),
            "delegatee_domain": issuer,
            "delegatee_agent_id": agent_id,
            "capabilities": ["read:tools", "write:plan"],
        },
        "private_key_pem": key.to_pkcs8_pem().as_str(),
        "kid": kid,
        "issuer": issuer,
        "agent_id": agent_id,
    });
    let results = peer("verify", &input);
    let outcome = |name: &str| (results[name]["valid"].as_bool().unwrap(), results[name]["error_code"].as_str());
    for name in ["plain", "audience", "delegated", "bundle"] {
        assert_eq!(outcome(name), (true, None), "{name}");
    }
    assert_eq!(outcome("wrong_audience"), (false, Some("AUDIENCE_MISMATCH")));
    assert_eq!(outcome("expired"), (false, Some("CREDENTIAL_EXPIRED")));
    assert_eq!(outcome("revoked"), (false, Some("CREDENTIAL_REVOKED")));
    assert_eq!(results["thumbprint"].as_str().unwrap(), key.public_key().thumbprint());
    assert_eq!(results["key_id"].as_str().unwrap(), key.public_key().key_id());
    assert_eq!(results["jwk_pem_equal"], Value::Bool(true));
    assert_eq!(results["pinned"], serde_json::json!([key.public_key().thumbprint()]));
    assert_eq!(results["attestation_ok"], Value::Bool(true));

    // Python, holding our PKCS#8 key, issues a credential that we verify.
    let python_signed = results["python_signed_with_our_key"].as_str().unwrap();
    let config = VerifierConfig::default();
    let verified = Verifier::new(&bundle, &MemoryPinStore::new(), &config).verify(python_signed, None).unwrap();
    assert_eq!(verified.kid(), kid);
}

#[expect(clippy::unwrap_used, reason = "our own credential always decodes")]
fn jti_of(jwt: &str) -> String {
    use base64::Engine;
    let claims = jwt.split('.').nth(1).unwrap();
    let claims: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
    claims["jti"].as_str().unwrap().to_owned()
}

#[test]
fn mutual_authentication_both_ways() {
    // Python challenges, we answer with a key Python generated, Python checks.
    let python = peer("challenge", &serde_json::json!({}));
    let challenge = Challenge::from_json(python["challenge"].to_string().as_bytes()).unwrap();
    let key = SigningKey::from_pkcs8_pem(python["private_key_pem"].as_str().unwrap()).unwrap();
    let response = challenge.respond(&key, "responder-1").unwrap();
    let checked = peer(
        "check_response",
        &serde_json::json!({
            "response": serde_json::from_str::<Value>(&response.to_json()).unwrap(),
            "challenge": python["challenge"],
            "public_key_pem": python["public_key_pem"],
        }),
    );
    assert_eq!(checked["valid"], Value::Bool(true));

    // We challenge a Python agent whose credential we verified; it answers with its domain key.
    let issued = PythonIssued::new();
    let responder = issued.verify(issued.credential("plain"), &VerifierConfig::default()).unwrap();
    let now = UnixTime::now();
    let challenge = Challenge::new(None, now).unwrap();
    let answer = peer(
        "respond",
        &serde_json::json!({
            "challenge": serde_json::from_str::<Value>(&challenge.to_json()).unwrap(),
            "private_key_pem": issued.raw["private_key_pem"],
            "kid": "issuer-2026-01",
        }),
    );
    let response = Response::from_json(answer["response"].to_string().as_bytes()).unwrap();
    verify_response(&challenge, &response, &responder, &issued.bundle, None, now).unwrap();
}
