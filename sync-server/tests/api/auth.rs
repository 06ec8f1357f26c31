use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{assert_error, json_ok, spawn_app, spawn_app_with, PASSWORD};

#[tokio::test]
async fn the_setup_token_creates_the_first_owner_once() {
    let app = spawn_app().await;
    let token = app.setup_token.clone().expect("a fresh server has a setup token");
    let body =
        json!({"token": token, "email": "Owner@Example.com", "password": PASSWORD, "name": "Olga", "org": "Acme"});
    let tokens = json_ok(app.post("/v1/setup", None, body.clone()).await).await;
    let me = json_ok(app.get("/v1/me", tokens["access_token"].as_str().unwrap()).await).await;
    assert_eq!(me["user"]["email"], "owner@example.com");
    assert_eq!(me["orgs"][0]["name"], "Acme");
    assert_eq!(me["orgs"][0]["role"], "owner");

    let again = json!({"token": token, "email": "b@example.com", "password": PASSWORD, "name": "B", "org": "Other"});
    assert_error(app.post("/v1/setup", None, again).await, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let wrong = json!({"token": "nope", "email": "c@example.com", "password": PASSWORD, "name": "C", "org": "X"});
    assert_error(app.post("/v1/setup", None, wrong).await, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
}

#[tokio::test]
async fn login_me_refresh_logout() {
    let app = spawn_app().await;
    let owner = app.owner("ann@example.com", "Acme").await;

    let tokens = json_ok(app.login("ann@example.com", PASSWORD).await).await;
    assert_eq!(tokens["expires_in"], 900);
    let access = tokens["access_token"].as_str().unwrap();
    let me = json_ok(app.get("/v1/me", access).await).await;
    assert_eq!(me["user"]["id"], owner.user_id.as_str());
    assert_eq!(me["orgs"], json!([{"id": owner.org_id, "name": "Acme", "role": "owner"}]));

    let renewed =
        json_ok(app.post("/v1/auth/refresh", None, json!({"refresh_token": tokens["refresh_token"]})).await).await;
    let new_access = renewed["access_token"].as_str().unwrap();
    assert_ne!(new_access, access);
    json_ok(app.get("/v1/me", new_access).await).await;

    let out = app.request(Method::POST, "/v1/auth/logout", Some(new_access), None).await;
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert_error(app.get("/v1/me", new_access).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert_error(app.get("/v1/me", access).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let refresh = json!({"refresh_token": renewed["refresh_token"]});
    assert_error(app.post("/v1/auth/refresh", None, refresh).await, StatusCode::UNAUTHORIZED, "invalid_credentials")
        .await;
    // Another session of the same user is untouched.
    json_ok(app.get("/v1/me", &owner.access).await).await;
}

#[tokio::test]
async fn failures_never_tell_whether_an_account_exists() {
    let app = spawn_app().await;
    app.owner("ann@example.com", "Acme").await;
    let wrong_password = app.login("ann@example.com", "not the password").await;
    let unknown = app.login("nobody@example.com", PASSWORD).await;
    assert_eq!(wrong_password.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_password.text().await.unwrap(), unknown.text().await.unwrap());
}

#[tokio::test]
async fn a_reused_refresh_token_revokes_its_whole_family() {
    let app = spawn_app().await;
    let owner = app.owner("ann@example.com", "Acme").await;
    let first = json!({"refresh_token": owner.refresh});
    let second = json_ok(app.post("/v1/auth/refresh", None, first.clone()).await).await;

    // The stolen copy of the first token is presented again.
    assert_error(app.post("/v1/auth/refresh", None, first).await, StatusCode::UNAUTHORIZED, "invalid_credentials")
        .await;
    // Every token of the family is dead now, the legitimate new pair included.
    let next = json!({"refresh_token": second["refresh_token"]});
    assert_error(app.post("/v1/auth/refresh", None, next).await, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    assert_error(
        app.get("/v1/me", second["access_token"].as_str().unwrap()).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_error(app.get("/v1/me", &owner.access).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    // Signing in again works.
    json_ok(app.login("ann@example.com", PASSWORD).await).await;
}

#[tokio::test]
async fn tampered_and_malformed_tokens_are_refused() {
    let app = spawn_app().await;
    let owner = app.owner("ann@example.com", "Acme").await;
    let mut tampered = owner.access.clone().into_bytes();
    tampered[5] = if tampered[5] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for token in [tampered.as_str(), "", "Bearer", &owner.refresh, &"x".repeat(5000)] {
        assert_error(app.get("/v1/me", token).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    assert_error(app.request(Method::GET, "/v1/me", None, None).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let basic = app.client.get(format!("{}/v1/me", app.address)).basic_auth("ann", Some("x")).send().await.unwrap();
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let app = spawn_app_with(|s| {
        // Long enough for the first request even on a loaded machine.
        s.access_token_ttl_secs = 3;
        s.refresh_token_ttl_secs = 3;
    })
    .await;
    let owner = app.owner("ann@example.com", "Acme").await;
    json_ok(app.get("/v1/me", &owner.access).await).await;
    tokio::time::sleep(Duration::from_millis(3200)).await;
    assert_error(app.get("/v1/me", &owner.access).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let refresh = json!({"refresh_token": owner.refresh});
    assert_error(app.post("/v1/auth/refresh", None, refresh).await, StatusCode::UNAUTHORIZED, "invalid_credentials")
        .await;
}

#[tokio::test]
async fn brute_force_locks_the_account_out() {
    let app = spawn_app_with(|s| s.login.account_max_failures = 3).await;
    app.owner("ann@example.com", "Acme").await;
    app.owner("bob@example.com", "Bobco").await;
    for _ in 0..3 {
        assert_error(app.login("ann@example.com", "guess").await, StatusCode::UNAUTHORIZED, "invalid_credentials")
            .await;
    }
    // Locked: even the right password is refused for now, with a hint when to retry.
    let locked = app.login("ann@example.com", PASSWORD).await;
    assert!(locked.headers().get("retry-after").is_some());
    assert_error(locked, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // Unknown accounts lock the same way, so a lockout reveals nothing.
    for _ in 0..3 {
        app.login("nobody@example.com", "guess").await;
    }
    assert_error(app.login("nobody@example.com", "guess").await, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // Other accounts are unaffected.
    json_ok(app.login("bob@example.com", PASSWORD).await).await;
}

#[tokio::test]
async fn the_client_address_is_limited_too() {
    let app = spawn_app_with(|s| s.login.ip_max_failures = 4).await;
    app.owner("ann@example.com", "Acme").await;
    for i in 0..4 {
        app.login(&format!("user{i}@example.com"), "guess").await;
    }
    assert_error(app.login("ann@example.com", PASSWORD).await, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions() {
    let app = spawn_app().await;
    let phone = app.owner("ann@example.com", "Acme").await;
    let laptop = json_ok(app.login("ann@example.com", PASSWORD).await).await;
    let laptop = laptop["access_token"].as_str().unwrap();

    let wrong = json!({"current_password": "not it at all", "new_password": "a brand new passphrase"});
    // 403, not 401: the session is fine, only the password is wrong.
    assert_error(app.post("/v1/me/password", Some(laptop), wrong).await, StatusCode::FORBIDDEN, "wrong_password").await;
    let short = json!({"current_password": PASSWORD, "new_password": "short"});
    assert_error(app.post("/v1/me/password", Some(laptop), short).await, StatusCode::BAD_REQUEST, "validation").await;

    let change = json!({"current_password": PASSWORD, "new_password": "a brand new passphrase"});
    assert_eq!(app.post("/v1/me/password", Some(laptop), change).await.status(), StatusCode::NO_CONTENT);
    json_ok(app.get("/v1/me", laptop).await).await;
    assert_error(app.get("/v1/me", &phone.access).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert_error(app.login("ann@example.com", PASSWORD).await, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    json_ok(app.login("ann@example.com", "a brand new passphrase").await).await;
}

#[tokio::test]
async fn the_display_name_can_change() {
    let app = spawn_app().await;
    let ann = app.owner("ann@example.com", "Acme").await;
    let user =
        json_ok(app.request(Method::PATCH, "/v1/me", Some(&ann.access), Some(json!({"name": " Ann Lee "}))).await)
            .await;
    assert_eq!(user["name"], "Ann Lee");
    assert_eq!(json_ok(app.get("/v1/me", &ann.access).await).await["user"]["name"], "Ann Lee");
    let blank = app.request(Method::PATCH, "/v1/me", Some(&ann.access), Some(json!({"name": "  "}))).await;
    assert_error(blank, StatusCode::BAD_REQUEST, "validation").await;
}
