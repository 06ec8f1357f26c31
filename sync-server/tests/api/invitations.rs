use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{assert_error, json_ok, spawn_app, spawn_app_with, PASSWORD};

#[tokio::test]
async fn accepting_creates_the_account_and_the_membership() {
    let app = spawn_app().await;
    let owner = app.owner("ann@example.com", "Acme").await;
    let invitation = json_ok(app.invite(&owner, "Carl@Example.com", "analyst").await).await;
    assert!(invitation["id"].is_string() && invitation["expires_at"].is_string());

    let accepted = json_ok(app.accept(invitation["token"].as_str().unwrap(), PASSWORD).await).await;
    assert_eq!(accepted["user"]["email"], "carl@example.com");
    assert_eq!(accepted["org"]["role"], "analyst");
    let me = json_ok(app.get("/v1/me", accepted["tokens"]["access_token"].as_str().unwrap()).await).await;
    assert_eq!(me["orgs"][0]["id"], owner.org_id.as_str());
    json_ok(app.login("carl@example.com", PASSWORD).await).await;

    // Single use.
    assert_error(
        app.accept(invitation["token"].as_str().unwrap(), PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    // Listed, without the token.
    let list = json_ok(app.get(&format!("/v1/orgs/{}/invitations", owner.org_id), &owner.access).await).await;
    assert_eq!(list[0]["email"], "carl@example.com");
    assert!(list[0]["accepted_at"].is_string());
    assert!(list[0].get("token").is_none());
    let members = json_ok(app.get(&format!("/v1/orgs/{}/members", owner.org_id), &owner.access).await).await;
    let members: Vec<(&str, &str)> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["user"]["email"].as_str().unwrap(), m["role"].as_str().unwrap()))
        .collect();
    assert_eq!(members, [("ann@example.com", "owner"), ("carl@example.com", "analyst")]);
}

#[tokio::test]
async fn an_existing_account_is_linked_with_its_own_password() {
    let app = spawn_app().await;
    let acme = app.owner("ann@example.com", "Acme").await;
    let other = app.owner("bob@example.com", "Bobco").await;
    let invitation = json_ok(app.invite(&acme, "bob@example.com", "viewer").await).await;
    let token = invitation["token"].as_str().unwrap();
    assert_error(app.accept(token, "somebody else's guess").await, StatusCode::UNAUTHORIZED, "invalid_credentials")
        .await;
    json_ok(app.accept(token, PASSWORD).await).await;
    let me = json_ok(app.get("/v1/me", &other.access).await).await;
    let roles: Vec<(&str, &str)> = me["orgs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["name"].as_str().unwrap(), o["role"].as_str().unwrap()))
        .collect();
    assert_eq!(roles, [("Acme", "viewer"), ("Bobco", "owner")]);
}

#[tokio::test]
async fn expired_invitations_are_refused() {
    let app = spawn_app_with(|s| s.invitation_ttl_secs = 1).await;
    let owner = app.owner("ann@example.com", "Acme").await;
    let invitation = json_ok(app.invite(&owner, "carl@example.com", "viewer").await).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_error(
        app.accept(invitation["token"].as_str().unwrap(), PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    assert_error(app.login("carl@example.com", PASSWORD).await, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
}

#[tokio::test]
async fn revoked_invitations_are_refused() {
    let app = spawn_app().await;
    let owner = app.owner("ann@example.com", "Acme").await;
    let invitation = json_ok(app.invite(&owner, "carl@example.com", "viewer").await).await;
    let path = format!("/v1/orgs/{}/invitations/{}", owner.org_id, invitation["id"].as_str().unwrap());
    assert_eq!(app.delete(&path, &owner.access).await.status(), StatusCode::NO_CONTENT);
    assert_error(app.delete(&path, &owner.access).await, StatusCode::NOT_FOUND, "not_found").await;
    assert_error(
        app.accept(invitation["token"].as_str().unwrap(), PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
}

#[tokio::test]
async fn new_accounts_need_a_real_password_and_invitations_a_real_email() {
    let app = spawn_app().await;
    let owner = app.owner("ann@example.com", "Acme").await;
    assert_error(app.invite(&owner, "not-an-email", "viewer").await, StatusCode::BAD_REQUEST, "validation").await;
    let invitation = json_ok(app.invite(&owner, "carl@example.com", "viewer").await).await;
    let token = invitation["token"].as_str().unwrap();
    assert_error(app.accept(token, "short").await, StatusCode::BAD_REQUEST, "validation").await;
    json_ok(app.accept(token, PASSWORD).await).await;
}

#[tokio::test]
async fn an_inviter_cannot_guess_an_existing_account_password() {
    let app = spawn_app_with(|s| s.login.account_max_failures = 3).await;
    let acme = app.owner("ann@example.com", "Acme").await;
    app.owner("bob@example.com", "Bobco").await;
    // Ann holds the invitation token for Bob's existing account.
    let invitation = json_ok(app.invite(&acme, "bob@example.com", "viewer").await).await;
    let token = invitation["token"].as_str().unwrap();
    for guess in ["guess one!", "guess two!", "guess three!"] {
        assert_error(app.accept(token, guess).await, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    }
    assert_error(app.accept(token, PASSWORD).await, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    assert_error(app.login("bob@example.com", PASSWORD).await, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}
