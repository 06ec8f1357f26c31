//! Exchange rates and conversion into the reporting currency.
//!
//! Each billing row is converted at the rate of the month its amount was set: a
//! subscription row at the month of its `start_date`, an invoice at the month of its
//! `date`. A row's converted MRR therefore never changes while it runs, so exchange-rate
//! changes can never show up as expansion or contraction (DESIGN.md: "FX changes are not
//! movements") and the movement identity stays exact. A price change in the source
//! currency is a new row and is converted at its own month's rate. The cost: a
//! long-running subscription keeps the rate of its start month, as ChartMogul keeps the
//! rate of the invoice.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::error::{MetricsError, MetricsResult};
use super::month::YearMonth;

/// A rates table: for each currency and month, how many units of the reporting currency
/// one unit of that currency is worth.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FxRates {
    rates: HashMap<String, BTreeMap<YearMonth, f64>>,
}

impl FxRates {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a rate. `rate` must be positive and finite.
    pub fn insert(&mut self, month: YearMonth, currency: &str, rate: f64) -> Result<(), String> {
        if !(rate.is_finite() && rate > 0.0) {
            return Err(format!("rate for {currency} in {month} must be a positive number, not {rate}"));
        }
        let currency = normalise_currency(currency).ok_or_else(|| format!("empty currency code for {month}"))?;
        self.rates.entry(currency).or_default().insert(month, rate);
        Ok(())
    }

    pub fn rate(&self, currency: &str, month: YearMonth) -> Option<f64> {
        self.rates.get(currency)?.get(&month).copied()
    }

    pub fn is_empty(&self) -> bool {
        self.rates.is_empty()
    }

    /// Reads a CSV file with the header `month,currency,rate` (month as YYYY-MM; a full
    /// date YYYY-MM-DD is read as its month).
    pub fn from_csv_path(path: &Path) -> MetricsResult<Self> {
        let file = std::fs::File::open(path)
            .map_err(|e| MetricsError::Rates { path: path.to_owned(), message: e.to_string() })?;
        Self::from_csv_reader(file).map_err(|message| MetricsError::Rates { path: path.to_owned(), message })
    }

    pub fn from_csv_reader<R: Read>(reader: R) -> Result<Self, String> {
        let mut csv = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(false).from_reader(reader);
        let headers = csv.headers().map_err(|e| e.to_string())?.clone();
        let position = |name: &str| {
            headers
                .iter()
                .position(|h| h.eq_ignore_ascii_case(name))
                .ok_or_else(|| format!("missing column '{name}' (expected month,currency,rate)"))
        };
        let (month_at, currency_at, rate_at) = (position("month")?, position("currency")?, position("rate")?);
        let mut rates = FxRates::new();
        for (index, record) in csv.records().enumerate() {
            let line = index + 2;
            let record = record.map_err(|e| format!("line {line}: {e}"))?;
            let field = |at: usize| record.get(at).unwrap_or("");
            let month_text = field(month_at);
            let month: YearMonth =
                month_text.get(..7).unwrap_or(month_text).parse().map_err(|e| format!("line {line}: {e}"))?;
            let rate: f64 =
                field(rate_at).parse().map_err(|_| format!("line {line}: '{}' is not a rate", field(rate_at)))?;
            rates.insert(month, field(currency_at), rate).map_err(|e| format!("line {line}: {e}"))?;
        }
        Ok(rates)
    }

    /// A stable hash of the whole table, for cache keys.
    pub fn fingerprint(&self) -> String {
        let mut hasher = Sha256::new();
        let ordered: BTreeMap<_, _> = self.rates.iter().collect();
        for (currency, months) in ordered {
            for (month, rate) in months {
                hasher.update(format!("{month},{currency},{:016x};", rate.to_bits()));
            }
        }
        hex::encode(hasher.finalize())
    }
}

pub(crate) fn normalise_currency(code: &str) -> Option<String> {
    let code = code.trim();
    (!code.is_empty()).then(|| code.to_ascii_uppercase())
}

/// Converts amounts of the data's currencies into the reporting currency.
#[derive(Debug)]
pub(crate) struct Converter<'a> {
    reporting: Option<String>,
    rates: Option<&'a FxRates>,
    /// Every amount of the data is in the reporting currency already.
    converts_nothing: bool,
}

impl<'a> Converter<'a> {
    /// Decides the reporting currency: the setting, or else the data's only currency.
    /// Rows without a currency are taken to be in the reporting currency.
    pub fn new(
        reporting: Option<&str>,
        rates: Option<&'a FxRates>,
        data_currencies: &BTreeSet<String>,
    ) -> MetricsResult<Self> {
        let reporting = match reporting.and_then(normalise_currency) {
            Some(code) => Some(code),
            None if data_currencies.len() > 1 => {
                return Err(MetricsError::SeveralCurrencies {
                    currencies: data_currencies.iter().cloned().collect::<Vec<_>>().join(", "),
                })
            }
            None => data_currencies.iter().next().cloned(),
        };
        let converts_nothing = data_currencies.iter().all(|code| Some(code) == reporting.as_ref());
        Ok(Converter { reporting, rates, converts_nothing })
    }

    /// No row needs its currency looked at: the passes may skip the column.
    pub fn converts_nothing(&self) -> bool {
        self.converts_nothing
    }

    pub fn reporting_currency(&self) -> Option<&str> {
        self.reporting.as_deref()
    }

    /// `amount` times the factor of [`Self::factor`], to the nearest unit; exact when
    /// the factor is 1.
    pub fn convert(amount: i64, factor: f64) -> i64 {
        if factor == 1.0 {
            amount
        } else {
            (amount as f64 * factor).round() as i64
        }
    }

    /// The factor that turns an amount in `currency` set in `month` into the reporting
    /// currency.
    pub fn factor(&self, currency: Option<&str>, month: YearMonth) -> MetricsResult<f64> {
        let Some(currency) = currency.map(super::input::trim).filter(|c| !c.is_empty()) else {
            return Ok(1.0);
        };
        if self.reporting.as_deref().is_none_or(|r| r.eq_ignore_ascii_case(currency)) {
            return Ok(1.0);
        }
        let upper = currency.to_ascii_uppercase();
        self.rates
            .and_then(|rates| rates.rate(&upper, month))
            .ok_or(MetricsError::MissingRate { currency: upper, month })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_rates_csv() {
        let text = "month,currency,rate\n2025-01,eur,1.1\n2025-02-01,EUR,1.2\n";
        let rates = FxRates::from_csv_reader(text.as_bytes()).unwrap();
        assert_eq!(rates.rate("EUR", "2025-01".parse().unwrap()), Some(1.1));
        assert_eq!(rates.rate("EUR", "2025-02".parse().unwrap()), Some(1.2));
        assert!(FxRates::from_csv_reader("month,rate\n".as_bytes()).is_err());
        assert!(FxRates::from_csv_reader("month,currency,rate\n2025-01,EUR,-1\n".as_bytes()).is_err());
    }

    #[test]
    fn a_missing_rate_names_currency_and_month() {
        let rates = FxRates::new();
        let currencies: BTreeSet<String> = ["EUR".to_string(), "USD".to_string()].into();
        let converter = Converter::new(Some("usd"), Some(&rates), &currencies).unwrap();
        assert_eq!(converter.factor(Some("USD"), "2025-01".parse().unwrap()).unwrap(), 1.0);
        let error = converter.factor(Some("EUR"), "2025-01".parse().unwrap()).unwrap_err().to_string();
        assert!(error.contains("EUR") && error.contains("2025-01"), "{error}");
        assert!(Converter::new(None, None, &currencies).is_err());
    }

    #[test]
    fn data_in_the_reporting_currency_converts_nothing() {
        let set = |codes: &[&str]| codes.iter().map(|c| c.to_string()).collect::<BTreeSet<_>>();
        assert!(Converter::new(Some("usd"), None, &set(&["USD"])).unwrap().converts_nothing());
        assert!(Converter::new(None, None, &set(&["EUR"])).unwrap().converts_nothing());
        assert!(Converter::new(Some("USD"), None, &set(&[])).unwrap().converts_nothing());
        assert!(!Converter::new(Some("USD"), None, &set(&["EUR", "USD"])).unwrap().converts_nothing());
        assert!(!Converter::new(Some("EUR"), None, &set(&["USD"])).unwrap().converts_nothing());
        // Beyond f64's 53 bits a factor of 1 leaves the amount as it is.
        let big = (1_i64 << 53) + 1;
        assert_eq!(Converter::convert(big, 1.0), big);
        assert_eq!(Converter::convert(10_0000, 1.25), 12_5000);
        assert_eq!(Converter::convert(-3, 0.5), -2);
    }
}
