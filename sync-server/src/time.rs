//! Timestamps as the database stores them: fixed-width RFC 3339 UTC text, which sorts as time.

use chrono::{DateTime, SecondsFormat, Utc};

pub fn to_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn now_text() -> String {
    to_text(Utc::now())
}

/// Parses a stored timestamp; a malformed one reads as the epoch (it never happens for rows the
/// server wrote).
pub fn from_text(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_and_sorts() {
        let a = Utc::now();
        let b = a + chrono::Duration::milliseconds(1500);
        assert_eq!(from_text(&to_text(a)).timestamp_micros(), a.timestamp_micros());
        assert!(to_text(a) < to_text(b));
    }
}
