//! Gate throughput: decisions a second through `Governor::evaluate` on two threads, at 1,000
//! policies, with the entity data every decision reads gathered from runtime state (agents in the
//! store with what their DSL says, tools from the catalog, `[groups]`). The requests cycle through
//! 60 agents × 20 tools, so the entity cache holds a realistic working set rather than one entry.
//!
//! The baseline in the same run is `Policies::evaluate` alone over entity data built once: the
//! decision with nothing gathered. The ratio says what gathering costs on top of deciding. Without
//! `--bench` (as under `cargo test`) every part runs once, briefly, as a smoke test.

#![expect(clippy::unwrap_used, reason = "a bench that cannot set up should stop loudly")]
#![expect(clippy::print_stderr, reason = "the bench prints its throughput table")]
#![expect(missing_docs, reason = "criterion_group! generates an undocumented entry point")]

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use symbi_policy::{Action, AgentFacts, EntityRef, EntitySet, EntitySetBuilder, PolicyRequest, Surface, ToolFacts};
use symbi_runtime::{AgentDefinition, AgentId, Config, DataDir, Governor, SqliteStore};

const AGENTS: usize = 60;
const TOOLS: usize = 20;
const POLICIES: usize = 1_000;

/// Whether this is a measuring run (`cargo bench` passes `--bench`) rather than a smoke run.
fn measuring() -> bool {
    std::env::args().any(|arg| arg == "--bench")
}

/// `POLICIES` policies: per-tool permits on tier conditions (one for each tool `tool-<4k>`),
/// per-agent permits, group forbids and data rules, as a project with many teams writes them.
fn policy_text() -> String {
    let mut text = String::from(
        "permit(principal in Agent::\"planner\", action == Action::\"invoke_tool\", resource in ToolSet::\"approved\")\n\
         when { principal.sandbox_tier >= 2 };\n\
         forbid(principal, action == Action::\"invoke_tool\", resource == Tool::\"shell_exec\");\n",
    );
    for i in 0..POLICIES - 2 {
        let line = match i % 4 {
            0 => format!(
                "permit(principal, action == Action::\"invoke_tool\", resource == Tool::\"tool-{i}\") when {{ principal.sandbox_tier >= {} }};\n",
                i % 3
            ),
            1 => format!(
                "permit(principal == Agent::\"agent-{}\", action == Action::\"read\", resource == Resource::\"doc-{i}\");\n",
                i % AGENTS
            ),
            2 => format!("forbid(principal in AgentGroup::\"group-{i}\", action, resource);\n"),
            _ => format!(
                "permit(principal, action == Action::\"read\", resource == Resource::\"doc-{i}\") when {{ resource.classification == \"public\" }};\n"
            ),
        };
        text.push_str(&line);
    }
    text
}

/// A Governor over a project with the policies, `[groups]` and `AGENTS` registered agents.
fn governor(rt: &tokio::runtime::Runtime, dir: &Path) -> Arc<Governor> {
    std::fs::create_dir_all(dir.join("policies")).unwrap();
    std::fs::write(dir.join("policies/teams.cedar"), policy_text()).unwrap();
    let members: Vec<String> = (0..AGENTS).step_by(2).map(|n| format!("\"agent-{n}\"")).collect();
    let groups = format!(
        "[groups.roles]\nplanner = [{}]\n[groups.agents]\nengineering = [{}]\n[groups.tools]\napproved = [\"tool-1\", \"tool-2\"]\n",
        members.join(", "),
        members.join(", ")
    );
    std::fs::write(dir.join("symbiont.toml"), groups).unwrap();
    let config = Config::load(dir).unwrap();
    rt.block_on(async {
        let data_dir = DataDir::prepare(&config.data_dir).unwrap();
        let store = Arc::new(SqliteStore::open(&data_dir.store_file()).unwrap());
        let audit = symbi_audit::AuditLog::open(data_dir.audit_dir(), &symbi_audit::AuditConfig::default()).unwrap();
        let governor = Governor::open(&config, store, Arc::new(audit)).await.unwrap();
        for n in 0..AGENTS {
            let tier = ["tier1", "tier2", "tier3"][n % 3];
            let dsl = format!("agent agent_{n} {{ with sandbox = \"{tier}\" {{ x = respond(\"hi\"); }} }}");
            let definition =
                AgentDefinition { name: format!("agent-{n}"), dsl: Some(dsl), ..AgentDefinition::default() };
            governor
                .register_agent(&AgentId::parse(&format!("agent-{n}")).unwrap(), &definition, "bench")
                .await
                .unwrap();
        }
        Arc::new(governor)
    })
}

/// The `n`th request of the cycle through agents and tools.
fn request(n: usize) -> PolicyRequest {
    PolicyRequest {
        principal: EntityRef::Agent(format!("agent-{}", n % AGENTS)),
        action: Action::InvokeTool,
        resource: EntityRef::Tool(format!("tool-{}", n / AGENTS % TOOLS * 4)),
        surface: Surface::Run,
        delegation_depth: None,
    }
}

/// Entity data for the baseline, built once.
fn entities() -> EntitySet {
    let mut builder = EntitySetBuilder::new();
    builder.agent(&AgentFacts { id: "agent-0".into(), sandbox_tier: 2, ..AgentFacts::default() });
    builder.tool(&ToolFacts { id: "tool-0".into(), risk_tier: "low".into(), ..ToolFacts::default() });
    builder.build().unwrap()
}

/// Decisions a second when two threads each run `decide` over the request cycle for `run_for`.
fn per_second<F, Fut>(run_for: Duration, decide: F) -> f64
where
    F: Fn(PolicyRequest) -> Fut + Sync,
    Fut: std::future::Future<Output = ()>,
{
    let requests: Vec<PolicyRequest> = (0..AGENTS * TOOLS).map(request).collect();
    let start = Instant::now();
    let decided: usize = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|worker| {
                let (requests, decide) = (&requests, &decide);
                scope.spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                    rt.block_on(async {
                        let mut n = worker * 7;
                        while start.elapsed() < run_for {
                            for _ in 0..256 {
                                decide(requests[n % requests.len()].clone()).await;
                                n += 1;
                            }
                        }
                        n - worker * 7
                    })
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    });
    decided as f64 / start.elapsed().as_secs_f64()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let governor = governor(&rt, dir.path());
    let policies = governor.policies();
    assert_eq!(policies.len(), POLICIES);
    let entities = entities();
    // Fail loudly now if the path is not what is being measured: tier 2 planners may use the
    // approved tools, and the condition reads the agent's DSL tier from runtime state.
    let planner = PolicyRequest { resource: EntityRef::Tool("tool-1".into()), ..request(4) };
    assert_eq!(rt.block_on(governor.evaluate(&planner)).decision.as_str(), "allow");
    let forbidden = PolicyRequest { resource: EntityRef::Tool("shell_exec".into()), ..request(4) };
    assert_eq!(rt.block_on(governor.evaluate(&forbidden)).decision.as_str(), "deny");

    let mut group = c.benchmark_group("gate");
    group.sample_size(if measuring() { 50 } else { 10 });
    group.bench_function("Policies::evaluate, entities built once (baseline)", |b| {
        let request = request(0);
        b.iter(|| policies.evaluate(black_box(&request), &entities).decision);
    });
    group.bench_function("Governor::evaluate, entities from runtime state", |b| {
        let mut n = 0;
        b.iter(|| {
            n += 1;
            rt.block_on(governor.evaluate(black_box(&request(n)))).decision
        });
    });
    group.finish();

    let run_for = if measuring() { Duration::from_secs(3) } else { Duration::from_millis(50) };
    let baseline = per_second(run_for, |request| {
        let (policies, entities) = (&policies, &entities);
        async move {
            black_box(policies.evaluate(&request, entities));
        }
    });
    let gate = per_second(run_for, |request| {
        let governor = &governor;
        async move {
            black_box(governor.evaluate(&request).await);
        }
    });
    eprintln!("\ndecisions/s at {POLICIES} policies, 2 threads, {AGENTS} agents x {TOOLS} tools");
    eprintln!("  Policies::evaluate, entities built once (baseline): {baseline:>9.0}");
    eprintln!("  Governor::evaluate, entities from runtime state:    {gate:>9.0}  ({:.2}x baseline)", gate / baseline);
}

criterion_group!(benches, bench);
criterion_main!(benches);
