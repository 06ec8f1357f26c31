//! Scenarios: MRR and ARR projected month by month from named assumptions, with a
//! baseline taken from the trailing months of the data (DESIGN.md, "Scenarios").

use revlens_model::Money;
use serde::{Deserialize, Serialize};

use super::error::{MetricsError, MetricsResult};
use super::month::YearMonth;
use super::mrr::MrrTable;

/// What a scenario assumes for every projected month. Percentages are of the MRR at the
/// end of the month before (3.0 = 3 %).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assumptions {
    /// New (and reactivated) MRR won each month.
    pub new_mrr_per_month: Money,
    pub expansion_pct: f64,
    pub contraction_pct: f64,
    pub churn_pct: f64,
}

/// One projected month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ProjectedMonth {
    pub month: YearMonth,
    pub mrr: Money,
    pub arr: Money,
}

/// The averages of the last `trailing` months of `table` (fewer when the table is
/// shorter; its first month has no month before and is left out of the rates).
pub fn baseline_assumptions(table: &MrrTable, trailing: usize) -> MetricsResult<Assumptions> {
    let pairs: Vec<_> = table.rows.windows(2).rev().take(trailing.max(1)).collect();
    if pairs.is_empty() {
        return Err(MetricsError::InvalidSetting("a baseline needs at least two months of data".into()));
    }
    let n = pairs.len() as i64;
    let new_total: i64 = pairs.iter().map(|w| w[1].new.0 + w[1].reactivation.0).sum();
    let average_pct = |part: fn(&super::mrr::MrrRow) -> Money| {
        let rates: Vec<f64> =
            pairs.iter().filter(|w| w[0].mrr.0 > 0).map(|w| part(&w[1]).0 as f64 / w[0].mrr.0 as f64 * 100.0).collect();
        if rates.is_empty() {
            0.0
        } else {
            rates.iter().sum::<f64>() / rates.len() as f64
        }
    };
    Ok(Assumptions {
        new_mrr_per_month: Money(new_total / n).round_to_cents(),
        expansion_pct: average_pct(|row| row.expansion),
        contraction_pct: average_pct(|row| row.contraction),
        churn_pct: average_pct(|row| row.churn),
    })
}

/// MRR for `months` months after `start` (whose MRR is `start_mrr`):
/// `MRR(M) = MRR(M−1) × (1 + (expansion − contraction − churn) ÷ 100) + new`, the change
/// rounded to the cent each month and MRR floored at zero.
pub fn project(start: YearMonth, start_mrr: Money, assumptions: &Assumptions, months: u32) -> Vec<ProjectedMonth> {
    let net_pct = assumptions.expansion_pct - assumptions.contraction_pct - assumptions.churn_pct;
    let mut mrr = start_mrr;
    (1..=months as i32)
        .map(|step| {
            let change = Money((mrr.0 as f64 * net_pct / 100.0).round() as i64).round_to_cents();
            mrr = Money((mrr.0 + change.0 + assumptions.new_mrr_per_month.0).max(0));
            ProjectedMonth { month: start.plus(step), mrr, arr: Money(mrr.0 * 12) }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::metrics::MrrRow;

    fn row(month: &str, mrr: i64, new: i64, expansion: i64, contraction: i64, churn: i64) -> MrrRow {
        let units = |whole: i64| Money(whole * 10_000);
        MrrRow {
            month: month.parse().unwrap(),
            mrr: units(mrr),
            arr: units(mrr * 12),
            customers: 0,
            new: units(new),
            expansion: units(expansion),
            contraction: units(contraction),
            churn: units(churn),
            reactivation: Money::ZERO,
            new_customers: 0,
        }
    }

    #[test]
    fn baseline_averages_the_trailing_months() {
        // By hand: Feb against Jan: expansion 10/1000 = 1 %, churn 20/1000 = 2 %, new 100;
        // Mar against Feb: expansion 33/1100 = 3 %, churn 0, new 200.
        // Averages: new 150, expansion 2 %, contraction 0 %, churn 1 %.
        let table = MrrTable {
            currency: None,
            rows: vec![
                row("2025-01", 1000, 1000, 0, 0, 0),
                row("2025-02", 1100, 100, 10, 0, 20),
                row("2025-03", 1333, 200, 33, 0, 0),
            ],
        };
        let baseline = baseline_assumptions(&table, 6).unwrap();
        assert_eq!(baseline.new_mrr_per_month, Money(150_0000));
        assert!((baseline.expansion_pct - 2.0).abs() < 1e-9);
        assert_eq!(baseline.contraction_pct, 0.0);
        assert!((baseline.churn_pct - 1.0).abs() < 1e-9);
        // Only the last month: new 200, expansion 3 %.
        let last = baseline_assumptions(&table, 1).unwrap();
        assert_eq!(last.new_mrr_per_month, Money(200_0000));
        assert!((last.expansion_pct - 3.0).abs() < 1e-9);
        assert!(
            baseline_assumptions(&MrrTable { currency: None, rows: vec![row("2025-01", 1, 1, 0, 0, 0)] }, 3).is_err()
        );
    }

    #[test]
    fn projects_month_by_month() {
        // By hand: 1000 × (1 + (2 − 0.5 − 1.5) / 100) + 50 = 1050; then 1100; ARR × 12.
        let assumptions =
            Assumptions { new_mrr_per_month: Money(50_0000), expansion_pct: 2.0, contraction_pct: 0.5, churn_pct: 1.5 };
        let start: YearMonth = "2025-12".parse().unwrap();
        let months = project(start, Money(1000_0000), &assumptions, 2);
        assert_eq!(months.len(), 2);
        assert_eq!(months[0].month.to_string(), "2026-01");
        assert_eq!(months[0].mrr, Money(1050_0000));
        assert_eq!(months[1].mrr, Money(1100_0000));
        assert_eq!(months[1].arr, Money::from_units(13_200).unwrap());
        // 10 % net growth on 1000.05: a change of 100.005 rounds to 100.01 (half away from zero).
        let growth =
            Assumptions { new_mrr_per_month: Money::ZERO, expansion_pct: 10.0, contraction_pct: 0.0, churn_pct: 0.0 };
        assert_eq!(project(start, Money(1000_0500), &growth, 1)[0].mrr, Money(1100_0600));
        // Churn of more than everything floors at zero.
        let collapse =
            Assumptions { new_mrr_per_month: Money::ZERO, expansion_pct: 0.0, contraction_pct: 0.0, churn_pct: 150.0 };
        assert_eq!(project(start, Money(1000_0000), &collapse, 1)[0].mrr, Money::ZERO);
    }
}
