//! Password reset and email change by mailed single-use links, profile and password changes,
//! through a local SMTP capture server.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{assert_error, json_ok, spawn_app, spawn_app_with_mail, TestApp, PASSWORD};

const NEW_PASSWORD: &str = "a brand new passphrase";

async fn ask_reset(app: &TestApp, email: &str) -> reqwest::Response {
    app.post("/v1/auth/password-reset", None, json!({"email": email})).await
}

async fn confirm_reset(app: &TestApp, token: &str, password: &str) -> reqwest::Response {
    app.post("/v1/auth/password-reset/confirm", None, json!({"token": token, "password": password})).await
}

async fn accepted(response: reqwest::Response) -> Value {
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, StatusCode::ACCEPTED, "{text}");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn a_password_reset_link_works_once_and_ends_every_session() {
    let (app, mail) = spawn_app_with_mail(|_| {}).await;
    let ann = app.owner("ann@example.com", "Acme").await;
    let laptop = json_ok(app.login("ann@example.com", PASSWORD).await).await;

    let answer = accepted(ask_reset(&app, " Ann@Example.com ").await).await;
    assert!(answer["message"].as_str().unwrap().contains("If an account uses this email address"));
    let sent = mail.wait_for(1).await;
    assert_eq!(sent[0].to, ["ann@example.com"]);
    assert_eq!(sent[0].from, "no-reply@revlens.test");
    assert_eq!(sent[0].subject(), "Reset your RevLens password");
    assert!(sent[0].data.contains(&format!("{}/reset-password#token=", app.address)), "{}", sent[0].data);
    assert!(sent[0].data.contains("within 1 hour"), "{}", sent[0].data);
    let token = sent[0].token();
    assert_eq!(token.len(), 43, "{}", sent[0].data);

    // The password policy holds, and a refused password does not spend the token.
    assert_error(confirm_reset(&app, &token, "short").await, StatusCode::BAD_REQUEST, "validation").await;
    assert_eq!(confirm_reset(&app, &token, NEW_PASSWORD).await.status(), StatusCode::NO_CONTENT);

    // Every session ended, access and refresh tokens alike.
    assert_error(app.get("/v1/me", &ann.access).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let laptop_access = laptop["access_token"].as_str().unwrap();
    assert_error(app.get("/v1/me", laptop_access).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let refresh = json!({"refresh_token": ann.refresh});
    assert_error(app.post("/v1/auth/refresh", None, refresh).await, StatusCode::UNAUTHORIZED, "invalid_credentials")
        .await;
    assert_error(app.login("ann@example.com", PASSWORD).await, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    json_ok(app.login("ann@example.com", NEW_PASSWORD).await).await;

    // Once only; an altered token is no better.
    let again = confirm_reset(&app, &token, "yet another passphrase").await;
    assert_error(again, StatusCode::BAD_REQUEST, "invalid_token").await;
    let mut tampered = token.clone().into_bytes();
    tampered[10] = if tampered[10] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for bad in [tampered.as_str(), "", "nope", &"x".repeat(500)] {
        assert_error(
            confirm_reset(&app, bad, "yet another passphrase").await,
            StatusCode::BAD_REQUEST,
            "invalid_token",
        )
        .await;
    }
    json_ok(app.login("ann@example.com", NEW_PASSWORD).await).await;

    // The page the link opens.
    let page = app.client.get(format!("{}/reset-password", app.address)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
    assert!(page.text().await.unwrap().contains("v1/auth/password-reset/confirm"));
}

#[tokio::test]
async fn a_newer_reset_request_revokes_the_older_link() {
    let (app, mail) = spawn_app_with_mail(|_| {}).await;
    app.owner("ann@example.com", "Acme").await;
    accepted(ask_reset(&app, "ann@example.com").await).await;
    let first = mail.wait_for(1).await[0].token();
    accepted(ask_reset(&app, "ann@example.com").await).await;
    let second = mail.wait_for(2).await[1].token();
    assert_ne!(first, second);
    assert_error(confirm_reset(&app, &first, NEW_PASSWORD).await, StatusCode::BAD_REQUEST, "invalid_token").await;
    assert_eq!(confirm_reset(&app, &second, NEW_PASSWORD).await.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn an_unknown_email_gets_the_same_answer_and_no_mail() {
    let (app, mail) = spawn_app_with_mail(|_| {}).await;
    app.owner("ann@example.com", "Acme").await;
    let unknown = ask_reset(&app, "nobody@example.com").await;
    assert_eq!(unknown.status(), StatusCode::ACCEPTED);
    let unknown = unknown.text().await.unwrap();
    let known = ask_reset(&app, "ann@example.com").await;
    assert_eq!(known.status(), StatusCode::ACCEPTED);
    assert_eq!(known.text().await.unwrap(), unknown, "the same body either way");
    mail.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = mail.messages();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].to, ["ann@example.com"]);
    // Not an address at all is a plain validation error (it tells nothing about accounts).
    assert_error(ask_reset(&app, "not-an-address").await, StatusCode::BAD_REQUEST, "validation").await;
}

#[tokio::test]
async fn reset_links_expire() {
    let (app, mail) = spawn_app_with_mail(|s| s.password_reset_ttl_secs = 1).await;
    app.owner("ann@example.com", "Acme").await;
    accepted(ask_reset(&app, "ann@example.com").await).await;
    let sent = mail.wait_for(1).await;
    assert!(sent[0].data.contains("within 1 second"));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_error(confirm_reset(&app, &sent[0].token(), NEW_PASSWORD).await, StatusCode::BAD_REQUEST, "invalid_token")
        .await;
    json_ok(app.login("ann@example.com", PASSWORD).await).await;
}

#[tokio::test]
async fn reset_requests_are_limited_per_email_and_per_client_address() {
    let (app, mail) = spawn_app_with_mail(|s| {
        s.mail_limits.per_account = 2;
        s.mail_limits.per_address = 4;
    })
    .await;
    app.owner("ann@example.com", "Acme").await;
    for email in ["ann@example.com", "nobody@example.com"] {
        for _ in 0..2 {
            accepted(ask_reset(&app, email).await).await;
        }
        // Known or not, the third request in the window is refused alike.
        let refused = ask_reset(&app, email).await;
        assert!(refused.headers().get("retry-after").is_some());
        assert_error(refused, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    }
    // Four counted requests from this address: the next is refused whatever the email.
    assert_error(ask_reset(&app, "carl@example.com").await, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    assert_eq!(mail.wait_for(2).await.len(), 2);
}

#[tokio::test]
async fn without_smtp_mail_routes_answer_503() {
    let app = spawn_app().await;
    let ann = app.owner("ann@example.com", "Acme").await;
    assert_error(ask_reset(&app, "ann@example.com").await, StatusCode::SERVICE_UNAVAILABLE, "mail_not_configured")
        .await;
    let change = json!({"new_email": "ann@example.org", "password": PASSWORD});
    assert_error(
        app.post("/v1/me/email", Some(&ann.access), change).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "mail_not_configured",
    )
    .await;
}

#[tokio::test]
async fn an_email_change_is_confirmed_from_the_new_address() {
    let (app, mail) = spawn_app_with_mail(|_| {}).await;
    let ann = app.owner("ann@example.com", "Acme").await;
    let change = json!({"new_email": "Ann.Lee@Example.org", "password": PASSWORD});
    let answer = accepted(app.post("/v1/me/email", Some(&ann.access), change).await).await;
    assert!(answer["message"].as_str().unwrap().contains("ann.lee@example.org"));
    mail.wait_for(2).await;
    let confirm = mail.to("ann.lee@example.org");
    assert_eq!(confirm.subject(), "Confirm your new RevLens email address");
    assert!(confirm.data.contains(&format!("{}/confirm-email#token=", app.address)));
    let notice = mail.to("ann@example.com");
    assert!(notice.data.contains("ann.lee@example.org"), "{}", notice.data);
    assert!(!notice.data.contains("#token="), "the old address gets no link");

    // Nothing changes before the link is used.
    assert_eq!(json_ok(app.get("/v1/me", &ann.access).await).await["user"]["email"], "ann@example.com");
    let token = confirm.token();
    let user = json_ok(app.post("/v1/me/email/confirm", None, json!({"token": token})).await).await;
    assert_eq!(user["email"], "ann.lee@example.org");
    let me = json_ok(app.get("/v1/me", &ann.access).await).await;
    assert_eq!(me["user"]["email"], "ann.lee@example.org");
    assert_eq!(me["orgs"][0]["role"], "owner");
    json_ok(app.login("ann.lee@example.org", PASSWORD).await).await;
    assert_error(app.login("ann@example.com", PASSWORD).await, StatusCode::UNAUTHORIZED, "invalid_credentials").await;

    assert_error(
        app.post("/v1/me/email/confirm", None, json!({"token": token})).await,
        StatusCode::BAD_REQUEST,
        "invalid_token",
    )
    .await;
}

#[tokio::test]
async fn an_email_change_needs_the_password_and_a_free_address() {
    let (app, mail) = spawn_app_with_mail(|_| {}).await;
    let ann = app.owner("ann@example.com", "Acme").await;
    app.owner("bob@example.com", "Bobco").await;
    let change = |email: &str, password: &str| json!({"new_email": email, "password": password});

    let wrong = app.post("/v1/me/email", Some(&ann.access), change("ann@example.org", "not the password")).await;
    assert_error(wrong, StatusCode::FORBIDDEN, "wrong_password").await;
    let same = app.post("/v1/me/email", Some(&ann.access), change("ANN@example.com", PASSWORD)).await;
    assert_error(same, StatusCode::BAD_REQUEST, "validation").await;
    let taken = app.post("/v1/me/email", Some(&ann.access), change("bob@example.com", PASSWORD)).await;
    assert_error(taken, StatusCode::CONFLICT, "conflict").await;
    let anonymous = app.post("/v1/me/email", None, change("ann@example.org", PASSWORD)).await;
    assert_error(anonymous, StatusCode::UNAUTHORIZED, "unauthorized").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(mail.messages().is_empty(), "{:?}", mail.messages());

    // The address is free when asked for, and taken before the link is used.
    accepted(app.post("/v1/me/email", Some(&ann.access), change("carl@example.com", PASSWORD)).await).await;
    mail.wait_for(2).await;
    let token = mail.to("carl@example.com").token();
    app.member(&ann, "carl@example.com", "viewer").await;
    let late = app.post("/v1/me/email/confirm", None, json!({"token": token})).await;
    assert_error(late, StatusCode::CONFLICT, "conflict").await;
    assert_eq!(json_ok(app.get("/v1/me", &ann.access).await).await["user"]["email"], "ann@example.com");
}

#[tokio::test]
async fn a_mail_server_that_fails_is_reported() {
    // A port nothing listens on.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let (app, _mail) = spawn_app_with_mail(move |s| {
        if let Some(smtp) = s.smtp.as_mut() {
            smtp.port = Some(port);
            smtp.timeout_secs = 2;
        }
    })
    .await;
    let ann = app.owner("ann@example.com", "Acme").await;
    let change = json!({"new_email": "ann@example.org", "password": PASSWORD});
    assert_error(app.post("/v1/me/email", Some(&ann.access), change).await, StatusCode::BAD_GATEWAY, "mail_failed")
        .await;
    // A reset answers as always (telling would tell that the account exists); the failure is
    // counted.
    accepted(ask_reset(&app, "ann@example.com").await).await;
    let mut metrics = String::new();
    for _ in 0..100 {
        metrics = app.request(Method::GET, "/metrics", None, None).await.text().await.unwrap();
        if metrics.contains("revlens_mail_total{kind=\"password_reset\",outcome=\"failed\"} 1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(metrics.contains("revlens_mail_total{kind=\"email_change\",outcome=\"failed\"} 1"), "{metrics}");
    assert!(metrics.contains("revlens_mail_total{kind=\"password_reset\",outcome=\"failed\"} 1"), "{metrics}");
}

#[tokio::test]
async fn a_password_change_ends_the_other_sessions_and_pending_reset_links() {
    let (app, mail) = spawn_app_with_mail(|_| {}).await;
    let phone = app.owner("ann@example.com", "Acme").await;
    let laptop = json_ok(app.login("ann@example.com", PASSWORD).await).await;
    let laptop = laptop["access_token"].as_str().unwrap();
    accepted(ask_reset(&app, "ann@example.com").await).await;
    let reset = mail.wait_for(1).await[0].token();

    let wrong = json!({"current_password": "not it at all", "new_password": NEW_PASSWORD});
    assert_error(app.post("/v1/me/password", Some(laptop), wrong).await, StatusCode::FORBIDDEN, "wrong_password").await;
    json_ok(app.get("/v1/me", laptop).await).await;
    let change = json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD});
    assert_eq!(app.post("/v1/me/password", Some(laptop), change).await.status(), StatusCode::NO_CONTENT);
    json_ok(app.get("/v1/me", laptop).await).await;
    assert_error(app.get("/v1/me", &phone.access).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert_error(confirm_reset(&app, &reset, "yet another passphrase").await, StatusCode::BAD_REQUEST, "invalid_token")
        .await;
    json_ok(app.login("ann@example.com", NEW_PASSWORD).await).await;
}

#[tokio::test]
async fn a_profile_name_change_shows_in_me() {
    let (app, _mail) = spawn_app_with_mail(|_| {}).await;
    let ann = app.owner("ann@example.com", "Acme").await;
    let user =
        json_ok(app.request(Method::PATCH, "/v1/me", Some(&ann.access), Some(json!({"name": "Ann Lee"}))).await).await;
    assert_eq!(user, json!({"id": ann.user_id, "email": "ann@example.com", "name": "Ann Lee"}));
    let me = json_ok(app.get("/v1/me", &ann.access).await).await;
    assert_eq!(me["user"]["name"], "Ann Lee");
    assert_eq!(me["orgs"], json!([{"id": ann.org_id, "name": "Acme", "role": "owner"}]), "the contract holds");
}

#[tokio::test]
async fn account_events_are_audited_without_secrets() {
    let (app, mail) = spawn_app_with_mail(|_| {}).await;
    let ann = app.owner("ann@example.com", "Acme").await;
    let access = ann.access.clone();
    let patch = Some(json!({"name": "Ann Lee"}));
    json_ok(app.request(Method::PATCH, "/v1/me", Some(&access), patch).await).await;
    let wrong = json!({"current_password": "not it at all", "new_password": NEW_PASSWORD});
    app.post("/v1/me/password", Some(&access), wrong).await;
    let change = json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD});
    assert_eq!(app.post("/v1/me/password", Some(&access), change).await.status(), StatusCode::NO_CONTENT);
    let email = json!({"new_email": "ann@example.org", "password": NEW_PASSWORD});
    accepted(app.post("/v1/me/email", Some(&access), email).await).await;
    let email_token = mail.wait_for(2).await.iter().find(|m| m.to == ["ann@example.org"]).unwrap().token();
    json_ok(app.post("/v1/me/email/confirm", None, json!({"token": email_token})).await).await;
    accepted(ask_reset(&app, "ann@example.org").await).await;
    let reset_token = mail.wait_for(3).await[2].token();
    let final_password = "the final passphrase";
    assert_eq!(confirm_reset(&app, &reset_token, final_password).await.status(), StatusCode::NO_CONTENT);

    let owner = json_ok(app.login("ann@example.org", final_password).await).await;
    let owner = owner["access_token"].as_str().unwrap();
    let rows = json_ok(app.get(&format!("/v1/orgs/{}/audit", ann.org_id), owner).await).await;
    let actions: Vec<&str> = rows.as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "org.create",
            "auth.login",
            "user.update",
            "auth.password_change_failed",
            "auth.password_change",
            "user.email_change_request",
            "user.email_change",
            "auth.password_reset_request",
            "auth.password_reset",
            "auth.login",
        ],
        "{rows}"
    );
    for row in rows.as_array().unwrap().iter().skip(1) {
        assert_eq!(row["actor_user_id"], ann.user_id.as_str(), "{row}");
        assert_eq!(row["client_addr"], "127.0.0.1", "{row}");
    }
    let csv = app.get(&format!("/v1/orgs/{}/audit?format=csv", ann.org_id), owner).await.text().await.unwrap();
    let json = rows.to_string();
    for secret in [email_token.as_str(), reset_token.as_str(), PASSWORD, NEW_PASSWORD, final_password, &ann.access] {
        assert!(!csv.contains(secret) && !json.contains(secret), "a secret in the audit log");
    }
}
