//! The console's reviewer sign-in: a platform operator exchanges the operator token for a
//! short-lived pass, a cookie value that carries its expiry and a MAC over it, the server key
//! and the operator token. Nothing is stored; changing the operator token (or the key) ends
//! every pass at once. Wrong tokens are rate-limited per client address like passwords, here
//! and on the management API (one budget for both: guesses at the operator token).

use tessera_core::secret::{Secret, SecretHash};
use tessera_core::time::UnixTime;
use tessera_store::StoreError;

use crate::Tessera;
use crate::management::Actor;

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

/// Why a management API Bearer token was refused.
#[derive(Debug, thiserror::Error)]
pub enum BearerError {
    /// Neither the operator token nor a live session.
    #[error("unknown token")]
    Unknown,
    #[error("too many wrong tokens; try again in {retry_after} seconds")]
    TooManyAttempts { retry_after: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Tessera {
    fn pass_mac(&self, expires: i64) -> Option<SecretHash> {
        let token = self.inner.config.operator_token.as_ref()?;
        Some(self.inner.key.hash(&Secret::new(format!("reviewer-pass:{expires}:{}", token.expose()))))
    }

    /// A pass for whoever presented the operator token from `address`. Refused when the token
    /// is wrong or no operator token is configured, and for a while after
    /// [`OPERATOR_TOKEN_FAILURES_PER_ADDRESS`](crate::throttle::OPERATOR_TOKEN_FAILURES_PER_ADDRESS)
    /// wrong tokens from one address within the sign-in window.
    pub fn reviewer_pass(&self, operator_token: &Secret, address: &str) -> Result<Secret, ReviewerSignInError> {
        let now = self.now();
        let key = format!("operator:{address}");
        let limits = &self.inner.throttles.operator_tokens;
        if let Err(t) = limits.reserve(&key, now) {
            return Err(ReviewerSignInError::TooManyAttempts { retry_after: t.retry_after });
        }
        let expires = now.plus_secs(REVIEWER_PASS_TTL).0;
        match self.pass_mac(expires) {
            Some(mac) if self.is_operator_token(operator_token) => {
                limits.clear(&key);
                Ok(Secret::new(format!("{PREFIX}{expires}.{}", mac.to_hex())))
            }
            // The reservation stays: it is the failure's record.
            _ => Err(ReviewerSignInError::WrongToken),
        }
    }

    /// Who a management API Bearer token from `address` stands for: the operator (the operator
    /// token) or a signed-in person (a live session). A token that is neither counts against
    /// the address like a wrong token on the console's reviewer sign-in; once over the limit,
    /// the operator token is not even compared (the answer would tell a guess), but a live
    /// session, which cannot be guessed, still works.
    pub async fn bearer_actor(&self, token: &Secret, address: &str) -> Result<Actor, BearerError> {
        let now = self.now();
        let key = format!("operator:{address}");
        let limits = &self.inner.throttles.operator_tokens;
        let reserved = limits.reserve(&key, now);
        if reserved.is_ok() && self.is_operator_token(token) {
            limits.release(&key, now);
            return Ok(Actor::Operator);
        }
        let session = match self.session(token).await {
            Ok(s) => s,
            Err(e) => {
                if reserved.is_ok() {
                    limits.release(&key, now);
                }
                return Err(e.into());
            }
        };
        match (session, reserved) {
            (Some(s), reserved) => {
                if reserved.is_ok() {
                    limits.release(&key, now);
                }
                Ok(Actor::Person(s.union_id))
            }
            (None, Ok(())) => Err(BearerError::Unknown),
            (None, Err(t)) => Err(BearerError::TooManyAttempts { retry_after: t.retry_after }),
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
    use crate::throttle::{OPERATOR_TOKEN_FAILURES_PER_ADDRESS, SIGN_IN_WINDOW as WINDOW};

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
        for _ in 0..OPERATOR_TOKEN_FAILURES_PER_ADDRESS {
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
