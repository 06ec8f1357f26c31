//! Identity: login, token refresh, first-owner setup and the signed-in user.

use serde::{Deserialize, Serialize};

use crate::orgs::Role;

/// `POST /v1/auth/login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// A new session, or a refreshed one: a short-lived bearer token and the token that renews it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenResponse {
    pub access_token: String,
    /// Single use: `POST /v1/auth/refresh` returns a new one; presenting a used one again
    /// revokes the whole session.
    pub refresh_token: String,
    /// Lifetime of `access_token`, in seconds.
    pub expires_in: u64,
}

/// `POST /v1/auth/refresh`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// `POST /v1/auth/oidc/token`: the one-time code an OIDC sign-in handed to the client's loopback
/// redirect, and the PKCE verifier whose challenge the client sent to
/// `GET /v1/auth/oidc/{org}/start`. Answered with a [`TokenResponse`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OidcTokenRequest {
    pub code: String,
    pub code_verifier: String,
}

/// `POST /v1/setup`: redeem the one-time setup token printed at first start and create the
/// first org and its owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetupRequest {
    pub token: String,
    pub email: String,
    pub password: String,
    pub name: String,
    pub org: String,
}

/// A user, as others see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
}

/// One org the user belongs to, and their role in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgMembership {
    pub id: String,
    pub name: String,
    pub role: Role,
}

/// `GET /v1/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeResponse {
    pub user: User,
    pub orgs: Vec<OrgMembership>,
}

/// `PATCH /v1/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateProfileRequest {
    pub name: String,
}

/// `POST /v1/me/password`: every other session of the user ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// `POST /v1/auth/password-reset`: mail a single-use link to reset the password of the account
/// with this email, if there is one (the answer is the same either way).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordResetRequest {
    pub email: String,
}

/// `POST /v1/auth/password-reset/confirm`: the token from the mailed link and the new password.
/// Every session of the user ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordResetConfirm {
    pub token: String,
    pub password: String,
}

/// `POST /v1/me/email`: mail a confirmation link to `new_email` (and a notice to the current
/// address); the current password is asked again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangeEmailRequest {
    pub new_email: String,
    pub password: String,
}

/// `POST /v1/me/email/confirm`: the token from the link mailed to the new address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConfirmEmailRequest {
    pub token: String,
}

/// A request taken (202): what happens next, for a person to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Accepted {
    pub message: String,
}
