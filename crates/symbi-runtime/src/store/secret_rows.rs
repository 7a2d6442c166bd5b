//! Sealed secrets in the embedded store. Rows hold only what the secret key sealed; the key lives
//! in the data directory, never in the database, so a copy of `store.db` alone reveals no value.

use rusqlite::{Connection, OptionalExtension, params};

use super::sqlite::{backend, millis, time};
use super::{StoreError, StoredSecret};

pub(super) fn put(conn: &mut Connection, secret: &StoredSecret) -> Result<bool, StoreError> {
    let tx = conn.transaction().map_err(backend)?;
    let existed: bool = tx
        .query_row(
            "SELECT count(*) > 0 FROM secrets WHERE scope = ?1 AND name = ?2",
            params![secret.scope, secret.name],
            |r| r.get(0),
        )
        .map_err(backend)?;
    tx.execute(
        "INSERT INTO secrets (scope, name, sealed, updated_at_ms) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(scope, name) DO UPDATE SET sealed = ?3, updated_at_ms = ?4",
        params![secret.scope, secret.name, secret.sealed, millis(secret.updated_at)],
    )
    .map_err(backend)?;
    tx.commit().map_err(backend)?;
    Ok(existed)
}

pub(super) fn one(conn: &Connection, scope: &str, name: &str) -> Result<Option<StoredSecret>, StoreError> {
    conn.prepare_cached("SELECT scope, name, sealed, updated_at_ms FROM secrets WHERE scope = ?1 AND name = ?2")
        .map_err(backend)?
        .query_row(params![scope, name], read)
        .optional()
        .map_err(backend)
}

pub(super) fn all(conn: &Connection) -> Result<Vec<StoredSecret>, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT scope, name, sealed, updated_at_ms FROM secrets ORDER BY scope, name")
        .map_err(backend)?;
    let rows = stmt.query_map([], read).map_err(backend)?;
    rows.map(|r| r.map_err(backend)).collect()
}

pub(super) fn delete(conn: &mut Connection, scope: &str, name: &str) -> Result<bool, StoreError> {
    conn.execute("DELETE FROM secrets WHERE scope = ?1 AND name = ?2", params![scope, name])
        .map(|n| n > 0)
        .map_err(backend)
}

fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredSecret> {
    Ok(StoredSecret { scope: r.get(0)?, name: r.get(1)?, sealed: r.get(2)?, updated_at: time(r.get(3)?) })
}
