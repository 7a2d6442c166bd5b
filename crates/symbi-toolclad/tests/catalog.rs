//! Loading a project: errors from every file at once with file and line, custom types from
//! `toolclad.toml`, the scope file, and what policy and MCP clients see of a tool.

mod support;

use std::path::Path;

use serde_json::json;
use support::{project, tool_head};
use symbi_toolclad::{Catalog, PolicyFacts, RiskTier, ToolCall, cedar_template, mcp_schema};

#[expect(clippy::unwrap_used, reason = "a project that cannot be written fails the test")]
fn write(dir: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

#[test]
fn reports_every_problem_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad_arg = format!(
        "{}[args.n]\ntype = \"integer\"\nmin = 5\ndefault = 1\n[command]\nexec = [\"t\"]\n[output]\n",
        tool_head("a", 5)
    );
    let dup = format!("{}[command]\nexec = [\"t\"]\n[output]\n", tool_head("a", 5));
    write(
        dir.path(),
        &[
            ("tools/a.clad.toml", &bad_arg),
            ("tools/b.clad.toml", "[tool\nname = 1\n"),
            ("tools/c.clad.toml", &dup),
            ("tools/d.clad.toml", &dup),
            ("toolclad.toml", "[types.level]\nbase = \"strnig\"\n"),
            ("scope/scope.toml", "targets = [\"10.0.0.0/8\"]\ndomains = [\"ok.example\", \"bad domain\"]\n"),
            ("tools/ignored.toml", "not a manifest"),
        ],
    );
    let errors = Catalog::load(dir.path()).unwrap_err();
    let lines: Vec<String> = errors
        .errors()
        .iter()
        .map(|e| format!("{}:{}", e.file().strip_prefix(dir.path()).unwrap_or(e.file()).display(), e.line()))
        .collect();
    assert_eq!(
        lines,
        ["scope/scope.toml:2", "toolclad.toml:1", "tools/a.clad.toml:7", "tools/b.clad.toml:1", "tools/d.clad.toml:1"],
        "{errors}"
    );
    let text = errors.to_string();
    for needle in [
        "`bad domain` in `domains`",
        "invalid base type `strnig`",
        "`default` is below the minimum 5",
        "tool `a` is already defined",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
}

#[test]
fn custom_types_constrain_like_built_ins() {
    let dir = tempfile::tempdir().unwrap();
    let tool = format!(
        "{}[args.level]\ntype = \"severity\"\nrequired = true\n[args.rate]\ntype = \"scan_rate\"\ndefault = 100\n[command]\nexec = [\"t\", \"{{level}}\", \"{{rate}}\"]\n[output]\n",
        tool_head("t", 5)
    );
    write(
        dir.path(),
        &[
            (
                "toolclad.toml",
                "[types.severity]\nbase = \"enum\"\nallowed = [\"low\", \"high\"]\n[types.scan_rate]\nbase = \"integer\"\nmin = 1\nmax = 1000\ndescription = \"packets per second\"\n",
            ),
            ("tools/t.clad.toml", &tool),
        ],
    );
    let catalog = Catalog::load(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        catalog.validate(&ToolCall::new("t").arg("level", "high")).unwrap().argv_preview(),
        ["t", "high", "100"]
    );
    assert!(catalog.validate(&ToolCall::new("t").arg("level", "medium")).is_err());
    assert!(catalog.validate(&ToolCall::new("t").arg("level", "low").arg("rate", "5000")).is_err());
    let schema = mcp_schema(catalog.tool("t").unwrap());
    assert_eq!(schema.pointer("/inputSchema/properties/level/enum"), Some(&json!(["low", "high"])));
    assert_eq!(schema.pointer("/inputSchema/properties/rate/maximum"), Some(&json!(1000)));
}

#[test]
fn one_manifest_is_checked_with_the_projects_types_and_scope_without_installing_it() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[("toolclad.toml", "[types.severity]\nbase = \"enum\"\nallowed = [\"low\", \"high\"]\n")]);
    let draft = format!(
        "{}[args.level]\ntype = \"severity\"\n[command]\nexec = [\"t\", \"{{level}}\"]\n[output]\n",
        tool_head("draft", 5)
    );
    let tool = Catalog::check_manifest(dir.path(), Path::new("tools/draft.clad.toml"), &draft).unwrap();
    assert_eq!(tool.name(), "draft");
    assert_eq!(Catalog::load(dir.path()).unwrap().tools().count(), 0, "nothing is installed");

    let broken = draft.replace("{level}", "{levle}");
    let errors = Catalog::check_manifest(dir.path(), Path::new("tools/draft.clad.toml"), &broken).unwrap_err();
    let [only] = errors.errors() else { panic!("one problem expected: {errors}") };
    assert_eq!(only.file(), Path::new("tools/draft.clad.toml"));
    assert!(only.message().contains("`{levle}`"), "{only}");

    // A broken scope file is reported too: the manifest would be loaded with it.
    write(dir.path(), &[("scope/scope.toml", "targets = [\"not an address\"]\n")]);
    let errors = Catalog::check_manifest(dir.path(), Path::new("tools/draft.clad.toml"), &draft).unwrap_err();
    assert!(errors.errors().iter().any(|e| e.file().ends_with("scope/scope.toml")), "{errors}");
}

#[expect(clippy::panic, reason = "shipped manifests that do not load fail the test")]
fn examples() -> Catalog {
    Catalog::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn policy_facts_and_cedar_templates() {
    let catalog = examples();
    let nmap = catalog.tool("nmap_scan").unwrap();
    let facts = PolicyFacts::of(nmap);
    assert_eq!(
        facts,
        PolicyFacts {
            tool: "nmap_scan".into(),
            risk_tier: RiskTier::Low,
            tool_sets: vec!["pentest".into()],
            verified: false,
            human_approval: true
        }
    );
    assert!(facts.needs_approval());
    let cedar = cedar_template(nmap);
    assert!(cedar.contains("@approval\npermit(\n  principal,\n  action == Action::\"execute_tool\",\n  resource == Tool::\"nmap_scan\"\n);"), "{cedar}");
    let hash = cedar_template(catalog.tool("file_hash").unwrap());
    assert!(!hash.contains("@approval"), "{hash}");
    assert!(hash.contains("risk_tier = \"info\""));
}

#[test]
fn mcp_schema_follows_the_published_mapping() {
    let catalog = examples();
    let schema = mcp_schema(catalog.tool("search_text").unwrap());
    assert_eq!(schema.get("name"), Some(&json!("search_text")));
    assert_eq!(schema.pointer("/inputSchema/required"), Some(&json!(["text"])));
    assert_eq!(
        schema.pointer("/inputSchema/properties/max_count"),
        Some(
            &json!({"type": "integer", "minimum": 1, "maximum": 1000, "default": 50, "description": "Stop after this many matching lines per file"})
        )
    );
    assert_eq!(schema.pointer("/outputSchema/properties/status/enum"), Some(&json!(["success", "error", "timeout"])));
    let nmap = mcp_schema(catalog.tool("nmap_scan").unwrap());
    assert_eq!(
        nmap.pointer("/inputSchema/properties/ports/pattern"),
        Some(&json!("^(?:[0-9]{1,5}(-[0-9]{1,5})?(,[0-9]{1,5}(-[0-9]{1,5})?)*)$"))
    );
}

#[test]
fn without_a_scope_file_every_target_is_refused() {
    let tool = format!(
        "{}[args.v]\ntype = \"scope_target\"\nrequired = true\n[command]\nexec = [\"t\", \"{{v}}\"]\n[output]\n",
        tool_head("t", 5)
    );
    let (_dir, catalog) = project(&[("t", tool)], None);
    for target in ["example.com", "10.0.0.1", "::1", "10.0.0.0/8"] {
        let err = catalog.validate(&ToolCall::new("t").arg("v", target)).unwrap_err();
        assert!(err.to_string().contains("is out of scope"), "{target}: {err}");
    }
}

#[test]
fn cedar_templates_compile_and_decide_against_the_real_schema() {
    use symbi_policy::{
        Action, Decision, EntityRef, EntitySetBuilder, Policies, PolicyRequest, PolicySource, Surface, ToolFacts,
    };
    let catalog = examples();
    let sources: Vec<PolicySource> = catalog
        .tools()
        .map(|t| PolicySource { origin: format!("{}.cedar", t.name()), surface: None, text: cedar_template(t) })
        .collect();
    let policies = Policies::compile(&sources).unwrap_or_else(|e| panic!("{e}"));
    let mut entities = EntitySetBuilder::new();
    for tool in catalog.tools() {
        let facts = PolicyFacts::of(tool);
        entities.tool(&ToolFacts {
            id: facts.tool,
            risk_tier: facts.risk_tier.as_str().to_owned(),
            verified: facts.verified,
            source: "toolclad".into(),
            tool_sets: facts.tool_sets,
        });
    }
    let entities = entities.build().unwrap();
    let decide = |tool: &str| {
        let request = PolicyRequest {
            principal: EntityRef::Agent("planner".into()),
            action: Action::ExecuteTool,
            resource: EntityRef::Tool(tool.into()),
            surface: Surface::Api,
            delegation_depth: None,
        };
        policies.evaluate(&request, &entities).decision
    };
    assert_eq!(decide("file_hash"), Decision::Allow);
    assert_eq!(decide("nmap_scan"), Decision::RequireApproval);
    assert_eq!(decide("shell_exec"), Decision::Deny);
}
