//! An S3-compatible server for the tests: moto's `moto_server` (PyPI `moto[server]`, which
//! `scripts/setup.sh` installs into `~/.cache/revlens/venv`), started once per test process on a
//! free loopback port and stopped when the process ends; a fresh bucket per test.
//!
//! The binary: `REVLENS_TEST_MOTO_SERVER` (as `scripts/test.sh` exports it), else
//! `~/.cache/revlens/venv/bin/moto_server`, else `moto_server` on the `PATH`. Without it the S3
//! tests fail under `CI=true` and are skipped (with a note) otherwise.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use futures_util::StreamExt;
use object_store::{ObjectStore, ObjectStoreExt};
use revlens_sync_server::configuration::{BlobBackend, S3Settings, Secret, Settings};
use tokio::sync::OnceCell;

static ENDPOINT: OnceCell<Option<String>> = OnceCell::const_new();
static WATCHER: std::sync::Mutex<Option<std::process::Child>> = std::sync::Mutex::new(None);

fn binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("REVLENS_TEST_MOTO_SERVER").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let cached = home.map(|h| h.join(".cache/revlens/venv/bin/moto_server")).filter(|p| p.is_file());
    cached.or_else(|| {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path).map(|dir| dir.join("moto_server")).find(|p| p.is_file())
    })
}

/// Starts moto, watched by a shell that stops it once this test process has exited.
fn start() -> Option<String> {
    let Some(moto) = binary() else {
        let message = "moto_server is missing: run scripts/setup.sh (it installs moto[server] into \
                       ~/.cache/revlens/venv) or set REVLENS_TEST_MOTO_SERVER";
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{message}");
        eprintln!("skipping the S3 tests: {message}");
        return None;
    };
    for _ in 0..5 {
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap();
        let watcher = r#"moto="$1"; port="$2"; parent="$3"
"$moto" -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
child=$!
while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1; done
kill "$child" 2>/dev/null"#;
        let mut shell = Command::new("sh")
            .args(["-c", watcher, "sh"])
            .arg(&moto)
            .arg(port.to_string())
            .arg(std::process::id().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", moto.display()));
        // moto takes a few seconds to import; it is up once it answers.
        for _ in 0..300 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                // The watcher lives as long as this process; it stops moto when the process ends.
                WATCHER.lock().unwrap().replace(shell);
                return Some(format!("http://127.0.0.1:{port}"));
            }
            if shell.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = shell.kill();
        let _ = shell.wait();
    }
    panic!("{} did not start", moto.display());
}

/// moto's endpoint, or `None` when the S3 tests are skipped.
pub async fn endpoint() -> Option<&'static str> {
    ENDPOINT.get_or_init(|| async { tokio::task::spawn_blocking(start).await.unwrap() }).await.as_deref()
}

/// A fresh bucket on moto; `None` when the S3 tests are skipped.
pub async fn fresh_bucket() -> Option<S3Bucket> {
    let endpoint = endpoint().await?.to_owned();
    let bucket = format!("test-{}", uuid::Uuid::now_v7().simple());
    let created = reqwest::Client::new().put(format!("{endpoint}/{bucket}")).send().await.unwrap();
    assert!(created.status().is_success(), "creating bucket {bucket}: {}", created.status());
    Some(S3Bucket { endpoint, bucket })
}

/// A bucket on moto.
#[derive(Debug, Clone)]
pub struct S3Bucket {
    pub endpoint: String,
    pub bucket: String,
}

impl S3Bucket {
    /// Points `settings` at this bucket (moto takes any credentials).
    pub fn configure(&self, settings: &mut Settings) {
        let mut s3 = S3Settings::new(&self.bucket);
        s3.endpoint = Some(self.endpoint.clone());
        s3.region = Some("us-east-1".into());
        s3.allow_http = true;
        s3.path_style = true;
        s3.access_key_id = Some("testing".into());
        s3.secret_access_key = Some(Secret::new("testing"));
        settings.blobs.backend = BlobBackend::S3;
        settings.blobs.s3 = Some(s3);
    }

    /// The bucket through `object_store`, apart from the server's own store.
    fn store(&self) -> object_store::aws::AmazonS3 {
        object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(&self.bucket)
            .with_endpoint(&self.endpoint)
            .with_region("us-east-1")
            .with_allow_http(true)
            .with_virtual_hosted_style_request(false)
            .with_access_key_id("testing")
            .with_secret_access_key("testing")
            .build()
            .unwrap()
    }

    /// The object at `key`, read straight from moto (bypassing the server).
    pub async fn object(&self, key: &str) -> Option<Vec<u8>> {
        match self.store().get(&object_store::path::Path::from(key)).await {
            Ok(got) => Some(got.bytes().await.unwrap().to_vec()),
            Err(object_store::Error::NotFound { .. }) => None,
            Err(e) => panic!("reading {key}: {e}"),
        }
    }

    /// The keys under `prefix`.
    pub async fn keys(&self, prefix: &str) -> Vec<String> {
        let prefix = (!prefix.is_empty()).then(|| object_store::path::Path::from(prefix));
        let listed: Vec<_> = self.store().list(prefix.as_ref()).collect().await;
        listed.into_iter().map(|meta| meta.unwrap().location.to_string()).collect()
    }
}
