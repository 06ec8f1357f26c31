//! Property tests on random subscription datasets, and a cross-check of the MRR table
//! and cohorts against an independent, deliberately naive implementation: for every
//! month and every customer it walks every row, tests "active on the month's last day"
//! with calendar dates, and sums exact rationals.

#![allow(clippy::unwrap_used)] // test data: a panic is the failure report

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Days, NaiveDate};
use polars::prelude::*;
use proptest::prelude::*;
use revlens_engine::metrics::*;
use revlens_model::{DatasetKind, Money};

/// One generated subscription row, in plain values.
#[derive(Clone, Debug)]
struct Row {
    customer: u8,
    /// Money units.
    amount: i64,
    start: NaiveDate,
    end: Option<NaiveDate>,
    unit: &'static str,
    count: i64,
    quantity: i64,
    /// Percent; 0, 25 or 50 keep the engine's f64 product exact.
    discount: i64,
}

fn base_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2023, 1, 1).unwrap()
}

fn row_strategy() -> impl Strategy<Value = Row> {
    (
        0u8..12,
        1i64..5_000_000,
        0u64..730,
        prop::option::of(1u64..500),
        prop::sample::select(vec!["day", "week", "month", "quarter", "year"]),
        1i64..4,
        1i64..4,
        prop::sample::select(vec![0i64, 25, 50]),
        any::<bool>(),
    )
        .prop_map(|(customer, amount, start, length, unit, count, quantity, discount, month_end)| {
            let mut start = base_date() + Days::new(start);
            if month_end {
                // Bias towards a month's last day, the edge the definitions care about.
                start = last_day_of(start);
            }
            Row { customer, amount, start, end: length.map(|l| start + Days::new(l)), unit, count, quantity, discount }
        })
}

fn last_day_of(date: NaiveDate) -> NaiveDate {
    let next = if date.month() == 12 {
        NaiveDate::from_ymd_opt(date.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(date.year(), date.month() + 1, 1)
    };
    next.unwrap().pred_opt().unwrap()
}

fn frame_of(rows: &[Row]) -> LazyFrame {
    let n = rows.len();
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    let days = |d: NaiveDate| (d - epoch).num_days() as i32;
    let mut columns: Vec<Column> = Vec::new();
    for field in DatasetKind::Subscriptions.fields() {
        let name = PlSmallStr::from(field.name);
        let series = match field.name {
            "customer_id" => Series::new(name, rows.iter().map(|r| format!("c{:02}", r.customer)).collect::<Vec<_>>()),
            "amount" => Series::new(name, rows.iter().map(|r| r.amount).collect::<Vec<_>>()),
            "start_date" => {
                Series::new(name, rows.iter().map(|r| days(r.start)).collect::<Vec<_>>()).cast(&DataType::Date).unwrap()
            }
            "end_date" => Series::new(name, rows.iter().map(|r| r.end.map(days)).collect::<Vec<_>>())
                .cast(&DataType::Date)
                .unwrap(),
            "interval" => Series::new(name, rows.iter().map(|r| r.unit).collect::<Vec<_>>()),
            "interval_count" => Series::new(name, rows.iter().map(|r| r.count).collect::<Vec<_>>()),
            "quantity" => Series::new(name, rows.iter().map(|r| r.quantity as f64).collect::<Vec<_>>()),
            "discount_pct" => Series::new(name, rows.iter().map(|r| r.discount as f64).collect::<Vec<_>>()),
            _ => Series::full_null(name, n, &revlens_engine::table::polars_dtype(field.ty.storage())),
        };
        columns.push(series.into());
    }
    DataFrame::new(n, columns).unwrap().lazy()
}

/// Rounds `numerator / denominator` (both positive) half away from zero.
fn round_div(numerator: i128, denominator: i128) -> i128 {
    (2 * numerator + denominator) / (2 * denominator)
}

/// The reference: per customer, per month (YYYY-MM text), MRR in Money units.
struct Reference {
    months: Vec<NaiveDate>,
    mrr: BTreeMap<u8, Vec<i64>>,
}

impl Reference {
    fn compute(rows: &[Row]) -> Self {
        let first = rows.iter().map(|r| r.start).min().unwrap();
        let last = rows.iter().flat_map(|r| [Some(r.start), r.end]).flatten().max().unwrap();
        // Last days of every month from the first to the last date.
        let mut months = Vec::new();
        let mut month_end = last_day_of(first);
        while month_end <= last_day_of(last) {
            months.push(month_end);
            month_end = last_day_of(month_end.succ_opt().unwrap());
        }
        let mut mrr = BTreeMap::new();
        for customer in rows.iter().map(|r| r.customer).collect::<BTreeSet<_>>() {
            let values = months
                .iter()
                .map(|&day| {
                    let mut units: i128 = 0;
                    for r in rows.iter().filter(|r| r.customer == customer) {
                        let active = r.start <= day && r.end.is_none_or(|end| day < end);
                        if !active {
                            continue;
                        }
                        let (num, den): (i128, i128) = match r.unit {
                            "day" => (365, 12),
                            "week" => (52, 12),
                            "month" => (1, 1),
                            "quarter" => (1, 3),
                            _ => (1, 12),
                        };
                        let numerator =
                            i128::from(r.amount) * i128::from(r.quantity) * i128::from(100 - r.discount) * num;
                        let denominator = 100 * den * i128::from(r.count);
                        units += round_div(numerator, denominator);
                    }
                    (round_div(units.max(0), 100) * 100) as i64
                })
                .collect();
            mrr.insert(customer, values);
        }
        Reference { months, mrr }
    }

    fn month_text(&self, i: usize) -> String {
        format!("{:04}-{:02}", self.months[i].year(), self.months[i].month())
    }

    /// The MRR table rendered like the engine's CSV.
    fn mrr_csv(&self) -> String {
        let mut out = String::from("month,mrr,arr,customers,new,expansion,contraction,churn,reactivation\n");
        for i in 0..self.months.len() {
            let (mut total, mut customers) = (0i64, 0u64);
            let (mut new, mut expansion, mut contraction, mut churn, mut reactivation) = (0, 0, 0, 0, 0);
            for values in self.mrr.values() {
                let now = values[i];
                let before = if i == 0 { 0 } else { values[i - 1] };
                let paid_before = values[..i].iter().any(|&v| v > 0);
                total += now;
                customers += u64::from(now > 0);
                if before == 0 && now > 0 {
                    if paid_before {
                        reactivation += now;
                    } else {
                        new += now;
                    }
                } else if before > 0 && now == 0 {
                    churn += before;
                } else if now > before {
                    expansion += now - before;
                } else {
                    contraction += before - now;
                }
            }
            let m = |units: i64| Money(units).to_string();
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{}\n",
                self.month_text(i),
                m(total),
                m(12 * total),
                customers,
                m(new),
                m(expansion),
                m(contraction),
                m(churn),
                m(reactivation)
            ));
        }
        out
    }

    /// Cohorts by first paid month: (cohort month, size, active per offset, revenue per
    /// offset) for offsets up to the last month.
    fn cohorts(&self) -> Vec<(String, u64, Vec<u64>, Vec<i64>)> {
        let mut cohorts: BTreeMap<usize, (u64, Vec<u64>, Vec<i64>)> = BTreeMap::new();
        for values in self.mrr.values() {
            let Some(first) = values.iter().position(|&v| v > 0) else {
                continue;
            };
            let width = values.len() - first;
            let entry = cohorts.entry(first).or_insert_with(|| (0, vec![0; width], vec![0; width]));
            entry.0 += 1;
            for k in 0..width {
                let v = values[first + k];
                entry.1[k] += u64::from(v > 0);
                entry.2[k] += v;
            }
        }
        cohorts.into_iter().map(|(i, (size, active, revenue))| (self.month_text(i), size, active, revenue)).collect()
    }
}

fn model_of(rows: &[Row]) -> RevenueModel {
    RevenueModel::build(MetricInputs::subscriptions(frame_of(rows)), &MetricSettings::default()).unwrap()
}

fn check_against_reference(rows: &[Row]) -> Result<(), TestCaseError> {
    let model = model_of(rows);
    let reference = Reference::compute(rows);
    let table = model.mrr_table().unwrap();
    prop_assert_eq!(table.tabular().to_csv().unwrap(), reference.mrr_csv());

    let logo = model.cohorts(CohortOptions::default()).unwrap();
    let expected = reference.cohorts();
    prop_assert_eq!(logo.rows.len(), expected.len());
    for (row, (cohort, size, active, revenue)) in logo.rows.iter().zip(&expected) {
        prop_assert_eq!(&row.cohort.to_string(), cohort);
        prop_assert_eq!(row.size, *size);
        let engine_active: Vec<u64> = row.active.iter().map_while(|a| *a).collect();
        let engine_revenue: Vec<i64> = row.revenue.iter().map_while(|r| r.map(|m| m.0)).collect();
        prop_assert_eq!(&engine_active, active);
        prop_assert_eq!(&engine_revenue, revenue);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn movement_identity_holds_every_month(rows in prop::collection::vec(row_strategy(), 1..40)) {
        let table = model_of(&rows).mrr_table().unwrap();
        let mut before = Money::ZERO;
        for row in &table.rows {
            prop_assert_eq!(row.mrr, before + row.net_movement(), "{}", row.month);
            prop_assert_eq!(row.arr, Money(12 * row.mrr.0));
            before = row.mrr;
        }
    }

    #[test]
    fn cohort_sizes_sum_to_customers_ever_active_and_logo_retention_at_most_one(
        rows in prop::collection::vec(row_strategy(), 1..40)
    ) {
        let model = model_of(&rows);
        let table = model.mrr_table().unwrap();
        let cohorts = model.cohorts(CohortOptions::default()).unwrap();
        let size: u64 = cohorts.rows.iter().map(|r| r.size).sum();
        let ever_active: BTreeSet<String> = table
            .rows
            .iter()
            .flat_map(|r| model.top_customers(r.month, usize::MAX).unwrap().customers)
            .map(|c| c.customer_id)
            .collect();
        prop_assert_eq!(size, ever_active.len() as u64);
        for row in &cohorts.rows {
            prop_assert_eq!(row.retention[0], Some(1.0));
            for value in row.retention.iter().flatten() {
                prop_assert!(*value <= 1.0 && *value >= 0.0);
            }
        }
    }

    #[test]
    fn mrr_table_and_cohorts_equal_the_naive_reference(rows in prop::collection::vec(row_strategy(), 1..40)) {
        check_against_reference(&rows)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// With half the rows in EUR and a rate that changes every month, the identity still
    /// holds and exchange-rate changes never move MRR: the table equals the one computed
    /// with every month's rate replaced by the rate of the row's start month.
    #[test]
    fn exchange_rates_never_break_the_identity(
        rows in prop::collection::vec(row_strategy(), 1..30),
        rates in prop::collection::vec(50u32..200, 60),
    ) {
        let eur: Vec<bool> = rows.iter().map(|r| r.customer % 2 == 0).collect();
        let mut frame = frame_of(&rows).collect().unwrap();
        let currency: Vec<&str> = eur.iter().map(|&e| if e { "EUR" } else { "USD" }).collect();
        frame
            .with_column(Column::from(Series::new("currency".into(), currency)))
            .unwrap();
        let mut table = FxRates::new();
        for (i, rate) in rates.iter().enumerate() {
            let month = format!("{}-{:02}", 2023 + i / 12, i % 12 + 1).parse().unwrap();
            table.insert(month, "EUR", f64::from(*rate) / 100.0).unwrap();
        }
        let settings = MetricSettings { reporting_currency: Some("USD".into()), ..MetricSettings::default() };
        let model = RevenueModel::build(
            MetricInputs::subscriptions(frame.lazy()).with_rates(table),
            &settings,
        )
        .unwrap();
        let mrr = model.mrr_table().unwrap();
        let mut before = Money::ZERO;
        for row in &mrr.rows {
            prop_assert_eq!(row.mrr, before + row.net_movement(), "{}", row.month);
            before = row.mrr;
        }
        // A customer whose rows never change keeps one MRR while active, whatever the
        // month's rate: its only movements are new/churn/reactivation.
        for month in mrr.rows.iter().map(|r| r.month) {
            for customer in model.top_customers(month, usize::MAX).unwrap().customers {
                let id: u8 = customer.customer_id[1..].parse().unwrap();
                let own: Vec<&Row> = rows.iter().filter(|r| r.customer == id).collect();
                if own.len() == 1 {
                    prop_assert!(!matches!(
                        customer.movement,
                        Some(MovementKind::Expansion | MovementKind::Contraction)
                    ));
                }
            }
        }
    }
}

/// A larger generated dataset (a fixed pseudo-random sequence), cross-checked the same way.
#[test]
fn a_larger_generated_dataset_equals_the_naive_reference() {
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move |bound: u64| {
        // xorshift64*: deterministic, good enough to spread test data.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D) % bound
    };
    let units = ["day", "week", "month", "quarter", "year"];
    let rows: Vec<Row> = (0..2_000)
        .map(|_| {
            let mut start = base_date() + Days::new(next(730));
            if next(4) == 0 {
                start = last_day_of(start);
            }
            Row {
                customer: next(200) as u8,
                amount: 1 + next(10_000_000) as i64,
                start,
                end: (next(3) > 0).then(|| start + Days::new(1 + next(600))),
                unit: units[next(5) as usize],
                count: 1 + next(3) as i64,
                quantity: 1 + next(3) as i64,
                discount: [0, 25, 50][next(3) as usize],
            }
        })
        .collect();
    check_against_reference(&rows).unwrap();
}
