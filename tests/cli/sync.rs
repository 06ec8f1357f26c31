//! Sync end to end: the real `revlens-sync-server` binary on a free loopback port, and two
//! RevLens homes as two clients of one org. Tokens go to a per-home test keychain file
//! (`REVLENS_KEYRING=mock-file:…`), never to the OS keychain.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

use crate::helpers::{run, Run, SUBSCRIPTIONS};

use revlens_testkit::{
    browse_oidc_sign_in, server_binary, start_oidc_sync_server, OidcProvider, SyncServer as Server,
    OWNER_EMAIL as EMAIL, OWNER_PASSWORD as PASSWORD,
};

/// A fresh server with one org, "Acme", and its owner. Access tokens last 2 seconds, so
/// the clients' refresh-and-retry path runs too; pull pages hold one change, so the clients
/// page through has_more.
fn start_server() -> Server {
    let revlens = Path::new(env!("CARGO_BIN_EXE_revlens"));
    Server::start(&server_binary(revlens), "pull_page_size = 1\n", &[("REVLENS_SYNC_ACCESS_TOKEN_TTL_SECS", "2")])
}

/// One client: its own RevLens home and its own test keychain file.
pub(crate) struct Client {
    pub(crate) home: TempDir,
    pub(crate) files: TempDir,
    /// Everything the CLI printed, to check no token ever shows.
    printed: std::cell::RefCell<String>,
}

impl Client {
    pub(crate) fn new() -> Self {
        Self { home: tempfile::tempdir().unwrap(), files: tempfile::tempdir().unwrap(), printed: Default::default() }
    }

    pub(crate) fn keyring_file(&self) -> PathBuf {
        self.files.path().join("keyring.json")
    }

    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_revlens"));
        command
            .arg("--home")
            .arg(self.home.path())
            .args(args)
            .current_dir(self.files.path())
            .env("REVLENS_KEYRING", format!("mock-file:{}", self.keyring_file().display()))
            .env_remove("REVLENS_SYNC_SERVER");
        command
    }

    pub(crate) fn record(&self, result: Run) -> Run {
        let mut printed = self.printed.borrow_mut();
        printed.push_str(&result.stdout);
        printed.push_str(&result.stderr);
        result
    }

    pub(crate) fn run(&self, args: &[&str]) -> Run {
        self.record(run(self.command(args)))
    }

    /// Signs in as the org's owner to the server at `url`.
    pub(crate) fn login(&self, url: &str) -> Value {
        let mut child = self
            .command(&["sync", "login", "--server", url, "--email", EMAIL, "--password-stdin"])
            .args(["--format", "json"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(PASSWORD.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        let result = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        self.record(result).ok().json()
    }

    /// Saves mapping `name` by importing a subscriptions file with `extra_column` added, so
    /// each call makes a different header signature.
    fn save_mapping(&self, name: &str, extra_column: &str) {
        let mut lines = SUBSCRIPTIONS.lines();
        let mut text = format!("{},{extra_column}\n", lines.next().unwrap());
        for line in lines {
            text.push_str(&format!("{line},x\n"));
        }
        let path = self.files.path().join(format!("{extra_column}.csv"));
        std::fs::write(&path, text).unwrap();
        self.run(&["import", path.to_str().unwrap(), "--kind", "subscriptions", "--save-mapping", name]).ok();
        // Only the mapping is wanted here: the dataset goes before it is ever sent, so it never syncs.
        self.run(&["dataset", "rm", extra_column]).ok();
    }

    /// name -> header signature of every saved mapping.
    fn mappings(&self) -> Vec<(String, String)> {
        let list = self.run(&["mapping", "list", "--format", "json"]).ok().json();
        let mut out: Vec<(String, String)> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["name"].as_str().unwrap().to_owned(), m["header_signature"].as_str().unwrap().to_owned()))
            .collect();
        out.sort();
        out
    }

    fn sync(&self, what: &str) -> Value {
        self.run(&["sync", what, "--format", "json"]).ok().json()
    }
}

#[test]
fn two_clients_share_mappings_keep_conflicts_and_sign_out() {
    let server = start_server();
    let (a, b) = (Client::new(), Client::new());

    // A mapping saved before signing in is queued by the sign-in.
    a.save_mapping("stripe", "Notes");
    let status = a.login(&server.url);
    assert_eq!((status["signed_in"].as_bool(), status["org_name"].as_str()), (Some(true), Some("Acme")));
    assert_eq!(status["pending"], 1);
    let pushed = a.sync("push");
    assert_eq!((pushed["applied"].as_u64(), pushed["pending"].as_u64()), (Some(1), Some(0)));

    // B signs in and pulls A's mapping, with the same id.
    b.login(&server.url);
    // Past the 2-second access-token lifetime: B's pull refreshes its session and retries.
    std::thread::sleep(Duration::from_millis(2500));
    let pulled = b.sync("pull");
    assert_eq!(pulled["updated"], 1, "{pulled}");
    assert_eq!(b.mappings(), a.mappings());
    let id_in =
        |client: &Client| client.run(&["mapping", "show", "stripe", "--format", "json"]).ok().json()["id"].clone();
    assert_eq!(id_in(&a), id_in(&b));

    // Both edit the same mapping offline; A's edit reaches the server first.
    a.save_mapping("stripe", "Region");
    b.save_mapping("stripe", "Owner");
    let mine_in_b = b.mappings();
    assert_eq!(a.sync("push")["applied"], 1);
    let pushed = b.sync("push");
    assert_eq!((pushed["conflicts"].as_u64(), pushed["pending"].as_u64()), (Some(1), Some(0)), "{pushed}");
    // Read-your-writes: B sees its edit at once, as the conflicted copy the server kept.
    let right_after: Vec<(String, String)> = b.mappings();
    assert_eq!(right_after.len(), 2, "{right_after:?}");
    assert_eq!(right_after[1], ("stripe (conflict)".to_owned(), mine_in_b[0].1.clone()));
    // B's edit is not lost: it comes back as a conflicted copy, beside A's version.
    let pulled = b.sync("pull");
    assert_eq!(pulled["conflicts"], 1, "{pulled}");
    assert!(pulled["pages"].as_u64().unwrap() >= 2, "paged: {pulled}");
    a.sync("pull");
    let in_a = a.mappings();
    assert_eq!(in_a, b.mappings(), "both clients converge");
    let names: Vec<&str> = in_a.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, vec!["stripe", "stripe (conflict)"]);
    assert_eq!(in_a[1].1, mine_in_b[0].1, "the conflicted copy is B's edit");
    assert_ne!(in_a[0].1, in_a[1].1);

    // Resolving: A deletes the copy, and the deletion reaches B.
    a.run(&["mapping", "rm", "stripe (conflict)"]).ok();
    assert_eq!(a.sync("push")["applied"], 1);
    b.sync("pull");
    assert_eq!(b.mappings().len(), 1);

    // Share links to a synced mapping: create, list, revoke.
    let link = a.run(&["share", "create", "--mapping", "stripe", "--days", "2", "--format", "json"]).ok().json();
    assert!(link["url"].as_str().unwrap().starts_with(&server.url), "{link}");
    let id = link["id"].as_str().unwrap();
    let listed = b.run(&["share", "list", "--format", "json"]).ok().json();
    assert_eq!(listed[0]["id"].as_str(), Some(id));
    assert!(listed[0]["revoked_at"].is_null());
    a.run(&["share", "revoke", id]).ok();
    let listed = a.run(&["share", "list", "--format", "json"]).ok().json();
    assert!(!listed[0]["revoked_at"].is_null());

    // Status comes from the local store; tokens live only in the keychain (here its test file).
    let status = a.sync("status");
    assert_eq!((status["pending"].as_u64(), status["signed_in"].as_bool()), (Some(0), Some(true)));
    assert!(status["cookie"].as_u64().unwrap() > 0);
    let keyring: Value = serde_json::from_slice(&std::fs::read(a.keyring_file()).unwrap()).unwrap();
    let entries = keyring.as_object().unwrap();
    assert_eq!(entries.len(), 1);
    let (account, secret) = entries.iter().next().unwrap();
    assert_eq!(account, &format!("revlens\u{1f}{} {EMAIL}", server.url));
    let secret: Vec<u8> = serde_json::from_value(secret.clone()).unwrap();
    let tokens: Value = serde_json::from_slice(&secret).unwrap();
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let db = std::fs::read(a.home.path().join("revlens.db")).unwrap();
    for token in [&access, &refresh] {
        assert!(!a.printed.borrow().contains(token.as_str()), "a token was printed");
        assert!(!db.windows(token.len()).any(|w| w == token.as_bytes()), "a token reached SQLite");
    }

    // Signing out ends the session and empties the keychain entry.
    a.run(&["sync", "logout"]).ok();
    let keyring: Value = serde_json::from_slice(&std::fs::read(a.keyring_file()).unwrap()).unwrap();
    assert!(keyring.as_object().unwrap().is_empty());
    assert_eq!(a.sync("status")["signed_in"], false);
    a.run(&["sync", "push"]).fails_with(1, "not signed in");
    a.run(&["sync", "logout"]).fails_with(1, "not signed in");
}

#[test]
fn commands_in_several_processes_that_find_the_access_token_expired_refresh_it_once_and_stay_signed_in() {
    let server = start_server();
    let client = Client::new();
    client.login(&server.url);
    std::thread::sleep(Duration::from_millis(2100));

    // Four processes at once, one keychain: were two to present the same single-use refresh
    // token, the server would take the second for a stolen one and end the session.
    let pulls: Vec<_> = (0..4)
        .map(|_| {
            client
                .command(&["sync", "pull", "--format", "json"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for pull in pulls {
        let out = pull.wait_with_output().unwrap();
        assert!(out.status.success(), "a pull failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    std::thread::sleep(Duration::from_millis(2100));
    client.sync("pull");
    assert_eq!(client.sync("status")["signed_in"], true);
}

#[test]
fn signing_in_needs_a_password_on_stdin_and_a_server_url() {
    let client = Client::new();
    let mut command = client.command(&["sync", "login", "--server", "http://127.0.0.1:9", "--email", EMAIL]);
    command.stdin(Stdio::null());
    client.record(run(command)).fails_with(1, "no password on stdin");
    client
        .run(&["sync", "login", "--server", "sync.example.com", "--email", EMAIL, "--password", "x"])
        .fails_with(2, "unexpected argument '--password'");
    assert_eq!(client.sync("status")["signed_in"], false);
    client.run(&["sync", "pull"]).fails_with(1, "is not signed in to a sync server");
}

/// Three customers (the numbers of tests/cli/metrics.rs): 200, 250, 200 MRR in Jan–Mar 2024.
const MRR_SUBSCRIPTIONS: &str = "\
customer,mrr amount,start,end,interval
A,100,2024-01-15,,month
B,1200,2024-01-31,,year
C,50,2024-02-01,2024-03-01,month
";

impl Client {
    fn write(&self, name: &str, text: &str) -> String {
        let path = self.files.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    }

    /// `datasets show NAME` as JSON, or `None` when there is no such dataset.
    fn dataset(&self, name: &str) -> Option<Value> {
        let shown = self.run(&["dataset", "show", name, "--format", "json"]);
        (shown.code == 0).then(|| shown.json())
    }

    fn mrr(&self, dataset: &str) -> String {
        self.run(&[
            "metrics",
            "mrr",
            "--dataset",
            dataset,
            "--kind",
            "subscriptions",
            "--to",
            "2024-03",
            "--format",
            "csv",
        ])
        .ok()
        .stdout
    }

    /// Every file under the home's folder, for "nothing half-imported" checks.
    fn files_in(&self, folder: &str) -> usize {
        fn count(dir: &Path) -> usize {
            std::fs::read_dir(dir).map_or(0, |entries| {
                entries.flatten().map(|e| if e.path().is_dir() { count(&e.path()) } else { 1 }).sum()
            })
        }
        count(&self.home.path().join(folder))
    }
}

/// (version, sha256, rows, id) of each version of a shown dataset.
fn versions(dataset: &Value) -> Vec<(u64, String, u64, String)> {
    dataset["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version"].as_u64().unwrap(),
                v["source_sha256"].as_str().unwrap().to_owned(),
                v["rows"].as_u64().unwrap(),
                v["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_dataset_imported_by_one_member_reaches_another_with_its_versions_and_numbers() {
    let server = start_server();
    let (a, b) = (Client::new(), Client::new());
    a.login(&server.url);
    b.login(&server.url);

    // A imports two versions of "subs" and pushes: both files go up before the edit.
    let first = a.write("subs.csv", MRR_SUBSCRIPTIONS);
    a.run(&["import", &first, "--kind", "subscriptions", "--name", "subs"]).ok();
    let grown = a.write("subs-march.csv", &format!("{MRR_SUBSCRIPTIONS}D,10,2024-03-05,,month\n"));
    a.run(&["import", &grown, "--kind", "subscriptions", "--name", "subs"]).ok();
    let pushed = a.sync("push");
    assert_eq!((pushed["files_uploaded"].as_u64(), pushed["pending"].as_u64()), (Some(2), Some(0)), "{pushed}");

    // B pulls: the dataset is there, same versions, same files, same rows, same numbers.
    let pulled = b.sync("pull");
    assert_eq!(pulled["not_applied"], serde_json::json!([]), "{pulled}");
    let (in_a, in_b) = (a.dataset("subs").unwrap(), b.dataset("subs").unwrap());
    assert_eq!(in_b["id"], in_a["id"]);
    assert_eq!(versions(&in_b), versions(&in_a));
    assert_eq!(versions(&in_b).iter().map(|v| v.2).collect::<Vec<_>>(), vec![3, 4]);
    let mrr = a.mrr("subs");
    assert_eq!(b.mrr("subs"), mrr);
    assert!(mrr.trim_end().ends_with("2024-03,210.00,2520.00,3,10.00,0.00,0.00,50.00,0.00"), "{mrr}");
    assert_eq!(b.sync("status")["pending"], 0, "a pulled dataset is not a local edit");

    // Nothing to upload twice: another push from A sends no file.
    a.run(&["import", &first, "--kind", "subscriptions", "--name", "subs"]).ok();
    assert_eq!(a.sync("push")["files_uploaded"], 0);
    b.sync("pull");
    assert_eq!(versions(&b.dataset("subs").unwrap()).len(), 3);

    // Deleting a version, then the dataset, reaches B; its files go too.
    a.run(&["dataset", "rm", "subs", "--version", "1"]).ok();
    a.sync("push");
    b.sync("pull");
    let numbers: Vec<u64> = versions(&b.dataset("subs").unwrap()).iter().map(|v| v.0).collect();
    assert_eq!(numbers, vec![2, 3]);
    a.run(&["dataset", "rm", "subs"]).ok();
    a.sync("push");
    let pulled = b.sync("pull");
    assert_eq!(pulled["deleted"], 1, "{pulled}");
    assert!(b.dataset("subs").is_none());
    assert_eq!((b.files_in("blobs"), b.files_in("tables"), b.files_in("staging")), (0, 0, 0));
}

#[test]
fn a_dataset_whose_file_is_missing_is_reported_and_applied_once_the_file_is_there() {
    let server = start_server();
    let (a, b) = (Client::new(), Client::new());
    a.login(&server.url);
    b.login(&server.url);
    let path = a.write("subs.csv", MRR_SUBSCRIPTIONS);
    let imported =
        a.run(&["import", &path, "--kind", "subscriptions", "--name", "subs", "--format", "json"]).ok().json();
    // The original file vanished from A's store before the push: the edit goes, the file cannot.
    let sha = imported["sha256"].as_str().unwrap();
    std::fs::remove_file(a.home.path().join("blobs").join(&sha[..2]).join(sha)).unwrap();
    assert_eq!(a.sync("push")["files_uploaded"], 0);

    // B is told in words, and its store is as before: no dataset, no file, no staged leftover.
    let failed = b.run(&["sync", "pull"]).fails_with(1, "could not be applied");
    assert!(failed.stderr.contains("version 1 of dataset 'subs'"), "{}", failed.stderr);
    assert!(failed.stderr.contains(&format!("the server has no file with SHA-256 {sha}")), "{}", failed.stderr);
    assert!(b.dataset("subs").is_none());
    assert_eq!((b.files_in("blobs"), b.files_in("tables"), b.files_in("staging")), (0, 0, 0));
    assert_eq!(b.sync("status")["not_applied"], 1);

    // A imports the same file again (a new version); its push uploads it; B's next pull
    // applies the kept change and the new one.
    a.run(&["import", &path, "--kind", "subscriptions", "--name", "subs"]).ok();
    assert_eq!(a.sync("push")["files_uploaded"], 1);
    let pulled = b.sync("pull");
    assert_eq!(pulled["not_applied"], serde_json::json!([]), "{pulled}");
    assert_eq!(versions(&b.dataset("subs").unwrap()), versions(&a.dataset("subs").unwrap()));
    assert_eq!(b.mrr("subs"), a.mrr("subs"));
    assert_eq!(b.sync("status")["not_applied"], 0);
}

#[test]
fn a_dataset_file_over_the_servers_limit_is_refused_in_words() {
    let revlens = Path::new(env!("CARGO_BIN_EXE_revlens"));
    let server = Server::start(&server_binary(revlens), "[blobs]\nmax_upload_bytes = 64\n", &[]);
    let a = Client::new();
    a.login(&server.url);
    let path = a.write("subs.csv", MRR_SUBSCRIPTIONS);
    a.run(&["import", &path, "--kind", "subscriptions", "--name", "subs"]).ok();
    a.run(&["sync", "push"]).fails_with(1, "version 1 of dataset 'subs'");
    let failed = a.run(&["sync", "push"]).fails_with(1, "is larger than the sync server accepts");
    assert!(failed.stderr.contains(&format!("({} bytes)", MRR_SUBSCRIPTIONS.len())), "{}", failed.stderr);
    assert_eq!(a.sync("status")["pending"], 1, "the edit waits, unsent");
}

#[test]
fn two_members_adding_versions_offline_keep_both_as_a_conflicted_copy() {
    let server = start_server();
    let (a, b) = (Client::new(), Client::new());
    a.login(&server.url);
    b.login(&server.url);
    let first = a.write("subs.csv", MRR_SUBSCRIPTIONS);
    a.run(&["import", &first, "--kind", "subscriptions", "--name", "subs"]).ok();
    a.sync("push");
    b.sync("pull");

    // Both import a second version offline; A's reaches the server first.
    let mine = a.write("a.csv", &format!("{MRR_SUBSCRIPTIONS}D,10,2024-03-05,,month\n"));
    a.run(&["import", &mine, "--kind", "subscriptions", "--name", "subs"]).ok();
    let theirs = b.write("b.csv", &format!("{MRR_SUBSCRIPTIONS}E,20,2024-03-07,,month\n"));
    b.run(&["import", &theirs, "--kind", "subscriptions", "--name", "subs"]).ok();
    let b_version = versions(&b.dataset("subs").unwrap())[1].clone();
    a.sync("push");
    let pushed = b.sync("push");
    assert_eq!(pushed["conflicts"], 1, "{pushed}");

    // The server's "subs" stands everywhere; B's version lives on in "subs (conflict)".
    b.sync("pull");
    a.sync("pull");
    for client in [&a, &b] {
        let subs = versions(&client.dataset("subs").unwrap());
        assert_eq!(subs, versions(&a.dataset("subs").unwrap()));
        assert_eq!(subs.len(), 2);
        assert_ne!(subs[1].1, b_version.1, "the server's second version is A's");
        let copy = versions(&client.dataset("subs (conflict)").unwrap());
        assert_eq!(
            copy.iter().map(|v| (v.0, v.1.clone(), v.2)).collect::<Vec<_>>(),
            vec![(subs[0].0, subs[0].1.clone(), subs[0].2), (b_version.0, b_version.1.clone(), b_version.2)]
        );
    }
    assert_eq!(a.mrr("subs (conflict)"), b.mrr("subs (conflict)"));
    assert!(a.mrr("subs (conflict)").trim_end().ends_with("2024-03,220.00,2640.00,3,20.00,0.00,0.00,50.00,0.00"));
}

fn start_oidc_server() -> (Server, OidcProvider) {
    start_oidc_sync_server(&server_binary(Path::new(env!("CARGO_BIN_EXE_revlens"))))
}

/// `revlens sync login --oidc --no-browser` as a child; the browser (the test) signs in as
/// `login` at the address it prints. Returns what the browser ended on and how the CLI ended.
fn oidc_login(client: &Client, server: &Server, login: &str, timeout_secs: u64) -> ((String, u16, String), Run) {
    oidc_login_with(client, server, timeout_secs, |url, _| browse_oidc_sign_in(url, login))
}

/// `revlens sync login --oidc --no-browser` as a child; `meanwhile` gets the address it prints
/// (and the child) while it waits.
fn oidc_login_with<T>(
    client: &Client,
    server: &Server,
    timeout_secs: u64,
    meanwhile: impl FnOnce(&str, &std::process::Child) -> T,
) -> (T, Run) {
    use std::io::{BufRead as _, Read as _};
    let timeout = timeout_secs.to_string();
    let args = ["sync", "login", "--server", &server.url, "--org", &server.org_id, "--oidc", "--no-browser"];
    let mut child = client
        .command(&args)
        .args(["--timeout", &timeout])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut printed = String::new();
    let url = loop {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            let out = child.wait_with_output().unwrap();
            panic!("the CLI printed no address: {printed}{}", String::from_utf8_lossy(&out.stderr));
        }
        printed.push_str(&line);
        if line.trim_start().starts_with("http") {
            break line.trim().to_owned();
        }
    };
    let page = meanwhile(&url, &child);
    stdout.read_to_string(&mut printed).unwrap();
    let out = child.wait_with_output().unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: printed,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    (page, client.record(run))
}

#[test]
fn a_member_signs_in_with_oidc_in_the_browser_and_syncs() {
    let (server, _provider) = start_oidc_server();
    let (a, b) = (Client::new(), Client::new());

    // The provider vouches for an address no member has: the server refuses it in the browser,
    // and the CLI, which never hears back, gives up at its timeout and says so.
    let ((_, status, body), run) = oidc_login(&a, &server, "stranger@example.com", 3);
    assert_eq!((status, body.contains("oidc_no_account")), (403, true), "{body}");
    run.fails_with(1, "no sign-in came back from the browser within 3 s");
    assert_eq!(a.sync("status")["signed_in"], false);

    // Ctrl-C while it waits stops it at once, in words.
    #[cfg(unix)]
    {
        let (_, run) = oidc_login_with(&a, &server, 120, |_, child| {
            let interrupted = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
            assert!(interrupted.success());
        });
        run.fails_with(1, "the sign-in was cancelled");
    }

    // The owner signs in: the browser ends on the CLI's loopback page, the CLI exits 0.
    a.save_mapping("stripe", "Notes");
    let ((url, status, body), run) = oidc_login(&a, &server, EMAIL, 60);
    assert!(url.starts_with("http://127.0.0.1:") && url.contains("/oidc/callback?code="), "{url}");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("You can close this tab"), "{body}");
    let run = run.ok();
    assert!(run.stdout.contains(&format!("Signed in to {} as {EMAIL} (org Acme).", server.url)), "{}", run.stdout);
    assert!(run.stdout.contains("1 local edit(s) wait to be sent"), "{}", run.stdout);

    // Then it is a sign-in like a password one: status, keychain, push and pull.
    let status = a.sync("status");
    assert_eq!(status["signed_in"], true, "{status}");
    assert_eq!(status["email"], EMAIL);
    assert_eq!(status["org_id"].as_str(), Some(server.org_id.as_str()));
    assert_eq!(status["org_name"], "Acme");
    let keyring: Value = serde_json::from_slice(&std::fs::read(a.keyring_file()).unwrap()).unwrap();
    let account = keyring.as_object().unwrap().keys().next().cloned();
    assert_eq!(account, Some(format!("revlens\u{1f}{} {EMAIL}", server.url)));
    let pushed = a.sync("push");
    assert_eq!((pushed["applied"].as_u64(), pushed["pending"].as_u64()), (Some(1), Some(0)), "{pushed}");
    b.login(&server.url);
    assert_eq!(b.sync("pull")["updated"], 1);
    b.save_mapping("hubspot", "Owner");
    assert_eq!(b.sync("push")["applied"], 1);
    // A has not pulled before: its own mapping comes back with B's.
    assert_eq!(a.sync("pull")["updated"], 2);
    assert_eq!(a.mappings(), b.mappings());
    assert_eq!(a.mappings().len(), 2);

    // Signing out works the same way too.
    a.run(&["sync", "logout"]).ok();
    assert_eq!(a.sync("status")["signed_in"], false);
}

#[test]
fn oidc_sign_in_to_an_org_without_it_is_refused_in_words() {
    let server = start_server();
    let a = Client::new();
    let login = ["sync", "login", "--server", &server.url, "--org", &server.org_id, "--oidc", "--no-browser"];
    a.run(&login).fails_with(1, "has no single sign-on (OIDC) set up");
    assert_eq!(a.sync("status")["signed_in"], false);
    // The org's name is not what the server's OIDC routes take: the same clear refusal.
    let by_name = ["sync", "login", "--server", &server.url, "--org", "Acme", "--oidc", "--no-browser"];
    a.run(&by_name).fails_with(1, "--org takes the org's id");
    // --oidc needs an org, and does not take a password.
    a.run(&["sync", "login", "--server", &server.url, "--oidc"]).fails_with(2, "--org");
    a.run(&["sync", "login", "--server", &server.url, "--oidc", "--org", "x", "--email", EMAIL])
        .fails_with(2, "cannot be used with");
}
