use revlens_ingest::ImportError;
use revlens_service::{OidcError, ServiceError};
use revlens_store::StoreError;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// An error as the UI receives it: a stable code to branch on and a message in words.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub details: Option<InvalidRows>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    UnknownCommand,
    InvalidArgs,
    NotFound,
    Conflict,
    /// The file has invalid rows; `details` lists them.
    InvalidRows,
    Cancelled,
    ImportFailed,
    /// The data cannot give this metric (no rows, a missing rate, a range outside the data …).
    Metrics,
    Invalid,
    /// The workspace is not signed in to a sync server (or its session ended).
    NotSignedIn,
    /// The sync server refused the call or could not be reached.
    SyncServer,
    /// A share link that expired, was revoked, or whose object was deleted.
    ShareLinkUnavailable,
    /// The org has no single sign-on on its sync server (or no org has that id).
    SsoNotConfigured,
    /// The browser did not come back from the single sign-on in time.
    TimedOut,
    Internal,
}

/// The rows that failed validation: their problems, the first ones listed, all counted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct InvalidRows {
    /// Rows with at least one problem.
    pub rows: u64,
    /// Problems in all: a row may have several.
    pub total: u64,
    pub errors: Vec<RowProblem>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct RowProblem {
    pub line: u64,
    pub column: String,
    pub value: String,
    pub expected: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), details: None }
    }

    pub fn invalid_args(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidArgs, message)
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        let message = error.to_string();
        let code = match &error {
            ServiceError::Store(StoreError::NotFound { .. }) => ErrorCode::NotFound,
            ServiceError::Store(StoreError::Conflict(_) | StoreError::Ambiguous { .. }) => ErrorCode::Conflict,
            ServiceError::Import(ImportError::InvalidRows { rows, total, errors, .. }) => {
                let errors = errors
                    .iter()
                    .map(|e| RowProblem {
                        line: e.line,
                        column: e.column.clone().unwrap_or_default(),
                        value: e.value.clone().unwrap_or_default(),
                        expected: e.expected.clone(),
                    })
                    .collect();
                return Self {
                    code: ErrorCode::InvalidRows,
                    message,
                    details: Some(InvalidRows { rows: *rows, total: *total, errors }),
                };
            }
            ServiceError::Import(ImportError::Cancelled) => ErrorCode::Cancelled,
            ServiceError::Import(_) | ServiceError::MappingFile { .. } => ErrorCode::ImportFailed,
            ServiceError::Metrics(_) | ServiceError::Table(_) => ErrorCode::Metrics,
            ServiceError::Invalid(_) => ErrorCode::Invalid,
            ServiceError::NotSignedIn(_) => ErrorCode::NotSignedIn,
            ServiceError::SyncServer(_) | ServiceError::ServerUnreachable(_) => ErrorCode::SyncServer,
            ServiceError::ShareLinkUnavailable => ErrorCode::ShareLinkUnavailable,
            ServiceError::Oidc(error) => return oidc_error(error),
            _ => ErrorCode::Internal,
        };
        Self::new(code, message)
    }
}

/// A single sign-on that did not finish, in the app's words (the service's name the CLI's flags).
fn oidc_error(error: &OidcError) -> ApiError {
    let (code, message) = match error {
        OidcError::NotConfigured { org, server } => (
            ErrorCode::SsoNotConfigured,
            format!(
                "The org '{org}' on {server} has no single sign-on set up, or no org has that id (single sign-on \
                 takes the org's id, not its name). Sign in with your email and password instead."
            ),
        ),
        OidcError::ProviderUnavailable { .. } => (
            ErrorCode::SyncServer,
            "The sync server cannot reach your org's sign-on provider right now; try again later.".to_owned(),
        ),
        OidcError::TimedOut { secs } => (
            ErrorCode::TimedOut,
            format!(
                "No sign-in came back from the browser within {secs} s. If the browser shows an error (the provider \
                 refused, or no account matches your email), fix that and sign in again."
            ),
        ),
        OidcError::Cancelled => (ErrorCode::Cancelled, "The sign-in was cancelled.".to_owned()),
        OidcError::Refused(why) => (ErrorCode::Invalid, format!("The sign-on provider refused the sign-in ({why}).")),
        OidcError::StateMismatch => {
            (ErrorCode::Invalid, "The browser came back with the answer to another sign-in; sign in again.".to_owned())
        }
        OidcError::CodeRefused => (
            ErrorCode::Invalid,
            "The server refused the sign-in's one-time code (expired or already used); sign in again.".to_owned(),
        ),
    };
    ApiError::new(code, message)
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        ServiceError::from(error).into()
    }
}

impl From<revlens_engine::metrics::MetricsError> for ApiError {
    fn from(error: revlens_engine::metrics::MetricsError) -> Self {
        ServiceError::from(error).into()
    }
}

impl From<revlens_report::ReportError> for ApiError {
    fn from(error: revlens_report::ReportError) -> Self {
        Self::new(ErrorCode::Internal, format!("export: {error}"))
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
