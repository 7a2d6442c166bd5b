//! Filters and cursor paging for reading the log (`symbi audit tail`, `GET /api/v1/audit`).

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::record::{Decision, EventId, EventIdParseError, EventKind, Record};

/// Which records a query returns; empty fields match everything.
#[derive(Debug, Clone)]
pub struct QueryFilter {
    /// Only records about this agent.
    pub agent: Option<String>,
    /// Only records with this decision.
    pub decision: Option<Decision>,
    /// Only records at or after this time.
    pub since: Option<SystemTime>,
    /// Only records of this kind.
    pub kind: Option<EventKind>,
    /// Continue after a previous page.
    pub after: Option<Cursor>,
    /// The most records in a page (1 to [`QueryFilter::MAX_LIMIT`]).
    pub limit: usize,
}

impl Default for QueryFilter {
    fn default() -> Self {
        Self { agent: None, decision: None, since: None, kind: None, after: None, limit: 100 }
    }
}

impl QueryFilter {
    /// The largest page size.
    pub const MAX_LIMIT: usize = 10_000;

    pub(crate) fn matches(&self, record: &Record) -> bool {
        let event = record.event();
        self.agent.as_deref().is_none_or(|agent| event.agent.as_deref() == Some(agent))
            && self.decision.is_none_or(|decision| event.decision == Some(decision))
            && self.kind.is_none_or(|kind| event.kind == kind)
            && self.since.is_none_or(|since| {
                since.duration_since(UNIX_EPOCH).map_or(true, |d| u128::from(record.timestamp_ms) >= d.as_millis())
            })
    }
}

/// One page of query results.
#[derive(Debug, Clone)]
pub struct Page {
    /// The matching records, oldest first.
    pub records: Vec<Record>,
    /// Where the next page starts, or `None` when the log (as of this query) is exhausted.
    pub next: Option<Cursor>,
}

/// An opaque position to resume a query from; its text form is the id of the last record the
/// previous page scanned.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Cursor(EventId);

impl Cursor {
    pub(crate) const fn after(seq: u64) -> Self {
        Self(EventId::from_seq(seq))
    }

    pub(crate) const fn next_seq(self) -> u64 {
        self.0.seq().saturating_add(1)
    }
}

impl From<EventId> for Cursor {
    /// Resumes after the record `id`.
    fn from(id: EventId) -> Self {
        Self(id)
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for Cursor {
    type Err = EventIdParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.parse().map(Self)
    }
}
