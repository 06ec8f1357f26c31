use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use reqwest::{Method, StatusCode};
use revlens_sync::client::SyncClient;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::{assert_error, json_ok, spawn_app, Session, TestApp, PASSWORD};

pub async fn put(app: &TestApp, who: &Session, sha: &str, bytes: &[u8]) -> reqwest::Response {
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

// Resumable uploads.

/// `n` bytes that do not repeat in any short period.
pub fn file_bytes(n: usize, seed: u8) -> Vec<u8> {
    let mut state = 0x9e37_79b9_u32 ^ u32::from(seed);
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state.to_le_bytes()[0]
        })
        .collect()
}

pub fn sha_of(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub async fn start_upload(app: &TestApp, who: &Session, sha: &str, size: usize) -> reqwest::Response {
    let path = format!("/v1/orgs/{}/uploads", who.org_id);
    app.post(&path, Some(&who.access), json!({"sha256": sha, "size": size})).await
}

/// Starts a new upload and returns its id.
pub async fn new_upload(app: &TestApp, who: &Session, bytes: &[u8]) -> String {
    let response = start_upload(app, who, &sha_of(bytes), bytes.len()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let started: Value = response.json().await.unwrap();
    assert_eq!(started["status"], "upload", "{started}");
    started["upload"]["id"].as_str().unwrap().to_owned()
}

pub async fn chunk(app: &TestApp, who: &Session, id: &str, offset: usize, bytes: &[u8]) -> reqwest::Response {
    let url = format!("{}/v1/orgs/{}/uploads/{id}?offset={offset}", app.address, who.org_id);
    app.client.put(url).bearer_auth(&who.access).body(bytes.to_vec()).send().await.unwrap()
}

pub async fn status(app: &TestApp, who: &Session, id: &str) -> reqwest::Response {
    app.get(&format!("/v1/orgs/{}/uploads/{id}", who.org_id), &who.access).await
}

pub async fn complete(app: &TestApp, who: &Session, id: &str) -> reqwest::Response {
    app.request(Method::POST, &format!("/v1/orgs/{}/uploads/{id}/complete", who.org_id), Some(&who.access), None).await
}

fn offset_header(response: &reqwest::Response) -> Option<u64> {
    response.headers().get("upload-offset")?.to_str().ok()?.parse().ok()
}

async fn audit_actions(app: &TestApp, who: &Session) -> Vec<String> {
    let rows = json_ok(app.get(&format!("/v1/orgs/{}/audit", who.org_id), &who.access).await).await;
    rows.as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap().to_owned()).collect()
}

/// Sends the first `sent` bytes of a `PUT` of the whole of `bytes` as one chunk at `offset`,
/// over a raw connection that then closes: an upload cut off on the way.
pub async fn cut_off_chunk(app: &TestApp, who: &Session, id: &str, offset: usize, bytes: &[u8], sent: usize) {
    let host = app.address.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).await.unwrap();
    let head = format!(
        "PUT /v1/orgs/{}/uploads/{id}?offset={offset} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
        who.org_id,
        who.access,
        bytes.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&bytes[..sent]).await.unwrap();
    stream.flush().await.unwrap();
    stream.shutdown().await.unwrap();
}

/// Waits (10 s at most) until the upload's offset is `expected`.
pub async fn wait_for_offset(app: &TestApp, who: &Session, id: &str, expected: u64) {
    let mut last = Value::Null;
    for _ in 0..200 {
        last = json_ok(status(app, who, id).await).await;
        if last["offset"] == expected {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the upload never reached offset {expected}: {last}");
}

pub async fn sync_client(app: &TestApp, who: &Session) -> SyncClient {
    let mut client = SyncClient::new(app.address.clone());
    client.login(&who.email, PASSWORD).await.unwrap();
    client
}

#[tokio::test]
async fn a_file_uploads_in_chunks_verified_and_deduplicated() {
    let app = spawn_app().await;
    let ann = app.owner("ann@example.com", "Acme").await;
    let bytes = file_bytes(300_000, 1);
    let sha = sha_of(&bytes);

    let response = start_upload(&app, &ann, &sha, bytes.len()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(offset_header(&response), Some(0));
    let started: Value = response.json().await.unwrap();
    assert_eq!((started["status"].as_str(), started["upload"]["offset"].as_u64()), (Some("upload"), Some(0)));
    assert_eq!(started["upload"]["size"], bytes.len());
    let id = started["upload"]["id"].as_str().unwrap().to_owned();

    let first = json_ok(chunk(&app, &ann, &id, 0, &bytes[..100_000]).await).await;
    assert_eq!(first["offset"], 100_000);
    // The same chunk again, or one from the wrong place: refused, with the right offset.
    for wrong in [0, 50_000, 200_000] {
        let response = chunk(&app, &ann, &id, wrong, &bytes[wrong..wrong + 1000]).await;
        assert_eq!(offset_header(&response), Some(100_000));
        assert_error(response, StatusCode::CONFLICT, "offset_mismatch").await;
    }
    let head =
        app.request(Method::HEAD, &format!("/v1/orgs/{}/uploads/{id}", ann.org_id), Some(&ann.access), None).await;
    assert_eq!((head.status(), offset_header(&head)), (StatusCode::OK, Some(100_000)));
    assert_error(complete(&app, &ann, &id).await, StatusCode::CONFLICT, "upload_incomplete").await;
    // Asking again for the same file answers the unfinished upload, where it stands.
    let again = json_ok(start_upload(&app, &ann, &sha, bytes.len()).await).await;
    assert_eq!(
        (again["upload"]["id"].as_str(), again["upload"]["offset"].as_u64()),
        (Some(id.as_str()), Some(100_000))
    );
    // Another member of the org does not see it.
    let al = app.member(&ann, "al@example.com", "analyst").await;
    assert_error(status(&app, &al, &id).await, StatusCode::NOT_FOUND, "not_found").await;
    assert_error(chunk(&app, &al, &id, 100_000, b"x").await, StatusCode::NOT_FOUND, "not_found").await;

    json_ok(chunk(&app, &ann, &id, 100_000, &bytes[100_000..250_000]).await).await;
    let past_the_end = chunk(&app, &ann, &id, 250_000, &file_bytes(50_001, 9)).await;
    assert_error(past_the_end, StatusCode::BAD_REQUEST, "validation").await;
    let last = json_ok(chunk(&app, &ann, &id, 250_000, &bytes[250_000..]).await).await;
    assert_eq!(last["offset"], bytes.len());
    let stored = json_ok(complete(&app, &ann, &id).await).await;
    assert_eq!(stored, json!({"sha256": sha, "size": bytes.len(), "created": true}));
    assert_error(status(&app, &ann, &id).await, StatusCode::NOT_FOUND, "not_found").await;

    let got = app.get(&format!("/v1/orgs/{}/blobs/{sha}", ann.org_id), &ann.access).await;
    assert_eq!(got.headers()["content-length"], bytes.len().to_string().as_str());
    assert_eq!(got.bytes().await.unwrap().as_ref(), bytes.as_slice());
    let head = app.request(Method::HEAD, &format!("/v1/orgs/{}/blobs/{sha}", ann.org_id), Some(&al.access), None).await;
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()["content-length"], bytes.len().to_string().as_str());
    let absent = format!("/v1/orgs/{}/blobs/{}", ann.org_id, "0".repeat(64));
    assert_eq!(app.request(Method::HEAD, &absent, Some(&al.access), None).await.status(), StatusCode::NOT_FOUND);

    // Deduplicated: the org has it, whoever asks and however it is sent.
    let exists = json_ok(start_upload(&app, &al, &sha, bytes.len()).await).await;
    assert_eq!(exists, json!({"status": "exists", "blob": {"sha256": sha, "size": bytes.len(), "created": false}}));
    assert_eq!(json_ok(put(&app, &al, &sha, &bytes).await).await["created"], false);
    let actions = audit_actions(&app, &ann).await;
    assert_eq!(actions.iter().filter(|a| *a == "upload.create").count(), 1, "{actions:?}");
    assert_eq!(actions.iter().filter(|a| *a == "blob.create").count(), 1, "{actions:?}");
}

#[tokio::test]
async fn an_upload_whose_bytes_do_not_hash_to_its_sha_is_refused() {
    let app = spawn_app().await;
    let ann = app.owner("ann@example.com", "Acme").await;
    let announced = file_bytes(10_000, 2);
    let sent = file_bytes(10_000, 3);
    let id = new_upload(&app, &ann, &announced).await;
    json_ok(chunk(&app, &ann, &id, 0, &sent).await).await;
    assert_error(complete(&app, &ann, &id).await, StatusCode::BAD_REQUEST, "hash_mismatch").await;
    // The upload is gone and nothing was stored.
    assert_error(status(&app, &ann, &id).await, StatusCode::NOT_FOUND, "not_found").await;
    let blob = app.get(&format!("/v1/orgs/{}/blobs/{}", ann.org_id, sha_of(&announced)), &ann.access).await;
    assert_error(blob, StatusCode::NOT_FOUND, "not_found").await;
    assert!(audit_actions(&app, &ann).await.contains(&"upload.discard".to_owned()));
    if crate::BACKEND == crate::helpers::Backend::Sqlite {
        let uploads = app.settings.blobs_dir().join("uploads");
        let left = std::fs::read_dir(&uploads).map(|d| d.count()).unwrap_or(0);
        assert_eq!(left, 0, "no chunk is left in {}", uploads.display());
    }
}

#[tokio::test]
async fn an_upload_cut_off_mid_chunk_resumes_where_the_bytes_stopped() {
    let app = spawn_app().await;
    let ann = app.owner("ann@example.com", "Acme").await;
    let bytes = file_bytes(200_000, 4);
    let id = new_upload(&app, &ann, &bytes).await;
    cut_off_chunk(&app, &ann, &id, 0, &bytes, 70_000).await;
    // What arrived before the cut is kept.
    wait_for_offset(&app, &ann, &id, 70_000).await;

    // The client picks the upload up where the server stands and finishes it.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("invoices.csv");
    std::fs::write(&path, &bytes).unwrap();
    let client = sync_client(&app, &ann).await;
    let stored = client.upload_file(&ann.org_id, &path, 64 * 1024).await.unwrap();
    assert_eq!((stored.sha256.as_str(), stored.size, stored.created), (sha_of(&bytes).as_str(), 200_000, true));
    let actions = audit_actions(&app, &ann).await;
    assert_eq!(actions.iter().filter(|a| *a == "upload.create").count(), 1, "the same upload went on: {actions:?}");

    // Download, streamed to a file and verified.
    let copy = dir.path().join("copy.csv");
    assert_eq!(client.download_blob(&ann.org_id, &stored.sha256, &copy).await.unwrap(), 200_000);
    assert_eq!(std::fs::read(&copy).unwrap(), bytes);
    assert!(client.has_blob(&ann.org_id, &stored.sha256).await.unwrap());
    assert!(!client.has_blob(&ann.org_id, &"1".repeat(64)).await.unwrap());
    // A second upload of the same file sends nothing.
    assert!(!client.upload_file(&ann.org_id, &path, 64 * 1024).await.unwrap().created);
}

/// A TCP proxy to `upstream` whose first connection breaks after `cut_after` bytes from the
/// client; later ones pass everything. Returns its address and the count of connections.
async fn cutting_proxy(upstream: &str, cut_after: u64) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let upstream = upstream.trim_start_matches("http://").to_owned();
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let first = counter.fetch_add(1, Ordering::SeqCst) == 0;
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let server = TcpStream::connect(upstream).await.unwrap();
                let (mut from_client, mut to_client) = client.into_split();
                let (mut from_server, mut to_server) = server.into_split();
                let limit = if first { cut_after } else { u64::MAX };
                let mut limited = (&mut from_client).take(limit);
                let up = tokio::io::copy(&mut limited, &mut to_server);
                let down = tokio::io::copy(&mut from_server, &mut to_client);
                if first {
                    // Both sides close as soon as the limit is reached.
                    tokio::select! { _ = up => {}, _ = down => {} }
                } else {
                    let _ = tokio::join!(up, down);
                }
            });
        }
    });
    (address, connections)
}

#[tokio::test]
async fn the_client_resumes_an_upload_through_a_connection_that_breaks() {
    let app = spawn_app().await;
    let ann = app.owner("ann@example.com", "Acme").await;
    let bytes = file_bytes(1_000_000, 5);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.parquet");
    std::fs::write(&path, &bytes).unwrap();

    let (proxy, connections) = cutting_proxy(&app.address, 300_000).await;
    let mut client = SyncClient::new(proxy);
    client.set_tokens(sync_client(&app, &ann).await.tokens().cloned());
    let stored = client.upload_file(&ann.org_id, &path, 128 * 1024).await.unwrap();
    assert_eq!((stored.size, stored.created), (1_000_000, true));
    assert!(connections.load(Ordering::SeqCst) >= 2, "the first connection broke, the client came back");
    assert_eq!(client.get_blob(&ann.org_id, &stored.sha256).await.unwrap(), bytes);
    let actions = audit_actions(&app, &ann).await;
    assert_eq!(actions.iter().filter(|a| *a == "upload.create").count(), 1, "{actions:?}");
}

#[tokio::test]
async fn uploads_beyond_the_limits_are_refused() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.blobs.max_upload_bytes = 1000;
        s.blobs.max_chunk_bytes = 100;
    })
    .await;
    let ann = app.owner("ann@example.com", "Acme").await;
    let too_big = file_bytes(1001, 6);
    assert_error(
        start_upload(&app, &ann, &sha_of(&too_big), 1001).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
    assert_error(start_upload(&app, &ann, "not-a-sha", 10).await, StatusCode::BAD_REQUEST, "validation").await;
    let bytes = file_bytes(150, 7);
    let id = new_upload(&app, &ann, &bytes).await;
    assert_eq!(chunk(&app, &ann, &id, 0, &bytes[..101]).await.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let no_offset = app.client.put(format!("{}/v1/orgs/{}/uploads/{id}", app.address, ann.org_id));
    let no_offset = no_offset.bearer_auth(&ann.access).body(bytes.clone()).send().await.unwrap();
    assert_error(no_offset, StatusCode::BAD_REQUEST, "validation").await;
    json_ok(chunk(&app, &ann, &id, 0, &bytes[..100]).await).await;
    json_ok(chunk(&app, &ann, &id, 100, &bytes[100..]).await).await;
    assert_eq!(json_ok(complete(&app, &ann, &id).await).await["created"], true);
    let unknown = status(&app, &ann, "0190c3a4-0000-7000-8000-000000000000").await;
    assert_error(unknown, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn an_abandoned_upload_can_be_deleted_and_a_stale_one_expires() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.blobs.upload_ttl_secs = 1;
        s.blobs.sweep_interval_secs = 1;
    })
    .await;
    let ann = app.owner("ann@example.com", "Acme").await;
    let bytes = file_bytes(5000, 8);
    let deleted = new_upload(&app, &ann, &bytes).await;
    json_ok(chunk(&app, &ann, &deleted, 0, &bytes[..1000]).await).await;
    let gone = app.delete(&format!("/v1/orgs/{}/uploads/{deleted}", ann.org_id), &ann.access).await;
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    assert_error(status(&app, &ann, &deleted).await, StatusCode::NOT_FOUND, "not_found").await;

    let stale = new_upload(&app, &ann, &bytes).await;
    json_ok(chunk(&app, &ann, &stale, 0, &bytes[..1000]).await).await;
    // The sweep deletes it (and its chunk) once it is older than the TTL.
    let mut actions = Vec::new();
    for _ in 0..100 {
        actions = audit_actions(&app, &ann).await;
        if actions.contains(&"upload.expire".to_owned()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(actions.contains(&"upload.delete".to_owned()), "{actions:?}");
    assert!(actions.contains(&"upload.expire".to_owned()), "{actions:?}");
    assert_error(status(&app, &ann, &stale).await, StatusCode::NOT_FOUND, "not_found").await;
    assert_error(chunk(&app, &ann, &stale, 1000, &bytes[1000..]).await, StatusCode::NOT_FOUND, "not_found").await;
    if crate::BACKEND == crate::helpers::Backend::Sqlite {
        let uploads = app.settings.blobs_dir().join("uploads");
        let left = std::fs::read_dir(&uploads).map(|d| d.count()).unwrap_or(0);
        assert_eq!(left, 0, "no chunk is left in {}", uploads.display());
    }
}

#[tokio::test]
async fn two_chunks_sent_at_once_to_one_offset_land_once() {
    let app = spawn_app().await;
    let ann = app.owner("ann@example.com", "Acme").await;
    for round in 0..5u8 {
        // A new file each round (the org has the last one).
        let bytes = file_bytes(3000, 20 + round);
        let id = new_upload(&app, &ann, &bytes).await;
        let (short, long) =
            tokio::join!(chunk(&app, &ann, &id, 0, &bytes[..1000]), chunk(&app, &ann, &id, 0, &bytes[..2000]));
        let expected = match [short.status(), long.status()] {
            [StatusCode::OK, StatusCode::CONFLICT] => 1000,
            [StatusCode::CONFLICT, StatusCode::OK] => 2000,
            other => panic!("round {round}: {other:?}"),
        };
        assert_eq!(json_ok(status(&app, &ann, &id).await).await["offset"], expected);
        json_ok(chunk(&app, &ann, &id, expected, &bytes[expected..]).await).await;
        assert_eq!(json_ok(complete(&app, &ann, &id).await).await["created"], true, "round {round}");
        if crate::BACKEND == crate::helpers::Backend::Sqlite {
            let left = std::fs::read_dir(app.settings.blobs_dir().join("uploads")).map(|d| d.count()).unwrap_or(0);
            assert_eq!(left, 0, "round {round}: no chunk is left, the losing one neither");
        }
    }
}
