//! MRR movements: how each customer's MRR changed from one month to the next, and the
//! monthly totals, in one sorted pass over the ledger's change points.

use serde::Serialize;

use super::ledger::MrrLedger;
use super::month::{MonthRange, YearMonth};

/// What happened to a customer's MRR in a month, against the month before.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// First MRR ever.
    New,
    /// MRR again after at least one month at zero.
    Reactivation,
    /// Up.
    Expansion,
    /// Down, still above zero.
    Contraction,
    /// To zero.
    Churn,
}

impl MovementKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::New => "new",
            MovementKind::Reactivation => "reactivation",
            MovementKind::Expansion => "expansion",
            MovementKind::Contraction => "contraction",
            MovementKind::Churn => "churn",
        }
    }
}

/// Classifies a change from `before` to `after` (Money units). `first_paid` says
/// whether `after` is the customer's first month with MRR. Returns the kind and the
/// positive magnitude, or `None` when nothing changed.
pub(crate) fn classify(before: i64, after: i64, first_paid: bool) -> Option<(MovementKind, i64)> {
    use std::cmp::Ordering::*;
    match (before > 0, after > 0) {
        (false, false) => None,
        (false, true) if first_paid => Some((MovementKind::New, after)),
        (false, true) => Some((MovementKind::Reactivation, after)),
        (true, false) => Some((MovementKind::Churn, before)),
        (true, true) => match after.cmp(&before) {
            Greater => Some((MovementKind::Expansion, after - before)),
            Less => Some((MovementKind::Contraction, before - after)),
            Equal => None,
        },
    }
}

/// One month's totals: MRR at its end, active customers, movements against the month
/// before (positive magnitudes, Money units) and how many customers each moved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct MonthFlows {
    pub mrr: i64,
    pub customers: u64,
    pub new: i64,
    pub expansion: i64,
    pub contraction: i64,
    pub churn: i64,
    pub reactivation: i64,
    pub churned_customers: u64,
    pub new_customers: u64,
}

impl MonthFlows {
    fn add(&mut self, kind: MovementKind, amount: i64) {
        match kind {
            MovementKind::New => {
                self.new += amount;
                self.new_customers += 1;
            }
            MovementKind::Reactivation => self.reactivation += amount,
            MovementKind::Expansion => self.expansion += amount,
            MovementKind::Contraction => self.contraction += amount,
            MovementKind::Churn => {
                self.churn += amount;
                self.churned_customers += 1;
            }
        }
    }
}

/// Flows for every month of `range`, index 0 = `range.first`.
pub(crate) fn monthly_flows(ledger: &MrrLedger, range: MonthRange) -> Vec<MonthFlows> {
    let len = range.len();
    let mut flows = vec![MonthFlows::default(); len];
    // Difference arrays: a constant stretch adds at its first month and subtracts after
    // its last, so each stretch costs O(1) however long it is.
    let mut mrr_delta = vec![0i64; len + 1];
    let mut customer_delta = vec![0i64; len + 1];
    let offset = |month: YearMonth| month.months_since(range.first);

    for customer in 0..ledger.customers() as u32 {
        let points = ledger.points(customer);
        let first_paid = ledger.first_paid(customer);
        let mut before = 0;
        for point in points {
            if range.contains(point.month) {
                if let Some((kind, amount)) = classify(before, point.mrr, Some(point.month) == first_paid) {
                    flows[offset(point.month) as usize].add(kind, amount);
                }
            }
            before = point.mrr;
        }
        for segment in ledger.segments(customer) {
            let from = offset(segment.from).max(0);
            let until = segment.until.map_or(len as i32, |until| offset(until).min(len as i32));
            if from < until {
                mrr_delta[from as usize] += segment.mrr;
                mrr_delta[until as usize] -= segment.mrr;
                customer_delta[from as usize] += 1;
                customer_delta[until as usize] -= 1;
            }
        }
    }
    let (mut mrr, mut customers) = (0i64, 0i64);
    for (i, month) in flows.iter_mut().enumerate() {
        mrr += mrr_delta[i];
        customers += customer_delta[i];
        month.mrr = mrr;
        month.customers = customers.max(0) as u64;
    }
    flows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_every_kind() {
        assert_eq!(classify(0, 5, true), Some((MovementKind::New, 5)));
        assert_eq!(classify(0, 5, false), Some((MovementKind::Reactivation, 5)));
        assert_eq!(classify(5, 8, false), Some((MovementKind::Expansion, 3)));
        assert_eq!(classify(8, 5, false), Some((MovementKind::Contraction, 3)));
        assert_eq!(classify(8, 0, false), Some((MovementKind::Churn, 8)));
        assert_eq!(classify(8, 8, false), None);
        assert_eq!(classify(0, 0, false), None);
    }
}
