//! Credentials as compact JWTs, byte-compatible with the ecosystem: header
//! `{"alg":"ES256","typ":"agentpin-credential+jwt","kid":…}`, compact JSON claims, and a third
//! segment that is base64url of the **DER** signature (not JOSE's raw `r || s`), ECDSA-SHA256 over
//! `header.claims`. We emit exactly that, always with low `s`.
//!
//! Decoding is all-or-nothing: header, claims and signature bytes are decoded and checked before
//! the verifier looks at any of them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::capability::{self, Capability};
use crate::constraints::Constraints;
use crate::delegation::DelegationEntry;
use crate::error::VerifyError;
use crate::json::{self, DocumentError};
use crate::jwk::MAX_KID_LEN;
use crate::key::{KeyError, SigningKey};
use crate::signature::EcdsaSignature;
use crate::time::UnixTime;

/// The only algorithm AgentPin uses.
pub(crate) const ALG: &str = "ES256";
/// The token type every AgentPin credential carries.
pub(crate) const TYP: &str = "agentpin-credential+jwt";
/// The protocol version credentials and documents carry.
pub(crate) const AGENTPIN_VERSION: &str = "0.1";
/// Default cap on a credential's length; real ones are well under 2 KiB.
pub(crate) const DEFAULT_MAX_CREDENTIAL_BYTES: usize = 16 * 1024;

/// A sandbox tier claim (0–3), the seed's `sandbox_tier`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct SandboxTier(u8);

impl SandboxTier {
    /// The tier, if `tier` is 0 to 3.
    pub fn new(tier: u8) -> Option<Self> {
        (tier <= 3).then_some(Self(tier))
    }

    /// The tier number.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for SandboxTier {
    type Error = String;
    fn try_from(tier: u8) -> Result<Self, String> {
        Self::new(tier).ok_or_else(|| format!("sandbox tier {tier} is not 0 to 3"))
    }
}

impl From<SandboxTier> for u8 {
    fn from(tier: SandboxTier) -> Self {
        tier.0
    }
}

/// What to put in a new credential.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IssueRequest {
    /// Key id for the header: an id published in the issuer's discovery document.
    pub kid: String,
    /// Issuer domain (`iss`).
    pub issuer: String,
    /// Agent id (`sub`): `urn:agentpin:{domain}:{name}` in the ecosystem, or the seed's short id.
    pub agent_id: String,
    /// Intended verifier (`aud`), or `*`.
    pub audience: Option<String>,
    /// Granted capabilities.
    pub capabilities: Vec<Capability>,
    /// Limits on the agent.
    pub constraints: Option<Constraints>,
    /// Delegation attestations from maker to issuer.
    pub delegation_chain: Vec<DelegationEntry>,
    /// Not-before time (`nbf`); the ecosystem issuers never set it.
    pub not_before: Option<UnixTime>,
    /// Mutual-authentication nonce.
    pub nonce: Option<String>,
    /// The seed's sandbox tier claim.
    pub sandbox_tier: Option<SandboxTier>,
    /// Lifetime in seconds (`exp = iat + ttl`).
    pub ttl_secs: u32,
}

impl IssueRequest {
    /// A request with the required fields; the rest default to absent.
    pub fn new(kid: impl Into<String>, issuer: impl Into<String>, agent_id: impl Into<String>, ttl_secs: u32) -> Self {
        Self {
            kid: kid.into(),
            issuer: issuer.into(),
            agent_id: agent_id.into(),
            audience: None,
            capabilities: Vec::new(),
            constraints: None,
            delegation_chain: Vec::new(),
            not_before: None,
            nonce: None,
            sandbox_tier: None,
            ttl_secs,
        }
    }
}

/// Why a credential could not be issued.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// A field is empty or out of range.
    #[error("cannot issue: {0}")]
    Invalid(&'static str),
    /// Signing failed.
    #[error("cannot sign the credential: {0}")]
    Key(#[from] KeyError),
    /// The discovery document built alongside the credential is invalid.
    #[error("cannot build the discovery document: {0}")]
    Document(#[source] DocumentError),
}

/// An issued credential: the compact JWT plus its decoded parts for display.
#[derive(Debug, Clone)]
pub struct IssuedCredential {
    jwt: String,
    claims: Claims,
    kid: String,
}

impl IssuedCredential {
    /// The compact JWT.
    pub fn jwt(&self) -> &str {
        &self.jwt
    }

    /// The claims that were signed.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// The header's key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The header as pretty JSON, for `symbi keygen` output.
    pub fn header_json(&self) -> String {
        serde_json::to_string_pretty(&Header { alg: ALG.into(), typ: TYP.into(), kid: self.kid.clone() })
            .unwrap_or_default()
    }

    /// The claims as pretty JSON, for `symbi keygen` output.
    pub fn claims_json(&self) -> String {
        serde_json::to_string_pretty(&self.claims.to_wire()).unwrap_or_default()
    }
}

/// Signs a new credential with `key` at time `now`.
///
/// Fails when a required field is empty, the lifetime is zero, or signing fails.
pub fn issue(key: &SigningKey, request: &IssueRequest, now: UnixTime) -> Result<IssuedCredential, IssueError> {
    if request.kid.is_empty() || request.kid.len() > MAX_KID_LEN {
        return Err(IssueError::Invalid("the key id must be 1 to 256 characters"));
    }
    if request.issuer.is_empty() || request.agent_id.is_empty() {
        return Err(IssueError::Invalid("the issuer domain and the agent id must not be empty"));
    }
    if request.ttl_secs == 0 {
        return Err(IssueError::Invalid("the lifetime must be at least one second"));
    }
    let claims = Claims {
        issuer: request.issuer.clone(),
        subject: request.agent_id.clone(),
        audience: request.audience.clone(),
        issued_at: now,
        expires_at: now.offset(i64::from(request.ttl_secs)),
        not_before: request.not_before,
        jti: new_jti()?,
        capabilities: request.capabilities.clone(),
        constraints: request.constraints.clone(),
        delegation_chain: request.delegation_chain.clone(),
        nonce: request.nonce.clone(),
        sandbox_tier: request.sandbox_tier,
    };
    let jwt = encode(key, &request.kid, &claims.to_wire())?;
    Ok(IssuedCredential { jwt, claims, kid: request.kid.clone() })
}

/// Serializes `claims` under the AgentPin header and signs `header.claims` with `key`.
fn encode(key: &SigningKey, kid: &str, claims: &ClaimsWire) -> Result<String, KeyError> {
    let header = Header { alg: ALG.into(), typ: TYP.into(), kid: kid.to_owned() };
    let header = serde_json::to_vec(&header).unwrap_or_default();
    let claims = serde_json::to_vec(claims).unwrap_or_default();
    let mut jwt = String::with_capacity(512);
    URL_SAFE_NO_PAD.encode_string(header, &mut jwt);
    jwt.push('.');
    URL_SAFE_NO_PAD.encode_string(claims, &mut jwt);
    let signature = key.sign(jwt.as_bytes())?;
    jwt.push('.');
    URL_SAFE_NO_PAD.encode_string(signature.to_der(), &mut jwt);
    Ok(jwt)
}

fn new_jti() -> Result<String, KeyError> {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| KeyError::Random)?;
    // RFC 9562 version 4 and variant bits, as Python's `uuid.uuid4()` sets them.
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = crate::key::hex(&bytes);
    Ok(format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..]))
}

/// The claims of a credential, decoded (and, from a [`crate::VerifiedCredential`], verified).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    issuer: String,
    subject: String,
    audience: Option<String>,
    issued_at: UnixTime,
    expires_at: UnixTime,
    not_before: Option<UnixTime>,
    jti: String,
    capabilities: Vec<Capability>,
    constraints: Option<Constraints>,
    delegation_chain: Vec<DelegationEntry>,
    nonce: Option<String>,
    sandbox_tier: Option<SandboxTier>,
}

impl Claims {
    /// `iss`: the issuer domain.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
    /// `sub`: the agent id.
    pub fn subject(&self) -> &str {
        &self.subject
    }
    /// `aud`, if set.
    pub fn audience(&self) -> Option<&str> {
        self.audience.as_deref()
    }
    /// `iat`.
    pub fn issued_at(&self) -> UnixTime {
        self.issued_at
    }
    /// `exp`.
    pub fn expires_at(&self) -> UnixTime {
        self.expires_at
    }
    /// `nbf`, if set.
    pub fn not_before(&self) -> Option<UnixTime> {
        self.not_before
    }
    /// `jti`: the credential id, the key for revocation and replay checks.
    pub fn jti(&self) -> &str {
        &self.jti
    }
    /// `capabilities`.
    pub fn capabilities(&self) -> &[Capability] {
        &self.capabilities
    }
    /// `constraints`, if set.
    pub fn constraints(&self) -> Option<&Constraints> {
        self.constraints.as_ref()
    }
    /// `delegation_chain` (empty when absent).
    pub fn delegation_chain(&self) -> &[DelegationEntry] {
        &self.delegation_chain
    }
    /// `nonce`, if set.
    pub fn nonce(&self) -> Option<&str> {
        self.nonce.as_deref()
    }
    /// `sandbox_tier`, if set.
    pub fn sandbox_tier(&self) -> Option<SandboxTier> {
        self.sandbox_tier
    }

    fn to_wire(&self) -> ClaimsWire {
        ClaimsWire {
            iss: self.issuer.clone(),
            sub: self.subject.clone(),
            aud: self.audience.clone(),
            iat: self.issued_at.secs(),
            exp: self.expires_at.secs(),
            nbf: self.not_before.map(UnixTime::secs),
            jti: self.jti.clone(),
            agentpin_version: AGENTPIN_VERSION.into(),
            capabilities: self.capabilities.iter().map(|c| c.as_str().to_owned()).collect(),
            constraints: self.constraints.clone(),
            delegation_chain: (!self.delegation_chain.is_empty()).then(|| self.delegation_chain.clone()),
            nonce: self.nonce.clone(),
            sandbox_tier: self.sandbox_tier,
        }
    }

    fn from_wire(wire: ClaimsWire) -> Result<Self, String> {
        if wire.agentpin_version != AGENTPIN_VERSION {
            return Err(format!("`agentpin_version` must be `{AGENTPIN_VERSION}`"));
        }
        if wire.iss.is_empty() || wire.sub.is_empty() || wire.jti.is_empty() {
            return Err("`iss`, `sub` and `jti` must not be empty".into());
        }
        let capabilities = capability::parse_all(&wire.capabilities).map_err(|e| e.to_string())?;
        Ok(Self {
            issuer: wire.iss,
            subject: wire.sub,
            audience: wire.aud,
            issued_at: UnixTime::from_secs(wire.iat),
            expires_at: UnixTime::from_secs(wire.exp),
            not_before: wire.nbf.map(UnixTime::from_secs),
            jti: wire.jti,
            capabilities,
            constraints: wire.constraints,
            delegation_chain: wire.delegation_chain.unwrap_or_default(),
            nonce: wire.nonce,
            sandbox_tier: wire.sandbox_tier,
        })
    }
}

#[derive(Serialize)]
struct Header {
    alg: String,
    typ: String,
    kid: String,
}

/// Claims on the wire, in the member order the ecosystem's issuers write.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ClaimsWire {
    pub(crate) iss: String,
    pub(crate) sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) aud: Option<String>,
    pub(crate) iat: i64,
    pub(crate) exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) nbf: Option<i64>,
    pub(crate) jti: String,
    pub(crate) agentpin_version: String,
    pub(crate) capabilities: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) constraints: Option<Constraints>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) delegation_chain: Option<Vec<DelegationEntry>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) nonce: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sandbox_tier: Option<SandboxTier>,
}

/// A decoded credential whose signature has not been checked yet.
#[derive(Debug)]
pub(crate) struct UnverifiedCredential<'a> {
    pub(crate) signing_input: &'a str,
    pub(crate) kid: String,
    pub(crate) claims: Claims,
    pub(crate) signature: EcdsaSignature,
}

impl<'a> UnverifiedCredential<'a> {
    /// Decodes every part of `jwt`; fails on the first rule broken, header first.
    pub(crate) fn decode(jwt: &'a str, max_len: usize) -> Result<Self, VerifyError> {
        if jwt.len() > max_len {
            return Err(VerifyError::Oversized { len: jwt.len(), max: max_len });
        }
        let mut parts = jwt.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed("token", "expected three dot-separated segments"));
        };
        let signing_input = jwt.get(..header.len() + 1 + payload.len()).unwrap_or_default();
        let kid = decode_header(header)?;
        let claims_json = URL_SAFE_NO_PAD.decode(payload).map_err(|_| malformed("claims", "not unpadded base64url"))?;
        let wire: ClaimsWire = json::decode(&claims_json, max_len).map_err(|e| document_error("claims", e))?;
        let claims = Claims::from_wire(wire).map_err(|reason| VerifyError::Malformed { part: "claims", reason })?;
        let der = URL_SAFE_NO_PAD.decode(signature).map_err(|_| malformed("signature", "not unpadded base64url"))?;
        let signature = EcdsaSignature::from_der(&der).map_err(VerifyError::SignatureEncoding)?;
        Ok(Self { signing_input, kid, claims, signature })
    }
}

/// Checks the header in the order that gives the most specific refusal: `alg`, then `typ`, then
/// unknown members (`jku`, `jwk`, `x5u`, `crit`, …), then `kid`.
fn decode_header(segment: &str) -> Result<String, VerifyError> {
    let bytes = URL_SAFE_NO_PAD.decode(segment).map_err(|_| malformed("header", "not unpadded base64url"))?;
    let header: serde_json::Map<String, serde_json::Value> =
        json::decode(&bytes, 4096).map_err(|e| document_error("header", e))?;
    let text = |name: &str| header.get(name).map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned));
    match text("alg") {
        Some(alg) if alg == ALG => {}
        other => return Err(VerifyError::AlgorithmRejected { alg: other.unwrap_or_else(|| "(missing)".into()) }),
    }
    match text("typ") {
        Some(typ) if typ == TYP => {}
        other => return Err(VerifyError::TypeRejected { typ: other.unwrap_or_else(|| "(missing)".into()) }),
    }
    if let Some(member) = header.keys().find(|k| !matches!(k.as_str(), "alg" | "typ" | "kid")) {
        return Err(VerifyError::HeaderRejected { member: member.chars().take(64).collect() });
    }
    match header.get("kid").and_then(serde_json::Value::as_str) {
        Some(kid) if !kid.is_empty() && kid.len() <= MAX_KID_LEN => Ok(kid.to_owned()),
        _ => Err(malformed("header", "`kid` must be a string of 1 to 256 characters")),
    }
}

fn malformed(part: &'static str, reason: &str) -> VerifyError {
    VerifyError::Malformed { part, reason: reason.to_owned() }
}

fn document_error(part: &'static str, error: DocumentError) -> VerifyError {
    match error {
        DocumentError::DuplicateKey { key } => VerifyError::DuplicateKey { part, key },
        other => VerifyError::Malformed { part, reason: other.to_string() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(json: &str) -> Result<String, VerifyError> {
        decode_header(&URL_SAFE_NO_PAD.encode(json))
    }

    #[test]
    fn header_rules_report_the_most_specific_refusal_first() {
        assert_eq!(header(r#"{"alg":"ES256","typ":"agentpin-credential+jwt","kid":"k"}"#).unwrap(), "k");
        // `alg` is judged before anything else, even a missing `typ` or a smuggled `jku`.
        assert!(matches!(header(r#"{"alg":"none","jku":"x"}"#), Err(VerifyError::AlgorithmRejected { .. })));
        assert!(
            matches!(header(r#"{"typ":"agentpin-credential+jwt"}"#), Err(VerifyError::AlgorithmRejected { alg }) if alg == "(missing)")
        );
        assert!(matches!(header(r#"{"alg":"ES256","kid":"k"}"#), Err(VerifyError::TypeRejected { .. })));
        assert!(matches!(
            header(r#"{"alg":"ES256","typ":"agentpin-credential+jwt","kid":"k","x5c":[]}"#),
            Err(VerifyError::HeaderRejected { member }) if member == "x5c"
        ));
        assert!(matches!(
            header(r#"{"alg":"ES256","typ":"agentpin-credential+jwt","kid":7}"#),
            Err(VerifyError::Malformed { .. })
        ));
        assert!(matches!(
            header(r#"{"alg":"ES256","typ":"agentpin-credential+jwt","kid":""}"#),
            Err(VerifyError::Malformed { .. })
        ));
    }

    #[test]
    fn jtis_are_uuid_v4() {
        let jti = new_jti().unwrap();
        let groups: Vec<&str> = jti.split('-').collect();
        assert_eq!(groups.iter().map(|g| g.len()).collect::<Vec<_>>(), [8, 4, 4, 4, 12]);
        assert!(groups[2].starts_with('4'));
        assert!(matches!(groups[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
        assert_ne!(new_jti().unwrap(), jti);
    }
}
