//! Exports: a chart as PNG or SVG, a table as CSV or XLSX, a dashboard as one XLSX
//! workbook. Each renders the same series and rows the screen shows, recomputed by the
//! engine, never sent back by the UI.

use std::fs;
use std::path::Path;

use base64::Engine as _;
use revlens_report::{CellValue, ChartSize, ChartSpec, TableData, ValueUnit, WorkbookSheet};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::analysis::{Basis, ChurnArgs, CohortGrouping, CohortsArgs};
use crate::dashboards::Dashboard;
use crate::revenue::{column, DrillDownArgs, Filters, RevenueArgs, RevenueDashboard};
use crate::{ApiError, ApiResult, App, ErrorCode};

/// A finished export: the UI saves it (a download in a browser, a save dialog in the app).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct ExportFile {
    pub file_name: String,
    pub mime: String,
    pub base64: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ChartFormat {
    Png,
    Svg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TableFormat {
    Csv,
    Xlsx,
}

#[derive(Debug, Deserialize, TS)]
pub struct ExportChartArgs {
    pub workspace: String,
    #[serde(default)]
    pub filters: Filters,
    /// "mrr", "movements", "arr_composition" or "cohorts".
    pub chart: String,
    pub format: ChartFormat,
    /// Cohort options, for the cohorts chart.
    #[serde(default)]
    pub basis: Basis,
    #[serde(default)]
    pub by: CohortGrouping,
}

#[derive(Debug, Deserialize, TS)]
pub struct ExportTableArgs {
    pub workspace: String,
    #[serde(default)]
    pub filters: Filters,
    /// "top_customers", "mrr", "churn", "cohorts" or "drill_down" (with chart, month and series).
    pub table: String,
    pub format: TableFormat,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub chart: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub month: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub series: Option<String>,
}

#[derive(Debug, Deserialize, TS)]
pub struct ExportDashboardArgs {
    pub workspace: String,
    pub dashboard: Dashboard,
}

fn revenue(app: &App, workspace: &str, filters: &Filters) -> ApiResult<RevenueDashboard> {
    let dashboard =
        crate::revenue::dashboard(app, RevenueArgs { workspace: workspace.into(), filters: filters.clone() })?;
    match &dashboard.empty_reason {
        Some(reason) => Err(ApiError::new(ErrorCode::Metrics, reason.clone())),
        None => Ok(dashboard),
    }
}

fn find_chart(
    app: &App,
    workspace: &str,
    filters: &Filters,
    id: &str,
    basis: Basis,
    by: CohortGrouping,
) -> ApiResult<ChartSpec> {
    if id == "cohorts" {
        let args = CohortsArgs { workspace: workspace.into(), filters: filters.clone(), basis, by };
        return crate::analysis::cohorts(app, args);
    }
    let id = if id == "mrr_chart" { "mrr" } else { id };
    revenue(app, workspace, filters)?
        .charts
        .into_iter()
        .find(|chart| chart.id == id)
        .ok_or_else(|| ApiError::invalid_args(format!("no chart '{id}': mrr, movements, arr_composition or cohorts")))
}

fn file(name: &str, extension: &str, mime: &str, bytes: &[u8]) -> ExportFile {
    let stem: String = name.chars().map(|c| if c.is_alphanumeric() || c == '-' { c } else { '_' }).collect();
    ExportFile {
        file_name: format!("{stem}.{extension}"),
        mime: mime.into(),
        base64: base64::engine::general_purpose::STANDARD.encode(bytes),
    }
}

const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub(crate) fn chart(app: &App, args: ExportChartArgs) -> ApiResult<ExportFile> {
    let chart = find_chart(app, &args.workspace, &args.filters, &args.chart, args.basis, args.by)?;
    let size = ChartSize::default();
    Ok(match args.format {
        ChartFormat::Png => file(&chart.id, "png", "image/png", &revlens_report::chart_png(&chart, size)?),
        ChartFormat::Svg => {
            file(&chart.id, "svg", "image/svg+xml", revlens_report::chart_svg(&chart, size)?.as_bytes())
        }
    })
}

fn find_table(app: &App, args: &ExportTableArgs) -> ApiResult<TableData> {
    let (workspace, filters) = (args.workspace.clone(), args.filters.clone());
    match args.table.as_str() {
        "top_customers" => Ok(revenue(app, &workspace, &filters)?.top_customers),
        "churn" => {
            let args = ChurnArgs { workspace, filters, source: None, offset: 0, limit: u64::MAX };
            Ok(crate::analysis::churn(app, args)?.table)
        }
        "mrr" | "movements" | "arr_composition" | "cohorts" => Ok(chart_table(&find_chart(
            app,
            &workspace,
            &filters,
            &args.table,
            Basis::Logo,
            CohortGrouping::FirstPaid,
        )?)),
        "drill_down" => {
            let (Some(chart), Some(month)) = (args.chart.clone(), args.month.clone()) else {
                return Err(ApiError::invalid_args("a drill-down export needs its chart and month"));
            };
            crate::revenue::drill_down(
                app,
                DrillDownArgs { workspace, filters, chart, month, series: args.series.clone() },
            )
        }
        other => Err(ApiError::invalid_args(format!("no table '{other}'"))),
    }
}

pub(crate) fn table(app: &App, args: ExportTableArgs) -> ApiResult<ExportFile> {
    let table = find_table(app, &args)?;
    Ok(match args.format {
        TableFormat::Csv => file(&table.id, "csv", "text/csv", revlens_report::table_csv(&table).as_bytes()),
        TableFormat::Xlsx => file(&table.id, "xlsx", XLSX_MIME, &revlens_report::table_xlsx(&table)?),
    })
}

/// A chart's series as a table: a row per x label, a column per series (heatmaps: a row
/// per y label).
pub(crate) fn chart_table(chart: &ChartSpec) -> TableData {
    let heatmap = !chart.y_labels.is_empty();
    let (first, labels) = if heatmap { ("Cohort", &chart.y_labels) } else { ("Month", &chart.x_labels) };
    let mut columns = vec![column("label", first, None)];
    let rows = if heatmap {
        columns.extend(chart.x_labels.iter().map(|x| column(x, x, Some(chart.unit.clone()))));
        chart
            .series
            .iter()
            .zip(labels)
            .map(|(series, label)| {
                std::iter::once(CellValue::Text(label.clone()))
                    .chain(series.values.iter().map(|v| v.map_or(CellValue::Null, CellValue::Number)))
                    .collect()
            })
            .collect()
    } else {
        columns.extend(chart.series.iter().map(|s| column(&s.key, &s.name, Some(chart.unit.clone()))));
        labels
            .iter()
            .enumerate()
            .map(|(i, label)| {
                std::iter::once(CellValue::Text(label.clone()))
                    .chain(
                        chart
                            .series
                            .iter()
                            .map(|s| s.values.get(i).copied().flatten().map_or(CellValue::Null, CellValue::Number)),
                    )
                    .collect()
            })
            .collect::<Vec<Vec<CellValue>>>()
    };
    TableData { id: chart.id.clone(), title: chart.title.clone(), columns, total_rows: rows.len() as u64, rows }
}

/// One workbook: a sheet of the dashboard's KPI tiles, then a sheet per chart or table,
/// with a native Excel chart where one fits.
pub(crate) fn dashboard(app: &App, args: ExportDashboardArgs) -> ApiResult<ExportFile> {
    let filters = &args.dashboard.filters;
    let revenue = revenue(app, &args.workspace, filters)?;
    let mut sheets = Vec::new();
    let tiles: Vec<_> = revenue.tiles.iter().filter(|t| args.dashboard.tiles.contains(&t.id)).collect();
    if !tiles.is_empty() {
        let unit_text = |unit: &ValueUnit| match unit {
            ValueUnit::Money { currency } => currency.clone().unwrap_or_else(|| "money".into()),
            ValueUnit::Percent => "fraction".into(),
            ValueUnit::Count => "count".into(),
            ValueUnit::Ratio => "ratio".into(),
        };
        let number = |v: Option<f64>| v.map_or(CellValue::Null, CellValue::Number);
        let rows: Vec<Vec<CellValue>> = tiles
            .iter()
            .map(|t| {
                vec![
                    CellValue::Text(t.label.clone()),
                    number(t.value),
                    number(t.previous),
                    number(t.change),
                    CellValue::Text(unit_text(&t.unit)),
                    CellValue::Text(t.definition.clone()),
                ]
            })
            .collect();
        let table = TableData {
            id: "kpis".into(),
            title: format!("KPIs, {}", revenue.as_of),
            columns: vec![
                column("kpi", "KPI", None),
                column("value", &revenue.as_of, None),
                column("previous", "Month before", None),
                column("change", "Change", Some(ValueUnit::Percent)),
                column("unit", "Unit", None),
                column("definition", "Definition", None),
            ],
            total_rows: rows.len() as u64,
            rows,
        };
        sheets.push(WorkbookSheet { name: "KPIs".into(), table, chart: None });
    }
    for id in &args.dashboard.tiles {
        match id.as_str() {
            "top_customers" => sheets.push(WorkbookSheet {
                name: "Top customers".into(),
                table: revenue.top_customers.clone(),
                chart: None,
            }),
            "mrr_chart" | "movements" | "arr_composition" | "cohorts" => {
                let chart = match revenue.charts.iter().find(|c| c.id == id.trim_end_matches("_chart")) {
                    Some(chart) => chart.clone(),
                    None => find_chart(app, &args.workspace, filters, id, Basis::Logo, CohortGrouping::FirstPaid)?,
                };
                sheets.push(WorkbookSheet {
                    name: chart.title.clone(),
                    table: chart_table(&chart),
                    chart: Some(chart),
                });
            }
            _ => {}
        }
    }
    if sheets.is_empty() {
        return Err(ApiError::invalid_args("the dashboard shows nothing to export"));
    }
    Ok(file(&args.dashboard.name, "xlsx", XLSX_MIME, &revlens_report::workbook_xlsx(&sheets)?))
}

/// Writes a finished export where the user chose (the desktop app's save dialog).
pub fn write_export(path: &Path, file: &ExportFile) -> ApiResult<()> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&file.base64)
        .map_err(|e| ApiError::invalid_args(format!("the export is not valid base64: {e}")))?;
    fs::write(path, bytes).map_err(|e| ApiError::new(ErrorCode::Internal, format!("{}: {e}", path.display())))
}
