//! MRR movements: how each customer's MRR changed from one month to the next, and the
//! monthly totals, in one sorted pass over the ledger's change points.

use std::ops::Range;

use serde::Serialize;

use super::ledger::MrrLedger;
use super::month::{MonthRange, YearMonth};
use super::side_by_side::side_by_side_if;

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
    fn merge(&mut self, other: &MonthFlows) {
        self.mrr += other.mrr;
        self.customers += other.customers;
        self.new += other.new;
        self.expansion += other.expansion;
        self.contraction += other.contraction;
        self.churn += other.churn;
        self.reactivation += other.reactivation;
        self.churned_customers += other.churned_customers;
        self.new_customers += other.new_customers;
    }

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
    // The customers' flows add up: a large ledger is summed in halves, one per core.
    let (lower, upper) = ledger.halves();
    let aside = (!upper.is_empty()).then_some(move || FlowSums::of(ledger, range, upper));
    let (upper, mut sums) = side_by_side_if("flows", aside, || FlowSums::of(ledger, range, lower));
    if let Some(upper) = upper {
        sums.add(&upper);
    }
    sums.into_flows()
}

/// The movements of some customers by month, and their MRR and customer counts as
/// difference arrays: a constant stretch adds at its first month and subtracts after its
/// last, so each stretch costs O(1) however long it is.
struct FlowSums {
    flows: Vec<MonthFlows>,
    mrr_delta: Vec<i64>,
    customer_delta: Vec<i64>,
}

impl FlowSums {
    fn of(ledger: &MrrLedger, range: MonthRange, customers: Range<u32>) -> Self {
        let len = range.len();
        let mut sums = FlowSums {
            flows: vec![MonthFlows::default(); len],
            mrr_delta: vec![0; len + 1],
            customer_delta: vec![0; len + 1],
        };
        let offset = |month: YearMonth| month.months_since(range.first);
        for customer in customers {
            let points = ledger.points(customer);
            let first_paid = ledger.first_paid(customer);
            let mut before = 0;
            for point in points {
                if range.contains(point.month) {
                    if let Some((kind, amount)) = classify(before, point.mrr, Some(point.month) == first_paid) {
                        sums.flows[offset(point.month) as usize].add(kind, amount);
                    }
                }
                before = point.mrr;
            }
            for segment in ledger.segments(customer) {
                let from = offset(segment.from).max(0);
                let until = segment.until.map_or(len as i32, |until| offset(until).min(len as i32));
                if from < until {
                    sums.mrr_delta[from as usize] += segment.mrr;
                    sums.mrr_delta[until as usize] -= segment.mrr;
                    sums.customer_delta[from as usize] += 1;
                    sums.customer_delta[until as usize] -= 1;
                }
            }
        }
        sums
    }

    fn add(&mut self, other: &FlowSums) {
        for (mine, theirs) in self.flows.iter_mut().zip(&other.flows) {
            mine.merge(theirs);
        }
        for (mine, theirs) in self.mrr_delta.iter_mut().zip(&other.mrr_delta) {
            *mine += theirs;
        }
        for (mine, theirs) in self.customer_delta.iter_mut().zip(&other.customer_delta) {
            *mine += theirs;
        }
    }

    fn into_flows(mut self) -> Vec<MonthFlows> {
        let (mut mrr, mut customers) = (0i64, 0i64);
        for (i, month) in self.flows.iter_mut().enumerate() {
            mrr += self.mrr_delta[i];
            customers += self.customer_delta[i];
            month.mrr = mrr;
            month.customers = customers.max(0) as u64;
        }
        self.flows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::ledger::Point;

    #[test]
    fn a_large_ledger_summed_in_halves_gives_the_flows_of_one_pass() {
        // 40,000 customers with 0–4 changes each over three years: above the threshold
        // for halves, with every kind of movement and customers without points.
        let origin = YearMonth::new(2022, 1).unwrap();
        let mut ledger = MrrLedger::default();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = |bound: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % bound
        };
        for _ in 0..40_000 {
            ledger.offsets.push(ledger.points.len());
            let mut month = next(6) as i32;
            for _ in 0..next(5) {
                let mrr = [0, 10_0000, 25_0000, 99_0000][next(4) as usize];
                ledger.points.push(Point { month: origin.plus(month), mrr });
                month += 1 + next(8) as i32;
            }
        }
        ledger.offsets.push(ledger.points.len());
        let (lower, upper) = ledger.halves();
        assert!(!lower.is_empty() && !upper.is_empty(), "the ledger is summed in halves");

        let range = MonthRange { first: origin.plus(3), last: origin.plus(40) };
        let whole = FlowSums::of(&ledger, range, 0..ledger.customers() as u32).into_flows();
        assert_eq!(monthly_flows(&ledger, range), whole);
        assert!(whole.iter().any(|m| m.churn > 0 && m.reactivation > 0 && m.expansion > 0 && m.contraction > 0));
    }

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
