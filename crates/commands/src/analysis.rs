//! The Cohorts and Churn pages.

use revlens_engine::metrics::{ChurnSource, CohortBasis, CohortBy, CohortOptions, MetricSettings};
use revlens_report::{CellValue, ChartKind, ChartSpec, Series, TableData, ValueUnit};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::revenue::{column, Filters, NO_BILLING};
use crate::{ApiError, ApiResult, App, ErrorCode};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    #[default]
    Logo,
    Revenue,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CohortGrouping {
    #[default]
    FirstPaid,
    Signup,
}

#[derive(Debug, Deserialize, TS)]
pub struct CohortsArgs {
    pub workspace: String,
    #[serde(default)]
    pub filters: Filters,
    #[serde(default)]
    pub basis: Basis,
    #[serde(default)]
    pub by: CohortGrouping,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Provided,
    Computed,
    Unknown,
}

#[derive(Debug, Deserialize, TS)]
pub struct ChurnArgs {
    pub workspace: String,
    #[serde(default)]
    pub filters: Filters,
    /// Only the customers whose verdict has this source (the "computed only" list).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub source: Option<Source>,
    #[serde(default)]
    pub offset: u64,
    #[serde(default = "default_limit")]
    pub limit: u64,
}

fn default_limit() -> u64 {
    200
}

#[derive(Debug, Serialize, TS)]
pub struct ChurnView {
    pub as_of: String,
    pub counts: ChurnCounts,
    /// customer_id, churned, churn_source, reason: one page of the listed customers.
    pub table: TableData,
}

#[derive(Debug, Default, Serialize, TS)]
pub struct ChurnCounts {
    pub provided: u64,
    pub computed: u64,
    pub unknown: u64,
    pub churned_provided: u64,
    pub churned_computed: u64,
}

const COHORT_DEFINITION: &str = "A customer's cohort is the first month with MRR (or its signup month, by choice). \
     Logo retention at month k = share of the cohort active k months later; revenue retention = the cohort's MRR at k \
     ÷ its MRR at month 0 (can exceed 100 %). For transactional data, active means a purchase in the month.";

pub(crate) fn cohort_options(basis: Basis, by: CohortGrouping) -> CohortOptions {
    CohortOptions {
        basis: match basis {
            Basis::Logo => CohortBasis::Logo,
            Basis::Revenue => CohortBasis::Revenue,
        },
        by: match by {
            CohortGrouping::FirstPaid => CohortBy::FirstPaid,
            CohortGrouping::Signup => CohortBy::Signup,
        },
        activity: None,
    }
}

pub(crate) fn cohorts(app: &App, args: CohortsArgs) -> ApiResult<ChartSpec> {
    let Some((found, settings)) = app.model(&args.workspace, &args.filters)? else {
        return Err(ApiError::new(ErrorCode::Metrics, NO_BILLING));
    };
    let table = found.model.with_settings(&settings)?.cohorts(cohort_options(args.basis, args.by))?;
    let basis = match args.basis {
        Basis::Logo => "logo",
        Basis::Revenue => "revenue",
    };
    Ok(ChartSpec {
        id: "cohorts".into(),
        title: format!("Cohorts: {basis} retention"),
        kind: ChartKind::Heatmap,
        x_labels: (0..table.offsets).map(|k| k.to_string()).collect(),
        y_labels: table.rows.iter().map(|r| r.cohort.to_string()).collect(),
        series: table
            .rows
            .iter()
            .map(|row| Series {
                key: row.cohort.to_string(),
                name: format!("{} ({} customers)", row.cohort, row.size),
                values: row.retention.clone(),
            })
            .collect(),
        unit: ValueUnit::Percent,
        definition: COHORT_DEFINITION.into(),
    })
}

pub(crate) fn churn(app: &App, args: ChurnArgs) -> ApiResult<ChurnView> {
    let Some((found, settings)) = app.model(&args.workspace, &args.filters)? else {
        return Err(ApiError::new(ErrorCode::Metrics, NO_BILLING));
    };
    // Churn is judged at the end of the range.
    let settings = MetricSettings { as_of: settings.to, ..settings };
    let report = found.model.with_settings(&settings)?.churn()?;
    let mut counts = ChurnCounts::default();
    for customer in &report.customers {
        match customer.churn_source {
            ChurnSource::Provided => counts.provided += 1,
            ChurnSource::Computed => counts.computed += 1,
            ChurnSource::Unknown => counts.unknown += 1,
        }
        counts.churned_provided += u64::from(customer.churn_provided == Some(true));
        counts.churned_computed += u64::from(customer.churn_computed == Some(true));
    }
    let wanted = args.source.map(|source| match source {
        Source::Provided => ChurnSource::Provided,
        Source::Computed => ChurnSource::Computed,
        Source::Unknown => ChurnSource::Unknown,
    });
    let listed: Vec<_> = report.customers.iter().filter(|c| wanted.is_none_or(|w| c.churn_source == w)).collect();
    let limit = args.limit.clamp(1, 10_000) as usize;
    let rows = listed
        .iter()
        .skip(args.offset as usize)
        .take(limit)
        .map(|c| {
            vec![
                CellValue::Text(c.customer_id.clone()),
                c.churned.map_or(CellValue::Null, CellValue::Bool),
                CellValue::Text(c.churn_source.as_str().into()),
                CellValue::Text(c.reason.clone()),
            ]
        })
        .collect();
    Ok(ChurnView {
        as_of: report.as_of.to_string(),
        counts,
        table: TableData {
            id: "churn".into(),
            title: if wanted == Some(ChurnSource::Computed) { "Computed churn, with reasons" } else { "Churn" }.into(),
            columns: vec![
                column("customer_id", "Customer", None),
                column("churned", "Churned", None),
                column("churn_source", "Source", None),
                column("reason", "Reason", None),
            ],
            rows,
            total_rows: listed.len() as u64,
        },
    })
}
