//! `spawn_app()`: the real server on a random port with a fresh data directory (and, in the
//! PostgreSQL test binary, a fresh PostgreSQL database), a few helpers that speak HTTP to it, and
//! [`MailCapture`], a local SMTP server that keeps the mail the server sends.

use std::sync::{Arc, Mutex};

use reqwest::{Method, Response, StatusCode};
use revlens_sync_server::configuration::{Settings, SmtpSettings, SmtpTls};
use revlens_sync_server::startup::Application;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

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
    let (mut settings, data_dir) = test_settings().await;
    configure(&mut settings);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    start_app(settings, data_dir, listener).await
}

/// The settings every test server starts from: a fresh data directory (and, in the PostgreSQL
/// test binary, a fresh database), cheap hashing, a loopback port. The database can be written
/// to (e.g. with `admin::create_owner`) before [`start_app`].
pub async fn test_settings() -> (Settings, tempfile::TempDir) {
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
    (settings, data_dir)
}

/// Builds the server with `settings` on `listener` (bound already) and serves it.
pub async fn start_app(
    mut settings: Settings,
    data_dir: tempfile::TempDir,
    listener: tokio::net::TcpListener,
) -> TestApp {
    let app = Application::build_on(settings.clone(), listener).await.unwrap();
    settings.bind = app.local_addr();
    let scheme = if app.is_tls() { "https" } else { "http" };
    let address = format!("{scheme}://{}", app.local_addr());
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

/// Like [`spawn_app_with`], with a [`MailCapture`] as the server's mail server.
pub async fn spawn_app_with_mail(configure: impl FnOnce(&mut Settings)) -> (TestApp, MailCapture) {
    let mail = MailCapture::start().await;
    let port = mail.port;
    let app = spawn_app_with(move |s| {
        let mut smtp = SmtpSettings::new("127.0.0.1", "RevLens <no-reply@revlens.test>");
        smtp.tls = SmtpTls::None;
        smtp.port = Some(port);
        s.smtp = Some(smtp);
        configure(s);
    })
    .await;
    (app, mail)
}

/// One message the capture server took.
#[derive(Debug, Clone)]
pub struct CapturedMail {
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body as sent (dot-stuffing undone, quoted-printable decoded).
    pub data: String,
}

/// Decodes a quoted-printable body (soft line breaks and `=XX`), as a mail client does.
fn decode_quoted_printable(body: &str) -> String {
    let body = body.replace("=\r\n", "").replace("=\n", "");
    let bytes = body.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

impl CapturedMail {
    /// The token of the message's `#token=…` link.
    pub fn token(&self) -> String {
        let start = self.data.find("#token=").expect("a link with a token") + "#token=".len();
        self.data[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
    }

    pub fn subject(&self) -> &str {
        self.data.lines().find_map(|l| l.strip_prefix("Subject: ")).unwrap_or_default()
    }
}

/// A local SMTP server that takes every message and keeps it for the test: enough of the
/// protocol for lettre (EHLO/HELO, MAIL FROM, RCPT TO, DATA, RSET, NOOP, QUIT), no TLS, no auth.
#[derive(Clone)]
pub struct MailCapture {
    pub port: u16,
    messages: Arc<Mutex<Vec<CapturedMail>>>,
}

impl MailCapture {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let kept = messages.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let _ = smtp_session(stream, kept).await;
                });
            }
        });
        Self { port, messages }
    }

    pub fn messages(&self) -> Vec<CapturedMail> {
        self.messages.lock().unwrap().clone()
    }

    /// Waits (10 s at most) until `n` messages have come, and returns them all.
    pub async fn wait_for(&self, n: usize) -> Vec<CapturedMail> {
        for _ in 0..500 {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("expected {n} messages, got {:?}", self.messages());
    }

    /// The one message sent to `to` (panics unless exactly one came).
    pub fn to(&self, to: &str) -> CapturedMail {
        let found: Vec<CapturedMail> = self.messages().into_iter().filter(|m| m.to.iter().any(|t| t == to)).collect();
        assert_eq!(found.len(), 1, "messages to {to}: {found:?}");
        found.into_iter().next().unwrap()
    }
}

async fn smtp_session(stream: TcpStream, messages: Arc<Mutex<Vec<CapturedMail>>>) -> std::io::Result<()> {
    fn address(line: &str) -> String {
        let start = line.find('<').map_or(0, |i| i + 1);
        let end = line.rfind('>').unwrap_or(line.len());
        line[start..end.max(start)].to_owned()
    }
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write.write_all(b"220 capture.test ESMTP\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if read.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") {
            b"250-capture.test\r\n250 8BITMIME\r\n"
        } else if command.starts_with("HELO") {
            b"250 capture.test\r\n"
        } else if command.starts_with("MAIL FROM:") {
            from = address(&line);
            b"250 OK\r\n"
        } else if command.starts_with("RCPT TO:") {
            to.push(address(&line));
            b"250 OK\r\n"
        } else if command == "DATA" {
            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if read.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            if let Some((head, body)) = data.split_once("\r\n\r\n") {
                if head.to_ascii_lowercase().contains("content-transfer-encoding: quoted-printable") {
                    data = format!("{head}\r\n\r\n{}", decode_quoted_printable(body));
                }
            }
            let message = CapturedMail { from: std::mem::take(&mut from), to: std::mem::take(&mut to), data };
            messages.lock().unwrap().push(message);
            b"250 OK queued\r\n"
        } else if command == "RSET" {
            (from, to) = (String::new(), Vec::new());
            b"250 OK\r\n"
        } else if command == "NOOP" {
            b"250 OK\r\n"
        } else if command == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"502 not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
}
