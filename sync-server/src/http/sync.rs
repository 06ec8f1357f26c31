//! The change feed: push and pull (DESIGN.md, "Sync").

use crate::db::{Conn, OptionalExtension};
use axum::extract::{Path, State};
use axum::Json;
use revlens_sync::sync::MutationOp;
use revlens_sync::{Change, ErrorBody, Mutation, MutationResult, PullResponse, PushRequest, PushResponse, SyncKind};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::error::ApiError;
use super::extractor::{ApiJson, ApiQuery};
use super::{require, ApiContext, AuthUser, ClientAddr};
use crate::audit::{self, AuditEvent};
use crate::authz::Action;
use crate::merge::merge;
use crate::time::now_text;

const MAX_MUTATIONS_PER_PUSH: usize = 1000;
const MAX_ID_LEN: usize = 200;

fn to_i64(n: u64, what: &str) -> Result<i64, ApiError> {
    i64::try_from(n).map_err(|_| ApiError::validation(format!("{what} is too large")))
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn check_client_id(client_id: &str) -> Result<(), ApiError> {
    if client_id.is_empty() || client_id.len() > MAX_ID_LEN {
        return Err(ApiError::validation(format!("client_id must have 1 to {MAX_ID_LEN} characters")));
    }
    Ok(())
}

fn check_mutation(m: &Mutation) -> Result<(), ApiError> {
    if m.id.is_empty() || m.id.len() > MAX_ID_LEN {
        return Err(ApiError::validation(format!(
            "mutation {}: id must have 1 to {MAX_ID_LEN} characters",
            m.mutation_id
        )));
    }
    if m.mutation_id == 0 {
        return Err(ApiError::validation("mutation ids start at 1"));
    }
    to_i64(m.mutation_id, "mutation_id")?;
    to_i64(m.base_rev, "base_rev")?;
    m.op().map(|_| ()).map_err(|e| ApiError::validation(format!("mutation {}: {e}", m.mutation_id)))
}

/// Applies the client's mutations in order, once each: ids at or below the last one applied for
/// this client are answered `already_applied`. A stale `base_rev` is merged when the edits are
/// disjoint, otherwise answered `conflict` with the server's version, the client's edit kept as
/// a conflicted copy. All of it, audit rows included, in one transaction.
#[utoipa::path(post, path = "/v1/orgs/{org}/push", tag = "sync", security(("bearer" = [])),
    params(("org" = String, Path, description = "org id")), request_body = PushRequest,
    responses((status = 200, body = PushResponse), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn push(
    State(ctx): State<ApiContext>,
    user: AuthUser,
    addr: ClientAddr,
    Path(org): Path<String>,
    ApiJson(req): ApiJson<PushRequest>,
) -> Result<Json<PushResponse>, ApiError> {
    check_client_id(&req.client_id)?;
    if req.mutations.len() > MAX_MUTATIONS_PER_PUSH {
        return Err(ApiError::validation(format!("at most {MAX_MUTATIONS_PER_PUSH} mutations per push")));
    }
    for pair in req.mutations.windows(2) {
        if pair[1].mutation_id <= pair[0].mutation_id {
            return Err(ApiError::validation("mutation ids must increase within a push"));
        }
    }
    req.mutations.iter().try_for_each(check_mutation)?;
    let response = ctx
        .db
        .tx(move |tx| {
            require(tx, &user, &org, Action::Push)?;
            // Take the org row's write lock first: pushes to one org then run one after the
            // other even across server instances on one PostgreSQL database (SQLite has one
            // writer anyway), so what `apply` reads stays current until the commit.
            tx.execute("UPDATE orgs SET version = version WHERE id = ?1", [&org])?;
            let client: Option<(String, i64)> = tx
                .query_row(
                    "SELECT user_id, last_mutation_id FROM sync_clients WHERE org_id = ?1 AND client_id = ?2",
                    [&org, &req.client_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((owner, _)) = &client {
                if *owner != user.user_id {
                    return Err(ApiError::Forbidden);
                }
            }
            let mut last = client.as_ref().map_or(0, |(_, last)| to_u64(*last));
            let mut results = Vec::with_capacity(req.mutations.len());
            let site = Site { org: &org, user: &user.user_id, client_id: &req.client_id, addr: addr.as_deref() };
            for m in &req.mutations {
                if m.mutation_id <= last {
                    results.push(MutationResult::AlreadyApplied { mutation_id: m.mutation_id });
                    continue;
                }
                results.push(apply(tx, &site, m)?);
                last = m.mutation_id;
            }
            tx.execute(
                "INSERT INTO sync_clients (org_id, client_id, user_id, last_mutation_id, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (org_id, client_id) DO UPDATE SET last_mutation_id = excluded.last_mutation_id,
                     updated_at = excluded.updated_at",
                crate::db::params![org, req.client_id, user.user_id, to_i64(last, "mutation_id")?, now_text()],
            )?;
            Ok(PushResponse { results, last_mutation_id: last })
        })
        .await?;
    for r in &response.results {
        ctx.metrics.mutation(match r {
            MutationResult::Applied { merged: false, .. } => "applied",
            MutationResult::Applied { merged: true, .. } => "merged",
            MutationResult::Conflict { .. } => "conflict",
            MutationResult::AlreadyApplied { .. } => "already_applied",
        });
    }
    Ok(Json(response))
}

/// Where a push comes from.
struct Site<'a> {
    org: &'a str,
    user: &'a str,
    client_id: &'a str,
    addr: Option<&'a str>,
}

/// An object's stored state.
struct Current {
    rev: u64,
    body: Option<Value>,
    deleted: bool,
    change: Change,
}

fn parse_body(text: Option<String>) -> Result<Option<Value>, ApiError> {
    text.map(|t| serde_json::from_str(&t)).transpose().map_err(|e| ApiError::internal(format!("stored body: {e}")))
}

fn load(conn: &Conn<'_>, org: &str, kind: SyncKind, id: &str) -> Result<Option<Current>, ApiError> {
    type Row = (i64, i64, Option<String>, bool, Option<String>);
    let row: Option<Row> = conn
        .query_row(
            "SELECT rev, version, body, deleted, conflict_of FROM objects WHERE org_id = ?1 AND kind = ?2 AND id = ?3",
            [org, kind.as_str(), id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    let Some((rev, version, body, deleted, conflict_of)) = row else { return Ok(None) };
    let body = parse_body(body)?;
    let change = Change {
        kind,
        id: id.to_owned(),
        rev: to_u64(rev),
        version: to_u64(version),
        body: body.clone(),
        deleted,
        conflict_of,
    };
    Ok(Some(Current { rev: to_u64(rev), body, deleted, change }))
}

fn revision_body(conn: &Conn<'_>, org: &str, kind: SyncKind, id: &str, rev: u64) -> Result<Option<Value>, ApiError> {
    let body: Option<Option<String>> = conn
        .query_row(
            "SELECT body FROM object_revisions WHERE org_id = ?1 AND kind = ?2 AND id = ?3 AND rev = ?4 AND deleted = 0",
            crate::db::params![org, kind.as_str(), id, to_i64(rev, "base_rev")?],
            |r| r.get(0),
        )
        .optional()?;
    parse_body(body.flatten())
}

/// A new revision of one object.
struct Revision<'a> {
    kind: SyncKind,
    id: &'a str,
    rev: u64,
    /// `None` deletes.
    body: Option<&'a Value>,
    conflict_of: Option<&'a str>,
    /// For a merge: the body the client sent.
    client_body: Option<&'a Value>,
    /// The audit action.
    action: &'a str,
}

impl<'a> Revision<'a> {
    fn new(m: &'a Mutation, rev: u64, body: Option<&'a Value>, action: &'a str) -> Self {
        Self { kind: m.kind, id: &m.id, rev, body, conflict_of: None, client_body: None, action }
    }
}

fn to_text(body: Option<&Value>) -> Result<Option<String>, ApiError> {
    body.map(serde_json::to_string).transpose().map_err(|e| ApiError::internal(e.to_string()))
}

/// Writes a revision, bumping the org version, with its audit row.
fn write(conn: &Conn<'_>, site: &Site<'_>, r: &Revision<'_>) -> Result<(), ApiError> {
    let version: i64 =
        conn.query_row("UPDATE orgs SET version = version + 1 WHERE id = ?1 RETURNING version", [site.org], |row| {
            row.get(0)
        })?;
    let text = to_text(r.body)?;
    let rev = to_i64(r.rev, "rev")?;
    let deleted = r.body.is_none();
    let now = now_text();
    conn.execute(
        "INSERT INTO objects (org_id, kind, id, rev, version, body, deleted, conflict_of, updated_by, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (org_id, kind, id) DO UPDATE SET rev = excluded.rev, version = excluded.version,
             body = excluded.body, deleted = excluded.deleted, updated_by = excluded.updated_by,
             updated_at = excluded.updated_at",
        crate::db::params![site.org, r.kind.as_str(), r.id, rev, version, text, deleted, r.conflict_of, site.user, now],
    )?;
    conn.execute(
        "INSERT INTO object_revisions (org_id, kind, id, rev, body, deleted, client_id, client_body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        crate::db::params![
            site.org,
            r.kind.as_str(),
            r.id,
            rev,
            text,
            deleted,
            site.client_id,
            to_text(r.client_body)?
        ],
    )?;
    audit::record(conn, &AuditEvent::in_org(site.org, site.user, r.action, (r.kind.as_str(), r.id), site.addr))
}

fn apply(conn: &Conn<'_>, site: &Site<'_>, m: &Mutation) -> Result<MutationResult, ApiError> {
    let op = m.op().map_err(ApiError::validation)?;
    let current = load(conn, site.org, m.kind, &m.id)?;
    let current_rev = current.as_ref().map_or(0, |c| c.rev);
    let mutation_id = m.mutation_id;
    let applied = |rev, merged| MutationResult::Applied { mutation_id, rev, merged };

    if m.base_rev == current_rev || only_own_revisions_since(conn, site, m, current_rev)? {
        return match op {
            MutationOp::Put(body) => {
                let action = if current.is_none() { "object.create" } else { "object.update" };
                write(conn, site, &Revision::new(m, current_rev + 1, Some(body), action))?;
                Ok(applied(current_rev + 1, false))
            }
            MutationOp::Delete => match current {
                Some(c) if !c.deleted => {
                    write(conn, site, &Revision::new(m, current_rev + 1, None, "object.delete"))?;
                    Ok(applied(current_rev + 1, false))
                }
                // Deleting what is absent or already deleted changes nothing.
                _ => Ok(applied(current_rev, false)),
            },
        };
    }

    // A stale (or impossible, ahead-of-server) base revision. The client's body descends from
    // its own latest write since `base_rev` when there is one, else from `base_rev`.
    let base = if m.base_rev > 0 && m.base_rev < current_rev {
        match own_latest_body_since(conn, site, m)? {
            Some(own) => own,
            None => revision_body(conn, site.org, m.kind, &m.id, m.base_rev)?,
        }
    } else {
        None
    };
    let server = current.as_ref().map(|c| c.change.clone());
    match (op, &current) {
        (MutationOp::Put(body), Some(c)) if !c.deleted => {
            if let (Some(base), Some(server_body)) = (&base, &c.body) {
                if let Some(merged) = merge(base, server_body, body) {
                    let revision = Revision {
                        client_body: Some(body),
                        ..Revision::new(m, current_rev + 1, Some(&merged), "object.merge")
                    };
                    write(conn, site, &revision)?;
                    return Ok(applied(current_rev + 1, true));
                }
            }
            let copy = conflict_copy(conn, site, m, body)?;
            Ok(MutationResult::Conflict { mutation_id, server, conflict_copy_id: Some(copy) })
        }
        (MutationOp::Put(body), _) => {
            let copy = conflict_copy(conn, site, m, body)?;
            Ok(MutationResult::Conflict { mutation_id, server, conflict_copy_id: Some(copy) })
        }
        (MutationOp::Delete, Some(c)) if c.deleted => Ok(applied(current_rev, false)),
        (MutationOp::Delete, _) => Ok(MutationResult::Conflict { mutation_id, server, conflict_copy_id: None }),
    }
}

/// The body this client last sent for the object after `m.base_rev` (`Some(None)` when that write
/// was a deletion), or `None` when it wrote none since.
fn own_latest_body_since(conn: &Conn<'_>, site: &Site<'_>, m: &Mutation) -> Result<Option<Option<Value>>, ApiError> {
    let row: Option<Option<String>> = conn
        .query_row(
            "SELECT COALESCE(client_body, body) FROM object_revisions
             WHERE org_id = ?1 AND kind = ?2 AND id = ?3 AND rev > ?4 AND client_id = ?5
             ORDER BY rev DESC LIMIT 1",
            crate::db::params![site.org, m.kind.as_str(), m.id, to_i64(m.base_rev, "base_rev")?, site.client_id],
            |r| r.get(0),
        )
        .optional()?;
    row.map(parse_body).transpose()
}

/// Whether every revision after `m.base_rev` was written by the pushing client itself: its
/// mutation was then made on top of them (a client's log is sequential), so it is not stale.
fn only_own_revisions_since(
    conn: &Conn<'_>,
    site: &Site<'_>,
    m: &Mutation,
    current_rev: u64,
) -> Result<bool, ApiError> {
    if m.base_rev >= current_rev {
        return Ok(false);
    }
    let others: i64 = conn.query_row(
        "SELECT COUNT(*) FROM object_revisions WHERE org_id = ?1 AND kind = ?2 AND id = ?3 AND rev > ?4
             AND (client_id IS NULL OR client_id <> ?5)",
        crate::db::params![site.org, m.kind.as_str(), m.id, to_i64(m.base_rev, "base_rev")?, site.client_id],
        |r| r.get(0),
    )?;
    Ok(others == 0)
}

/// Keeps the client's losing edit as a new object of the same kind, `conflict_of` the original.
/// Its id is derived from the object, client and mutation ids (so a retried push cannot duplicate
/// it) and has a fixed length (so copies of copies stay valid ids).
fn conflict_copy(conn: &Conn<'_>, site: &Site<'_>, m: &Mutation, body: &Value) -> Result<String, ApiError> {
    let seed = format!("{}\n{}\n{}\n{}", m.kind, m.id, site.client_id, m.mutation_id);
    let copy_id = format!("conflict-{}", &hex::encode(Sha256::digest(seed.as_bytes()))[..32]);
    if load(conn, site.org, m.kind, &copy_id)?.is_none() {
        let revision = Revision {
            id: &copy_id,
            conflict_of: Some(&m.id),
            ..Revision::new(m, 1, Some(body), "object.conflict_copy")
        };
        write(conn, site, &revision)?;
    }
    Ok(copy_id)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PullQuery {
    /// The last org version the client has seen (0 at first).
    #[serde(default)]
    pub cookie: u64,
    /// The client whose last applied mutation id to return.
    pub client_id: Option<String>,
    /// Page size, at most the server's.
    pub limit: Option<u32>,
}

/// Every object changed since `cookie`, oldest change first, paged; plus the last mutation id
/// applied for `client_id`.
#[utoipa::path(get, path = "/v1/orgs/{org}/pull", tag = "sync", security(("bearer" = [])),
    params(("org" = String, Path, description = "org id"), PullQuery),
    responses((status = 200, body = PullResponse), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn pull(
    State(ctx): State<ApiContext>,
    user: AuthUser,
    Path(org): Path<String>,
    ApiQuery(query): ApiQuery<PullQuery>,
) -> Result<Json<PullResponse>, ApiError> {
    let cookie = to_i64(query.cookie, "cookie")?;
    if let Some(client_id) = &query.client_id {
        check_client_id(client_id)?;
    }
    let page = query.limit.unwrap_or(ctx.settings.pull_page_size).clamp(1, ctx.settings.pull_page_size.max(1));
    let response = ctx
        .db
        .tx(move |tx| {
            require(tx, &user, &org, Action::Pull)?;
            let mut stmt = tx.prepare(
                "SELECT kind, id, rev, version, body, deleted, conflict_of FROM objects
                 WHERE org_id = ?1 AND version > ?2 ORDER BY version LIMIT ?3",
            )?;
            let rows = stmt.query_map(crate::db::params![org, cookie, i64::from(page) + 1], |r| {
                Ok(Change {
                    kind: r.get(0)?,
                    id: r.get(1)?,
                    rev: r.get(2)?,
                    version: r.get(3)?,
                    body: r.get(4)?,
                    deleted: r.get(5)?,
                    conflict_of: r.get(6)?,
                })
            })?;
            let mut changes = rows.collect::<Result<Vec<_>, _>>()?;
            let has_more = changes.len() > page as usize;
            changes.truncate(page as usize);
            let cookie = changes.last().map_or(query.cookie, |c| c.version.max(query.cookie));
            let last_mutation_id = match &query.client_id {
                Some(client_id) => tx
                    .query_row(
                        "SELECT last_mutation_id FROM sync_clients WHERE org_id = ?1 AND client_id = ?2 AND user_id = ?3",
                        [&org, client_id, &user.user_id],
                        |r| r.get::<_, i64>(0),
                    )
                    .optional()?
                    .map_or(0, to_u64),
                None => 0,
            };
            Ok(PullResponse { cookie, last_mutation_id, changes, has_more })
        })
        .await?;
    Ok(Json(response))
}
