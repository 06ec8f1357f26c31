use std::path::PathBuf;

use revlens_model::SinkError;
use serde::Serialize;

/// At most this many row problems are listed; all are counted.
pub const MAX_LISTED_ERRORS: usize = 100;

/// One problem in one row: where, what was found, what was expected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// 1-based line (text) or row (workbook) where the record starts.
    pub line: u64,
    /// The source header, when the problem is in one cell.
    pub column: Option<String>,
    /// The offending value, shortened to at most 200 characters.
    pub value: Option<String>,
    /// What was expected, e.g. "a date like 2024-01-31 (YYYY-MM-DD)".
    pub expected: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path} is empty")]
    Empty { path: PathBuf },
    #[error("{path} does not look like a text or spreadsheet file (binary data at byte {offset})")]
    Binary { path: PathBuf, offset: u64 },
    #[error("{path} is not a valid {expected} workbook: {reason}")]
    Workbook { path: PathBuf, expected: String, reason: String },
    #[error("{path} has no sheet '{sheet}'; its sheets are: {}", available.join(", "))]
    SheetNotFound { path: PathBuf, sheet: String, available: Vec<String> },
    #[error("{path}: no header row found in the first {scanned} rows")]
    NoHeader { path: PathBuf, scanned: usize },
    #[error("{path} has a header (line {header_line}) but no data rows")]
    NoRows { path: PathBuf, header_line: u64 },
    #[error("{path}: header '{header}' appears twice (columns {first} and {second}); rename one of them")]
    DuplicateHeader { path: PathBuf, header: String, first: usize, second: usize },
    #[error("{path}: a record after line {after_line} is longer than {limit} bytes; is a quote left open?")]
    RecordTooLong { path: PathBuf, after_line: u64, limit: u64 },
    #[error("invalid source option: {0}")]
    Options(String),
    #[error("mapping: {0}")]
    Mapping(String),
    #[error("{path}: {rows} invalid row(s), {total} problem(s); nothing was imported")]
    InvalidRows { path: PathBuf, rows: u64, total: u64, errors: Vec<RowError> },
    #[error("import cancelled")]
    Cancelled,
    /// One of the import's own threads could not start, or stopped with a panic.
    #[error("the import's {thread} thread failed: {reason}")]
    Thread { thread: &'static str, reason: String },
    #[error("writing the imported rows failed: {0}")]
    Sink(SinkError),
}

impl ImportError {
    pub(crate) fn thread_not_started(thread: &'static str, error: &std::io::Error) -> Self {
        ImportError::Thread { thread, reason: error.to_string() }
    }

    pub(crate) fn thread_panicked(thread: &'static str) -> Self {
        ImportError::Thread { thread, reason: "it panicked".into() }
    }
}
