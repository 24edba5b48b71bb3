//! Per-app rate limits: requests per second per app on one route (`qps` of the route, or the
//! app's own `route_qps`) and per app over every route (`app_qps`), counted in one-second
//! steps of the service's clock. One node counts in memory with `governor`'s keyed limiters
//! (GCRA, read at whole seconds, so N per second admits N and refills at the next second);
//! nodes given the same Redis share their counts there instead (`INCR` of a key per app,
//! route and second, expiring after the window). Without Redis each node limits alone.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter as Governor};
use redis::aio::ConnectionManager;

/// What a request is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    /// One app on one route (QpsLimitForAppkeyAndApi).
    Route,
    /// One app over every route (QpsLimitForApi).
    App,
}

/// Most keys (apps × limited routes) one node tracks per limit; past it, calls on that limit
/// are refused (fail closed) until the keys idle for a second are dropped, at the next second.
const MAX_KEYS: usize = 100_000;
/// Most distinct limits (requests per second) counted at once; past it, the limiters of the
/// ones unused for a second are dropped, and a new one is refused until then.
const MAX_LIMITS: usize = 1_024;

/// The service's clock as `governor` reads it: the latest second a caller counted in. In
/// whole seconds, a limit of N per second admits N calls and refills all N at the next
/// second, like the fixed windows counted in Redis.
#[derive(Clone, Default)]
struct ServiceSeconds(Arc<AtomicI64>);

impl Clock for ServiceSeconds {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        let secs = u64::try_from(self.0.load(Ordering::Relaxed)).unwrap_or(0);
        Nanos::from(secs.saturating_mul(1_000_000_000))
    }
}

type Keyed = Governor<String, DashMapStateStore<String>, ServiceSeconds, NoOpMiddleware<Nanos>>;

/// One node's counts: a `governor` keyed limiter per distinct limit.
#[derive(Default)]
struct Memory {
    clock: ServiceSeconds,
    limiters: Mutex<HashMap<u32, Arc<Keyed>>>,
    /// The second the idle keys were last dropped in.
    pruned: AtomicI64,
}

impl Memory {
    fn admit(&self, key: &str, now: i64, limit: u32) -> bool {
        let Some(per_second) = NonZeroU32::new(limit) else {
            return false;
        };
        self.clock.0.fetch_max(now, Ordering::Relaxed);
        let mut limiters = self.limiters.lock().unwrap_or_else(|p| p.into_inner());
        if self.pruned.swap(now, Ordering::Relaxed) != now {
            for l in limiters.values() {
                l.retain_recent();
                l.shrink_to_fit();
            }
            if limiters.len() > MAX_LIMITS / 2 {
                limiters.retain(|_, l| !l.is_empty());
            }
        }
        if !limiters.contains_key(&limit) && limiters.len() >= MAX_LIMITS {
            return false;
        }
        let limiter = limiters
            .entry(limit)
            .or_insert_with(|| {
                Arc::new(Governor::dashmap_with_clock(Quota::per_second(per_second), self.clock.clone()))
            })
            .clone();
        drop(limiters);
        // Fail closed at the bound: keys idle for a second are dropped at the next second.
        limiter.len() < MAX_KEYS && limiter.check_key(&key.to_owned()).is_ok()
    }
}

pub struct RateLimiter {
    memory: Memory,
    /// Shared counts; while Redis cannot be reached the node counts alone in `memory`.
    redis: Option<(ConnectionManager, String)>,
}

impl RateLimiter {
    pub fn in_memory() -> RateLimiter {
        RateLimiter { memory: Memory::default(), redis: None }
    }

    /// Counts shared through the Redis at `url`, under keys starting with `prefix`.
    pub async fn redis(url: &str, prefix: &str) -> Result<RateLimiter, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let conn = ConnectionManager::new(client).await?;
        Ok(RateLimiter { memory: Memory::default(), redis: Some((conn, prefix.to_owned())) })
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
        self.memory.admit(key, now, limit)
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
        assert!(!l.admit("a", 101, 0).await, "a zero limit admits nothing");
    }

    #[tokio::test]
    async fn keys_and_limits_stay_bounded_and_idle_ones_are_dropped_each_second() {
        let l = RateLimiter::in_memory();
        for n in 1..=MAX_LIMITS as u32 {
            assert!(l.admit("a", 100, n).await);
        }
        assert!(!l.admit("a", 100, MAX_LIMITS as u32 + 1).await, "no new limit past the bound");
        assert!(l.admit("a", 100, 7).await, "a known limit still counts");
        // A second later the idle ones are dropped and a new limit is taken.
        assert!(l.admit("a", 101, MAX_LIMITS as u32 + 1).await);
        let limiters = l.memory.limiters.lock().unwrap().len();
        assert!(limiters <= 2, "{limiters} limiters kept after a second");
        for i in 0..1000 {
            assert!(l.admit(&format!("k{i}"), 101, 5).await);
        }
        l.admit("x", 102, 5).await;
        let keys: usize = l.memory.limiters.lock().unwrap().values().map(|k| k.len()).sum();
        assert!(keys <= 2, "{keys} keys kept after a second");
    }
}
