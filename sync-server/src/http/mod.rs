//! The HTTP API: one [`ApiContext`], one error type ([`error::ApiError`]), the [`AuthUser`]
//! extractor, and one module per area.

pub mod account;
pub mod auth;
pub mod blobs;
pub mod error;
pub mod extractor;
pub mod meta;
pub mod oidc;
pub mod orgs;
pub mod pages;
pub mod share;
pub mod sync;

use std::sync::Arc;
use std::time::Instant;

use crate::db::{Conn, OptionalExtension};
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath, State};
use axum::http::{header, HeaderName, HeaderValue, Method, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{delete, get, patch, post};
use axum::Router;
use revlens_sync::Role;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::authz::{authorize, Action};
use crate::blobs::BlobStore;
use crate::configuration::Settings;
use crate::db::Db;
use crate::limiter::{LoginLimiter, RequestLimiter};
use crate::mail::Mailer;
use crate::metrics::Metrics;
use crate::security::PasswordHasherConfig;
use error::ApiError;
pub use extractor::{AuthUser, ClientAddr};

/// Everything a handler may need; cheap to clone.
#[derive(Clone)]
pub struct ApiContext {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub blobs: BlobStore,
    pub passwords: Arc<PasswordHasherConfig>,
    pub limiter: Arc<LoginLimiter>,
    /// Account mails asked for (password resets, email changes).
    pub mail_limiter: Arc<RequestLimiter>,
    /// `None` without `[smtp]` settings: mail-sending routes answer 503.
    pub mailer: Option<Arc<Mailer>>,
    pub metrics: Arc<Metrics>,
    /// The base of share-link URLs, without a trailing slash.
    pub public_url: Arc<str>,
    /// OIDC providers' discovery documents and the HTTP client for them.
    pub oidc: Arc<oidc::OidcProviders>,
}

/// The caller's role in `org`, when it allows `action`. Not a member: [`ApiError::NotFound`]
/// (an org one does not belong to looks absent); a member whose role does not allow it:
/// [`ApiError::Forbidden`].
pub fn require(conn: &Conn<'_>, user: &AuthUser, org: &str, action: Action) -> Result<Role, ApiError> {
    let role: Role = conn
        .query_row("SELECT role FROM memberships WHERE org_id = ?1 AND user_id = ?2", [org, &user.user_id], |r| {
            r.get(0)
        })
        .optional()?
        .ok_or(ApiError::NotFound)?;
    authorize(role, action)?;
    Ok(role)
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application: routes, body limits, request ids, logs, metrics and, when
/// `[cors]` allows origins, CORS.
pub fn router(ctx: ApiContext) -> Result<Router, ApiError> {
    let cors = cors_layer(&ctx.settings.cors.allowed_origins)?;
    let max_json = ctx.settings.max_json_bytes;
    // The blob and chunk routes stream their bodies and count them against their own limits
    // (`max_blob_bytes`, `max_chunk_bytes`); the body limit below is for JSON.
    let api = Router::new()
        .route("/healthz", get(meta::healthz))
        .route("/metrics", get(meta::metrics))
        .route("/openapi.json", get(meta::openapi))
        .route("/v1/setup", post(auth::setup))
        .route("/v1/auth/login", post(auth::login))
        .route("/v1/auth/refresh", post(auth::refresh))
        .route("/v1/auth/logout", post(auth::logout))
        .route("/v1/auth/oidc/{org}/start", get(oidc::start))
        .route("/v1/auth/oidc/callback", get(oidc::callback))
        .route("/v1/auth/oidc/token", post(oidc::token))
        .route("/v1/me", get(auth::me).patch(auth::update_me))
        .route("/v1/me/password", post(auth::change_password))
        .route("/v1/auth/password-reset", post(account::request_password_reset))
        .route("/v1/auth/password-reset/confirm", post(account::confirm_password_reset))
        .route("/v1/me/email", post(account::request_email_change))
        .route("/v1/me/email/confirm", post(account::confirm_email_change))
        .route("/reset-password", get(pages::reset_password))
        .route("/confirm-email", get(pages::confirm_email))
        .route("/v1/orgs/{org}/members", get(orgs::list_members))
        .route("/v1/orgs/{org}/members/{user}", patch(orgs::change_role).delete(orgs::remove_member))
        .route("/v1/orgs/{org}/invitations", post(orgs::create_invitation).get(orgs::list_invitations))
        .route("/v1/orgs/{org}/invitations/{id}", delete(orgs::revoke_invitation))
        .route("/v1/invitations/accept", post(orgs::accept_invitation))
        .route("/v1/orgs/{org}/audit", get(orgs::audit))
        .route("/v1/orgs/{org}/push", post(sync::push))
        .route("/v1/orgs/{org}/pull", get(sync::pull))
        .route("/v1/orgs/{org}/blobs/{sha256}", get(blobs::get_blob).head(blobs::head_blob).put(blobs::put_blob))
        .route("/v1/orgs/{org}/uploads", post(blobs::create_upload))
        .route("/v1/orgs/{org}/uploads/{id}", get(blobs::get_upload).put(blobs::put_chunk).delete(blobs::delete_upload))
        .route("/v1/orgs/{org}/uploads/{id}/complete", post(blobs::complete_upload))
        .route("/v1/orgs/{org}/share-links", post(share::create_share_link).get(share::list_share_links))
        .route("/v1/orgs/{org}/share-links/{id}", delete(share::revoke_share_link))
        .route("/s/{token}", get(share::open_share_link))
        .route("/v1/share/{token}", get(share::shared_object))
        .layer(DefaultBodyLimit::max(max_json));
    let router = api
        .fallback(|| async { ApiError::NotFound })
        .layer(middleware::from_fn_with_state(ctx.clone(), track_metrics))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<Body>| {
                    // The route template, never the raw URI: a share link's path holds its token.
                    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str);
                    let request_id = req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
                    tracing::info_span!("request", method = %req.method(), route, request_id)
                })
                .on_request(())
                .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(ctx);
    // Outermost, so preflights are answered before anything else runs.
    Ok(match cors {
        Some(cors) => router.layer(cors),
        None => router,
    })
}

/// CORS for exactly `origins` (`scheme://host[:port]`, no wildcard): bearer tokens, no cookies,
/// so no credentials mode. `None` for an empty list: browsers then refuse every cross-origin call.
fn cors_layer(origins: &[String]) -> Result<Option<CorsLayer>, ApiError> {
    if origins.is_empty() {
        return Ok(None);
    }
    let mut allowed = Vec::with_capacity(origins.len());
    for origin in origins {
        let url = reqwest::Url::parse(origin).ok();
        let exact = url.as_ref().is_some_and(|u| {
            matches!(u.scheme(), "http" | "https") && u.host_str().is_some() && u.path() == "/" && u.query().is_none()
        }) && !origin.ends_with('/');
        let value = HeaderValue::from_str(origin).ok().filter(|_| exact);
        allowed.push(value.ok_or_else(|| {
            ApiError::validation(format!(
                "[cors] allowed_origins: {origin:?} is not an origin like https://app.example.com"
            ))
        })?);
    }
    Ok(Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(allowed))
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, REQUEST_ID])
            .expose_headers([REQUEST_ID, header::RETRY_AFTER])
            .max_age(std::time::Duration::from_secs(600)),
    ))
}

async fn track_metrics(State(ctx): State<ApiContext>, req: Request<Body>, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(req).await;
    ctx.metrics.record_request(&method, &route, response.status().as_u16(), started.elapsed());
    response
}

#[cfg(test)]
mod tests {
    use axum::body::{to_bytes, Body};
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    use crate::configuration::Settings;
    use crate::startup::build_context;

    async fn app(dir: &std::path::Path) -> axum::Router {
        let mut settings = Settings { data_dir: dir.to_owned(), ..Settings::default() };
        settings.argon2.memory_kib = 64;
        settings.argon2.iterations = 1;
        match build_context(settings).await {
            Ok(ctx) => match super::router(ctx) {
                Ok(router) => router,
                Err(e) => panic!("router: {e}"),
            },
            Err(e) => panic!("context: {e}"),
        }
    }

    async fn call(router: axum::Router, uri: &str) -> (StatusCode, String) {
        let request = Request::get(uri).body(Body::empty()).unwrap_or_default();
        let response = match router.oneshot(request).await {
            Ok(r) => r,
            Err(never) => match never {},
        };
        let status = response.status();
        let body = to_bytes(response.into_body(), 1 << 20).await.unwrap_or_default();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn in_process_requests_get_the_error_shape() {
        let dir = tempfile::tempdir().ok();
        let Some(dir) = dir else { return };
        let (status, body) = call(app(dir.path()).await, "/healthz").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
        let (status, body) = call(app(dir.path()).await, "/v1/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body, r#"{"error":{"code":"unauthorized","message":"authentication required"}}"#);
        let (status, body) = call(app(dir.path()).await, "/v1/orgs/x/pull?cookie=-1").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "authentication comes before input checks: {body}");
    }
}
