//! Drill-down: the customers behind one number of the MRR table.

use revlens_model::Money;
use serde::Serialize;

use super::error::MetricsResult;
use super::model::RevenueModel;
use super::month::YearMonth;
use super::movements::{classify, MovementKind};

/// One customer's MRR at the end of the month before and of the month, and how it moved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CustomerMovement {
    pub customer_id: String,
    pub movement: Option<MovementKind>,
    pub before: Money,
    pub after: Money,
}

/// With a movement kind: the customers whose MRR moved that way in `month` (the sum of
/// their changes is that month's movement total). Without: the customers active at the
/// end of `month` (their MRR sums to the month's MRR). Largest amounts first, then by id.
pub(crate) fn customers_behind(
    model: &RevenueModel,
    month: YearMonth,
    kind: Option<MovementKind>,
) -> MetricsResult<Vec<CustomerMovement>> {
    model.check_month(month)?;
    let ledger = &model.ledger;
    let mut rows = Vec::new();
    for customer in 0..ledger.customers() as u32 {
        let (before, after) = (ledger.value_at(customer, month.prev()), ledger.value_at(customer, month));
        let moved = classify(before, after, ledger.first_paid(customer) == Some(month));
        let (keep, amount) = match (kind, moved) {
            (None, _) => (after > 0, after),
            (Some(wanted), Some((kind, amount))) => (wanted == kind, amount),
            (Some(_), None) => (false, 0),
        };
        if keep {
            let movement = moved.map(|(kind, _)| kind);
            rows.push((
                amount,
                CustomerMovement {
                    customer_id: model.name(customer).to_string(),
                    movement,
                    before: Money(before),
                    after: Money(after),
                },
            ));
        }
    }
    rows.sort_by(|(a, x), (b, y)| b.cmp(a).then_with(|| x.customer_id.cmp(&y.customer_id)));
    Ok(rows.into_iter().map(|(_, row)| row).collect())
}
