//! A single sign-on through `revlens serve`, as the browser UI does it: `team_sign_in_sso` over
//! `POST /api/call`, the provider's page from the `open_url` server-sent event, `cancel_job`
//! over HTTP. Against the real sync server binary and the real OIDC provider fixture; tokens go
//! to a test keychain file, never to the OS keychain.

#![allow(clippy::unwrap_used)] // test data: a panic is the failure report

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::sync::{mpsc, OnceLock};
use std::time::Duration;

use reqwest::blocking::Client;
use revlens_testkit::{
    browse_oidc_sign_in, free_port, server_binary, OidcProvider, SyncServer, OIDC_CLIENT_SECRET, OIDC_SECRET_ENV,
    OWNER_EMAIL,
};
use serde_json::{json, Value};

/// The keychain is process-wide: every test of this binary shares one keyring file.
fn use_test_keyring() {
    static KEYRING: OnceLock<tempfile::TempDir> = OnceLock::new();
    KEYRING.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        revlens_service::secrets::use_file_keyring(&dir.path().join("keyring.json"));
        dir
    });
}

struct Serve {
    base: String,
    _dir: tempfile::TempDir,
}

fn serve() -> Serve {
    let dir = tempfile::tempdir().unwrap();
    let ui = dir.path().join("ui");
    std::fs::create_dir_all(&ui).unwrap();
    std::fs::write(ui.join("index.html"), "<!doctype html><title>RevLens</title>").unwrap();
    let (app, events) = revlens_http::open_app(&dir.path().join("home")).unwrap();
    let (bound_tx, bound_rx) = mpsc::channel::<SocketAddr>();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let address: SocketAddr = "127.0.0.1:0".parse().unwrap();
        runtime.block_on(revlens_http::serve(app, events, address, ui, |bound| bound_tx.send(bound).unwrap())).unwrap();
    });
    let bound = bound_rx.recv_timeout(Duration::from_secs(10)).unwrap();
    Serve { base: format!("http://{bound}"), _dir: dir }
}

fn call(base: &str, command: &str, args: Value) -> (u16, Value) {
    let response = Client::builder()
        .timeout(None)
        .build()
        .unwrap()
        .post(format!("{base}/api/call/{command}"))
        .header("x-revlens", "1")
        .json(&args)
        .send()
        .unwrap();
    (response.status().as_u16(), response.json().unwrap())
}

/// The `/api/events` stream, one JSON event at a time.
fn events(base: &str) -> mpsc::Receiver<Value> {
    let stream = Client::builder().timeout(None).build().unwrap().get(format!("{base}/api/events")).send().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { return };
            if let Some(data) = line.strip_prefix("data:") {
                if tx.send(serde_json::from_str::<Value>(data.trim()).unwrap()).is_err() {
                    return;
                }
            }
        }
    });
    rx
}

/// The address job `job` asked the browser to open.
fn url_of(events: &mpsc::Receiver<Value>, job: &str) -> String {
    loop {
        let event = events.recv_timeout(Duration::from_secs(30)).expect("no open_url event");
        if event["kind"] == "open_url" && event["job"] == job {
            return event["url"].as_str().unwrap().to_owned();
        }
    }
}

#[test]
fn the_browser_ui_signs_in_with_single_sign_on_and_can_cancel() {
    use_test_keyring();
    let port = free_port();
    let provider = OidcProvider::start(&format!("http://127.0.0.1:{port}/v1/auth/oidc/callback"));
    let sync = SyncServer::start_with(
        &server_binary(&std::env::current_exe().unwrap()),
        &format!("127.0.0.1:{port}"),
        |org| provider.config_for(org),
        &[(OIDC_SECRET_ENV, OIDC_CLIENT_SECRET)],
    );
    let serve = serve();
    let events = events(&serve.base);
    let (_, workspace) = call(&serve.base, "create_workspace", json!({"name": "Acme"}));
    let sign_in = |job: &str| {
        let (base, args) = (
            serve.base.clone(),
            json!({"workspace": workspace["id"], "server_url": sync.url, "org": sync.org_id, "job": job}),
        );
        std::thread::spawn(move || call(&base, "team_sign_in_sso", args))
    };

    // Cancelled from the page: the waiting call answers 409 `cancelled`.
    let waiting = sign_in("cancel-me");
    assert!(url_of(&events, "cancel-me").starts_with(&provider.issuer));
    assert_eq!(call(&serve.base, "cancel_job", json!({"job": "cancel-me"})).0, 200);
    let (status, body) = waiting.join().unwrap();
    assert_eq!((status, body["error"]["code"].clone()), (409, json!("cancelled")), "{body}");

    // Signed in: the browser follows the event's address, the call answers the status.
    let waiting = sign_in("sso-1");
    let (_, page_status, page) = browse_oidc_sign_in(&url_of(&events, "sso-1"), OWNER_EMAIL);
    assert_eq!(page_status, 200, "{page}");
    let (status, team) = waiting.join().unwrap();
    assert_eq!(status, 200, "{team}");
    assert_eq!((team["signed_in"].clone(), team["email"].clone()), (json!(true), json!(OWNER_EMAIL)));
}
