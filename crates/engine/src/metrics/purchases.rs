//! Transactional activity: per customer and month, the purchases and the revenue.
//!
//! For e-commerce data "active" means a purchase in the month (any transaction that is
//! not a refund and not a negative credit — a free order of 0.00 is still a purchase)
//! and revenue is the month's sum, net of refunds (a refund counts as minus its
//! absolute amount). Each transaction is converted at its own month's rate and rounded
//! once to a Money unit; the sums are integer.

use std::num::NonZeroU8;
use std::ops::Range;

use super::ledger::{append_customers, customer_offsets, group_customers, halves, MonthlyLedgerBuilder, MrrLedger};
use super::month::YearMonth;
use super::side_by_side::side_by_side_if;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PurchaseMonth {
    pub month: YearMonth,
    /// Transactions that are neither refunds nor negative.
    pub purchases: u32,
    /// Net revenue in Money units.
    pub revenue: i64,
    /// The latest purchase date of the month (Date32), if any purchase.
    pub last_purchase_day: Option<i32>,
}

/// One transaction, converted: its month, signed revenue and, if it is a purchase, its
/// day in the month — 16 bytes, as there is one per row.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Transaction {
    /// Signed Money units in the reporting currency (refunds negative).
    pub revenue: i64,
    pub month: YearMonth,
    /// 1..=31.
    pub purchase_day_of_month: Option<NonZeroU8>,
}

impl Transaction {
    /// A transaction on `day_of_month` (1..=31) of `month`; `purchase` when it is one.
    pub fn on(month: YearMonth, day_of_month: u8, revenue: i64, purchase: bool) -> Self {
        let purchase_day_of_month = NonZeroU8::new(day_of_month).filter(|_| purchase);
        Transaction { revenue, month, purchase_day_of_month }
    }
}

/// Transactions in row order, beside each row's customer id.
#[derive(Debug, Default)]
pub(crate) struct CustomerTransactions {
    pub customers: Vec<u32>,
    pub rows: Vec<Transaction>,
}

/// A placeholder for [`group_by_customer`] to overwrite.
impl Default for Transaction {
    fn default() -> Self {
        Transaction { revenue: 0, month: YearMonth::of_epoch_day(0), purchase_day_of_month: None }
    }
}

#[derive(Clone, Debug, Default)]
pub(crate) struct PurchaseLedger {
    pub(crate) offsets: Vec<usize>,
    pub(crate) months: Vec<PurchaseMonth>,
}

impl PurchaseLedger {
    /// The ledger of these customers only, renumbered in the given order.
    pub fn select(&self, customers: &[u32]) -> Self {
        let mut offsets = Vec::with_capacity(customers.len() + 1);
        let mut months = Vec::new();
        for &customer in customers {
            offsets.push(months.len());
            let c = customer as usize;
            if let (Some(&start), Some(&end)) = (self.offsets.get(c), self.offsets.get(c + 1)) {
                months.extend_from_slice(&self.months[start..end]);
            }
        }
        offsets.push(months.len());
        PurchaseLedger { offsets, months }
    }

    /// Groups converted transactions (read with the spans, in one pass) by customer
    /// and month. `customers` is the number of customer ids. The rows are freed once
    /// grouped.
    pub fn from_transactions(customers: usize, input: CustomerTransactions) -> Self {
        Self::group(customers, input, false).0
    }

    /// The same, and from the same pass the MRR ledger of a table whose every charge is
    /// MRR for its own month only (see [`MonthlyLedgerBuilder`]).
    pub fn with_monthly_mrr(customers: usize, input: CustomerTransactions) -> (Self, MrrLedger) {
        let (purchases, mrr) = Self::group(customers, input, true);
        (purchases, mrr.unwrap_or_default())
    }

    /// The customers in two [`halves`] of about equal rows, each grouped and summed on its
    /// own thread (the passes are random writes and reads of memory, one core each).
    fn group(ids: usize, input: CustomerTransactions, monthly_mrr: bool) -> (Self, Option<MrrLedger>) {
        let offsets = &customer_offsets(ids, input.customers.iter().copied());
        let (lower, upper) = halves(offsets);
        let rows = || input.customers.iter().copied().zip(input.rows.iter().copied());
        let (upper_rows, lower_rows) = side_by_side_if(
            "purchases-upper",
            (!upper.is_empty()).then_some(|| group_customers(offsets, upper.clone(), rows())),
            || group_customers(offsets, lower.clone(), rows()),
        );
        drop(input);
        let (upper_sums, (mut ledger, mut mrr)) = side_by_side_if(
            "purchases-upper",
            upper_rows.map(|rows| move || Self::sum(offsets, upper, rows, monthly_mrr)),
            || Self::sum(offsets, lower, lower_rows, monthly_mrr),
        );
        if let Some((upper, upper_mrr)) = upper_sums {
            append_customers(&mut ledger.offsets, &mut ledger.months, &upper.offsets, &upper.months);
            if let (Some(mrr), Some(upper_mrr)) = (mrr.as_mut(), upper_mrr) {
                mrr.append(&upper_mrr);
            }
        }
        (ledger, mrr)
    }

    /// The ledger of the customers in `range` (and their MRR ledger when every charge is
    /// its month's MRR), from their rows grouped by customer; its offsets start at 0.
    fn sum(
        offsets: &[usize],
        range: Range<usize>,
        mut rows: Vec<Transaction>,
        monthly_mrr: bool,
    ) -> (Self, Option<MrrLedger>) {
        let base = offsets[range.start];
        let mut mrr = monthly_mrr.then(MonthlyLedgerBuilder::default);
        let mut own_offsets = Vec::with_capacity(range.len() + 1);
        let mut months: Vec<PurchaseMonth> = Vec::new();
        for customer in range {
            own_offsets.push(months.len());
            if let Some(mrr) = mrr.as_mut() {
                mrr.start_customer();
            }
            let own = &mut rows[offsets[customer] - base..offsets[customer + 1] - base];
            own.sort_unstable_by_key(|t| t.month);
            // The day before the current month's first: plus a day of the month, the date.
            let mut day_zero = 0;
            let first = months.len();
            for &Transaction { revenue, month, purchase_day_of_month } in own.iter() {
                if let Some(mrr) = mrr.as_mut() {
                    // A purchase's revenue is its charge; refunds and credits are none.
                    mrr.add(month, if purchase_day_of_month.is_some() { revenue } else { 0 });
                }
                if months.len() == first || months.last().map(|m| m.month) != Some(month) {
                    months.push(PurchaseMonth { month, purchases: 0, revenue: 0, last_purchase_day: None });
                    day_zero = month.first_epoch_day() - 1;
                }
                if let Some(entry) = months.last_mut() {
                    entry.revenue += revenue;
                    if let Some(day_of_month) = purchase_day_of_month {
                        let day = (day_zero + i64::from(day_of_month.get())) as i32;
                        entry.purchases += 1;
                        entry.last_purchase_day = entry.last_purchase_day.max(Some(day));
                    }
                }
            }
        }
        own_offsets.push(months.len());
        (PurchaseLedger { offsets: own_offsets, months }, mrr.map(MonthlyLedgerBuilder::finish))
    }

    pub fn months(&self, customer: u32) -> &[PurchaseMonth] {
        let c = customer as usize;
        match (self.offsets.get(c), self.offsets.get(c + 1)) {
            (Some(&start), Some(&end)) => &self.months[start..end],
            _ => &[],
        }
    }

    /// The first month with a purchase.
    pub fn first_purchase_month(&self, customer: u32) -> Option<YearMonth> {
        self.months(customer).iter().find(|m| m.purchases > 0).map(|m| m.month)
    }

    /// The latest purchase on or before `day`.
    pub fn last_purchase_until(&self, customer: u32, day: i32) -> Option<i32> {
        let month = YearMonth::of_epoch_day(day);
        self.months(customer)
            .iter()
            .rev()
            .filter(|m| m.month <= month)
            .find_map(|m| m.last_purchase_day.filter(|&d| d <= day))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::metrics::spans::Span;

    #[test]
    fn rows_grouped_in_halves_give_the_ledgers_of_one_pass() {
        // 100,000 rows of 3,000 customers: above the threshold for halves.
        let origin = YearMonth::of_epoch_day(19_000);
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |bound: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % bound
        };
        let mut input = CustomerTransactions::default();
        for _ in 0..100_000 {
            let refund = next(10) == 0;
            let amount = next(50_0000) as i64 - 5_0000;
            input.customers.push(next(3_000) as u32);
            let revenue = if refund { -amount.abs() } else { amount };
            input.rows.push(Transaction::on(
                origin.plus(next(30) as i32),
                next(28) as u8 + 1,
                revenue,
                !refund && amount >= 0,
            ));
        }
        let customers = 3_000;
        let offsets = customer_offsets(customers, input.customers.iter().copied());
        let (_, upper) = halves(&offsets);
        assert!(!upper.is_empty(), "the rows are grouped in halves");
        let rows = input.customers.iter().copied().zip(input.rows.iter().copied());
        let (whole, whole_mrr) =
            PurchaseLedger::sum(&offsets, 0..customers, group_customers(&offsets, 0..customers, rows), true);

        let (purchases, mrr) = PurchaseLedger::with_monthly_mrr(customers, input);
        assert_eq!((purchases.offsets, purchases.months), (whole.offsets, whole.months));
        let whole_mrr = whole_mrr.unwrap_or_default();
        assert_eq!((mrr.offsets, mrr.points), (whole_mrr.offsets, whole_mrr.points));
    }

    proptest! {
        /// The ledger built in the purchases' pass equals the one built from the same
        /// charges as one-month spans (events sorted and summed).
        #[test]
        fn monthly_ledger_equals_the_ledger_of_one_month_spans(
            rows in prop::collection::vec((0u32..6, 0i32..9, 0u8..28, -50_0000i64..80_0000, any::<bool>()), 0..120),
            extra_customers in 0usize..3,
        ) {
            let origin = YearMonth::of_epoch_day(0);
            let mut input = CustomerTransactions::default();
            let mut spans = Vec::new();
            for &(customer, offset, day, amount, refund) in &rows {
                let month = origin.plus(offset);
                let revenue = if refund { -amount.abs() } else { amount };
                let purchase = !refund && amount >= 0;
                input.customers.push(customer);
                input.rows.push(Transaction::on(month, day + 1, revenue, purchase));
                if purchase && amount > 0 {
                    spans.push(Span { customer, first: month, end: Some(month.next()), units: amount });
                }
            }
            let customers = rows.iter().map(|r| r.0 as usize + 1).max().unwrap_or(0);
            let (_, monthly) = PurchaseLedger::with_monthly_mrr(customers, input);
            let monthly = monthly.extended_to(customers + extra_customers);
            let from_spans = MrrLedger::build(customers + extra_customers, spans);
            prop_assert_eq!(monthly.offsets, from_spans.offsets);
            prop_assert_eq!(monthly.points, from_spans.points);
        }
    }
}
