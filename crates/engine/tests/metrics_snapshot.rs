//! A model loaded from its binary snapshot renders exactly the tables of the freshly
//! built one, under its own settings and under other query-time settings; a damaged or
//! mismatched snapshot is an error, never a wrong model.

#![allow(clippy::unwrap_used)] // test data: a panic is the failure report

mod common;

use common::*;
use revlens_engine::metrics::*;
use revlens_model::DatasetKind;

fn customers() -> polars::prelude::LazyFrame {
    frame(
        DatasetKind::Customers,
        &[
            vec![("customer_id", V::Text("A")), ("churned", V::Flag(true)), ("signup_date", V::Date("2024-12-15"))],
            vec![
                ("customer_id", V::Text("B")),
                ("churn_date", V::Date("2025-06-30")),
                ("signup_date", V::Date("2025-01-01")),
            ],
            vec![("customer_id", V::Text("Z")), ("signup_date", V::Date("2025-01-20"))],
        ],
    )
}

fn subscriptions() -> MetricInputs {
    let rows = vec![
        vec![("customer_id", V::Text("A")), ("amount", V::Money("100")), ("start_date", V::Date("2025-01-10"))],
        vec![
            ("customer_id", V::Text("B")),
            ("amount", V::Money("1200")),
            ("interval", V::Text("year")),
            ("start_date", V::Date("2025-01-01")),
            ("end_date", V::Date("2025-05-01")),
        ],
        vec![
            ("customer_id", V::Text("C")),
            ("amount", V::Money("30")),
            ("discount_pct", V::Float(10.0)),
            ("start_date", V::Date("2025-02-28")),
            ("end_date", V::Date("2025-04-15")),
        ],
        vec![
            ("customer_id", V::Text("C")),
            ("amount", V::Money("45.5")),
            ("start_date", V::Date("2025-06-01")),
            ("end_date", V::Date("2025-08-01")),
        ],
        vec![("customer_id", V::Text("Ü")), ("amount", V::Money("7.77")), ("start_date", V::Date("2025-03-03"))],
    ];
    MetricInputs::subscriptions(frame(DatasetKind::Subscriptions, &rows)).with_customers(customers())
}

fn transactions() -> MetricInputs {
    let rows = vec![
        vec![("customer_id", V::Text("A")), ("date", V::Date("2025-01-05")), ("amount", V::Money("20"))],
        vec![("customer_id", V::Text("A")), ("date", V::Date("2025-02-05")), ("amount", V::Money("25"))],
        vec![
            ("customer_id", V::Text("A")),
            ("date", V::Date("2025-02-09")),
            ("amount", V::Money("5")),
            ("type", V::Text("refund")),
        ],
        vec![("customer_id", V::Text("B")), ("date", V::Date("2025-01-20")), ("amount", V::Money("0"))],
        vec![
            ("customer_id", V::Text("B")),
            ("date", V::Date("2025-03-01")),
            ("amount", V::Money("300")),
            ("period_start", V::Date("2025-03-01")),
            ("period_end", V::Date("2025-05-31")),
        ],
        vec![("customer_id", V::Text("D")), ("date", V::Date("2025-06-30")), ("amount", V::Money("12.34"))],
    ];
    MetricInputs::transactions(frame(DatasetKind::Transactions, &rows)).with_customers(customers())
}

/// Every table in every format, as one text.
fn render_all(view: &ModelView<'_>) -> String {
    let mut out = String::new();
    for format in [OutputFormat::Table, OutputFormat::Csv, OutputFormat::Json] {
        let mut push = |result: MetricsResult<Tabular>| match result {
            Ok(table) => out.push_str(&table.render(format).unwrap()),
            Err(error) => out.push_str(&format!("error: {error}\n")),
        };
        push(view.mrr_table().map(|t| t.tabular()));
        push(view.kpis().map(|t| t.tabular()));
        push(view.churn().map(|t| t.tabular()));
        push(view.top_customers("2025-03".parse().unwrap(), 10).map(|t| t.tabular()));
        for basis in [CohortBasis::Logo, CohortBasis::Revenue] {
            for by in [CohortBy::FirstPaid, CohortBy::Signup] {
                for activity in [None, Some(CohortActivity::Mrr), Some(CohortActivity::Purchases)] {
                    push(view.cohorts(CohortOptions { basis, by, activity }).map(|t| t.tabular()));
                }
            }
        }
    }
    out
}

fn check_round_trip(inputs: MetricInputs) {
    let settings = MetricSettings::default();
    let built = RevenueModel::build(inputs, &settings).unwrap();
    let bytes = built.to_snapshot();
    let loaded = RevenueModel::from_snapshot(&bytes, &settings).unwrap();
    assert_eq!(loaded.to_snapshot(), bytes, "a loaded model snapshots to the same bytes");
    assert_eq!(render_all(&loaded.view()), render_all(&built.view()));

    let other = MetricSettings {
        from: Some("2025-02".parse().unwrap()),
        to: Some("2025-06".parse().unwrap()),
        as_of: Some("2025-04".parse().unwrap()),
        churn_inactivity_days: 30,
        gross_margin_pct: 80.0,
        ..MetricSettings::default()
    };
    let expected = render_all(&built.with_settings(&other).unwrap());
    assert_eq!(render_all(&loaded.with_settings(&other).unwrap()), expected);
    // Loaded under query-time settings directly, too.
    let loaded_other = RevenueModel::from_snapshot(&bytes, &other).unwrap();
    assert_eq!(render_all(&loaded_other.view()), expected);

    // Damaged or mismatched snapshots are errors.
    for cut in [0, 5, 12, bytes.len() / 2, bytes.len() - 1] {
        assert!(RevenueModel::from_snapshot(&bytes[..cut], &settings).is_err(), "cut at {cut}");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(RevenueModel::from_snapshot(&longer, &settings).is_err());
    let mut other_version = bytes.clone();
    other_version[8] ^= 0xff;
    assert!(RevenueModel::from_snapshot(&other_version, &settings).is_err());
    let euro = MetricSettings { reporting_currency: Some("EUR".into()), ..MetricSettings::default() };
    assert!(RevenueModel::from_snapshot(&bytes, &euro).is_err(), "built under other model settings");
}

#[test]
fn subscriptions_model_round_trips_through_its_snapshot() {
    check_round_trip(subscriptions());
}

#[test]
fn transactions_model_round_trips_through_its_snapshot() {
    check_round_trip(transactions());
}
