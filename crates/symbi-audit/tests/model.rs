//! Model-based property test: random appends, checkpoints, archives and reopens drive the real
//! log and a `Vec` of events; after every step both must agree on every record and every query.

use proptest::prelude::*;
use symbi_audit::{AuditConfig, AuditLog, Decision, Event, EventId, EventKind, QueryFilter};

mod paging;

#[derive(Debug, Clone)]
enum Op {
    Append { agent: u8, decision: Option<Decision> },
    Checkpoint,
    Archive,
    Reopen,
    Query { agent: Option<u8>, decision: Option<Decision>, limit: usize },
}

fn decision() -> impl Strategy<Value = Option<Decision>> {
    proptest::option::of(prop_oneof![Just(Decision::Allow), Just(Decision::Deny), Just(Decision::RequireApproval)])
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u8..4, decision()).prop_map(|(agent, decision)| Op::Append { agent, decision }),
        1 => Just(Op::Checkpoint),
        1 => Just(Op::Archive),
        1 => Just(Op::Reopen),
        2 => (proptest::option::of(0u8..4), decision(), 1usize..8)
            .prop_map(|(agent, decision, limit)| Op::Query { agent, decision, limit }),
    ]
}

fn event(agent: u8, decision: Option<Decision>) -> Event {
    let mut event = Event::new(EventKind::ApprovalResolved);
    event.agent = Some(format!("agent-{agent}"));
    event.decision = decision;
    event
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn the_log_behaves_like_a_vec(ops in proptest::collection::vec(op(), 1..40)) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let config = AuditConfig { checkpoint_every: 5, checkpoint_interval: None, segment_max_bytes: 400, ..AuditConfig::default() };
        let mut log = AuditLog::open(dir.path(), &config).unwrap();
        let mut model: Vec<Event> = Vec::new();
        for op in ops {
            match op {
                Op::Append { agent, decision } => {
                    let receipt = log.append_blocking(event(agent, decision)).unwrap();
                    prop_assert_eq!(receipt.event_id, EventId::from_seq(model.len() as u64));
                    model.push(event(agent, decision));
                }
                Op::Checkpoint => {
                    let checkpoint = runtime.block_on(log.checkpoint()).unwrap();
                    prop_assert_eq!(checkpoint.tree_size(), model.len() as u64);
                }
                Op::Archive => {
                    runtime.block_on(log.archive_segments()).unwrap();
                }
                Op::Reopen => {
                    drop(log);
                    log = AuditLog::open(dir.path(), &config).unwrap();
                }
                Op::Query { agent, decision, limit } => {
                    let filter = QueryFilter { agent: agent.map(|a| format!("agent-{a}")), decision, limit, ..QueryFilter::default() };
                    let expected: Vec<EventId> = model
                        .iter()
                        .enumerate()
                        .filter(|(_, e)| filter.agent.is_none() || e.agent == filter.agent)
                        .filter(|(_, e)| decision.is_none() || e.decision == decision)
                        .map(|(i, _)| EventId::from_seq(i as u64))
                        .collect();
                    prop_assert_eq!(paging::query_all(filter, |f| log.query(f)), expected);
                }
            }
            prop_assert_eq!(log.len(), model.len() as u64);
        }
        for (i, expected) in model.iter().enumerate() {
            let record = log.record(EventId::from_seq(i as u64)).unwrap().unwrap();
            prop_assert_eq!(record.event(), expected);
        }
        prop_assert_eq!(log.verify().unwrap().records, model.len() as u64);
    }
}
