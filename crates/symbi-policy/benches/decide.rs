//! One decision at 10, 100, 1,000 and 10,000 policies: ours (`Policies::evaluate`: the index's
//! slice of the set, a schema-checked request, approval and fail-closed handling) against naive
//! Cedar (`Authorizer::is_authorized` over the whole policy set), in the same run. Criterion
//! reports means; p50/p99 over individually timed decisions and a two-thread throughput figure
//! (entity construction included) are printed to stderr. Without `--bench` (as under
//! `cargo test`) every part runs once, small, as a smoke test.

#![expect(clippy::unwrap_used, reason = "a bench that cannot set up should stop loudly")]
#![expect(clippy::print_stderr, reason = "the bench prints its percentile table")]
#![expect(missing_docs, reason = "criterion_group! generates an undocumented entry point")]

use std::hint::black_box;
use std::str::FromStr;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use symbi_policy::{
    Action, AgentFacts, EntityRef, EntitySet, EntitySetBuilder, Policies, PolicyRequest, PolicySource, Surface,
    ToolFacts,
};

const SIZES: [usize; 4] = [10, 100, 1_000, 10_000];

/// Whether this is a measuring run (`cargo bench` passes `--bench`) rather than a smoke run.
fn measuring() -> bool {
    std::env::args().any(|arg| arg == "--bench")
}

/// `n` policies in the shapes real projects write: per-tool permits with conditions, per-agent
/// and per-group rules, action groups, data rules, surface-only files, and a few unconstrained
/// policies every decision must evaluate. Always includes the trust-stack seed pair.
fn sources(n: usize) -> Vec<PolicySource> {
    let seed = r#"permit(principal in Agent::"planner", action == Action::"invoke_tool", resource in ToolSet::"approved")
                 when { principal.sandbox_tier >= 2 };
               forbid(principal, action == Action::"invoke_tool", resource == Tool::"shell_exec");
               forbid(principal, action, resource) when { context has delegation_depth && context.delegation_depth > 8 };"#;
    let mut global = String::new();
    let mut per_surface: Vec<String> = Surface::ALL.iter().map(|_| String::new()).collect();
    for i in 0..n.saturating_sub(3) {
        let line = match i % 10 {
            0..=4 => format!(
                "permit(principal, action == Action::\"invoke_tool\", resource == Tool::\"tool-{i}\") when {{ principal.sandbox_tier >= {} }};\n",
                i % 4
            ),
            5 => format!(
                "permit(principal == Agent::\"agent-{i}\", action in Action::\"tool_use\", resource in ToolSet::\"set-{i}\");\n"
            ),
            6 => format!("forbid(principal in AgentGroup::\"group-{i}\", action, resource);\n"),
            7 => format!(
                "permit(principal, action == Action::\"read\", resource == Resource::\"doc-{i}\") when {{ resource.classification == \"public\" }};\n"
            ),
            8 => format!(
                "@approval permit(principal is Agent, action == Action::\"send_message\", resource == Agent::\"agent-{i}\");\n"
            ),
            _ => {
                let surface = i / 10 % per_surface.len();
                if let Some(text) = per_surface.get_mut(surface) {
                    text.push_str(&format!(
                        "permit(principal, action == Action::\"execute_tool\", resource == Tool::\"tool-{i}\");\n"
                    ));
                }
                continue;
            }
        };
        global.push_str(&line);
    }
    let mut sources = vec![
        PolicySource { origin: "policies/seed.cedar".into(), surface: None, text: seed.into() },
        PolicySource { origin: "policies/teams.cedar".into(), surface: None, text: global },
    ];
    for (surface, text) in Surface::ALL.into_iter().zip(per_surface) {
        sources.push(PolicySource { origin: format!("policies/{surface}/team.cedar"), surface: Some(surface), text });
    }
    sources
}

/// The entity data one decision reads, built as the runtime builds it.
fn entities() -> EntitySet {
    let mut builder = EntitySetBuilder::new();
    builder.agent(&AgentFacts {
        id: "planner-01".into(),
        sandbox_tier: 2,
        roles: vec!["planner".into()],
        groups: vec!["engineering".into()],
        ..AgentFacts::default()
    });
    builder.tool(&ToolFacts {
        id: "search".into(),
        risk_tier: "low".into(),
        tool_sets: vec!["approved".into()],
        ..ToolFacts::default()
    });
    builder.tool_set("approved", &[]);
    builder.agent_group("engineering", &[]);
    builder.build().unwrap()
}

fn request() -> PolicyRequest {
    PolicyRequest {
        principal: EntityRef::Agent("planner-01".into()),
        action: Action::InvokeTool,
        resource: EntityRef::Tool("search".into()),
        surface: Surface::Run,
        delegation_depth: None,
    }
}

/// The naive baseline: every policy of every surface in one Cedar set, the same entity data,
/// a request built once without schema checks.
struct Naive {
    set: cedar_policy::PolicySet,
    entities: cedar_policy::Entities,
    request: cedar_policy::Request,
}

impl Naive {
    fn new(sources: &[PolicySource], entities: &EntitySet) -> Self {
        let mut set = cedar_policy::PolicySet::new();
        for (n, source) in sources.iter().enumerate() {
            for policy in cedar_policy::PolicySet::from_str(&source.text).unwrap().policies() {
                set.add(policy.new_id(cedar_policy::PolicyId::new(format!("{n}-{}", policy.id())))).unwrap();
            }
        }
        let schema = cedar_policy::Schema::from_cedarschema_str(symbi_policy::SCHEMA_TEXT).unwrap().0;
        let entities = cedar_policy::Entities::from_json_value(entities.to_json(), Some(&schema)).unwrap();
        let context = cedar_policy::Context::from_json_value(serde_json::json!({"surface": "run"}), None).unwrap();
        let request = cedar_policy::Request::new(
            r#"Agent::"planner-01""#.parse().unwrap(),
            r#"Action::"invoke_tool""#.parse().unwrap(),
            r#"Tool::"search""#.parse().unwrap(),
            context,
            None,
        )
        .unwrap();
        Self { set, entities, request }
    }

    fn decide(&self, authorizer: &cedar_policy::Authorizer) -> cedar_policy::Decision {
        authorizer.is_authorized(&self.request, &self.set, &self.entities).decision()
    }
}

fn bench(c: &mut Criterion) {
    let sizes: &[usize] = if measuring() { &SIZES } else { &SIZES[..2] };
    let entities = entities();
    let request = request();
    let authorizer = cedar_policy::Authorizer::new();
    let mut table = Vec::new();
    let mut group = c.benchmark_group("decide");
    group.sample_size(20).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    for &size in sizes {
        let sources = sources(size);
        let policies = Policies::compile(&sources).unwrap();
        assert_eq!(policies.len(), size, "the generator makes exactly `size` policies");
        let naive = Naive::new(&sources, &entities);
        let ours = policies.evaluate(&request, &entities);
        assert_eq!(ours.decision.as_str(), "allow", "{ours:?}");
        assert_eq!(naive.decide(&authorizer), cedar_policy::Decision::Allow);

        group.bench_with_input(BenchmarkId::new("naive cedar, whole set (baseline)", size), &size, |b, _| {
            b.iter(|| naive.decide(&authorizer));
        });
        group.bench_with_input(BenchmarkId::new("symbi-policy evaluate", size), &size, |b, _| {
            b.iter(|| policies.evaluate(black_box(&request), &entities).decision);
        });

        // Naive Cedar at 10,000 policies takes milliseconds a decision; fewer samples keep the
        // run short without changing the percentiles much.
        let samples = if !measuring() {
            10
        } else if size >= 10_000 {
            300
        } else {
            10_000
        };
        let ours = percentiles(samples, || {
            black_box(policies.evaluate(black_box(&request), &entities));
        });
        let theirs = percentiles(samples, || {
            black_box(naive.decide(&authorizer));
        });
        table.push((size, ours, theirs));
    }
    group.finish();

    eprintln!("\npolicies | ours p50 | ours p99 | naive p50 | naive p99 | naive/ours (p50)");
    for (size, (p50, p99), (n50, n99)) in &table {
        let ratio = n50.as_secs_f64() / p50.as_secs_f64().max(1e-12);
        eprintln!("{size:>8} | {p50:>8.1?} | {p99:>8.1?} | {n50:>9.1?} | {n99:>9.1?} | {ratio:>6.1}x");
    }
    throughput(if measuring() { Duration::from_secs(3) } else { Duration::from_millis(50) });
}

/// p50 and p99 of `samples` single timed runs of `f`.
fn percentiles(samples: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..samples)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    let at = |p: usize| times[(times.len() * p / 100).min(times.len() - 1)];
    (at(50), at(99))
}

/// Decisions a second at 1,000 policies on two threads, each building the entity data for every
/// decision with `EntitySetBuilder`: the cost of a decision whose entities are not cached. The
/// Governor keeps built entity data until runtime state changes; symbi-runtime's `gate` bench
/// measures that path.
fn throughput(run_for: Duration) {
    let policies = Policies::compile(&sources(1_000)).unwrap();
    let request = request();
    let start = Instant::now();
    let decided: u64 = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let mut n = 0_u64;
                    while start.elapsed() < run_for {
                        for _ in 0..64 {
                            black_box(policies.evaluate(&request, &entities()));
                        }
                        n += 64;
                    }
                    n
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    });
    let per_second = decided as f64 / start.elapsed().as_secs_f64();
    eprintln!(
        "throughput at 1,000 policies, 2 threads, entities built for every decision: {per_second:.0} decisions/s"
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
