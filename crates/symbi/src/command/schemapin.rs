//! `symbi schemapin`: sign tool schemas as a publisher, verify others' against their discovery
//! documents, and manage the key pins (trust on first use) in the project's store — the same pins
//! the runtime uses. Every key made, pin changed and pinned key refused is recorded in the audit
//! log.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, anyhow};
use serde_json::{Value, json};
use symbi_runtime::{Config, DataDir, Publisher, SqliteStore, publisher_dir};
use symbi_schemapin::{
    DiscoveryDocument, Domain, Fingerprint, PinMode, PinStore, RevocationDocument, SchemaRequest, SignedSchema,
    SigningKey, ToolName, Verifier, VerifierConfig, VerifyError,
};

use crate::Outcome;
use crate::cli::{SchemapinAction, SchemapinArgs};
use crate::exit::{Exit, Failure};

pub(crate) fn run(args: SchemapinArgs) -> Outcome {
    let config = super::load_config(&args.dir)?;
    let project = Project { dir: args.dir.clone(), data_dir: config.data_dir.clone() };
    match args.action {
        SchemapinAction::Keygen { developer, force, json } => project.keygen(developer.as_deref(), force, json),
        SchemapinAction::Sign { schema, tool, kid, output } => {
            project.sign(schema.as_deref(), tool.as_deref(), kid, output.as_deref())
        }
        SchemapinAction::Verify { signed, domain, discovery, revocation, offline, tool, pin_mode, json } => {
            let fetch = config.trust.fetch && !offline;
            let request = VerifyArgs { signed, domain, discovery, revocation, fetch, tool, pin_mode, json };
            project.verify(&config, &request)
        }
        SchemapinAction::Pin { tool, domain, discovery, fingerprint, force } => {
            project.pin(&tool, &domain, discovery.as_deref(), fingerprint.as_deref(), force)
        }
        SchemapinAction::Unpin { tool, domain } => project.unpin(&tool, &domain),
        SchemapinAction::List { json } => project.list(json),
        SchemapinAction::WellKnown => project.well_known(),
    }
}

struct VerifyArgs {
    signed: PathBuf,
    domain: String,
    /// A saved discovery document; without it the document is fetched (when `fetch`).
    discovery: Option<PathBuf>,
    revocation: Option<PathBuf>,
    fetch: bool,
    tool: Option<String>,
    pin_mode: String,
    json: bool,
}

struct Project {
    dir: PathBuf,
    data_dir: PathBuf,
}

impl Project {
    fn keygen(&self, developer: Option<&str>, force: bool, json: bool) -> Outcome {
        let dir = publisher_dir(&self.data_dir);
        let key_path = dir.join("signing.pem");
        if key_path.exists() && !force {
            return Err(Failure::invalid(anyhow!(
                "a publisher key exists ({}); pass --force to replace it (pins others hold on the old key will refuse the new one)",
                key_path.display()
            )));
        }
        let key = SigningKey::generate().context("cannot generate a key")?;
        let fingerprint = key.public_key().fingerprint().as_str().to_owned();
        let event = symbi_audit::Event::key_management(
            super::cli_principal(),
            if key_path.exists() { "replace" } else { "create" },
            format!("SchemaPin::\"{fingerprint}\""),
        )
        .with_surface("cli")
        .with_reason("the runtime's SchemaPin publisher key (symbi schemapin keygen)");
        self.record(event).map_err(|e| e.context("the key was not created"))?;
        DataDir::prepare(&self.data_dir)?;
        fs::create_dir_all(&dir)?;
        super::write_private(&key_path, key.to_pkcs8_pem().context("cannot encode the key")?.as_bytes())?;
        fs::write(dir.join("public.pem"), key.public_key().to_pem())?;
        let meta = json!({"developer_name": developer, "fingerprint": fingerprint});
        fs::write(dir.join("publisher.json"), format!("{meta:#}\n"))?;
        if json {
            println!(
                "{}",
                json!({"fingerprint": fingerprint, "key_file": key_path.display().to_string(),
                "public_key_pem": key.public_key().to_pem()})
            );
        } else {
            println!("{fingerprint}");
            eprintln!(
                "symbi: publisher key in {} (0600); `symbi up` serves /.well-known/schemapin.json for the project's tools",
                key_path.display()
            );
        }
        Ok(Exit::Success)
    }

    fn sign(&self, schema: Option<&Path>, tool: Option<&str>, kid: Option<String>, output: Option<&Path>) -> Outcome {
        let publisher = self.publisher()?;
        let schema = match (schema, tool) {
            (Some(path), None) => {
                let bytes = fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
                symbi_schemapin::parse_json(&bytes)
                    .map_err(|e| Failure::invalid(anyhow!("`{}` is not strict JSON: {e}", path.display())))?
            }
            (None, Some(name)) => {
                let catalog = symbi_toolclad::Catalog::load(&self.dir).map_err(Failure::invalid)?;
                let tool = catalog.tool(name).ok_or_else(|| Failure::invalid(anyhow!("no tool `{name}` in tools/")))?;
                symbi_toolclad::mcp_schema(tool)
            }
            _ => return Err(Failure::invalid(anyhow!("give a schema file or --tool NAME"))),
        };
        let now = i64::try_from(
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default(),
        )
        .unwrap_or_default();
        let signed = SignedSchema::sign(schema, &publisher.key, kid, now).context("cannot sign")?;
        match output {
            Some(path) => {
                fs::write(path, signed.to_json()).with_context(|| format!("cannot write `{}`", path.display()))?
            }
            None => println!("{}", signed.to_json()),
        }
        Ok(Exit::Success)
    }

    fn verify(&self, config: &Config, args: &VerifyArgs) -> Outcome {
        let signed = SignedSchema::from_json(&read(&args.signed)?)
            .map_err(|e| Failure::invalid(anyhow!("`{}`: {e}", args.signed.display())))?;
        let domain = Domain::new(&args.domain).map_err(Failure::invalid)?;
        let (discovery, revocation) = match &args.discovery {
            Some(path) => {
                let discovery = DiscoveryDocument::from_json(&read(path)?)
                    .map_err(|e| Failure::invalid(anyhow!("`{}`: {e}", path.display())))?;
                let revocation = match &args.revocation {
                    Some(path) => Some(
                        RevocationDocument::from_json(&read(path)?)
                            .map_err(|e| Failure::invalid(anyhow!("`{}`: {e}", path.display())))?,
                    ),
                    None => None,
                };
                (discovery, revocation)
            }
            None if args.fetch => {
                let (_driver, fetcher) = super::trust_fetcher(config)?;
                match fetcher.schemapin().discovery(&domain) {
                    Ok(documents) => documents,
                    Err(error) => return refused(error.code(), &error.to_string(), args.json),
                }
            }
            None => {
                let message = format!(
                    "no discovery document for `{domain}`: give --discovery FILE, or allow fetching \
                     (drop --offline; `[trust] fetch = true`)"
                );
                return refused("DISCOVERY_FETCH_FAILED", &message, args.json);
            }
        };
        let name = match &args.tool {
            Some(name) => name.clone(),
            None => signed.schema.get("name").and_then(Value::as_str).unwrap_or_default().to_owned(),
        };
        let tool = ToolName::new(&name).map_err(|e| Failure::invalid(anyhow!("tool `{name}`: {e}")))?;
        let mode: PinMode = args.pin_mode.parse().map_err(Failure::invalid)?;
        let verifier = Verifier::new(self.pins()?, VerifierConfig { mode, ..VerifierConfig::default() });
        let outcome = verifier.verify(&SchemaRequest {
            tool: &tool,
            domain: &domain,
            schema: &signed.schema,
            signature: &signed.signature,
            kid: signed.kid.as_deref(),
            canonicalization: signed.canonicalization.as_deref(),
            discovery: &discovery,
            revocation: revocation.as_ref(),
        });
        match outcome {
            Ok(verified) => {
                let status = format!("{:?}", verified.pin_status()).to_lowercase();
                if args.json {
                    println!(
                        "{}",
                        json!({"valid": true, "tool": tool.as_str(), "domain": domain.as_str(),
                        "fingerprint": verified.fingerprint().as_str(), "pin": status,
                        "developer_name": verified.developer_name()})
                    );
                } else {
                    println!("valid: `{tool}` from {domain}, key {} (pin: {status})", verified.fingerprint().as_str());
                }
                Ok(Exit::Success)
            }
            Err(error) => {
                if matches!(error, VerifyError::KeyChanged { .. } | VerifyError::NotPinned { .. }) {
                    let event = symbi_audit::Event::auth_failure("cli", format!("{}: {error}", error.code()))
                        .with_principal(format!("SchemaPin::\"{domain}/{tool}\""));
                    self.record(event)?;
                }
                refused(error.code(), &error.to_string(), args.json)
            }
        }
    }

    fn pin(
        &self,
        tool: &str,
        domain: &str,
        discovery: Option<&Path>,
        fingerprint: Option<&str>,
        force: bool,
    ) -> Outcome {
        let (tool, domain) = names(tool, domain)?;
        let key = match (discovery, fingerprint) {
            (Some(path), None) => {
                let doc = DiscoveryDocument::from_json(&read(path)?)
                    .map_err(|e| Failure::invalid(anyhow!("`{}`: {e}", path.display())))?;
                doc.select_key(None).map_err(Failure::invalid)?.fingerprint().clone()
            }
            (None, Some(text)) => Fingerprint::parse(text).map_err(Failure::invalid)?,
            _ => return Err(Failure::invalid(anyhow!("give --discovery FILE or --fingerprint sha256:…"))),
        };
        let verifier = Verifier::new(self.pins()?, VerifierConfig::default());
        let action = if force { "repin" } else { "pin" };
        let event = symbi_audit::Event::key_management(
            super::cli_principal(),
            action,
            format!("SchemaPin::\"{domain}/{tool}\""),
        )
        .with_surface("cli")
        .with_reason(format!("key {}", key.as_str()));
        self.record(event).map_err(|e| e.context("the pin was not changed"))?;
        if force {
            verifier.force_repin(&tool, &domain, &key).context("cannot re-pin")?;
            println!("pinned `{tool}` from {domain} to {} (forced)", key.as_str());
        } else {
            match verifier.pin(&tool, &domain, &key) {
                Ok(status) => println!("pinned `{tool}` from {domain} to {} ({status:?})", key.as_str()),
                Err(error @ VerifyError::KeyChanged { .. }) => {
                    println!("refused: {}: {error}; pass --force to re-pin", error.code());
                    return Ok(Exit::Problems);
                }
                Err(error) => return Err(anyhow::Error::new(error).into()),
            }
        }
        Ok(Exit::Success)
    }

    fn unpin(&self, tool: &str, domain: &str) -> Outcome {
        let (tool, domain) = names(tool, domain)?;
        let pins = self.pins()?;
        if pins.get(&tool, &domain).context("cannot read pins")?.is_none() {
            return Err(Failure::invalid(anyhow!("`{tool}` from {domain} is not pinned")));
        }
        let event = symbi_audit::Event::key_management(
            super::cli_principal(),
            "unpin",
            format!("SchemaPin::\"{domain}/{tool}\""),
        )
        .with_surface("cli");
        self.record(event).map_err(|e| e.context("the pin was not removed"))?;
        pins.remove(&tool, &domain).context("cannot remove the pin")?;
        println!("unpinned `{tool}` from {domain}; its next verification pins whatever key it presents");
        Ok(Exit::Success)
    }

    fn list(&self, json: bool) -> Outcome {
        let pins = self.pins()?.list().context("cannot read pins")?;
        if json {
            let rows: Vec<Value> = pins
                .iter()
                .map(|p| json!({"tool": p.tool.as_str(), "domain": p.domain.as_str(), "fingerprint": p.fingerprint.as_str(), "pinned_at": p.pinned_at}))
                .collect();
            println!("{}", Value::Array(rows));
            return Ok(Exit::Success);
        }
        if pins.is_empty() {
            eprintln!("symbi: no pins yet; `symbi schemapin verify` pins a key on first use");
        }
        for p in &pins {
            println!("{:<32} {:<32} {}", p.domain.as_str(), p.tool.as_str(), p.fingerprint.as_str());
        }
        Ok(Exit::Success)
    }

    fn well_known(&self) -> Outcome {
        let publisher = self.publisher()?;
        let catalog = symbi_toolclad::Catalog::load(&self.dir).map_err(Failure::invalid)?;
        println!("{:#}", publisher.well_known(&catalog));
        Ok(Exit::Success)
    }

    fn publisher(&self) -> Result<Publisher, Failure> {
        Publisher::load(&self.data_dir)?
            .ok_or_else(|| Failure::invalid(anyhow!("no publisher key; create one with `symbi schemapin keygen`")))
    }

    /// The project store's pins: the same table the runtime reads.
    fn pins(&self) -> Result<Arc<dyn PinStore>, Failure> {
        let data_dir = DataDir::prepare(&self.data_dir)?;
        let store = SqliteStore::open(&data_dir.store_file())
            .with_context(|| format!("cannot open the store in `{}`", data_dir.path().display()))?;
        Ok(Arc::new(store))
    }

    fn record(&self, event: symbi_audit::Event) -> anyhow::Result<()> {
        let dir = symbi_runtime::audit_dir(&self.data_dir);
        super::small_runtime().map_err(|e| anyhow!("{e}"))?.block_on(super::record_event(&dir, event))
    }
}

/// Prints a refusal with the ecosystem's error code; exit 1.
fn refused(code: &str, error: &str, json: bool) -> Outcome {
    if json {
        println!("{}", json!({"valid": false, "error_code": code, "error": error}));
    } else {
        println!("refused: {code}: {error}");
    }
    Ok(Exit::Problems)
}

fn names(tool: &str, domain: &str) -> Result<(ToolName, Domain), Failure> {
    Ok((
        ToolName::new(tool).map_err(|e| Failure::invalid(anyhow!("tool `{tool}`: {e}")))?,
        Domain::new(domain).map_err(|e| Failure::invalid(anyhow!("domain `{domain}`: {e}")))?,
    ))
}

fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    fs::read(path).map_err(|e| Failure::invalid(anyhow!("cannot read `{}`: {e}", path.display())))
}
