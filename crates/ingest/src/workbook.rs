//! Workbooks (XLSX, XLS, ODS) through calamine: open defensively, choose a sheet, and
//! present its cells as text rows for the same pipeline as delimited files.
//!
//! A sheet is kept as its values only, never as a dense grid: a lone value far outside
//! the table (XFD1048576 is 17 billion cells from A1) costs one cell, not gigabytes.

use std::cell::Cell;
use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use calamine::{Cell as SheetCell, Data, DataRef, Ods, Range, Reader, Xls, Xlsx, XlsxError};

use crate::source::{RecordSource, Row};
use crate::{ImportError, WorkbookKind};

/// A loaded sheet and the names of every sheet of its workbook.
pub(crate) struct Sheet {
    pub(crate) name: String,
    pub(crate) sheets: Vec<String>,
    pub(crate) values: SheetValues,
}

/// The most cells the rows of a sheet may have when laid out (its rows that hold values,
/// each as wide as the sheet): about 1.6 GB as calamine's cells, a million rows of fifty.
const MAX_SHEET_CELLS: u64 = 50_000_000;

/// Columns of the widest sheets (A to XFD, in XLSX and ODS alike).
const MAX_COLUMNS: u32 = 16_384;

/// A sheet's non-empty cells in reading order, and the columns its rows span.
pub(crate) struct SheetValues {
    cells: Vec<SheetCell<Data>>,
    first_column: u32,
    width: u32,
    rows: u64,
}

impl SheetValues {
    /// Sorts `cells` (a later value at the same position wins, as in calamine's ranges)
    /// and refuses a sheet too large to read, naming the value that makes it so.
    fn new(sheet: &str, mut cells: Vec<SheetCell<Data>>) -> Result<Self, String> {
        cells.sort_by_key(SheetCell::get_position);
        cells.dedup_by(|later, kept| {
            let same = later.get_position() == kept.get_position();
            if same {
                std::mem::swap(later, kept);
            }
            same
        });
        let first_column = cells.iter().map(|cell| cell.get_position().1).min().unwrap_or(0);
        let rightmost = cells.iter().max_by_key(|cell| cell.get_position().1).map(SheetCell::get_position);
        if let Some(beyond) = rightmost.filter(|&(_, column)| column >= MAX_COLUMNS) {
            return Err(format!(
                "sheet '{sheet}' has a value in row {}, column {}, beyond XFD, the last column a sheet can have",
                beyond.0 + 1,
                beyond.1 + 1
            ));
        }
        let width = rightmost.map_or(0, |(_, column)| column - first_column + 1);
        let rows = cells.chunk_by(|a, b| a.get_position().0 == b.get_position().0).count() as u64;
        let laid_out = rows * u64::from(width);
        if let Some(rightmost) = rightmost.filter(|_| laid_out > MAX_SHEET_CELLS) {
            return Err(format!(
                "sheet '{sheet}' has values in {rows} rows across {width} columns ({laid_out} cells to read; at most \
                 {MAX_SHEET_CELLS}): its rightmost value is in {}; delete values far outside the table, or save the \
                 sheet as CSV",
                cell_address(rightmost),
            ));
        }
        Ok(SheetValues { cells, first_column, width, rows })
    }

    /// The values of a sheet calamine laid out as a range.
    fn of_range(sheet: &str, range: &Range<Data>) -> Result<Self, String> {
        let (top, left) = range.start().unwrap_or((0, 0));
        let cells = range
            .used_cells()
            .map(|(row, column, value)| SheetCell::new((top + row as u32, left + column as u32), value.clone()))
            .collect();
        SheetValues::new(sheet, cells)
    }
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
            .and_then(|mut wb| read_sheet(&mut wb, sheet, xlsx_values)),
        WorkbookKind::Xls => Xls::new(Cursor::new(bytes))
            .map_err(|e| e.to_string())
            .and_then(|mut wb| read_sheet(&mut wb, sheet, range_values)),
        WorkbookKind::Ods => Ods::new(Cursor::new(bytes))
            .map_err(|e| e.to_string())
            .and_then(|mut wb| read_sheet(&mut wb, sheet, range_values)),
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
    values_of: impl FnOnce(&mut R, &str) -> Result<SheetValues, String>,
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
    let values = values_of(workbook, &name)?;
    Ok(Ok(Sheet { name, sheets, values }))
}

/// A sheet that calamine lays out as a range itself, bounded by its reader: ODS at 100
/// million cells, XLS at 65,536 rows of 256 columns (with the patch in `vendor/calamine`).
fn range_values<R, RS>(workbook: &mut R, name: &str) -> Result<SheetValues, String>
where
    R: Reader<RS>,
    R::Error: std::fmt::Display,
    RS: std::io::Read + std::io::Seek,
{
    let range = workbook.worksheet_range(name).map_err(|e| e.to_string())?;
    SheetValues::of_range(name, &range)
}

/// An XLSX sheet's values, read cell by cell: calamine's own `worksheet_range` would lay
/// out a dense grid, and a failed allocation of one aborts the process.
fn xlsx_values<RS: std::io::Read + std::io::Seek>(workbook: &mut Xlsx<RS>, name: &str) -> Result<SheetValues, String> {
    let mut reader = match workbook.worksheet_cells_reader(name) {
        Ok(reader) => reader,
        // A chart sheet or dialog sheet has no cells.
        Err(XlsxError::NotAWorksheet(_)) => return SheetValues::new(name, Vec::new()),
        Err(e) => return Err(e.to_string()),
    };
    let mut cells = Vec::new();
    while let Some(cell) = reader.next_cell().map_err(|e| e.to_string())? {
        if !matches!(cell.get_value(), DataRef::Empty) {
            cells.push(SheetCell::new(cell.get_position(), Data::from(cell.get_value().clone())));
        }
    }
    SheetValues::new(name, cells)
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

/// The rows of a loaded sheet that hold values, each as wide as the sheet, as a record
/// source. Rows without values are skipped (a row of only blanks is skipped by every pass).
pub(crate) struct SheetRecords<'a> {
    values: &'a SheetValues,
    next_cell: usize,
    rows_done: u64,
    file_bytes: u64,
    cell: String,
}

impl<'a> SheetRecords<'a> {
    pub(crate) fn new(values: &'a SheetValues, file_bytes: u64) -> Self {
        SheetRecords { values, next_cell: 0, rows_done: 0, file_bytes, cell: String::new() }
    }
}

impl RecordSource for SheetRecords<'_> {
    fn next_row(&mut self, row: &mut Row) -> Result<bool, ImportError> {
        let cells = &self.values.cells;
        let Some(sheet_row) = cells.get(self.next_cell).map(|cell| cell.get_position().0) else {
            return Ok(false);
        };
        row.clear(u64::from(sheet_row) + 1);
        let mut column = self.values.first_column;
        let end = self.values.first_column + self.values.width;
        while let Some(cell) = cells.get(self.next_cell).filter(|cell| cell.get_position().0 == sheet_row) {
            let at = cell.get_position().1;
            while column < at {
                row.push_field("");
                column += 1;
            }
            self.cell.clear();
            cell_text(cell.get_value(), &mut self.cell);
            row.push_field(&self.cell);
            column += 1;
            self.next_cell += 1;
        }
        while column < end {
            row.push_field("");
            column += 1;
        }
        self.rows_done += 1;
        Ok(true)
    }

    fn bytes_done(&self) -> u64 {
        // The sheet is already in memory: report progress in proportion to rows.
        self.file_bytes.saturating_mul(self.rows_done).checked_div(self.values.rows).unwrap_or(self.file_bytes)
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

    fn cell(row: u32, column: u32, text: &str) -> SheetCell<Data> {
        SheetCell::new((row, column), Data::String(text.to_string()))
    }

    #[test]
    fn sheets_are_as_large_as_their_values_not_their_grid() {
        let values = SheetValues::new("S", vec![cell(1_048_575, 16_383, "far"), cell(0, 0, "near")]).unwrap();
        assert_eq!((values.rows, values.width, values.first_column), (2, 16_384, 0));
        let beyond = SheetValues::new("S", vec![cell(0, 0, "a"), cell(4, 16_384, "b")]).err();
        assert_eq!(
            beyond.as_deref(),
            Some("sheet 'S' has a value in row 5, column 16385, beyond XFD, the last column a sheet can have")
        );
        // A later value at the same place wins, as in calamine's own ranges.
        let values = SheetValues::new("S", vec![cell(0, 0, "first"), cell(0, 0, "second")]).unwrap();
        assert_eq!(values.cells.iter().map(|c| c.get_value().to_string()).collect::<Vec<_>>(), ["second"]);
    }

    #[test]
    fn rows_with_values_come_out_as_wide_as_the_sheet() {
        let values = SheetValues::new("S", vec![cell(5, 2, "c"), cell(2, 3, "b"), cell(2, 1, "a")]).unwrap();
        let mut records = SheetRecords::new(&values, 300);
        let mut row = Row::default();
        let mut rows = Vec::new();
        while records.next_row(&mut row).unwrap() {
            rows.push((row.line, row.fields().map(str::to_string).collect::<Vec<_>>()));
            if rows.len() == 1 {
                assert_eq!(records.bytes_done(), 150);
            }
        }
        assert_eq!(
            rows,
            [
                (3, vec!["a".to_string(), String::new(), "b".into()]),
                (6, vec![String::new(), "c".into(), String::new()])
            ]
        );
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
