//! Transactional activity: per customer and month, the purchases and the revenue.
//!
//! For e-commerce data "active" means a purchase in the month (any transaction that is
//! not a refund and not a negative credit — a free order of 0.00 is still a purchase)
//! and revenue is the month's sum, net of refunds (a refund counts as minus its
//! absolute amount). Each transaction is converted at its own month's rate and rounded
//! once to a Money unit; the sums are integer.

use super::currency::Converter;
use super::error::MetricsResult;
use super::input::{CustomerIds, TableReader};
use super::month::YearMonth;
use super::spans::is_refund;

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

#[derive(Clone, Debug, Default)]
pub(crate) struct PurchaseLedger {
    offsets: Vec<usize>,
    months: Vec<PurchaseMonth>,
}

impl PurchaseLedger {
    pub fn build(reader: &TableReader, ids: &mut CustomerIds, converter: &Converter<'_>) -> MetricsResult<Self> {
        let customers = reader.text("customer_id")?;
        let amounts = reader.int("amount")?;
        let dates = reader.date("date")?;
        let currencies = reader.text("currency")?;
        let types = reader.text("type")?;

        // (customer, month index, revenue units, purchase day)
        let mut rows: Vec<(u32, i32, i64, Option<i32>)> = Vec::with_capacity(reader.height());
        for row in 0..reader.height() {
            let (Some(customer), Some(amount), Some(day)) = (customers[row].map(str::trim), amounts[row], dates[row])
            else {
                // The span pass reports these rows; here they would only repeat it.
                continue;
            };
            let customer = ids.intern(customer);
            let month = YearMonth::of_epoch_day(day);
            let fx = converter.factor(currencies[row], month)?;
            let refund = is_refund(types[row]);
            let signed = if refund { -amount.abs() } else { amount };
            let revenue = (signed as f64 * fx).round() as i64;
            let purchase_day = (!refund && amount >= 0).then_some(day);
            rows.push((customer, month.index(), revenue, purchase_day));
        }
        rows.sort_unstable_by_key(|&(customer, month, _, _)| (customer, month));

        let mut offsets = Vec::with_capacity(ids.len() + 1);
        let mut months: Vec<PurchaseMonth> = Vec::new();
        let mut at = 0;
        for customer in 0..ids.len() as u32 {
            offsets.push(months.len());
            while at < rows.len() && rows[at].0 == customer {
                let month = rows[at].1;
                let mut entry = PurchaseMonth {
                    month: YearMonth::from_index(month),
                    purchases: 0,
                    revenue: 0,
                    last_purchase_day: None,
                };
                while at < rows.len() && rows[at].0 == customer && rows[at].1 == month {
                    let (_, _, revenue, day) = rows[at];
                    entry.revenue += revenue;
                    if let Some(day) = day {
                        entry.purchases += 1;
                        entry.last_purchase_day = entry.last_purchase_day.max(Some(day));
                    }
                    at += 1;
                }
                months.push(entry);
            }
        }
        offsets.push(months.len());
        Ok(PurchaseLedger { offsets, months })
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
