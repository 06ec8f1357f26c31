use std::io::{self, Write};

use chrono::{Days, NaiveDate};

use crate::Rng;

/// Writes `rows` invoice/transaction rows (header included) spread over three years:
/// `customer_id,date,amount,currency,type,invoice_id`. About 60 bytes a row.
pub fn write_transactions(out: &mut impl Write, rows: u64, seed: u64) -> io::Result<()> {
    let mut rng = Rng::new(seed);
    let start = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap_or_default();
    let customers = (rows / 20).max(1);
    writeln!(out, "customer_id,date,amount,currency,type,invoice_id")?;
    for n in 0..rows {
        let customer = rng.below(customers);
        let date = start.checked_add_days(Days::new(rng.below(3 * 365))).unwrap_or(start);
        let cents = 500 + rng.below(99_500);
        let refund = rng.chance(0.02);
        writeln!(
            out,
            "C{customer:07},{date},{}{}.{:02},USD,{},in_{n:09}",
            if refund { "-" } else { "" },
            cents / 100,
            cents % 100,
            if refund { "refund" } else { "charge" },
        )?;
    }
    out.flush()
}
