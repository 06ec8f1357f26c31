//! Tables as CSV and XLSX, dashboards as one XLSX workbook with native Excel charts.

use rust_xlsxwriter::utility::cell_range;
use rust_xlsxwriter::{
    Chart, ChartFormat, ChartLine, ChartSolidFill, ChartType, ColNum, Color, ConditionalFormat2ColorScale, Format,
    FormatBorder, RowNum, Workbook, Worksheet, XlsxError,
};

use crate::chart::series_rgb;
use crate::format::excel_format;
use crate::types::{CellValue, ChartKind, ChartSpec, Column, TableData, ValueUnit, WorkbookSheet};
use crate::ReportError;

/// The table as CSV (RFC 4180: fields quoted where needed, CRLF line ends), the header being
/// the column labels. Rows hold as many cells as there are columns (missing ones are empty).
///
/// - Numbers are written plainly (`-12.5`, never escaped); money columns with exactly two
///   decimals (`1234.50`); percent columns hold the fraction (`0.953` is 95.3 %), as the
///   engine and the JSON do, for a spreadsheet to format.
/// - `null` and non-finite numbers are empty fields, booleans are `true`/`false`.
/// - Text that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`,
///   so that a spreadsheet opening the file does not run it as a formula.
pub fn table_csv(table: &TableData) -> String {
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let header = table.columns.iter().map(|c| c.label.as_str());
    let mut ok = writer.write_record(header).is_ok();
    for row in &table.rows {
        let fields = table.columns.iter().enumerate().map(|(i, col)| csv_field(row.get(i), col));
        ok &= writer.write_record(fields).is_ok();
    }
    // Writing to memory cannot fail, and every field is UTF-8 text.
    match (ok, writer.into_inner()) {
        (true, Ok(bytes)) => String::from_utf8(bytes).unwrap_or_default(),
        _ => String::new(),
    }
}

fn csv_field(cell: Option<&CellValue>, column: &Column) -> String {
    match cell {
        None | Some(CellValue::Null) => String::new(),
        Some(CellValue::Bool(b)) => b.to_string(),
        Some(CellValue::Number(v)) if !v.is_finite() => String::new(),
        Some(CellValue::Number(v)) => match column.unit {
            Some(ValueUnit::Money { .. }) => match format!("{v:.2}") {
                s if s == "-0.00" => "0.00".to_owned(),
                s => s,
            },
            _ => v.to_string(),
        },
        Some(CellValue::Text(s)) if s.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{s}"),
        Some(CellValue::Text(s)) => s.clone(),
    }
}

/// The table as an XLSX workbook of one sheet named after its title: the rows as given (a
/// page stays a page), a bold frozen header row, money as numbers formatted `[$EUR] #,##0.00`,
/// percent as the fraction formatted `0.0%`, text as text (never a formula), fitted widths.
pub fn table_xlsx(table: &TableData) -> Result<Vec<u8>, ReportError> {
    let mut workbook = Workbook::new();
    let name = sheet_names([table.title.as_str()]).pop().unwrap_or_default();
    let sheet = workbook.add_worksheet();
    sheet.set_name(name)?;
    write_table(sheet, table)?;
    Ok(workbook.save_to_buffer()?)
}

/// A dashboard as one XLSX workbook: a sheet per [`WorkbookSheet`] (names made valid and
/// unique by [`sheet_names`]) with its table from A1 and its chart beside it. Line charts
/// become Excel line charts and stacked bars stacked column charts, their series referencing
/// the sheet's cells (the table's own columns when the table is the chart's data, otherwise a
/// data block written right of the table); a heatmap becomes a colour scale on the table.
pub fn workbook_xlsx(sheets: &[WorkbookSheet]) -> Result<Vec<u8>, ReportError> {
    let mut workbook = Workbook::new();
    let names = sheet_names(sheets.iter().map(|s| s.name.as_str()));
    for (sheet, name) in sheets.iter().zip(&names) {
        let ws = workbook.add_worksheet();
        ws.set_name(name)?;
        write_table(ws, &sheet.table)?;
        match &sheet.chart {
            Some(chart) if chart.kind == ChartKind::Heatmap => color_scale(ws, &sheet.table, chart)?,
            Some(chart) if chart.has_data() => native_chart(ws, name, &sheet.table, chart)?,
            _ => {}
        }
    }
    Ok(workbook.save_to_buffer()?)
}

/// Excel's rules for sheet names applied to `names`: at most 31 characters, none of
/// `[ ] : * ? / \`, not starting or ending with `'`, not empty (`Sheet{n}`), not `History`,
/// unique ignoring case (`Name (2)`).
pub fn sheet_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    const MAX: usize = 31;
    let clip = |s: &str, max: usize| -> String {
        let s: String = s.chars().take(max).collect();
        s.trim_matches(|c: char| c == '\'' || c.is_whitespace()).to_owned()
    };
    let mut taken: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for (i, name) in names.into_iter().enumerate() {
        let cleaned: String =
            name.chars().map(|c| if "[]:*?/\\".contains(c) || c.is_control() { '_' } else { c }).collect();
        let mut base = clip(&cleaned, MAX);
        if base.is_empty() {
            base = format!("Sheet{}", i + 1);
        }
        if base.eq_ignore_ascii_case("history") {
            base.push('_');
        }
        let mut candidate = base.clone();
        let mut k = 2;
        while taken.contains(&candidate.to_lowercase()) {
            let suffix = format!(" ({k})");
            candidate = format!("{}{suffix}", clip(&base, MAX - suffix.len()));
            k += 1;
        }
        taken.push(candidate.to_lowercase());
        out.push(candidate);
    }
    out
}

fn row_num(i: usize) -> Result<RowNum, XlsxError> {
    RowNum::try_from(i).map_err(|_| XlsxError::RowColumnLimitError)
}

fn col_num(i: usize) -> Result<ColNum, XlsxError> {
    ColNum::try_from(i).map_err(|_| XlsxError::RowColumnLimitError)
}

fn unit_format(unit: &ValueUnit) -> Format {
    Format::new().set_num_format(excel_format(unit))
}

fn header_format() -> Format {
    Format::new().set_bold().set_border_bottom(FormatBorder::Thin)
}

/// Writes a header row of labels and the rows below it, numbers formatted by their
/// column's unit; freezes the header and fits the column widths.
fn write_table(ws: &mut Worksheet, table: &TableData) -> Result<(), XlsxError> {
    let header = header_format();
    let formats: Vec<Option<Format>> = table.columns.iter().map(|c| c.unit.as_ref().map(unit_format)).collect();
    for (c, column) in table.columns.iter().enumerate() {
        ws.write_string_with_format(0, col_num(c)?, &column.label, &header)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        let r = row_num(r + 1)?;
        for (c, (cell, format)) in row.iter().zip(&formats).enumerate() {
            let c = col_num(c)?;
            match (cell, format) {
                (CellValue::Null, _) => {}
                (CellValue::Bool(b), _) => {
                    ws.write_boolean(r, c, *b)?;
                }
                (CellValue::Number(v), _) if !v.is_finite() => {}
                (CellValue::Number(v), Some(format)) => {
                    ws.write_number_with_format(r, c, *v, format)?;
                }
                (CellValue::Number(v), None) => {
                    ws.write_number(r, c, *v)?;
                }
                (CellValue::Text(s), _) => {
                    ws.write_string(r, c, s)?;
                }
            }
        }
    }
    ws.set_freeze_panes(1, 0)?;
    ws.set_autofit_max_width(400).autofit();
    Ok(())
}

/// Where a chart's data is on the sheet: the category column and one column per series,
/// rows 1..=n below a header row.
struct ChartCells {
    categories: ColNum,
    series: Vec<ColNum>,
    rows: usize,
}

/// The table's own cells, when its first column is the chart's x labels in order and it has
/// a column keyed like each series.
fn cells_in_table(table: &TableData, chart: &ChartSpec) -> Option<ChartCells> {
    let labels_match = table.rows.len() == chart.x_labels.len()
        && table
            .rows
            .iter()
            .zip(&chart.x_labels)
            .all(|(row, label)| matches!(row.first(), Some(CellValue::Text(t)) if t == label));
    if !labels_match || chart.x_labels.is_empty() {
        return None;
    }
    let series = chart
        .series
        .iter()
        .map(|s| table.columns.iter().position(|c| c.key == s.key).and_then(|i| ColNum::try_from(i).ok()))
        .collect::<Option<Vec<_>>>()?;
    Some(ChartCells { categories: 0, series, rows: chart.x_labels.len() })
}

/// Writes the chart's values as a block starting at column `first`: x labels, then a column
/// per series, under a header row of series names.
fn write_chart_block(ws: &mut Worksheet, first: ColNum, chart: &ChartSpec) -> Result<ChartCells, XlsxError> {
    let header = header_format();
    let format = unit_format(&chart.unit);
    ws.write_string_with_format(0, first, &chart.title, &header)?;
    for (r, label) in chart.x_labels.iter().enumerate() {
        ws.write_string(row_num(r + 1)?, first, label)?;
    }
    let mut series = Vec::new();
    for (i, s) in chart.series.iter().enumerate() {
        let c = first + col_num(i + 1)?;
        ws.write_string_with_format(0, c, &s.name, &header)?;
        for (r, v) in s.values.iter().enumerate() {
            if let Some(v) = v.filter(|v| v.is_finite()) {
                ws.write_number_with_format(row_num(r + 1)?, c, v, &format)?;
            }
        }
        series.push(c);
    }
    let rows = chart.series.iter().map(|s| s.values.len()).chain([chart.x_labels.len()]).max().unwrap_or(0);
    ws.set_autofit_max_width(400).autofit();
    Ok(ChartCells { categories: first, series, rows })
}

/// A native Excel line or stacked column chart right of the table.
fn native_chart(ws: &mut Worksheet, sheet: &str, table: &TableData, chart: &ChartSpec) -> Result<(), XlsxError> {
    let after_table = col_num(table.columns.len() + 1)?;
    let cells = match cells_in_table(table, chart) {
        Some(cells) => cells,
        None => write_chart_block(ws, after_table, chart)?,
    };
    let place = cells.series.iter().chain([&cells.categories]).max().map_or(after_table, |c| c + 2).max(after_table);
    let line = chart.kind == ChartKind::Line;
    let mut xc = Chart::new(if line { ChartType::Line } else { ChartType::ColumnStacked });
    xc.title().set_name(chart.title.as_str());
    xc.y_axis().set_num_format(excel_format(&chart.unit));
    let last = row_num(cells.rows.max(1))?;
    for (i, &col) in cells.series.iter().enumerate() {
        let (r, g, b) = series_rgb(i);
        let color = Color::RGB(u32::from(r) << 16 | u32::from(g) << 8 | u32::from(b));
        let mut format = ChartFormat::new();
        if line {
            format.set_line(ChartLine::new().set_color(color).set_width(2.25));
        } else {
            format.set_solid_fill(ChartSolidFill::new().set_color(color));
        }
        xc.add_series()
            .set_name((sheet, 0, col))
            .set_categories((sheet, 1, cells.categories, last, cells.categories))
            .set_values((sheet, 1, col, last, col))
            .set_format(&mut format);
    }
    xc.set_width(720).set_height(360);
    ws.insert_chart(1, place, &xc)?;
    Ok(())
}

/// A heatmap as a colour scale over the table's columns of the chart's unit (all numeric
/// columns when none has it), light for the lowest value to blue for the highest.
fn color_scale(ws: &mut Worksheet, table: &TableData, chart: &ChartSpec) -> Result<(), XlsxError> {
    let same_unit: Vec<usize> =
        (0..table.columns.len()).filter(|&i| table.columns[i].unit.as_ref() == Some(&chart.unit)).collect();
    let cols = if same_unit.is_empty() {
        (0..table.columns.len()).filter(|&i| table.columns[i].unit.is_some()).collect()
    } else {
        same_unit
    };
    if cols.is_empty() || table.rows.is_empty() {
        return Ok(());
    }
    let last_row = row_num(table.rows.len())?;
    // Contiguous runs of columns, one colour scale shared by all of them.
    let mut runs: Vec<(ColNum, ColNum)> = Vec::new();
    for c in cols {
        let c = col_num(c)?;
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == c => *end = c,
            _ => runs.push((c, c)),
        }
    }
    let ranges: Vec<String> = runs.iter().map(|&(a, b)| cell_range(1, a, last_row, b)).collect();
    let scale = ConditionalFormat2ColorScale::new()
        .set_minimum_color(Color::RGB(0xF7FBFF))
        .set_maximum_color(Color::RGB(0x6BAED6))
        .set_multi_range(ranges.join(" "));
    let (a, b) = runs[0];
    ws.add_conditional_format(1, a, last_row, b, &scale)?;
    Ok(())
}
