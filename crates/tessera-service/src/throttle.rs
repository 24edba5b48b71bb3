//! Keyed attempt limits that cannot be raced and cannot grow without bound.
//!
//! A [`Limiter`] allows `limit` attempts per key within a sliding window. An attempt is
//! *reserved* before the work it guards starts (a password check, a user-code look-up), in
//! the same critical section that checks the count, so however many requests arrive at once
//! at most `limit` of them get through. An attempt that turns out well hands its reservation
//! back ([`Limiter::release`]); a failed one keeps it, and so counts as a failure.
//!
//! Memory is bounded: a key never holds more than `limit` entries (a full key refuses), and
//! a limiter holds at most `max_keys` keys. When it is full, expired keys are dropped; if it
//! is still full, new keys are refused (fail closed) until the window frees room.
//!
//! Keys are plain strings the caller builds (`account:…`, `addr:…`); client addresses come
//! from the HTTP layer, IPv6 ones already shortened to their /64 (one subscriber).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use tessera_core::time::UnixTime;

/// Failed password sign-ins allowed per account within [`SIGN_IN_WINDOW`].
pub const SIGN_IN_FAILURES_PER_ACCOUNT: usize = 5;
/// Failed sign-ins (passwords and operator tokens) allowed per client address.
pub const SIGN_IN_FAILURES_PER_ADDRESS: usize = 20;
/// Wrong operator tokens allowed per client address (console and `/api/v1` together).
pub const OPERATOR_TOKEN_FAILURES_PER_ADDRESS: usize = 5;
/// The window of the sign-in limits, in seconds.
pub const SIGN_IN_WINDOW: i64 = 15 * 60;
/// Device authorizations one address may start within [`DEVICE_START_WINDOW`].
pub const DEVICE_STARTS_PER_ADDRESS: usize = 30;
pub const DEVICE_START_WINDOW: i64 = 60;
/// Look-ups of user codes that match no request, per address within [`USER_CODE_WINDOW`].
pub const USER_CODE_MISSES_PER_ADDRESS: usize = 20;
pub const USER_CODE_WINDOW: i64 = 10 * 60;
/// Keys one limiter holds at most (a key costs well under 300 bytes).
pub const MAX_KEYS: usize = 50_000;

/// A refused attempt: how long until the key may try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    pub retry_after: i64,
}

/// A keyed sliding-window attempt limit.
pub struct Limiter {
    limit: usize,
    window: i64,
    max_keys: usize,
    map: Mutex<HashMap<String, VecDeque<UnixTime>>>,
}

impl Limiter {
    pub fn new(limit: usize, window: i64, max_keys: usize) -> Self {
        Limiter { limit: limit.max(1), window: window.max(1), max_keys: max_keys.max(1), map: Mutex::default() }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<UnixTime>>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reserves one attempt for `key` at `now`, or says how long to wait.
    pub fn reserve(&self, key: &str, now: UnixTime) -> Result<(), Throttled> {
        let mut map = self.lock();
        if let Some(entries) = map.get_mut(key) {
            while entries.front().is_some_and(|t| now.0 - t.0 >= self.window) {
                entries.pop_front();
            }
            if entries.len() >= self.limit {
                let first = entries.front().map_or(now.0, |t| t.0);
                return Err(Throttled { retry_after: (self.window - (now.0 - first)).clamp(1, self.window) });
            }
            entries.push_back(now);
            return Ok(());
        }
        if map.len() >= self.max_keys {
            let window = self.window;
            map.retain(|_, v| v.back().is_some_and(|t| now.0 - t.0 < window));
            if map.len() >= self.max_keys {
                tracing::warn!(keys = map.len(), "an attempt limit is full; refusing new clients until it frees");
                return Err(Throttled { retry_after: self.window });
            }
        }
        map.insert(key.to_owned(), VecDeque::from([now]));
        Ok(())
    }

    /// Hands back an attempt reserved at `at` (it went well and should not count).
    pub fn release(&self, key: &str, at: UnixTime) {
        let mut map = self.lock();
        let Some(entries) = map.get_mut(key) else { return };
        if let Some(i) = entries.iter().rposition(|t| *t == at) {
            entries.remove(i);
        }
        if entries.is_empty() {
            map.remove(key);
        }
    }

    /// Forgets every attempt of `key` (a successful sign-in clears its account).
    pub fn clear(&self, key: &str) {
        self.lock().remove(key);
    }

    /// Drops keys whose attempts have all left the window.
    pub fn prune(&self, now: UnixTime) {
        let window = self.window;
        self.lock().retain(|_, v| v.back().is_some_and(|t| now.0 - t.0 < window));
    }

    /// How many keys are held (for tests and metrics).
    pub fn keys(&self) -> usize {
        self.lock().len()
    }
}

/// Every attempt limit of the service.
pub struct Throttles {
    pub(crate) sign_in_accounts: Limiter,
    pub(crate) sign_in_addresses: Limiter,
    pub(crate) operator_tokens: Limiter,
    pub(crate) device_starts: Limiter,
    pub(crate) user_code_misses: Limiter,
}

impl Default for Throttles {
    fn default() -> Self {
        Throttles {
            sign_in_accounts: Limiter::new(SIGN_IN_FAILURES_PER_ACCOUNT, SIGN_IN_WINDOW, MAX_KEYS),
            sign_in_addresses: Limiter::new(SIGN_IN_FAILURES_PER_ADDRESS, SIGN_IN_WINDOW, MAX_KEYS),
            operator_tokens: Limiter::new(OPERATOR_TOKEN_FAILURES_PER_ADDRESS, SIGN_IN_WINDOW, MAX_KEYS),
            device_starts: Limiter::new(DEVICE_STARTS_PER_ADDRESS, DEVICE_START_WINDOW, MAX_KEYS),
            user_code_misses: Limiter::new(USER_CODE_MISSES_PER_ADDRESS, USER_CODE_WINDOW, MAX_KEYS),
        }
    }
}

impl Throttles {
    pub fn prune(&self, now: UnixTime) {
        self.sign_in_accounts.prune(now);
        self.sign_in_addresses.prune(now);
        self.operator_tokens.prune(now);
        self.device_starts.prune(now);
        self.user_code_misses.prune(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_blocks_then_expires_with_the_window() {
        let l = Limiter::new(5, 900, 10);
        for i in 0..5 {
            assert_eq!(l.reserve("k", UnixTime(i)), Ok(()));
        }
        assert_eq!(l.reserve("k", UnixTime(10)), Err(Throttled { retry_after: 890 }));
        assert_eq!(l.reserve("k", UnixTime(900)), Ok(()), "the first attempt left the window");
        l.clear("k");
        assert_eq!(l.keys(), 0);
    }

    #[test]
    fn a_released_attempt_does_not_count() {
        let l = Limiter::new(2, 900, 10);
        for _ in 0..10 {
            l.reserve("k", UnixTime(5)).unwrap();
            l.release("k", UnixTime(5));
        }
        assert_eq!(l.keys(), 0);
        l.reserve("k", UnixTime(5)).unwrap();
        l.reserve("k", UnixTime(6)).unwrap();
        assert!(l.reserve("k", UnixTime(7)).is_err());
    }

    #[test]
    fn a_full_limiter_drops_expired_keys_then_refuses_new_ones() {
        let l = Limiter::new(1, 100, 3);
        for k in ["a", "b", "c"] {
            l.reserve(k, UnixTime(0)).unwrap();
        }
        assert!(l.reserve("d", UnixTime(50)).is_err(), "full of live keys");
        assert_eq!(l.keys(), 3);
        assert_eq!(l.reserve("d", UnixTime(100)), Ok(()), "the expired keys made room");
        assert_eq!(l.keys(), 1);
    }

    #[test]
    fn concurrent_reservations_never_pass_the_limit() {
        let l = std::sync::Arc::new(Limiter::new(5, 900, 10));
        let passed = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let threads: Vec<_> = (0..16)
            .map(|_| {
                let (l, passed) = (l.clone(), passed.clone());
                std::thread::spawn(move || {
                    for _ in 0..20 {
                        if l.reserve("k", UnixTime(1)).is_ok() {
                            passed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(passed.load(std::sync::atomic::Ordering::SeqCst), 5);
    }
}
