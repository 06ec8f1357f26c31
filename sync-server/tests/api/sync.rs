use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, json_ok, spawn_app};

fn statuses(push: &Value) -> Vec<&str> {
    push["results"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn pushes_apply_in_order_and_exactly_once() {
    let app = spawn_app().await;
    let ann = app.owner("ann@example.com", "Acme").await;
    let mutations = json!([
        {"mutation_id": 1, "kind": "dashboard", "id": "d1", "base_rev": 0, "body": {"title": "MRR"}},
        {"mutation_id": 2, "kind": "dashboard", "id": "d1", "base_rev": 1, "body": {"title": "MRR 2"}},
        {"mutation_id": 3, "kind": "mapping", "id": "m1", "base_rev": 0, "body": {"amount": "Total"}},
    ]);
    let first = json_ok(app.push(&ann, "c1", mutations.clone()).await).await;
    assert_eq!(statuses(&first), ["applied", "applied", "applied"]);
    assert_eq!(first["results"][1]["rev"], 2);
    assert_eq!(first["last_mutation_id"], 3);
    let pulled = app.pull(&ann, 0, "c1").await;

    // The same push again (a retry after a lost answer) changes nothing.
    let retry = json_ok(app.push(&ann, "c1", mutations).await).await;
    assert_eq!(statuses(&retry), ["already_applied", "already_applied", "already_applied"]);
    assert_eq!(app.pull(&ann, 0, "c1").await, pulled);
    assert_eq!(pulled["last_mutation_id"], 3);
    assert_eq!(pulled["cookie"], 3);

    // A partly new push applies only the new tail.
    let more = json!([
        {"mutation_id": 3, "kind": "mapping", "id": "m1", "base_rev": 0, "body": {"amount": "Total"}},
        {"mutation_id": 4, "kind": "dashboard", "id": "d1", "base_rev": 2, "deleted": true},
    ]);
    let more = json_ok(app.push(&ann, "c1", more).await).await;
    assert_eq!(statuses(&more), ["already_applied", "applied"]);
    let after = app.pull(&ann, 3, "c1").await;
    assert_eq!(after["changes"], json!([{"kind": "dashboard", "id": "d1", "rev": 3, "version": 4, "deleted": true}]));
    assert_eq!(after["last_mutation_id"], 4);
}

#[tokio::test]
async fn stale_disjoint_edits_merge() {
    let app = spawn_app().await;
    let ann = app.owner("ann@example.com", "Acme").await;
    let create = json!([{"mutation_id": 1, "kind": "dashboard", "id": "d1", "base_rev": 0,
        "body": {"title": "MRR", "range": "12m", "chart": "line"}}]);
    json_ok(app.push(&ann, "laptop", create).await).await;
    let title = json!([{"mutation_id": 2, "kind": "dashboard", "id": "d1", "base_rev": 1,
        "body": {"title": "MRR by plan", "range": "12m", "chart": "line"}}]);
    json_ok(app.push(&ann, "laptop", title).await).await;
    // Another device, still on revision 1, changes another field.
    let range = json!([{"mutation_id": 1, "kind": "dashboard", "id": "d1", "base_rev": 1,
        "body": {"title": "MRR", "range": "24m", "chart": "line"}}]);
    let pushed = json_ok(app.push(&ann, "desktop", range).await).await;
    assert_eq!(pushed["results"][0], json!({"status": "applied", "mutation_id": 1, "rev": 3, "merged": true}));
    let pulled = app.pull(&ann, 0, "desktop").await;
    assert_eq!(pulled["changes"][0]["body"], json!({"title": "MRR by plan", "range": "24m", "chart": "line"}));
}

#[tokio::test]
async fn repeated_offline_edits_merge_against_the_clients_own_writes() {
    let app = spawn_app().await;
    let ann = app.owner("ann@example.com", "Acme").await;
    let create = json!([{"mutation_id": 1, "kind": "dashboard", "id": "d1", "base_rev": 0,
        "body": {"title": "MRR", "range": "12m"}}]);
    json_ok(app.push(&ann, "desktop", create).await).await;
    // The desktop changes the range, while the laptop, offline on revision 1, edits the title twice.
    let range = json!([{"mutation_id": 2, "kind": "dashboard", "id": "d1", "base_rev": 1,
        "body": {"title": "MRR", "range": "24m"}}]);
    json_ok(app.push(&ann, "desktop", range).await).await;
    let offline = json!([
        {"mutation_id": 1, "kind": "dashboard", "id": "d1", "base_rev": 1, "body": {"title": "MRR by plan", "range": "12m"}},
        {"mutation_id": 2, "kind": "dashboard", "id": "d1", "base_rev": 1, "body": {"title": "MRR by region", "range": "12m"}},
    ]);
    let pushed = json_ok(app.push(&ann, "laptop", offline).await).await;
    assert_eq!(pushed["results"][0], json!({"status": "applied", "mutation_id": 1, "rev": 3, "merged": true}));
    assert_eq!(pushed["results"][1], json!({"status": "applied", "mutation_id": 2, "rev": 4, "merged": true}));
    let pulled = app.pull(&ann, 0, "laptop").await;
    assert_eq!(
        pulled["changes"],
        json!([{"kind": "dashboard", "id": "d1", "rev": 4, "version": 4,
        "body": {"title": "MRR by region", "range": "24m"}}])
    );
}

#[tokio::test]
async fn true_conflicts_keep_both_versions() {
    let app = spawn_app().await;
    let ann = app.owner("ann@example.com", "Acme").await;
    let create = json!([{"mutation_id": 1, "kind": "scenario", "id": "s1", "base_rev": 0, "body": {"growth": 0.05}}]);
    json_ok(app.push(&ann, "laptop", create).await).await;
    json_ok(
        app.push(
            &ann,
            "laptop",
            json!([{"mutation_id": 2, "kind": "scenario", "id": "s1", "base_rev": 1, "body": {"growth": 0.07}}]),
        )
        .await,
    )
    .await;

    let theirs = json!([{"mutation_id": 1, "kind": "scenario", "id": "s1", "base_rev": 1, "body": {"growth": 0.10}}]);
    let pushed = json_ok(app.push(&ann, "desktop", theirs.clone()).await).await;
    let result = &pushed["results"][0];
    assert_eq!(result["status"], "conflict");
    assert_eq!(result["server"]["body"], json!({"growth": 0.07}));
    assert_eq!(result["server"]["rev"], 2);
    let copy_id = result["conflict_copy_id"].as_str().unwrap().to_owned();

    let pulled = app.pull(&ann, 0, "desktop").await;
    let changes = pulled["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2, "{pulled}");
    let original = changes.iter().find(|c| c["id"] == "s1").unwrap();
    let copy = changes.iter().find(|c| c["id"] == copy_id.as_str()).unwrap();
    assert_eq!(original["body"], json!({"growth": 0.07}));
    assert_eq!(copy["body"], json!({"growth": 0.10}));
    assert_eq!(copy["conflict_of"], "s1");
    assert!(copy_id.starts_with("conflict-") && copy_id.len() == 41, "{copy_id}");

    // The copy is an ordinary object: it can be edited, and conflict again, with valid ids.
    let edit = json!([{"mutation_id": 5, "kind": "scenario", "id": copy_id, "base_rev": 1, "body": {"growth": 0.11}}]);
    json_ok(app.push(&ann, "laptop2", edit).await).await;

    // Retrying the conflicting push makes no second copy.
    json_ok(app.push(&ann, "desktop", theirs).await).await;
    assert_eq!(app.pull(&ann, 0, "desktop").await["changes"].as_array().unwrap().len(), 2);

    // A stale delete of an edited object deletes nothing.
    let delete = json!([{"mutation_id": 2, "kind": "scenario", "id": "s1", "base_rev": 1, "deleted": true}]);
    let deleted = json_ok(app.push(&ann, "desktop", delete).await).await;
    assert_eq!(deleted["results"][0]["status"], "conflict");
    assert!(deleted["results"][0]["conflict_copy_id"].is_null());
    let s1 = app.pull(&ann, 0, "desktop").await["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "s1")
        .cloned()
        .unwrap();
    assert_eq!(s1["body"], json!({"growth": 0.07}));
}

#[tokio::test]
async fn a_client_builds_on_its_own_unacknowledged_edits() {
    let app = spawn_app().await;
    let ann = app.owner("ann@example.com", "Acme").await;
    // Offline, the client edits the same object twice: both edits name revision 0.
    let offline = json!([
        {"mutation_id": 1, "kind": "dashboard", "id": "d1", "base_rev": 0, "body": {"title": "MRR"}},
        {"mutation_id": 2, "kind": "dashboard", "id": "d1", "base_rev": 0, "body": {"title": "MRR", "range": "24m"}},
        {"mutation_id": 3, "kind": "dashboard", "id": "d1", "base_rev": 0, "body": {"title": "MRR!", "range": "24m"}},
    ]);
    let pushed = json_ok(app.push(&ann, "laptop", offline).await).await;
    assert_eq!(statuses(&pushed), ["applied", "applied", "applied"]);
    assert_eq!(pushed["results"][2]["rev"], 3);
    // Another client on the same stale base still conflicts.
    let other =
        json!([{"mutation_id": 1, "kind": "dashboard", "id": "d1", "base_rev": 1, "body": {"title": "Revenue"}}]);
    assert_eq!(statuses(&json_ok(app.push(&ann, "desktop", other).await).await), ["conflict"]);
}

#[tokio::test]
async fn pull_pages_with_a_monotonic_cookie() {
    let app = spawn_app().await;
    let ann = app.owner("ann@example.com", "Acme").await;
    let mutations: Vec<Value> = (1..=7)
        .map(|i| json!({"mutation_id": i, "kind": "template", "id": format!("t{i}"), "base_rev": 0, "body": {"n": i}}))
        .collect();
    json_ok(app.push(&ann, "c", Value::from(mutations)).await).await;
    // t3 changes again: it moves to the end of the feed, once.
    json_ok(
        app.push(
            &ann,
            "c",
            json!([{"mutation_id": 8, "kind": "template", "id": "t3", "base_rev": 1, "body": {"n": 33}}]),
        )
        .await,
    )
    .await;

    let mut cookie = 0;
    let mut seen = Vec::new();
    loop {
        let path = format!("/v1/orgs/{}/pull?cookie={cookie}&client_id=c&limit=3", ann.org_id);
        let page = json_ok(app.get(&path, &ann.access).await).await;
        let next = page["cookie"].as_u64().unwrap();
        assert!(next >= cookie, "cookies never go back");
        let changes = page["changes"].as_array().unwrap();
        assert!(changes.len() <= 3);
        seen.extend(changes.iter().map(|c| c["id"].as_str().unwrap().to_owned()));
        cookie = next;
        if !page["has_more"].as_bool().unwrap() {
            break;
        }
    }
    assert_eq!(seen, ["t1", "t2", "t4", "t5", "t6", "t7", "t3"]);
    assert_eq!(cookie, 8);
    let empty = app.pull(&ann, cookie, "c").await;
    assert_eq!(empty["changes"], json!([]));
    assert_eq!(empty["cookie"], 8);
    assert_eq!(empty["last_mutation_id"], 8);
    // A cookie from the future stays where it is.
    assert_eq!(app.pull(&ann, 100, "c").await["cookie"], 100);
}

#[tokio::test]
async fn malformed_pushes_are_refused_whole() {
    let app = spawn_app().await;
    let ann = app.owner("ann@example.com", "Acme").await;
    let both = json!([{"mutation_id": 1, "kind": "dashboard", "id": "d", "base_rev": 0, "body": {}, "deleted": true}]);
    assert_error(app.push(&ann, "c", both).await, StatusCode::BAD_REQUEST, "validation").await;
    let unknown_kind = json!([{"mutation_id": 1, "kind": "invoice", "id": "d", "base_rev": 0, "body": {}}]);
    assert_error(app.push(&ann, "c", unknown_kind).await, StatusCode::BAD_REQUEST, "validation").await;
    let disordered = json!([
        {"mutation_id": 2, "kind": "dashboard", "id": "a", "base_rev": 0, "body": {}},
        {"mutation_id": 1, "kind": "dashboard", "id": "b", "base_rev": 0, "body": {}},
    ]);
    assert_error(app.push(&ann, "c", disordered).await, StatusCode::BAD_REQUEST, "validation").await;
    assert_error(app.push(&ann, "", json!([])).await, StatusCode::BAD_REQUEST, "validation").await;
    assert_eq!(app.pull(&ann, 0, "c").await["changes"], json!([]));
}
