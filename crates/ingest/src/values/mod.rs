//! Parsers for single cell values. Each reads a trimmed `&str` without allocating.

pub(crate) mod date;
pub(crate) mod number;
pub(crate) mod words;

pub(crate) use date::{looks_like_date, parse_date, DateEvidence, DateFormat};
pub(crate) use number::{looks_numeric, parse_money, DecimalEvidence, DecimalMark, NumberError, PlainNumber};
pub(crate) use words::{parse_currency, parse_flag, parse_interval, parse_transaction_type};
