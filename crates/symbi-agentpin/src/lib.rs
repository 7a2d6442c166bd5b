//! AgentPin for symbi: cryptographic agent identity that interoperates on the wire with the
//! published `agentpin` packages (Python and Rust 0.3.0).
//!
//! ```text
//! SigningKey ──► issue(IssueRequest) ──► IssuedCredential (compact ES256 JWT, DER signature)
//! DiscoveryDocument / RevocationDocument ──► Resolver (TrustBundle, LocalFileResolver, runtime's HTTPS)
//! jwt ──► Verifier { Resolver, PinStore, VerifierConfig }::verify ──► VerifiedCredential
//!                                                         (domain, agent id, capabilities, tier)
//! Challenge ──► Response (signed nonce) ──► verify_response(…, &VerifiedCredential, Resolver)
//! ```
//!
//! A credential is accepted only after the twelve steps of [`Verifier::verify_at`]: strict
//! decoding (ES256 and the AgentPin token type only, no `jku`/`jwk`/`x5u`/`crit` headers, no
//! duplicate JSON keys, canonical DER signatures, a size cap), time, the issuer's discovery
//! document, its key, the signature, revocation, the agent's declaration, capabilities,
//! constraints, the delegation chain (fully verified, unlike upstream), the key pin and the
//! audience. Each refusal is a specific [`VerifyError`] with the ecosystem's [`ErrorCode`].
//!
//! What this crate never does: network I/O (documents come through [`Resolver`]), printing,
//! logging, or reading anything but the directory a [`LocalFileResolver`] is given. The
//! security rationale, the choices where we differ from upstream and the wire format we emit are
//! in `docs/agentpin.md`.
//!
//! Features: none.
//!
//! ```
//! use symbi_agentpin::*;
//!
//! let now = UnixTime::from_secs(1_800_000_000);
//! let identity = keygen(&KeygenRequest::new("agents.example.com", "planner-01"), now).unwrap();
//! let mut bundle = TrustBundle::new(now);
//! bundle.insert_discovery(identity.discovery().clone());
//!
//! let (pins, config) = (MemoryPinStore::new(), VerifierConfig::default());
//! let verified = Verifier::new(&bundle, &pins, &config)
//!     .verify_at(identity.credential().jwt(), None, now)
//!     .unwrap();
//! assert_eq!(verified.agent_id(), "planner-01");
//! assert_eq!(verified.domain(), "agents.example.com");
//! ```

#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr)]
// Tests index their own fixed data; library code never indexes untrusted input.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

mod bundle;
mod capability;
mod constraints;
mod credential;
mod delegation;
mod discovery;
mod error;
mod json;
mod jwk;
mod key;
mod mutual;
mod pin;
mod provision;
mod resolver;
mod revocation;
mod signature;
mod time;
mod verify;

pub use bundle::TrustBundle;
pub use capability::{Capability, CapabilityError, capabilities_hash};
pub use constraints::{Constraints, DataClassification, RateLimit, ValidHours};
pub use credential::{Claims, IssueError, IssueRequest, IssuedCredential, SandboxTier, issue};
pub use delegation::{Attestation, DelegationEntry, DelegationRole};
pub use discovery::{AgentDeclaration, AgentStatus, DiscoveryDocument, EntityType};
pub use error::{ErrorCode, VerifyError};
pub use json::DocumentError;
pub use jwk::Jwk;
pub use key::{KeyError, PublicKey, SigningKey};
pub use mutual::{Challenge, ChallengeError, MemoryNonceStore, NonceStore, Response, verify_response};
pub use pin::{MemoryPinStore, PinCandidate, PinOutcome, PinStore, PinStoreError};
pub use provision::{AgentIdentity, KeygenRequest, keygen};
pub use resolver::{ChainResolver, LocalFileResolver, ResolveError, Resolver};
pub use revocation::{RevocationDocument, RevocationReason};
pub use signature::SignatureError;
pub use time::UnixTime;
pub use verify::{VerifiedCredential, Verifier, VerifierConfig};
