//! Blob routes: content-addressed blobs, verified on arrival, deduplicated per org; one `PUT`
//! per blob up to `max_blob_bytes`, or resumable uploads in chunks for larger files. Bodies are
//! streamed into the blob store, never held whole in memory.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use futures_util::StreamExt;
use revlens_sync::{BlobStored, CreateUploadRequest, ErrorBody, Upload, UploadStarted};
use serde::Deserialize;

use super::error::{ApiError, UPLOAD_OFFSET};
use super::extractor::ApiJson;
use super::{require, ApiContext, AuthUser, ClientAddr};
use crate::audit::{self, AuditEvent};
use crate::authz::Action;
use crate::blobs::{is_sha256_hex, BlobError, BlobStore, BlobWriter};
use crate::db::{Conn, OptionalExtension};
use crate::time::{now_text, to_text};

fn checked_sha(sha256: &str) -> Result<String, ApiError> {
    let sha = sha256.to_ascii_lowercase();
    if is_sha256_hex(&sha) {
        Ok(sha)
    } else {
        Err(ApiError::validation("the SHA-256 must be 64 hex digits"))
    }
}

fn to_db(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn from_db(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The stored size of blob `sha` of `org`, when the org has it.
fn blob_size(conn: &Conn<'_>, org: &str, sha: &str) -> Result<Option<u64>, ApiError> {
    Ok(conn
        .query_row("SELECT size FROM blobs WHERE org_id = ?1 AND sha256 = ?2", [org, sha], |r| r.get::<_, i64>(0))
        .optional()?
        .map(from_db))
}

/// Records a new blob of the org (and its audit row); false when it was there already.
fn insert_blob(
    conn: &Conn<'_>,
    org: &str,
    sha: &str,
    size: u64,
    user: &AuthUser,
    addr: Option<&str>,
) -> Result<bool, ApiError> {
    let inserted = conn.execute(
        "INSERT INTO blobs (org_id, sha256, size, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (org_id, sha256) DO NOTHING",
        crate::db::params![org, sha, to_db(size), user.user_id, now_text()],
    )?;
    if inserted > 0 {
        audit::record(conn, &AuditEvent::in_org(org, &user.user_id, "blob.create", ("blob", sha), addr))?;
    }
    Ok(inserted > 0)
}

/// How a request body ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyEnd {
    Complete,
    /// More than the limit came; the writer holds the bytes before it.
    TooLarge,
    /// The connection broke off; the writer holds what arrived.
    CutOff,
}

/// Streams `body` into `writer`, at most `limit` bytes.
async fn copy_body(body: Body, writer: &mut BlobWriter, limit: u64) -> Result<BodyEnd, ApiError> {
    let mut stream = body.into_data_stream();
    while let Some(frame) = stream.next().await {
        let Ok(data) = frame else { return Ok(BodyEnd::CutOff) };
        if writer.len() + data.len() as u64 > limit {
            return Ok(BodyEnd::TooLarge);
        }
        writer.write(&data).await?;
    }
    Ok(BodyEnd::Complete)
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

/// Runs `work` on its own task: it finishes (or cleans up) even when the client goes away and
/// the request's future is dropped.
async fn detached<T: Send + 'static>(
    work: impl std::future::Future<Output = Result<T, ApiError>> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::spawn(work).await.map_err(|e| ApiError::internal(format!("blob task failed: {e}")))?
}

/// Uploads a blob. The body must hash to the SHA-256 in the path (else 400 `hash_mismatch`);
/// a blob the org already has is not stored twice. Larger than `max_blob_bytes`: 413 (use
/// `/uploads`).
#[utoipa::path(put, path = "/v1/orgs/{org}/blobs/{sha256}", tag = "blobs", security(("bearer" = [])),
    params(
        ("org" = String, Path, description = "org id"),
        ("sha256" = String, Path, description = "hex SHA-256 of the body"),
    ),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = BlobStored), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn put_blob(
    State(ctx): State<ApiContext>,
    user: AuthUser,
    addr: ClientAddr,
    Path((org, sha256)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<BlobStored>, ApiError> {
    let sha = checked_sha(&sha256)?;
    let limit = ctx.settings.max_blob_bytes as u64;
    let (check_org, check_sha, check_user) = (org.clone(), sha.clone(), user.clone());
    let exists = ctx
        .db
        .tx(move |tx| {
            require(tx, &check_user, &check_org, Action::WriteBlob)?;
            blob_size(tx, &check_org, &check_sha)
        })
        .await?;
    if content_length(&headers).is_some_and(|n| n > limit) {
        return Err(ApiError::PayloadTooLarge);
    }
    // A known blob is still hashed, so a wrong body is refused all the same, but not stored.
    let store = ctx.blobs.clone();
    let target = exists.is_none().then(|| store.blob_path(&org, &sha));
    let expected = sha.clone();
    let size = detached(async move {
        let mut writer = store.writer(target);
        match copy_body(body, &mut writer, limit).await? {
            BodyEnd::Complete => Ok(writer.finish(Some(&expected)).await?.len),
            end => {
                writer.abort().await?;
                Err(if end == BodyEnd::TooLarge {
                    ApiError::PayloadTooLarge
                } else {
                    ApiError::validation("the body was cut off")
                })
            }
        }
    })
    .await?;
    if exists.is_some() {
        return Ok(Json(BlobStored { sha256: sha, size, created: false }));
    }
    let stored_sha = sha.clone();
    let created = ctx.db.tx(move |tx| insert_blob(tx, &org, &stored_sha, size, &user, addr.as_deref())).await?;
    Ok(Json(BlobStored { sha256: sha, size, created }))
}

/// Downloads a blob of the org (streamed, with its `Content-Length`).
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
            blob_size(tx, &check_org, &check_sha)?.ok_or(ApiError::NotFound)
        })
        .await?;
    let Some((len, stream)) = ctx.blobs.read(&ctx.blobs.blob_path(&org, &sha)).await? else {
        return Err(ApiError::internal(format!("blob {sha} of org {org} is in the database but not in the store")));
    };
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream")),
        (header::CONTENT_LENGTH, HeaderValue::from(len)),
    ];
    Ok((headers, Body::from_stream(stream)).into_response())
}

/// Whether the org has a blob: 200 with its `Content-Length`, or 404. Nothing is read from the
/// store.
#[utoipa::path(head, path = "/v1/orgs/{org}/blobs/{sha256}", tag = "blobs", security(("bearer" = [])),
    params(("org" = String, Path, description = "org id"), ("sha256" = String, Path, description = "hex SHA-256")),
    responses((status = 200, description = "the org has the blob"), (status = 404, description = "it has not")))]
pub async fn head_blob(
    State(ctx): State<ApiContext>,
    user: AuthUser,
    Path((org, sha256)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let sha = checked_sha(&sha256)?;
    let size = ctx
        .db
        .tx(move |tx| {
            require(tx, &user, &org, Action::ReadBlob)?;
            blob_size(tx, &org, &sha)?.ok_or(ApiError::NotFound)
        })
        .await?;
    Ok([
        (header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream")),
        (header::CONTENT_LENGTH, HeaderValue::from(size)),
    ]
    .into_response())
}

/// An upload row as the API shows it.
struct UploadRow {
    id: String,
    sha256: String,
    size: u64,
    received: u64,
    updated_at: String,
}

impl UploadRow {
    fn to_wire(&self, ttl_secs: u64) -> Upload {
        let updated = crate::time::from_text(&self.updated_at);
        let ttl = chrono::Duration::seconds(i64::try_from(ttl_secs).unwrap_or(i64::MAX / 1000));
        Upload {
            id: self.id.clone(),
            sha256: self.sha256.clone(),
            size: self.size,
            offset: self.received,
            expires_at: to_text(updated.checked_add_signed(ttl).unwrap_or(updated)),
        }
    }
}

/// The oldest `updated_at` of an upload that has not expired.
fn live_since(ttl_secs: u64) -> String {
    let ttl = chrono::Duration::seconds(i64::try_from(ttl_secs).unwrap_or(i64::MAX / 1000));
    to_text(Utc::now().checked_sub_signed(ttl).unwrap_or_default())
}

/// The caller's live upload `id` in `org` (others' uploads and expired ones look absent).
fn load_upload(conn: &Conn<'_>, org: &str, id: &str, user: &AuthUser, ttl_secs: u64) -> Result<UploadRow, ApiError> {
    conn.query_row(
        "SELECT id, sha256, size, received, updated_at FROM uploads
         WHERE id = ?1 AND org_id = ?2 AND created_by = ?3 AND updated_at >= ?4",
        [id, org, &user.user_id, &live_since(ttl_secs)],
        |r| {
            Ok(UploadRow {
                id: r.get(0)?,
                sha256: r.get(1)?,
                size: from_db(r.get(2)?),
                received: from_db(r.get(3)?),
                updated_at: r.get(4)?,
            })
        },
    )
    .optional()?
    .ok_or(ApiError::NotFound)
}

fn chunk_keys(conn: &Conn<'_>, id: &str) -> Result<Vec<String>, ApiError> {
    let rows = conn.query("SELECT object_key FROM upload_chunks WHERE upload_id = ?1 ORDER BY start", [id])?;
    rows.iter().map(|r| r.get(0).map_err(ApiError::from)).collect()
}

/// Deletes upload `id`'s rows; the keys of its chunk objects, to delete after the commit.
fn delete_upload_rows(conn: &Conn<'_>, id: &str) -> Result<Vec<String>, ApiError> {
    let keys = chunk_keys(conn, id)?;
    conn.execute("DELETE FROM upload_chunks WHERE upload_id = ?1", [id])?;
    conn.execute("DELETE FROM uploads WHERE id = ?1", [id])?;
    Ok(keys)
}

/// Deletes chunk objects; a failure is only logged (the sweep deletes leftovers).
async fn delete_objects(store: &BlobStore, keys: Vec<String>) {
    for key in keys {
        if let Err(e) = store.delete(&object_store::path::Path::from(key)).await {
            tracing::warn!(error = %e, "could not delete a chunk of an upload");
        }
    }
}

fn upload_event<'a>(
    org: &'a str,
    user: &'a AuthUser,
    action: &'a str,
    id: &'a str,
    addr: Option<&'a str>,
) -> AuditEvent<'a> {
    AuditEvent::in_org(org, &user.user_id, action, ("upload", id), addr)
}

fn with_offset(upload: Upload, status: StatusCode) -> Response {
    let offset = HeaderValue::from(upload.offset);
    let mut response = (status, Json(upload)).into_response();
    response.headers_mut().insert(UPLOAD_OFFSET, offset);
    response
}

/// Starts a resumable upload of a file of `size` bytes hashing to `sha256`. When the org has
/// the blob already, nothing needs sending (`status: exists`); when the caller has an unfinished
/// upload of the same file, that one is answered, at its offset (200); otherwise a new one (201).
#[utoipa::path(post, path = "/v1/orgs/{org}/uploads", tag = "blobs", security(("bearer" = [])),
    params(("org" = String, Path, description = "org id")),
    request_body = CreateUploadRequest,
    responses((status = 201, body = UploadStarted, description = "a new upload"),
        (status = 200, body = UploadStarted, description = "the blob exists, or the caller's unfinished upload"),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody)))]
pub async fn create_upload(
    State(ctx): State<ApiContext>,
    user: AuthUser,
    addr: ClientAddr,
    Path(org): Path<String>,
    ApiJson(request): ApiJson<CreateUploadRequest>,
) -> Result<Response, ApiError> {
    let sha = checked_sha(&request.sha256)?;
    let size = request.size;
    let ttl = ctx.settings.blobs.upload_ttl_secs;
    let max = ctx.settings.blobs.max_upload_bytes;
    let (started, status) = ctx
        .db
        .tx(move |tx| {
            require(tx, &user, &org, Action::WriteBlob)?;
            if size > max {
                return Err(ApiError::PayloadTooLarge);
            }
            if let Some(stored) = blob_size(tx, &org, &sha)? {
                let blob = BlobStored { sha256: sha, size: stored, created: false };
                return Ok((UploadStarted::Exists { blob }, StatusCode::OK));
            }
            let now = now_text();
            let unfinished: Option<String> = tx
                .query_row(
                    "SELECT id FROM uploads WHERE org_id = ?1 AND sha256 = ?2 AND size = ?3 AND created_by = ?4
                     AND updated_at >= ?5 ORDER BY received DESC, id LIMIT 1",
                    crate::db::params![org, sha, to_db(size), user.user_id, live_since(ttl)],
                    |r| r.get(0),
                )
                .optional()?;
            let (id, status) = match unfinished {
                Some(id) => {
                    tx.execute("UPDATE uploads SET updated_at = ?1 WHERE id = ?2", [&now, &id])?;
                    (id, StatusCode::OK)
                }
                None => {
                    let id = uuid::Uuid::now_v7().to_string();
                    tx.execute(
                        "INSERT INTO uploads (id, org_id, sha256, size, received, created_by, created_at, updated_at)
                         VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6, ?6)",
                        crate::db::params![id, org, sha, to_db(size), user.user_id, now],
                    )?;
                    audit::record(tx, &upload_event(&org, &user, "upload.create", &id, addr.as_deref()))?;
                    (id, StatusCode::CREATED)
                }
            };
            let upload = load_upload(tx, &org, &id, &user, ttl)?.to_wire(ttl);
            Ok((UploadStarted::Upload { upload }, status))
        })
        .await?;
    let mut response = (status, Json(&started)).into_response();
    if let UploadStarted::Upload { upload } = &started {
        response.headers_mut().insert(UPLOAD_OFFSET, HeaderValue::from(upload.offset));
    }
    Ok(response)
}

/// The caller's upload: how many bytes it has (`offset`, also the `Upload-Offset` header), so a
/// client that was cut off resumes there. `HEAD` answers the header alone.
#[utoipa::path(get, path = "/v1/orgs/{org}/uploads/{id}", tag = "blobs", security(("bearer" = [])),
    params(("org" = String, Path, description = "org id"), ("id" = String, Path, description = "upload id")),
    responses((status = 200, body = Upload), (status = 404, body = ErrorBody)))]
pub async fn get_upload(
    State(ctx): State<ApiContext>,
    user: AuthUser,
    Path((org, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let ttl = ctx.settings.blobs.upload_ttl_secs;
    let upload = ctx
        .db
        .tx(move |tx| {
            require(tx, &user, &org, Action::WriteBlob)?;
            Ok(load_upload(tx, &org, &id, &user, ttl)?.to_wire(ttl))
        })
        .await?;
    Ok(with_offset(upload, StatusCode::OK))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ChunkQuery {
    /// Where the chunk starts: the upload's current offset.
    pub offset: u64,
}

/// Appends a chunk (the body) at `offset`, which must be the upload's offset (else 409
/// `offset_mismatch`, with the right one in `Upload-Offset`). A chunk cut off on the way is kept
/// as far as it arrived.
#[utoipa::path(put, path = "/v1/orgs/{org}/uploads/{id}", tag = "blobs", security(("bearer" = [])),
    params(("org" = String, Path, description = "org id"), ("id" = String, Path, description = "upload id"), ChunkQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = Upload), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn put_chunk(
    State(ctx): State<ApiContext>,
    user: AuthUser,
    Path((org, id)): Path<(String, String)>,
    query: Result<Query<ChunkQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let ttl = ctx.settings.blobs.upload_ttl_secs;
    let max_chunk = ctx.settings.blobs.max_chunk_bytes;
    let (check_org, check_id, check_user) = (org.clone(), id.clone(), user.clone());
    let upload = ctx
        .db
        .tx(move |tx| {
            require(tx, &check_user, &check_org, Action::WriteBlob)?;
            load_upload(tx, &check_org, &check_id, &check_user, ttl)
        })
        .await?;
    let Query(ChunkQuery { offset }) = query?;
    if offset != upload.received {
        return Err(ApiError::OffsetMismatch { expected: upload.received });
    }
    let remaining = upload.size.saturating_sub(upload.received);
    let past_the_end =
        || ApiError::validation(format!("the chunk goes past the upload's size ({} bytes)", upload.size));
    match content_length(&headers) {
        Some(n) if n > max_chunk => return Err(ApiError::PayloadTooLarge),
        Some(n) if n > remaining => return Err(past_the_end()),
        _ => {}
    }
    let store = ctx.blobs.clone();
    let db = ctx.db.clone();
    let path = store.chunk_path(&id, offset);
    let limit = max_chunk.min(remaining);
    let moved_id = id.clone();
    let (end, recorded) = detached(async move {
        let mut writer = store.writer(Some(path.clone()));
        let end = copy_body(body, &mut writer, limit).await?;
        if end == BodyEnd::TooLarge || writer.is_empty() {
            writer.abort().await?;
            return Ok((end, true));
        }
        let len = writer.finish(None).await?.len;
        let key = path.to_string();
        let recorded = db
            .tx(move |tx| {
                let moved = tx.execute(
                    "UPDATE uploads SET received = received + ?1, updated_at = ?2 WHERE id = ?3 AND received = ?4",
                    crate::db::params![to_db(len), now_text(), moved_id, to_db(offset)],
                )?;
                if moved > 0 {
                    tx.execute(
                        "INSERT INTO upload_chunks (upload_id, start, length, object_key) VALUES (?1, ?2, ?3, ?4)",
                        crate::db::params![moved_id, to_db(offset), to_db(len), key],
                    )?;
                }
                Ok(moved > 0)
            })
            .await;
        if !matches!(recorded, Ok(true)) {
            // Another chunk took this offset first, the upload is gone, or the database failed.
            store.delete(&path).await?;
        }
        Ok((end, recorded?))
    })
    .await?;
    if end == BodyEnd::TooLarge {
        return Err(if limit < max_chunk { past_the_end() } else { ApiError::PayloadTooLarge });
    }
    let upload = ctx.db.tx(move |tx| Ok(load_upload(tx, &org, &id, &user, ttl)?.to_wire(ttl))).await?;
    if !recorded {
        return Err(ApiError::OffsetMismatch { expected: upload.offset });
    }
    Ok(with_offset(upload, StatusCode::OK))
}

/// Completes an upload that has all its bytes: the SHA-256 of the whole is checked (a mismatch
/// discards the upload: 400 `hash_mismatch`) and the blob stored (deduplicated per org).
#[utoipa::path(post, path = "/v1/orgs/{org}/uploads/{id}/complete", tag = "blobs", security(("bearer" = [])),
    params(("org" = String, Path, description = "org id"), ("id" = String, Path, description = "upload id")),
    responses((status = 200, body = BlobStored), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`upload_incomplete`")))]
pub async fn complete_upload(
    State(ctx): State<ApiContext>,
    user: AuthUser,
    addr: ClientAddr,
    Path((org, id)): Path<(String, String)>,
) -> Result<Json<BlobStored>, ApiError> {
    let ttl = ctx.settings.blobs.upload_ttl_secs;
    let (check_org, check_id, check_user) = (org.clone(), id.clone(), user.clone());
    let (upload, keys, exists) = ctx
        .db
        .tx(move |tx| {
            require(tx, &check_user, &check_org, Action::WriteBlob)?;
            let upload = load_upload(tx, &check_org, &check_id, &check_user, ttl)?;
            if upload.received < upload.size {
                return Err(ApiError::UploadIncomplete { received: upload.received, size: upload.size });
            }
            let exists = blob_size(tx, &check_org, &upload.sha256)?.is_some();
            Ok((upload, chunk_keys(tx, &check_id)?, exists))
        })
        .await?;
    detached(async move {
        let store = &ctx.blobs;
        let target = (!exists).then(|| store.blob_path(&org, &upload.sha256));
        let mut writer = store.writer(target);
        for key in &keys {
            let path = object_store::path::Path::from(key.as_str());
            let Some((_, mut stream)) = store.read(&path).await? else {
                writer.abort().await?;
                return Err(ApiError::internal(format!("chunk {key} of upload {id} is missing from the store")));
            };
            while let Some(data) = stream.next().await {
                writer.write(&data.map_err(BlobError::from)?).await?;
            }
        }
        let mismatch = match writer.finish(Some(&upload.sha256)).await {
            Ok(_) => false,
            Err(BlobError::HashMismatch) => true,
            Err(e) => return Err(e.into()),
        };
        let (sha, size) = (upload.sha256.clone(), upload.size);
        let (tx_org, tx_id) = (org.clone(), id.clone());
        let (keys, created) = ctx
            .db
            .tx(move |tx| {
                let created = if mismatch {
                    audit::record(tx, &upload_event(&tx_org, &user, "upload.discard", &tx_id, addr.as_deref()))?;
                    false
                } else {
                    insert_blob(tx, &tx_org, &sha, size, &user, addr.as_deref())?
                };
                Ok((delete_upload_rows(tx, &tx_id)?, created))
            })
            .await?;
        delete_objects(store, keys).await;
        if mismatch {
            return Err(ApiError::HashMismatch);
        }
        Ok(Json(BlobStored { sha256: upload.sha256, size: upload.size, created }))
    })
    .await
}

/// Abandons the caller's upload and deletes what it holds.
#[utoipa::path(delete, path = "/v1/orgs/{org}/uploads/{id}", tag = "blobs", security(("bearer" = [])),
    params(("org" = String, Path, description = "org id"), ("id" = String, Path, description = "upload id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_upload(
    State(ctx): State<ApiContext>,
    user: AuthUser,
    addr: ClientAddr,
    Path((org, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let ttl = ctx.settings.blobs.upload_ttl_secs;
    let keys = ctx
        .db
        .tx(move |tx| {
            require(tx, &user, &org, Action::WriteBlob)?;
            load_upload(tx, &org, &id, &user, ttl)?;
            audit::record(tx, &upload_event(&org, &user, "upload.delete", &id, addr.as_deref()))?;
            delete_upload_rows(tx, &id)
        })
        .await?;
    delete_objects(&ctx.blobs, keys).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes uploads untouched for `upload_ttl_secs` (an `upload.expire` audit row each) and chunk
/// objects that no upload holds any more (left by a crash or a failed delete) once they are as
/// old. Returns how many uploads expired.
pub async fn sweep_uploads(ctx: &ApiContext) -> Result<usize, ApiError> {
    let cutoff = live_since(ctx.settings.blobs.upload_ttl_secs);
    let tx_cutoff = cutoff.clone();
    let (expired, keys, live) = ctx
        .db
        .tx(move |tx| {
            let rows = tx.query("SELECT id, org_id FROM uploads WHERE updated_at < ?1", [&tx_cutoff])?;
            let mut keys = Vec::new();
            for row in &rows {
                let (id, org): (String, String) = (row.get(0)?, row.get(1)?);
                keys.extend(delete_upload_rows(tx, &id)?);
                audit::record(
                    tx,
                    &AuditEvent {
                        org_id: Some(&org),
                        action: "upload.expire",
                        object_kind: Some("upload"),
                        object_id: Some(&id),
                        ..Default::default()
                    },
                )?;
            }
            let live = tx.query("SELECT id FROM uploads", [])?;
            let live: std::collections::HashSet<String> = live.iter().map(|r| r.get(0)).collect::<Result<_, _>>()?;
            Ok((rows.len(), keys, live))
        })
        .await?;
    delete_objects(&ctx.blobs, keys).await;
    let cutoff = crate::time::from_text(&cutoff);
    let mut listing = ctx.blobs.list_chunks();
    let mut leftovers = Vec::new();
    while let Some(meta) = listing.next().await {
        let meta = meta.map_err(BlobError::from)?;
        let orphan = ctx.blobs.upload_of_chunk(&meta.location).is_some_and(|id| !live.contains(id));
        if orphan && meta.last_modified < cutoff {
            leftovers.push(meta.location.to_string());
        }
    }
    delete_objects(&ctx.blobs, leftovers).await;
    Ok(expired)
}
