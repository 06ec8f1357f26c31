//! Revenue metrics (DESIGN.md, "Metric definitions — the contract"): MRR and ARR,
//! movements, KPIs, top customers, cohorts and churn, from canonical subscriptions or
//! transactions, in one reporting currency.
//!
//! Use: build a [`RevenueModel`] once from [`MetricInputs`] and [`MetricSettings`], then
//! ask it for tables; each table renders to the CLI's CSV/JSON contracts through its
//! `tabular()`. A built model keeps as a compact binary snapshot
//! ([`RevenueModel::to_snapshot`], [`RevenueModel::from_snapshot`]): loading it skips
//! reading the tables and building again.
//!
//! ```no_run
//! # use revlens_engine::metrics::*;
//! # fn run(frame: polars::prelude::LazyFrame) -> Result<(), MetricsError> {
//! let model = RevenueModel::build(MetricInputs::subscriptions(frame), &MetricSettings::default())?;
//! print!("{}", model.mrr_table()?.tabular().to_csv()?);
//! # Ok(()) }
//! ```
//!
//! # Money and rounding
//! Money is [`revlens_model::Money`] (ten-thousandths). Each billing row's monthly
//! amount (amount × quantity × (1 − discount ÷ 100), normalised by its interval, times
//! its exchange rate) is rounded once to a Money unit. A customer's MRR for a month is
//! the exact integer sum of its rows active at the month's end, rounded once, half away
//! from zero, to whole cents. Every total, movement and cohort revenue is an integer sum
//! of those figures, so `MRR(M) = MRR(M−1) + new + reactivation + expansion −
//! contraction − churn` holds exactly. Ratios (rates, retention) are f64 quotients of
//! exact integers; ARPA and LTV are rounded to the cent.
//!
//! # Currencies
//! See [`currency`]: each row converts at the rate of the month its amount was set, so
//! exchange-rate changes are never movements.
//!
//! # Decisions the contract leaves open
//! - The data's range runs from the month of its earliest date to the month of its
//!   latest (subscriptions: start and end dates; transactions: invoice dates). Tables
//!   default to it; a from/to outside it is an error that names it.
//! - Subscriptions: end_date is exclusive, so the active months are
//!   `month(start) ≤ M < month(end)`. Status past_due/unpaid matters only with a grace
//!   setting: the status is read as of the data's latest date, the unpaid period as
//!   starting at the last renewal before it.
//! - Invoices: a service period's end may be inclusive or exclusive (whole months are
//!   recognised either way); without a period an invoice covers `[date, date +
//!   interval)`. Every non-refund charge above zero is treated as recurring: the
//!   canonical table cannot tell one-off charges apart. Refunds never move MRR.
//! - A customer's MRR is never negative (credits are floored at zero).
//! - Purchases (transactional cohorts and churn): every non-refund transaction of zero
//!   or more is a purchase (free orders count); revenue is net of refunds.
//! - Churn as of a month M is judged at M's end: subscriptions churned when MRR(M) = 0
//!   after having had MRR; transactions when the last purchase is N days or more before
//!   the as-of date (the end of M, or the data's latest date when no as-of is given).

mod churn;
mod cohorts;
pub mod currency;
mod customers;
mod drill;
mod error;
mod filter;
mod forecast;
mod input;
mod kpis;
mod ledger;
mod model;
mod month;
mod movements;
mod mrr;
mod purchases;
mod render;
mod settings;
pub(crate) mod side_by_side;
mod snapshot;
mod spans;
mod top;

pub use churn::{ChurnReport, ChurnSource, CustomerChurn};
pub use cohorts::{CohortActivity, CohortBasis, CohortBy, CohortOptions, CohortRow, CohortTable};
pub use currency::FxRates;
pub use drill::CustomerMovement;
pub use error::{MetricsError, MetricsResult};
pub use filter::{filter_options, CustomerFilter, FilterOptions};
pub use forecast::{baseline_assumptions, project, Assumptions, ProjectedMonth};
pub use kpis::{KpiRow, KpiTable};
pub use model::{BillingData, BillingKind, MetricInputs, ModelView, RevenueModel};
pub use month::{MonthRange, ParseMonthError, YearMonth};
pub use movements::MovementKind;
pub use mrr::{ArrComposition, MrrRow, MrrTable};
pub use render::{Cell, OutputFormat, Tabular};
pub use settings::{BillingInterval, DiscountHandling, IntervalUnit, MetricSettings};
pub use snapshot::{SnapshotError, SNAPSHOT_FORMAT_VERSION};
pub use top::{TopCustomer, TopCustomers};

impl ModelView<'_> {
    /// MRR, ARR, active customers and movements for every month of the report range.
    pub fn mrr_table(&self) -> MetricsResult<MrrTable> {
        mrr::mrr_table(self.model, &self.settings)
    }

    /// ARPA, churn rates, 12-month NRR/GRR, quick ratio and LTV per month.
    pub fn kpis(&self) -> MetricsResult<KpiTable> {
        kpis::kpi_table(self.model, &self.settings)
    }

    /// The `limit` customers with the most MRR at the end of `month`.
    pub fn top_customers(&self, month: YearMonth, limit: usize) -> MetricsResult<TopCustomers> {
        top::top_customers(self.model, month, limit)
    }

    /// Logo or revenue retention by cohort, over the report range.
    pub fn cohorts(&self, options: CohortOptions) -> MetricsResult<CohortTable> {
        cohorts::cohort_table(self.model, &self.settings, options)
    }

    /// Every customer's churn verdict, source and reason at the as-of month.
    pub fn churn(&self) -> MetricsResult<ChurnReport> {
        churn::churn_report(self.model, &self.settings)
    }

    /// The customers behind a movement of `month` (or, without a kind, its active
    /// customers), largest first.
    pub fn customers_behind(
        &self,
        month: YearMonth,
        kind: Option<MovementKind>,
    ) -> MetricsResult<Vec<CustomerMovement>> {
        drill::customers_behind(self.model, month, kind)
    }
}

/// Shortcuts for the settings the model was built with.
impl RevenueModel {
    pub fn mrr_table(&self) -> MetricsResult<MrrTable> {
        self.view().mrr_table()
    }

    pub fn kpis(&self) -> MetricsResult<KpiTable> {
        self.view().kpis()
    }

    pub fn top_customers(&self, month: YearMonth, limit: usize) -> MetricsResult<TopCustomers> {
        self.view().top_customers(month, limit)
    }

    pub fn cohorts(&self, options: CohortOptions) -> MetricsResult<CohortTable> {
        self.view().cohorts(options)
    }

    pub fn churn(&self) -> MetricsResult<ChurnReport> {
        self.view().churn()
    }
}
