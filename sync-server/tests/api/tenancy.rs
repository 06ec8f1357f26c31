//! Tenant isolation: every org route × every role of org A × org B's objects.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::helpers::{json_ok, spawn_app, Session, TestApp};

struct OrgB {
    org: String,
    owner_id: String,
    link_id: String,
    invitation_id: String,
    sha: String,
    upload_id: String,
}

const SECRETS: [&str; 4] = ["B-SECRET-TITLE", "b-secret-dash", "Bobco", "bob@example.com"];

async fn org_b(app: &TestApp) -> (Session, OrgB) {
    let bob = app.owner("bob@example.com", "Bobco").await;
    let put = json!([{"mutation_id": 1, "kind": "dashboard", "id": "b-secret-dash", "base_rev": 0, "body": {"title": "B-SECRET-TITLE"}}]);
    json_ok(app.push(&bob, "bob-client", put).await).await;
    let bytes = b"B-SECRET-TITLE bytes".to_vec();
    let sha = hex::encode(Sha256::digest(&bytes));
    let put = app
        .client
        .put(format!("{}/v1/orgs/{}/blobs/{sha}", app.address, bob.org_id))
        .bearer_auth(&bob.access)
        .body(bytes);
    json_ok(put.send().await.unwrap()).await;
    let link = json_ok(
        app.post(
            &format!("/v1/orgs/{}/share-links", bob.org_id),
            Some(&bob.access),
            json!({"kind": "dashboard", "id": "b-secret-dash", "expires_at": crate::helpers::later()}),
        )
        .await,
    )
    .await;
    let invitation = json_ok(app.invite(&bob, "carol@example.com", "viewer").await).await;
    let upload_id = crate::blobs::new_upload(app, &bob, b"B-SECRET-TITLE unfinished upload").await;
    json_ok(crate::blobs::chunk(app, &bob, &upload_id, 0, b"B-SECRET-TITLE").await).await;
    let b = OrgB {
        org: bob.org_id.clone(),
        owner_id: bob.user_id.clone(),
        link_id: link["id"].as_str().unwrap().to_owned(),
        invitation_id: invitation["id"].as_str().unwrap().to_owned(),
        sha,
        upload_id,
    };
    (bob, b)
}

/// Every org-B route, as (method, path, JSON body or raw bytes).
fn foreign_routes(b: &OrgB, own_org: &str) -> Vec<(Method, String, Option<Value>)> {
    let org = &b.org;
    let dash = json!([{"mutation_id": 1, "kind": "dashboard", "id": "b-secret-dash", "base_rev": 1, "body": {"title": "pwned"}}]);
    vec![
        (Method::GET, format!("/v1/orgs/{org}/members"), None),
        (Method::PATCH, format!("/v1/orgs/{org}/members/{}", b.owner_id), Some(json!({"role": "viewer"}))),
        (Method::DELETE, format!("/v1/orgs/{org}/members/{}", b.owner_id), None),
        (Method::GET, format!("/v1/orgs/{org}/pull?cookie=0"), None),
        (Method::POST, format!("/v1/orgs/{org}/push"), Some(json!({"client_id": "x", "mutations": dash}))),
        (Method::GET, format!("/v1/orgs/{org}/blobs/{}", b.sha), None),
        (Method::PUT, format!("/v1/orgs/{org}/blobs/{}", b.sha), None),
        (Method::HEAD, format!("/v1/orgs/{org}/blobs/{}", b.sha), None),
        (Method::POST, format!("/v1/orgs/{org}/uploads"), Some(json!({"sha256": b.sha, "size": 20}))),
        (Method::GET, format!("/v1/orgs/{org}/uploads/{}", b.upload_id), None),
        (Method::HEAD, format!("/v1/orgs/{org}/uploads/{}", b.upload_id), None),
        (Method::PUT, format!("/v1/orgs/{org}/uploads/{}?offset=14", b.upload_id), None),
        (Method::POST, format!("/v1/orgs/{org}/uploads/{}/complete", b.upload_id), None),
        (Method::DELETE, format!("/v1/orgs/{org}/uploads/{}", b.upload_id), None),
        (Method::GET, format!("/v1/orgs/{org}/share-links"), None),
        (
            Method::POST,
            format!("/v1/orgs/{org}/share-links"),
            Some(json!({"kind": "dashboard", "id": "b-secret-dash", "expires_at": crate::helpers::later()})),
        ),
        (Method::DELETE, format!("/v1/orgs/{org}/share-links/{}", b.link_id), None),
        (Method::GET, format!("/v1/orgs/{org}/invitations"), None),
        (
            Method::POST,
            format!("/v1/orgs/{org}/invitations"),
            Some(json!({"email": "x@example.com", "role": "viewer"})),
        ),
        (Method::DELETE, format!("/v1/orgs/{org}/invitations/{}", b.invitation_id), None),
        (Method::GET, format!("/v1/orgs/{org}/audit"), None),
        (Method::GET, format!("/v1/orgs/{org}/audit?format=csv"), None),
        // Org B's objects named through the caller's own org.
        (Method::PATCH, format!("/v1/orgs/{own_org}/members/{}", b.owner_id), Some(json!({"role": "owner"}))),
        (Method::DELETE, format!("/v1/orgs/{own_org}/members/{}", b.owner_id), None),
        (Method::GET, format!("/v1/orgs/{own_org}/blobs/{}", b.sha), None),
        (Method::HEAD, format!("/v1/orgs/{own_org}/blobs/{}", b.sha), None),
        (Method::GET, format!("/v1/orgs/{own_org}/uploads/{}", b.upload_id), None),
        (Method::PUT, format!("/v1/orgs/{own_org}/uploads/{}?offset=14", b.upload_id), None),
        (Method::POST, format!("/v1/orgs/{own_org}/uploads/{}/complete", b.upload_id), None),
        (Method::DELETE, format!("/v1/orgs/{own_org}/uploads/{}", b.upload_id), None),
        (
            Method::POST,
            format!("/v1/orgs/{own_org}/share-links"),
            Some(json!({"kind": "dashboard", "id": "b-secret-dash", "expires_at": crate::helpers::later()})),
        ),
        (Method::DELETE, format!("/v1/orgs/{own_org}/share-links/{}", b.link_id), None),
        (Method::DELETE, format!("/v1/orgs/{own_org}/invitations/{}", b.invitation_id), None),
    ]
}

#[tokio::test]
async fn no_role_of_org_a_reaches_org_b() {
    let app = spawn_app().await;
    let (bob, b) = org_b(&app).await;
    let owner = app.owner("ann@example.com", "Acme").await;
    let team = vec![
        owner.clone(),
        app.member(&owner, "admin@example.com", "admin").await,
        app.member(&owner, "analyst@example.com", "analyst").await,
        app.member(&owner, "viewer@example.com", "viewer").await,
    ];
    for who in &team {
        for (method, path, body) in foreign_routes(&b, &who.org_id) {
            let mut req = app.client.request(method.clone(), format!("{}{path}", app.address)).bearer_auth(&who.access);
            req = match (&method, body) {
                (&Method::PUT, _) => req.body(b"B-SECRET-TITLE bytes".to_vec()),
                (_, Some(body)) => req.json(&body),
                _ => req,
            };
            let response = req.send().await.unwrap();
            let status = response.status();
            let text = response.text().await.unwrap();
            assert!(
                status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN,
                "{} {method} {path}: {status} {text}",
                who.email
            );
            for secret in
                SECRETS.iter().chain([&b.org.as_str(), &b.sha.as_str(), &b.link_id.as_str(), &b.upload_id.as_str()])
            {
                assert!(!text.contains(secret), "{} {method} {path} leaked {secret}: {text}", who.email);
            }
        }
        // Their own views hold nothing of org B.
        for path in ["/v1/me".to_owned(), format!("/v1/orgs/{}/pull?cookie=0", who.org_id)] {
            let text = app.get(&path, &who.access).await.text().await.unwrap();
            for secret in SECRETS.iter().chain([&b.org.as_str()]) {
                assert!(!text.contains(secret), "{path} leaked {secret}: {text}");
            }
        }
    }
    // Org B is intact: its dashboard unchanged, its link and invitation alive.
    let pulled = app.pull(&bob, 0, "bob-client").await;
    assert_eq!(pulled["changes"][0]["body"]["title"], "B-SECRET-TITLE");
    assert_eq!(pulled["changes"].as_array().unwrap().len(), 1);
    let links = json_ok(app.get(&format!("/v1/orgs/{}/share-links", b.org), &bob.access).await).await;
    assert!(links[0]["revoked_at"].is_null());
    let invitations = json_ok(app.get(&format!("/v1/orgs/{}/invitations", b.org), &bob.access).await).await;
    assert!(invitations[0]["revoked_at"].is_null());
    let upload = json_ok(crate::blobs::status(&app, &bob, &b.upload_id).await).await;
    assert_eq!(upload["offset"], 14, "org B's upload is untouched");
}

#[tokio::test]
async fn a_client_id_cannot_be_borrowed_across_users() {
    let app = spawn_app().await;
    let owner = app.owner("ann@example.com", "Acme").await;
    let analyst = app.member(&owner, "al@example.com", "analyst").await;
    let put = |id: &str| json!([{"mutation_id": 1, "kind": "template", "id": id, "base_rev": 0, "body": {}}]);
    json_ok(app.push(&owner, "laptop", put("t1")).await).await;
    let stolen = app.push(&analyst, "laptop", put("t2")).await;
    assert_eq!(stolen.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.pull(&analyst, 0, "laptop").await["last_mutation_id"],
        0,
        "another user's client id reveals nothing"
    );
}
