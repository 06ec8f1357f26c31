//! `spawn_app()`: the real server on a random port with a fresh data directory (and, in the
//! PostgreSQL test binary, a fresh PostgreSQL database), and a few helpers that speak HTTP to it.

use reqwest::{Method, Response, StatusCode};
use revlens_sync_server::configuration::Settings;
use revlens_sync_server::startup::Application;
use serde_json::{json, Value};

pub const PASSWORD: &str = "correct horse battery staple";

/// The database the test binary runs the server on (each binary sets `crate::BACKEND`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code)] // each test binary uses one of them
pub enum Backend {
    /// A fresh SQLite file in the test's data directory.
    Sqlite,
    /// A fresh database on the PostgreSQL server of [`crate::pg_server`].
    Postgres,
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub settings: Settings,
    pub setup_token: Option<String>,
    _data_dir: tempfile::TempDir,
}

/// A signed-in user and the org the helper made or joined them to.
#[derive(Debug, Clone)]
pub struct Session {
    pub email: String,
    pub user_id: String,
    pub org_id: String,
    pub access: String,
    pub refresh: String,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], with settings changed by `configure` first.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        revlens_sync_server::telemetry::init_subscriber("debug", std::io::stdout);
    }
    let data_dir = tempfile::tempdir().unwrap();
    let mut settings =
        Settings { bind: "127.0.0.1:0".parse().unwrap(), data_dir: data_dir.path().to_owned(), ..Settings::default() };
    if crate::BACKEND == Backend::Postgres {
        settings.database_url = Some(crate::pg_server::fresh_database().await);
    }
    // Cheap hashing keeps the tests fast; every test client comes from 127.0.0.1.
    settings.argon2.memory_kib = 64;
    settings.argon2.iterations = 1;
    settings.login.ip_max_failures = 10_000;
    configure(&mut settings);
    let app = Application::build(settings.clone()).await.unwrap();
    settings.bind = app.local_addr();
    let address = format!("http://{}", app.local_addr());
    let setup_token = app.setup_token().map(str::to_owned);
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    TestApp { address, client, settings, setup_token, _data_dir: data_dir }
}

impl TestApp {
    pub async fn request(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Response {
        let mut req = self.client.request(method, format!("{}{path}", self.address));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.unwrap()
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        self.request(Method::POST, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.request(Method::DELETE, path, Some(token), None).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post("/v1/auth/login", None, json!({"email": email, "password": password})).await
    }

    /// Creates an org and its owner (as `admin create-owner` does) and signs them in.
    pub async fn owner(&self, email: &str, org: &str) -> Session {
        let (user_id, org_id) =
            revlens_sync_server::admin::create_owner(self.settings.clone(), email, org, PASSWORD).await.unwrap();
        let tokens = json_ok(self.login(email, PASSWORD).await).await;
        Session {
            email: email.to_owned(),
            user_id,
            org_id,
            access: tokens["access_token"].as_str().unwrap().to_owned(),
            refresh: tokens["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    /// Invites `email` into `inviter`'s org with `role`; returns the invitation's answer.
    pub async fn invite(&self, inviter: &Session, email: &str, role: &str) -> Response {
        let path = format!("/v1/orgs/{}/invitations", inviter.org_id);
        self.post(&path, Some(&inviter.access), json!({"email": email, "role": role})).await
    }

    pub async fn accept(&self, token: &str, password: &str) -> Response {
        self.post("/v1/invitations/accept", None, json!({"token": token, "password": password, "name": "Invitee"}))
            .await
    }

    /// A new member of `inviter`'s org with `role`, signed in.
    pub async fn member(&self, inviter: &Session, email: &str, role: &str) -> Session {
        let invitation = json_ok(self.invite(inviter, email, role).await).await;
        let accepted = json_ok(self.accept(invitation["token"].as_str().unwrap(), PASSWORD).await).await;
        Session {
            email: email.to_owned(),
            user_id: accepted["user"]["id"].as_str().unwrap().to_owned(),
            org_id: inviter.org_id.clone(),
            access: accepted["tokens"]["access_token"].as_str().unwrap().to_owned(),
            refresh: accepted["tokens"]["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    pub async fn push(&self, who: &Session, client_id: &str, mutations: Value) -> Response {
        let path = format!("/v1/orgs/{}/push", who.org_id);
        self.post(&path, Some(&who.access), json!({"client_id": client_id, "mutations": mutations})).await
    }

    pub async fn pull(&self, who: &Session, cookie: u64, client_id: &str) -> Value {
        let path = format!("/v1/orgs/{}/pull?cookie={cookie}&client_id={client_id}", who.org_id);
        json_ok(self.get(&path, &who.access).await).await
    }
}

/// The JSON body of a 200 response (panics with the body otherwise).
pub async fn json_ok(response: Response) -> Value {
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{text}");
    serde_json::from_str(&text).unwrap()
}

/// Asserts the status and the error code of an error response.
pub async fn assert_error(response: Response, status: StatusCode, code: &str) {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
}

/// A share-link expiry a month from now.
pub fn later() -> String {
    (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339()
}
