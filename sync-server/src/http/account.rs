//! Account changes proven by email: password reset (`/v1/auth/password-reset…`) and email
//! change (`/v1/me/email…`).
//!
//! Each mails a single-use token, stored as its SHA-256 in `account_tokens`, with an expiry; a
//! newer token of the same kind revokes the user's older ones, and using one is a conditional
//! update, so two servers cannot both accept it. Mail goes out after the transaction has
//! committed, never while it is open. Without `[smtp]` settings these routes answer
//! `503 mail_not_configured`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{Duration, Utc};
use revlens_sync::{
    Accepted, ChangeEmailRequest, ConfirmEmailRequest, ErrorBody, PasswordResetConfirm, PasswordResetRequest, User,
};
use tracing::Instrument;

use super::auth::{load_user, PasswordCheck};
use super::error::ApiError;
use super::extractor::ApiJson;
use super::{ApiContext, AuthUser, ClientAddr};
use crate::audit;
use crate::db::{Conn, OptionalExtension};
use crate::limiter::LoginLimiter;
use crate::mail::{texts, Mail, MailError, Mailer};
use crate::metrics::Metrics;
use crate::security::{check_password_policy, hash_token, new_token, normalize_email};
use crate::time::{now_text, to_text};

const PASSWORD_RESET: &str = "password_reset";
const EMAIL_CHANGE: &str = "email_change";

/// The one answer to a reset request, whether or not the account exists.
pub const RESET_ACCEPTED: &str =
    "If an account uses this email address, a link to reset its password is on its way. It works once.";

/// Revokes the user's unused tokens of `kind`.
fn revoke_pending(conn: &Conn<'_>, user_id: &str, kind: &str) -> Result<(), ApiError> {
    conn.execute(
        "UPDATE account_tokens SET revoked_at = ?1
         WHERE user_id = ?2 AND kind = ?3 AND used_at IS NULL AND revoked_at IS NULL",
        [&now_text(), user_id, kind],
    )?;
    Ok(())
}

/// Makes a token of `kind` for `user_id` (revoking their older ones); returns the token.
fn issue(
    conn: &Conn<'_>,
    user_id: &str,
    kind: &str,
    new_email: Option<&str>,
    ttl_secs: u64,
) -> Result<String, ApiError> {
    revoke_pending(conn, user_id, kind)?;
    let token = new_token()?;
    let now = Utc::now();
    // Capped at a century so the arithmetic cannot overflow.
    let ttl = Duration::seconds(i64::try_from(ttl_secs.min(100 * 365 * 86_400)).unwrap_or(0));
    conn.execute(
        "INSERT INTO account_tokens (token_hash, kind, user_id, new_email, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        crate::db::params![hash_token(&token), kind, user_id, new_email, to_text(now), to_text(now + ttl)],
    )?;
    Ok(token)
}

/// The hash of a token as the client sent it; one that cannot be ours is refused outright.
fn presented(token: &str) -> Result<String, ApiError> {
    let token = token.trim();
    if token.is_empty() || token.len() > 128 {
        return Err(ApiError::InvalidToken);
    }
    Ok(hash_token(token))
}

/// The user and new email of a live (unused, unrevoked, unexpired) token of `kind`.
fn live(conn: &Conn<'_>, hash: &str, kind: &str) -> Result<Option<(String, Option<String>)>, ApiError> {
    Ok(conn
        .query_row(
            "SELECT user_id, new_email FROM account_tokens
             WHERE token_hash = ?1 AND kind = ?2 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?3",
            [hash, kind, &now_text()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// Spends a live token of `kind`: a conditional update, so that of two servers (or two
/// requests) presenting it at once only one succeeds. Any other case is `invalid_token`.
fn spend(conn: &Conn<'_>, hash: &str, kind: &str) -> Result<(String, Option<String>), ApiError> {
    let row = live(conn, hash, kind)?.ok_or(ApiError::InvalidToken)?;
    let now = now_text();
    let marked = conn.execute(
        "UPDATE account_tokens SET used_at = ?1
         WHERE token_hash = ?2 AND kind = ?3 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?1",
        [&now, hash, kind],
    )?;
    if marked != 1 {
        return Err(ApiError::InvalidToken);
    }
    Ok(row)
}

/// Sends `mail`, counting and logging the outcome (never the message: it may hold a token).
async fn deliver(mailer: &Mailer, metrics: &Metrics, kind: &'static str, mail: Mail) -> Result<(), MailError> {
    match mailer.send(mail).await {
        Ok(()) => {
            metrics.mail(kind, "sent");
            tracing::info!(kind, "mail sent");
            Ok(())
        }
        Err(e) => {
            metrics.mail(kind, "failed");
            tracing::warn!(kind, error = %e, "mail not sent");
            Err(e)
        }
    }
}

fn mailer(ctx: &ApiContext) -> Result<Arc<Mailer>, ApiError> {
    ctx.mailer.clone().ok_or(ApiError::MailNotConfigured)
}

/// Counts one account mail asked for by `account` from `addr`.
async fn count_mail_request(ctx: &ApiContext, account: &str, addr: &ClientAddr) -> Result<(), ApiError> {
    let limits = &ctx.settings.mail_limits;
    let ip_key = format!("mail-ip:{}", addr.or_unknown());
    ctx.mail_limiter.hit(&[(account, limits.per_account), (&ip_key, limits.per_address)]).await
}

/// Mails a single-use link to reset the password of the account with this email. The answer
/// is the same (202) whether or not such an account exists, and takes as long: the mail is sent
/// in the background. Limited per email address and per client address (429). A newer request
/// revokes the older links.
#[utoipa::path(post, path = "/v1/auth/password-reset", tag = "auth", request_body = PasswordResetRequest,
    responses(
        (status = 202, body = Accepted),
        (status = 400, body = ErrorBody, description = "`validation`: not an email address"),
        (status = 429, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "`mail_not_configured`: the server has no `[smtp]` settings"),
    ))]
pub async fn request_password_reset(
    State(ctx): State<ApiContext>,
    addr: ClientAddr,
    ApiJson(req): ApiJson<PasswordResetRequest>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    let mailer = mailer(&ctx)?;
    let email = normalize_email(&req.email)?;
    count_mail_request(&ctx, &format!("mail-reset:{email}"), &addr).await?;
    let ttl_secs = ctx.settings.password_reset_ttl_secs;
    let issued = ctx
        .db
        .tx(move |tx| {
            let user: Option<String> =
                tx.query_row("SELECT id FROM users WHERE email = ?1", [&email], |r| r.get(0)).optional()?;
            let Some(user_id) = user else { return Ok(None) };
            let token = issue(tx, &user_id, PASSWORD_RESET, None, ttl_secs)?;
            audit::record_auth(tx, &user_id, "auth.password_reset_request", addr.as_deref())?;
            Ok(Some((email, token)))
        })
        .await?;
    if let Some((email, token)) = issued {
        let mail = texts::password_reset(&email, &ctx.public_url, &token, ttl_secs);
        let metrics = ctx.metrics.clone();
        // A failure can only be logged: telling the caller would tell that the account exists.
        tokio::spawn(
            async move {
                let _ = deliver(&mailer, &metrics, PASSWORD_RESET, mail).await;
            }
            .instrument(tracing::Span::current()),
        );
    } else {
        tracing::info!("password reset asked for an unknown email");
    }
    Ok((StatusCode::ACCEPTED, Json(Accepted { message: RESET_ACCEPTED.to_owned() })))
}

/// Sets a new password with the token of a reset link. The token works once; every session of
/// the user ends (they sign in again with the new password), and a login lockout of the account
/// is lifted.
#[utoipa::path(post, path = "/v1/auth/password-reset/confirm", tag = "auth", request_body = PasswordResetConfirm,
    responses(
        (status = 204),
        (status = 400, body = ErrorBody,
            description = "`invalid_token` (unknown, used, superseded, expired or altered) or `validation` (password policy)"),
    ))]
pub async fn confirm_password_reset(
    State(ctx): State<ApiContext>,
    addr: ClientAddr,
    ApiJson(req): ApiJson<PasswordResetConfirm>,
) -> Result<StatusCode, ApiError> {
    let hash = presented(&req.token)?;
    check_password_policy(&req.password)?;
    // A cheap look first, so that made-up tokens cost no password hashing.
    let lookup = hash.clone();
    ctx.db.tx(move |tx| live(tx, &lookup, PASSWORD_RESET)?.ok_or(ApiError::InvalidToken)).await?;
    let passwords = ctx.passwords.clone();
    let password = req.password;
    let password_hash = tokio::task::spawn_blocking(move || passwords.hash(&password))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))??;
    let email = ctx
        .db
        .tx(move |tx| {
            let (user_id, _) = spend(tx, &hash, PASSWORD_RESET)?;
            tx.execute("UPDATE users SET password_hash = ?1 WHERE id = ?2", [&password_hash, &user_id])?;
            tx.execute(
                "UPDATE auth_tokens SET revoked_at = ?1 WHERE user_id = ?2 AND revoked_at IS NULL",
                [&now_text(), &user_id],
            )?;
            revoke_pending(tx, &user_id, PASSWORD_RESET)?;
            audit::record_auth(tx, &user_id, "auth.password_reset", addr.as_deref())?;
            Ok(load_user(tx, &user_id)?.email)
        })
        .await?;
    ctx.limiter.succeed(&LoginLimiter::account_key(&email)).await?;
    tracing::info!("password reset");
    Ok(StatusCode::NO_CONTENT)
}

/// Asks to change the signed-in user's email address: checks the current password (throttled
/// like a login), mails a single-use confirmation link to the new address and a notice to the
/// current one. Nothing changes until the link is used.
#[utoipa::path(post, path = "/v1/me/email", tag = "auth", security(("bearer" = [])),
    request_body = ChangeEmailRequest,
    responses(
        (status = 202, body = Accepted),
        (status = 400, body = ErrorBody, description = "`validation`: not an email address, or the current one"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "`wrong_password`"),
        (status = 409, body = ErrorBody, description = "`conflict`: another account uses the address"),
        (status = 429, body = ErrorBody),
        (status = 502, body = ErrorBody, description = "`mail_failed`: the mail server did not take the confirmation"),
        (status = 503, body = ErrorBody, description = "`mail_not_configured`: the server has no `[smtp]` settings"),
    ))]
pub async fn request_email_change(
    State(ctx): State<ApiContext>,
    user: AuthUser,
    addr: ClientAddr,
    ApiJson(req): ApiJson<ChangeEmailRequest>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    let mailer = mailer(&ctx)?;
    let new_email = normalize_email(&req.new_email)?;
    let check = PasswordCheck::load(&ctx, &user.user_id, &addr).await?;
    if new_email == check.email {
        return Err(ApiError::validation("this is already the account's email address"));
    }
    check.within_limits(&ctx).await?;
    let stored = check.stored.clone();
    let passwords = ctx.passwords.clone();
    let password = req.password;
    let verified = tokio::task::spawn_blocking(move || passwords.verify(Some(&stored), &password))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    if !verified {
        check.failed(&ctx).await?;
        let (user_id, client) = (user.user_id.clone(), addr.clone());
        ctx.db.tx(move |tx| audit::record_auth(tx, &user_id, "user.email_change_failed", client.as_deref())).await?;
        return Err(ApiError::WrongPassword);
    }
    count_mail_request(&ctx, &format!("mail-user:{}", user.user_id), &addr).await?;
    let ttl_secs = ctx.settings.email_change_ttl_secs;
    let (user_id, wanted, client) = (user.user_id.clone(), new_email.clone(), addr.clone());
    let token = ctx
        .db
        .tx(move |tx| {
            let taken: Option<String> =
                tx.query_row("SELECT id FROM users WHERE email = ?1", [&wanted], |r| r.get(0)).optional()?;
            if taken.is_some() {
                return Err(ApiError::Conflict("another account uses this email address".into()));
            }
            let token = issue(tx, &user_id, EMAIL_CHANGE, Some(&wanted), ttl_secs)?;
            audit::record_auth(tx, &user_id, "user.email_change_request", client.as_deref())?;
            Ok(token)
        })
        .await?;
    let confirm = texts::email_change_confirm(&new_email, &ctx.public_url, &token, ttl_secs);
    if deliver(&mailer, &ctx.metrics, EMAIL_CHANGE, confirm).await.is_err() {
        // The link never left: withdraw it, so that no half-made request lingers.
        let hash = hash_token(&token);
        ctx.db
            .tx(move |tx| {
                tx.execute(
                    "UPDATE account_tokens SET revoked_at = ?1 WHERE token_hash = ?2 AND revoked_at IS NULL",
                    [&now_text(), &hash],
                )?;
                Ok(())
            })
            .await?;
        return Err(ApiError::MailFailed);
    }
    // The notice is informative; when it fails, the change can still be confirmed (logged).
    let _ = deliver(&mailer, &ctx.metrics, "email_change_notice", texts::email_change_notice(&check.email, &new_email))
        .await;
    let message = format!("A confirmation link is on its way to {new_email}; the address changes when it is opened.");
    Ok((StatusCode::ACCEPTED, Json(Accepted { message })))
}

/// Changes the email address with the token mailed to the new address. Whoever holds the link
/// may use it (the request was made with the account's password), once. Pending password-reset
/// and email-change links of the account stop working.
#[utoipa::path(post, path = "/v1/me/email/confirm", tag = "auth", request_body = ConfirmEmailRequest,
    responses(
        (status = 200, body = User),
        (status = 400, body = ErrorBody, description = "`invalid_token` (unknown, used, superseded, expired or altered)"),
        (status = 409, body = ErrorBody, description = "`conflict`: another account took the address meanwhile"),
    ))]
pub async fn confirm_email_change(
    State(ctx): State<ApiContext>,
    addr: ClientAddr,
    ApiJson(req): ApiJson<ConfirmEmailRequest>,
) -> Result<Json<User>, ApiError> {
    let hash = presented(&req.token)?;
    let user = ctx
        .db
        .tx(move |tx| {
            let (user_id, new_email) = spend(tx, &hash, EMAIL_CHANGE)?;
            let new_email = new_email.ok_or_else(|| ApiError::internal("an email-change token without an email"))?;
            let taken: Option<String> = tx
                .query_row("SELECT id FROM users WHERE email = ?1 AND id <> ?2", [&new_email, &user_id], |r| r.get(0))
                .optional()?;
            if taken.is_some() {
                return Err(ApiError::Conflict("another account uses this email address now".into()));
            }
            // Another instance may give the address to another account between the check and
            // this update: the UNIQUE constraint decides, and the answer is the same conflict.
            tx.execute("UPDATE users SET email = ?1 WHERE id = ?2", [&new_email, &user_id]).map_err(|e| {
                if e.is_unique_violation() {
                    ApiError::Conflict("another account uses this email address now".into())
                } else {
                    ApiError::from(e)
                }
            })?;
            revoke_pending(tx, &user_id, EMAIL_CHANGE)?;
            revoke_pending(tx, &user_id, PASSWORD_RESET)?;
            audit::record_auth(tx, &user_id, "user.email_change", addr.as_deref())?;
            load_user(tx, &user_id)
        })
        .await?;
    tracing::info!("email changed");
    Ok(Json(user))
}
