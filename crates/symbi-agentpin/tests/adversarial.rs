//! Hostile credentials and documents, each refused with its specific error: forged algorithms,
//! injected key references, non-canonical and high-`s` signatures, duplicate JSON keys, oversized
//! input, bad times, revocations, key substitution after pinning and broken delegation chains.

use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use symbi_agentpin::{
    AgentDeclaration, AgentStatus, Attestation, Capability, Constraints, DataClassification, DelegationEntry,
    DelegationRole, DiscoveryDocument, EntityType, ErrorCode, IssueRequest, Jwk, MemoryPinStore, RevocationDocument,
    RevocationReason, SigningKey, TrustBundle, UnixTime, VerifiedCredential, Verifier, VerifierConfig, VerifyError,
    issue,
};

const ISSUER: &str = "deployer.example";
const AGENT: &str = "urn:agentpin:deployer.example:scout";
const KID: &str = "deployer.example#scout";
const MAKER: &str = "maker.example";
const MAKER_TYPE: &str = "urn:agentpin:maker.example:scout-type";
const NOW: UnixTime = UnixTime::from_secs(1_800_000_000);

fn caps(texts: &[&str]) -> Vec<Capability> {
    texts.iter().filter_map(|t| Capability::parse(t).ok()).collect()
}

/// An issuer and a maker, their documents in a bundle, and a pin store shared by every check.
struct Fixture {
    key: SigningKey,
    maker_key: SigningKey,
    bundle: TrustBundle,
    pins: MemoryPinStore,
    config: VerifierConfig,
}

#[expect(clippy::unwrap_used, reason = "fixture set-up cannot fail for valid constants")]
impl Fixture {
    fn new() -> Self {
        let key = SigningKey::generate().unwrap();
        let maker_key = SigningKey::generate().unwrap();
        let mut fixture = Self {
            key,
            maker_key,
            bundle: TrustBundle::new(NOW),
            pins: MemoryPinStore::new(),
            config: VerifierConfig::default(),
        };
        fixture.publish_issuer(Jwk::new(KID, fixture.key.public_key().clone()), 1, AgentStatus::Active);
        let maker_agent = AgentDeclaration::new(MAKER_TYPE, "scout type", caps(&["read:*", "write:*"]));
        let maker = DiscoveryDocument::new(
            MAKER,
            EntityType::Maker,
            vec![Jwk::new("maker-1", fixture.maker_key.public_key().clone())],
            vec![maker_agent],
            NOW,
        )
        .unwrap()
        .with_max_delegation_depth(2)
        .unwrap();
        fixture.bundle.insert_discovery(maker);
        fixture
    }

    fn publish_issuer(&mut self, jwk: Jwk, depth: u8, status: AgentStatus) {
        let defaults = serde_json::from_str::<Constraints>(r#"{"data_classification_max":"confidential"}"#).unwrap();
        let agent = AgentDeclaration::new(AGENT, "scout", caps(&["read:codebase", "write:report"]))
            .with_constraints(defaults)
            .with_credential_ttl_max(7200)
            .with_status(status);
        let doc = DiscoveryDocument::new(ISSUER, EntityType::Deployer, vec![jwk], vec![agent], NOW)
            .unwrap()
            .with_max_delegation_depth(depth)
            .unwrap();
        self.bundle.insert_discovery(doc);
    }

    fn request(&self) -> IssueRequest {
        let mut request = IssueRequest::new(KID, ISSUER, AGENT, 3600);
        request.capabilities = caps(&["read:codebase"]);
        request
    }

    fn issue_with(&self, configure: impl FnOnce(&mut IssueRequest)) -> String {
        let mut request = self.request();
        configure(&mut request);
        issue(&self.key, &request, NOW).unwrap().jwt().to_owned()
    }

    fn attest(&self, delegatee_agent_id: &str, capabilities: &[&str]) -> DelegationEntry {
        let capabilities = caps(capabilities);
        let attestation = Attestation {
            domain: MAKER,
            role: DelegationRole::Maker,
            agent_id: MAKER_TYPE,
            delegatee_domain: ISSUER,
            delegatee_agent_id,
            capabilities: &capabilities,
        };
        DelegationEntry::attest(&self.maker_key, "maker-1", &attestation).unwrap()
    }

    fn verify(&self, jwt: &str) -> Result<VerifiedCredential, VerifyError> {
        Verifier::new(&self.bundle, &self.pins, &self.config).verify_at(jwt, Some("verifier.example"), NOW)
    }

    /// Signs arbitrary header and claims text with the issuer's key, outside our issuer (which
    /// would never produce these), through aws-lc directly.
    fn forge(&self, header: &str, claims: &str) -> String {
        let input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(claims));
        let signature = der_sign(&self.key, input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }
}

#[expect(clippy::unwrap_used, reason = "our own PKCS#8 key always loads")]
fn der_sign(key: &SigningKey, message: &[u8]) -> Vec<u8> {
    let pem = key.to_pkcs8_pem();
    let der = base64::engine::general_purpose::STANDARD
        .decode(pem.lines().filter(|l| !l.starts_with("-----")).collect::<String>())
        .unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &der).unwrap();
    pair.sign(&SystemRandom::new(), message).unwrap().as_ref().to_vec()
}

fn claims_json(extra: &str) -> String {
    let base = format!(
        r#""iss":"{ISSUER}","sub":"{AGENT}","iat":{iat},"exp":{exp},"jti":"j-1","agentpin_version":"0.1","capabilities":["read:codebase"]"#,
        iat = NOW.secs(),
        exp = NOW.secs() + 600
    );
    format!("{{{base}{extra}}}")
}

const HEADER: &str = r#"{"alg":"ES256","typ":"agentpin-credential+jwt","kid":"deployer.example#scout"}"#;

/// Picks out the expected `VerifyError` variant.
type Variant = fn(&VerifyError) -> bool;

/// Asserts the refusal's code and that its variant is the expected one.
#[track_caller]
#[expect(clippy::panic, reason = "an accepted hostile credential fails the test")]
fn refused(result: Result<VerifiedCredential, VerifyError>, code: ErrorCode, variant: impl Fn(&VerifyError) -> bool) {
    match result {
        Ok(v) => panic!("accepted credential of {}, expected {code}", v.agent_id()),
        Err(error) => {
            assert_eq!(error.code(), code, "{error}");
            assert!(variant(&error), "unexpected variant: {error:?}");
        }
    }
}

#[test]
fn forged_algorithms_are_refused_before_any_key_is_used() {
    let f = Fixture::new();
    let claims = URL_SAFE_NO_PAD.encode(claims_json(""));
    let none_header =
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"agentpin-credential+jwt","kid":"deployer.example#scout"}"#);
    refused(
        f.verify(&format!("{none_header}.{claims}.")),
        ErrorCode::AlgorithmRejected,
        |e| matches!(e, VerifyError::AlgorithmRejected { alg } if alg == "none"),
    );

    // HS256 "signed" with the issuer's public key as the HMAC secret: the classic key confusion.
    let hs_header =
        URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"agentpin-credential+jwt","kid":"deployer.example#scout"}"#);
    let input = format!("{hs_header}.{claims}");
    let secret = hmac::Key::new(hmac::HMAC_SHA256, f.key.public_key().to_spki_pem().as_bytes());
    let mac = URL_SAFE_NO_PAD.encode(hmac::sign(&secret, input.as_bytes()));
    refused(
        f.verify(&format!("{input}.{mac}")),
        ErrorCode::AlgorithmRejected,
        |e| matches!(e, VerifyError::AlgorithmRejected { alg } if alg == "HS256"),
    );

    let jwt_typ = f.forge(r#"{"alg":"ES256","typ":"JWT","kid":"deployer.example#scout"}"#, &claims_json(""));
    refused(f.verify(&jwt_typ), ErrorCode::AlgorithmRejected, |e| matches!(e, VerifyError::TypeRejected { .. }));
}

#[test]
fn key_references_in_the_header_are_refused_and_kids_are_only_looked_up() {
    let f = Fixture::new();
    let attacker = SigningKey::generate().unwrap();
    let embedded = Jwk::new(KID, attacker.public_key().clone()).to_json();
    for (member, value) in [
        ("jku", r#""https://attacker.example/keys.json""#.to_owned()),
        ("jwk", embedded),
        ("x5u", r#""https://attacker.example/cert.pem""#.to_owned()),
        ("crit", r#"["exp"]"#.to_owned()),
    ] {
        let header = format!(r#"{{"alg":"ES256","typ":"agentpin-credential+jwt","kid":"{KID}","{member}":{value}}}"#);
        refused(
            f.verify(&f.forge(&header, &claims_json(""))),
            ErrorCode::AlgorithmRejected,
            |e| matches!(e, VerifyError::HeaderRejected { member: m } if m == member),
        );
    }
    for kid in ["../../etc/passwd", "maker-1", "deployer.example#scout\u{0000}", "DEPLOYER.EXAMPLE#scout"] {
        let header = serde_json::json!({"alg": "ES256", "typ": "agentpin-credential+jwt", "kid": kid}).to_string();
        // `maker-1` is a real key, but of another domain: keys resolve only in the issuer's document.
        refused(
            f.verify(&f.forge(&header, &claims_json(""))),
            ErrorCode::KeyNotFound,
            |e| matches!(e, VerifyError::KeyNotFound { kid: k, .. } if k == kid),
        );
    }
}

/// Re-encodes a DER ECDSA signature's `s` as `n - s`, the other valid signature of the message.
#[expect(clippy::indexing_slicing, reason = "the input is a canonical DER signature we just made")]
fn flip_s(der: &[u8]) -> Vec<u8> {
    const N: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6,
        0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
    ];
    let r_len = usize::from(der[3]);
    let r = &der[4..4 + r_len];
    let s = &der[6 + r_len..];
    let mut s32 = [0u8; 32];
    s32[32 - s.len().min(32)..].copy_from_slice(&s[s.len().saturating_sub(32)..]);
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let d = i16::from(N[i]) - i16::from(s32[i]) - borrow;
        out[i] = d.rem_euclid(256) as u8;
        borrow = i16::from(d < 0);
    }
    let int = |v: &[u8]| {
        let v: Vec<u8> = v.iter().copied().skip_while(|b| *b == 0).collect();
        let mut enc = vec![0x02];
        if v[0] & 0x80 != 0 {
            enc.extend([v.len() as u8 + 1, 0]);
        } else {
            enc.push(v.len() as u8);
        }
        enc.extend(v);
        enc
    };
    let body = [int(r), int(&out)].concat();
    [vec![0x30, body.len() as u8], body].concat()
}

#[test]
fn non_canonical_and_high_s_signatures() {
    let mut f = Fixture::new();
    let jwt = f.issue_with(|_| {});
    let (input, sig) = jwt.rsplit_once('.').unwrap();
    let der = URL_SAFE_NO_PAD.decode(sig).unwrap();

    // JOSE's raw r||s form, which the ecosystem never emits.
    let mut raw = Vec::new();
    let r_len = usize::from(der[3]);
    for int in [&der[4..4 + r_len], &der[6 + r_len..]] {
        let int: Vec<u8> = int.iter().copied().skip_while(|b| *b == 0).collect();
        raw.extend(std::iter::repeat_n(0, 32 - int.len()));
        raw.extend(int);
    }
    // A superfluous leading zero and a long-form length: BER, not DER.
    let mut padded = vec![0x30, der[1] + 1, 0x02, der[3] + 1, 0x00];
    padded.extend_from_slice(&der[4..]);
    let mut long_form = vec![0x30, 0x81];
    long_form.extend_from_slice(&der[1..]);
    let mut trailing = der.clone();
    trailing.push(0);
    for bad in [raw, padded, long_form, trailing] {
        let token = format!("{input}.{}", URL_SAFE_NO_PAD.encode(bad));
        refused(f.verify(&token), ErrorCode::SignatureInvalid, |e| matches!(e, VerifyError::SignatureEncoding(_)));
    }

    // Our issuer always signs low-s; the high-s twin is the same signature malleated.
    let twin = format!("{input}.{}", URL_SAFE_NO_PAD.encode(flip_s(&der)));
    let original = f.verify(&jwt).unwrap();
    let malleated = f.verify(&twin).unwrap();
    assert_eq!(original.jti(), malleated.jti(), "replay and revocation key on jti, so the twin gains nothing");
    f.config.require_low_s = true;
    refused(f.verify(&twin), ErrorCode::SignatureInvalid, |e| {
        matches!(e, VerifyError::SignatureEncoding(symbi_agentpin::SignatureError::HighS))
    });
    f.verify(&jwt).unwrap();

    // A valid encoding of a signature over other bytes.
    let tampered =
        format!("{}.{}", URL_SAFE_NO_PAD.encode(HEADER), URL_SAFE_NO_PAD.encode(claims_json(r#","aud":"*""#)));
    let token = format!("{tampered}.{sig}");
    refused(f.verify(&token), ErrorCode::SignatureInvalid, |e| matches!(e, VerifyError::SignatureInvalid { .. }));
}

#[test]
fn duplicate_keys_oversize_and_malformed_tokens() {
    let f = Fixture::new();
    let dup_sub = f.forge(HEADER, &claims_json(r#","sub":"urn:agentpin:deployer.example:admin""#));
    refused(
        f.verify(&dup_sub),
        ErrorCode::AlgorithmRejected,
        |e| matches!(e, VerifyError::DuplicateKey { part: "claims", key } if key == "sub"),
    );
    let dup_alg =
        f.forge(r#"{"alg":"none","alg":"ES256","typ":"agentpin-credential+jwt","kid":"k"}"#, &claims_json(""));
    refused(
        f.verify(&dup_alg),
        ErrorCode::AlgorithmRejected,
        |e| matches!(e, VerifyError::DuplicateKey { part: "header", key } if key == "alg"),
    );
    let nested = f.forge(HEADER, &claims_json(r#","constraints":{"rate_limit":"1/hour","rate_limit":"9/second"}"#));
    refused(f.verify(&nested), ErrorCode::AlgorithmRejected, |e| matches!(e, VerifyError::DuplicateKey { .. }));

    let huge = f.forge(HEADER, &claims_json(&format!(r#","nonce":"{}""#, "a".repeat(20_000))));
    refused(f.verify(&huge), ErrorCode::AlgorithmRejected, |e| matches!(e, VerifyError::Oversized { .. }));

    let unknown_constraint = f.forge(HEADER, &claims_json(r#","constraints":{"max_spend":"1"}"#));
    let bad_tier = f.forge(HEADER, &claims_json(r#","sandbox_tier":7"#));
    let wrong_version = f.forge(HEADER, &claims_json("").replace(r#""0.1""#, r#""0.2""#));
    for token in [
        unknown_constraint,
        bad_tier,
        wrong_version,
        "a.b".to_owned(),
        "a.b.c.d".to_owned(),
        "!!.??.**".to_owned(),
        format!("{}=.e30.", URL_SAFE_NO_PAD.encode(HEADER)),
        String::new(),
    ] {
        refused(f.verify(&token), ErrorCode::AlgorithmRejected, |e| matches!(e, VerifyError::Malformed { .. }));
    }
}

#[test]
fn times_are_enforced_with_skew() {
    let f = Fixture::new();
    let at = |secs: i64| UnixTime::from_secs(NOW.secs() + secs);
    let expired = issue(&f.key, &f.request(), at(-3700)).unwrap();
    refused(f.verify(expired.jwt()), ErrorCode::CredentialExpired, |e| matches!(e, VerifyError::Expired { .. }));
    // Within the 60-second skew an expired credential still passes; past it, it does not.
    assert!(f.verify(issue(&f.key, &f.request(), at(-3630)).unwrap().jwt()).is_ok());
    let future = issue(&f.key, &f.request(), at(120)).unwrap();
    refused(f.verify(future.jwt()), ErrorCode::CredentialExpired, |e| matches!(e, VerifyError::IssuedInFuture { .. }));
    let nbf = f.issue_with(|r| r.not_before = Some(at(300)));
    refused(f.verify(&nbf), ErrorCode::CredentialExpired, |e| matches!(e, VerifyError::NotYetValid { .. }));
    // The agent declares credential_ttl_max 7200; the verifier's own maximum is 86 400.
    let long = f.issue_with(|r| r.ttl_secs = 10_000);
    refused(f.verify(&long), ErrorCode::CredentialExpired, |e| {
        matches!(e, VerifyError::LifetimeTooLong { max: 7200, .. })
    });
    let very_long = f.issue_with(|r| r.ttl_secs = 100_000);
    refused(f.verify(&very_long), ErrorCode::CredentialExpired, |e| {
        matches!(e, VerifyError::LifetimeTooLong { max: 86_400, .. })
    });
    let mut expiring = Fixture::new();
    expiring.publish_issuer(
        Jwk::new(KID, expiring.key.public_key().clone()).expiring_at(at(-600)),
        1,
        AgentStatus::Active,
    );
    refused(expiring.verify(&expiring.issue_with(|_| {})), ErrorCode::KeyExpired, |e| {
        matches!(e, VerifyError::KeyExpired { .. })
    });
}

#[test]
fn revoked_credentials_agents_and_keys() {
    type Revoke = fn(&mut RevocationDocument, &str);
    let cases: [(Revoke, ErrorCode, Variant); 3] = [
        (
            |doc, jti| doc.revoke_credential(jti, RevocationReason::Superseded, NOW),
            ErrorCode::CredentialRevoked,
            |e| matches!(e, VerifyError::CredentialRevoked { .. }),
        ),
        (
            |doc, _| doc.revoke_agent(AGENT, RevocationReason::PolicyViolation, NOW),
            ErrorCode::AgentInactive,
            |e| matches!(e, VerifyError::AgentRevoked { .. }),
        ),
        (
            |doc, _| doc.revoke_key(KID, RevocationReason::KeyCompromise, NOW),
            ErrorCode::KeyRevoked,
            |e| matches!(e, VerifyError::KeyRevoked { .. }),
        ),
    ];
    for (revoke, code, variant) in cases {
        let mut f = Fixture::new();
        let jwt = f.issue_with(|_| {});
        let jti = f.verify(&jwt).unwrap().jti().to_owned();
        let mut doc = RevocationDocument::new(ISSUER, NOW).unwrap();
        revoke(&mut doc, &jti);
        f.bundle.insert_revocation(RevocationDocument::from_json(doc.to_json().as_bytes()).unwrap());
        refused(f.verify(&jwt), code, variant);
    }
}

#[test]
fn key_substitution_after_pinning_is_refused() {
    let mut f = Fixture::new();
    let first = f.verify(&f.issue_with(|_| {})).unwrap();
    assert_eq!(first.pin_outcome(), symbi_agentpin::PinOutcome::FirstUse);
    assert_eq!(f.verify(&f.issue_with(|_| {})).unwrap().pin_outcome(), symbi_agentpin::PinOutcome::Matched);

    // The attacker controls discovery now: a new key under the same kid, and credentials it signs.
    f.key = SigningKey::generate().unwrap();
    f.publish_issuer(Jwk::new(KID, f.key.public_key().clone()), 1, AgentStatus::Active);
    refused(
        f.verify(&f.issue_with(|_| {})),
        ErrorCode::KeyPinMismatch,
        |e| matches!(e, VerifyError::KeyPinMismatch { domain } if domain == ISSUER),
    );
}

#[test]
fn declaration_rules() {
    let f = Fixture::new();
    let cases: [(String, ErrorCode, Variant); 5] = [
        (
            f.issue_with(|r| r.capabilities = caps(&["admin:all"])),
            ErrorCode::CapabilityExceeded,
            |e| matches!(e, VerifyError::CapabilityExceeded { capability, .. } if capability == "admin:all"),
        ),
        (
            f.issue_with(|r| {
                let mut c = Constraints::default();
                c.data_classification_max = Some(DataClassification::Restricted);
                r.constraints = Some(c);
            }),
            ErrorCode::ConstraintViolation,
            |e| matches!(e, VerifyError::ConstraintViolation { constraint: "data_classification_max" }),
        ),
        (f.issue_with(|r| r.agent_id = "urn:agentpin:deployer.example:ghost".into()), ErrorCode::AgentNotFound, |e| {
            matches!(e, VerifyError::AgentNotFound { .. })
        }),
        (f.issue_with(|r| r.audience = Some("other.example".into())), ErrorCode::AudienceMismatch, |e| {
            matches!(e, VerifyError::AudienceMismatch { .. })
        }),
        (f.issue_with(|r| r.issuer = "unknown.example".into()), ErrorCode::DiscoveryFetchFailed, |e| {
            matches!(e, VerifyError::DiscoveryUnavailable { .. })
        }),
    ];
    for (jwt, code, variant) in cases {
        refused(f.verify(&jwt), code, variant);
    }
    let mut suspended = Fixture::new();
    suspended.publish_issuer(Jwk::new(KID, suspended.key.public_key().clone()), 1, AgentStatus::Suspended);
    refused(suspended.verify(&suspended.issue_with(|_| {})), ErrorCode::AgentInactive, |e| {
        matches!(e, VerifyError::AgentInactive { status: "suspended", .. })
    });
}

#[test]
fn broken_delegation_chains() {
    let f = Fixture::new();
    let good = f.attest(AGENT, &["read:codebase"]);
    assert_eq!(
        f.verify(&f.issue_with(|r| r.delegation_chain = vec![good.clone()])).unwrap().delegation_chain().len(),
        1
    );

    let invalid = |e: &VerifyError| matches!(e, VerifyError::DelegationInvalid { index: 0, .. });
    // Attested for another agent, for other capabilities, or signed by someone else.
    let other_agent = f.attest("urn:agentpin:deployer.example:other", &["read:codebase"]);
    refused(f.verify(&f.issue_with(|r| r.delegation_chain = vec![other_agent])), ErrorCode::DelegationInvalid, invalid);
    let widened = f.issue_with(|r| {
        r.delegation_chain = vec![good.clone()];
        r.capabilities = caps(&["read:codebase", "write:report"]);
    });
    refused(f.verify(&widened), ErrorCode::DelegationInvalid, invalid);
    let mut impostor = Fixture::new();
    impostor.maker_key = SigningKey::generate().unwrap();
    let forged = impostor.attest(AGENT, &["read:codebase"]);
    refused(f.verify(&f.issue_with(|r| r.delegation_chain = vec![forged])), ErrorCode::DelegationInvalid, invalid);

    // A chain longer than the issuer allows (depth 1).
    let two = f.issue_with(|r| r.delegation_chain = vec![good.clone(), good.clone()]);
    refused(f.verify(&two), ErrorCode::DelegationDepthExceeded, |e| {
        matches!(e, VerifyError::DelegationDepthExceeded { len: 2, max: 1 })
    });

    // The maker revoked its key.
    let mut revoked = Fixture::new();
    let entry = revoked.attest(AGENT, &["read:codebase"]);
    let mut doc = RevocationDocument::new(MAKER, NOW).unwrap();
    doc.revoke_key("maker-1", RevocationReason::KeyCompromise, NOW);
    revoked.bundle.insert_revocation(doc);
    refused(
        revoked.verify(&revoked.issue_with(|r| r.delegation_chain = vec![entry])),
        ErrorCode::DelegationInvalid,
        invalid,
    );

    // The maker's discovery document is not available.
    let mut lonely = Fixture::new();
    let entry = lonely.attest(AGENT, &["read:codebase"]);
    lonely.bundle = TrustBundle::new(NOW);
    lonely.publish_issuer(Jwk::new(KID, lonely.key.public_key().clone()), 1, AgentStatus::Active);
    refused(
        lonely.verify(&lonely.issue_with(|r| r.delegation_chain = vec![entry])),
        ErrorCode::DelegationInvalid,
        invalid,
    );

    // An agent id with the field separator, which would make the signed input ambiguous.
    let mut value = serde_json::to_value(&good).unwrap();
    value["agent_id"] = serde_json::Value::String(format!("{MAKER_TYPE}|{ISSUER}|x"));
    let ambiguous: DelegationEntry = serde_json::from_value(value).unwrap();
    refused(f.verify(&f.issue_with(|r| r.delegation_chain = vec![ambiguous])), ErrorCode::DelegationInvalid, invalid);

    // A tampered attestation string.
    let mut value = serde_json::to_value(&good).unwrap();
    value["attestation"] = serde_json::Value::String("MEUCIQ==".into());
    let tampered: DelegationEntry = serde_json::from_value(value).unwrap();
    refused(f.verify(&f.issue_with(|r| r.delegation_chain = vec![tampered])), ErrorCode::DelegationInvalid, invalid);
}
