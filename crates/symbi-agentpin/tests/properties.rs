//! Property tests: whatever we issue verifies with the same facts; any one-character change to a
//! valid credential is refused; arbitrary input never panics a decoder.

use proptest::prelude::*;
use symbi_agentpin::{
    AgentDeclaration, Capability, DiscoveryDocument, EntityType, IssueRequest, Jwk, MemoryPinStore, SandboxTier,
    SigningKey, TrustBundle, UnixTime, VerifiedCredential, Verifier, VerifierConfig, VerifyError, issue,
};

const NOW: UnixTime = UnixTime::from_secs(1_800_000_000);
const DECLARED: [&str; 5] = ["read:codebase", "write:report", "execute:*", "plan", "delegate"];

struct Issuer {
    key: SigningKey,
    bundle: TrustBundle,
}

#[expect(clippy::unwrap_used, reason = "fixture set-up cannot fail for valid constants")]
fn issuer() -> Issuer {
    let key = SigningKey::generate().unwrap();
    let declared = DECLARED.iter().map(|c| Capability::parse(c).unwrap()).collect();
    let doc = DiscoveryDocument::new(
        "prop.example",
        EntityType::Both,
        vec![Jwk::new("prop.example#agent", key.public_key().clone())],
        vec![AgentDeclaration::new("agent", "agent", declared)],
        NOW,
    )
    .unwrap();
    let mut bundle = TrustBundle::new(NOW);
    bundle.insert_discovery(doc);
    Issuer { key, bundle }
}

fn verify(issuer: &Issuer, jwt: &str, audience: Option<&str>) -> Result<VerifiedCredential, VerifyError> {
    let (pins, config) = (MemoryPinStore::new(), VerifierConfig::default());
    Verifier::new(&issuer.bundle, &pins, &config).verify_at(jwt, audience, NOW)
}

fn granted() -> impl Strategy<Value = Vec<Capability>> {
    let scoped = "[a-z0-9./-]{1,20}".prop_map(|suffix| format!("read:codebase.{suffix}"));
    let any_exec = "[a-z0-9_]{1,12}".prop_map(|r| format!("execute:{r}"));
    let one = prop_oneof![proptest::sample::select(DECLARED.to_vec()).prop_map(str::to_owned), scoped, any_exec];
    proptest::collection::vec(one, 0..6)
        .prop_map(|texts| texts.iter().filter_map(|t| Capability::parse(t).ok()).collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn issued_credentials_verify_with_the_same_facts(
        capabilities in granted(),
        tier in proptest::option::of(0u8..=3),
        ttl in 1u32..=86_400,
        audience in proptest::option::of(prop_oneof![Just("*".to_owned()), Just("me.example".to_owned())]),
        nonce in proptest::option::of("[ -~]{0,40}"),
    ) {
        let issuer = issuer();
        let mut request = IssueRequest::new("prop.example#agent", "prop.example", "agent", ttl);
        request.capabilities = capabilities.clone();
        request.sandbox_tier = tier.and_then(SandboxTier::new);
        request.audience = audience;
        request.nonce = nonce.clone();
        let issued = issue(&issuer.key, &request, NOW).unwrap();
        let verified = verify(&issuer, issued.jwt(), Some("me.example")).unwrap();
        prop_assert_eq!(verified.capabilities(), capabilities.as_slice());
        prop_assert_eq!(verified.sandbox_tier().map(SandboxTier::get), tier);
        prop_assert_eq!(verified.claims(), issued.claims());
        prop_assert_eq!(verified.claims().nonce(), nonce.as_deref());
        prop_assert_eq!(verified.expires_at().secs(), NOW.secs() + i64::from(ttl));
    }

    #[test]
    fn any_single_character_change_is_refused(position in any::<prop::sample::Index>(), replacement in "[A-Za-z0-9_.=-]") {
        let issuer = issuer();
        let request = IssueRequest::new("prop.example#agent", "prop.example", "agent", 600);
        let jwt = issue(&issuer.key, &request, NOW).unwrap().jwt().to_owned();
        let index = position.index(jwt.len());
        let mut mutated = jwt.clone();
        mutated.replace_range(index..=index, &replacement);
        prop_assume!(mutated != jwt);
        prop_assert!(verify(&issuer, &mutated, None).is_err(), "accepted {mutated}");
    }

    #[test]
    fn arbitrary_tokens_and_documents_never_panic(text in "[ -~]{0,300}", bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let issuer = issuer();
        prop_assert!(verify(&issuer, &text, None).is_err());
        let _ = DiscoveryDocument::from_json(&bytes);
        let _ = DiscoveryDocument::from_json(text.as_bytes());
        let _ = Jwk::from_json(&bytes);
        let _ = TrustBundle::from_json(&bytes);
    }
}
