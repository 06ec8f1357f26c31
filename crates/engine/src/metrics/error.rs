use std::path::PathBuf;

use polars::prelude::PolarsError;

use super::month::{MonthRange, YearMonth};

/// Why a metric could not be computed. Every message names what the user can fix.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("no exchange rate for {currency} in {month}: add a row '{month},{currency},RATE' to the rates table")]
    MissingRate { currency: String, month: YearMonth },
    #[error(
        "the data has amounts in several currencies ({currencies}): choose a reporting currency and give a rates table"
    )]
    SeveralCurrencies { currencies: String },
    #[error("the requested months {requested} are outside the data, which covers {available}")]
    RangeOutsideData { requested: String, available: MonthRange },
    #[error("the data has no rows to compute metrics from")]
    NoData,
    #[error("month {month} is outside the data, which covers {available}")]
    MonthOutsideData { month: YearMonth, available: MonthRange },
    #[error("invalid range: {from} is after {to}")]
    InvertedRange { from: YearMonth, to: YearMonth },
    #[error("column '{column}' is missing from the {table} table")]
    MissingColumn { table: &'static str, column: String },
    #[error("{table} row {row}: {message}")]
    InvalidRow { table: &'static str, row: usize, message: String },
    #[error("invalid setting: {0}")]
    InvalidSetting(String),
    #[error("cohorts by signup month need a customers table with signup_date")]
    SignupNeedsCustomers,
    #[error("rates file {path}: {message}")]
    Rates { path: PathBuf, message: String },
    #[error("computing metrics: {0}")]
    Polars(#[from] PolarsError),
    #[error("rendering: {0}")]
    Render(String),
}

pub type MetricsResult<T> = Result<T, MetricsError>;
