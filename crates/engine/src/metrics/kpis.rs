//! Per-month KPIs derived from the MRR table (DESIGN.md definitions). A KPI whose
//! denominator is zero is undefined (`None`), never 0 or infinity.

use revlens_model::Money;
use serde::Serialize;

use super::error::MetricsResult;
use super::ledger::{value_at, MrrLedger};
use super::model::RevenueModel;
use super::month::{MonthRange, YearMonth};
use super::movements::monthly_flows;
use super::settings::MetricSettings;
use super::side_by_side::side_by_side;

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct KpiRow {
    pub month: YearMonth,
    /// MRR ÷ active customers, rounded to the cent.
    pub arpa: Option<Money>,
    /// Customers churned in the month ÷ active at the end of the month before.
    pub logo_churn_rate: Option<f64>,
    /// (churn + contraction) ÷ MRR of the month before.
    pub revenue_churn_rate: Option<f64>,
    /// MRR now of the customers active 12 months ago ÷ their MRR then.
    pub nrr_12m: Option<f64>,
    /// As NRR, each customer capped at its MRR 12 months ago.
    pub grr_12m: Option<f64>,
    /// (new + expansion + reactivation) ÷ (churn + contraction).
    pub quick_ratio: Option<f64>,
    /// ARPA × gross margin ÷ logo churn rate, rounded to the cent.
    pub ltv: Option<Money>,
    /// New MRR ÷ new customers of the month (ARPA of new customers), rounded to the cent.
    pub arpa_new: Option<Money>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KpiTable {
    pub currency: Option<String>,
    pub gross_margin_pct: f64,
    pub rows: Vec<KpiRow>,
}

fn ratio(numerator: i64, denominator: i64) -> Option<f64> {
    (denominator != 0).then(|| numerator as f64 / denominator as f64)
}

/// `numerator ÷ denominator` rounded half away from zero to a whole cent (Money units).
fn divide_to_cents(numerator: i64, denominator: i64) -> Option<Money> {
    if denominator == 0 {
        return None;
    }
    let cent = revlens_model::MONEY_SCALE / 100;
    let (n, d) = (i128::from(numerator), i128::from(denominator) * i128::from(cent));
    let rounded = (2 * n.abs() + d.abs()) / (2 * d.abs()) * (n.signum() * d.signum());
    Some(Money((rounded * i128::from(cent)) as i64))
}

/// For every month M of `range`: Σ MRR(M−12), Σ MRR(M) and Σ min(MRR(M), MRR(M−12)) over
/// the customers active at M−12.
fn twelve_month_retention(ledger: &MrrLedger, range: MonthRange) -> Vec<(i64, i64, i64)> {
    let mut sums = vec![(0i64, 0i64, 0i64); range.len()];
    for customer in 0..ledger.customers() as u32 {
        let points = ledger.points(customer);
        for segment in ledger.segments(customer) {
            let first = segment.from.plus(12).max(range.first);
            let last = segment.until.map_or(range.last, |until| until.plus(11).min(range.last));
            if first > last {
                continue;
            }
            for month in first.through(last) {
                let now = value_at(points, month);
                let slot = &mut sums[month.months_since(range.first) as usize];
                slot.0 += segment.mrr;
                slot.1 += now;
                slot.2 += now.min(segment.mrr);
            }
        }
    }
    sums
}

pub(crate) fn kpi_table(model: &RevenueModel, settings: &MetricSettings) -> MetricsResult<KpiTable> {
    let range = model.range_for(settings)?;
    // One month more at the front: each month's rates divide by the month before.
    let extended = MonthRange { first: range.first.prev(), last: range.last };
    let (retention, flows) = side_by_side(
        "retention",
        || twelve_month_retention(&model.ledger, range),
        || monthly_flows(&model.ledger, extended),
    );
    let margin = settings.gross_margin_pct / 100.0;

    let rows = range
        .months()
        .enumerate()
        .map(|(i, month)| {
            let (before, now) = (flows[i], flows[i + 1]);
            let arpa = divide_to_cents(now.mrr, now.customers as i64);
            let logo_churn_rate = ratio(now.churned_customers as i64, before.customers as i64);
            let lost = now.churn + now.contraction;
            let won = now.new + now.expansion + now.reactivation;
            let (base, current, capped) = retention[i];
            let ltv = match (arpa, logo_churn_rate) {
                (Some(arpa), Some(rate)) if rate > 0.0 => {
                    let cents = (arpa.0 as f64 * margin / rate / 100.0).round() as i64;
                    Some(Money(cents * 100))
                }
                _ => None,
            };
            KpiRow {
                month,
                arpa,
                logo_churn_rate,
                revenue_churn_rate: ratio(lost, before.mrr),
                nrr_12m: ratio(current, base),
                grr_12m: ratio(capped, base),
                quick_ratio: ratio(won, lost),
                ltv,
                arpa_new: divide_to_cents(now.new, now.new_customers as i64),
            }
        })
        .collect();
    Ok(KpiTable { currency: model.reporting_currency.clone(), gross_margin_pct: settings.gross_margin_pct, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divides_to_the_cent_half_away_from_zero() {
        // 100.00 ÷ 3 = 33.333… → 33.33; 100.01 ÷ 2 = 50.005 → 50.01.
        assert_eq!(divide_to_cents(100_0000, 3), Some(Money(33_3300)));
        assert_eq!(divide_to_cents(100_0100, 2), Some(Money(50_0100)));
        assert_eq!(divide_to_cents(1, 0), None);
    }
}
