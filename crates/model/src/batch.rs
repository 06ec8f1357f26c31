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
    Text(TextValues),
    Money(Vec<Option<i64>>),
    Date(Vec<Option<i32>>),
    Integer(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
}

impl ColumnValues {
    pub fn with_capacity(storage: StorageType, capacity: usize) -> Self {
        match storage {
            StorageType::Text => ColumnValues::Text(TextValues::with_capacity(capacity)),
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

/// A text column's cells in one buffer, so an import does not allocate per value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TextValues {
    text: String,
    /// Where each cell's text ends in `text`.
    ends: Vec<usize>,
    /// False for an empty cell (`None`).
    present: Vec<bool>,
}

impl TextValues {
    pub fn with_capacity(rows: usize) -> Self {
        TextValues { text: String::new(), ends: Vec::with_capacity(rows), present: Vec::with_capacity(rows) }
    }

    pub fn push(&mut self, value: Option<&str>) {
        if let Some(value) = value {
            self.text.push_str(value);
        }
        self.ends.push(self.text.len());
        self.present.push(value.is_some());
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<&str> {
        if !self.present.get(index).copied().unwrap_or(false) {
            return None;
        }
        let start = index.checked_sub(1).and_then(|i| self.ends.get(i)).copied().unwrap_or(0);
        let end = self.ends.get(index).copied().unwrap_or(start);
        self.text.get(start..end)
    }

    pub fn iter(&self) -> impl Iterator<Item = Option<&str>> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// The buffer, where each cell ends in it, and which cells are present: for
    /// building a columnar array without copying the text.
    pub fn into_parts(self) -> (String, Vec<usize>, Vec<bool>) {
        (self.text, self.ends, self.present)
    }

    /// The cells as owned strings.
    pub fn to_vec(&self) -> Vec<Option<String>> {
        self.iter().map(|v| v.map(str::to_owned)).collect()
    }
}

impl<S: AsRef<str>> FromIterator<Option<S>> for TextValues {
    fn from_iter<I: IntoIterator<Item = Option<S>>>(iter: I) -> Self {
        let mut values = TextValues::default();
        for value in iter {
            values.push(value.as_ref().map(AsRef::as_ref));
        }
        values
    }
}

impl From<Vec<Option<String>>> for TextValues {
    fn from(values: Vec<Option<String>>) -> Self {
        values.into_iter().collect()
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
