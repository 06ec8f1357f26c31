//! The permission matrix, through HTTP: each role in its own org.

use reqwest::{Method, StatusCode};
use serde_json::json;

use sha2::{Digest, Sha256};

use crate::helpers::{assert_error, json_ok, spawn_app, Session, TestApp};

async fn team(app: &TestApp) -> Vec<(&'static str, Session)> {
    let owner = app.owner("owner@example.com", "Acme").await;
    let admin = app.member(&owner, "admin@example.com", "admin").await;
    let analyst = app.member(&owner, "analyst@example.com", "analyst").await;
    let viewer = app.member(&owner, "viewer@example.com", "viewer").await;
    vec![("owner", owner), ("admin", admin), ("analyst", analyst), ("viewer", viewer)]
}

#[tokio::test]
async fn each_role_may_do_what_the_matrix_says() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let org = team[0].1.org_id.clone();
    let owner = team[0].1.clone();
    let put = json!([{"mutation_id": 1, "kind": "dashboard", "id": "d1", "base_rev": 0, "body": {"title": "MRR"}}]);
    json_ok(app.push(&owner, "owner-client", put).await).await;

    let blob = b"role matrix blob".to_vec();
    let sha = hex::encode(Sha256::digest(&blob));
    let blob_url = format!("{}/v1/orgs/{org}/blobs/{sha}", app.address);
    json_ok(app.client.put(&blob_url).bearer_auth(&owner.access).body(blob.clone()).send().await.unwrap()).await;

    // (response, allowed) for each route; allowed as [owner, admin, analyst, viewer].
    for (i, (role, who)) in team.iter().enumerate() {
        let expect = |allowed: [bool; 4]| allowed[i];
        let link = json_ok(
            app.post(
                &format!("/v1/orgs/{org}/share-links"),
                Some(&owner.access),
                json!({"kind": "dashboard", "id": "d1", "expires_at": crate::helpers::later()}),
            )
            .await,
        )
        .await;
        let invitation = json_ok(app.invite(&owner, &format!("pending-{role}@example.com"), "viewer").await).await;
        let mutation =
            json!([{"mutation_id": 1, "kind": "scenario", "id": format!("s-{role}"), "base_rev": 0, "body": {}}]);
        let cases: Vec<(reqwest::Response, bool)> = vec![
            (app.get(&format!("/v1/orgs/{org}/members"), &who.access).await, true),
            (app.get(&format!("/v1/orgs/{org}/pull?cookie=0"), &who.access).await, true),
            (app.push(who, &format!("{role}-client"), mutation).await, expect([true, true, true, false])),
            (
                app.post(
                    &format!("/v1/orgs/{org}/share-links"),
                    Some(&who.access),
                    json!({"kind": "dashboard", "id": "d1", "expires_at": crate::helpers::later()}),
                )
                .await,
                expect([true, true, true, false]),
            ),
            (app.get(&format!("/v1/orgs/{org}/share-links"), &who.access).await, expect([true, true, true, false])),
            (app.invite(who, &format!("new-{role}@example.com"), "viewer").await, expect([true, true, false, false])),
            (app.invite(who, &format!("owner-{role}@example.com"), "owner").await, expect([true, false, false, false])),
            (app.get(&format!("/v1/orgs/{org}/invitations"), &who.access).await, expect([true, true, false, false])),
            (app.get(&format!("/v1/orgs/{org}/audit"), &who.access).await, expect([true, true, false, false])),
            (
                app.get(&format!("/v1/orgs/{org}/audit?format=csv"), &who.access).await,
                expect([true, true, false, false]),
            ),
        ];
        for (n, (response, allowed)) in cases.into_iter().enumerate() {
            if allowed {
                assert_eq!(response.status(), StatusCode::OK, "{role}, case {n}: {}", response.text().await.unwrap());
            } else {
                assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
            }
        }
        let revoke_link =
            app.delete(&format!("/v1/orgs/{org}/share-links/{}", link["id"].as_str().unwrap()), &who.access).await;
        let revoke_invitation = app
            .delete(&format!("/v1/orgs/{org}/invitations/{}", invitation["id"].as_str().unwrap()), &who.access)
            .await;
        for (response, allowed) in
            [(revoke_link, expect([true, true, true, false])), (revoke_invitation, expect([true, true, false, false]))]
        {
            if allowed {
                assert_eq!(response.status(), StatusCode::NO_CONTENT, "{role}");
            } else {
                assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
            }
        }
    }
}

async fn set_role(app: &TestApp, who: &Session, target: &Session, role: &str) -> reqwest::Response {
    let path = format!("/v1/orgs/{}/members/{}", who.org_id, target.user_id);
    app.request(Method::PATCH, &path, Some(&who.access), Some(json!({"role": role}))).await
}

/// Roles change and members go as `ManageMembers`, `ManageOwners` and `Leave` allow; the
/// last owner stays; a removed member loses the org at once; every change is audited.
#[tokio::test]
async fn members_change_roles_leave_and_are_removed_as_the_matrix_says() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let [(_, owner), (_, admin), (_, analyst), (_, viewer)] = <[_; 4]>::try_from(team).ok().unwrap();
    let org = owner.org_id.clone();
    let member = |who: &Session| format!("/v1/orgs/{org}/members/{}", who.user_id);

    // Analysts and viewers manage nobody; admins manage non-owners only.
    assert_error(set_role(&app, &analyst, &viewer, "analyst").await, StatusCode::FORBIDDEN, "forbidden").await;
    assert_error(set_role(&app, &viewer, &viewer, "owner").await, StatusCode::FORBIDDEN, "forbidden").await;
    assert_error(set_role(&app, &admin, &analyst, "owner").await, StatusCode::FORBIDDEN, "forbidden").await;
    assert_error(set_role(&app, &admin, &owner, "viewer").await, StatusCode::FORBIDDEN, "forbidden").await;
    assert_error(app.delete(&member(&owner), &admin.access).await, StatusCode::FORBIDDEN, "forbidden").await;
    let changed = json_ok(set_role(&app, &admin, &analyst, "viewer").await).await;
    assert_eq!(
        (changed["user"]["id"].as_str(), changed["role"].as_str()),
        (Some(analyst.user_id.as_str()), Some("viewer"))
    );
    // The new role applies at once: a viewer cannot push.
    let mutation = json!([{"mutation_id": 1, "kind": "scenario", "id": "s1", "base_rev": 0, "body": {}}]);
    assert_error(app.push(&analyst, "c", mutation).await, StatusCode::FORBIDDEN, "forbidden").await;
    let unknown = format!("/v1/orgs/{org}/members/no-such-user");
    let missing = app.request(Method::PATCH, &unknown, Some(&admin.access), Some(json!({"role": "viewer"}))).await;
    assert_error(missing, StatusCode::NOT_FOUND, "not_found").await;

    // The last owner stays owner, and cannot leave, until there is another.
    assert_error(set_role(&app, &owner, &owner, "admin").await, StatusCode::CONFLICT, "conflict").await;
    assert_error(app.delete(&member(&owner), &owner.access).await, StatusCode::CONFLICT, "conflict").await;
    json_ok(set_role(&app, &owner, &admin, "owner").await).await;
    json_ok(set_role(&app, &owner, &owner, "admin").await).await;

    // Removal and leaving: the org is gone for them at once.
    assert_eq!(app.delete(&member(&viewer), &owner.access).await.status(), StatusCode::NO_CONTENT);
    assert_error(
        app.get(&format!("/v1/orgs/{org}/pull?cookie=0"), &viewer.access).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(app.delete(&member(&analyst), &analyst.access).await.status(), StatusCode::NO_CONTENT);
    let members = json_ok(app.get(&format!("/v1/orgs/{org}/members"), &admin.access).await).await;
    let mut left: Vec<(&str, &str)> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["user"]["email"].as_str().unwrap(), m["role"].as_str().unwrap()))
        .collect();
    left.sort();
    assert_eq!(left, [("admin@example.com", "owner"), ("owner@example.com", "admin")]);

    let audit = json_ok(app.get(&format!("/v1/orgs/{org}/audit"), &admin.access).await).await;
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .filter(|a| a.starts_with("member."))
        .collect();
    assert_eq!(
        actions,
        ["member.role_change", "member.role_change", "member.role_change", "member.remove", "member.leave"]
    );
}

/// The upload routes: every role but viewer may upload (`WriteBlob`); all may check for a blob
/// (`ReadBlob`).
#[tokio::test]
async fn each_role_may_upload_as_the_matrix_says() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let owner = team[0].1.clone();
    let org = owner.org_id.clone();
    let owners_bytes = b"owner's unfinished upload".to_vec();
    let owners_upload = crate::blobs::new_upload(&app, &owner, &owners_bytes).await;
    for (i, (role, who)) in team.iter().enumerate() {
        let may_write = [true, true, true, false][i];
        let bytes = format!("{role}'s file").into_bytes();
        let sha = hex::encode(Sha256::digest(&bytes));
        let head = app.request(Method::HEAD, &format!("/v1/orgs/{org}/blobs/{sha}"), Some(&who.access), None).await;
        assert_eq!(head.status(), StatusCode::NOT_FOUND, "{role} may ask, the blob is absent");
        let started = crate::blobs::start_upload(&app, who, &sha, bytes.len()).await;
        if !may_write {
            assert_error(started, StatusCode::FORBIDDEN, "forbidden").await;
            for response in [
                crate::blobs::status(&app, who, &owners_upload).await,
                crate::blobs::chunk(&app, who, &owners_upload, 0, &owners_bytes).await,
                crate::blobs::complete(&app, who, &owners_upload).await,
                app.delete(&format!("/v1/orgs/{org}/uploads/{owners_upload}"), &who.access).await,
            ] {
                assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
            }
            continue;
        }
        assert_eq!(started.status(), StatusCode::CREATED, "{role}");
        let id = started.json::<serde_json::Value>().await.unwrap()["upload"]["id"].as_str().unwrap().to_owned();
        assert_eq!(json_ok(crate::blobs::status(&app, who, &id).await).await["offset"], 0, "{role}");
        assert_eq!(json_ok(crate::blobs::chunk(&app, who, &id, 0, &bytes).await).await["offset"], bytes.len());
        assert_eq!(json_ok(crate::blobs::complete(&app, who, &id).await).await["created"], true, "{role}");
        let other = crate::blobs::new_upload(&app, who, format!("{role} abandons").as_bytes()).await;
        assert_eq!(
            app.delete(&format!("/v1/orgs/{org}/uploads/{other}"), &who.access).await.status(),
            StatusCode::NO_CONTENT
        );
    }
}

#[tokio::test]
async fn viewers_read_but_never_write() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let viewer = &team[3].1;
    let del = json!([{"mutation_id": 1, "kind": "dashboard", "id": "d1", "base_rev": 1, "deleted": true}]);
    assert_error(app.push(viewer, "v", del).await, StatusCode::FORBIDDEN, "forbidden").await;
    let blob = app
        .client
        .put(format!("{}/v1/orgs/{}/blobs/{}", app.address, viewer.org_id, "0".repeat(64)))
        .bearer_auth(&viewer.access)
        .body("x")
        .send()
        .await
        .unwrap();
    assert_error(blob, StatusCode::FORBIDDEN, "forbidden").await;
    let pulled = app.pull(viewer, 0, "v").await;
    assert_eq!(pulled["changes"], json!([]));
    let logout = app.request(Method::POST, "/v1/auth/logout", Some(&viewer.access), None).await;
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
}
