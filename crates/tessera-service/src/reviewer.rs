//! The console's reviewer sign-in: a platform operator exchanges the operator token for a
//! short-lived pass, a cookie value that carries its expiry and a MAC over it, the server key
//! and the operator token. Nothing is stored; changing the operator token (or the key) ends
//! every pass at once. Wrong tokens are rate-limited per client address like passwords.

use tessera_core::secret::{Secret, SecretHash};
use tessera_core::time::UnixTime;

use crate::Tessera;
use crate::signin::{MAX_FAILURES_PER_ACCOUNT, WINDOW};

/// Lifetime of a reviewer pass, in seconds (one hour).
pub const REVIEWER_PASS_TTL: i64 = 3600;
const PREFIX: &str = "rv.";

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReviewerSignInError {
    #[error("that is not the operator token")]
    WrongToken,
    #[error("too many wrong tokens; try again in {retry_after} seconds")]
    TooManyAttempts { retry_after: i64 },
}

impl Tessera {
    fn pass_mac(&self, expires: i64) -> Option<SecretHash> {
        let token = self.inner.config.operator_token.as_ref()?;
        Some(self.inner.key.hash(&Secret::new(format!("reviewer-pass:{expires}:{}", token.expose()))))
    }

    /// A pass for whoever presented the operator token from `address`. Refused when the token
    /// is wrong or no operator token is configured, and for a while after
    /// [`MAX_FAILURES_PER_ACCOUNT`] wrong tokens from one address within [`WINDOW`].
    pub fn reviewer_pass(&self, operator_token: &Secret, address: &str) -> Result<Secret, ReviewerSignInError> {
        let now = self.now();
        let key = format!("reviewer:{address}");
        let limits = &self.inner.failures;
        if let Some(retry_after) = limits.blocked_for(&key, MAX_FAILURES_PER_ACCOUNT, now) {
            return Err(ReviewerSignInError::TooManyAttempts { retry_after: retry_after.clamp(1, WINDOW) });
        }
        let expires = now.plus_secs(REVIEWER_PASS_TTL).0;
        match self.pass_mac(expires) {
            Some(mac) if self.is_operator_token(operator_token) => {
                limits.clear(&key);
                Ok(Secret::new(format!("{PREFIX}{expires}.{}", mac.to_hex())))
            }
            _ => {
                limits.record(key, now);
                Err(ReviewerSignInError::WrongToken)
            }
        }
    }

    /// Whether `pass` is a live reviewer pass.
    pub fn reviewer_pass_ok(&self, pass: &Secret) -> bool {
        let Some((expires, mac)) = pass.expose().strip_prefix(PREFIX).and_then(|r| r.split_once('.')) else {
            return false;
        };
        let (Ok(expires), Some(mac)) = (expires.parse::<i64>(), SecretHash::from_hex(mac)) else {
            return false;
        };
        if UnixTime(expires) <= self.now() {
            return false;
        }
        let Some(token) = self.inner.config.operator_token.as_ref() else {
            return false;
        };
        self.inner.key.verify(&Secret::new(format!("reviewer-pass:{expires}:{}", token.expose())), &mac)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tessera_core::secret::SecretKey;
    use tessera_core::time::FakeClock;
    use tessera_store_sqlite::SqliteStore;

    use super::*;
    use crate::ServiceConfig;

    async fn service(token: &str, clock: Arc<FakeClock>) -> Tessera {
        let store = Arc::new(SqliteStore::connect("sqlite::memory:").await.unwrap());
        let config = ServiceConfig { operator_token: Some(Secret::new(token)), ..ServiceConfig::default() };
        Tessera::new(store, clock, SecretKey::from_bytes([3; 32]), config)
    }

    #[tokio::test]
    async fn a_pass_needs_the_token_lives_an_hour_and_dies_with_a_new_token() {
        let clock = Arc::new(FakeClock::at(1_000));
        let t = service("op-token", clock.clone()).await;
        assert_eq!(t.reviewer_pass(&Secret::new("wrong"), "a").unwrap_err(), ReviewerSignInError::WrongToken);
        let pass = t.reviewer_pass(&Secret::new("op-token"), "a").unwrap();
        assert!(t.reviewer_pass_ok(&pass));
        assert!(!t.reviewer_pass_ok(&Secret::new(format!("{}0", pass.expose()))));
        // Moving the expiry forward breaks the MAC.
        let forged = pass.expose().replacen(&(1_000 + REVIEWER_PASS_TTL).to_string(), "99999999", 1);
        assert!(!t.reviewer_pass_ok(&Secret::new(forged)));
        assert!(!t.reviewer_pass_ok(&Secret::new("rv.garbage")));
        let other = service("new-token", clock.clone()).await;
        assert!(!other.reviewer_pass_ok(&pass));
        clock.advance(REVIEWER_PASS_TTL);
        assert!(!t.reviewer_pass_ok(&pass));
    }

    #[tokio::test]
    async fn wrong_tokens_are_limited_per_address() {
        let clock = Arc::new(FakeClock::at(1_000));
        let t = service("op-token", clock.clone()).await;
        for _ in 0..MAX_FAILURES_PER_ACCOUNT {
            assert_eq!(
                t.reviewer_pass(&Secret::new("guess"), "10.0.0.1").unwrap_err(),
                ReviewerSignInError::WrongToken
            );
        }
        // Even the right token waits now, from that address; another address is not held up.
        assert!(matches!(
            t.reviewer_pass(&Secret::new("op-token"), "10.0.0.1"),
            Err(ReviewerSignInError::TooManyAttempts { .. })
        ));
        assert!(t.reviewer_pass(&Secret::new("op-token"), "10.0.0.2").is_ok());
        clock.advance(WINDOW);
        assert!(t.reviewer_pass(&Secret::new("op-token"), "10.0.0.1").is_ok());
    }
}
