//! Canonical tables on disk: one Parquet file per dataset version, written batch by batch.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use polars::prelude::*;
use polars_parquet::parquet::metadata::FileMetadata;
use polars_parquet::parquet::statistics::Statistics;
use polars_parquet::write::{CompressionOptions, WriteOptions};
use revlens_model::{BatchSink, RowBatch, SinkError, StorageType};

use self::pages::{ColumnPages, PageCompressor};

mod pages;

#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("cannot write {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("table {path}: {source}")]
    Polars { path: PathBuf, source: PolarsError },
    #[error("batch does not match the table's columns: {0}")]
    Shape(String),
    #[error("table {0}: the writer thread panicked")]
    Worker(PathBuf),
}

/// The Polars dtype a canonical storage type is kept as.
pub fn polars_dtype(storage: StorageType) -> DataType {
    match storage {
        StorageType::Text => DataType::String,
        StorageType::Money | StorageType::Integer => DataType::Int64,
        StorageType::Date => DataType::Date,
        StorageType::Float => DataType::Float64,
        StorageType::Bool => DataType::Boolean,
    }
}

/// Writes row batches into one Parquet file with a fixed schema, row group by row group.
/// Encoding and compression run on a worker thread, so the importer parses the next
/// batch while the last one is written; a bounded queue keeps memory to a few batches.
pub struct ParquetSink {
    path: PathBuf,
    schema: Schema,
    batches: Option<SyncSender<RowBatch>>,
    worker: Option<JoinHandle<Result<(), TableError>>>,
    rows: u64,
}

/// Batches waiting for the worker beyond the one it is writing.
const QUEUED_BATCHES: usize = 1;
/// Bytes of the table gathered before each write.
const TABLE_BUFFER: usize = 256 * 1024;

/// The worker's half: each batch's pages, and polars' writer for the file around them.
struct TableWriter {
    path: PathBuf,
    schema: Schema,
    writer: polars::io::parquet::write::BatchedWriter<BufWriter<File>>,
    columns: Vec<ColumnPages>,
    options: WriteOptions,
    compressor: PageCompressor,
}

impl TableWriter {
    fn polars_error(&self, source: PolarsError) -> TableError {
        TableError::Polars { path: self.path.clone(), source }
    }

    /// Writes every batch it is sent, then the footer once the sender is gone.
    fn run(mut self, batches: Receiver<RowBatch>) -> Result<(), TableError> {
        let mut rows = 0;
        for batch in batches {
            rows += batch.rows();
            self.write_row_group(batch).map_err(|source| self.polars_error(source))?;
        }
        if rows == 0 {
            // A table with no rows still needs its schema in the file.
            let empty = DataFrame::empty_with_schema(&self.schema);
            self.writer.write_batch(&empty).map_err(|source| self.polars_error(source))?;
        }
        self.writer.finish().map_err(|source| self.polars_error(source))?;
        Ok(())
    }

    fn write_row_group(&mut self, batch: RowBatch) -> PolarsResult<()> {
        let rows = batch.rows() as u64;
        let pages = batch
            .columns
            .into_iter()
            .zip(&mut self.columns)
            .map(|(column, pages)| pages.encode(column.values, self.options, &mut self.compressor))
            .collect::<PolarsResult<Vec<_>>>()?;
        self.writer.write_row_group(rows, &pages)
    }
}

impl ParquetSink {
    pub fn create(path: &Path, columns: &[(String, StorageType)]) -> Result<Self, TableError> {
        let schema: Schema =
            columns.iter().map(|(name, storage)| Field::new(name.as_str().into(), polars_dtype(*storage))).collect();
        let file = File::create(path).map_err(|source| TableError::Io { path: path.to_owned(), source })?;
        // Buffered: the writer puts out page headers a field at a time (170,000 writes of a
        // few bytes for 5M rows). Its footer flushes, so a failed write is still reported.
        let mut writer = ParquetWriter::new(BufWriter::with_capacity(TABLE_BUFFER, file))
            .batched(&schema)
            .map_err(|source| TableError::Polars { path: path.to_owned(), source })?;
        let columns = writer.parquet_schema().fields().iter().cloned().map(ColumnPages::new).collect();
        let options = WriteOptions {
            statistics: StatisticsOptions::default(),
            // Pages are compressed by `PageCompressor`, not by polars.
            compression: CompressionOptions::Uncompressed,
            version: polars_parquet::write::Version::V1,
            data_page_size: None,
        };
        let compressor =
            PageCompressor::new().map_err(|source| TableError::Polars { path: path.to_owned(), source })?;
        let table = TableWriter { path: path.to_owned(), schema: schema.clone(), writer, columns, options, compressor };
        let (sender, receiver) = sync_channel(QUEUED_BATCHES);
        let worker = std::thread::Builder::new()
            .name("parquet-writer".into())
            .spawn(move || table.run(receiver))
            .map_err(|source| TableError::Io { path: path.to_owned(), source })?;
        Ok(Self { path: path.to_owned(), schema, batches: Some(sender), worker: Some(worker), rows: 0 })
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Writes the footer; the file is complete only after this.
    pub fn finish(mut self) -> Result<u64, TableError> {
        self.batches = None;
        self.join()?;
        Ok(self.rows)
    }

    /// Waits for the worker to write what it was sent; its error, if it failed.
    fn join(&mut self) -> Result<(), TableError> {
        match self.worker.take().map(JoinHandle::join) {
            None | Some(Ok(Ok(()))) => Ok(()),
            Some(Ok(Err(error))) => Err(error),
            Some(Err(_)) => Err(TableError::Worker(self.path.clone())),
        }
    }

    /// The batch's columns must be the table's, in order, of equal length.
    fn check_shape(&self, batch: &RowBatch) -> Result<(), TableError> {
        if batch.columns.len() != self.schema.len() {
            return Err(TableError::Shape(format!("{} columns, expected {}", batch.columns.len(), self.schema.len())));
        }
        let height = batch.rows();
        for (column, (name, dtype)) in batch.columns.iter().zip(self.schema.iter()) {
            if column.name != name.as_str() || polars_dtype(column.values.storage()) != *dtype {
                return Err(TableError::Shape(format!(
                    "column '{}' ({:?}) where '{name}' ({dtype}) was expected",
                    column.name,
                    column.values.storage()
                )));
            }
            if column.values.len() != height {
                return Err(TableError::Shape(format!("column '{name}' has a different length")));
            }
        }
        Ok(())
    }
}

impl Drop for ParquetSink {
    /// An abandoned table: the worker stops after what it holds, and is waited for so
    /// nothing writes the file after the sink is gone (a new sink may recreate it).
    fn drop(&mut self) {
        self.batches = None;
        let _ = self.join();
    }
}

impl BatchSink for ParquetSink {
    fn write_batch(&mut self, batch: RowBatch) -> Result<(), SinkError> {
        self.check_shape(&batch)?;
        let rows = batch.rows() as u64;
        let sent = self.batches.as_ref().ok_or("the table is already finished")?.send(batch);
        if sent.is_err() {
            // The worker stopped early: its error says why.
            self.batches = None;
            self.join()?;
            return Err("the table's writer stopped".into());
        }
        self.rows += rows;
        Ok(())
    }
}

/// Reads a whole canonical table.
pub fn read_table(path: &Path) -> Result<DataFrame, TableError> {
    let file = File::open(path).map_err(|source| TableError::Io { path: path.to_owned(), source })?;
    ParquetReader::new(file).finish().map_err(|source| TableError::Polars { path: path.to_owned(), source })
}

/// A canonical table as a lazy frame, for the metrics to read only the columns they need.
pub fn scan_table(path: &Path) -> Result<LazyFrame, TableError> {
    let polars_error = |source| TableError::Polars { path: path.to_owned(), source };
    let path_ref = PlRefPath::try_from_path(path).map_err(polars_error)?;
    LazyFrame::scan_parquet(path_ref, ScanArgsParquet::default()).map_err(polars_error)
}

/// What a table file's statistics prove about its columns: those empty in every row, or
/// holding one text throughout (a single currency). It stays true of any rows selected
/// from the table, so a reader can take such a column as its one value instead of
/// decoding it.
#[derive(Debug, Default, Clone)]
pub struct ColumnFacts {
    uniform: Vec<(String, Uniform)>,
}

impl ColumnFacts {
    /// The facts of the table at `path`, from its footer.
    pub fn of_table(path: &Path) -> Result<Self, TableError> {
        let file = File::open(path).map_err(|source| TableError::Io { path: path.to_owned(), source })?;
        let metadata = polars_parquet::read::read_metadata(&mut BufReader::new(file))
            .map_err(|source| TableError::Polars { path: path.to_owned(), source })?;
        let names = metadata.schema_descr.fields().iter().map(|field| field.name().to_string());
        let uniform = names.filter_map(|name| Some((name.clone(), uniform_column(&metadata, &name)?))).collect();
        Ok(ColumnFacts { uniform })
    }

    /// The column's one value in every row, if the statistics prove there is one
    /// (`Some(None)`: every row is empty).
    pub fn uniform_text(&self, column: &str) -> Option<Option<&str>> {
        self.uniform.iter().find(|(name, _)| name == column).map(|(_, uniform)| match uniform {
            Uniform::Empty => None,
            Uniform::Text(text) => Some(text.as_str()),
        })
    }
}

/// What a column's statistics prove about every one of its rows.
#[derive(Debug, Clone, PartialEq)]
enum Uniform {
    Empty,
    Text(String),
}

/// The column's rows are all empty, or all the same text, in every row group by its
/// statistics (which this writer keeps whole, never truncated); `None` when unsure.
fn uniform_column(metadata: &FileMetadata, name: &str) -> Option<Uniform> {
    let mut seen = None;
    for group in &metadata.row_groups {
        let mut chunks = group.columns_under_root_iter(name)?;
        let (Some(chunk), None) = (chunks.next(), chunks.next()) else { return None };
        let rows = i64::try_from(group.num_rows()).ok()?;
        let this = match chunk.statistics(&metadata.footer_buf)?.ok()? {
            Statistics::Binary(text) if text.null_count == Some(0) && text.min_value == text.max_value => {
                Uniform::Text(String::from_utf8(text.min_value?).ok()?)
            }
            stats if null_count(&stats) == Some(rows) => Uniform::Empty,
            _ => return None,
        };
        if seen.as_ref().is_some_and(|seen| *seen != this) {
            return None;
        }
        seen = Some(this);
    }
    seen
}

fn null_count(stats: &Statistics) -> Option<i64> {
    match stats {
        Statistics::Binary(s) => s.null_count,
        Statistics::Boolean(s) => s.null_count,
        Statistics::FixedLen(s) => s.null_count,
        Statistics::Int32(s) => s.null_count,
        Statistics::Int64(s) => s.null_count,
        Statistics::Int96(s) => s.null_count,
        Statistics::Float(s) => s.null_count,
        Statistics::Double(s) => s.null_count,
    }
}

/// Tables written for tests.
#[cfg(test)]
pub(crate) mod testing {
    use std::path::PathBuf;

    use revlens_model::{BatchSink, Column, ColumnValues, RowBatch};

    use super::ParquetSink;

    pub(crate) fn text_column(name: &str, cells: Vec<Option<String>>) -> Column {
        Column { name: name.into(), values: ColumnValues::Text(cells.into()) }
    }

    /// A table of `batches` (its columns those of the first), in a directory that lasts
    /// as long as the returned guard.
    pub(crate) fn written_table(batches: Vec<RowBatch>) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let columns: Vec<_> =
            batches[0].columns.iter().map(|column| (column.name.clone(), column.values.storage())).collect();
        let mut sink = ParquetSink::create(&path, &columns).unwrap();
        for batch in batches {
            sink.write_batch(batch).unwrap();
        }
        sink.finish().unwrap();
        (dir, path)
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{text_column, written_table};
    use super::*;
    use polars_parquet::parquet::compression::Compression;
    use proptest::prelude::*;
    use revlens_model::{Column, ColumnValues};

    fn read_text(frame: &DataFrame, name: &str) -> Vec<Option<String>> {
        frame.column(name).unwrap().str().unwrap().iter().map(|v| v.map(str::to_owned)).collect()
    }

    #[test]
    fn writes_batches_and_reads_them_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let columns = vec![
            ("customer_id".to_string(), StorageType::Text),
            ("amount".to_string(), StorageType::Money),
            ("start_date".to_string(), StorageType::Date),
        ];
        let mut sink = ParquetSink::create(&path, &columns).unwrap();
        for offset in [0, 2] {
            let batch = RowBatch {
                columns: vec![
                    Column {
                        name: "customer_id".into(),
                        values: ColumnValues::Text(vec![Some(format!("00{offset}")), None].into()),
                    },
                    Column {
                        name: "amount".into(),
                        values: ColumnValues::Money(vec![Some(19_9900), Some(offset)].into()),
                    },
                    Column { name: "start_date".into(), values: ColumnValues::Date(vec![Some(19_723), None].into()) },
                ],
            };
            sink.write_batch(batch).unwrap();
        }
        assert_eq!(sink.finish().unwrap(), 4);
        let frame = read_table(&path).unwrap();
        assert_eq!(frame.height(), 4);
        assert_eq!(frame.column("start_date").unwrap().dtype(), &DataType::Date);
        let ids: Vec<_> = frame.column("customer_id").unwrap().str().unwrap().iter().collect();
        assert_eq!(ids, vec![Some("000"), None, Some("002"), None]);
        let amounts: Vec<_> = frame.column("amount").unwrap().i64().unwrap().iter().collect();
        assert_eq!(amounts, vec![Some(199_900), Some(0), Some(199_900), Some(2)]);
    }

    #[test]
    fn text_cells_of_any_length_read_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        // Views inline 12 bytes at most; longer cells point into the batch's buffer.
        let cells = vec![
            Some("Müller & Söhne GmbH, Zürich".to_string()),
            None,
            Some(String::new()),
            Some("exactly12byt".to_string()),
            Some("thirteen char".to_string()),
            None,
        ];
        let mut sink = ParquetSink::create(&path, &[("plan".to_string(), StorageType::Text)]).unwrap();
        let values = ColumnValues::Text(cells.clone().into());
        sink.write_batch(RowBatch { columns: vec![Column { name: "plan".into(), values }] }).unwrap();
        assert_eq!(sink.finish().unwrap(), 6);
        let frame = read_table(&path).unwrap();
        let read: Vec<_> = frame.column("plan").unwrap().str().unwrap().iter().map(|v| v.map(str::to_owned)).collect();
        assert_eq!(read, cells);
    }

    #[test]
    fn numeric_cells_keep_their_gaps() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let columns = [
            ("quantity".to_string(), StorageType::Integer),
            ("discount_pct".to_string(), StorageType::Float),
            ("end_date".to_string(), StorageType::Date),
        ];
        let mut sink = ParquetSink::create(&path, &columns).unwrap();
        let batch = RowBatch {
            columns: vec![
                Column { name: "quantity".into(), values: ColumnValues::Integer(vec![None, Some(-3), Some(7)].into()) },
                Column {
                    name: "discount_pct".into(),
                    values: ColumnValues::Float(vec![Some(12.5), None, Some(0.0)].into()),
                },
                Column {
                    name: "end_date".into(),
                    values: ColumnValues::Date(vec![Some(0), Some(19_723), None].into()),
                },
            ],
        };
        sink.write_batch(batch).unwrap();
        sink.finish().unwrap();
        let frame = read_table(&path).unwrap();
        let quantity: Vec<_> = frame.column("quantity").unwrap().i64().unwrap().iter().collect();
        assert_eq!(quantity, vec![None, Some(-3), Some(7)]);
        let discount: Vec<_> = frame.column("discount_pct").unwrap().f64().unwrap().iter().collect();
        assert_eq!(discount, vec![Some(12.5), None, Some(0.0)]);
        let end = frame.column("end_date").unwrap();
        assert_eq!(end.dtype(), &DataType::Date);
        let days: Vec<_> = end.date().unwrap().physical().iter().collect();
        assert_eq!(days, vec![Some(0), Some(19_723), None]);
    }

    #[test]
    fn an_empty_table_keeps_its_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let sink = ParquetSink::create(&path, &[("order_id".to_string(), StorageType::Text)]).unwrap();
        assert_eq!(sink.finish().unwrap(), 0);
        let frame = read_table(&path).unwrap();
        assert_eq!(frame.height(), 0);
        assert_eq!(frame.get_column_names(), vec!["order_id"]);
    }

    #[test]
    fn each_column_is_encoded_as_its_values_call_for() {
        let rows = 2_000;
        let mut types = Vec::new();
        let mut batches = Vec::new();
        for batch in 0..3 {
            let ids = (0..rows).map(|row| Some(format!("in_{batch}_{row:06}"))).collect();
            let kinds: Vec<_> = (0..rows)
                .map(|row| match row % 7 {
                    0 => Some("refund".to_string()),
                    3 => None,
                    _ => Some("charge".to_string()),
                })
                .collect();
            types.extend(kinds.clone());
            // Cents of varied amounts, as zstd finds them: no repeats to shrink.
            let amounts = (0..rows).map(|row| Some((row as i64 * 2_654_435_761) % 100_003 * 100)).collect::<Vec<_>>();
            let dates = (0..rows).map(|row| Some(19_000 + (row % 90) as i32)).collect::<Vec<_>>();
            batches.push(RowBatch {
                columns: vec![
                    text_column("invoice_id", ids),
                    text_column("type", kinds),
                    Column { name: "amount".into(), values: ColumnValues::Money(amounts.into()) },
                    Column { name: "date".into(), values: ColumnValues::Date(dates.into()) },
                ],
            });
        }
        let (_dir, path) = written_table(batches);

        let metadata = polars_parquet::read::read_metadata(&mut File::open(&path).unwrap()).unwrap();
        assert_eq!(metadata.row_groups.len(), 3);
        for (index, group) in metadata.row_groups.iter().enumerate() {
            let chunks = group.parquet_columns();
            let encoded: Vec<_> =
                chunks.iter().map(|chunk| (chunk.dictionary_page_offset().is_some(), chunk.compression())).collect();
            // Unique ids: plain and compressed; few words and a quarter's dates: dictionary
            // keys, not compressed; varied amounts: plain, and compressed only until zstd was
            // seen to hardly shrink them written plain (the first group had tried a dictionary).
            let amounts = if index < 2 { Compression::Zstd } else { Compression::Uncompressed };
            assert_eq!(
                encoded,
                [
                    (false, Compression::Zstd),
                    (true, Compression::Uncompressed),
                    (false, amounts),
                    (true, Compression::Uncompressed)
                ]
            );
            // Ids written with delta lengths (after the first group) keep only their gaps.
            let Ok(Statistics::Binary(ids)) = chunks[0].statistics(&metadata.footer_buf).unwrap() else {
                panic!("no text statistics")
            };
            let bounded = (ids.min_value.is_some(), ids.max_value.is_some());
            assert_eq!((ids.null_count, bounded), (Some(0), if index == 0 { (true, true) } else { (false, false) }));
        }
        let frame = read_table(&path).unwrap();
        assert_eq!(read_text(&frame, "type"), types);
        assert_eq!(read_text(&frame, "invoice_id")[rows + 5], Some("in_1_000005".to_string()));
        let amounts: Vec<_> = frame.column("amount").unwrap().i64().unwrap().iter().collect();
        assert_eq!(amounts[rows * 2 + 3], Some(3 * 2_654_435_761 % 100_003 * 100));
    }

    /// A text column's cells: drawn from `distinct` words (few or many), some absent; half
    /// the words long, with the same first eight bytes.
    fn text_cells(distinct: usize) -> impl Strategy<Value = Vec<Option<String>>> {
        let word =
            |word: usize| if word.is_multiple_of(2) { format!("w{word}") } else { format!("same-start-w{word}") };
        prop::collection::vec(prop::option::weighted(0.9, (0..distinct).prop_map(word)), 0..300)
    }

    proptest! {
        /// Whichever way each row group of a column is encoded (words compared, polars'
        /// dictionary, plain once it was too varied), the cells read back as written.
        #[test]
        fn text_reads_back_whatever_its_encoding(
            batches in prop::collection::vec(prop_oneof![text_cells(3), text_cells(40), text_cells(100_000)], 1..6)
        ) {
            let written = batches.iter().map(|cells| RowBatch { columns: vec![text_column("plan", cells.clone())] });
            let (_dir, path) = written_table(written.collect());
            let frame = read_table(&path).unwrap();
            prop_assert_eq!(read_text(&frame, "plan"), batches.concat());
        }
    }

    #[test]
    fn statistics_prove_columns_empty_or_of_one_text() {
        let batches = [("EU", Some(19_000)), ("US", None)].map(|(region, date)| RowBatch {
            columns: vec![
                text_column("currency", vec![Some("USD".into()); 3]),
                text_column("type", vec![Some("charge".into()), Some("refund".into()), Some("charge".into())]),
                text_column("region", vec![Some(region.into()); 3]),
                Column { name: "period_start".into(), values: ColumnValues::Date(vec![None; 3].into()) },
                Column { name: "date".into(), values: ColumnValues::Date(vec![date, Some(19_001), None].into()) },
            ],
        });
        let (_dir, path) = written_table(batches.into());

        let facts = ColumnFacts::of_table(&path).unwrap();
        // One text throughout, or nothing at all; not so when it differs per row group,
        // or within one.
        assert_eq!(facts.uniform_text("currency"), Some(Some("USD")));
        assert_eq!(facts.uniform_text("period_start"), Some(None));
        for name in ["type", "region", "date", "no_such_column"] {
            assert_eq!(facts.uniform_text(name), None, "{name}");
        }
    }
}
