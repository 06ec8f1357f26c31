//! The migrations give SQLite and PostgreSQL the same schema: the same tables, columns, column
//! types and indexes (sqlx's own `_sqlx_migrations` differs by design: timestamps, checksums).

use std::collections::BTreeSet;

use revlens_sync_server::db::Db;

type Columns = BTreeSet<(String, String, String)>;

async fn columns(db: &Db, sql: &'static str) -> Columns {
    db.tx(move |c| {
        let rows = c.query(sql, [])?;
        let mut out = BTreeSet::new();
        for row in rows {
            let (table, column, ty): (String, String, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
            out.insert((table, column, ty.to_lowercase()));
        }
        Ok(out)
    })
    .await
    .unwrap()
}

async fn indexes(db: &Db, sql: &'static str) -> BTreeSet<String> {
    db.tx(move |c| {
        let rows = c.query(sql, [])?;
        rows.iter().map(|r| r.get(0).map_err(Into::into)).collect()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn both_backends_get_the_same_tables_columns_and_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Db::open_url(&format!("sqlite://{}", dir.path().join("s.sqlite").display())).await.unwrap();
    let postgres = Db::open_url(&crate::pg_server::fresh_database().await).await.unwrap();
    assert_eq!((sqlite.backend_name(), postgres.backend_name()), ("sqlite", "postgres"));

    let in_sqlite = columns(
        &sqlite,
        "SELECT m.name, p.name, p.type FROM sqlite_master m JOIN pragma_table_info(m.name) p
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'",
    )
    .await;
    let in_postgres = columns(
        &postgres,
        "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .await;
    assert!(in_sqlite.len() > 60, "{in_sqlite:?}");
    assert_eq!(in_sqlite, in_postgres);

    let sqlite_indexes =
        indexes(&sqlite, "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").await;
    let postgres_indexes = indexes(
        &postgres,
        "SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public'
         AND indexname NOT LIKE '%\\_pkey' AND indexname NOT LIKE '%\\_key'",
    )
    .await;
    assert!(sqlite_indexes.contains("objects_feed"), "{sqlite_indexes:?}");
    assert_eq!(sqlite_indexes, postgres_indexes);
}

/// A database as servers before sqlx's migrator left it (migrations recorded with SHA-256
/// checksums in `_migrations`) opens with its data, and sqlx records the migrations instead.
#[tokio::test]
async fn a_database_migrated_before_sqlx_keeps_its_data() {
    use revlens_sync_server::db::MIGRATIONS;
    use sha2::{Digest, Sha256};
    use sqlx::{Connection, Executor};

    let url = crate::pg_server::fresh_database().await;
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    conn.execute(
        "CREATE TABLE _migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL,
         applied_at TEXT NOT NULL)",
    )
    .await
    .unwrap();
    for &(version, name, sql) in MIGRATIONS {
        conn.execute(sqlx::AssertSqlSafe(sql)).await.unwrap();
        sqlx::query("INSERT INTO _migrations VALUES ($1, $2, $3, '2026-01-01T00:00:00Z')")
            .bind(version)
            .bind(name)
            .bind(hex::encode(Sha256::digest(sql)))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    conn.execute("INSERT INTO orgs (id, name, created_at) VALUES ('o1', 'Acme', '2026-01-01T00:00:00Z')")
        .await
        .unwrap();
    conn.close().await.unwrap();

    let db = Db::open_url(&url).await.unwrap();
    let counts = db
        .tx(|c| {
            let count = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0));
            Ok((
                count("SELECT COUNT(*) FROM orgs")?,
                count("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")?,
                count("SELECT COUNT(*) FROM information_schema.tables WHERE table_name = '_migrations'")?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(counts, (1, i64::try_from(MIGRATIONS.len()).unwrap(), 0));
}
