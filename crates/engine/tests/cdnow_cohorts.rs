//! Transactional cohorts on real data: the CDNOW 1/10 sample (6,919 purchases by 2,357
//! customers, 1997-01 to 1998-06), checked against an independent computation.
//!
//! The independent computation works on the file's text only: the month is the first
//! six characters of the YYYYMMDD date, the amount the dollars column parsed into
//! integer cents; per customer it keeps a map month → cents; a customer's cohort is its
//! smallest month; for each cohort and month it counts the customers with a row in that
//! month (logo) and sums their cents (revenue). Retention is count ÷ cohort size and
//! cents ÷ month-0 cents. No dates, polars or engine code involved.
//!
//! Eight rows are free orders (0.00 dollars, one CD): they are purchases, so those
//! customers count as active in their month.
//!
//! Cross-checked by hand with awk: the cohorts are 1997-01 (781 customers), 1997-02
//! (857) and 1997-03 (719); of the January cohort, 124 bought again in February.

#![allow(clippy::unwrap_used)] // test data: a panic is the failure report

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use common::*;
use revlens_engine::metrics::*;
use revlens_model::DatasetKind;

struct Purchase {
    customer: String,
    /// YYYYMMDD
    date: String,
    cents: i64,
}

fn cdnow_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/cdnow/CDNOW_sample.txt")
}

fn read_cdnow() -> Vec<Purchase> {
    let text = std::fs::read_to_string(cdnow_path()).expect("CDNOW sample present in tests/data/cdnow");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(fields.len(), 5, "{line}");
            let (dollars, cents) = fields[4].split_once('.').unwrap_or((fields[4], "0"));
            let cents = dollars.parse::<i64>().unwrap() * 100 + format!("{cents:0<2}").parse::<i64>().unwrap();
            Purchase { customer: fields[0].to_string(), date: fields[2].to_string(), cents }
        })
        .collect()
}

/// The canonical transactions frame: customer_id, date, amount; the rest empty.
fn canonical_frame(purchases: &[Purchase]) -> polars::prelude::LazyFrame {
    let rows: Vec<Vec<(&str, V)>> = purchases
        .iter()
        .map(|p| {
            // The builder takes 'static text; leaking a few KB in a test is fine.
            let customer: &'static str = Box::leak(p.customer.clone().into_boxed_str());
            let date: &'static str =
                Box::leak(format!("{}-{}-{}", &p.date[..4], &p.date[4..6], &p.date[6..]).into_boxed_str());
            let amount: &'static str = Box::leak(format!("{}.{:02}", p.cents / 100, p.cents % 100).into_boxed_str());
            vec![("customer_id", V::Text(customer)), ("date", V::Date(date)), ("amount", V::Money(amount))]
        })
        .collect();
    frame(DatasetKind::Transactions, &rows)
}

/// cohort "YYYY-MM" → (size, customers active per month, cents per month), months
/// 1997-01..1998-06 from the cohort on.
fn independent_cohorts(purchases: &[Purchase]) -> BTreeMap<String, (u64, Vec<u64>, Vec<i64>)> {
    let months: Vec<String> = (1997..=1998)
        .flat_map(|y| (1..=12).map(move |m| format!("{y}{m:02}")))
        .filter(|m| m.as_str() <= "199806")
        .collect();
    let mut by_customer: BTreeMap<&str, BTreeMap<&str, i64>> = BTreeMap::new();
    for p in purchases {
        *by_customer.entry(&p.customer).or_default().entry(&p.date[..6]).or_default() += p.cents;
    }
    let mut cohorts: BTreeMap<String, (u64, Vec<u64>, Vec<i64>)> = BTreeMap::new();
    for spend in by_customer.values() {
        let first = *spend.keys().next().unwrap();
        let later: Vec<&String> = months.iter().filter(|m| m.as_str() >= first).collect();
        let key = format!("{}-{}", &first[..4], &first[4..]);
        let entry = cohorts.entry(key).or_insert_with(|| (0, vec![0; later.len()], vec![0; later.len()]));
        entry.0 += 1;
        for (k, month) in later.iter().enumerate() {
            if let Some(cents) = spend.get(month.as_str()) {
                entry.1[k] += 1;
                entry.2[k] += cents;
            }
        }
    }
    cohorts
}

#[test]
fn cdnow_transactional_cohorts_equal_the_independent_computation() {
    let purchases = read_cdnow();
    assert_eq!(purchases.len(), 6_919);
    let model =
        RevenueModel::build(MetricInputs::transactions(canonical_frame(&purchases)), &MetricSettings::default())
            .unwrap();
    assert_eq!(model.data_range().to_string(), "1997-01 to 1998-06");
    let expected = independent_cohorts(&purchases);
    assert_eq!(
        expected.iter().map(|(k, v)| (k.as_str(), v.0)).collect::<Vec<_>>(),
        vec![("1997-01", 781), ("1997-02", 857), ("1997-03", 719)]
    );
    assert_eq!(expected["1997-01"].1[1], 124);

    let logo = model.cohorts(CohortOptions::default()).unwrap();
    let revenue = model.cohorts(CohortOptions { basis: CohortBasis::Revenue, ..CohortOptions::default() }).unwrap();
    assert_eq!(logo.activity, CohortActivity::Purchases);
    assert_eq!(logo.offsets, 18);
    assert_eq!(logo.rows.len(), expected.len());
    for ((logo_row, revenue_row), (cohort, (size, active, cents))) in logo.rows.iter().zip(&revenue.rows).zip(&expected)
    {
        assert_eq!(&logo_row.cohort.to_string(), cohort);
        assert_eq!(logo_row.size, *size);
        for k in 0..logo.offsets {
            let (engine_logo, engine_revenue) = (logo_row.retention[k], revenue_row.retention[k]);
            match (active.get(k), cents.get(k)) {
                (Some(&count), Some(&spent)) => {
                    assert_eq!(engine_logo, Some(count as f64 / *size as f64), "{cohort} m{k}");
                    assert_eq!(engine_revenue, Some(spent as f64 / cents[0] as f64), "{cohort} m{k}");
                    // Money units are ten-thousandths: cents × 100.
                    assert_eq!(revenue_row.revenue[k].map(|m| m.0), Some(spent * 100));
                }
                _ => assert_eq!((engine_logo, engine_revenue), (None, None), "{cohort} m{k} past the data"),
            }
        }
    }

    // The CSV contract: cohort,size,m0..m17; 4 decimals; empty past the data.
    let csv = logo.tabular().to_csv().unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], format!("cohort,size,{}", (0..18).map(|k| format!("m{k}")).collect::<Vec<_>>().join(",")));
    assert!(lines[1].starts_with("1997-01,781,1.0000,0.1588,"), "{}", lines[1]);
    assert!(lines[3].ends_with(",,"), "{}", lines[3]);
}

#[test]
fn cdnow_churn_after_ninety_days_without_a_purchase() {
    let purchases = read_cdnow();
    let model =
        RevenueModel::build(MetricInputs::transactions(canonical_frame(&purchases)), &MetricSettings::default())
            .unwrap();
    let report = model.churn().unwrap();
    // As of the last purchase in the file, 1998-06-30: churned = last purchase on or
    // before 1998-04-01 (90 days earlier). Counted independently from the text.
    let mut last: BTreeMap<&str, &str> = BTreeMap::new();
    for p in &purchases {
        let entry = last.entry(&p.customer).or_insert(&p.date);
        if p.date.as_str() > *entry {
            *entry = &p.date;
        }
    }
    let churned = last.values().filter(|d| **d <= "19980401").count();
    assert_eq!(report.as_of.to_string(), "1998-06-30");
    assert_eq!(report.customers.len(), 2_357);
    assert_eq!(report.customers.iter().filter(|c| c.churned == Some(true)).count(), churned);
    assert!(report.customers.iter().all(|c| c.churn_source == ChurnSource::Computed));
}
