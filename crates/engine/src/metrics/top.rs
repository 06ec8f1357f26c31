//! The customers with the most MRR in a month.

use revlens_model::Money;
use serde::Serialize;

use super::error::MetricsResult;
use super::model::RevenueModel;
use super::month::YearMonth;
use super::movements::{classify, MovementKind};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TopCustomer {
    pub rank: usize,
    pub customer_id: String,
    pub mrr: Money,
    pub arr: Money,
    /// Share of the month's total MRR, 0–1.
    pub share: f64,
    /// This month's movement against the month before, if any.
    pub movement: Option<MovementKind>,
    /// Signed change from the month before (MRR now − MRR then).
    pub change: Money,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TopCustomers {
    pub month: YearMonth,
    pub currency: Option<String>,
    /// Every active customer's MRR, not just the listed ones.
    pub total_mrr: Money,
    pub active_customers: u64,
    pub customers: Vec<TopCustomer>,
}

pub(crate) fn top_customers(model: &RevenueModel, month: YearMonth, limit: usize) -> MetricsResult<TopCustomers> {
    model.check_month(month)?;
    let ledger = &model.ledger;
    let mut active: Vec<(u32, i64)> =
        (0..model.customer_count()).map(|c| (c, ledger.value_at(c, month))).filter(|&(_, mrr)| mrr > 0).collect();
    let total: i64 = active.iter().map(|&(_, mrr)| mrr).sum();
    // Largest first; ties by customer id so the order is stable.
    active.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| model.name(a.0).cmp(model.name(b.0))));
    let customers = active
        .iter()
        .take(limit)
        .enumerate()
        .map(|(index, &(customer, mrr))| {
            let before = ledger.value_at(customer, month.prev());
            let first_paid = ledger.first_paid(customer) == Some(month);
            TopCustomer {
                rank: index + 1,
                customer_id: model.name(customer).to_string(),
                mrr: Money(mrr),
                arr: Money(12 * mrr),
                share: mrr as f64 / total as f64,
                movement: classify(before, mrr, first_paid).map(|(kind, _)| kind),
                change: Money(mrr - before),
            }
        })
        .collect();
    Ok(TopCustomers {
        month,
        currency: model.reporting_currency.clone(),
        total_mrr: Money(total),
        active_customers: active.len() as u64,
        customers,
    })
}
