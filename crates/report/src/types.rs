//! The values the engine hands to the UI and to the exports: chart series and table pages.
//!
//! These types are a contract with the UI (TypeScript bindings come from the `ts_rs::TS`
//! derives) and the engine: names and fields change only together with them.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One chart as the UI draws it (ECharts) and the exports render it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct ChartSpec {
    /// `"mrr"`, `"movements"`, `"arr_composition"`, `"cohorts"`, `"scenarios"` …
    pub id: String,
    pub title: String,
    pub kind: ChartKind,
    /// Months (`"2025-01"`) or cohort offsets (`"0"`, `"1"`, …).
    pub x_labels: Vec<String>,
    /// Heatmap rows (cohort names); empty for line and bar charts.
    pub y_labels: Vec<String>,
    /// Line/bar: one per series, values aligned with `x_labels`. Heatmap: one per row
    /// (same order as `y_labels`), values per x label.
    pub series: Vec<Series>,
    pub unit: ValueUnit,
    /// The metric's definition, shown as a tooltip.
    pub definition: String,
}

impl ChartSpec {
    /// True when at least one series holds one finite value: otherwise a "No data" chart.
    pub fn has_data(&self) -> bool {
        self.series.iter().flat_map(|s| s.values.iter().flatten()).any(|v| v.is_finite())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    Line,
    /// Positive values stack upwards, negative ones downwards (contraction, churn).
    StackedBar,
    Heatmap,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct Series {
    pub key: String,
    pub name: String,
    /// `None` is no value: a gap in a line, nothing in a bar or heatmap cell.
    pub values: Vec<Option<f64>>,
}

/// What a number means. `Percent` values are fractions (0.953 is 95.3 %).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ValueUnit {
    Money { currency: Option<String> },
    Percent,
    Count,
    Ratio,
}

/// A table, or one page of a longer one (`total_rows` counts all its rows).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct TableData {
    pub id: String,
    pub title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<CellValue>>,
    pub total_rows: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct Column {
    pub key: String,
    pub label: String,
    /// `None` is a text column.
    pub unit: Option<ValueUnit>,
}

/// One cell; in JSON `null`, `true`, `1.5` or `"x"`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(untagged)]
pub enum CellValue {
    Null,
    Bool(bool),
    Number(f64),
    Text(String),
}

/// The size of a rendered chart in pixels; 1200 × 600 by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ChartSize {
    pub width: u32,
    pub height: u32,
}

impl Default for ChartSize {
    fn default() -> Self {
        Self { width: 1200, height: 600 }
    }
}

/// One worksheet of a dashboard workbook: a table and, where there is one, its chart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct WorkbookSheet {
    pub name: String,
    pub table: TableData,
    pub chart: Option<ChartSpec>,
}
