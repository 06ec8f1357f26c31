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
}
