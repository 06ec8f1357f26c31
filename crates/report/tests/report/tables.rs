use std::io::{Cursor, Read};

use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use revlens_report::{
    sheet_names, table_csv, table_xlsx, workbook_xlsx, CellValue, TableData, ValueUnit, WorkbookSheet,
};

use crate::{cohorts_chart, column, eur, movements_chart, mrr_chart, mrr_table, num, text};

fn table(columns: Vec<revlens_report::Column>, rows: Vec<Vec<CellValue>>) -> TableData {
    TableData { id: "t".into(), title: "Customers".into(), columns, total_rows: rows.len() as u64, rows }
}

/// Splits CSV text into records with the csv crate (RFC 4180 quoting undone).
fn records(csv_text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv_text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

#[test]
fn csv_escapes_formulas_but_never_numbers() {
    let t = table(
        vec![column("name", "Name", None), column("delta", "Delta", Some(ValueUnit::Count))],
        vec![
            vec![text("=SUM(A1)"), num(-12.5)],
            vec![text("+1"), num(3.0)],
            vec![text("-x"), CellValue::Null],
            vec![text("@x"), CellValue::Bool(true)],
            vec![text("\tx"), num(0.25)],
            vec![text("\rx"), num(1e6)],
            vec![text("a-b = c"), num(-0.5)],
        ],
    );
    let rows = records(&table_csv(&t));
    let names: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, ["Name", "'=SUM(A1)", "'+1", "'-x", "'@x", "'\tx", "'\rx", "a-b = c"]);
    let values: Vec<&str> = rows.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(values, ["Delta", "-12.5", "3", "", "true", "0.25", "1000000", "-0.5"]);
}

#[test]
fn csv_quotes_per_rfc_4180_and_writes_money_with_two_decimals() {
    let t = table(
        vec![
            column("name", "Name, full", None),
            column("mrr", "MRR", Some(eur())),
            column("churn", "Churn", Some(ValueUnit::Percent)),
        ],
        vec![
            vec![text("Acme \"Big\" Co"), num(1234.5), num(0.953)],
            vec![text("Two\nlines"), num(-0.004), num(0.0)],
            vec![text("Short")], // a row shorter than the header
        ],
    );
    let out = table_csv(&t);
    assert!(out.starts_with("\"Name, full\",MRR,Churn\r\n"), "{out:?}");
    assert!(out.contains("\"Acme \"\"Big\"\" Co\",1234.50,0.953\r\n"), "{out:?}");
    assert!(out.contains("\"Two\nlines\",0.00,0\r\n"), "{out:?}");
    assert!(out.ends_with("Short,,\r\n"), "{out:?}");
    assert_eq!(records(&out).len(), 4);
}

fn read_sheet(bytes: &[u8], name: &str) -> Vec<Vec<Data>> {
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    book.worksheet_range(name).unwrap().rows().map(<[Data]>::to_vec).collect()
}

fn expected(cell: &CellValue) -> Data {
    match cell {
        CellValue::Null => Data::Empty,
        CellValue::Bool(b) => Data::Bool(*b),
        CellValue::Number(v) => Data::Float(*v),
        CellValue::Text(s) => Data::String(s.clone()),
    }
}

#[test]
fn xlsx_holds_the_table_values() {
    let t = table(
        vec![
            column("id", "Customer", None),
            column("mrr", "MRR", Some(eur())),
            column("nrr", "NRR", Some(ValueUnit::Percent)),
            column("active", "Active", None),
        ],
        vec![
            vec![text("=cmd|' /C calc'!A0"), num(1234.5), num(0.953), CellValue::Bool(true)],
            vec![text("c2"), num(-10.0), CellValue::Null, CellValue::Bool(false)],
        ],
    );
    let bytes = table_xlsx(&t).unwrap();
    let book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.clone())).unwrap();
    assert_eq!(book.sheet_names(), ["Customers"]);
    let rows = read_sheet(&bytes, "Customers");
    let header: Vec<Data> = t.columns.iter().map(|c| Data::String(c.label.clone())).collect();
    assert_eq!(rows[0], header);
    for (got, want) in rows[1..].iter().zip(&t.rows) {
        assert_eq!(got, &want.iter().map(expected).collect::<Vec<_>>());
    }
    assert_eq!(rows.len(), 3);
    let styles = unzip(&bytes, "xl/styles.xml").unwrap();
    assert!(styles.contains("[$EUR] #,##0.00") && styles.contains("0.0%"), "number formats");
    let sheet = unzip(&bytes, "xl/worksheets/sheet1.xml").unwrap();
    assert!(sheet.contains("state=\"frozen\""), "the header row is frozen");
}

fn unzip(bytes: &[u8], name: &str) -> Option<String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut file = archive.by_name(name).ok()?;
    let mut text = String::new();
    file.read_to_string(&mut text).unwrap();
    Some(text)
}

#[test]
fn sheet_names_follow_excel_rules() {
    let names = sheet_names([
        "MRR",
        "mrr",
        "Cohorts [logo]: a/b\\c*d?",
        "",
        "A very long sheet name that goes past thirty-one chars",
        "A very long sheet name that goes past thirty-one chars",
        "'quoted'",
        "History",
    ]);
    assert_eq!(names[0], "MRR");
    assert_eq!(names[1], "mrr (2)");
    assert_eq!(names[2], "Cohorts _logo__ a_b_c_d_");
    assert_eq!(names[3], "Sheet4");
    assert_eq!(names[4], "A very long sheet name that goe");
    assert_eq!(names[5], "A very long sheet name that (2)");
    assert_eq!(names[6], "quoted");
    assert_eq!(names[7], "History_");
    for n in &names {
        assert!(n.chars().count() <= 31 && !n.contains(['[', ']', ':', '*', '?', '/', '\\']), "{n}");
    }
}

#[test]
fn workbook_has_a_sheet_per_table_with_native_charts() {
    let mrr = WorkbookSheet { name: "MRR".into(), table: mrr_table(), chart: Some(mrr_chart()) };
    // The movements table is not the chart's data: the chart gets a data block of its own.
    let movements = WorkbookSheet {
        name: "mrr".into(),
        table: table(vec![column("note", "Note", None)], vec![vec![text("see chart")]]),
        chart: Some(movements_chart()),
    };
    let cohorts =
        WorkbookSheet { name: "Cohorts: logo/revenue".into(), table: cohorts_table(), chart: Some(cohorts_chart()) };
    let bytes = workbook_xlsx(&[mrr.clone(), movements, cohorts]).unwrap();
    let book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.clone())).unwrap();
    assert_eq!(book.sheet_names(), ["MRR", "mrr (2)", "Cohorts_ logo_revenue"]);

    let rows = read_sheet(&bytes, "MRR");
    for (got, want) in rows[1..].iter().zip(&mrr.table.rows) {
        assert_eq!(got[..3], want.iter().map(expected).collect::<Vec<_>>());
    }
    let line = unzip(&bytes, "xl/charts/chart1.xml").expect("a chart for the MRR sheet");
    assert!(line.contains("<c:lineChart>"));
    assert!(line.contains("MRR!$B$2:$B$13"), "the series references the table's own cells");
    let bars = unzip(&bytes, "xl/charts/chart2.xml").expect("a chart for the movements sheet");
    assert!(bars.contains("<c:barChart>") && bars.contains("<c:grouping val=\"stacked\"/>"));
    assert!(bars.contains("'mrr (2)'!$C$2:$C$5"), "the series references its data block");
    let block = read_sheet(&bytes, "mrr (2)");
    assert_eq!(block[0][2], Data::String("MRR movements".into()));
    assert_eq!(block[1][5], Data::Float(-700.0));
    assert!(unzip(&bytes, "xl/charts/chart3.xml").is_none(), "a heatmap is no chart");
    let heat = unzip(&bytes, "xl/worksheets/sheet3.xml").unwrap();
    assert!(heat.contains("<colorScale>") && heat.contains("sqref=\"C2:F5\""), "a colour scale on the retention cells");
}

#[test]
fn heatmap_only_workbook_has_no_chart_part() {
    let sheet = WorkbookSheet { name: "Cohorts".into(), table: cohorts_table(), chart: Some(cohorts_chart()) };
    let bytes = workbook_xlsx(&[sheet]).unwrap();
    assert!(unzip(&bytes, "xl/worksheets/sheet1.xml").unwrap().contains("<colorScale>"));
    assert!(unzip(&bytes, "xl/charts/chart1.xml").is_none());
}

/// The table behind [`cohorts_chart`]: cohort, size, m0..m3.
fn cohorts_table() -> TableData {
    let chart = cohorts_chart();
    let mut columns = vec![column("cohort", "Cohort", None), column("size", "Size", Some(ValueUnit::Count))];
    columns.extend((0..4).map(|m| column(&format!("m{m}"), &format!("M{m}"), Some(ValueUnit::Percent))));
    let rows = chart
        .series
        .iter()
        .map(|s| {
            let mut row = vec![text(&s.name), num(40.0)];
            row.extend(s.values.iter().map(|v| v.map_or(CellValue::Null, CellValue::Number)));
            row
        })
        .collect();
    table(columns, rows)
}
