use std::collections::HashMap;

use super::*;

fn load(file: Option<&str>, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    if let Some(text) = file {
        std::fs::write(dir.path().join(FILE_NAME), text).unwrap();
    }
    let env: HashMap<String, String> = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let mut config = Config::load_with_env(dir.path(), &|k| env.get(k).cloned())?;
    // Make the result comparable with `Config::default()`.
    config.data_dir = config.data_dir.strip_prefix(dir.path()).unwrap_or(&config.data_dir).to_owned();
    config.policy.dir = config.policy.dir.strip_prefix(dir.path()).unwrap_or(&config.policy.dir).to_owned();
    config.agents_dir = config.agents_dir.strip_prefix(dir.path()).unwrap_or(&config.agents_dir).to_owned();
    Ok(config)
}

#[test]
fn missing_file_gives_defaults() {
    assert_eq!(load(None, &[]).unwrap(), Config::default());
}

#[test]
fn commented_template_gives_defaults() {
    assert_eq!(load(Some(TEMPLATE), &[]).unwrap(), Config::default());
}

#[test]
fn uncommented_template_states_the_true_defaults() {
    // Every `# key = value` line in the template, uncommented, must reproduce the defaults: the
    // template is the one documented place for them.
    let uncommented: String = TEMPLATE
        .lines()
        .map(|line| match line.strip_prefix("# ") {
            Some(rest) if rest.contains(" = ") && !rest.starts_with("Env") => rest,
            _ => line,
        })
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(uncommented.contains("\nport = 8080\n"), "template lost its keys:\n{uncommented}");
    assert_eq!(load(Some(&uncommented), &[]).unwrap(), Config::default());
}

#[test]
fn file_values_apply() {
    let c = load(
        Some(
            r#"
[api]
port = 9000
trusted_proxies = ["10.0.0.0/8", "192.0.2.7"]
[api.rate_limit]
burst = 5
"#,
        ),
        &[],
    )
    .unwrap();
    assert_eq!(c.api.port, 9000);
    assert_eq!(c.api.trusted_proxies.len(), 2);
    assert_eq!(c.api.rate_limit.burst.get(), 5);
}

#[test]
fn environment_overrides_file() {
    let c = load(
        Some("[api]\nport = 9000\n"),
        &[("SYMBIONT_API_PORT", "9100"), ("SYMBIONT_CORS_ORIGINS", "https://a.example, https://b.example")],
    )
    .unwrap();
    assert_eq!(c.api.port, 9100);
    assert_eq!(c.api.cors_origins, ["https://a.example", "https://b.example"]);
}

#[test]
fn unknown_key_is_refused_with_its_position() {
    let err = load(Some("[api]\nprot = 1\n"), &[]).unwrap_err().to_string();
    assert!(err.starts_with("invalid configuration in `"), "{err}");
    assert!(err.ends_with("symbiont.toml`: line 2, column 1: unknown field `prot`, expected one of `bind`, `port`, `body_limit_bytes`, `request_timeout_ms`, `shutdown_grace_ms`, `cors_origins`, `trusted_proxies`, `rate_limit`"), "{err}");
}

#[test]
fn bad_env_value_names_the_variable() {
    let err = load(None, &[("SYMBIONT_API_PORT", "eighty")]).unwrap_err().to_string();
    assert_eq!(err, "invalid value `eighty` for `SYMBIONT_API_PORT`: expected a port number");
}

#[test]
fn zero_rate_is_refused() {
    assert!(load(Some("[api.rate_limit]\nper_second = 0\n"), &[]).is_err());
}

#[test]
fn empty_admin_token_is_unset() {
    assert_eq!(load(None, &[("SYMBIONT_API_TOKEN", "")]).unwrap().api.admin_token, None);
    let set = load(None, &[("SYMBIONT_API_TOKEN", "t0k")]).unwrap().api.admin_token.unwrap();
    assert_eq!(format!("{set:?}"), "AdminToken(<redacted>)");
}

#[test]
fn seed_communication_rules_load_as_written() {
    // Verbatim from the trust-stack seed.
    let c = load(
        Some(
            r#"
[[communication_policy.rules]]
from = "worker-*"
to   = "planner"
action = "delegate"
effect = "deny"
reason = "Workers cannot delegate tasks to the planner"

[[communication_policy.rules]]
from = "planner"
to   = "worker-*"
action = "delegate"
effect = "allow"
max_depth = 2
"#,
        ),
        &[],
    )
    .unwrap();
    let gate = symbi_policy::CommunicationGate::new(c.communication_rules);
    let delegate = symbi_policy::CommunicationAction::Delegate;
    let denied = gate.evaluate("worker-3", "planner", delegate, 1);
    assert_eq!((denied.allowed, denied.reason.as_str()), (false, "Workers cannot delegate tasks to the planner"));
    assert!(gate.evaluate("planner", "worker-3", delegate, 2).allowed);
    assert!(!gate.evaluate("planner", "worker-3", delegate, 3).allowed);
}

#[test]
fn bad_communication_rules_name_their_index() {
    let err = load(Some("[[communication_policy.rules]]\nfrom = \"a\"\nto = \"b\"\neffect = \"maybe\"\n"), &[])
        .unwrap_err()
        .to_string();
    assert_eq!(err, "invalid value `maybe` for `communication_policy.rules[0].effect`: expected `allow` or `deny`");
}

#[test]
fn groups_and_policy_dir() {
    let c = load(Some("[policy]\ndir = \"rules\"\n[groups]\ntools = { approved = [\"search\"] }\n"), &[]).unwrap();
    assert_eq!(c.groups.tools["approved"], ["search"]);
    assert!(c.policy.dir.ends_with("rules"));
}

#[test]
fn network_and_trust_sections_apply() {
    let c = load(
        Some(
            r#"
[network]
extra_ca_files = ["certs/dev-ca.pem"]
[network.resolve]
"Agents.Example.Test." = "127.0.0.1:8443"
[trust]
fetch = false
max_document_bytes = 1024
fetch_timeout_ms = 250
cache_ttl_secs = 0
dangerous_allow_loopback = true
"#,
        ),
        &[],
    )
    .unwrap();
    assert!(c.network.extra_ca_files[0].is_absolute() && c.network.extra_ca_files[0].ends_with("certs/dev-ca.pem"));
    assert_eq!(c.network.resolve["agents.example.test"], "127.0.0.1:8443".parse().unwrap());
    assert!(!c.trust.fetch && c.trust.dangerous_allow_loopback);
    assert_eq!((c.trust.max_document_bytes, c.trust.fetch_timeout), (1024, Duration::from_millis(250)));
    for bad in ["[network.resolve]\n\"a b\" = \"127.0.0.1:1\"\n", "[network.resolve]\n\"a.test\" = \"127.0.0.1\"\n"] {
        let err = load(Some(bad), &[]).unwrap_err().to_string();
        assert!(err.contains("network.resolve"), "{err}");
    }
    assert!(load(Some("[trust]\nfetch_timeout_ms = 0\n"), &[]).is_err());
}
