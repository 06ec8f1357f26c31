//! A built [`RevenueModel`] as a compact binary snapshot, so a service can keep it on
//! disk and skip reading the dataset and rebuilding the model on the next request.
//!
//! The layout is hand-written (the types are a few integer vectors and strings): the
//! magic `RLMODEL\0`, [`SNAPSHOT_FORMAT_VERSION`], the model key the model was built
//! under, then every field in order. Fixed-size header fields are little-endian; the
//! per-customer data is LEB128 varints (signed ones zigzag-coded), each customer's
//! months as the difference from the month before, amounts divided by a common scale
//! (100 when every amount is whole cents, as MRR always is) and a purchase day as its
//! day in the month — a third of the fixed-width size, so writing and reading it cost
//! less than the I/O they save. Loading checks lengths and offsets, so a truncated or
//! foreign file is an error, never a panic or a wrong model — callers treat any error as
//! a cache miss.

use super::customers::{Profile, Profiles};
use super::ledger::{MrrLedger, Point};
use super::model::{BillingKind, RevenueModel};
use super::month::{MonthRange, YearMonth};
use super::purchases::{PurchaseLedger, PurchaseMonth};
use super::settings::MetricSettings;
use super::side_by_side::side_by_side;

const MAGIC: &[u8; 8] = b"RLMODEL\0";

/// Bumped whenever the layout or the meaning of a model field changes; snapshots of
/// another version do not load. Include it in cache keys.
pub const SNAPSHOT_FORMAT_VERSION: u32 = 2;

/// Why a snapshot did not load.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("model snapshot: {0}")]
pub struct SnapshotError(pub String);

fn corrupt(what: &str) -> SnapshotError {
    SnapshotError(format!("{what} is truncated or corrupt"))
}

/// Money units per cent: MRR is always whole cents, revenue nearly always.
const CENT: i64 = 100;

/// The largest scale (100 or 1) that divides every amount.
fn scale_of(mut amounts: impl Iterator<Item = i64>) -> i64 {
    if amounts.all(|a| a % CENT == 0) {
        CENT
    } else {
        1
    }
}

impl RevenueModel {
    /// The model as bytes for [`RevenueModel::from_snapshot`].
    pub fn to_snapshot(&self) -> Vec<u8> {
        let origin = self.data_range.first;
        // As when loading: the ledger here, names and purchases on a second thread.
        let ((names, purchases), ledger) = side_by_side(
            "snapshot",
            || (names_section(&self.names), self.purchases.as_ref().map(|p| purchases_section(p, origin))),
            || ledger_section(&self.ledger, origin),
        );
        let mut out = Writer(Vec::with_capacity(
            128 + names.len() + ledger.len() + purchases.as_ref().map_or(0, Vec::len) + self.names.len() * 4,
        ));
        out.0.extend_from_slice(MAGIC);
        out.u32(SNAPSHOT_FORMAT_VERSION);
        out.str(&self.settings.model_key());
        out.u8(match self.kind {
            BillingKind::Subscriptions => 0,
            BillingKind::Transactions => 1,
        });
        out.var(self.billed_customers as u64);
        out.i32(self.data_range.first.raw());
        out.i32(self.data_range.last.raw());
        out.i32(self.last_day);
        out.opt_str(self.reporting_currency.as_deref());

        // Length-prefixed sections, so loading decodes them side by side.
        out.section(&names);
        out.section(&ledger);
        match &purchases {
            None => out.u8(0),
            Some(purchases) => {
                out.u8(1);
                out.section(purchases);
            }
        }

        match &self.profiles {
            None => out.u8(0),
            Some(profiles) => {
                out.u8(1);
                out.u8(u8::from(profiles.has_churn_column));
                out.var(profiles.by_customer.len() as u64);
                for profile in &profiles.by_customer {
                    match profile {
                        None => out.u8(0),
                        Some(profile) => {
                            out.u8(1);
                            out.opt_i32(profile.signup.map(YearMonth::raw));
                            out.u8(match profile.churned {
                                None => 0,
                                Some(false) => 1,
                                Some(true) => 2,
                            });
                            out.opt_i32(profile.churn_day);
                        }
                    }
                }
            }
        }
        out.0
    }

    /// The model a [`RevenueModel::to_snapshot`] wrote, under `settings` — whose
    /// [`MetricSettings::model_key`] must be the one the model was built under.
    pub fn from_snapshot(bytes: &[u8], settings: &MetricSettings) -> Result<Self, SnapshotError> {
        let mut input = Reader { bytes, at: 0 };
        if input.take(MAGIC.len())? != MAGIC {
            return Err(SnapshotError("not a model snapshot".into()));
        }
        let version = input.u32()?;
        if version != SNAPSHOT_FORMAT_VERSION {
            return Err(SnapshotError(format!("format version {version}, expected {SNAPSHOT_FORMAT_VERSION}")));
        }
        if input.str()? != settings.model_key() {
            return Err(SnapshotError("built under other model settings".into()));
        }
        settings.validate().map_err(|e| SnapshotError(e.to_string()))?;
        let kind = match input.u8()? {
            0 => BillingKind::Subscriptions,
            1 => BillingKind::Transactions,
            _ => return Err(corrupt("kind")),
        };
        let billed_customers = input.len()?;
        let data_range =
            MonthRange { first: YearMonth::from_raw(input.i32()?), last: YearMonth::from_raw(input.i32()?) };
        let last_day = input.i32()?;
        let reporting_currency = input.opt_str()?;

        let names_bytes = input.section()?;
        let ledger_bytes = input.section()?;
        let purchases_bytes = match input.u8()? {
            0 => None,
            1 => Some(input.section()?),
            _ => return Err(corrupt("purchases")),
        };
        // The ledger here, names and purchases on a second thread: together they are
        // nearly all of the load time.
        let (names, ledger, purchases) = std::thread::scope(|scope| {
            let others = || {
                let names = read_names(names_bytes)?;
                let purchases = purchases_bytes.map(|b| read_purchases(b, billed_customers, data_range)).transpose()?;
                Ok::<_, SnapshotError>((names, purchases))
            };
            let helper = std::thread::Builder::new().name("snapshot".into()).spawn_scoped(scope, others);
            let ledger = read_ledger(ledger_bytes, data_range.first);
            let (names, purchases) = match helper {
                Ok(handle) => handle.join().map_err(|_| SnapshotError("the loading thread panicked".into()))??,
                // No thread to be had: one after the other then.
                Err(_) => others()?,
            };
            Ok::<_, SnapshotError>((names, ledger?, purchases))
        })?;
        if ledger.customers() != names.len() {
            return Err(corrupt("ledger"));
        }

        let profiles = match input.u8()? {
            0 => None,
            1 => {
                let has_churn_column = input.flag()?;
                let count = input.len_of(1)?;
                let mut by_customer = Vec::with_capacity(count);
                for _ in 0..count {
                    by_customer.push(match input.u8()? {
                        0 => None,
                        1 => Some(Profile {
                            signup: input.opt_i32()?.map(YearMonth::from_raw),
                            churned: match input.u8()? {
                                0 => None,
                                1 => Some(false),
                                2 => Some(true),
                                _ => return Err(corrupt("churned")),
                            },
                            churn_day: input.opt_i32()?,
                        }),
                        _ => return Err(corrupt("profile")),
                    });
                }
                Some(Profiles { by_customer, has_churn_column })
            }
            _ => return Err(corrupt("profiles")),
        };
        if input.at != bytes.len() {
            return Err(corrupt("end"));
        }
        if billed_customers > names.len() {
            return Err(corrupt("customer count"));
        }
        Ok(RevenueModel {
            kind,
            names,
            ledger,
            purchases,
            profiles,
            billed_customers,
            data_range,
            last_day,
            reporting_currency,
            settings: settings.clone(),
        })
    }
}

fn names_section(names: &[String]) -> Vec<u8> {
    let mut out = Writer(Vec::with_capacity(8 + names.iter().map(|n| n.len() + 1).sum::<usize>()));
    out.var(names.len() as u64);
    for name in names {
        out.str(name);
    }
    out.0
}

fn read_names(bytes: &[u8]) -> Result<Vec<String>, SnapshotError> {
    let mut input = Reader { bytes, at: 0 };
    let count = input.len_of(1)?;
    let mut names = Vec::with_capacity(count);
    for _ in 0..count {
        names.push(input.str()?.to_string());
    }
    input.end("names")?;
    Ok(names)
}

/// Per customer: the number of points, then each point's month (from the month before,
/// the first from the data's first month) and MRR over the scale.
fn ledger_section(ledger: &MrrLedger, origin: YearMonth) -> Vec<u8> {
    let mut out = Writer(Vec::with_capacity(16 + ledger.offsets.len() + ledger.points.len() * 4));
    let scale = scale_of(ledger.points.iter().map(|p| p.mrr));
    out.var(ledger.customers() as u64);
    out.var(ledger.points.len() as u64);
    out.svar(scale);
    for customer in 0..ledger.customers() as u32 {
        let own = ledger.points(customer);
        out.var(own.len() as u64);
        let mut month = origin;
        for point in own {
            out.svar(i64::from(point.month.months_since(month)));
            out.svar(point.mrr / scale);
            month = point.month;
        }
    }
    out.0
}

fn read_ledger(bytes: &[u8], origin: YearMonth) -> Result<MrrLedger, SnapshotError> {
    let mut input = Reader { bytes, at: 0 };
    let customers = input.len_of(1)?;
    let total = input.len_of(2)?;
    let scale = input.scale()?;
    let mut offsets = Vec::with_capacity(customers + 1);
    let mut points = Vec::with_capacity(total);
    for _ in 0..customers {
        offsets.push(points.len());
        let own = input.len_of(2)?;
        let mut month = origin;
        for _ in 0..own {
            month = input.month_after(month)?;
            points.push(Point { month, mrr: input.amount(scale)? });
        }
    }
    offsets.push(points.len());
    input.end("ledger")?;
    if points.len() != total {
        return Err(corrupt("ledger"));
    }
    Ok(MrrLedger { offsets, points })
}

/// Per customer: the number of months, then each month (as in the ledger), its
/// purchases, its revenue over the scale and its last purchase day: 0 for none, else 1 +
/// the zigzagged distance from the month's first day (one byte for a day in the month).
fn purchases_section(purchases: &PurchaseLedger, origin: YearMonth) -> Vec<u8> {
    let mut out = Writer(Vec::with_capacity(16 + purchases.offsets.len() + purchases.months.len() * 6));
    let scale = scale_of(purchases.months.iter().map(|m| m.revenue));
    let customers = purchases.offsets.len().saturating_sub(1);
    out.var(customers as u64);
    out.var(purchases.months.len() as u64);
    out.svar(scale);
    for customer in 0..customers as u32 {
        let own = purchases.months(customer);
        out.var(own.len() as u64);
        let mut month = origin;
        for entry in own {
            out.svar(i64::from(entry.month.months_since(month)));
            out.var(u64::from(entry.purchases));
            out.svar(entry.revenue / scale);
            match entry.last_purchase_day {
                None => out.var(0),
                Some(day) => out.var(1 + zigzag(i64::from(day) - entry.month.first_epoch_day())),
            }
            month = entry.month;
        }
    }
    out.0
}

fn read_purchases(bytes: &[u8], billed_customers: usize, range: MonthRange) -> Result<PurchaseLedger, SnapshotError> {
    let mut input = Reader { bytes, at: 0 };
    let customers = input.len_of(1)?;
    if customers != billed_customers {
        return Err(corrupt("purchases"));
    }
    let total = input.len_of(4)?;
    let scale = input.scale()?;
    // The first days of the data's months, looked up instead of computed per entry.
    let first_days: Vec<i64> = range.months().map(YearMonth::first_epoch_day).collect();
    let first_day = |month: YearMonth| {
        usize::try_from(month.months_since(range.first))
            .ok()
            .and_then(|i| first_days.get(i).copied())
            .unwrap_or_else(|| month.first_epoch_day())
    };
    let mut offsets = Vec::with_capacity(customers + 1);
    let mut months = Vec::with_capacity(total);
    for _ in 0..customers {
        offsets.push(months.len());
        let own = input.len_of(4)?;
        let mut month = range.first;
        for _ in 0..own {
            month = input.month_after(month)?;
            let purchases = u32::try_from(input.var()?).map_err(|_| corrupt("purchases"))?;
            let revenue = input.amount(scale)?;
            let last_purchase_day = match input.var()? {
                0 => None,
                coded => {
                    let day = first_day(month) + unzigzag(coded - 1);
                    Some(i32::try_from(day).map_err(|_| corrupt("purchase day"))?)
                }
            };
            months.push(PurchaseMonth { month, purchases, revenue, last_purchase_day });
        }
    }
    offsets.push(months.len());
    input.end("purchases")?;
    if months.len() != total {
        return Err(corrupt("purchases"));
    }
    Ok(PurchaseLedger { offsets, months })
}

fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, value: u8) {
        self.0.push(value);
    }

    fn u32(&mut self, value: u32) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }

    fn i32(&mut self, value: i32) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }

    /// LEB128: seven bits a byte, low first, the high bit set on all but the last.
    fn var(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.0.push(value as u8 | 0x80);
            value >>= 7;
        }
        self.0.push(value as u8);
    }

    fn svar(&mut self, value: i64) {
        self.var(zigzag(value));
    }

    fn str(&mut self, value: &str) {
        self.var(value.len() as u64);
        self.0.extend_from_slice(value.as_bytes());
    }

    /// Bytes prefixed by their length.
    fn section(&mut self, bytes: &[u8]) {
        self.var(bytes.len() as u64);
        self.0.extend_from_slice(bytes);
    }

    fn opt_str(&mut self, value: Option<&str>) {
        match value {
            None => self.u8(0),
            Some(value) => {
                self.u8(1);
                self.str(value);
            }
        }
    }

    fn opt_i32(&mut self, value: Option<i32>) {
        match value {
            None => self.u8(0),
            Some(value) => {
                self.u8(1);
                self.i32(value);
            }
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SnapshotError> {
        let end = self.at.checked_add(n).filter(|&end| end <= self.bytes.len()).ok_or_else(|| corrupt("data"))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], SnapshotError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, SnapshotError> {
        let byte = *self.bytes.get(self.at).ok_or_else(|| corrupt("data"))?;
        self.at += 1;
        Ok(byte)
    }

    fn flag(&mut self) -> Result<bool, SnapshotError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(corrupt("flag")),
        }
    }

    fn u32(&mut self) -> Result<u32, SnapshotError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn i32(&mut self) -> Result<i32, SnapshotError> {
        Ok(i32::from_le_bytes(self.array()?))
    }

    #[inline(always)]
    fn var(&mut self) -> Result<u64, SnapshotError> {
        // Most numbers here fit in one byte: that path stays inline.
        match self.bytes.get(self.at) {
            Some(&byte) if byte < 0x80 => {
                self.at += 1;
                Ok(u64::from(byte))
            }
            _ => self.long_var(),
        }
    }

    #[inline(never)]
    fn long_var(&mut self) -> Result<u64, SnapshotError> {
        let mut value = 0u64;
        let mut shift = 0;
        loop {
            let byte = self.u8()?;
            if shift == 63 && byte > 1 {
                return Err(corrupt("number"));
            }
            value |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Ok(value);
            }
            shift += 7;
            if shift > 63 {
                return Err(corrupt("number"));
            }
        }
    }

    #[inline(always)]
    fn svar(&mut self) -> Result<i64, SnapshotError> {
        Ok(unzigzag(self.var()?))
    }

    fn len(&mut self) -> Result<usize, SnapshotError> {
        usize::try_from(self.var()?).map_err(|_| corrupt("length"))
    }

    /// A count of items at least `min_size` bytes each, checked against the bytes left
    /// (so a corrupt count cannot make us allocate wildly).
    fn len_of(&mut self, min_size: usize) -> Result<usize, SnapshotError> {
        let count = self.len()?;
        if count.saturating_mul(min_size) > self.remaining() {
            return Err(corrupt("length"));
        }
        Ok(count)
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }

    /// A section must be read to its last byte.
    fn end(&self, what: &str) -> Result<(), SnapshotError> {
        if self.at == self.bytes.len() {
            Ok(())
        } else {
            Err(corrupt(what))
        }
    }

    fn section(&mut self) -> Result<&'a [u8], SnapshotError> {
        let len = self.len()?;
        self.take(len)
    }

    fn scale(&mut self) -> Result<i64, SnapshotError> {
        match self.svar()? {
            scale @ (1 | CENT) => Ok(scale),
            _ => Err(corrupt("scale")),
        }
    }

    #[inline(always)]
    fn amount(&mut self, scale: i64) -> Result<i64, SnapshotError> {
        self.svar()?.checked_mul(scale).ok_or_else(|| corrupt("amount"))
    }

    /// The next month, written as its distance from `month`.
    #[inline(always)]
    fn month_after(&mut self, month: YearMonth) -> Result<YearMonth, SnapshotError> {
        let raw = i32::try_from(i64::from(month.raw()) + self.svar()?).map_err(|_| corrupt("month"))?;
        Ok(YearMonth::from_raw(raw))
    }

    fn str(&mut self) -> Result<&'a str, SnapshotError> {
        let len = self.len()?;
        std::str::from_utf8(self.take(len)?).map_err(|_| corrupt("text"))
    }

    fn opt_str(&mut self) -> Result<Option<String>, SnapshotError> {
        Ok(if self.flag()? { Some(self.str()?.to_string()) } else { None })
    }

    fn opt_i32(&mut self) -> Result<Option<i32>, SnapshotError> {
        Ok(if self.flag()? { Some(self.i32()?) } else { None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_at_every_width() {
        let values = [0i64, 1, -1, 63, -64, 64, 127, 128, 300, -300, i64::from(i32::MAX), i64::MAX, i64::MIN];
        let mut out = Writer(Vec::new());
        for value in values {
            out.svar(value);
            out.var(value as u64);
        }
        let mut input = Reader { bytes: &out.0, at: 0 };
        for value in values {
            assert_eq!(input.svar().unwrap(), value);
            assert_eq!(input.var().unwrap(), value as u64);
        }
        assert_eq!(input.at, out.0.len());
        // One byte for small numbers: the point of the format.
        assert_eq!(Writer(Vec::new()).tap(|w| w.svar(-3)).0.len(), 1);
        // Eleven continuation bytes overflow u64: an error, not a wrong number.
        let long = [0xffu8; 11];
        assert!(Reader { bytes: &long, at: 0 }.var().is_err());
        assert!(Reader { bytes: &[0x80], at: 0 }.var().is_err(), "truncated");
    }

    impl Writer {
        fn tap(mut self, f: impl FnOnce(&mut Writer)) -> Writer {
            f(&mut self);
            self
        }
    }

    #[test]
    fn the_scale_is_cents_only_when_every_amount_is_whole_cents() {
        assert_eq!(scale_of([0, 100, -2500].into_iter()), 100);
        assert_eq!(scale_of([100, 101].into_iter()), 1);
        assert_eq!(scale_of(std::iter::empty()), 100);
    }
}
