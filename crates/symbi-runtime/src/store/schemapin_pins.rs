//! SchemaPin key pins in the embedded store, so a pin made by `symbi schemapin` and one made by
//! the runtime are the same pin. The trait is synchronous (verification runs on the blocking
//! pool), so these calls take the writer connection directly; `insert_new` is one `INSERT … ON
//! CONFLICT DO NOTHING`, which makes two racing first uses leave exactly one pin.

use rusqlite::{OptionalExtension, params};
use symbi_schemapin::{Domain, Fingerprint, Pin, PinStore, PinStoreError, ToolName};

use super::sqlite::{SqliteStore, lock};

impl PinStore for SqliteStore {
    fn get(&self, tool: &ToolName, domain: &Domain) -> Result<Option<Pin>, PinStoreError> {
        let conn = lock(&self.inner.writer);
        let row = conn
            .query_row(
                "SELECT fingerprint, pinned_at FROM schemapin_pins WHERE domain = ?1 AND tool = ?2",
                params![domain.as_str(), tool.as_str()],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
            )
            .optional()
            .map_err(backend)?;
        row.map(|(fingerprint, pinned_at)| pin(tool.as_str(), domain.as_str(), &fingerprint, pinned_at)).transpose()
    }

    fn insert_new(&self, pin: Pin) -> Result<(), PinStoreError> {
        let conn = lock(&self.inner.writer);
        let inserted = conn
            .execute(
                "INSERT INTO schemapin_pins (domain, tool, fingerprint, pinned_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(domain, tool) DO NOTHING",
                params![pin.domain.as_str(), pin.tool.as_str(), pin.fingerprint.as_str(), seconds(pin.pinned_at)],
            )
            .map_err(backend)?;
        if inserted == 0 {
            return Err(PinStoreError::AlreadyPinned { tool: pin.tool, domain: pin.domain });
        }
        Ok(())
    }

    fn replace(&self, pin: Pin) -> Result<(), PinStoreError> {
        let conn = lock(&self.inner.writer);
        conn.execute(
            "INSERT INTO schemapin_pins (domain, tool, fingerprint, pinned_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(domain, tool) DO UPDATE SET fingerprint = excluded.fingerprint, pinned_at = excluded.pinned_at",
            params![pin.domain.as_str(), pin.tool.as_str(), pin.fingerprint.as_str(), seconds(pin.pinned_at)],
        )
        .map_err(backend)?;
        Ok(())
    }

    fn remove(&self, tool: &ToolName, domain: &Domain) -> Result<bool, PinStoreError> {
        let conn = lock(&self.inner.writer);
        let removed = conn
            .execute(
                "DELETE FROM schemapin_pins WHERE domain = ?1 AND tool = ?2",
                params![domain.as_str(), tool.as_str()],
            )
            .map_err(backend)?;
        Ok(removed > 0)
    }

    fn list(&self) -> Result<Vec<Pin>, PinStoreError> {
        let conn = lock(&self.inner.writer);
        let mut statement = conn
            .prepare("SELECT tool, domain, fingerprint, pinned_at FROM schemapin_pins ORDER BY domain, tool")
            .map_err(backend)?;
        let rows = statement
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?))
            })
            .map_err(backend)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(backend)?;
        rows.iter().map(|(tool, domain, fingerprint, at)| pin(tool, domain, fingerprint, *at)).collect()
    }
}

/// A stored row back into a pin; a row that no longer parses is a store failure, never a
/// silently dropped pin.
fn pin(tool: &str, domain: &str, fingerprint: &str, pinned_at: i64) -> Result<Pin, PinStoreError> {
    let corrupt = |what: &str| PinStoreError::Backend { message: format!("stored pin has an invalid {what}") };
    Ok(Pin {
        tool: ToolName::new(tool).map_err(|_| corrupt("tool name"))?,
        domain: Domain::new(domain).map_err(|_| corrupt("domain"))?,
        fingerprint: Fingerprint::parse(fingerprint).map_err(|_| corrupt("fingerprint"))?,
        pinned_at: u64::try_from(pinned_at).map_err(|_| corrupt("time"))?,
    })
}

fn seconds(at: u64) -> i64 {
    i64::try_from(at).unwrap_or(i64::MAX)
}

fn backend(e: rusqlite::Error) -> PinStoreError {
    PinStoreError::Backend { message: super::sqlite::backend(e).to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> (ToolName, Domain) {
        (ToolName::new("get_weather").unwrap(), Domain::new("tools.example.com").unwrap())
    }

    #[test]
    fn pins_are_made_once_replaced_only_explicitly_and_kept_across_opens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let store = SqliteStore::open(&path).unwrap();
        let (tool, domain) = names();
        let first = Fingerprint::parse(&format!("sha256:{}", "a".repeat(64))).unwrap();
        let second = Fingerprint::parse(&format!("sha256:{}", "b".repeat(64))).unwrap();
        let make = |fingerprint: &Fingerprint| Pin {
            tool: tool.clone(),
            domain: domain.clone(),
            fingerprint: fingerprint.clone(),
            pinned_at: 1_800_000_000,
        };
        assert_eq!(store.get(&tool, &domain).unwrap(), None);
        store.insert_new(make(&first)).unwrap();
        assert!(matches!(store.insert_new(make(&second)), Err(PinStoreError::AlreadyPinned { .. })));
        assert_eq!(store.get(&tool, &domain).unwrap().unwrap().fingerprint, first);
        store.replace(make(&second)).unwrap();
        drop(store);

        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.list().unwrap(), [make(&second)]);
        assert!(store.remove(&tool, &domain).unwrap());
        assert!(!store.remove(&tool, &domain).unwrap());
        assert!(store.list().unwrap().is_empty());
    }
}
