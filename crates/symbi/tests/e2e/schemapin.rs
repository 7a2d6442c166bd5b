//! SchemaPin from the CLI and the runtime: a publisher key, signed tool schemas, the discovery
//! document the runtime serves, trust on first use in the project's store, a changed key refused
//! (and audited) until an explicit forced re-pin.

use serde_json::Value;

use crate::util::{Project, Server, get};

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn verify(project: &Project, signed: &str, discovery: &str) -> (Option<i32>, Value) {
    let out = project.run(&[
        "schemapin",
        "verify",
        signed,
        "--domain",
        "tools.example.com",
        "--discovery",
        discovery,
        "--json",
    ]);
    (out.status.code(), serde_json::from_str(&stdout(&out)).unwrap_or(Value::Null))
}

#[test]
fn sign_publish_verify_and_pin_tool_schemas() {
    let project = Project::new();
    let path = |name: &str| project.path().join(name).to_str().unwrap().to_owned();
    let key = project.run(&["schemapin", "keygen", "--developer", "Example Tools", "--json"]);
    assert!(key.status.success(), "{}", String::from_utf8_lossy(&key.stderr));
    let fingerprint = serde_json::from_str::<Value>(&stdout(&key)).unwrap()["fingerprint"].as_str().unwrap().to_owned();
    assert!(fingerprint.starts_with("sha256:"));

    assert!(project.run(&["schemapin", "sign", "--tool", "file_hash", "-o", &path("signed.json")]).status.success());
    let well_known = project.run(&["schemapin", "well-known"]);
    assert!(well_known.status.success(), "{}", String::from_utf8_lossy(&well_known.stderr));
    std::fs::write(path("wk.json"), stdout(&well_known)).unwrap();

    let (code, first) = verify(&project, &path("signed.json"), &path("wk.json"));
    assert_eq!((code, first["pin"].as_str()), (Some(0), Some("firstuse")), "{first}");
    let (code, again) = verify(&project, &path("signed.json"), &path("wk.json"));
    assert_eq!(
        (code, again["pin"].as_str(), again["fingerprint"].as_str()),
        (Some(0), Some("pinned"), Some(fingerprint.as_str()))
    );

    // Malformed input is a clear error, not a verdict.
    std::fs::write(path("broken.json"), "{\"schema\": {").unwrap();
    let broken = project.run(&[
        "schemapin",
        "verify",
        &path("broken.json"),
        "--domain",
        "tools.example.com",
        "--discovery",
        &path("wk.json"),
    ]);
    assert_eq!(broken.status.code(), Some(2), "{}", String::from_utf8_lossy(&broken.stderr));
    let bad_domain = project.run(&[
        "schemapin",
        "verify",
        &path("signed.json"),
        "--domain",
        "../etc",
        "--discovery",
        &path("wk.json"),
    ]);
    assert_eq!(bad_domain.status.code(), Some(2));

    // Description-only tampering breaks the signature.
    let mut tampered: Value = serde_json::from_str(&std::fs::read_to_string(path("signed.json")).unwrap()).unwrap();
    tampered["schema"]["description"] = "Hash a file and upload it somewhere".into();
    std::fs::write(path("tampered.json"), tampered.to_string()).unwrap();
    let (code, refused) = verify(&project, &path("tampered.json"), &path("wk.json"));
    assert_eq!((code, refused["error_code"].as_str()), (Some(1), Some("SIGNATURE_INVALID")), "{refused}");

    // A new key is refused against the pin, and the refusal is audited, until a forced re-pin.
    assert_eq!(project.run(&["schemapin", "keygen"]).status.code(), Some(2), "no accidental replacement");
    assert!(project.run(&["schemapin", "keygen", "--force"]).status.success());
    assert!(project.run(&["schemapin", "sign", "--tool", "file_hash", "-o", &path("signed2.json")]).status.success());
    std::fs::write(path("wk2.json"), stdout(&project.run(&["schemapin", "well-known"]))).unwrap();
    let (code, refused) = verify(&project, &path("signed2.json"), &path("wk2.json"));
    assert_eq!((code, refused["error_code"].as_str()), (Some(1), Some("KEY_PIN_MISMATCH")), "{refused}");
    let failures = stdout(&project.run(&["audit", "tail", "--json", "--kind", "auth_failure"]));
    assert!(failures.contains("KEY_PIN_MISMATCH") && failures.contains("tools.example.com/file_hash"), "{failures}");
    let pin = ["schemapin", "pin", "--tool", "file_hash", "--domain", "tools.example.com", "--discovery"];
    let mut plain = pin.to_vec();
    let wk2 = path("wk2.json");
    plain.push(&wk2);
    assert_eq!(project.run(&plain).status.code(), Some(1), "a changed key needs --force");
    plain.push("--force");
    assert!(project.run(&plain).status.success());
    assert_eq!(verify(&project, &path("signed2.json"), &path("wk2.json")).0, Some(0));

    let list: Value = serde_json::from_str(&stdout(&project.run(&["schemapin", "list", "--json"]))).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert!(
        project.run(&["schemapin", "unpin", "--tool", "file_hash", "--domain", "tools.example.com"]).status.success()
    );
    assert_eq!(stdout(&project.run(&["schemapin", "list", "--json"])), "[]");
    let changes = stdout(&project.run(&["audit", "tail", "--json", "--kind", "key_management"]));
    for action in ["\"create\"", "\"replace\"", "\"repin\"", "\"unpin\""] {
        assert!(changes.contains(action), "{action} missing from {changes}");
    }

    // The runtime serves the same document, without credentials.
    let server = Server::start(&project);
    let served = get(&server.url("/.well-known/schemapin.json"), None);
    assert_eq!(served.status, 200, "{}", served.body);
    let expected: Value = serde_json::from_str(&std::fs::read_to_string(path("wk2.json")).unwrap()).unwrap();
    assert_eq!(served.json(), expected);
}

#[test]
fn a_runtime_without_a_publisher_key_publishes_nothing() {
    let project = Project::new();
    let server = Server::start(&project);
    let reply = get(&server.url("/.well-known/schemapin.json"), None);
    assert_eq!((reply.status, reply.code().as_str()), (404, "NOT_PUBLISHING"), "{}", reply.body);
}
