//! Records read a few hundred at a time: the parser's fast path splits many lines per
//! call, and whatever looks at the rows next (evidence, conversion) finds them still in
//! the core's cache.
//!
//! (Parsing on a thread of its own was measured slower: every row's text and field bounds
//! then crossed to the converting core, a cache miss per row that cost more than the
//! parsing it moved away.)

use crate::source::{RecordSource, Row};
use crate::ImportError;

/// Rows read per call to the source; they take some 50 KB.
const BUFFERED_ROWS: usize = 256;

/// A record source read through a buffer of rows; the rows come out in order, then the
/// source's error if it failed.
pub(crate) struct Buffered<S> {
    pub(crate) source: S,
    rows: Vec<Row>,
    filled: usize,
    next: usize,
}

impl<S> Buffered<S> {
    pub(crate) fn new(source: S) -> Self {
        let mut rows = Vec::new();
        rows.resize_with(BUFFERED_ROWS, Row::default);
        Buffered { source, rows, filled: 0, next: 0 }
    }
}

impl<S: RecordSource> RecordSource for Buffered<S> {
    fn next_row(&mut self, row: &mut Row) -> Result<bool, ImportError> {
        if self.next == self.filled {
            self.filled = self.source.next_rows(&mut self.rows)?;
            self.next = 0;
        }
        match self.rows.get_mut(self.next).filter(|_| self.next < self.filled) {
            Some(read) => {
                // The caller's old row stays as a buffer to read into.
                std::mem::swap(row, read);
                self.next += 1;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn bytes_done(&self) -> u64 {
        self.source.bytes_done()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numbered rows, a few at a time, then optionally an error.
    struct Numbered {
        rows: u64,
        read: u64,
        fail: bool,
    }

    impl RecordSource for Numbered {
        fn next_row(&mut self, row: &mut Row) -> Result<bool, ImportError> {
            Ok(self.next_rows(std::slice::from_mut(row))? == 1)
        }

        fn next_rows(&mut self, rows: &mut [Row]) -> Result<usize, ImportError> {
            if self.read == self.rows {
                return if self.fail { Err(ImportError::Cancelled) } else { Ok(0) };
            }
            // Fewer than asked for, sometimes: a source fills what it has.
            let wanted = rows.len().min(1 + (self.read % 7) as usize * 100);
            let mut filled = 0;
            for row in rows.iter_mut().take(wanted) {
                if self.read == self.rows {
                    break;
                }
                self.read += 1;
                row.clear(self.read);
                row.push_field(&self.read.to_string());
                filled += 1;
            }
            Ok(filled)
        }

        fn bytes_done(&self) -> u64 {
            self.read * 10
        }
    }

    fn lines(records: &mut dyn RecordSource) -> (Vec<u64>, Result<(), ImportError>) {
        let mut row = Row::default();
        let mut lines = Vec::new();
        loop {
            match records.next_row(&mut row) {
                Ok(true) => {
                    assert_eq!(row.raw(0), row.line.to_string());
                    lines.push(row.line);
                }
                Ok(false) => return (lines, Ok(())),
                Err(error) => return (lines, Err(error)),
            }
        }
    }

    #[test]
    fn every_row_arrives_in_order_then_the_error() {
        for rows in [0, 1, BUFFERED_ROWS as u64 - 1, BUFFERED_ROWS as u64, BUFFERED_ROWS as u64 * 9 + 7] {
            for fail in [false, true] {
                let mut buffered = Buffered::new(Numbered { rows, read: 0, fail });
                let (lines, ended) = lines(&mut buffered);
                assert_eq!(lines, (1..=rows).collect::<Vec<_>>());
                assert_eq!(matches!(ended, Err(ImportError::Cancelled)), fail, "{rows} rows");
                assert_eq!(buffered.bytes_done(), rows * 10);
            }
        }
    }
}
