//! Paging through a whole log with a cursor, as a REST client or `symbi audit tail` would; shared
//! by the test binaries so `AuditLog` and `AuditReader` are paged the same way.

use symbi_audit::{EventId, Page, QueryFilter, ReadError};

/// Every id `query` returns for `filter`, following each page's `next` cursor to the end.
#[expect(clippy::unwrap_used, reason = "a log that cannot be read fails the test")]
pub(crate) fn query_all(
    mut filter: QueryFilter,
    query: impl Fn(&QueryFilter) -> Result<Page, ReadError>,
) -> Vec<EventId> {
    let mut ids = Vec::new();
    loop {
        let page = query(&filter).unwrap();
        ids.extend(page.records.iter().map(|r| r.event_id()));
        match page.next {
            Some(next) => filter.after = Some(next),
            None => return ids,
        }
    }
}
