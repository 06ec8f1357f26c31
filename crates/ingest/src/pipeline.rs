//! The two passes of an import, and inspection. Pass 1 copies and hashes the file,
//! settles the encoding and gathers column evidence (where the records are parsed);
//! pass 2 converts, validates and writes batches. Both read records through
//! [`RecordSource`], so text files and workbooks share everything after the reader.

use std::cell::OnceCell;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use revlens_model::{BatchSink, SinkError};
use sha2::{Digest, Sha256};

use crate::convert::{BatchBuilder, Converter, Evidence, Formats};
use crate::decode::{Counting, Keeper, Tee, TextInput};
use crate::detect::{self, FileKind, Sample, HEADER_SEARCH_ROWS};
use crate::layout::Layout;
use crate::pacer::{Pacer, PROGRESS_BYTES};
use crate::source::{CsvRecords, RecordSource, Row};
use crate::workbook::{self, SheetRecords};
use crate::{
    ImportError, ImportIo, ImportOutcome, ImportPlan, Inspection, Phase, RowError, SourceFormat, SourceOptions,
    TextEncoding, WorkbookKind, MAX_LISTED_ERRORS, SAMPLE_ROWS,
};

/// Rows per batch handed to the sink (a row group of the table). Measured: 32K rows
/// imports faster than 16K or 64K (less memory for the writer to touch) and reads as fast.
pub(crate) const BATCH_ROWS: usize = 32 * 1024;
/// Data rows whose evidence decides the provisional reading of a one-pass import.
const PROVISIONAL_ROWS: usize = 64 * 1024;
/// ...or as many bytes of them, whichever comes first.
const PROVISIONAL_BYTES: usize = 16 * 1024 * 1024;
/// Rejections of a provisional import held back before it gives up.
const MAX_DEFERRED_ERRORS: usize = 16 * 1024;
/// Rows of the sample parsed for detection (blank ones included).
const SAMPLE_PARSE_ROWS: usize = 4 * (HEADER_SEARCH_ROWS + SAMPLE_ROWS);

fn io_error(path: &Path) -> impl Fn(io::Error) -> ImportError + '_ {
    move |source| ImportError::Io { path: path.to_path_buf(), source }
}

/// A text file's settled reading, from its sample.
struct TextPlan {
    encoding: TextEncoding,
    delimiter: u8,
    header_line: u64,
    headers: Vec<String>,
    sample: Vec<Vec<String>>,
}

fn delimiter_option(options: &SourceOptions) -> Result<Option<u8>, ImportError> {
    match options.delimiter {
        None => Ok(None),
        Some(c) if c.is_ascii() && c != '"' && c != '\n' && c != '\r' => Ok(Some(c as u8)),
        Some(c) => Err(ImportError::Options(format!(
            "the delimiter must be one ASCII character other than a quote or newline, not {c:?}"
        ))),
    }
}

/// The header row found among the first rows, and the sample rows below it.
struct HeaderAndSample {
    line: u64,
    headers: Vec<String>,
    sample: Vec<Vec<String>>,
}

/// Finds the header among the first rows and collects the sample rows below it.
fn header_and_sample(path: &Path, rows: &[Row]) -> Result<HeaderAndSample, ImportError> {
    if rows.iter().all(Row::is_blank) {
        return Err(ImportError::Empty { path: path.to_path_buf() });
    }
    let Some(index) = detect::find_header(rows) else {
        let scanned = rows.iter().filter(|r| !r.is_blank()).count();
        return Err(ImportError::NoHeader { path: path.to_path_buf(), scanned: scanned.min(HEADER_SEARCH_ROWS) });
    };
    let header = rows.get(index).ok_or_else(|| ImportError::NoHeader { path: path.to_path_buf(), scanned: 0 })?;
    let sample = rows
        .iter()
        .skip(index + 1)
        .filter(|r| !r.is_blank())
        .take(SAMPLE_ROWS)
        .map(|r| (0..r.len()).map(|i| r.raw(i).to_string()).collect())
        .collect();
    Ok(HeaderAndSample { line: header.line, headers: detect::header_names(header), sample })
}

fn plan_text(path: &Path, sample: &Sample, options: &SourceOptions) -> Result<TextPlan, ImportError> {
    let encoding = detect::sniff_encoding(&sample.bytes, sample.complete);
    if let Some(offset) = detect::binary_offset(&sample.bytes, encoding) {
        return Err(ImportError::Binary { path: path.to_path_buf(), offset });
    }
    let text = detect::decode_sample(&sample.bytes, encoding);
    if text.trim().is_empty() {
        return Err(ImportError::Empty { path: path.to_path_buf() });
    }
    let delimiter = match delimiter_option(options)? {
        Some(d) => d,
        None => detect::sniff_delimiter(&text, sample.complete),
    };
    let rows = detect::sample_rows(&text, delimiter, sample.complete, SAMPLE_PARSE_ROWS);
    let found = header_and_sample(path, &rows)?;
    Ok(TextPlan { encoding, delimiter, header_line: found.line, headers: found.headers, sample: found.sample })
}

fn delimited(encoding: TextEncoding, delimiter: u8) -> SourceFormat {
    SourceFormat::Delimited { encoding, delimiter: char::from(delimiter) }
}

/// Sheet rows enough to find the header and a sample.
fn first_sheet_rows(records: &mut SheetRecords<'_>) -> Result<Vec<Row>, ImportError> {
    let mut rows = Vec::new();
    let mut row = Row::default();
    while rows.len() < SAMPLE_PARSE_ROWS && records.next_row(&mut row)? {
        rows.push(row.clone());
    }
    Ok(rows)
}

pub(crate) fn inspect(path: &Path, options: &SourceOptions) -> Result<Inspection, ImportError> {
    let sample = detect::read_sample(path)?;
    if sample.bytes.is_empty() {
        return Err(ImportError::Empty { path: path.to_path_buf() });
    }
    match detect::file_kind(path, &sample.bytes)? {
        FileKind::Text => {
            let plan = plan_text(path, &sample, options)?;
            Ok(Inspection {
                format: delimited(plan.encoding, plan.delimiter),
                sheets: Vec::new(),
                header_line: plan.header_line,
                headers: plan.headers,
                sample: plan.sample,
            })
        }
        FileKind::Workbook(kind) => {
            let bytes = std::fs::read(path).map_err(io_error(path))?;
            let sheet = workbook::load_sheet(path, bytes, kind, options.sheet.as_deref())?;
            let mut records = SheetRecords::new(&sheet.values, sample.file_len);
            let rows = first_sheet_rows(&mut records)?;
            let found = header_and_sample(path, &rows)?;
            Ok(Inspection {
                format: SourceFormat::Workbook { workbook: kind, sheet: sheet.name },
                sheets: sheet.sheets,
                header_line: found.line,
                headers: found.headers,
                sample: found.sample,
            })
        }
    }
}

/// The first data rows, by count or by bytes, whose evidence decides a provisional reading.
#[derive(Default)]
struct FirstRows {
    rows: usize,
    bytes: usize,
}

impl FirstRows {
    fn complete(&self) -> bool {
        self.rows >= PROVISIONAL_ROWS || self.bytes >= PROVISIONAL_BYTES
    }

    /// Counts `row` in; true when it is the one that completes the first rows.
    fn completed_by(&mut self, row: &Row) -> bool {
        if self.complete() {
            return false;
        }
        self.rows += 1;
        self.bytes += row.text_len();
        self.complete()
    }
}

/// The evidence of the first data rows, and how many they are: a provisional reading is
/// decided from it once that many rows are in.
struct EarlyEvidence {
    rows: usize,
    evidence: Evidence,
}

/// Pass 1's records: the data rows of `source` (none above the header, none blank), each
/// observed as evidence as it is read (maybe some rows ahead of their import). As the first
/// rows complete, their evidence is left in `early` for a provisional reading.
struct Observed<'e, S> {
    source: S,
    header_line: u64,
    evidence: Evidence,
    first_rows: FirstRows,
    early: &'e OnceCell<EarlyEvidence>,
}

impl<'e, S: RecordSource> Observed<'e, S> {
    fn new(source: S, header_line: u64, evidence: Evidence, early: &'e OnceCell<EarlyEvidence>) -> Self {
        Observed { source, header_line, evidence, first_rows: FirstRows::default(), early }
    }

    fn is_data(&self, row: &Row) -> bool {
        row.line > self.header_line && !row.is_blank()
    }

    fn observe(&mut self, row: &Row) {
        self.evidence.observe(row);
        if self.first_rows.completed_by(row) {
            let _ = self.early.set(EarlyEvidence { rows: self.first_rows.rows, evidence: self.evidence.clone() });
        }
    }
}

impl<S: RecordSource> RecordSource for Observed<'_, S> {
    fn next_row(&mut self, row: &mut Row) -> Result<bool, ImportError> {
        while self.source.next_row(row)? {
            if self.is_data(row) {
                self.observe(row);
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn next_rows(&mut self, rows: &mut [Row]) -> Result<usize, ImportError> {
        loop {
            let read = self.source.next_rows(rows)?;
            if read == 0 {
                return Ok(0);
            }
            let mut kept = 0;
            for index in 0..read {
                let Some(row) = rows.get(index) else { break };
                if self.is_data(row) {
                    self.observe(row);
                    rows.swap(kept, index);
                    kept += 1;
                }
            }
            if kept > 0 {
                return Ok(kept);
            }
        }
    }

    fn bytes_done(&self) -> u64 {
        self.source.bytes_done()
    }
}

/// Rows read and converted together; they take some 50 KB.
const BLOCK_ROWS: usize = 256;

/// Rows read from a source a block at a time: the parser splits many lines per call, and
/// what looks at them next (evidence, conversion) finds them still in the core's cache.
/// (Parsing on a thread of its own was measured slower: every row's text and field bounds
/// then crossed to the converting core, a cache miss per row that cost more than the
/// parsing it moved away.)
struct Blocks {
    rows: Vec<Row>,
}

impl Blocks {
    fn new() -> Self {
        let mut rows = Vec::new();
        rows.resize_with(BLOCK_ROWS, Row::default);
        Blocks { rows }
    }

    /// The next rows of `records`, `None` at the end (its error after the rows before it).
    fn next(&mut self, records: &mut dyn RecordSource) -> Result<Option<&[Row]>, ImportError> {
        let read = records.next_rows(&mut self.rows)?;
        Ok(self.rows.get(..read).filter(|block| !block.is_empty()))
    }
}

/// Pass 1 over observed records: counts them (and imports them provisionally).
fn scan(
    records: &mut dyn RecordSource,
    early: &OnceCell<EarlyEvidence>,
    pacer: &mut Pacer<'_>,
    mut provisional: Option<&mut Provisional<'_, '_>>,
) -> Result<u64, ImportError> {
    let mut blocks = Blocks::new();
    let mut data_rows = 0;
    while let Some(block) = blocks.next(records)? {
        data_rows += block.len() as u64;
        if let Some(provisional) = provisional.as_deref_mut() {
            provisional.take(block, early);
        }
        pacer.tick(data_rows, records.bytes_done())?;
    }
    Ok(data_rows)
}

/// The common case in one pass: pass 1 also converts and emits, with the reading decided
/// from the evidence of the first rows. It stands only if the whole file's evidence
/// decides exactly the same reading (and the encoding holds); then every row converts as
/// pass 2 would have converted it. Otherwise the sink is reset and pass 2 runs as usual.
struct Provisional<'l, 'e> {
    layout: &'l Layout,
    semicolon: bool,
    /// The first data rows, until the reading is decided.
    pending: Vec<Row>,
    formats: Option<Formats>,
    converter: Option<Converter<'l>>,
    emitter: Emitter<'e>,
    /// Given up (a sink failure, too many deferred rejections): pass 2 must run.
    abandoned: bool,
}

impl<'l, 'e> Provisional<'l, 'e> {
    fn new(layout: &'l Layout, semicolon: bool, mut emitter: Emitter<'e>) -> Self {
        emitter.deferred = Some(Vec::new());
        Provisional {
            layout,
            semicolon,
            pending: Vec::new(),
            formats: None,
            converter: None,
            emitter,
            abandoned: false,
        }
    }

    /// Takes the next data rows; `early` has the evidence of the first rows once they are in.
    fn take(&mut self, mut rows: &[Row], early: &OnceCell<EarlyEvidence>) {
        while self.converter.is_none() && !self.abandoned {
            let Some((row, rest)) = rows.split_first() else { return };
            self.pending.push(row.clone());
            rows = rest;
            // Observed before it was handed over: the first rows may be complete already.
            if let Some(early) = early.get().filter(|early| self.pending.len() >= early.rows) {
                self.decide(&early.evidence);
            }
        }
        self.convert(rows);
    }

    /// Settles the provisional reading and imports the rows held so far.
    fn decide(&mut self, evidence: &Evidence) {
        let formats = evidence.decide(self.layout, self.semicolon);
        self.converter = Some(Converter::new(self.layout, &formats));
        self.formats = Some(formats);
        // In blocks: a run is converted a column at a time, best while its rows are in cache.
        for block in std::mem::take(&mut self.pending).chunks(BLOCK_ROWS) {
            self.convert(block);
        }
    }

    fn convert(&mut self, rows: &[Row]) {
        let Some(converter) = self.converter.as_mut().filter(|_| !self.abandoned) else {
            return;
        };
        if self.emitter.emit(converter, rows).is_err() || self.emitter.overflowing() {
            self.abandon();
        }
    }

    fn abandon(&mut self) {
        self.abandoned = true;
        self.pending = Vec::new();
        self.converter = None;
    }

    /// After pass 1: the emitter, and whether what it emitted stands as the import.
    fn finish(mut self, evidence: &Evidence, final_formats: &Formats) -> (Emitter<'e>, bool) {
        if !self.abandoned && self.converter.is_none() {
            // A file shorter than the sample: its whole evidence is in.
            self.decide(evidence);
        }
        let stands = !self.abandoned && self.formats.as_ref() == Some(final_formats);
        let stands = stands && self.emitter.flush().is_ok();
        (self.emitter, stands)
    }
}

/// Where valid rows and problems go during pass 2 (or pass 1, when it imports too).
struct Emitter<'e> {
    sink: &'e mut dyn BatchSink,
    rejected: &'e mut dyn FnMut(&RowError) -> Result<(), SinkError>,
    skip_invalid: bool,
    batch: BatchBuilder,
    rows: u64,
    /// Rows with a problem: skipped, or why nothing is imported.
    invalid_rows: u64,
    problems: u64,
    listed: Vec<RowError>,
    /// While importing on a provisional reading, rejected rows wait here: the caller
    /// hears of them only once the reading is final.
    deferred: Option<Vec<RowError>>,
}

impl<'e> Emitter<'e> {
    fn new(
        sink: &'e mut dyn BatchSink,
        rejected: &'e mut dyn FnMut(&RowError) -> Result<(), SinkError>,
        skip_invalid: bool,
        layout: &Layout,
    ) -> Self {
        Emitter {
            sink,
            rejected,
            skip_invalid,
            batch: BatchBuilder::new(layout, BATCH_ROWS),
            rows: 0,
            invalid_rows: 0,
            problems: 0,
            listed: Vec::new(),
            deferred: None,
        }
    }

    /// Discards everything emitted so far, for a fresh pass 2.
    fn restart(&mut self, layout: &Layout) -> Result<(), ImportError> {
        self.sink.reset().map_err(ImportError::Sink)?;
        self.batch = BatchBuilder::new(layout, BATCH_ROWS);
        self.rows = 0;
        self.invalid_rows = 0;
        self.problems = 0;
        self.listed.clear();
        self.deferred = None;
        Ok(())
    }

    /// Too many deferred rejections to hold in memory: the provisional import must stop.
    fn overflowing(&self) -> bool {
        self.deferred.as_ref().is_some_and(|d| d.len() > MAX_DEFERRED_ERRORS)
    }

    /// Hands the deferred rejections to the caller, in order.
    fn release_deferred(&mut self) -> Result<(), ImportError> {
        for error in self.deferred.take().unwrap_or_default() {
            (self.rejected)(&error).map_err(ImportError::Sink)?;
        }
        Ok(())
    }

    /// Converts `rows`, emitting the valid ones and rejecting the others: the plainly valid
    /// rows in runs, column by column; from a row with a problem on, row by row.
    fn emit(&mut self, converter: &mut Converter<'_>, rows: &[Row]) -> Result<(), ImportError> {
        let mut rest = rows;
        while !rest.is_empty() && (self.problems == 0 || self.skip_invalid) {
            let taken = converter.commit_leading(rest, &mut self.batch);
            self.rows += taken as u64;
            rest = rest.get(taken..).unwrap_or_default();
            if !self.batch.is_full() {
                break;
            }
            self.flush()?;
        }
        for row in rest {
            self.emit_row(converter, row)?;
        }
        Ok(())
    }

    fn emit_row(&mut self, converter: &mut Converter<'_>, row: &Row) -> Result<(), ImportError> {
        if converter.convert(row) {
            self.accept(converter, row)
        } else {
            self.reject(&converter.errors)
        }
    }

    fn accept(&mut self, converter: &Converter<'_>, row: &Row) -> Result<(), ImportError> {
        // Once the import is bound to fail, building batches is wasted work.
        if self.problems > 0 && !self.skip_invalid {
            return Ok(());
        }
        converter.commit(row, &mut self.batch);
        self.rows += 1;
        if self.batch.is_full() {
            self.flush()?;
        }
        Ok(())
    }

    fn reject(&mut self, errors: &[RowError]) -> Result<(), ImportError> {
        self.problems += errors.len() as u64;
        self.invalid_rows += 1;
        if self.skip_invalid {
            if let Some(deferred) = self.deferred.as_mut() {
                deferred.extend_from_slice(errors);
                return Ok(());
            }
            for error in errors {
                (self.rejected)(error).map_err(ImportError::Sink)?;
            }
        } else {
            let room = MAX_LISTED_ERRORS.saturating_sub(self.listed.len());
            self.listed.extend(errors.iter().take(room).cloned());
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ImportError> {
        if !self.batch.is_empty() {
            let batch = self.batch.take();
            self.sink.write_batch(batch).map_err(ImportError::Sink)?;
        }
        Ok(())
    }
}

/// Pass 2 over records: converts, validates and emits.
fn emit(
    records: &mut dyn RecordSource,
    header_line: u64,
    converter: &mut Converter<'_>,
    emitter: &mut Emitter<'_>,
    pacer: &mut Pacer<'_>,
) -> Result<(), ImportError> {
    let mut blocks = Blocks::new();
    let mut seen = 0;
    while let Some(block) = blocks.next(records)? {
        for row in block.iter().filter(|row| row.line > header_line && !row.is_blank()) {
            seen += 1;
            emitter.emit_row(converter, row)?;
        }
        pacer.tick(seen, records.bytes_done())?;
    }
    emitter.flush()
}

/// What both kinds of file hand to the shared end of an import.
struct Scanned {
    format: SourceFormat,
    header_line: u64,
    sha256: String,
    bytes: u64,
    formats: Formats,
}

pub(crate) fn import(path: &Path, plan: &ImportPlan, mut io: ImportIo<'_>) -> Result<ImportOutcome, ImportError> {
    io.cancel.check().map_err(|_| ImportError::Cancelled)?;
    let sample = detect::read_sample(path)?;
    if sample.bytes.is_empty() {
        return Err(ImportError::Empty { path: path.to_path_buf() });
    }
    match detect::file_kind(path, &sample.bytes)? {
        FileKind::Text => import_text(path, plan, &mut io, &sample),
        FileKind::Workbook(kind) => import_workbook(path, plan, &mut io, &sample, kind),
    }
}

fn finish(path: &Path, layout: &Layout, scanned: Scanned, emitter: Emitter<'_>) -> Result<ImportOutcome, ImportError> {
    if emitter.problems > 0 && !emitter.skip_invalid {
        return Err(ImportError::InvalidRows {
            path: path.to_path_buf(),
            rows: emitter.invalid_rows,
            total: emitter.problems,
            errors: emitter.listed,
        });
    }
    Ok(ImportOutcome {
        format: scanned.format,
        header_line: scanned.header_line,
        sha256: scanned.sha256,
        bytes: scanned.bytes,
        rows: emitter.rows,
        skipped: emitter.invalid_rows,
        columns: layout.output_columns(),
        warnings: scanned.formats.warnings,
    })
}

fn import_text(
    path: &Path,
    plan: &ImportPlan,
    io: &mut ImportIo<'_>,
    sample: &Sample,
) -> Result<ImportOutcome, ImportError> {
    let text = plan_text(path, sample, &plan.source)?;
    let layout = Layout::plan(path, plan.kind, &plan.mapping, &text.headers)?;
    let open = || File::open(path).map_err(io_error(path));
    let semicolon = text.delimiter == b';';
    let early = OnceCell::new();
    let mut pacer = Pacer::new(&mut *io.progress, io.cancel, sample.file_len);
    let one_pass = io.rows.can_reset();
    let emitter = Emitter::new(&mut *io.rows, &mut *io.rejected, plan.skip_invalid, &layout);
    let mut provisional = Provisional::new(&layout, semicolon, emitter);

    // Pass 1: copy, hash, check the bytes, gather evidence (and, when the sink can start
    // over, import on a provisional reading).
    pacer.start(Phase::Scanning)?;
    let find_nul = !detect::is_utf16(text.encoding);
    let check_utf8 = matches!(text.encoding, TextEncoding::Utf8 | TextEncoding::Utf8Bom);
    let (first_pass, kept) = std::thread::scope(|scope| {
        let (keeper, kept) = Keeper::spawn(scope, &mut *io.original, check_utf8)
            .map_err(|e| ImportError::thread_not_started("original", &e))?;
        let first_pass = (|| {
            let tee = Tee::new(open()?, keeper, find_nul);
            let input = TextInput::new(tee, text.encoding).map_err(io_error(path))?;
            let records = CsvRecords::new(input, text.delimiter, path);
            let mut observed = Observed::new(records, text.header_line, Evidence::new(&layout), &early);
            let provisional = one_pass.then_some(&mut provisional);
            let data_rows = scan(&mut observed, &early, &mut pacer, provisional)?;
            let tee = match observed.source.into_input() {
                TextInput::Plain(tee) => tee,
                TextInput::Decoded(decoder) => decoder.into_inner(),
            };
            Ok((data_rows, observed.evidence, tee.bytes))
        })();
        // The keeper has had every chunk (the tee is gone); its failure is the cause of any
        // read error, so it comes first.
        let kept = kept
            .join()
            .map_err(|_| ImportError::thread_panicked("original"))?
            .map_err(|e| ImportError::Sink(Box::new(e)))?;
        Ok::<_, ImportError>((first_pass, kept))
    })?;
    let (data_rows, evidence, bytes) = first_pass?;
    let (sha256, utf8_everywhere) = (kept.sha256, kept.utf8.unwrap_or(true));
    pacer.report(data_rows, bytes)?;
    if data_rows == 0 {
        return Err(ImportError::NoRows { path: path.to_path_buf(), header_line: text.header_line });
    }
    // One invalid byte anywhere makes the whole file Windows-1252.
    let encoding = match text.encoding {
        TextEncoding::Utf8 | TextEncoding::Utf8Bom if !utf8_everywhere => TextEncoding::Windows1252,
        other => other,
    };
    let formats = evidence.decide(&layout, semicolon);
    let (mut emitter, stands) = provisional.finish(&evidence, &formats);
    let stands = one_pass && stands && encoding == text.encoding;

    pacer.start(Phase::Importing)?;
    if stands {
        emitter.release_deferred()?;
    } else {
        // Pass 2: parse, convert, validate, write.
        if one_pass {
            emitter.restart(&layout)?;
        } else {
            emitter.deferred = None;
        }
        let mut counting = Counting::new(open()?);
        if encoding == TextEncoding::Windows1252 && text.encoding == TextEncoding::Utf8Bom {
            let mut bom = [0u8; 3];
            counting.read_exact(&mut bom).map_err(io_error(path))?;
        }
        let input = TextInput::new(counting, encoding).map_err(io_error(path))?;
        let mut records = CsvRecords::new(input, text.delimiter, path);
        let mut converter = Converter::new(&layout, &formats);
        emit(&mut records, text.header_line, &mut converter, &mut emitter, &mut pacer)?;
    }
    pacer.report(emitter.rows + emitter.invalid_rows, sample.file_len)?;
    let scanned =
        Scanned { format: delimited(encoding, text.delimiter), header_line: text.header_line, sha256, bytes, formats };
    finish(path, &layout, scanned, emitter)
}

fn import_workbook(
    path: &Path,
    plan: &ImportPlan,
    io: &mut ImportIo<'_>,
    sample: &Sample,
    kind: WorkbookKind,
) -> Result<ImportOutcome, ImportError> {
    let mut pacer = Pacer::new(&mut *io.progress, io.cancel, sample.file_len);
    pacer.start(Phase::Scanning)?;
    // The original goes to the caller as it is read, in chunks, like a text file.
    let bytes = std::fs::read(path).map_err(io_error(path))?;
    let mut hasher = Sha256::new();
    for (index, chunk) in bytes.chunks(PROGRESS_BYTES as usize).enumerate() {
        io.original.write_all(chunk).map_err(|e| ImportError::Sink(Box::new(e)))?;
        hasher.update(chunk);
        pacer.report(0, (index * PROGRESS_BYTES as usize + chunk.len()) as u64)?;
    }
    let sha256 = hex::encode(hasher.finalize());
    let file_bytes = bytes.len() as u64;
    let sheet = workbook::load_sheet(path, bytes, kind, plan.source.sheet.as_deref())?;

    let mut records = SheetRecords::new(&sheet.values, file_bytes);
    let rows = first_sheet_rows(&mut records)?;
    let found = header_and_sample(path, &rows)?;
    let header_line = found.line;
    let layout = Layout::plan(path, plan.kind, &plan.mapping, &found.headers)?;

    let early = OnceCell::new();
    let records = SheetRecords::new(&sheet.values, file_bytes);
    let mut observed = Observed::new(records, header_line, Evidence::new(&layout), &early);
    let data_rows = scan(&mut observed, &early, &mut pacer, None)?;
    if data_rows == 0 {
        return Err(ImportError::NoRows { path: path.to_path_buf(), header_line });
    }
    let formats = observed.evidence.decide(&layout, false);

    pacer.start(Phase::Importing)?;
    let mut records = SheetRecords::new(&sheet.values, file_bytes);
    let mut converter = Converter::new(&layout, &formats);
    let mut emitter = Emitter::new(&mut *io.rows, &mut *io.rejected, plan.skip_invalid, &layout);
    emit(&mut records, header_line, &mut converter, &mut emitter, &mut pacer)?;
    let scanned = Scanned {
        format: SourceFormat::Workbook { workbook: kind, sheet: sheet.name },
        header_line,
        sha256,
        bytes: file_bytes,
        formats,
    };
    finish(path, &layout, scanned, emitter)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use proptest::prelude::*;
    use revlens_model::{DatasetKind, RowBatch};

    use super::*;
    use crate::Mapping;

    /// A layout to import with, and a few values for each of its source columns: valid,
    /// invalid, empty, breaking a rule or implying another field.
    struct Case {
        layout: Layout,
        choices: &'static [&'static [&'static str]],
    }

    fn case(kind: DatasetKind, fields: &[(&str, &str)], choices: &'static [&'static [&'static str]]) -> Case {
        let mut headers: Vec<String> = fields.iter().map(|(_, h)| h.to_string()).collect();
        // A column of no field.
        headers.push("x".into());
        let mapping = Mapping { kind, fields: fields.iter().map(|(f, h)| (f.to_string(), h.to_string())).collect() };
        Case { layout: Layout::plan(Path::new("f.csv"), kind, &mapping, &headers).unwrap(), choices }
    }

    /// Subscriptions with every field a rule or an implied value looks at.
    fn subscriptions() -> Case {
        let fields = [
            ("customer_id", "c"),
            ("amount", "a"),
            ("start_date", "s"),
            ("end_date", "e"),
            ("interval", "i"),
            ("interval_count", "n"),
            ("quantity", "q"),
        ];
        case(
            DatasetKind::Subscriptions,
            &fields,
            &[
                &["C1", " C2 ", "", "00123"],
                &["10", "-5", "1,5", "abc", ""],
                &["2024-01-31", "2024-02-31", "", "2024-03-01"],
                &["2024-02-01", "", "2023-12-31", "x"],
                &["month", "6 months", "", "fortnight"],
                &["1", "0", "", "2.5"],
                &["2", "-1", "", "many"],
                &["", "note"],
            ],
        )
    }

    fn transactions() -> Case {
        let fields = [
            ("customer_id", "c"),
            ("date", "d"),
            ("amount", "a"),
            ("currency", "k"),
            ("type", "t"),
            ("invoice_id", "v"),
        ];
        case(
            DatasetKind::Transactions,
            &fields,
            &[
                &["C1", "", " C2 "],
                &["2024-01-31", "2024-02-31", ""],
                &["-10.5", "12", "x", ""],
                &["USD", "eur", "$", "", "dollars"],
                &["charge", "Refund", "", "gift"],
                &["I-1", "", " I-2"],
                &["", "note"],
            ],
        )
    }

    /// Rows whose cells are picked from the case's choices; the pick after the last column
    /// sometimes adds a field, empty or not.
    fn rows(case: &Case, picks: &[Vec<usize>]) -> Vec<Row> {
        picks
            .iter()
            .enumerate()
            .map(|(index, picks)| {
                let mut row = Row::default();
                row.clear(index as u64 + 2);
                for (choice, pick) in case.choices.iter().zip(picks) {
                    row.push_field(choice[pick % choice.len()]);
                }
                match picks.get(case.choices.len()).map(|p| p % 4) {
                    Some(1) => row.push_field(""),
                    Some(2) => row.push_field("extra"),
                    _ => {}
                }
                row
            })
            .collect()
    }

    /// What the emitter sends and lists, given the rows in blocks of `block` (0: row by row).
    fn emitted(
        case: &Case,
        rows: &[Row],
        block: usize,
        skip_invalid: bool,
    ) -> (Vec<RowBatch>, Vec<RowError>, u64, u64) {
        let layout = &case.layout;
        let formats = Evidence::new(layout).decide(layout, false);
        let mut converter = Converter::new(layout, &formats);
        let mut batches = Vec::new();
        let mut rejected = Vec::new();
        let mut reject = |error: &RowError| {
            rejected.push(error.clone());
            Ok(())
        };
        let mut emitter = Emitter::new(&mut batches, &mut reject, skip_invalid, layout);
        emitter.batch = BatchBuilder::new(layout, 5);
        if block == 0 {
            rows.iter().for_each(|row| emitter.emit_row(&mut converter, row).unwrap());
        } else {
            rows.chunks(block).for_each(|rows| emitter.emit(&mut converter, rows).unwrap());
        }
        emitter.flush().unwrap();
        let (listed, counts) = (emitter.listed.clone(), (emitter.rows, emitter.invalid_rows));
        drop(emitter);
        rejected.extend(listed);
        (batches, rejected, counts.0, counts.1)
    }

    proptest! {
        /// Rows emitted in runs, column by column, are the batches and problems that row by
        /// row gives, whatever the rows and wherever a block or a batch ends.
        #[test]
        fn runs_emit_what_rows_emit(
            subscription in any::<bool>(),
            // Mostly the first choice, a valid value: runs of valid rows are the common case.
            picks in prop::collection::vec(prop::collection::vec(prop_oneof![2 => Just(0usize), 1 => 0usize..12], 9), 0..40),
            block in 1usize..9,
            skip_invalid in any::<bool>(),
        ) {
            let case = if subscription { subscriptions() } else { transactions() };
            let rows = rows(&case, &picks);
            prop_assert_eq!(emitted(&case, &rows, block, skip_invalid), emitted(&case, &rows, 0, skip_invalid));
        }
    }

    #[test]
    fn valid_rows_take_the_fast_way() {
        let case = subscriptions();
        let valid = vec![0; 9];
        let rows = rows(&case, &vec![valid; 12]);
        let layout = &case.layout;
        let formats = Evidence::new(layout).decide(layout, false);
        let converter = Converter::new(layout, &formats);
        let mut batch = BatchBuilder::new(layout, 10);
        // As many as the batch has room for, then none: it is full.
        assert_eq!(converter.commit_leading(&rows, &mut batch), 10);
        assert_eq!(converter.commit_leading(&rows, &mut batch), 0);
        let mut batch = BatchBuilder::new(layout, 10);
        let mut broken = rows.clone();
        broken[3] = self::rows(&case, &[vec![0, 3, 0, 0, 0, 0, 0, 0, 0]]).remove(0);
        assert_eq!(converter.commit_leading(&broken, &mut batch), 3, "stops before the amount 'abc'");
        assert_eq!(batch.take().rows(), 3);
        // "6 months" fills the empty interval count: a row for `convert`.
        let implied = self::rows(&case, &[vec![0, 0, 0, 0, 1, 2, 0, 0, 0]]);
        assert_eq!(converter.commit_leading(&implied, &mut BatchBuilder::new(layout, 10)), 0);
    }
}
