#![expect(clippy::indexing_slicing, reason = "tests index fixtures whose shape they assert")]

use std::time::Duration;

use crate::ast::RuleKind;
use crate::model::{Classification, FilterMatch, Platform, Provider, Secret, Tier, Timing, Value};
use crate::parser::parse_source;
use crate::semantic::check;

fn model(source: &str) -> crate::model::Model {
    let parsed = parse_source(source);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    check(&parsed.file).unwrap_or_else(|errors| panic!("{errors:?}"))
}

fn check_errors(source: &str) -> Vec<String> {
    let parsed = parse_source(source);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    check(&parsed.file).err().map(|errors| errors.iter().map(ToString::to_string).collect()).unwrap_or_default()
}

#[test]
fn seed_agent_model() {
    let model = model(include_str!("../../tests/corpus/valid/seed_secure_analyst.symbi"));
    let agent = model.agent("secure_analyst").unwrap();
    assert!(agent.requires_approval());
    assert_eq!(agent.tier(), None);
    assert_eq!(agent.attributes().len(), 1);
    let rules = agent.policies()[0].rules();
    assert_eq!((rules[0].kind(), rules[0].action(), rules[0].args().len()), (RuleKind::Allow, "read", 1));
    assert!(rules[0].condition().is_some() && !rules[0].requires_approval());
    assert_eq!((rules[1].kind(), rules[1].action()), (RuleKind::Deny, "send_email"));
    assert!(rules[1].requires_approval());
    assert_eq!((rules[2].kind(), rules[2].action()), (RuleKind::Audit, "all_operations"));
}

#[test]
fn sandbox_tiers_and_timeouts() {
    let model = model(include_str!("../../tests/corpus/valid/sandbox_tiers.symbi"));
    let tiers: Vec<(Option<Tier>, Option<Duration>)> =
        model.agents().iter().map(|agent| (agent.tier(), agent.timeout())).collect();
    assert_eq!(
        tiers,
        [
            (Some(Tier::Native), Some(Duration::from_secs(45))),
            (Some(Tier::Container), Some(Duration::from_secs(5_400))),
            (Some(Tier::Gvisor), Some(Duration::from_secs(90))),
            (Some(Tier::Firecracker), Some(Duration::from_secs(300))),
            (Some(Tier::Native), None),
            (None, None),
        ]
    );
    assert_eq!(Tier::Firecracker.level(), 3);
}

#[test]
fn init_agents_model() {
    let model = model(include_str!("../../tests/corpus/valid/init_dev.symbi"));
    let agent = model.agent("dev").unwrap();
    assert_eq!(agent.capabilities(), ["read", "write", "invoke_tool"]);
    assert_eq!(agent.tier(), Some(Tier::Gvisor));
    assert_eq!(agent.timeout(), Some(Duration::from_secs(600)));
    assert!(agent.requires_approval());
    assert_eq!(model.metadata_value("version"), Some(&Value::Str("0.1.0".into())));
}

#[test]
fn schedules_model() {
    let model = model(include_str!("../../tests/corpus/valid/schedules.symbi"));
    let schedules = model.schedules();
    assert_eq!(schedules[0].timing(), &Timing::Cron("0 9 * * 1-5".into()));
    assert_eq!(schedules[0].timezone(), "America/New_York");
    assert_eq!(schedules[0].deliver().len(), 2);
    assert_eq!(schedules[2].timezone(), "UTC");
    assert_eq!(schedules[3].timing(), &Timing::At("2026-03-01T09:00:00+01:00".into()));
    assert!(schedules[3].one_shot());
    assert_eq!(schedules[3].deliver(), ["slack:#launch"]);
}

#[test]
fn webhooks_model() {
    let model = model(include_str!("../../tests/corpus/valid/webhooks.symbi"));
    let hooks = model.webhooks();
    assert_eq!(hooks[0].path(), "/hooks/github");
    assert_eq!(hooks[0].provider(), Some(&Provider::GitHub));
    assert_eq!(hooks[0].secret(), Some(&Secret::Vault("webhooks/github".into())));
    let filter = hooks[0].filter().unwrap();
    assert_eq!((filter.json_path.as_str(), &filter.matcher), ("$.action", &FilterMatch::Equals("created".into())));
    assert_eq!(hooks[1].secret(), Some(&Secret::Vault("webhooks/stripe".into())));
    assert_eq!(hooks[1].filter().unwrap().matcher, FilterMatch::Contains("failed".into()));
    assert_eq!(format!("{:?}", hooks[2].secret().unwrap()), "Inline(<redacted>)");
    assert_eq!(hooks[3].provider(), Some(&Provider::Custom("acme".into())));
}

#[test]
fn memory_and_channels_model() {
    let model = model(include_str!("../../tests/corpus/valid/memory.symbi"));
    let memory = &model.memories()[0];
    assert_eq!((memory.path(), memory.retention()), ("data/incidents", Duration::from_secs(730 * 86_400)));
    assert_eq!((memory.vector_weight(), memory.keyword_weight()), (0.5, 0.5));
    let defaults = &model.memories()[2];
    assert_eq!((defaults.path(), defaults.vector_weight(), defaults.keyword_weight()), ("data/agents", 0.7, 0.3));
    assert_eq!(defaults.retention(), Duration::from_secs(90 * 86_400));

    let model = self::model(include_str!("../../tests/corpus/valid/channels.symbi"));
    let slack = &model.channels()[0];
    assert_eq!(slack.platform(), Platform::Slack);
    assert_eq!(slack.channels(), ["#ops", "#incidents"]);
    assert_eq!(slack.policies()[0].rules().len(), 3);
    assert_eq!(slack.data_classification()[1], ("phi".to_owned(), Classification::Block));
    assert!(!model.channels()[1].default_deny());
    assert!(model.channels()[2].default_deny());
}

#[test]
fn metadata_values() {
    let model = model(include_str!("../../tests/corpus/valid/metadata.symbi"));
    assert_eq!(model.metadata_value("offset"), Some(&Value::Int(-5)));
    assert_eq!(model.metadata_value("window"), Some(&Value::Duration(Duration::from_secs(900))));
    assert!(matches!(model.metadata_value("limits"), Some(Value::Record(fields)) if fields.len() == 2));
}

#[test]
fn semantic_errors_are_all_reported_in_source_order() {
    let errors = check_errors(
        "agent a {\n    with sandbox = \"e2b\", timeout = \"1 fortnight\" {\n    }\n}\n\
         schedule s {\n    cron = \"* * * * * * *\"\n}\nagent a {\n}\n",
    );
    assert_eq!(
        errors,
        [
            "unknown sandbox tier `e2b`",
            "invalid duration `1 fortnight`: unknown unit `fortnight`",
            "invalid cron expression `* * * * * * *`: it has `7` fields, not 5 or 6",
            "duplicate agent `a`",
        ]
    );
}

#[test]
fn names_live_in_separate_namespaces() {
    assert!(check_errors("agent x {\n}\nschedule x {\n    cron = \"@daily\"\n}\nmemory x {\n}\n").is_empty());
    assert_eq!(check_errors("memory m {\n}\nmemory m {\n}\n"), ["duplicate memory `m`"]);
    assert_eq!(
        check_errors("channel c {\n    platform = slack\n}\nchannel c {\n    platform = teams\n}\n"),
        ["duplicate channel `c`"]
    );
    assert_eq!(
        check_errors("type T = Int\ntype T = {\n    a: Int,\n    a: Int\n}\n"),
        ["duplicate type `T`", "duplicate field `a`"]
    );
}

#[test]
fn huge_metadata_numbers_are_errors_not_panics() {
    assert_eq!(check_errors("metadata {\n    n = 18446744073709551615\n}\n").len(), 1);
    assert_eq!(check_errors("metadata {\n    n = -18446744073709551615\n}\n").len(), 1);
    assert_eq!(check_errors("metadata {\n    n = f(x)\n}\n").len(), 1);
    assert_eq!(
        check_errors("agent a {\n    with timeout = 99999999999999999y {\n    }\n}\n"),
        ["invalid duration `99999999999999999y`: too long"]
    );
}
