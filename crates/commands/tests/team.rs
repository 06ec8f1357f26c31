//! The Team page's commands against the real `revlens-sync-server` binary on a loopback
//! port: two app homes in one org sign in, sync dashboards both ways, get a conflicted copy
//! to pick from, and share a dashboard whose snapshot the server shows; a home signs in through
//! the org's single sign-on against the real OIDC provider fixture, the test playing the browser.
//! Tokens go to a test keychain file, never to the OS keychain.

#![allow(clippy::unwrap_used)] // test data: a panic is the failure report

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use revlens_commands::{ApiError, App, AppEvent, ErrorCode};
use serde_json::{json, Value};

use revlens_testkit::{
    browse_oidc_sign_in, free_port, server_binary, start_oidc_sync_server, OidcProvider, SyncServer, OIDC_CLIENT_ID,
    OIDC_CLIENT_SECRET, OIDC_SECRET_ENV, OWNER_EMAIL as EMAIL, OWNER_PASSWORD as PASSWORD,
};

/// The tests run on parallel threads and the keychain is process-wide: one file serves them.
fn use_test_keyring() {
    revlens_service::secrets::use_file_keyring(&revlens_testkit::shared_keyring_file());
}

fn start_server() -> SyncServer {
    SyncServer::start(&server_binary(&std::env::current_exe().unwrap()), "", &[])
}

struct Client {
    _dir: tempfile::TempDir,
    app: App,
    workspace: String,
}

impl Client {
    fn new(server: &SyncServer) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let app = App::open(&dir.path().join("home"), Arc::new(|_| {})).unwrap();
        let workspace =
            app.call("create_workspace", json!({"name": "Acme"})).unwrap()["id"].as_str().unwrap().to_owned();
        let client = Self { _dir: dir, app, workspace };
        let status = client.call(
            "team_sign_in",
            json!({"workspace": client.workspace, "server_url": server.url, "email": EMAIL, "password": PASSWORD}),
        );
        assert_eq!((status["signed_in"].clone(), status["org_name"].clone()), (json!(true), json!("Acme")));
        client
    }

    fn call(&self, name: &str, args: Value) -> Value {
        self.app.call(name, args).unwrap_or_else(|e| panic!("{name}: {e:?}"))
    }

    fn sync(&self) -> Value {
        self.call("team_sync", json!({"workspace": self.workspace}))
    }

    fn dashboards(&self) -> Vec<Value> {
        self.listed(false)
    }

    /// The templates the team saved (the built-in ones have no id).
    fn saved_templates(&self) -> Vec<Value> {
        self.listed(true).into_iter().filter(|d| !d["id"].is_null()).collect()
    }

    fn listed(&self, template: bool) -> Vec<Value> {
        let all = self.call("list_dashboards", json!({"workspace": self.workspace}));
        all.as_array().unwrap().iter().filter(|d| d["template"] == template).cloned().collect()
    }

    fn save(&self, id: Value, name: &str, tiles: &[&str]) -> Value {
        self.save_as(id, name, tiles, false)
    }

    fn save_as(&self, id: Value, name: &str, tiles: &[&str], template: bool) -> Value {
        self.call(
            "save_dashboard",
            json!({"workspace": self.workspace, "dashboard": {"id": id, "name": name, "template": template, "tiles": tiles, "filters": {}}}),
        )
    }
}

#[test]
fn two_homes_sync_dashboards_pick_a_conflict_and_share_a_snapshot() {
    use_test_keyring();
    let server = start_server();
    let (alice, bob) = (Client::new(&server), Client::new(&server));

    let board = alice.save(Value::Null, "Board", &["mrr", "arr"]);
    assert_eq!(alice.call("team_status", json!({"workspace": alice.workspace}))["pending"], 1);
    let synced = alice.sync();
    assert_eq!((synced["pushed"].clone(), synced["status"]["pending"].clone()), (json!(1), json!(0)));
    bob.sync();
    assert_eq!(bob.dashboards(), std::slice::from_ref(&board), "bob received alice's dashboard as it is");

    // Both edit the same dashboard offline; alice syncs first, so bob's edit conflicts.
    alice.save(board["id"].clone(), "Board", &["mrr", "arr", "nrr"]);
    bob.save(board["id"].clone(), "Board", &["mrr"]);
    alice.sync();
    let result = bob.sync();
    assert_eq!(result["conflicts"], 1, "{result}");
    let conflicts = result["status"]["conflicts"].as_array().unwrap().clone();
    assert_eq!(conflicts.len(), 1, "{result}");
    assert_eq!(conflicts[0]["original_id"], board["id"]);
    let names: Vec<_> = bob.dashboards().iter().map(|d| d["name"].as_str().unwrap().to_owned()).collect();
    assert_eq!(names, ["Board", "Board (conflict)"]);
    // Both versions are there: the original and the copy hold the two edits, one each.
    let tiles: Vec<_> = bob.dashboards().iter().map(|d| d["tiles"].clone()).collect();
    assert!(tiles.contains(&json!(["mrr"])) && tiles.contains(&json!(["mrr", "arr", "nrr"])), "{tiles:?}");

    // Bob keeps the copy: one "Board" is left, with the copy's tiles.
    let copy = conflicts[0]["id"].clone();
    let copy_tiles = bob.dashboards().iter().find(|d| d["id"] == copy).unwrap()["tiles"].clone();
    bob.call(
        "resolve_conflict",
        json!({"workspace": bob.workspace, "kind": "dashboard", "copy": copy, "keep": "copy"}),
    );
    let left = bob.dashboards();
    assert_eq!(left.len(), 1);
    assert_eq!(
        (left[0]["name"].clone(), left[0]["tiles"].clone(), left[0]["id"].clone()),
        (json!("Board"), copy_tiles.clone(), board["id"].clone())
    );
    bob.sync();
    alice.sync();
    assert_eq!(alice.dashboards()[0]["tiles"], copy_tiles, "alice converges on bob's choice");

    // Sharing needs numbers: import a file, then share; the server's page shows the snapshot.
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("subs.csv");
    std::fs::write(&csv, "customer_id,amount,start_date\nA,100.00,2025-01-01\nB,50.00,2025-02-01\n").unwrap();
    alice.call("import_file", json!({"workspace": alice.workspace, "path": csv, "kind": "subscriptions", "job": "j"}));
    let shared =
        alice.call("share_dashboard", json!({"workspace": alice.workspace, "dashboard": board["id"], "days": 7}));
    let url = shared["url"].as_str().unwrap();
    assert!(url.starts_with(&server.url), "{url}");
    // The app's link names the server it belongs to.
    let app_url = shared["app_url"].as_str().unwrap();
    let token = url.rsplit('/').next().unwrap();
    let encoded = server.url.replace(':', "%3A").replace('/', "%2F");
    assert_eq!(app_url, format!("revlens://share/{token}?server={encoded}"));
    let page = reqwest::blocking::get(url).unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().unwrap();
    assert!(html.contains("Board"), "{html}");
    // The share's push took the imported file along: bob's sync brings the dataset, as alice has it.
    let synced = bob.sync();
    assert_eq!(synced["not_applied"], json!([]), "{synced}");
    let datasets = |client: &Client| client.call("list_datasets", json!({"workspace": client.workspace}));
    assert_eq!(datasets(&bob), datasets(&alice));
    assert_eq!(datasets(&bob)[0]["versions"][0]["rows"], 2);
    // A wrong password is the server's refusal, in words.
    let refused = bob.app.call(
        "team_sign_in",
        json!({"workspace": bob.workspace, "server_url": server.url, "email": EMAIL, "password": "wrong"}),
    );
    assert_eq!(refused.unwrap_err().code, ErrorCode::SyncServer);

    // Signing out keeps the local data; syncing then says to sign in.
    let out = alice.call("team_sign_out", json!({"workspace": alice.workspace}));
    assert_eq!(out["signed_in"], false);
    let error = alice.app.call("team_sync", json!({"workspace": alice.workspace})).unwrap_err();
    assert_eq!(error.code, ErrorCode::NotSignedIn, "{error:?}");
    assert_eq!(alice.dashboards().len(), 1);
}

/// A closed loopback port: bound, then let go.
#[test]
fn a_template_saved_in_one_home_reaches_the_other_conflicts_like_a_dashboard_and_its_deletion_syncs() {
    use_test_keyring();
    let server = start_server();
    let (alice, bob) = (Client::new(&server), Client::new(&server));

    let template = alice.save_as(Value::Null, "Board review", &["arr", "movements"], true);
    assert_eq!((template["template"].clone(), template["id"].is_string()), (json!(true), true), "{template}");
    assert!(alice.dashboards().is_empty(), "a template is not a dashboard");
    alice.sync();
    bob.sync();
    assert_eq!(bob.saved_templates(), std::slice::from_ref(&template), "bob received alice's template as it is");
    let names: Vec<_> = bob.listed(true).iter().map(|d| d["name"].as_str().unwrap().to_owned()).collect();
    assert_eq!(names, ["CFO", "Acquisition", "Board review"], "built-in templates first");

    // Both edit it offline: bob's edit becomes a conflicted copy, listed as a template conflict.
    alice.save_as(template["id"].clone(), "Board review", &["arr", "movements", "nrr"], true);
    bob.save_as(template["id"].clone(), "Board review", &["mrr"], true);
    alice.sync();
    let result = bob.sync();
    let conflicts = result["status"]["conflicts"].as_array().unwrap().clone();
    assert_eq!(conflicts.len(), 1, "{result}");
    assert_eq!(
        (conflicts[0]["kind"].clone(), conflicts[0]["original_id"].clone()),
        (json!("template"), template["id"].clone())
    );
    bob.call(
        "resolve_conflict",
        json!({"workspace": bob.workspace, "kind": "template", "copy": conflicts[0]["id"], "keep": "original"}),
    );
    assert_eq!(bob.saved_templates().len(), 1);
    assert_eq!(bob.saved_templates()[0]["tiles"], json!(["arr", "movements", "nrr"]), "bob kept alice's edit");

    // A deletion in one home removes it from the other.
    bob.call("delete_dashboard", json!({"workspace": bob.workspace, "dashboard": template["id"]}));
    bob.sync();
    alice.sync();
    assert!(alice.saved_templates().is_empty(), "{:?}", alice.saved_templates());
}

/// Invites `email` as `role` through the server's API, and accepts as them.
fn add_member(server: &SyncServer, email: &str, role: &str) {
    let http = reqwest::blocking::Client::new();
    let url = |path: &str| format!("{}{path}", server.url);
    let login: Value = http
        .post(url("/v1/auth/login"))
        .json(&json!({"email": EMAIL, "password": PASSWORD}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let access = login["access_token"].as_str().unwrap();
    let me: Value = http.get(url("/v1/me")).bearer_auth(access).send().unwrap().json().unwrap();
    let invitations = url(&format!("/v1/orgs/{}/invitations", me["orgs"][0]["id"].as_str().unwrap()));
    let invitation: Value = http
        .post(invitations)
        .bearer_auth(access)
        .json(&json!({"email": email, "role": role}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let accept = json!({"token": invitation["token"], "password": PASSWORD, "name": "Ann"});
    assert!(http.post(url("/v1/invitations/accept")).json(&accept).send().unwrap().status().is_success());
}

#[test]
fn the_team_page_lists_the_members_changes_a_role_and_removes_a_member() {
    use_test_keyring();
    let server = start_server();
    let owner = Client::new(&server);
    add_member(&server, "ann@example.com", "analyst");
    let members = |client: &Client| {
        let list = client.call("team_members", json!({"workspace": client.workspace}));
        let mut rows: Vec<(String, String, bool, String)> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                let text = |key: &str| m[key].as_str().unwrap().to_owned();
                (text("email"), text("role"), m["is_you"].as_bool().unwrap(), text("user_id"))
            })
            .collect();
        rows.sort();
        rows
    };
    let listed = members(&owner);
    let summary: Vec<_> = listed.iter().map(|(email, role, you, _)| (email.as_str(), role.as_str(), *you)).collect();
    assert_eq!(summary, [("ann@example.com", "analyst", false), ("owner@example.com", "owner", true)]);
    let (ann, you) = (listed[0].3.clone(), listed[1].3.clone());

    let changed = owner.call("team_set_role", json!({"workspace": owner.workspace, "user_id": ann, "role": "viewer"}));
    assert_eq!((changed["email"].as_str(), changed["role"].as_str()), (Some("ann@example.com"), Some("viewer")));
    // The server's refusal reaches the caller in words: the last owner cannot step down.
    let refused = owner
        .app
        .call("team_set_role", json!({"workspace": owner.workspace, "user_id": you, "role": "admin"}))
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::SyncServer, "{refused:?}");
    assert!(refused.message.contains("at least one owner"), "{}", refused.message);

    owner.call("team_remove_member", json!({"workspace": owner.workspace, "user_id": ann}));
    assert_eq!(members(&owner).len(), 1);
}

fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn a_shared_dashboard_opens_from_its_app_link_without_signing_in() {
    use_test_keyring();
    let server = start_server();
    let alice = Client::new(&server);
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("subs.csv");
    std::fs::write(&csv, "customer_id,amount,start_date\nA,100.00,2025-01-01\nB,50.00,2025-02-01\n").unwrap();
    alice.call("import_file", json!({"workspace": alice.workspace, "path": csv, "kind": "subscriptions", "job": "j"}));
    let board = alice.save(Value::Null, "CFO board", &["mrr", "arr", "active_customers", "mrr_chart", "top_customers"]);
    let shared =
        alice.call("share_dashboard", json!({"workspace": alice.workspace, "dashboard": board["id"], "days": 7}));
    let link = shared["app_url"].as_str().unwrap().to_owned();
    let numbers = alice.call("revenue_dashboard", json!({"workspace": alice.workspace, "filters": {}}));

    // Another home, signed in nowhere, opens it.
    let home = tempfile::tempdir().unwrap();
    let carol = App::open(&home.path().join("home"), Arc::new(|_| {})).unwrap();
    let opened = carol.call("open_share_link", json!({"link": link})).unwrap();
    assert_eq!(opened["server_url"], server.url.as_str());
    assert_eq!(
        (&opened["org_name"], &opened["kind"], &opened["name"]),
        (&json!("Acme"), &json!("dashboard"), &json!("CFO board"))
    );
    assert_eq!(opened["note"], Value::Null);
    let snapshot = &opened["snapshot"];
    assert_eq!(snapshot["title"], "CFO board");
    assert_eq!(snapshot["as_of"], numbers["as_of"]);
    // The tiles the dashboard shows, with alice's numbers: 150.00 of MRR from two customers.
    let tile = |id: &str| snapshot["tiles"].as_array().unwrap().iter().find(|t| t["id"] == id).cloned();
    assert_eq!(tile("mrr").unwrap()["value"], 150.0, "{snapshot}");
    assert_eq!(tile("arr").unwrap()["value"], 1800.0, "{snapshot}");
    assert_eq!(tile("active_customers").unwrap()["value"], 2.0, "{snapshot}");
    assert!(tile("nrr").is_none(), "only the dashboard's tiles: {snapshot}");
    let ids: Vec<_> = snapshot["charts"].as_array().unwrap().iter().map(|c| c["id"].clone()).collect();
    assert_eq!(ids, [json!("mrr")], "{snapshot}");
    assert_eq!(snapshot["charts"][0]["series"], numbers["charts"][0]["series"]);
    assert_eq!(snapshot["tables"][0]["rows"], numbers["top_customers"]["rows"]);

    // The browser page's "Open in RevLens" link opens the same (it names the server's public URL).
    let page = reqwest::blocking::get(shared["url"].as_str().unwrap()).unwrap().text().unwrap();
    let at = page.find("href=\"revlens://").unwrap() + "href=\"".len();
    let from_page = &page[at..at + page[at..].find('"').unwrap()];
    assert_eq!(from_page, link, "the app makes the link the page shows");
    let again = carol.call("open_share_link", json!({"link": from_page})).unwrap();
    assert_eq!(again["snapshot"], opened["snapshot"]);

    // Revoked: the link says so in words.
    let service = revlens_service::Service::open(&alice._dir.path().join("home")).unwrap();
    let links = service.share_list(Some("Acme")).unwrap();
    service.share_revoke(Some("Acme"), &links[0].id).unwrap();
    let error = carol.call("open_share_link", json!({"link": link})).unwrap_err();
    assert_eq!(error.code, ErrorCode::ShareLinkUnavailable, "{error:?}");
    assert!(error.message.contains("expired, was revoked"), "{error:?}");

    // A server that is not there.
    let (token, _) = link["revlens://share/".len()..].split_once('?').unwrap();
    let gone = format!("revlens://share/{token}?server=http%3A%2F%2F127.0.0.1%3A{}", closed_port());
    let error = carol.call("open_share_link", json!({"link": gone})).unwrap_err();
    assert_eq!(error.code, ErrorCode::SyncServer, "{error:?}");
    assert!(error.message.contains("cannot reach the sync server http://127.0.0.1:"), "{error:?}");

    // Not a RevLens link at all (the browser link included).
    for bad in [shared["url"].as_str().unwrap().to_owned(), format!("revlens://share/{token}"), "hello".to_owned()] {
        let error = carol.call("open_share_link", json!({"link": bad})).unwrap_err();
        assert_eq!(error.code, ErrorCode::Invalid, "{error:?}");
        assert!(error.message.contains("not a RevLens share link"), "{error:?}");
    }
}

/// The events an app sent, for a test to wait on.
#[derive(Default)]
struct Events {
    seen: Mutex<Vec<AppEvent>>,
    arrived: Condvar,
}

impl Events {
    fn sink(self: &Arc<Self>) -> revlens_commands::EventSink {
        let events = self.clone();
        Arc::new(move |event| {
            events.seen.lock().unwrap().push(event);
            events.arrived.notify_all();
        })
    }

    /// The first event of `job` that `pick` takes, waiting up to 30 s for it.
    fn wait_for<T>(&self, job: &str, pick: impl Fn(&AppEvent) -> Option<T>) -> T {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seen = self.seen.lock().unwrap();
        loop {
            if let Some(found) = seen.iter().filter(|e| job_of(e) == job).find_map(&pick) {
                return found;
            }
            let left = deadline.checked_duration_since(Instant::now()).expect("the event never came");
            seen = self.arrived.wait_timeout(seen, left).unwrap().0;
        }
    }

    /// The address the sign-in `job` asked the browser to open.
    fn url(&self, job: &str) -> String {
        self.wait_for(job, |e| match e {
            AppEvent::OpenUrl { url, .. } => Some(url.clone()),
            _ => None,
        })
    }

    fn of(&self, job: &str) -> Vec<AppEvent> {
        self.seen.lock().unwrap().iter().filter(|e| job_of(e) == job).cloned().collect()
    }
}

fn job_of(event: &AppEvent) -> &str {
    match event {
        AppEvent::Progress { job, .. }
        | AppEvent::OpenUrl { job, .. }
        | AppEvent::Finished { job }
        | AppEvent::Failed { job, .. } => job,
    }
}

fn start_oidc_server() -> (SyncServer, OidcProvider) {
    start_oidc_sync_server(&server_binary(&std::env::current_exe().unwrap()))
}

/// One app home that signs in with single sign-on, on other threads, as the front doors do.
struct SsoClient {
    _dir: tempfile::TempDir,
    app: Arc<App>,
    events: Arc<Events>,
    workspace: String,
}

impl SsoClient {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let events = Arc::new(Events::default());
        let app = Arc::new(App::open(&dir.path().join("home"), events.sink()).unwrap());
        let workspace =
            app.call("create_workspace", json!({"name": "Acme"})).unwrap()["id"].as_str().unwrap().to_owned();
        Self { _dir: dir, app, events, workspace }
    }

    /// Starts `team_sign_in_sso` as job `job` on a thread of its own.
    fn sign_in(
        &self,
        server: &SyncServer,
        org: &str,
        job: &str,
        timeout_secs: u32,
    ) -> std::thread::JoinHandle<Result<Value, ApiError>> {
        let app = self.app.clone();
        let args = json!({
            "workspace": self.workspace, "server_url": server.url, "org": org, "job": job, "timeout_secs": timeout_secs,
        });
        std::thread::spawn(move || app.call("team_sign_in_sso", args))
    }

    fn status(&self) -> Value {
        self.app.call("team_status", json!({"workspace": self.workspace})).unwrap()
    }
}

#[test]
fn a_home_signs_in_with_single_sign_on_and_a_cancel_or_timeout_leaves_it_signed_out() {
    use_test_keyring();
    let (server, provider) = start_oidc_server();
    let client = SsoClient::new();

    // The org's name is not what single sign-on takes: refused at once, in words, no browser.
    let error = client.sign_in(&server, "Acme", "by-name", 60).join().unwrap().unwrap_err();
    assert_eq!(error.code, ErrorCode::SsoNotConfigured, "{error:?}");
    assert!(error.message.contains("no single sign-on set up") && error.message.contains("email and password"));
    assert!(!error.message.contains("--"), "no CLI flags in the app's words: {error:?}");
    assert_eq!(client.events.of("by-name"), [AppEvent::Failed { job: "by-name".into(), message: error.message }]);
    let error = client.sign_in(&server, " ", "blank", 60).join().unwrap().unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidArgs, "{error:?}");

    // Cancelled while the browser is out: it stops at once, signed out.
    let waiting = client.sign_in(&server, &server.org_id, "cancelled", 120);
    let url = client.events.url("cancelled");
    // The provider's page, where the server sent the browser (for the server's own callback).
    assert!(url.starts_with(&provider.issuer) && url.contains(&format!("client_id={OIDC_CLIENT_ID}")), "{url}");
    let asked = Instant::now();
    client.app.call("cancel_job", json!({"job": "cancelled"})).unwrap();
    let error = waiting.join().unwrap().unwrap_err();
    assert!(asked.elapsed() < Duration::from_secs(5), "the cancel took {:?}", asked.elapsed());
    assert_eq!((error.code, error.message.as_str()), (ErrorCode::Cancelled, "The sign-in was cancelled."));
    assert_eq!(client.status()["signed_in"], false);

    // The provider vouches for an address no member has: the server refuses it in the browser,
    // and the app, which never hears back, gives up at its timeout and says so.
    let waiting = client.sign_in(&server, &server.org_id, "stranger", 3);
    let (_, status, body) = browse_oidc_sign_in(&client.events.url("stranger"), "stranger@example.com");
    assert_eq!((status, body.contains("oidc_no_account")), (403, true), "{body}");
    let error = waiting.join().unwrap().unwrap_err();
    assert_eq!(error.code, ErrorCode::TimedOut, "{error:?}");
    assert!(error.message.contains("No sign-in came back from the browser within 3 s"), "{error:?}");
    assert_eq!(client.status()["signed_in"], false);

    // The owner signs in: the browser ends on the app's loopback page, the command answers with
    // the signed-in status, and the session works for a sync.
    let waiting = client.sign_in(&server, &server.org_id, "owner", 60);
    let (page, status, body) = browse_oidc_sign_in(&client.events.url("owner"), EMAIL);
    assert!(page.starts_with("http://127.0.0.1:") && page.contains("/oidc/callback?code="), "{page}");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("You can close this tab"), "{body}");
    let signed_in = waiting.join().unwrap().unwrap();
    assert_eq!(
        (&signed_in["signed_in"], &signed_in["email"], &signed_in["org_name"], &signed_in["server_url"]),
        (&json!(true), &json!(EMAIL), &json!("Acme"), &json!(server.url))
    );
    assert_eq!(client.status(), signed_in);
    assert!(matches!(client.events.of("owner").last(), Some(AppEvent::Finished { .. })));
    let synced = client.app.call("team_sync", json!({"workspace": client.workspace})).unwrap();
    assert_eq!(synced["status"]["signed_in"], true, "{synced}");
}

#[test]
fn a_single_sign_on_whose_provider_is_unreachable_says_so() {
    use_test_keyring();
    let issuer = format!("http://127.0.0.1:{}", free_port());
    let server = SyncServer::start_with(
        &server_binary(&std::env::current_exe().unwrap()),
        "127.0.0.1:0",
        |org| {
            format!(
                "[[oidc]]\norg = \"{org}\"\nissuer = \"{issuer}\"\nclient_id = \"{OIDC_CLIENT_ID}\"\nclient_secret_env = \"{OIDC_SECRET_ENV}\"\n"
            )
        },
        &[(OIDC_SECRET_ENV, OIDC_CLIENT_SECRET)],
    );
    let client = SsoClient::new();
    let error = client.sign_in(&server, &server.org_id, "j", 60).join().unwrap().unwrap_err();
    assert_eq!(error.code, ErrorCode::SyncServer, "{error:?}");
    assert!(error.message.contains("cannot reach your org's sign-on provider"), "{error:?}");
    assert!(client.events.of("j").iter().all(|e| !matches!(e, AppEvent::OpenUrl { .. })));
    assert_eq!(client.status()["signed_in"], false);
}

#[test]
fn syncs_that_find_the_access_token_expired_together_refresh_it_once_and_stay_signed_in() {
    use_test_keyring();
    let server =
        SyncServer::start(&server_binary(&std::env::current_exe().unwrap()), "access_token_ttl_secs = 1\n", &[]);
    let alice = Client::new(&server);
    std::thread::sleep(std::time::Duration::from_millis(2100));

    // Refresh tokens are single use: were both syncs to present the same one, the server would
    // take the second for a stolen token and end the session.
    let start = std::sync::Barrier::new(4);
    let results: Vec<_> = std::thread::scope(|scope| {
        let syncs: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    start.wait();
                    alice.app.call("team_sync", json!({"workspace": alice.workspace}))
                })
            })
            .collect();
        syncs.into_iter().map(|sync| sync.join().unwrap()).collect()
    });
    for result in &results {
        assert!(result.is_ok(), "a sync failed: {result:?}");
    }
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert_eq!(alice.sync()["status"]["signed_in"], json!(true));
}
