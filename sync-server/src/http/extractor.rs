//! Extractors: the signed-in user, and the client's address.

use std::net::SocketAddr;

use crate::db::OptionalExtension;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::error::ApiError;
use super::ApiContext;
use crate::security::hash_token;

/// The user behind a valid, unexpired, unrevoked bearer access token.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user_id: String,
    /// The session (login) the token belongs to.
    pub family_id: String,
}

impl FromRequestParts<ApiContext> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, ctx: &ApiContext) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or(ApiError::Unauthorized)?;
        let token = header.strip_prefix("Bearer ").map(str::trim).ok_or(ApiError::Unauthorized)?;
        if token.is_empty() || token.len() > 128 {
            return Err(ApiError::Unauthorized);
        }
        let hash = hash_token(token);
        let now = crate::time::now_text();
        ctx.db
            .tx(move |tx| {
                tx.query_row(
                    "SELECT user_id, family_id FROM auth_tokens
                     WHERE token_hash = ?1 AND kind = 'access' AND revoked_at IS NULL AND expires_at > ?2",
                    [&hash, &now],
                    |r| Ok(AuthUser { user_id: r.get(0)?, family_id: r.get(1)? }),
                )
                .optional()?
                .ok_or(ApiError::Unauthorized)
            })
            .await
    }
}

/// The peer's IP address, as the audit log and the login limiter see it.
#[derive(Debug, Clone)]
pub struct ClientAddr(pub Option<String>);

impl ClientAddr {
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// The address, or `unknown` (the limiter's key when there is none).
    pub fn or_unknown(&self) -> &str {
        self.0.as_deref().unwrap_or("unknown")
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let addr = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(a)| a.ip().to_string());
        Ok(ClientAddr(addr))
    }
}

/// `axum::Json` whose rejections are [`ApiError`]s (the error shape, 400 or 413).
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::Json::<T>::from_request(req, state).await.map(|axum::Json(value)| ApiJson(value)).map_err(ApiError::from)
    }
}

/// `axum::extract::Query` whose rejections are [`ApiError`]s.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| ApiQuery(value))
            .map_err(ApiError::from)
    }
}
