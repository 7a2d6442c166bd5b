//! Parse + check of a 1 MiB `.symbi` file against simply lexing it, in the same run. Target:
//! parse + check ≤ 50 ms on the 2-core reference machine.

#![expect(clippy::expect_used, reason = "a bench that cannot set up should stop loudly")]
#![expect(missing_docs, reason = "criterion_group! generates an undocumented entry point")]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

/// The corpus agent that uses every statement and expression form.
const AGENT: &str = include_str!("../tests/corpus/valid/agent_full.symbi");

/// About 1 MiB of distinct, valid agents: the corpus agent renamed once per copy.
fn one_mebibyte() -> String {
    let start = AGENT.find("agent analyst").unwrap_or(0);
    let body = AGENT.get(start..).unwrap_or(AGENT);
    let mut source = String::with_capacity(1 << 20);
    let mut n = 0_u32;
    while source.len() < 1 << 20 {
        source.push_str(&body.replacen("agent analyst", &format!("agent analyst_{n}"), 1));
        source.push('\n');
        n += 1;
    }
    source
}

fn bench(c: &mut Criterion) {
    let source = one_mebibyte();
    let file = symbi_dsl::parse(&source).expect("the bench input parses");
    symbi_dsl::check(&file).expect("the bench input checks");
    let mut group = c.benchmark_group("dsl_1mib");
    group.sample_size(20);
    group.bench_function("lex_only_baseline", |b| b.iter(|| symbi_dsl::token_count(black_box(&source))));
    group.bench_function("parse_and_check", |b| {
        b.iter(|| {
            let file = symbi_dsl::parse(black_box(&source)).map_err(drop);
            file.and_then(|f| symbi_dsl::check(&f).map(drop).map_err(drop))
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
