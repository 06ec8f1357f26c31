//! Datasets as synced objects: what local imports and deletions queue, and how incoming
//! changes (with their staged versions) are applied, kept for a retry, or deleted.

#![allow(clippy::unwrap_used)] // test helpers panic on failure by design

use std::fs;
use std::path::Path;

use revlens_model::{DatasetKind, WorkspaceId};
use revlens_store::{
    DatasetBody, Incoming, NewSyncAccount, NewVersion, RemoteObject, StagedVersion, Store, DATASET_KIND,
};
use serde_json::json;

fn account() -> NewSyncAccount {
    NewSyncAccount {
        server_url: "http://127.0.0.1:1".into(),
        email: "a@example.com".into(),
        org_id: "org-1".into(),
        org_name: "Acme".into(),
        keychain_account: "http://127.0.0.1:1 a@example.com".into(),
    }
}

/// A stand-in SHA-256 for test bytes (the store takes the importer's word for it).
fn sha_of(bytes: &[u8]) -> String {
    format!("{:0>64}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

fn new_version(workspace: WorkspaceId, name: &str, bytes: &[u8]) -> NewVersion {
    NewVersion {
        workspace_id: workspace,
        name: name.into(),
        kind: DatasetKind::Subscriptions,
        source_name: "subs.csv".into(),
        source_sha256: sha_of(bytes),
        source_size: bytes.len() as u64,
        source_format: json!({"type": "delimited", "encoding": "utf8", "delimiter": ","}),
        header_line: 1,
        mapping: json!({"customer_id": "Customer"}),
        columns: json!([{"name": "customer_id", "storage": "text", "source": "Customer"}]),
        rows: 3,
        skipped: 0,
        warnings: Vec::new(),
        period_id: None,
    }
}

fn import(store: &mut Store, workspace: WorkspaceId, name: &str, bytes: &[u8]) -> revlens_store::DatasetVersion {
    let staging = store.begin_import().unwrap();
    fs::write(staging.original_path(), bytes).unwrap();
    fs::write(staging.table_path(), b"parquet").unwrap();
    store.commit_import(staging, &new_version(workspace, name, bytes)).unwrap()
}

fn files_under(dir: &Path) -> usize {
    fs::read_dir(dir).map_or(0, |entries| {
        entries.flatten().map(|e| if e.path().is_dir() { files_under(&e.path()) } else { 1 }).sum()
    })
}

fn dataset_edits(store: &Store, workspace: WorkspaceId) -> Vec<revlens_store::PendingMutation> {
    store.pending_mutations(workspace).unwrap().into_iter().filter(|m| m.kind == DATASET_KIND).collect()
}

#[test]
fn imports_and_deletions_queue_the_datasets_metadata_and_no_local_path() {
    let home = tempfile::tempdir().unwrap();
    let mut store = Store::open(home.path()).unwrap();
    let ws = store.workspace_or_create("Acme").unwrap().id;
    // Imported before signing in: the sign-in queues it.
    let v1 = import(&mut store, ws, "subs", b"one");
    store.sign_in_sync(ws, &account()).unwrap();
    let log = dataset_edits(&store, ws);
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].object_id, v1.dataset_id.to_string());

    // A second version: the unsent edit is superseded, one entry listing both versions.
    let v2 = import(&mut store, ws, "subs", b"two");
    let log = dataset_edits(&store, ws);
    assert_eq!(log.len(), 1);
    let body = DatasetBody::parse(log[0].body.as_ref().unwrap()).unwrap();
    assert_eq!((body.name.as_str(), body.kind), ("subs", DatasetKind::Subscriptions));
    let numbers: Vec<_> = body.versions.iter().map(|v| (v.version, v.sha256.clone(), v.rows)).collect();
    assert_eq!(numbers, vec![(1, sha_of(b"one"), 3), (2, sha_of(b"two"), 3)]);
    assert_eq!(body.versions[1].id, v2.id.to_string());
    assert_eq!(body.versions[1].mapping, json!({"customer_id": "Customer"}));
    assert_eq!((body.versions[1].size, body.versions[1].source_name.as_str()), (3, "subs.csv"));
    assert!(!body.versions[1].imported_at.is_empty());
    let text = log[0].body.as_ref().unwrap().to_string();
    assert!(!text.contains(home.path().to_str().unwrap()), "a local path in {text}");

    // Sent and acknowledged; deleting a version queues the body without it, on revision 1.
    let batch = store.prepare_push(ws).unwrap();
    let id = batch.iter().find(|m| m.kind == DATASET_KIND).unwrap().mutation_id.unwrap();
    store.finish_push(ws, &[(id, 1)], &[], &[], batch.last().unwrap().mutation_id.unwrap()).unwrap();
    assert_eq!(store.pending_count(ws).unwrap(), 0);
    store.delete_version(v1.id).unwrap();
    let log = dataset_edits(&store, ws);
    let body = DatasetBody::parse(log[0].body.as_ref().unwrap()).unwrap();
    assert_eq!((log[0].base_rev, body.versions.len(), body.versions[0].version), (1, 1, 2));

    // Deleting the dataset queues its deletion (the server knows it).
    store.delete_dataset(v2.dataset_id).unwrap();
    let log = dataset_edits(&store, ws);
    assert_eq!((log.len(), log[0].deleted, log[0].base_rev), (1, true, 1));

    // A dataset the server never heard of leaves nothing to send when deleted.
    let other = import(&mut store, ws, "other", b"three");
    assert_eq!(dataset_edits(&store, ws).len(), 2);
    store.delete_dataset(other.dataset_id).unwrap();
    assert_eq!(dataset_edits(&store, ws).len(), 1);
}

/// Stages `synced` as the service would once it has the file: original and table in place.
fn stage(store: &Store, workspace: WorkspaceId, object: &RemoteObject, bytes: &[u8]) -> Incoming {
    let body = DatasetBody::parse(object.body.as_ref().unwrap()).unwrap();
    let mut incoming = Incoming::default();
    for synced in store.versions_to_import(workspace, object, 0).unwrap() {
        let staging = store.begin_synced_import(&synced).unwrap();
        fs::write(staging.original_path(), bytes).unwrap();
        fs::write(staging.table_path(), b"parquet").unwrap();
        let mut new = new_version(workspace, &body.name, bytes);
        new.source_name = synced.source_name.clone();
        incoming.stage(StagedVersion { remote_id: object.id.clone(), synced, staging, new });
    }
    incoming
}

#[test]
fn pulled_datasets_are_committed_deferred_or_deleted_whole() {
    // A's dataset, as the server would hand it to B.
    let home_a = tempfile::tempdir().unwrap();
    let mut a = Store::open(home_a.path()).unwrap();
    let ws_a = a.workspace_or_create("Acme").unwrap().id;
    a.sign_in_sync(ws_a, &account()).unwrap();
    let imported = import(&mut a, ws_a, "subs", b"one");
    let edit = dataset_edits(&a, ws_a).remove(0);
    let object = RemoteObject {
        kind: DATASET_KIND.into(),
        id: edit.object_id.clone(),
        rev: 1,
        body: edit.body.clone(),
        deleted: false,
        conflict_of: None,
    };

    let home_b = tempfile::tempdir().unwrap();
    let b = Store::open(home_b.path()).unwrap();
    let ws = b.workspace_or_create("Team").unwrap().id;
    b.sign_in_sync(ws, &account()).unwrap();
    assert_eq!(b.versions_to_import(ws, &object, 0).unwrap().len(), 1);
    let incoming = stage(&b, ws, &object, b"one");
    let applied = b.apply_pull_page_with(ws, std::slice::from_ref(&object), incoming, 1, 0).unwrap();
    assert_eq!((applied.updated, applied.deferred), (1, 0));
    let got = b.datasets(ws).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].id, got[0].name.as_str()), (imported.dataset_id, "subs"));
    let version = &got[0].versions[0];
    assert_eq!(
        (version.id, version.version, version.source_sha256.as_str()),
        (imported.id, 1, sha_of(b"one").as_str())
    );
    assert!(b.layout().blob(&sha_of(b"one")).is_file());
    assert!(b.layout().table(version.id).is_file());
    assert_eq!(b.pending_count(ws).unwrap(), 0, "pulled changes are not edits");
    assert!(b.versions_to_import(ws, &object, 0).unwrap().is_empty(), "every version is here");

    // A change whose file could not be fetched is kept for a retry; nothing of it is stored.
    let mut missing = object.clone();
    missing.id = "0190a8a0-0000-7000-8000-0000000000ff".into();
    let mut body = missing.body.clone().unwrap();
    body["name"] = json!("other");
    body["versions"][0]["sha256"] = json!(sha_of(b"gone"));
    missing.body = Some(body);
    let mut incoming = Incoming::default();
    incoming.fail(&missing, "the server has no file with SHA-256 …".into());
    let applied = b.apply_pull_page_with(ws, std::slice::from_ref(&missing), incoming, 2, 0).unwrap();
    assert_eq!((applied.updated, applied.deferred), (0, 1));
    assert_eq!(b.datasets(ws).unwrap().len(), 1);
    let deferred = b.deferred_changes(ws).unwrap();
    assert_eq!((deferred.len(), deferred[0].name.as_deref()), (1, Some("other")));
    assert!(deferred[0].error.contains("no file"));
    assert_eq!(deferred[0].object, missing);
    assert_eq!(b.sync_account(ws).unwrap().unwrap().cookie, 2, "the rest of the feed goes on");
    // A newer change of that object replaces the kept one.
    let mut gone = missing.clone();
    gone.rev = 2;
    gone.deleted = true;
    gone.body = None;
    b.apply_pull_page_with(ws, &[gone], Incoming::default(), 3, 0).unwrap();
    assert!(b.deferred_changes(ws).unwrap().is_empty());
    assert_eq!(files_under(&b.layout().staging()), 0, "no staged leftovers");
    assert_eq!(files_under(&b.layout().tables()), 1);

    // A's deletion removes the dataset here, with its files.
    let deletion = RemoteObject { rev: 2, body: None, deleted: true, ..object };
    let applied = b.apply_pull_page_with(ws, &[deletion], Incoming::default(), 4, 0).unwrap();
    assert_eq!(applied.deleted, 1);
    assert!(b.datasets(ws).unwrap().is_empty());
    assert!(!b.layout().blob(&sha_of(b"one")).exists());
    assert_eq!(files_under(&b.layout().tables()), 0);
    assert_eq!(b.pending_count(ws).unwrap(), 0);
}

#[test]
fn a_pending_local_edit_keeps_the_local_dataset_until_the_server_answers() {
    let home = tempfile::tempdir().unwrap();
    let mut store = Store::open(home.path()).unwrap();
    let ws = store.workspace_or_create("Acme").unwrap().id;
    store.sign_in_sync(ws, &account()).unwrap();
    let mine = import(&mut store, ws, "subs", b"mine");
    let edit = dataset_edits(&store, ws).remove(0);
    // The server has another version of the same dataset (a teammate's edit won the race).
    let mut theirs = edit.body.clone().unwrap();
    theirs["versions"][0]["sha256"] = json!(sha_of(b"theirs"));
    let object = RemoteObject {
        kind: DATASET_KIND.into(),
        id: edit.object_id.clone(),
        rev: 3,
        body: Some(theirs),
        deleted: false,
        conflict_of: None,
    };
    assert!(store.versions_to_import(ws, &object, 0).unwrap().is_empty());
    store.apply_pull_page_with(ws, std::slice::from_ref(&object), Incoming::default(), 1, 0).unwrap();
    let got = store.dataset(mine.dataset_id).unwrap();
    assert_eq!(got.versions[0].source_sha256, sha_of(b"mine"));
    assert_eq!(dataset_edits(&store, ws).len(), 1, "the edit still waits to be sent");

    // Once the server has answered it (a conflict: its version stands), the server's version
    // replaces the local one; ours lives on as the server's conflicted copy.
    let batch = store.prepare_push(ws).unwrap();
    let id = batch[0].mutation_id.unwrap();
    let incoming = {
        let mut incoming = Incoming::default();
        for synced in store.versions_to_import(ws, &object, id).unwrap() {
            let staging = store.begin_synced_import(&synced).unwrap();
            fs::write(staging.original_path(), b"theirs").unwrap();
            fs::write(staging.table_path(), b"parquet").unwrap();
            let new = new_version(ws, "subs", b"theirs");
            incoming.stage(StagedVersion { remote_id: object.id.clone(), synced, staging, new });
        }
        incoming
    };
    store.finish_push_with(ws, &[], &[id], &[object], incoming, id).unwrap();
    let got = store.dataset(mine.dataset_id).unwrap();
    assert_eq!(got.versions.len(), 1);
    assert_eq!(got.versions[0].source_sha256, sha_of(b"theirs"));
    assert_eq!(store.pending_count(ws).unwrap(), 0);
    assert!(!store.layout().blob(&sha_of(b"mine")).exists(), "the replaced file is not kept here");
}
