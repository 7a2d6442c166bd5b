//! The paved paths through the public API: `symbi keygen` provisioning in the seed's form,
//! offline discovery from files, trust bundles, documents that round-trip, mutual authentication
//! and the principal facts a verified credential hands to Cedar.

use std::fs;

use symbi_agentpin::{
    Capability, Challenge, ChallengeError, DiscoveryDocument, ErrorCode, Jwk, KeygenRequest, LocalFileResolver,
    MemoryNonceStore, MemoryPinStore, RevocationDocument, RevocationReason, SandboxTier, TrustBundle, UnixTime,
    Verifier, VerifierConfig, keygen, verify_response,
};
use symbi_agentpin::{IssueRequest, ResolveError, VerifyError, issue};

const NOW: UnixTime = UnixTime::from_secs(1_800_000_000);

#[expect(clippy::unwrap_used, reason = "the seed's request is valid")]
fn seed_identity() -> symbi_agentpin::AgentIdentity {
    let mut request = KeygenRequest::new("agents.example.com", "planner-01");
    request.capabilities = ["plan", "delegate", "read:tools"].iter().map(|c| Capability::parse(c).unwrap()).collect();
    request.sandbox_tier = SandboxTier::new(2);
    keygen(&request, NOW).unwrap()
}

#[test]
fn keygen_produces_the_seed_credential_and_it_verifies_with_its_cedar_facts() {
    let identity = seed_identity();
    assert_eq!(identity.kid(), "agents.example.com#planner-01");
    let header: serde_json::Value = serde_json::from_str(&identity.credential().header_json()).unwrap();
    assert_eq!(
        header,
        serde_json::json!({"alg": "ES256", "typ": "agentpin-credential+jwt", "kid": "agents.example.com#planner-01"})
    );
    let claims: serde_json::Value = serde_json::from_str(&identity.credential().claims_json()).unwrap();
    assert_eq!(claims["iss"], "agents.example.com");
    assert_eq!(claims["sub"], "planner-01");
    assert_eq!(claims["iat"], NOW.secs());
    assert_eq!(claims["capabilities"], serde_json::json!(["plan", "delegate", "read:tools"]));
    assert_eq!(claims["sandbox_tier"], 2);

    let mut bundle = TrustBundle::new(NOW);
    bundle.insert_discovery(identity.discovery().clone());
    let (pins, config) = (MemoryPinStore::new(), VerifierConfig::default());
    let verified = Verifier::new(&bundle, &pins, &config).verify_at(identity.credential().jwt(), None, NOW).unwrap();
    assert_eq!(verified.domain(), "agents.example.com");
    assert_eq!(verified.agent_id(), "planner-01");
    assert_eq!(verified.sandbox_tier().map(SandboxTier::get), Some(2));
    let names: Vec<&str> = verified.capabilities().iter().map(Capability::as_str).collect();
    assert_eq!(names, ["plan", "delegate", "read:tools"]);
    assert!(verified.delegation_chain().is_empty());
    assert_eq!(verified.expires_at(), UnixTime::from_secs(NOW.secs() + 86_400));

    // The private key survives a PEM round trip and is never printed by Debug.
    let pem = identity.signing_key().to_pkcs8_pem();
    let again = symbi_agentpin::SigningKey::from_pkcs8_pem(&pem).unwrap();
    assert_eq!(again.public_key(), identity.signing_key().public_key());
    assert!(!format!("{identity:?}").contains(pem.lines().nth(1).unwrap()));
}

#[test]
fn local_files_resolve_offline_and_never_leave_their_directory() {
    let identity = seed_identity();
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("agents.example.com.json"), identity.discovery().to_json()).unwrap();
    let resolver = LocalFileResolver::new(dir.path());
    let (pins, config) = (MemoryPinStore::new(), VerifierConfig::default());
    let verifier = Verifier::new(&resolver, &pins, &config);
    let jwt = identity.credential().jwt();
    verifier.verify_at(jwt, None, NOW).unwrap();

    // A revocation file next to it is honoured; a broken one refuses (fail closed).
    let jti = verifier.verify_at(jwt, None, NOW).unwrap().jti().to_owned();
    let mut revocations = RevocationDocument::new("agents.example.com", NOW).unwrap();
    revocations.revoke_credential(&jti, RevocationReason::KeyCompromise, NOW);
    let revocation_path = dir.path().join("agents.example.com.revocations.json");
    fs::write(&revocation_path, revocations.to_json()).unwrap();
    assert_eq!(verifier.verify_at(jwt, None, NOW).unwrap_err().code(), ErrorCode::CredentialRevoked);
    fs::write(&revocation_path, "{").unwrap();
    assert_eq!(verifier.verify_at(jwt, None, NOW).unwrap_err().code(), ErrorCode::DiscoveryInvalid);
    fs::remove_file(&revocation_path).unwrap();

    // A hostile issuer never becomes a path.
    let request = IssueRequest::new(identity.kid(), "../../etc/passwd", "planner-01", 60);
    let hostile = issue(identity.signing_key(), &request, NOW).unwrap();
    assert!(matches!(
        verifier.verify_at(hostile.jwt(), None, NOW),
        Err(VerifyError::DiscoveryUnavailable { source: ResolveError::InvalidDomain { .. }, .. })
    ));

    // A file whose entity is another domain is a mismatch, not a key source.
    let other = keygen(&KeygenRequest::new("other.example", "planner-01"), NOW).unwrap();
    fs::write(dir.path().join("agents.example.com.json"), other.discovery().to_json()).unwrap();
    assert_eq!(verifier.verify_at(jwt, None, NOW).unwrap_err().code(), ErrorCode::DomainMismatch);
}

#[test]
fn documents_round_trip_through_json() {
    let identity = seed_identity();
    let doc = identity.discovery();
    assert_eq!(&DiscoveryDocument::from_json(doc.to_json().as_bytes()).unwrap(), doc);
    assert_eq!(
        doc.revocation_endpoint(),
        Some("https://agents.example.com/.well-known/agent-identity-revocations.json")
    );

    let mut bundle = TrustBundle::new(NOW);
    bundle.insert_discovery(doc.clone());
    bundle.insert_revocation(RevocationDocument::new("agents.example.com", NOW).unwrap());
    let again = TrustBundle::from_json(bundle.to_json().as_bytes()).unwrap();
    assert_eq!(again.to_json(), bundle.to_json());

    let jwk = &doc.public_keys()[0];
    assert_eq!(&Jwk::from_json(jwk.to_json().as_bytes()).unwrap(), jwk);
}

#[test]
fn invalid_discovery_documents_are_refused_whole() {
    let identity = seed_identity();
    let good: serde_json::Value = serde_json::from_str(&identity.discovery().to_json()).unwrap();
    let mutations: [(&str, serde_json::Value); 6] = [
        ("agentpin_version", "0.2".into()),
        ("entity", "Agents.Example.com/../x".into()),
        ("public_keys", serde_json::json!([])),
        ("max_delegation_depth", 4.into()),
        ("entity_type", "broker".into()),
        ("agents", serde_json::json!([{"agent_id": "", "name": "x", "capabilities": [], "status": "active"}])),
    ];
    for (field, value) in mutations {
        let mut bad = good.clone();
        bad[field] = value;
        assert!(DiscoveryDocument::from_json(bad.to_string().as_bytes()).is_err(), "{field}");
    }
    let mut two_keys = good;
    let key = two_keys["public_keys"][0].clone();
    two_keys["public_keys"].as_array_mut().unwrap().push(key);
    assert!(DiscoveryDocument::from_json(two_keys.to_string().as_bytes()).is_err(), "a kid published twice");
}

#[test]
fn mutual_authentication_checks_echo_age_key_signature_and_replay() {
    let identity = seed_identity();
    let mut bundle = TrustBundle::new(NOW);
    bundle.insert_discovery(identity.discovery().clone());
    let (pins, config) = (MemoryPinStore::new(), VerifierConfig::default());
    let responder = Verifier::new(&bundle, &pins, &config).verify_at(identity.credential().jwt(), None, NOW).unwrap();

    let challenge = Challenge::new(Some(identity.credential().jwt().to_owned()), NOW).unwrap();
    let wire = Challenge::from_json(challenge.to_json().as_bytes()).unwrap();
    assert_eq!(wire, challenge);
    let response = wire.respond(identity.signing_key(), identity.kid()).unwrap();
    let response = symbi_agentpin::Response::from_json(response.to_json().as_bytes()).unwrap();
    let nonces = MemoryNonceStore::new();
    verify_response(&challenge, &response, &responder, &bundle, Some(&nonces), NOW).unwrap();
    assert!(matches!(
        verify_response(&challenge, &response, &responder, &bundle, Some(&nonces), NOW),
        Err(ChallengeError::Replayed)
    ));

    let later = UnixTime::from_secs(NOW.secs() + 61);
    assert!(matches!(
        verify_response(&challenge, &response, &responder, &bundle, None, later),
        Err(ChallengeError::Expired { age: 61 })
    ));
    let other = Challenge::new(None, NOW).unwrap();
    assert!(matches!(
        verify_response(&other, &response, &responder, &bundle, None, NOW),
        Err(ChallengeError::NonceMismatch)
    ));
    let impostor = symbi_agentpin::SigningKey::generate().unwrap();
    let forged = challenge.respond(&impostor, identity.kid()).unwrap();
    assert!(matches!(
        verify_response(&challenge, &forged, &responder, &bundle, None, NOW),
        Err(ChallengeError::SignatureInvalid)
    ));
    let unknown = challenge.respond(&impostor, "attacker#key").unwrap();
    assert!(matches!(
        verify_response(&challenge, &unknown, &responder, &bundle, None, NOW),
        Err(ChallengeError::KeyNotFound { .. })
    ));
}

#[test]
fn a_local_document_is_decoded_once_per_change() {
    use symbi_agentpin::Resolver as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agents.example.com.json");
    fs::write(&path, seed_identity().discovery().to_json()).unwrap();
    let resolver = LocalFileResolver::new(dir.path());
    let first = resolver.discovery("agents.example.com").unwrap();
    let again = resolver.discovery("agents.example.com").unwrap();
    assert!(std::sync::Arc::ptr_eq(&first, &again), "an unchanged file is not decoded again");

    // Another key for the domain (a longer file, so the change shows even within one tick of the
    // file system's clock) is read at once.
    let replaced = seed_identity();
    fs::write(&path, format!("{}\n", replaced.discovery().to_json())).unwrap();
    let now = resolver.discovery("agents.example.com").unwrap();
    assert_eq!(now.public_keys(), replaced.discovery().public_keys());
    fs::remove_file(&path).unwrap();
    assert!(matches!(resolver.discovery("agents.example.com"), Err(ResolveError::NotFound { .. })));
}

#[test]
fn a_chain_answers_revocation_from_the_source_that_answered_discovery() {
    use std::sync::Arc;
    use symbi_agentpin::{ChainResolver, Resolver};
    let identity = seed_identity();
    let local = tempfile::tempdir().unwrap();
    let mut bundle = TrustBundle::new(NOW);
    bundle.insert_discovery(identity.discovery().clone());
    let mut revocations = RevocationDocument::new("agents.example.com", NOW).unwrap();
    revocations.revoke_agent("planner-01", RevocationReason::PrivilegeWithdrawn, NOW);
    bundle.insert_revocation(revocations);
    let sources: Vec<Arc<dyn Resolver>> = vec![Arc::new(LocalFileResolver::new(local.path())), Arc::new(bundle)];
    let chain = ChainResolver::new(sources);
    let (pins, config) = (MemoryPinStore::new(), VerifierConfig::default());
    let refused = Verifier::new(&chain, &pins, &config).verify_at(identity.credential().jwt(), None, NOW).unwrap_err();
    assert_eq!(refused.code(), ErrorCode::AgentInactive, "the bundle's revocations apply: {refused}");

    // A local document that does not decode is the answer, not a reason to ask the next source.
    fs::write(local.path().join("agents.example.com.json"), "{").unwrap();
    assert!(matches!(chain.discovery("agents.example.com"), Err(ResolveError::Invalid { .. })));
    assert!(matches!(chain.discovery("nobody.example.com"), Err(ResolveError::NotFound { .. })));
}
