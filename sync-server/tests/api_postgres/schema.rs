//! The migrations give SQLite and PostgreSQL the same schema: the same tables, columns, column
//! types and indexes.

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
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
    )
    .await;
    let in_postgres = columns(
        &postgres,
        "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns
         WHERE table_schema = 'public'",
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
