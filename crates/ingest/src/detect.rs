//! Looking at the start of a file: what it is (magic bytes), how its text is encoded,
//! which delimiter it uses, and which row is the header.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::decode::Counting;
use crate::source::{CsvRecords, RecordSource, Row};
use crate::values::{looks_like_date, looks_numeric};
use crate::{ImportError, TextEncoding, WorkbookKind};

/// How much of a text file detection looks at.
pub(crate) const SAMPLE_BYTES: usize = 1024 * 1024;
/// Rows searched for the header.
pub(crate) const HEADER_SEARCH_ROWS: usize = 50;
/// Rows below a header candidate that show the data width.
const WIDTH_PROBE_ROWS: usize = 10;

const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];
/// Parser buffer for the in-memory sample (the file passes use a bigger one).
const SMALL_BUFFER: usize = 8 * 1024;

/// The kind of file, from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FileKind {
    Text,
    Workbook(WorkbookKind),
}

/// The start of a file, read once.
pub(crate) struct Sample {
    pub(crate) bytes: Vec<u8>,
    /// The whole file fits in the sample.
    pub(crate) complete: bool,
    pub(crate) file_len: u64,
}

pub(crate) fn read_sample(path: &Path) -> Result<Sample, ImportError> {
    let io_error = |source| ImportError::Io { path: path.to_path_buf(), source };
    let file = File::open(path).map_err(io_error)?;
    let file_len = file.metadata().map_err(io_error)?.len();
    let mut bytes = Vec::with_capacity(SAMPLE_BYTES.min(file_len as usize));
    file.take(SAMPLE_BYTES as u64 + 1).read_to_end(&mut bytes).map_err(io_error)?;
    let complete = bytes.len() <= SAMPLE_BYTES;
    bytes.truncate(SAMPLE_BYTES);
    Ok(Sample { bytes, complete, file_len })
}

fn extension(path: &Path) -> Option<String> {
    path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase)
}

/// Decides the file kind by magic bytes; a workbook extension on non-workbook bytes is
/// an error rather than a silent text import.
pub(crate) fn file_kind(path: &Path, start: &[u8]) -> Result<FileKind, ImportError> {
    const ZIP: &[u8] = b"PK\x03\x04";
    const OLE: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    let ext = extension(path);
    if start.starts_with(ZIP) {
        // ODS stores an uncompressed "mimetype" entry first (OpenDocument requires it).
        let head = start.get(..256.min(start.len())).unwrap_or(&[]);
        let is_ods = head.windows(b"opendocument.spreadsheet".len()).any(|w| w == b"opendocument.spreadsheet")
            || ext.as_deref() == Some("ods");
        return Ok(FileKind::Workbook(if is_ods { WorkbookKind::Ods } else { WorkbookKind::Xlsx }));
    }
    if start.starts_with(OLE) {
        return Ok(FileKind::Workbook(WorkbookKind::Xls));
    }
    let expected = match ext.as_deref() {
        Some("xlsx" | "xlsm" | "xlsb") => Some("XLSX"),
        Some("xls") => Some("XLS"),
        Some("ods") => Some("ODS"),
        _ => None,
    };
    if let Some(expected) = expected {
        let reason = if start.is_empty() {
            "the file is empty".to_string()
        } else if start.starts_with(&ZIP[..2]) || start.starts_with(&OLE[..2]) {
            "the file is truncated".to_string()
        } else {
            "its bytes are not a spreadsheet (no ZIP or OLE signature); is it a text file with the wrong extension?"
                .to_string()
        };
        return Err(ImportError::Workbook { path: path.to_path_buf(), expected: expected.to_string(), reason });
    }
    Ok(FileKind::Text)
}

/// The text encoding of a sample, from its BOM or its bytes.
pub(crate) fn sniff_encoding(bytes: &[u8], complete: bool) -> TextEncoding {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return TextEncoding::Utf8Bom;
    }
    if bytes.starts_with(&[0xFF, 0xFE]) {
        return TextEncoding::Utf16Le;
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return TextEncoding::Utf16Be;
    }
    match std::str::from_utf8(bytes) {
        Ok(_) => TextEncoding::Utf8,
        // A sample cut in the middle of a character is still UTF-8.
        Err(e) if e.error_len().is_none() && !complete => TextEncoding::Utf8,
        Err(_) => TextEncoding::Windows1252,
    }
}

pub(crate) fn encoding_of(encoding: TextEncoding) -> &'static encoding_rs::Encoding {
    match encoding {
        TextEncoding::Utf8 | TextEncoding::Utf8Bom => encoding_rs::UTF_8,
        TextEncoding::Utf16Le => encoding_rs::UTF_16LE,
        TextEncoding::Utf16Be => encoding_rs::UTF_16BE,
        TextEncoding::Windows1252 => encoding_rs::WINDOWS_1252,
    }
}

pub(crate) fn is_utf16(encoding: TextEncoding) -> bool {
    matches!(encoding, TextEncoding::Utf16Le | TextEncoding::Utf16Be)
}

/// Rejects binary data: NUL bytes in 8-bit text, or a sample that is mostly control
/// characters. Returns the offset of the first offending byte.
pub(crate) fn binary_offset(bytes: &[u8], encoding: TextEncoding) -> Option<u64> {
    if !is_utf16(encoding) {
        if let Some(at) = bytes.iter().position(|&b| b == 0) {
            return Some(at as u64);
        }
    }
    let is_control = |b: &u8| (*b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C)) || *b == 0x7F;
    if is_utf16(encoding) {
        return None;
    }
    let controls = bytes.iter().filter(|b| is_control(b)).count();
    if controls * 10 > bytes.len() {
        return bytes.iter().position(is_control).map(|at| at as u64);
    }
    None
}

/// Decodes a sample to text, dropping a character cut at its end.
pub(crate) fn decode_sample(bytes: &[u8], encoding: TextEncoding) -> String {
    let mut bytes = bytes;
    if is_utf16(encoding) && bytes.len() % 2 == 1 {
        bytes = bytes.get(..bytes.len() - 1).unwrap_or(&[]);
    }
    let (text, _) = encoding_of(encoding).decode_with_bom_removal(bytes);
    let mut text = text.into_owned();
    if text.ends_with('\u{FFFD}') {
        text.pop();
    }
    text
}

/// Parses the records of a decoded sample; a record cut by the sample's end is dropped.
pub(crate) fn sample_rows(text: &str, delimiter: u8, complete: bool, limit: usize) -> Vec<Row> {
    let input = Counting::new(text.as_bytes());
    let mut records = CsvRecords::with_buffer(input, delimiter, Path::new(""), SMALL_BUFFER);
    let mut rows = Vec::new();
    let mut row = Row::default();
    while rows.len() < limit && matches!(records.next_row(&mut row), Ok(true)) {
        rows.push(row.clone());
    }
    if !complete && rows.len() < limit {
        rows.pop();
    }
    rows
}

/// Picks the delimiter that splits the sample's records most consistently into more
/// than one field (quote-aware, since it parses with each candidate).
pub(crate) fn sniff_delimiter(text: &str, complete: bool) -> u8 {
    let mut best = (0usize, 0usize, b',');
    for delimiter in DELIMITERS {
        let rows = sample_rows(text, delimiter, complete, 200);
        let counts: Vec<usize> = rows.iter().filter(|r| !r.is_blank()).map(Row::len).collect();
        // The most common field count (ties: the wider one).
        let mut mode = (0usize, 0usize);
        for &count in &counts {
            let frequency = counts.iter().filter(|&&c| c == count).count();
            if (frequency, count) > mode {
                mode = (frequency, count);
            }
        }
        let (consistent, width) = mode;
        if width > 1 && (consistent, width) > (best.0, best.1) {
            best = (consistent, width, delimiter);
        }
    }
    best.2
}

/// A cell that reads as a label: not a number, not a date.
fn is_label(cell: &str) -> bool {
    !looks_numeric(cell) && !looks_like_date(cell)
}

/// The index in `rows` of the header: the first row whose non-empty cells are all labels
/// and about as many as the data below it is wide. Blank rows are ignored.
pub(crate) fn find_header(rows: &[Row]) -> Option<usize> {
    let filled: Vec<usize> = (0..rows.len()).filter(|&i| rows.get(i).is_some_and(|r| !r.is_blank())).collect();
    for (position, &index) in filled.iter().take(HEADER_SEARCH_ROWS).enumerate() {
        let Some(row) = rows.get(index) else { continue };
        let labels = row.fields().filter(|c| !c.is_empty()).count();
        if !row.fields().filter(|c| !c.is_empty()).all(is_label) {
            continue;
        }
        let below = filled.iter().skip(position + 1).take(WIDTH_PROBE_ROWS).filter_map(|&i| rows.get(i));
        let Some(data_width) = data_width(below) else {
            // Nothing below (yet): a lone label row is the header of an empty table.
            return Some(index);
        };
        // Allow a few unnamed columns (an index column, a blank separator column).
        let missing_allowed = if data_width >= 3 { (data_width / 4).max(1) } else { 0 };
        let close = labels + missing_allowed >= data_width;
        if close && (labels >= 2 || data_width == 1) {
            return Some(index);
        }
    }
    None
}

/// How wide the rows below a candidate header are: up to the last column that a third of
/// them fill, so that one stray value far to the right (a note beside the table) does not
/// make the table look wider than its header. `None` without rows.
fn data_width<'a>(rows: impl Iterator<Item = &'a Row>) -> Option<usize> {
    let mut filled_in: Vec<usize> = Vec::new();
    let mut count = 0usize;
    let mut widest = 0;
    for row in rows {
        count += 1;
        widest = widest.max(row.width());
        filled_in.resize(filled_in.len().max(row.len()), 0);
        for (column, filled) in filled_in.iter_mut().enumerate() {
            if !row.get(column).is_empty() {
                *filled += 1;
            }
        }
    }
    if count == 0 {
        return None;
    }
    let enough = count.div_ceil(3);
    // Rows that each fill different columns have no common width: the widest then.
    Some(filled_in.iter().rposition(|&filled| filled >= enough).map_or(widest, |last| last + 1))
}

/// Header cells: trimmed, trailing empty padding dropped, blanks named by position.
pub(crate) fn header_names(row: &Row) -> Vec<String> {
    (0..row.width())
        .map(|i| {
            let cell = row.get(i);
            if cell.is_empty() {
                format!("column_{}", i + 1)
            } else {
                cell.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str, delimiter: u8) -> Vec<Row> {
        sample_rows(text, delimiter, true, 100)
    }

    #[test]
    fn delimiters() {
        assert_eq!(sniff_delimiter("a,b,c\n1,2,3\n", true), b',');
        assert_eq!(sniff_delimiter("a;b;c\n1,5;2,5;3\n4;5;6\n", true), b';');
        assert_eq!(sniff_delimiter("a\tb\n1\t2\n", true), b'\t');
        assert_eq!(sniff_delimiter("a|b\n\"x|y\"|2\n", true), b'|');
        assert_eq!(sniff_delimiter("\"a;b\",c\n\"1;2\",3\n\"4;5\",6\n", true), b',');
        assert_eq!(sniff_delimiter("single\n1\n", true), b',');
    }

    #[test]
    fn header_below_titles_and_blank_rows() {
        let text =
            "Acme Corp – MRR export,,,\nGenerated 2024-01-05,,,\n,,,\nCustomer,Amount,Start,\nc1,10,2024-01-01,\n";
        let rows = rows(text, b',');
        let header = find_header(&rows).unwrap();
        assert_eq!(rows[header].line, 4);
        assert_eq!(header_names(&rows[header]), ["Customer", "Amount", "Start"]);
    }

    #[test]
    fn an_unnamed_index_column_is_allowed() {
        let rows = rows(",customer,amount\n0,c1,10\n1,c2,11\n", b',');
        assert_eq!(find_header(&rows), Some(0));
        assert_eq!(header_names(&rows[0]), ["column_1", "customer", "amount"]);
    }

    #[test]
    fn a_stray_value_beside_the_table_does_not_hide_its_header() {
        let mut text = String::from("Customer,Amount,Start\nc1,10,2024-01-01,,,,,,,checked by Ann\n");
        for i in 2..10 {
            text.push_str(&format!("c{i},10,2024-01-01\n"));
        }
        assert_eq!(find_header(&rows(&text, b',')), Some(0));
        // A title above a narrower table is still not the header.
        assert_eq!(find_header(&rows("Export,,\nCustomer,Amount,Start\nc1,10,2024-01-01\n", b',')), Some(1));
    }

    #[test]
    fn numeric_rows_are_not_headers() {
        assert_eq!(find_header(&rows("1,2,3\n4,5,6\n", b',')), None);
        assert_eq!(find_header(&rows("2024-01-01,x\n2024-01-02,y\n", b',')), None);
    }

    #[test]
    fn encodings_by_bom_and_bytes() {
        assert_eq!(sniff_encoding(b"\xEF\xBB\xBFa", true), TextEncoding::Utf8Bom);
        assert_eq!(sniff_encoding(b"\xFF\xFEa\0", true), TextEncoding::Utf16Le);
        assert_eq!(sniff_encoding(b"\xFE\xFF\0a", true), TextEncoding::Utf16Be);
        assert_eq!(sniff_encoding("é".as_bytes(), true), TextEncoding::Utf8);
        assert_eq!(sniff_encoding(b"caf\xe9", true), TextEncoding::Windows1252);
        assert_eq!(sniff_encoding(&"é".as_bytes()[..1], false), TextEncoding::Utf8);
    }

    #[test]
    fn binary_detection() {
        assert_eq!(binary_offset(b"ab\0c", TextEncoding::Utf8), Some(2));
        assert_eq!(binary_offset(b"a,b\n1,2\n", TextEncoding::Utf8), None);
        assert_eq!(binary_offset(b"\x01\x02\x03abc\x04", TextEncoding::Utf8), Some(0));
    }
}
