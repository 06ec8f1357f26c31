//! A single sign-on through `revlens serve`, as the browser UI does it: `team_sign_in_sso` over
//! `POST /api/call`, the provider's page from the `open_url` server-sent event, `cancel_job`
//! over HTTP. Against the real sync server binary and the real OIDC provider fixture; tokens go
//! to a test keychain file, never to the OS keychain.

#![allow(clippy::unwrap_used)] // test data: a panic is the failure report

mod common;

use std::sync::mpsc;
use std::time::Duration;

use revlens_testkit::{browse_oidc_sign_in, server_binary, shared_keyring_file, start_oidc_sync_server, OWNER_EMAIL};
use serde_json::{json, Value};

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
    revlens_service::secrets::use_file_keyring(&shared_keyring_file());
    let (sync, provider) = start_oidc_sync_server(&server_binary(&std::env::current_exe().unwrap()));
    let serve = common::start();
    let events = serve.events();
    let (_, workspace) = serve.call("create_workspace", json!({"name": "Acme"}));
    std::thread::scope(|scope| {
        let sign_in = |job: &str| {
            let args = json!({"workspace": workspace["id"], "server_url": sync.url, "org": sync.org_id, "job": job});
            let serve = &serve;
            scope.spawn(move || serve.call("team_sign_in_sso", args))
        };

        // Cancelled from the page: the waiting call answers 409 `cancelled`.
        let waiting = sign_in("cancel-me");
        assert!(url_of(&events, "cancel-me").starts_with(&provider.issuer));
        assert_eq!(serve.call("cancel_job", json!({"job": "cancel-me"})).0, 200);
        let (status, body) = waiting.join().unwrap();
        assert_eq!((status, body["error"]["code"].clone()), (409, json!("cancelled")), "{body}");

        // Signed in: the browser follows the event's address, the call answers the status.
        let waiting = sign_in("sso-1");
        let (_, page_status, page) = browse_oidc_sign_in(&url_of(&events, "sso-1"), OWNER_EMAIL);
        assert_eq!(page_status, 200, "{page}");
        let (status, team) = waiting.join().unwrap();
        assert_eq!(status, 200, "{team}");
        assert_eq!((team["signed_in"].clone(), team["email"].clone()), (json!(true), json!(OWNER_EMAIL)));
    });
}
