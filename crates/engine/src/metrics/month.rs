//! Calendar months and the date arithmetic the metrics need.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, Months, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Days from 0001-01-01 (chrono's day 1 of the common era) to 1970-01-01, the epoch of
/// Arrow's Date32.
const EPOCH_FROM_CE: i32 = 719_163;

/// A calendar month, stored as `year × 12 + (month − 1)` so consecutive months are
/// consecutive integers. Written and parsed as `YYYY-MM`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct YearMonth(i32);

impl YearMonth {
    /// Later than any month of a date: Date32 reaches only some 70 million months.
    pub(crate) const MAX: YearMonth = YearMonth(i32::MAX);

    /// `month` is 1..=12.
    pub fn new(year: i32, month: u32) -> Option<Self> {
        (1..=12).contains(&month).then(|| YearMonth(year * 12 + month as i32 - 1))
    }

    pub fn of_date(date: NaiveDate) -> Self {
        YearMonth(date.year() * 12 + date.month0() as i32)
    }

    /// The month of a Date32 value (days since 1970-01-01). Integer arithmetic only
    /// (H. Hinnant's civil-from-days), as this runs once or twice per row.
    pub fn of_epoch_day(day: i32) -> Self {
        let z = i64::from(day) + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z - era * 146_097;
        let year_of_era = (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let shifted_month = (5 * day_of_year + 2) / 153; // 0 = March
        let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        YearMonth((year * 12 + month - 1) as i32)
    }

    /// The Date32 of the month's first day (days since 1970-01-01), as i64 so no month
    /// overflows. Integer arithmetic only (H. Hinnant's days-from-civil).
    pub(crate) fn first_epoch_day(self) -> i64 {
        let (year, month) = (i64::from(self.year()), i64::from(self.month()));
        let year = if month <= 2 { year - 1 } else { year };
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let day_of_year = (153 * ((month + 9) % 12) + 2) / 5;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// The stored number (`year × 12 + month − 1`), for binary snapshots.
    pub(crate) fn raw(self) -> i32 {
        self.0
    }

    pub(crate) fn from_raw(raw: i32) -> Self {
        YearMonth(raw)
    }

    pub fn year(self) -> i32 {
        self.0.div_euclid(12)
    }

    /// 1..=12.
    pub fn month(self) -> u32 {
        self.0.rem_euclid(12) as u32 + 1
    }

    /// The month `n` months later (earlier when negative).
    pub fn plus(self, n: i32) -> Self {
        YearMonth(self.0 + n)
    }

    pub fn next(self) -> Self {
        self.plus(1)
    }

    pub fn prev(self) -> Self {
        self.plus(-1)
    }

    /// Months from `earlier` to `self` (negative when `earlier` is later).
    pub fn months_since(self, earlier: YearMonth) -> i32 {
        self.0 - earlier.0
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year(), self.month(), 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().unwrap_or(NaiveDate::MAX)
    }

    /// The last day of the month as a Date32 value.
    pub fn last_epoch_day(self) -> i32 {
        epoch_day_of_date(self.last_day())
    }

    /// Every month from `self` to `last`, both included.
    pub fn through(self, last: YearMonth) -> impl Iterator<Item = YearMonth> {
        (self.0..=last.0).map(YearMonth)
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a month: expected YYYY-MM")]
pub struct ParseMonthError(pub String);

impl FromStr for YearMonth {
    type Err = ParseMonthError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let error = || ParseMonthError(s.to_string());
        let (year, month) = s.trim().split_once('-').ok_or_else(error)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(error());
        }
        let year: i32 = year.parse().map_err(|_| error())?;
        let month: u32 = month.parse().map_err(|_| error())?;
        YearMonth::new(year, month).ok_or_else(error)
    }
}

impl Serialize for YearMonth {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for YearMonth {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// An inclusive range of months.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MonthRange {
    pub first: YearMonth,
    pub last: YearMonth,
}

impl MonthRange {
    pub fn contains(&self, month: YearMonth) -> bool {
        self.first <= month && month <= self.last
    }

    pub fn months(&self) -> impl Iterator<Item = YearMonth> {
        self.first.through(self.last)
    }

    pub fn len(&self) -> usize {
        (self.last.months_since(self.first) + 1).max(0) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Display for MonthRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} to {}", self.first, self.last)
    }
}

/// Serialises any value as its `Display` text (dates as YYYY-MM-DD).
pub(crate) fn serialize_display<T: fmt::Display, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

pub fn date_of_epoch_day(day: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(day.saturating_add(EPOCH_FROM_CE)).unwrap_or(if day < 0 {
        NaiveDate::MIN
    } else {
        NaiveDate::MAX
    })
}

pub fn epoch_day_of_date(date: NaiveDate) -> i32 {
    date.num_days_from_ce() - EPOCH_FROM_CE
}

/// `date` plus `n` calendar months, the day clamped to the target month's length
/// (Jan 31 + 1 month = Feb 28/29), as billing systems renew.
pub fn add_months(date: NaiveDate, n: u32) -> NaiveDate {
    date.checked_add_months(Months::new(n)).unwrap_or(NaiveDate::MAX)
}

pub fn add_days(date: NaiveDate, n: u64) -> NaiveDate {
    date.checked_add_days(Days::new(n)).unwrap_or(NaiveDate::MAX)
}

/// The month and day of month of each date in a range, looked up instead of computed
/// for each of a table's rows.
pub(crate) struct Calendar {
    first_day: i32,
    days: Vec<(YearMonth, u8)>,
}

/// Beyond some three centuries of dates, the table would stop fitting in a cache.
const CALENDAR_DAYS: i64 = 110_000;

impl Calendar {
    /// For dates from `first_day` to `last_day` (Date32); any other date is computed.
    pub fn spanning(first_day: i32, last_day: i32) -> Self {
        let length = i64::from(last_day) - i64::from(first_day) + 1;
        let days = if (1..=CALENDAR_DAYS).contains(&length) {
            (first_day..=last_day).map(month_and_day).collect()
        } else {
            Vec::new()
        };
        Calendar { first_day, days }
    }

    /// The date's month and its day in it (1..=31).
    pub fn month_and_day(&self, day: i32) -> (YearMonth, u8) {
        let index = usize::try_from(i64::from(day) - i64::from(self.first_day)).ok();
        match index.and_then(|index| self.days.get(index)) {
            Some(&known) => known,
            None => month_and_day(day),
        }
    }
}

fn month_and_day(day: i32) -> (YearMonth, u8) {
    let month = YearMonth::of_epoch_day(day);
    (month, (i64::from(day) - month.first_epoch_day() + 1) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_print_and_step() {
        let m: YearMonth = "2025-01".parse().unwrap();
        assert_eq!(m.prev().to_string(), "2024-12");
        assert_eq!(m.plus(14).to_string(), "2026-03");
        assert!("2025-13".parse::<YearMonth>().is_err());
        assert!("2025-1".parse::<YearMonth>().is_err());
        assert_eq!(m.last_day(), NaiveDate::from_ymd_opt(2025, 1, 31).unwrap());
        assert_eq!("2024-02".parse::<YearMonth>().unwrap().last_day(), NaiveDate::from_ymd_opt(2024, 2, 29).unwrap());
    }

    #[test]
    fn month_of_epoch_day_agrees_with_the_calendar() {
        for day in -800_000..800_000 {
            let expected = YearMonth::of_date(date_of_epoch_day(day));
            assert_eq!(YearMonth::of_epoch_day(day), expected, "day {day}");
        }
    }

    #[test]
    fn first_epoch_day_agrees_with_the_calendar() {
        for raw in (1900 * 12..2200 * 12).chain([0, 12 * -5000, 12 * 9000 + 7]) {
            let month = YearMonth(raw);
            assert_eq!(month.first_epoch_day(), i64::from(epoch_day_of_date(month.first_day())), "{month}");
        }
    }

    #[test]
    fn epoch_days_round_trip() {
        assert_eq!(date_of_epoch_day(0), NaiveDate::from_ymd_opt(1970, 1, 1).unwrap());
        let d = NaiveDate::from_ymd_opt(2025, 3, 31).unwrap();
        assert_eq!(date_of_epoch_day(epoch_day_of_date(d)), d);
        assert_eq!(YearMonth::of_epoch_day(epoch_day_of_date(d)).to_string(), "2025-03");
    }

    #[test]
    fn the_calendar_looks_up_what_it_would_compute() {
        let calendar = Calendar::spanning(19_000, 19_800);
        for day in 18_900..19_900 {
            let date = date_of_epoch_day(day);
            let expected = (YearMonth::of_date(date), date.day() as u8);
            assert_eq!(calendar.month_and_day(day), expected, "day {day}");
        }
        // Too long a range is computed, date by date.
        let wide = Calendar::spanning(i32::MIN / 2, i32::MAX / 2);
        assert!(wide.days.is_empty());
        assert_eq!(wide.month_and_day(0), (YearMonth::new(1970, 1).unwrap(), 1));
    }
}
