//! Dates in the shapes exports use, read by a hand-rolled tokenizer (numbers, separators,
//! words) so one value costs one pass over its bytes, whatever the candidate formats.

/// The date layouts a column can be read with, in tie-break priority order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DateFormat {
    /// 2024-01-31, 2024/01/31 (with an optional time).
    Iso,
    /// 05 Jan 2024, Jan 5, 2024, January 5 2024, 5-Jan-24.
    MonthName,
    /// 31/01/2024, 31-01-24, 31.01.2024.
    DayMonthYear,
    /// 01/31/2024.
    MonthDayYear,
    /// 20240131.
    Compact,
    /// 1706659200 (seconds since 1970-01-01 UTC).
    UnixSeconds,
    /// 45322 (days since 1899-12-30, Excel's 1900 date system).
    ExcelSerial,
}

impl DateFormat {
    pub(crate) const ALL: [DateFormat; 7] = [
        DateFormat::Iso,
        DateFormat::MonthName,
        DateFormat::DayMonthYear,
        DateFormat::MonthDayYear,
        DateFormat::Compact,
        DateFormat::UnixSeconds,
        DateFormat::ExcelSerial,
    ];

    fn index(self) -> usize {
        self as usize
    }

    /// How the format is named in error messages.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            DateFormat::Iso => "YYYY-MM-DD",
            DateFormat::MonthName => "DD Mon YYYY",
            DateFormat::DayMonthYear => "DD/MM/YYYY",
            DateFormat::MonthDayYear => "MM/DD/YYYY",
            DateFormat::Compact => "YYYYMMDD",
            DateFormat::UnixSeconds => "Unix epoch seconds",
            DateFormat::ExcelSerial => "Excel serial day number",
        }
    }
}

/// Excel serial number of 1970-01-01.
const EXCEL_UNIX_EPOCH: i64 = 25_569;
/// Serial numbers we are willing to read as dates (1954 … 2119): a narrower range than
/// Excel's own keeps ordinary counts and amounts from passing as dates.
const EXCEL_SERIAL_RANGE: std::ops::RangeInclusive<u64> = 20_000..=80_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token<'a> {
    Num { value: u64, digits: u8 },
    Word(&'a str),
    Sep(u8),
    Space,
}

const MAX_TOKENS: usize = 24;

/// A value split into tokens, on the stack.
struct Tokens<'a> {
    items: [Token<'a>; MAX_TOKENS],
    len: usize,
}

impl<'a> Tokens<'a> {
    fn as_slice(&self) -> &[Token<'a>] {
        self.items.get(..self.len).unwrap_or(&[])
    }
}

/// Splits `s` into tokens; `None` when it cannot be a date (non-ASCII, too long).
fn tokenize(s: &str) -> Option<Tokens<'_>> {
    let bytes = s.as_bytes();
    let mut tokens = Tokens { items: [Token::Space; MAX_TOKENS], len: 0 };
    let mut i = 0;
    while i < bytes.len() {
        let b = *bytes.get(i)?;
        let start = i;
        let token = if b.is_ascii_digit() {
            let mut value: u64 = 0;
            while let Some(d) = bytes.get(i).filter(|d| d.is_ascii_digit()) {
                if i - start >= 12 {
                    return None;
                }
                value = value * 10 + u64::from(d - b'0');
                i += 1;
            }
            Token::Num { value, digits: (i - start) as u8 }
        } else if b.is_ascii_alphabetic() {
            while bytes.get(i).is_some_and(u8::is_ascii_alphabetic) {
                i += 1;
            }
            Token::Word(s.get(start..i)?)
        } else if b.is_ascii_whitespace() {
            while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
                i += 1;
            }
            Token::Space
        } else if b.is_ascii_punctuation() {
            i += 1;
            Token::Sep(b)
        } else {
            return None;
        };
        *tokens.items.get_mut(tokens.len)? = token;
        tokens.len += 1;
    }
    Some(tokens)
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const WEEKDAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/// `word` is a name from `names` or an abbreviation of it (at least three letters).
fn name_index(word: &str, names: &[&str]) -> Option<usize> {
    if word.len() < 3 {
        return None;
    }
    names.iter().position(|name| {
        name.len() >= word.len() && name.get(..word.len()).is_some_and(|prefix| prefix.eq_ignore_ascii_case(word))
    })
}

fn month_number(word: &str) -> Option<u32> {
    name_index(word, &MONTHS).map(|i| i as u32 + 1)
}

pub(crate) fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a valid calendar date (years 1–9999).
pub(crate) fn days_from_civil(year: i32, month: u32, day: u32) -> Option<i32> {
    // Nearly every date of a business file falls in the table's years: a lookup instead
    // of the calendar arithmetic (every date cell is read twice in a one-pass import).
    if let Some(index) = year.checked_sub(TABLE_FIRST_YEAR).and_then(|y| table_index(y as u32, month)) {
        let (start, end) = (MONTH_STARTS[index], MONTH_STARTS[index + 1]);
        return (day >= 1 && day as i32 <= end - start).then(|| start + day as i32 - 1);
    }
    if !(1..=9999).contains(&year) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(civil_day_number(year, month, day))
}

/// Howard Hinnant's days_from_civil, for the proleptic Gregorian calendar (a valid date).
const fn civil_day_number(year: i32, month: u32, day: u32) -> i32 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y.rem_euclid(400) as u32;
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era as i32 - 719_468
}

/// The years of [`MONTH_STARTS`].
const TABLE_FIRST_YEAR: i32 = 1900;
const TABLE_YEARS: u32 = 300;

/// Index of a month of the table's years (`years_in`: since its first), if it is one.
fn table_index(years_in: u32, month: u32) -> Option<usize> {
    (years_in < TABLE_YEARS && (1..=12).contains(&month)).then(|| (years_in * 12 + month - 1) as usize)
}

/// The day number of the first of each month from 1900 through 2199, and of 1 January
/// 2200 after them (so a month's length is the next start minus its own).
static MONTH_STARTS: [i32; TABLE_YEARS as usize * 12 + 1] = {
    let mut starts = [0; TABLE_YEARS as usize * 12 + 1];
    let mut i = 0;
    while i < starts.len() {
        let year = TABLE_FIRST_YEAR + (i / 12) as i32;
        starts[i] = civil_day_number(year, (i % 12) as u32 + 1, 1);
        i += 1;
    }
    starts
};

/// Two-digit years: 00–68 are 2000–2068, 69–99 are 1969–1999.
fn full_year(value: u64, digits: u8) -> Option<i32> {
    match digits {
        4 => i32::try_from(value).ok(),
        2 if value <= 68 => Some(2000 + value as i32),
        2 => Some(1900 + value as i32),
        _ => None,
    }
}

fn num(token: Option<&Token<'_>>, digits: std::ops::RangeInclusive<u8>) -> Option<u64> {
    match token {
        Some(Token::Num { value, digits: n }) if digits.contains(n) => Some(*value),
        _ => None,
    }
}

fn is_date_sep(token: Option<&Token<'_>>) -> Option<u8> {
    match token {
        Some(Token::Sep(b @ (b'/' | b'-' | b'.'))) => Some(*b),
        _ => None,
    }
}

/// Skips separators and spaces between the parts of a month-name date.
fn skip_loose_separators(tokens: &[Token<'_>], mut i: usize) -> usize {
    while matches!(tokens.get(i), Some(Token::Space | Token::Sep(b'-' | b'/' | b'.' | b','))) {
        i += 1;
    }
    i
}

/// Accepts what may follow a date: nothing, or a time of day with an optional AM/PM and
/// zone. The date is kept as written, in the timestamp's own offset.
fn is_time_tail(tokens: &[Token<'_>]) -> bool {
    let Some(first) = tokens.first() else {
        return true;
    };
    match first {
        Token::Space => {}
        Token::Word(w) if w.eq_ignore_ascii_case("t") => {}
        _ => return false,
    }
    let mut i = 1;
    let Some(hour) = num(tokens.get(i), 1..=2) else {
        return false;
    };
    i += 1;
    if tokens.get(i) != Some(&Token::Sep(b':')) || num(tokens.get(i + 1), 2..=2).is_none_or(|m| m > 59) {
        return false;
    }
    i += 2;
    if tokens.get(i) == Some(&Token::Sep(b':')) {
        if num(tokens.get(i + 1), 2..=2).is_none_or(|s| s > 60) {
            return false;
        }
        i += 2;
        if matches!(tokens.get(i), Some(Token::Sep(b'.' | b','))) {
            if num(tokens.get(i + 1), 1..=12).is_none() {
                return false;
            }
            i += 2;
        }
    }
    if tokens.get(i) == Some(&Token::Space) {
        i += 1;
    }
    let mut twelve_hour = false;
    if let Some(Token::Word(w)) = tokens.get(i) {
        if w.eq_ignore_ascii_case("am") || w.eq_ignore_ascii_case("pm") {
            twelve_hour = true;
            i += 1;
            if tokens.get(i) == Some(&Token::Space) {
                i += 1;
            }
        }
    }
    if (twelve_hour && !(1..=12).contains(&hour)) || hour > 23 {
        return false;
    }
    match tokens.get(i) {
        None => true,
        Some(Token::Word(w)) if ["z", "utc", "gmt"].iter().any(|z| w.eq_ignore_ascii_case(z)) => i + 1 == tokens.len(),
        Some(Token::Sep(b'+' | b'-')) => match tokens.get(i + 1) {
            Some(Token::Num { value, digits: 4 }) => *value <= 2359 && i + 2 == tokens.len(),
            Some(Token::Num { value, digits: 2 }) if *value <= 23 => {
                if i + 2 == tokens.len() {
                    return true;
                }
                tokens.get(i + 2) == Some(&Token::Sep(b':'))
                    && num(tokens.get(i + 3), 2..=2).is_some_and(|m| m <= 59)
                    && i + 4 == tokens.len()
            }
            _ => false,
        },
        _ => false,
    }
}

fn with_tail(days: Option<i32>, tail: &[Token<'_>]) -> Option<i32> {
    days.filter(|_| is_time_tail(tail))
}

fn match_iso(t: &[Token<'_>]) -> Option<i32> {
    let year = num(t.first(), 4..=4)?;
    let sep = is_date_sep(t.get(1))?;
    let month = num(t.get(2), 1..=2)?;
    if is_date_sep(t.get(3))? != sep {
        return None;
    }
    let day = num(t.get(4), 1..=2)?;
    with_tail(days_from_civil(year as i32, month as u32, day as u32), t.get(5..)?)
}

fn match_numeric_triple(t: &[Token<'_>], day_first: bool) -> Option<i32> {
    let a = num(t.first(), 1..=2)?;
    let sep = is_date_sep(t.get(1))?;
    let b = num(t.get(2), 1..=2)?;
    if is_date_sep(t.get(3))? != sep {
        return None;
    }
    let (year, digits) = match t.get(4) {
        Some(Token::Num { value, digits }) => (*value, *digits),
        _ => return None,
    };
    let year = full_year(year, digits)?;
    let (day, month) = if day_first { (a, b) } else { (b, a) };
    with_tail(days_from_civil(year, month as u32, day as u32), t.get(5..)?)
}

fn match_month_name(t: &[Token<'_>]) -> Option<i32> {
    let mut i = 0;
    // An optional weekday first: "Mon, 05 Jan 2024".
    if let Some(Token::Word(w)) = t.first() {
        if name_index(w, &WEEKDAYS).is_some() && month_number(w).is_none() {
            i = skip_loose_separators(t, 1);
        }
    }
    let (year, month, day, rest) = match (t.get(i), t.get(i + 1)) {
        // 2024-Jan-05
        (Some(Token::Num { value, digits: 4 }), _) => {
            let j = skip_loose_separators(t, i + 1);
            let month = match t.get(j) {
                Some(Token::Word(w)) => month_number(w)?,
                _ => return None,
            };
            let k = skip_loose_separators(t, j + 1);
            let day = num(t.get(k), 1..=2)?;
            (*value as i32, month, day, k + 1)
        }
        // 05 Jan 2024, 5-Jan-24
        (Some(Token::Num { value, digits: 1..=2 }), _) => {
            let j = skip_loose_separators(t, i + 1);
            let month = match t.get(j) {
                Some(Token::Word(w)) => month_number(w)?,
                _ => return None,
            };
            let k = skip_loose_separators(t, j + 1);
            let (year, digits) = match t.get(k) {
                Some(Token::Num { value, digits }) => (*value, *digits),
                _ => return None,
            };
            (full_year(year, digits)?, month, *value, k + 1)
        }
        // Jan 5, 2024 / January 5th 2024
        (Some(Token::Word(w)), _) => {
            let month = month_number(w)?;
            let j = skip_loose_separators(t, i + 1);
            let day = num(t.get(j), 1..=2)?;
            let mut k = j + 1;
            if let Some(Token::Word(suffix)) = t.get(k) {
                if ["st", "nd", "rd", "th"].iter().any(|s| suffix.eq_ignore_ascii_case(s)) {
                    k += 1;
                }
            }
            let k = skip_loose_separators(t, k);
            let year = num(t.get(k), 4..=4)?;
            (year as i32, month, day, k + 1)
        }
        _ => return None,
    };
    with_tail(days_from_civil(year, month, day as u32), t.get(rest..)?)
}

fn match_compact(t: &[Token<'_>]) -> Option<i32> {
    let value = num(t.first(), 8..=8)?;
    let (year, month, day) = (value / 10_000, (value / 100) % 100, value % 100);
    with_tail(days_from_civil(year as i32, month as u32, day as u32), t.get(1..)?)
}

fn match_unix_seconds(t: &[Token<'_>]) -> Option<i32> {
    match t {
        [Token::Num { value, digits: 10 }] => i32::try_from(value / 86_400).ok(),
        _ => None,
    }
}

fn match_excel_serial(t: &[Token<'_>]) -> Option<i32> {
    let serial = match t {
        [Token::Num { value, .. }] => *value,
        [Token::Num { value, .. }, Token::Sep(b'.'), Token::Num { .. }] => *value,
        _ => return None,
    };
    if !EXCEL_SERIAL_RANGE.contains(&serial) {
        return None;
    }
    i32::try_from(serial as i64 - EXCEL_UNIX_EPOCH).ok()
}

fn match_format(t: &[Token<'_>], format: DateFormat) -> Option<i32> {
    match format {
        DateFormat::Iso => match_iso(t),
        DateFormat::MonthName => match_month_name(t),
        DateFormat::DayMonthYear => match_numeric_triple(t, true),
        DateFormat::MonthDayYear => match_numeric_triple(t, false),
        DateFormat::Compact => match_compact(t),
        DateFormat::UnixSeconds => match_unix_seconds(t),
        DateFormat::ExcelSerial => match_excel_serial(t),
    }
}

/// The common `YYYY-MM-DD` (or `YYYY/MM/DD`) without tokenizing: `None` when `value` has
/// another shape, else the day if the date is valid. No other format reads this shape
/// (they all want one or two digits first, or a month name, or digits alone), so the
/// answer is the same whatever the column's format.
fn plain_iso(value: &str) -> Option<Option<i32>> {
    let &[y0, y1, y2, y3, s1, m0, m1, s2, d0, d1] = value.as_bytes() else {
        return None;
    };
    let digits = [y0, y1, y2, y3, m0, m1, d0, d1];
    if s1 != s2 || !matches!(s1, b'-' | b'/') || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = |bytes: &[u8]| bytes.iter().fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'));
    Some(days_from_civil(n(&[y0, y1, y2, y3]) as i32, n(&[m0, m1]), n(&[d0, d1])))
}

/// Reads `value` (already trimmed) with `format`, as days since 1970-01-01. ISO dates are
/// accepted in every column: they are unambiguous, and workbook date cells arrive as ISO.
pub(crate) fn parse_date(value: &str, format: DateFormat) -> Option<i32> {
    if let Some(day) = plain_iso(value) {
        return day;
    }
    let tokens = tokenize(value)?;
    let t = tokens.as_slice();
    match_format(t, format).or_else(|| if format == DateFormat::Iso { None } else { match_iso(t) })
}

/// True when `value` reads as a date written as text (used to tell headers from data).
pub(crate) fn looks_like_date(value: &str) -> bool {
    let Some(tokens) = tokenize(value) else {
        return false;
    };
    let t = tokens.as_slice();
    [DateFormat::Iso, DateFormat::MonthName, DateFormat::DayMonthYear, DateFormat::MonthDayYear]
        .into_iter()
        .any(|f| match_format(t, f).is_some())
}

/// How many of a column's values each format reads.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct DateEvidence {
    counts: [u64; DateFormat::ALL.len()],
    values: u64,
    /// Values written like 31.01.2024: a European habit.
    dotted: u64,
}

/// The format chosen for a column, and whether day and month order was a guess.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DateDecision {
    pub(crate) format: DateFormat,
    pub(crate) ambiguous: bool,
}

impl DateEvidence {
    pub(crate) fn observe(&mut self, value: &str) {
        self.values += 1;
        if let Some(day) = plain_iso(value) {
            // Only ISO reads this shape, and it is not dotted.
            if day.is_some() {
                if let Some(count) = self.counts.get_mut(DateFormat::Iso.index()) {
                    *count += 1;
                }
            }
            return;
        }
        let Some(tokens) = tokenize(value) else {
            return;
        };
        let t = tokens.as_slice();
        for format in DateFormat::ALL {
            if match_format(t, format).is_some() {
                if let Some(count) = self.counts.get_mut(format.index()) {
                    *count += 1;
                }
            }
        }
        if is_date_sep(t.get(1)) == Some(b'.') && num(t.first(), 1..=2).is_some() {
            self.dotted += 1;
        }
    }

    fn count(&self, format: DateFormat) -> u64 {
        self.counts.get(format.index()).copied().unwrap_or(0)
    }

    /// The format that reads the most values (ties by priority). Excel serials only win
    /// when every value is one. When day/month and month/day read equally well, European
    /// files get day/month; the choice is flagged as ambiguous.
    pub(crate) fn decide(&self, european: bool) -> DateDecision {
        let usable = |format: DateFormat| {
            let count = self.count(format);
            if format == DateFormat::ExcelSerial && count != self.values {
                0
            } else {
                count
            }
        };
        let best = DateFormat::ALL.into_iter().map(usable).max().unwrap_or(0);
        if best == 0 {
            return DateDecision { format: DateFormat::Iso, ambiguous: false };
        }
        let dmy = usable(DateFormat::DayMonthYear);
        let mdy = usable(DateFormat::MonthDayYear);
        let format = DateFormat::ALL.into_iter().find(|&f| usable(f) == best).unwrap_or(DateFormat::Iso);
        if format == DateFormat::DayMonthYear && dmy == mdy {
            let day_first = european || self.dotted * 2 > dmy;
            return DateDecision {
                format: if day_first { DateFormat::DayMonthYear } else { DateFormat::MonthDayYear },
                ambiguous: true,
            };
        }
        DateDecision { format, ambiguous: false }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DateFormat::*;

    fn day(y: i32, m: u32, d: u32) -> Option<i32> {
        days_from_civil(y, m, d)
    }

    #[test]
    fn civil_days() {
        assert_eq!(day(1970, 1, 1), Some(0));
        assert_eq!(day(2024, 1, 1), Some(19_723));
        assert_eq!(day(2000, 2, 29), Some(11_016));
        assert_eq!(day(1969, 12, 31), Some(-1));
        assert_eq!(day(2024, 2, 30), None);
        assert_eq!(day(2023, 2, 29), None);
        assert_eq!(day(2024, 13, 1), None);
    }

    #[test]
    fn the_month_table_agrees_with_the_calendar_arithmetic() {
        // Every day, and the invalid ones around them, of the table's years and a few on
        // either side (which take the arithmetic).
        for year in TABLE_FIRST_YEAR - 3..TABLE_FIRST_YEAR + TABLE_YEARS as i32 + 3 {
            for month in 0..=13 {
                for d in 0..=32 {
                    let valid = (1..=12).contains(&month) && d >= 1 && d <= days_in_month(year, month);
                    let expected = valid.then(|| civil_day_number(year, month, d));
                    assert_eq!(day(year, month, d), expected, "{year}-{month}-{d}");
                }
            }
        }
        assert_eq!(day(2199, 12, 31).map(|d| d + 1), day(2200, 1, 1));
        assert_eq!(day(1900, 2, 29), None, "1900 is not a leap year");
    }

    #[test]
    fn iso_dates_and_timestamps() {
        let d = day(2024, 1, 5);
        assert_eq!(parse_date("2024-01-05", Iso), d);
        assert_eq!(parse_date("2024/1/5", Iso), d);
        assert_eq!(parse_date("2024-01-05T10:00:00Z", Iso), d);
        assert_eq!(parse_date("2024-01-05T23:30:00-05:00", Iso), d);
        assert_eq!(parse_date("2024-01-05T23:30:00-0500", Iso), d);
        assert_eq!(parse_date("2024-01-05 00:30:00+02:00", Iso), d);
        assert_eq!(parse_date("2024-01-05 10:00:00.123456 UTC", Iso), d);
        assert_eq!(parse_date("2024-01-05 10:00", Iso), d);
        assert_eq!(parse_date("2024-01-05 10:00 PM", Iso), d);
        assert_eq!(parse_date("2024-02-31", Iso), None);
        assert_eq!(parse_date("2024-01-05 25:00", Iso), None);
        assert_eq!(parse_date("2024-01-05 13:00 PM", Iso), None);
        assert_eq!(parse_date("2024-01/05", Iso), None);
        assert_eq!(parse_date("2024-01-05x", Iso), None);
    }

    #[test]
    fn day_month_and_month_day() {
        assert_eq!(parse_date("31/01/2024", DayMonthYear), day(2024, 1, 31));
        assert_eq!(parse_date("31.01.2024", DayMonthYear), day(2024, 1, 31));
        assert_eq!(parse_date("31-01-24", DayMonthYear), day(2024, 1, 31));
        assert_eq!(parse_date("01/31/2024", MonthDayYear), day(2024, 1, 31));
        assert_eq!(parse_date("1/31/69", MonthDayYear), day(1969, 1, 31));
        assert_eq!(parse_date("1/31/68", MonthDayYear), day(2068, 1, 31));
        assert_eq!(parse_date("01/31/2024 10:30 PM", MonthDayYear), day(2024, 1, 31));
        assert_eq!(parse_date("01/31/2024", DayMonthYear), None);
        // ISO is read in any column.
        assert_eq!(parse_date("2024-01-31", DayMonthYear), day(2024, 1, 31));
    }

    #[test]
    fn month_names() {
        let d = day(2024, 1, 5);
        for text in [
            "05 Jan 2024",
            "5-Jan-2024",
            "5-Jan-24",
            "Jan 5, 2024",
            "January 5 2024",
            "january 5th, 2024",
            "Fri, 05 Jan 2024 10:00:00 +0000",
            "2024-Jan-05",
            "5 Sept 2024",
        ] {
            let expected = if text.contains("Sept") { day(2024, 9, 5) } else { d };
            assert_eq!(parse_date(text, MonthName), expected, "{text}");
        }
        assert_eq!(parse_date("Foo 5, 2024", MonthName), None);
        assert_eq!(parse_date("Ja 5, 2024", MonthName), None);
    }

    #[test]
    fn numeric_dates() {
        assert_eq!(parse_date("20240105", Compact), day(2024, 1, 5));
        assert_eq!(parse_date("20241305", Compact), None);
        assert_eq!(parse_date("45292", ExcelSerial), day(2024, 1, 1));
        assert_eq!(parse_date("45292.75", ExcelSerial), day(2024, 1, 1));
        assert_eq!(parse_date("120", ExcelSerial), None);
        assert_eq!(parse_date("1704067200", UnixSeconds), day(2024, 1, 1));
        assert_eq!(parse_date("1704153599", UnixSeconds), day(2024, 1, 1));
        assert_eq!(parse_date("170406720", UnixSeconds), None);
    }

    fn decide(values: &[&str], european: bool) -> DateDecision {
        let mut evidence = DateEvidence::default();
        values.iter().for_each(|v| evidence.observe(v));
        evidence.decide(european)
    }

    #[test]
    fn the_format_that_reads_most_values_wins() {
        let unambiguous = DateDecision { format: DayMonthYear, ambiguous: false };
        assert_eq!(decide(&["01/02/2024", "13/02/2024"], false), unambiguous);
        assert_eq!(decide(&["01/02/2024", "02/13/2024"], true).format, MonthDayYear);
        assert_eq!(decide(&["2024-01-05", "junk"], false).format, Iso);
        assert_eq!(decide(&["Jan 5, 2024"], false).format, MonthName);
        assert_eq!(decide(&["20240105"], false).format, Compact);
        assert_eq!(decide(&["1704067200"], false).format, UnixSeconds);
        assert_eq!(decide(&[], false).format, Iso);
    }

    #[test]
    fn ambiguous_day_month_follows_the_files_habits() {
        let both = ["01/02/2024", "03/04/2024"];
        assert_eq!(decide(&both, false), DateDecision { format: MonthDayYear, ambiguous: true });
        assert_eq!(decide(&both, true), DateDecision { format: DayMonthYear, ambiguous: true });
        assert_eq!(decide(&["01.02.2024"], false).format, DayMonthYear);
    }

    #[test]
    fn excel_serials_only_when_every_value_is_one() {
        assert_eq!(decide(&["45292", "45293"], false).format, ExcelSerial);
        assert_eq!(decide(&["45292", "2024-01-01"], false).format, Iso);
    }

    #[test]
    fn looks_like_date_is_for_written_dates() {
        assert!(looks_like_date("2024-01-05"));
        assert!(looks_like_date("Jan 5, 2024"));
        assert!(!looks_like_date("Start Date"));
        assert!(!looks_like_date("45292"));
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn iso_round_trips(days in -700_000i32..2_900_000) {
            // Back from days to a civil date, then through the parser.
            let z = days + 719_468;
            let era = z.div_euclid(146_097);
            let doe = z.rem_euclid(146_097);
            let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
            let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
            let mp = (5 * doy + 2) / 153;
            let d = doy - (153 * mp + 2) / 5 + 1;
            let m = if mp < 10 { mp + 3 } else { mp - 9 };
            let y = yoe + era * 400 + i32::from(m <= 2);
            prop_assume!((1..=9999).contains(&y));
            let text = format!("{y:04}-{m:02}-{d:02}");
            prop_assert_eq!(parse_date(&text, DateFormat::Iso), Some(days));
        }

        #[test]
        fn the_plain_iso_shortcut_agrees_with_the_tokenizer(text in "[0-9]{4}[-/.][0-9]{2}[-/.][0-9]{2}") {
            if let Some(fast) = plain_iso(&text) {
                let tokens = tokenize(&text).unwrap();
                for format in DateFormat::ALL {
                    let slow = match_format(tokens.as_slice(), format);
                    prop_assert_eq!(slow.is_some(), format == DateFormat::Iso && fast.is_some(), "{}", format.describe());
                }
                prop_assert_eq!(fast, match_iso(tokens.as_slice()));
            }
        }

        #[test]
        fn date_parsing_never_panics(text in "[0-9A-Za-z /:.,+\\-TZ]{0,40}") {
            let mut evidence = DateEvidence::default();
            evidence.observe(&text);
            let _ = evidence.decide(false);
            for format in DateFormat::ALL {
                let _ = parse_date(&text, format);
            }
        }
    }
}
