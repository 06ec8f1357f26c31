use serde::{Deserialize, Serialize};

/// How a canonical column is stored in the dataset's Parquet table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageType {
    Text,
    /// Int64 in [`crate::Money`] units.
    Money,
    /// Days since 1970-01-01 (Arrow Date32).
    Date,
    Integer,
    Float,
    Bool,
}

/// The values of one column of a batch; `None` is an empty cell.
#[derive(Clone, Debug, PartialEq)]
pub enum ColumnValues {
    Text(Vec<Option<String>>),
    Money(Vec<Option<i64>>),
    Date(Vec<Option<i32>>),
    Integer(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
}

impl ColumnValues {
    pub fn with_capacity(storage: StorageType, capacity: usize) -> Self {
        match storage {
            StorageType::Text => ColumnValues::Text(Vec::with_capacity(capacity)),
            StorageType::Money => ColumnValues::Money(Vec::with_capacity(capacity)),
            StorageType::Date => ColumnValues::Date(Vec::with_capacity(capacity)),
            StorageType::Integer => ColumnValues::Integer(Vec::with_capacity(capacity)),
            StorageType::Float => ColumnValues::Float(Vec::with_capacity(capacity)),
            StorageType::Bool => ColumnValues::Bool(Vec::with_capacity(capacity)),
        }
    }

    pub fn storage(&self) -> StorageType {
        match self {
            ColumnValues::Text(_) => StorageType::Text,
            ColumnValues::Money(_) => StorageType::Money,
            ColumnValues::Date(_) => StorageType::Date,
            ColumnValues::Integer(_) => StorageType::Integer,
            ColumnValues::Float(_) => StorageType::Float,
            ColumnValues::Bool(_) => StorageType::Bool,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            ColumnValues::Text(v) => v.len(),
            ColumnValues::Money(v) => v.len(),
            ColumnValues::Date(v) => v.len(),
            ColumnValues::Integer(v) => v.len(),
            ColumnValues::Float(v) => v.len(),
            ColumnValues::Bool(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A named column of a batch.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub name: String,
    pub values: ColumnValues,
}

/// A slice of a canonical table: columns of equal length, in table order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RowBatch {
    pub columns: Vec<Column>,
}

impl RowBatch {
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, |c| c.values.len())
    }
}

pub type SinkError = Box<dyn std::error::Error + Send + Sync>;

/// Where an import writes its canonical rows, batch by batch, so memory stays bounded.
pub trait BatchSink {
    fn write_batch(&mut self, batch: RowBatch) -> Result<(), SinkError>;

    /// True when [`BatchSink::reset`] works: an importer may then write batches before
    /// it is sure of them, and start over if it was wrong.
    fn can_reset(&self) -> bool {
        false
    }

    /// Discards every batch written so far, as if none had been.
    fn reset(&mut self) -> Result<(), SinkError> {
        Err("this sink cannot discard its batches".into())
    }
}

/// Collects every batch in memory; for tests and small previews.
impl BatchSink for Vec<RowBatch> {
    fn write_batch(&mut self, batch: RowBatch) -> Result<(), SinkError> {
        self.push(batch);
        Ok(())
    }

    fn can_reset(&self) -> bool {
        true
    }

    fn reset(&mut self) -> Result<(), SinkError> {
        self.clear();
        Ok(())
    }
}
