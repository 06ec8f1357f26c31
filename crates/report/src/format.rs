//! Numbers as people read them (axis labels, heatmap cells) and as Excel formats them.

use crate::types::ValueUnit;

/// `v` with `decimals` decimals and `,` between thousands: `-1,234.50`.
pub(crate) fn grouped(v: f64, decimals: usize) -> String {
    let plain = format!("{:.*}", decimals, v.abs());
    let (int, frac) = plain.split_once('.').unwrap_or((&plain, ""));
    let mut out = String::with_capacity(plain.len() + plain.len() / 3 + 1);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    // No "-0.00": the sign only when the rounded value is not zero.
    if v < 0.0 && out.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.insert(0, '-');
    }
    out
}

/// A currency code fit to print and to put in an Excel number format (letters only).
fn currency_code(currency: &Option<String>) -> Option<&str> {
    currency
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty() && c.len() <= 8 && c.chars().all(|ch| ch.is_ascii_alphabetic()))
}

/// A short label of `v` in `unit`: `EUR 12,345`, `95.3%`, `1,204`, `1.25`.
pub fn format_value(unit: &ValueUnit, v: f64) -> String {
    let whole = v.fract() == 0.0;
    match unit {
        ValueUnit::Money { currency } => {
            let n = grouped(v, if whole || v.abs() >= 1000.0 { 0 } else { 2 });
            match currency_code(currency) {
                Some(code) => format!("{code} {n}"),
                None => n,
            }
        }
        ValueUnit::Percent => {
            let p = v * 100.0;
            let p = if (p - p.round()).abs() < 1e-9 { p.round() } else { p };
            format!("{}%", grouped(p, if p.fract() == 0.0 { 0 } else { 1 }))
        }
        ValueUnit::Count => grouped(v, if whole { 0 } else { 1 }),
        ValueUnit::Ratio => grouped(v, 2),
    }
}

/// The Excel number format of a unit: money with thousands and its currency code, percent
/// as `0.0%` (the stored value stays the fraction).
pub(crate) fn excel_format(unit: &ValueUnit) -> String {
    match unit {
        ValueUnit::Money { currency } => match currency_code(currency) {
            Some(code) => format!("[${code}] #,##0.00"),
            None => "#,##0.00".to_owned(),
        },
        ValueUnit::Percent => "0.0%".to_owned(),
        ValueUnit::Count => "#,##0".to_owned(),
        ValueUnit::Ratio => "0.00".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur() -> ValueUnit {
        ValueUnit::Money { currency: Some("EUR".into()) }
    }

    #[test]
    fn groups_thousands_and_keeps_signs() {
        assert_eq!(grouped(1234567.891, 2), "1,234,567.89");
        assert_eq!(grouped(-1234.5, 0), "-1,234");
        assert_eq!(grouped(999.0, 0), "999");
        assert_eq!(grouped(-0.001, 2), "0.00");
    }

    #[test]
    fn labels_by_unit() {
        assert_eq!(format_value(&eur(), 12345.0), "EUR 12,345");
        assert_eq!(format_value(&eur(), -12.5), "EUR -12.50");
        assert_eq!(format_value(&ValueUnit::Money { currency: None }, 2500.0), "2,500");
        assert_eq!(format_value(&ValueUnit::Percent, 0.953), "95.3%");
        assert_eq!(format_value(&ValueUnit::Percent, 1.0), "100%");
        assert_eq!(format_value(&ValueUnit::Count, 1204.0), "1,204");
        assert_eq!(format_value(&ValueUnit::Ratio, 1.254), "1.25");
    }

    #[test]
    fn excel_formats_put_only_plain_codes_in_brackets() {
        assert_eq!(excel_format(&eur()), "[$EUR] #,##0.00");
        let odd = ValueUnit::Money { currency: Some("E\"]R".into()) };
        assert_eq!(excel_format(&odd), "#,##0.00");
        assert_eq!(excel_format(&ValueUnit::Percent), "0.0%");
    }
}
