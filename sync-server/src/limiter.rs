//! Login back-off, per account and per client address, and a fixed-window request limiter (for
//! account mails), in memory (one server process).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::configuration::LoginLimits;

#[derive(Debug, Default)]
struct Entry {
    failures: u32,
    locked_until: Option<Instant>,
    last_seen: Option<Instant>,
}

/// Counts failed logins per key and locks a key out with exponential back-off.
pub struct LoginLimiter {
    limits: LoginLimits,
    entries: Mutex<HashMap<String, Entry>>,
}

/// Entries idle this long are forgotten when the table grows.
const IDLE: Duration = Duration::from_secs(3600);
const PRUNE_ABOVE: usize = 10_000;

impl LoginLimiter {
    pub fn new(limits: LoginLimits) -> Self {
        Self { limits, entries: Mutex::new(HashMap::new()) }
    }

    pub fn account_key(email: &str) -> String {
        format!("account:{email}")
    }

    pub fn ip_key(addr: &str) -> String {
        format!("ip:{addr}")
    }

    /// `Err(seconds to wait)` when any of `keys` is locked out now.
    pub fn check(&self, keys: &[&str]) -> Result<(), u64> {
        let now = Instant::now();
        let Ok(entries) = self.entries.lock() else { return Ok(()) };
        let wait = keys
            .iter()
            .filter_map(|k| entries.get(*k)?.locked_until)
            .filter(|until| *until > now)
            .map(|until| until.duration_since(now).as_secs().max(1))
            .max();
        wait.map_or(Ok(()), Err)
    }

    /// Records a failure of `key`, whose lockout starts after `max_failures`.
    pub fn fail(&self, key: &str, max_failures: u32) {
        let now = Instant::now();
        let Ok(mut entries) = self.entries.lock() else { return };
        if entries.len() > PRUNE_ABOVE {
            entries.retain(|_, e| e.last_seen.is_some_and(|t| now.duration_since(t) < IDLE));
        }
        let entry = entries.entry(key.to_owned()).or_default();
        entry.failures = entry.failures.saturating_add(1);
        entry.last_seen = Some(now);
        if entry.failures >= max_failures {
            let doublings = (entry.failures - max_failures).min(20);
            let secs =
                self.limits.base_backoff_secs.saturating_mul(1u64 << doublings).min(self.limits.max_backoff_secs);
            entry.locked_until = Some(now + Duration::from_secs(secs));
        }
    }

    pub fn fail_login(&self, account: &str, ip: &str) {
        self.fail(account, self.limits.account_max_failures);
        self.fail(ip, self.limits.ip_max_failures);
    }

    /// A successful login clears the account's count (not the address's).
    pub fn succeed(&self, key: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(key);
        }
    }
}

/// Counts requests per key in fixed windows: at most `max` requests per key per window.
pub struct RequestLimiter {
    window: Duration,
    entries: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RequestLimiter {
    pub fn new(window: Duration) -> Self {
        Self { window: window.max(Duration::from_secs(1)), entries: Mutex::new(HashMap::new()) }
    }

    /// Counts one request against each `(key, max)` when none of them is at its maximum in its
    /// current window; otherwise counts nothing and returns `Err(seconds to wait)`.
    pub fn hit(&self, keys: &[(&str, u32)]) -> Result<(), u64> {
        let now = Instant::now();
        let Ok(mut entries) = self.entries.lock() else { return Ok(()) };
        if entries.len() > PRUNE_ABOVE {
            entries.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let current = |entries: &HashMap<String, (Instant, u32)>, key: &str| match entries.get(key) {
            Some((start, count)) if now.duration_since(*start) < self.window => Some((*start, *count)),
            _ => None,
        };
        let wait = keys
            .iter()
            .filter_map(|(key, max)| {
                let (start, count) = current(&entries, key)?;
                (count >= *max).then(|| (start + self.window).duration_since(now).as_secs().max(1))
            })
            .max();
        if let Some(wait) = wait {
            return Err(wait);
        }
        for (key, _) in keys {
            let next = current(&entries, key).map_or((now, 1), |(start, count)| (start, count.saturating_add(1)));
            entries.insert((*key).to_owned(), next);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_per_key_and_window() {
        let limiter = RequestLimiter::new(Duration::from_secs(60));
        assert_eq!(limiter.hit(&[("a", 2), ("ip", 3)]), Ok(()));
        assert_eq!(limiter.hit(&[("a", 2), ("ip", 3)]), Ok(()));
        assert!(matches!(limiter.hit(&[("a", 2), ("ip", 3)]), Err(s) if (59..=60).contains(&s)));
        // The refused request counted nothing: the address still has one left.
        assert_eq!(limiter.hit(&[("b", 2), ("ip", 3)]), Ok(()));
        assert!(limiter.hit(&[("c", 2), ("ip", 3)]).is_err());
    }

    #[test]
    fn locks_after_the_threshold_and_backs_off() {
        let limits =
            LoginLimits { account_max_failures: 3, ip_max_failures: 10, base_backoff_secs: 10, max_backoff_secs: 25 };
        let limiter = LoginLimiter::new(limits);
        for _ in 0..2 {
            limiter.fail("a", 3);
            assert_eq!(limiter.check(&["a"]), Ok(()));
        }
        limiter.fail("a", 3);
        assert!(matches!(limiter.check(&["a", "b"]), Err(s) if (9..=10).contains(&s)));
        limiter.fail("a", 3);
        assert!(matches!(limiter.check(&["a"]), Err(s) if (19..=20).contains(&s)));
        limiter.fail("a", 3);
        assert!(matches!(limiter.check(&["a"]), Err(s) if (24..=25).contains(&s)), "capped");
        assert_eq!(limiter.check(&["b"]), Ok(()));
        limiter.succeed("a");
        assert_eq!(limiter.check(&["a"]), Ok(()));
    }
}
