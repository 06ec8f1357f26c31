//! The command line is a contract: `admin create-owner --password-stdin`, then the server
//! started with `--bind` and `--data-dir` serves that owner.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use reqwest::StatusCode;

use crate::helpers::PASSWORD;

const BIN: &str = env!("CARGO_BIN_EXE_revlens-sync-server");

/// Kills the server when the test ends, however it ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn create_owner_then_serve() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();

    let mut admin = Command::new(BIN)
        .args([
            "--data-dir",
            data,
            "admin",
            "create-owner",
            "--email",
            "ops@example.com",
            "--org",
            "Ops",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    admin.stdin.take().unwrap().write_all(format!("{PASSWORD}\n").as_bytes()).unwrap();
    let out = admin.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("created org "));

    let mut server = Child(
        Command::new(BIN)
            .args(["--bind", "127.0.0.1:0", "--data-dir", data])
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // The first log line says where it listens.
    let stdout = server.0.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let log: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(log["fields"]["message"], "listening", "{line}");
    let addr = log["fields"]["addr"].as_str().unwrap().to_owned();

    let client = reqwest::Client::new();
    let login = client
        .post(format!("http://{addr}/v1/auth/login"))
        .json(&serde_json::json!({"email": "ops@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    assert!(dir.path().join("revlens-sync.sqlite").exists());
    assert!(dir.path().join("blobs").is_dir());
}

#[tokio::test]
async fn the_first_start_prints_a_setup_token_and_never_logs_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Child(
        Command::new(BIN)
            .args(["--bind", "127.0.0.1:0", "--data-dir", dir.path().to_str().unwrap()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut stderr = BufReader::new(server.0.stderr.take().unwrap());
    let mut notice = String::new();
    stderr.read_line(&mut notice).unwrap();
    stderr.read_line(&mut notice).unwrap();
    let token = notice.split("\"token\": \"").nth(1).and_then(|rest| rest.split('"').next()).unwrap().to_owned();
    assert_eq!(token.len(), 43, "{notice}");

    let mut stdout = BufReader::new(server.0.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let log: serde_json::Value = serde_json::from_str(&line).unwrap();
    let addr = log["fields"]["addr"].as_str().unwrap().to_owned();
    let body = serde_json::json!({"token": token, "email": "first@example.com", "password": PASSWORD, "name": "First", "org": "One"});
    let setup = reqwest::Client::new().post(format!("http://{addr}/v1/setup")).json(&body).send().await.unwrap();
    assert_eq!(setup.status(), StatusCode::OK);

    server.0.kill().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert!(rest.contains("/v1/setup"), "the request was logged: {rest}");
    assert!(!rest.contains(&token), "the setup token reached the log");
}

#[tokio::test]
async fn blobs_go_to_the_bucket_the_environment_names_and_its_secret_is_never_logged() {
    let Some(bucket) = crate::moto_server::fresh_bucket().await else { return };
    let secret = "SECRET-access-key-never-logged-7f3a";
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let command = |args: &[&str]| {
        let mut command = Command::new(BIN);
        command
            .args(["--data-dir", data])
            .args(args)
            .env("RUST_LOG", "debug")
            .env("REVLENS_SYNC_BLOB_BACKEND", "s3")
            .env("REVLENS_SYNC_S3_BUCKET", &bucket.bucket)
            .env("REVLENS_SYNC_S3_ENDPOINT", &bucket.endpoint)
            .env("REVLENS_SYNC_S3_REGION", "us-east-1")
            .env("REVLENS_SYNC_S3_ALLOW_HTTP", "true")
            .env("REVLENS_SYNC_S3_PATH_STYLE", "true")
            .env("AWS_ACCESS_KEY_ID", "testing-key-id")
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    };
    let mut admin =
        command(&["admin", "create-owner", "--email", "ops@example.com", "--org", "Ops", "--password-stdin"])
            .spawn()
            .unwrap();
    admin.stdin.take().unwrap().write_all(format!("{PASSWORD}\n").as_bytes()).unwrap();
    let out = admin.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let org = String::from_utf8_lossy(&out.stdout).split_whitespace().nth(2).unwrap().to_owned();

    let mut server = Child(command(&["--bind", "127.0.0.1:0"]).spawn().unwrap());
    let mut stdout = BufReader::new(server.0.stdout.take().unwrap());
    let mut line = String::new();
    let log = loop {
        line.clear();
        stdout.read_line(&mut line).unwrap();
        let log: serde_json::Value = serde_json::from_str(&line).unwrap();
        if log["fields"]["message"] == "listening" {
            break log;
        }
    };
    assert_eq!(log["fields"]["blobs"], format!("s3 bucket {}", bucket.bucket).as_str(), "{line}");
    let addr = log["fields"]["addr"].as_str().unwrap().to_owned();

    let client = reqwest::Client::new();
    let login = client
        .post(format!("http://{addr}/v1/auth/login"))
        .json(&serde_json::json!({"email": "ops@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let token = login.json::<serde_json::Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
    let bytes = b"through the environment's bucket".to_vec();
    let sha = crate::blobs::sha_of(&bytes);
    let put = client.put(format!("http://{addr}/v1/orgs/{org}/blobs/{sha}")).bearer_auth(&token).body(bytes.clone());
    assert_eq!(put.send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(bucket.object(&format!("{org}/{}/{sha}", &sha[..2])).await, Some(bytes));
    assert!(!dir.path().join("blobs").exists(), "no local blob folder with the s3 backend");

    server.0.kill().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let mut errors = String::new();
    std::io::Read::read_to_string(&mut server.0.stderr.take().unwrap(), &mut errors).unwrap();
    assert!(rest.contains("/v1/orgs/{org}/blobs/{sha256}"), "the request was logged: {rest}");
    let admin_output = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    for text in [&line, &rest, &errors, &admin_output] {
        assert!(!text.contains(secret), "the S3 secret reached the output: {text}");
    }
}
