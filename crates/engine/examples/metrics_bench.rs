//! Times the revenue metrics on a generated invoices table (default 5 million rows):
//! write Parquet → scan → build the model → MRR table → KPIs → cohorts → churn.
//!
//! `cargo run --release -p revlens-engine --example metrics_bench -- [ROWS]`

use std::time::Instant;

use polars::prelude::*;
use revlens_engine::metrics::{CohortBasis, CohortOptions, MetricInputs, MetricSettings, RevenueModel};
use revlens_engine::table::{polars_dtype, scan_table};
use revlens_model::DatasetKind;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(5_000_000);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("invoices.parquet");
    let started = Instant::now();
    write_invoices(&path, rows)?;
    println!("generate + write {rows} rows: {:.2?}", started.elapsed());

    let step = Instant::now();
    let frame = scan_table(&path)?.select([col("customer_id"), col("date"), col("amount")]).collect()?;
    println!("(read the three columns alone: {:.2?}, {} rows)", step.elapsed(), frame.height());
    drop(frame);

    let total = Instant::now();
    let step = Instant::now();
    let model = RevenueModel::build(MetricInputs::transactions(scan_table(&path)?), &MetricSettings::default())?;
    println!("read + model: {:.2?}", step.elapsed());
    let step = Instant::now();
    let mrr = model.mrr_table()?;
    println!("MRR table + movements ({} months): {:.2?}", mrr.rows.len(), step.elapsed());
    let step = Instant::now();
    model.kpis()?;
    println!("KPIs: {:.2?}", step.elapsed());
    let step = Instant::now();
    let options = CohortOptions {
        basis: CohortBasis::Revenue,
        activity: Some(revlens_engine::metrics::CohortActivity::Mrr),
        ..CohortOptions::default()
    };
    model.cohorts(options)?;
    model.cohorts(CohortOptions::default())?;
    println!("cohorts (MRR and purchases): {:.2?}", step.elapsed());
    let step = Instant::now();
    model.churn()?;
    println!("churn: {:.2?}", step.elapsed());
    println!("total: {:.2?}", total.elapsed());
    if let Some(last) = mrr.rows.last() {
        println!("last month {}: MRR {} from {} customers", last.month, last.mrr, last.customers);
    }
    Ok(())
}

/// Monthly invoices: 20 per customer on average, starting in a pseudo-random month of
/// 2021–2023, some customers pausing and some changing price.
fn write_invoices(path: &std::path::Path, rows: usize) -> PolarsResult<()> {
    let customers = (rows / 20).max(1);
    let epoch_2021 = 18_628; // 2021-01-01
    let mut ids = Vec::with_capacity(rows);
    let mut dates = Vec::with_capacity(rows);
    let mut amounts = Vec::with_capacity(rows);
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |bound: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % bound
    };
    let mut customer = 0;
    while ids.len() < rows {
        let start = epoch_2021 + next(1_000) as i32;
        let price = (10 + next(500) as i64) * 10_000;
        let count = (1 + next(39)) as usize;
        for k in 0..count.min(rows - ids.len()) {
            if next(10) == 0 {
                continue; // a skipped month: churn and reactivation
            }
            ids.push(format!("cust-{customer:07}"));
            dates.push(start + 30 * k as i32);
            amounts.push(price + if k > 10 { 50_000 } else { 0 });
        }
        customer = (customer + 1) % customers.max(1);
    }
    let n = ids.len();
    let mut columns: Vec<Column> = Vec::new();
    for field in DatasetKind::Transactions.fields() {
        let name = PlSmallStr::from(field.name);
        let series = match field.name {
            "customer_id" => Series::new(name, &ids),
            "date" => Series::new(name, &dates).cast(&DataType::Date)?,
            "amount" => Series::new(name, &amounts),
            _ => Series::full_null(name, n, &polars_dtype(field.ty.storage())),
        };
        columns.push(series.into());
    }
    let mut frame = DataFrame::new(n, columns)?;
    let file = std::fs::File::create(path)?;
    ParquetWriter::new(file).finish(&mut frame)?;
    Ok(())
}
