//! The database: SQLite (one connection behind a mutex) or PostgreSQL (a small pool of
//! connections), used from blocking tasks, and the embedded migrations.
//!
//! Handlers never see which one they talk to: [`Db::tx`] hands them a [`Conn`], one
//! transaction, with a rusqlite-like API (`execute`, `query_row`, `prepare` + `query_map`,
//! [`params!`]) over portable SQL with `?N` placeholders (rewritten to `$N` for PostgreSQL).
//! Values cross the seam as [`Value`]s: NULL, integers (booleans are 0/1) and text.
//!
//! Why not sqlx: the workspace links `rusqlite` (the desktop's local store), and two SQLite
//! bindings cannot share one build (`links = "sqlite3"`). The server therefore speaks SQLite
//! through the same `rusqlite`, and PostgreSQL through the `postgres` crate (tokio-postgres
//! driven synchronously, which fits the blocking transactions). Both apply the same files in
//! `migrations/`, recorded with their checksums in `_migrations`.

use std::cell::RefCell;
use std::error::Error as StdError;
use std::path::Path;
use std::sync::{Arc, Mutex};

use parking_lot::FairMutex;
use sha2::{Digest, Sha256};

use crate::http::error::ApiError;

/// The embedded migrations, in order: (version, name, SQL). Every file runs unchanged on SQLite
/// and PostgreSQL.
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../migrations/0001_init.sql")),
    (2, "revision_authors", include_str!("../migrations/0002_revision_authors.sql")),
    (3, "client_bodies", include_str!("../migrations/0003_client_bodies.sql")),
    (4, "account_tokens", include_str!("../migrations/0004_account_tokens.sql")),
    (5, "uploads", include_str!("../migrations/0005_uploads.sql")),
    (6, "oidc", include_str!("../migrations/0006_oidc.sql")),
];

/// At most this many idle PostgreSQL connections are kept per server.
const MAX_IDLE_POSTGRES: usize = 8;

/// Why the database could not be opened or migrated.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported database URL {0:?}: expected sqlite://PATH, sqlite::memory: or postgres://…")]
    UnsupportedUrl(String),
    #[error("cannot connect to {url}: {source}")]
    Connect { url: String, source: postgres::Error },
    #[error("migration {version} ({name}) was changed after it was applied")]
    MigrationChanged { version: i64, name: &'static str },
    #[error(transparent)]
    Sql(#[from] SqlError),
    #[error("database task failed: {0}")]
    Task(String),
}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sql(e.into())
    }
}

/// A failed statement.
#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    #[error("the query returned no rows")]
    NoRows,
    #[error("column {index}: {message}")]
    Type { index: usize, message: String },
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error("{}", postgres_message(.0))]
    Postgres(#[from] postgres::Error),
}

impl SqlError {
    /// Whether a UNIQUE (or primary key) constraint refused the statement: another writer got
    /// there first.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            SqlError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => matches!(
                e.extended_code,
                rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            ),
            SqlError::Postgres(e) => e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION),
            _ => false,
        }
    }
}

/// A PostgreSQL error with the server's message (its `Display` alone says only "db error").
fn postgres_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => match e.source() {
            Some(source) => format!("{e}: {source}"),
            None => e.to_string(),
        },
    }
}

/// `query_row(…).optional()`: no row becomes `None`.
pub trait OptionalExtension<T> {
    fn optional(self) -> Result<Option<T>, SqlError>;
}

impl<T> OptionalExtension<T> for Result<T, SqlError> {
    fn optional(self) -> Result<Option<T>, SqlError> {
        match self {
            Ok(value) => Ok(Some(value)),
            Err(SqlError::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// One value in or out of a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// What can be bound to a placeholder.
pub trait ToValue {
    fn to_value(&self) -> Value;
}

impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}
impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_owned())
    }
}
impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}
impl ToValue for i64 {
    fn to_value(&self) -> Value {
        Value::Int(*self)
    }
}
impl ToValue for i32 {
    fn to_value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
impl ToValue for u32 {
    fn to_value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}
impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

/// The parameters of one statement: an array of one type, or [`params!`] for mixed types.
pub trait Params {
    fn into_values(self) -> Vec<Value>;
}

impl Params for [&dyn ToValue; 0] {
    fn into_values(self) -> Vec<Value> {
        Vec::new()
    }
}
impl Params for &[&dyn ToValue] {
    fn into_values(self) -> Vec<Value> {
        self.iter().map(|v| v.to_value()).collect()
    }
}
macro_rules! array_params {
    ($($n:literal)*) => {$(
        impl<T: ToValue> Params for [T; $n] {
            fn into_values(self) -> Vec<Value> {
                self.iter().map(ToValue::to_value).collect()
            }
        }
    )*};
}
array_params!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);

/// Parameters of mixed types: `params![org, rev, deleted]`.
macro_rules! params {
    ($($value:expr),* $(,)?) => {
        &[$(&$value as &dyn $crate::db::ToValue),*] as &[&dyn $crate::db::ToValue]
    };
}
pub(crate) use params;

/// What a column can be read as.
pub trait FromValue: Sized {
    fn from_value(value: &Value) -> Result<Self, String>;
}

impl FromValue for Value {
    fn from_value(value: &Value) -> Result<Self, String> {
        Ok(value.clone())
    }
}
impl FromValue for String {
    fn from_value(value: &Value) -> Result<Self, String> {
        match value {
            Value::Text(s) => Ok(s.clone()),
            other => Err(format!("expected text, found {other:?}")),
        }
    }
}
impl FromValue for i64 {
    fn from_value(value: &Value) -> Result<Self, String> {
        match value {
            Value::Int(i) => Ok(*i),
            other => Err(format!("expected an integer, found {other:?}")),
        }
    }
}
impl FromValue for u64 {
    fn from_value(value: &Value) -> Result<Self, String> {
        u64::try_from(i64::from_value(value)?).map_err(|e| e.to_string())
    }
}
impl FromValue for bool {
    fn from_value(value: &Value) -> Result<Self, String> {
        Ok(i64::from_value(value)? != 0)
    }
}
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: &Value) -> Result<Self, String> {
        match value {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

/// A column index (a type of its own so that `r.get(0)` infers `usize`).
pub trait RowIndex {
    fn index(self) -> usize;
}
impl RowIndex for usize {
    fn index(self) -> usize {
        self
    }
}

/// One result row.
#[derive(Debug)]
pub struct Row {
    values: Vec<Value>,
}

impl Row {
    pub fn get<I: RowIndex, T: FromValue>(&self, index: I) -> Result<T, SqlError> {
        let index = index.index();
        let value = self.values.get(index).ok_or_else(|| SqlError::Type { index, message: "no such column".into() })?;
        T::from_value(value).map_err(|message| SqlError::Type { index, message })
    }
}

/// One open transaction on either backend.
pub struct Conn<'a> {
    inner: Inner<'a>,
}

enum Inner<'a> {
    Sqlite(&'a rusqlite::Connection),
    Postgres(RefCell<postgres::Transaction<'a>>),
}

impl<'a> Conn<'a> {
    /// Runs a statement; returns the number of rows it changed.
    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize, SqlError> {
        let values = params.into_values();
        match &self.inner {
            Inner::Sqlite(conn) => {
                let mut stmt = conn.prepare_cached(sql)?;
                Ok(stmt.execute(rusqlite::params_from_iter(values.iter()))?)
            }
            Inner::Postgres(tx) => {
                let sql = postgres_sql(sql);
                let n = tx.borrow_mut().execute(sql.as_str(), &pg_params(&values))?;
                Ok(usize::try_from(n).unwrap_or(usize::MAX))
            }
        }
    }

    /// Runs several statements without parameters (migrations).
    pub fn execute_batch(&self, sql: &str) -> Result<(), SqlError> {
        match &self.inner {
            Inner::Sqlite(conn) => Ok(conn.execute_batch(sql)?),
            Inner::Postgres(tx) => Ok(tx.borrow_mut().batch_execute(sql)?),
        }
    }

    /// Every row of a query.
    pub fn query<P: Params>(&self, sql: &str, params: P) -> Result<Vec<Row>, SqlError> {
        let values = params.into_values();
        match &self.inner {
            Inner::Sqlite(conn) => {
                let mut stmt = conn.prepare_cached(sql)?;
                let columns = stmt.column_count();
                let mut rows = stmt.query(rusqlite::params_from_iter(values.iter()))?;
                let mut out = Vec::new();
                while let Some(row) = rows.next()? {
                    let values =
                        (0..columns).map(|i| row.get_ref(i).map(from_sqlite)).collect::<Result<Vec<_>, _>>()?;
                    out.push(Row { values });
                }
                Ok(out)
            }
            Inner::Postgres(tx) => {
                let sql = postgres_sql(sql);
                let rows = tx.borrow_mut().query(sql.as_str(), &pg_params(&values))?;
                rows.iter().map(from_postgres).collect()
            }
        }
    }

    /// The first row of a query, through `f`; [`SqlError::NoRows`] when there is none.
    pub fn query_row<T, P, F>(&self, sql: &str, params: P, f: F) -> Result<T, SqlError>
    where
        P: Params,
        F: FnOnce(&Row) -> Result<T, SqlError>,
    {
        let rows = self.query(sql, params)?;
        rows.first().map_or(Err(SqlError::NoRows), f)
    }

    /// A statement to run with [`Statement::query_map`].
    pub fn prepare<'c>(&'c self, sql: &'c str) -> Result<Statement<'c, 'a>, SqlError> {
        Ok(Statement { conn: self, sql })
    }
}

/// A query and the transaction it runs in.
pub struct Statement<'c, 'a> {
    conn: &'c Conn<'a>,
    sql: &'c str,
}

impl Statement<'_, '_> {
    /// Every row through `f`.
    pub fn query_map<T, P, F>(&mut self, params: P, f: F) -> Result<std::vec::IntoIter<Result<T, SqlError>>, SqlError>
    where
        P: Params,
        F: FnMut(&Row) -> Result<T, SqlError>,
    {
        let rows = self.conn.query(self.sql, params)?;
        Ok(rows.iter().map(f).collect::<Vec<_>>().into_iter())
    }
}

fn from_sqlite(value: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

fn from_postgres(row: &postgres::Row) -> Result<Row, SqlError> {
    use postgres::types::Type;
    let mut values = Vec::with_capacity(row.len());
    for (index, column) in row.columns().iter().enumerate() {
        let ty = column.type_();
        let value = if *ty == Type::INT8 {
            row.try_get::<_, Option<i64>>(index)?.map(Value::Int)
        } else if *ty == Type::INT4 {
            row.try_get::<_, Option<i32>>(index)?.map(|i| Value::Int(i64::from(i)))
        } else if *ty == Type::INT2 {
            row.try_get::<_, Option<i16>>(index)?.map(|i| Value::Int(i64::from(i)))
        } else if *ty == Type::BOOL {
            row.try_get::<_, Option<bool>>(index)?.map(|b| Value::Int(i64::from(b)))
        } else if *ty == Type::FLOAT8 {
            row.try_get::<_, Option<f64>>(index)?.map(Value::Real)
        } else if *ty == Type::FLOAT4 {
            row.try_get::<_, Option<f32>>(index)?.map(|f| Value::Real(f64::from(f)))
        } else if *ty == Type::BYTEA {
            row.try_get::<_, Option<Vec<u8>>>(index)?.map(Value::Blob)
        } else if [Type::TEXT, Type::VARCHAR, Type::BPCHAR, Type::NAME].contains(ty) {
            row.try_get::<_, Option<String>>(index)?.map(Value::Text)
        } else {
            return Err(SqlError::Type { index, message: format!("unsupported PostgreSQL type {ty}") });
        };
        values.push(value.unwrap_or(Value::Null));
    }
    Ok(Row { values })
}

fn pg_params(values: &[Value]) -> Vec<&(dyn postgres::types::ToSql + Sync)> {
    values.iter().map(|v| v as &(dyn postgres::types::ToSql + Sync)).collect()
}

/// Binds a [`Value`] to whatever type PostgreSQL inferred for the placeholder: integers to
/// any integer or boolean column (booleans are 0/1 on SQLite), text to text.
impl postgres::types::ToSql for Value {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> Result<postgres::types::IsNull, Box<dyn StdError + Sync + Send>> {
        use postgres::types::{IsNull, Type};
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) if *ty == Type::INT8 => i.to_sql(ty, out),
            Value::Int(i) if *ty == Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
            Value::Int(i) if *ty == Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
            Value::Int(i) if *ty == Type::BOOL => (*i != 0).to_sql(ty, out),
            Value::Int(i) => i.to_string().to_sql(ty, out),
            Value::Real(f) if *ty == Type::FLOAT4 => {
                #[allow(clippy::cast_possible_truncation)]
                let f = *f as f32;
                f.to_sql(ty, out)
            }
            Value::Real(f) => f.to_sql(ty, out),
            Value::Text(s) => s.as_str().to_sql(ty, out),
            Value::Blob(b) => b.as_slice().to_sql(ty, out),
        }
    }

    fn accepts(_ty: &postgres::types::Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

/// `?N` placeholders become `$N` (outside quoted strings and identifiers).
fn postgres_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut quote: Option<char> = None;
    for c in sql.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '?' => {
                out.push('$');
                continue;
            }
            None => {}
        }
        out.push(c);
    }
    out
}

/// A handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    /// One connection; requests queue for it in arrival order (a fair lock), which keeps the
    /// latency tail short when many blocking threads wait at once.
    Sqlite(Arc<FairMutex<rusqlite::Connection>>),
    Postgres(Arc<PgPool>),
}

/// PostgreSQL connections, opened on demand, kept while idle (up to [`MAX_IDLE_POSTGRES`]).
struct PgPool {
    config: postgres::Config,
    url: String,
    idle: Mutex<Vec<postgres::Client>>,
}

impl PgPool {
    fn get(&self) -> Result<postgres::Client, DbError> {
        if let Some(client) = self.idle.lock().ok().and_then(|mut idle| idle.pop()) {
            if !client.is_closed() {
                return Ok(client);
            }
        }
        self.config.connect(postgres::NoTls).map_err(|source| DbError::Connect { url: redact_url(&self.url), source })
    }

    fn put(&self, client: postgres::Client) {
        if client.is_closed() {
            return;
        }
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < MAX_IDLE_POSTGRES {
                idle.push(client);
            }
        }
    }
}

/// Closing a `postgres::Client` blocks on its own runtime, which panics on a thread that drives
/// async tasks (where the last handle to a [`Db`] is often dropped): close them on a thread of
/// their own.
impl Drop for PgPool {
    fn drop(&mut self) {
        let idle = self.idle.get_mut().map(std::mem::take).unwrap_or_default();
        if !idle.is_empty() {
            std::thread::spawn(move || drop(idle));
        }
    }
}

impl Db {
    /// Opens `sqlite://PATH`, `sqlite::memory:` or `postgres://…` (also `postgresql://…`),
    /// configures it and applies the migrations.
    pub async fn open_url(url: &str) -> Result<Self, DbError> {
        let url = url.to_owned();
        // Connecting to PostgreSQL blocks (the `postgres` crate runs its own small runtime).
        tokio::task::spawn_blocking(move || Self::open_url_blocking(&url))
            .await
            .map_err(|e| DbError::Task(e.to_string()))?
    }

    fn open_url_blocking(url: &str) -> Result<Self, DbError> {
        let backend = if url == "sqlite::memory:" {
            Backend::Sqlite(Arc::new(FairMutex::new(sqlite_configured(rusqlite::Connection::open_in_memory()?)?)))
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            let path = path.split('?').next().unwrap_or(path);
            Backend::Sqlite(Arc::new(FairMutex::new(sqlite_configured(rusqlite::Connection::open(Path::new(path))?)?)))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let config: postgres::Config =
                url.parse().map_err(|source| DbError::Connect { url: redact_url(url), source })?;
            Backend::Postgres(Arc::new(PgPool { config, url: url.to_owned(), idle: Mutex::new(Vec::new()) }))
        } else {
            return Err(DbError::UnsupportedUrl(redact_url(url)));
        };
        let db = Self { backend };
        db.run(migrate)?;
        Ok(db)
    }

    /// Which backend this is: `"sqlite"` or `"postgres"`.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Runs `f` on a blocking thread inside one transaction, committed when `f` succeeds.
    pub async fn tx<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Conn<'_>) -> Result<T, ApiError> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.run(f))
            .await
            .map_err(|e| ApiError::internal(format!("database task failed: {e}")))?
    }

    /// Runs `f` in one transaction on this thread, committed when `f` succeeds.
    fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        E: From<SqlError> + From<DbError>,
        F: FnOnce(&Conn<'_>) -> Result<T, E>,
    {
        match &self.backend {
            Backend::Sqlite(conn) => {
                let mut guard = conn.lock();
                let tx = guard.transaction().map_err(SqlError::from)?;
                let value = f(&Conn { inner: Inner::Sqlite(&tx) })?;
                tx.commit().map_err(SqlError::from)?;
                Ok(value)
            }
            Backend::Postgres(pool) => {
                let mut client = pool.get()?;
                let result = (|| {
                    let tx = client.transaction().map_err(SqlError::from)?;
                    let conn = Conn { inner: Inner::Postgres(RefCell::new(tx)) };
                    let value = f(&conn)?;
                    let Inner::Postgres(tx) = conn.inner else { unreachable!("a PostgreSQL transaction") };
                    tx.into_inner().commit().map_err(SqlError::from)?;
                    Ok(value)
                })();
                pool.put(client);
                result
            }
        }
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Sql(e) => ApiError::Database(e),
            other => ApiError::internal(other.to_string()),
        }
    }
}

fn sqlite_configured(conn: rusqlite::Connection) -> Result<rusqlite::Connection, DbError> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // Every statement of every route stays prepared (the default keeps 16).
    conn.set_prepared_statement_cache_capacity(128);
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")?;
    Ok(conn)
}

/// A database URL without its password, for messages.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://…@{}", &url[..scheme], &url[at + 1..]),
        _ => url.to_owned(),
    }
}

/// Applies the migrations not applied yet, in one transaction. On PostgreSQL an advisory lock
/// makes servers starting together on one database take turns.
fn migrate(conn: &Conn<'_>) -> Result<(), DbError> {
    if matches!(conn.inner, Inner::Postgres(_)) {
        // No "relation already exists, skipping" notice at every start.
        conn.execute_batch("SELECT pg_advisory_xact_lock(7300115001); SET LOCAL client_min_messages = warning")?;
    }
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
                conn.execute_batch(sql)?;
                conn.execute(
                    "INSERT INTO _migrations (version, name, checksum, applied_at) VALUES (?1, ?2, ?3, ?4)",
                    params![version, name, checksum, crate::time::now_text()],
                )?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn migrations_apply_once() -> Result<(), DbError> {
        let dir = tempfile::tempdir().map_err(|e| DbError::UnsupportedUrl(e.to_string()))?;
        let url = format!("sqlite://{}", dir.path().join("db.sqlite").display());
        drop(Db::open_url(&url).await?);
        drop(Db::open_url(&url).await?);
        Ok(())
    }

    #[tokio::test]
    async fn unique_violations_are_recognised() -> Result<(), ApiError> {
        let db = Db::open_url("sqlite::memory:").await?;
        db.tx(|c| {
            c.execute_batch("CREATE TABLE t (a TEXT UNIQUE, b TEXT NOT NULL)")?;
            c.execute("INSERT INTO t (a, b) VALUES (?1, ?2)", ["x", "y"])?;
            let duplicate = c.execute("INSERT INTO t (a, b) VALUES (?1, ?2)", ["x", "z"]);
            assert!(duplicate.as_ref().is_err_and(SqlError::is_unique_violation), "{duplicate:?}");
            let null = c.execute("INSERT INTO t (a) VALUES (?1)", ["w"]);
            assert!(null.as_ref().is_err_and(|e| !e.is_unique_violation()), "{null:?}");
            Ok(())
        })
        .await
    }

    #[tokio::test]
    async fn unknown_urls_are_refused_without_their_password() {
        let err = Db::open_url("mysql://app:hunter2@db/revlens").await.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("unsupported database URL"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn placeholders_become_postgres_style_outside_quotes() {
        assert_eq!(
            postgres_sql("SELECT '?1', \"a?\" FROM t WHERE a = ?1 AND b <> ?12"),
            "SELECT '?1', \"a?\" FROM t WHERE a = $1 AND b <> $12"
        );
    }
}
