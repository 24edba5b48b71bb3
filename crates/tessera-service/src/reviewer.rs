//! The console's reviewer sign-in: a platform operator exchanges the operator token for a
//! short-lived pass, a cookie value that carries its expiry and a MAC over it, the server key
//! and the operator token. Nothing is stored; changing the operator token (or the key) ends
//! every pass at once.

use tessera_core::secret::{Secret, SecretHash};
use tessera_core::time::UnixTime;

use crate::Tessera;

/// Lifetime of a reviewer pass, in seconds (one hour).
pub const REVIEWER_PASS_TTL: i64 = 3600;
const PREFIX: &str = "rv.";

impl Tessera {
    fn pass_mac(&self, expires: i64) -> Option<SecretHash> {
        let token = self.inner.config.operator_token.as_ref()?;
        Some(self.inner.key.hash(&Secret::new(format!("reviewer-pass:{expires}:{}", token.expose()))))
    }

    /// A pass for whoever presented the operator token; `None` when the token is wrong or
    /// no operator token is configured.
    pub fn reviewer_pass(&self, operator_token: &Secret) -> Option<Secret> {
        if !self.is_operator_token(operator_token) {
            return None;
        }
        let expires = self.now().plus_secs(REVIEWER_PASS_TTL).0;
        let mac = self.pass_mac(expires)?;
        Some(Secret::new(format!("{PREFIX}{expires}.{}", mac.to_hex())))
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
        assert!(t.reviewer_pass(&Secret::new("wrong")).is_none());
        let pass = t.reviewer_pass(&Secret::new("op-token")).unwrap();
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
}
