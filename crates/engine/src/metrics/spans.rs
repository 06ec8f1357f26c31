//! Billing rows → recurring spans: who pays how much per month, over which month-ends.
//!
//! A span is active on the last day of month M when `start ≤ last_day(M) < end`
//! (DESIGN.md: active on day D when start ≤ D < end, end exclusive). Because the start's
//! own month always ends on or after the start, and the end's month always ends on or
//! after the end, that is exactly the months `month(start) ≤ M < month(end)`: a span
//! ending on a month's last day is not active that day, and one that starts and ends
//! inside one month is never counted.

use chrono::NaiveDate;
use polars::prelude::{Int32Type, Int64Type, LazyFrame, PolarsError, StringType};

use super::currency::{Converter, FxRates};
use super::error::{MetricsError, MetricsResult};
use super::input::{distinct_currencies, trim, ColumnType, ColumnView, CustomerIds, TableReader, NO_ID};
use super::month::{add_days, add_months, date_of_epoch_day, epoch_day_of_date, Calendar, YearMonth};
use super::purchases::{CustomerTransactions, Transaction};
use super::settings::{BillingInterval, DiscountHandling, IntervalUnit, MetricSettings};
use super::side_by_side::side_by_side;
use crate::table::ColumnFacts;

/// A recurring monthly amount of one customer, active at the end of every month from
/// `first` up to (not including) `end`; `end: None` is open-ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub customer: u32,
    pub first: YearMonth,
    pub end: Option<YearMonth>,
    /// Monthly amount in the reporting currency, in Money units (ten-thousandths),
    /// rounded once from the exact product of the row's fields.
    pub units: i64,
}

/// The earliest and latest event dates of the billing table, in Date32 days.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct DateBounds {
    bounds: Option<(i32, i32)>,
}

impl DateBounds {
    pub fn add(&mut self, day: i32) {
        self.bounds = Some(match self.bounds {
            None => (day, day),
            Some((low, high)) => (low.min(day), high.max(day)),
        });
    }

    pub fn get(self) -> Option<(i32, i32)> {
        self.bounds
    }
}

/// The dates of the billing table's events (start and end dates for subscriptions,
/// invoice dates for transactions), read before the spans because past-due grace is
/// judged at the latest of them.
pub(crate) fn subscription_dates(reader: &TableReader) -> MetricsResult<DateBounds> {
    let mut bounds = DateBounds::default();
    for day in reader.date("start_date")?.values() {
        bounds.add(day);
    }
    for day in reader.date("end_date")?.values() {
        bounds.add(day);
    }
    Ok(bounds)
}

/// Monthly amount in Money units: `amount × factor × per_month`, rounded half away from
/// zero to a whole unit. f64 holds the exact Money integer and the decimal factors to 15
/// significant digits, so the one rounding is the only error (< 0.00005 of a currency
/// unit per row); everything after this is integer arithmetic.
fn monthly_units(amount: i64, factor: f64, per_month: (i64, i64)) -> i64 {
    let (numerator, denominator) = per_month;
    (amount as f64 * factor * numerator as f64 / denominator as f64).round() as i64
}

fn is_past_due(status: Option<&str>) -> bool {
    status.is_some_and(|s| {
        matches!(
            s.trim().to_ascii_lowercase().replace([' ', '-'], "_").as_str(),
            "past_due" | "pastdue" | "unpaid" | "delinquent" | "overdue"
        )
    })
}

/// The start of the billing period that contains `reference`: the last renewal
/// `start + k × interval` on or before it. A past-due subscription failed to pay that
/// renewal, so its grace period starts there.
fn last_renewal(start: NaiveDate, interval: BillingInterval, reference: NaiveDate) -> NaiveDate {
    if reference <= start {
        return start;
    }
    if let Some(days) = interval.unit.days() {
        let step = days * u64::from(interval.count);
        let elapsed = (reference - start).num_days().max(0) as u64;
        return add_days(start, elapsed / step * step);
    }
    let step = interval.unit.months().unwrap_or(1) * interval.count;
    let months = YearMonth::of_date(reference).months_since(YearMonth::of_date(start)).max(0) as u32;
    let mut k = months / step;
    // Day clamping can put the k-th renewal after `reference`; step back once then.
    while k > 0 && add_months(start, k * step) > reference {
        k -= 1;
    }
    add_months(start, k * step)
}

/// Subscriptions → spans. `reference_day` is the latest date in the data, where the
/// status column's snapshot is taken to hold.
pub(crate) fn subscription_spans(
    reader: &TableReader,
    ids: &mut CustomerIds,
    converter: &Converter<'_>,
    settings: &MetricSettings,
    reference_day: i32,
) -> MetricsResult<Vec<Span>> {
    let customers = reader.text("customer_id")?;
    let amounts = reader.int("amount")?;
    let starts = reader.date("start_date")?;
    let ends = reader.date("end_date")?;
    let intervals = reader.text("interval")?;
    let counts = reader.int("interval_count")?;
    let currencies = reader.text("currency")?;
    let quantities = reader.float("quantity")?;
    let discounts = reader.float("discount_pct")?;
    let statuses = reader.text("status")?;
    let reference = date_of_epoch_day(reference_day);

    // Read each column sequentially, one cell per row.
    let customers = ids.intern_column(&customers, reader.height());
    let mut amounts = amounts.cells();
    let mut starts = starts.cells();
    let mut ends = ends.cells();
    let mut intervals = intervals.cells();
    let mut counts = counts.cells();
    let mut currencies = currencies.cells();
    let mut quantities = quantities.cells();
    let mut discounts = discounts.cells();
    let mut statuses = statuses.cells();

    let mut spans = Vec::with_capacity(reader.height());
    for row in 0..reader.height() {
        let customer = reader.customer(&customers, row)?;
        let (amount, start, end, interval_text, count) = (
            amounts.next().flatten(),
            starts.next().flatten(),
            ends.next().flatten(),
            intervals.next().flatten(),
            counts.next().flatten(),
        );
        let (currency, quantity, discount, status) = (
            currencies.next().flatten(),
            quantities.next().flatten(),
            discounts.next().flatten(),
            statuses.next().flatten(),
        );
        let amount = amount.ok_or_else(|| reader.row_error(row, "amount is empty"))?;
        let start = start.ok_or_else(|| reader.row_error(row, "start_date is empty"))?;
        let unit = match interval_text {
            Some(text) => text.parse::<IntervalUnit>().map_err(|e| reader.row_error(row, e))?,
            None => IntervalUnit::Month,
        };
        let count = count.unwrap_or(1);
        let interval = u32::try_from(count)
            .ok()
            .and_then(|count| BillingInterval::new(unit, count))
            .ok_or_else(|| reader.row_error(row, format!("interval_count {count} is not a positive whole number")))?;
        let quantity = quantity.unwrap_or(1.0);
        let discount = match settings.discounts {
            DiscountHandling::Apply => discount.unwrap_or(0.0),
            DiscountHandling::Ignore => 0.0,
        };
        if !(0.0..=100.0).contains(&discount) {
            return Err(reader.row_error(row, format!("discount_pct {discount} is not between 0 and 100")));
        }

        let mut end = end;
        if let Some(grace) = settings.past_due_grace_days {
            if is_past_due(status) {
                let unpaid_since = last_renewal(date_of_epoch_day(start), interval, reference);
                let cutoff = epoch_day_of_date(add_days(unpaid_since, u64::from(grace)));
                end = Some(end.map_or(cutoff, |end| end.min(cutoff)));
            }
        }
        let first = YearMonth::of_epoch_day(start);
        let end = end.map(YearMonth::of_epoch_day);
        if end.is_some_and(|end| end <= first) {
            continue;
        }
        let fx = converter.factor(currency, first)?;
        let (numerator, denominator) = unit.per_month();
        let per_month = (numerator, denominator * i64::from(interval.count));
        let units = monthly_units(amount, quantity * (100.0 - discount) / 100.0 * fx, per_month);
        if units != 0 {
            spans.push(Span { customer, first, end, units });
        }
    }
    Ok(spans)
}

/// How long an invoice's service period is, for normalising to a month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PeriodLength {
    Months(u32),
    Weeks(i64),
    Days(i64),
}

/// Reads a service period whose end may be written inclusive (Jan 1 – Jan 31) or
/// exclusive (Stripe: Jan 15 – Feb 15). Returns the exclusive end and the length.
/// Whole calendar months are recognised first, then whole weeks, then days.
fn service_period(start: NaiveDate, end: NaiveDate) -> (NaiveDate, PeriodLength) {
    let after_end = add_days(end, 1);
    let months = YearMonth::of_date(after_end).months_since(YearMonth::of_date(start)).max(0) as u32;
    for candidate in [months.saturating_sub(1), months, months + 1] {
        if candidate >= 1 && add_months(start, candidate) == after_end {
            return (after_end, PeriodLength::Months(candidate));
        }
    }
    for candidate in [months.saturating_sub(1), months, months + 1] {
        if candidate >= 1 && add_months(start, candidate) == end {
            return (end, PeriodLength::Months(candidate));
        }
    }
    let inclusive_days = (after_end - start).num_days();
    if inclusive_days % 7 == 0 {
        return (after_end, PeriodLength::Weeks(inclusive_days / 7));
    }
    let days = (end - start).num_days();
    if days >= 1 && days % 7 == 0 {
        return (end, PeriodLength::Weeks(days / 7));
    }
    if days >= 1 {
        (end, PeriodLength::Days(days))
    } else {
        (after_end, PeriodLength::Days(1))
    }
}

/// Where a transactions table's MRR comes from.
pub(crate) enum TransactionMrr {
    /// Spans of its recurring charges (service periods, or an interval other than a month).
    Spans(Vec<Span>),
    /// Monthly invoices without service periods: every charge is MRR for its own month
    /// only, summed where the purchases are grouped ([`PurchaseLedger::with_monthly_mrr`]).
    ///
    /// [`PurchaseLedger::with_monthly_mrr`]: super::purchases::PurchaseLedger::with_monthly_mrr
    MonthlyCharges,
}

/// A transactions table, read: its rows converted, its MRR's source, the currency
/// converter and its range of dates (Date32).
pub(crate) struct TransactionTable<'r> {
    pub mrr: TransactionMrr,
    pub rows: CustomerTransactions,
    pub converter: Converter<'r>,
    pub first_day: i32,
    pub last_day: i32,
}

const CUSTOMER_COLUMN: [(&str, ColumnType); 1] = [("customer_id", ColumnType::Text)];
const TRANSACTION_REQUIRED: [(&str, ColumnType); 2] = [("date", ColumnType::Date), ("amount", ColumnType::Int)];
const TRANSACTION_OPTIONAL: [(&str, ColumnType); 4] = [
    ("currency", ColumnType::Text),
    ("period_start", ColumnType::Date),
    ("period_end", ColumnType::Date),
    ("type", ColumnType::Text),
];

/// Invoices/transactions → spans, and every row as a converted [`Transaction`] for the
/// purchase ledger, in one pass. Refunds never move MRR; zero and negative charges
/// (credits) are not recurring revenue either. A row converts at its date's month.
/// Monthly invoices without service periods make no spans ([`TransactionMrr`]).
pub(crate) fn read_transactions<'r>(
    frame: LazyFrame,
    facts: &ColumnFacts,
    ids: &mut CustomerIds,
    rates: Option<&'r FxRates>,
    settings: &MetricSettings,
) -> MetricsResult<TransactionTable<'r>> {
    // Interning the customers waits on table lookups row after row, the longest pass:
    // their column is read first and interned on a second thread while the other
    // columns are read and converted, the spans holding their row until then.
    let customer_table = TableReader::collect(frame.clone(), "transactions", &CUSTOMER_COLUMN, &[], facts)?;
    let customer_column = customer_table.text("customer_id")?;
    let height = customer_table.height();
    let (customers, others) = side_by_side(
        "customer-ids",
        || ids.intern_column(&customer_column, height),
        || convert_other_columns(frame, facts, height, rates, settings),
    );
    let Converted { converter, first_day, last_day, spans_needed, rows: converted } = others?;

    // The first problem in row order; a row's customer is checked before its other cells.
    let without_id = customers.iter().position(|&id| id == NO_ID);
    let (mut spans, rows) = match (converted, without_id) {
        (Err((row, _)), Some(missing)) if missing <= row => return Err(customer_table.missing_customer(missing)),
        (Err((_, error)), _) => return Err(error),
        (Ok(_), Some(missing)) => return Err(customer_table.missing_customer(missing)),
        (Ok(converted), None) => converted,
    };
    for span in &mut spans {
        span.customer = customers[span.customer as usize];
    }
    let mrr = if spans_needed { TransactionMrr::Spans(spans) } else { TransactionMrr::MonthlyCharges };
    Ok(TransactionTable { mrr, rows: CustomerTransactions { customers, rows }, converter, first_day, last_day })
}

/// The columns of a transactions table besides its customers, read and converted.
struct Converted<'r> {
    converter: Converter<'r>,
    first_day: i32,
    last_day: i32,
    spans_needed: bool,
    /// The spans (with their row for a customer) and the transactions, or the first
    /// problem and its row.
    rows: Result<(Vec<Span>, Vec<Transaction>), (usize, MetricsError)>,
}

fn convert_other_columns<'r>(
    frame: LazyFrame,
    facts: &ColumnFacts,
    height: usize,
    rates: Option<&'r FxRates>,
    settings: &MetricSettings,
) -> MetricsResult<Converted<'r>> {
    let reader = TableReader::collect(frame, "transactions", &TRANSACTION_REQUIRED, &TRANSACTION_OPTIONAL, facts)?;
    // Two reads of one plan (filters keep the order of rows): the same rows.
    if reader.height() != height {
        let message = format!("read {height} customer ids for {} transactions", reader.height());
        return Err(PolarsError::ShapeMismatch(message.into()).into());
    }
    let currencies = distinct_currencies(&reader.text("currency")?);
    let converter = Converter::new(settings.reporting_currency.as_deref(), rates, &currencies)?;
    let mut bounds = DateBounds::default();
    for day in reader.date("date")?.values() {
        bounds.add(day);
    }
    let (first_day, last_day) = bounds.get().ok_or(MetricsError::NoData)?;
    let calendar = Calendar::spanning(first_day, last_day);
    let columns = TransactionColumns::of(&reader)?;
    let spans_needed = settings.invoice_interval != BillingInterval::MONTHLY
        || !(columns.period_starts.is_empty() || columns.period_ends.is_empty());
    let rows = convert_transactions(&reader, columns, &converter, &calendar, settings, spans_needed);
    Ok(Converted { converter, first_day, last_day, spans_needed, rows })
}

/// The columns of a transactions table besides its customers.
struct TransactionColumns<'a> {
    amounts: ColumnView<'a, Int64Type>,
    dates: ColumnView<'a, Int32Type>,
    currencies: ColumnView<'a, StringType>,
    period_starts: ColumnView<'a, Int32Type>,
    period_ends: ColumnView<'a, Int32Type>,
    types: ColumnView<'a, StringType>,
}

impl<'a> TransactionColumns<'a> {
    fn of(reader: &'a TableReader) -> MetricsResult<Self> {
        Ok(TransactionColumns {
            amounts: reader.int("amount")?,
            dates: reader.date("date")?,
            currencies: reader.text("currency")?,
            period_starts: reader.date("period_start")?,
            period_ends: reader.date("period_end")?,
            types: reader.text("type")?,
        })
    }
}

/// Every row's transaction, and (when `spans_needed`) the spans of its recurring charges
/// with the row's index in place of the customer; an error names its row.
fn convert_transactions(
    reader: &TableReader,
    columns: TransactionColumns<'_>,
    converter: &Converter<'_>,
    calendar: &Calendar,
    settings: &MetricSettings,
    spans_needed: bool,
) -> Result<(Vec<Span>, Vec<Transaction>), (usize, MetricsError)> {
    let interval = settings.invoice_interval;
    let (numerator, denominator) = interval.unit.per_month();
    let interval_per_month = (numerator, denominator * i64::from(interval.count));

    // Read each column sequentially, one cell per row.
    let mut amounts = columns.amounts.cells();
    let mut dates = columns.dates.cells();
    let mut currencies = (!converter.converts_nothing()).then(|| columns.currencies.cells());
    // Service periods matter only to spans.
    let mut period_starts = spans_needed.then(|| columns.period_starts.cells());
    let mut period_ends = spans_needed.then(|| columns.period_ends.cells());
    let mut types = columns.types.cells();

    let mut spans = Vec::with_capacity(if spans_needed { reader.height() } else { 0 });
    let mut transactions = Vec::with_capacity(reader.height());
    for row in 0..reader.height() {
        let amount = amounts.next().flatten();
        let date = dates.next().flatten();
        let currency = currencies.as_mut().and_then(|cells| cells.next().flatten());
        let period = (
            period_starts.as_mut().and_then(|cells| cells.next().flatten()),
            period_ends.as_mut().and_then(|cells| cells.next().flatten()),
        );
        let kind = types.next().flatten();
        let amount = amount.ok_or_else(|| (row, reader.row_error(row, "amount is empty")))?;
        let date = date.ok_or_else(|| (row, reader.row_error(row, "date is empty")))?;
        let (month, day_of_month) = calendar.month_and_day(date);
        let fx = converter.factor(currency, month).map_err(|error| (row, error))?;
        let refund = is_refund(kind);
        let signed = if refund { -amount.abs() } else { amount };
        let revenue = Converter::convert(signed, fx);
        transactions.push(Transaction::on(month, day_of_month, revenue, !refund && amount >= 0));
        if refund || amount <= 0 || !spans_needed {
            continue;
        }
        let (first, end, per_month) = match period {
            (Some(start), Some(end)) if end >= start => {
                let start = date_of_epoch_day(start);
                let (end, length) = service_period(start, date_of_epoch_day(end));
                let per_month = match length {
                    PeriodLength::Months(months) => (1, i64::from(months)),
                    PeriodLength::Weeks(weeks) => (52, 12 * weeks),
                    PeriodLength::Days(days) => (365, 12 * days),
                };
                (YearMonth::of_date(start), YearMonth::of_date(end), per_month)
            }
            // Adding whole months always lands in the month that many months later,
            // whatever the day: no calendar needed.
            _ => match (interval.unit.months(), interval.unit.days()) {
                (Some(months), _) => (month, month.plus((months * interval.count) as i32), interval_per_month),
                (None, days) => {
                    let days = days.unwrap_or(1) * u64::from(interval.count);
                    let end = add_days(date_of_epoch_day(date), days);
                    (month, YearMonth::of_date(end), interval_per_month)
                }
            },
        };
        if end <= first {
            continue;
        }
        let units = monthly_units(amount, fx, per_month);
        if units != 0 {
            // Polars' row indices are u32 (IdxSize), so a row always fits.
            spans.push(Span { customer: row as u32, first, end: Some(end), units });
        }
    }
    Ok((spans, transactions))
}

pub(crate) fn is_refund(kind: Option<&str>) -> bool {
    kind.is_some_and(|k| trim(k).eq_ignore_ascii_case("refund"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn service_periods_inclusive_or_exclusive() {
        assert_eq!(service_period(d(2025, 1, 1), d(2025, 1, 31)), (d(2025, 2, 1), PeriodLength::Months(1)));
        assert_eq!(service_period(d(2025, 1, 15), d(2025, 2, 15)), (d(2025, 2, 15), PeriodLength::Months(1)));
        assert_eq!(service_period(d(2025, 1, 31), d(2025, 2, 28)), (d(2025, 2, 28), PeriodLength::Months(1)));
        assert_eq!(service_period(d(2025, 1, 1), d(2025, 12, 31)), (d(2026, 1, 1), PeriodLength::Months(12)));
        assert_eq!(service_period(d(2025, 1, 1), d(2025, 1, 14)), (d(2025, 1, 15), PeriodLength::Weeks(2)));
        assert_eq!(service_period(d(2025, 1, 1), d(2025, 1, 11)), (d(2025, 1, 11), PeriodLength::Days(10)));
    }

    #[test]
    fn last_renewal_before_reference() {
        let monthly = BillingInterval::MONTHLY;
        // Renewals of Jan 31: Feb 28, Mar 31 (after Mar 30), so the period began Feb 28.
        assert_eq!(last_renewal(d(2025, 1, 31), monthly, d(2025, 3, 30)), d(2025, 2, 28));
        assert_eq!(last_renewal(d(2025, 1, 10), monthly, d(2025, 3, 10)), d(2025, 3, 10));
        let weekly = BillingInterval::new(IntervalUnit::Week, 1).unwrap();
        assert_eq!(last_renewal(d(2025, 1, 1), weekly, d(2025, 1, 20)), d(2025, 1, 15));
    }

    #[test]
    fn monthly_units_normalise_and_round_once() {
        // 100.00 a year → 8.3333…/month → 8.3333 in Money units.
        assert_eq!(monthly_units(100_0000, 1.0, (1, 12)), 8_3333);
        // 10.00 a week → 10 × 52 ÷ 12 = 43.3333…
        assert_eq!(monthly_units(10_0000, 1.0, (52, 12)), 43_3333);
        // 120.00 every 6 months with 25 % off → 15.00.
        assert_eq!(monthly_units(120_0000, 0.75, (1, 6)), 15_0000);
    }
}
