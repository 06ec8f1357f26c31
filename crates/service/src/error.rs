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
    /// A single sign-on (OIDC) sign-in that did not finish.
    #[error(transparent)]
    Oidc(#[from] OidcError),
}

/// Why a single sign-on (OIDC) sign-in did not finish, so each front door can say it in its own
/// words (the CLI's name its flags).
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The org has no `[[oidc]]` section on the server (or there is no org of that id).
    #[error(
        "org '{org}' on {server} has no single sign-on (OIDC) set up (or there is no such org; --org takes the \
         org's id); sign in with --email and a password instead"
    )]
    NotConfigured { org: String, server: String },
    /// The server could not reach the org's provider (its discovery failed).
    #[error("the sync server cannot reach org '{org}''s sign-on provider; try again later")]
    ProviderUnavailable { org: String },
    /// The browser did not come back in time.
    #[error(
        "no sign-in came back from the browser within {secs} s; if the browser shows an error (the provider \
         refused, or no account matches), fix that and run the command again"
    )]
    TimedOut { secs: u64 },
    #[error("the sign-in was cancelled")]
    Cancelled,
    /// The redirect came back with an OAuth error (its code and description).
    #[error("the sign-in was refused ({0})")]
    Refused(String),
    /// The redirect's state is not this sign-in's.
    #[error(
        "the browser came back with an answer to another sign-in (its state does not match); run the command again"
    )]
    StateMismatch,
    /// The server refused the one-time code (expired or already used).
    #[error("the server refused the sign-in's one-time code (expired or already used); run the command again")]
    CodeRefused,
}
