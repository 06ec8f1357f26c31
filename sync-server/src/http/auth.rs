//! Identity routes: first-owner setup, login, refresh, logout, and `/v1/me` (profile and
//! password; password reset and email change are in [`super::account`]).

use crate::db::{Conn, OptionalExtension};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{Duration, Utc};
use revlens_sync::{
    ChangePasswordRequest, ErrorBody, LoginRequest, MeResponse, OrgMembership, RefreshRequest, SetupRequest,
    TokenResponse, UpdateProfileRequest, User,
};

use super::error::ApiError;
use super::extractor::ApiJson;
use super::{ApiContext, AuthUser, ClientAddr};
use crate::audit::{self, AuditEvent};
use crate::configuration::Settings;
use crate::limiter::LoginLimiter;
use crate::security::{check_password_policy, hash_token, new_token, normalize_email};
use crate::time::{now_text, to_text};

/// Issues an access token and a refresh token in session `family_id`.
pub fn issue_session(
    conn: &Conn<'_>,
    settings: &Settings,
    user_id: &str,
    family_id: &str,
) -> Result<TokenResponse, ApiError> {
    let now = Utc::now();
    // Lifetimes are capped at a century so the arithmetic cannot overflow.
    let ttl_secs = |secs: u64| Duration::seconds(i64::try_from(secs.min(100 * 365 * 86_400)).unwrap_or(0));
    let access = new_token()?;
    let refresh = new_token()?;
    let insert = "INSERT INTO auth_tokens (token_hash, kind, user_id, family_id, created_at, expires_at)
                  VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    conn.execute(
        insert,
        crate::db::params![
            hash_token(&access),
            "access",
            user_id,
            family_id,
            to_text(now),
            to_text(now + ttl_secs(settings.access_token_ttl_secs))
        ],
    )?;
    conn.execute(
        insert,
        crate::db::params![
            hash_token(&refresh),
            "refresh",
            user_id,
            family_id,
            to_text(now),
            to_text(now + ttl_secs(settings.refresh_token_ttl_secs))
        ],
    )?;
    Ok(TokenResponse { access_token: access, refresh_token: refresh, expires_in: settings.access_token_ttl_secs })
}

/// Creates an org and its owner (first-owner setup, and `admin create-owner`).
pub fn create_org_with_owner(
    conn: &Conn<'_>,
    email: &str,
    name: &str,
    org_name: &str,
    password_hash: &str,
) -> Result<(String, String), ApiError> {
    let org_name = org_name.trim();
    if org_name.is_empty() || org_name.len() > 200 {
        return Err(ApiError::validation("the org name must have 1 to 200 characters"));
    }
    let exists: Option<String> =
        conn.query_row("SELECT id FROM users WHERE email = ?1", [email], |r| r.get(0)).optional()?;
    if exists.is_some() {
        return Err(ApiError::Conflict("an account with this email already exists".into()));
    }
    let now = now_text();
    let user_id = uuid::Uuid::now_v7().to_string();
    let org_id = uuid::Uuid::now_v7().to_string();
    conn.execute(
        "INSERT INTO users (id, email, name, password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        crate::db::params![user_id, email, name.trim(), password_hash, now],
    )?;
    conn.execute(
        "INSERT INTO orgs (id, name, version, created_at) VALUES (?1, ?2, 0, ?3)",
        crate::db::params![org_id, org_name, now],
    )?;
    conn.execute(
        "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (?1, ?2, 'owner', ?3)",
        crate::db::params![org_id, user_id, now],
    )?;
    audit::record(conn, &AuditEvent::in_org(&org_id, &user_id, "org.create", ("org", &org_id), None))?;
    Ok((user_id, org_id))
}

/// Redeems the one-time setup token printed at first start: creates the first org and its
/// owner, and signs them in.
#[utoipa::path(post, path = "/v1/setup", tag = "auth", request_body = SetupRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, body = ErrorBody),
        (status = 400, body = ErrorBody),
    ))]
pub async fn setup(
    State(ctx): State<ApiContext>,
    addr: ClientAddr,
    ApiJson(req): ApiJson<SetupRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let email = normalize_email(&req.email)?;
    check_password_policy(&req.password)?;
    let passwords = ctx.passwords.clone();
    let password = req.password.clone();
    let hash = tokio::task::spawn_blocking(move || passwords.hash(&password))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))??;
    let token_hash = hash_token(&req.token);
    let settings = ctx.settings.clone();
    let tokens = ctx
        .db
        .tx(move |tx| {
            let unused: Option<String> = tx
                .query_row(
                    "SELECT token_hash FROM setup_tokens WHERE token_hash = ?1 AND used_at IS NULL",
                    [&token_hash],
                    |r| r.get(0),
                )
                .optional()?;
            let users: i64 = tx.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?;
            if unused.is_none() || users > 0 {
                return Err(ApiError::InvalidCredentials);
            }
            // Conditional, so that of two servers redeeming the token at once only one does.
            let marked = tx.execute(
                "UPDATE setup_tokens SET used_at = ?1 WHERE token_hash = ?2 AND used_at IS NULL",
                [&now_text(), &token_hash],
            )?;
            if marked != 1 {
                return Err(ApiError::InvalidCredentials);
            }
            let (user_id, _org) = create_org_with_owner(tx, &email, &req.name, &req.org, &hash)?;
            audit::record_auth(tx, &user_id, "auth.setup", addr.as_deref())?;
            issue_session(tx, &settings, &user_id, &uuid::Uuid::now_v7().to_string())
        })
        .await?;
    Ok(Json(tokens))
}

/// Signs in with email and password. Failures are counted per account and per client address
/// and locked out with exponential back-off (429 with `Retry-After`); every failure says only
/// `invalid_credentials`.
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, body = ErrorBody),
        (status = 429, body = ErrorBody),
    ))]
pub async fn login(
    State(ctx): State<ApiContext>,
    addr: ClientAddr,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let email = req.email.trim().to_lowercase();
    let account_key = LoginLimiter::account_key(&email);
    let ip_key = LoginLimiter::ip_key(addr.or_unknown());
    if let Err(limited) = ctx.limiter.check(&[&account_key, &ip_key]).await {
        ctx.metrics.login_failed();
        return Err(limited);
    }
    let lookup_email = email.clone();
    let account: Option<(String, String)> = ctx
        .db
        .tx(move |tx| {
            Ok(tx
                .query_row("SELECT id, password_hash FROM users WHERE email = ?1", [&lookup_email], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?)
        })
        .await?;
    let passwords = ctx.passwords.clone();
    let stored = account.as_ref().map(|(_, hash)| hash.clone());
    let password = req.password;
    let verified = tokio::task::spawn_blocking(move || passwords.verify(stored.as_deref(), &password))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let settings = ctx.settings.clone();
    let client = addr.clone();
    match (account, verified) {
        (Some((user_id, _)), true) => {
            ctx.limiter.succeed(&account_key).await?;
            let tokens = ctx
                .db
                .tx(move |tx| {
                    audit::record_auth(tx, &user_id, "auth.login", client.as_deref())?;
                    issue_session(tx, &settings, &user_id, &uuid::Uuid::now_v7().to_string())
                })
                .await?;
            tracing::info!("login succeeded");
            Ok(Json(tokens))
        }
        (account, _) => {
            ctx.limiter.fail_login(&account_key, &ip_key).await?;
            ctx.metrics.login_failed();
            if let Some((user_id, _)) = account {
                ctx.db.tx(move |tx| audit::record_auth(tx, &user_id, "auth.login_failed", client.as_deref())).await?;
            }
            tracing::info!("login failed");
            Err(ApiError::InvalidCredentials)
        }
    }
}

enum RefreshOutcome {
    Renewed(TokenResponse),
    Refused,
}

/// Exchanges a refresh token for a new pair. A refresh token works once: presenting a used
/// one again revokes every token of its session (someone else may hold a copy).
#[utoipa::path(post, path = "/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = ErrorBody)))]
pub async fn refresh(
    State(ctx): State<ApiContext>,
    addr: ClientAddr,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let hash = hash_token(req.refresh_token.trim());
    let settings = ctx.settings.clone();
    let outcome = ctx
        .db
        .tx(move |tx| {
            type Row = (String, String, String, Option<String>, Option<String>);
            let row: Option<Row> = tx
                .query_row(
                    "SELECT user_id, family_id, expires_at, used_at, revoked_at FROM auth_tokens
                     WHERE token_hash = ?1 AND kind = 'refresh'",
                    [&hash],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )
                .optional()?;
            let Some((user_id, family_id, expires_at, used_at, revoked_at)) = row else {
                return Ok(RefreshOutcome::Refused);
            };
            let now = now_text();
            if used_at.is_some() || revoked_at.is_some() {
                if revoked_at.is_none() {
                    revoke_family(tx, &family_id)?;
                    audit::record_auth(tx, &user_id, "auth.refresh_reuse", addr.as_deref())?;
                    tracing::warn!("refresh token reused; session revoked");
                }
                return Ok(RefreshOutcome::Refused);
            }
            if expires_at <= now {
                return Ok(RefreshOutcome::Refused);
            }
            // Conditional: when another server used the token meanwhile, this is a reuse.
            let marked = tx.execute(
                "UPDATE auth_tokens SET used_at = ?1 WHERE token_hash = ?2 AND used_at IS NULL",
                [&now, &hash],
            )?;
            if marked != 1 {
                revoke_family(tx, &family_id)?;
                audit::record_auth(tx, &user_id, "auth.refresh_reuse", addr.as_deref())?;
                tracing::warn!("refresh token reused; session revoked");
                return Ok(RefreshOutcome::Refused);
            }
            audit::record_auth(tx, &user_id, "auth.refresh", addr.as_deref())?;
            Ok(RefreshOutcome::Renewed(issue_session(tx, &settings, &user_id, &family_id)?))
        })
        .await?;
    match outcome {
        RefreshOutcome::Renewed(tokens) => Ok(Json(tokens)),
        RefreshOutcome::Refused => Err(ApiError::InvalidCredentials),
    }
}

fn revoke_family(conn: &Conn<'_>, family_id: &str) -> Result<(), ApiError> {
    conn.execute(
        "UPDATE auth_tokens SET revoked_at = ?1 WHERE family_id = ?2 AND revoked_at IS NULL",
        [&now_text(), family_id],
    )?;
    Ok(())
}

/// Ends the caller's session: its access and refresh tokens stop working.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(State(ctx): State<ApiContext>, user: AuthUser, addr: ClientAddr) -> Result<StatusCode, ApiError> {
    ctx.db
        .tx(move |tx| {
            revoke_family(tx, &user.family_id)?;
            audit::record_auth(tx, &user.user_id, "auth.logout", addr.as_deref())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user and their orgs with roles.
#[utoipa::path(get, path = "/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = MeResponse), (status = 401, body = ErrorBody)))]
pub async fn me(State(ctx): State<ApiContext>, user: AuthUser) -> Result<Json<MeResponse>, ApiError> {
    let me = ctx
        .db
        .tx(move |tx| {
            let user = load_user(tx, &user.user_id)?;
            let orgs = memberships(tx, &user.id)?;
            Ok(MeResponse { user, orgs })
        })
        .await?;
    Ok(Json(me))
}

/// Changes the signed-in user's display name.
#[utoipa::path(patch, path = "/v1/me", tag = "auth", security(("bearer" = [])), request_body = UpdateProfileRequest,
    responses((status = 200, body = User), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn update_me(
    State(ctx): State<ApiContext>,
    user: AuthUser,
    addr: ClientAddr,
    ApiJson(req): ApiJson<UpdateProfileRequest>,
) -> Result<Json<User>, ApiError> {
    let name = req.name.trim().to_owned();
    if name.is_empty() || name.len() > 200 {
        return Err(ApiError::validation("the name must have 1 to 200 characters"));
    }
    let updated = ctx
        .db
        .tx(move |tx| {
            tx.execute("UPDATE users SET name = ?1 WHERE id = ?2", [&name, &user.user_id])?;
            audit::record_auth(tx, &user.user_id, "user.update", addr.as_deref())?;
            load_user(tx, &user.user_id)
        })
        .await?;
    Ok(Json(updated))
}

/// Changes the signed-in user's password, given the current one (throttled like a login).
/// Every other session of the user is revoked; this one goes on.
#[utoipa::path(post, path = "/v1/me/password", tag = "auth", security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 204),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "`wrong_password`: the current password is wrong"),
        (status = 429, body = ErrorBody),
    ))]
pub async fn change_password(
    State(ctx): State<ApiContext>,
    user: AuthUser,
    addr: ClientAddr,
    ApiJson(req): ApiJson<ChangePasswordRequest>,
) -> Result<StatusCode, ApiError> {
    check_password_policy(&req.new_password)?;
    let check = PasswordCheck::load(&ctx, &user.user_id, &addr).await?;
    check.within_limits(&ctx).await?;
    let stored = check.stored.clone();
    let passwords = ctx.passwords.clone();
    let (current, new) = (req.current_password, req.new_password);
    let new_hash = tokio::task::spawn_blocking(move || {
        if passwords.verify(Some(&stored), &current) {
            passwords.hash(&new).map(Some)
        } else {
            Ok(None)
        }
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))??;
    let Some(new_hash) = new_hash else {
        check.failed(&ctx).await?;
        let client = addr.clone();
        ctx.db
            .tx(move |tx| audit::record_auth(tx, &user.user_id, "auth.password_change_failed", client.as_deref()))
            .await?;
        // Not 401: the session is valid, and a client must not take this for a signed-out one.
        return Err(ApiError::WrongPassword);
    };
    ctx.db
        .tx(move |tx| {
            tx.execute("UPDATE users SET password_hash = ?1 WHERE id = ?2", [&new_hash, &user.user_id])?;
            tx.execute(
                "UPDATE auth_tokens SET revoked_at = ?1 WHERE user_id = ?2 AND family_id <> ?3 AND revoked_at IS NULL",
                [&now_text(), &user.user_id, &user.family_id],
            )?;
            // A reset link mailed before no longer applies.
            tx.execute(
                "UPDATE account_tokens SET revoked_at = ?1
                 WHERE user_id = ?2 AND kind = 'password_reset' AND used_at IS NULL AND revoked_at IS NULL",
                [&now_text(), &user.user_id],
            )?;
            audit::record_auth(tx, &user.user_id, "auth.password_change", addr.as_deref())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What a signed-in user's request that asks for the current password again needs: the
/// stored hash, and the login back-off of the account and the client address, which such
/// a check is under like a login.
pub(crate) struct PasswordCheck {
    pub email: String,
    pub stored: String,
    account_key: String,
    ip_key: String,
}

impl PasswordCheck {
    pub(crate) async fn load(ctx: &ApiContext, user_id: &str, addr: &ClientAddr) -> Result<Self, ApiError> {
        let user_id = user_id.to_owned();
        let (email, stored): (String, String) = ctx
            .db
            .tx(move |tx| {
                Ok(tx.query_row("SELECT email, password_hash FROM users WHERE id = ?1", [&user_id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?)
            })
            .await?;
        let account_key = LoginLimiter::account_key(&email);
        let ip_key = LoginLimiter::ip_key(addr.or_unknown());
        Ok(Self { email, stored, account_key, ip_key })
    }

    /// Refuses while the account or the address is backed off.
    pub(crate) async fn within_limits(&self, ctx: &ApiContext) -> Result<(), ApiError> {
        ctx.limiter.check(&[&self.account_key, &self.ip_key]).await
    }

    /// Counts a wrong password like a failed login.
    pub(crate) async fn failed(&self, ctx: &ApiContext) -> Result<(), ApiError> {
        ctx.metrics.login_failed();
        ctx.limiter.fail_login(&self.account_key, &self.ip_key).await
    }
}

pub fn load_user(conn: &Conn<'_>, user_id: &str) -> Result<User, ApiError> {
    conn.query_row("SELECT id, email, name FROM users WHERE id = ?1", [user_id], |r| {
        Ok(User { id: r.get(0)?, email: r.get(1)?, name: r.get(2)? })
    })
    .optional()?
    .ok_or(ApiError::Unauthorized)
}

fn memberships(conn: &Conn<'_>, user_id: &str) -> Result<Vec<OrgMembership>, ApiError> {
    let mut stmt = conn.prepare(
        "SELECT o.id, o.name, m.role FROM memberships m JOIN orgs o ON o.id = m.org_id
         WHERE m.user_id = ?1 ORDER BY o.name, o.id",
    )?;
    let orgs = stmt.query_map([user_id], |r| Ok(OrgMembership { id: r.get(0)?, name: r.get(1)?, role: r.get(2)? }))?;
    Ok(orgs.collect::<Result<Vec<_>, _>>()?)
}
