//! Login back-off per account and per client address, and a fixed-window request limiter (for
//! account mails), both kept in the database: every instance on one database enforces the
//! same limits.

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

/// Counts requests per key in fixed windows: at most `max` requests per key per window.
pub struct RequestLimiter {
    window: chrono::Duration,
    db: Db,
}

impl RequestLimiter {
    pub fn new(window: std::time::Duration, db: Db) -> Self {
        let window = chrono::Duration::from_std(window.max(std::time::Duration::from_secs(1)))
            .unwrap_or(chrono::Duration::days(1));
        Self { window, db }
    }

    /// Counts one request against each `(key, max)` when none of them is at its maximum in its
    /// current window; otherwise counts nothing and refuses with the seconds to wait.
    pub async fn hit(&self, keys: &[(&str, u32)]) -> Result<(), ApiError> {
        let keys: Vec<(String, u32)> = keys.iter().map(|&(key, max)| (key.to_owned(), max)).collect();
        let window = self.window;
        self.db
            .tx(move |tx| {
                let now = Utc::now();
                let current_since = to_text(now - window);
                let mut wait = 0;
                for (key, max) in &keys {
                    // Atomic per key (the row stays locked until the end of the transaction).
                    let (count, start): (i64, DateTime<Utc>) = tx.query_row(
                        "INSERT INTO request_limits (key, window_start, count) VALUES (?1, ?2, 1)
                         ON CONFLICT (key) DO UPDATE SET
                             count = CASE WHEN request_limits.window_start > ?3 THEN request_limits.count + 1 ELSE 1 END,
                             window_start = CASE WHEN request_limits.window_start > ?3
                                 THEN request_limits.window_start ELSE excluded.window_start END
                         RETURNING count, window_start",
                        params![key, to_text(now), current_since],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )?;
                    if count > i64::from(*max) {
                        wait = wait.max((start + window - now).num_seconds().max(1));
                    }
                }
                if let Ok(retry_after_secs @ 1..) = u64::try_from(wait) {
                    // Rolls the counts of this refused request back.
                    return Err(ApiError::RateLimited { retry_after_secs });
                }
                tx.execute("DELETE FROM request_limits WHERE window_start <= ?1", [&current_since])?;
                Ok(())
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn database() -> Result<(tempfile::TempDir, Db), ApiError> {
        let dir = tempfile::tempdir().map_err(|e| ApiError::internal(e.to_string()))?;
        let db = Db::open_url(&format!("sqlite://{}", dir.path().join("db.sqlite").display())).await?;
        Ok((dir, db))
    }

    fn wait(result: Result<(), ApiError>) -> u64 {
        match result {
            Ok(()) => 0,
            Err(ApiError::RateLimited { retry_after_secs }) => retry_after_secs,
            Err(other) => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn requests_are_counted_per_key_and_window() -> Result<(), ApiError> {
        let (_dir, db) = database().await?;
        let limiter = RequestLimiter::new(std::time::Duration::from_secs(60), db.clone());
        assert_eq!(wait(limiter.hit(&[("a", 2), ("ip", 3)]).await), 0);
        assert_eq!(wait(limiter.hit(&[("a", 2), ("ip", 3)]).await), 0);
        assert!((59..=60).contains(&wait(limiter.hit(&[("a", 2), ("ip", 3)]).await)));
        // The refused request counted nothing: the address still has one left.
        assert_eq!(wait(limiter.hit(&[("b", 2), ("ip", 3)]).await), 0);
        // Another limiter on the same database (another instance) counts against the same quota.
        let other = RequestLimiter::new(std::time::Duration::from_secs(60), db);
        assert!(wait(other.hit(&[("c", 2), ("ip", 3)]).await) > 0);
        Ok(())
    }

    #[tokio::test]
    async fn a_window_that_ended_starts_over() -> Result<(), ApiError> {
        let (_dir, db) = database().await?;
        let limiter = RequestLimiter::new(std::time::Duration::from_secs(1), db);
        assert_eq!(wait(limiter.hit(&[("a", 1)]).await), 0);
        assert_eq!(wait(limiter.hit(&[("a", 1)]).await), 1);
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        assert_eq!(wait(limiter.hit(&[("a", 1)]).await), 0);
        Ok(())
    }

    #[tokio::test]
    async fn locks_after_the_threshold_and_backs_off() -> Result<(), ApiError> {
        let (_dir, db) = database().await?;
        let limits =
            LoginLimits { account_max_failures: 3, ip_max_failures: 10, base_backoff_secs: 10, max_backoff_secs: 25 };
        let limiter = LoginLimiter::new(limits, db.clone());
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
