//! `.symbi` policy blocks compiled to Cedar, through the public API only: the seed and init
//! agents compile, validate with the scaffold policy and decide as their text says; every valid
//! corpus file compiles or fails with a positioned error; random conditions validate.

use std::path::Path;

use proptest::prelude::*;
use symbi_policy::{
    Action, CompiledAgentPolicies, Decision, DslCompileErrors, EntityRef, EntitySet, EntitySetBuilder, Policies,
    PolicyRequest, PolicySource, ResourceFacts, Surface, ToolFacts, compile_agent_policies,
};

/// The policy `symbi init` writes to `policies/default.cedar`.
const SCAFFOLD: &str = include_str!("../../symbi/src/command/init/default.cedar");

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../symbi-dsl/tests/corpus/valid");

#[expect(clippy::unwrap_used, reason = "a missing or unreadable fixture fails the test")]
fn corpus(name: &str) -> String {
    std::fs::read_to_string(Path::new(CORPUS).join(name)).unwrap()
}

#[expect(clippy::panic, reason = "a file that does not compile fails the test, with its diagnostics")]
fn compile(origin: &str, text: &str) -> CompiledAgentPolicies {
    match compile_agent_policies(origin, text) {
        Ok(compiled) => compiled,
        Err(e) => panic!("{}", symbi_dsl::render(origin, text, &e)),
    }
}

/// The compiled policies together with the scaffold's, validated.
#[expect(clippy::panic, reason = "generated policies that do not validate fail the test")]
fn load(compiled: &CompiledAgentPolicies) -> Policies {
    let scaffold = PolicySource { origin: "policies/default.cedar".into(), surface: None, text: SCAFFOLD.into() };
    let generated = compiled.policy_source();
    Policies::compile(&[scaffold, generated.clone()]).unwrap_or_else(|e| panic!("{e}\n{}", generated.text))
}

fn ask(policies: &Policies, entities: &EntitySet, agent: &str, action: Action, resource: EntityRef) -> Decision {
    ask_at(policies, entities, agent, action, resource, None)
}

fn ask_at(
    policies: &Policies,
    entities: &EntitySet,
    agent: &str,
    action: Action,
    resource: EntityRef,
    delegation_depth: Option<u32>,
) -> Decision {
    let request = PolicyRequest {
        principal: EntityRef::Agent(agent.into()),
        action,
        resource,
        surface: Surface::Run,
        delegation_depth,
    };
    policies.evaluate(&request, entities).decision
}

fn resource(id: &str, classification: &str, verified: Option<bool>, path: Option<&str>) -> ResourceFacts {
    ResourceFacts {
        id: id.into(),
        kind: "file".into(),
        classification: classification.into(),
        verified,
        path: path.map(Into::into),
    }
}

/// Resources `checked` (verified), `unchecked` (not verified) and `unknown` (no facts).
#[expect(clippy::unwrap_used, reason = "entities that do not fit the schema fail the test")]
fn data_world() -> EntitySet {
    let mut b = EntitySetBuilder::new();
    b.resource_facts(&resource("checked", "internal", Some(true), None));
    b.resource_facts(&resource("unchecked", "internal", Some(false), None));
    b.resource_facts(&resource("unknown", "internal", None, None));
    b.build().unwrap()
}

fn res(id: &str) -> EntityRef {
    EntityRef::Resource(id.into())
}

fn tool(id: &str) -> EntityRef {
    EntityRef::Tool(id.into())
}

#[test]
fn the_seed_compiles_and_decides_as_written() {
    let compiled = compile("agents/secure_analyst.symbi", &corpus("seed_secure_analyst.symbi"));
    let agent = compiled.agent("secure_analyst").unwrap();
    assert_eq!(agent.audit_level(), Some("all_operations"));
    assert_eq!(agent.len(), 2);
    let policies = load(&compiled);
    let world = data_world();
    let decide = |action, resource| ask(&policies, &world, "secure_analyst", action, resource);
    // `with requires = "approval"` holds even allowed reads for a person.
    assert_eq!(decide(Action::Read, res("checked")), Decision::RequireApproval);
    assert_eq!(decide(Action::Read, res("unchecked")), Decision::Deny);
    assert_eq!(decide(Action::Read, res("unknown")), Decision::Deny);
    assert_eq!(decide(Action::Read, res("not-registered")), Decision::Deny);
    assert_eq!(decide(Action::InvokeTool, tool("send_email")), Decision::RequireApproval);
    // A bare tool name covers running the tool through its manifest too.
    assert_eq!(decide(Action::ExecuteTool, tool("send_email")), Decision::RequireApproval);
    // Default deny for everything the text does not mention.
    assert_eq!(decide(Action::Write, res("checked")), Decision::Deny);
    assert_eq!(decide(Action::InvokeTool, tool("analyze")), Decision::Deny);
    assert_eq!(decide(Action::InvokeTool, tool("shell_exec")), Decision::Deny);
    // Another agent gets nothing from these policies.
    assert_eq!(ask(&policies, &world, "other", Action::Read, res("checked")), Decision::Deny);
    assert_eq!(ask(&policies, &world, "other", Action::InvokeTool, tool("send_email")), Decision::Deny);

    let held = policies.evaluate(
        &PolicyRequest {
            principal: EntityRef::Agent("secure_analyst".into()),
            action: Action::InvokeTool,
            resource: tool("send_email"),
            surface: Surface::Api,
            delegation_depth: None,
        },
        &world,
    );
    assert_eq!(held.policies, ["secure_analyst.access_control.2"]);
    assert_eq!(
        held.reason,
        "rule `deny: send_email without approval` of policy `access_control` of agent `secure_analyst`"
    );
}

#[test]
fn the_seed_policy_without_requires_approval_allows_verified_reads() {
    let text = corpus("seed_secure_analyst.symbi").replace(", requires = \"approval\"", "");
    assert!(!text.contains("requires"));
    let compiled = compile("agents/secure_analyst.symbi", &text);
    let policies = load(&compiled);
    let world = data_world();
    let decide = |action, resource| ask(&policies, &world, "secure_analyst", action, resource);
    assert_eq!(decide(Action::Read, res("checked")), Decision::Allow);
    assert_eq!(decide(Action::Read, res("unchecked")), Decision::Deny);
    assert_eq!(decide(Action::Read, res("unknown")), Decision::Deny);
    assert_eq!(decide(Action::InvokeTool, tool("send_email")), Decision::RequireApproval);
    assert_eq!(decide(Action::Write, res("checked")), Decision::Deny);
}

#[test]
fn the_seed_cedar_text() {
    let compiled = compile("agents/secure_analyst.symbi", &corpus("seed_secure_analyst.symbi"));
    insta::assert_snapshot!(compiled.policy_source().text);
}

#[test]
fn the_dev_init_agent_cedar_text() {
    let compiled = compile("agents/dev.symbi", &corpus("init_dev.symbi"));
    insta::assert_snapshot!(compiled.policy_source().text);
}

#[test]
fn the_init_agents_compile_validate_and_decide() {
    let mut sources = Vec::new();
    for name in ["hello", "assistant", "dev", "planner", "worker"] {
        let compiled = compile(&format!("agents/{name}.symbi"), &corpus(&format!("init_{name}.symbi")));
        let agent = compiled.agent(name).unwrap();
        assert_eq!(agent.audit_level(), Some("all_operations"), "{name}");
        assert!(!agent.is_empty(), "{name}");
        load(&compiled);
        sources.push(compiled.policy_source());
    }
    // All five load together with the scaffold: their ids do not clash.
    sources.push(PolicySource { origin: "policies/default.cedar".into(), surface: None, text: SCAFFOLD.into() });
    let policies = Policies::compile(&sources).unwrap();

    let mut b = EntitySetBuilder::new();
    b.resource_facts(&resource("main.rs", "internal", None, Some("src/main.rs")));
    b.resource_facts(&resource("passwd", "internal", None, Some("/etc/passwd")));
    b.resource_facts(&resource("plan.md", "internal", None, None));
    b.resource_facts(&resource("keys", "secret", None, None));
    b.tool(&ToolFacts { id: "search".into(), risk_tier: "low".into(), verified: true, ..ToolFacts::default() });
    b.tool(&ToolFacts { id: "deploy".into(), risk_tier: "high".into(), verified: false, ..ToolFacts::default() });
    b.tool(&ToolFacts { id: "shell_exec".into(), risk_tier: "low".into(), verified: true, ..ToolFacts::default() });
    let world = b.build().unwrap();
    let decide = |agent: &str, action, resource| ask(&policies, &world, agent, action, resource);

    // hello: reads anything, email is held, nothing else.
    assert_eq!(decide("hello", Action::Read, res("keys")), Decision::Allow);
    assert_eq!(decide("hello", Action::InvokeTool, tool("send_email")), Decision::RequireApproval);
    assert_eq!(decide("hello", Action::Write, res("plan.md")), Decision::Deny);
    // assistant: no secrets; `search` is a tool it may call.
    assert_eq!(decide("assistant", Action::Read, res("plan.md")), Decision::Allow);
    assert_eq!(decide("assistant", Action::Read, res("keys")), Decision::Deny);
    assert_eq!(decide("assistant", Action::InvokeTool, tool("search")), Decision::Allow);
    assert_eq!(decide("assistant", Action::InvokeTool, tool("send_email")), Decision::RequireApproval);
    // dev (requires approval): reads under src/ are held, others refused; writes are held; no shell.
    assert_eq!(decide("dev", Action::Read, res("main.rs")), Decision::RequireApproval);
    assert_eq!(decide("dev", Action::Read, res("passwd")), Decision::Deny);
    assert_eq!(decide("dev", Action::Read, res("plan.md")), Decision::Deny);
    assert_eq!(decide("dev", Action::Write, res("plan.md")), Decision::RequireApproval);
    assert_eq!(decide("dev", Action::InvokeTool, tool("shell_exec")), Decision::Deny);
    // planner: verified tools only; delegation at most two hops deep.
    assert_eq!(decide("planner", Action::InvokeTool, tool("search")), Decision::Allow);
    assert_eq!(decide("planner", Action::InvokeTool, tool("deploy")), Decision::Deny);
    assert_eq!(decide("planner", Action::InvokeTool, tool("shell_exec")), Decision::Deny);
    let delegate = |depth| ask_at(&policies, &world, "planner", Action::Delegate, EntityRef::Agent("w".into()), depth);
    assert_eq!(delegate(Some(1)), Decision::Allow);
    assert_eq!(delegate(Some(2)), Decision::Allow);
    assert_eq!(delegate(Some(3)), Decision::Deny);
    assert_eq!(delegate(None), Decision::Deny);
    // worker: low-risk tools, never delegation, never a shell.
    assert_eq!(decide("worker", Action::InvokeTool, tool("search")), Decision::Allow);
    assert_eq!(decide("worker", Action::InvokeTool, tool("deploy")), Decision::Deny);
    assert_eq!(decide("worker", Action::InvokeTool, tool("shell_exec")), Decision::Deny);
    assert_eq!(decide("worker", Action::Delegate, EntityRef::Agent("planner".into())), Decision::Deny);
}

/// What each valid corpus file gives: `Ok`, or the `(line, column, message)` of every problem.
#[expect(clippy::panic, reason = "a corpus file without an expectation fails the test")]
fn corpus_expectation(name: &str) -> Result<(), Vec<(usize, usize, &'static str)>> {
    match name {
        // Conditions on data the schema does not have, on values only the agent sees, on tool
        // arguments, and arguments policy cannot check.
        "agent_full.symbi" => Err(vec![
            (10, 66, "a resource has no attribute `size`"),
            (11, 32, "a tool argument value cannot be compiled to Cedar"),
            (13, 33, "`recipient` is not known in a policy condition"),
            (20, 38, "a condition on the tool argument `url` cannot be compiled to Cedar"),
        ]),
        // Channel policies belong to the channel gate, not to an agent.
        "channels.symbi" => Err(vec![(10, 5, "policy `ops_rules` is in channel `slack_ops`, not in an agent")]),
        // A top-level policy in a file without agents governs nobody.
        "types_functions.symbi" => {
            Err(vec![(24, 1, "policy `baseline` is at the top level of a file without agents, not in an agent")])
        }
        "init_assistant.symbi"
        | "init_dev.symbi"
        | "init_hello.symbi"
        | "init_planner.symbi"
        | "init_worker.symbi"
        | "memory.symbi"
        | "metadata.symbi"
        | "sandbox_tiers.symbi"
        | "schedules.symbi"
        | "seed_secure_analyst.symbi"
        | "webhooks.symbi" => Ok(()),
        other => panic!("corpus file `{other}` is new: add what it compiles to here"),
    }
}

#[test]
fn every_valid_corpus_file_compiles_or_fails_with_positions() {
    let mut names: Vec<String> = std::fs::read_dir(CORPUS)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".symbi"))
        .collect();
    names.sort();
    assert!(names.len() >= 14, "{names:?}");
    for name in names {
        let text = corpus(&name);
        let origin = format!("agents/{name}");
        match (compile_agent_policies(&origin, &text), corpus_expectation(&name)) {
            (Ok(compiled), Ok(())) => {
                load(&compiled);
            }
            (Err(DslCompileErrors::Rules { origin: o, errors }), Err(expected)) => {
                assert_eq!(o, origin);
                let got: Vec<(usize, usize, String)> =
                    errors.iter().map(|e| (e.location().line, e.location().column, e.to_string())).collect();
                let expected: Vec<(usize, usize, String)> =
                    expected.into_iter().map(|(l, c, m)| (l, c, m.to_owned())).collect();
                assert_eq!(got, expected, "{name}");
                let rendered = symbi_dsl::render(&origin, &text, &DslCompileErrors::Rules { origin: o, errors });
                assert!(rendered.contains("= help: "), "{rendered}");
            }
            (got, expected) => panic!("{name}: got {got:?}, expected {expected:?}"),
        }
    }
}

/// Compiles one rule in a small agent and returns the first problem as `(column, message)`; the
/// rule is on line 3, starting at column 9.
#[expect(clippy::unwrap_used, clippy::panic, reason = "a rule that compiles fails the test")]
fn rule_problem(rule: &str) -> (usize, String) {
    let text = format!("agent a(question: String) {{\n    policy p {{\n        {rule}\n    }}\n}}\n");
    match compile_agent_policies("agents/a.symbi", &text) {
        Err(DslCompileErrors::Rules { errors, .. }) => {
            let first = errors.first().unwrap();
            assert_eq!(first.location().line, 3, "{rule}");
            (first.location().column, first.to_string())
        }
        other => panic!("{rule}: expected a rule problem, got {other:?}"),
    }
}

#[test]
fn untranslatable_rules_are_positioned_errors() {
    // (rule, where the problem starts in it, the message)
    let cases = [
        ("allow: read(file) if file.size > 3", "size", "a resource has no attribute `size`"),
        ("allow: read(file) if owner.name == \"x\"", "owner", "`owner` is not known in a policy condition"),
        ("allow: search(q) if question.verified", "question", "`question` is not known in a policy condition"),
        (
            "deny: http_request(url) if url.host == \"x\"",
            "url.",
            "a condition on the tool argument `url` cannot be compiled to Cedar",
        ),
        ("allow: analyze(\"fast\")", "\"fast\"", "a tool argument value cannot be compiled to Cedar"),
        ("allow: read(a, b)", "b)", "a second argument cannot be compiled to Cedar"),
        ("allow: read(1)", "1", "an argument of this form cannot be compiled to Cedar"),
        ("allow: read(file) if file.verified == \"yes\"", "\"yes\"", "expected a boolean, found text"),
        ("allow: read(file) if file.kind > 3", "file.kind", "expected a whole number, found text"),
        ("allow: read(file) if file.kind", "file.kind", "expected a boolean, found text"),
        ("allow: read(file) if self.sandbox_tier > 1.5", "1.5", "a decimal number cannot be compiled to Cedar"),
        ("allow: read(file) if self.sandbox_tier / 2 == 1", "2 ==", "`/` cannot be compiled to Cedar"),
        ("allow: read(file) if file.path.len() > 1", "len", "the method `len` cannot be compiled to Cedar"),
        (
            "allow: read(file) if file.path.starts_with(file.kind)",
            "file.kind)",
            "`starts_with` with a computed argument cannot be compiled to Cedar",
        ),
        ("allow: read(file) if file", "file\n", "`file` on its own cannot be compiled to Cedar"),
        ("allow: access_secret(s) if s.name == \"x\"", "name", "a secret has no attribute `name`"),
        ("allow: read(file) if file.kind in file.path", "file.path", "expected a set of text, found text"),
        ("allow: read(file) if file.path.x == 1", "x ==", "an attribute of a value cannot be compiled to Cedar"),
        ("allow: read(file) if is_ok(file)", "is_ok", "a function call cannot be compiled to Cedar"),
        ("allow: read(file) if self.sandbox_tier > 5m", "5m", "a duration cannot be compiled to Cedar"),
        (
            "allow: read(file) if self.sandbox_tier > 9223372036854775808",
            "9223",
            "the number `9223372036854775808` cannot be compiled to Cedar",
        ),
        ("allow: read(file) if file.tags[0] == 1", "file.tags", "indexing cannot be compiled to Cedar"),
        ("audit: all_operations if self.verified", "self", "a condition on an audit rule cannot be compiled to Cedar"),
    ];
    for (rule, marker, message) in cases {
        let line = format!("{rule}\n");
        let column = 9 + line.find(marker).unwrap_or_else(|| panic!("`{marker}` not in `{rule}`"));
        assert_eq!(rule_problem(rule), (column, message.to_owned()), "{rule}");
    }
}

#[test]
fn every_problem_in_a_file_is_reported_at_once() {
    let text = "agent a {\n    policy p {\n        allow: read(f) if f.size > 1\n        allow: write(g) if h.x\n        \
                audit: all_operations\n        audit: everything\n    }\n}\n";
    let Err(DslCompileErrors::Rules { errors, .. }) = compile_agent_policies("agents/a.symbi", text) else {
        panic!("expected rule problems");
    };
    let at: Vec<(usize, usize)> = errors.iter().map(|e| (e.location().line, e.location().column)).collect();
    assert_eq!(at, [(3, 29), (4, 28), (6, 9)]);
    let last = errors.last().unwrap().to_string();
    assert_eq!(last, "agent `a` has two audit levels, `all_operations` and `everything`");
    let message = DslCompileErrors::Rules { origin: "agents/a.symbi".into(), errors }.to_string();
    assert!(message.starts_with("3 policy rule problems in `agents/a.symbi`; nothing was compiled:"), "{message}");
    assert!(message.contains("\n  agents/a.symbi:4:28: `h` is not known in a policy condition"), "{message}");
}

#[test]
fn parse_and_check_errors_pass_through() {
    let Err(DslCompileErrors::Parse { errors }) = compile_agent_policies("a.symbi", "agent a {\n    policy p {\n")
    else {
        panic!("expected parse errors");
    };
    assert!(!errors.as_slice().is_empty());
    let duplicate = "agent a {\n}\nagent a {\n}\n";
    assert!(matches!(compile_agent_policies("a.symbi", duplicate), Err(DslCompileErrors::Check { .. })));
}

#[test]
fn a_forbid_with_a_missing_attribute_still_denies() {
    let text = "agent ops {\n    policy files {\n        allow: write(file)\n        \
                deny: write(file) if file.path.starts_with(\"/etc\")\n    }\n}\n";
    let compiled = compile("agents/ops.symbi", text);
    let cedar = compiled.agent("ops").unwrap().cedar();
    assert!(cedar.contains("when { if resource has path then resource.path like \"/etc*\" else true };"), "{cedar}");
    let policies = load(&compiled);
    let mut b = EntitySetBuilder::new();
    b.resource_facts(&resource("passwd", "internal", None, Some("/etc/passwd")));
    b.resource_facts(&resource("notes", "internal", None, Some("/tmp/notes")));
    b.resource_facts(&resource("pathless", "internal", None, None));
    let world = b.build().unwrap();
    let decide = |id| ask(&policies, &world, "ops", Action::Write, res(id));
    assert_eq!(decide("passwd"), Decision::Deny);
    assert_eq!(decide("notes"), Decision::Allow);
    assert_eq!(decide("pathless"), Decision::Deny);
}

#[test]
fn top_level_policies_govern_every_agent_of_their_file() {
    let text = "policy baseline {\n    deny: invoke_tool(\"shell_exec\")\n    allow: read(f)\n}\n\n\
                agent a {\n    policy own {\n        allow: invoke_tool\n    }\n}\n\nagent b {\n}\n";
    let compiled = compile("agents/pair.symbi", text);
    assert_eq!(compiled.agent("a").unwrap().len(), 3);
    assert_eq!(compiled.agent("b").unwrap().len(), 2);
    assert!(compiled.agent("b").unwrap().cedar().contains("@id(\"b.baseline.1\")"));
    let policies = load(&compiled);
    let world = data_world();
    for agent in ["a", "b"] {
        assert_eq!(ask(&policies, &world, agent, Action::Read, res("report")), Decision::Allow, "{agent}");
        assert_eq!(ask(&policies, &world, agent, Action::InvokeTool, tool("shell_exec")), Decision::Deny, "{agent}");
    }
    assert_eq!(ask(&policies, &world, "a", Action::InvokeTool, tool("search")), Decision::Allow);
    assert_eq!(ask(&policies, &world, "b", Action::InvokeTool, tool("search")), Decision::Deny);
}

#[test]
fn literal_stars_and_quotes_are_escaped() {
    let text = "agent a {\n    policy p {\n        allow: read(f) if f.path.starts_with(\"a*\\\"b\\\\\")\n    }\n}\n";
    let compiled = compile("agents/a.symbi", text);
    let cedar = compiled.agent("a").unwrap().cedar();
    assert!(cedar.contains(r#"resource.path like "a\*\"b\\*""#), "{cedar}");
    let policies = load(&compiled);
    let mut b = EntitySetBuilder::new();
    b.resource_facts(&resource("exact", "x", None, Some("a*\"b\\tail")));
    b.resource_facts(&resource("wild", "x", None, Some("aXX\"b\\tail")));
    let world = b.build().unwrap();
    assert_eq!(ask(&policies, &world, "a", Action::Read, res("exact")), Decision::Allow);
    assert_eq!(ask(&policies, &world, "a", Action::Read, res("wild")), Decision::Deny);
}

#[test]
fn schema_actions_groups_and_quoted_ids_target_their_resources() {
    let text = "agent a {\n    policy p {\n        allow: tool_call(\"search\")\n        \
                allow: access_secret(\"api_key\")\n        allow: data_access(d) if d.classification == \"public\"\n        \
                require: send_message(peer) if peer.verified && \"chat\" in peer.capabilities\n        \
                deny: delegate\n        allow: respond if context.surface == \"api\"\n    }\n}\n";
    let compiled = compile("agents/a.symbi", text);
    let cedar = compiled.agent("a").unwrap().cedar();
    for expected in [
        "action == Action::\"invoke_tool\",\n  resource == Tool::\"search\"",
        "action == Action::\"access_secret\",\n  resource == Secret::\"api_key\"",
        "action in Action::\"data_access\",\n  resource\n)\nwhen { resource.classification == \"public\" };",
        "when { resource.verified && resource.capabilities.contains(\"chat\") };",
        "forbid(\n  principal == Agent::\"a\",\n  action == Action::\"delegate\",\n  resource\n);",
        "when { context.surface == \"api\" };",
    ] {
        assert!(cedar.contains(expected), "{expected}\n---\n{cedar}");
    }
    load(&compiled);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Random conditions over every attribute the rule can see compile, and validate.
    #[test]
    fn random_conditions_validate((head, cond) in rule_strategy(), (kind, suffix) in kind_strategy()) {
        let text = format!("agent prop(x: String) {{\n    policy p {{\n        {kind} {head}{suffix} if {cond}\n    }}\n}}\n");
        let compiled = compile_agent_policies("agents/prop.symbi", &text)
            .map_err(|e| TestCaseError::fail(symbi_dsl::render("prop.symbi", &text, &e)))?;
        prop_assert_eq!(compiled.agent("prop").map(|a| a.len()), Some(1));
        let scaffold = PolicySource { origin: "policies/default.cedar".into(), surface: None, text: SCAFFOLD.into() };
        let source = compiled.policy_source();
        let result = Policies::compile(&[scaffold, source.clone()]);
        prop_assert!(result.is_ok(), "{:?}\n{}\n{}", result.err(), text, source.text);
    }
}

/// A rule kind and what follows its target.
fn kind_strategy() -> impl Strategy<Value = (&'static str, &'static str)> {
    prop::sample::select(vec![("allow:", ""), ("deny:", ""), ("deny:", " without approval"), ("require:", "")])
}

/// A rule head and a condition over what it may see.
fn rule_strategy() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        Just(("read(file)", "file", vec![("kind", 's'), ("classification", 's'), ("verified", 'b'), ("path", 's')])),
        Just(("invoke_tool(tool)", "tool", vec![("risk_tier", 's'), ("verified", 'b'), ("source", 's')])),
        Just(("delegate(task)", "task", vec![("name", 's'), ("sandbox_tier", 'n'), ("depth", 'n'), ("verified", 'b')])),
        Just(("send_email", "self", vec![("name", 's'), ("sandbox_tier", 'n'), ("domain", 's'), ("verified", 'b')])),
    ]
    .prop_flat_map(|(head, var, attrs)| {
        let mut atoms: Vec<(String, char)> = attrs.into_iter().map(|(a, t)| (format!("{var}.{a}"), t)).collect();
        atoms.extend([
            ("self.sandbox_tier".to_owned(), 'n'),
            ("self.domain".to_owned(), 's'),
            ("self.verified".to_owned(), 'b'),
            ("self.capabilities".to_owned(), 'S'),
            ("context.surface".to_owned(), 's'),
            ("context.delegation_depth".to_owned(), 'n'),
        ]);
        condition(atoms).prop_map(move |c| (head.to_owned(), c))
    })
}

fn text_literal() -> impl Strategy<Value = String> {
    "[a-z*/\"\\\\ ]{0,6}".prop_map(|s| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")))
}

fn comparison(atoms: Vec<(String, char)>) -> impl Strategy<Value = String> {
    (prop::sample::select(atoms), 0..6_u8, -3..10_i64, text_literal(), text_literal(), prop::bool::ANY).prop_map(
        |((atom, ty), pick, n, s, t, b)| match ty {
            'n' => format!("{atom} {} {n}", ["==", "!=", "<", "<=", ">", ">="][usize::from(pick)]),
            'b' => match pick % 3 {
                0 => atom,
                1 => format!("!{atom}"),
                _ => format!("{atom} == {b}"),
            },
            'S' => match pick % 2 {
                0 => format!("{s} in {atom}"),
                _ => format!("{atom}.contains({s})"),
            },
            _ => match pick {
                0 => format!("{atom} == {s}"),
                1 => format!("{atom} != {s}"),
                2 => format!("{atom}.starts_with({s})"),
                3 => format!("{atom}.ends_with({s})"),
                4 => format!("{atom}.contains({s})"),
                _ => format!("{atom} in [{s}, {t}]"),
            },
        },
    )
}

fn condition(atoms: Vec<(String, char)>) -> impl Strategy<Value = String> {
    comparison(atoms).prop_recursive(4, 16, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} && {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} || {b})")),
            inner.prop_map(|a| format!("!({a})")),
        ]
    })
}
