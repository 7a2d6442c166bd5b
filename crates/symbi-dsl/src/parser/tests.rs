use std::time::{Duration, Instant};

use crate::ast::{BinaryOp, ExprKind, Item, Literal, RuleKind, StmtKind};
use crate::diagnostic::ParseError;
use crate::parser::{MAX_DEPTH, MAX_ERRORS, MAX_SOURCE_BYTES, parse_source};

fn errors(source: &str) -> Vec<String> {
    parse_source(source).errors.iter().map(ToString::to_string).collect()
}

fn first_stmt_expr(source: &str) -> ExprKind {
    let wrapped = format!("function f() {{ {source}; }}");
    let parsed = parse_source(&wrapped);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let Some(Item::Function(function)) = parsed.file.items.into_iter().next() else { panic!("no function") };
    match function.body.stmts.into_iter().next().map(|stmt| stmt.kind) {
        Some(StmtKind::Expr { expr, .. }) => expr.kind,
        other => panic!("not an expression statement: {other:?}"),
    }
}

/// Time-bounded: the hard limits must make hostile inputs cheap.
fn quickly<T>(run: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = run();
    assert!(start.elapsed() < Duration::from_secs(5), "took {:?}", start.elapsed());
    out
}

#[test]
fn seed_example_parses_exactly_as_written() {
    let source = include_str!("../../tests/corpus/valid/seed_secure_analyst.symbi");
    let parsed = parse_source(source);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let Some(Item::Agent(agent)) = parsed.file.items.first() else { panic!("no agent") };
    assert_eq!(agent.name.name, "secure_analyst");
    assert_eq!(agent.params.len(), 1);
    assert_eq!(agent.returns.as_ref().map(|ty| ty.name.name.as_str()), Some("Result"));
    let Some(crate::ast::AgentMember::Policy(policy)) = agent.members.first() else { panic!("no policy") };
    let kinds: Vec<RuleKind> = policy.rules.iter().map(|rule| rule.kind).collect();
    assert_eq!(kinds, [RuleKind::Allow, RuleKind::Deny, RuleKind::Audit]);
    assert!(policy.rules.first().is_some_and(|rule| rule.condition.is_some() && !rule.without_approval));
    assert!(policy.rules.get(1).is_some_and(|rule| rule.condition.is_none() && rule.without_approval));
}

#[test]
fn precedence_follows_the_grammar() {
    let ExprKind::Binary { op: BinaryOp::Or, rhs, .. } = first_stmt_expr("a || b && c == d + e * f") else {
        panic!("|| is lowest")
    };
    let ExprKind::Binary { op: BinaryOp::And, rhs, .. } = rhs.kind else { panic!("&& next") };
    let ExprKind::Binary { op: BinaryOp::Eq, rhs, .. } = rhs.kind else { panic!("== next") };
    let ExprKind::Binary { op: BinaryOp::Add, rhs, .. } = rhs.kind else { panic!("+ next") };
    assert!(matches!(rhs.kind, ExprKind::Binary { op: BinaryOp::Mul, .. }));
}

#[test]
fn operators_associate_to_the_left() {
    let ExprKind::Binary { op: BinaryOp::Sub, lhs, rhs } = first_stmt_expr("a - b - c") else { panic!() };
    assert!(matches!(lhs.kind, ExprKind::Binary { op: BinaryOp::Sub, .. }));
    assert!(matches!(rhs.kind, ExprKind::Name(ref name) if name == "c"));
}

#[test]
fn comparison_binds_tighter_than_equality_and_in() {
    let ExprKind::Binary { op: BinaryOp::In, lhs, .. } = first_stmt_expr("a < b in c") else { panic!() };
    assert!(matches!(lhs.kind, ExprKind::Binary { op: BinaryOp::Lt, .. }));
}

#[test]
fn literals_and_durations() {
    assert_eq!(first_stmt_expr("1_000"), ExprKind::Literal(Literal::Int(1000)));
    assert_eq!(first_stmt_expr("3.25"), ExprKind::Literal(Literal::Float(3.25)));
    let ExprKind::Literal(Literal::Duration { value: 30, unit }) = first_stmt_expr("30.seconds") else { panic!() };
    assert_eq!(unit.seconds(), 1);
    let ExprKind::Literal(Literal::Duration { value: 6, unit }) = first_stmt_expr("6months") else { panic!() };
    assert_eq!(unit.seconds(), 30 * 86_400);
    assert_eq!(first_stmt_expr("vault://a/b-c.d"), ExprKind::Literal(Literal::Vault("a/b-c.d".into())));
}

#[test]
fn struct_literals_are_not_read_in_conditions() {
    let parsed = parse_source("function f() { if ready { go(); } for x in items { use(x); } }");
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let parsed = parse_source("function f() { if (P { a: 1 }).ok { go(); } }");
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
}

#[test]
fn every_error_is_reported_in_one_pass() {
    let source = "agent a {\n    policy p {\n        allow read\n        deny: x without\n        permit: y\n    }\n    \
                  with {\n        x = 1\n        y = ;\n    }\n}\nbogus\nagent b {\n}\n";
    let parsed = parse_source(source);
    let found: Vec<String> = parsed.errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        found,
        [
            "expected `:` after the rule kind, found `read`",
            "expected `approval` after `without`, found `permit`",
            "expected `allow`, `deny`, `require` or `audit`, found `permit`",
            "expected `;`, found `y`",
            "expected an expression, found `;`",
            "expected an item such as `agent` or `metadata`, found `bogus`",
        ]
    );
    // The tolerant tree still holds both agents.
    assert_eq!(parsed.file.items.len(), 2);
}

#[test]
fn unclosed_block_stops_at_the_next_item() {
    let parsed = parse_source("agent a {\n    with {\n        x = 1;\n\nagent b {\n}\n");
    let found: Vec<String> = parsed.errors.iter().map(ToString::to_string).collect();
    assert_eq!(found, ["unclosed `{`", "unclosed `{`"]);
    assert_eq!(parsed.file.items.len(), 2);
}

#[test]
fn deep_parentheses_are_an_error_not_a_stack_overflow() {
    let source = format!("agent a {{ with {{ x = {}1{}; }} }}", "(".repeat(100_000), ")".repeat(100_000));
    let parsed = quickly(|| parse_source(&source));
    assert!(matches!(parsed.errors.as_slice(), [ParseError::TooDeep { limit: MAX_DEPTH, .. }]), "{:?}", parsed.errors);
}

#[test]
fn deep_blocks_unary_and_chains_are_bounded() {
    let cases = [
        format!("function f() {}{}", "{ if a ".repeat(50_000), "}".repeat(50_000)),
        format!("function f() {{ x = {}1; }}", "-".repeat(100_000)),
        format!("function f() {{ x = {}; }}", vec!["a"; 100_000].join(" + ")),
        format!("function f() {{ x = a{}; }}", ".b".repeat(100_000)),
        format!("function f() {{ x = {}; }}", "[".repeat(100_000)),
        format!("type T = {}", "List<".repeat(100_000)),
        format!("metadata {{ {}", "a { ".repeat(100_000)),
        format!("function f() {{ x = {}a; }}", "a => ".repeat(100_000)),
    ];
    for source in cases {
        let parsed = quickly(|| parse_source(&source));
        assert!(parsed.errors.iter().any(|e| matches!(e, ParseError::TooDeep { .. })), "{:?}", parsed.errors.first());
        assert_eq!(parsed.errors.len(), 1);
    }
}

#[test]
fn long_flat_chains_within_the_limit_parse() {
    let source = format!("function f() {{ x = {}; }}", vec!["a"; MAX_DEPTH / 2].join(" + "));
    assert!(parse_source(&source).errors.is_empty());
}

#[test]
fn oversized_source_is_refused_without_parsing() {
    let source = "#".repeat(MAX_SOURCE_BYTES + 1);
    let parsed = quickly(|| parse_source(&source));
    assert!(matches!(parsed.errors.as_slice(), [ParseError::TooLarge { .. }]));
}

#[test]
fn garbage_stops_after_the_error_limit() {
    for source in ["@".repeat(1_000_000), "function f() {\n".to_owned() + &"x = ;\n".repeat(100_000)] {
        let parsed = quickly(|| parse_source(&source));
        assert_eq!(parsed.errors.len(), MAX_ERRORS + 1);
        assert!(matches!(parsed.errors.last(), Some(ParseError::TooManyErrors { .. })), "{:?}", parsed.errors.last());
    }
}

#[test]
fn top_level_garbage_is_one_error_per_run() {
    for source in ["agent ".repeat(200_000), "} ".repeat(200_000)] {
        let parsed = quickly(|| parse_source(&source));
        assert_eq!(parsed.errors.len(), 1, "{:?}", parsed.errors);
    }
}

#[test]
fn a_large_valid_file_parses_quickly() {
    let agent = include_str!("../../tests/corpus/valid/init_assistant.symbi").replace("agent assistant", "agent a");
    let mut source = String::new();
    let mut index = 0;
    while source.len() < 1024 * 1024 {
        source.push_str(&agent.replace("agent a(", &format!("agent a{index}(")));
        index += 1;
    }
    let parsed = quickly(|| parse_source(&source));
    assert!(parsed.errors.is_empty());
    assert_eq!(parsed.file.items.len(), 2 * index);
}

#[test]
fn missing_semicolon_is_reported_at_the_end_of_the_line() {
    let parsed = parse_source("function f() {\n    x = 1\n    y = 2;\n}\n");
    let [ParseError::Unexpected { span, .. }] = parsed.errors.as_slice() else { panic!("{:?}", parsed.errors) };
    assert_eq!((span.start(), span.len()), (24, 0));
}

#[test]
fn keys_may_be_keywords_but_names_may_not() {
    assert!(errors("schedule s {\n    policy = \"p\"\n    agent = \"a\"\n    audit = \"all\"\n}\n").is_empty());
    assert_eq!(errors("agent if {\n}\n"), ["expected an agent name, found keyword `if`"]);
}

#[test]
fn vault_paths_keep_dots_and_dashes() {
    assert_eq!(first_stmt_expr("vault://07.-.o1"), ExprKind::Literal(Literal::Vault("07.-.o1".into())));
}
