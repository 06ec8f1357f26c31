//! Building the server from its settings: data directory, database, blob store, first-start
//! setup token, listener.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;

use axum_server::tls_rustls::RustlsConfig;

use crate::blobs::{BlobError, BlobStore};
use crate::configuration::Settings;
use crate::db::{Db, DbError};
use crate::http::error::ApiError;
use crate::http::oidc::OidcProviders;
use crate::http::{self, ApiContext};
use crate::limiter::{LoginLimiter, RequestLimiter};
use crate::mail::{MailError, Mailer};
use crate::metrics::Metrics;
use crate::security::{hash_token, new_token, PasswordHasherConfig};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot prepare the data directory {path}: {source}")]
    DataDir { path: std::path::PathBuf, source: std::io::Error },
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("{0}")]
    Api(#[from] ApiError),
    #[error("mail settings: {0}")]
    Mail(#[from] MailError),
    #[error(transparent)]
    Config(#[from] crate::configuration::ConfigError),
    #[error(transparent)]
    Blobs(#[from] BlobError),
    #[error("TLS certificate {cert} or key {key}: {source}")]
    Tls { cert: std::path::PathBuf, key: std::path::PathBuf, source: std::io::Error },
}

/// A built server, bound to its port, not yet serving.
pub struct Application {
    listener: TcpListener,
    local_addr: SocketAddr,
    router: axum::Router,
    setup_token: Option<String>,
    /// Set when `[tls]` is: the server speaks HTTPS only.
    tls: Option<RustlsConfig>,
}

/// Opens the data directory and the database, and builds the shared context.
pub async fn build_context(settings: Settings) -> Result<ApiContext, StartupError> {
    let data_err = |source| StartupError::DataDir { path: settings.data_dir.clone(), source };
    std::fs::create_dir_all(&settings.data_dir).map_err(data_err)?;
    settings.check_blobs()?;
    let blobs = BlobStore::from_settings(&settings)?;
    let db = Db::open_url(&settings.database_url()).await?;
    let passwords = PasswordHasherConfig::new(&settings.argon2)?;
    let scheme = if settings.tls.is_some() { "https" } else { "http" };
    let public_url = settings.public_url.clone().unwrap_or_else(|| format!("{scheme}://{}", settings.bind));
    let mailer = settings.smtp.as_ref().map(Mailer::new).transpose()?.map(Arc::new);
    let oidc = Arc::new(OidcProviders::new(&settings.oidc)?);
    Ok(ApiContext {
        limiter: Arc::new(LoginLimiter::new(settings.login.clone(), db.clone())),
        mail_limiter: Arc::new(RequestLimiter::new(
            std::time::Duration::from_secs(settings.mail_limits.window_secs),
            db.clone(),
        )),
        mailer,
        settings: Arc::new(settings),
        db,
        blobs,
        passwords: Arc::new(passwords),
        metrics: Arc::new(Metrics::default()),
        public_url: public_url.trim_end_matches('/').into(),
        oidc,
    })
}

impl Application {
    /// Binds `settings.bind` (port 0 picks a free port) and prepares everything. When the
    /// database has no user yet, a one-time setup token is made (see [`Self::setup_token`]).
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let addr = settings.bind;
        let listener = TcpListener::bind(addr).await.map_err(|source| StartupError::Bind { addr, source })?;
        Self::build_on(settings, listener).await
    }

    /// Like [`Self::build`], on a listener bound already (its address replaces `bind`): a caller
    /// that must know the address first, to register it somewhere, binds it itself.
    pub async fn build_on(mut settings: Settings, listener: TcpListener) -> Result<Self, StartupError> {
        let addr = settings.bind;
        let local_addr = listener.local_addr().map_err(|source| StartupError::Bind { addr, source })?;
        settings.bind = local_addr;
        let tls = match &settings.tls {
            Some(tls) => Some(RustlsConfig::from_pem_file(&tls.cert_path, &tls.key_path).await.map_err(|source| {
                StartupError::Tls { cert: tls.cert_path.clone(), key: tls.key_path.clone(), source }
            })?),
            None => None,
        };
        let ctx = build_context(settings).await?;
        let setup_token = ctx
            .db
            .tx(|tx| {
                let users: i64 = tx.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?;
                if users > 0 {
                    return Ok(None);
                }
                // A fresh token each start; older ones stop working.
                tx.execute("DELETE FROM setup_tokens WHERE used_at IS NULL", [])?;
                let token = new_token()?;
                tx.execute(
                    "INSERT INTO setup_tokens (token_hash, created_at) VALUES (?1, ?2)",
                    [&hash_token(&token), &crate::time::now_text()],
                )?;
                Ok(Some(token))
            })
            .await?;
        tokio::spawn(sweep_uploads_forever(ctx.clone()));
        Ok(Self { listener, local_addr, router: http::router(ctx)?, setup_token, tls })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn port(&self) -> u16 {
        self.local_addr.port()
    }

    /// The one-time token that `POST /v1/setup` redeems, when no user exists yet.
    pub fn setup_token(&self) -> Option<&str> {
        self.setup_token.as_deref()
    }

    /// Whether the server speaks HTTPS (`[tls]`).
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Serves until the process gets Ctrl-C or SIGTERM.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        let Some(tls) = self.tls else {
            return axum::serve(self.listener, service).with_graceful_shutdown(shutdown_signal()).await;
        };
        // axum-server does the TLS handshakes, each in its own task with a timeout, so a slow
        // client cannot hold up the others.
        let handle = axum_server::Handle::new();
        let stopper = handle.clone();
        tokio::spawn(async move {
            shutdown_signal().await;
            stopper.graceful_shutdown(Some(std::time::Duration::from_secs(30)));
        });
        axum_server::from_tcp_rustls(self.listener.into_std()?, tls)?.handle(handle).serve(service).await
    }
}

/// Deletes expired uploads every `sweep_interval_secs` (each instance does; the deletes are
/// idempotent).
async fn sweep_uploads_forever(ctx: ApiContext) {
    let mut interval = tokio::time::interval(std::time::Duration::from_secs(ctx.settings.blobs.sweep_interval_secs));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        match http::blobs::sweep_uploads(&ctx).await {
            Ok(0) => {}
            Ok(expired) => tracing::info!(expired, "expired unfinished uploads"),
            Err(e) => tracing::warn!(error = %e, "the sweep of expired uploads failed"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
