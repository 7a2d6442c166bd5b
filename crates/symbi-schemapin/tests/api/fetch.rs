//! The discovery fetcher's rules, driven through a scripted transport (the trait is the
//! network boundary; the runtime's real client sits behind it).

#![expect(clippy::unwrap_used, reason = "test helpers fail the test on a poisoned lock or bad fixture")]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use symbi_schemapin::{
    AddressPolicy, Domain, FetchError, Fetcher, FetcherConfig, RevocationDocument, SigningKey, Transport,
    TransportError, TransportRequest, TransportResponse, WellKnownBuilder,
};

/// Serves canned responses by URL and records every request.
#[derive(Default)]
struct Script {
    routes: HashMap<String, TransportResponse>,
    seen: Mutex<Vec<String>>,
}

impl Script {
    fn ok(mut self, url: &str, body: &[u8]) -> Self {
        self.routes.insert(url.into(), TransportResponse { status: 200, location: None, body: body.to_vec() });
        self
    }

    fn redirect(mut self, url: &str, to: &str) -> Self {
        self.routes.insert(url.into(), TransportResponse { status: 302, location: Some(to.into()), body: vec![] });
        self
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

impl Transport for Script {
    fn get(&self, request: &TransportRequest<'_>) -> Result<TransportResponse, TransportError> {
        self.seen.lock().unwrap().push(request.url.to_owned());
        let mut response = self
            .routes
            .get(request.url)
            .cloned()
            .ok_or_else(|| TransportError { message: "connection refused".into() })?;
        response.body.truncate(request.max_bytes + 1);
        Ok(response)
    }
}

const WELL_KNOWN: &str = "https://tools.example.com/.well-known/schemapin.json";

fn start(script: Script, config: FetcherConfig) -> (Fetcher, Arc<Script>) {
    let script = Arc::new(script);
    (Fetcher::new(script.clone(), config), script)
}

fn discovery_body() -> Vec<u8> {
    WellKnownBuilder::new(SigningKey::generate().unwrap().public_key()).build().to_string().into_bytes()
}

fn domain() -> Domain {
    Domain::new("tools.example.com").unwrap()
}

#[test]
fn fetches_and_caches_discovery() {
    let (fetcher, script) = start(Script::default().ok(WELL_KNOWN, &discovery_body()), FetcherConfig::default());
    let (doc, revocation) = fetcher.discovery(&domain()).unwrap();
    assert!(revocation.is_none());
    assert_eq!(fetcher.discovery(&domain()).unwrap().0, doc);
    assert_eq!(script.seen(), [WELL_KNOWN]);
}

#[test]
fn follows_safe_redirects_and_refuses_unsafe_ones() {
    let moved = "https://cdn.example.net/schemapin.json";
    let script = Script::default().redirect(WELL_KNOWN, moved).ok(moved, &discovery_body());
    let (fetcher, _) = start(script, FetcherConfig::default());
    fetcher.discovery(&domain()).unwrap();

    for (target, expected) in [
        ("https://10.0.0.5/x", "private"),
        ("https://169.254.169.254/latest/meta-data", "private"),
        ("https://[::1]/x", "private"),
        ("https://[::ffff:127.0.0.1]/x", "private"),
        ("https://[fd00::1]/x", "private"),
        ("https://127.0.0.1:8443/x", "private"),
        ("https://localhost/x", "private"),
        ("http://cdn.example.net/x", "https"),
        ("https://user:pw@cdn.example.net/x", "https"),
    ] {
        let (fetcher, script) = start(Script::default().redirect(WELL_KNOWN, target), FetcherConfig::default());
        let err = fetcher.discovery(&domain()).unwrap_err();
        match expected {
            "private" => assert!(matches!(err, FetchError::ForbiddenAddress { .. }), "{target}: {err}"),
            _ => assert!(matches!(err, FetchError::NotHttps { .. }), "{target}: {err}"),
        }
        assert_eq!(err.code(), "DISCOVERY_FETCH_FAILED");
        assert_eq!(script.seen(), [WELL_KNOWN], "{target} must never be requested");
    }

    let script = Script::default().redirect(WELL_KNOWN, "/.well-known/schemapin.json");
    let (fetcher, script) = start(script, FetcherConfig::default());
    assert!(matches!(fetcher.discovery(&domain()), Err(FetchError::Redirects { .. })));
    assert_eq!(script.seen().len(), 4);
}

#[test]
fn loopback_needs_the_explicit_flag() {
    let url = "https://localhost:8443/.well-known/schemapin.json";
    let local = Domain::new("localhost:8443").unwrap();
    let (fetcher, _) = start(Script::default().ok(url, &discovery_body()), FetcherConfig::default());
    assert!(matches!(fetcher.discovery(&local), Err(FetchError::ForbiddenAddress { .. })));
    let config = FetcherConfig { addresses: AddressPolicy::insecure_allow_loopback(), ..FetcherConfig::default() };
    let (fetcher, _) = start(Script::default().ok(url, &discovery_body()), config);
    fetcher.discovery(&local).unwrap();
    assert!(!AddressPolicy::insecure_allow_loopback().permits("192.168.1.1".parse().unwrap()));
    assert!(AddressPolicy::public_only().permits("93.184.216.34".parse().unwrap()));
}

#[test]
fn limits_size_status_and_fails_closed_on_revocation() {
    let config = FetcherConfig { max_bytes: 100, ..FetcherConfig::default() };
    let (fetcher, _) = start(Script::default().ok(WELL_KNOWN, &[b' '; 101]), config);
    assert!(matches!(fetcher.discovery(&domain()), Err(FetchError::TooLarge { limit: 100, .. })));

    let mut script = Script::default();
    script.routes.insert(WELL_KNOWN.into(), TransportResponse { status: 404, location: None, body: vec![] });
    let (fetcher, _) = start(script, FetcherConfig::default());
    assert!(matches!(fetcher.discovery(&domain()), Err(FetchError::Status { status: 404, .. })));

    let (fetcher, _) = start(Script::default().ok(WELL_KNOWN, b"{\"schema_version\":1}"), FetcherConfig::default());
    assert_eq!(fetcher.discovery(&domain()).unwrap_err().code(), "DISCOVERY_INVALID");

    let endpoint = "https://tools.example.com/.well-known/schemapin-revocations.json";
    let key = SigningKey::generate().unwrap();
    let body = WellKnownBuilder::new(key.public_key()).revocation_endpoint(endpoint).build().to_string();
    let (fetcher, _) = start(Script::default().ok(WELL_KNOWN, body.as_bytes()), FetcherConfig::default());
    assert!(matches!(fetcher.discovery(&domain()), Err(FetchError::Transport { .. })));
    let revocations = RevocationDocument::new(domain(), "2026-01-01T00:00:00Z".into()).to_value().to_string();
    let script = Script::default().ok(WELL_KNOWN, body.as_bytes()).ok(endpoint, revocations.as_bytes());
    let (fetcher, _) = start(script, FetcherConfig::default());
    assert!(fetcher.discovery(&domain()).unwrap().1.is_some());
}
