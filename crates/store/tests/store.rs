#![allow(clippy::unwrap_used)] // test helpers panic on failure by design

use std::fs;
use std::path::Path;

use revlens_model::DatasetKind;
use revlens_store::{latest_version, migrations, DocumentKind, NewVersion, SkippedRow, Store, StoreError};
use rusqlite::Connection;
use serde_json::json;

fn new_version(store: &Store, name: &str, sha: &str) -> NewVersion {
    let workspace = store.workspace_or_create("Acme").unwrap();
    NewVersion {
        workspace_id: workspace.id,
        name: name.into(),
        kind: DatasetKind::Subscriptions,
        source_name: "subs.csv".into(),
        source_sha256: sha.into(),
        source_size: 5,
        source_format: json!({"type": "delimited"}),
        header_line: 1,
        mapping: json!({"customer_id": "id"}),
        columns: json!(["customer_id"]),
        rows: 3,
        skipped: 0,
        warnings: vec!["dates assumed m/d/y".into()],
        period_id: None,
    }
}

/// Imports `bytes` as if an importer had staged them.
fn import(store: &mut Store, name: &str, bytes: &[u8], skipped: &[SkippedRow]) -> revlens_store::DatasetVersion {
    let sha = format!("{:0>64}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>());
    let mut staging = store.begin_import().unwrap();
    fs::write(staging.original_path(), bytes).unwrap();
    fs::write(staging.table_path(), b"parquet").unwrap();
    for row in skipped {
        staging.record_skipped(row).unwrap();
    }
    let mut new = new_version(store, name, &sha);
    new.skipped = skipped.len() as u64;
    store.commit_import(staging, &new).unwrap()
}

fn files_under(dir: &Path) -> usize {
    fs::read_dir(dir).map_or(0, |entries| {
        entries.flatten().map(|e| if e.path().is_dir() { files_under(&e.path()) } else { 1 }).sum()
    })
}

#[test]
fn a_new_store_is_in_wal_mode_at_the_latest_schema() {
    let home = tempfile::tempdir().unwrap();
    let store = Store::open(home.path()).unwrap();
    assert_eq!(store.schema_version().unwrap(), latest_version());
    assert!(latest_version() >= 2);
    drop(store);
    let conn = Connection::open(home.path().join("revlens.db")).unwrap();
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    // No backup for a brand-new store: there was nothing to lose.
    assert_eq!(files_under(&home.path().join("backups")), 0);
}

#[test]
fn a_database_from_a_newer_version_is_refused_and_left_byte_identical() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("revlens.db");
    {
        let conn = Connection::open(&db).unwrap();
        conn.execute_batch("CREATE TABLE future (x); INSERT INTO future VALUES (1); PRAGMA user_version = 999;")
            .unwrap();
    }
    let before = fs::read(&db).unwrap();
    let error = Store::open(home.path()).err().unwrap();
    assert!(matches!(error, StoreError::NewerSchema { found: 999, .. }), "{error}");
    assert!(error.to_string().contains("newer RevLens"));
    assert_eq!(fs::read(&db).unwrap(), before);
    assert!(!home.path().join("revlens.db-wal").exists());
}

#[test]
fn a_file_that_is_not_a_database_is_a_clear_error() {
    let home = tempfile::tempdir().unwrap();
    fs::write(home.path().join("revlens.db"), vec![b'x'; 4096]).unwrap();
    let error = Store::open(home.path()).err().unwrap();
    assert!(error.to_string().contains("is not a RevLens database"), "{error}");
}

#[test]
fn upgrading_a_version_1_database_keeps_every_row_and_takes_a_backup() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("revlens.db");
    {
        // What the first release of RevLens wrote: schema 1 and some data.
        let conn = Connection::open(&db).unwrap();
        conn.execute_batch(migrations()[0].sql).unwrap();
        conn.execute_batch(
            "PRAGMA user_version = 1;
             INSERT INTO workspaces VALUES ('0190a8a0-0000-7000-8000-000000000001', 'Old Co', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z');
             INSERT INTO blobs VALUES ('abc', 10, '2024-01-01T00:00:00Z');
             INSERT INTO datasets VALUES ('0190a8a0-0000-7000-8000-000000000002', '0190a8a0-0000-7000-8000-000000000001', 'subs', 'subscriptions', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z');
             INSERT INTO dataset_versions VALUES ('0190a8a0-0000-7000-8000-000000000003', '0190a8a0-0000-7000-8000-000000000002', 1, 'a.csv', 'abc', '{}', 3, '{}', '[]', 42, 0, '[]', '2024-01-01T00:00:00Z');
             INSERT INTO dataset_versions VALUES ('0190a8a0-0000-7000-8000-000000000004', '0190a8a0-0000-7000-8000-000000000002', 2, 'b.csv', 'abc', '{}', 1, '{}', '[]', 43, 0, '[]', '2024-02-01T00:00:00Z');",
        )
        .unwrap();
    }
    let store = Store::open(home.path()).unwrap();
    assert_eq!(store.schema_version().unwrap(), latest_version());
    let workspace = store.workspace("old co").unwrap();
    let datasets = store.datasets(workspace.id).unwrap();
    assert_eq!(datasets.len(), 1);
    let versions: Vec<_> = datasets[0].versions.iter().map(|v| (v.version, v.rows, v.header_line)).collect();
    assert_eq!(versions, vec![(1, 42, 3), (2, 43, 1)]);
    assert_eq!(datasets[0].versions[0].period, None);

    let backups: Vec<_> = fs::read_dir(home.path().join("backups")).unwrap().flatten().collect();
    assert_eq!(backups.len(), 1);
    let name = backups[0].file_name().into_string().unwrap();
    assert!(name.starts_with("revlens-schema-v1-"), "{name}");
    let backup = Connection::open(backups[0].path()).unwrap();
    let version: u32 = backup.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    let rows: u32 = backup.query_row("SELECT COUNT(*) FROM dataset_versions", [], |r| r.get(0)).unwrap();
    assert_eq!((version, rows), (1, 2));
}

#[test]
fn reimporting_under_the_same_name_makes_a_new_version_and_stores_the_same_file_once() {
    let home = tempfile::tempdir().unwrap();
    let mut store = Store::open(home.path()).unwrap();
    let first = import(&mut store, "subs", b"abc", &[]);
    let second = import(&mut store, "subs", b"abc", &[]);
    let other = import(&mut store, "other", b"xyz", &[]);
    assert_eq!((first.version, second.version, other.version), (1, 2, 1));
    assert_eq!(first.dataset_id, second.dataset_id);
    assert_ne!(first.dataset_id, other.dataset_id);
    assert_eq!(files_under(&home.path().join("blobs")), 2);
    assert_eq!(files_under(&home.path().join("tables")), 3);
    assert_eq!(files_under(&home.path().join("staging")), 0);
    assert!(store.layout().blob(&first.source_sha256).exists());
    assert_eq!(first.warnings, vec!["dates assumed m/d/y".to_string()]);

    // The old version stays readable after the new one.
    let dataset = store.dataset(first.dataset_id).unwrap();
    assert_eq!(dataset.versions.len(), 2);
    assert!(store.layout().table(first.id).exists());

    // Deleting one dataset keeps the file the other dataset still refers to.
    store.delete_version(first.id).unwrap();
    assert!(!store.layout().table(first.id).exists());
    assert!(store.layout().blob(&first.source_sha256).exists());
    store.delete_dataset(first.dataset_id).unwrap();
    assert!(!store.layout().blob(&first.source_sha256).exists());
    assert!(store.layout().blob(&other.source_sha256).exists());
    assert!(matches!(store.dataset(first.dataset_id), Err(StoreError::NotFound { .. })));
}

#[test]
fn skipped_rows_are_kept_with_their_reasons_in_file_order() {
    let home = tempfile::tempdir().unwrap();
    let mut store = Store::open(home.path()).unwrap();
    let skipped: Vec<SkippedRow> = (0..250)
        .map(|i| SkippedRow {
            line: i + 2,
            column: Some("amount".into()),
            value: Some(format!("x{i}")),
            expected: "a number".into(),
        })
        .collect();
    let version = import(&mut store, "subs", b"abc", &skipped);
    assert_eq!(version.skipped, 250);
    let page = store.skipped_rows(version.id, 100, 100).unwrap();
    assert_eq!(page.len(), 100);
    assert_eq!(page[0], skipped[100]);
    assert_eq!(store.skipped_rows(version.id, 200, 100).unwrap().len(), 50);
}

#[test]
fn a_failed_commit_leaves_no_file_and_no_row() {
    let home = tempfile::tempdir().unwrap();
    let mut store = Store::open(home.path()).unwrap();
    let staging = store.begin_import().unwrap();
    fs::write(staging.original_path(), b"abc").unwrap();
    fs::write(staging.table_path(), b"parquet").unwrap();
    let mut new = new_version(&store, "subs", "00ff");
    new.name = "   ".into();
    assert!(store.commit_import(staging, &new).is_err());
    assert_eq!(files_under(&home.path().join("blobs")), 0);
    assert_eq!(files_under(&home.path().join("tables")), 0);
    assert_eq!(files_under(&home.path().join("staging")), 0);
    let workspace = store.workspace("Acme").unwrap();
    assert!(store.datasets(workspace.id).unwrap().is_empty());

    // An abandoned staging folder disappears with its handle.
    let staging = store.begin_import().unwrap();
    fs::write(staging.original_path(), b"abc").unwrap();
    drop(staging);
    assert_eq!(files_under(&home.path().join("staging")), 0);
}

#[test]
fn datasets_resolve_by_id_prefix_or_name() {
    let home = tempfile::tempdir().unwrap();
    let mut store = Store::open(home.path()).unwrap();
    let version = import(&mut store, "subs", b"abc", &[]);
    let workspace = store.workspace("Acme").unwrap();
    let id = version.dataset_id.to_string();
    assert_eq!(store.resolve_dataset(workspace.id, &id).unwrap().id, version.dataset_id);
    assert_eq!(store.resolve_dataset(workspace.id, &id[..8]).unwrap().id, version.dataset_id);
    assert_eq!(store.resolve_dataset(workspace.id, "subs").unwrap().id, version.dataset_id);
    assert!(matches!(store.resolve_dataset(workspace.id, "nope"), Err(StoreError::NotFound { .. })));
    // Too short a prefix matches nothing rather than everything.
    assert!(store.resolve_dataset(workspace.id, &id[..2]).is_err());
}

#[test]
fn workspaces_are_created_renamed_and_deleted_with_their_data() {
    let home = tempfile::tempdir().unwrap();
    let mut store = Store::open(home.path()).unwrap();
    let version = import(&mut store, "subs", b"abc", &[]);
    let acme = store.workspace("Acme").unwrap();
    assert!(matches!(store.create_workspace("acme"), Err(StoreError::Conflict(_))));
    let other = store.create_workspace("Globex").unwrap();
    assert!(store.rename_workspace(other.id, "ACME").is_err());
    store.rename_workspace(other.id, "Initech").unwrap();
    let names: Vec<_> = store.workspaces().unwrap().into_iter().map(|w| w.name).collect();
    assert_eq!(names, vec!["Acme", "Initech"]);
    store.delete_workspace(acme.id).unwrap();
    assert!(!store.layout().table(version.id).exists());
    assert_eq!(files_under(&home.path().join("blobs")), 0);
}

#[test]
fn mappings_are_saved_by_name_and_found_by_header_signature() {
    let home = tempfile::tempdir().unwrap();
    let store = Store::open(home.path()).unwrap();
    let ws = store.workspace_or_create("Acme").unwrap().id;
    let fields = json!({"customer_id": "Cust No"});
    store.save_mapping(ws, "stripe", DatasetKind::Subscriptions, "sig1", &fields).unwrap();
    let found = store.mapping_for_headers(ws, DatasetKind::Subscriptions, "sig1").unwrap().unwrap();
    assert_eq!((found.name.as_str(), &found.fields), ("stripe", &fields));
    assert!(store.mapping_for_headers(ws, DatasetKind::Orders, "sig1").unwrap().is_none());
    // Saving again under the same name replaces it.
    store.save_mapping(ws, "stripe", DatasetKind::Subscriptions, "sig2", &json!({})).unwrap();
    assert_eq!(store.mappings(ws).unwrap().len(), 1);
    assert!(store.mapping_for_headers(ws, DatasetKind::Subscriptions, "sig1").unwrap().is_none());
    store.delete_mapping(ws, "stripe").unwrap();
    assert!(matches!(store.delete_mapping(ws, "stripe"), Err(StoreError::NotFound { .. })));
}

#[test]
fn versions_pin_to_reporting_periods() {
    let home = tempfile::tempdir().unwrap();
    let mut store = Store::open(home.path()).unwrap();
    let version = import(&mut store, "subs", b"abc", &[]);
    let ws = store.workspace("Acme").unwrap().id;
    let q1 = store.create_period(ws, "2025-Q1", "2025-01-01".parse().ok(), "2025-03-31".parse().ok()).unwrap();
    assert!(store.create_period(ws, "bad", "2025-02-01".parse().ok(), "2025-01-01".parse().ok()).is_err());
    store.create_period(ws, "C1", None, None).unwrap();
    store.pin_version(version.id, Some(q1.id)).unwrap();
    assert_eq!(store.version(version.id).unwrap().period.as_deref(), Some("2025-Q1"));
    store.delete_period(ws, "2025-Q1").unwrap();
    assert_eq!(store.version(version.id).unwrap().period, None);
    let names: Vec<_> = store.periods(ws).unwrap().into_iter().map(|p| p.name).collect();
    assert_eq!(names, vec!["C1"]);
}

#[test]
fn upgrading_a_version_2_database_keeps_every_row_and_adds_sync_state() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("revlens.db");
    {
        // Schema 2 (before sync) with a workspace, a period and two saved mappings.
        let conn = Connection::open(&db).unwrap();
        conn.execute_batch(migrations()[0].sql).unwrap();
        conn.execute_batch(migrations()[1].sql).unwrap();
        conn.execute_batch(
            "PRAGMA user_version = 2;
             INSERT INTO workspaces VALUES ('0190a8a0-0000-7000-8000-000000000001', 'Old Co', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z');
             INSERT INTO reporting_periods VALUES ('0190a8a0-0000-7000-8000-000000000005', '0190a8a0-0000-7000-8000-000000000001', 'C1', NULL, NULL, '2024-01-01T00:00:00Z');
             INSERT INTO column_mappings VALUES ('0190a8a0-0000-7000-8000-000000000006', '0190a8a0-0000-7000-8000-000000000001', 'stripe', 'subscriptions', 'sig', '{\"fields\":{}}', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z');
             INSERT INTO column_mappings VALUES ('0190a8a0-0000-7000-8000-000000000007', '0190a8a0-0000-7000-8000-000000000001', 'shopify', 'orders', 'sig2', '{}', '2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z');",
        )
        .unwrap();
    }
    let store = Store::open(home.path()).unwrap();
    assert_eq!(store.schema_version().unwrap(), latest_version());
    assert!(latest_version() >= 3);
    let ws = store.workspace("Old Co").unwrap().id;
    let names: Vec<_> = store.mappings(ws).unwrap().into_iter().map(|m| m.name).collect();
    assert_eq!(names, vec!["shopify", "stripe"]);
    assert_eq!(store.periods(ws).unwrap().len(), 1);
    // Nothing is queued by the upgrade itself; signing in queues the existing mappings.
    assert_eq!(store.pending_count(ws).unwrap(), 0);
    assert!(store.sync_account(ws).unwrap().is_none());
    let account = revlens_store::NewSyncAccount {
        server_url: "http://127.0.0.1:9".into(),
        email: "a@example.com".into(),
        org_id: "org".into(),
        org_name: "Org".into(),
        keychain_account: "http://127.0.0.1:9 a@example.com".into(),
    };
    store.sign_in_sync(ws, &account).unwrap();
    assert_eq!(store.pending_count(ws).unwrap(), 2);
    let backups: Vec<_> = fs::read_dir(home.path().join("backups")).unwrap().flatten().collect();
    assert!(backups[0].file_name().to_string_lossy().starts_with("revlens-schema-v2-"));
}

#[test]
fn upgrading_a_version_6_database_keeps_its_dashboards_and_scenarios_and_takes_templates() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("revlens.db");
    {
        let conn = Connection::open(&db).unwrap();
        for migration in &migrations()[..6] {
            conn.execute_batch(migration.sql).unwrap();
        }
        conn.execute_batch(
            "PRAGMA user_version = 6;
             INSERT INTO workspaces VALUES ('0190a8a0-0000-7000-8000-000000000001', 'Old Co', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z');
             INSERT INTO documents VALUES ('0190a8a0-0000-7000-8000-000000000002', '0190a8a0-0000-7000-8000-000000000001', 'dashboard', 'Board', '{\"tiles\":[\"mrr\"]}', '2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z');
             INSERT INTO documents VALUES ('0190a8a0-0000-7000-8000-000000000003', '0190a8a0-0000-7000-8000-000000000001', 'scenario', 'Plan', '{}', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z');",
        )
        .unwrap();
        let template = conn.execute(
            "INSERT INTO documents VALUES ('0190a8a0-0000-7000-8000-000000000004', '0190a8a0-0000-7000-8000-000000000001', 'template', 'T', '{}', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z')",
            [],
        );
        assert!(template.is_err(), "schema 6 has no templates");
    }
    let store = Store::open(home.path()).unwrap();
    assert_eq!(store.schema_version().unwrap(), latest_version());
    let ws = store.workspace("Old Co").unwrap().id;
    let boards = store.documents(ws, DocumentKind::Dashboard).unwrap();
    assert_eq!(
        (boards.len(), boards[0].name.as_str(), boards[0].body["tiles"][0].as_str(), boards[0].updated_at.as_str()),
        (1, "Board", Some("mrr"), "2024-01-02T00:00:00Z")
    );
    assert_eq!(store.documents(ws, DocumentKind::Scenario).unwrap()[0].name, "Plan");
    let saved = store.save_document(ws, DocumentKind::Template, None, "Board", &json!({"tiles": ["arr"]})).unwrap();
    assert_eq!(saved.kind, DocumentKind::Template, "a template may share a dashboard's name");
    assert_eq!(store.documents(ws, DocumentKind::Template).unwrap(), vec![saved]);
}
