//! OIDC sign-in for orgs with an `[[oidc]]` section: the authorization-code flow with PKCE
//! against the org's provider, ending in the server's usual session (access + refresh token).
//!
//! A desktop or CLI client (RFC 8252, "native app"):
//! 1. listens on a loopback port, makes its own PKCE pair, and opens the browser at
//!    `GET /v1/auth/oidc/{org}/start?redirect_uri=http://127.0.0.1:PORT/…&code_challenge=…`;
//! 2. the server remembers the sign-in (its own state, nonce and PKCE verifier, single use, ten
//!    minutes) and redirects to the provider;
//! 3. the provider sends the browser to `GET /v1/auth/oidc/callback`: the server spends the
//!    state, exchanges the code with its verifier, validates the ID token (signature against the
//!    provider's JWKS, issuer, audience, expiry, nonce), finds the member, and redirects the
//!    browser to the client's loopback address with a one-time code (one minute);
//! 4. the client posts that code with its PKCE verifier to `POST /v1/auth/oidc/token` and gets
//!    the token pair. The verifier binds the code to the client that started the sign-in, so
//!    another program that sees the loopback redirect cannot use it.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration as StdDuration, Instant};

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{Duration, Utc};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, EmptyAdditionalClaims, EndUserEmail,
    EndUserName, IssuerUrl, Nonce, OAuth2TokenResponse as _, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RequestTokenError, Scope, TokenResponse as _, UserInfoClaims,
};
use revlens_sync::{ErrorBody, OidcTokenRequest, TokenResponse};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::auth::issue_session;
use super::error::ApiError;
use super::extractor::ApiJson;
use super::{ApiContext, ClientAddr};
use crate::audit::{self, AuditEvent};
use crate::configuration::OidcOrgSettings;
use crate::db::{Conn, OptionalExtension};
use crate::security::{hash_token, new_token};
use crate::time::{now_text, to_text};

/// How long a sign-in sent to the provider may take.
const LOGIN_TTL_SECS: i64 = 600;
/// How long the one-time code handed to the client works.
const HANDOFF_TTL_SECS: i64 = 60;
/// How long a provider's discovery document and keys are reused.
const DISCOVERY_TTL: StdDuration = StdDuration::from_secs(300);

/// The providers' discovery documents (with their JWKS), cached for a few minutes, and the HTTP
/// client that talks to them (no redirects followed, bounded time).
pub struct OidcProviders {
    http: reqwest::Client,
    cache: Mutex<HashMap<String, (Instant, CoreProviderMetadata)>>,
}

impl OidcProviders {
    /// Checks the `[[oidc]]` sections (one per org, an issuer URL, a client id) and makes the
    /// HTTP client.
    pub fn new(settings: &[OidcOrgSettings]) -> Result<Self, ApiError> {
        let mut orgs = std::collections::HashSet::new();
        for oidc in settings {
            let invalid = |what: &str| ApiError::validation(format!("[[oidc]] of org {:?}: {what}", oidc.org));
            if !orgs.insert(oidc.org.as_str()) {
                return Err(invalid("the org has two [[oidc]] sections"));
            }
            if oidc.client_id.trim().is_empty() {
                return Err(invalid("client_id is empty"));
            }
            let issuer = reqwest::Url::parse(&oidc.issuer).map_err(|_| invalid("issuer is not a URL"))?;
            if !matches!(issuer.scheme(), "https" | "http") || issuer.query().is_some() || issuer.fragment().is_some() {
                return Err(invalid("issuer must be an http(s) URL without query or fragment"));
            }
        }
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(StdDuration::from_secs(10))
            .build()
            .map_err(|e| ApiError::internal(format!("OIDC HTTP client: {e}")))?;
        Ok(Self { http, cache: Mutex::new(HashMap::new()) })
    }

    async fn metadata(&self, issuer: &str) -> Result<CoreProviderMetadata, ApiError> {
        {
            let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some((at, metadata)) = cache.get(issuer) {
                if at.elapsed() < DISCOVERY_TTL {
                    return Ok(metadata.clone());
                }
            }
        }
        let url = IssuerUrl::new(issuer.to_owned()).map_err(|e| ApiError::internal(format!("issuer URL: {e}")))?;
        let metadata = CoreProviderMetadata::discover_async(url, &self.http).await.map_err(|e| {
            tracing::warn!(issuer, error = %e, "OIDC discovery failed");
            ApiError::OidcProviderUnavailable
        })?;
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(issuer.to_owned(), (Instant::now(), metadata.clone()));
        Ok(metadata)
    }

    /// Drops a provider's cached keys (after a signature failure: it may have rotated them).
    fn forget(&self, issuer: &str) {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner).remove(issuer);
    }
}

/// Why a sign-in failed, as the audit row names it (`object_id` of `auth.oidc_failed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    InvalidState,
    NotConfigured,
    ProviderUnavailable,
    ProviderError,
    CodeExchange,
    NoIdToken,
    WrongAudience,
    WrongIssuer,
    WrongNonce,
    Expired,
    BadSignature,
    InvalidIdToken,
    EmailUnverified,
    NoAccount,
}

impl Failure {
    fn reason(self) -> &'static str {
        match self {
            Failure::InvalidState => "invalid_state",
            Failure::NotConfigured => "not_configured",
            Failure::ProviderUnavailable => "provider_unavailable",
            Failure::ProviderError => "provider_error",
            Failure::CodeExchange => "code_exchange",
            Failure::NoIdToken => "no_id_token",
            Failure::WrongAudience => "wrong_audience",
            Failure::WrongIssuer => "wrong_issuer",
            Failure::WrongNonce => "wrong_nonce",
            Failure::Expired => "expired",
            Failure::BadSignature => "bad_signature",
            Failure::InvalidIdToken => "invalid_id_token",
            Failure::EmailUnverified => "email_unverified",
            Failure::NoAccount => "no_account",
        }
    }

    fn error(self) -> ApiError {
        match self {
            Failure::InvalidState => ApiError::InvalidState,
            Failure::NotConfigured => ApiError::OidcNotConfigured,
            Failure::ProviderUnavailable => ApiError::OidcProviderUnavailable,
            Failure::EmailUnverified | Failure::NoAccount => ApiError::OidcNoAccount,
            _ => ApiError::OidcFailed,
        }
    }

    fn from_claims(error: &ClaimsVerificationError) -> Self {
        match error {
            ClaimsVerificationError::InvalidAudience(_) => Failure::WrongAudience,
            ClaimsVerificationError::InvalidIssuer(_) => Failure::WrongIssuer,
            ClaimsVerificationError::InvalidNonce(_) => Failure::WrongNonce,
            ClaimsVerificationError::Expired(_) => Failure::Expired,
            ClaimsVerificationError::SignatureVerification(_) => Failure::BadSignature,
            _ => Failure::InvalidIdToken,
        }
    }
}

/// `GET /v1/auth/oidc/{org}/start`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StartParams {
    /// Where the client waits: `http://127.0.0.1:PORT/…`, `http://[::1]:PORT/…` or
    /// `http://localhost:PORT/…`.
    pub redirect_uri: String,
    /// The client's PKCE challenge: base64url(SHA-256(verifier)), 43 characters.
    pub code_challenge: String,
    /// Only `S256` (the default).
    pub code_challenge_method: Option<String>,
    /// Echoed back to `redirect_uri` untouched (at most 512 characters).
    pub state: Option<String>,
}

/// `GET /v1/auth/oidc/callback`, as the provider sends it.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

/// A loopback `http` URL (RFC 8252 §7.3): the only place a finished sign-in is handed to, so a
/// link made by someone else cannot send a victim's session to a foreign site.
fn loopback_redirect(uri: &str) -> Result<reqwest::Url, ApiError> {
    let refuse = || {
        ApiError::validation(
            "redirect_uri must be http://127.0.0.1:PORT/…, http://[::1]:PORT/… or http://localhost:PORT/…",
        )
    };
    let url = reqwest::Url::parse(uri).map_err(|_| refuse())?;
    let host = url.host_str().unwrap_or("");
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    let plain =
        url.scheme() == "http" && url.username().is_empty() && url.password().is_none() && url.fragment().is_none();
    if loopback && plain {
        Ok(url)
    } else {
        Err(refuse())
    }
}

fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn callback_url(ctx: &ApiContext) -> Result<RedirectUrl, ApiError> {
    RedirectUrl::new(format!("{}/v1/auth/oidc/callback", ctx.public_url))
        .map_err(|e| ApiError::internal(format!("callback URL: {e}")))
}

/// Starts an OIDC sign-in for `org`: redirects (303) to the org's provider with a fresh state,
/// nonce and S256 PKCE challenge. An org without `[[oidc]]` settings answers
/// `404 oidc_not_configured`.
#[utoipa::path(get, path = "/v1/auth/oidc/{org}/start", tag = "auth",
    params(("org" = String, Path, description = "the org id"), StartParams),
    responses(
        (status = 303, description = "to the provider's authorization endpoint"),
        (status = 400, body = ErrorBody, description = "`validation`: a bad redirect_uri or code_challenge"),
        (status = 404, body = ErrorBody, description = "`oidc_not_configured`"),
        (status = 502, body = ErrorBody, description = "`oidc_provider_unavailable`: discovery failed"),
    ))]
pub async fn start(
    State(ctx): State<ApiContext>,
    Path(org): Path<String>,
    Query(params): Query<StartParams>,
) -> Result<Response, ApiError> {
    let config = ctx.settings.oidc_for(&org).cloned().ok_or(ApiError::OidcNotConfigured)?;
    let redirect = loopback_redirect(&params.redirect_uri)?;
    if params.code_challenge_method.as_deref().is_some_and(|m| m != "S256") {
        return Err(ApiError::validation("code_challenge_method must be S256"));
    }
    let challenge = params.code_challenge.trim().to_owned();
    let b64url = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if challenge.len() != 43 || !challenge.chars().all(b64url) {
        return Err(ApiError::validation("code_challenge must be base64url(SHA-256(verifier)), 43 characters"));
    }
    if params.state.as_ref().is_some_and(|s| s.len() > 512) {
        return Err(ApiError::validation("state must have at most 512 characters"));
    }
    let lookup = org.clone();
    let exists: Option<String> = ctx
        .db
        .tx(move |tx| Ok(tx.query_row("SELECT id FROM orgs WHERE id = ?1", [&lookup], |r| r.get(0)).optional()?))
        .await?;
    if exists.is_none() {
        return Err(ApiError::OidcNotConfigured);
    }
    let client = oidc_client(&ctx, &config).await?;
    let (pkce_challenge, pkce_verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(pkce_challenge)
        .url();
    let now = Utc::now();
    let row = (
        hash_token(state.secret()),
        org,
        nonce.secret().clone(),
        pkce_verifier.secret().clone(),
        redirect.to_string(),
        challenge,
        params.state,
    );
    ctx.db
        .tx(move |tx| {
            let (state_hash, org, nonce, verifier, redirect, challenge, client_state) = row;
            // Housekeeping: sign-ins and handoff codes past their time are of no use to anyone.
            let now_text = to_text(now);
            tx.execute("DELETE FROM oidc_logins WHERE expires_at <= ?1", [&now_text])?;
            tx.execute("DELETE FROM oidc_handoffs WHERE expires_at <= ?1", [&now_text])?;
            tx.execute(
                "INSERT INTO oidc_logins (state_hash, org_id, nonce, pkce_verifier, client_redirect_uri,
                     client_challenge, client_state, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                crate::db::params![
                    state_hash,
                    org,
                    nonce,
                    verifier,
                    redirect,
                    challenge,
                    client_state,
                    to_text(now),
                    to_text(now + Duration::seconds(LOGIN_TTL_SECS))
                ],
            )?;
            Ok(())
        })
        .await?;
    Ok(see_other(url.as_str()))
}

fn see_other(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, location), (header::CACHE_CONTROL, "no-store"), (header::REFERRER_POLICY, "no-referrer")],
    )
        .into_response()
}

type ProviderClient = openidconnect::Client<
    openidconnect::EmptyAdditionalClaims,
    openidconnect::core::CoreAuthDisplay,
    openidconnect::core::CoreGenderClaim,
    openidconnect::core::CoreJweContentEncryptionAlgorithm,
    openidconnect::core::CoreJsonWebKey,
    openidconnect::core::CoreAuthPrompt,
    openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
    openidconnect::core::CoreTokenResponse,
    openidconnect::core::CoreTokenIntrospectionResponse,
    openidconnect::core::CoreRevocableToken,
    openidconnect::core::CoreRevocationErrorResponse,
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

async fn oidc_client(ctx: &ApiContext, config: &OidcOrgSettings) -> Result<ProviderClient, ApiError> {
    let metadata = ctx.oidc.metadata(&config.issuer).await?;
    let secret = config.client_secret.as_ref().map(|s| ClientSecret::new(s.expose().to_owned()));
    let client: ProviderClient =
        CoreClient::from_provider_metadata(metadata, ClientId::new(config.client_id.clone()), secret)
            .set_redirect_uri(callback_url(ctx)?);
    Ok(client)
}

/// A sign-in read back from `oidc_logins` by its state.
struct PendingLogin {
    org_id: String,
    nonce: String,
    pkce_verifier: String,
    client_redirect_uri: String,
    client_challenge: String,
    client_state: Option<String>,
}

/// What the ID token vouched for.
struct Identity {
    issuer: String,
    subject: String,
    /// Only when the provider says it verified the address.
    verified_email: Option<String>,
    name: Option<String>,
}

/// The provider's redirect back: spends the state, exchanges the code, validates the ID token,
/// finds the member, and redirects (303) to the client's loopback `redirect_uri` with
/// `code` (one-time, one minute) and the client's `state`. Every sign-in and every failure is an
/// audit row (`auth.oidc_login`; `auth.oidc_failed` with the reason as its object id).
#[utoipa::path(get, path = "/v1/auth/oidc/callback", tag = "auth", params(CallbackParams),
    responses(
        (status = 303, description = "to the client's redirect_uri with `code` and `state`"),
        (status = 400, body = ErrorBody, description = "`invalid_state`: unknown, used, expired or altered"),
        (status = 401, body = ErrorBody, description = "`oidc_failed`: the provider refused, or its answer did not check out"),
        (status = 403, body = ErrorBody, description = "`oidc_no_account`: no member matches and no invitation is pending"),
        (status = 502, body = ErrorBody, description = "`oidc_provider_unavailable`"),
    ))]
pub async fn callback(
    State(ctx): State<ApiContext>,
    addr: ClientAddr,
    Query(params): Query<CallbackParams>,
) -> Result<Response, ApiError> {
    let state_hash = params.state.as_deref().map(hash_token);
    let login = match state_hash {
        Some(hash) => spend_state(&ctx, hash).await?,
        None => None,
    };
    let Some(login) = login else {
        record_failure(&ctx, None, Failure::InvalidState, &addr).await?;
        return Err(ApiError::InvalidState);
    };
    let identity = match verify(&ctx, &login, params.code, params.error).await {
        Ok(identity) => identity,
        Err(failure) => {
            record_failure(&ctx, Some(&login.org_id), failure, &addr).await?;
            return Err(failure.error());
        }
    };
    // An account made by an invitation gets an unusable random password (a real hash, so a
    // password login against it takes as long as any other).
    let passwords = ctx.passwords.clone();
    let placeholder_hash = tokio::task::spawn_blocking(move || passwords.hash(&new_token()?))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))??;
    let org_id = login.org_id.clone();
    let challenge = login.client_challenge.clone();
    let client = addr.clone();
    let linked = ctx
        .db
        .tx(move |tx| {
            let user_id = match link_member(tx, &org_id, &identity, &placeholder_hash, client.as_deref())? {
                Ok(user_id) => user_id,
                Err(failure) => return Ok(Err(failure)),
            };
            let code = new_token()?;
            let now = Utc::now();
            tx.execute(
                "INSERT INTO oidc_handoffs (code_hash, user_id, client_challenge, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                crate::db::params![
                    hash_token(&code),
                    user_id,
                    challenge,
                    to_text(now),
                    to_text(now + Duration::seconds(HANDOFF_TTL_SECS))
                ],
            )?;
            audit::record_auth(tx, &user_id, "auth.oidc_login", client.as_deref())?;
            Ok(Ok(code))
        })
        .await?;
    let code = match linked {
        Ok(code) => code,
        Err(failure) => {
            record_failure(&ctx, Some(&login.org_id), failure, &addr).await?;
            return Err(failure.error());
        }
    };
    tracing::info!("OIDC sign-in succeeded");
    let mut target = reqwest::Url::parse(&login.client_redirect_uri)
        .map_err(|e| ApiError::internal(format!("stored redirect_uri: {e}")))?;
    {
        let mut query = target.query_pairs_mut();
        query.append_pair("code", &code);
        if let Some(state) = &login.client_state {
            query.append_pair("state", state);
        }
    }
    Ok(see_other(target.as_str()))
}

/// Marks the sign-in with this state used (a conditional update: a second callback with the
/// same state, on any server, finds nothing) and reads it back; `None` when unknown, used or
/// expired.
async fn spend_state(ctx: &ApiContext, state_hash: String) -> Result<Option<PendingLogin>, ApiError> {
    ctx.db
        .tx(move |tx| {
            let now = now_text();
            let spent = tx.execute(
                "UPDATE oidc_logins SET used_at = ?1 WHERE state_hash = ?2 AND used_at IS NULL AND expires_at > ?1",
                [&now, &state_hash],
            )?;
            if spent != 1 {
                return Ok(None);
            }
            Ok(Some(tx.query_row(
                "SELECT org_id, nonce, pkce_verifier, client_redirect_uri, client_challenge, client_state
                 FROM oidc_logins WHERE state_hash = ?1",
                [&state_hash],
                |r| {
                    Ok(PendingLogin {
                        org_id: r.get(0)?,
                        nonce: r.get(1)?,
                        pkce_verifier: r.get(2)?,
                        client_redirect_uri: r.get(3)?,
                        client_challenge: r.get(4)?,
                        client_state: r.get(5)?,
                    })
                },
            )?))
        })
        .await
}

/// Exchanges the code (with the PKCE verifier) and validates the ID token.
async fn verify(
    ctx: &ApiContext,
    login: &PendingLogin,
    code: Option<String>,
    error: Option<String>,
) -> Result<Identity, Failure> {
    let config = ctx.settings.oidc_for(&login.org_id).cloned().ok_or(Failure::NotConfigured)?;
    if let Some(error) = error {
        // The provider's error code only (a short token from its answer), never more.
        let error: String = error.chars().take(64).filter(|c| c.is_ascii_graphic()).collect();
        tracing::info!(error, "the provider refused the sign-in");
        return Err(Failure::ProviderError);
    }
    let code = code.ok_or(Failure::ProviderError)?;
    let client = oidc_client(ctx, &config).await.map_err(|e| match e {
        ApiError::OidcProviderUnavailable => Failure::ProviderUnavailable,
        _ => Failure::CodeExchange,
    })?;
    let response = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|_| Failure::CodeExchange)?
        .set_pkce_verifier(PkceCodeVerifier::new(login.pkce_verifier.clone()))
        .request_async(&ctx.oidc.http)
        .await
        .map_err(|e| {
            // The category and the provider's error code; a response body may hold tokens.
            let why = match &e {
                RequestTokenError::ServerResponse(r) => r.error().to_string(),
                RequestTokenError::Request(_) => "request failed".to_owned(),
                RequestTokenError::Parse(_, _) => "unreadable response".to_owned(),
                RequestTokenError::Other(_) => "other".to_owned(),
            };
            tracing::warn!(why, "OIDC code exchange failed");
            Failure::CodeExchange
        })?;
    let id_token = response.id_token().ok_or(Failure::NoIdToken)?;
    let verifier = client.id_token_verifier();
    let claims = id_token.claims(&verifier, &Nonce::new(login.nonce.clone())).map_err(|e| {
        let failure = Failure::from_claims(&e);
        if failure == Failure::BadSignature {
            ctx.oidc.forget(&config.issuer);
        }
        tracing::warn!(reason = failure.reason(), error = %e, "OIDC ID token refused");
        failure
    })?;
    let verified = |email: Option<&EndUserEmail>, verified: Option<bool>| match (email, verified) {
        (Some(email), Some(true)) => Some(email.as_str().trim().to_lowercase()),
        _ => None,
    };
    let short = |name: &EndUserName| name.as_str().trim().chars().take(200).collect::<String>();
    let mut identity = Identity {
        issuer: claims.issuer().as_str().to_owned(),
        subject: claims.subject().as_str().to_owned(),
        verified_email: verified(claims.email(), claims.email_verified()),
        name: claims.name().and_then(|n| n.get(None)).map(short),
    };
    // A provider that keeps the profile claims out of the ID token (as OIDC Core 5.4 has it
    // when an access token is issued) gives them at its userinfo endpoint, for the same subject.
    if claims.email().is_none() {
        let request = client.user_info(response.access_token().clone(), Some(claims.subject().clone()));
        if let Ok(request) = request {
            let info: Result<UserInfoClaims<EmptyAdditionalClaims, CoreGenderClaim>, _> =
                request.request_async(&ctx.oidc.http).await;
            match info {
                Ok(info) => {
                    identity.verified_email = verified(info.email(), info.email_verified());
                    if identity.name.is_none() {
                        identity.name = info.name().and_then(|n| n.get(None)).map(short);
                    }
                }
                // Not the error itself: its text may quote the provider's answer.
                Err(_) => tracing::warn!("OIDC userinfo request failed"),
            }
        }
    }
    Ok(identity)
}

/// The member of `org_id` this identity is: the user already linked to (issuer, subject), else
/// the user with the provider's verified email. Someone who is not a member gets in only with a
/// pending invitation to that verified email (it is accepted: membership with its role, and an
/// account when there is none). A first sign-in links (issuer, subject) to the user.
fn link_member(
    tx: &Conn<'_>,
    org_id: &str,
    identity: &Identity,
    placeholder_hash: &str,
    client_addr: Option<&str>,
) -> Result<Result<String, Failure>, ApiError> {
    let linked: Option<String> = tx
        .query_row(
            "SELECT user_id FROM oidc_identities WHERE issuer = ?1 AND subject = ?2",
            [&identity.issuer, &identity.subject],
            |r| r.get(0),
        )
        .optional()?;
    let by_email: Option<String> = match (&linked, &identity.verified_email) {
        (None, Some(email)) => {
            tx.query_row("SELECT id FROM users WHERE email = ?1", [email], |r| r.get(0)).optional()?
        }
        _ => None,
    };
    let mut user_id = linked.clone().or(by_email);
    let is_member = |user: &str| -> Result<bool, ApiError> {
        let role: Option<String> = tx
            .query_row("SELECT role FROM memberships WHERE org_id = ?1 AND user_id = ?2", [org_id, user], |r| r.get(0))
            .optional()?;
        Ok(role.is_some())
    };
    let member = match &user_id {
        Some(user) => is_member(user)?,
        None => false,
    };
    if !member {
        let Some(email) = &identity.verified_email else {
            return Ok(Err(if linked.is_none() { Failure::EmailUnverified } else { Failure::NoAccount }));
        };
        let now = now_text();
        let invitation: Option<(String, String)> = tx
            .query_row(
                "SELECT id, role FROM invitations WHERE org_id = ?1 AND email = ?2
                 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?3
                 ORDER BY created_at DESC LIMIT 1",
                [org_id, email, &now],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((invitation_id, role)) = invitation else { return Ok(Err(Failure::NoAccount)) };
        // Conditional, so that of two servers accepting the invitation at once only one does.
        let marked = tx.execute(
            "UPDATE invitations SET accepted_at = ?1 WHERE id = ?2 AND accepted_at IS NULL",
            [&now, &invitation_id],
        )?;
        if marked != 1 {
            return Ok(Err(Failure::NoAccount));
        }
        let user = match &user_id {
            Some(user) => user.clone(),
            None => {
                let id = uuid::Uuid::now_v7().to_string();
                let name = identity.name.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| email.clone());
                tx.execute(
                    "INSERT INTO users (id, email, name, password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    crate::db::params![id, email, name, placeholder_hash, now],
                )?;
                id
            }
        };
        tx.execute(
            "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (?1, ?2, ?3, ?4)",
            crate::db::params![org_id, user, role, now],
        )?;
        audit::record(
            tx,
            &AuditEvent {
                org_id: Some(org_id),
                actor_user_id: Some(&user),
                action: "invitation.accept",
                object_kind: Some("invitation"),
                object_id: Some(&invitation_id),
                client_addr,
            },
        )?;
        user_id = Some(user);
    }
    let Some(user_id) = user_id else { return Ok(Err(Failure::NoAccount)) };
    if linked.is_none() {
        tx.execute(
            "INSERT INTO oidc_identities (issuer, subject, user_id, created_at) VALUES (?1, ?2, ?3, ?4)",
            crate::db::params![identity.issuer, identity.subject, user_id, now_text()],
        )?;
    }
    Ok(Ok(user_id))
}

/// An `auth.oidc_failed` row in the org's audit log (no org when the state was unknown); the
/// reason is its object id. Never a code, a token or an email.
async fn record_failure(
    ctx: &ApiContext,
    org_id: Option<&str>,
    failure: Failure,
    addr: &ClientAddr,
) -> Result<(), ApiError> {
    tracing::info!(reason = failure.reason(), "OIDC sign-in failed");
    let org_id = org_id.map(str::to_owned);
    let addr = addr.clone();
    ctx.db
        .tx(move |tx| {
            audit::record(
                tx,
                &AuditEvent {
                    org_id: org_id.as_deref(),
                    actor_user_id: None,
                    action: "auth.oidc_failed",
                    object_kind: Some("oidc"),
                    object_id: Some(failure.reason()),
                    client_addr: addr.as_deref(),
                },
            )
        })
        .await
}

/// Exchanges the one-time code of a finished OIDC sign-in, with the PKCE verifier of the
/// client that started it, for the usual token pair. The code works once, within a minute; a
/// wrong verifier spends it too. Anything else answers `400 invalid_token`.
#[utoipa::path(post, path = "/v1/auth/oidc/token", tag = "auth", request_body = OidcTokenRequest,
    responses((status = 200, body = TokenResponse), (status = 400, body = ErrorBody)))]
pub async fn token(
    State(ctx): State<ApiContext>,
    addr: ClientAddr,
    ApiJson(req): ApiJson<OidcTokenRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let verifier_ok = (43..=128).contains(&req.code_verifier.len())
        && req.code_verifier.chars().all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c));
    let code_hash = hash_token(req.code.trim());
    let challenge = s256(&req.code_verifier);
    let settings = ctx.settings.clone();
    let tokens = ctx
        .db
        .tx(move |tx| {
            let now = now_text();
            let spent = tx.execute(
                "UPDATE oidc_handoffs SET used_at = ?1 WHERE code_hash = ?2 AND used_at IS NULL AND expires_at > ?1",
                [&now, &code_hash],
            )?;
            if spent != 1 {
                return Ok(None);
            }
            let (user_id, expected): (String, String) = tx.query_row(
                "SELECT user_id, client_challenge FROM oidc_handoffs WHERE code_hash = ?1",
                [&code_hash],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            // Ok(None) rather than an error, so the code stays spent.
            if !verifier_ok || expected != challenge {
                return Ok(None);
            }
            audit::record_auth(tx, &user_id, "auth.oidc_token", addr.as_deref())?;
            Ok(Some(issue_session(tx, &settings, &user_id, &uuid::Uuid::now_v7().to_string())?))
        })
        .await?;
    tokens.map(Json).ok_or(ApiError::InvalidToken)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_redirects_are_accepted() {
        for ok in ["http://127.0.0.1:53682/cb", "http://[::1]:9/x?y=1", "http://localhost:8080/", "http://127.1.2.3/"] {
            assert!(loopback_redirect(ok).is_ok(), "{ok}");
        }
        for bad in [
            "https://127.0.0.1/cb",
            "http://evil.example/cb",
            "http://127.0.0.1.evil.example/cb",
            "http://user@127.0.0.1/cb",
            "http://127.0.0.1/cb#frag",
            "revlens://cb",
            "not a url",
        ] {
            assert!(loopback_redirect(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn s256_matches_rfc_7636() {
        // RFC 7636 appendix B.
        assert_eq!(s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }
}
