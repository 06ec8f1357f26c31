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
    Money(Cells<i64>),
    Date(Cells<i32>),
    Integer(Cells<i64>),
    Float(Cells<f64>),
    Bool(Cells<bool>),
}

impl ColumnValues {
    pub fn with_capacity(storage: StorageType, capacity: usize) -> Self {
        match storage {
            StorageType::Text => ColumnValues::Text(TextValues::with_capacity(capacity)),
            StorageType::Money => ColumnValues::Money(Cells::with_capacity(capacity)),
            StorageType::Date => ColumnValues::Date(Cells::with_capacity(capacity)),
            StorageType::Integer => ColumnValues::Integer(Cells::with_capacity(capacity)),
            StorageType::Float => ColumnValues::Float(Cells::with_capacity(capacity)),
            StorageType::Bool => ColumnValues::Bool(Cells::with_capacity(capacity)),
        }
    }

    /// An empty column of the same type for `rows` more rows, with room for as much text
    /// as this one holds: the next batch of an import does not grow its buffer again.
    pub fn empty_like(&self, rows: usize) -> Self {
        match self {
            ColumnValues::Text(text) => {
                let mut empty = TextValues::with_capacity(rows);
                empty.text.reserve(text.text.len());
                ColumnValues::Text(empty)
            }
            other => ColumnValues::with_capacity(other.storage(), rows),
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

    /// Keeps the first `rows` cells (all of them when there are fewer).
    pub fn truncate(&mut self, rows: usize) {
        match self {
            ColumnValues::Text(v) => v.truncate(rows),
            ColumnValues::Money(v) => v.truncate(rows),
            ColumnValues::Date(v) => v.truncate(rows),
            ColumnValues::Integer(v) => v.truncate(rows),
            ColumnValues::Float(v) => v.truncate(rows),
            ColumnValues::Bool(v) => v.truncate(rows),
        }
    }
}

/// Which cells of a column are present, as a columnar table keeps it beside the values.
#[derive(Clone, Debug, Default, PartialEq)]
struct Presence(Vec<bool>);

impl Presence {
    fn with_capacity(rows: usize) -> Self {
        Presence(Vec::with_capacity(rows))
    }

    #[inline]
    fn push(&mut self, present: bool) {
        self.0.push(present);
    }

    fn get(&self, index: usize) -> bool {
        self.0.get(index).copied().unwrap_or(false)
    }

    fn truncate(&mut self, rows: usize) {
        self.0.truncate(rows);
    }

    /// `None` when every cell is present.
    fn into_mask(self) -> Option<Vec<bool>> {
        self.0.contains(&false).then_some(self.0)
    }
}

/// A numeric or boolean column's cells as a columnar table keeps them: a value for every
/// row (the default where the cell is empty) and which cells are present, so the table
/// takes the values without a copy.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cells<T> {
    values: Vec<T>,
    presence: Presence,
}

impl<T: Copy + Default> Cells<T> {
    pub fn with_capacity(rows: usize) -> Self {
        Cells { values: Vec::with_capacity(rows), presence: Presence::with_capacity(rows) }
    }

    #[inline]
    pub fn push(&mut self, cell: Option<T>) {
        self.values.push(cell.unwrap_or_default());
        self.presence.push(cell.is_some());
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<T> {
        self.presence.get(index).then(|| self.values.get(index).copied()).flatten()
    }

    /// Keeps the first `rows` cells (all of them when there are fewer).
    pub fn truncate(&mut self, rows: usize) {
        self.values.truncate(rows);
        self.presence.truncate(rows);
    }

    pub fn iter(&self) -> impl Iterator<Item = Option<T>> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    pub fn to_vec(&self) -> Vec<Option<T>> {
        self.iter().collect()
    }

    /// The values, and which are present unless all are.
    pub fn into_parts(self) -> (Vec<T>, Option<Vec<bool>>) {
        (self.values, self.presence.into_mask())
    }
}

impl<T: Copy + Default> Extend<Option<T>> for Cells<T> {
    fn extend<I: IntoIterator<Item = Option<T>>>(&mut self, cells: I) {
        cells.into_iter().for_each(|cell| self.push(cell));
    }
}

impl<T: Copy + Default> FromIterator<Option<T>> for Cells<T> {
    fn from_iter<I: IntoIterator<Item = Option<T>>>(cells: I) -> Self {
        let mut all = Cells::default();
        all.extend(cells);
        all
    }
}

impl<T: Copy + Default> From<Vec<Option<T>>> for Cells<T> {
    fn from(cells: Vec<Option<T>>) -> Self {
        cells.into_iter().collect()
    }
}

/// A text column's cells in one buffer, so an import does not allocate per value.
#[derive(Clone, Debug, PartialEq)]
pub struct TextValues {
    text: String,
    /// Where each cell starts in `text`, and where the last one ends: Arrow's offsets.
    offsets: Vec<i64>,
    presence: Presence,
}

impl Default for TextValues {
    fn default() -> Self {
        TextValues::with_capacity(0)
    }
}

impl TextValues {
    pub fn with_capacity(rows: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        TextValues { text: String::new(), offsets, presence: Presence::with_capacity(rows) }
    }

    #[inline]
    pub fn push(&mut self, value: Option<&str>) {
        if let Some(value) = value {
            self.text.push_str(value);
        }
        // A String is at most isize::MAX bytes long.
        self.offsets.push(self.text.len() as i64);
        self.presence.push(value.is_some());
    }

    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keeps the first `rows` cells (all of them when there are fewer).
    pub fn truncate(&mut self, rows: usize) {
        if let Some(&end) = self.offsets.get(rows) {
            // Every offset ends a cell pushed whole, so it is a character boundary.
            self.text.truncate(usize::try_from(end).unwrap_or(0));
            self.offsets.truncate(rows + 1);
            self.presence.truncate(rows);
        }
    }

    pub fn get(&self, index: usize) -> Option<&str> {
        if !self.presence.get(index) {
            return None;
        }
        let (start, end) = (*self.offsets.get(index)?, *self.offsets.get(index + 1)?);
        self.text.get(usize::try_from(start).ok()?..usize::try_from(end).ok()?)
    }

    pub fn iter(&self) -> impl Iterator<Item = Option<&str>> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// The buffer, the cells' offsets in it, and which cells are present unless all
    /// are: for building a columnar array without copying.
    pub fn into_parts(self) -> (String, Vec<i64>, Option<Vec<bool>>) {
        (self.text, self.offsets, self.presence.into_mask())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_keep_values_and_gaps_apart() {
        let cells: Cells<i64> = vec![Some(5), None, Some(-2)].into();
        assert_eq!((cells.len(), cells.get(1), cells.get(2), cells.get(3)), (3, None, Some(-2), None));
        assert_eq!(cells.to_vec(), [Some(5), None, Some(-2)]);
        assert_eq!(cells.into_parts(), (vec![5, 0, -2], Some(vec![true, false, true])));
        // Without a gap there is no mask to write.
        let full: Cells<bool> = vec![Some(true), Some(false)].into();
        assert_eq!(full.into_parts(), (vec![true, false], None));
    }

    #[test]
    fn text_cells_are_arrow_offsets_into_one_buffer() {
        let text: TextValues = [Some("ab"), None, Some(""), Some("čd")].into_iter().collect();
        assert_eq!(text.len(), 4);
        assert_eq!(text.to_vec(), [Some("ab".to_string()), None, Some(String::new()), Some("čd".to_string())]);
        assert_eq!(text.get(4), None);
        assert_eq!(text.into_parts(), ("abčd".to_string(), vec![0, 2, 2, 2, 5], Some(vec![true, false, true, true])));
        assert!(TextValues::default().is_empty());
    }

    #[test]
    fn an_empty_column_like_another_has_room_for_its_text() {
        let text: TextValues = [Some("invoice-1"), Some("invoice-2")].into_iter().collect();
        let ColumnValues::Text(empty) = ColumnValues::Text(text).empty_like(2) else { panic!("not text") };
        assert!(empty.is_empty() && empty.text.capacity() >= 18);
        let dates = ColumnValues::Date(vec![Some(1)].into()).empty_like(4);
        assert_eq!((dates.storage(), dates.len()), (StorageType::Date, 0));
    }

    #[test]
    fn truncating_drops_the_last_cells_and_their_text() {
        let mut text: TextValues = [Some("ab"), None, Some("čd"), Some("e")].into_iter().collect();
        text.truncate(3);
        assert_eq!(text.to_vec(), [Some("ab".to_string()), None, Some("čd".to_string())]);
        text.truncate(1);
        text.push(Some("x"));
        assert_eq!(text.into_parts(), ("abx".to_string(), vec![0, 2, 3], None));
        let mut money = ColumnValues::Money(vec![Some(1), None, Some(3)].into());
        money.truncate(2);
        money.truncate(5);
        assert_eq!(money, ColumnValues::Money(vec![Some(1), None].into()));
    }
}
