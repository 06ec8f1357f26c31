//! Small vocabularies: flags, billing intervals, transaction types, currencies.
//! Matching ignores case, surrounding space and the separators people put between words.

/// Compares `value` with `word` ignoring ASCII case and treating ' ', '-', '_' alike.
fn same_words(value: &str, word: &str) -> bool {
    let norm = |b: u8| match b {
        b'-' | b'_' => b' ',
        other => other.to_ascii_lowercase(),
    };
    value.len() == word.len() && value.bytes().zip(word.bytes()).all(|(a, b)| norm(a) == norm(b))
}

fn any_of(value: &str, words: &[&str]) -> bool {
    words.iter().any(|w| same_words(value, w))
}

pub(crate) fn parse_flag(value: &str) -> Option<bool> {
    if any_of(value, &["yes", "y", "true", "t", "1", "churned", "1.0"]) {
        Some(true)
    } else if any_of(value, &["no", "n", "false", "f", "0", "active", "0.0"]) {
        Some(false)
    } else {
        None
    }
}

/// A billing interval: the unit and how many units one period spans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Interval {
    pub(crate) unit: &'static str,
    pub(crate) count: u32,
}

fn unit_of(word: &str) -> Option<(&'static str, u32)> {
    const UNITS: &[(&[&str], &str, u32)] = &[
        (&["day", "days", "daily", "d"], "day", 1),
        (&["week", "weeks", "weekly", "wk", "w"], "week", 1),
        (&["biweekly", "bi weekly", "fortnightly", "fortnight"], "week", 2),
        (&["month", "months", "monthly", "mo", "mos", "mth", "m"], "month", 1),
        (&["quarter", "quarters", "quarterly", "qtr", "q"], "quarter", 1),
        (&["semiannual", "semi annual", "semiannually", "semi annually", "half yearly"], "month", 6),
        (&["year", "years", "yearly", "annual", "annually", "yr", "yrs", "y"], "year", 1),
    ];
    UNITS.iter().find(|(words, _, _)| any_of(word, words)).map(|&(_, unit, count)| (unit, count))
}

/// "monthly" → month ×1; "6 months", "every 3 months" → month ×6, ×3; "biweekly" → week ×2.
pub(crate) fn parse_interval(value: &str) -> Option<Interval> {
    let value = value.trim();
    let value = value.get(..6).filter(|p| p.eq_ignore_ascii_case("every ")).map_or(value, |_| value[6..].trim_start());
    let digits = value.bytes().take_while(u8::is_ascii_digit).count();
    let (count, rest) = if digits > 0 {
        let count: u32 = value.get(..digits)?.parse().ok()?;
        (count, value.get(digits..)?.trim_start())
    } else {
        (1, value)
    };
    let (unit, unit_count) = unit_of(rest)?;
    let count = count.checked_mul(unit_count).filter(|&c| c >= 1)?;
    Some(Interval { unit, count })
}

pub(crate) fn parse_transaction_type(value: &str) -> Option<&'static str> {
    if any_of(value, &["charge", "payment", "sale", "invoice", "debit", "charged", "paid"]) {
        Some("charge")
    } else if any_of(value, &["refund", "credit", "chargeback", "credit note", "refunded", "creditnote"]) {
        Some("refund")
    } else {
        None
    }
}

/// An ISO 4217 code: three letters, upper-cased; common symbols map to their code.
pub(crate) fn parse_currency(value: &str) -> Option<[u8; 3]> {
    let symbol = match value {
        "$" | "US$" => Some(*b"USD"),
        "€" => Some(*b"EUR"),
        "£" => Some(*b"GBP"),
        "¥" => Some(*b"JPY"),
        _ => None,
    };
    if symbol.is_some() {
        return symbol;
    }
    match value.as_bytes() {
        &[a, b, c] if [a, b, c].iter().all(u8::is_ascii_alphabetic) => {
            Some([a.to_ascii_uppercase(), b.to_ascii_uppercase(), c.to_ascii_uppercase()])
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags() {
        for yes in ["yes", "Y", "TRUE", "t", "1", "Churned"] {
            assert_eq!(parse_flag(yes), Some(true), "{yes}");
        }
        for no in ["no", "N", "false", "F", "0", "active"] {
            assert_eq!(parse_flag(no), Some(false), "{no}");
        }
        assert_eq!(parse_flag("maybe"), None);
    }

    #[test]
    fn intervals() {
        let iv = |unit, count| Some(Interval { unit, count });
        assert_eq!(parse_interval("Monthly"), iv("month", 1));
        assert_eq!(parse_interval("mo"), iv("month", 1));
        assert_eq!(parse_interval("annual"), iv("year", 1));
        assert_eq!(parse_interval("Annually"), iv("year", 1));
        assert_eq!(parse_interval("yr"), iv("year", 1));
        assert_eq!(parse_interval("quarterly"), iv("quarter", 1));
        assert_eq!(parse_interval("daily"), iv("day", 1));
        assert_eq!(parse_interval("week"), iv("week", 1));
        assert_eq!(parse_interval("6 months"), iv("month", 6));
        assert_eq!(parse_interval("every 3 months"), iv("month", 3));
        assert_eq!(parse_interval("semiannual"), iv("month", 6));
        assert_eq!(parse_interval("semi-annual"), iv("month", 6));
        assert_eq!(parse_interval("biweekly"), iv("week", 2));
        assert_eq!(parse_interval("0 months"), None);
        assert_eq!(parse_interval("sometimes"), None);
    }

    #[test]
    fn transaction_types() {
        assert_eq!(parse_transaction_type("Payment"), Some("charge"));
        assert_eq!(parse_transaction_type("SALE"), Some("charge"));
        assert_eq!(parse_transaction_type("credit note"), Some("refund"));
        assert_eq!(parse_transaction_type("credit_note"), Some("refund"));
        assert_eq!(parse_transaction_type("Chargeback"), Some("refund"));
        assert_eq!(parse_transaction_type("transfer"), None);
    }

    #[test]
    fn currencies() {
        assert_eq!(parse_currency("usd"), Some(*b"USD"));
        assert_eq!(parse_currency("$"), Some(*b"USD"));
        assert_eq!(parse_currency("€"), Some(*b"EUR"));
        assert_eq!(parse_currency("£"), Some(*b"GBP"));
        assert_eq!(parse_currency("¥"), Some(*b"JPY"));
        assert_eq!(parse_currency("US"), None);
        assert_eq!(parse_currency("U5D"), None);
    }
}
