use reqwest::{Method, StatusCode};

use crate::helpers::{assert_error, spawn_app};

#[tokio::test]
async fn healthz_metrics_and_openapi() {
    let app = spawn_app().await;
    let health = app.request(Method::GET, "/healthz", None, None).await;
    assert_eq!(health.status(), StatusCode::OK);
    assert!(health.headers().get("x-request-id").is_some(), "every response carries a request id");

    let metrics = app.request(Method::GET, "/metrics", None, None).await.text().await.unwrap();
    assert!(
        metrics.contains("revlens_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"),
        "{metrics}"
    );

    let doc: serde_json::Value = app.request(Method::GET, "/openapi.json", None, None).await.json().await.unwrap();
    for path in [
        "/v1/auth/login",
        "/v1/me",
        "/v1/me/password",
        "/v1/me/email",
        "/v1/me/email/confirm",
        "/v1/auth/password-reset",
        "/v1/auth/password-reset/confirm",
        "/v1/orgs/{org}/push",
        "/v1/orgs/{org}/pull",
        "/s/{token}",
        "/v1/share/{token}",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing from the OpenAPI document");
    }
    assert!(doc["components"]["schemas"]["Mutation"].is_object());
    assert!(doc["components"]["schemas"]["SharedObject"].is_object());
    assert!(doc["components"]["schemas"]["PasswordResetConfirm"].is_object());
    assert!(doc["paths"]["/v1/me"]["patch"].is_object());
    // The blob and upload routes, every method.
    let blob = &doc["paths"]["/v1/orgs/{org}/blobs/{sha256}"];
    assert!(blob["get"].is_object() && blob["put"].is_object() && blob["head"].is_object(), "{blob}");
    assert!(doc["paths"]["/v1/orgs/{org}/uploads"]["post"].is_object());
    let upload = &doc["paths"]["/v1/orgs/{org}/uploads/{id}"];
    assert!(upload["get"].is_object() && upload["put"].is_object() && upload["delete"].is_object(), "{upload}");
    assert!(doc["paths"]["/v1/orgs/{org}/uploads/{id}/complete"]["post"].is_object());
    for schema in ["UploadStarted", "Upload", "CreateUploadRequest", "BlobStored"] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema} missing from the OpenAPI document");
    }
}

#[tokio::test]
async fn a_given_request_id_is_echoed() {
    let app = spawn_app().await;
    let response =
        app.client.get(format!("{}/healthz", app.address)).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(response.headers()["x-request-id"], "abc-123");
}

#[tokio::test]
async fn unknown_routes_answer_the_error_shape() {
    let app = spawn_app().await;
    assert_error(app.request(Method::GET, "/v2/nothing", None, None).await, StatusCode::NOT_FOUND, "not_found").await;
}
