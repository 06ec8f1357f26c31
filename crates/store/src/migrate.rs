use std::path::PathBuf;
use std::time::Duration;

use rusqlite::Connection;

use crate::{Layout, Result, StoreError};

/// One numbered SQL file of `migrations/`, embedded at build time.
#[derive(Debug)]
pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// Every migration this build knows, in order.
pub fn migrations() -> &'static [Migration] {
    MIGRATIONS
}

/// The schema version this build creates and understands.
pub fn latest_version() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

pub(crate) fn open_and_migrate(layout: &Layout) -> Result<Connection> {
    let path = layout.database();
    let mut conn = Connection::open(&path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    // Every transaction here writes: taking the write lock at BEGIN makes a second connection
    // (the app's sync, an import) wait for it, where a deferred one that read first would fail
    // at once with "database is locked" once the other had written.
    conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
    let found = user_version(&conn).map_err(|e| not_a_store(&path, e))?;
    let supported = latest_version();
    // Checked before any write (even the journal mode), so a newer file stays byte-identical.
    if found > supported {
        return Err(StoreError::NewerSchema { path, found, supported });
    }
    conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get::<_, String>(0))?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    if found < supported {
        let backup = if found > 0 { Some(backup(&conn, layout, found)?) } else { None };
        apply(&mut conn, found, supported, backup)?;
    }
    Ok(conn)
}

fn user_version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

fn not_a_store(path: &std::path::Path, error: rusqlite::Error) -> StoreError {
    StoreError::Corrupt { what: "database", detail: format!("{} is not a RevLens database ({error})", path.display()) }
}

/// A consistent copy of the whole database (WAL included), taken before migrating.
fn backup(conn: &Connection, layout: &Layout, version: u32) -> Result<PathBuf> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%3fZ");
    let target = layout.backups().join(format!("revlens-schema-v{version}-{stamp}.db"));
    let target_text = target.to_str().ok_or_else(|| StoreError::Corrupt {
        what: "backup path",
        detail: format!("{} is not valid UTF-8", target.display()),
    })?;
    conn.execute("VACUUM INTO ?1", [target_text])?;
    Ok(target)
}

/// Applies every migration after `from`, each in its own transaction with the version
/// bump, so a failure leaves the database at the last good version.
fn apply(conn: &mut Connection, from: u32, to: u32, backup: Option<PathBuf>) -> Result<()> {
    for migration in MIGRATIONS.iter().filter(|m| m.version > from && m.version <= to) {
        let mut step = || -> rusqlite::Result<()> {
            let tx = conn.transaction()?;
            tx.execute_batch(migration.sql)?;
            tx.pragma_update(None, "user_version", migration.version)?;
            tx.commit()
        };
        step().map_err(|source| StoreError::Migration {
            version: migration.version,
            name: migration.name,
            previous: migration.version - 1,
            backup: backup.clone().unwrap_or_default(),
            source,
        })?;
    }
    Ok(())
}
