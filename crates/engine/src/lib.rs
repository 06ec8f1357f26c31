//! The engine: canonical tables as Parquet, and the metrics computed from them.

pub mod metrics;
pub mod table;

pub use metrics::side_by_side::side_by_side;
pub use table::{ParquetSink, TableError};
