//! The database: SQLite (one connection, through rusqlite) or PostgreSQL (a pool, through
//! sqlx), and the embedded migrations, applied by sqlx's migrator on both.
//!
//! Handlers never see which one they talk to: [`Db::tx`] runs their closure on a blocking
//! thread and hands it a [`Conn`], one transaction, with a rusqlite-like API (`execute`,
//! `query_row`, `prepare` + `query_map`, [`params!`]) over portable SQL with `?N` placeholders
//! (rewritten to `$N` for PostgreSQL). On PostgreSQL each statement awaits sqlx from that
//! blocking thread, so a handler's transaction stays plain sequential code. Values cross the
//! seam as [`Value`]s: NULL, integers (booleans are 0/1), reals, text and bytes.
//!
//! Why rusqlite for SQLite's statements: sqlx's SQLite driver runs each connection on a worker
//! thread and hands every statement and row across a channel; with the server's one connection
//! that cut the load bench from ≈ 5,000–6,000 to ≈ 1,300–1,600 pulls/s (both measured in one
//! run, same machine). Both drivers link one SQLite: the workspace's rusqlite is held at the
//! libsqlite3-sys that sqlx accepts (`links = "sqlite3"` allows only one).

use std::borrow::Cow;
use std::cell::RefCell;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::FairMutex;
use sha2::{Digest, Sha256};
use sqlx::migrate::{MigrateError, Migration, MigrationType, Migrator};
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPool, PgPoolOptions, PgRow, PgTypeInfo};
use sqlx::query::Query;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{AssertSqlSafe, Connection as _, Decode, Executor, Postgres, Row as _, SqlSafeStr, Sqlite, Statement as _};
use sqlx::{TypeInfo, ValueRef};

use crate::http::error::ApiError;

/// The embedded migrations, in order: (version, name, SQL). Every file runs unchanged on SQLite
/// and PostgreSQL; sqlx's migrator records them (with their checksums) in `_sqlx_migrations`.
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../migrations/0001_init.sql")),
    (2, "revision_authors", include_str!("../migrations/0002_revision_authors.sql")),
    (3, "client_bodies", include_str!("../migrations/0003_client_bodies.sql")),
    (4, "account_tokens", include_str!("../migrations/0004_account_tokens.sql")),
    (5, "uploads", include_str!("../migrations/0005_uploads.sql")),
    (6, "oidc", include_str!("../migrations/0006_oidc.sql")),
    (7, "login_limits", include_str!("../migrations/0007_login_limits.sql")),
    (8, "request_limits", include_str!("../migrations/0008_request_limits.sql")),
];

/// At most this many PostgreSQL connections per server: one per transaction in flight.
const MAX_POSTGRES_CONNECTIONS: u32 = 16;

/// Every statement of every route stays prepared (sqlx keeps 100 by default).
const STATEMENT_CACHE: usize = 256;

/// Why the database could not be opened or migrated.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported database URL {0:?}: expected sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("cannot open {url}: {source}")]
    Connect { url: String, source: sqlx::Error },
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] MigrateError),
    #[error("migration {version} ({name}) was changed after it was applied")]
    MigrationChanged { version: i64, name: &'static str },
    #[error(transparent)]
    Sql(#[from] SqlError),
    #[error("database task failed: {0}")]
    Task(String),
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
    #[error(transparent)]
    Postgres(#[from] sqlx::Error),
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
            SqlError::Postgres(sqlx::Error::Database(e)) => e.is_unique_violation(),
            _ => false,
        }
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

/// Columns that hold a name the API has a type for ("analyst", "dashboard").
macro_rules! parsed_text_columns {
    ($($ty:ty),*) => {$(
        impl FromValue for $ty {
            fn from_value(value: &Value) -> Result<Self, String> {
                String::from_value(value)?.parse().map_err(|e| format!("{e}"))
            }
        }
    )*};
}
parsed_text_columns!(revlens_sync::Role, revlens_sync::SyncKind);

/// Bodies are stored as JSON text.
impl FromValue for serde_json::Value {
    fn from_value(value: &Value) -> Result<Self, String> {
        serde_json::from_str(&String::from_value(value)?).map_err(|e| format!("stored JSON: {e}"))
    }
}

/// Times are stored as RFC 3339 text.
impl FromValue for chrono::DateTime<chrono::Utc> {
    fn from_value(value: &Value) -> Result<Self, String> {
        let text = String::from_value(value)?;
        chrono::DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&chrono::Utc))
            .map_err(|e| format!("{text:?} is not a time: {e}"))
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
    Postgres { tx: RefCell<sqlx::Transaction<'static, Postgres>>, runtime: &'a tokio::runtime::Handle },
}

impl Conn<'_> {
    /// Runs a statement; returns the number of rows it changed.
    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize, SqlError> {
        let values = params.into_values();
        match &self.inner {
            Inner::Sqlite(conn) => {
                let mut stmt = conn.prepare_cached(sql)?;
                Ok(stmt.execute(rusqlite::params_from_iter(values.iter()))?)
            }
            Inner::Postgres { tx, runtime } => {
                let tx = &mut *tx.borrow_mut();
                let changed = runtime.block_on(async {
                    let statement = tx.prepare(AssertSqlSafe(postgres_sql(sql)).into_sql_str()).await?;
                    let query = bind_postgres(statement.query(), statement.parameters(), &values)?;
                    Ok::<_, SqlError>(query.execute(&mut **tx).await?.rows_affected())
                })?;
                Ok(usize::try_from(changed).unwrap_or(usize::MAX))
            }
        }
    }

    /// Runs several statements without parameters.
    pub fn execute_batch(&self, sql: &str) -> Result<(), SqlError> {
        match &self.inner {
            Inner::Sqlite(conn) => conn.execute_batch(sql)?,
            Inner::Postgres { tx, runtime } => {
                runtime.block_on((&mut **tx.borrow_mut()).execute(AssertSqlSafe(sql)))?;
            }
        }
        Ok(())
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
            Inner::Postgres { tx, runtime } => {
                let tx = &mut *tx.borrow_mut();
                runtime.block_on(async {
                    let statement = tx.prepare(AssertSqlSafe(postgres_sql(sql)).into_sql_str()).await?;
                    let query = bind_postgres(statement.query(), statement.parameters(), &values)?;
                    query.fetch_all(&mut **tx).await?.iter().map(from_postgres).collect()
                })
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
    pub fn prepare<'c>(&'c self, sql: &'c str) -> Result<Statement<'c, 'c>, SqlError> {
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

/// Binds each [`Value`] as the type PostgreSQL inferred for its placeholder: integers to any
/// integer or boolean column (booleans are 0/1 on SQLite), text to text.
fn bind_postgres<'q>(
    mut query: Query<'q, Postgres, PgArguments>,
    parameters: Option<sqlx::Either<&[PgTypeInfo], usize>>,
    values: &[Value],
) -> Result<Query<'q, Postgres, PgArguments>, SqlError> {
    let types = match parameters {
        Some(sqlx::Either::Left(types)) => types,
        _ => &[],
    };
    for (index, value) in values.iter().enumerate() {
        let ty = types.get(index).map_or("TEXT", TypeInfo::name);
        let mismatch = || SqlError::Type { index, message: format!("cannot bind {value:?} to a {ty} parameter") };
        query = match (ty, value) {
            ("INT8", Value::Null) => query.bind(None::<i64>),
            ("INT8", Value::Int(i)) => query.bind(*i),
            ("INT4", Value::Null) => query.bind(None::<i32>),
            ("INT4", Value::Int(i)) => query.bind(i32::try_from(*i).map_err(|_| mismatch())?),
            ("INT2", Value::Null) => query.bind(None::<i16>),
            ("INT2", Value::Int(i)) => query.bind(i16::try_from(*i).map_err(|_| mismatch())?),
            ("BOOL", Value::Null) => query.bind(None::<bool>),
            ("BOOL", Value::Int(i)) => query.bind(*i != 0),
            ("FLOAT8", Value::Null) => query.bind(None::<f64>),
            ("FLOAT8", Value::Real(f)) => query.bind(*f),
            ("BYTEA", Value::Null) => query.bind(None::<Vec<u8>>),
            ("BYTEA", Value::Blob(b)) => query.bind(b.clone()),
            ("TEXT" | "VARCHAR" | "BPCHAR" | "NAME", Value::Null) => query.bind(None::<String>),
            ("TEXT" | "VARCHAR" | "BPCHAR" | "NAME", Value::Text(s)) => query.bind(s.clone()),
            ("TEXT" | "VARCHAR" | "BPCHAR" | "NAME", Value::Int(i)) => query.bind(i.to_string()),
            _ => return Err(mismatch()),
        };
    }
    Ok(query)
}

fn from_postgres(row: &PgRow) -> Result<Row, SqlError> {
    let mut values = Vec::with_capacity(row.len());
    for index in 0..row.len() {
        let raw = row.try_get_raw(index)?;
        if raw.is_null() {
            values.push(Value::Null);
            continue;
        }
        let ty = raw.type_info().name().to_owned();
        let decode_error = |e: sqlx::error::BoxDynError| SqlError::Type { index, message: e.to_string() };
        let value = match ty.as_str() {
            "INT8" => Value::Int(<i64 as Decode<Postgres>>::decode(raw).map_err(decode_error)?),
            "INT4" => Value::Int(i64::from(<i32 as Decode<Postgres>>::decode(raw).map_err(decode_error)?)),
            "INT2" => Value::Int(i64::from(<i16 as Decode<Postgres>>::decode(raw).map_err(decode_error)?)),
            "BOOL" => Value::Int(i64::from(<bool as Decode<Postgres>>::decode(raw).map_err(decode_error)?)),
            "FLOAT8" => Value::Real(<f64 as Decode<Postgres>>::decode(raw).map_err(decode_error)?),
            "FLOAT4" => Value::Real(f64::from(<f32 as Decode<Postgres>>::decode(raw).map_err(decode_error)?)),
            "BYTEA" => Value::Blob(<Vec<u8> as Decode<Postgres>>::decode(raw).map_err(decode_error)?),
            "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" => {
                Value::Text(<String as Decode<Postgres>>::decode(raw).map_err(decode_error)?)
            }
            other => {
                return Err(SqlError::Type { index, message: format!("unsupported PostgreSQL type {other}") });
            }
        };
        values.push(value);
    }
    Ok(Row { values })
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
    Postgres(PgPool),
}

impl Db {
    /// Opens `sqlite://PATH` or `postgres://…` (also `postgresql://…`), configures it and
    /// applies the migrations.
    pub async fn open_url(url: &str) -> Result<Self, DbError> {
        let connect_error = |source| DbError::Connect { url: redact_url(url), source };
        let migrator = migrator();
        let backend = if let Some(path) = url.strip_prefix("sqlite://") {
            let path = PathBuf::from(path.split('?').next().unwrap_or(path));
            let options = SqliteConnectOptions::new()
                .filename(&path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5));
            let mut conn = sqlx::SqliteConnection::connect_with(&options).await.map_err(connect_error)?;
            let legacy = legacy_migrations::<Sqlite>(&mut conn, SQLITE_HAS_LEGACY_TABLE).await?;
            if let Some(latest) = legacy {
                migrator.skip(&mut conn, Some(latest)).await?;
                conn.execute("DROP TABLE _migrations").await.map_err(SqlError::from)?;
            }
            migrator.run(&mut conn).await?;
            conn.close().await.map_err(SqlError::from)?;
            let conn = tokio::task::spawn_blocking(move || {
                sqlite_configured(rusqlite::Connection::open(path).map_err(SqlError::from)?)
            })
            .await
            .map_err(|e| DbError::Task(e.to_string()))??;
            Backend::Sqlite(Arc::new(FairMutex::new(conn)))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)
                .map_err(connect_error)?
                .statement_cache_capacity(STATEMENT_CACHE)
                // No "relation already exists, skipping" notice at every start.
                .options([("client_min_messages", "warning")]);
            let pool = PgPoolOptions::new()
                .max_connections(MAX_POSTGRES_CONNECTIONS)
                .connect_with(options)
                .await
                .map_err(connect_error)?;
            let mut conn = pool.acquire().await.map_err(SqlError::from)?;
            // Servers starting together on one database take turns (sqlx's migrator also
            // takes an advisory lock, but only around its own run).
            conn.execute("SELECT pg_advisory_lock(7300115001)").await.map_err(SqlError::from)?;
            let migrated = async {
                if let Some(latest) = legacy_migrations::<Postgres>(&mut conn, POSTGRES_HAS_LEGACY_TABLE).await? {
                    migrator.skip(&mut *conn, Some(latest)).await?;
                    conn.execute("DROP TABLE _migrations").await.map_err(SqlError::from)?;
                }
                migrator.run(&mut *conn).await?;
                Ok::<_, DbError>(())
            }
            .await;
            conn.execute("SELECT pg_advisory_unlock(7300115001)").await.map_err(SqlError::from)?;
            migrated?;
            Backend::Postgres(pool)
        } else {
            return Err(DbError::UnsupportedUrl(redact_url(url)));
        };
        Ok(Self { backend })
    }

    /// Which backend this is: `"sqlite"` or `"postgres"`.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Runs `f` on a blocking thread inside one transaction, committed when `f` succeeds and
    /// rolled back when it fails.
    pub async fn tx<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Conn<'_>) -> Result<T, ApiError> + Send + 'static,
    {
        let db = self.clone();
        let runtime = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || db.run(&runtime, f))
            .await
            .map_err(|e| ApiError::internal(format!("database task failed: {e}")))?
    }

    fn run<T, F>(&self, runtime: &tokio::runtime::Handle, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&Conn<'_>) -> Result<T, ApiError>,
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
                // Each statement awaits sqlx from this blocking thread.
                let tx = runtime.block_on(pool.begin()).map_err(SqlError::from)?;
                let conn = Conn { inner: Inner::Postgres { tx: RefCell::new(tx), runtime } };
                let value = f(&conn)?;
                let Inner::Postgres { tx, .. } = conn.inner else { unreachable!("a PostgreSQL transaction") };
                runtime.block_on(tx.into_inner().commit()).map_err(SqlError::from)?;
                Ok(value)
            }
        }
    }
}

const SQLITE_HAS_LEGACY_TABLE: &str =
    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_migrations'";
const POSTGRES_HAS_LEGACY_TABLE: &str =
    "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '_migrations'";

/// Databases made before the server used sqlx's migrator recorded their migrations (with
/// SHA-256 checksums) in `_migrations`: the last one applied, once checked against the
/// embedded files, or `None` when there is no such table.
async fn legacy_migrations<DB>(conn: &mut DB::Connection, has_table: &'static str) -> Result<Option<i64>, DbError>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    (i64,): for<'r> sqlx::FromRow<'r, DB::Row>,
    (i64, String): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    let (tables,) = sqlx::query_as::<DB, (i64,)>(has_table).fetch_one(&mut *conn).await.map_err(SqlError::from)?;
    if tables == 0 {
        return Ok(None);
    }
    let applied = sqlx::query_as::<DB, (i64, String)>("SELECT version, checksum FROM _migrations ORDER BY version")
        .fetch_all(&mut *conn)
        .await
        .map_err(SqlError::from)?;
    let mut latest = 0;
    for (version, checksum) in applied {
        match MIGRATIONS.iter().find(|(v, _, _)| *v == version) {
            Some(&(_, _, sql)) if hex::encode(Sha256::digest(sql.as_bytes())) == checksum => latest = version,
            Some(&(_, name, _)) => return Err(DbError::MigrationChanged { version, name }),
            None => return Err(MigrateError::VersionMissing(version).into()),
        }
    }
    Ok(Some(latest))
}

/// sqlx's migrator over [`MIGRATIONS`].
fn migrator() -> Migrator {
    Migrator::with_migrations(
        MIGRATIONS
            .iter()
            .map(|&(version, name, sql)| {
                Migration::new(version, Cow::Borrowed(name), MigrationType::Simple, sql.into_sql_str(), false)
            })
            .collect(),
    )
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
    conn.busy_timeout(Duration::from_secs(5)).map_err(SqlError::from)?;
    // Every statement of every route stays prepared (the default keeps 16).
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
        .map_err(SqlError::from)?;
    Ok(conn)
}

/// A database URL without its password, for messages.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://…@{}", &url[..scheme], &url[at + 1..]),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[tokio::test]
    async fn migrations_apply_once() -> Result<(), DbError> {
        let dir = tempfile::tempdir().map_err(|e| DbError::UnsupportedUrl(e.to_string()))?;
        let url = format!("sqlite://{}", dir.path().join("db.sqlite").display());
        drop(Db::open_url(&url).await?);
        drop(Db::open_url(&url).await?);
        Ok(())
    }

    /// A database as servers before sqlx's migrator left it: the files applied and recorded,
    /// with SHA-256 checksums, in `_migrations`; `tamper` changes one recorded checksum.
    async fn legacy_database(path: &Path, tamper: bool) -> Result<(), sqlx::Error> {
        use sqlx::Connection as _;
        let mut conn =
            sqlx::SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(path).create_if_missing(true))
                .await?;
        conn.execute(
            "CREATE TABLE _migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL,
             applied_at TEXT NOT NULL)",
        )
        .await?;
        for &(version, name, sql) in MIGRATIONS {
            conn.execute(AssertSqlSafe(sql)).await?;
            let checksum = if tamper && version == 2 { "0".repeat(64) } else { hex::encode(Sha256::digest(sql)) };
            sqlx::query("INSERT INTO _migrations VALUES (?1, ?2, ?3, '2026-01-01T00:00:00Z')")
                .bind(version)
                .bind(name)
                .bind(checksum)
                .execute(&mut conn)
                .await?;
        }
        conn.execute("INSERT INTO orgs (id, name, created_at) VALUES ('o1', 'Acme', '2026-01-01T00:00:00Z')").await?;
        conn.close().await
    }

    #[tokio::test]
    async fn databases_migrated_before_sqlx_keep_their_data_and_are_not_migrated_twice() -> Result<(), ApiError> {
        let dir = tempfile::tempdir().map_err(|e| ApiError::internal(e.to_string()))?;
        let path = dir.path().join("db.sqlite");
        legacy_database(&path, false).await.map_err(SqlError::from)?;

        let db = Db::open_url(&format!("sqlite://{}", path.display())).await?;
        let (orgs, recorded, legacy) = db
            .tx(|c| {
                let count = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0));
                Ok((
                    count("SELECT COUNT(*) FROM orgs")?,
                    count("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")?,
                    count("SELECT COUNT(*) FROM sqlite_master WHERE name = '_migrations'")?,
                ))
            })
            .await?;
        assert_eq!((orgs, recorded, legacy), (1, i64::try_from(MIGRATIONS.len()).unwrap_or(0), 0));
        drop(db);
        // Opening again finds everything applied.
        drop(Db::open_url(&format!("sqlite://{}", path.display())).await?);
        Ok(())
    }

    #[tokio::test]
    async fn a_legacy_database_whose_migration_changed_is_refused() -> Result<(), SqlError> {
        let dir = tempfile::tempdir().map_err(|e| SqlError::Type { index: 0, message: e.to_string() })?;
        let path = dir.path().join("db.sqlite");
        legacy_database(&path, true).await?;
        let err = Db::open_url(&format!("sqlite://{}", path.display())).await.err().map(|e| e.to_string());
        assert_eq!(err.as_deref(), Some("migration 2 (revision_authors) was changed after it was applied"));
        Ok(())
    }

    #[tokio::test]
    async fn unique_violations_are_recognised() -> Result<(), ApiError> {
        let dir = tempfile::tempdir().map_err(|e| ApiError::internal(e.to_string()))?;
        let db = Db::open_url(&format!("sqlite://{}", dir.path().join("db.sqlite").display())).await?;
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
    fn text_columns_read_as_roles_times_and_json_or_say_which_column_holds_what() {
        let text = |s: &str| Value::Text(s.to_owned());
        let row = Row {
            values: vec![
                text("analyst"),
                text("boss"),
                text("2026-01-02T03:04:05Z"),
                text("yesterday"),
                text(r#"{"a":1}"#),
            ],
        };
        assert_eq!(row.get::<_, revlens_sync::Role>(0).ok(), Some(revlens_sync::Role::Analyst));
        let wrong_role = row.get::<_, revlens_sync::Role>(1).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(wrong_role.starts_with("column 1: "), "{wrong_role}");
        let time = row.get::<_, chrono::DateTime<chrono::Utc>>(2).ok().map(|t| t.to_rfc3339());
        assert_eq!(time.as_deref(), Some("2026-01-02T03:04:05+00:00"));
        let not_a_time =
            row.get::<_, chrono::DateTime<chrono::Utc>>(3).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(not_a_time.contains("\"yesterday\" is not a time"), "{not_a_time}");
        assert_eq!(row.get::<_, serde_json::Value>(4).ok(), Some(serde_json::json!({"a": 1})));
    }

    #[test]
    fn placeholders_become_postgres_style_outside_quotes() {
        assert_eq!(
            postgres_sql("SELECT '?1', \"a?\" FROM t WHERE a = ?1 AND b <> ?12"),
            "SELECT '?1', \"a?\" FROM t WHERE a = $1 AND b <> $12"
        );
    }
}
