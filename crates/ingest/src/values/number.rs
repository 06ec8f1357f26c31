//! Numbers as people write them: decimal comma or dot, thousands separators, currency
//! marks, and negatives as `-x`, `x-` or `(x)`. Money is parsed exactly from the digits,
//! never through `f64`.

use revlens_model::MONEY_DECIMALS;

/// Which character separates the integer part from the fraction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DecimalMark {
    Dot,
    Comma,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NumberError {
    NotANumber,
    Overflow,
}

/// Longest plain number we accept; real amounts are far shorter, and a bound keeps the
/// parse on the stack.
const MAX_PLAIN_LEN: usize = 64;

/// A number reduced to ASCII `-123.45e6`: the one shape the exact money parser and the
/// float parser both read.
pub(crate) struct PlainNumber {
    buf: [u8; MAX_PLAIN_LEN],
    len: usize,
    negative: bool,
    /// Digits before the decimal point (`buf` holds them first, then the fraction).
    int_digits: usize,
    frac_digits: usize,
    exponent: i32,
}

const CURRENCY_SYMBOLS: &[&str] =
    &["US$", "CA$", "AU$", "NZ$", "HK$", "A$", "C$", "R$", "$", "€", "£", "¥", "₹", "₩", "₽", "₺", "zł", "kr"];

const CURRENCY_CODES: &[&str] = &[
    "USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF", "INR", "CNY",
    "BRL", "MXN", "ZAR", "SGD", "HKD", "KRW", "RUB", "TRY", "ILS", "AED", "SAR", "RMB",
];

fn is_group_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}')
}

fn is_minus(c: char) -> bool {
    matches!(c, '-' | '\u{2212}')
}

/// Strips one currency symbol or code from the start of `s`.
fn strip_currency_prefix(s: &str) -> Option<&str> {
    for symbol in CURRENCY_SYMBOLS {
        if let Some(rest) = s.strip_prefix(symbol) {
            return Some(rest);
        }
    }
    let code = s.get(..3)?;
    let rest = &s[3..];
    let boundary = rest.chars().next().is_none_or(|c| !c.is_ascii_alphabetic());
    (boundary && CURRENCY_CODES.iter().any(|c| c.eq_ignore_ascii_case(code))).then_some(rest)
}

/// Strips one currency symbol or code from the end of `s`.
fn strip_currency_suffix(s: &str) -> Option<&str> {
    for symbol in CURRENCY_SYMBOLS {
        if let Some(rest) = s.strip_suffix(symbol) {
            return Some(rest);
        }
    }
    let split = s.len().checked_sub(3)?;
    let (rest, code) = (s.get(..split)?, s.get(split..)?);
    let boundary = rest.chars().next_back().is_none_or(|c| !c.is_ascii_alphabetic());
    (boundary && CURRENCY_CODES.iter().any(|c| c.eq_ignore_ascii_case(code))).then_some(rest)
}

impl PlainNumber {
    /// Reads `text` with the given decimal mark. `allow_percent` accepts a trailing `%`.
    pub(crate) fn parse(text: &str, mark: DecimalMark, allow_percent: bool) -> Result<Self, NumberError> {
        let mut s = text.trim();
        let mut negative = false;
        let mut open_paren = false;
        let mut percent = false;
        // Prefix marks: sign, opening parenthesis, currency.
        loop {
            s = s.trim_start();
            let mut chars = s.chars();
            match chars.next() {
                Some(c) if is_minus(c) && !negative => negative = true,
                Some('+') => {}
                Some('(') if !open_paren && !negative => open_paren = true,
                // The common case: the digits start here, no currency to look for.
                Some(c) if c.is_ascii_digit() || c == '.' || c == ',' => break,
                _ => match strip_currency_prefix(s) {
                    Some(rest) => {
                        s = rest;
                        continue;
                    }
                    None => break,
                },
            }
            s = chars.as_str();
        }
        // Suffix marks: trailing minus, closing parenthesis, percent, currency.
        let mut close_paren = false;
        loop {
            s = s.trim_end();
            let mut chars = s.chars();
            match chars.next_back() {
                Some(c) if is_minus(c) && !negative => negative = true,
                Some(')') if open_paren && !close_paren => close_paren = true,
                Some('%') if allow_percent && !percent => percent = true,
                Some(c) if c.is_ascii_digit() => break,
                _ => match strip_currency_suffix(s) {
                    Some(rest) => {
                        s = rest;
                        continue;
                    }
                    None => break,
                },
            }
            s = chars.as_str();
        }
        if open_paren != close_paren {
            return Err(NumberError::NotANumber);
        }
        if open_paren {
            if negative {
                return Err(NumberError::NotANumber);
            }
            negative = true;
        }
        let mut number =
            PlainNumber { buf: [0; MAX_PLAIN_LEN], len: 0, negative, int_digits: 0, frac_digits: 0, exponent: 0 };
        number.read_body(s, mark)?;
        Ok(number)
    }

    fn push_digit(&mut self, b: u8) -> Result<(), NumberError> {
        let slot = self.buf.get_mut(self.len).ok_or(NumberError::Overflow)?;
        *slot = b;
        self.len += 1;
        Ok(())
    }

    /// Digits, at most one decimal mark, thousands groups of three, an optional exponent.
    fn read_body(&mut self, body: &str, mark: DecimalMark) -> Result<(), NumberError> {
        let (decimal, thousands) = match mark {
            DecimalMark::Dot => ('.', ','),
            DecimalMark::Comma => (',', '.'),
        };
        let mut in_fraction = false;
        let mut group_len = 0usize;
        let mut groups = 0usize;
        let mut chars = body.chars();
        while let Some(c) = chars.next() {
            if c.is_ascii_digit() {
                self.push_digit(c as u8)?;
                group_len += 1;
                if in_fraction {
                    self.frac_digits += 1;
                } else {
                    self.int_digits += 1;
                }
            } else if c == decimal && !in_fraction {
                if groups > 0 && group_len != 3 {
                    return Err(NumberError::NotANumber);
                }
                in_fraction = true;
                group_len = 0;
            } else if (c == thousands || is_group_space(c) || c == '\'' || c == '’') && !in_fraction {
                let first_group_ok = groups == 0 && (1..=3).contains(&group_len);
                if !(first_group_ok || (groups > 0 && group_len == 3)) {
                    return Err(NumberError::NotANumber);
                }
                groups += 1;
                group_len = 0;
            } else if (c == 'e' || c == 'E') && groups == 0 && self.len > 0 {
                self.exponent = read_exponent(chars.as_str())?;
                break;
            } else {
                return Err(NumberError::NotANumber);
            }
        }
        if self.len == 0 || (groups > 0 && !in_fraction && group_len != 3) {
            return Err(NumberError::NotANumber);
        }
        Ok(())
    }

    fn digits(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// The value in [`revlens_model::Money`] units: exact, rounded half away from zero to
    /// four decimals.
    pub(crate) fn to_money_units(&self) -> Result<i64, NumberError> {
        let scale = MONEY_DECIMALS as i64;
        // Digits at index < `keep` are at or above the fourth decimal.
        let keep = self.int_digits as i64 + i64::from(self.exponent) + scale;
        let mut units: i128 = 0;
        let mut round_up = false;
        for (index, &digit) in self.digits().iter().enumerate() {
            let index = index as i64;
            let digit = i128::from(digit - b'0');
            if index < keep {
                units = units * 10 + digit;
                if units > i128::from(i64::MAX) {
                    return Err(NumberError::Overflow);
                }
            } else {
                round_up = index == keep && digit >= 5;
                break;
            }
        }
        let missing = keep - self.len as i64;
        if missing > 0 {
            for _ in 0..missing {
                units *= 10;
                if units > i128::from(i64::MAX) {
                    return Err(NumberError::Overflow);
                }
            }
        } else if keep < 0 {
            units = 0;
        }
        if round_up {
            units += 1;
        }
        let units = i64::try_from(units).map_err(|_| NumberError::Overflow)?;
        Ok(if self.negative { -units } else { units })
    }

    /// The value as a whole number; `3.0` is fine, `3.5` is not.
    pub(crate) fn to_integer(&self) -> Result<i64, NumberError> {
        let whole = self.int_digits as i64 + i64::from(self.exponent);
        let mut value: i64 = 0;
        for (index, &digit) in self.digits().iter().enumerate() {
            let digit = i64::from(digit - b'0');
            if (index as i64) < whole {
                value = value.checked_mul(10).and_then(|v| v.checked_add(digit)).ok_or(NumberError::Overflow)?;
            } else if digit != 0 {
                return Err(NumberError::NotANumber);
            }
        }
        for _ in self.len as i64..whole {
            value = value.checked_mul(10).ok_or(NumberError::Overflow)?;
        }
        Ok(if self.negative { -value } else { value })
    }

    pub(crate) fn to_f64(&self) -> Result<f64, NumberError> {
        use std::io::Write;
        // Sign, digits, point, exponent: the longest plain number plus a few bytes.
        let mut text = [0u8; MAX_PLAIN_LEN + 16];
        let capacity = text.len();
        let mut out: &mut [u8] = &mut text;
        let digits = self.digits();
        let (int, frac) = digits.split_at(self.int_digits.min(digits.len()));
        let sign: &[u8] = if self.negative { b"-" } else { b"" };
        let int: &[u8] = if int.is_empty() { b"0" } else { int };
        let written = out
            .write_all(sign)
            .and_then(|()| out.write_all(int))
            .and_then(
                |()| {
                    if frac.is_empty() {
                        Ok(())
                    } else {
                        out.write_all(b".").and_then(|()| out.write_all(frac))
                    }
                },
            )
            .and_then(|()| write!(out, "e{}", self.exponent));
        written.map_err(|_| NumberError::Overflow)?;
        let len = capacity - out.len();
        let text = text.get(..len).unwrap_or(&[]);
        let text = std::str::from_utf8(text).map_err(|_| NumberError::NotANumber)?;
        let value: f64 = text.parse().map_err(|_| NumberError::NotANumber)?;
        if value.is_finite() {
            Ok(value)
        } else {
            Err(NumberError::Overflow)
        }
    }
}

fn read_exponent(s: &str) -> Result<i32, NumberError> {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NumberError::NotANumber);
    }
    let value: i32 = digits.parse().map_err(|_| NumberError::NotANumber)?;
    Ok(if negative { -value } else { value })
}

/// Money in [`revlens_model::Money`] units, as [`PlainNumber::to_money_units`] reads it.
pub(crate) fn parse_money(text: &str, mark: DecimalMark) -> Result<i64, NumberError> {
    match plain_money_units(text.as_bytes(), mark) {
        Some(units) => Ok(units),
        None => PlainNumber::parse(text, mark, false)?.to_money_units(),
    }
}

/// The common shape read directly: an optional `-`, 1 to 14 digits, then optionally the
/// decimal mark and at most four digits (so nothing rounds or overflows). `None` for
/// every other shape.
fn plain_money_units(bytes: &[u8], mark: DecimalMark) -> Option<i64> {
    let (negative, body) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    let point = match mark {
        DecimalMark::Dot => b'.',
        DecimalMark::Comma => b',',
    };
    let (int, frac) = match body.iter().position(|&b| b == point) {
        Some(at) => (body.get(..at)?, body.get(at + 1..)?),
        None => (body, &[][..]),
    };
    if int.is_empty() || int.len() > 14 || frac.len() > MONEY_DECIMALS as usize {
        return None;
    }
    let mut units: i64 = 0;
    for &b in int.iter().chain(frac) {
        if !b.is_ascii_digit() {
            return None;
        }
        units = units * 10 + i64::from(b - b'0');
    }
    units *= 10_i64.pow(MONEY_DECIMALS - frac.len() as u32);
    Some(if negative { -units } else { units })
}

/// What one value says about the column's decimal mark; `None` when it could be either
/// (`1,234`) or says nothing (`42`).
pub(crate) fn decimal_evidence(value: &str) -> Option<DecimalMark> {
    let bytes = value.as_bytes();
    plain_decimal_evidence(bytes).unwrap_or_else(|| decimal_evidence_in_full(bytes))
}

fn decimal_evidence_in_full(bytes: &[u8]) -> Option<DecimalMark> {
    if bytes.len() > MAX_PLAIN_LEN || !bytes.iter().any(u8::is_ascii_digit) {
        return None;
    }
    let dots = bytes.iter().filter(|&&b| b == b'.').count();
    let commas = bytes.iter().filter(|&&b| b == b',').count();
    let last_dot = bytes.iter().rposition(|&b| b == b'.');
    let last_comma = bytes.iter().rposition(|&b| b == b',');
    let digits_after = |pos: usize| bytes.iter().skip(pos + 1).take_while(|b| b.is_ascii_digit()).count();
    // "0,125": a thousands group never starts the number with a lone zero.
    let leading_zero_group = |pos: usize| {
        let before = bytes.get(..pos).unwrap_or(&[]);
        let group = before.iter().rev().take_while(|b| b.is_ascii_digit()).count();
        group == 1 && before.last() == Some(&b'0')
    };
    match (last_dot, last_comma) {
        (Some(d), Some(c)) => Some(if d > c { DecimalMark::Dot } else { DecimalMark::Comma }),
        (None, Some(c)) if commas == 1 => (digits_after(c) != 3 || leading_zero_group(c)).then_some(DecimalMark::Comma),
        (None, Some(_)) => Some(DecimalMark::Dot),
        (Some(d), None) if dots == 1 => (digits_after(d) != 3 || leading_zero_group(d)).then_some(DecimalMark::Dot),
        (Some(_), None) => Some(DecimalMark::Comma),
        (None, None) => None,
    }
}

/// [`decimal_evidence`] in one pass for digits with at most one `.` or `,` between them
/// (`513.58`, `42`); `None` for every other shape.
fn plain_decimal_evidence(bytes: &[u8]) -> Option<Option<DecimalMark>> {
    let Some(at) = bytes.iter().position(|b| !b.is_ascii_digit()) else {
        return Some(None);
    };
    let mark = match bytes.get(at) {
        Some(b'.') => DecimalMark::Dot,
        Some(b',') => DecimalMark::Comma,
        _ => return None,
    };
    let after = bytes.get(at + 1..)?;
    if at == 0 || after.is_empty() || bytes.len() > MAX_PLAIN_LEN || !after.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // "1,234" could be a thousands group; "0,125" cannot.
    let lone_zero = at == 1 && bytes.first() == Some(&b'0');
    Some((after.len() != 3 || lone_zero).then_some(mark))
}

/// Counts of evidence for each decimal mark over a column's values.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct DecimalEvidence {
    pub(crate) dot: u64,
    pub(crate) comma: u64,
}

impl DecimalEvidence {
    pub(crate) fn observe(&mut self, value: &str) {
        match decimal_evidence(value) {
            Some(DecimalMark::Dot) => self.dot += 1,
            Some(DecimalMark::Comma) => self.comma += 1,
            None => {}
        }
    }

    /// The mark the column's own values point to, if they point anywhere.
    pub(crate) fn decided(&self) -> Option<DecimalMark> {
        match self.dot.cmp(&self.comma) {
            std::cmp::Ordering::Greater => Some(DecimalMark::Dot),
            std::cmp::Ordering::Less => Some(DecimalMark::Comma),
            std::cmp::Ordering::Equal => None,
        }
    }
}

/// True when `value` reads as a number in either decimal style (used to tell a header
/// cell from a data cell).
pub(crate) fn looks_numeric(value: &str) -> bool {
    PlainNumber::parse(value, DecimalMark::Dot, true).is_ok()
        || PlainNumber::parse(value, DecimalMark::Comma, true).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use DecimalMark::{Comma, Dot};

    fn money(s: &str, mark: DecimalMark) -> Result<i64, NumberError> {
        PlainNumber::parse(s, mark, false)?.to_money_units()
    }

    #[test]
    fn plain_and_signed_amounts() {
        assert_eq!(money("12.5", Dot), Ok(125_000));
        assert_eq!(money("-12.5", Dot), Ok(-125_000));
        assert_eq!(money("12.5-", Dot), Ok(-125_000));
        assert_eq!(money("(12.50)", Dot), Ok(-125_000));
        assert_eq!(money("+7", Dot), Ok(70_000));
        assert_eq!(money(".5", Dot), Ok(5_000));
        assert_eq!(money("0", Dot), Ok(0));
        assert_eq!(money("\u{2212}3", Dot), Ok(-30_000));
    }

    #[test]
    fn thousands_separators_in_both_styles() {
        assert_eq!(money("1,234.56", Dot), Ok(12_345_600));
        assert_eq!(money("1,234,567", Dot), Ok(12_345_670_000));
        assert_eq!(money("1.234,56", Comma), Ok(12_345_600));
        assert_eq!(money("1 234,56", Comma), Ok(12_345_600));
        assert_eq!(money("1\u{a0}234,56", Comma), Ok(12_345_600));
        assert_eq!(money("1\u{202f}234,56", Comma), Ok(12_345_600));
        assert_eq!(money("1'234.56", Dot), Ok(12_345_600));
        assert_eq!(money("12,5", Comma), Ok(125_000));
        // Groups must have three digits.
        assert_eq!(money("1,23.4", Dot), Err(NumberError::NotANumber));
        assert_eq!(money("12,34", Dot), Err(NumberError::NotANumber));
        assert_eq!(money("1,,234", Dot), Err(NumberError::NotANumber));
    }

    #[test]
    fn currency_symbols_and_codes() {
        assert_eq!(money("$1,200.00", Dot), Ok(12_000_000));
        assert_eq!(money("-$5", Dot), Ok(-50_000));
        assert_eq!(money("$-5", Dot), Ok(-50_000));
        assert_eq!(money("12,50 €", Comma), Ok(125_000));
        assert_eq!(money("€12,50", Comma), Ok(125_000));
        assert_eq!(money("£3", Dot), Ok(30_000));
        assert_eq!(money("¥300", Dot), Ok(3_000_000));
        assert_eq!(money("USD 99.99", Dot), Ok(999_900));
        assert_eq!(money("99.99 usd", Dot), Ok(999_900));
        assert_eq!(money("EUR1.234,00", Comma), Ok(12_340_000));
        assert_eq!(money("ABC 5", Dot), Err(NumberError::NotANumber));
    }

    #[test]
    fn rounds_half_away_from_zero_to_four_decimals() {
        assert_eq!(money("19.990000000000002", Dot), Ok(199_900));
        assert_eq!(money("0.00005", Dot), Ok(1));
        assert_eq!(money("-0.00005", Dot), Ok(-1));
        assert_eq!(money("0.00004999", Dot), Ok(0));
        assert_eq!(money("1.23456", Dot), Ok(12_346));
        assert_eq!(money("1.5e3", Dot), Ok(15_000_000));
        assert_eq!(money("1.2E-05", Dot), Ok(0));
    }

    #[test]
    fn overflow_and_junk_are_errors() {
        assert_eq!(money("999999999999999999999", Dot), Err(NumberError::Overflow));
        assert_eq!(money("922337203685477.5807", Dot), Ok(i64::MAX));
        assert_eq!(money("922337203685477.5808", Dot), Err(NumberError::Overflow));
        for junk in ["", "abc", "1.2.3", "12a", "--5", "(5", "5)", "(-5)", "$", "e5", "1e"] {
            assert!(money(junk, Dot).is_err(), "{junk:?}");
        }
    }

    #[test]
    fn integers_accept_zero_fractions_only() {
        let int = |s: &str| PlainNumber::parse(s, Dot, false).and_then(|n| n.to_integer());
        assert_eq!(int("3"), Ok(3));
        assert_eq!(int("3.0"), Ok(3));
        assert_eq!(int("-12"), Ok(-12));
        assert_eq!(int("1,000"), Ok(1000));
        assert_eq!(int("3.5"), Err(NumberError::NotANumber));
        assert_eq!(int("1e3"), Ok(1000));
    }

    #[test]
    fn floats_and_percent() {
        let float = |s: &str, mark| PlainNumber::parse(s, mark, true).and_then(|n| n.to_f64()).unwrap();
        assert_eq!(float("2.5", Dot), 2.5);
        assert_eq!(float("2,5", Comma), 2.5);
        assert_eq!(float("15%", Dot), 15.0);
        assert_eq!(float("-1.5e2", Dot), -150.0);
        assert!(PlainNumber::parse("15%", Dot, false).is_err());
    }

    #[test]
    fn decimal_evidence_rules() {
        assert_eq!(decimal_evidence("1.234,56"), Some(Comma));
        assert_eq!(decimal_evidence("1,234.56"), Some(Dot));
        assert_eq!(decimal_evidence("12,5"), Some(Comma));
        assert_eq!(decimal_evidence("12.5"), Some(Dot));
        assert_eq!(decimal_evidence("0,125"), Some(Comma));
        assert_eq!(decimal_evidence("1,234"), None);
        assert_eq!(decimal_evidence("1.234"), None);
        assert_eq!(decimal_evidence("1,234,567"), Some(Dot));
        assert_eq!(decimal_evidence("1.234.567"), Some(Comma));
        assert_eq!(decimal_evidence("42"), None);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Writes `units` as a decimal with thousands groups, in either style.
    fn format_units(units: i64, mark: DecimalMark, group: &str) -> String {
        let scale = revlens_model::MONEY_SCALE.unsigned_abs();
        let (whole, frac) = (units.unsigned_abs() / scale, units.unsigned_abs() % scale);
        let digits = whole.to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push_str(group);
            }
            grouped.push(c);
        }
        let point = match mark {
            DecimalMark::Dot => '.',
            DecimalMark::Comma => ',',
        };
        let sign = if units < 0 { "-" } else { "" };
        format!("{sign}{grouped}{point}{frac:04}")
    }

    proptest! {
        #[test]
        fn money_round_trips_in_both_styles(
            units in -10_i64.pow(17)..10_i64.pow(17),
            comma in any::<bool>(),
            group_choice in 0usize..4,
        ) {
            let (mark, groups): (DecimalMark, &[&str]) = if comma {
                (DecimalMark::Comma, &[".", " ", "\u{a0}", ""])
            } else {
                (DecimalMark::Dot, &[",", "'", "\u{202f}", ""])
            };
            let text = format_units(units, mark, groups[group_choice]);
            let parsed = PlainNumber::parse(&text, mark, false).and_then(|n| n.to_money_units());
            prop_assert_eq!(parsed, Ok(units), "{}", text);
        }

        #[test]
        fn the_plain_shapes_read_as_the_full_parser_reads_them(text in "-?(0|[0-9]{0,16})([.,][0-9]{0,5}){0,2}") {
            for mark in [DecimalMark::Dot, DecimalMark::Comma] {
                let full = PlainNumber::parse(&text, mark, false).and_then(|n| n.to_money_units());
                if let Some(units) = plain_money_units(text.as_bytes(), mark) {
                    prop_assert_eq!(Ok(units), full, "{} {:?}", text, mark);
                }
                prop_assert_eq!(parse_money(&text, mark), full);
            }
            if let Some(evidence) = plain_decimal_evidence(text.as_bytes()) {
                prop_assert_eq!(evidence, decimal_evidence_in_full(text.as_bytes()), "{}", text);
            }
        }

        #[test]
        fn number_parsing_never_panics(text in "\\PC{0,40}") {
            for mark in [DecimalMark::Dot, DecimalMark::Comma] {
                if let Ok(n) = PlainNumber::parse(&text, mark, true) {
                    let _ = (n.to_money_units(), n.to_integer(), n.to_f64());
                }
            }
            let _ = decimal_evidence(&text);
        }
    }
}
