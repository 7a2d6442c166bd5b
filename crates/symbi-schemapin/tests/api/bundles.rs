//! Trust bundles: the published signed fixture, our own signing, and refusals.

use std::sync::Arc;

use serde_json::json;
use symbi_schemapin::{
    BundleError, Domain, MemoryPinStore, PinStatus, SignatureError, SigningKey, TrustBundle, Verifier, VerifierConfig,
    VerifyError, WellKnownBuilder, sign_bundle,
};

use crate::common::vector;

const NOW: i64 = 1_780_000_000;

fn verifier() -> Verifier {
    Verifier::new(Arc::new(MemoryPinStore::new()), VerifierConfig::default())
}

#[test]
fn the_published_signed_bundle_verifies() {
    let verifier = verifier();
    let bundle = TrustBundle::from_json(&vector("bundle/signed_bundle.json")).unwrap();
    let verified = bundle.clone().verify(&verifier, NOW).unwrap();
    assert_eq!(verified.authority_pin(), Some(PinStatus::FirstUse));
    let domain = Domain::new("example.com").unwrap();
    assert_eq!(verified.domains().collect::<Vec<_>>(), [&domain]);
    // The fixture's document carries a `MOCK` key: the lookup names that, nothing else breaks.
    assert!(matches!(verified.discovery(&domain), Err(BundleError::Document { .. })));
    assert_eq!(verified.discovery(&Domain::new("other.example").unwrap()).unwrap().map(|_| ()), None);
    assert_eq!(bundle.verify(&verifier, NOW).unwrap().authority_pin(), Some(PinStatus::Pinned));
}

#[test]
fn tampering_expiry_unsigned_and_authority_swap_are_refused() {
    let text = String::from_utf8(vector("bundle/signed_bundle.json")).unwrap();
    let tampered = text.replace("Example Corp", "Evil Corp");
    let err = TrustBundle::from_json(tampered.as_bytes()).unwrap().verify(&verifier(), NOW).unwrap_err();
    assert_eq!(err, BundleError::Signature(SignatureError::Mismatch));
    let later = 4_102_444_801; // 2100-01-01, past the fixture's 2099 expiry.
    let err = TrustBundle::from_json(text.as_bytes()).unwrap().verify(&verifier(), later).unwrap_err();
    assert!(matches!(err, BundleError::Expired { .. }), "{err}");
    let unsigned = json!({"schemapin_bundle_version": "1.2", "created_at": "2026-01-01T00:00:00Z", "documents": [], "revocations": []});
    let err = TrustBundle::from_json(unsigned.to_string().as_bytes()).unwrap().verify(&verifier(), NOW).unwrap_err();
    assert_eq!(err, BundleError::Unsigned);

    // Same kid, different authority key, after the real one was pinned.
    let verifier = verifier();
    TrustBundle::from_json(text.as_bytes()).unwrap().verify(&verifier, NOW).unwrap();
    let impostor = SigningKey::generate().unwrap();
    let forged = sign_bundle(&unsigned, &impostor, "schemapin-bundle-authority-2026", NOW, None).unwrap();
    let err = TrustBundle::from_json(forged.to_string().as_bytes()).unwrap().verify(&verifier, NOW).unwrap_err();
    assert!(matches!(err, BundleError::Pin(VerifyError::KeyChanged { .. })), "{err}");
}

#[test]
fn our_bundles_round_trip() {
    let publisher = SigningKey::generate().unwrap();
    let mut document = WellKnownBuilder::new(publisher.public_key()).developer_name("Acme").build();
    document["domain"] = json!("acme.example");
    document["x-extension"] = json!({"kept": [1.5, "signed too"]});
    let bundle = json!({"schemapin_bundle_version": "1.2", "created_at": "2026-01-01T00:00:00Z", "documents": [document], "revocations": [
        {"schemapin_version": "1.2", "domain": "acme.example", "revoked_keys": []}
    ]});
    let authority = SigningKey::generate().unwrap();
    let signed = sign_bundle(&bundle, &authority, "acme-authority", NOW, Some(NOW + 3600)).unwrap();
    let verified = TrustBundle::from_json(signed.to_string().as_bytes()).unwrap().verify(&verifier(), NOW).unwrap();
    let domain = Domain::new("acme.example").unwrap();
    let doc = verified.discovery(&domain).unwrap().unwrap();
    assert_eq!(doc.select_key(None).unwrap(), publisher.public_key());
    assert!(verified.revocation(&domain).is_some());
    let err =
        TrustBundle::from_json(signed.to_string().as_bytes()).unwrap().verify(&verifier(), NOW + 3601).unwrap_err();
    assert!(matches!(err, BundleError::Expired { .. }));
    let plain = TrustBundle::from_json(bundle.to_string().as_bytes()).unwrap().insecure_trust_unsigned().unwrap();
    assert_eq!(plain.authority_pin(), None);
}
