//! The RevLens sync protocol: the JSON bodies the sync server and its clients exchange.
//!
//! Everything that crosses the wire lives here, once, so the server (`sync-server/`) and the
//! clients (the CLI and the desktop app) cannot drift apart. The HTTP routes are described in
//! `sync-server/README.md` and in the server's OpenAPI document (`/openapi.json`).
//!
//! - [`auth`]: login, refresh, setup, the signed-in user and their orgs.
//! - [`orgs`]: roles, invitations, the audit log.
//! - [`sync`]: mutations, push and pull (the Replicache-style change feed).
//! - [`share`]: read-only share links.
//! - [`blobs`]: resumable uploads of large files.
//! - `client` (feature `client`): a small async HTTP client of the API.
//! - [`ErrorBody`]: every error response, `{"error": {"code", "message"}}`.

pub mod auth;
pub mod blobs;
#[cfg(feature = "client")]
pub mod client;
pub mod orgs;
pub mod share;
pub mod sync;

pub use auth::{
    Accepted, ChangeEmailRequest, ChangePasswordRequest, ConfirmEmailRequest, LoginRequest, MeResponse,
    OidcTokenRequest, OrgMembership, PasswordResetConfirm, PasswordResetRequest, RefreshRequest, SetupRequest,
    TokenResponse, UpdateProfileRequest, User,
};
pub use blobs::{CreateUploadRequest, Upload, UploadStarted};
pub use orgs::{
    AcceptInvitationRequest, AcceptInvitationResponse, AuditEntry, ChangeRoleRequest, CreateInvitationRequest,
    Invitation, InvitationCreated, Member, Role, UnknownRole,
};
pub use share::{CreateShareLinkRequest, ShareLink, ShareLinkCreated, SharedObject};
pub use sync::{
    BlobStored, Change, Mutation, MutationOp, MutationResult, PullResponse, PushRequest, PushResponse, SyncKind,
    UnknownKind,
};

use serde::{Deserialize, Serialize};

/// The body of every error response: `{"error": {"code": "...", "message": "..."}}`.
///
/// `code` is stable and meant for programs (`unauthorized`, `forbidden`, `not_found`,
/// `conflict`, `validation`, `rate_limited`, `hash_mismatch`, `internal`, …); `message` is for
/// people and may change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// The inside of an [`ErrorBody`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
}

impl ErrorBody {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { error: ErrorDetail { code: code.into(), message: message.into() } }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_shape() {
        let json = serde_json::to_value(ErrorBody::new("not_found", "no such org")).unwrap_or_default();
        assert_eq!(json, serde_json::json!({"error": {"code": "not_found", "message": "no such org"}}));
    }
}
