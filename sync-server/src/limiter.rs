//! Login back-off per account and per client address, kept in the database (every instance on
//! one database enforces the same limit), and a fixed-window request limiter (for account
//! mails), in memory (one server process).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::configuration::LoginLimits;
use crate::db::{params, Conn, Db, OptionalExtension};
use crate::http::error::ApiError;
use crate::time::to_text;

/// Counts failed logins per key and locks a key out with exponential back-off.
pub struct LoginLimiter {
    limits: LoginLimits,
    db: Db,
}

/// A key's count is forgotten after this long without a failure (unless it is locked out).
const FORGET_AFTER: chrono::Duration = chrono::Duration::hours(24);

impl LoginLimiter {
    pub fn new(limits: LoginLimits, db: Db) -> Self {
        Self { limits, db }
    }

    pub fn account_key(email: &str) -> String {
        format!("account:{email}")
    }

    pub fn ip_key(addr: &str) -> String {
        format!("ip:{addr}")
    }

    /// Refuses, with the seconds to wait, while any of `keys` is locked out.
    pub async fn check(&self, keys: &[&str]) -> Result<(), ApiError> {
        let keys: Vec<String> = keys.iter().map(|&k| k.to_owned()).collect();
        let now = Utc::now();
        let wait = self
            .db
            .tx(move |tx| {
                let mut wait = 0;
                for key in &keys {
                    let until: Option<Option<DateTime<Utc>>> = tx
                        .query_row("SELECT locked_until FROM login_limits WHERE key = ?1", [key], |r| r.get(0))
                        .optional()?;
                    if let Some(until) = until.flatten().filter(|until| *until > now) {
                        wait = wait.max((until - now).num_seconds().max(1));
                    }
                }
                Ok(wait)
            })
            .await?;
        match u64::try_from(wait) {
            Ok(0) | Err(_) => Ok(()),
            Ok(retry_after_secs) => Err(ApiError::RateLimited { retry_after_secs }),
        }
    }

    /// Records a failed login of `account` from `ip`.
    pub async fn fail_login(&self, account: &str, ip: &str) -> Result<(), ApiError> {
        let limits = self.limits.clone();
        let (account, ip) = (account.to_owned(), ip.to_owned());
        self.db
            .tx(move |tx| {
                let now = Utc::now();
                record_failure(tx, &limits, &account, limits.account_max_failures, now)?;
                record_failure(tx, &limits, &ip, limits.ip_max_failures, now)?;
                tx.execute(
                    "DELETE FROM login_limits WHERE updated_at < ?1 AND (locked_until IS NULL OR locked_until < ?2)",
                    params![to_text(now - FORGET_AFTER), to_text(now)],
                )?;
                Ok(())
            })
            .await
    }

    /// A successful login clears the account's count (not the address's).
    pub async fn succeed(&self, key: &str) -> Result<(), ApiError> {
        let key = key.to_owned();
        self.db.tx(move |tx| Ok(tx.execute("DELETE FROM login_limits WHERE key = ?1", [&key]).map(drop)?)).await
    }
}

/// Counts one failure of `key`; from the `max_failures`th on, it locks the key out for the base
/// back-off, doubled at each further failure, up to the maximum.
fn record_failure(
    tx: &Conn<'_>,
    limits: &LoginLimits,
    key: &str,
    max_failures: u32,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let failures: i64 = tx.query_row(
        "INSERT INTO login_limits (key, failures, updated_at) VALUES (?1, 1, ?2)
         ON CONFLICT (key) DO UPDATE SET failures = login_limits.failures + 1, updated_at = excluded.updated_at
         RETURNING failures",
        params![key, to_text(now)],
        |r| r.get(0),
    )?;
    let beyond = failures - i64::from(max_failures);
    if beyond >= 0 {
        let doublings = u32::try_from(beyond.min(20)).unwrap_or(20);
        let secs = limits.base_backoff_secs.saturating_mul(1u64 << doublings).min(limits.max_backoff_secs);
        let until = now + chrono::Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX / 1000));
        tx.execute("UPDATE login_limits SET locked_until = ?2 WHERE key = ?1", params![key, to_text(until)])?;
    }
    Ok(())
}

/// Request-limiter entries are pruned once there are this many.
const PRUNE_ABOVE: usize = 10_000;

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

    #[tokio::test]
    async fn locks_after_the_threshold_and_backs_off() -> Result<(), ApiError> {
        let dir = tempfile::tempdir().map_err(|e| ApiError::internal(e.to_string()))?;
        let db = Db::open_url(&format!("sqlite://{}", dir.path().join("db.sqlite").display())).await?;
        let limits =
            LoginLimits { account_max_failures: 3, ip_max_failures: 10, base_backoff_secs: 10, max_backoff_secs: 25 };
        let limiter = LoginLimiter::new(limits, db.clone());
        let wait = |result: Result<(), ApiError>| match result {
            Ok(()) => 0,
            Err(ApiError::RateLimited { retry_after_secs }) => retry_after_secs,
            Err(other) => panic!("{other:?}"),
        };
        for _ in 0..2 {
            limiter.fail_login("a", "ip").await?;
            assert_eq!(wait(limiter.check(&["a"]).await), 0);
        }
        limiter.fail_login("a", "ip").await?;
        assert!((9..=10).contains(&wait(limiter.check(&["a", "b"]).await)));
        limiter.fail_login("a", "ip").await?;
        assert!((19..=20).contains(&wait(limiter.check(&["a"]).await)));
        limiter.fail_login("a", "ip").await?;
        assert!((24..=25).contains(&wait(limiter.check(&["a"]).await)), "capped");
        assert_eq!(wait(limiter.check(&["b", "ip"]).await), 0, "the address has 5 of its 10");
        limiter.succeed("a").await?;
        assert_eq!(wait(limiter.check(&["a"]).await), 0);

        // Another limiter on the same database (another instance) sees the same counts.
        let other = LoginLimiter::new(
            LoginLimits { account_max_failures: 3, ip_max_failures: 10, base_backoff_secs: 10, max_backoff_secs: 25 },
            db,
        );
        for _ in 0..3 {
            other.fail_login("c", "ip2").await?;
        }
        assert!((9..=10).contains(&wait(limiter.check(&["c"]).await)));
        Ok(())
    }
}
