//! Each customer's MRR as a step function of the month.
//!
//! Instead of expanding every span into customer-months, the ledger keeps only the
//! months where a customer's MRR changes. It is built by one sort of the spans' start
//! and end events and one pass over them, and every metric is a pass over these change
//! points — so the work grows with the number of changes, not with customers × months.
//!
//! Rounding: the spans active at a month-end are summed exactly in Money units, and that
//! sum is rounded once, half away from zero, to whole cents. That rounded figure *is*
//! the customer's MRR for the month; every total and movement is an integer sum of these
//! figures, which is why the movement identity holds exactly.

use std::ops::Range;

use revlens_model::Money;

use super::month::YearMonth;
use super::spans::Span;

/// From `month` on (until the customer's next point) the customer's MRR is `mrr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Point {
    pub month: YearMonth,
    /// Money units, a whole number of cents, never negative.
    pub mrr: i64,
}

/// A stretch of months with the same positive MRR: `from` up to (not including)
/// `until`; `until: None` runs on past the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Segment {
    pub from: YearMonth,
    pub until: Option<YearMonth>,
    pub mrr: i64,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct MrrLedger {
    /// Customer `c`'s points are `points[offsets[c]..offsets[c + 1]]`, by month.
    pub(crate) offsets: Vec<usize>,
    pub(crate) points: Vec<Point>,
}

/// A span starting (+) or stopping (−) its monthly amount at a month.
#[derive(Clone, Copy, Debug)]
struct Event {
    month: YearMonth,
    delta: i64,
}

/// A span without its customer, as grouped: 16 bytes, as there can be one per row.
#[derive(Clone, Copy, Debug)]
struct Charge {
    first: YearMonth,
    /// [`Charge::OPEN`] for a span without an end.
    end: YearMonth,
    units: i64,
}

impl Charge {
    const OPEN: YearMonth = YearMonth::MAX;

    fn of(span: &Span) -> Self {
        Charge { first: span.first, end: span.end.unwrap_or(Self::OPEN), units: span.units }
    }
}

/// A placeholder for [`group_by_customer`] to overwrite.
impl Default for Charge {
    fn default() -> Self {
        Charge { first: YearMonth::of_epoch_day(0), end: Self::OPEN, units: 0 }
    }
}

/// Grouped items below which a pass over them stays on one thread.
const PARALLEL_ITEMS: usize = 64 * 1024;

/// The customers of grouped items ([`customer_offsets`]) in two halves of about equal
/// items, for a pass over each on its own core; the upper half is empty when there are
/// too few items to be worth a second thread.
pub(crate) fn halves(offsets: &[usize]) -> (Range<usize>, Range<usize>) {
    let customers = offsets.len().saturating_sub(1);
    let items = offsets.last().copied().unwrap_or(0);
    if items < PARALLEL_ITEMS {
        return (0..customers, customers..customers);
    }
    let middle = offsets.partition_point(|&offset| offset < items / 2).min(customers);
    (0..middle, middle..customers)
}

/// Where each customer's items start once grouped: customer `c`'s are
/// `offsets[c]..offsets[c + 1]`, for the ids below `customers`.
pub(crate) fn customer_offsets(customers: usize, ids: impl Iterator<Item = u32>) -> Vec<usize> {
    let mut offsets = vec![0usize; customers + 1];
    for customer in ids {
        offsets[customer as usize + 1] += 1;
    }
    for c in 0..customers {
        offsets[c + 1] += offsets[c];
    }
    offsets
}

/// The items of the customers in `range`, grouped by customer in O(n) (a counting sort:
/// customer ids are dense), each customer's contiguous and in input order; `offsets` are
/// [`customer_offsets`] of all the items, which the grouped ones start at
/// `offsets[range.start]`.
pub(crate) fn group_customers<T: Copy + Default>(
    offsets: &[usize],
    range: Range<usize>,
    items: impl Iterator<Item = (u32, T)>,
) -> Vec<T> {
    let base = offsets[range.start];
    let mut next: Vec<usize> = offsets[range.clone()].iter().map(|offset| offset - base).collect();
    let mut grouped = vec![T::default(); offsets[range.end] - base];
    for (customer, item) in items {
        if let Some(slot) = (customer as usize).checked_sub(range.start).and_then(|c| next.get_mut(c)) {
            grouped[*slot] = item;
            *slot += 1;
        }
    }
    grouped
}

/// Groups all items by customer: `offsets[c]..offsets[c + 1]` are customer `c`'s.
pub(crate) fn group_by_customer<T: Copy + Default>(
    customers: usize,
    items: impl Iterator<Item = (u32, T)> + Clone,
) -> (Vec<usize>, Vec<T>) {
    let offsets = customer_offsets(customers, items.clone().map(|(customer, _)| customer));
    let grouped = group_customers(&offsets, 0..customers, items);
    (offsets, grouped)
}

/// Appends the next customers' grouped items (`more_offsets` from 0, ending with their
/// count) to those of the customers before them.
pub(crate) fn append_customers<T: Copy>(
    offsets: &mut Vec<usize>,
    items: &mut Vec<T>,
    more_offsets: &[usize],
    more: &[T],
) {
    let base = items.len();
    offsets.pop();
    offsets.extend(more_offsets.iter().map(|offset| offset + base));
    // One reallocation (a remap of the pages, for a large vector), then one copy of `more`.
    items.reserve_exact(more.len());
    items.extend_from_slice(more);
}

impl MrrLedger {
    /// `customers` is the number of customer ids (spans use ids below it). The spans
    /// are freed once grouped.
    pub fn build(customers: usize, spans: Vec<Span>) -> Self {
        // Spans are grouped (one scatter of the spans, not of twice as many events);
        // each customer's events are then made and sorted in a small local buffer.
        let (span_offsets, grouped) =
            group_by_customer(customers, spans.iter().map(|span| (span.customer, Charge::of(span))));
        drop(spans);

        let mut offsets = Vec::with_capacity(customers + 1);
        let mut points = Vec::with_capacity(grouped.len() * 2);
        let mut own: Vec<Event> = Vec::new();
        for customer in 0..customers {
            offsets.push(points.len());
            // Each span starts adding its amount at its first month and stops at its end.
            own.clear();
            for charge in &grouped[span_offsets[customer]..span_offsets[customer + 1]] {
                own.push(Event { month: charge.first, delta: charge.units });
                if charge.end != Charge::OPEN {
                    own.push(Event { month: charge.end, delta: -charge.units });
                }
            }
            own.sort_unstable_by_key(|event| event.month);
            let mut running: i64 = 0;
            let mut current: i64 = 0;
            let mut at = 0;
            while at < own.len() {
                let month = own[at].month;
                while at < own.len() && own[at].month == month {
                    running += own[at].delta;
                    at += 1;
                }
                // A credit can outweigh the charges; MRR is never negative.
                let mrr = Money(running.max(0)).round_to_cents().0;
                if mrr != current {
                    points.push(Point { month, mrr });
                    current = mrr;
                }
            }
        }
        offsets.push(points.len());
        MrrLedger { offsets, points }
    }

    /// The ledger of its customers followed by those of `next`.
    pub fn append(&mut self, next: &MrrLedger) {
        append_customers(&mut self.offsets, &mut self.points, &next.offsets, &next.points);
    }

    /// The same ledger over `customers` ids: those past its own have no points.
    pub fn extended_to(mut self, customers: usize) -> Self {
        let end = self.points.len();
        self.offsets.resize(customers.max(self.customers()) + 1, end);
        self
    }

    pub fn customers(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// The customers in two [`halves`] of about equal points.
    pub fn halves(&self) -> (Range<u32>, Range<u32>) {
        let ids = |range: Range<usize>| range.start as u32..range.end as u32;
        let (lower, upper) = halves(&self.offsets);
        (ids(lower), ids(upper))
    }

    /// The ledger of these customers only, renumbered in the given order.
    pub fn select(&self, customers: &[u32]) -> Self {
        let mut offsets = Vec::with_capacity(customers.len() + 1);
        let mut points = Vec::new();
        for &customer in customers {
            offsets.push(points.len());
            points.extend_from_slice(self.points(customer));
        }
        offsets.push(points.len());
        MrrLedger { offsets, points }
    }

    pub fn points(&self, customer: u32) -> &[Point] {
        let c = customer as usize;
        match (self.offsets.get(c), self.offsets.get(c + 1)) {
            (Some(&start), Some(&end)) => &self.points[start..end],
            _ => &[],
        }
    }

    /// The customer's MRR at the end of `month`.
    pub fn value_at(&self, customer: u32, month: YearMonth) -> i64 {
        value_at(self.points(customer), month)
    }

    /// The first month with MRR.
    pub fn first_paid(&self, customer: u32) -> Option<YearMonth> {
        self.points(customer).iter().find(|p| p.mrr > 0).map(|p| p.month)
    }

    /// The last month up to `upto` with MRR.
    pub fn last_paid(&self, customer: u32, upto: YearMonth) -> Option<YearMonth> {
        let points = self.points(customer);
        let upto_index = points.partition_point(|p| p.month <= upto);
        let current = upto_index.checked_sub(1).map(|i| points[i])?;
        if current.mrr > 0 {
            return Some(upto);
        }
        // The point at `current` dropped MRR to zero; the month before it was paid
        // (points only record changes, so the previous point was positive).
        (upto_index >= 2).then(|| current.month.prev())
    }

    /// The stretches of positive MRR, in order.
    pub fn segments(&self, customer: u32) -> impl Iterator<Item = Segment> + '_ {
        let points = self.points(customer);
        points.iter().enumerate().filter(|(_, p)| p.mrr > 0).map(move |(i, p)| Segment {
            from: p.month,
            until: points.get(i + 1).map(|next| next.month),
            mrr: p.mrr,
        })
    }
}

/// Builds the ledger month by month when every span covers exactly its own calendar
/// month (monthly invoices without service periods): a customer's MRR in a month is then
/// that month's charges, so there are no events to sort, and the points are those
/// [`MrrLedger::build`] makes of the same charges as spans.
#[derive(Debug, Default)]
pub(crate) struct MonthlyLedgerBuilder {
    ledger: MrrLedger,
    /// The current customer's MRR and latest month with its MRR in the points.
    current: i64,
    latest: Option<YearMonth>,
    /// The month being summed, and its charges so far.
    summing: Option<(YearMonth, i64)>,
}

impl MonthlyLedgerBuilder {
    /// Starts the next customer's points: customers come in id order.
    pub fn start_customer(&mut self) {
        self.close_customer();
        self.ledger.offsets.push(self.ledger.points.len());
    }

    /// A transaction of the current customer in `month` (months in order): `charges` is
    /// its MRR in Money units, 0 for one that is not a charge.
    pub fn add(&mut self, month: YearMonth, charges: i64) {
        match &mut self.summing {
            Some((summed, sum)) if *summed == month => *sum += charges,
            _ => {
                self.close_month();
                self.summing = Some((month, charges));
            }
        }
    }

    pub fn finish(mut self) -> MrrLedger {
        self.close_customer();
        self.ledger.offsets.push(self.ledger.points.len());
        self.ledger
    }

    fn change(&mut self, month: YearMonth, mrr: i64) {
        if mrr != self.current {
            self.ledger.points.push(Point { month, mrr });
            self.current = mrr;
        }
    }

    /// The summed month's charges are its MRR; a month without transactions before it
    /// had none.
    fn close_month(&mut self) {
        let Some((month, charges)) = self.summing.take() else { return };
        if let Some(latest) = self.latest.filter(|latest| latest.next() < month) {
            self.change(latest.next(), 0);
        }
        self.change(month, Money(charges.max(0)).round_to_cents().0);
        self.latest = Some(month);
    }

    /// The charges of a customer's latest month stop at the next month's start.
    fn close_customer(&mut self) {
        self.close_month();
        if let Some(latest) = self.latest.take() {
            self.change(latest.next(), 0);
        }
        self.current = 0;
    }
}

pub(crate) fn value_at(points: &[Point], month: YearMonth) -> i64 {
    let index = points.partition_point(|p| p.month <= month);
    index.checked_sub(1).map_or(0, |i| points[i].mrr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(text: &str) -> YearMonth {
        text.parse().unwrap()
    }

    #[test]
    fn builds_step_functions_and_rounds_per_customer_month() {
        let spans = [
            // Customer 0: 8.3333 + 8.3333 = 16.6666 → 16.67 from Jan; one ends in Mar.
            Span { customer: 0, first: m("2025-01"), end: None, units: 8_3333 },
            Span { customer: 0, first: m("2025-01"), end: Some(m("2025-03")), units: 8_3333 },
            // Customer 1: paid Feb only.
            Span { customer: 1, first: m("2025-02"), end: Some(m("2025-03")), units: 10_0000 },
        ];
        let ledger = MrrLedger::build(3, spans.to_vec());
        assert_eq!(
            ledger.points(0),
            &[Point { month: m("2025-01"), mrr: 16_6700 }, Point { month: m("2025-03"), mrr: 8_3300 }]
        );
        assert_eq!(ledger.value_at(0, m("2024-12")), 0);
        assert_eq!(ledger.value_at(0, m("2025-02")), 16_6700);
        assert_eq!(ledger.value_at(1, m("2025-03")), 0);
        assert_eq!(ledger.last_paid(1, m("2025-06")), Some(m("2025-02")));
        assert_eq!(ledger.last_paid(0, m("2025-06")), Some(m("2025-06")));
        assert_eq!(ledger.last_paid(1, m("2025-01")), None);
        assert!(ledger.points(2).is_empty());
        assert_eq!(ledger.first_paid(1), Some(m("2025-02")));
        let segments: Vec<_> = ledger.segments(1).collect();
        assert_eq!(segments, vec![Segment { from: m("2025-02"), until: Some(m("2025-03")), mrr: 10_0000 }]);
    }
}
