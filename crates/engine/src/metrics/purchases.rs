//! Transactional activity: per customer and month, the purchases and the revenue.
//!
//! For e-commerce data "active" means a purchase in the month (any transaction that is
//! not a refund and not a negative credit — a free order of 0.00 is still a purchase)
//! and revenue is the month's sum, net of refunds (a refund counts as minus its
//! absolute amount). Each transaction is converted at its own month's rate and rounded
//! once to a Money unit; the sums are integer.

use std::num::NonZeroU8;

use super::ledger::group_by_customer;
use super::month::YearMonth;

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
    /// A transaction on `date` (Date32), in its `month`; `purchase` when it is one.
    pub fn on(date: i32, month: YearMonth, revenue: i64, purchase: bool) -> Self {
        let day_of_month = i64::from(date) - month.first_epoch_day() + 1;
        let purchase_day_of_month = u8::try_from(day_of_month).ok().and_then(NonZeroU8::new).filter(|_| purchase);
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
    /// and month. `customers` is the number of customer ids.
    /// The rows are freed once grouped.
    pub fn from_transactions(customers: usize, input: CustomerTransactions) -> Self {
        let ids = customers;
        let (row_offsets, mut rows) =
            group_by_customer(ids, input.customers.iter().copied().zip(input.rows.iter().copied()));
        drop(input);

        let mut offsets = Vec::with_capacity(ids + 1);
        let mut months: Vec<PurchaseMonth> = Vec::new();
        for customer in 0..ids {
            offsets.push(months.len());
            let own = &mut rows[row_offsets[customer]..row_offsets[customer + 1]];
            own.sort_unstable_by_key(|t| t.month);
            // The day before the current month's first: plus a day of the month, the date.
            let mut day_zero = 0;
            for &Transaction { revenue, month, purchase_day_of_month } in own.iter() {
                if months.len() == offsets[customer] || months.last().map(|m| m.month) != Some(month) {
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
        offsets.push(months.len());
        PurchaseLedger { offsets, months }
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
