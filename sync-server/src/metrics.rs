//! Prometheus metrics, rendered as text at `/metrics`: request counts and latency per route,
//! login failures, pushed mutations per outcome, and account mails per kind and outcome.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
    login_failures: u64,
    mutations: BTreeMap<&'static str, u64>,
    mails: BTreeMap<(&'static str, &'static str), u64>,
}

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    pub fn record_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let Ok(mut inner) = self.inner.lock() else { return };
        *inner.requests.entry((method.to_owned(), route.to_owned(), status)).or_default() += 1;
        let h = inner.latency.entry(route.to_owned()).or_default();
        let secs = elapsed.as_secs_f64();
        for (count, bound) in h.counts.iter_mut().zip(BUCKETS) {
            if secs <= bound {
                *count += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
    }

    pub fn login_failed(&self) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.login_failures += 1;
        }
    }

    pub fn mutation(&self, outcome: &'static str) {
        if let Ok(mut inner) = self.inner.lock() {
            *inner.mutations.entry(outcome).or_default() += 1;
        }
    }

    /// An account mail of `kind` was sent (`sent`) or not (`failed`).
    pub fn mail(&self, kind: &'static str, outcome: &'static str) {
        if let Ok(mut inner) = self.inner.lock() {
            *inner.mails.entry((kind, outcome)).or_default() += 1;
        }
    }

    /// The Prometheus text exposition format.
    pub fn render(&self) -> String {
        let Ok(inner) = self.inner.lock() else { return String::new() };
        let mut out = String::new();
        out.push_str("# HELP revlens_http_requests_total HTTP requests by method, route and status.\n");
        out.push_str("# TYPE revlens_http_requests_total counter\n");
        for ((method, route, status), n) in &inner.requests {
            let _ = writeln!(
                out,
                "revlens_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str("# HELP revlens_http_request_duration_seconds HTTP request latency by route.\n");
        out.push_str("# TYPE revlens_http_request_duration_seconds histogram\n");
        for (route, h) in &inner.latency {
            for (count, bound) in h.counts.iter().zip(BUCKETS) {
                let _ = writeln!(
                    out,
                    "revlens_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "revlens_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(out, "revlens_http_request_duration_seconds_sum{{route=\"{route}\"}} {}", h.sum);
            let _ = writeln!(out, "revlens_http_request_duration_seconds_count{{route=\"{route}\"}} {}", h.count);
        }
        out.push_str("# HELP revlens_login_failures_total Failed or refused logins.\n");
        out.push_str("# TYPE revlens_login_failures_total counter\n");
        let _ = writeln!(out, "revlens_login_failures_total {}", inner.login_failures);
        out.push_str("# HELP revlens_sync_mutations_total Pushed mutations by outcome.\n");
        out.push_str("# TYPE revlens_sync_mutations_total counter\n");
        for (outcome, n) in &inner.mutations {
            let _ = writeln!(out, "revlens_sync_mutations_total{{outcome=\"{outcome}\"}} {n}");
        }
        out.push_str("# HELP revlens_mail_total Account mails by kind and outcome.\n");
        out.push_str("# TYPE revlens_mail_total counter\n");
        for ((kind, outcome), n) in &inner.mails {
            let _ = writeln!(out, "revlens_mail_total{{kind=\"{kind}\",outcome=\"{outcome}\"}} {n}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let m = Metrics::default();
        m.record_request("GET", "/healthz", 200, Duration::from_millis(3));
        m.mutation("applied");
        let text = m.render();
        assert!(text.contains("revlens_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"));
        assert!(text.contains("revlens_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.005\"} 1"));
        assert!(text.contains("revlens_sync_mutations_total{outcome=\"applied\"} 1"));
    }
}
