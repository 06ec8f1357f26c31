//! Share links: a read-only view of one object, expiring and revocable.

use crate::db::OptionalExtension;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use chrono::{Duration, Utc};
use revlens_sync::{CreateShareLinkRequest, ErrorBody, ShareLink, ShareLinkCreated, SharedObject};

use super::error::ApiError;
use super::extractor::ApiJson;
use super::{require, ApiContext, AuthUser, ClientAddr};
use crate::audit::{self, AuditEvent};
use crate::authz::Action;
use crate::security::{hash_token, new_token};
use crate::share_page;
use crate::time::{now_text, to_text};

/// Links live at most this long.
const MAX_LIFETIME_DAYS: i64 = 366;

/// Creates a link to one live object. The token (and the URL holding it) is in this answer only.
#[utoipa::path(post, path = "/v1/orgs/{org}/share-links", tag = "share", security(("bearer" = [])),
    params(("org" = String, Path, description = "org id")), request_body = CreateShareLinkRequest,
    responses(
        (status = 200, body = ShareLinkCreated),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn create_share_link(
    State(ctx): State<ApiContext>,
    user: AuthUser,
    addr: ClientAddr,
    Path(org): Path<String>,
    ApiJson(req): ApiJson<CreateShareLinkRequest>,
) -> Result<Json<ShareLinkCreated>, ApiError> {
    let now = Utc::now();
    if req.expires_at <= now || req.expires_at > now + Duration::days(MAX_LIFETIME_DAYS) {
        return Err(ApiError::validation(format!("expires_at must be in the future, within {MAX_LIFETIME_DAYS} days")));
    }
    let public_url = ctx.public_url.clone();
    let created = ctx
        .db
        .tx(move |tx| {
            require(tx, &user, &org, Action::CreateShareLink)?;
            let live: Option<bool> = tx
                .query_row(
                    "SELECT deleted FROM objects WHERE org_id = ?1 AND kind = ?2 AND id = ?3",
                    [&org, req.kind.as_str(), &req.id],
                    |r| r.get(0),
                )
                .optional()?;
            if live != Some(false) {
                return Err(ApiError::NotFound);
            }
            let id = uuid::Uuid::now_v7().to_string();
            let token = new_token()?;
            tx.execute(
                "INSERT INTO share_links (id, org_id, kind, object_id, token_hash, created_by, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                crate::db::params![
                    id,
                    org,
                    req.kind.as_str(),
                    req.id,
                    hash_token(&token),
                    user.user_id,
                    to_text(now),
                    to_text(req.expires_at)
                ],
            )?;
            let object = (req.kind.as_str(), req.id.as_str());
            audit::record(tx, &AuditEvent::in_org(&org, &user.user_id, "share_link.create", object, addr.as_deref()))?;
            let url = format!("{public_url}/s/{token}");
            Ok(ShareLinkCreated { id, token, url, expires_at: req.expires_at })
        })
        .await?;
    Ok(Json(created))
}

/// The org's share links, newest first (without their tokens).
#[utoipa::path(get, path = "/v1/orgs/{org}/share-links", tag = "share", security(("bearer" = [])),
    params(("org" = String, Path, description = "org id")),
    responses(
        (status = 200, body = Vec<ShareLink>),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn list_share_links(
    State(ctx): State<ApiContext>,
    user: AuthUser,
    Path(org): Path<String>,
) -> Result<Json<Vec<ShareLink>>, ApiError> {
    let links = ctx
        .db
        .tx(move |tx| {
            require(tx, &user, &org, Action::ListShareLinks)?;
            let mut stmt = tx.prepare(
                "SELECT id, kind, object_id, created_by, created_at, expires_at, revoked_at FROM share_links
                 WHERE org_id = ?1 ORDER BY id DESC",
            )?;
            let links = stmt.query_map([&org], |r| {
                Ok(ShareLink {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    object_id: r.get(2)?,
                    created_by: r.get(3)?,
                    created_at: r.get(4)?,
                    expires_at: r.get(5)?,
                    revoked_at: r.get(6)?,
                })
            })?;
            Ok(links.collect::<Result<Vec<_>, _>>()?)
        })
        .await?;
    Ok(Json(links))
}

/// Revokes a share link: it stops opening at once.
#[utoipa::path(delete, path = "/v1/orgs/{org}/share-links/{id}", tag = "share", security(("bearer" = [])),
    params(("org" = String, Path, description = "org id"), ("id" = String, Path, description = "share link id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_share_link(
    State(ctx): State<ApiContext>,
    user: AuthUser,
    addr: ClientAddr,
    Path((org, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    ctx.db
        .tx(move |tx| {
            require(tx, &user, &org, Action::RevokeShareLink)?;
            let changed = tx.execute(
                "UPDATE share_links SET revoked_at = ?1 WHERE id = ?2 AND org_id = ?3 AND revoked_at IS NULL",
                [&now_text(), &id, &org],
            )?;
            if changed == 0 {
                return Err(ApiError::NotFound);
            }
            audit::record(
                tx,
                &AuditEvent::in_org(&org, &user.user_id, "share_link.revoke", ("share_link", &id), addr.as_deref()),
            )
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The object behind a live link, or `None` for an invalid, expired or revoked link (or a
/// deleted object). Each hit is audited as `share_link.open`.
async fn find_shared(
    ctx: &ApiContext,
    addr: &ClientAddr,
    token: &str,
) -> Result<Option<share_page::SharedObject>, ApiError> {
    let hash = hash_token(token);
    let addr = addr.as_deref().map(str::to_owned);
    let found = ctx
        .db
        .tx(move |tx| {
            let row: Option<(String, String, String, String, i64, Option<String>)> = tx
                .query_row(
                    "SELECT s.org_id, s.kind, s.object_id, o.name, ob.rev, ob.body
                     FROM share_links s
                     JOIN orgs o ON o.id = s.org_id
                     JOIN objects ob ON ob.org_id = s.org_id AND ob.kind = s.kind AND ob.id = s.object_id
                     WHERE s.token_hash = ?1 AND s.revoked_at IS NULL AND s.expires_at > ?2 AND ob.deleted = 0",
                    [&hash, &now_text()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
                )
                .optional()?;
            if let Some((org, kind, object_id, ..)) = &row {
                audit::record(
                    tx,
                    &AuditEvent {
                        org_id: Some(org),
                        action: "share_link.open",
                        object_kind: Some(kind),
                        object_id: Some(object_id),
                        client_addr: addr.as_deref(),
                        ..Default::default()
                    },
                )?;
            }
            Ok(row)
        })
        .await?;
    Ok(found.map(|(_, kind, object_id, org_name, rev, body)| share_page::SharedObject {
        org_name,
        kind,
        object_id,
        rev,
        body,
    }))
}

/// The read-only page behind a share link: a dashboard's snapshot (KPI tiles, charts drawn as
/// SVG on the server, tables), or the object's name and kind when it has none
/// ([`crate::share_page`]). Invalid, expired and revoked links get one 404 page that says which
/// of them it is not.
#[utoipa::path(get, path = "/s/{token}", tag = "share", params(("token" = String, Path, description = "share token")),
    responses(
        (status = 200, content_type = "text/html", description = "the page"),
        (status = 404, content_type = "text/html", description = "invalid, revoked or expired"),
    ))]
pub async fn open_share_link(
    State(ctx): State<ApiContext>,
    addr: ClientAddr,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let Some(object) = find_shared(&ctx, &addr, &token).await? else {
        return Ok((StatusCode::NOT_FOUND, PAGE_HEADERS, Html(share_page::unavailable())).into_response());
    };
    // Drawing charts is CPU work: off the async workers.
    let app_link = share_page::app_link(&ctx.public_url, &token);
    let page = tokio::task::spawn_blocking(move || share_page::render(&object, &app_link))
        .await
        .map_err(|e| ApiError::internal(format!("share page: {e}")))?;
    Ok((PAGE_HEADERS, Html(page)).into_response())
}

/// What a share link shows, as JSON, for the app (`revlens://share/{token}?server=…`): the
/// object's kind, name, org name, revision and synced body (a dashboard's snapshot is in
/// `body.body.snapshot`). Public and read-only like `/s/{token}`, with the same checks and
/// audit; an invalid, expired or revoked link (or a deleted object) is a 404.
#[utoipa::path(get, path = "/v1/share/{token}", tag = "share", params(("token" = String, Path, description = "share token")),
    responses(
        (status = 200, body = SharedObject),
        (status = 404, body = ErrorBody, description = "invalid, revoked or expired"),
    ))]
pub async fn shared_object(
    State(ctx): State<ApiContext>,
    addr: ClientAddr,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let object = find_shared(&ctx, &addr, &token).await?.ok_or(ApiError::NotFound)?;
    let kind = object.kind.parse().map_err(|e| ApiError::internal(format!("{e}")))?;
    let body: serde_json::Value =
        object.body.as_deref().and_then(|b| serde_json::from_str(b).ok()).unwrap_or(serde_json::Value::Null);
    let name = share_page::object_name(&body, &object.object_id);
    let shared = SharedObject { kind, name, org_name: object.org_name, rev: object.rev, body };
    // Same no-store / no-referrer headers as the page: the URL holds the token.
    Ok((API_HEADERS, Json(shared)).into_response())
}

/// The JSON form's headers: nothing cached, no referrer, no sniffing.
const API_HEADERS: [(header::HeaderName, &str); 3] = [
    (header::CACHE_CONTROL, "no-store"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
];

/// The share page's headers: no script, style inline only, images only as data URLs; nothing
/// cached, no referrer (the URL holds the token), no sniffing, no framing, no indexing.
const PAGE_HEADERS: [(header::HeaderName, &str); 7] = [
    (header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'; img-src data:"),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::CACHE_CONTROL, "no-store"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::HeaderName::from_static("x-robots-tag"), "noindex"),
    (header::HeaderName::from_static("cross-origin-resource-policy"), "same-origin"),
];
