//! Customer filters (segment, plan, country): which billing rows a filtered dashboard
//! counts. Segment and country come from the customers table; plan from the billing
//! rows when they name one (a subscription's plan), else from the customers table.

use std::collections::HashSet;

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::error::MetricsResult;

/// Equality filters on customer attributes; `None` keeps every value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CustomerFilter {
    pub segment: Option<String>,
    pub plan: Option<String>,
    pub country: Option<String>,
}

/// The values each filter can take in the data, sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FilterOptions {
    pub segment: Vec<String>,
    pub plan: Vec<String>,
    pub country: Vec<String>,
}

impl CustomerFilter {
    pub fn is_empty(&self) -> bool {
        self.segment.is_none() && self.plan.is_none() && self.country.is_none()
    }

    /// Part of a cache key: every condition.
    pub fn key(&self) -> String {
        format!("{:?}|{:?}|{:?}", self.segment, self.plan, self.country)
    }

    /// Whether the filter reads the billing rows themselves: a plan filter on billing rows
    /// that name their plan (a subscription's plan). Otherwise it needs only the
    /// customers table, see [`CustomerFilter::matching_customers`].
    pub fn filters_billing_rows(&self, billing: LazyFrame) -> MetricsResult<bool> {
        let mut billing = billing;
        Ok(self.plan.is_some() && columns_of(&mut billing)?.iter().any(|c| c == "plan"))
    }

    /// The (trimmed) ids of the customers whose segment, country and — unless the billing
    /// rows carry it — plan pass. A condition on a column the table does not have, or
    /// without a customers table, matches nobody: an unmapped attribute cannot match.
    pub fn matching_customers(
        &self,
        customers: Option<LazyFrame>,
        plan_on_billing: bool,
    ) -> MetricsResult<HashSet<String>> {
        let mut conditions = vec![("segment", &self.segment), ("country", &self.country)];
        if !plan_on_billing {
            conditions.push(("plan", &self.plan));
        }
        let conditions: Vec<_> =
            conditions.into_iter().filter_map(|(column, value)| Some((column, value.as_ref()?))).collect();
        let Some(mut customers) = customers else { return Ok(HashSet::new()) };
        let columns = columns_of(&mut customers)?;
        let mut predicate = lit(true);
        for (column, value) in conditions {
            if !columns.iter().any(|c| c == column) {
                return Ok(HashSet::new());
            }
            predicate = predicate.and(trimmed(column).eq(lit(value.trim().to_string())));
        }
        let ids = customers.filter(predicate).select([trimmed("customer_id")]).collect()?;
        Ok(ids.column("customer_id")?.str()?.iter().flatten().map(str::to_string).collect())
    }

    /// Whether any condition is on a customer attribute (not the billing rows' plan).
    fn has_customer_conditions(&self, plan_on_billing: bool) -> bool {
        self.segment.is_some() || self.country.is_some() || (self.plan.is_some() && !plan_on_billing)
    }

    /// The billing rows of the customers that pass the filter.
    pub fn apply(&self, billing: LazyFrame, customers: Option<LazyFrame>) -> MetricsResult<LazyFrame> {
        if self.is_empty() {
            return Ok(billing);
        }
        let plan_on_billing = self.filters_billing_rows(billing.clone())?;
        let mut billing = billing;
        if let (true, Some(plan)) = (plan_on_billing, &self.plan) {
            billing = billing.filter(trimmed("plan").eq(lit(plan.trim().to_string())));
        }
        if !self.has_customer_conditions(plan_on_billing) {
            return Ok(billing);
        }
        let ids: Vec<String> = self.matching_customers(customers, plan_on_billing)?.into_iter().collect();
        let ids = Series::new("customer_id".into(), ids);
        Ok(billing.filter(trimmed("customer_id").is_in(lit(ids).implode(false), false)))
    }
}

/// The distinct non-empty values of segment, plan and country.
pub fn filter_options(billing: LazyFrame, customers: Option<LazyFrame>) -> MetricsResult<FilterOptions> {
    let mut options = FilterOptions::default();
    let mut billing = billing;
    if columns_of(&mut billing)?.iter().any(|c| c == "plan") {
        options.plan = distinct(billing, "plan")?;
    }
    if let Some(mut customers) = customers {
        let columns = columns_of(&mut customers)?;
        for (column, target) in [("segment", &mut options.segment), ("country", &mut options.country)] {
            if columns.iter().any(|c| c == column) {
                *target = distinct(customers.clone(), column)?;
            }
        }
        if options.plan.is_empty() && columns.iter().any(|c| c == "plan") {
            options.plan = distinct(customers, "plan")?;
        }
    }
    Ok(options)
}

fn trimmed(column: &str) -> Expr {
    col(column).cast(DataType::String).str().strip_chars(lit(NULL))
}

fn columns_of(frame: &mut LazyFrame) -> MetricsResult<Vec<String>> {
    Ok(frame.collect_schema()?.iter_names().map(|name| name.to_string()).collect())
}

fn distinct(frame: LazyFrame, column: &str) -> MetricsResult<Vec<String>> {
    let values = frame.select([trimmed(column).alias("value")]).unique(None, UniqueKeepStrategy::Any).collect()?;
    let mut values: Vec<String> =
        values.column("value")?.str()?.iter().flatten().filter(|value| !value.is_empty()).map(str::to_string).collect();
    values.sort();
    Ok(values)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn frame(columns: &[(&str, &[&str])]) -> LazyFrame {
        let columns: Vec<Column> =
            columns.iter().map(|(name, values)| Column::new((*name).into(), values.to_vec())).collect();
        DataFrame::new_infer_height(columns).unwrap().lazy()
    }

    fn customer_ids(frame: LazyFrame) -> Vec<String> {
        let df = frame.collect().unwrap();
        df.column("customer_id").unwrap().str().unwrap().iter().flatten().map(str::to_string).collect()
    }

    #[test]
    fn filters_billing_rows_by_customer_attributes() {
        let billing = frame(&[("customer_id", &["A", "B", " C", "D"]), ("amount", &["1", "2", "3", "4"])]);
        let customers = frame(&[
            ("customer_id", &["A", "B", "C"]),
            ("segment", &["SMB", "Enterprise", "SMB "]),
            ("country", &["DE", "DE", "FR"]),
            ("plan", &["Pro", "Pro", "Starter"]),
        ]);
        let smb = CustomerFilter { segment: Some("SMB".into()), ..Default::default() };
        assert_eq!(customer_ids(smb.apply(billing.clone(), Some(customers.clone())).unwrap()), ["A", " C"]);
        let smb_de = CustomerFilter { segment: Some("SMB".into()), country: Some("DE".into()), plan: None };
        assert_eq!(customer_ids(smb_de.apply(billing.clone(), Some(customers.clone())).unwrap()), ["A"]);
        // Plan from the customers table when the billing rows have none.
        let pro = CustomerFilter { plan: Some("Pro".into()), ..Default::default() };
        assert_eq!(customer_ids(pro.apply(billing.clone(), Some(customers.clone())).unwrap()), ["A", "B"]);
        // No customers table: a segment cannot match.
        assert!(customer_ids(smb.apply(billing.clone(), None).unwrap()).is_empty());
        assert_eq!(customer_ids(CustomerFilter::default().apply(billing.clone(), None).unwrap()).len(), 4);

        let options = filter_options(billing, Some(customers)).unwrap();
        assert_eq!(options.segment, ["Enterprise", "SMB"]);
        assert_eq!(options.country, ["DE", "FR"]);
        assert_eq!(options.plan, ["Pro", "Starter"]);
    }

    #[test]
    fn plan_filters_subscriptions_by_their_own_plan() {
        let billing = frame(&[("customer_id", &["A", "A", "B"]), ("plan", &["Pro", "Add-on", "Pro"])]);
        let pro = CustomerFilter { plan: Some("Add-on".into()), ..Default::default() };
        assert_eq!(customer_ids(pro.apply(billing.clone(), None).unwrap()), ["A"]);
        assert_eq!(filter_options(billing, None).unwrap().plan, ["Add-on", "Pro"]);
    }
}
