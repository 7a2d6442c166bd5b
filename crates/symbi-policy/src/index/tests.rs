//! The index is sound: for random policy sets, entity data and requests, the decision over the
//! index's slice equals naive Cedar over the surface's whole set, determining policies and
//! reasons included; so does the decision of the same set read back from its cache form.

use proptest::prelude::*;

use crate::decision::Over;
use crate::entities::{AgentFacts, EntityRef, EntitySet, EntitySetBuilder, ToolFacts};
use crate::policies::{Policies, PolicySource};
use crate::vocabulary::{Action, Surface};
use crate::{Decision, PolicyRequest};

const AGENTS: [&str; 4] = ["a0", "a1", "planner", "reviewer"];
const GROUPS: [&str; 2] = ["g0", "g1"];
const TOOLS: [&str; 3] = ["t0", "t1", "shell_exec"];
const SETS: [&str; 2] = ["s0", "s1"];

fn principal_scope() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("principal".to_owned()),
        prop::sample::select(&AGENTS[..]).prop_map(|a| format!("principal == Agent::\"{a}\"")),
        prop::sample::select(&AGENTS[..]).prop_map(|a| format!("principal in Agent::\"{a}\"")),
        prop::sample::select(&GROUPS[..]).prop_map(|g| format!("principal in AgentGroup::\"{g}\"")),
        Just("principal is Agent".to_owned()),
        Just("principal is ApiKey".to_owned()),
        prop::sample::select(&GROUPS[..]).prop_map(|g| format!("principal is Agent in AgentGroup::\"{g}\"")),
        Just("principal == ApiKey::\"k0\"".to_owned()),
    ]
}

fn action_scope() -> impl Strategy<Value = String> {
    let one = prop::sample::select(&Action::ALL[..]).prop_map(|a| a.as_str().to_owned());
    let group = prop::sample::select(&["tool_use", "communicate", "data_access", "lifecycle"][..]);
    prop_oneof![
        Just("action".to_owned()),
        one.clone().prop_map(|a| format!("action == Action::\"{a}\"")),
        group.clone().prop_map(|g| format!("action in Action::\"{g}\"")),
        (group, one).prop_map(|(g, a)| format!("action in [Action::\"{g}\", Action::\"{a}\"]")),
    ]
}

fn resource_scope() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("resource".to_owned()),
        prop::sample::select(&TOOLS[..]).prop_map(|t| format!("resource == Tool::\"{t}\"")),
        prop::sample::select(&SETS[..]).prop_map(|s| format!("resource in ToolSet::\"{s}\"")),
        Just("resource is Tool".to_owned()),
        prop::sample::select(&SETS[..]).prop_map(|s| format!("resource is Tool in ToolSet::\"{s}\"")),
        Just("resource == Resource::\"r0\"".to_owned()),
        prop::sample::select(&AGENTS[..]).prop_map(|a| format!("resource == Agent::\"{a}\"")),
        prop::sample::select(&AGENTS[..]).prop_map(|a| format!("resource in Agent::\"{a}\"")),
    ]
}

/// Conditions, some of which fail to evaluate when the principal's entity data is missing.
fn condition() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        (0_i64..4).prop_map(|n| format!(" when {{ principal.sandbox_tier >= {n} }}")),
        (0_i64..4).prop_map(|n| format!(" unless {{ principal.sandbox_tier < {n} }}")),
        Just(" when { resource.risk_tier == \"high\" }".to_owned()),
        Just(" when { context.surface == \"hook\" }".to_owned()),
        Just(" when { context has delegation_depth && context.delegation_depth > 1 }".to_owned()),
    ]
}

/// One policy's text and the surface directory it sits in.
fn policy() -> impl Strategy<Value = (String, Option<Surface>)> {
    let surface = prop::option::of(prop::sample::select(&Surface::ALL[..]));
    let effect = prop_oneof![3 => Just("permit"), 1 => Just("@approval permit"), 1 => Just("forbid")];
    (effect, principal_scope(), action_scope(), resource_scope(), condition(), surface)
        .prop_map(|(e, p, a, r, c, s)| (format!("{e}({p}, {a}, {r}){c};"), s))
}

/// Entity data: each agent, group, tool and set present or missing, with random parents.
fn world() -> impl Strategy<Value = EntitySet> {
    let agent = (
        any::<bool>(),
        0_u8..4,
        prop::sample::subsequence(&AGENTS[..], 0..3),
        prop::sample::subsequence(&GROUPS[..], 0..3),
    );
    let tool = (any::<bool>(), prop::sample::subsequence(&SETS[..], 0..3), prop::bool::ANY);
    (prop::collection::vec(agent, AGENTS.len()), prop::collection::vec(tool, TOOLS.len()), any::<bool>(), any::<bool>())
        .prop_map(|(agents, tools, nest_groups, nest_sets)| {
            let mut b = EntitySetBuilder::new();
            for (n, (id, (present, tier, roles, groups))) in AGENTS.iter().zip(agents).enumerate() {
                // Roles point only to agents later in the list: Cedar refuses a cycle.
                let later = |r: &&str| AGENTS.iter().position(|a| a == r).is_some_and(|p| p > n);
                if present {
                    b.agent(&AgentFacts {
                        id: (*id).into(),
                        sandbox_tier: tier,
                        roles: roles.into_iter().filter(later).map(String::from).collect(),
                        groups: groups.into_iter().map(String::from).collect(),
                        ..AgentFacts::default()
                    });
                }
            }
            for (id, (present, sets, high)) in TOOLS.iter().zip(tools) {
                if present {
                    b.tool(&ToolFacts {
                        id: (*id).into(),
                        risk_tier: if high { "high" } else { "low" }.into(),
                        tool_sets: sets.into_iter().map(String::from).collect(),
                        ..ToolFacts::default()
                    });
                }
            }
            b.agent_group("g0", &[]);
            b.agent_group("g1", &if nest_groups { vec!["g0".to_owned()] } else { vec![] });
            b.tool_set("s0", &[]);
            b.tool_set("s1", &if nest_sets { vec!["s0".to_owned()] } else { vec![] });
            b.api_key("k0", false);
            b.resource("r0", "file", "internal");
            b.build().unwrap()
        })
}

/// Requests, mostly of the shape the schema allows for their action (so policies get to decide),
/// some not (so the schema check is exercised too).
fn request() -> impl Strategy<Value = PolicyRequest> {
    let principal = prop_oneof![
        4 => prop::sample::select(&AGENTS[..]).prop_map(|a| EntityRef::Agent(a.into())),
        1 => Just(EntityRef::ApiKey("k0".into())),
    ];
    let any_resource = prop_oneof![
        prop::sample::select(&TOOLS[..]).prop_map(|t| EntityRef::Tool(t.into())),
        prop::sample::select(&AGENTS[..]).prop_map(|a| EntityRef::Agent(a.into())),
        Just(EntityRef::Resource("r0".into())),
        Just(EntityRef::Secret("x".into())),
        Just(EntityRef::Schedule("nightly".into())),
    ];
    (
        principal,
        prop::sample::select(&Action::ALL[..]),
        prop::sample::select(&TOOLS[..]),
        prop::sample::select(&AGENTS[..]),
        prop::option::weighted(0.1, any_resource),
        prop::sample::select(&Surface::ALL[..]),
        prop::option::of(0_u32..4),
    )
        .prop_map(|(principal, action, tool, agent, odd, surface, delegation_depth)| {
            let fitting = match action {
                Action::InvokeTool | Action::ExecuteTool => EntityRef::Tool(tool.into()),
                Action::Delegate | Action::SendMessage | Action::Respond | Action::Terminate => {
                    EntityRef::Agent(agent.into())
                }
                Action::Read | Action::Write => EntityRef::Resource("r0".into()),
                Action::AccessSecret => EntityRef::Secret("x".into()),
                Action::Schedule => EntityRef::Schedule("nightly".into()),
            };
            PolicyRequest { principal, action, resource: odd.unwrap_or(fitting), surface, delegation_depth }
        })
}

/// The policies that validate, one source per policy so each keeps its surface.
fn compile(policies: &[(String, Option<Surface>)]) -> Policies {
    let sources: Vec<PolicySource> = policies
        .iter()
        .enumerate()
        .map(|(n, (text, surface))| PolicySource {
            origin: format!("p{n}.cedar"),
            surface: *surface,
            text: text.clone(),
        })
        .filter(|source| Policies::compile(std::slice::from_ref(source)).is_ok())
        .collect();
    Policies::compile(&sources).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn the_slice_decides_as_the_whole_surface_does(
        policies in prop::collection::vec(policy(), 1..24),
        entities in world(),
        requests in prop::collection::vec(request(), 1..24),
    ) {
        let policies = compile(&policies);
        // The same set read back from its cache form, policies parsed as decisions select them.
        let cached = Policies::dangerous_from_cache_text(&policies.cache_text()).unwrap();
        for request in &requests {
            let indexed = policies.evaluate(request, &entities);
            let naive = policies.evaluate_over(Over::WholeSurface, request, &entities);
            prop_assert_eq!(&indexed, &naive, "{:?}", request);
            prop_assert_eq!(&cached.evaluate(request, &entities), &naive, "from the cache form: {:?}", request);
        }
    }
}

/// The generators reach every outcome, so the property above is not vacuous.
#[test]
fn the_generators_reach_every_decision() {
    let policies = compile(&[
        (
            "permit(principal in AgentGroup::\"g0\", action in Action::\"tool_use\", resource in ToolSet::\"s0\");"
                .into(),
            None,
        ),
        (
            "@approval permit(principal, action == Action::\"execute_tool\", resource is Tool);".into(),
            Some(Surface::Api),
        ),
        (
            "forbid(principal, action, resource == Tool::\"shell_exec\") when { principal.sandbox_tier < 3 };".into(),
            None,
        ),
    ]);
    let mut b = EntitySetBuilder::new();
    b.agent(&AgentFacts { id: "a0".into(), groups: vec!["g1".into()], ..AgentFacts::default() });
    b.agent_group("g1", &["g0".to_owned()]).agent_group("g0", &[]);
    b.tool(&ToolFacts { id: "t0".into(), tool_sets: vec!["s1".into()], ..ToolFacts::default() });
    b.tool(&ToolFacts { id: "shell_exec".into(), tool_sets: vec!["s1".into()], ..ToolFacts::default() });
    b.tool_set("s1", &["s0".to_owned()]).tool_set("s0", &[]);
    let entities = b.build().unwrap();
    let ask = |principal: &str, action, tool: &str, surface| {
        let request = PolicyRequest {
            principal: EntityRef::Agent(principal.into()),
            action,
            resource: EntityRef::Tool(tool.into()),
            surface,
            delegation_depth: None,
        };
        let indexed = policies.evaluate(&request, &entities);
        assert_eq!(indexed, policies.evaluate_over(Over::WholeSurface, &request, &entities));
        indexed
    };
    // Nested group and nested tool set, through the schema's `tool_use` group.
    assert_eq!(ask("a0", Action::ExecuteTool, "t0", Surface::Run).decision, Decision::Allow);
    assert_eq!(ask("a0", Action::ExecuteTool, "t0", Surface::Api).decision, Decision::RequireApproval);
    assert_eq!(ask("a0", Action::InvokeTool, "shell_exec", Surface::Run).decision, Decision::Deny);
    // `missing` has no entity data: the forbid's condition fails to evaluate, so fail closed.
    let failed = ask("missing", Action::InvokeTool, "shell_exec", Surface::Api);
    assert_eq!(failed.decision, Decision::Deny);
    assert!(failed.reason.contains("could not be evaluated"), "{}", failed.reason);
}

/// A decision about one tool does not carry the policies about a thousand others.
#[test]
fn the_slice_leaves_unrelated_policies_out() {
    let text: String = (0..1000)
        .map(|i| format!("permit(principal, action == Action::\"invoke_tool\", resource == Tool::\"tool-{i}\");\n"))
        .chain(["forbid(principal, action in Action::\"tool_use\", resource == Tool::\"tool-7\");\n".to_owned()])
        .collect();
    let policies = Policies::compile(&[PolicySource { origin: "p.cedar".into(), surface: None, text }]).unwrap();
    let principal = EntityRef::Agent("a".into()).uid();
    let resource = EntityRef::Tool("tool-7".into()).uid();
    let entities = EntitySet::empty();
    let slice = policies.index.slice(Surface::Run, Action::InvokeTool, &principal, &resource, &entities.0).unwrap();
    assert_eq!(slice.policies().count(), 2);
    let slice = policies.index.slice(Surface::Run, Action::ExecuteTool, &principal, &resource, &entities.0).unwrap();
    assert_eq!(slice.policies().count(), 1, "the forbid covers execute_tool through `tool_use`");
}
