//! `revlens serve` on a loopback port for the HTTP tests, and their client side.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::sync::mpsc;
use std::time::Duration;

use reqwest::blocking::Client;
use serde_json::Value;

pub struct Server {
    pub base: String,
    _dir: tempfile::TempDir,
}

/// Serves a fresh home and a two-file UI (`index.html`, `app.js`).
pub fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let ui = dir.path().join("ui");
    std::fs::create_dir_all(&ui).unwrap();
    std::fs::write(ui.join("index.html"), "<!doctype html><title>RevLens</title>").unwrap();
    std::fs::write(ui.join("app.js"), "console.log('hi')").unwrap();
    let (app, events) = revlens_http::open_app(&dir.path().join("home")).unwrap();
    let (bound_tx, bound_rx) = mpsc::channel::<SocketAddr>();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let address: SocketAddr = "127.0.0.1:0".parse().unwrap();
        runtime.block_on(revlens_http::serve(app, events, address, ui, |bound| bound_tx.send(bound).unwrap())).unwrap();
    });
    let bound = bound_rx.recv_timeout(Duration::from_secs(10)).unwrap();
    Server { base: format!("http://{bound}"), _dir: dir }
}

impl Server {
    /// `POST /api/call/{command}` as the UI sends it; no client timeout, since some commands
    /// wait (a sign-in for the browser).
    pub fn call(&self, command: &str, args: Value) -> (u16, Value) {
        let response = Client::builder()
            .timeout(None)
            .build()
            .unwrap()
            .post(format!("{}/api/call/{command}", self.base))
            .header("x-revlens", "1")
            .json(&args)
            .send()
            .unwrap();
        (response.status().as_u16(), response.json().unwrap())
    }

    /// The `/api/events` stream (checked to be server-sent events), one JSON event at a time.
    pub fn events(&self) -> mpsc::Receiver<Value> {
        let stream =
            Client::builder().timeout(None).build().unwrap().get(format!("{}/api/events", self.base)).send().unwrap();
        assert!(stream.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
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
}
