//! The one error type of the HTTP layer. Every failure becomes
//! `{"error": {"code", "message"}}` with a fitting status code; internal details are logged,
//! never sent.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use revlens_sync::ErrorBody;

/// The header that tells how many bytes an upload has.
pub const UPLOAD_OFFSET: axum::http::HeaderName = axum::http::HeaderName::from_static("upload-offset");

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No valid bearer token (missing, unknown, expired, revoked or tampered).
    #[error("authentication required")]
    Unauthorized,
    /// Login, refresh or invitation credentials that do not check out. One message for every
    /// cause, so an answer never tells whether an account exists.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The caller is a member of the org but their role does not allow this.
    #[error("your role does not allow this")]
    Forbidden,
    /// A signed-in user's current password, asked again before a sensitive change, is wrong.
    #[error("the password is wrong")]
    WrongPassword,
    /// An emailed single-use token (password reset, email confirmation) that is unknown, used,
    /// superseded, expired or altered. One message for every cause.
    #[error("this link is invalid or has expired; ask for a new one")]
    InvalidToken,
    /// No mail server is configured, so nothing that sends mail can be done.
    #[error("this server cannot send mail (no [smtp] settings); ask its administrator")]
    MailNotConfigured,
    /// The mail server did not take a message.
    #[error("the mail could not be sent; try again later")]
    MailFailed,
    /// Not found, or not visible to the caller (other orgs' objects look absent).
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    Conflict(String),
    #[error("the bytes do not hash to the SHA-256 they were sent under")]
    HashMismatch,
    /// A chunk sent at another offset than where the upload stands (`expected`).
    #[error("the upload is at offset {expected}; send the chunk from there")]
    OffsetMismatch { expected: u64 },
    /// Completing an upload that has not all its bytes yet.
    #[error("the upload has {received} of {size} bytes; send the rest first")]
    UploadIncomplete { received: u64, size: u64 },
    #[error("too many attempts; try again later")]
    RateLimited { retry_after_secs: u64 },
    #[error("the request body is too large")]
    PayloadTooLarge,
    /// The org has no `[[oidc]]` settings (or does not exist): it signs in by password only.
    #[error("this org has no single sign-on (OIDC) configured; sign in with email and password")]
    OidcNotConfigured,
    /// An OIDC callback whose `state` is unknown, already used, expired or altered.
    #[error("this sign-in is unknown, used or expired; start it again")]
    InvalidState,
    /// The provider refused the sign-in, or its answer (code exchange, ID token) did not check
    /// out. Details are in the log and the audit row, not here.
    #[error("the sign-in with the identity provider failed; start it again")]
    OidcFailed,
    /// The provider vouched for someone who is not a member of the org and holds no invitation.
    #[error("no member of this org matches this sign-in; ask an admin of the org for an invitation")]
    OidcNoAccount,
    /// The provider's discovery document or keys could not be read.
    #[error("the identity provider cannot be reached; try again later")]
    OidcProviderUnavailable,
    #[error("internal error: {0}")]
    Internal(String),
    #[error("database error: {0}")]
    Database(#[from] crate::db::SqlError),
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

impl ApiError {
    pub fn validation(message: impl Into<String>) -> Self {
        Self::Validation(message.into())
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::Internal(message.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized | ApiError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden | ApiError::WrongPassword => StatusCode::FORBIDDEN,
            ApiError::InvalidToken => StatusCode::BAD_REQUEST,
            ApiError::MailNotConfigured => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::MailFailed => StatusCode::BAD_GATEWAY,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Validation(_) | ApiError::HashMismatch => StatusCode::BAD_REQUEST,
            ApiError::Conflict(_) | ApiError::OffsetMismatch { .. } | ApiError::UploadIncomplete { .. } => {
                StatusCode::CONFLICT
            }
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::OidcNotConfigured => StatusCode::NOT_FOUND,
            ApiError::InvalidState => StatusCode::BAD_REQUEST,
            ApiError::OidcFailed => StatusCode::UNAUTHORIZED,
            ApiError::OidcNoAccount => StatusCode::FORBIDDEN,
            ApiError::OidcProviderUnavailable => StatusCode::BAD_GATEWAY,
            ApiError::Internal(_) | ApiError::Database(_) | ApiError::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized => "unauthorized",
            ApiError::InvalidCredentials => "invalid_credentials",
            ApiError::Forbidden => "forbidden",
            ApiError::WrongPassword => "wrong_password",
            ApiError::InvalidToken => "invalid_token",
            ApiError::MailNotConfigured => "mail_not_configured",
            ApiError::MailFailed => "mail_failed",
            ApiError::NotFound => "not_found",
            ApiError::Validation(_) => "validation",
            ApiError::Conflict(_) => "conflict",
            ApiError::HashMismatch => "hash_mismatch",
            ApiError::OffsetMismatch { .. } => "offset_mismatch",
            ApiError::UploadIncomplete { .. } => "upload_incomplete",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::OidcNotConfigured => "oidc_not_configured",
            ApiError::InvalidState => "invalid_state",
            ApiError::OidcFailed => "oidc_failed",
            ApiError::OidcNoAccount => "oidc_no_account",
            ApiError::OidcProviderUnavailable => "oidc_provider_unavailable",
            ApiError::Internal(_) | ApiError::Database(_) | ApiError::Io(_) => "internal",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let internal = matches!(self, ApiError::Internal(_) | ApiError::Database(_) | ApiError::Io(_));
        let message = if internal {
            tracing::error!(error = %self, "request failed");
            "internal error".to_owned()
        } else {
            self.to_string()
        };
        let mut response = (status, Json(ErrorBody::new(self.code(), message))).into_response();
        match self {
            ApiError::RateLimited { retry_after_secs } => {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            }
            ApiError::OffsetMismatch { expected } => {
                response.headers_mut().insert(UPLOAD_OFFSET, HeaderValue::from(expected));
            }
            _ => {}
        }
        response
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::JsonRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::PayloadTooLarge;
        }
        ApiError::Validation(rejection.body_text())
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::QueryRejection) -> Self {
        ApiError::Validation(rejection.body_text())
    }
}

impl From<axum::extract::rejection::BytesRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::BytesRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::PayloadTooLarge;
        }
        ApiError::Validation(rejection.body_text())
    }
}

impl From<crate::blobs::BlobError> for ApiError {
    fn from(e: crate::blobs::BlobError) -> Self {
        match e {
            crate::blobs::BlobError::HashMismatch => ApiError::HashMismatch,
            other => ApiError::Internal(other.to_string()),
        }
    }
}
