use reqwest::StatusCode;
use sha2::{Digest, Sha256};

use crate::helpers::{assert_error, json_ok, spawn_app, Session, TestApp};

async fn put(app: &TestApp, who: &Session, sha: &str, bytes: &[u8]) -> reqwest::Response {
    let url = format!("{}/v1/orgs/{}/blobs/{sha}", app.address, who.org_id);
    app.client.put(url).bearer_auth(&who.access).body(bytes.to_vec()).send().await.unwrap()
}

#[tokio::test]
async fn blobs_are_verified_stored_and_deduplicated() {
    let app = spawn_app().await;
    let ann = app.owner("ann@example.com", "Acme").await;
    let bytes = b"month,mrr\n2024-01,1000\n";
    let sha = hex::encode(Sha256::digest(bytes));

    let stored = json_ok(put(&app, &ann, &sha, bytes).await).await;
    assert_eq!(stored["created"], true);
    assert_eq!(stored["size"], bytes.len());
    let again = json_ok(put(&app, &ann, &sha, bytes).await).await;
    assert_eq!(again["created"], false);

    let got = app.get(&format!("/v1/orgs/{}/blobs/{sha}", ann.org_id), &ann.access).await;
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(got.bytes().await.unwrap().as_ref(), bytes);
    let viewer = app.member(&ann, "v@example.com", "viewer").await;
    assert_eq!(app.get(&format!("/v1/orgs/{}/blobs/{sha}", ann.org_id), &viewer.access).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_body_that_does_not_match_its_hash_is_refused() {
    let app = spawn_app().await;
    let ann = app.owner("ann@example.com", "Acme").await;
    let sha = hex::encode(Sha256::digest(b"the real bytes"));
    assert_error(put(&app, &ann, &sha, b"other bytes").await, StatusCode::BAD_REQUEST, "hash_mismatch").await;
    assert_error(
        app.get(&format!("/v1/orgs/{}/blobs/{sha}", ann.org_id), &ann.access).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // Not even when the org already has the blob.
    json_ok(put(&app, &ann, &sha, b"the real bytes").await).await;
    assert_error(put(&app, &ann, &sha, b"other bytes").await, StatusCode::BAD_REQUEST, "hash_mismatch").await;
    assert_error(put(&app, &ann, "not-a-hash", b"x").await, StatusCode::BAD_REQUEST, "validation").await;
    assert_error(put(&app, &ann, "..%2F..%2Fetc", b"x").await, StatusCode::BAD_REQUEST, "validation").await;
}

#[tokio::test]
async fn blobs_above_the_limit_are_refused() {
    let app = crate::helpers::spawn_app_with(|s| s.max_blob_bytes = 1024).await;
    let ann = app.owner("ann@example.com", "Acme").await;
    let bytes = vec![7u8; 4096];
    let sha = hex::encode(Sha256::digest(&bytes));
    assert_eq!(put(&app, &ann, &sha, &bytes).await.status(), StatusCode::PAYLOAD_TOO_LARGE);
}
