//! The database: one SQLite connection behind a mutex, used from blocking tasks, and the
//! embedded migrations.
//!
//! Why not sqlx: the workspace links `rusqlite` (the desktop's local store), and two SQLite
//! bindings cannot share one build (`links = "sqlite3"`). The server therefore speaks SQLite
//! through the same `rusqlite`; the SQL in `migrations/` stays portable so a PostgreSQL backend
//! (sqlx-postgres, which does not link SQLite) can apply the same files.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension, Transaction};
use sha2::{Digest, Sha256};

use crate::http::error::ApiError;

/// The embedded migrations, in order: (version, name, SQL).
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../migrations/0001_init.sql")),
    (2, "revision_authors", include_str!("../migrations/0002_revision_authors.sql")),
    (3, "client_bodies", include_str!("../migrations/0003_client_bodies.sql")),
];

/// Why the database could not be opened or migrated.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported database URL {0:?}: expected sqlite://PATH (PostgreSQL is not supported yet)")]
    UnsupportedUrl(String),
    #[error("migration {version} ({name}) was changed after it was applied")]
    MigrationChanged { version: i64, name: &'static str },
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// A handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
}

impl Db {
    /// Opens `sqlite://PATH` (or `sqlite::memory:`), configures it and applies the migrations.
    pub fn open_url(url: &str) -> Result<Self, DbError> {
        let conn = if url == "sqlite::memory:" {
            Connection::open_in_memory()?
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            let path = path.split('?').next().unwrap_or(path);
            Connection::open(Path::new(path))?
        } else {
            return Err(DbError::UnsupportedUrl(redact_url(url)));
        };
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")?;
        let mut conn = conn;
        migrate(&mut conn)?;
        Ok(Self { conn: Arc::new(Mutex::new(conn)) })
    }

    /// Runs `f` on a blocking thread inside one transaction, committed when `f` succeeds.
    pub async fn tx<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T, ApiError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().map_err(|_| ApiError::internal("database lock poisoned"))?;
            let tx = guard.transaction()?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })
        .await
        .map_err(|e| ApiError::internal(format!("database task failed: {e}")))?
    }
}

/// A database URL without its password, for messages.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://…@{}", &url[..scheme], &url[at + 1..]),
        _ => url.to_owned(),
    }
}

fn migrate(conn: &mut Connection) -> Result<(), DbError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS _migrations (
            version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )?;
    for &(version, name, sql) in MIGRATIONS {
        let checksum = hex::encode(Sha256::digest(sql.as_bytes()));
        let applied: Option<String> = conn
            .query_row("SELECT checksum FROM _migrations WHERE version = ?1", [version], |r| r.get(0))
            .optional()?;
        match applied {
            Some(existing) if existing == checksum => continue,
            Some(_) => return Err(DbError::MigrationChanged { version, name }),
            None => {
                let tx = conn.transaction()?;
                tx.execute_batch(sql)?;
                tx.execute(
                    "INSERT INTO _migrations (version, name, checksum, applied_at) VALUES (?1, ?2, ?3, ?4)",
                    rusqlite::params![version, name, checksum, crate::time::now_text()],
                )?;
                tx.commit()?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_once() -> Result<(), DbError> {
        let dir = tempfile::tempdir().map_err(|e| DbError::UnsupportedUrl(e.to_string()))?;
        let url = format!("sqlite://{}", dir.path().join("db.sqlite").display());
        drop(Db::open_url(&url)?);
        drop(Db::open_url(&url)?);
        Ok(())
    }

    #[test]
    fn postgres_urls_are_refused_without_their_password() {
        let err = Db::open_url("postgres://app:hunter2@db/revlens").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("not supported yet"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }
}
