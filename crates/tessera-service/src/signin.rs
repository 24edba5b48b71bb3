//! Signing in with a password: argon2id off the async threads, failures rate-limited per
//! account and per client address, sessions stored by hash.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use tessera_core::change::Change;
use tessera_core::ids::UnionId;
use tessera_core::secret::{Secret, token_hash};
use tessera_core::session::{SESSION_PREFIX, SESSION_TTL, Session};
use tessera_core::time::UnixTime;
use tessera_store::StoreError;

use crate::Tessera;
use crate::password::{self, PasswordError};

/// Failed attempts allowed per account within [`WINDOW`].
pub const MAX_FAILURES_PER_ACCOUNT: usize = 5;
/// Failed attempts allowed per client address within [`WINDOW`].
pub const MAX_FAILURES_PER_ADDRESS: usize = 20;
/// The window of the limits, in seconds.
pub const WINDOW: i64 = 15 * 60;

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Unknown account or wrong password (never says which).
    #[error("the account or the password is wrong")]
    BadCredentials,
    #[error("too many failed attempts; try again in {retry_after} seconds")]
    TooManyAttempts { retry_after: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Password(#[from] PasswordError),
}

/// Recent failures by key (`account:…` or `addr:…`).
#[derive(Default)]
pub struct FailureLog(Mutex<HashMap<String, VecDeque<UnixTime>>>);

impl FailureLog {
    /// Seconds until `key` may try again, if it is over `limit`.
    pub(crate) fn blocked_for(&self, key: &str, limit: usize, now: UnixTime) -> Option<i64> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let entries = map.get_mut(key)?;
        while entries.front().is_some_and(|t| now.0 - t.0 >= WINDOW) {
            entries.pop_front();
        }
        if entries.len() >= limit { entries.front().map(|first| WINDOW - (now.0 - first.0)) } else { None }
    }

    pub(crate) fn record(&self, key: String, now: UnixTime) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(key).or_default().push_back(now);
    }

    pub(crate) fn clear(&self, key: &str) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }

    pub fn prune(&self, now: UnixTime) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, v| v.back().is_some_and(|t| now.0 - t.0 < WINDOW));
    }
}

impl Tessera {
    /// Checks `account` (a union id) and `password`; on success starts a session and returns
    /// the cookie value (shown to the browser only).
    pub async fn sign_in(&self, account: &str, password: &str, address: &str) -> Result<Secret, SignInError> {
        let now = self.now();
        let account_key = format!("account:{account}");
        let address_key = format!("addr:{address}");
        let limits = &self.inner.failures;
        let blocked = limits.blocked_for(&account_key, MAX_FAILURES_PER_ACCOUNT, now).max(limits.blocked_for(
            &address_key,
            MAX_FAILURES_PER_ADDRESS,
            now,
        ));
        if let Some(retry_after) = blocked {
            return Err(SignInError::TooManyAttempts { retry_after: retry_after.max(1) });
        }
        let stored = match UnionId::parse(account) {
            Ok(id) => self.inner.store.user(&id).await?,
            Err(_) => None,
        };
        let verified = match stored.as_ref().and_then(|u| u.password_hash.clone()) {
            Some(phc) => password::verify(Secret::new(password), phc).await?,
            None => {
                // Spend the same time as a real check so accounts cannot be probed by timing.
                password::hash(Secret::new(password)).await?;
                false
            }
        };
        let Some(user) = stored.filter(|_| verified) else {
            limits.record(account_key, now);
            limits.record(address_key, now);
            tracing::info!(address, "sign-in failed");
            return Err(SignInError::BadCredentials);
        };
        limits.clear(&account_key);
        let cookie = Secret::generate(SESSION_PREFIX, &mut rand::rng());
        let session = Session {
            hash: token_hash(cookie.expose()),
            union_id: user.user.union_id,
            created_at: now,
            expires_at: now.plus_secs(SESSION_TTL),
        };
        self.inner.store.commit(&[Change::InsertSession(session)], now).await?;
        Ok(cookie)
    }

    /// The live session behind a cookie value.
    pub async fn session(&self, cookie: &Secret) -> Result<Option<Session>, StoreError> {
        let Some(session) = self.inner.store.session(&token_hash(cookie.expose())).await? else {
            return Ok(None);
        };
        Ok((self.now() < session.expires_at).then_some(session))
    }

    pub async fn sign_out(&self, cookie: &Secret) -> Result<(), StoreError> {
        self.inner.store.commit(&[Change::DeleteSession { hash: token_hash(cookie.expose()) }], self.now()).await
    }

    /// The CSRF token for forms shown to the holder of `cookie`.
    pub fn csrf_token(&self, cookie: &Secret) -> String {
        tessera_core::session::csrf_token(&self.inner.key, cookie)
    }

    pub fn csrf_ok(&self, cookie: &Secret, presented: &str) -> bool {
        tessera_core::session::csrf_ok(&self.inner.key, cookie, presented)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_blocks_then_expires_with_the_window() {
        let log = FailureLog::default();
        for i in 0..5 {
            assert_eq!(log.blocked_for("k", 5, UnixTime(i)), None);
            log.record("k".into(), UnixTime(i));
        }
        assert_eq!(log.blocked_for("k", 5, UnixTime(10)), Some(WINDOW - 10));
        assert_eq!(log.blocked_for("k", 5, UnixTime(WINDOW)), None);
        log.clear("k");
        assert_eq!(log.blocked_for("k", 1, UnixTime(WINDOW)), None);
    }
}
