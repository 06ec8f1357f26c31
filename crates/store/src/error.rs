use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(
        "{path} was written by a newer RevLens (schema version {found}; this version knows up to {supported}). \
         It was left untouched: update RevLens to open it."
    )]
    NewerSchema { path: PathBuf, found: u32, supported: u32 },
    #[error("migration {version} ({name}) failed: {source}; the database was left at version {previous} and a backup is at {backup}")]
    Migration { version: u32, name: &'static str, previous: u32, backup: PathBuf, source: rusqlite::Error },
    #[error("no {what} '{key}'")]
    NotFound { what: &'static str, key: String },
    #[error("'{key}' matches several {what}s: {}; give more characters", matches.join(", "))]
    Ambiguous { what: &'static str, key: String, matches: Vec<String> },
    #[error("{0}")]
    Conflict(String),
    #[error("stored {what} is unreadable: {detail}")]
    Corrupt { what: &'static str, detail: String },
}

impl StoreError {
    /// Wraps an I/O error with the path it happened at.
    pub fn io_at(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> StoreError {
        let path = path.into();
        move |source| StoreError::Io { path, source }
    }
}
