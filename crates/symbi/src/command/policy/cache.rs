//! The hook's cache of the project's compiled policy set, so `symbi policy evaluate` does not
//! parse and validate every policy on each tool call. The cache is keyed by a SHA-256 of every
//! input (each policy file's and agent file's path and content, the symbi version and the
//! binary's size and modification time), recomputed on every call: a changed input never uses a
//! stale cache. A cache that is missing, damaged or keyed differently is rebuilt; it is written
//! to a temporary file and renamed into place, so a reader sees a whole file or none. It also
//! keeps the hash the set is archived under in the audit log, so a decision's record does not
//! rebuild and rehash the set's text.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::os::unix::fs::DirBuilderExt as _;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use symbi_audit::Sha256Hash;
use symbi_policy::{Policies, PolicySource};

/// The first word of a cache file; a later layout gets a new word.
const MAGIC: &str = "symbi-hook-cache/2";

/// What `.symbi` files say about one agent, as decisions read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct AgentView {
    pub(super) sandbox_tier: Option<u8>,
    pub(super) capabilities: Vec<String>,
}

/// The agent definitions the set was compiled with, by name.
pub(super) type Agents = BTreeMap<String, AgentView>;

/// The cache file of a project whose data directory is `data_dir`.
pub(super) fn path(data_dir: &Path) -> PathBuf {
    data_dir.join("cache").join("hook-policies")
}

/// The key of a set compiled from policy `sources` and agent files (`(label, text)`).
pub(super) fn key(sources: &[PolicySource], agent_files: &[(String, String)]) -> String {
    let mut hash = Sha256::new();
    let mut part = |bytes: &[u8]| {
        // Length-prefixed, so moving bytes from one part to the next changes the key.
        hash.update(u64::try_from(bytes.len()).unwrap_or(u64::MAX).to_le_bytes());
        hash.update(bytes);
    };
    part(MAGIC.as_bytes());
    part(env!("CARGO_PKG_VERSION").as_bytes());
    part(binary_stamp().as_bytes());
    for source in sources {
        part(source.origin.as_bytes());
        part(source.surface.map_or("", |s| s.as_str()).as_bytes());
        part(source.text.as_bytes());
    }
    part(b"agents");
    for (label, text) in agent_files {
        part(label.as_bytes());
        part(text.as_bytes());
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Size and modification time of the running binary: a rebuilt symbi of the same version may
/// compile the same files differently.
fn binary_stamp() -> String {
    let meta = std::env::current_exe().and_then(std::fs::metadata);
    match meta {
        Ok(meta) => {
            let modified = meta.modified().ok().and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok());
            format!("{}:{}", meta.len(), modified.map_or(0, |d| d.as_nanos()))
        }
        Err(_) => String::new(),
    }
}

/// A compiled set as the cache keeps it.
#[derive(Debug)]
pub(super) struct Cached {
    pub(super) policies: Policies,
    pub(super) agents: Agents,
    /// The hash of the set's archive text (`Policies::archive_text`).
    pub(super) set_hash: Sha256Hash,
}

/// The cached set at `path`, if it was written under `key` and reads back whole.
pub(super) fn read(path: &Path, key: &str) -> Option<Cached> {
    let text = std::fs::read_to_string(path).ok()?;
    let (header, rest) = text.split_once('\n')?;
    let (magic_and_key, set_hash) = header.rsplit_once(' ')?;
    if magic_and_key != format!("{MAGIC} {key}") {
        return None;
    }
    let set_hash = set_hash.parse().ok()?;
    let (agents, policies) = rest.split_once('\n')?;
    let agents = read_agents(&serde_json::from_str(agents).ok()?)?;
    // The key names every input the set was compiled from, and the file is ours (the project's
    // data directory): this is text `cache_text` wrote for a set that validated.
    let policies = Policies::dangerous_from_cache_text(policies).ok()?;
    Some(Cached { policies, agents, set_hash })
}

/// Stores the set compiled under `key`, with its archive hash. Best effort: a hook that cannot
/// write its cache still answers, only slower next time.
pub(super) fn write(path: &Path, key: &str, policies: &Policies, agents: &Agents) {
    let Some(dir) = path.parent() else { return };
    let agents: serde_json::Map<String, Value> = agents
        .iter()
        .map(|(name, a)| (name.clone(), json!({"sandbox_tier": a.sandbox_tier, "capabilities": a.capabilities})))
        .collect();
    let set_hash = Sha256Hash::digest(policies.archive_text().as_bytes());
    let body = format!("{MAGIC} {key} {set_hash}\n{}\n{}", Value::Object(agents), policies.cache_text());
    let temp = dir.join(format!(".hook-policies.{}.tmp", std::process::id()));
    // Private like the data directory itself (`symbi up` tightens a looser one with a warning).
    let written = std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .and_then(|()| std::fs::File::create(&temp))
        .and_then(|mut file| file.write_all(body.as_bytes()))
        .and_then(|()| std::fs::rename(&temp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
}

fn read_agents(value: &Value) -> Option<Agents> {
    let mut agents = Agents::new();
    for (name, agent) in value.as_object()? {
        let sandbox_tier = match agent.get("sandbox_tier")? {
            Value::Null => None,
            tier => Some(u8::try_from(tier.as_u64()?).ok()?),
        };
        let capabilities = agent
            .get("capabilities")?
            .as_array()?
            .iter()
            .map(|c| c.as_str().map(str::to_owned))
            .collect::<Option<_>>()?;
        agents.insert(name.clone(), AgentView { sandbox_tier, capabilities });
    }
    Some(agents)
}

#[cfg(test)]
mod tests {
    use symbi_policy::Surface;

    use super::*;

    fn compiled() -> Policies {
        let source = PolicySource {
            origin: "policies/a.cedar".into(),
            surface: Some(Surface::Hook),
            text: "permit(principal, action, resource);".into(),
        };
        Policies::compile(&[source]).unwrap()
    }

    #[test]
    fn a_written_cache_reads_back_under_its_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let file = path(dir.path());
        let agents =
            Agents::from([("dev".to_owned(), AgentView { sandbox_tier: Some(2), capabilities: vec!["read".into()] })]);
        write(&file, "k1", &compiled(), &agents);
        let cached = read(&file, "k1").unwrap();
        assert_eq!((cached.policies.len(), cached.agents), (1, agents));
        assert_eq!(cached.set_hash, Sha256Hash::digest(compiled().archive_text().as_bytes()));
        assert!(read(&file, "k2").is_none());
        let hash = cached.set_hash;
        std::fs::write(&file, format!("{MAGIC} k1 {hash}\n{{}}\nnot json")).unwrap();
        assert!(read(&file, "k1").is_none(), "a damaged cache is ignored");
        std::fs::write(&file, format!("{MAGIC} k1 not-a-hash\n{{}}\n{}", compiled().cache_text())).unwrap();
        assert!(read(&file, "k1").is_none(), "a damaged cache is ignored");
        std::fs::write(&file, "").unwrap();
        assert!(read(&file, "k1").is_none());
    }

    #[test]
    fn every_input_is_in_the_key() {
        let source =
            |origin: &str, text: &str| PolicySource { origin: origin.into(), surface: None, text: text.into() };
        let base = key(&[source("a", "x")], &[("agents/a.symbi".into(), "agent".into())]);
        assert_ne!(base, key(&[source("a", "y")], &[("agents/a.symbi".into(), "agent".into())]));
        assert_ne!(base, key(&[source("b", "x")], &[("agents/a.symbi".into(), "agent".into())]));
        assert_ne!(base, key(&[source("a", "x")], &[("agents/a.symbi".into(), "agent2".into())]));
        assert_ne!(base, key(&[source("a", "x")], &[]));
        assert_ne!(key(&[source("a", "xy")], &[]), key(&[source("ax", "y")], &[]));
        let mut surfaced = source("a", "x");
        surfaced.surface = Some(Surface::Hook);
        assert_ne!(base, key(&[surfaced], &[("agents/a.symbi".into(), "agent".into())]));
    }
}
