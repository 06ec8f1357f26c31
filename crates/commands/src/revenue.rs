//! The Revenue page: KPI tiles with their change against the month before, the MRR line,
//! movements, ARR composition and top customers, under filters; and the drill-down to
//! the customers behind a number.

use revlens_engine::metrics::{
    CustomerFilter, FilterOptions, KpiRow, MetricSettings, MetricsError, ModelView, MonthRange, MovementKind, MrrRow,
    YearMonth,
};
use revlens_model::{Money, MONEY_SCALE};
// A tile is what a shared dashboard's snapshot shows too: one type for both.
use revlens_report::{CellValue, ChartKind, ChartSpec, Column, Series, SnapshotTile as Tile, TableData, ValueUnit};
use revlens_service::WorkspaceModel;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{ApiError, ApiResult, App};

/// The filters of every dashboard. Months are `YYYY-MM`; null keeps everything.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct Filters {
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub segment: Option<String>,
    #[serde(default)]
    pub plan: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
}

#[derive(Debug, Deserialize, TS)]
pub struct RevenueArgs {
    pub workspace: String,
    #[serde(default)]
    pub filters: Filters,
}

#[derive(Debug, Serialize, TS)]
pub struct RevenueDashboard {
    pub currency: Option<String>,
    /// Every month of the data, for the date range pickers.
    pub months: Vec<String>,
    /// The month the tiles describe: the end of the range.
    pub as_of: String,
    pub tiles: Vec<Tile>,
    /// "mrr", "movements", "arr_composition".
    pub charts: Vec<ChartSpec>,
    pub top_customers: TableData,
    pub filter_options: FilterValues,
    /// Why the dashboard is empty, in words (no billing data, nothing matches the filters).
    pub empty_reason: Option<String>,
}

#[derive(Debug, Default, Serialize, TS)]
pub struct FilterValues {
    pub segment: Vec<String>,
    pub plan: Vec<String>,
    pub country: Vec<String>,
}

impl From<FilterOptions> for FilterValues {
    fn from(options: FilterOptions) -> Self {
        Self { segment: options.segment, plan: options.plan, country: options.country }
    }
}

#[derive(Debug, Deserialize, TS)]
pub struct DrillDownArgs {
    pub workspace: String,
    #[serde(default)]
    pub filters: Filters,
    /// The chart clicked: "mrr", "movements" or "arr_composition".
    pub chart: String,
    pub month: String,
    /// The series clicked (a movement: new, expansion …); null for the MRR line.
    #[serde(default)]
    pub series: Option<String>,
}

pub(crate) const TOP_CUSTOMERS: usize = 10;

/// Money as the screen shows it: currency units. Sums are done before, in integers.
pub(crate) fn money(value: Money) -> f64 {
    value.0 as f64 / MONEY_SCALE as f64
}

pub(crate) fn parse_month(text: &str) -> ApiResult<YearMonth> {
    text.parse().map_err(|_| ApiError::invalid_args(format!("'{text}' is not a month like 2025-01")))
}

impl Filters {
    pub(crate) fn customer_filter(&self) -> CustomerFilter {
        let keep = |value: &Option<String>| value.clone().filter(|v| !v.trim().is_empty());
        CustomerFilter { segment: keep(&self.segment), plan: keep(&self.plan), country: keep(&self.country) }
    }

    /// The settings of these filters on a model: the date range clamped to its data, so
    /// a filtered model with a shorter history still answers.
    pub(crate) fn settings(&self, data: MonthRange) -> ApiResult<MetricSettings> {
        let month = |text: &Option<String>| text.as_deref().filter(|t| !t.is_empty()).map(parse_month).transpose();
        let (from, to) = (month(&self.from)?, month(&self.to)?);
        let clamp = |m: YearMonth| m.clamp(data.first, data.last);
        let (from, to) = (from.map(clamp), to.map(clamp));
        if let (Some(from), Some(to)) = (from, to) {
            if from > to {
                return Err(ApiError::invalid_args(format!("the range starts ({from}) after it ends ({to})")));
            }
        }
        Ok(MetricSettings { from, to, ..MetricSettings::default() })
    }
}

impl App {
    /// The workspace's model under the filters, and the settings of their date range;
    /// `None` when the workspace has no billing data yet.
    pub(crate) fn model(
        &self,
        workspace: &str,
        filters: &Filters,
    ) -> ApiResult<Option<(WorkspaceModel, MetricSettings)>> {
        let workspace = self.workspace(workspace)?;
        let found = match self.service().workspace_model(&workspace, &filters.customer_filter()) {
            Ok(found) => found,
            Err(revlens_service::ServiceError::Metrics(MetricsError::NoData))
                if !filters.customer_filter().is_empty() =>
            {
                return Err(ApiError::new(crate::ErrorCode::Metrics, "no customer matches these filters"));
            }
            Err(error) => return Err(error.into()),
        };
        let Some(found) = found else { return Ok(None) };
        let settings = filters.settings(found.model.data_range())?;
        Ok(Some((found, settings)))
    }
}

pub(crate) const NO_BILLING: &str =
    "No subscriptions or transactions yet: import a file on the Data page to see revenue.";

pub(crate) fn dashboard(app: &App, args: RevenueArgs) -> ApiResult<RevenueDashboard> {
    let workspace = app.workspace(&args.workspace)?;
    let filter_options = app.service().filter_options(&workspace)?.into();
    let Some((found, settings)) = app.model(&args.workspace, &args.filters)? else {
        return Ok(RevenueDashboard {
            currency: None,
            months: Vec::new(),
            as_of: String::new(),
            tiles: Vec::new(),
            charts: Vec::new(),
            top_customers: top_customers_table(&[], None),
            filter_options,
            empty_reason: Some(NO_BILLING.into()),
        });
    };
    let view = found.model.with_settings(&settings)?;
    let mrr = view.mrr_table()?;
    let kpis = view.kpis()?;
    let currency = mrr.currency.clone();
    let as_of = view.report_range()?.last;
    let top = view.top_customers(as_of, TOP_CUSTOMERS)?;
    Ok(RevenueDashboard {
        months: found.model.data_range().months().map(|m| m.to_string()).collect(),
        as_of: as_of.to_string(),
        tiles: tiles(&mrr.rows, &kpis.rows, currency.as_deref()),
        charts: vec![
            mrr_chart(&mrr.rows, currency.as_deref()),
            movements_chart(&mrr.rows, currency.as_deref(), false),
            movements_chart(&mrr.rows, currency.as_deref(), true),
        ],
        top_customers: top_customers_table(&top.customers, currency.as_deref()),
        currency,
        filter_options,
        empty_reason: None,
    })
}

fn money_unit(currency: Option<&str>) -> ValueUnit {
    ValueUnit::Money { currency: currency.map(str::to_string) }
}

/// The tiles, in the order the Revenue page shows them.
fn tiles(mrr: &[MrrRow], kpis: &[KpiRow], currency: Option<&str>) -> Vec<Tile> {
    let (now, before) = (mrr.last(), mrr.len().checked_sub(2).and_then(|i| mrr.get(i)));
    let (kpi_now, kpi_before) = (kpis.last(), kpis.len().checked_sub(2).and_then(|i| kpis.get(i)));
    let m = |row: Option<&MrrRow>, f: fn(&MrrRow) -> f64| row.map(f);
    let k = |row: Option<&KpiRow>, f: fn(&KpiRow) -> Option<f64>| row.and_then(f);
    let tile =
        |id: &str, label: &str, unit: ValueUnit, (value, previous): (Option<f64>, Option<f64>), definition: &str| {
            let change = match (value, previous) {
                (Some(value), Some(previous)) if previous != 0.0 => Some((value - previous) / previous.abs()),
                _ => None,
            };
            Tile { id: id.into(), label: label.into(), value, previous, change, unit, definition: definition.into() }
        };
    let money_tile = |id, label, f: fn(&MrrRow) -> f64, definition| {
        tile(id, label, money_unit(currency), (m(now, f), m(before, f)), definition)
    };
    vec![
        money_tile("mrr", "MRR", |r| money(r.mrr), DEFINITIONS.mrr),
        money_tile("arr", "ARR", |r| money(r.arr), DEFINITIONS.arr),
        tile(
            "active_customers",
            "Active customers",
            ValueUnit::Count,
            (m(now, |r| r.customers as f64), m(before, |r| r.customers as f64)),
            DEFINITIONS.active_customers,
        ),
        tile(
            "arpa",
            "ARPA",
            money_unit(currency),
            (k(kpi_now, |r| r.arpa.map(money)), k(kpi_before, |r| r.arpa.map(money))),
            DEFINITIONS.arpa,
        ),
        tile(
            "nrr",
            "NRR (12 months)",
            ValueUnit::Percent,
            (k(kpi_now, |r| r.nrr_12m), k(kpi_before, |r| r.nrr_12m)),
            DEFINITIONS.nrr,
        ),
        tile(
            "logo_churn",
            "Logo churn",
            ValueUnit::Percent,
            (k(kpi_now, |r| r.logo_churn_rate), k(kpi_before, |r| r.logo_churn_rate)),
            DEFINITIONS.logo_churn,
        ),
        tile(
            "quick_ratio",
            "Quick ratio",
            ValueUnit::Ratio,
            (k(kpi_now, |r| r.quick_ratio), k(kpi_before, |r| r.quick_ratio)),
            DEFINITIONS.quick_ratio,
        ),
        money_tile("new_mrr", "New MRR", |r| money(r.new), DEFINITIONS.new_mrr),
        tile(
            "new_logos",
            "New customers",
            ValueUnit::Count,
            (m(now, |r| r.new_customers as f64), m(before, |r| r.new_customers as f64)),
            DEFINITIONS.new_logos,
        ),
        tile(
            "arpa_new",
            "ARPA of new customers",
            money_unit(currency),
            (k(kpi_now, |r| r.arpa_new.map(money)), k(kpi_before, |r| r.arpa_new.map(money))),
            DEFINITIONS.arpa_new,
        ),
    ]
}

/// The definitions the tooltips show: DESIGN.md's metric contract in a sentence each.
pub(crate) struct Definitions {
    pub mrr: &'static str,
    pub arr: &'static str,
    pub active_customers: &'static str,
    pub arpa: &'static str,
    pub nrr: &'static str,
    pub logo_churn: &'static str,
    pub quick_ratio: &'static str,
    pub new_mrr: &'static str,
    pub new_logos: &'static str,
    pub arpa_new: &'static str,
    pub movements: &'static str,
    pub arr_composition: &'static str,
}

pub(crate) const DEFINITIONS: Definitions = Definitions {
    mrr: "Monthly recurring revenue: the recurring amounts active on the last day of the month, normalised to a \
          month (year ÷ 12, quarter ÷ 3, week × 52 ÷ 12), after discounts. One-off charges and refunds are not MRR.",
    arr: "Annual recurring revenue: 12 × MRR.",
    active_customers: "Customers with MRR above zero at the end of the month.",
    arpa: "Average revenue per account: MRR ÷ active customers.",
    nrr: "Net revenue retention over 12 months: today's MRR of the customers active 12 months ago ÷ their MRR then.",
    logo_churn: "Customers whose MRR fell to zero this month ÷ customers active at the end of the month before.",
    quick_ratio: "(new + expansion + reactivation MRR) ÷ (churned + contraction MRR).",
    new_mrr: "MRR of customers with their first MRR ever this month.",
    new_logos: "Customers with their first MRR ever this month.",
    arpa_new: "New MRR ÷ new customers of the month.",
    movements: "How MRR changed against the month before, per customer: new (first MRR ever), reactivation (MRR \
                again after a month at zero), expansion (up), contraction (down, still above zero), churn (to zero).",
    arr_composition: "The movements annualised (× 12): what added and removed ARR each month.",
};

fn mrr_chart(rows: &[MrrRow], currency: Option<&str>) -> ChartSpec {
    ChartSpec {
        id: "mrr".into(),
        title: "MRR".into(),
        kind: ChartKind::Line,
        x_labels: rows.iter().map(|r| r.month.to_string()).collect(),
        y_labels: Vec::new(),
        series: vec![Series {
            key: "mrr".into(),
            name: "MRR".into(),
            values: rows.iter().map(|r| Some(money(r.mrr))).collect(),
        }],
        unit: money_unit(currency),
        definition: DEFINITIONS.mrr.into(),
    }
}

/// The five movements as stacked bars, losses below zero; annualised for ARR composition.
fn movements_chart(rows: &[MrrRow], currency: Option<&str>, annual: bool) -> ChartSpec {
    let factor = if annual { 12.0 } else { 1.0 };
    let series = MOVEMENTS
        .iter()
        .map(|&(kind, name, sign)| Series {
            key: kind.as_str().into(),
            name: name.into(),
            // + 0.0: a loss of nothing is 0, not −0 (shown as "-0.00").
            values: rows.iter().map(|r| Some(sign * factor * money(movement(r, kind)) + 0.0)).collect(),
        })
        .collect();
    ChartSpec {
        id: if annual { "arr_composition" } else { "movements" }.into(),
        title: if annual { "ARR composition" } else { "MRR movements" }.into(),
        kind: ChartKind::StackedBar,
        x_labels: rows.iter().map(|r| r.month.to_string()).collect(),
        y_labels: Vec::new(),
        series,
        unit: money_unit(currency),
        definition: if annual { DEFINITIONS.arr_composition } else { DEFINITIONS.movements }.into(),
    }
}

const MOVEMENTS: [(MovementKind, &str, f64); 5] = [
    (MovementKind::New, "New", 1.0),
    (MovementKind::Reactivation, "Reactivation", 1.0),
    (MovementKind::Expansion, "Expansion", 1.0),
    (MovementKind::Contraction, "Contraction", -1.0),
    (MovementKind::Churn, "Churn", -1.0),
];

fn movement(row: &MrrRow, kind: MovementKind) -> Money {
    match kind {
        MovementKind::New => row.new,
        MovementKind::Reactivation => row.reactivation,
        MovementKind::Expansion => row.expansion,
        MovementKind::Contraction => row.contraction,
        MovementKind::Churn => row.churn,
    }
}

pub(crate) fn column(key: &str, label: &str, unit: Option<ValueUnit>) -> Column {
    Column { key: key.into(), label: label.into(), unit }
}

fn optional_text(value: Option<&str>) -> CellValue {
    value.map_or(CellValue::Null, |v| CellValue::Text(v.into()))
}

pub(crate) fn top_customers_table(rows: &[revlens_engine::metrics::TopCustomer], currency: Option<&str>) -> TableData {
    TableData {
        id: "top_customers".into(),
        title: "Top customers".into(),
        columns: vec![
            column("rank", "Rank", Some(ValueUnit::Count)),
            column("customer_id", "Customer", None),
            column("mrr", "MRR", Some(money_unit(currency))),
            column("arr", "ARR", Some(money_unit(currency))),
            column("share", "Share of MRR", Some(ValueUnit::Percent)),
            column("movement", "Movement", None),
            column("change", "Change", Some(money_unit(currency))),
        ],
        rows: rows
            .iter()
            .map(|c| {
                vec![
                    CellValue::Number(c.rank as f64),
                    CellValue::Text(c.customer_id.clone()),
                    CellValue::Number(money(c.mrr)),
                    CellValue::Number(money(c.arr)),
                    CellValue::Number(c.share),
                    optional_text(c.movement.map(MovementKind::as_str)),
                    CellValue::Number(money(c.change)),
                ]
            })
            .collect(),
        total_rows: rows.len() as u64,
    }
}

pub(crate) fn drill_down(app: &App, args: DrillDownArgs) -> ApiResult<TableData> {
    let kind = match (args.chart.as_str(), args.series.as_deref()) {
        ("mrr", _) => None,
        ("movements" | "arr_composition", Some(series)) => Some(movement_kind(series)?),
        (chart, _) => return Err(ApiError::invalid_args(format!("chart '{chart}' has no drill-down"))),
    };
    let month = parse_month(&args.month)?;
    let Some((found, settings)) = app.model(&args.workspace, &args.filters)? else {
        return Err(ApiError::new(crate::ErrorCode::Metrics, NO_BILLING));
    };
    let view: ModelView<'_> = found.model.with_settings(&settings)?;
    let rows = view.customers_behind(month, kind)?;
    let currency = found.model.reporting_currency().map(str::to_string);
    let unit = || Some(money_unit(currency.as_deref()));
    let title = match kind {
        Some(kind) => format!("{} in {month}", MOVEMENTS.iter().find(|m| m.0 == kind).map_or("", |m| m.1)),
        None => format!("Active customers at the end of {month}"),
    };
    Ok(TableData {
        id: "drill_down".into(),
        title,
        columns: vec![
            column("customer_id", "Customer", None),
            column("movement", "Movement", None),
            column("before", "MRR the month before", unit()),
            column("after", "MRR", unit()),
            column("change", "Change", unit()),
        ],
        total_rows: rows.len() as u64,
        rows: rows
            .into_iter()
            .map(|row| {
                vec![
                    CellValue::Text(row.customer_id),
                    optional_text(row.movement.map(MovementKind::as_str)),
                    CellValue::Number(money(row.before)),
                    CellValue::Number(money(row.after)),
                    CellValue::Number(money(row.after - row.before)),
                ]
            })
            .collect(),
    })
}

fn movement_kind(key: &str) -> ApiResult<MovementKind> {
    MOVEMENTS.iter().map(|m| m.0).find(|kind| kind.as_str() == key).ok_or_else(|| {
        ApiError::invalid_args(format!("'{key}' is not a movement: new, reactivation, expansion, contraction or churn"))
    })
}
