//! The blob routes on S3-compatible storage: moto's server (see `moto_server`), a bucket per
//! test.

use reqwest::StatusCode;

use crate::blobs::{cut_off_chunk, file_bytes, new_upload, put, sha_of, sync_client, wait_for_offset};
use crate::helpers::{assert_error, json_ok, spawn_app_with};
use crate::moto_server::fresh_bucket;

#[tokio::test]
async fn blobs_and_resumable_uploads_live_in_the_bucket() {
    let Some(bucket) = fresh_bucket().await else { return };
    let configured = bucket.clone();
    let app = spawn_app_with(move |s| configured.configure(s)).await;
    let ann = app.owner("ann@example.com", "Acme").await;

    // One PUT: verified, stored under the org, deduplicated.
    let small = b"month,mrr\n2024-01,1000\n".to_vec();
    let sha = sha_of(&small);
    assert_error(put(&app, &ann, &sha, b"other").await, StatusCode::BAD_REQUEST, "hash_mismatch").await;
    assert_eq!(bucket.keys("").await, Vec::<String>::new(), "a refused body leaves nothing");
    assert_eq!(json_ok(put(&app, &ann, &sha, &small).await).await["created"], true);
    assert_eq!(json_ok(put(&app, &ann, &sha, &small).await).await["created"], false);
    let key = format!("{}/{}/{sha}", ann.org_id, &sha[..2]);
    assert_eq!(bucket.object(&key).await, Some(small.clone()));
    let got = app.get(&format!("/v1/orgs/{}/blobs/{sha}", ann.org_id), &ann.access).await;
    assert_eq!(got.bytes().await.unwrap().as_ref(), small.as_slice());

    // A file larger than one S3 part, cut off on the way, resumed by the client.
    let big = file_bytes(9 * 1024 * 1024 + 123, 11);
    let big_sha = sha_of(&big);
    let id = new_upload(&app, &ann, &big).await;
    cut_off_chunk(&app, &ann, &id, 0, &big, 1_500_000).await;
    wait_for_offset(&app, &ann, &id, 1_500_000).await;
    assert!(!bucket.keys(&format!("uploads/{id}/")).await.is_empty(), "the chunk that arrived is in the bucket");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.bin");
    std::fs::write(&path, &big).unwrap();
    let client = sync_client(&app, &ann).await;
    let stored = client.upload_file(&ann.org_id, &path, 2 * 1024 * 1024).await.unwrap();
    assert_eq!((stored.sha256.as_str(), stored.created), (big_sha.as_str(), true));
    let key = format!("{}/{}/{big_sha}", ann.org_id, &big_sha[..2]);
    assert_eq!(bucket.object(&key).await.map(|b| sha_of(&b)), Some(big_sha.clone()));
    assert_eq!(bucket.keys("uploads/").await, Vec::<String>::new(), "completed uploads leave no chunks");
    let copy = dir.path().join("copy.bin");
    assert_eq!(client.download_blob(&ann.org_id, &big_sha, &copy).await.unwrap(), big.len() as u64);
    assert_eq!(sha_of(&std::fs::read(&copy).unwrap()), big_sha);
    assert!(!client.upload_file(&ann.org_id, &path, 2 * 1024 * 1024).await.unwrap().created, "deduplicated");

    // An upload that does not hash to its SHA-256 leaves nothing in the bucket.
    let announced = file_bytes(2000, 12);
    let id = new_upload(&app, &ann, &announced).await;
    json_ok(crate::blobs::chunk(&app, &ann, &id, 0, &file_bytes(2000, 13)).await).await;
    assert_error(crate::blobs::complete(&app, &ann, &id).await, StatusCode::BAD_REQUEST, "hash_mismatch").await;
    let announced_sha = sha_of(&announced);
    assert_eq!(bucket.object(&format!("{}/{}/{announced_sha}", ann.org_id, &announced_sha[..2])).await, None);
    assert_eq!(bucket.keys("uploads/").await, Vec::<String>::new());
}
