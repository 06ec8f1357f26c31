//! Golden tests: small datasets whose every number was computed by hand.
//!
//! How: for each customer we list the subscriptions active on the last day of each
//! month (active on D when start ≤ D < end), normalise each to a month (year ÷ 12,
//! quarter ÷ 3, week × 52 ÷ 12, 6 months ÷ 6) after quantity and discount, convert at
//! the rate of the row's start month, round the customer's month to cents, and then add
//! up by month. The per-customer tables are written out in the comments below; the
//! expected CSV is their column sums.

#![allow(clippy::unwrap_used)] // test data: a panic is the failure report

mod common;

use common::*;
use polars::prelude::*;
use revlens_engine::metrics::*;
use revlens_model::{DatasetKind, Money};

/// The subscriptions dataset of the golden tests (2025-01 to 2025-07), in USD except L.
///
/// | cust | what it exercises | Jan | Feb | Mar | Apr | May | Jun | Jul |
/// |---|---|---|---|---|---|---|---|---|
/// | A | annual 1200.00 from Jan 10 | 100 | 100 | 100 | 100 | 100 | 100 | 100 |
/// | B | quarterly 300.00 | 100 | 100 | 100 | 100 | 100 | 100 | 100 |
/// | C | upgrade 50 → 80 on the same day (Mar 15) | 50 | 50 | 80 | 80 | 80 | 80 | 80 |
/// | D | downgrade 200 → 150 on the same day (May 1) | – | 200 | 200 | 200 | 150 | 150 | 150 |
/// | E | weekly 10.00 (× 52 ÷ 12 = 43.33), ends Apr 1 | 43.33 | 43.33 | 43.33 | – | – | – | – |
/// | F | every 6 months 120.00, starts Feb 28 (a month's last day) | – | 20 | 20 | 20 | 20 | 20 | 20 |
/// | G | 100 + add-on 25 from Mar 10; add-on cancelled Jun 1 | 100 | 100 | 125 | 125 | 125 | 100 | 100 |
/// | H | 60 Jan 20 – Mar 20, churns; back at 70 from May 2 | 60 | 60 | – | – | 70 | 70 | 70 |
/// | I | 40, ends Apr 30 (a month's last day: not active that day) | 40 | 40 | 40 | – | – | – | – |
/// | J | 500, Feb 3 – Feb 20: inside one month, never counted | – | – | – | – | – | – | – |
/// | K | 2 × 100 at 25 % off = 150 until Jul 1, then 200 | 150 | 150 | 150 | 150 | 150 | 150 | 200 |
/// | L | 100 EUR at Jan's 1.10 = 110; + 50 EUR from Apr at Apr's 1.20 = 60 | 110 | 110 | 110 | 170 | 170 | 170 | 170 |
/// | T | a free trial (amount 0): never a paying customer | – | – | – | – | – | – | – |
///
/// Feb and Mar EUR rates (1.30, 0.90) differ from Jan's: L's MRR must not move.
fn golden_subscriptions() -> LazyFrame {
    subscriptions(&[
        sub("A", "1200.00", "2025-01-10").every(1, "year"),
        sub("B", "300.00", "2025-01-01").every(1, "quarter"),
        sub("C", "50.00", "2025-01-05").end("2025-03-15"),
        sub("C", "80.00", "2025-03-15"),
        sub("D", "200.00", "2025-02-01").end("2025-05-01"),
        sub("D", "150.00", "2025-05-01"),
        sub("E", "10.00", "2025-01-01").end("2025-04-01").every(1, "week"),
        sub("F", "120.00", "2025-02-28").every(6, "month"),
        sub("G", "100.00", "2025-01-01"),
        sub("G", "25.00", "2025-03-10").end("2025-06-01"),
        sub("H", "60.00", "2025-01-20").end("2025-03-20"),
        sub("H", "70.00", "2025-05-02"),
        sub("I", "40.00", "2025-01-01").end("2025-04-30").currency("USD"),
        sub("J", "500.00", "2025-02-03").end("2025-02-20"),
        sub("K", "100.00", "2025-01-01").end("2025-07-01").quantity(2.0).discount(25.0),
        sub("K", "100.00", "2025-07-01").quantity(2.0),
        sub("L", "100.00", "2025-01-01").currency("EUR"),
        sub("L", "50.00", "2025-04-01").currency("EUR"),
        sub("T", "0.00", "2025-01-01"),
    ])
}

fn golden_rates() -> FxRates {
    FxRates::from_csv_reader(
        "month,currency,rate\n2025-01,EUR,1.10\n2025-02,EUR,1.30\n2025-03,EUR,0.90\n2025-04,EUR,1.20\n".as_bytes(),
    )
    .unwrap()
}

fn usd() -> MetricSettings {
    MetricSettings { reporting_currency: Some("USD".into()), ..MetricSettings::default() }
}

fn golden_model(settings: &MetricSettings) -> RevenueModel {
    RevenueModel::build(MetricInputs::subscriptions(golden_subscriptions()).with_rates(golden_rates()), settings)
        .unwrap()
}

#[test]
fn mrr_table_matches_the_hand_computation() {
    let model = golden_model(&usd());
    assert_eq!(model.data_range().to_string(), "2025-01 to 2025-07");
    let csv = model.mrr_table().unwrap().tabular().to_csv().unwrap();
    // Movements by month, from the table above:
    // Jan: all 9 payers are new (753.33).
    // Feb: D 200 and F 20 new.
    // Mar: C +30 and G +25 expansion (add-on); H −60 churn.
    // Apr: E −43.33 and I −40 churn; L +60 expansion (a new EUR row, not FX).
    // May: D −50 contraction (downgrade); H +70 reactivation.
    // Jun: G −25 contraction (one of two subscriptions cancelled — not churn).
    // Jul: K +50 expansion (discount expired).
    let expected = "\
month,mrr,arr,customers,new,expansion,contraction,churn,reactivation
2025-01,753.33,9039.96,9,753.33,0.00,0.00,0.00,0.00
2025-02,973.33,11679.96,11,220.00,0.00,0.00,0.00,0.00
2025-03,968.33,11619.96,10,0.00,55.00,0.00,60.00,0.00
2025-04,945.00,11340.00,8,0.00,60.00,0.00,83.33,0.00
2025-05,965.00,11580.00,9,0.00,0.00,50.00,0.00,70.00
2025-06,940.00,11280.00,9,0.00,0.00,25.00,0.00,0.00
2025-07,990.00,11880.00,9,0.00,50.00,0.00,0.00,0.00
";
    assert_eq!(csv, expected);
}

#[test]
fn kpis_match_the_hand_computation() {
    let model = golden_model(&usd());
    let csv = model.kpis().unwrap().tabular().to_csv().unwrap();
    // ARPA = MRR ÷ customers (Mar 968.33 ÷ 10 = 96.833 → 96.83; Apr 945 ÷ 8 = 118.125 →
    // 118.13). Logo churn = churned ÷ active the month before (Mar 1/11, Apr 2/10).
    // Revenue churn = (churn + contraction) ÷ MRR before (Mar 60/973.33 = 0.0616,
    // Apr 83.33/968.33 = 0.0861, May 50/945 = 0.0529, Jun 25/965 = 0.0259). Quick ratio
    // = (new + expansion + reactivation) ÷ (churn + contraction) (Mar 55/60, Apr
    // 60/83.33, May 70/50, Jun 0/25). LTV = ARPA ÷ logo churn (Mar 96.83 × 11 = 1065.13,
    // Apr 118.13 ÷ 0.2 = 590.65). No month has 12 months of history: NRR/GRR empty.
    let expected = "\
month,arpa,logo_churn_rate,revenue_churn_rate,nrr_12m,grr_12m,quick_ratio,ltv
2025-01,83.70,,,,,,
2025-02,88.48,0.0000,0.0000,,,,
2025-03,96.83,0.0909,0.0616,,,0.9167,1065.13
2025-04,118.13,0.2000,0.0861,,,0.7200,590.65
2025-05,107.22,0.0000,0.0529,,,1.4000,
2025-06,104.44,0.0000,0.0259,,,0.0000,
2025-07,110.00,0.0000,0.0000,,,,
";
    assert_eq!(csv, expected);
}

#[test]
fn gross_margin_scales_ltv() {
    let settings = MetricSettings { gross_margin_pct: 80.0, ..usd() };
    let kpis = golden_model(&settings).kpis().unwrap();
    // Mar: 96.83 × 0.8 × 11 = 852.104 → 852.10.
    assert_eq!(kpis.rows[2].ltv, Some(Money(852_1000)));
}

#[test]
fn arpa_of_new_customers_and_new_logos() {
    let model = golden_model(&usd());
    let (kpis, mrr) = (model.kpis().unwrap(), model.mrr_table().unwrap());
    // Jan: 9 new customers with 753.33 → 83.70; Feb: D 200 and F 20 → 220 ÷ 2 = 110.00;
    // Mar has no new customer (H's return in May is a reactivation, not new).
    assert_eq!((mrr.rows[0].new_customers, kpis.rows[0].arpa_new), (9, Some(Money(83_7000))));
    assert_eq!((mrr.rows[1].new_customers, kpis.rows[1].arpa_new), (2, Some(Money(110_0000))));
    assert_eq!((mrr.rows[2].new_customers, kpis.rows[2].arpa_new), (0, None));
    assert_eq!(mrr.rows[4].new_customers, 0);
}

#[test]
fn twelve_month_nrr_and_grr() {
    // X: 100 from 2024-01, 150 from 2025-01 (upgrade). Y: 200 from 2024-01, ends
    // 2024-06-01 (churn). Z: 50 from 2024-01, 30 from 2024-10 (downgrade). W: 100 from
    // 2024-06 (not active 12 months before 2025-01, so not in the base).
    // 2025-01: base = 100 + 200 + 50 = 350; now = 150 + 0 + 30 = 180 → NRR 0.5143;
    // capped = min(150, 100) + 0 + min(30, 50) = 130 → GRR 0.3714.
    let frame = subscriptions(&[
        sub("X", "100.00", "2024-01-01").end("2025-01-01"),
        sub("X", "150.00", "2025-01-01"),
        sub("Y", "200.00", "2024-01-01").end("2024-06-01"),
        sub("Z", "50.00", "2024-01-01").end("2024-10-01"),
        sub("Z", "30.00", "2024-10-01"),
        sub("W", "100.00", "2024-06-01"),
    ]);
    let model = RevenueModel::build(MetricInputs::subscriptions(frame), &MetricSettings::default()).unwrap();
    let kpis = model.kpis().unwrap();
    let last = kpis.rows.last().unwrap();
    assert_eq!(last.month.to_string(), "2025-01");
    assert!((last.nrr_12m.unwrap() - 180.0 / 350.0).abs() < 1e-12);
    assert!((last.grr_12m.unwrap() - 130.0 / 350.0).abs() < 1e-12);
    assert_eq!(kpis.rows[11].nrr_12m, None, "2024-12 has no customers 12 months before");
}

#[test]
fn top_customers_with_movement_and_share() {
    let model = golden_model(&usd());
    let top = model.top_customers("2025-03".parse().unwrap(), 4).unwrap();
    // Mar: D 200, K 150, G 125 (expansion +25 with the add-on), L 110; total 968.33.
    assert_eq!(top.total_mrr, Money(968_3300));
    assert_eq!(top.active_customers, 10);
    let csv = top.tabular().to_csv().unwrap();
    let expected = "\
rank,customer_id,mrr,arr,share,movement,change
1,D,200.00,2400.00,0.2065,,0.00
2,K,150.00,1800.00,0.1549,,0.00
3,G,125.00,1500.00,0.1291,expansion,25.00
4,L,110.00,1320.00,0.1136,,0.00
";
    assert_eq!(csv, expected);
    let may = model.top_customers("2025-05".parse().unwrap(), 20).unwrap();
    let h = may.customers.iter().find(|c| c.customer_id == "H").unwrap();
    assert_eq!(h.movement, Some(MovementKind::Reactivation));
}

#[test]
fn logo_and_revenue_cohorts_by_first_paid_month() {
    let model = golden_model(&usd());
    let logo = model.cohorts(CohortOptions::default()).unwrap();
    // Jan cohort: A B C E G H I K L (9). Active: Jan 9, Feb 9, Mar 8 (H out), Apr 6
    // (E, I out), May–Jul 7 (H back). Feb cohort: D F, active through Jul.
    let expected = "\
cohort,size,m0,m1,m2,m3,m4,m5,m6
2025-01,9,1.0000,1.0000,0.8889,0.6667,0.7778,0.7778,0.7778
2025-02,2,1.0000,1.0000,1.0000,1.0000,1.0000,1.0000,
";
    assert_eq!(logo.tabular().to_csv().unwrap(), expected);
    let revenue = model.cohorts(CohortOptions { basis: CohortBasis::Revenue, ..CohortOptions::default() }).unwrap();
    // Jan cohort revenue: 753.33, 753.33, 748.33, 725, 795, 770, 820 ÷ 753.33.
    // Feb cohort: 220, 220, 220, 170, 170, 170 ÷ 220.
    let expected = "\
cohort,size,m0,m1,m2,m3,m4,m5,m6
2025-01,9,1.0000,1.0000,0.9934,0.9624,1.0553,1.0221,1.0885
2025-02,2,1.0000,1.0000,1.0000,0.7727,0.7727,0.7727,
";
    assert_eq!(revenue.tabular().to_csv().unwrap(), expected);
}

fn golden_customers() -> LazyFrame {
    frame(
        DatasetKind::Customers,
        &[
            // Provided churn overrides the computed verdict.
            vec![("customer_id", V::Text("A")), ("churned", V::Flag(true)), ("signup_date", V::Date("2024-12-15"))],
            // A churn date on or before the as-of date means churned.
            vec![
                ("customer_id", V::Text("B")),
                ("churn_date", V::Date("2025-06-30")),
                ("signup_date", V::Date("2025-01-01")),
            ],
            vec![("customer_id", V::Text("E")), ("signup_date", V::Date("2024-12-01"))],
            // Only in the customers table.
            vec![("customer_id", V::Text("Z")), ("signup_date", V::Date("2025-01-20"))],
        ],
    )
}

#[test]
fn churn_provided_computed_and_unknown_with_reasons() {
    let model = RevenueModel::build(
        MetricInputs::subscriptions(golden_subscriptions())
            .with_rates(golden_rates())
            .with_customers(golden_customers()),
        &usd(),
    )
    .unwrap();
    let csv = model.churn().unwrap().tabular().to_csv().unwrap();
    // As of 2025-07 (the data's last month): E and I last paid in 2025-03 → churned;
    // H reactivated → not churned; J (inside one month) and T (trial) never paid;
    // Z has no billing rows.
    // Reasons with a comma are quoted by the CSV writer.
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "customer_id,churned,churn_source,reason");
    assert_eq!(
        lines[1],
        "A,true,provided,provided: churned column says yes (computed: paying in 2025-07 (MRR 100.00))"
    );
    assert_eq!(lines[2], "B,true,provided,provided: churn_date 2025-06-30 (computed: paying in 2025-07 (MRR 100.00))");
    assert_eq!(lines[3], "C,false,computed,\"computed: paying in 2025-07 (MRR 80.00), no churn value\"");
    assert_eq!(lines[5], "E,true,computed,\"computed: last paid month 2025-03, no churn value\"");
    assert_eq!(lines[8], "H,false,computed,\"computed: paying in 2025-07 (MRR 70.00), no churn value\"");
    assert_eq!(lines[9], "I,true,computed,\"computed: last paid month 2025-03, no churn value\"");
    assert_eq!(lines[10], "J,,unknown,unknown: no paid month up to 2025-07");
    assert_eq!(lines[13], "T,,unknown,unknown: no paid month up to 2025-07");
    assert_eq!(lines[14], "Z,,unknown,unknown: no billing rows");
    assert_eq!(lines.len(), 15);

    // Without a customers table the reason says there is no churn column; as of
    // 2025-03, H (last paid 2025-02) has churned and E, I have not yet.
    let model = golden_model(&usd());
    let march = model.with_settings(&MetricSettings { as_of: "2025-03".parse().ok(), ..usd() }).unwrap();
    let report = march.churn().unwrap();
    let h = report.customers.iter().find(|c| c.customer_id == "H").unwrap();
    assert_eq!(h.churned, Some(true));
    assert_eq!(h.reason, "computed: last paid month 2025-02, no churn column");
    let e = report.customers.iter().find(|c| c.customer_id == "E").unwrap();
    assert_eq!(e.churned, Some(false));
    // A model parameter cannot change without a rebuild.
    assert!(model.with_settings(&MetricSettings { discounts: DiscountHandling::Ignore, ..usd() }).is_err());
    // The model's own view still judges churn at its own as-of month (2025-07).
    assert_eq!(model.churn().unwrap().as_of.to_string(), "2025-07-31");
}

#[test]
fn cohorts_by_signup_month() {
    let model = RevenueModel::build(
        MetricInputs::subscriptions(golden_subscriptions())
            .with_rates(golden_rates())
            .with_customers(golden_customers()),
        &MetricSettings { from: "2025-01".parse().ok(), ..usd() },
    )
    .unwrap();
    let table = model.cohorts(CohortOptions { by: CohortBy::Signup, ..CohortOptions::default() }).unwrap();
    // Signups inside 2025-01..2025-07: B (2025-01, pays all months) and Z (2025-01, never
    // pays) → size 2, logo retention 0.5 every month. A and E signed up in 2024-12,
    // before the range.
    assert_eq!(table.rows.len(), 1);
    assert_eq!(table.rows[0].size, 2);
    assert!(table.rows[0].retention.iter().all(|r| *r == Some(0.5)));

    let no_customers = golden_model(&usd()).cohorts(CohortOptions { by: CohortBy::Signup, ..CohortOptions::default() });
    assert!(matches!(no_customers, Err(MetricsError::SignupNeedsCustomers)));
}

#[test]
fn a_missing_rate_names_the_currency_and_month() {
    let rates = FxRates::from_csv_reader("month,currency,rate\n2025-01,EUR,1.10\n".as_bytes()).unwrap();
    let error =
        RevenueModel::build(MetricInputs::subscriptions(golden_subscriptions()).with_rates(rates), &usd()).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("EUR") && message.contains("2025-04"), "{message}");

    let error = RevenueModel::build(MetricInputs::subscriptions(golden_subscriptions()), &MetricSettings::default())
        .unwrap_err()
        .to_string();
    assert!(error.contains("EUR, USD"), "{error}");
}

#[test]
fn the_first_row_missing_a_customer_amount_or_date_is_named() {
    let no_amount = || Txn(vec![("customer_id", V::Text("B")), ("date", V::Date("2025-01-06"))]);
    let no_customer =
        |id| Txn(vec![("customer_id", V::Text(id)), ("amount", V::Money("5.00")), ("date", V::Date("2025-01-07"))]);
    let no_date = || Txn(vec![("customer_id", V::Text("C")), ("amount", V::Money("5.00"))]);
    let problem = |rows: &[Txn]| {
        RevenueModel::build(MetricInputs::transactions(transactions(rows)), &MetricSettings::default())
            .unwrap_err()
            .to_string()
    };
    let fine = || txn("A", "10.00", "2025-01-05");
    // Rows are numbered from 1; whichever problem comes first in the table is reported,
    // and a row's customer is checked before its other cells.
    let cases = [
        (vec![fine(), no_amount(), no_customer("")], "row 2", "amount is empty"),
        (vec![fine(), no_customer(" "), no_amount()], "row 2", "customer_id is empty"),
        (vec![fine(), fine(), no_date()], "row 3", "date is empty"),
        (vec![no_date(), fine(), no_customer("")], "row 1", "date is empty"),
        (vec![fine(), fine(), fine(), no_customer("")], "row 4", "customer_id is empty"),
    ];
    for (rows, row, what) in cases {
        let message = problem(&rows);
        assert!(message.contains(row) && message.contains(what), "expected {row}: {what}, got {message}");
    }
    let same_row = Txn(vec![("date", V::Date("2025-01-08"))]);
    let message = problem(&[fine(), same_row]);
    assert!(message.contains("row 2") && message.contains("customer_id is empty"), "{message}");
}

#[test]
fn a_range_outside_the_data_says_what_the_data_covers() {
    for (from, to) in [(Some("2024-12"), None), (None, Some("2025-08"))] {
        let settings =
            MetricSettings { from: from.and_then(|m| m.parse().ok()), to: to.and_then(|m| m.parse().ok()), ..usd() };
        let message = golden_model(&settings).mrr_table().unwrap_err().to_string();
        assert!(message.contains("2025-01 to 2025-07"), "{message}");
    }
    let settings = MetricSettings { from: "2025-03".parse().ok(), to: "2025-04".parse().ok(), ..usd() };
    let table = golden_model(&settings).mrr_table().unwrap();
    assert_eq!(table.rows.len(), 2);
    // The first month's movements still compare against the month before the range.
    assert_eq!(table.rows[0].churn, Money(60_0000));
    let message = golden_model(&usd()).top_customers("2026-01".parse().unwrap(), 5).unwrap_err().to_string();
    assert!(message.contains("2025-01 to 2025-07"), "{message}");
}

#[test]
fn discounts_can_be_ignored() {
    let settings = MetricSettings { discounts: DiscountHandling::Ignore, ..usd() };
    let table = golden_model(&settings).mrr_table().unwrap();
    // K is 200 throughout: Jan = 753.33 + 50, and July has no expansion.
    assert_eq!(table.rows[0].mrr, Money(803_3300));
    assert_eq!(table.rows[6].expansion, Money::ZERO);
}

#[test]
fn past_due_subscriptions_count_until_the_grace_period_ends() {
    // Monthly from 2025-01-10; past due at the data's last date (2025-04-20, N's start).
    // The unpaid period began at the last renewal, 2025-04-10; with 30 days' grace it
    // counts until 2025-05-10, so it is still active at the end of April. With 5 days'
    // grace it ends 2025-04-15: not active at the end of April.
    let frame =
        || subscriptions(&[sub("P", "30.00", "2025-01-10").status("past_due"), sub("N", "10.00", "2025-04-20")]);
    let april = |grace: Option<u32>| {
        let settings = MetricSettings { past_due_grace_days: grace, ..MetricSettings::default() };
        let model = RevenueModel::build(MetricInputs::subscriptions(frame()), &settings).unwrap();
        model.mrr_table().unwrap().rows.last().unwrap().mrr
    };
    assert_eq!(april(None), Money(40_0000));
    assert_eq!(april(Some(30)), Money(40_0000));
    assert_eq!(april(Some(5)), Money(10_0000));
}

/// Invoices: P monthly 30.00 without service periods (the default monthly interval
/// covers [date, date + 1 month)), refunded once in Feb — refunds never move MRR;
/// Q 1200.00 for 2025-01-01..2025-12-31 (inclusive end: 12 months → 100.00);
/// R 90.00 for 2025-02-01..2025-05-01 (exclusive end: 3 months → 30.00).
/// Jan: P 30 + Q 100 = 130 (new 130). Feb: + R 30 = 160 (new 30). Mar: 160.
fn golden_invoices() -> LazyFrame {
    transactions(&[
        txn("P", "30.00", "2025-01-15"),
        txn("P", "30.00", "2025-02-15"),
        txn("P", "30.00", "2025-02-20").refund(),
        txn("P", "30.00", "2025-03-15"),
        txn("Q", "1200.00", "2025-01-01").period("2025-01-01", "2025-12-31"),
        txn("R", "90.00", "2025-02-01").period("2025-02-01", "2025-05-01"),
    ])
}

#[test]
fn invoices_with_and_without_service_periods() {
    let model = RevenueModel::build(MetricInputs::transactions(golden_invoices()), &MetricSettings::default()).unwrap();
    let expected = "\
month,mrr,arr,customers,new,expansion,contraction,churn,reactivation
2025-01,130.00,1560.00,2,130.00,0.00,0.00,0.00,0.00
2025-02,160.00,1920.00,3,30.00,0.00,0.00,0.00,0.00
2025-03,160.00,1920.00,3,0.00,0.00,0.00,0.00,0.00
";
    assert_eq!(model.mrr_table().unwrap().tabular().to_csv().unwrap(), expected);

    // An annual interval for invoices without periods: P's 30.00 → 2.50/month, and the
    // three invoices overlap: Jan 2.50, Feb 5.00, Mar 7.50.
    let settings = MetricSettings {
        invoice_interval: BillingInterval::new(IntervalUnit::Year, 1).unwrap(),
        ..MetricSettings::default()
    };
    let model = RevenueModel::build(MetricInputs::transactions(golden_invoices()), &settings).unwrap();
    let mrr: Vec<Money> = model.mrr_table().unwrap().rows.iter().map(|r| r.mrr).collect();
    assert_eq!(mrr, vec![Money(102_5000), Money(135_0000), Money(137_5000)]);
}

#[test]
fn transactional_churn_by_days_without_a_purchase() {
    // As of the data's last date, 2025-03-15: P bought that day (0 days); Q last paid
    // 2025-01-01, 73 days before; R 2025-02-01, 42 days before.
    let churned = |days: u32| {
        let settings = MetricSettings { churn_inactivity_days: days, ..MetricSettings::default() };
        let model = RevenueModel::build(MetricInputs::transactions(golden_invoices()), &settings).unwrap();
        let report = model.churn().unwrap();
        assert_eq!(report.as_of.to_string(), "2025-03-15");
        report.customers.iter().map(|c| c.churned).collect::<Vec<_>>()
    };
    assert_eq!(churned(90), vec![Some(false), Some(false), Some(false)]);
    assert_eq!(churned(60), vec![Some(false), Some(true), Some(false)]);
    assert_eq!(churned(42), vec![Some(false), Some(true), Some(true)]);
    let settings = MetricSettings::default();
    let model = RevenueModel::build(MetricInputs::transactions(golden_invoices()), &settings).unwrap();
    let report = model.churn().unwrap();
    assert_eq!(
        report.customers[1].reason,
        "computed: last purchase 2025-01-01, 73 days before 2025-03-15 (churn after 90), no churn column"
    );
}

#[test]
fn transactional_cohorts_count_purchases_and_net_revenue() {
    let model = RevenueModel::build(MetricInputs::transactions(golden_invoices()), &MetricSettings::default()).unwrap();
    // Purchases: P Jan, Feb, Mar; Q Jan; R Feb. Jan cohort {P, Q}: Jan 2, Feb 1, Mar 1.
    let logo = model.cohorts(CohortOptions::default()).unwrap();
    assert_eq!(logo.activity, CohortActivity::Purchases);
    assert_eq!(
        logo.tabular().to_csv().unwrap(),
        "cohort,size,m0,m1,m2\n2025-01,2,1.0000,0.5000,0.5000\n2025-02,1,1.0000,0.0000,\n"
    );
    // Revenue: Jan 30 + 1200 = 1230; Feb 30 − 30 (refund) = 0; Mar 30.
    let revenue = model.cohorts(CohortOptions { basis: CohortBasis::Revenue, ..CohortOptions::default() }).unwrap();
    assert_eq!(revenue.rows[0].revenue[1], Some(Money::ZERO));
    assert_eq!(
        revenue.tabular().to_csv().unwrap(),
        "cohort,size,m0,m1,m2\n2025-01,2,1.0000,0.0000,0.0244\n2025-02,1,1.0000,0.0000,\n"
    );
}

#[test]
fn json_rows_use_the_csv_columns() {
    let model = golden_model(&usd());
    let json: serde_json::Value =
        serde_json::from_str(&model.mrr_table().unwrap().tabular().to_json().unwrap()).unwrap();
    assert_eq!(json[0]["month"], "2025-01");
    assert_eq!(json[0]["mrr"], serde_json::json!(753.33));
    assert_eq!(json[3]["churn"], serde_json::json!(83.33));
}

/// The path the CLI takes: canonical rows written by [`ParquetSink`] (every field of the
/// kind, in order, unmapped ones empty), scanned back lazily, then measured.
#[test]
fn metrics_from_a_canonical_parquet_table() {
    use revlens_engine::table::scan_table;
    use revlens_engine::ParquetSink;
    use revlens_model::{BatchSink, Column, ColumnValues, RowBatch, StorageType};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("subscriptions.parquet");
    let fields = DatasetKind::Subscriptions.fields();
    let layout: Vec<(String, StorageType)> = fields.iter().map(|f| (f.name.to_string(), f.ty.storage())).collect();
    let mut sink = ParquetSink::create(&path, &layout).unwrap();
    // A: 120.00/year from 2025-01-01 (10.00/month); B: 30.00/month 2025-02-01..2025-04-01.
    let columns = fields
        .iter()
        .map(|f| {
            let values = match f.name {
                "customer_id" => ColumnValues::Text([Some("A"), Some("B")].into_iter().collect()),
                "amount" => ColumnValues::Money(vec![Some(money("120.00")), Some(money("30.00"))].into()),
                "start_date" => ColumnValues::Date(vec![Some(day("2025-01-01")), Some(day("2025-02-01"))].into()),
                "end_date" => ColumnValues::Date(vec![None, Some(day("2025-04-01"))].into()),
                "interval" => ColumnValues::Text([Some("year"), Some("month")].into_iter().collect()),
                _ => {
                    let mut empty = ColumnValues::with_capacity(f.ty.storage(), 2);
                    match &mut empty {
                        ColumnValues::Text(v) => (0..2).for_each(|_| v.push(None)),
                        ColumnValues::Money(v) | ColumnValues::Integer(v) => v.extend([None, None]),
                        ColumnValues::Date(v) => v.extend([None, None]),
                        ColumnValues::Float(v) => v.extend([None, None]),
                        ColumnValues::Bool(v) => v.extend([None, None]),
                    }
                    empty
                }
            };
            Column { name: f.name.to_string(), values }
        })
        .collect();
    sink.write_batch(RowBatch { columns }).unwrap();
    sink.finish().unwrap();

    let inputs = MetricInputs::for_kind(DatasetKind::Subscriptions, scan_table(&path).unwrap()).unwrap();
    let model = RevenueModel::build(inputs, &MetricSettings::default()).unwrap();
    // Jan 10 (A new); Feb 40 (B new); Mar 40; Apr 10 (B churns 30).
    let expected = "\
month,mrr,arr,customers,new,expansion,contraction,churn,reactivation
2025-01,10.00,120.00,1,10.00,0.00,0.00,0.00,0.00
2025-02,40.00,480.00,2,30.00,0.00,0.00,0.00,0.00
2025-03,40.00,480.00,2,0.00,0.00,0.00,0.00,0.00
2025-04,10.00,120.00,1,0.00,0.00,0.00,30.00,0.00
";
    assert_eq!(model.mrr_table().unwrap().tabular().to_csv().unwrap(), expected);
    assert!(MetricInputs::for_kind(DatasetKind::Orders, scan_table(&path).unwrap()).is_err());
}

#[test]
fn drill_down_lists_the_customers_behind_each_movement() {
    let model = golden_model(&usd());
    let view = model.view();
    let ids = |month: &str, kind: Option<MovementKind>| -> Vec<(String, i64)> {
        view.customers_behind(month.parse().unwrap(), kind)
            .unwrap()
            .into_iter()
            .map(|row| (row.customer_id, (row.after.0 - row.before.0) / 100))
            .collect()
    };
    // From the table above: Apr churn is E (−43.33) and I (−40); expansion L (+60).
    assert_eq!(ids("2025-04", Some(MovementKind::Churn)), [("E".to_string(), -4333), ("I".to_string(), -4000)]);
    assert_eq!(ids("2025-04", Some(MovementKind::Expansion)), [("L".to_string(), 6000)]);
    // May: H is a reactivation, D a contraction.
    assert_eq!(ids("2025-05", Some(MovementKind::Reactivation)), [("H".to_string(), 7000)]);
    assert_eq!(ids("2025-05", Some(MovementKind::Contraction)), [("D".to_string(), -5000)]);
    // Without a kind: the active customers, largest MRR first; they sum to the month's MRR.
    let march = view.customers_behind("2025-03".parse().unwrap(), None).unwrap();
    assert_eq!(march.len(), 10);
    assert_eq!(march[0].customer_id, "D");
    assert_eq!(march.iter().map(|row| row.after.0).sum::<i64>(), 968_3300);
    assert!(view.customers_behind("2026-01".parse().unwrap(), None).is_err());
}

#[test]
fn a_restricted_model_equals_one_built_from_those_customers_rows() {
    let model = golden_model(&usd());
    let keep = ["A", "D", "H", "L"];
    let restricted = model.restricted_to(|id| keep.contains(&id)).unwrap();
    let filtered = golden_subscriptions()
        .filter(col("customer_id").is_in(lit(Series::new("ids".into(), keep.to_vec())).implode(false), false));
    let built = RevenueModel::build(MetricInputs::subscriptions(filtered).with_rates(golden_rates()), &usd()).unwrap();
    let csv = |v: ModelView<'_>| {
        [
            v.mrr_table().unwrap().tabular().to_csv().unwrap(),
            v.kpis().unwrap().tabular().to_csv().unwrap(),
            v.cohorts(CohortOptions::default()).unwrap().tabular().to_csv().unwrap(),
            v.churn().unwrap().tabular().to_csv().unwrap(),
        ]
    };
    // The restricted model keeps the whole data's months (to Jul); those customers' own
    // rows end in May.
    assert_eq!(restricted.data_range(), model.data_range());
    assert_eq!(built.data_range().to_string(), "2025-01 to 2025-05");
    let may = "2025-05".parse().unwrap();
    let until_may = MetricSettings { to: Some(may), as_of: Some(may), ..usd() };
    assert_eq!(csv(restricted.with_settings(&until_may).unwrap()), csv(built.view()));
    // By hand: A 100 + D 200 + H 60 + L 110 in Feb = 470.
    assert_eq!(restricted.mrr_table().unwrap().rows[1].mrr, Money(470_0000));
    assert!(model.restricted_to(|_| false).is_err());
}
