//! Skill folder signatures: Python interop both ways, tampering, expiry, lineage, vectors.

#![expect(clippy::unwrap_used, reason = "fixture helpers fail the test on a bad fixture")]

use std::path::Path;
use std::sync::Arc;

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use symbi_schemapin::{
    DiscoveryDocument, Domain, LineageError, MemoryPinStore, PinStatus, SignatureError, SigningKey, SkillError,
    SkillRequest, SkillSignOptions, SkillSignature, Verifier, VerifierConfig, WellKnownBuilder, detect_tampered,
    hash_skill, sign_skill, verify_lineage,
};

use crate::common::{python, vector_json};

const NOW: i64 = 1_780_000_000;

fn skill_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("weather-skill");
    std::fs::create_dir_all(root.join("scripts/.hidden")).unwrap();
    std::fs::write(root.join("SKILL.md"), "---\nname: \"weather\"\ndescription: x\n---\n# Weather\n").unwrap();
    std::fs::write(root.join("scripts/run.py"), "print('hi')\n").unwrap();
    std::fs::write(root.join("scripts/.hidden/conf"), [0u8, 255, 10]).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", root.join("link")).unwrap();
    dir
}

fn folder(dir: &tempfile::TempDir) -> std::path::PathBuf {
    dir.path().join("weather-skill")
}

fn verify(dir: &Path, sig: &SkillSignature, discovery: &DiscoveryDocument, now: i64) -> Result<PinStatus, SkillError> {
    let verifier = Verifier::new(Arc::new(MemoryPinStore::new()), VerifierConfig::default());
    let domain = Domain::new("example.com").unwrap();
    let request = SkillRequest { dir, signature: sig, domain: &domain, discovery, revocation: None, now };
    verifier.verify_skill(&request).map(|v| v.pin_status)
}

fn ours() -> (SigningKey, DiscoveryDocument) {
    let key = SigningKey::generate().unwrap();
    let doc = DiscoveryDocument::from_value(&WellKnownBuilder::new(key.public_key()).build()).unwrap();
    (key, doc)
}

#[test]
fn python_signed_skills_verify_here() {
    let dir = skill_folder();
    let out = python(
        "import json,sys\n\
         from schemapin.crypto import KeyManager\n\
         from schemapin.skill import SkillSigner\n\
         from schemapin.utils import create_well_known_response\n\
         d = json.load(sys.stdin)\n\
         priv, pub = KeyManager.generate_keypair()\n\
         sig = SkillSigner.sign_skill(d['dir'], KeyManager.export_private_key_pem(priv), 'example.com')\n\
         print(json.dumps({'sig': sig, 'discovery': create_well_known_response(KeyManager.export_public_key_pem(pub), 'Py')}))",
        &json!({"dir": folder(&dir)}),
    );
    let sig = SkillSignature::read_from(&folder(&dir)).unwrap();
    assert_eq!(sig.skill_name, "weather");
    assert_eq!(sig.skill_hash, out["sig"]["skill_hash"].as_str().unwrap());
    let ours = hash_skill(&folder(&dir)).unwrap();
    assert_eq!(sig.file_manifest, ours.manifest);
    let doc = DiscoveryDocument::from_value(&out["discovery"]).unwrap();
    assert_eq!(verify(&folder(&dir), &sig, &doc, NOW), Ok(PinStatus::FirstUse));
}

#[test]
fn our_signed_skills_verify_in_python() {
    let dir = skill_folder();
    let (key, _) = ours();
    let domain = Domain::new("example.com").unwrap();
    let sig = sign_skill(&folder(&dir), &key, &domain, SkillSignOptions::default(), NOW).unwrap();
    sig.write_to(&folder(&dir)).unwrap();
    assert_eq!(sig.skill_name, "weather");
    let result = python(
        "import json,sys\n\
         from schemapin.skill import SkillSigner\n\
         d = json.load(sys.stdin)\n\
         r = SkillSigner.verify_skill_offline(d['dir'], d['discovery'])\n\
         print(json.dumps([r.valid, r.error_code.value if r.error_code else None]))",
        &json!({"dir": folder(&dir), "discovery": WellKnownBuilder::new(key.public_key()).build()}),
    );
    assert_eq!(result, json!([true, null]));
}

#[test]
fn tampering_expiry_and_domain_are_refused() {
    let dir = skill_folder();
    let (key, doc) = ours();
    let domain = Domain::new("example.com").unwrap();
    let options = SkillSignOptions { expires_at: Some(NOW + 60), ..SkillSignOptions::default() };
    let sig = sign_skill(&folder(&dir), &key, &domain, options, NOW).unwrap();
    assert_eq!(sig.schemapin_version, "1.4");
    let sig = SkillSignature::from_json(sig.to_json().as_bytes()).unwrap();
    assert_eq!(verify(&folder(&dir), &sig, &doc, NOW), Ok(PinStatus::FirstUse));
    assert!(matches!(verify(&folder(&dir), &sig, &doc, NOW + 61), Err(SkillError::Expired { .. })));
    let mut unreadable = sig.clone();
    unreadable.expires_at = Some("2026-01-01 00:00:00".into());
    assert!(matches!(verify(&folder(&dir), &unreadable, &doc, NOW), Err(SkillError::ExpiryUnreadable { .. })));
    let mut elsewhere = sig.clone();
    elsewhere.domain = "evil.example".into();
    assert!(matches!(verify(&folder(&dir), &elsewhere, &doc, NOW), Err(SkillError::DomainMismatch { .. })));

    std::fs::write(folder(&dir).join("scripts/run.py"), "import os; os.system('curl evil')\n").unwrap();
    std::fs::write(folder(&dir).join("extra.md"), "new").unwrap();
    assert_eq!(verify(&folder(&dir), &sig, &doc, NOW), Err(SkillError::Signature(SignatureError::Mismatch)));
    let report = detect_tampered(&hash_skill(&folder(&dir)).unwrap().manifest, &sig.file_manifest);
    assert_eq!(report.modified, ["scripts/run.py"]);
    assert_eq!(report.added, ["extra.md"]);
    assert!(report.removed.is_empty());
}

#[test]
fn lineage_links_versions() {
    let dir = skill_folder();
    let (key, _) = ours();
    let domain = Domain::new("example.com").unwrap();
    let v1 = sign_skill(&folder(&dir), &key, &domain, SkillSignOptions::default(), NOW).unwrap();
    std::fs::write(folder(&dir).join("CHANGELOG.md"), "v2").unwrap();
    let options = SkillSignOptions { previous_hash: Some(v1.skill_hash.clone()), ..SkillSignOptions::default() };
    let v2 = sign_skill(&folder(&dir), &key, &domain, options, NOW).unwrap();
    assert_eq!(verify_lineage(&v2, &v1), Ok(()));
    assert!(matches!(verify_lineage(&v2, &v2), Err(LineageError::Mismatch { .. })));
    assert_eq!(verify_lineage(&v1, &v1), Err(LineageError::NoPreviousHash));
}

#[test]
fn published_skill_signatures_hash_their_manifests_the_python_way() {
    for name in ["schemapin-repo", "agentpin-repo"] {
        let sig = vector_json(&format!("skill-sigs/{name}.schemapin.sig"));
        let parsed = SkillSignature::from_json(sig.to_string().as_bytes()).unwrap();
        let mut root = Sha256::new();
        for digest in parsed.file_manifest.values() {
            root.update(digest.strip_prefix("sha256:").unwrap().as_bytes());
        }
        assert_eq!(parsed.skill_hash, format!("sha256:{}", hex::encode(root.finalize())), "{name}");
        assert!(matches!(sig.get("signature"), Some(Value::String(_))));
    }
}
