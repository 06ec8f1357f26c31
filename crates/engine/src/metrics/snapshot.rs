//! A built [`RevenueModel`] as a compact binary snapshot, so a service can keep it on
//! disk and skip reading the dataset and rebuilding the model on the next request.
//!
//! The layout is hand-written little-endian (the types are a few integer vectors and
//! strings): the magic `RLMODEL\0`, [`SNAPSHOT_FORMAT_VERSION`], the model key the model
//! was built under, then every field in order; vectors and strings are length-prefixed.
//! Loading checks lengths and offsets, so a truncated or foreign file is an error, never
//! a panic or a wrong model — callers treat any error as a cache miss.

use super::customers::{Profile, Profiles};
use super::ledger::{MrrLedger, Point};
use super::model::{BillingKind, RevenueModel};
use super::month::{MonthRange, YearMonth};
use super::purchases::{PurchaseLedger, PurchaseMonth};
use super::settings::MetricSettings;

const MAGIC: &[u8; 8] = b"RLMODEL\0";

/// Bumped whenever the layout or the meaning of a model field changes; snapshots of
/// another version do not load. Include it in cache keys.
pub const SNAPSHOT_FORMAT_VERSION: u32 = 1;

/// Why a snapshot did not load.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("model snapshot: {0}")]
pub struct SnapshotError(pub String);

fn corrupt(what: &str) -> SnapshotError {
    SnapshotError(format!("{what} is truncated or corrupt"))
}

impl RevenueModel {
    /// The model as bytes for [`RevenueModel::from_snapshot`].
    pub fn to_snapshot(&self) -> Vec<u8> {
        let points = self.ledger.points.len();
        let mut out = Writer(Vec::with_capacity(
            64 + self.names.iter().map(|n| n.len() + 4).sum::<usize>() + points * 12 + self.ledger.offsets.len() * 8,
        ));
        out.0.extend_from_slice(MAGIC);
        out.u32(SNAPSHOT_FORMAT_VERSION);
        out.str(&self.settings.model_key());
        out.u8(match self.kind {
            BillingKind::Subscriptions => 0,
            BillingKind::Transactions => 1,
        });
        out.u64(self.billed_customers as u64);
        out.i32(self.data_range.first.raw());
        out.i32(self.data_range.last.raw());
        out.i32(self.last_day);
        out.opt_str(self.reporting_currency.as_deref());

        out.u64(self.names.len() as u64);
        for name in &self.names {
            out.str(name);
        }

        out.offsets(&self.ledger.offsets);
        out.u64(points as u64);
        for point in &self.ledger.points {
            out.i32(point.month.raw());
            out.i64(point.mrr);
        }

        match &self.purchases {
            None => out.u8(0),
            Some(purchases) => {
                out.u8(1);
                out.offsets(&purchases.offsets);
                out.u64(purchases.months.len() as u64);
                for month in &purchases.months {
                    out.i32(month.month.raw());
                    out.u32(month.purchases);
                    out.i64(month.revenue);
                    out.opt_i32(month.last_purchase_day);
                }
            }
        }

        match &self.profiles {
            None => out.u8(0),
            Some(profiles) => {
                out.u8(1);
                out.u8(u8::from(profiles.has_churn_column));
                out.u64(profiles.by_customer.len() as u64);
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

        let count = input.len_of(4)?;
        let mut names = Vec::with_capacity(count);
        for _ in 0..count {
            names.push(input.str()?.to_string());
        }

        let offsets = input.offsets()?;
        let count = input.len_of(12)?;
        let mut points = Vec::with_capacity(count);
        for _ in 0..count {
            points.push(Point { month: YearMonth::from_raw(input.i32()?), mrr: input.i64()? });
        }
        check_offsets(&offsets, names.len(), points.len())?;
        let ledger = MrrLedger { offsets, points };

        let purchases = match input.u8()? {
            0 => None,
            1 => {
                let offsets = input.offsets()?;
                let count = input.len_of(17)?;
                let mut months = Vec::with_capacity(count);
                for _ in 0..count {
                    months.push(PurchaseMonth {
                        month: YearMonth::from_raw(input.i32()?),
                        purchases: input.u32()?,
                        revenue: input.i64()?,
                        last_purchase_day: input.opt_i32()?,
                    });
                }
                check_offsets(&offsets, billed_customers, months.len())?;
                Some(PurchaseLedger { offsets, months })
            }
            _ => return Err(corrupt("purchases")),
        };

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

/// Offsets of `customers` customers into `items` items: from 0, never decreasing, to
/// `items` — so every slice the ledgers take is in bounds.
fn check_offsets(offsets: &[usize], customers: usize, items: usize) -> Result<(), SnapshotError> {
    let ordered = offsets.windows(2).all(|pair| pair[0] <= pair[1]);
    if offsets.len() != customers + 1 || offsets.first() != Some(&0) || offsets.last() != Some(&items) || !ordered {
        return Err(corrupt("offsets"));
    }
    Ok(())
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

    fn u64(&mut self, value: u64) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }

    fn i64(&mut self, value: i64) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }

    fn str(&mut self, value: &str) {
        self.u32(value.len() as u32);
        self.0.extend_from_slice(value.as_bytes());
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

    fn offsets(&mut self, offsets: &[usize]) {
        self.u64(offsets.len() as u64);
        for &offset in offsets {
            self.u64(offset as u64);
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
        Ok(self.array::<1>()?[0])
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

    fn i64(&mut self) -> Result<i64, SnapshotError> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    fn len(&mut self) -> Result<usize, SnapshotError> {
        usize::try_from(u64::from_le_bytes(self.array()?)).map_err(|_| corrupt("length"))
    }

    /// A count of items at least `min_size` bytes each, checked against the bytes left
    /// (so a corrupt count cannot make us allocate wildly).
    fn len_of(&mut self, min_size: usize) -> Result<usize, SnapshotError> {
        let count = self.len()?;
        if count.saturating_mul(min_size) > self.bytes.len() - self.at {
            return Err(corrupt("length"));
        }
        Ok(count)
    }

    fn str(&mut self) -> Result<&'a str, SnapshotError> {
        let len = self.u32()? as usize;
        std::str::from_utf8(self.take(len)?).map_err(|_| corrupt("text"))
    }

    fn opt_str(&mut self) -> Result<Option<String>, SnapshotError> {
        Ok(if self.flag()? { Some(self.str()?.to_string()) } else { None })
    }

    fn opt_i32(&mut self) -> Result<Option<i32>, SnapshotError> {
        Ok(if self.flag()? { Some(self.i32()?) } else { None })
    }

    fn offsets(&mut self) -> Result<Vec<usize>, SnapshotError> {
        let count = self.len_of(8)?;
        (0..count).map(|_| self.len()).collect()
    }
}
