//! Churn per customer: provided (a mapped column), computed (from the data), or
//! unknown — each with a one-line reason.
//!
//! Computed, subscriptions: churned when the customer had MRR and its MRR is zero at the
//! end of the as-of month (it fell to zero and stayed there to the last full month).
//! Computed, transactions: churned when its last purchase is at least N days (a setting,
//! default 90) before the as-of date — the end of the as-of month, or the latest date in
//! the data when no as-of month is given.
//! Provided: the customers table's `churned` flag, or else its `churn_date` (churned
//! when on or before the as-of date). Provided wins over computed when both exist.

use serde::Serialize;

use super::customers::Profile;
use super::error::MetricsResult;
use super::model::{BillingKind, RevenueModel};
use super::month::{date_of_epoch_day, YearMonth};
use super::settings::MetricSettings;
use revlens_model::Money;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChurnSource {
    Provided,
    Computed,
    Unknown,
}

impl ChurnSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ChurnSource::Provided => "provided",
            ChurnSource::Computed => "computed",
            ChurnSource::Unknown => "unknown",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CustomerChurn {
    pub customer_id: String,
    /// The verdict: provided when there is one, else computed; `None` when unknown.
    pub churned: Option<bool>,
    pub churn_source: ChurnSource,
    /// One line saying why.
    pub reason: String,
    pub churn_provided: Option<bool>,
    pub churn_computed: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChurnReport {
    /// The date churn is judged at.
    #[serde(serialize_with = "super::month::serialize_display")]
    pub as_of: chrono::NaiveDate,
    /// Customers in customer_id order.
    pub customers: Vec<CustomerChurn>,
}

/// The computed verdict and its explanation.
struct Computed {
    churned: Option<bool>,
    reason: String,
}

fn computed_for_subscriptions(model: &RevenueModel, customer: u32, as_of: YearMonth) -> Computed {
    if (customer as usize) >= model.billed_customers {
        return Computed { churned: None, reason: "no billing rows".into() };
    }
    match model.ledger.last_paid(customer, as_of) {
        None => Computed { churned: None, reason: format!("no paid month up to {as_of}") },
        Some(last) if last == as_of => Computed {
            churned: Some(false),
            reason: format!("paying in {as_of} (MRR {})", Money(model.ledger.value_at(customer, as_of))),
        },
        Some(last) => Computed { churned: Some(true), reason: format!("last paid month {last}") },
    }
}

fn computed_for_transactions(
    model: &RevenueModel,
    settings: &MetricSettings,
    customer: u32,
    as_of_day: i32,
) -> Computed {
    let as_of = date_of_epoch_day(as_of_day);
    let Some(purchases) = model.purchases.as_ref() else {
        return Computed { churned: None, reason: "no purchase data".into() };
    };
    if (customer as usize) >= model.billed_customers {
        return Computed { churned: None, reason: "no billing rows".into() };
    }
    let threshold = i64::from(settings.churn_inactivity_days);
    match purchases.last_purchase_until(customer, as_of_day) {
        None => Computed { churned: None, reason: format!("no purchase up to {as_of}") },
        Some(day) => {
            let idle = i64::from(as_of_day - day);
            let last = date_of_epoch_day(day);
            Computed {
                churned: Some(idle >= threshold),
                reason: format!("last purchase {last}, {idle} days before {as_of} (churn after {threshold})"),
            }
        }
    }
}

fn provided(profile: Option<&Profile>, as_of_day: i32) -> Option<(bool, String)> {
    let profile = profile?;
    if let Some(churned) = profile.churned {
        let word = if churned { "yes" } else { "no" };
        return Some((churned, format!("churned column says {word}")));
    }
    let day = profile.churn_day?;
    let date = date_of_epoch_day(day);
    Some(if day <= as_of_day {
        (true, format!("churn_date {date}"))
    } else {
        (false, format!("churn_date {date} is after the as-of date"))
    })
}

pub(crate) fn churn_report(model: &RevenueModel, settings: &MetricSettings) -> MetricsResult<ChurnReport> {
    let as_of_month = model.as_of_month_for(settings)?;
    let as_of_day = match (model.kind, settings.as_of) {
        (BillingKind::Transactions, None) => model.last_day,
        _ => as_of_month.last_epoch_day(),
    };
    let profiles = model.profiles.as_ref();
    let has_column = profiles.is_some_and(|p| p.has_churn_column);
    let mut customers: Vec<CustomerChurn> = (0..model.customer_count())
        .map(|customer| {
            let computed = match model.kind {
                BillingKind::Subscriptions => computed_for_subscriptions(model, customer, as_of_month),
                BillingKind::Transactions => computed_for_transactions(model, settings, customer, as_of_day),
            };
            let provided = provided(profiles.and_then(|p| p.get(customer)), as_of_day);
            let (churned, churn_source, reason) = match (&provided, computed.churned) {
                (Some((churned, why)), _) => {
                    (Some(*churned), ChurnSource::Provided, format!("provided: {why} (computed: {})", computed.reason))
                }
                (None, Some(churned)) => {
                    let missing = if has_column { "no churn value" } else { "no churn column" };
                    (Some(churned), ChurnSource::Computed, format!("computed: {}, {missing}", computed.reason))
                }
                (None, None) => (None, ChurnSource::Unknown, format!("unknown: {}", computed.reason)),
            };
            CustomerChurn {
                customer_id: model.name(customer).to_string(),
                churned,
                churn_source,
                reason,
                churn_provided: provided.map(|(churned, _)| churned),
                churn_computed: computed.churned,
            }
        })
        .collect();
    customers.sort_by(|a, b| a.customer_id.cmp(&b.customer_id));
    Ok(ChurnReport { as_of: date_of_epoch_day(as_of_day), customers })
}
