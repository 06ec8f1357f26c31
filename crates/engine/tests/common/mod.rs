//! Canonical frames for tests, built the way `table.rs` stores them: every canonical
//! column of the kind, in `kind.fields()` order, unmapped ones all-null.
#![allow(dead_code, clippy::unwrap_used)]

use chrono::NaiveDate;
use polars::prelude::*;
use revlens_model::{DatasetKind, StorageType, MONEY_SCALE};

pub fn day(text: &str) -> i32 {
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date");
    (date - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32
}

/// "12.34" → Money units.
pub fn money(text: &str) -> i64 {
    let (units, fraction) = text.split_once('.').unwrap_or((text, ""));
    let negative = units.starts_with('-');
    let units: i64 = units.trim_start_matches('-').parse().expect("test amount");
    let fraction: i64 = format!("{fraction:0<4}").parse().expect("test amount");
    let value = units * MONEY_SCALE + fraction;
    if negative {
        -value
    } else {
        value
    }
}

/// One value of a canonical cell.
#[derive(Clone, Debug)]
pub enum V {
    Text(&'static str),
    Money(&'static str),
    Date(&'static str),
    Int(i64),
    Float(f64),
    Flag(bool),
}

/// Builds a canonical frame of `kind` from rows of (column, value) pairs.
pub fn frame(kind: DatasetKind, rows: &[Vec<(&str, V)>]) -> LazyFrame {
    let mut columns = Vec::new();
    for field in kind.fields() {
        let values = rows.iter().map(|row| row.iter().find(|(name, _)| *name == field.name).map(|(_, v)| v.clone()));
        let name = PlSmallStr::from(field.name);
        let series = match field.ty.storage() {
            StorageType::Text => Series::new(
                name,
                values
                    .map(|v| match v {
                        Some(V::Text(t)) => Some(t.to_string()),
                        None => None,
                        other => panic!("{}: {other:?} is not text", field.name),
                    })
                    .collect::<Vec<_>>(),
            ),
            StorageType::Money | StorageType::Integer => Series::new(
                name,
                values
                    .map(|v| match v {
                        Some(V::Money(t)) => Some(money(t)),
                        Some(V::Int(i)) => Some(i),
                        None => None,
                        other => panic!("{}: {other:?} is not a number", field.name),
                    })
                    .collect::<Vec<_>>(),
            ),
            StorageType::Date => Series::new(
                name,
                values
                    .map(|v| match v {
                        Some(V::Date(t)) => Some(day(t)),
                        None => None,
                        other => panic!("{}: {other:?} is not a date", field.name),
                    })
                    .collect::<Vec<_>>(),
            )
            .cast(&DataType::Date)
            .unwrap(),
            StorageType::Float => Series::new(
                name,
                values
                    .map(|v| match v {
                        Some(V::Float(f)) => Some(f),
                        None => None,
                        other => panic!("{}: {other:?} is not a float", field.name),
                    })
                    .collect::<Vec<_>>(),
            ),
            StorageType::Bool => Series::new(
                name,
                values
                    .map(|v| match v {
                        Some(V::Flag(b)) => Some(b),
                        None => None,
                        other => panic!("{}: {other:?} is not a flag", field.name),
                    })
                    .collect::<Vec<_>>(),
            ),
        };
        columns.push(series.into());
    }
    DataFrame::new(rows.len(), columns).unwrap().lazy()
}

/// A subscription row builder.
#[derive(Clone, Debug)]
pub struct Sub(pub Vec<(&'static str, V)>);

pub fn sub(customer: &'static str, amount: &'static str, start: &'static str) -> Sub {
    Sub(vec![("customer_id", V::Text(customer)), ("amount", V::Money(amount)), ("start_date", V::Date(start))])
}

impl Sub {
    pub fn end(mut self, end: &'static str) -> Self {
        self.0.push(("end_date", V::Date(end)));
        self
    }
    pub fn every(mut self, count: i64, unit: &'static str) -> Self {
        self.0.push(("interval", V::Text(unit)));
        self.0.push(("interval_count", V::Int(count)));
        self
    }
    pub fn currency(mut self, code: &'static str) -> Self {
        self.0.push(("currency", V::Text(code)));
        self
    }
    pub fn quantity(mut self, quantity: f64) -> Self {
        self.0.push(("quantity", V::Float(quantity)));
        self
    }
    pub fn discount(mut self, pct: f64) -> Self {
        self.0.push(("discount_pct", V::Float(pct)));
        self
    }
    pub fn status(mut self, status: &'static str) -> Self {
        self.0.push(("status", V::Text(status)));
        self
    }
}

pub fn subscriptions(rows: &[Sub]) -> LazyFrame {
    let rows: Vec<Vec<(&str, V)>> = rows.iter().map(|r| r.0.clone()).collect();
    frame(DatasetKind::Subscriptions, &rows)
}

/// A transaction row builder.
#[derive(Clone, Debug)]
pub struct Txn(pub Vec<(&'static str, V)>);

pub fn txn(customer: &'static str, amount: &'static str, date: &'static str) -> Txn {
    Txn(vec![("customer_id", V::Text(customer)), ("amount", V::Money(amount)), ("date", V::Date(date))])
}

impl Txn {
    pub fn period(mut self, start: &'static str, end: &'static str) -> Self {
        self.0.push(("period_start", V::Date(start)));
        self.0.push(("period_end", V::Date(end)));
        self
    }
    pub fn refund(mut self) -> Self {
        self.0.push(("type", V::Text("refund")));
        self
    }
    pub fn currency(mut self, code: &'static str) -> Self {
        self.0.push(("currency", V::Text(code)));
        self
    }
}

pub fn transactions(rows: &[Txn]) -> LazyFrame {
    let rows: Vec<Vec<(&str, V)>> = rows.iter().map(|r| r.0.clone()).collect();
    frame(DatasetKind::Transactions, &rows)
}
