use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, json_ok, spawn_app, PASSWORD};

#[tokio::test]
async fn mutations_and_sign_ins_are_audited() {
    let app = spawn_app().await;
    let ann = app.owner("ann@example.com", "Acme").await;
    let put = json!([
        {"mutation_id": 1, "kind": "dashboard", "id": "d1", "base_rev": 0, "body": {"t": 1}},
        {"mutation_id": 2, "kind": "dashboard", "id": "d1", "base_rev": 1, "body": {"t": 2}},
        {"mutation_id": 3, "kind": "dashboard", "id": "d1", "base_rev": 2, "deleted": true},
    ]);
    json_ok(app.push(&ann, "c", put.clone()).await).await;
    json_ok(app.push(&ann, "c", put).await).await; // already applied: no new rows
    app.login("ann@example.com", "wrong password").await;

    let rows = json_ok(app.get(&format!("/v1/orgs/{}/audit", ann.org_id), &ann.access).await).await;
    let rows = rows.as_array().unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["org.create", "auth.login", "object.create", "object.update", "object.delete", "auth.login_failed"],
        "{rows:?}"
    );
    let create: &Value = &rows[2];
    assert_eq!(create["actor_user_id"], ann.user_id.as_str());
    assert_eq!(create["org_id"], ann.org_id.as_str());
    assert_eq!(create["object_kind"], "dashboard");
    assert_eq!(create["object_id"], "d1");
    assert_eq!(create["client_addr"], "127.0.0.1");
    assert!(create["at"].is_string());

    let csv = app.get(&format!("/v1/orgs/{}/audit?format=csv", ann.org_id), &ann.access).await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = csv.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("id,at,org_id,actor_user_id,action,object_kind,object_id,client_addr"));
    assert_eq!(lines.count(), rows.len());
    assert!(csv.contains(",object.update,dashboard,d1,127.0.0.1"));

    assert_error(
        app.get(&format!("/v1/orgs/{}/audit?format=xml", ann.org_id), &ann.access).await,
        StatusCode::BAD_REQUEST,
        "validation",
    )
    .await;
}

#[tokio::test]
async fn the_audit_never_holds_secrets() {
    let app = spawn_app().await;
    let ann = app.owner("ann@example.com", "Acme").await;
    let invitation = json_ok(app.invite(&ann, "carl@example.com", "viewer").await).await;
    let token = invitation["token"].as_str().unwrap();
    json_ok(app.accept(token, PASSWORD).await).await;
    let csv = app.get(&format!("/v1/orgs/{}/audit?format=csv", ann.org_id), &ann.access).await.text().await.unwrap();
    assert!(csv.contains("invitation.accept"));
    for secret in [token, PASSWORD, ann.access.as_str(), ann.refresh.as_str()] {
        assert!(!csv.contains(secret));
    }
}
