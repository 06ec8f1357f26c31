//! The OIDC provider of the sync server's tests (`sync-server/tests/oidc-provider/provider.mjs`,
//! reused, not copied) and a browser that signs in through its development login pages.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;

use serde_json::Value;

use crate::SyncServer;

/// The provider's well-behaved client (provider.mjs); its secret is whatever the test says.
pub const OIDC_CLIENT_ID: &str = "revlens";
pub const OIDC_CLIENT_SECRET: &str = "cli-oidc-test-client-secret-7d21";
/// The variable the sync server reads the client secret from (pass it in the server's env).
pub const OIDC_SECRET_ENV: &str = "REVLENS_TEST_OIDC_CLIENT_SECRET";

/// A free loopback port, for a server whose address must be known before it starts (the
/// provider is told the sync server's callback URL). Another process could take it in between;
/// on a test machine that is rare enough.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../sync-server/tests/oidc-provider")
}

/// Installs the fixture's npm packages when they are missing (scripts/setup.sh normally has).
/// Fails the test — never skips it — when node or npm cannot.
fn ensure_installed() {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _guard = INSTALL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = fixture_dir();
    if dir.join("node_modules/oidc-provider/package.json").exists() {
        return;
    }
    let status =
        Command::new("npm").args(["ci", "--no-audit", "--no-fund", "--loglevel=error"]).current_dir(&dir).status();
    match status {
        Ok(s) if s.success() => {}
        other => panic!(
            "the OIDC tests need node and the npm packages of {} (scripts/setup.sh installs them): npm ci gave {other:?}",
            dir.display()
        ),
    }
}

/// The provider's node process, killed when dropped.
pub struct OidcProvider {
    pub issuer: String,
    child: Child,
    // Held open: the provider ends when its standard input closes.
    _stdin: ChildStdin,
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl OidcProvider {
    /// Starts the provider; its clients accept `redirect_uri` (the sync server's
    /// `{public_url}/v1/auth/oidc/callback`) only, and their secret is [`OIDC_CLIENT_SECRET`].
    pub fn start(redirect_uri: &str) -> Self {
        Self::start_with(redirect_uri, true)
    }

    /// `claims_in_id_token: false`: the provider gives email and name at its userinfo
    /// endpoint only.
    pub fn start_with(redirect_uri: &str, claims_in_id_token: bool) -> Self {
        ensure_installed();
        let stderr = if std::env::var_os("TEST_LOG").is_some() { Stdio::inherit() } else { Stdio::null() };
        let mut child = Command::new("node")
            .arg("provider.mjs")
            .current_dir(fixture_dir())
            .env("OIDC_REDIRECT_URI", redirect_uri)
            .env("OIDC_CLIENT_SECRET", OIDC_CLIENT_SECRET)
            .env("OIDC_CONFORM_ID_TOKEN_CLAIMS", if claims_in_id_token { "0" } else { "1" })
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("the OIDC tests need node (scripts/setup.sh): {e}"));
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        let read = stdout.read_line(&mut line);
        assert!(matches!(read, Ok(n) if n > 0), "the OIDC provider ended before it listened: {read:?}");
        let started: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("provider said {line:?}: {e}"));
        let issuer = started["issuer"].as_str().unwrap().to_owned();
        // Drained, not dropped: a closed pipe would end node at its next write (EPIPE).
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        Self { issuer, child, _stdin: stdin }
    }

    /// The `[[oidc]]` section that makes `org_id` sign in through this provider; the server reads
    /// the client secret from [`OIDC_SECRET_ENV`] (the file cannot hold it).
    pub fn config_for(&self, org_id: &str) -> String {
        format!(
            "[[oidc]]\norg = \"{org_id}\"\nissuer = \"{}\"\nclient_id = \"{OIDC_CLIENT_ID}\"\nclient_secret_env = \"{OIDC_SECRET_ENV}\"\n",
            self.issuer
        )
    }
}

/// The sync server `binary` whose org "Acme" signs in through a provider of its own. The
/// provider must know the server's callback URL before it starts, so the server's port is
/// chosen first.
pub fn start_oidc_sync_server(binary: &Path) -> (SyncServer, OidcProvider) {
    let port = free_port();
    let provider = OidcProvider::start(&format!("http://127.0.0.1:{port}/v1/auth/oidc/callback"));
    let server = SyncServer::start_with(
        binary,
        &format!("127.0.0.1:{port}"),
        |org| provider.config_for(org),
        &[(OIDC_SECRET_ENV, OIDC_CLIENT_SECRET)],
    );
    (server, provider)
}

fn form_action(html: &str) -> Option<String> {
    let form = &html[html.find("<form")?..];
    let start = form.find("action=\"")? + "action=\"".len();
    let end = form[start..].find('"')?;
    Some(form[start..start + end].replace("&amp;", "&"))
}

/// Plays the browser from `url` (the address a client printed): follows every redirect and fills
/// the provider's login (as `login`, which is the account's email) and consent forms, until a
/// page without a form — the client's loopback answer, or an error page. Returns that page's
/// URL, status and body.
pub fn browse_oidc_sign_in(url: &str, login: &str) -> (String, u16, String) {
    let browser = reqwest::blocking::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut next = reqwest::Url::parse(url).unwrap();
    for _ in 0..30 {
        let page = browser.get(next.clone()).send().unwrap();
        if page.status().is_redirection() {
            let location = page.headers().get("location").unwrap().to_str().unwrap();
            next = page.url().join(location).unwrap();
            continue;
        }
        let (page_url, status) = (page.url().clone(), page.status().as_u16());
        let html = page.text().unwrap();
        let Some(action) = form_action(&html) else {
            return (page_url.to_string(), status, html);
        };
        let form: Vec<(&str, &str)> = if html.contains(r#"name="login""#) {
            vec![("prompt", "login"), ("login", login), ("password", "any password")]
        } else {
            vec![("prompt", "consent")]
        };
        let submitted = browser.post(page_url.join(&action).unwrap()).form(&form).send().unwrap();
        assert!(
            submitted.status().is_redirection(),
            "{}: {}",
            submitted.status(),
            submitted.text().unwrap_or_default()
        );
        let location = submitted.headers().get("location").unwrap().to_str().unwrap();
        next = submitted.url().join(location).unwrap();
    }
    panic!("the sign-in never came back from the provider");
}
