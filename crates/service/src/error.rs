use std::path::PathBuf;

use revlens_engine::metrics::MetricsError;
use revlens_engine::TableError;
use revlens_ingest::ImportError;
use revlens_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Table(#[from] TableError),
    #[error(transparent)]
    Metrics(#[from] MetricsError),
    #[error("{path}: {message}")]
    MappingFile { path: PathBuf, message: String },
    #[error("{0}")]
    Invalid(String),
    /// The sync server refused a call or could not be reached.
    #[error("sync server: {0}")]
    SyncServer(#[from] revlens_sync::client::ClientError),
    #[error("{0}")]
    NotSignedIn(String),
    /// A share link's server does not know it: it expired, was revoked, or its object is gone.
    #[error("this share link has expired, was revoked, or what it shared was deleted")]
    ShareLinkUnavailable,
    /// The server could not be reached (refused, no answer in time).
    #[error("cannot reach the sync server {0}")]
    ServerUnreachable(String),
    /// The OS keychain failed (never carries a secret).
    #[error("keychain: {0}")]
    Keychain(String),
}
