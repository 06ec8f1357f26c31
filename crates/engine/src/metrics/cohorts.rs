//! Cohort retention: customers grouped by the month they started, followed month by
//! month.
//!
//! Logo retention at offset k = share of the cohort active at month cohort + k; revenue
//! retention at k = the cohort's revenue at k ÷ its revenue at k = 0 (may exceed 1).
//! With MRR activity, "active" is MRR > 0 and revenue is MRR; with purchase activity
//! (e-commerce), "active" is a purchase in the month and revenue the month's net sum.
//! Offsets past the report's last month are `None`, as is revenue retention of a cohort
//! whose month-0 revenue is zero.

use revlens_model::Money;
use serde::{Deserialize, Serialize};

use super::error::{MetricsError, MetricsResult};
use super::model::{BillingKind, RevenueModel};
use super::month::{MonthRange, YearMonth};
use super::settings::MetricSettings;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CohortBasis {
    #[default]
    Logo,
    Revenue,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CohortBy {
    /// The first month with MRR (or with a purchase, for purchase activity).
    #[default]
    FirstPaid,
    /// The month of the customer's signup_date (customers table). Customers without a
    /// signup_date are in no cohort; those that signed up but never paid are in their
    /// cohort and never active.
    Signup,
}

impl std::str::FromStr for CohortBasis {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "logo" | "logos" | "customers" => Ok(CohortBasis::Logo),
            "revenue" | "mrr" => Ok(CohortBasis::Revenue),
            other => Err(format!("unknown cohort basis '{other}': expected logo or revenue")),
        }
    }
}

impl std::str::FromStr for CohortBy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "first-paid" | "first-paid-month" | "first-purchase" => Ok(CohortBy::FirstPaid),
            "signup" | "signup-date" | "signup-month" => Ok(CohortBy::Signup),
            other => Err(format!("unknown cohort grouping '{other}': expected first-paid or signup")),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CohortActivity {
    /// Active = MRR > 0; revenue = MRR.
    Mrr,
    /// Active = a purchase in the month; revenue = the month's net sum (transactions).
    Purchases,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CohortOptions {
    pub basis: CohortBasis,
    pub by: CohortBy,
    /// `None`: purchases for transactional data, MRR for subscriptions.
    pub activity: Option<CohortActivity>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CohortRow {
    pub cohort: YearMonth,
    /// Customers in the cohort.
    pub size: u64,
    /// Customers active at each offset (`None` past the data).
    pub active: Vec<Option<u64>>,
    /// The cohort's revenue at each offset (`None` past the data).
    pub revenue: Vec<Option<Money>>,
    /// The retention of the table's basis at each offset, 0–1 (revenue may exceed 1).
    pub retention: Vec<Option<f64>>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CohortTable {
    pub basis: CohortBasis,
    pub by: CohortBy,
    pub activity: CohortActivity,
    pub currency: Option<String>,
    /// Columns m0..m(offsets − 1).
    pub offsets: usize,
    pub rows: Vec<CohortRow>,
}

/// Per cohort, difference arrays over offsets: members, active, revenue.
struct Accumulator {
    range: MonthRange,
    size: Vec<u64>,
    active: Vec<Vec<i64>>,
    revenue: Vec<Vec<i64>>,
}

impl Accumulator {
    fn new(range: MonthRange) -> Self {
        let widths: Vec<usize> = range.months().map(|c| range.last.months_since(c) as usize + 2).collect();
        Accumulator {
            range,
            size: vec![0; range.len()],
            active: widths.iter().map(|&w| vec![0; w]).collect(),
            revenue: widths.iter().map(|&w| vec![0; w]).collect(),
        }
    }

    /// Adds `amount` of revenue and one active customer to every month of
    /// `[from, until)` (clipped to the cohort's months), for the cohort of `cohort`.
    fn add_stretch(&mut self, cohort: usize, from: YearMonth, until: Option<YearMonth>, amount: i64, active: bool) {
        let cohort_month = self.range.first.plus(cohort as i32);
        let width = self.range.last.months_since(cohort_month) + 1;
        let start = from.months_since(cohort_month).max(0);
        let end = until.map_or(width, |u| u.months_since(cohort_month).min(width));
        if start >= end {
            return;
        }
        let (start, end) = (start as usize, end as usize);
        self.revenue[cohort][start] += amount;
        self.revenue[cohort][end] -= amount;
        if active {
            self.active[cohort][start] += 1;
            self.active[cohort][end] -= 1;
        }
    }

    fn into_rows(self, basis: CohortBasis) -> (usize, Vec<CohortRow>) {
        let mut rows = Vec::new();
        let mut offsets = 1;
        for (i, cohort) in self.range.months().enumerate() {
            let size = self.size[i];
            if size == 0 {
                continue;
            }
            let width = self.range.last.months_since(cohort) as usize + 1;
            offsets = offsets.max(width);
            let prefix = |deltas: &[i64]| {
                deltas[..width]
                    .iter()
                    .scan(0i64, |sum, d| {
                        *sum += d;
                        Some(*sum)
                    })
                    .collect::<Vec<i64>>()
            };
            let active = prefix(&self.active[i]);
            let revenue = prefix(&self.revenue[i]);
            let retention = match basis {
                CohortBasis::Logo => active.iter().map(|&a| Some(a as f64 / size as f64)).collect(),
                CohortBasis::Revenue => {
                    let base = revenue[0];
                    revenue.iter().map(|&r| (base != 0).then(|| r as f64 / base as f64)).collect()
                }
            };
            rows.push(CohortRow {
                cohort,
                size,
                active: active.iter().map(|&a| Some(a.max(0) as u64)).collect(),
                revenue: revenue.iter().map(|&r| Some(Money(r))).collect(),
                retention,
            });
        }
        for row in &mut rows {
            row.active.resize(offsets, None);
            row.revenue.resize(offsets, None);
            row.retention.resize(offsets, None);
        }
        (offsets, rows)
    }
}

pub(crate) fn cohort_table(
    model: &RevenueModel,
    settings: &MetricSettings,
    options: CohortOptions,
) -> MetricsResult<CohortTable> {
    let range = model.range_for(settings)?;
    let activity = options.activity.unwrap_or(match model.kind {
        BillingKind::Transactions => CohortActivity::Purchases,
        BillingKind::Subscriptions => CohortActivity::Mrr,
    });
    let purchases = match activity {
        CohortActivity::Purchases => Some(
            model
                .purchases
                .as_ref()
                .ok_or_else(|| MetricsError::InvalidSetting("purchase cohorts need transactional data".into()))?,
        ),
        CohortActivity::Mrr => None,
    };
    let cohort_of = |customer: u32| -> MetricsResult<Option<YearMonth>> {
        Ok(match options.by {
            CohortBy::Signup => {
                model.profiles.as_ref().ok_or(MetricsError::SignupNeedsCustomers)?.get(customer).and_then(|p| p.signup)
            }
            CohortBy::FirstPaid => match purchases {
                Some(purchases) => purchases.first_purchase_month(customer),
                None => model.ledger.first_paid(customer),
            },
        })
    };

    let mut accumulator = Accumulator::new(range);
    for customer in 0..model.customer_count() {
        let Some(cohort) = cohort_of(customer)?.filter(|c| range.contains(*c)) else {
            continue;
        };
        let index = cohort.months_since(range.first) as usize;
        accumulator.size[index] += 1;
        match purchases {
            Some(purchases) => {
                for month in purchases.months(customer) {
                    accumulator.add_stretch(
                        index,
                        month.month,
                        Some(month.month.next()),
                        month.revenue,
                        month.purchases > 0,
                    );
                }
            }
            None => {
                for segment in model.ledger.segments(customer) {
                    accumulator.add_stretch(index, segment.from, segment.until, segment.mrr, true);
                }
            }
        }
    }
    let (offsets, rows) = accumulator.into_rows(options.basis);
    Ok(CohortTable {
        basis: options.basis,
        by: options.by,
        activity,
        currency: model.reporting_currency.clone(),
        offsets,
        rows,
    })
}
