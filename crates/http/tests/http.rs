//! `revlens serve`'s HTTP contract over a real socket: calls, typed errors with their
//! status, the CSRF header, uploads, server-sent progress events and the UI's files.

#![allow(clippy::unwrap_used)] // test data: a panic is the failure report

mod common;

use std::time::Duration;

use common::start;
use reqwest::blocking::Client;
use serde_json::{json, Value};

#[test]
fn commands_errors_and_the_csrf_header() {
    let server = start();
    let (status, created) = server.call("create_workspace", json!({"name": "Acme"}));
    assert_eq!(status, 200, "{created}");
    let (status, listed) = server.call("list_workspaces", json!({}));
    assert_eq!((status, listed[0]["name"].clone()), (200, json!("Acme")));

    let (status, body) = server.call("create_workspace", json!({"name": "Acme"}));
    assert_eq!((status, body["error"]["code"].clone()), (409, json!("conflict")));
    let (status, body) = server.call("nope", json!({}));
    assert_eq!((status, body["error"]["code"].clone()), (404, json!("unknown_command")));
    let (status, body) = server.call("list_datasets", json!({"workspace": 7}));
    assert_eq!((status, body["error"]["code"].clone()), (400, json!("invalid_args")));
    assert!(body["error"]["message"].as_str().unwrap().contains("list_datasets"));

    // Without the header a cross-site form could post: refused, nothing created.
    let refused = Client::new()
        .post(format!("{}/api/call/create_workspace", server.base))
        .json(&json!({"name": "Forged"}))
        .send()
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    let (_, listed) = server.call("list_workspaces", json!({}));
    assert_eq!(listed.as_array().unwrap().len(), 1);
}

#[test]
fn upload_import_and_progress_events() {
    let server = start();
    let (_, workspace) = server.call("create_workspace", json!({"name": "Acme"}));
    let workspace = workspace["id"].as_str().unwrap().to_string();

    // Subscribe to events before importing.
    let event_rx = server.events();

    let csv = "customer_id,amount,start_date\nA,10.00,2025-01-01\nB,20.00,2025-02-01\n";
    let staged: Value = Client::new()
        .post(format!("{}/api/upload?name=subs.csv", server.base))
        .header("x-revlens", "1")
        .body(csv)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!((staged["file_name"].clone(), staged["size"].as_u64()), (json!("subs.csv"), Some(csv.len() as u64)));
    let path = staged["path"].as_str().unwrap();
    assert_eq!(std::fs::read_to_string(path).unwrap(), csv);

    let (status, preview) =
        server.call("preview_file", json!({"workspace": workspace, "path": path, "kind": "subscriptions"}));
    assert_eq!((status, preview["headers"].clone()), (200, json!(["customer_id", "amount", "start_date"])));
    let (status, imported) = server
        .call("import_file", json!({"workspace": workspace, "path": path, "kind": "subscriptions", "job": "upload-1"}));
    assert_eq!((status, imported["rows"].as_u64()), (200, Some(2)));

    let mut seen = Vec::new();
    while let Ok(event) = event_rx.recv_timeout(Duration::from_secs(10)) {
        let finished = event["kind"] == "finished";
        seen.push(event);
        if finished {
            break;
        }
    }
    assert!(seen.iter().any(|e| e["kind"] == "progress" && e["job"] == "upload-1"), "{seen:?}");
    assert_eq!(seen.last().unwrap(), &json!({"kind": "finished", "job": "upload-1"}));

    let (status, dashboard) = server.call("revenue_dashboard", json!({"workspace": workspace, "filters": {}}));
    assert_eq!(status, 200);
    let mrr = dashboard["tiles"].as_array().unwrap().iter().find(|t| t["id"] == "mrr").unwrap()["value"].clone();
    assert_eq!(mrr, json!(30.0));
}

#[test]
fn the_ui_files_and_the_index_for_every_other_path() {
    let server = start();
    let get = |path: &str| {
        let response = reqwest::blocking::get(format!("{}{path}", server.base)).unwrap();
        (response.status().as_u16(), response.text().unwrap())
    };
    assert_eq!(get("/app.js"), (200, "console.log('hi')".to_string()));
    let (status, index) = get("/");
    assert_eq!((status, index.contains("<title>RevLens</title>")), (200, true));
    let (status, index) = get("/cohorts");
    assert_eq!((status, index.contains("<title>RevLens</title>")), (200, true));
}
