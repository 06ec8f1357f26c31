use std::time::Duration;

use chrono::Utc;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{assert_error, json_ok, spawn_app, Session, TestApp};

async fn dashboard(app: &TestApp, who: &Session) {
    let body = json!({"title": "MRR <script>alert(1)</script>", "months": 12});
    let put = json!([{"mutation_id": 1, "kind": "dashboard", "id": "d1", "base_rev": 0, "body": body}]);
    json_ok(app.push(who, "c", put).await).await;
}

async fn open(app: &TestApp, token: &str) -> (StatusCode, String) {
    let response = app.request(Method::GET, &format!("/s/{token}"), None, None).await;
    let status = response.status();
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn create_open_list_revoke() {
    let app = spawn_app().await;
    let ann = app.owner("ann@example.com", "Acme").await;
    dashboard(&app, &ann).await;
    let path = format!("/v1/orgs/{}/share-links", ann.org_id);
    let link = json_ok(
        app.post(
            &path,
            Some(&ann.access),
            json!({"kind": "dashboard", "id": "d1", "expires_at": crate::helpers::later()}),
        )
        .await,
    )
    .await;
    let token = link["token"].as_str().unwrap();
    assert_eq!(link["url"], format!("{}/s/{token}", app.address));

    let (status, page) = open(&app, token).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("MRR &lt;script&gt;alert(1)&lt;/script&gt;"), "{page}");
    assert!(!page.contains("<script>"));
    assert!(page.contains("Acme"));

    let list = json_ok(app.get(&path, &ann.access).await).await;
    assert_eq!(list[0]["object_id"], "d1");
    assert!(list[0].get("token").is_none());
    assert!(!list.to_string().contains(token));

    let revoke = format!("{path}/{}", link["id"].as_str().unwrap());
    assert_eq!(app.delete(&revoke, &ann.access).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(open(&app, token).await.0, StatusCode::NOT_FOUND);
    assert_error(app.delete(&revoke, &ann.access).await, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(open(&app, "made-up-token").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn links_expire_and_follow_their_object() {
    let app = spawn_app().await;
    let ann = app.owner("ann@example.com", "Acme").await;
    dashboard(&app, &ann).await;
    let path = format!("/v1/orgs/{}/share-links", ann.org_id);
    let soon = Utc::now() + chrono::Duration::milliseconds(3000);
    let link =
        json_ok(app.post(&path, Some(&ann.access), json!({"kind": "dashboard", "id": "d1", "expires_at": soon})).await)
            .await;
    let token = link["token"].as_str().unwrap();
    assert_eq!(open(&app, token).await.0, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(3200)).await;
    assert_eq!(open(&app, token).await.0, StatusCode::NOT_FOUND);

    // A deleted object's links stop opening.
    let link = json_ok(
        app.post(
            &path,
            Some(&ann.access),
            json!({"kind": "dashboard", "id": "d1", "expires_at": crate::helpers::later()}),
        )
        .await,
    )
    .await;
    json_ok(
        app.push(
            &ann,
            "c",
            json!([{"mutation_id": 2, "kind": "dashboard", "id": "d1", "base_rev": 1, "deleted": true}]),
        )
        .await,
    )
    .await;
    assert_eq!(open(&app, link["token"].as_str().unwrap()).await.0, StatusCode::NOT_FOUND);

    // Links are for live objects, with a future expiry.
    let missing = json!({"kind": "dashboard", "id": "nope", "expires_at": crate::helpers::later()});
    assert_error(app.post(&path, Some(&ann.access), missing).await, StatusCode::NOT_FOUND, "not_found").await;
    let past = json!({"kind": "dashboard", "id": "d1", "expires_at": "2001-01-01T00:00:00Z"});
    assert_error(app.post(&path, Some(&ann.access), past).await, StatusCode::BAD_REQUEST, "validation").await;
}
