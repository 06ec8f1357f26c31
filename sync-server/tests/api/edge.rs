//! The server's edge settings: HTTPS with a certificate from `[tls]`, and CORS from `[cors]`.

use reqwest::{Method, StatusCode};
use revlens_sync_server::configuration::TlsSettings;
use revlens_sync_server::startup::Application;

use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn the_server_speaks_https_with_the_configured_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_pem = certified.cert.pem();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, &cert_pem).unwrap();
    std::fs::write(&key_path, certified.signing_key.serialize_pem()).unwrap();
    let app = spawn_app_with(|s| s.tls = Some(TlsSettings { cert_path, key_path })).await;
    assert!(app.address.starts_with("https://"), "{}", app.address);
    let port = app.settings.bind.port();

    let trusting = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert_pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let health = trusting.get(format!("https://localhost:{port}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(health.text().await.unwrap(), "ok");
    // Share links and mailed links point at https by default.
    let me = trusting.get(format!("https://localhost:{port}/v1/me")).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);

    // A client that does not trust the certificate, and plain HTTP, get nowhere.
    let default_roots = reqwest::Client::new();
    assert!(default_roots.get(format!("https://localhost:{port}/healthz")).send().await.is_err());
    let plain = reqwest::Client::new().get(format!("http://127.0.0.1:{port}/healthz")).send().await;
    assert!(plain.is_err() || plain.is_ok_and(|r| r.status() != StatusCode::OK));
}

#[tokio::test]
async fn a_missing_or_broken_certificate_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, "not a certificate").unwrap();
    let (mut settings, _data) = crate::helpers::test_settings().await;
    settings.tls = Some(TlsSettings { cert_path, key_path });
    let err = Application::build(settings).await.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("key.pem"), "{err}");
}

async fn preflight(app: &crate::helpers::TestApp, origin: &str) -> reqwest::Response {
    app.client
        .request(Method::OPTIONS, format!("{}/v1/me", app.address))
        .header("origin", origin)
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn cors_allows_exactly_the_configured_origins() {
    let app = spawn_app_with(|s| s.cors.allowed_origins = vec!["https://app.example.com".to_owned()]).await;
    let allowed = preflight(&app, "https://app.example.com").await;
    assert!(allowed.status().is_success(), "{}", allowed.status());
    let headers = allowed.headers();
    assert_eq!(headers["access-control-allow-origin"], "https://app.example.com");
    let methods = headers["access-control-allow-methods"].to_str().unwrap().to_owned();
    assert!(methods.contains("GET") && methods.contains("DELETE"), "{methods}");
    let allowed_headers = headers["access-control-allow-headers"].to_str().unwrap().to_ascii_lowercase();
    assert!(allowed_headers.contains("authorization"), "{allowed_headers}");
    assert!(headers.get("access-control-allow-credentials").is_none(), "bearer tokens, no cookies");

    let other = preflight(&app, "https://evil.example").await;
    assert!(other.headers().get("access-control-allow-origin").is_none());
    // A real cross-origin request gets the header (and the usual error body).
    let me = app.client.get(format!("{}/v1/me", app.address)).header("origin", "https://app.example.com").send();
    let me = me.await.unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(me.headers()["access-control-allow-origin"], "https://app.example.com");
}

#[tokio::test]
async fn by_default_no_origin_is_allowed_and_wildcards_are_refused() {
    let app = spawn_app().await;
    let response = preflight(&app, "https://app.example.com").await;
    assert!(response.headers().get("access-control-allow-origin").is_none());
    let health = app.client.get(format!("{}/healthz", app.address)).header("origin", "https://app.example.com");
    assert!(health.send().await.unwrap().headers().get("access-control-allow-origin").is_none());

    for bad in ["*", "https://app.example.com/", "app.example.com", "https://app.example.com/path"] {
        let (mut settings, _data) = crate::helpers::test_settings().await;
        settings.cors.allowed_origins = vec![bad.to_owned()];
        assert!(Application::build(settings).await.is_err(), "{bad:?} is refused");
    }
}
