//! Reading canonical tables (polars frames) into plain typed columns.
//!
//! Polars does the reading, projection and type casting; the metric passes that follow
//! are sorted single passes in plain Rust over these columns (BUILD-NOTES: faster than
//! window expressions for movements).

use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use bytemuck::{Pod, Zeroable};
#[cfg(target_os = "linux")]
use memmap2::Advice;
use memmap2::MmapMut;
use polars::prelude::*;

use super::currency::normalise_currency;
use super::error::{MetricsError, MetricsResult};
use crate::table::ColumnFacts;

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
    /// Columns of one value in every row, each as that one value.
    constants: HashMap<PlSmallStr, Column>,
}

impl TableReader {
    /// Collects `required` columns (an error when absent) and those of `optional` the
    /// frame has; the absent optional ones read as all-null. An optional column that
    /// `facts` prove to be one value throughout is not read but taken as that value.
    pub fn collect(
        mut frame: LazyFrame,
        table: &'static str,
        required: &[(&str, ColumnType)],
        optional: &[(&str, ColumnType)],
        facts: &ColumnFacts,
    ) -> MetricsResult<Self> {
        let schema = frame.collect_schema()?;
        let mut exprs = Vec::new();
        for (name, ty) in required {
            if !schema.contains(name) {
                return Err(MetricsError::MissingColumn { table, column: (*name).to_string() });
            }
            exprs.push(col(*name).cast(ty.dtype()));
        }
        let mut constants = HashMap::new();
        for (name, ty) in optional {
            if !schema.contains(name) {
                continue;
            }
            match facts.uniform_text(name) {
                Some(text) => {
                    let one = Series::new((*name).into(), [text]).cast(&ty.dtype())?;
                    constants.insert(PlSmallStr::from(*name), one.into());
                }
                None => exprs.push(col(*name).cast(ty.dtype())),
            }
        }
        // No rechunk: the passes read each column's chunks in order (`cells`), so
        // concatenating them would only copy the table.
        let frame = frame.select(exprs).collect()?;
        Ok(TableReader { table, frame, constants })
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

    /// The column as it is read: one of a single value is not repeated for every row.
    fn view<'a, T: PolarsDataType>(
        &'a self,
        name: &str,
        typed: impl Fn(&'a Column) -> PolarsResult<&'a ChunkedArray<T>>,
    ) -> MetricsResult<ColumnView<'a, T>> {
        let cells = match (self.constants.get(name), self.column(name)) {
            (Some(one), _) => Cells::Constant { one: typed(one)?, rows: self.height() },
            (None, Some(column)) => Cells::Array(typed(column)?),
            (None, None) => Cells::Absent,
        };
        Ok(ColumnView { cells })
    }

    /// An error about row `index` (0-based) of this table, numbered from 1 for people.
    pub fn row_error(&self, index: usize, message: impl Into<String>) -> MetricsError {
        MetricsError::InvalidRow { table: self.table, row: index + 1, message: message.into() }
    }

    /// Row `row`'s customer in `ids` ([`CustomerIds::intern_column`]); an empty id is
    /// an error for the row.
    pub fn customer(&self, ids: &[u32], row: usize) -> MetricsResult<u32> {
        ids.get(row).copied().filter(|&id| id != NO_ID).ok_or_else(|| self.missing_customer(row))
    }

    pub fn missing_customer(&self, row: usize) -> MetricsError {
        self.row_error(row, "customer_id is empty")
    }
}

/// A typed, borrowed column; an absent optional column reads as all-null. Values are
/// read in place (no copy of the column).
pub(crate) struct ColumnView<'a, T: PolarsDataType> {
    cells: Cells<'a, T>,
}

enum Cells<'a, T: PolarsDataType> {
    Absent,
    Array(&'a ChunkedArray<T>),
    /// The same cell in each of `rows` rows: `one` holds it.
    Constant {
        one: &'a ChunkedArray<T>,
        rows: usize,
    },
}

impl<'a, T: PolarsDataType> ColumnView<'a, T> {
    /// No cell has a value (or the table has no such column).
    pub fn is_empty(&self) -> bool {
        match self.cells {
            Cells::Absent => true,
            Cells::Array(array) => array.null_count() == array.len(),
            Cells::Constant { one, rows } => rows == 0 || one.null_count() == one.len(),
        }
    }

    /// The one value of every row (and their number), when the column has only that.
    fn constant(&self) -> Option<(Option<T::Physical<'a>>, usize)> {
        match self.cells {
            Cells::Constant { one, rows } => Some((one.downcast_iter().flat_map(|chunk| chunk.iter()).next()?, rows)),
            Cells::Absent | Cells::Array(_) => None,
        }
    }

    fn array(&self) -> Option<&'a ChunkedArray<T>> {
        match self.cells {
            Cells::Array(array) => Some(array),
            Cells::Absent | Cells::Constant { .. } => None,
        }
    }

    /// The non-null values.
    pub fn values(&self) -> impl Iterator<Item = T::Physical<'a>> + 'a {
        let repeated = self.constant().and_then(|(value, rows)| Some(std::iter::repeat_n(value?, rows)));
        let read = self.array().into_iter().flat_map(|array| array.downcast_iter());
        read.flat_map(|chunk| chunk.iter().flatten()).chain(repeated.into_iter().flatten())
    }

    /// Every cell in row order, `None` for a null — a sequential read, much cheaper
    /// than reading row by row by index. An absent column, or one of a single value, yields
    /// its cell without end, so take exactly the table's height.
    pub fn cells(&self) -> impl Iterator<Item = Option<T::Physical<'a>>> + 'a {
        let mut present = self.array().map(|array| array.downcast_iter().flat_map(|chunk| chunk.iter()));
        let fill = self.constant().and_then(|(value, _)| value);
        std::iter::from_fn(move || match present.as_mut() {
            Some(cells) => cells.next(),
            None => Some(fill.clone()),
        })
    }
}

impl<'a> ColumnView<'a, StringType> {
    /// The non-null cells, each with its Arrow view as a number when the text is inline
    /// in it (12 bytes or fewer): two such cells with equal numbers hold equal texts.
    fn keyed_values(&self) -> impl Iterator<Item = (Option<u128>, &'a str)> + 'a {
        self.array().into_iter().flat_map(|array| array.downcast_iter()).flat_map(|chunk| {
            chunk
                .views()
                .iter()
                .zip(chunk.iter())
                .filter_map(|(view, cell)| cell.map(|text| (view.is_inline().then(|| view.as_u128()), text)))
        })
    }
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

/// [`CustomerIds::intern_column`]'s mark for a row without an id (null or blank).
pub(crate) const NO_ID: u32 = u32::MAX;

/// Rows looked up together: their table slots are read first, so the cache misses of
/// the batch overlap instead of coming one after the other.
const BATCH: usize = 16;

/// Customer ids as dense integers, so the passes sort and index by number.
#[derive(Debug, Default)]
pub(crate) struct CustomerIds {
    /// The last id interned: exports often list a customer's rows together.
    last: Option<u32>,
    index: HashMap<String, u32, BuildHasherDefault<FastHasher>>,
    /// Ids by the views of inline cells already seen; several views may name one id
    /// (untrimmed spellings).
    by_key: KeyIndex,
    names: Vec<String>,
}

impl CustomerIds {
    /// Every row's id of a `customer_id` column, trimmed and interned in row order;
    /// [`NO_ID`] for a null or blank cell. A text inline in its Arrow view (12 bytes or
    /// fewer, as ids nearly always are) is stored inside the view, so equal views hold
    /// equal texts: such a cell is found by its view, one table probe without reading or
    /// comparing text — string keys missing the cache were, for 5M rows of 250k ids,
    /// the largest cost of building a model.
    pub fn intern_column(&mut self, column: &ColumnView<'_, StringType>, height: usize) -> Vec<u32> {
        if let Some((text, _)) = column.constant() {
            let id = text.map(trim).filter(|name| !name.is_empty()).map_or(NO_ID, |name| self.intern(name));
            return vec![id; height];
        }
        let mut ids = Vec::with_capacity(height);
        for chunk in column.array().into_iter().flat_map(|array| array.downcast_iter()) {
            let views = chunk.views();
            for start in (0..chunk.len()).step_by(BATCH) {
                let end = (start + BATCH).min(chunk.len());
                let mut touched = 0;
                for view in &views[start..end] {
                    if let Some(key) = key_of(view.length, view.as_u128()) {
                        touched ^= self.by_key.peek(key);
                    }
                }
                std::hint::black_box(touched);
                for (i, view) in views.iter().enumerate().take(end).skip(start) {
                    let Some(text) = chunk.get(i) else {
                        ids.push(NO_ID);
                        continue;
                    };
                    let key = key_of(view.length, view.as_u128());
                    if let Some(id) = key.and_then(|key| self.by_key.get(key)) {
                        ids.push(id);
                        continue;
                    }
                    let name = trim(text);
                    if name.is_empty() {
                        ids.push(NO_ID);
                        continue;
                    }
                    let id = self.intern(name);
                    if let Some(key) = key {
                        self.by_key.insert(key, id);
                    }
                    ids.push(id);
                }
            }
        }
        ids.resize(height, NO_ID);
        ids
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

/// A view's key: the view itself when its text is inline and not empty (an empty text
/// is never interned, and the all-zero key marks a free slot).
fn key_of(length: u32, view: u128) -> Option<Key> {
    (length > 0 && length <= 12).then_some([view as u64, (view >> 64) as u64])
}

type Key = [u64; 2];

/// Ids by inline view: open addressing with linear probing, the keys stored in the
/// slots (no pointer to follow) — a probe is one cache line.
#[derive(Debug)]
struct KeyIndex {
    slots: Slots,
    len: usize,
    /// 64 − log2(slots): the hash's top bits pick the slot.
    shift: u32,
}

/// One slot of a [`KeyIndex`]: a key (all zero when free) and its id.
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
#[repr(C)]
struct Slot {
    key: Key,
    id: u32,
    padding: u32,
}

/// Tables from this size on get memory of their own, with huge pages where the system
/// gives them: megabytes probed at random would otherwise miss the TLB on nearly every
/// probe (a fifth of the time of interning 5M rows of 250k ids).
const MAPPED_TABLE_BYTES: usize = 2 << 20;

#[derive(Debug)]
enum Slots {
    Heap(Vec<Slot>),
    Mapped(MmapMut),
}

impl Slots {
    fn zeroed(count: usize) -> Self {
        let bytes = count * std::mem::size_of::<Slot>();
        if bytes >= MAPPED_TABLE_BYTES {
            // Anonymous memory is zeroed, and a free slot is all zero.
            if let Ok(map) = MmapMut::map_anon(bytes) {
                // Only a hint: without huge pages the table works the same, more slowly.
                #[cfg(target_os = "linux")]
                let _ = map.advise(Advice::HugePage);
                return Slots::Mapped(map);
            }
        }
        Slots::Heap(vec![Slot::zeroed(); count])
    }

    fn get(&self) -> &[Slot] {
        match self {
            Slots::Heap(slots) => slots,
            Slots::Mapped(map) => bytemuck::cast_slice(map),
        }
    }

    fn get_mut(&mut self) -> &mut [Slot] {
        match self {
            Slots::Heap(slots) => slots,
            Slots::Mapped(map) => bytemuck::cast_slice_mut(map),
        }
    }
}

impl Default for KeyIndex {
    fn default() -> Self {
        Self::with_slots(1 << 10)
    }
}

impl KeyIndex {
    fn with_slots(slots: usize) -> Self {
        KeyIndex { slots: Slots::zeroed(slots), len: 0, shift: 64 - slots.trailing_zeros() }
    }

    fn slot(&self, key: Key) -> usize {
        // Two multiplies: every input bit reaches the top bits.
        let h = (key[0].wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ key[1]).wrapping_mul(0xff51_afd7_ed55_8ccd);
        (h >> self.shift) as usize
    }

    /// Reads the key's first slot (for [`BATCH`]): a value only to keep the read.
    fn peek(&self, key: Key) -> u64 {
        self.slots.get().get(self.slot(key)).map_or(0, |slot| slot.key[0])
    }

    fn get(&self, key: Key) -> Option<u32> {
        let slots = self.slots.get();
        let mask = slots.len() - 1;
        let mut at = self.slot(key);
        loop {
            let Slot { key: stored, id, .. } = slots[at];
            if stored == key {
                return Some(id);
            }
            if stored == FREE {
                return None;
            }
            at = (at + 1) & mask;
        }
    }

    fn insert(&mut self, key: Key, id: u32) {
        // At most half full, so probes stay short.
        let count = self.slots.get().len();
        if (self.len + 1) * 2 > count {
            let mut grown = Self::with_slots(count * 2);
            for slot in self.slots.get().iter().filter(|slot| slot.key != FREE) {
                grown.insert(slot.key, slot.id);
            }
            *self = grown;
        }
        let mut at = self.slot(key);
        let slots = self.slots.get_mut();
        let mask = slots.len() - 1;
        while slots[at].key != FREE && slots[at].key != key {
            at = (at + 1) & mask;
        }
        if slots[at].key == FREE {
            self.len += 1;
        }
        slots[at] = Slot { key, id, padding: 0 };
    }
}

/// The key of a free slot (no interned text has it: see [`key_of`]).
const FREE: Key = [0, 0];

/// The distinct currency codes of a column, upper-cased.
pub(crate) fn distinct_currencies(values: &ColumnView<'_, StringType>) -> BTreeSet<String> {
    if let Some((code, rows)) = values.constant() {
        return code.filter(|_| rows > 0).and_then(normalise_currency).into_iter().collect();
    }
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
        let reader =
            TableReader::collect(frame.lazy(), "t", &[("customer_id", ColumnType::Text)], &[], &ColumnFacts::default())
                .unwrap();
        let view = reader.text("customer_id").unwrap();
        let mut ids = CustomerIds::default();
        let got = ids.intern_column(&view, texts.len() + 1);
        assert_eq!(got, [0, 1, 0, 1, 2, NO_ID, 0, 2, 1, NO_ID, NO_ID], "the row past the column has none");
        assert_eq!(ids.into_names(), ["C2", "C1", "a-customer-id-of-30-characters"]);
    }

    #[test]
    fn many_ids_over_several_chunks_intern_as_by_text() {
        // Enough ids to grow the view index several times; short ones and long ones;
        // two chunks.
        let texts: Vec<String> = (0..60_000u32)
            .map(|i| {
                if i % 7 == 0 {
                    format!("customer-with-a-long-id-{}", i % 5_000)
                } else {
                    format!("C{:06}", (i * 7919) % 20_000)
                }
            })
            .collect();
        let (head, tail) = texts.split_at(25_000);
        let mut column = Series::new("customer_id".into(), head.to_vec());
        column.append(&Series::new("customer_id".into(), tail.to_vec())).unwrap();
        assert_eq!(column.n_chunks(), 2);
        let frame = DataFrame::new(texts.len(), vec![column.into()]).unwrap();
        let reader =
            TableReader::collect(frame.lazy(), "t", &[("customer_id", ColumnType::Text)], &[], &ColumnFacts::default())
                .unwrap();
        let mut by_view = CustomerIds::default();
        let got = by_view.intern_column(&reader.text("customer_id").unwrap(), texts.len());
        let mut by_text = CustomerIds::default();
        let expected: Vec<u32> = texts.iter().map(|t| by_text.intern(t)).collect();
        assert_eq!(got, expected);
        assert_eq!(by_view.into_names(), by_text.into_names());
    }

    #[test]
    fn a_large_view_index_in_memory_of_its_own_finds_every_key() {
        // Grown from the smallest table past the size that is mapped, as interning does.
        let mut index = KeyIndex::default();
        assert!(matches!(index.slots, Slots::Heap(_)));
        let key = |i: u64| [i.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1, i];
        for i in 0..100_000u64 {
            index.insert(key(i), i as u32);
        }
        assert!(matches!(index.slots, Slots::Mapped(_)), "{} slots", index.slots.get().len());
        assert_eq!(index.len, 100_000);
        assert!((0..100_000u64).all(|i| index.get(key(i)) == Some(i as u32)));
        assert_eq!(index.get(key(100_000)), None);
        index.insert(key(7), 9);
        assert_eq!((index.get(key(7)), index.len), (Some(9), 100_000), "a key inserted again is replaced");
    }

    #[test]
    fn distinct_currencies_compare_keys_and_texts() {
        let codes = [Some("usd"), Some("USD"), None, Some(" eur "), Some("USD"), Some("eur")];
        let column = Series::new("currency".into(), codes.to_vec());
        let frame = DataFrame::new(codes.len(), vec![column.into()]).unwrap();
        let reader =
            TableReader::collect(frame.lazy(), "t", &[("currency", ColumnType::Text)], &[], &ColumnFacts::default())
                .unwrap();
        let seen = distinct_currencies(&reader.text("currency").unwrap());
        assert_eq!(seen.into_iter().collect::<Vec<_>>(), ["EUR", "USD"]);
    }

    #[test]
    fn interning_gives_dense_ids_in_first_seen_order() {
        let mut ids = CustomerIds::default();
        assert_eq!([ids.intern("b"), ids.intern("a"), ids.intern("b"), ids.intern("c")], [0, 1, 0, 2]);
        assert_eq!(ids.into_names(), ["b", "a", "c"]);
    }

    #[test]
    fn a_column_of_one_value_reads_as_that_value_in_every_row() {
        use crate::table::scan_table;
        use crate::table::testing::{text_column, written_table};
        use revlens_model::{Column as BatchColumn, ColumnValues, RowBatch};

        let (_dir, path) = written_table(vec![RowBatch {
            columns: vec![
                BatchColumn {
                    name: "amount".into(),
                    values: ColumnValues::Money(vec![Some(1), Some(2), Some(3)].into()),
                },
                text_column("currency", vec![Some(" usd".into()); 3]),
                text_column("customer_id", vec![Some("C7".into()); 3]),
                BatchColumn { name: "period_start".into(), values: ColumnValues::Date(vec![None; 3].into()) },
            ],
        }]);

        let facts = ColumnFacts::of_table(&path).unwrap();
        let text = ColumnType::Text;
        let optional = [("currency", text), ("customer_id", text), ("period_start", ColumnType::Date)];
        let required = [("amount", ColumnType::Int)];
        let reader = TableReader::collect(scan_table(&path).unwrap(), "t", &required, &optional, &facts).unwrap();
        assert_eq!(reader.constants.len(), 3, "taken as their one value, not read");
        assert_eq!(reader.height(), 3);

        let currency = reader.text("currency").unwrap();
        assert!(!currency.is_empty());
        assert_eq!(currency.values().collect::<Vec<_>>(), [" usd"; 3]);
        assert_eq!(currency.cells().take(3).collect::<Vec<_>>(), [Some(" usd"); 3]);
        assert_eq!(distinct_currencies(&currency).into_iter().collect::<Vec<_>>(), ["USD"]);
        let mut ids = CustomerIds::default();
        assert_eq!(ids.intern_column(&reader.text("customer_id").unwrap(), 3), [0, 0, 0]);
        assert_eq!(ids.into_names(), ["C7"]);
        let periods = reader.date("period_start").unwrap();
        assert!(periods.is_empty());
        assert_eq!(periods.values().count(), 0);
        assert_eq!(periods.cells().take(3).collect::<Vec<_>>(), [None; 3]);
    }
}
