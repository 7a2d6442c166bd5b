//! One decision: ours (`Policies::evaluate`: the surface's slice of the set, a schema-checked
//! request, approval and fail-closed handling) against naive Cedar evaluating the whole policy
//! set for every surface (the baseline), in the same run.

#![expect(clippy::unwrap_used, reason = "a bench that cannot set up should stop loudly")]
#![expect(missing_docs, reason = "criterion_group! generates an undocumented entry point")]

use std::str::FromStr;

use criterion::{Criterion, criterion_group, criterion_main};
use symbi_policy::{
    Action, AgentFacts, EntityRef, EntitySetBuilder, Policies, PolicyRequest, PolicySource, Surface, ToolFacts,
};

/// 40 policies per surface plus the seed pair: a realistic multi-team deployment.
fn sources() -> Vec<PolicySource> {
    let mut sources = vec![PolicySource {
        origin: "policies/seed.cedar".into(),
        surface: None,
        text:
            r#"permit(principal in Agent::"planner", action == Action::"invoke_tool", resource in ToolSet::"approved")
                 when { principal.sandbox_tier >= 2 };
                 forbid(principal, action == Action::"invoke_tool", resource == Tool::"shell_exec");"#
                .into(),
    }];
    for surface in Surface::ALL {
        let text: String = (0..40)
            .map(|i| {
                format!(
                    "permit(principal, action == Action::\"invoke_tool\", resource == Tool::\"tool-{i}\") when {{ principal.sandbox_tier >= {} }};\n",
                    i % 4
                )
            })
            .collect();
        sources.push(PolicySource { origin: format!("policies/{surface}/team.cedar"), surface: Some(surface), text });
    }
    sources
}

fn bench(c: &mut Criterion) {
    let sources = sources();
    let policies = Policies::compile(&sources).unwrap();
    let mut builder = EntitySetBuilder::new();
    builder.agent(&AgentFacts {
        id: "planner-01".into(),
        sandbox_tier: 2,
        roles: vec!["planner".into()],
        ..AgentFacts::default()
    });
    builder.tool(&ToolFacts {
        id: "search".into(),
        risk_tier: "low".into(),
        tool_sets: vec!["approved".into()],
        ..ToolFacts::default()
    });
    builder.tool_set("approved", &[]);
    let entities = builder.build().unwrap();
    let request = PolicyRequest {
        principal: EntityRef::Agent("planner-01".into()),
        action: Action::InvokeTool,
        resource: EntityRef::Tool("search".into()),
        surface: Surface::Run,
        delegation_depth: None,
    };

    // The naive baseline: every policy of every surface in one Cedar set, no schema on requests.
    let mut all = cedar_policy::PolicySet::new();
    for (n, source) in sources.iter().enumerate() {
        for policy in cedar_policy::PolicySet::from_str(&source.text).unwrap().policies() {
            all.add(policy.new_id(cedar_policy::PolicyId::new(format!("{n}-{}", policy.id())))).unwrap();
        }
    }
    let naive_entities = {
        let schema = cedar_policy::Schema::from_cedarschema_str(symbi_policy::SCHEMA_TEXT).unwrap().0;
        let json = serde_json::json!([
            {"uid": {"type": "Agent", "id": "planner-01"}, "attrs": {"name": "", "sandbox_tier": 2, "capabilities": [], "domain": "", "verified": false},
             "parents": [{"type": "Agent", "id": "planner"}]},
            {"uid": {"type": "Tool", "id": "search"}, "attrs": {"risk_tier": "low", "verified": false, "source": ""},
             "parents": [{"type": "ToolSet", "id": "approved"}]},
            {"uid": {"type": "ToolSet", "id": "approved"}, "attrs": {}, "parents": []}
        ]);
        cedar_policy::Entities::from_json_value(json, Some(&schema)).unwrap()
    };
    let naive_request = cedar_policy::Request::new(
        r#"Agent::"planner-01""#.parse().unwrap(),
        r#"Action::"invoke_tool""#.parse().unwrap(),
        r#"Tool::"search""#.parse().unwrap(),
        cedar_policy::Context::empty(),
        None,
    )
    .unwrap();
    let authorizer = cedar_policy::Authorizer::new();

    let mut group = c.benchmark_group("decide");
    group.bench_function("naive cedar, whole set (baseline)", |b| {
        b.iter(|| authorizer.is_authorized(&naive_request, &all, &naive_entities).decision());
    });
    group.bench_function("symbi-policy evaluate", |b| b.iter(|| policies.evaluate(&request, &entities).decision));
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench
}
criterion_main!(benches);
