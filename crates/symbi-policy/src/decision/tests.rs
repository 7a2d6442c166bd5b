use proptest::prelude::*;

use super::*;
use crate::entities::{AgentFacts, EntitySetBuilder, ToolFacts};
use crate::policies::{PolicyError, PolicySource};
use crate::store::PolicyStore;

/// The two policies of the trust-stack seed, exactly as written there.
const SEED: &str = r#"// Allow planners to invoke approved tools
permit(
  principal in Agent::"planner",
  action == Action::"invoke_tool",
  resource in ToolSet::"approved"
) when {
  principal.sandbox_tier >= 2
};

// Deny all agents from executing shell commands
forbid(
  principal,
  action == Action::"invoke_tool",
  resource == Tool::"shell_exec"
);
"#;

fn source(origin: &str, text: &str) -> PolicySource {
    PolicySource { origin: origin.into(), surface: None, text: text.into() }
}

fn compile(text: &str) -> Policies {
    Policies::compile(&[source("policies/test.cedar", text)]).unwrap()
}

fn request(agent: &str, action: Action, tool: &str) -> PolicyRequest {
    PolicyRequest {
        principal: EntityRef::Agent(agent.into()),
        action,
        resource: EntityRef::Tool(tool.into()),
        surface: Surface::Run,
        delegation_depth: None,
    }
}

/// A planner at `tier`, the tools `search` (approved) and `shell_exec` (approved too, to show the
/// forbid wins), and `scrape` (not approved).
fn world(tier: u8) -> EntitySet {
    let mut b = EntitySetBuilder::new();
    b.agent(&AgentFacts {
        id: "planner-01".into(),
        sandbox_tier: tier,
        roles: vec!["planner".into()],
        ..AgentFacts::default()
    });
    b.agent(&AgentFacts { id: "planner".into(), sandbox_tier: 3, ..AgentFacts::default() });
    for (tool, sets) in [("search", vec!["approved"]), ("shell_exec", vec!["approved"]), ("scrape", vec![])] {
        b.tool(&ToolFacts {
            id: tool.into(),
            risk_tier: "low".into(),
            source: "toolclad".into(),
            tool_sets: sets.into_iter().map(String::from).collect(),
            ..ToolFacts::default()
        });
    }
    b.tool_set("approved", &[]);
    b.build().unwrap()
}

#[test]
fn seed_planner_policy_needs_tier_two_and_an_approved_tool() {
    let policies = compile(SEED);
    let allowed = policies.evaluate(&request("planner-01", Action::InvokeTool, "search"), &world(2));
    assert_eq!(allowed.decision, Decision::Allow, "{allowed:?}");
    assert_eq!(allowed.policies, ["policies/test.cedar#1"]);
    assert_eq!(
        policies.evaluate(&request("planner-01", Action::InvokeTool, "search"), &world(1)).decision,
        Decision::Deny
    );
    assert_eq!(
        policies.evaluate(&request("planner-01", Action::InvokeTool, "scrape"), &world(3)).decision,
        Decision::Deny
    );
    // `tool_call` is the same action.
    assert_eq!(Action::parse("tool_call"), Some(Action::InvokeTool));
}

#[test]
fn seed_forbid_beats_every_permit() {
    let policies = compile(&format!("{SEED}\npermit(principal, action, resource);"));
    let denied = policies.evaluate(&request("planner-01", Action::InvokeTool, "shell_exec"), &world(3));
    assert_eq!(denied.decision, Decision::Deny);
    assert_eq!(denied.policies, ["policies/test.cedar#2"]);
    assert!(denied.reason.contains("forbidden by policy `policies/test.cedar#2`"), "{}", denied.reason);
}

#[test]
fn default_deny() {
    let empty = Policies::empty();
    let e = empty.evaluate(&request("a", Action::InvokeTool, "search"), &world(3));
    assert_eq!(e.decision, Decision::Deny);
    assert!(e.policies.is_empty());
    assert!(e.reason.ends_with("(default deny)"), "{}", e.reason);
}

#[test]
fn approval_annotation_holds_the_action() {
    let policies = compile(
        r#"@id("send-needs-approval")
@approval
@reason("sending email needs a person's approval")
permit(principal, action == Action::"send_message", resource);"#,
    );
    let req = PolicyRequest {
        principal: EntityRef::Agent("a".into()),
        action: Action::SendMessage,
        resource: EntityRef::Agent("b".into()),
        surface: Surface::Api,
        delegation_depth: Some(1),
    };
    let e = policies.evaluate(&req, &EntitySet::empty());
    assert_eq!(e.decision, Decision::RequireApproval);
    assert_eq!(e.policies, ["send-needs-approval"]);
    assert_eq!(e.reason, "sending email needs a person's approval");
}

#[test]
fn surface_policies_apply_only_on_their_surface() {
    let policies = Policies::compile(&[PolicySource {
        origin: "policies/hook/allow.cedar".into(),
        surface: Some(Surface::Hook),
        text: "permit(principal, action, resource);".into(),
    }])
    .unwrap();
    let mut req = request("a", Action::InvokeTool, "search");
    req.surface = Surface::Hook;
    assert_eq!(policies.evaluate(&req, &EntitySet::empty()).decision, Decision::Allow);
    req.surface = Surface::Api;
    assert_eq!(policies.evaluate(&req, &EntitySet::empty()).decision, Decision::Deny);
}

#[test]
fn requests_that_do_not_fit_the_schema_are_denied() {
    let policies = compile("permit(principal, action, resource);");
    let mut req = request("a", Action::InvokeTool, "x");
    req.resource = EntityRef::Agent("b".into());
    let e = policies.evaluate(&req, &EntitySet::empty());
    assert_eq!(e.decision, Decision::Deny);
    assert!(e.reason.contains("does not fit the policy schema"), "{}", e.reason);
}

fn problems(result: Result<Policies, PolicyError>) -> Vec<String> {
    match result {
        Err(PolicyError::Invalid { problems }) => problems.iter().map(ToString::to_string).collect(),
        other => panic!("expected invalid policies, got {other:?}"),
    }
}

#[test]
fn invalid_policies_are_refused_whole_with_positions() {
    let good = source("policies/a.cedar", SEED);
    let syntax = source("policies/b.cedar", "permit(principal, action, resource)\nwhen { principal.sandbox_tier >= };");
    let found = problems(Policies::compile(&[good.clone(), syntax]));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("policies/b.cedar:2:"), "{found:?}");

    let typo = source(
        "policies/c.cedar",
        "\n\npermit(principal, action == Action::\"invoke_tool\", resource)\n  when { principal.sandbox_teir >= 2 };",
    );
    let found = problems(Policies::compile(&[good, typo]));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("policies/c.cedar:4:"), "{found:?}");
    assert!(found[0].contains("sandbox_teir"), "{found:?}");

    let unknown_entity = source("policies/d.cedar", r#"permit(principal == Robot::"x", action, resource);"#);
    assert!(problems(Policies::compile(&[unknown_entity]))[0].starts_with("policies/d.cedar:1:"));

    let dup = source(
        "policies/e.cedar",
        "@id(\"x\") permit(principal, action, resource);\n@id(\"x\") forbid(principal, action, resource);",
    );
    assert!(problems(Policies::compile(&[dup]))[0].contains("`x` is used twice"));

    let template = source("policies/f.cedar", "permit(principal == ?principal, action, resource);");
    assert!(problems(Policies::compile(&[template]))[0].contains("templates"));
}

#[test]
fn scaffolded_policies_validate() {
    for text in [
        include_str!("../../../symbi/src/command/init/default.cedar"),
        include_str!("../../../symbi/src/command/init/multi-agent.cedar"),
    ] {
        Policies::compile(&[source("policies/init.cedar", text)]).unwrap();
    }
}

#[test]
fn read_dir_takes_surface_subdirectories_and_refuses_others() {
    let dir = tempfile::tempdir().unwrap();
    let policies = dir.path().join("policies");
    std::fs::create_dir_all(policies.join("hook")).unwrap();
    std::fs::write(policies.join("default.cedar"), SEED).unwrap();
    std::fs::write(policies.join("hook/allow.cedar"), "permit(principal, action, resource);").unwrap();
    std::fs::write(policies.join("notes.txt"), "not a policy").unwrap();
    let sources = crate::policies::read_dir(&policies, dir.path()).unwrap();
    let origins: Vec<_> = sources.iter().map(|s| (s.origin.as_str(), s.surface)).collect();
    assert_eq!(origins, [("policies/default.cedar", None), ("policies/hook/allow.cedar", Some(Surface::Hook))]);
    assert_eq!(Policies::compile(&sources).unwrap().len(), 3);

    std::fs::create_dir_all(policies.join("hooks")).unwrap();
    let err = crate::policies::read_dir(&policies, dir.path()).unwrap_err().to_string();
    assert!(err.contains("`hooks` is not a surface"), "{err}");
}

#[test]
fn store_swaps_whole_sets() {
    let store = PolicyStore::new(compile(SEED));
    let before = store.snapshot();
    store.replace(Policies::empty());
    assert_eq!(before.len(), 2, "a held snapshot keeps its set");
    assert!(store.snapshot().is_empty());
}

proptest! {
    /// With a permit-everything policy beside the seed forbid, any agent at any tier may invoke any
    /// tool except `shell_exec`, which is always denied.
    #[test]
    fn forbid_holds_for_every_agent_and_tier(agent in "[a-z][a-z0-9-]{0,20}", tier in 0u8..4, tool in "[a-z_]{1,12}") {
        let policies = compile(&format!("{SEED}\npermit(principal, action, resource);"));
        let mut b = EntitySetBuilder::new();
        b.agent(&AgentFacts { id: agent.clone(), sandbox_tier: tier, ..AgentFacts::default() });
        let entities = b.build().unwrap();
        let e = policies.evaluate(&request(&agent, Action::InvokeTool, &tool), &entities);
        let expected = if tool == "shell_exec" { Decision::Deny } else { Decision::Allow };
        prop_assert_eq!(e.decision, expected);
    }
}
