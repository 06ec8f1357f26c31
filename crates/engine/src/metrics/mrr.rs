//! The MRR table: per month MRR, ARR, active customers and the movements.

use revlens_model::Money;
use serde::Serialize;

use super::error::MetricsResult;
use super::model::RevenueModel;
use super::month::YearMonth;
use super::movements::monthly_flows;
use super::settings::MetricSettings;

/// One month of the MRR table. Movements are positive magnitudes against the month
/// before; `mrr = previous mrr + new + reactivation + expansion − contraction − churn`
/// exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MrrRow {
    pub month: YearMonth,
    pub mrr: Money,
    /// 12 × MRR.
    pub arr: Money,
    /// Active customers (MRR > 0).
    pub customers: u64,
    pub new: Money,
    pub expansion: Money,
    pub contraction: Money,
    pub churn: Money,
    pub reactivation: Money,
    /// Customers with their first MRR ever this month (new logos).
    pub new_customers: u64,
}

/// The movements annualised (ARR composition).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ArrComposition {
    pub month: YearMonth,
    pub arr: Money,
    pub new: Money,
    pub expansion: Money,
    pub contraction: Money,
    pub churn: Money,
    pub reactivation: Money,
}

impl MrrRow {
    pub fn arr_composition(&self) -> ArrComposition {
        let year = |m: Money| Money(m.0 * 12);
        ArrComposition {
            month: self.month,
            arr: self.arr,
            new: year(self.new),
            expansion: year(self.expansion),
            contraction: year(self.contraction),
            churn: year(self.churn),
            reactivation: year(self.reactivation),
        }
    }

    /// The net change from the month before.
    pub fn net_movement(&self) -> Money {
        self.new + self.reactivation + self.expansion - self.contraction - self.churn
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MrrTable {
    /// The reporting currency (`None`: the data names none).
    pub currency: Option<String>,
    pub rows: Vec<MrrRow>,
}

pub(crate) fn mrr_table(model: &RevenueModel, settings: &MetricSettings) -> MetricsResult<MrrTable> {
    let range = model.range_for(settings)?;
    let rows = range
        .months()
        .zip(monthly_flows(&model.ledger, range))
        .map(|(month, f)| MrrRow {
            month,
            mrr: Money(f.mrr),
            arr: Money(12 * f.mrr),
            customers: f.customers,
            new: Money(f.new),
            expansion: Money(f.expansion),
            contraction: Money(f.contraction),
            churn: Money(f.churn),
            reactivation: Money(f.reactivation),
            new_customers: f.new_customers,
        })
        .collect();
    Ok(MrrTable { currency: model.reporting_currency.clone(), rows })
}
