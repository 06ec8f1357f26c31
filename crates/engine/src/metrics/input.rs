//! Reading canonical tables (polars frames) into plain typed columns.
//!
//! Polars does the reading, projection and type casting; the metric passes that follow
//! are sorted single passes in plain Rust over these columns (BUILD-NOTES: faster than
//! window expressions for movements).

use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use polars::prelude::*;

use super::currency::normalise_currency;
use super::error::{MetricsError, MetricsResult};

/// The storage type a column is read as (casting whatever the frame holds).
#[derive(Clone, Copy, Debug)]
pub(crate) enum ColumnType {
    Text,
    /// Int64: money units or whole numbers.
    Int,
    Date,
    Float,
    Flag,
}

impl ColumnType {
    fn dtype(self) -> DataType {
        match self {
            ColumnType::Text => DataType::String,
            ColumnType::Int => DataType::Int64,
            ColumnType::Date => DataType::Date,
            ColumnType::Float => DataType::Float64,
            ColumnType::Flag => DataType::Boolean,
        }
    }
}

/// One canonical table, projected to the columns a metric reads.
pub(crate) struct TableReader {
    table: &'static str,
    frame: DataFrame,
}

impl TableReader {
    /// Collects `required` columns (an error when absent) and those of `optional` the
    /// frame has; the absent optional ones read as all-null.
    pub fn collect(
        mut frame: LazyFrame,
        table: &'static str,
        required: &[(&str, ColumnType)],
        optional: &[(&str, ColumnType)],
    ) -> MetricsResult<Self> {
        let schema = frame.collect_schema()?;
        let mut exprs = Vec::new();
        for (name, ty) in required {
            if !schema.contains(name) {
                return Err(MetricsError::MissingColumn { table, column: (*name).to_string() });
            }
            exprs.push(col(*name).cast(ty.dtype()));
        }
        for (name, ty) in optional {
            if schema.contains(name) {
                exprs.push(col(*name).cast(ty.dtype()));
            }
        }
        // No rechunk: the passes read each column's chunks in order (`cells`), so
        // concatenating them would only copy the table.
        let frame = frame.select(exprs).collect()?;
        Ok(TableReader { table, frame })
    }

    pub fn height(&self) -> usize {
        self.frame.height()
    }

    fn column(&self, name: &str) -> Option<&Column> {
        self.frame.column(name).ok()
    }

    pub fn text(&self, name: &str) -> MetricsResult<ColumnView<'_, StringType>> {
        self.view(name, |c| c.str())
    }

    pub fn int(&self, name: &str) -> MetricsResult<ColumnView<'_, Int64Type>> {
        self.view(name, |c| c.i64())
    }

    /// Days since 1970-01-01.
    pub fn date(&self, name: &str) -> MetricsResult<ColumnView<'_, Int32Type>> {
        self.view(name, |c| Ok(c.date()?.physical()))
    }

    pub fn float(&self, name: &str) -> MetricsResult<ColumnView<'_, Float64Type>> {
        self.view(name, |c| c.f64())
    }

    pub fn flag(&self, name: &str) -> MetricsResult<ColumnView<'_, BooleanType>> {
        self.view(name, |c| c.bool())
    }

    fn view<'a, T: PolarsDataType>(
        &'a self,
        name: &str,
        typed: impl Fn(&'a Column) -> PolarsResult<&'a ChunkedArray<T>>,
    ) -> MetricsResult<ColumnView<'a, T>> {
        let array = self.column(name).map(typed).transpose()?;
        Ok(ColumnView { array })
    }

    /// An error about row `index` (0-based) of this table, numbered from 1 for people.
    pub fn row_error(&self, index: usize, message: impl Into<String>) -> MetricsError {
        MetricsError::InvalidRow { table: self.table, row: index + 1, message: message.into() }
    }

    /// The id of the next cell of a `customer_id` column ([`ColumnView::keyed_cells`]),
    /// trimmed and interned; an empty id is an error for `row`.
    pub fn customer<'a>(
        &self,
        cells: &mut impl Iterator<Item = KeyedCell<'a>>,
        ids: &mut CustomerIds,
        row: usize,
    ) -> MetricsResult<u32> {
        cells.next().and_then(|cell| ids.intern_cell(cell)).ok_or_else(|| self.row_error(row, "customer_id is empty"))
    }
}

/// A typed, borrowed column; an absent optional column reads as all-null. Values are
/// read in place (no copy of the column).
pub(crate) struct ColumnView<'a, T: PolarsDataType> {
    array: Option<&'a ChunkedArray<T>>,
}

impl<'a, T: PolarsDataType> ColumnView<'a, T> {
    /// The non-null values.
    pub fn values(&self) -> impl Iterator<Item = T::Physical<'a>> + 'a {
        self.array.into_iter().flat_map(|array| array.downcast_iter()).flat_map(|chunk| chunk.iter().flatten())
    }

    /// Every cell in row order, `None` for a null — a sequential read, much cheaper
    /// than [`ColumnView::get`] per row. An absent column yields `Some(None)` without
    /// end, so take exactly the table's height.
    pub fn cells(&self) -> impl Iterator<Item = Option<T::Physical<'a>>> + 'a {
        let mut present = self.array.map(|array| array.downcast_iter().flat_map(|chunk| chunk.iter()));
        std::iter::from_fn(move || match present.as_mut() {
            Some(cells) => cells.next(),
            None => Some(None),
        })
    }
}

/// A text cell, with its Arrow view as a number when the text is stored inside the view
/// (12 bytes or fewer, as ids and codes nearly always are): two such cells with equal
/// numbers hold equal texts, so a map keyed by the number finds a repeated value without
/// reading or comparing the text — which, for 5M rows of 250k ids, cost more than all
/// the rest of building a model (string compares missing the cache).
pub(crate) type KeyedCell<'a> = (Option<u128>, Option<&'a str>);

impl<'a> ColumnView<'a, StringType> {
    /// Every cell in row order with its key ([`KeyedCell`]); null cells have no key. An
    /// absent column yields `(None, None)` without end, like [`ColumnView::cells`].
    pub fn keyed_cells(&self) -> impl Iterator<Item = KeyedCell<'a>> + 'a {
        let mut present = self.array.map(keyed);
        std::iter::from_fn(move || match present.as_mut() {
            Some(cells) => cells.next(),
            None => Some((None, None)),
        })
    }

    /// The non-null cells with their keys.
    fn keyed_values(&self) -> impl Iterator<Item = (Option<u128>, &'a str)> + 'a {
        self.array.into_iter().flat_map(keyed).filter_map(|(key, cell)| cell.map(|text| (key, text)))
    }
}

fn keyed(array: &StringChunked) -> impl Iterator<Item = KeyedCell<'_>> + '_ {
    array.downcast_iter().flat_map(|chunk| {
        chunk
            .views()
            .iter()
            .zip(chunk.iter())
            .map(|(view, cell)| ((cell.is_some() && view.is_inline()).then(|| view.as_u128()), cell))
    })
}

/// `text.trim()`, skipping the Unicode-aware scan when both ends are visible ASCII (ids
/// and codes nearly always are).
pub(crate) fn trim(text: &str) -> &str {
    let visible = |byte: Option<&u8>| byte.is_some_and(|&b| b.is_ascii() && !(b as char).is_whitespace());
    let bytes = text.as_bytes();
    if visible(bytes.first()) && visible(bytes.last()) {
        text
    } else {
        text.trim()
    }
}

/// A fast, non-cryptographic string hasher (the multiply-rotate scheme of rustc's
/// FxHash, with a final avalanche). Interning hashes every row's customer id, and the
/// ids are the user's own data, so flooding resistance buys nothing here while SipHash
/// costs several times as much.
///
/// The avalanche matters: a multiply only carries low bits upwards, so without it the
/// low bits hashbrown picks buckets with depend only on the first bytes of the id —
/// identical for ids like `C0025413` — and every lookup probes one long chain
/// (interning 1M rows of 50k such ids took seconds).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FastHasher(u64);

impl FastHasher {
    fn mix(&mut self, word: u64) {
        const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
    }

    /// Keys of [`KeyedCell`]s: two words, no byte loop.
    fn write_u128(&mut self, value: u128) {
        self.mix(value as u64);
        self.mix((value >> 64) as u64);
    }

    fn finish(&self) -> u64 {
        // MurmurHash3's 64-bit finaliser: every input bit reaches every output bit.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// Customer ids as dense integers, so the passes sort and index by number.
#[derive(Debug, Default)]
pub(crate) struct CustomerIds {
    /// The last id interned: exports often list a customer's rows together.
    last: Option<u32>,
    index: HashMap<String, u32, BuildHasherDefault<FastHasher>>,
    /// Ids by the keys of cells already seen ([`KeyedCell`]); several keys may name one
    /// id (untrimmed spellings).
    by_key: HashMap<u128, u32, BuildHasherDefault<FastHasher>>,
    last_key: Option<(u128, u32)>,
    names: Vec<String>,
}

impl CustomerIds {
    /// The id of a `customer_id` cell, trimmed; `None` for an empty or null cell.
    pub fn intern_cell(&mut self, (key, cell): KeyedCell<'_>) -> Option<u32> {
        if let Some(key) = key {
            if let Some((_, id)) = self.last_key.filter(|&(last, _)| last == key) {
                return Some(id);
            }
            if let Some(&id) = self.by_key.get(&key) {
                self.last_key = Some((key, id));
                return Some(id);
            }
        }
        let name = cell.map(trim).filter(|c| !c.is_empty())?;
        let id = self.intern(name);
        if let Some(key) = key {
            self.by_key.insert(key, id);
            self.last_key = Some((key, id));
        }
        Some(id)
    }

    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(last) = self.last.filter(|&id| self.names[id as usize] == name) {
            return last;
        }
        if let Some(&id) = self.index.get(name) {
            self.last = Some(id);
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_string());
        self.index.insert(name.to_string(), id);
        self.last = Some(id);
        id
    }

    pub fn into_names(self) -> Vec<String> {
        self.names
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }
}

/// The distinct currency codes of a column, upper-cased.
pub(crate) fn distinct_currencies(values: &ColumnView<'_, StringType>) -> BTreeSet<String> {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut last: Option<(Option<u128>, &str)> = None;
    for (key, value) in values.keyed_values() {
        // Consecutive rows mostly repeat a currency: skip the set lookup then (by key
        // when both are inline, without a string compare).
        if last.is_some_and(|(last_key, last_value)| match (last_key, key) {
            (Some(a), Some(b)) => a == b,
            _ => last_value == value,
        }) {
            continue;
        }
        last = Some((key, value));
        if let Some(code) = normalise_currency(value) {
            if !seen.contains(&code) {
                seen.insert(code);
            }
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::hash::BuildHasher;

    use super::*;

    #[test]
    fn ids_sharing_a_prefix_spread_over_the_low_bits() {
        // hashbrown picks buckets by the low bits: ids that differ only in their last
        // characters must still differ there.
        let hasher = BuildHasherDefault::<FastHasher>::default();
        let low: HashSet<u64> = (0..65_536).map(|i| hasher.hash_one(format!("C{i:07}")) & 0xffff).collect();
        assert!(low.len() > 40_000, "only {} distinct low 16 bits", low.len());
    }

    #[test]
    fn trims_like_str_trim() {
        for text in ["", " ", "a", " a", "a ", "\u{a0}a", "a\u{2003}", "\x0ba\x0b", "ü", "C001"] {
            assert_eq!(trim(text), text.trim(), "{text:?}");
        }
    }

    #[test]
    fn cells_intern_by_key_like_by_text() {
        // Short ids (inline in their views), untrimmed spellings, a long id, a null.
        let texts = [
            Some("C2"),
            Some("C1"),
            Some(" C2"),
            Some("C1"),
            Some("a-customer-id-of-30-characters"),
            None,
            Some("C2 "),
            Some("a-customer-id-of-30-characters"),
            Some("C1"),
            Some("   "),
        ];
        let column = Series::new("customer_id".into(), texts.to_vec());
        let frame = DataFrame::new(texts.len(), vec![column.into()]).unwrap();
        let reader = TableReader::collect(frame.lazy(), "t", &[("customer_id", ColumnType::Text)], &[]).unwrap();
        let view = reader.text("customer_id").unwrap();
        let mut cells = view.keyed_cells();
        let mut ids = CustomerIds::default();
        let got: Vec<Option<u32>> = (0..texts.len()).map(|_| cells.next().and_then(|c| ids.intern_cell(c))).collect();
        assert_eq!(got, [Some(0), Some(1), Some(0), Some(1), Some(2), None, Some(0), Some(2), Some(1), None]);
        assert_eq!(ids.into_names(), ["C2", "C1", "a-customer-id-of-30-characters"]);
        // Keys: inline texts only, equal for equal texts.
        let keys: Vec<Option<u128>> = view.keyed_cells().take(texts.len()).map(|(key, _)| key).collect();
        assert!(keys[0].is_some());
        assert_eq!(keys[1], keys[3]);
        assert_ne!(keys[0], keys[1]);
        assert_ne!(keys[0], keys[2], "an untrimmed spelling has its own key");
        assert_eq!((keys[4], keys[5]), (None, None), "long and null cells have none");
    }

    #[test]
    fn distinct_currencies_compare_keys_and_texts() {
        let codes = [Some("usd"), Some("USD"), None, Some(" eur "), Some("USD"), Some("eur")];
        let column = Series::new("currency".into(), codes.to_vec());
        let frame = DataFrame::new(codes.len(), vec![column.into()]).unwrap();
        let reader = TableReader::collect(frame.lazy(), "t", &[("currency", ColumnType::Text)], &[]).unwrap();
        let seen = distinct_currencies(&reader.text("currency").unwrap());
        assert_eq!(seen.into_iter().collect::<Vec<_>>(), ["EUR", "USD"]);
    }

    #[test]
    fn interning_gives_dense_ids_in_first_seen_order() {
        let mut ids = CustomerIds::default();
        assert_eq!([ids.intern("b"), ids.intern("a"), ids.intern("b"), ids.intern("c")], [0, 1, 0, 2]);
        assert_eq!(ids.into_names(), ["b", "a", "c"]);
    }
}
