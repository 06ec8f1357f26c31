//! Read-only share links: one object, expiring, revocable.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::sync::SyncKind;

/// `POST /v1/orgs/{org}/share-links`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateShareLinkRequest {
    pub kind: SyncKind,
    pub id: String,
    pub expires_at: DateTime<Utc>,
}

/// The answer to [`CreateShareLinkRequest`]. `token` (and so `url`) is shown only here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShareLinkCreated {
    pub id: String,
    pub token: String,
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// A share link as listed by `GET /v1/orgs/{org}/share-links` (never with its token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShareLink {
    pub id: String,
    pub kind: SyncKind,
    pub object_id: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// `GET /v1/share/{token}` (no sign-in): what a share link shows, as JSON. The same object as
/// the `/s/{token}` page; the app opens `revlens://share/{token}?server=…` links with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SharedObject {
    pub kind: SyncKind,
    /// The object's name (from its body), or its id when the body has none.
    pub name: String,
    pub org_name: String,
    pub rev: i64,
    /// The synced body as the app wrote it; a shared dashboard keeps its snapshot in
    /// `body.snapshot` (`{"tiles", "charts", "tables", …}`).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub body: serde_json::Value,
}
