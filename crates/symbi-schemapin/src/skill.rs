//! Skill (folder) signatures: the `.schemapin.sig` file beside a skill's `SKILL.md`.
//!
//! A folder hashes to one root: each regular file (symlinks and `.schemapin.sig` skipped,
//! hidden files kept) gives `hex(SHA-256(relative/path ‖ bytes))`; the root is SHA-256 of those
//! hex strings joined in path order, and the signature is ECDSA over the root as message, the
//! schemas' double-hash rule. Only the root is signed: name, domain and dates are metadata.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};
use thiserror::Error;

use crate::canonical::CANONICALIZATION_ID;
use crate::discovery::{DiscoveryDocument, KeySelectError};
use crate::json::{self, JsonError};
use crate::key::{KeyError, PublicKey, SigningKey};
use crate::names::{Domain, NameError, ToolName};
use crate::revocation::{RevocationDocument, Revoked, check_revocation};
use crate::signature::{Signature, SignatureError, sign_message};
use crate::time::{format_rfc3339, parse_rfc3339};
use crate::verify::{PinStatus, Verifier, VerifyError};

/// The signature file's name.
pub const SIGNATURE_FILE: &str = ".schemapin.sig";

/// Why a skill could not be hashed, signed or verified.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SkillError {
    /// A file or folder could not be read or written.
    #[error("cannot access `{path}`: {message}")]
    Io {
        /// The path.
        path: String,
        /// The system's message.
        message: String,
    },
    /// A path under the skill is not UTF-8, so it has no canonical spelling.
    #[error("path `{path}` in the skill is not UTF-8")]
    NonUtf8Path {
        /// The path, lossily decoded.
        path: String,
    },
    /// The folder holds no files to sign.
    #[error("skill folder `{path}` has no files to sign")]
    Empty {
        /// The folder.
        path: String,
    },
    /// The `.schemapin.sig` file is not acceptable JSON.
    #[error("`.schemapin.sig` is not valid JSON: {0}")]
    Json(#[from] JsonError),
    /// A `.schemapin.sig` member is missing or has the wrong type.
    #[error("`.schemapin.sig` member `{field}` must be a string")]
    Field {
        /// The member.
        field: &'static str,
    },
    /// The signature names a canonicalization other than `schemapin-v1`.
    #[error("canonicalization `{id}` is not supported (only `schemapin-v1`)")]
    UnsupportedCanonicalization {
        /// The id given.
        id: String,
    },
    /// The signature file's `domain` is not the domain whose discovery document was used.
    #[error("skill is signed for `{signed}`, not `{expected}`")]
    DomainMismatch {
        /// The domain whose key was used.
        expected: Domain,
        /// The `domain` in `.schemapin.sig`.
        signed: String,
    },
    /// The skill name or domain is not acceptable.
    #[error("skill name or domain is invalid: {0}")]
    Name(#[from] NameError),
    /// No key could be chosen.
    #[error("no signing key: {0}")]
    Key(#[from] KeySelectError),
    /// The key is revoked.
    #[error(transparent)]
    Revoked(#[from] Revoked),
    /// The signature is malformed or does not match the folder's contents.
    #[error("skill signature is invalid: {0}")]
    Signature(#[from] SignatureError),
    /// The key pin refused the key.
    #[error("skill key pin: {0}")]
    Pin(#[source] VerifyError),
    /// The signature's `expires_at` has passed.
    #[error("skill signature expired at `{expires_at}`")]
    Expired {
        /// The expiry as written.
        expires_at: String,
    },
    /// `expires_at` is not an RFC 3339 timestamp with an offset. Refused rather than ignored,
    /// unlike the published packages: an expiry nobody can read is not a reason to trust longer.
    #[error("skill signature `expires_at` `{expires_at}` is not an RFC 3339 timestamp")]
    ExpiryUnreadable {
        /// The text.
        expires_at: String,
    },
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signing(#[from] KeyError),
}

/// A folder's root hash and per-file manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkillDigest {
    /// The 32-byte root.
    pub root: [u8; 32],
    /// Relative path → `sha256:<hex>` of path and contents.
    pub manifest: BTreeMap<String, String>,
}

/// Hashes a skill folder.
///
/// # Errors
///
/// [`SkillError::Io`], [`SkillError::NonUtf8Path`] or [`SkillError::Empty`].
pub fn hash_skill(dir: &Path) -> Result<SkillDigest, SkillError> {
    let mut digests = BTreeMap::new();
    walk(dir, "", &mut digests)?;
    if digests.is_empty() {
        return Err(SkillError::Empty { path: dir.display().to_string() });
    }
    // BTreeMap<String, _> iterates in byte order, which is the ecosystem's path order.
    let mut root = Sha256::new();
    for hex in digests.values() {
        root.update(hex.as_bytes());
    }
    let manifest = digests.into_iter().map(|(path, hex)| (path, format!("sha256:{hex}"))).collect();
    Ok(SkillDigest { root: root.finalize().into(), manifest })
}

fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) -> Result<(), SkillError> {
    let io =
        |path: &Path, e: std::io::Error| SkillError::Io { path: path.display().to_string(), message: e.to_string() };
    for entry in fs::read_dir(dir).map_err(|e| io(dir, e))? {
        let entry = entry.map_err(|e| io(dir, e))?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_str().ok_or_else(|| SkillError::NonUtf8Path { path: path.display().to_string() })?;
        let kind = entry.file_type().map_err(|e| io(&path, e))?;
        let rel = if prefix.is_empty() { name.to_owned() } else { format!("{prefix}/{name}") };
        if kind.is_symlink() {
            continue;
        } else if kind.is_dir() {
            walk(&path, &rel, out)?;
        } else if kind.is_file() && name != SIGNATURE_FILE {
            let bytes = fs::read(&path).map_err(|e| io(&path, e))?;
            let mut hasher = Sha256::new();
            hasher.update(rel.as_bytes());
            hasher.update(&bytes);
            out.insert(rel, hex::encode(hasher.finalize()));
        }
    }
    Ok(())
}

/// The contents of a `.schemapin.sig` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkillSignature {
    /// `1.3`, or `1.4` when any v1.4 field is present.
    pub schemapin_version: String,
    /// The skill's name; the pin's tool half.
    pub skill_name: String,
    /// `sha256:<hex root>` (the Python convention, not the Rust package's hash of the root).
    pub skill_hash: String,
    /// Base64 DER signature over the root.
    pub signature: String,
    /// When it was signed.
    pub signed_at: String,
    /// The signing domain; the pin's domain half.
    pub domain: String,
    /// The signer's key id; defaults to the key fingerprint.
    pub signer_kid: String,
    /// Relative path → `sha256:<hex>`.
    pub file_manifest: BTreeMap<String, String>,
    /// v1.4: when the signature stops being acceptable.
    pub expires_at: Option<String>,
    /// v1.4: the skill's own version tag.
    pub schema_version: Option<String>,
    /// v1.4: `skill_hash` of the version this one replaces.
    pub previous_hash: Option<String>,
    /// v1.4: canonicalization id; absent means `schemapin-v1`.
    pub canonicalization: Option<String>,
}

/// Optional fields for [`sign_skill`].
#[derive(Debug, Clone, Default)]
pub struct SkillSignOptions {
    /// Overrides the name from `SKILL.md` front matter or the folder name.
    pub skill_name: Option<String>,
    /// Overrides the key fingerprint as `signer_kid`.
    pub signer_kid: Option<String>,
    /// v1.4 expiry, Unix seconds.
    pub expires_at: Option<i64>,
    /// v1.4 version tag.
    pub schema_version: Option<String>,
    /// v1.4 lineage link.
    pub previous_hash: Option<String>,
}

/// Signs the folder `dir` for `domain` at time `now` (Unix seconds).
///
/// # Errors
///
/// [`SkillError::Io`], [`SkillError::NonUtf8Path`], [`SkillError::Empty`] or
/// [`SkillError::Signing`].
pub fn sign_skill(
    dir: &Path,
    key: &SigningKey,
    domain: &Domain,
    options: SkillSignOptions,
    now: i64,
) -> Result<SkillSignature, SkillError> {
    let digest = hash_skill(dir)?;
    let signature = sign_message(key, &digest.root)?;
    let skill_name = match options.skill_name {
        Some(name) => name,
        None => front_matter_name(dir)
            .unwrap_or_else(|| dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()),
    };
    let v14 = options.expires_at.is_some() || options.schema_version.is_some() || options.previous_hash.is_some();
    Ok(SkillSignature {
        schemapin_version: if v14 { "1.4" } else { "1.3" }.to_owned(),
        skill_name,
        skill_hash: format!("sha256:{}", hex::encode(digest.root)),
        signature: signature.to_base64(),
        signed_at: format_rfc3339(now),
        domain: domain.as_str().to_owned(),
        signer_kid: options.signer_kid.unwrap_or_else(|| key.public_key().fingerprint().as_str().to_owned()),
        file_manifest: digest.manifest,
        expires_at: options.expires_at.map(format_rfc3339),
        schema_version: options.schema_version,
        previous_hash: options.previous_hash,
        canonicalization: None,
    })
}

/// The `name:` in `SKILL.md`'s YAML front matter, quotes stripped.
fn front_matter_name(dir: &Path) -> Option<String> {
    let text = fs::read_to_string(dir.join("SKILL.md")).ok()?;
    let body = text.strip_prefix("---")?;
    let (front, _) = body.split_once("\n---")?;
    let line = front.lines().find_map(|l| l.trim().strip_prefix("name:"))?;
    let name = line.trim().trim_matches(|c| c == '"' || c == '\'');
    (!name.is_empty()).then(|| name.to_owned())
}

impl SkillSignature {
    /// Reads `.schemapin.sig` text.
    ///
    /// # Errors
    ///
    /// [`SkillError::Json`] or [`SkillError::Field`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, SkillError> {
        let value = json::parse(bytes)?;
        let doc = value.as_object().ok_or(SkillError::Field { field: "(document)" })?;
        let required = |field: &'static str| {
            doc.get(field).and_then(Value::as_str).map(str::to_owned).ok_or(SkillError::Field { field })
        };
        let optional = |field: &'static str| match doc.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(SkillError::Field { field }),
        };
        let manifest = doc
            .get("file_manifest")
            .and_then(Value::as_object)
            .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))).collect());
        Ok(Self {
            schemapin_version: required("schemapin_version")?,
            skill_name: required("skill_name")?,
            skill_hash: required("skill_hash")?,
            signature: required("signature")?,
            signed_at: required("signed_at")?,
            domain: required("domain")?,
            signer_kid: optional("signer_kid")?.unwrap_or_default(),
            file_manifest: manifest.unwrap_or_default(),
            expires_at: optional("expires_at")?,
            schema_version: optional("schema_version")?,
            previous_hash: optional("previous_hash")?,
            canonicalization: optional("canonicalization")?,
        })
    }

    /// The file text: pretty JSON, two-space indent, trailing newline, as the ecosystem writes.
    pub fn to_json(&self) -> String {
        let mut doc = Map::new();
        let mut put = |field: &str, value: Option<&String>| {
            if let Some(v) = value {
                doc.insert(field.to_owned(), Value::String(v.clone()));
            }
        };
        put("schemapin_version", Some(&self.schemapin_version));
        put("skill_name", Some(&self.skill_name));
        put("skill_hash", Some(&self.skill_hash));
        put("signature", Some(&self.signature));
        put("signed_at", Some(&self.signed_at));
        put("domain", Some(&self.domain));
        put("signer_kid", Some(&self.signer_kid));
        put("expires_at", self.expires_at.as_ref());
        put("schema_version", self.schema_version.as_ref());
        put("previous_hash", self.previous_hash.as_ref());
        put("canonicalization", self.canonicalization.as_ref());
        let manifest = self.file_manifest.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        doc.insert("file_manifest".into(), Value::Object(manifest));
        let mut text = serde_json::to_string_pretty(&Value::Object(doc)).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Writes `.schemapin.sig` into `dir`.
    ///
    /// # Errors
    ///
    /// [`SkillError::Io`].
    pub fn write_to(&self, dir: &Path) -> Result<(), SkillError> {
        let path = dir.join(SIGNATURE_FILE);
        fs::write(&path, self.to_json())
            .map_err(|e| SkillError::Io { path: path.display().to_string(), message: e.to_string() })
    }

    /// Reads `.schemapin.sig` from `dir`.
    ///
    /// # Errors
    ///
    /// [`SkillError::Io`] when missing, or as [`SkillSignature::from_json`].
    pub fn read_from(dir: &Path) -> Result<Self, SkillError> {
        let path = dir.join(SIGNATURE_FILE);
        let bytes =
            fs::read(&path).map_err(|e| SkillError::Io { path: path.display().to_string(), message: e.to_string() })?;
        Self::from_json(&bytes)
    }
}

/// One skill folder to verify.
#[derive(Debug, Clone, Copy)]
pub struct SkillRequest<'a> {
    /// The folder.
    pub dir: &'a Path,
    /// Its `.schemapin.sig`, already read.
    pub signature: &'a SkillSignature,
    /// The domain whose discovery document is given; must equal the signature's `domain`.
    pub domain: &'a Domain,
    /// That domain's discovery document.
    pub discovery: &'a DiscoveryDocument,
    /// Its standalone revocation document, if any.
    pub revocation: Option<&'a RevocationDocument>,
    /// The current time, Unix seconds, for `expires_at`.
    pub now: i64,
}

/// A skill folder whose contents match a valid signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSkill {
    /// The skill's name (the pin's tool half).
    pub skill_name: ToolName,
    /// What the key pin check found.
    pub pin_status: PinStatus,
    /// The root that verified.
    pub digest: SkillDigest,
    /// v1.4 version tag, copied unverified.
    pub schema_version: Option<String>,
    /// v1.4 lineage link, copied unverified.
    pub previous_hash: Option<String>,
}

impl Verifier {
    /// Verifies a skill folder: canonicalization id, domain, key, revocation, expiry, the
    /// recomputed root against the signature, then the key pin under (skill name, domain).
    ///
    /// # Errors
    ///
    /// The first failing check's [`SkillError`]; nothing is pinned unless all others passed.
    pub fn verify_skill(&self, request: &SkillRequest<'_>) -> Result<VerifiedSkill, SkillError> {
        let sig = request.signature;
        if let Some(id) = sig.canonicalization.as_deref().filter(|id| *id != CANONICALIZATION_ID) {
            return Err(SkillError::UnsupportedCanonicalization { id: id.to_owned() });
        }
        if Domain::new(&sig.domain).ok().as_ref() != Some(request.domain) {
            return Err(SkillError::DomainMismatch { expected: request.domain.clone(), signed: sig.domain.clone() });
        }
        let skill_name = ToolName::new(&sig.skill_name)?;
        let key = skill_key(request.discovery, &sig.signer_kid)?;
        let fingerprint = key.fingerprint();
        check_revocation(fingerprint, request.discovery, request.revocation)?;
        if let Some(expires_at) = &sig.expires_at {
            let at = parse_rfc3339(expires_at)
                .ok_or_else(|| SkillError::ExpiryUnreadable { expires_at: expires_at.clone() })?;
            if request.now > at {
                return Err(SkillError::Expired { expires_at: expires_at.clone() });
            }
        }
        let digest = hash_skill(request.dir)?;
        Signature::from_base64(&sig.signature)?.verify(key.parsed(), &digest.root, self.low_s())?;
        let pin_status = self.check_pin(&skill_name, request.domain, fingerprint).map_err(SkillError::Pin)?;
        Ok(VerifiedSkill {
            skill_name,
            pin_status,
            digest,
            schema_version: sig.schema_version.clone(),
            previous_hash: sig.previous_hash.clone(),
        })
    }
}

/// The key for a skill: the only published key, else the one `signer_kid` names. The
/// ecosystem never checks `signer_kid`, and its custom values (`thirdkey-2026-04`) name no
/// key in a PEM-form document, so it only breaks ties.
fn skill_key<'d>(discovery: &'d DiscoveryDocument, signer_kid: &str) -> Result<&'d PublicKey, KeySelectError> {
    discovery.select_key(None).or_else(|_| discovery.select_key(Some(signer_kid)))
}

/// Files that differ between a folder's manifest now and the signed one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TamperReport {
    /// Present in both with different hashes.
    pub modified: Vec<String>,
    /// Present now, not when signed.
    pub added: Vec<String>,
    /// Signed, no longer present.
    pub removed: Vec<String>,
}

/// Diffs two manifests, to tell a user which files changed after a signature failed.
pub fn detect_tampered(current: &BTreeMap<String, String>, signed: &BTreeMap<String, String>) -> TamperReport {
    let mut report = TamperReport::default();
    for (path, hash) in current {
        match signed.get(path) {
            Some(old) if old != hash => report.modified.push(path.clone()),
            Some(_) => {}
            None => report.added.push(path.clone()),
        }
    }
    report.removed = signed.keys().filter(|p| !current.contains_key(*p)).cloned().collect();
    report
}

/// Why two skill versions do not link.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum LineageError {
    /// The newer signature names no predecessor.
    #[error("skill signature has no `previous_hash`")]
    NoPreviousHash,
    /// The link points elsewhere.
    #[error("skill `previous_hash` is `{found}` but the previous version's `skill_hash` is `{expected}`")]
    Mismatch {
        /// The previous version's `skill_hash`.
        expected: String,
        /// The newer version's `previous_hash`.
        found: String,
    },
}

/// Checks that `current` names `previous` as its predecessor. Metadata only: both signatures
/// must already have verified.
///
/// # Errors
///
/// [`LineageError`].
pub fn verify_lineage(current: &SkillSignature, previous: &SkillSignature) -> Result<(), LineageError> {
    let found = current.previous_hash.as_ref().ok_or(LineageError::NoPreviousHash)?;
    if found != &previous.skill_hash {
        return Err(LineageError::Mismatch { expected: previous.skill_hash.clone(), found: found.clone() });
    }
    Ok(())
}
