//! What the optional customers table adds: signup months and provided churn.

use super::error::MetricsResult;
use super::input::{ColumnType, CustomerIds, TableReader};
use super::month::YearMonth;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Profile {
    pub signup: Option<YearMonth>,
    /// The mapped `churned` flag (the importer reads yes/no, true/false, 1/0, a date).
    pub churned: Option<bool>,
    /// Date32 of `churn_date`.
    pub churn_day: Option<i32>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Profiles {
    /// Indexed by customer id; `None` for customers not in the table.
    pub(crate) by_customer: Vec<Option<Profile>>,
    /// Whether the table maps a churn column at all (churned or churn_date).
    pub has_churn_column: bool,
}

pub(crate) const CUSTOMER_COLUMNS: [(&str, ColumnType); 3] =
    [("signup_date", ColumnType::Date), ("churned", ColumnType::Flag), ("churn_date", ColumnType::Date)];

impl Profiles {
    pub fn read(reader: &TableReader, ids: &mut CustomerIds) -> MetricsResult<Self> {
        let customers = reader.text("customer_id")?;
        let signups = reader.date("signup_date")?;
        let churned = reader.flag("churned")?;
        let churn_days = reader.date("churn_date")?;
        let mut profiles = Profiles {
            by_customer: Vec::new(),
            has_churn_column: churned.values().next().is_some() || churn_days.values().next().is_some(),
        };
        let customers = ids.intern_column(&customers, reader.height());
        let mut signups = signups.cells();
        let (mut churned, mut churn_days) = (churned.cells(), churn_days.cells());
        for row in 0..reader.height() {
            let id = reader.customer(&customers, row)? as usize;
            let (signup, flag, churn_day) =
                (signups.next().flatten(), churned.next().flatten(), churn_days.next().flatten());
            if profiles.by_customer.len() <= id {
                profiles.by_customer.resize(id + 1, None);
            }
            // A customer listed twice keeps the first non-empty value of each field.
            let entry = profiles.by_customer[id].get_or_insert_with(Profile::default);
            entry.signup = entry.signup.or(signup.map(YearMonth::of_epoch_day));
            entry.churned = entry.churned.or(flag);
            entry.churn_day = entry.churn_day.or(churn_day);
        }
        Ok(profiles)
    }

    pub fn get(&self, customer: u32) -> Option<&Profile> {
        self.by_customer.get(customer as usize)?.as_ref()
    }
}
