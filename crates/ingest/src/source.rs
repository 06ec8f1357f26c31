//! Records from a file, whatever it is: a delimited text stream or a workbook sheet,
//! each presented as a [`Row`] of text fields with the line it starts on.

use std::io::Read;
use std::path::{Path, PathBuf};

use csv::ByteRecord;

use crate::ImportError;

/// One record: its fields as text in one buffer (no allocation per field).
#[derive(Debug, Default, Clone)]
pub(crate) struct Row {
    /// 1-based physical line (text) or sheet row (workbook) where the record starts.
    pub(crate) line: u64,
    text: String,
    ends: Vec<usize>,
}

impl Row {
    pub(crate) fn clear(&mut self, line: u64) {
        self.line = line;
        self.text.clear();
        self.ends.clear();
    }

    pub(crate) fn push_field(&mut self, field: &str) {
        self.text.push_str(field);
        self.ends.push(self.text.len());
    }

    /// Appends raw bytes as a field: UTF-8 if they are, else Windows-1252 (the fallback
    /// encoding), so evidence is right even before the file's encoding is settled.
    pub(crate) fn push_bytes(&mut self, field: &[u8]) {
        match std::str::from_utf8(field) {
            Ok(text) => self.text.push_str(text),
            Err(_) => {
                let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(field);
                self.text.push_str(&text);
            }
        }
        self.ends.push(self.text.len());
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The field as written (untrimmed); `""` past the end.
    pub(crate) fn raw(&self, index: usize) -> &str {
        let start = match index.checked_sub(1) {
            Some(previous) => self.ends.get(previous).copied().unwrap_or(0),
            None => 0,
        };
        let end = self.ends.get(index).copied().unwrap_or(start);
        self.text.get(start..end).unwrap_or("")
    }

    /// The field trimmed of surrounding whitespace.
    pub(crate) fn get(&self, index: usize) -> &str {
        self.raw(index).trim()
    }

    pub(crate) fn fields(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    pub(crate) fn is_blank(&self) -> bool {
        self.fields().all(str::is_empty)
    }

    /// Fields up to and including the last non-empty one.
    pub(crate) fn width(&self) -> usize {
        (0..self.len())
            .rev()
            .find(|&i| !self.get(i).is_empty())
            .map_or(0, |i| i + 1)
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
}

pub(crate) fn csv_reader<R: Read>(input: R, delimiter: u8) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(256 * 1024)
        .from_reader(input)
}

/// Delimited text records.
pub(crate) struct CsvRecords<R> {
    reader: csv::Reader<R>,
    record: ByteRecord,
    path: PathBuf,
}

impl<R: Read + InputStats> CsvRecords<R> {
    pub(crate) fn new(input: R, delimiter: u8, path: &Path) -> Self {
        CsvRecords {
            reader: csv_reader(input, delimiter),
            record: ByteRecord::new(),
            path: path.to_path_buf(),
        }
    }

    pub(crate) fn input(&self) -> &R {
        self.reader.get_ref()
    }

    pub(crate) fn into_input(self) -> R {
        self.reader.into_inner()
    }
}

impl<R: Read + InputStats> RecordSource for CsvRecords<R> {
    fn next_row(&mut self, row: &mut Row) -> Result<bool, ImportError> {
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => Ok(false),
            Ok(true) => {
                let line = self.record.position().map_or(0, csv::Position::line);
                row.clear(line);
                for field in &self.record {
                    row.push_bytes(field);
                }
                Ok(true)
            }
            Err(error) => Err(match self.reader.get_mut().sink_failure() {
                Some(failure) => ImportError::Sink(Box::new(failure)),
                None => ImportError::Io {
                    path: self.path.clone(),
                    source: std::io::Error::from(error),
                },
            }),
        }
    }

    fn bytes_done(&self) -> u64 {
        self.reader.get_ref().byte_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
