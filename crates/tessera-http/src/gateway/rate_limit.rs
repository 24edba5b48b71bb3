//! Per-app rate limits: requests per second per app on one route (`qps` of the route) and
//! per app over every route (`app_qps` of the table), counted in fixed one-second windows of
//! the service's clock. One node counts in memory; nodes given the same Redis share their
//! counts there (`INCR` of a key per app, route and second, expiring after the window).
//! Without Redis each node limits alone.

use std::collections::HashMap;
use std::sync::Mutex;

use redis::aio::ConnectionManager;

/// What a request is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    /// One app on one route (QpsLimitForAppkeyAndApi).
    Route,
    /// One app over every route (QpsLimitForApi).
    App,
}

/// Most counters one node keeps (apps × limited routes in the current second); past it the
/// counters of earlier seconds are dropped at each new second, and a new key past it in the
/// current second is refused (fail closed).
const MAX_COUNTERS: usize = 100_000;

#[derive(Default)]
struct Counters {
    window: i64,
    counts: HashMap<String, u32>,
}

pub struct RateLimiter {
    memory: Mutex<Counters>,
    /// Shared counts; while Redis cannot be reached the node counts alone in `memory`.
    redis: Option<(ConnectionManager, String)>,
}

impl RateLimiter {
    pub fn in_memory() -> RateLimiter {
        RateLimiter { memory: Mutex::new(Counters::default()), redis: None }
    }

    /// Counts shared through the Redis at `url`, under keys starting with `prefix`.
    pub async fn redis(url: &str, prefix: &str) -> Result<RateLimiter, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let conn = ConnectionManager::new(client).await?;
        Ok(RateLimiter { memory: Mutex::new(Counters::default()), redis: Some((conn, prefix.to_owned())) })
    }

    /// Counts one request of `key` in the second `now`; whether it stays within `limit`.
    pub async fn admit(&self, key: &str, now: i64, limit: u32) -> bool {
        if let Some((conn, prefix)) = &self.redis {
            let redis_key = format!("{prefix}{key}:{now}");
            let mut conn = conn.clone();
            let counted: Result<(i64,), _> =
                redis::pipe().atomic().incr(&redis_key, 1).expire(&redis_key, 2).ignore().query_async(&mut conn).await;
            match counted {
                Ok((n,)) => return n <= i64::from(limit),
                Err(e) => tracing::warn!(error = %e, "rate-limit counting in Redis failed; this node counts alone"),
            }
        }
        let mut c = match self.memory.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        if c.window != now {
            c.window = now;
            c.counts.clear();
        }
        if !c.counts.contains_key(key) && c.counts.len() >= MAX_COUNTERS {
            return false;
        }
        let n = c.counts.entry(key.to_owned()).or_insert(0);
        *n = n.saturating_add(1);
        *n <= limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_window_admits_the_limit_and_the_next_second_starts_again() {
        let l = RateLimiter::in_memory();
        for _ in 0..3 {
            assert!(l.admit("a", 100, 3).await);
        }
        assert!(!l.admit("a", 100, 3).await);
        assert!(l.admit("b", 100, 3).await, "apps count apart");
        assert!(l.admit("a", 101, 3).await);
    }
}
