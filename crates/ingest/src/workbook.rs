//! Workbooks (XLSX, XLS, ODS) through calamine: open defensively, choose a sheet, and
//! present its cells as text rows for the same pipeline as delimited files.

use std::cell::Cell;
use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use calamine::{Data, Ods, Range, Reader, Xls, Xlsx};

use crate::source::{RecordSource, Row};
use crate::{ImportError, WorkbookKind};

/// A loaded sheet and the names of every sheet of its workbook.
pub(crate) struct Sheet {
    pub(crate) name: String,
    pub(crate) sheets: Vec<String>,
    pub(crate) range: Range<Data>,
}

fn kind_name(kind: WorkbookKind) -> &'static str {
    match kind {
        WorkbookKind::Xlsx => "XLSX",
        WorkbookKind::Xls => "XLS",
        WorkbookKind::Ods => "ODS",
    }
}

thread_local! {
    static CONTAINING: Cell<bool> = const { Cell::new(false) };
}

/// True while a third-party parser runs on this thread under `catch_unwind`: a panic
/// there becomes an error value, so a panic hook (the CLI's, a fuzzer's) should stay quiet.
pub fn panic_is_contained() -> bool {
    CONTAINING.with(Cell::get)
}

fn contained<T>(parse: impl FnOnce() -> T) -> std::thread::Result<T> {
    CONTAINING.with(|flag| flag.set(true));
    let result = catch_unwind(AssertUnwindSafe(parse));
    CONTAINING.with(|flag| flag.set(false));
    result
}

/// Opens `bytes` as a workbook of `kind` and loads the chosen sheet (name, or 1-based
/// number; default the first). Malformed files are errors, never panics.
pub(crate) fn load_sheet(
    path: &Path,
    bytes: Vec<u8>,
    kind: WorkbookKind,
    sheet: Option<&str>,
) -> Result<Sheet, ImportError> {
    let broken = |reason: String| ImportError::Workbook {
        path: path.to_path_buf(),
        expected: kind_name(kind).to_string(),
        reason,
    };
    // calamine is a parser of untrusted input; a panic in it must not take the app down.
    let loaded = contained(|| match kind {
        WorkbookKind::Xlsx => {
            Xlsx::new(Cursor::new(bytes)).map_err(|e| e.to_string()).and_then(|mut wb| read_sheet(&mut wb, sheet))
        }
        WorkbookKind::Xls => {
            Xls::new(Cursor::new(bytes)).map_err(|e| e.to_string()).and_then(|mut wb| read_sheet(&mut wb, sheet))
        }
        WorkbookKind::Ods => {
            Ods::new(Cursor::new(bytes)).map_err(|e| e.to_string()).and_then(|mut wb| read_sheet(&mut wb, sheet))
        }
    });
    match loaded {
        Ok(Ok(Ok(sheet))) => Ok(sheet),
        Ok(Ok(Err((requested, available)))) => {
            Err(ImportError::SheetNotFound { path: path.to_path_buf(), sheet: requested, available })
        }
        Ok(Err(reason)) => Err(broken(reason)),
        Err(_) => Err(broken("the workbook's structure is corrupt".to_string())),
    }
}

type SheetChoice = Result<Sheet, (String, Vec<String>)>;

fn read_sheet<R, RS>(workbook: &mut R, requested: Option<&str>) -> Result<SheetChoice, String>
where
    R: Reader<RS>,
    R::Error: std::fmt::Display,
    RS: std::io::Read + std::io::Seek,
{
    let sheets = workbook.sheet_names();
    let name = match requested.map(str::trim) {
        None | Some("") => sheets.first().cloned(),
        Some(wanted) => sheets
            .iter()
            .find(|s| s.as_str() == wanted)
            .or_else(|| sheets.iter().find(|s| s.eq_ignore_ascii_case(wanted)))
            .or_else(|| wanted.parse::<usize>().ok().and_then(|n| n.checked_sub(1)).and_then(|i| sheets.get(i)))
            .cloned(),
    };
    let Some(name) = name else {
        return Ok(Err((requested.unwrap_or("1").to_string(), sheets)));
    };
    let range = workbook.worksheet_range(&name).map_err(|e| e.to_string())?;
    Ok(Ok(Sheet { name, sheets, range }))
}

/// A cell as text: integral floats without ".0", dates as ISO, errors as Excel shows them.
pub(crate) fn cell_text(cell: &Data, out: &mut String) {
    use std::fmt::Write;
    // Writing to a String cannot fail.
    let _ = match cell {
        Data::Empty => Ok(()),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => {
            out.push_str(s);
            Ok(())
        }
        Data::Int(i) => write!(out, "{i}"),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => write!(out, "{}", *f as i64),
        Data::Float(f) => write!(out, "{f}"),
        Data::Bool(b) => write!(out, "{b}"),
        Data::Error(e) => write!(out, "{e}"),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, hh, mm, ss, _) = dt.to_ymd_hms_milli();
            if (hh, mm, ss) == (0, 0, 0) {
                write!(out, "{y:04}-{m:02}-{d:02}")
            } else {
                write!(out, "{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}")
            }
        }
        Data::DateTime(dt) => write!(out, "{}", dt.as_f64()),
    };
}

/// The rows of a loaded sheet as a record source.
pub(crate) struct SheetRecords<'a> {
    rows: calamine::Rows<'a, Data>,
    first_line: u64,
    next_index: u64,
    total_rows: u64,
    file_bytes: u64,
    cell: String,
}

impl<'a> SheetRecords<'a> {
    pub(crate) fn new(range: &'a Range<Data>, file_bytes: u64) -> Self {
        SheetRecords {
            rows: range.rows(),
            first_line: range.start().map_or(1, |(row, _)| u64::from(row) + 1),
            next_index: 0,
            total_rows: range.height() as u64,
            file_bytes,
            cell: String::new(),
        }
    }
}

impl RecordSource for SheetRecords<'_> {
    fn next_row(&mut self, row: &mut Row) -> Result<bool, ImportError> {
        let Some(cells) = self.rows.next() else {
            return Ok(false);
        };
        row.clear(self.first_line + self.next_index);
        self.next_index += 1;
        for cell in cells {
            self.cell.clear();
            cell_text(cell, &mut self.cell);
            row.push_field(&self.cell);
        }
        Ok(true)
    }

    fn bytes_done(&self) -> u64 {
        // The sheet is already in memory: report progress in proportion to rows.
        self.file_bytes.saturating_mul(self.next_index).checked_div(self.total_rows).unwrap_or(self.file_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(cell: Data) -> String {
        let mut out = String::new();
        cell_text(&cell, &mut out);
        out
    }

    #[test]
    fn cells_as_text() {
        assert_eq!(text(Data::Float(45292.0)), "45292");
        assert_eq!(text(Data::Float(19.99)), "19.99");
        assert_eq!(text(Data::Float(0.1 + 0.2)), "0.30000000000000004");
        assert_eq!(text(Data::Int(-3)), "-3");
        assert_eq!(text(Data::Bool(true)), "true");
        assert_eq!(text(Data::Empty), "");
        assert_eq!(text(Data::Error(calamine::CellErrorType::Div0)), "#DIV/0!");
        let date = calamine::ExcelDateTime::new(45292.0, calamine::ExcelDateTimeType::DateTime, false);
        assert_eq!(text(Data::DateTime(date)), "2024-01-01");
        let stamp = calamine::ExcelDateTime::new(45292.5, calamine::ExcelDateTimeType::DateTime, false);
        assert_eq!(text(Data::DateTime(stamp)), "2024-01-01 12:00:00");
    }
}
