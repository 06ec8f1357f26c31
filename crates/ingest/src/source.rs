//! Records from a file, whatever it is: a delimited text stream or a workbook sheet,
//! each presented as a [`Row`] of text fields with the line it starts on.

use std::collections::VecDeque;
use std::io::Read;
use std::path::{Path, PathBuf};

use csv::{ByteRecord, StringRecord};

use crate::ImportError;

/// One record: its fields as text in one buffer (no allocation per field).
#[derive(Debug, Default, Clone)]
pub(crate) struct Row {
    /// 1-based physical line (text) or sheet row (workbook) where the record starts.
    pub(crate) line: u64,
    record: StringRecord,
}

impl Row {
    pub(crate) fn clear(&mut self, line: u64) {
        self.line = line;
        self.record.clear();
    }

    pub(crate) fn push_field(&mut self, field: &str) {
        self.record.push_field(field);
    }

    /// Appends raw bytes as a field: UTF-8 if they are, else Windows-1252 (the fallback
    /// encoding), so evidence is right even before the file's encoding is settled.
    pub(crate) fn push_bytes(&mut self, field: &[u8]) {
        match std::str::from_utf8(field) {
            Ok(text) => self.record.push_field(text),
            Err(_) => {
                let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(field);
                self.record.push_field(&text);
            }
        }
    }

    /// Becomes the record the parser just read, at `line`, without copying it when it is
    /// UTF-8 (the common case): the buffers trade places, and `record` gets this row's old
    /// one for the parser to read the next record into.
    pub(crate) fn take_record(&mut self, line: u64, record: &mut ByteRecord) {
        self.line = line;
        let read = std::mem::replace(record, std::mem::take(&mut self.record).into_byte_record());
        match StringRecord::from_byte_record(read) {
            Ok(text) => self.record = text,
            Err(invalid) => {
                // `self.record` was left empty by the trade above.
                let read = invalid.into_byte_record();
                for field in &read {
                    self.push_bytes(field);
                }
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.record.len()
    }

    /// Bytes of text in all fields together.
    pub(crate) fn text_len(&self) -> usize {
        self.record.as_slice().len()
    }

    /// The field as written (untrimmed); `""` past the end.
    pub(crate) fn raw(&self, index: usize) -> &str {
        self.record.get(index).unwrap_or("")
    }

    /// The field trimmed of surrounding whitespace.
    pub(crate) fn get(&self, index: usize) -> &str {
        let raw = self.raw(index);
        // Most fields have nothing to trim: an ASCII letter or digit at both ends settles it.
        match (raw.as_bytes().first(), raw.as_bytes().last()) {
            (Some(a), Some(b)) if a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric() => raw,
            _ => raw.trim(),
        }
    }

    pub(crate) fn fields(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    pub(crate) fn is_blank(&self) -> bool {
        // A byte that no trim removes settles it at once; only rows of nothing but
        // whitespace (or non-ASCII text) need their fields trimmed.
        if self.record.as_slice().bytes().any(|b| b.is_ascii_graphic()) {
            return false;
        }
        self.fields().all(str::is_empty)
    }

    /// Fields up to and including the last non-empty one.
    pub(crate) fn width(&self) -> usize {
        (0..self.len()).rev().find(|&i| !self.get(i).is_empty()).map_or(0, |i| i + 1)
    }
}

/// A source of records; both passes read through one.
pub(crate) trait RecordSource {
    /// Reads the next record into `row`; `Ok(false)` at the end.
    fn next_row(&mut self, row: &mut Row) -> Result<bool, ImportError>;
    /// Bytes of the file consumed so far, for progress.
    fn bytes_done(&self) -> u64;
}

/// What the CSV parser's input knows about the file underneath it.
pub(crate) trait InputStats {
    /// Bytes of the file consumed so far.
    fn byte_count(&self) -> u64;
    /// A failure of the caller's writer, noticed while reading (reported as a sink error).
    fn sink_failure(&mut self) -> Option<std::io::Error> {
        None
    }
    /// Offset of the first byte that makes the file binary (a NUL in 8-bit text).
    fn binary_offset(&self) -> Option<u64> {
        None
    }
}

/// Parser buffer for reading files: large reads, few calls.
const FILE_BUFFER: usize = 256 * 1024;

pub(crate) fn csv_reader<R: Read>(input: R, delimiter: u8, buffer: usize) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(buffer)
        .from_reader(input)
}

/// Marks a line-feed entry in [`LineIndexed::breaks`]; the other bits are the offset.
const LINE_FEED: u64 = 1 << 63;

/// Tracks where line breaks are in the stream the CSV parser reads, to give records
/// their physical line. (csv's own `Position::line` counts a CRLF as one line only some
/// of the time, and points at skipped blank lines rather than the record.)
pub(crate) struct LineIndexed<R> {
    inner: R,
    /// Offsets of '\r' and '\n' bytes not yet behind the parser, oldest first.
    breaks: VecDeque<u64>,
    offset: u64,
    /// Line feeds already behind the parser.
    lines_before: u64,
    /// Where the last record started, and its line: a record may not grow past
    /// [`MAX_RECORD_BYTES`] from there, so broken quoting cannot exhaust memory.
    last_record: u64,
    last_line: u64,
    pub(crate) too_long: bool,
}

/// The longest record accepted. A 1 MB cell is fine; a runaway quoted field that swallows
/// the rest of a multi-GB file is not.
pub(crate) const MAX_RECORD_BYTES: u64 = 64 * 1024 * 1024;

impl<R> LineIndexed<R> {
    pub(crate) fn new(inner: R) -> Self {
        LineIndexed {
            inner,
            breaks: VecDeque::new(),
            offset: 0,
            lines_before: 0,
            last_record: 0,
            last_line: 0,
            too_long: false,
        }
    }

    /// The 1-based line of the record the parser reports at byte `position`. The parser
    /// may report the start of the line breaks before the record; those are skipped.
    /// Positions must not decrease between calls.
    pub(crate) fn line_at(&mut self, position: u64) -> u64 {
        while let Some(&entry) = self.breaks.front() {
            if entry & !LINE_FEED >= position {
                break;
            }
            if entry & LINE_FEED != 0 {
                self.lines_before += 1;
            }
            self.breaks.pop_front();
        }
        // Line feeds in the run of break bytes that starts exactly at `position`.
        let leading = (position..)
            .zip(&self.breaks)
            .take_while(|&(cursor, &entry)| entry & !LINE_FEED == cursor)
            .filter(|&(_, &entry)| entry & LINE_FEED != 0)
            .count() as u64;
        self.last_record = position;
        self.last_line = self.lines_before + leading + 1;
        self.last_line
    }

    /// The line of the last record read before this one.
    pub(crate) fn last_line(&self) -> u64 {
        self.last_line
    }

    pub(crate) fn get_ref(&self) -> &R {
        &self.inner
    }

    pub(crate) fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    pub(crate) fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> Read for LineIndexed<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // The parser's own read-ahead comes on top of the record itself.
        if self.offset.saturating_sub(self.last_record) > MAX_RECORD_BYTES + FILE_BUFFER as u64 {
            self.too_long = true;
            return Err(std::io::Error::other("record too long"));
        }
        let n = self.inner.read(buf)?;
        let read = buf.get(..n).unwrap_or(&[]);
        for i in memchr::memchr2_iter(b'\n', b'\r', read) {
            let at = self.offset + i as u64;
            self.breaks.push_back(if read.get(i) == Some(&b'\n') { at | LINE_FEED } else { at });
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// Delimited text records.
pub(crate) struct CsvRecords<R> {
    reader: csv::Reader<LineIndexed<R>>,
    record: ByteRecord,
    path: PathBuf,
}

impl<R: Read + InputStats> CsvRecords<R> {
    pub(crate) fn new(input: R, delimiter: u8, path: &Path) -> Self {
        CsvRecords {
            reader: csv_reader(LineIndexed::new(input), delimiter, FILE_BUFFER),
            record: ByteRecord::new(),
            path: path.to_path_buf(),
        }
    }

    pub(crate) fn into_input(self) -> R {
        self.reader.into_inner().into_inner()
    }
}

impl<R: Read + InputStats> RecordSource for CsvRecords<R> {
    fn next_row(&mut self, row: &mut Row) -> Result<bool, ImportError> {
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => match self.reader.get_ref().get_ref().binary_offset() {
                Some(offset) => Err(ImportError::Binary { path: self.path.clone(), offset }),
                None => Ok(false),
            },
            Ok(true) => {
                let input = self.reader.get_mut();
                if let Some(offset) = input.get_ref().binary_offset() {
                    return Err(ImportError::Binary { path: self.path.clone(), offset });
                }
                let position = self.record.position().map_or(0, csv::Position::byte);
                row.take_record(input.line_at(position), &mut self.record);
                Ok(true)
            }
            Err(error) => {
                let input = self.reader.get_mut();
                if input.too_long {
                    return Err(ImportError::RecordTooLong {
                        path: self.path.clone(),
                        after_line: input.last_line(),
                        limit: MAX_RECORD_BYTES,
                    });
                }
                Err(match input.get_mut().sink_failure() {
                    Some(failure) => ImportError::Sink(Box::new(failure)),
                    None => ImportError::Io { path: self.path.clone(), source: std::io::Error::from(error) },
                })
            }
        }
    }

    fn bytes_done(&self) -> u64 {
        self.reader.get_ref().get_ref().byte_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<u64> {
        let mut reader = csv_reader(LineIndexed::new(text.as_bytes()), b',', 64);
        let mut record = ByteRecord::new();
        let mut lines = Vec::new();
        while reader.read_byte_record(&mut record).unwrap() {
            let position = record.position().unwrap().byte();
            lines.push(reader.get_mut().line_at(position));
        }
        lines
    }

    #[test]
    fn physical_lines_of_records() {
        assert_eq!(lines("a,b\nc,d\ne,f\n"), [1, 2, 3]);
        assert_eq!(lines("a,b\r\nc,d\r\ne,f"), [1, 2, 3]);
        assert_eq!(lines("a,b\n\nc,\"x\ny\"\ne,f\n"), [1, 3, 5]);
        assert_eq!(lines("a,b\r\n\r\nc,\"x\r\ny\"\r\ne,f\r\n"), [1, 3, 5]);
        assert_eq!(lines("\n\na,b\n  \n,,\nc\n"), [3, 4, 5, 6]);
    }

    #[test]
    fn row_fields_and_width() {
        let mut row = Row::default();
        row.clear(3);
        for f in [" a ", "", "b", " ", ""] {
            row.push_field(f);
        }
        assert_eq!(row.len(), 5);
        assert_eq!(row.raw(0), " a ");
        assert_eq!(row.get(0), "a");
        assert_eq!(row.get(2), "b");
        assert_eq!(row.get(9), "");
        assert_eq!(row.width(), 3);
        assert!(!row.is_blank());
        row.push_bytes(b"caf\xe9");
        assert_eq!(row.get(5), "café");
    }

    #[test]
    fn blank_rows_are_empty_once_trimmed() {
        let row_of = |fields: &[&str]| {
            let mut row = Row::default();
            fields.iter().for_each(|f| row.push_field(f));
            row
        };
        assert!(row_of(&[]).is_blank());
        assert!(row_of(&["", " ", "\t", "\u{a0}", "\u{3000}"]).is_blank());
        assert!(!row_of(&["", " ", "\u{a0}x"]).is_blank());
        assert!(!row_of(&["", "é"]).is_blank());
        assert!(!row_of(&[" ", "", "-"]).is_blank());
    }

    #[test]
    fn records_taken_whole_or_field_by_field() {
        let mut row = Row::default();
        let mut record = ByteRecord::new();
        for fields in [&[&b" a "[..], b"caf\xc3\xa9", b""][..], &[b"caf\xe9", b"x"], &[b"ab\xc3", b"\xa9cd"]] {
            record.clear();
            fields.iter().for_each(|f| record.push_field(f));
            row.take_record(1, &mut record);
            let mut expected = Row::default();
            expected.clear(1);
            fields.iter().for_each(|f| expected.push_bytes(f));
            assert_eq!(row.len(), expected.len());
            for i in 0..row.len() {
                assert_eq!(row.raw(i), expected.raw(i), "{fields:?} field {i}");
            }
        }
    }
}
