//! Blob routes: content-addressed uploads, verified on arrival, deduplicated per org.

use crate::db::OptionalExtension;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use revlens_sync::{BlobStored, ErrorBody};
use sha2::{Digest, Sha256};

use super::error::ApiError;
use super::{require, ApiContext, AuthUser, ClientAddr};
use crate::audit::{self, AuditEvent};
use crate::authz::Action;
use crate::blobs::is_sha256_hex;
use crate::time::now_text;

fn checked_sha(sha256: &str) -> Result<String, ApiError> {
    let sha = sha256.to_ascii_lowercase();
    if is_sha256_hex(&sha) {
        Ok(sha)
    } else {
        Err(ApiError::validation("the path must end with the hex SHA-256 of the blob"))
    }
}

/// Uploads a blob. The body must hash to the SHA-256 in the path (else 400 `hash_mismatch`);
/// a blob the org already has is not stored twice.
#[utoipa::path(put, path = "/v1/orgs/{org}/blobs/{sha256}", tag = "blobs", security(("bearer" = [])),
    params(
        ("org" = String, Path, description = "org id"),
        ("sha256" = String, Path, description = "hex SHA-256 of the body"),
    ),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = BlobStored), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn put_blob(
    State(ctx): State<ApiContext>,
    user: AuthUser,
    addr: ClientAddr,
    Path((org, sha256)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<BlobStored>, ApiError> {
    let sha = checked_sha(&sha256)?;
    let body = body?;
    let (check_org, check_sha, check_user) = (org.clone(), sha.clone(), user.clone());
    let exists = ctx
        .db
        .tx(move |tx| {
            require(tx, &check_user, &check_org, Action::WriteBlob)?;
            Ok(tx
                .query_row("SELECT size FROM blobs WHERE org_id = ?1 AND sha256 = ?2", [&check_org, &check_sha], |r| {
                    r.get::<_, i64>(0)
                })
                .optional()?)
        })
        .await?;
    let size = body.len() as u64;
    // Hashing (and writing) up to `max_blob_bytes` runs off the async threads.
    let store = ctx.blobs.clone();
    let (store_org, store_sha, known) = (org.clone(), sha.clone(), exists.is_some());
    tokio::task::spawn_blocking(move || {
        if hex::encode(Sha256::digest(&body)) != store_sha {
            return Err(ApiError::HashMismatch);
        }
        if known {
            return Ok(());
        }
        store.put(&store_org, &store_sha, &body).map_err(ApiError::from)
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))??;
    if exists.is_some() {
        return Ok(Json(BlobStored { sha256: sha, size, created: false }));
    }
    let stored_sha = sha.clone();
    let created = ctx
        .db
        .tx(move |tx| {
            let inserted = tx.execute(
                "INSERT INTO blobs (org_id, sha256, size, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (org_id, sha256) DO NOTHING",
                crate::db::params![org, stored_sha, i64::try_from(size).unwrap_or(i64::MAX), user.user_id, now_text()],
            )?;
            if inserted > 0 {
                audit::record(
                    tx,
                    &AuditEvent {
                        org_id: Some(&org),
                        actor_user_id: Some(&user.user_id),
                        action: "blob.create",
                        object_kind: Some("blob"),
                        object_id: Some(&stored_sha),
                        client_addr: addr.as_deref(),
                    },
                )?;
            }
            Ok(inserted > 0)
        })
        .await?;
    Ok(Json(BlobStored { sha256: sha, size, created }))
}

/// Downloads a blob of the org.
#[utoipa::path(get, path = "/v1/orgs/{org}/blobs/{sha256}", tag = "blobs", security(("bearer" = [])),
    params(("org" = String, Path, description = "org id"), ("sha256" = String, Path, description = "hex SHA-256")),
    responses(
        (status = 200, content_type = "application/octet-stream", body = Vec<u8>),
        (status = 404, body = ErrorBody),
    ))]
pub async fn get_blob(
    State(ctx): State<ApiContext>,
    user: AuthUser,
    Path((org, sha256)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let sha = checked_sha(&sha256)?;
    let (check_org, check_sha) = (org.clone(), sha.clone());
    ctx.db
        .tx(move |tx| {
            require(tx, &user, &check_org, Action::ReadBlob)?;
            tx.query_row("SELECT size FROM blobs WHERE org_id = ?1 AND sha256 = ?2", [&check_org, &check_sha], |r| {
                r.get::<_, i64>(0)
            })
            .optional()?
            .ok_or(ApiError::NotFound)
        })
        .await?;
    let store = ctx.blobs.clone();
    let bytes = tokio::task::spawn_blocking(move || store.get(&org, &sha))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))??
        .ok_or(ApiError::NotFound)?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}
