//! The parameters of every metric, with ChartMogul's defaults, and the cache key that
//! identifies a computation.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::month::YearMonth;

/// A billing interval unit, as the canonical `interval` column spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntervalUnit {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl IntervalUnit {
    /// One interval expressed as a fraction of a month `(numerator, denominator)`:
    /// year ÷ 12, quarter ÷ 3, week × 52 ÷ 12, day × 365 ÷ 12 (DESIGN.md).
    pub fn per_month(self) -> (i64, i64) {
        match self {
            IntervalUnit::Day => (365, 12),
            IntervalUnit::Week => (52, 12),
            IntervalUnit::Month => (1, 1),
            IntervalUnit::Quarter => (1, 3),
            IntervalUnit::Year => (1, 12),
        }
    }

    /// Calendar months in one interval, for the units that are whole months.
    pub fn months(self) -> Option<u32> {
        match self {
            IntervalUnit::Month => Some(1),
            IntervalUnit::Quarter => Some(3),
            IntervalUnit::Year => Some(12),
            IntervalUnit::Day | IntervalUnit::Week => None,
        }
    }

    /// Days in one interval, for the units that are whole days.
    pub fn days(self) -> Option<u64> {
        match self {
            IntervalUnit::Day => Some(1),
            IntervalUnit::Week => Some(7),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            IntervalUnit::Day => "day",
            IntervalUnit::Week => "week",
            IntervalUnit::Month => "month",
            IntervalUnit::Quarter => "quarter",
            IntervalUnit::Year => "year",
        }
    }
}

impl FromStr for IntervalUnit {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "day" | "daily" => Ok(IntervalUnit::Day),
            "week" | "weekly" => Ok(IntervalUnit::Week),
            "month" | "monthly" => Ok(IntervalUnit::Month),
            "quarter" | "quarterly" => Ok(IntervalUnit::Quarter),
            "year" | "yearly" | "annual" | "annually" => Ok(IntervalUnit::Year),
            other => Err(format!("unknown interval '{other}': expected day, week, month, quarter or year")),
        }
    }
}

/// A billing interval: `count` × `unit` (every 6 months = 6 × month).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BillingInterval {
    pub unit: IntervalUnit,
    pub count: u32,
}

impl BillingInterval {
    pub const MONTHLY: BillingInterval = BillingInterval { unit: IntervalUnit::Month, count: 1 };

    pub fn new(unit: IntervalUnit, count: u32) -> Option<Self> {
        (count >= 1).then_some(BillingInterval { unit, count })
    }
}

impl fmt::Display for BillingInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.count == 1 {
            f.write_str(self.unit.as_str())
        } else {
            write!(f, "{} {}s", self.count, self.unit.as_str())
        }
    }
}

/// Reads "month", "quarter", "year", "week", "day", or "6 months" / "6 month" / "6-month".
impl FromStr for BillingInterval {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim().to_ascii_lowercase().replace('-', " ");
        let (count, unit) = match text.split_once(' ') {
            Some((count, unit)) => (
                count
                    .trim()
                    .parse::<u32>()
                    .map_err(|_| format!("'{s}' is not an interval: expected e.g. month or 6 months"))?,
                unit.trim().trim_end_matches('s'),
            ),
            None => (1, text.as_str()),
        };
        let unit: IntervalUnit = unit.parse()?;
        BillingInterval::new(unit, count).ok_or_else(|| format!("'{s}': the count must be at least 1"))
    }
}

/// How discounts affect MRR.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscountHandling {
    /// MRR is after discounts: adding a discount is contraction, its expiry expansion
    /// (ChartMogul's default).
    #[default]
    Apply,
    /// MRR is the list price; `discount_pct` is ignored.
    Ignore,
}

/// Every parameter a metric depends on. `Default` is ChartMogul's defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricSettings {
    /// ISO code money is reported in. `None`: the data's single currency (an error if it
    /// has several).
    pub reporting_currency: Option<String>,
    /// The service period assumed for an invoice without `period_start`/`period_end`.
    pub invoice_interval: BillingInterval,
    /// Transactional data: a customer with no purchase in this many days before the
    /// as-of date has churned.
    pub churn_inactivity_days: u32,
    /// Gross margin in percent (0–100], used by LTV.
    pub gross_margin_pct: f64,
    /// Subscriptions whose status is past due (or unpaid) count until this many days
    /// after their unpaid period began. `None`: they count until they end (ChartMogul's
    /// default).
    pub past_due_grace_days: Option<u32>,
    pub discounts: DiscountHandling,
    /// First month of the tables; `None`: the data's first month.
    pub from: Option<YearMonth>,
    /// Last month of the tables; `None`: the data's last month.
    pub to: Option<YearMonth>,
    /// The month whose end churn is judged at; `None`: the data's last month.
    pub as_of: Option<YearMonth>,
}

impl Default for MetricSettings {
    fn default() -> Self {
        MetricSettings {
            reporting_currency: None,
            invoice_interval: BillingInterval::MONTHLY,
            churn_inactivity_days: 90,
            gross_margin_pct: 100.0,
            past_due_grace_days: None,
            discounts: DiscountHandling::Apply,
            from: None,
            to: None,
            as_of: None,
        }
    }
}

impl MetricSettings {
    /// A stable key (hex SHA-256) over every parameter. Combine it with the dataset
    /// version ids (and [`super::FxRates::fingerprint`]) to cache results: equal keys,
    /// equal results. Stable across runs and builds because it hashes a fixed
    /// serialisation, not Rust's randomly seeded hasher.
    pub fn cache_key(&self) -> String {
        // Serialising a plain struct of strings, integers and one finite float cannot
        // fail; the fallback still yields a key that differs from every real one.
        let canonical = serde_json::to_string(self).unwrap_or_else(|e| format!("!{e}"));
        hex::encode(Sha256::digest(canonical.as_bytes()))
    }

    /// A stable key over only the parameters a [`super::RevenueModel`] is built from
    /// (reporting currency, invoice interval, past-due grace, discounts). Models with
    /// equal keys over the same dataset versions and rates are interchangeable; the
    /// other parameters are applied per query with [`super::RevenueModel::with_settings`].
    pub fn model_key(&self) -> String {
        let model_only = MetricSettings {
            churn_inactivity_days: 0,
            gross_margin_pct: 100.0,
            from: None,
            to: None,
            as_of: None,
            ..self.clone()
        };
        model_only.cache_key()
    }

    pub(crate) fn validate(&self) -> Result<(), super::MetricsError> {
        use super::MetricsError::InvalidSetting;
        if !(self.gross_margin_pct > 0.0 && self.gross_margin_pct <= 100.0) {
            return Err(InvalidSetting(format!(
                "gross margin must be above 0 and at most 100 %, not {}",
                self.gross_margin_pct
            )));
        }
        if self.invoice_interval.count == 0 {
            return Err(InvalidSetting("invoice interval count must be at least 1".into()));
        }
        if let (Some(from), Some(to)) = (self.from, self.to) {
            if from > to {
                return Err(super::MetricsError::InvertedRange { from, to });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_parse() {
        assert_eq!("month".parse(), Ok(BillingInterval::MONTHLY));
        assert_eq!("6 months".parse(), Ok(BillingInterval::new(IntervalUnit::Month, 6).unwrap()));
        assert_eq!("2-week".parse(), Ok(BillingInterval::new(IntervalUnit::Week, 2).unwrap()));
        assert!("0 months".parse::<BillingInterval>().is_err());
        assert!("fortnight".parse::<BillingInterval>().is_err());
    }

    #[test]
    fn cache_key_is_stable_and_sensitive_to_every_parameter() {
        let base = MetricSettings::default();
        assert_eq!(base.cache_key(), MetricSettings::default().cache_key());
        assert_eq!(base.cache_key().len(), 64);
        let variants = [
            MetricSettings { reporting_currency: Some("EUR".into()), ..base.clone() },
            MetricSettings { invoice_interval: BillingInterval::new(IntervalUnit::Year, 1).unwrap(), ..base.clone() },
            MetricSettings { churn_inactivity_days: 60, ..base.clone() },
            MetricSettings { gross_margin_pct: 80.0, ..base.clone() },
            MetricSettings { past_due_grace_days: Some(0), ..base.clone() },
            MetricSettings { discounts: DiscountHandling::Ignore, ..base.clone() },
            MetricSettings { from: "2025-01".parse().ok(), ..base.clone() },
            MetricSettings { to: "2025-01".parse().ok(), ..base.clone() },
            MetricSettings { as_of: "2025-01".parse().ok(), ..base.clone() },
        ];
        // Only the first two and the past-due and discount variants change the model.
        let model_changes: Vec<bool> = variants.iter().map(|v| v.model_key() != base.model_key()).collect();
        assert_eq!(model_changes, vec![true, true, false, false, true, true, false, false, false]);
        let mut keys: Vec<String> = variants.iter().map(MetricSettings::cache_key).collect();
        keys.push(base.cache_key());
        let count = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), count);
    }
}
