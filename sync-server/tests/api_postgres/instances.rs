//! Two server instances on one PostgreSQL database serve the same org consistently, and accept
//! a single-use token once.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::blobs;
use crate::helpers::{json_ok, spawn_app, spawn_app_with, spawn_app_with_mail, Session, TestApp};

fn statuses(push: &Value) -> Vec<&str> {
    push["results"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect()
}

async fn audit(app: &TestApp, who: &Session) -> Value {
    json_ok(app.get(&format!("/v1/orgs/{}/audit", who.org_id), &who.access).await).await
}

#[tokio::test]
async fn two_instances_share_changes_versions_and_audit_rows() {
    let a = spawn_app().await;
    let database_url = a.settings.database_url.clone();
    assert!(database_url.as_deref().unwrap().starts_with("postgres://"));
    let b = spawn_app_with(|s| s.database_url = database_url).await;
    assert_ne!(a.address, b.address);

    // Signed in through A; the session works on B (sessions live in the database).
    let ann = a.owner("ann@example.com", "Acme").await;
    let me = json_ok(b.get("/v1/me", &ann.access).await).await;
    assert_eq!(me["orgs"][0]["id"], ann.org_id.as_str());

    // Pushed through A, pulled through B.
    let first = json!([{"mutation_id": 1, "kind": "dashboard", "id": "d1", "base_rev": 0,
        "body": {"title": "MRR", "range": "12m"}}]);
    let pushed = json_ok(a.push(&ann, "laptop", first).await).await;
    assert_eq!(statuses(&pushed), ["applied"]);
    let pulled = b.pull(&ann, 0, "laptop").await;
    assert_eq!(pulled["cookie"], 1);
    assert_eq!(pulled["last_mutation_id"], 1);
    assert_eq!(
        pulled["changes"],
        json!([{"kind": "dashboard", "id": "d1", "rev": 1, "version": 1, "body": {"title": "MRR", "range": "12m"}}])
    );

    // A retry of the same push through B is recognised as applied.
    let retry = json!([{"mutation_id": 1, "kind": "dashboard", "id": "d1", "base_rev": 0,
        "body": {"title": "MRR", "range": "12m"}}]);
    assert_eq!(statuses(&json_ok(b.push(&ann, "laptop", retry).await).await), ["already_applied"]);

    // Another client edits through B on the same base; a disjoint stale edit through A merges.
    let title = json!([{"mutation_id": 1, "kind": "dashboard", "id": "d1", "base_rev": 1,
        "body": {"title": "MRR by plan", "range": "12m"}}]);
    assert_eq!(json_ok(b.push(&ann, "desktop", title).await).await["results"][0]["rev"], 2);
    let range = json!([{"mutation_id": 2, "kind": "dashboard", "id": "d1", "base_rev": 1,
        "body": {"title": "MRR", "range": "24m"}}]);
    let merged = json_ok(a.push(&ann, "laptop", range).await).await;
    assert_eq!(merged["results"][0], json!({"status": "applied", "mutation_id": 2, "rev": 3, "merged": true}));

    // Both instances answer the same feed, audit log and client state.
    let from_a = a.pull(&ann, 0, "laptop").await;
    let from_b = b.pull(&ann, 0, "laptop").await;
    assert_eq!(from_a, from_b);
    assert_eq!(from_a["cookie"], 3);
    assert_eq!(from_a["changes"][0]["body"], json!({"title": "MRR by plan", "range": "24m"}));
    let audit_a = audit(&a, &ann).await;
    assert_eq!(audit_a, audit(&b, &ann).await);
    let actions: Vec<&str> = audit_a.as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["org.create", "auth.login", "object.create", "object.update", "object.merge"]);
}

/// `client` pushes 20 edits of one scenario, each made on revision 0, one push each.
async fn edits(app: &TestApp, who: &Session, client: &str) -> Vec<Value> {
    let mut results = Vec::new();
    for n in 1..=20u64 {
        let m = json!([{"mutation_id": n, "kind": "scenario", "id": "s1", "base_rev": 0, "body": {client: n}}]);
        results.push(json_ok(app.push(who, client, m).await).await);
    }
    results
}

#[tokio::test]
async fn concurrent_pushes_through_two_instances_get_distinct_versions() {
    let a = spawn_app().await;
    let database_url = a.settings.database_url.clone();
    let b = spawn_app_with(|s| s.database_url = database_url).await;
    let ann = a.owner("ann@example.com", "Acme").await;

    // Two clients push 20 edits each to the same object, one through each instance, at once.
    let (from_a, from_b) = tokio::join!(edits(&a, &ann, "one"), edits(&b, &ann, "two"));
    let applied = from_a.iter().chain(&from_b).filter(|r| r["results"][0]["status"] == "applied").count();

    // Every change got its own org version: the feed has no gaps and no duplicates, both
    // instances agree on it, and each applied edit has its audit row.
    let mut versions = Vec::new();
    let mut cookie = 0;
    loop {
        let page = b.pull(&ann, cookie, "one").await;
        for change in page["changes"].as_array().unwrap() {
            versions.push(change["version"].as_u64().unwrap());
        }
        cookie = page["cookie"].as_u64().unwrap();
        if page["has_more"] != true {
            break;
        }
    }
    assert_eq!(a.pull(&ann, 0, "two").await["changes"], b.pull(&ann, 0, "two").await["changes"]);
    let rows = audit(&a, &ann).await;
    let writes =
        rows.as_array().unwrap().iter().filter(|r| r["action"].as_str().unwrap().starts_with("object.")).count();
    // The object and its conflicted copies are the objects in the feed; every write bumped the
    // org version once.
    assert!(applied >= 1);
    assert_eq!(writes, 40, "one write per push: an edit or a conflicted copy");
    assert_eq!(u64::try_from(writes).unwrap(), cookie, "{rows}");
    let mut sorted = versions.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted, versions, "the feed comes in version order, each version once");
}

#[tokio::test]
async fn a_reset_link_presented_to_two_instances_at_once_works_once() {
    let (a, mail) = spawn_app_with_mail(|s| s.mail_limits.per_account = 100).await;
    let database_url = a.settings.database_url.clone();
    let b = spawn_app_with(|s| s.database_url = database_url).await;
    a.owner("ann@example.com", "Acme").await;
    for round in 1..=5 {
        let asked = a.post("/v1/auth/password-reset", None, json!({"email": "ann@example.com"})).await;
        assert_eq!(asked.status(), StatusCode::ACCEPTED);
        let token = mail.wait_for(round).await[round - 1].token();
        let (pa, pb) = (format!("password through a {round}"), format!("password through b {round}"));
        let (through_a, through_b) = tokio::join!(
            a.post("/v1/auth/password-reset/confirm", None, json!({"token": token, "password": pa})),
            b.post("/v1/auth/password-reset/confirm", None, json!({"token": token, "password": pb})),
        );
        let statuses = [through_a.status(), through_b.status()];
        let winner = match statuses {
            [StatusCode::NO_CONTENT, StatusCode::BAD_REQUEST] => pa,
            [StatusCode::BAD_REQUEST, StatusCode::NO_CONTENT] => pb,
            other => panic!("round {round}: {other:?}"),
        };
        json_ok(b.login("ann@example.com", &winner).await).await;
    }
}

#[tokio::test]
async fn two_instances_share_blobs_and_uploads_through_one_bucket() {
    let Some(bucket) = crate::moto_server::fresh_bucket().await else { return };
    let for_a = bucket.clone();
    let a = spawn_app_with(move |s| for_a.configure(s)).await;
    let database_url = a.settings.database_url.clone();
    let for_b = bucket.clone();
    let b = spawn_app_with(move |s| {
        s.database_url = database_url;
        for_b.configure(s);
    })
    .await;
    let ann = a.owner("ann@example.com", "Acme").await;

    // A blob put through A is read through B.
    let small = b"shared through the bucket".to_vec();
    let sha = blobs::sha_of(&small);
    assert_eq!(json_ok(blobs::put(&a, &ann, &sha, &small).await).await["created"], true);
    let got = b.get(&format!("/v1/orgs/{}/blobs/{sha}", ann.org_id), &ann.access).await;
    assert_eq!(got.bytes().await.unwrap().as_ref(), small.as_slice());
    assert_eq!(
        json_ok(blobs::put(&b, &ann, &sha, &small).await).await["created"],
        false,
        "deduplicated across instances"
    );

    // An upload started on A, cut off there, goes on through B and completes through A.
    let bytes = blobs::file_bytes(600_000, 21);
    let id = blobs::new_upload(&a, &ann, &bytes).await;
    blobs::cut_off_chunk(&a, &ann, &id, 0, &bytes, 250_000).await;
    blobs::wait_for_offset(&b, &ann, &id, 250_000).await;
    assert_eq!(json_ok(blobs::chunk(&b, &ann, &id, 250_000, &bytes[250_000..]).await).await["offset"], 600_000);
    let stored = json_ok(blobs::complete(&a, &ann, &id).await).await;
    assert_eq!(stored["created"], true);
    let got = b.get(&format!("/v1/orgs/{}/blobs/{}", ann.org_id, blobs::sha_of(&bytes)), &ann.access).await;
    assert_eq!(got.bytes().await.unwrap().as_ref(), bytes.as_slice());
    assert_eq!(bucket.keys("uploads/").await, Vec::<String>::new());
}

#[tokio::test]
async fn failed_logins_through_one_instance_lock_the_account_out_on_the_other() {
    let a = spawn_app_with(|s| s.login.account_max_failures = 3).await;
    let database_url = a.settings.database_url.clone();
    let b = spawn_app_with(|s| {
        s.database_url = database_url;
        s.login.account_max_failures = 3;
    })
    .await;
    a.owner("ann@example.com", "Acme").await;
    // Guesses spread over both instances count as one series.
    for app in [&a, &b, &a] {
        assert_eq!(app.login("ann@example.com", "guess").await.status(), StatusCode::UNAUTHORIZED);
    }
    let locked = b.login("ann@example.com", crate::helpers::PASSWORD).await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.headers().get("retry-after").is_some());
}
