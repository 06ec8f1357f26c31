//! Org routes: invitations and the audit log.

use crate::db::{params, Conn, OptionalExtension};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{Duration, Utc};
use revlens_sync::{
    AcceptInvitationRequest, AcceptInvitationResponse, AuditEntry, ChangeRoleRequest, CreateInvitationRequest,
    ErrorBody, Invitation, InvitationCreated, Member, OrgMembership, Role, User,
};
use serde::Deserialize;

use super::auth::{issue_session, load_user};
use super::error::ApiError;
use super::extractor::{ApiJson, ApiQuery};
use super::{require, ApiContext, AuthUser, ClientAddr};
use crate::audit::{self, AuditEvent};
use crate::authz::Action;
use crate::limiter::LoginLimiter;
use crate::security::{check_password_policy, hash_token, new_token, normalize_email};
use crate::time::{now_text, to_text};

/// The org's members and their roles, by email.
#[utoipa::path(get, path = "/v1/orgs/{org}/members", tag = "orgs", security(("bearer" = [])),
    params(("org" = String, Path, description = "org id")),
    responses((status = 200, body = Vec<Member>), (status = 404, body = ErrorBody)))]
pub async fn list_members(
    State(ctx): State<ApiContext>,
    user: AuthUser,
    Path(org): Path<String>,
) -> Result<Json<Vec<Member>>, ApiError> {
    let members = ctx
        .db
        .tx(move |tx| {
            require(tx, &user, &org, Action::ListMembers)?;
            let mut stmt = tx.prepare(
                "SELECT u.id, u.email, u.name, m.role, m.created_at FROM memberships m JOIN users u ON u.id = m.user_id
                 WHERE m.org_id = ?1 ORDER BY u.email",
            )?;
            let members = stmt.query_map([&org], |r| {
                Ok(Member {
                    user: User { id: r.get(0)?, email: r.get(1)?, name: r.get(2)? },
                    role: r.get(3)?,
                    joined_at: r.get(4)?,
                })
            })?;
            Ok(members.collect::<Result<Vec<_>, _>>()?)
        })
        .await?;
    Ok(Json(members))
}

/// Changes a member's role. Admins manage admins, analysts and viewers; only owners make
/// owners or change an owner's role; the last owner stays owner (409).
#[utoipa::path(patch, path = "/v1/orgs/{org}/members/{user}", tag = "orgs", security(("bearer" = [])),
    params(("org" = String, Path, description = "org id"), ("user" = String, Path, description = "user id")),
    request_body = ChangeRoleRequest,
    responses(
        (status = 200, body = Member),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
    ))]
pub async fn change_role(
    State(ctx): State<ApiContext>,
    user: AuthUser,
    addr: ClientAddr,
    Path((org, member)): Path<(String, String)>,
    ApiJson(req): ApiJson<ChangeRoleRequest>,
) -> Result<Json<Member>, ApiError> {
    let changed = ctx
        .db
        .tx(move |tx| {
            let current = managed_member(tx, &user, &org, &member)?;
            if req.role == Role::Owner {
                require(tx, &user, &org, Action::ManageOwners)?;
            }
            if current == Role::Owner && req.role != Role::Owner {
                keep_an_owner(tx, &org)?;
            }
            tx.execute(
                "UPDATE memberships SET role = ?1 WHERE org_id = ?2 AND user_id = ?3",
                params![req.role.as_str(), org, member],
            )?;
            audit::record(
                tx,
                &AuditEvent::in_org(&org, &user.user_id, "member.role_change", ("member", &member), addr.as_deref()),
            )?;
            Ok(tx.query_row(
                "SELECT u.id, u.email, u.name, m.role, m.created_at FROM memberships m JOIN users u ON u.id = m.user_id
                 WHERE m.org_id = ?1 AND m.user_id = ?2",
                [&org, &member],
                |r| {
                    Ok(Member {
                        user: User { id: r.get(0)?, email: r.get(1)?, name: r.get(2)? },
                        role: r.get(3)?,
                        joined_at: r.get(4)?,
                    })
                },
            )?)
        })
        .await?;
    Ok(Json(changed))
}

/// Removes a member from the org, or (for oneself) leaves it. The last owner cannot go (409).
#[utoipa::path(delete, path = "/v1/orgs/{org}/members/{user}", tag = "orgs", security(("bearer" = [])),
    params(("org" = String, Path, description = "org id"), ("user" = String, Path, description = "user id")),
    responses(
        (status = 204),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
    ))]
pub async fn remove_member(
    State(ctx): State<ApiContext>,
    user: AuthUser,
    addr: ClientAddr,
    Path((org, member)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    ctx.db
        .tx(move |tx| {
            let leaving = member == user.user_id;
            let current = if leaving {
                require(tx, &user, &org, Action::Leave)?
            } else {
                managed_member(tx, &user, &org, &member)?
            };
            if current == Role::Owner {
                keep_an_owner(tx, &org)?;
            }
            tx.execute("DELETE FROM memberships WHERE org_id = ?1 AND user_id = ?2", [&org, &member])?;
            audit::record(
                tx,
                &AuditEvent::in_org(
                    &org,
                    &user.user_id,
                    if leaving { "member.leave" } else { "member.remove" },
                    ("member", &member),
                    addr.as_deref(),
                ),
            )
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The role of `member`, once the caller may manage it: `ManageMembers`, and `ManageOwners`
/// for an owner. Not a member of the org: [`ApiError::NotFound`].
fn managed_member(tx: &Conn<'_>, user: &AuthUser, org: &str, member: &str) -> Result<Role, ApiError> {
    require(tx, user, org, Action::ManageMembers)?;
    let role: Role = tx
        .query_row("SELECT role FROM memberships WHERE org_id = ?1 AND user_id = ?2", [org, member], |r| r.get(0))
        .optional()?
        .ok_or(ApiError::NotFound)?;
    if role == Role::Owner {
        require(tx, user, org, Action::ManageOwners)?;
    }
    Ok(role)
}

/// Refuses to take away the org's last owner. The org row is locked first, so two instances
/// demoting its two owners at once cannot both pass.
fn keep_an_owner(tx: &Conn<'_>, org: &str) -> Result<(), ApiError> {
    tx.execute("UPDATE orgs SET version = version WHERE id = ?1", [org])?;
    let owners: i64 =
        tx.query_row("SELECT COUNT(*) FROM memberships WHERE org_id = ?1 AND role = 'owner'", [org], |r| r.get(0))?;
    if owners <= 1 {
        return Err(ApiError::Conflict("an org keeps at least one owner: make someone else owner first".into()));
    }
    Ok(())
}

/// Invites `email` into the org with `role`. The token is in this answer only; it works once,
/// for 7 days (by default), until revoked.
#[utoipa::path(post, path = "/v1/orgs/{org}/invitations", tag = "orgs", security(("bearer" = [])),
    params(("org" = String, Path, description = "org id")), request_body = CreateInvitationRequest,
    responses(
        (status = 200, body = InvitationCreated),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn create_invitation(
    State(ctx): State<ApiContext>,
    user: AuthUser,
    addr: ClientAddr,
    Path(org): Path<String>,
    ApiJson(req): ApiJson<CreateInvitationRequest>,
) -> Result<Json<InvitationCreated>, ApiError> {
    let email = normalize_email(&req.email)?;
    let action = if req.role == Role::Owner { Action::InviteOwner } else { Action::Invite };
    let ttl = Duration::seconds(i64::try_from(ctx.settings.invitation_ttl_secs).unwrap_or(7 * 86_400));
    let created = ctx
        .db
        .tx(move |tx| {
            require(tx, &user, &org, action)?;
            let id = uuid::Uuid::now_v7().to_string();
            let token = new_token()?;
            let now = Utc::now();
            let expires_at = now + ttl;
            tx.execute(
                "INSERT INTO invitations (id, org_id, email, role, token_hash, created_by, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                crate::db::params![
                    id,
                    org,
                    email,
                    req.role.as_str(),
                    hash_token(&token),
                    user.user_id,
                    to_text(now),
                    to_text(expires_at)
                ],
            )?;
            audit::record(
                tx,
                &AuditEvent::in_org(&org, &user.user_id, "invitation.create", ("invitation", &id), addr.as_deref()),
            )?;
            Ok(InvitationCreated { id, token, expires_at })
        })
        .await?;
    Ok(Json(created))
}

/// The org's invitations, newest first (without their tokens).
#[utoipa::path(get, path = "/v1/orgs/{org}/invitations", tag = "orgs", security(("bearer" = [])),
    params(("org" = String, Path, description = "org id")),
    responses(
        (status = 200, body = Vec<Invitation>),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn list_invitations(
    State(ctx): State<ApiContext>,
    user: AuthUser,
    Path(org): Path<String>,
) -> Result<Json<Vec<Invitation>>, ApiError> {
    let list = ctx
        .db
        .tx(move |tx| {
            require(tx, &user, &org, Action::ListInvitations)?;
            let mut stmt = tx.prepare(
                "SELECT id, email, role, created_at, expires_at, accepted_at, revoked_at FROM invitations
                 WHERE org_id = ?1 ORDER BY id DESC",
            )?;
            let invitations = stmt.query_map([&org], |r| {
                Ok(Invitation {
                    id: r.get(0)?,
                    email: r.get(1)?,
                    role: r.get(2)?,
                    created_at: r.get(3)?,
                    expires_at: r.get(4)?,
                    accepted_at: r.get(5)?,
                    revoked_at: r.get(6)?,
                })
            })?;
            Ok(invitations.collect::<Result<Vec<_>, _>>()?)
        })
        .await?;
    Ok(Json(list))
}

/// Revokes a pending invitation.
#[utoipa::path(delete, path = "/v1/orgs/{org}/invitations/{id}", tag = "orgs", security(("bearer" = [])),
    params(("org" = String, Path, description = "org id"), ("id" = String, Path, description = "invitation id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_invitation(
    State(ctx): State<ApiContext>,
    user: AuthUser,
    addr: ClientAddr,
    Path((org, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    ctx.db
        .tx(move |tx| {
            require(tx, &user, &org, Action::RevokeInvitation)?;
            let changed = tx.execute(
                "UPDATE invitations SET revoked_at = ?1
                 WHERE id = ?2 AND org_id = ?3 AND revoked_at IS NULL AND accepted_at IS NULL",
                [&now_text(), &id, &org],
            )?;
            if changed == 0 {
                return Err(ApiError::NotFound);
            }
            audit::record(
                tx,
                &AuditEvent::in_org(&org, &user.user_id, "invitation.revoke", ("invitation", &id), addr.as_deref()),
            )
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Accepts an invitation: creates the account (new email) or links it (existing account, whose
/// password must be given), adds the membership, and signs in. An unknown, used, revoked or
/// expired token is refused with `invalid_credentials`.
#[utoipa::path(post, path = "/v1/invitations/accept", tag = "orgs", request_body = AcceptInvitationRequest,
    responses(
        (status = 200, body = AcceptInvitationResponse),
        (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody),
    ))]
pub async fn accept_invitation(
    State(ctx): State<ApiContext>,
    addr: ClientAddr,
    ApiJson(req): ApiJson<AcceptInvitationRequest>,
) -> Result<Json<AcceptInvitationResponse>, ApiError> {
    let token_hash = hash_token(req.token.trim());
    let lookup = token_hash.clone();
    // (invitation id, email, existing account's password hash)
    let found: Option<(String, String, Option<String>)> = ctx
        .db
        .tx(move |tx| {
            let inv: Option<(String, String)> = tx
                .query_row(
                    "SELECT id, email FROM invitations WHERE token_hash = ?1
                     AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?2",
                    [&lookup, &now_text()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((id, email)) = inv else { return Ok(None) };
            let hash =
                tx.query_row("SELECT password_hash FROM users WHERE email = ?1", [&email], |r| r.get(0)).optional()?;
            Ok(Some((id, email, hash)))
        })
        .await?;
    let Some((invitation_id, email, existing_hash)) = found else { return Err(ApiError::InvalidCredentials) };
    let passwords = ctx.passwords.clone();
    let password = req.password.clone();
    let new_hash = match existing_hash {
        Some(hash) => {
            // The inviter holds the token: guessing the account's password here is throttled
            // exactly like a login.
            let account_key = LoginLimiter::account_key(&email);
            let ip_key = LoginLimiter::ip_key(addr.or_unknown());
            ctx.limiter.check(&[&account_key, &ip_key]).await?;
            let ok = tokio::task::spawn_blocking(move || passwords.verify(Some(&hash), &password))
                .await
                .map_err(|e| ApiError::internal(e.to_string()))?;
            if !ok {
                ctx.limiter.fail_login(&account_key, &ip_key).await?;
                ctx.metrics.login_failed();
                return Err(ApiError::InvalidCredentials);
            }
            None
        }
        None => {
            check_password_policy(&req.password)?;
            let name = req.name.trim();
            if name.is_empty() || name.len() > 200 {
                return Err(ApiError::validation("the name must have 1 to 200 characters"));
            }
            let hash = tokio::task::spawn_blocking(move || passwords.hash(&password))
                .await
                .map_err(|e| ApiError::internal(e.to_string()))??;
            Some(hash)
        }
    };
    let settings = ctx.settings.clone();
    let name = req.name.trim().to_owned();
    let response = ctx
        .db
        .tx(move |tx| {
            let inv: Option<(String, String)> = tx
                .query_row(
                    "SELECT org_id, role FROM invitations WHERE id = ?1 AND token_hash = ?2
                     AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?3",
                    [&invitation_id, &token_hash, &now_text()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((org_id, role)) = inv else { return Err(ApiError::InvalidCredentials) };
            let now = now_text();
            let user_id = match &new_hash {
                Some(hash) => {
                    let id = uuid::Uuid::now_v7().to_string();
                    tx.execute(
                        "INSERT INTO users (id, email, name, password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                        crate::db::params![id, email, name, hash, now],
                    )
                    .map_err(|_| ApiError::Conflict("the account was created meanwhile; try again".into()))?;
                    id
                }
                None => tx.query_row("SELECT id FROM users WHERE email = ?1", [&email], |r| r.get(0))?,
            };
            let member: Option<String> = tx
                .query_row(
                    "SELECT role FROM memberships WHERE org_id = ?1 AND user_id = ?2",
                    [&org_id, &user_id],
                    |r| r.get(0),
                )
                .optional()?;
            if member.is_some() {
                return Err(ApiError::Conflict("this account is already a member of the org".into()));
            }
            tx.execute(
                "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (?1, ?2, ?3, ?4)",
                crate::db::params![org_id, user_id, role, now],
            )?;
            // Conditional, so that of two servers accepting the invitation at once only one does.
            let marked = tx.execute(
                "UPDATE invitations SET accepted_at = ?1 WHERE id = ?2 AND accepted_at IS NULL",
                [&now, &invitation_id],
            )?;
            if marked != 1 {
                return Err(ApiError::InvalidCredentials);
            }
            audit::record(
                tx,
                &AuditEvent::in_org(
                    &org_id,
                    &user_id,
                    "invitation.accept",
                    ("invitation", &invitation_id),
                    addr.as_deref(),
                ),
            )?;
            let org_name: String = tx.query_row("SELECT name FROM orgs WHERE id = ?1", [&org_id], |r| r.get(0))?;
            let user = load_user(tx, &user_id)?;
            let tokens = issue_session(tx, &settings, &user_id, &uuid::Uuid::now_v7().to_string())?;
            let role = role.parse().map_err(|e| ApiError::internal(format!("{e}")))?;
            Ok(AcceptInvitationResponse { user, org: OrgMembership { id: org_id, name: org_name, role }, tokens })
        })
        .await?;
    Ok(Json(response))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

/// The org's audit log, oldest first, as JSON or CSV.
#[utoipa::path(get, path = "/v1/orgs/{org}/audit", tag = "orgs", security(("bearer" = [])),
    params(("org" = String, Path, description = "org id"), AuditQuery),
    responses((status = 200, body = Vec<AuditEntry>, description = "JSON, or text/csv with the same columns"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn audit(
    State(ctx): State<ApiContext>,
    user: AuthUser,
    Path(org): Path<String>,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Response, ApiError> {
    let csv = match query.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => return Err(ApiError::validation(format!("unknown format {other:?} (expected json or csv)"))),
    };
    let entries = ctx
        .db
        .tx(move |tx| {
            require(tx, &user, &org, Action::ReadAudit)?;
            let mut stmt = tx.prepare(
                "SELECT id, at, org_id, actor_user_id, action, object_kind, object_id, client_addr FROM audit_log
                 WHERE org_id = ?1 ORDER BY id",
            )?;
            let rows = stmt.query_map([&org], |r| {
                Ok(AuditEntry {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    org_id: r.get(2)?,
                    actor_user_id: r.get(3)?,
                    action: r.get(4)?,
                    object_kind: r.get(5)?,
                    object_id: r.get(6)?,
                    client_addr: r.get(7)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await?;
    if !csv {
        return Ok(Json(entries).into_response());
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| ApiError::internal(format!("csv: {e}"));
    writer
        .write_record(["id", "at", "org_id", "actor_user_id", "action", "object_kind", "object_id", "client_addr"])
        .map_err(io)?;
    for e in &entries {
        let at = to_text(e.at);
        let opt = |v: &Option<String>| spreadsheet_safe(v.as_deref().unwrap_or_default());
        writer
            .write_record([
                e.id.clone(),
                at,
                opt(&e.org_id),
                opt(&e.actor_user_id),
                e.action.clone(),
                opt(&e.object_kind),
                opt(&e.object_id),
                opt(&e.client_addr),
            ])
            .map_err(io)?;
    }
    let bytes = writer.into_inner().map_err(|e| ApiError::internal(format!("csv: {e}")))?;
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], bytes).into_response())
}

/// A CSV cell a spreadsheet will not run as a formula: text starting with `=`, `+`, `-`, `@`,
/// tab or carriage return (object ids are chosen by clients) gets a leading apostrophe.
fn spreadsheet_safe(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formulas_are_defused() {
        assert_eq!(super::spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(super::spreadsheet_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(super::spreadsheet_safe("d1"), "d1");
    }
}
