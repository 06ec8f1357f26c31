//! Scenarios: named assumptions projecting MRR and ARR, saved per workspace and compared
//! on one chart against the baseline of the trailing months.

use revlens_engine::metrics::{self, ModelView};
use revlens_model::{DocumentId, Money, MONEY_SCALE};
use revlens_report::{ChartKind, ChartSpec, Series, ValueUnit};
use revlens_store::DocumentKind;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::revenue::{money, Filters, NO_BILLING};
use crate::workspaces::{parse_workspace_id, WorkspaceArgs};
use crate::{ApiError, ApiResult, App, ErrorCode};

/// Months of history the baseline averages.
const TRAILING_MONTHS: usize = 6;
const MAX_MONTHS: u32 = 120;

/// What a scenario assumes each month; percentages of the MRR of the month before.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct Assumptions {
    /// In the reporting currency.
    pub new_mrr_per_month: f64,
    pub expansion_pct: f64,
    pub contraction_pct: f64,
    pub churn_pct: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct Scenario {
    /// Null until saved.
    pub id: Option<String>,
    pub name: String,
    pub months: u32,
    pub assumptions: Assumptions,
}

#[derive(Debug, Deserialize, TS)]
pub struct SaveScenarioArgs {
    pub workspace: String,
    pub scenario: Scenario,
}

#[derive(Debug, Deserialize, TS)]
pub struct ScenarioArgs {
    pub workspace: String,
    pub scenario: String,
}

#[derive(Debug, Deserialize, TS)]
pub struct ProjectArgs {
    pub workspace: String,
    /// Saved scenario ids, drawn beside the baseline.
    pub scenarios: Vec<String>,
    pub months: u32,
}

/// The stored body: the scenario without its id and name.
#[derive(Serialize, Deserialize)]
struct Body {
    months: u32,
    assumptions: Assumptions,
}

impl Assumptions {
    fn to_engine(self) -> ApiResult<metrics::Assumptions> {
        let values = [self.new_mrr_per_month, self.expansion_pct, self.contraction_pct, self.churn_pct];
        if values.iter().any(|v| !v.is_finite()) || self.new_mrr_per_month < 0.0 {
            return Err(ApiError::invalid_args("assumptions must be numbers, and new MRR not negative"));
        }
        if [self.expansion_pct, self.contraction_pct, self.churn_pct].iter().any(|p| !(0.0..=100.0).contains(p)) {
            return Err(ApiError::invalid_args("expansion, contraction and churn are percentages from 0 to 100"));
        }
        Ok(metrics::Assumptions {
            new_mrr_per_month: Money((self.new_mrr_per_month * MONEY_SCALE as f64).round() as i64).round_to_cents(),
            expansion_pct: self.expansion_pct,
            contraction_pct: self.contraction_pct,
            churn_pct: self.churn_pct,
        })
    }

    fn from_engine(a: metrics::Assumptions) -> Self {
        let round = |v: f64| (v * 100.0).round() / 100.0;
        Self {
            new_mrr_per_month: money(a.new_mrr_per_month),
            expansion_pct: round(a.expansion_pct),
            contraction_pct: round(a.contraction_pct),
            churn_pct: round(a.churn_pct),
        }
    }
}

fn parse_id(id: &str) -> ApiResult<DocumentId> {
    id.parse().map_err(|_| ApiError::invalid_args(format!("'{id}' is not a scenario id")))
}

fn scenario(document: revlens_store::Document) -> ApiResult<Scenario> {
    let body: Body = serde_json::from_value(document.body)
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("scenario '{}' is unreadable: {e}", document.name)))?;
    Ok(Scenario {
        id: Some(document.id.to_string()),
        name: document.name,
        months: body.months,
        assumptions: body.assumptions,
    })
}

pub(crate) fn list(app: &App, args: WorkspaceArgs) -> ApiResult<Vec<Scenario>> {
    let workspace = parse_workspace_id(&args.workspace)?;
    let documents = app.service().store().documents(workspace, DocumentKind::Scenario)?;
    documents.into_iter().map(scenario).collect()
}

pub(crate) fn save(app: &App, args: SaveScenarioArgs) -> ApiResult<Scenario> {
    let workspace = parse_workspace_id(&args.workspace)?;
    let s = args.scenario;
    s.assumptions.to_engine()?;
    if !(1..=MAX_MONTHS).contains(&s.months) {
        return Err(ApiError::invalid_args(format!("a scenario projects 1 to {MAX_MONTHS} months")));
    }
    let id = s.id.as_deref().map(parse_id).transpose()?;
    let body = serde_json::to_value(Body { months: s.months, assumptions: s.assumptions })
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    let saved = app.service().store().save_document(workspace, DocumentKind::Scenario, id, &s.name, &body)?;
    scenario(saved)
}

pub(crate) fn delete(app: &App, args: ScenarioArgs) -> ApiResult<()> {
    let workspace = parse_workspace_id(&args.workspace)?;
    Ok(app.service().store().delete_document(workspace, DocumentKind::Scenario, parse_id(&args.scenario)?)?)
}

fn baseline_of(view: &ModelView<'_>) -> ApiResult<metrics::Assumptions> {
    Ok(metrics::baseline_assumptions(&view.mrr_table()?, TRAILING_MONTHS)?)
}

pub(crate) fn baseline(app: &App, args: WorkspaceArgs) -> ApiResult<Assumptions> {
    let Some((found, settings)) = app.model(&args.workspace, &Filters::default())? else {
        return Err(ApiError::new(ErrorCode::Metrics, NO_BILLING));
    };
    Ok(Assumptions::from_engine(baseline_of(&found.model.with_settings(&settings)?)?))
}

/// ARR per month ahead: the baseline first, then each chosen scenario, all starting from
/// the MRR of the data's last month.
pub(crate) fn project(app: &App, args: ProjectArgs) -> ApiResult<ChartSpec> {
    if !(1..=MAX_MONTHS).contains(&args.months) {
        return Err(ApiError::invalid_args(format!("project 1 to {MAX_MONTHS} months")));
    }
    let Some((found, settings)) = app.model(&args.workspace, &Filters::default())? else {
        return Err(ApiError::new(ErrorCode::Metrics, NO_BILLING));
    };
    let view = found.model.with_settings(&settings)?;
    let table = view.mrr_table()?;
    let Some(last) = table.rows.last() else { return Err(ApiError::new(ErrorCode::Metrics, NO_BILLING)) };
    let workspace = parse_workspace_id(&args.workspace)?;
    let mut series = Vec::new();
    let mut x_labels = Vec::new();
    let mut line = |key: String, name: String, assumptions: metrics::Assumptions| {
        let months = metrics::project(last.month, last.mrr, &assumptions, args.months);
        if x_labels.is_empty() {
            x_labels = months.iter().map(|m| m.month.to_string()).collect();
        }
        series.push(Series { key, name, values: months.iter().map(|m| Some(money(m.arr))).collect() });
    };
    line("baseline".into(), "Baseline (trailing average)".into(), baseline_of(&view)?);
    for id in &args.scenarios {
        let document = app.service().store().document(workspace, DocumentKind::Scenario, parse_id(id)?)?;
        let saved = scenario(document)?;
        line(id.clone(), saved.name, saved.assumptions.to_engine()?);
    }
    Ok(ChartSpec {
        id: "scenarios".into(),
        title: "ARR projection".into(),
        kind: ChartKind::Line,
        x_labels,
        y_labels: Vec::new(),
        series,
        unit: ValueUnit::Money { currency: table.currency.clone() },
        definition: "ARR projected month by month from the last month's MRR: MRR × (1 + (expansion − contraction − \
                     churn) ÷ 100) + new MRR. The baseline uses the averages of the last 6 months."
            .into(),
    })
}
