//! Operational routes: health, metrics, the OpenAPI document.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use utoipa::OpenApi;

use super::error::ApiError;
use super::ApiContext;

/// Liveness and database reachability.
#[utoipa::path(get, path = "/healthz", tag = "meta", responses((status = 200, description = "ok")))]
pub async fn healthz(State(ctx): State<ApiContext>) -> Result<&'static str, ApiError> {
    ctx.db.tx(|tx| Ok(tx.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?)).await?;
    Ok("ok")
}

/// Prometheus metrics, text format.
#[utoipa::path(get, path = "/metrics", tag = "meta", responses((status = 200, description = "Prometheus text")))]
pub async fn metrics(State(ctx): State<ApiContext>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], ctx.metrics.render())
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "meta", responses((status = 200, description = "OpenAPI 3.1")))]
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(crate::openapi::ApiDoc::openapi())
}
