//! Import: turns a delimited text file or a spreadsheet into canonical row batches.
//!
//! Two streaming passes over the file: the first hashes it (SHA-256, copying the original
//! bytes to the caller), settles the encoding, and gathers per-column evidence (date
//! formats, decimal separators) from every value; the second parses, validates and emits
//! batches. Memory stays bounded by the batch size, not the file size (and by
//! [`ImportError::RecordTooLong`]'s limit for a single record). A text file's original is
//! hashed and copied on a thread of its own, and the table is encoded on another, while
//! the caller's thread parses and converts.
//!
//! Where things live: `detect` (magic bytes, encoding, delimiter, header row), `decode`
//! (transcoding readers, and the one that hands the original to its hashing and copying
//! thread), `source` (records with their line numbers), `workbook` (calamine sheets as
//! text rows), `values` (number, date and word parsers), `mapping` and `layout` (which
//! header feeds which output column), `convert` (evidence, formats, row validation,
//! batches), `pacer` (progress and cancellation), `pipeline` (the two passes).

mod convert;
mod decode;
mod detect;
mod error;
mod layout;
mod mapping;
mod pacer;
mod pipeline;
mod source;
mod values;
mod workbook;

pub use error::{ImportError, RowError, MAX_LISTED_ERRORS};
pub use mapping::{header_signature, normalize_header, suggest_mapping, Mapping, MappingOverride};
pub use workbook::panic_is_contained;

use std::io::Write;
use std::path::Path;

use revlens_model::{BatchSink, CancelToken, DatasetKind, SinkError, StorageType};
use serde::{Deserialize, Serialize};

/// Text encodings the detector recognises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextEncoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
    /// The fallback for text that is not valid UTF-8 (a superset of Latin-1).
    Windows1252,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkbookKind {
    Xlsx,
    Xls,
    Ods,
}

/// What kind of file it is and how it is read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum SourceFormat {
    Delimited { encoding: TextEncoding, delimiter: char },
    Workbook { workbook: WorkbookKind, sheet: String },
}

/// As people name it: "UTF-8 text, comma-separated", "XLSX workbook, sheet 'Data'".
impl std::fmt::Display for SourceFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceFormat::Delimited { encoding, delimiter } => {
                let encoding = match encoding {
                    TextEncoding::Utf8 => "UTF-8",
                    TextEncoding::Utf8Bom => "UTF-8 (with BOM)",
                    TextEncoding::Utf16Le => "UTF-16 LE",
                    TextEncoding::Utf16Be => "UTF-16 BE",
                    TextEncoding::Windows1252 => "Windows-1252",
                };
                match delimiter {
                    ',' => write!(f, "{encoding} text, comma-separated"),
                    ';' => write!(f, "{encoding} text, semicolon-separated"),
                    '\t' => write!(f, "{encoding} text, tab-separated"),
                    '|' => write!(f, "{encoding} text, pipe-separated"),
                    other => write!(f, "{encoding} text, separated by '{other}'"),
                }
            }
            SourceFormat::Workbook { workbook, sheet } => {
                let kind = match workbook {
                    WorkbookKind::Xlsx => "XLSX",
                    WorkbookKind::Xls => "XLS",
                    WorkbookKind::Ods => "ODS",
                };
                write!(f, "{kind} workbook, sheet '{sheet}'")
            }
        }
    }
}

/// Choices the user may force instead of detection.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceOptions {
    /// Sheet name, or 1-based sheet number, for workbooks. Default: the first sheet.
    pub sheet: Option<String>,
    /// Field delimiter for text files. Default: detected among , ; tab |.
    pub delimiter: Option<char>,
}

/// The result of looking at the start of a file, before any import.
#[derive(Clone, Debug, Serialize)]
pub struct Inspection {
    pub format: SourceFormat,
    /// Every sheet of a workbook; empty for text files.
    pub sheets: Vec<String>,
    /// 1-based line (text) or row (workbook) of the header.
    pub header_line: u64,
    pub headers: Vec<String>,
    /// Up to [`SAMPLE_ROWS`] data rows as written in the file.
    pub sample: Vec<Vec<String>>,
}

pub const SAMPLE_ROWS: usize = 20;

/// Everything an import needs to know besides the file.
#[derive(Clone, Debug)]
pub struct ImportPlan {
    pub kind: DatasetKind,
    pub mapping: Mapping,
    /// Import the valid rows and hand the invalid ones to [`ImportIo::rejected`];
    /// otherwise any invalid row fails the import with [`ImportError::InvalidRows`].
    pub skip_invalid: bool,
    pub source: SourceOptions,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// First pass: hashing and gathering column evidence.
    Scanning,
    /// Second pass: parsing, validating, writing.
    Importing,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub phase: Phase,
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub rows: u64,
}

/// The caller's side of an import: where rows, rejected rows, the original bytes and
/// progress go, and the flag that cancels it.
pub struct ImportIo<'a> {
    pub rows: &'a mut dyn BatchSink,
    /// Called once per invalid row when `skip_invalid` is set.
    pub rejected: &'a mut dyn FnMut(&RowError) -> Result<(), SinkError>,
    /// Receives the original file, byte for byte, during the first pass (from a thread of
    /// the import's own).
    pub original: &'a mut (dyn Write + Send),
    pub progress: &'a mut dyn FnMut(Progress),
    pub cancel: &'a CancelToken,
}

/// A canonical output column.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputColumn {
    pub name: String,
    pub storage: StorageType,
    /// The header it came from; `None` for a canonical field left unmapped (all empty).
    pub source: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ImportOutcome {
    pub format: SourceFormat,
    pub header_line: u64,
    /// Lowercase hex SHA-256 of the original file.
    pub sha256: String,
    pub bytes: u64,
    pub rows: u64,
    pub skipped: u64,
    pub columns: Vec<OutputColumn>,
    /// Decisions a person may want to check, e.g. ambiguous d/m/y dates read as m/d/y.
    pub warnings: Vec<String>,
}

/// Reads the start of a file: format, encoding, delimiter, header row, a sample.
pub fn inspect(path: &Path, options: &SourceOptions) -> Result<Inspection, ImportError> {
    pipeline::inspect(path, options)
}

/// Imports the whole file according to `plan`, streaming batches to `io.rows`.
///
/// Batches are written as the second pass goes, so on `Err` (invalid rows without
/// `skip_invalid`, cancellation, a sink failure) the sink may already hold some rows:
/// discard them. Once a row fails and `skip_invalid` is off, no further batches are
/// written; every problem is still counted.
///
/// Reading rules a caller may want to show: dates already in ISO form (`2024-01-31`) are
/// accepted in every date column whatever format the column was detected as (they are
/// unambiguous, and workbook date cells arrive that way); ambiguous day/month columns add
/// a line to [`ImportOutcome::warnings`]; one byte that is not UTF-8 anywhere in the file
/// makes the whole file Windows-1252.
pub fn import(path: &Path, plan: &ImportPlan, io: ImportIo<'_>) -> Result<ImportOutcome, ImportError> {
    pipeline::import(path, plan, io)
}
