//! The PostgreSQL server the `api_postgres` tests run on, and a fresh database per test.
//!
//! `REVLENS_TEST_POSTGRES_URL` (a URL with a user allowed to create databases, as
//! `scripts/test.sh` exports it) names the server; without it the first test starts a
//! throw-away cluster with `scripts/postgres-test-server.sh`, which stops it when this test
//! process exits. When neither works the tests fail (PostgreSQL is a required part of the test
//! suite; `scripts/setup.sh` installs it).

use std::process::{Command, Stdio};

use sqlx::{Connection, Executor};
use tokio::sync::OnceCell;

static SERVER_URL: OnceCell<String> = OnceCell::const_new();

/// The server's URL: from the environment, or a cluster started for this process.
async fn server_url() -> &'static str {
    SERVER_URL
        .get_or_init(|| async {
            if let Ok(url) = std::env::var("REVLENS_TEST_POSTGRES_URL") {
                if !url.is_empty() {
                    return url;
                }
            }
            tokio::task::spawn_blocking(start_cluster).await.unwrap()
        })
        .await
}

fn start_cluster() -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/postgres-test-server.sh");
    let output = Command::new(script)
        .args(["start", "--stop-with", &std::process::id().to_string()])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {script}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{script} failed ({}): PostgreSQL is required for these tests; run scripts/setup.sh or set \
         REVLENS_TEST_POSTGRES_URL",
        output.status
    );
    stdout
        .lines()
        .find_map(|line| line.strip_prefix("REVLENS_TEST_POSTGRES_URL="))
        .unwrap_or_else(|| panic!("{script} printed no URL: {stdout}"))
        .trim_matches('\'')
        .to_owned()
}

/// `url` with its database name replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[scheme_end..].find('/').map_or(base.len(), |i| scheme_end + i);
    format!("{}/{database}{query}", &base[..authority_end])
}

/// A new, empty database (byte-order collation, as the server's text comparisons expect) on
/// the test server; its URL.
pub async fn fresh_database() -> String {
    let url = server_url().await.to_owned();
    let name = format!("test_{}", uuid::Uuid::now_v7().simple());
    let create = format!("CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'");
    let mut server = sqlx::PgConnection::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the test PostgreSQL server: {e}"));
    server.execute(sqlx::AssertSqlSafe(create)).await.unwrap();
    with_database(&url, &name)
}

#[test]
fn database_names_replace_the_url_path() {
    assert_eq!(with_database("postgres://u:p@h:5/postgres", "t"), "postgres://u:p@h:5/t");
    assert_eq!(with_database("postgres://u@h:5", "t"), "postgres://u@h:5/t");
    assert_eq!(with_database("postgres://u@h:5/x?sslmode=disable", "t"), "postgres://u@h:5/t?sslmode=disable");
}
