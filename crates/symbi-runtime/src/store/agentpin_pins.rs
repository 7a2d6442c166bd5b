//! AgentPin key pins in the embedded store: per issuer domain, the keys its credentials were
//! first verified with. A credential signed by any other key of a pinned domain is refused until
//! the new key is added on purpose (`symbi keygen` adds the keys it makes). Check and pin happen in
//! one immediate transaction, so two first uses racing cannot pin two different keys.

use rusqlite::{TransactionBehavior, params};
use symbi_agentpin::{PinCandidate, PinOutcome, PinStore, PinStoreError, UnixTime};

use super::sqlite::{SqliteStore, lock};

impl PinStore for SqliteStore {
    fn check_and_pin(&self, domain: &str, key: PinCandidate<'_>, now: UnixTime) -> Result<PinOutcome, PinStoreError> {
        let mut conn = lock(&self.inner.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
        let pinned: Vec<String> = {
            let mut statement =
                tx.prepare("SELECT thumbprint FROM agentpin_pins WHERE domain = ?1").map_err(backend)?;
            statement
                .query_map(params![domain], |r| r.get(0))
                .map_err(backend)?
                .collect::<Result<_, _>>()
                .map_err(backend)?
        };
        let outcome = if pinned.is_empty() {
            insert(&tx, domain, key, now)?;
            PinOutcome::FirstUse
        } else if pinned.iter().any(|t| t == key.thumbprint) {
            PinOutcome::Matched
        } else {
            PinOutcome::Changed
        };
        tx.commit().map_err(backend)?;
        Ok(outcome)
    }
}

impl SqliteStore {
    /// Adds `key` to the pinned keys of `domain` (a key made here, or a rotation a person
    /// confirmed). Blocks on the store: call it from a blocking context.
    ///
    /// # Errors
    /// The store fails.
    pub fn add_agentpin_key(&self, domain: &str, key: PinCandidate<'_>, now: UnixTime) -> Result<(), PinStoreError> {
        let conn = lock(&self.inner.writer);
        insert(&conn, domain, key, now)
    }
}

fn insert(
    conn: &rusqlite::Connection,
    domain: &str,
    key: PinCandidate<'_>,
    now: UnixTime,
) -> Result<(), PinStoreError> {
    conn.execute(
        "INSERT INTO agentpin_pins (domain, thumbprint, kid, pinned_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(domain, thumbprint) DO NOTHING",
        params![domain, key.thumbprint, key.kid, now.secs()],
    )
    .map_err(backend)?;
    Ok(())
}

fn backend(e: rusqlite::Error) -> PinStoreError {
    PinStoreError::new(super::sqlite::backend(e).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_domain_keeps_the_keys_it_was_first_seen_with() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("s.db")).unwrap();
        let now = UnixTime::from_secs(1_800_000_000);
        let first = PinCandidate { kid: "a.example#one", thumbprint: "aa" };
        let other = PinCandidate { kid: "a.example#two", thumbprint: "bb" };
        assert_eq!(store.check_and_pin("a.example", first, now).unwrap(), PinOutcome::FirstUse);
        assert_eq!(store.check_and_pin("a.example", first, now).unwrap(), PinOutcome::Matched);
        assert_eq!(store.check_and_pin("a.example", other, now).unwrap(), PinOutcome::Changed);
        store.add_agentpin_key("a.example", other, now).unwrap();
        assert_eq!(store.check_and_pin("a.example", other, now).unwrap(), PinOutcome::Matched);
        assert_eq!(store.check_and_pin("b.example", other, now).unwrap(), PinOutcome::FirstUse, "pins are per domain");
    }
}
