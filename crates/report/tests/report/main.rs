//! The exports end to end: charts decoded back from PNG and read as SVG, tables read back
//! from CSV text and from XLSX with calamine, the contract types through JSON.

#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

mod charts;
mod json;
mod tables;

use revlens_report::{CellValue, ChartKind, ChartSpec, Column, Series, TableData, ValueUnit};

pub fn eur() -> ValueUnit {
    ValueUnit::Money { currency: Some("EUR".into()) }
}

pub fn months(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{}-{:02}", 2025 + i / 12, i % 12 + 1)).collect()
}

pub fn series(key: &str, name: &str, values: &[Option<f64>]) -> Series {
    Series { key: key.into(), name: name.into(), values: values.to_vec() }
}

/// MRR over 12 months with a gap, and a second line.
pub fn mrr_chart() -> ChartSpec {
    let mrr: Vec<Option<f64>> =
        (0..12).map(|i| if i == 5 { None } else { Some(10_000.0 + 1_500.0 * i as f64) }).collect();
    let target: Vec<Option<f64>> = (0..12).map(|i| Some(12_000.0 + 1_000.0 * i as f64)).collect();
    ChartSpec {
        id: "mrr".into(),
        title: "Monthly recurring revenue".into(),
        kind: ChartKind::Line,
        x_labels: months(12),
        y_labels: vec![],
        series: vec![series("mrr", "MRR", &mrr), series("target", "Target", &target)],
        unit: eur(),
        definition: "Sum of the monthly normalised subscription amounts.".into(),
    }
}

/// Movements: new and expansion up, contraction and churn down.
pub fn movements_chart() -> ChartSpec {
    ChartSpec {
        id: "movements".into(),
        title: "MRR movements".into(),
        kind: ChartKind::StackedBar,
        x_labels: months(4),
        y_labels: vec![],
        series: vec![
            series("new", "New", &[Some(5000.0), Some(4000.0), Some(6000.0), Some(3000.0)]),
            series("expansion", "Expansion", &[Some(1000.0), Some(500.0), None, Some(800.0)]),
            series("contraction", "Contraction", &[Some(-700.0), Some(-300.0), Some(-900.0), Some(-100.0)]),
            series("churn", "Churn", &[Some(-2000.0), Some(-2500.0), Some(-1000.0), Some(-1500.0)]),
        ],
        unit: eur(),
        definition: "Changes of MRR by kind.".into(),
    }
}

/// Logo retention of four cohorts: a triangle.
pub fn cohorts_chart() -> ChartSpec {
    let rows = months(4);
    let series = rows
        .iter()
        .enumerate()
        .map(|(r, name)| {
            let values: Vec<Option<f64>> =
                (0..4).map(|c| (c < 4 - r).then_some(1.0 - 0.1 * c as f64 - 0.02 * r as f64)).collect();
            Series { key: name.clone(), name: name.clone(), values }
        })
        .collect();
    ChartSpec {
        id: "cohorts".into(),
        title: "Logo retention by cohort".into(),
        kind: ChartKind::Heatmap,
        x_labels: (0..4).map(|c| c.to_string()).collect(),
        y_labels: rows,
        series,
        unit: ValueUnit::Percent,
        definition: "Share of a cohort's customers still active N months later.".into(),
    }
}

pub fn column(key: &str, label: &str, unit: Option<ValueUnit>) -> Column {
    Column { key: key.into(), label: label.into(), unit }
}

pub fn num(v: f64) -> CellValue {
    CellValue::Number(v)
}

pub fn text(s: &str) -> CellValue {
    CellValue::Text(s.into())
}

/// The table behind [`mrr_chart`]: month, MRR, target.
pub fn mrr_table() -> TableData {
    let chart = mrr_chart();
    let rows: Vec<Vec<CellValue>> = chart
        .x_labels
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let cell = |s: &Series| s.values[i].map_or(CellValue::Null, CellValue::Number);
            vec![text(m), cell(&chart.series[0]), cell(&chart.series[1])]
        })
        .collect();
    TableData {
        id: "mrr".into(),
        title: "MRR".into(),
        columns: vec![
            column("month", "Month", None),
            column("mrr", "MRR", Some(eur())),
            column("target", "Target", Some(eur())),
        ],
        total_rows: rows.len() as u64,
        rows,
    }
}
