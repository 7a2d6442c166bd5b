//! The command line: init, keys, doctor, exit codes and error formats.

use crate::util::{Project, symbi};

#[test]
fn init_scaffolds_every_profile_and_refuses_to_overwrite() {
    for (profile, agent) in [
        ("minimal", "agents/hello.symbi"),
        ("assistant", "agents/assistant.symbi"),
        ("dev-agent", "agents/dev.symbi"),
        ("multi-agent", "agents/planner.symbi"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_str().unwrap();
        let out = symbi(&["init", path, "--profile", profile, "--no-interact"], &[]);
        assert!(out.status.success(), "{profile}: {}", String::from_utf8_lossy(&out.stderr));
        for file in ["symbiont.toml", "policies/default.cedar", agent, ".gitignore", "tools/file_hash.clad.toml"] {
            assert!(dir.path().join(file).is_file(), "{profile}: {file} missing");
        }
        assert!(std::fs::read_to_string(dir.path().join(".gitignore")).unwrap().contains("/.symbi/"));

        let again = symbi(&["init", path, "--profile", profile, "--no-interact"], &[]);
        assert_eq!(again.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
        let forced = symbi(&["init", path, "--profile", profile, "--no-interact", "--force"], &[]);
        assert!(forced.status.success());
        let gitignore = std::fs::read_to_string(dir.path().join(".gitignore")).unwrap();
        assert_eq!(gitignore.matches("/.symbi/").count(), 1, "gitignore entry duplicated");
    }
}

#[test]
fn keys_create_list_revoke() {
    let project = Project::new();
    let created = project.run(&["keys", "create", "--agent", "a1", "--agent", "a2", "--description", "ci"]);
    assert!(created.status.success());
    let token = String::from_utf8(created.stdout).unwrap();
    let key_id = token.trim().split_once('.').unwrap().0.to_owned();

    let listed: serde_json::Value = serde_json::from_slice(&project.run(&["keys", "list", "--json"]).stdout).unwrap();
    assert_eq!(listed[0]["key_id"], key_id.as_str());
    assert_eq!(listed[0]["agents"], serde_json::json!(["a1", "a2"]));
    assert!(!listed.to_string().contains(token.trim()), "list must not show secrets");
    let table = String::from_utf8(project.run(&["keys", "list"]).stdout).unwrap();
    assert!(table.contains(&key_id) && table.contains("live"));

    assert!(project.run(&["keys", "revoke", &key_id]).status.success());
    let again = project.run(&["keys", "revoke", &key_id, "--json"]);
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&again.stdout).unwrap()["status"], "already_revoked");
    assert_eq!(project.run(&["keys", "revoke", "0000000000000000"]).status.code(), Some(2));
    assert_eq!(project.run(&["keys", "revoke", "not-a-key"]).status.code(), Some(2));
    assert_eq!(project.run(&["keys", "create", "--agent", "bad agent"]).status.code(), Some(2));
}

#[test]
fn invalid_configuration_is_exit_2_with_the_position() {
    let project = Project::new();
    project.configure("[api]\nprot = 1\n");
    let out = project.run(&["up"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("prot") && stderr.contains("line"), "{stderr}");

    let json = project.run(&["up", "--error-format", "json"]);
    let err: serde_json::Value = serde_json::from_slice(&json.stderr).unwrap();
    assert_eq!(err["code"], "INVALID_INPUT");
    assert_eq!(err["exit_code"], 2);
}

#[test]
fn doctor_reports_each_check_with_a_remedy() {
    let project = Project::new();
    let out = project.run(&["doctor", "--json", "--port", "0"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let checks: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = checks.as_array().unwrap().iter().map(|c| c["check"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "configuration",
            "data directory",
            "store",
            "audit log",
            "api port",
            "tier 2 gVisor",
            "tier 1 docker",
            "tier 3 microVM"
        ]
    );
    for check in checks.as_array().unwrap() {
        assert_eq!(check["remedy"].is_string(), check["status"] != "ok", "{check}");
    }

    // A port in use is a failing check with exit code 1.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let busy = project.run(&["doctor", "--port", &port]);
    assert_eq!(busy.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&busy.stdout).contains("symbi up --port"));
}

#[test]
fn help_lists_exit_codes() {
    let out = symbi(&["--help"], &[]);
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("Exit codes:") && help.contains("invalid input"));
    for command in ["init", "up", "keys", "doctor"] {
        assert!(help.contains(command));
    }
}

#[test]
fn dsl_check_reports_positions_and_fmt_rewrites_only_valid_files() {
    let project = Project::scaffolded();
    let hello = project.path().join("agents/hello.symbi");
    let hello = hello.to_str().unwrap();
    let ok = symbi(&["dsl", "check", hello], &[]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    // The scaffold writes canonical files.
    assert!(symbi(&["fmt", "--check", hello], &[]).status.success());

    let broken = project.path().join("agents/broken.symbi");
    std::fs::write(&broken, "agent broken {\n    with sandbox = \"tier9\" {\n        return 1;\n    }\n}\n").unwrap();
    let broken = broken.to_str().unwrap();
    let out = symbi(&["dsl", "check", "--json", hello, broken], &[]);
    assert_eq!(out.status.code(), Some(1));
    let reports: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(reports[0]["ok"], true);
    assert_eq!(reports[1]["diagnostics"][0]["line"], 2);
    assert!(reports[1]["diagnostics"][0]["message"].as_str().unwrap().contains("tier9"));

    std::fs::write(project.path().join("agents/syntax.symbi"), "agent x {\n").unwrap();
    let syntax = project.path().join("agents/syntax.symbi");
    let before = std::fs::read_to_string(&syntax).unwrap();
    assert_eq!(symbi(&["fmt", syntax.to_str().unwrap()], &[]).status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&syntax).unwrap(), before, "a file with errors is never rewritten");
}
