//! OIDC sign-in against a real provider: panva's `oidc-provider` (npm, in
//! `tests/oidc-provider`, installed by `scripts/setup.sh` or by the testkit with `npm ci`) run
//! by node on 127.0.0.1. The test plays the browser (redirects, the provider's login and consent forms)
//! and the desktop client (its PKCE pair, its loopback redirect, the token exchange).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::{StatusCode, Url};
use revlens_sync_server::configuration::{OidcOrgSettings, Secret};
use revlens_testkit::{OidcProvider, OIDC_CLIENT_SECRET};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::helpers::{assert_error, json_ok, start_app, test_settings, TestApp, PASSWORD};

/// Where the test's "desktop client" says it listens; nothing needs to listen there, the test
/// reads the server's redirect instead.
const CLIENT_REDIRECT: &str = "http://127.0.0.1:45999/oidc-done";

/// A server with one org per provider client (`acme` uses the well-behaved `revlens` client, the
/// others a client whose ID tokens the provider spoils) and one org without OIDC.
struct World {
    app: TestApp,
    provider: OidcProvider,
    /// (org name → org id), and each org's owner's email is `owner@{name}.test`.
    orgs: Vec<(&'static str, String)>,
}

const ORGS: [(&str, Option<&str>); 6] = [
    ("acme", Some("revlens")),
    ("wrong-aud", Some("revlens-wrong-aud")),
    ("wrong-nonce", Some("revlens-wrong-nonce")),
    ("expired", Some("revlens-expired")),
    ("bad-signature", Some("revlens-bad-signature")),
    ("plain", None),
];

impl World {
    async fn start() -> World {
        World::start_with(true).await
    }

    /// `claims_in_id_token: false`: the provider gives email and name at its userinfo endpoint
    /// only.
    async fn start_with(claims_in_id_token: bool) -> World {
        // The provider must know the callback URL, so the server's port is taken first.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = listener.local_addr().unwrap();
        let provider = OidcProvider::start_with(&format!("http://{server}/v1/auth/oidc/callback"), claims_in_id_token);
        let (mut settings, data_dir) = test_settings().await;
        let mut orgs = Vec::new();
        for (name, client) in ORGS {
            let owner = format!("owner@{name}.test");
            let (_, org_id) =
                revlens_sync_server::admin::create_owner(settings.clone(), &owner, name, PASSWORD).await.unwrap();
            if let Some(client_id) = client {
                settings.oidc.push(OidcOrgSettings {
                    org: org_id.clone(),
                    issuer: provider.issuer.clone(),
                    client_id: client_id.to_owned(),
                    client_secret_env: None,
                    client_secret: Some(Secret::new(OIDC_CLIENT_SECRET)),
                });
            }
            orgs.push((name, org_id));
        }
        let app = start_app(settings, data_dir, listener).await;
        World { app, provider, orgs }
    }

    fn org(&self, name: &str) -> &str {
        &self.orgs.iter().find(|(n, _)| *n == name).unwrap().1
    }

    async fn owner_token(&self, name: &str) -> String {
        let tokens = json_ok(self.app.login(&format!("owner@{name}.test"), PASSWORD).await).await;
        tokens["access_token"].as_str().unwrap().to_owned()
    }

    async fn audit(&self, name: &str) -> Vec<Value> {
        let token = self.owner_token(name).await;
        let rows = json_ok(self.app.get(&format!("/v1/orgs/{}/audit", self.org(name)), &token).await).await;
        rows.as_array().unwrap().clone()
    }
}

/// The desktop client's side of one sign-in: its PKCE verifier and its state.
struct ClientFlow {
    verifier: String,
    state: String,
}

impl ClientFlow {
    fn new() -> ClientFlow {
        let verifier = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
        ClientFlow { verifier, state: uuid::Uuid::new_v4().simple().to_string() }
    }

    fn challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.verifier.as_bytes()))
    }

    fn start_path(&self, org: &str) -> String {
        let mut url = Url::parse("http://x/").unwrap();
        url.set_path(&format!("/v1/auth/oidc/{org}/start"));
        url.query_pairs_mut()
            .append_pair("redirect_uri", CLIENT_REDIRECT)
            .append_pair("code_challenge", &self.challenge())
            .append_pair("code_challenge_method", "S256")
            .append_pair("state", &self.state);
        format!("{}?{}", url.path(), url.query().unwrap())
    }
}

fn location(response: &reqwest::Response) -> Url {
    let value = response.headers().get("location").unwrap_or_else(|| panic!("no Location: {}", response.status()));
    response.url().join(value.to_str().unwrap()).unwrap()
}

/// Plays the browser from the server's start route through the provider's login and consent
/// pages, signing in as `login`; returns the callback URL the provider sends the browser to
/// (not yet opened).
async fn browse_to_callback(world: &World, org: &str, flow: &ClientFlow, login: &str) -> Url {
    let browser =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let start = browser.get(format!("{}{}", world.app.address, flow.start_path(org))).send().await.unwrap();
    assert_eq!(start.status(), StatusCode::SEE_OTHER);
    let mut next = location(&start);
    assert!(next.as_str().starts_with(&world.provider.issuer), "{next}");
    let query: Vec<(String, String)> = next.query_pairs().into_owned().collect();
    let param = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    assert_eq!(param("code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(param("response_type").as_deref(), Some("code"));
    assert!(param("nonce").is_some() && param("state").is_some() && param("code_challenge").is_some());
    assert_ne!(param("state"), Some(flow.state.clone()), "the server makes its own state");
    let callback = format!("{}/v1/auth/oidc/callback", world.app.address);
    for _ in 0..20 {
        if next.as_str().starts_with(&callback) {
            return next;
        }
        let page = browser.get(next.clone()).send().await.unwrap();
        if page.status().is_redirection() {
            next = location(&page);
            continue;
        }
        let url = page.url().clone();
        let html = page.text().await.unwrap();
        let action = form_action(&html).unwrap_or_else(|| panic!("no form on {url}: {html}"));
        let form: Vec<(&str, &str)> = if html.contains(r#"name="login""#) {
            vec![("prompt", "login"), ("login", login), ("password", "any password")]
        } else {
            vec![("prompt", "consent")]
        };
        let submitted = browser.post(url.join(&action).unwrap()).form(&form).send().await.unwrap();
        assert!(submitted.status().is_redirection(), "{}", submitted.status());
        next = location(&submitted);
    }
    panic!("the provider never sent the browser back");
}

fn form_action(html: &str) -> Option<String> {
    let form = &html[html.find("<form")?..];
    let start = form.find("action=\"")? + "action=\"".len();
    let end = form[start..].find('"')?;
    Some(form[start..start + end].replace("&amp;", "&"))
}

/// Opens the callback as the browser would; on success the server redirects to the client's
/// loopback address, and the code found there is returned.
async fn open_callback(world: &World, callback: &Url, flow: &ClientFlow) -> Result<String, reqwest::Response> {
    let response = world.app.client.get(callback.clone()).send().await.unwrap();
    if response.status() != StatusCode::SEE_OTHER {
        return Err(response);
    }
    let done = location(&response);
    assert!(done.as_str().starts_with(CLIENT_REDIRECT), "{done}");
    let pairs: Vec<(String, String)> = done.query_pairs().into_owned().collect();
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    assert_eq!(get("state"), Some(flow.state.clone()), "the client's state comes back");
    Ok(get("code").expect("a code"))
}

async fn exchange(world: &World, code: &str, verifier: &str) -> reqwest::Response {
    world.app.post("/v1/auth/oidc/token", None, json!({"code": code, "code_verifier": verifier})).await
}

/// A full sign-in as `login` into `org`; the session's tokens.
async fn sign_in(world: &World, org: &str, login: &str) -> Value {
    let flow = ClientFlow::new();
    let callback = browse_to_callback(world, org, &flow, login).await;
    let code = match open_callback(world, &callback, &flow).await {
        Ok(code) => code,
        Err(response) => panic!("callback: {} {}", response.status(), response.text().await.unwrap()),
    };
    json_ok(exchange(world, &code, &flow.verifier).await).await
}

#[tokio::test]
async fn a_member_signs_in_with_oidc_and_gets_working_tokens() {
    let world = World::start().await;
    let acme = world.org("acme").to_owned();
    let tokens = sign_in(&world, &acme, "Owner@Acme.test").await;
    let access = tokens["access_token"].as_str().unwrap();
    let me = json_ok(world.app.get("/v1/me", access).await).await;
    assert_eq!(me["user"]["email"], "owner@acme.test");
    assert_eq!(me["orgs"][0]["id"], acme.as_str());
    assert_eq!(me["orgs"][0]["role"], "owner");

    // The usual session: the refresh token rotates, logout ends it.
    let refreshed =
        json_ok(world.app.post("/v1/auth/refresh", None, json!({"refresh_token": tokens["refresh_token"]})).await)
            .await;
    let access = refreshed["access_token"].as_str().unwrap();
    assert_eq!(json_ok(world.app.get("/v1/me", access).await).await["user"]["email"], "owner@acme.test");

    // The identity is linked now: a second sign-in finds the same user (by issuer and subject),
    // this time through the sync client's OIDC calls.
    let mut client = revlens_sync::client::SyncClient::new(world.app.address.clone());
    let flow = ClientFlow::new();
    let start = client.oidc_start_url(&acme, CLIENT_REDIRECT, &flow.challenge(), &flow.state).unwrap();
    assert_eq!(start.as_str(), format!("{}{}", world.app.address, flow.start_path(&acme)));
    let callback = browse_to_callback(&world, &acme, &flow, "owner@acme.test").await;
    let code = open_callback(&world, &callback, &flow).await.ok().unwrap();
    client.oidc_sign_in(&code, &flow.verifier).await.unwrap();
    assert_eq!(client.me().await.unwrap().user.id, me["user"]["id"].as_str().unwrap());

    let rows = world.audit("acme").await;
    let logins = rows.iter().filter(|r| r["action"] == "auth.oidc_login").count();
    assert_eq!(logins, 2, "{rows:?}");
    let text = serde_json::to_string(&rows).unwrap();
    assert!(!text.contains(OIDC_CLIENT_SECRET));
    let doc = world.app.client.get(format!("{}/openapi.json", world.app.address)).send().await.unwrap();
    let doc = doc.text().await.unwrap();
    for path in ["/v1/auth/oidc/{org}/start", "/v1/auth/oidc/callback", "/v1/auth/oidc/token"] {
        assert!(doc.contains(path), "{path} is in the OpenAPI document");
    }
}

#[tokio::test]
async fn the_email_comes_from_userinfo_when_the_id_token_has_none() {
    let world = World::start_with(false).await;
    let acme = world.org("acme").to_owned();
    let tokens = sign_in(&world, &acme, "owner@acme.test").await;
    let me = json_ok(world.app.get("/v1/me", tokens["access_token"].as_str().unwrap()).await).await;
    assert_eq!(me["user"]["email"], "owner@acme.test");
    // The userinfo answer is for the ID token's subject; an unverified address still gets nowhere.
    let flow = ClientFlow::new();
    let callback = browse_to_callback(&world, &acme, &flow, "owner+unverified@acme.test").await;
    assert_error(
        open_callback(&world, &callback, &flow).await.err().unwrap(),
        StatusCode::FORBIDDEN,
        "oidc_no_account",
    )
    .await;
}

#[tokio::test]
async fn the_handoff_code_works_once_and_only_with_the_clients_verifier() {
    let world = World::start().await;
    let acme = world.org("acme").to_owned();
    let flow = ClientFlow::new();
    let callback = browse_to_callback(&world, &acme, &flow, "owner@acme.test").await;
    let code = open_callback(&world, &callback, &flow).await.ok().unwrap();
    let other = ClientFlow::new();
    assert_error(exchange(&world, &code, &other.verifier).await, StatusCode::BAD_REQUEST, "invalid_token").await;
    // A wrong verifier spent the code: not even the right one works now.
    assert_error(exchange(&world, &code, &flow.verifier).await, StatusCode::BAD_REQUEST, "invalid_token").await;

    let flow = ClientFlow::new();
    let callback = browse_to_callback(&world, &acme, &flow, "owner@acme.test").await;
    let code = open_callback(&world, &callback, &flow).await.ok().unwrap();
    json_ok(exchange(&world, &code, &flow.verifier).await).await;
    assert_error(exchange(&world, &code, &flow.verifier).await, StatusCode::BAD_REQUEST, "invalid_token").await;
}

#[tokio::test]
async fn a_tampered_mismatched_or_replayed_state_is_refused() {
    let world = World::start().await;
    let acme = world.org("acme").to_owned();
    let flow = ClientFlow::new();
    let callback = browse_to_callback(&world, &acme, &flow, "owner@acme.test").await;
    let pairs: Vec<(String, String)> = callback.query_pairs().into_owned().collect();
    let with = |state: &str, code: &str| {
        let mut url = callback.clone();
        url.query_pairs_mut().clear().append_pair("code", code).append_pair("state", state);
        url
    };
    let state = pairs.iter().find(|(k, _)| k == "state").unwrap().1.clone();
    let code = pairs.iter().find(|(k, _)| k == "code").unwrap().1.clone();

    // An altered state, and none at all.
    let mut tampered = state.clone();
    tampered.replace_range(0..1, if tampered.starts_with('A') { "B" } else { "A" });
    let refused = open_callback(&world, &with(&tampered, &code), &flow).await.err().unwrap();
    assert_error(refused, StatusCode::BAD_REQUEST, "invalid_state").await;
    let mut no_state = callback.clone();
    no_state.query_pairs_mut().clear().append_pair("code", &code);
    let refused = open_callback(&world, &no_state, &flow).await.err().unwrap();
    assert_error(refused, StatusCode::BAD_REQUEST, "invalid_state").await;

    // A state from another sign-in with this sign-in's code: the code was issued for the other
    // sign-in's PKCE challenge, so the provider refuses the exchange.
    let second = ClientFlow::new();
    let second_callback = browse_to_callback(&world, &acme, &second, "owner@acme.test").await;
    let second_state = second_callback.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    let refused = open_callback(&world, &with(&second_state, &code), &second).await.err().unwrap();
    assert_error(refused, StatusCode::UNAUTHORIZED, "oidc_failed").await;

    // The genuine callback still works once; its replay does not.
    open_callback(&world, &callback, &flow).await.ok().unwrap();
    let replayed = open_callback(&world, &callback, &flow).await.err().unwrap();
    assert_error(replayed, StatusCode::BAD_REQUEST, "invalid_state").await;

    let rows = world.audit("acme").await;
    let failures: Vec<&str> =
        rows.iter().filter(|r| r["action"] == "auth.oidc_failed").map(|r| r["object_id"].as_str().unwrap()).collect();
    assert_eq!(failures, ["code_exchange"], "unknown states have no org; this one had: {rows:?}");
}

#[tokio::test]
async fn id_tokens_with_a_wrong_audience_nonce_expiry_or_signature_are_refused() {
    let world = World::start().await;
    for (org, reason) in [
        ("wrong-aud", "wrong_audience"),
        ("wrong-nonce", "wrong_nonce"),
        ("expired", "expired"),
        ("bad-signature", "bad_signature"),
    ] {
        let flow = ClientFlow::new();
        let callback = browse_to_callback(&world, world.org(org), &flow, &format!("owner@{org}.test")).await;
        let refused = open_callback(&world, &callback, &flow).await.err().unwrap();
        assert_error(refused, StatusCode::UNAUTHORIZED, "oidc_failed").await;
        let rows = world.audit(org).await;
        let failed: Vec<&Value> = rows.iter().filter(|r| r["action"] == "auth.oidc_failed").collect();
        assert_eq!(failed.len(), 1, "{org}: {rows:?}");
        assert_eq!(failed[0]["object_id"], reason, "{org}");
        assert!(rows.iter().all(|r| r["action"] != "auth.oidc_login"), "{org}");
    }
}

#[tokio::test]
async fn an_org_without_oidc_or_a_foreign_redirect_gets_a_clear_error() {
    let world = World::start().await;
    let flow = ClientFlow::new();
    for org in [world.org("plain").to_owned(), "no-such-org".to_owned()] {
        let response = world.app.client.get(format!("{}{}", world.app.address, flow.start_path(&org))).send().await;
        assert_error(response.unwrap(), StatusCode::NOT_FOUND, "oidc_not_configured").await;
    }
    let acme = world.org("acme");
    let evil = flow.start_path(acme).replace("127.0.0.1%3A45999", "evil.example");
    assert!(evil.contains("evil.example"));
    let response = world.app.client.get(format!("{}{evil}", world.app.address)).send().await.unwrap();
    assert_error(response, StatusCode::BAD_REQUEST, "validation").await;
    // Broken [[oidc]] sections stop the start.
    for (org, issuer, client) in
        [("o", "not a url", "c"), ("o", "https://login.example.com", " "), ("o", "ftp://x", "c")]
    {
        let (mut settings, _data) = test_settings().await;
        let section = OidcOrgSettings {
            org: org.to_owned(),
            issuer: issuer.to_owned(),
            client_id: client.to_owned(),
            client_secret_env: None,
            client_secret: None,
        };
        settings.oidc = vec![section];
        assert!(revlens_sync_server::startup::Application::build(settings).await.is_err(), "{issuer:?} {client:?}");
    }
    let (mut settings, _data) = test_settings().await;
    let section = world.app.settings.oidc[0].clone();
    settings.oidc = vec![section.clone(), section];
    assert!(revlens_sync_server::startup::Application::build(settings).await.is_err(), "two sections for one org");

    let plain_challenge = flow.start_path(acme).replace("S256", "plain");
    let response = world.app.client.get(format!("{}{plain_challenge}", world.app.address)).send().await.unwrap();
    assert_error(response, StatusCode::BAD_REQUEST, "validation").await;
}

#[tokio::test]
async fn unknown_users_are_refused_unless_invited() {
    let world = World::start().await;
    let acme = world.org("acme").to_owned();
    let flow = ClientFlow::new();
    let callback = browse_to_callback(&world, &acme, &flow, "newcomer@example.com").await;
    let refused = open_callback(&world, &callback, &flow).await.err().unwrap();
    assert_error(refused, StatusCode::FORBIDDEN, "oidc_no_account").await;
    // The owner of another org is not a member of acme either.
    let flow = ClientFlow::new();
    let callback = browse_to_callback(&world, &acme, &flow, "owner@plain.test").await;
    assert_error(
        open_callback(&world, &callback, &flow).await.err().unwrap(),
        StatusCode::FORBIDDEN,
        "oidc_no_account",
    )
    .await;

    let owner = world.owner_token("acme").await;
    let path = format!("/v1/orgs/{acme}/invitations");
    for email in ["newcomer@example.com", "unverified+unverified@example.com"] {
        json_ok(world.app.post(&path, Some(&owner), json!({"email": email, "role": "analyst"})).await).await;
    }
    // An address the provider has not verified does not match an invitation.
    let flow = ClientFlow::new();
    let callback = browse_to_callback(&world, &acme, &flow, "unverified+unverified@example.com").await;
    assert_error(
        open_callback(&world, &callback, &flow).await.err().unwrap(),
        StatusCode::FORBIDDEN,
        "oidc_no_account",
    )
    .await;

    let tokens = sign_in(&world, &acme, "newcomer@example.com").await;
    let me = json_ok(world.app.get("/v1/me", tokens["access_token"].as_str().unwrap()).await).await;
    assert_eq!(me["user"]["email"], "newcomer@example.com");
    assert_eq!(me["orgs"][0]["role"], "analyst");
    // The invitation is spent, and the new account has no usable password.
    let invitations = json_ok(world.app.get(&path, &owner).await).await;
    let accepted = invitations.as_array().unwrap().iter().filter(|i| i["accepted_at"].is_string()).count();
    assert_eq!(accepted, 1, "{invitations}");
    assert_error(
        world.app.login("newcomer@example.com", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;

    let rows = world.audit("acme").await;
    let reasons: Vec<&str> =
        rows.iter().filter(|r| r["action"] == "auth.oidc_failed").map(|r| r["object_id"].as_str().unwrap()).collect();
    assert_eq!(reasons, ["no_account", "no_account", "email_unverified"], "{rows:?}");
    assert!(rows.iter().any(|r| r["action"] == "invitation.accept"));
}
