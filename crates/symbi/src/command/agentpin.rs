//! `symbi keygen` and `symbi agentpin`: agent identities (ES256 keys, discovery documents,
//! credentials) kept in the project's data directory, and offline verification.
//!
//! Layout, under `<data_dir>/agentpin/`: `<domain>.json` is the domain's discovery document (serve
//! it at `https://<domain>/.well-known/agent-identity.json`), `<domain>.revocations.json` its
//! revocations when there are any, and `keys/<domain>/<agent-id>.pem` each agent's private key
//! (mode 0600). It is the layout the ecosystem's local-file resolver reads, so `verify` checks
//! credentials of these domains offline; other domains' documents are fetched over HTTPS.

use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, anyhow};
use serde_json::{Value, json};
use symbi_agentpin::{
    AgentDeclaration, Capability, ChainResolver, DiscoveryDocument, EntityType, ErrorCode, IssueRequest,
    IssuedCredential, Jwk, KeygenRequest, LocalFileResolver, PinCandidate, Resolver, SandboxTier, SigningKey,
    TrustBundle, UnixTime, Verifier, VerifierConfig,
};
use symbi_runtime::{Config, DataDir, SqliteStore};

use crate::Outcome;
use crate::cli::{AgentpinAction, AgentpinArgs, KeygenArgs};
use crate::exit::{Exit, Failure};

/// `symbi keygen`: a new key for one agent, its declaration in the domain's discovery document,
/// and a first credential.
pub(crate) fn keygen(args: &KeygenArgs) -> Outcome {
    let config = super::load_config(&args.dir)?;
    let store = Identities::new(&config.data_dir);
    check_id(&args.agent_id)?;
    let key_file = store.key_file(&args.domain, &args.agent_id);
    if key_file.exists() && !args.force {
        return Err(Failure::invalid(anyhow!(
            "`{}` already has a key ({}); pass --force to replace it (credentials signed with the old key stop verifying)",
            kid(&args.domain, &args.agent_id),
            key_file.display()
        )));
    }
    let mut request = KeygenRequest::new(&args.domain, &args.agent_id);
    request.capabilities = capabilities(&args.capabilities)?;
    request.sandbox_tier = args.sandbox_tier.map(tier).transpose()?;
    request.ttl_secs = ttl(args.ttl.as_deref())?;
    let now = UnixTime::now();
    let identity = symbi_agentpin::keygen(&request, now).map_err(Failure::invalid)?;
    let discovery = store.merged_discovery(identity.discovery(), &args.agent_id, now)?;
    let event = symbi_audit::Event::key_management(
        super::cli_principal(),
        if key_file.exists() { "replace" } else { "create" },
        format!("AgentPin::\"{}\"", identity.kid()),
    )
    .with_surface("cli")
    .with_reason("agent identity key (symbi keygen)");
    super::small_runtime()?
        .block_on(super::record_event(&symbi_runtime::audit_dir(&config.data_dir), event))
        .map_err(|e| e.context("the key was not created"))?;
    store.write_key(&args.domain, &args.agent_id, identity.signing_key())?;
    store.write_discovery(&discovery)?;
    // A key made here is trusted here: the domain's pins include it.
    let thumbprint = identity.signing_key().public_key().thumbprint();
    let candidate = PinCandidate { kid: identity.kid(), thumbprint: &thumbprint };
    pin_store(&config.data_dir)?.add_agentpin_key(&args.domain, candidate, now).context("cannot pin the new key")?;
    print_credential(identity.credential(), args.json, Some((&key_file, &store.discovery_file(&args.domain))));
    Ok(Exit::Success)
}

pub(crate) fn run(args: AgentpinArgs) -> Outcome {
    let config = super::load_config(&args.dir)?;
    let store = Identities::new(&config.data_dir);
    match args.action {
        AgentpinAction::Issue { domain, agent_id, capabilities: caps, sandbox_tier, ttl: ttl_text, audience, json } => {
            check_id(&agent_id)?;
            let key = store.read_key(&domain, &agent_id)?;
            let mut request = IssueRequest::new(kid(&domain, &agent_id), &domain, &agent_id, ttl(ttl_text.as_deref())?);
            request.capabilities = capabilities(&caps)?;
            request.sandbox_tier = sandbox_tier.map(tier).transpose()?;
            request.audience = audience;
            let credential = symbi_agentpin::issue(&key, &request, UnixTime::now()).map_err(Failure::invalid)?;
            print_credential(&credential, json, None);
            Ok(Exit::Success)
        }
        AgentpinAction::Verify { credential, audience, bundle, offline, json } => {
            let jwt = match credential.as_deref() {
                Some("-") | None => {
                    let mut text = String::new();
                    std::io::stdin().take(64 * 1024).read_to_string(&mut text)?;
                    text
                }
                Some(text) => text.to_owned(),
            };
            let fetch = config.trust.fetch && !offline && bundle.is_none();
            let sources = Sources { bundle: bundle.as_deref(), fetch };
            verify(&config, jwt.trim(), audience.as_deref(), &sources, json)
        }
        AgentpinAction::Discovery { domain } => {
            let path = store.discovery_file(&domain);
            let text = fs::read_to_string(&path).map_err(|_| {
                Failure::invalid(anyhow!("no discovery document for `{domain}`; create one with `symbi keygen --domain {domain} --agent-id …`"))
            })?;
            println!("{}", text.trim_end());
            Ok(Exit::Success)
        }
    }
}

/// Where `verify` finds documents: a trust bundle alone, or the project's files and then (when
/// `fetch`) HTTPS.
struct Sources<'a> {
    bundle: Option<&'a Path>,
    fetch: bool,
}

/// Verifies `jwt` with the twelve AgentPin steps against a trust bundle, or the project's own
/// documents and then the domain's published ones, with the key pins kept in the project's store.
/// A refusal prints the ecosystem's error code and exits 1; a refusal because a pinned domain
/// presented another key is also recorded in the audit log.
fn verify(config: &Config, jwt: &str, audience: Option<&str>, sources: &Sources<'_>, json: bool) -> Outcome {
    let data_dir = config.data_dir.as_path();
    let pins = pin_store(data_dir)?;
    let verifier_config = VerifierConfig::default();
    let local: Arc<dyn Resolver> = Arc::new(LocalFileResolver::new(Identities::new(data_dir).dir()));
    // The runtime that drives fetches lives as long as the verification.
    let mut _driver = None;
    let resolver: Arc<dyn Resolver> = match (sources.bundle, sources.fetch) {
        (Some(path), _) => {
            let bytes = fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
            Arc::new(
                TrustBundle::from_json(&bytes).map_err(|e| Failure::invalid(anyhow!("`{}`: {e}", path.display())))?,
            )
        }
        (None, true) => {
            let (runtime, fetcher) = super::trust_fetcher(config)?;
            _driver = Some(runtime);
            Arc::new(ChainResolver::new(vec![local, Arc::new(fetcher)]))
        }
        (None, false) => local,
    };
    match Verifier::new(&*resolver, &pins, &verifier_config).verify(jwt, audience) {
        Ok(verified) => {
            let caps: Vec<&str> = verified.capabilities().iter().map(Capability::as_str).collect();
            let tier = verified.sandbox_tier().map(SandboxTier::get);
            if json {
                println!(
                    "{}",
                    json!({"valid": true, "domain": verified.domain(), "agent_id": verified.agent_id(), "kid": verified.kid(),
                        "capabilities": caps, "sandbox_tier": tier, "jti": verified.jti(),
                        "expires_at": verified.expires_at().to_rfc3339()})
                );
            } else {
                println!("valid: {} of {} (key {})", verified.agent_id(), verified.domain(), verified.kid());
                println!("capabilities: {}", if caps.is_empty() { "none".to_owned() } else { caps.join(", ") });
                if let Some(tier) = tier {
                    println!("sandbox tier: {tier}");
                }
                println!("expires: {}", verified.expires_at().to_rfc3339());
            }
            Ok(Exit::Success)
        }
        Err(error) => {
            if error.code() == ErrorCode::KeyPinMismatch {
                let event = symbi_audit::Event::auth_failure("cli", format!("{}: {error}", error.code().as_str()));
                super::small_runtime()?
                    .block_on(super::record_event(&symbi_runtime::audit_dir(data_dir), event))
                    .context("cannot record the refused credential")?;
            }
            if json {
                println!(
                    "{}",
                    json!({"valid": false, "error_code": error.code().as_str(), "error": error.to_string()})
                );
            } else {
                println!("refused: {}: {error}", error.code().as_str());
            }
            Ok(Exit::Problems)
        }
    }
}

fn print_credential(credential: &IssuedCredential, json: bool, files: Option<(&Path, &Path)>) {
    if json {
        let header: Value = serde_json::from_str(&credential.header_json()).unwrap_or(Value::Null);
        let claims: Value = serde_json::from_str(&credential.claims_json()).unwrap_or(Value::Null);
        let mut out = json!({"credential": credential.jwt(), "header": header, "claims": claims});
        if let Some((key, discovery)) = files {
            out["key_file"] = key.display().to_string().into();
            out["discovery_file"] = discovery.display().to_string().into();
        }
        println!("{out}");
        return;
    }
    println!("{}", credential.jwt());
    eprintln!("{}\n{}", credential.header_json(), credential.claims_json());
    if let Some((key, discovery)) = files {
        eprintln!(
            "symbi: private key in {} (0600); serve {} at https://{}/.well-known/agent-identity.json",
            key.display(),
            discovery.display(),
            credential.claims().issuer()
        );
    }
}

/// The identities kept in one data directory.
struct Identities {
    dir: PathBuf,
}

impl Identities {
    fn new(data_dir: &Path) -> Self {
        Self { dir: data_dir.join("agentpin") }
    }

    fn dir(&self) -> &Path {
        &self.dir
    }

    fn discovery_file(&self, domain: &str) -> PathBuf {
        self.dir.join(format!("{domain}.json"))
    }

    fn key_file(&self, domain: &str, agent_id: &str) -> PathBuf {
        self.dir.join("keys").join(domain).join(format!("{agent_id}.pem"))
    }

    fn read_key(&self, domain: &str, agent_id: &str) -> Result<SigningKey, Failure> {
        let path = self.key_file(domain, agent_id);
        let pem = fs::read_to_string(&path).map_err(|_| {
            Failure::invalid(anyhow!(
                "no key for `{}`; create it with `symbi keygen --domain {domain} --agent-id {agent_id}`",
                kid(domain, agent_id)
            ))
        })?;
        SigningKey::from_pkcs8_pem(&pem)
            .with_context(|| format!("`{}` is not a P-256 private key", path.display()))
            .map_err(Into::into)
    }

    fn write_key(&self, domain: &str, agent_id: &str, key: &SigningKey) -> Result<(), Failure> {
        let path = self.key_file(domain, agent_id);
        fs::create_dir_all(path.parent().unwrap_or(&self.dir))?;
        super::write_private(&path, key.to_pkcs8_pem().as_bytes())
    }

    /// The domain's discovery document with the new identity's key and declaration added
    /// (replacing the agent's old ones).
    fn merged_discovery(
        &self,
        fresh: &DiscoveryDocument,
        agent_id: &str,
        now: UnixTime,
    ) -> Result<DiscoveryDocument, Failure> {
        let path = self.discovery_file(fresh.entity());
        let Ok(bytes) = fs::read(&path) else { return Ok(fresh.clone()) };
        let existing = DiscoveryDocument::from_json(&bytes)
            .map_err(|e| anyhow!("the existing discovery document `{}` is invalid: {e}", path.display()))?;
        let new_kid = kid(fresh.entity(), agent_id);
        let mut keys: Vec<Jwk> = existing.public_keys().iter().filter(|k| k.kid() != new_kid).cloned().collect();
        keys.extend(fresh.public_keys().iter().cloned());
        let mut agents: Vec<AgentDeclaration> =
            existing.agents().iter().filter(|a| a.agent_id() != agent_id).cloned().collect();
        agents.extend(fresh.agents().iter().cloned());
        DiscoveryDocument::new(fresh.entity(), EntityType::Deployer, keys, agents, now)
            .map_err(|e| Failure::invalid(anyhow!("cannot add the agent to `{}`: {e}", path.display())))
    }

    fn write_discovery(&self, doc: &DiscoveryDocument) -> Result<(), Failure> {
        fs::create_dir_all(&self.dir)?;
        let path = self.discovery_file(doc.entity());
        let temp = self.dir.join(format!(".{}.json.tmp", doc.entity()));
        fs::write(&temp, doc.to_json())?;
        fs::rename(&temp, &path).with_context(|| format!("cannot write `{}`", path.display()))?;
        Ok(())
    }
}

/// The project store, whose `agentpin_pins` the runtime reads too.
fn pin_store(data_dir: &Path) -> Result<SqliteStore, Failure> {
    let data_dir = DataDir::prepare(data_dir)?;
    SqliteStore::open(&data_dir.store_file())
        .with_context(|| format!("cannot open the store in `{}`", data_dir.path().display()))
        .map_err(Into::into)
}

fn kid(domain: &str, agent_id: &str) -> String {
    format!("{domain}#{agent_id}")
}

/// Agent ids name key files, so they are plain names.
fn check_id(agent_id: &str) -> Result<(), Failure> {
    let ok = (1..=128).contains(&agent_id.len())
        && !agent_id.starts_with('.')
        && agent_id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(Failure::invalid(anyhow!("`{agent_id}` is not an agent id: 1-128 letters, digits, `-`, `_` and `.`")))
    }
}

fn capabilities(list: &[String]) -> Result<Vec<Capability>, Failure> {
    list.iter()
        .flat_map(|item| item.split(','))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| Capability::parse(c).map_err(|e| Failure::invalid(anyhow!("capability `{c}`: {e}"))))
        .collect()
}

fn tier(value: u8) -> Result<SandboxTier, Failure> {
    SandboxTier::new(value).ok_or_else(|| Failure::invalid(anyhow!("--sandbox-tier {value}: tiers are 0 to 3")))
}

/// A lifetime such as `1h` or `86400s`, at most a day (the verifiers' default limit).
fn ttl(text: Option<&str>) -> Result<u32, Failure> {
    let Some(text) = text else { return Ok(86_400) };
    let secs = humantime::parse_duration(text).map_err(|e| Failure::invalid(anyhow!("--ttl {text}: {e}")))?.as_secs();
    if !(1..=86_400).contains(&secs) {
        return Err(Failure::invalid(anyhow!("--ttl {text}: between 1 second and 1 day (verifiers refuse longer)")));
    }
    Ok(u32::try_from(secs).unwrap_or(86_400))
}
