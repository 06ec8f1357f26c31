/// Timestamps are stored as RFC 3339 UTC text, which sorts as time does.
pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
