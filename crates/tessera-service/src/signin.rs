//! Signing in with a password: argon2id off the async threads and under a concurrency limit,
//! attempts limited per account and per client address (reserved before the password is
//! checked, so parallel guesses cannot slip past the limit), sessions stored by hash.

use tessera_core::change::Change;
use tessera_core::ids::UnionId;
use tessera_core::secret::{Secret, token_hash};
use tessera_core::session::{SESSION_PREFIX, SESSION_TTL, Session};
use tessera_store::StoreError;

use crate::Tessera;
use crate::password::PasswordError;

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Unknown account or wrong password (never says which).
    #[error("the account or the password is wrong")]
    BadCredentials,
    #[error("too many failed attempts; try again in {retry_after} seconds")]
    TooManyAttempts { retry_after: i64 },
    /// Too many password checks are running or queued: nothing was checked.
    #[error("the server is busy; try again in {retry_after} seconds")]
    Busy { retry_after: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Password(#[from] PasswordError),
}

/// Seconds a caller turned away by the password gate is asked to wait.
const BUSY_RETRY_AFTER: i64 = 1;

impl Tessera {
    /// Checks `account` (a union id) and `password`; on success starts a session and returns
    /// the cookie value (shown to the browser only). `address` is the client's address key.
    ///
    /// The attempt is reserved against the address's and the account's limits before the
    /// password is checked; a wrong password keeps both reservations (they are the failure
    /// record), a right one hands them back and clears the account's failures.
    pub async fn sign_in(&self, account: &str, password: &str, address: &str) -> Result<Secret, SignInError> {
        let now = self.now();
        let account_key = format!("account:{account}");
        let address_key = format!("addr:{address}");
        let throttles = &self.inner.throttles;
        let refused = |t: crate::throttle::Throttled| SignInError::TooManyAttempts { retry_after: t.retry_after };
        throttles.sign_in_addresses.reserve(&address_key, now).map_err(refused)?;
        if let Err(t) = throttles.sign_in_accounts.reserve(&account_key, now) {
            throttles.sign_in_addresses.release(&address_key, now);
            return Err(refused(t));
        }
        let hand_back = || {
            throttles.sign_in_addresses.release(&address_key, now);
            throttles.sign_in_accounts.release(&account_key, now);
        };
        let stored = match UnionId::parse(account) {
            Ok(id) => match self.inner.store.user(&id).await {
                Ok(user) => user,
                Err(e) => {
                    hand_back();
                    return Err(e.into());
                }
            },
            Err(_) => None,
        };
        let phc = stored.as_ref().and_then(|u| u.password_hash.clone());
        let verified = match self.inner.passwords.verify(Secret::new(password), phc).await {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => {
                hand_back();
                return Err(e.into());
            }
            Err(_busy) => {
                hand_back();
                return Err(SignInError::Busy { retry_after: BUSY_RETRY_AFTER });
            }
        };
        let Some(user) = stored.filter(|_| verified) else {
            tracing::info!(address, "sign-in failed");
            return Err(SignInError::BadCredentials);
        };
        throttles.sign_in_addresses.release(&address_key, now);
        throttles.sign_in_accounts.clear(&account_key);
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

    /// How many password checks (argon2 computations) sign-ins have run since start.
    pub fn sign_in_password_checks(&self) -> u64 {
        self.inner.passwords.checks()
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
