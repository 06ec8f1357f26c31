//! Workbooks (XLSX, XLS, ODS) through calamine: open defensively, choose a sheet, and
//! present its cells as text rows for the same pipeline as delimited files.

use std::cell::Cell;
use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use calamine::{Data, DataRef, Ods, Range, Reader, Xls, Xlsx, XlsxError};

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
        WorkbookKind::Xlsx => Xlsx::new(Cursor::new(bytes))
            .map_err(|e| e.to_string())
            .and_then(|mut wb| read_sheet(&mut wb, sheet, bounded_xlsx_range)),
        WorkbookKind::Xls => Xls::new(Cursor::new(bytes))
            .map_err(|e| e.to_string())
            .and_then(|mut wb| read_sheet(&mut wb, sheet, calamine_range)),
        WorkbookKind::Ods => Ods::new(Cursor::new(bytes))
            .map_err(|e| e.to_string())
            .and_then(|mut wb| read_sheet(&mut wb, sheet, calamine_range)),
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

fn read_sheet<R, RS>(
    workbook: &mut R,
    requested: Option<&str>,
    range_of: impl FnOnce(&mut R, &str) -> Result<Range<Data>, String>,
) -> Result<SheetChoice, String>
where
    R: Reader<RS>,
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
    let range = range_of(workbook, &name)?;
    Ok(Ok(Sheet { name, sheets, range }))
}

/// A sheet as calamine lays it out; for formats whose reader bounds the grid (ODS at 100
/// million cells, XLS at 65,536 rows of 256 columns with the patch in `vendor/calamine`).
fn calamine_range<R, RS>(workbook: &mut R, name: &str) -> Result<Range<Data>, String>
where
    R: Reader<RS>,
    R::Error: std::fmt::Display,
    RS: std::io::Read + std::io::Seek,
{
    workbook.worksheet_range(name).map_err(|e| e.to_string())
}

/// The most cells a sheet's grid (its used range, blanks included) may have: about 1.6 GB
/// of cells, room for a million rows of fifty columns.
const MAX_SHEET_CELLS: u64 = 50_000_000;

/// An XLSX sheet's cells, read one by one and laid out as a grid only when the grid is
/// bounded: calamine's own `worksheet_range` would allocate it for a lone value in XFD1048576
/// (17 billion cells), and a failed allocation aborts the process.
fn bounded_xlsx_range<RS: std::io::Read + std::io::Seek>(
    workbook: &mut Xlsx<RS>,
    name: &str,
) -> Result<Range<Data>, String> {
    let mut reader = match workbook.worksheet_cells_reader(name) {
        Ok(reader) => reader,
        // A chart sheet or dialog sheet has no cells.
        Err(XlsxError::NotAWorksheet(_)) => return Ok(Range::empty()),
        Err(e) => return Err(e.to_string()),
    };
    let mut cells = Vec::new();
    while let Some(cell) = reader.next_cell().map_err(|e| e.to_string())? {
        if !matches!(cell.get_value(), DataRef::Empty) {
            let position = cell.get_position();
            cells.push(calamine::Cell::new(position, Data::from(cell.get_value().clone())));
        }
    }
    check_grid(name, &cells)?;
    Ok(Range::from_sparse(cells))
}

/// Refuses a sheet whose used range is too large to lay out, naming the values that make it so.
fn check_grid(sheet: &str, cells: &[calamine::Cell<Data>]) -> Result<(), String> {
    let positions = || cells.iter().map(calamine::Cell::get_position);
    let (Some(top), Some(bottom)) = (positions().map(|p| p.0).min(), positions().max_by_key(|p| p.0)) else {
        return Ok(());
    };
    let (Some(left), Some(right)) = (positions().map(|p| p.1).min(), positions().max_by_key(|p| p.1)) else {
        return Ok(());
    };
    let grid = u64::from(bottom.0 - top + 1) * u64::from(right.1 - left + 1);
    if grid <= MAX_SHEET_CELLS {
        return Ok(());
    }
    Err(format!(
        "sheet '{sheet}' spans {}:{} ({grid} cells; at most {MAX_SHEET_CELLS} can be read): its lowest value is in {} \
         and its rightmost in {}; delete values far outside the table, or save the sheet as CSV",
        cell_address((top, left)),
        cell_address((bottom.0, right.1)),
        cell_address(bottom),
        cell_address(right),
    ))
}

/// A zero-based (row, column) as Excel writes it: (0, 0) is A1, (9, 27) is AB10.
fn cell_address((row, column): (u32, u32)) -> String {
    let mut letters = Vec::new();
    let mut rest = column + 1;
    while rest > 0 {
        let digit = (rest - 1) % 26;
        letters.push(b'A' + digit as u8);
        rest = (rest - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", String::from_utf8_lossy(&letters), row + 1)
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

    #[test]
    fn addresses_as_excel_writes_them() {
        assert_eq!(cell_address((0, 0)), "A1");
        assert_eq!(cell_address((9, 25)), "Z10");
        assert_eq!(cell_address((9, 27)), "AB10");
        assert_eq!(cell_address((0, 701)), "ZZ1");
        assert_eq!(cell_address((1_048_575, 16_383)), "XFD1048576");
    }
}
