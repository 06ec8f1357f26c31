//! Login back-off, per account and per client address, in memory (one server process).

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

#[cfg(test)]
mod tests {
    use super::*;

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
