//! What the end-to-end tests share: the real `revlens-sync-server` binary, started on a free
//! loopback port with a fresh data folder, one org ("Acme") and its owner; and the real OIDC
//! provider the server's own tests use (`sync-server/tests/oidc-provider`, npm's
//! `oidc-provider` run by node), with a browser to click through it.

#![allow(clippy::unwrap_used)] // test support: a panic is the failure report

mod oidc;

pub use oidc::{
    browse_oidc_sign_in, free_port, start_oidc_sync_server, OidcProvider, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET,
    OIDC_SECRET_ENV,
};

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use serde_json::Value;
use tempfile::TempDir;

/// A keyring file for the in-process tests of one test binary (see
/// `revlens_service::secrets::use_file_keyring`): the keychain is process-wide and tests run on
/// parallel threads, so they all share this one file, which outlives them.
pub fn shared_keyring_file() -> PathBuf {
    static DIR: OnceLock<TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap()).path().join("keyring.json")
}

pub const OWNER_EMAIL: &str = "owner@example.com";
pub const OWNER_PASSWORD: &str = "correct horse battery staple";

/// A running sync server; killed when dropped.
pub struct SyncServer {
    child: Child,
    pub url: String,
    /// The id of the org "Acme".
    pub org_id: String,
    /// Where it listens; a restart binds the same address, so signed-in clients keep their URL.
    addr: String,
    binary: PathBuf,
    env: Vec<(String, String)>,
    data: TempDir,
}

impl Drop for SyncServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The server binary in the target folder of `beside` (a binary or test executable of the
/// same build: `cargo test --workspace` builds the server too).
pub fn server_binary(beside: &Path) -> PathBuf {
    let mut dir = beside.parent().unwrap();
    if dir.ends_with("deps") {
        dir = dir.parent().unwrap();
    }
    let path = dir.join(format!("revlens-sync-server{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: build it with `cargo build -p revlens-sync-server` (`cargo test --workspace` does)",
        path.display()
    );
    path
}

impl SyncServer {
    /// Starts `binary` with a config file of `config` (TOML) and extra environment.
    pub fn start(binary: &Path, config: &str, env: &[(&str, &str)]) -> Self {
        Self::start_with(binary, "127.0.0.1:0", |_| config.to_owned(), env)
    }

    /// Starts `binary` on `bind`, with the config file `config` makes from the org's id (for
    /// sections such as `[[oidc]]` that name the org).
    pub fn start_with(binary: &Path, bind: &str, config: impl FnOnce(&str) -> String, env: &[(&str, &str)]) -> Self {
        let data = tempfile::tempdir().unwrap();
        let data_dir = data.path().to_str().unwrap();
        let mut admin = Command::new(binary)
            .args(["--data-dir", data_dir, "admin", "create-owner", "--email", OWNER_EMAIL, "--org", "Acme"])
            .arg("--password-stdin")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        admin.stdin.take().unwrap().write_all(format!("{OWNER_PASSWORD}\n").as_bytes()).unwrap();
        let out = admin.wait_with_output().unwrap();
        assert!(out.status.success(), "create-owner: {}", String::from_utf8_lossy(&out.stderr));
        // "created org {org_id} with owner {user_id}"
        let said = String::from_utf8_lossy(&out.stdout).into_owned();
        let org_id = said.split_whitespace().nth(2).unwrap_or_else(|| panic!("create-owner said {said:?}")).to_owned();

        std::fs::write(data.path().join("server.toml"), config(&org_id)).unwrap();
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let (child, addr) =
            spawn(binary, data.path(), bind, &env).unwrap_or_else(|| panic!("the server ended before listening"));
        Self { child, url: format!("http://{addr}"), org_id, addr, binary: binary.to_owned(), env, data }
    }

    /// Ends the server with SIGKILL (on Unix): no shutdown, no flush, a crash as far as it can tell.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Kills the server if it runs, then starts it again on the same data folder and address.
    pub fn restart(&mut self) {
        self.kill();
        // The port was just freed; another process could take it in between, so retry a little.
        for _ in 0..50 {
            if let Some((child, addr)) = spawn(&self.binary, self.data.path(), &self.addr, &self.env) {
                assert_eq!(addr, self.addr);
                self.child = child;
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("the server did not start again on {}", self.addr);
    }
}

/// Runs the server on `bind` and waits for the log line that says where it listens; `None` when
/// it ends first (the address is taken).
fn spawn(binary: &Path, data: &Path, bind: &str, env: &[(String, String)]) -> Option<(Child, String)> {
    let mut child = Command::new(binary)
        .args(["--bind", bind, "--data-dir", data.to_str().unwrap(), "--config"])
        .arg(data.join("server.toml"))
        .env("RUST_LOG", "info")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The log line that says where it listens; the rest is drained so the server never
    // blocks on a full pipe.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let addr = loop {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            let _ = child.wait();
            return None;
        }
        let log: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        if log["fields"]["message"] == "listening" {
            break log["fields"]["addr"].as_str().unwrap().to_owned();
        }
    };
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = stdout.read_to_end(&mut sink);
    });
    Some((child, addr))
}
