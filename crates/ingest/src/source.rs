//! Records from a file, whatever it is: a delimited text stream or a workbook sheet,
//! each presented as a [`Row`] of text fields with the line it starts on.

use std::io::Read;
use std::path::{Path, PathBuf};

use csv_core::ReadRecordResult;

use crate::ImportError;

/// One record: its fields as text in one buffer (no allocation per field).
#[derive(Debug, Default, Clone)]
pub(crate) struct Row {
    /// 1-based physical line (text) or sheet row (workbook) where the record starts.
    pub(crate) line: u64,
    text: String,
    /// Where each field is in `text` (a line split in place keeps its delimiters there).
    fields: Vec<(usize, usize)>,
}

impl Row {
    pub(crate) fn clear(&mut self, line: u64) {
        self.line = line;
        self.text.clear();
        self.fields.clear();
    }

    pub(crate) fn push_field(&mut self, field: &str) {
        let start = self.text.len();
        self.text.push_str(field);
        self.fields.push((start, self.text.len()));
    }

    /// Appends raw bytes as a field: UTF-8 if they are, else Windows-1252 (the fallback
    /// encoding), so evidence is right even before the file's encoding is settled.
    pub(crate) fn push_bytes(&mut self, field: &[u8]) {
        match std::str::from_utf8(field) {
            Ok(text) => self.push_field(text),
            Err(_) => {
                let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(field);
                self.push_field(&text);
            }
        }
    }

    /// Becomes the unquoted line `content`, split at every `delimiter`.
    fn split_line(&mut self, line: u64, content: &[u8], delimiter: u8) {
        self.clear(line);
        match std::str::from_utf8(content) {
            Ok(text) => {
                self.text.push_str(text);
                let mut start = 0;
                for at in memchr::memchr_iter(delimiter, content) {
                    self.fields.push((start, at));
                    start = at + 1;
                }
                self.fields.push((start, content.len()));
            }
            Err(_) => content.split(|&b| b == delimiter).for_each(|field| self.push_bytes(field)),
        }
    }

    /// Becomes the fields csv_core unquoted into `output`, each ending at its `ends` entry.
    fn take_fields(&mut self, line: u64, output: &[u8], ends: &[usize]) {
        self.clear(line);
        let whole = std::str::from_utf8(output).ok();
        let mut start = 0;
        for &end in ends {
            // Valid as a whole, a field may still not be (a character split between two).
            match whole.and_then(|text| text.get(start..end)) {
                Some(field) => self.push_field(field),
                None => self.push_bytes(output.get(start..end).unwrap_or_default()),
            }
            start = end;
        }
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.fields.len()
    }

    /// Bytes of the record's text.
    pub(crate) fn text_len(&self) -> usize {
        self.text.len()
    }

    /// The field as written (untrimmed); `""` past the end.
    #[inline]
    pub(crate) fn raw(&self, index: usize) -> &str {
        self.fields.get(index).and_then(|&(start, end)| self.text.get(start..end)).unwrap_or("")
    }
    /// The field trimmed of surrounding whitespace.
    #[inline]
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
        // A field starting with a byte that no trim removes settles it at once (the first
        // one, in nearly every row); only rows of nothing but whitespace (or non-ASCII
        // text) need their fields trimmed.
        let visible = |&(start, end): &(usize, usize)| {
            start < end && self.text.as_bytes().get(start).is_some_and(u8::is_ascii_graphic)
        };
        if self.fields.first().is_some_and(visible) {
            return false;
        }
        (0..self.len()).all(|i| self.get(i).is_empty())
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
    /// Reads records into the first of `rows`, at least one unless at the end: how many.
    fn next_rows(&mut self, rows: &mut [Row]) -> Result<usize, ImportError> {
        match rows.first_mut() {
            Some(row) => Ok(usize::from(self.next_row(row)?)),
            None => Ok(0),
        }
    }
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

/// The longest record accepted. A 1 MB cell is fine; a runaway quoted field that swallows
/// the rest of a multi-GB file is not.
pub(crate) const MAX_RECORD_BYTES: u64 = 64 * 1024 * 1024;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Where the first byte that only csv_core reads right is in `bytes`: a quote, or a CR that
/// no line feed follows here (a lone CR ends a record; one at the end may still be a CRLF's).
fn special_in(bytes: &[u8]) -> usize {
    memchr::memchr2_iter(b'"', b'\r', bytes)
        .find(|&at| bytes.get(at) == Some(&b'"') || bytes.get(at + 1) != Some(&b'\n'))
        .unwrap_or(bytes.len())
}

/// Delimited text records in the csv crate's grammar: fields may be quoted (holding
/// delimiters, line breaks and doubled quotes), CR, LF and CRLF end a record, and blank
/// lines are none. Runs of lines without a quote or a lone CR, nearly all of an export,
/// are checked as UTF-8 and split at their delimiters in one pass over the buffer; any
/// other record goes through csv_core, the csv crate's parser, so every record is read as
/// the csv crate reads it (a test compares the two).
pub(crate) struct CsvRecords<R> {
    input: R,
    buffer: Box<[u8]>,
    /// The unread bytes are `buffer[start..filled]`.
    start: usize,
    filled: usize,
    /// Where the first byte csv_core must read at or after `start` is (see [`special_in`];
    /// `filled`: none before it), if known. Kept between calls so that every byte is searched
    /// once, whatever the lines are like.
    special: Option<usize>,
    /// Whether a leading byte-order mark has been looked for.
    began: bool,
    eof: bool,
    /// 1-based physical line of `buffer[start]`: line breaks before it (LF, CRLF or a lone
    /// CR, as old Mac exports end their lines), plus one.
    line: u64,
    /// The last byte consumed was a CR whose next byte was not read yet: a lone CR, or the
    /// first half of a CRLF.
    carriage_pending: bool,
    /// The line of the last record read, for an error about the one after it.
    last_line: u64,
    /// An error met after some rows of [`RecordSource::next_rows`], for its next call.
    failed: Option<ImportError>,
    delimiter: u8,
    quoted: csv_core::Reader,
    output: Vec<u8>,
    ends: Vec<usize>,
    path: PathBuf,
}

impl<R: Read + InputStats> CsvRecords<R> {
    pub(crate) fn new(input: R, delimiter: u8, path: &Path) -> Self {
        Self::with_buffer(input, delimiter, path, FILE_BUFFER)
    }

    pub(crate) fn with_buffer(input: R, delimiter: u8, path: &Path, buffer: usize) -> Self {
        CsvRecords {
            input,
            buffer: vec![0; buffer.max(UTF8_BOM.len())].into_boxed_slice(),
            start: 0,
            filled: 0,
            special: None,
            began: false,
            eof: false,
            line: 1,
            carriage_pending: false,
            last_line: 0,
            failed: None,
            delimiter,
            quoted: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            output: vec![0; 1024],
            ends: vec![0; 64],
            path: path.to_path_buf(),
        }
    }

    pub(crate) fn into_input(self) -> R {
        self.input
    }

    fn read_error(&mut self, source: std::io::Error) -> ImportError {
        match self.input.sink_failure() {
            Some(failure) => ImportError::Sink(Box::new(failure)),
            None => ImportError::Io { path: self.path.clone(), source },
        }
    }

    fn unread(&self) -> &[u8] {
        self.buffer.get(self.start..self.filled).unwrap_or_default()
    }

    /// Moves the unread bytes to the front and reads more after them; false at the end of
    /// the input (or when the buffer is full of unread bytes).
    fn fill(&mut self) -> Result<bool, ImportError> {
        if self.eof {
            return Ok(false);
        }
        if self.start > 0 {
            self.buffer.copy_within(self.start..self.filled, 0);
            self.filled -= self.start;
            self.special = self.special.filter(|&at| at >= self.start).map(|at| at - self.start);
            self.start = 0;
        }
        let Some(free) = self.buffer.get_mut(self.filled..).filter(|free| !free.is_empty()) else {
            return Ok(false);
        };
        let read = loop {
            match self.input.read(free) {
                Ok(read) => break read,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.read_error(e)),
            }
        };
        let searched = self.filled;
        self.filled += read;
        self.eof = read == 0;
        if self.special == Some(searched) {
            // None before the old end: the new bytes are still to be searched.
            let new = self.buffer.get(searched..self.filled).unwrap_or_default();
            self.special = Some(searched + special_in(new));
        }
        Ok(read > 0)
    }

    /// Reads the first bytes and drops a UTF-8 byte-order mark, as the csv crate does.
    fn begin(&mut self) -> Result<(), ImportError> {
        self.began = true;
        while self.filled < UTF8_BOM.len() && self.fill()? {}
        if self.unread().starts_with(UTF8_BOM) {
            self.start += UTF8_BOM.len();
        }
        // csv_core drops a BOM at the start of whatever it reads first, maybe a record deep
        // into the file: its first read is made a blank line.
        let _ = self.quoted.read_record(b"\n", &mut [0], &mut [0]);
        Ok(())
    }

    /// Counts the line breaks in the next `consumed` unread bytes and moves past them. A CR
    /// counts when the byte after it is not a line feed; at the end of what was read, that is
    /// settled once the next byte is in.
    fn consume(&mut self, consumed: usize) {
        if consumed > 0 {
            self.settle_carriage();
            let bytes = self.buffer.get(self.start..self.start + consumed).unwrap_or_default();
            let feeds = memchr::memchr_iter(b'\n', bytes).count();
            let lone = memchr::memchr_iter(b'\r', bytes).filter(|&at| bytes.get(at + 1).is_some_and(|&b| b != b'\n'));
            self.line += (feeds + lone.count()) as u64;
            self.carriage_pending = bytes.last() == Some(&b'\r');
            self.start += consumed;
        }
        self.settle_carriage();
    }

    /// Counts a pending CR once the byte after it is in: a line break unless a line feed
    /// (counted itself) follows.
    fn settle_carriage(&mut self) {
        if self.carriage_pending {
            if let Some(&next) = self.unread().first() {
                self.carriage_pending = false;
                self.line += u64::from(next != b'\n');
            }
        }
    }

    /// Skips line breaks before a record (blank lines are no records, as in csv).
    fn skip_breaks(&mut self) -> Result<(), ImportError> {
        loop {
            let breaks = self.unread().iter().take_while(|&&b| b == b'\n' || b == b'\r').count();
            self.consume(breaks);
            if self.start < self.filled || !self.fill()? {
                return Ok(());
            }
        }
    }

    fn next_special(&mut self) -> usize {
        match self.special {
            Some(at) if at >= self.start => at,
            _ => {
                let at = self.start + special_in(self.unread());
                self.special = Some(at);
                at
            }
        }
    }

    /// The unread lines before the next special byte, up to the last complete one, when
    /// they are UTF-8: split into `rows` until they are full. How many rows were filled
    /// (blank lines fill none).
    fn plain_lines(&mut self, rows: &mut [Row]) -> usize {
        let special = self.next_special();
        let plain = self.buffer.get(self.start..special).unwrap_or_default();
        let Some(last_feed) = memchr::memrchr(b'\n', plain) else {
            return 0;
        };
        let lines = plain.get(..=last_feed).unwrap_or_default();
        // simdutf8 (AVX2 where the CPU has it): std's check was 5-10% of an import's CPU,
        // this is 2%. Its error has no position; std finds where the valid lines end.
        let text = match simdutf8::basic::from_utf8(lines) {
            Ok(text) => text,
            Err(_) => {
                let valid_up_to = std::str::from_utf8(lines).map_or_else(|e| e.valid_up_to(), str::len);
                let valid = lines.get(..valid_up_to).unwrap_or_default();
                match memchr::memrchr(b'\n', valid).and_then(|feed| lines.get(..=feed)) {
                    Some(lines) => std::str::from_utf8(lines).unwrap_or_default(),
                    None => return 0,
                }
            }
        };
        let (consumed, filled, lines_read) = split_lines(text, self.delimiter, self.line, rows);
        self.start += consumed;
        self.line += lines_read;
        filled
    }

    /// The unread line, when it can be split in place: its end (before the line feed,
    /// if any) and where the next line starts.
    fn plain_line(&mut self) -> Result<Option<(usize, usize)>, ImportError> {
        loop {
            let special = self.next_special();
            let plain = self.buffer.get(self.start..special).unwrap_or_default();
            if let Some(at) = memchr::memchr(b'\n', plain) {
                let feed = self.start + at;
                let carriage = feed > self.start && self.buffer.get(feed - 1) == Some(&b'\r');
                return Ok(Some((if carriage { feed - 1 } else { feed }, feed + 1)));
            }
            if special < self.filled {
                return Ok(None);
            }
            if !self.fill()? {
                // The last line, with no line feed; or a line longer than the buffer.
                return Ok(self.eof.then_some((self.filled, self.filled)));
            }
        }
    }

    /// Reads one record with csv_core, its line breaks counted as it goes.
    fn quoted_record(&mut self, row: &mut Row) -> Result<bool, ImportError> {
        let line = self.line;
        let (mut written, mut ended) = (0, 0);
        loop {
            let input = self.buffer.get(self.start..self.filled).unwrap_or_default();
            let output = self.output.get_mut(written..).unwrap_or_default();
            let ends = self.ends.get_mut(ended..).unwrap_or_default();
            let (result, read, wrote, ends_wrote) = self.quoted.read_record(input, output, ends);
            self.consume(read);
            written += wrote;
            ended += ends_wrote;
            match result {
                ReadRecordResult::InputEmpty => {
                    self.fill()?;
                }
                ReadRecordResult::OutputFull | ReadRecordResult::OutputEndsFull => {
                    // The field ends count too: a record of commas is as long as one of text.
                    let held = written + ended * std::mem::size_of::<usize>();
                    if held as u64 >= MAX_RECORD_BYTES {
                        return Err(ImportError::RecordTooLong {
                            path: self.path.clone(),
                            after_line: self.last_line,
                            limit: MAX_RECORD_BYTES,
                        });
                    }
                    let grown = |len: usize| (len * 2).min(MAX_RECORD_BYTES as usize);
                    if result == ReadRecordResult::OutputFull {
                        self.output.resize(grown(self.output.len()), 0);
                    } else {
                        self.ends.resize(grown(self.ends.len()), 0);
                    }
                }
                ReadRecordResult::Record => {
                    let output = self.output.get(..written).unwrap_or_default();
                    row.take_fields(line, output, self.ends.get(..ended).unwrap_or_default());
                    return Ok(true);
                }
                ReadRecordResult::End => return Ok(false),
            }
        }
    }

    /// Reads one record, whatever it holds.
    fn one_record(&mut self, row: &mut Row) -> Result<bool, ImportError> {
        match self.plain_line()? {
            Some((end, next)) => {
                let content = self.buffer.get(self.start..end).unwrap_or_default();
                row.split_line(self.line, content, self.delimiter);
                self.start = next;
                self.line += 1;
                Ok(true)
            }
            None => self.quoted_record(row),
        }
    }

    /// Reads records into `rows`, counting them in `filled` as it goes.
    fn read_rows(&mut self, rows: &mut [Row], filled: &mut usize) -> Result<(), ImportError> {
        if !self.began {
            self.begin()?;
        }
        while let Some(rest) = rows.get_mut(*filled..).filter(|rest| !rest.is_empty()) {
            self.skip_breaks()?;
            if self.start == self.filled {
                break;
            }
            let split = self.plain_lines(rest);
            *filled += split;
            if split == 0 {
                let Some(row) = rest.first_mut() else { break };
                if !self.one_record(row)? {
                    break;
                }
                *filled += 1;
            }
            if let Some(row) = filled.checked_sub(1).and_then(|last| rows.get(last)) {
                self.last_line = row.line;
            }
        }
        match self.input.binary_offset() {
            Some(offset) => Err(ImportError::Binary { path: self.path.clone(), offset }),
            None => Ok(()),
        }
    }
}

/// Bytes looked at together when splitting lines: one bit each in a mask.
const MASK_BYTES: usize = 64;

/// Which bytes of a whole block are delimiters or line feeds, one bit each. Compared into
/// bytes of 0 or 1 first (which compiles to vector compares), then packed eight at a time by
/// a multiplication: three times faster than testing and shifting byte by byte.
fn breaks(block: &[u8; MASK_BYTES], delimiter: u8) -> u64 {
    let mut flags = [0u8; MASK_BYTES];
    for (byte, flag) in block.iter().zip(&mut flags) {
        *flag = u8::from((*byte == delimiter) | (*byte == b'\n'));
    }
    let mut mask = 0;
    for (index, eight) in flags.chunks_exact(8).enumerate() {
        let word = <[u8; 8]>::try_from(eight).map_or(0, u64::from_le_bytes);
        // Gathers the low bit of each byte into the top byte.
        mask |= (word.wrapping_mul(0x0102_0408_1020_4080) >> 56) << (index * 8);
    }
    mask
}

/// [`breaks`] of a block shorter than [`MASK_BYTES`], the end of the text.
fn tail_breaks(block: &[u8], delimiter: u8) -> u64 {
    let mut whole = [0u8; MASK_BYTES];
    whole.iter_mut().zip(block).for_each(|(to, from)| *to = *from);
    let within = u64::MAX >> (MASK_BYTES - block.len().min(MASK_BYTES)).min(63);
    breaks(&whole, delimiter) & within
}

/// Splits the complete UTF-8 lines of `text` (no quote, no lone CR) into `rows`, the first
/// at `line`. Gives the bytes consumed, the rows filled and the lines read (blank ones
/// included).
fn split_lines(text: &str, delimiter: u8, mut line: u64, rows: &mut [Row]) -> (usize, usize, u64) {
    let bytes = text.as_bytes();
    let first_line = line;
    let mut filled = 0;
    let mut line_start = 0;
    let mut field_start = 0;
    let mut rows = rows.iter_mut();
    let Some(mut row) = rows.next() else {
        return (0, 0, 0);
    };
    row.clear(line);
    for (index, block) in bytes.chunks(MASK_BYTES).enumerate() {
        let base = index * MASK_BYTES;
        let mut found = match <&[u8; MASK_BYTES]>::try_from(block) {
            Ok(whole) => breaks(whole, delimiter),
            Err(_) => tail_breaks(block, delimiter),
        };
        while found != 0 {
            let at = base + found.trailing_zeros() as usize;
            found &= found - 1;
            if bytes.get(at) != Some(&b'\n') {
                row.fields.push((field_start - line_start, at - line_start));
                field_start = at + 1;
                continue;
            }
            let end = if at > line_start && bytes.get(at - 1) == Some(&b'\r') { at - 1 } else { at };
            line += 1;
            if end > line_start {
                row.fields.push((field_start - line_start, end - line_start));
                row.text.push_str(text.get(line_start..end).unwrap_or_default());
                filled += 1;
                match rows.next() {
                    Some(next) => row = next,
                    None => return (at + 1, filled, line - first_line),
                }
            }
            row.clear(line);
            line_start = at + 1;
            field_start = at + 1;
        }
    }
    row.clear(line);
    (line_start, filled, line - first_line)
}

impl<R: Read + InputStats> RecordSource for CsvRecords<R> {
    fn next_row(&mut self, row: &mut Row) -> Result<bool, ImportError> {
        Ok(self.next_rows(std::slice::from_mut(row))? == 1)
    }

    fn next_rows(&mut self, rows: &mut [Row]) -> Result<usize, ImportError> {
        if let Some(error) = self.failed.take() {
            return Err(error);
        }
        let mut filled = 0;
        match self.read_rows(rows, &mut filled) {
            Ok(()) => Ok(filled),
            Err(error) if filled > 0 => {
                self.failed = Some(error);
                Ok(filled)
            }
            Err(error) => Err(error),
        }
    }

    fn bytes_done(&self) -> u64 {
        self.input.byte_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

    use crate::decode::Counting;

    /// Every record of `bytes` as (line, fields), read through a buffer of `buffer` bytes
    /// into `chunk` rows at a time.
    fn read_in_chunks(bytes: &[u8], buffer: usize, chunk: usize) -> Vec<(u64, Vec<String>)> {
        let mut records = CsvRecords::with_buffer(Counting::new(bytes), b',', Path::new("t.csv"), buffer);
        let mut rows = vec![Row::default(); chunk];
        let mut read = Vec::new();
        loop {
            let filled = records.next_rows(&mut rows).unwrap();
            if filled == 0 {
                return read;
            }
            for row in &rows[..filled] {
                read.push((row.line, (0..row.len()).map(|i| row.raw(i).to_string()).collect()));
            }
        }
    }

    fn read_all(bytes: &[u8], buffer: usize) -> Vec<(u64, Vec<String>)> {
        read_in_chunks(bytes, buffer, 1)
    }

    fn lines(text: &str) -> Vec<u64> {
        let lines: Vec<u64> = read_all(text.as_bytes(), 64).into_iter().map(|(line, _)| line).collect();
        // A buffer too small for any line: every record goes through csv_core.
        let streamed: Vec<u64> = read_all(text.as_bytes(), 4).into_iter().map(|(line, _)| line).collect();
        assert_eq!(lines, streamed, "{text:?}");
        lines
    }

    /// The csv crate's reading of `bytes`, each record at the line of its first byte
    /// (csv's own line count differs for CRLF): the reference for [`CsvRecords`].
    fn csv_crate_reading(bytes: &[u8]) -> Vec<(u64, Vec<String>)> {
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
        let mut record = csv::ByteRecord::new();
        let mut read = Vec::new();
        while reader.read_byte_record(&mut record).unwrap() {
            let mut position = record.position().unwrap().byte() as usize;
            if position == 0 && bytes.starts_with(UTF8_BOM) {
                position = UTF8_BOM.len();
            }
            let breaks = bytes[position..].iter().take_while(|&&b| b == b'\n' || b == b'\r').count();
            // Line breaks before the record: line feeds, and CRs no line feed follows.
            let before = &bytes[..position + breaks];
            let lone = (0..before.len()).filter(|&i| before[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
            let line = 1 + (before.iter().filter(|&&b| b == b'\n').count() + lone.count()) as u64;
            let mut row = Row::default();
            record.iter().for_each(|field| row.push_bytes(field));
            read.push((line, (0..row.len()).map(|i| row.raw(i).to_string()).collect()));
        }
        read
    }

    proptest! {
        /// Quotes anywhere, CR, LF and CRLF, blank lines, a BOM, bytes that are not UTF-8:
        /// the same records, on the same lines, as the csv crate reads, whatever the buffer.
        #[test]
        fn records_are_read_as_the_csv_crate_reads_them(
            pieces in prop::collection::vec(
                prop::sample::select(vec![
                    &b"a"[..], b"bc", b",", b"\"", b"\"\"", b"\n", b"\r", b"\r\n", b" ", b"\xc3\xa9", b"\xe9",
                    b"\xef\xbb\xbf",
                ]),
                0..200,
            ),
            // Half the cases without a quote: long runs of lines split in place.
            quoteless in any::<bool>(),
            buffer in prop::sample::select(vec![4usize, 5, 7, 16, 64, 8192]),
            chunk in prop::sample::select(vec![1usize, 2, 3, 100]),
        ) {
            let bytes: Vec<u8> = pieces
                .iter()
                .flat_map(|&piece| if quoteless && piece.contains(&b'"') { &b"x,yz"[..] } else { piece })
                .copied()
                .collect();
            prop_assert_eq!(read_in_chunks(&bytes, buffer, chunk), csv_crate_reading(&bytes));
        }
    }

    #[test]
    fn physical_lines_of_records() {
        assert_eq!(lines("a,b\nc,d\ne,f\n"), [1, 2, 3]);
        assert_eq!(lines("a,b\r\nc,d\r\ne,f"), [1, 2, 3]);
        assert_eq!(lines("a,b\n\nc,\"x\ny\"\ne,f\n"), [1, 3, 5]);
        assert_eq!(lines("a,b\r\n\r\nc,\"x\r\ny\"\r\ne,f\r\n"), [1, 3, 5]);
        assert_eq!(lines("\n\na,b\n  \n,,\nc\n"), [3, 4, 5, 6]);
        // Old Mac exports end lines with a CR alone.
        assert_eq!(lines("a,b\rc,d\r\re,\"x\ry\"\rf"), [1, 2, 4, 6]);
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
    fn special_bytes_are_quotes_and_lone_carriage_returns() {
        assert_eq!(special_in(b"a,b\r\nc,d\r\n"), 10);
        assert_eq!(special_in(b"a,b\r\nc,\"d\""), 7);
        assert_eq!(special_in(b"a,b\r\nc\rd\n"), 6);
        // A CR at the end may be the first half of a CRLF: csv_core decides.
        assert_eq!(special_in(b"a,b\r"), 3);
    }

    #[test]
    fn fields_taken_whole_or_one_by_one() {
        let mut row = Row::default();
        for fields in [&[&b" a "[..], b"caf\xc3\xa9", b""][..], &[b"caf\xe9", b"x"], &[b"ab\xc3", b"\xa9cd"]] {
            let output = fields.concat();
            let ends: Vec<usize> =
                fields.iter().scan(0, |end, f| Some(std::mem::replace(end, *end + f.len()) + f.len())).collect();
            row.take_fields(1, &output, &ends);
            let mut expected = Row::default();
            fields.iter().for_each(|f| expected.push_bytes(f));
            assert_eq!(row.len(), expected.len());
            for i in 0..row.len() {
                assert_eq!(row.raw(i), expected.raw(i), "{fields:?} field {i}");
            }
        }
    }

    #[test]
    fn a_line_split_in_place_has_the_fields_between_its_delimiters() {
        let mut row = Row::default();
        row.split_line(7, b"C1,,2024-01-31,caf\xc3\xa9,", b',');
        assert_eq!((row.line, row.len()), (7, 5));
        assert_eq!((0..5).map(|i| row.raw(i)).collect::<Vec<_>>(), ["C1", "", "2024-01-31", "café", ""]);
        assert!(!row.is_blank());
        row.split_line(8, b" ,\t, ", b',');
        assert!(row.is_blank());
        // The delimiters kept in the row's text are no content.
        row.split_line(8, b",,", b',');
        assert!(row.is_blank());
        row.split_line(8, b",,x", b',');
        assert!(!row.is_blank());
        // Not UTF-8: each field read as Windows-1252.
        row.split_line(9, b"caf\xe9;x", b';');
        assert_eq!((row.raw(0), row.raw(1)), ("café", "x"));
    }
}
