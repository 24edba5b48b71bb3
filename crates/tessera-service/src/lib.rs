//! Tessera's application service: runs core commands against a [`Store`], keeps the caches
//! the hot paths read, and owns the only system clock.
//!
//! Layout:
//! - [`clock`]: the system clock (the one place that reads the time).
//! - [`cache`]: what token issuing and checking read instead of the database.
//! - [`token`]: the one token entry point; the request's types in [`token_request`], its
//!   refusals (one variant per cause) in [`grant_error`].
//! - [`issue`]: app and corp tokens by client credentials, with the reuse rule.
//! - [`code_grant`], [`refresh_grant`]: the authorization-code and refresh-token grants.
//! - [`lookups`]: apps by id, enabled scopes, an app's standing in an org (cached); people,
//!   memberships and installations for the HTTP layer.
//! - [`access`]: checking a token against a route's required scopes (the gateway's question).
//! - [`fixtures`]: loading a fixture file atomically.
//! - [`apps`]: registering apps, redirect URIs, secret rotation with an overlap.
//! - [`management`]: requests, review, activation, authorizing sensitive scopes, the audit log.
//! - [`overview`]: what the console shows (scopes of an app, review queue, workbench).
//! - [`explain`]: why a call is (or would be) refused, step by step.
//! - [`catalog`]: the scope catalogue (built-in plus operator scopes).
//! - [`store_decorator`]: a store decorator overrides only what it changes, the rest forwards.
//! - [`detached`]: writes run on their own task, so a cancelled request never cuts one short.
//! - [`invalidating`]: every commit drops the caches its changes can have made stale.
//! - [`group_commit`]: commits arriving together share one transaction.
//! - [`password`]: argon2id hashing off the async threads.
//! - [`reviewer`]: the console's reviewer pass, exchanged for the operator token.
//! - [`signin`]: password sign-in with rate limits, sessions, CSRF tokens.
//! - [`throttle`]: keyed attempt limits, reserved before the work they guard and bounded.
//! - [`authorize`]: the authorization request, consent and codes.
//! - [`user_tokens`]: minting user token pairs, revoking families, revocation (RFC 7009).
//! - [`introspection`]: RFC 7662 for confidential clients; apps marked as resource servers.
//! - [`device`]: device authorization (RFC 8628): start, verification, polling.
//! - [`consents`]: what a user authorized, and withdrawing it.
//! - [`suite`]: ISV suites: tickets (issued, checked, pushed), what an org authorized.
//! - [`suite_grant`]: suite and corp tokens of suites (also Feishu store apps) as grants of the one pipeline.
//! - [`callback_guard`]: outbound callbacks reach public addresses only, no redirects.
//! - [`resend_limit`]: ticket resends on demand, at most one per app every 10 s.
//! - [`ticket_push`]: pushing suite tickets to the suites' callback URLs, with retries.
//! - [`oidc`]: OpenID Connect: request parameters, ID tokens, UserInfo, app settings.
//! - [`signing`]: signing keys kept sealed in the store, rotated on a schedule, the JWKS and JWS.
//! - [`admin_consent`]: the authorization flow an org admin goes through for an app's sensitive scopes.
//! - `tests`: in-process tests of the service on the demo fixture with the fake clock.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use tessera_core::refresh::UserTokenPolicy;
use tessera_core::secret::SecretKey;
use tessera_core::time::{Clock, UnixTime};
use tessera_core::token::TokenPolicy;
use tessera_store::{Database, SampleData, Store};

pub mod access;
pub mod admin_consent;
pub mod apps;
pub mod authorize;
pub mod cache;
pub mod callback_guard;
pub mod catalog;
pub mod clock;
pub mod code_grant;
pub mod consents;
pub mod detached;
pub mod device;
pub mod explain;
pub mod fixtures;
pub mod grant_error;
pub mod group_commit;
#[cfg(test)]
mod group_commit_tests;
pub mod health;
pub mod introspection;
pub mod invalidating;
pub mod issue;
pub mod lookups;
pub mod management;
pub mod oidc;
pub mod overview;
pub mod password;
pub mod rate_limits;
#[cfg(test)]
mod recall_cache_tests;
pub mod refresh_grant;
pub mod resend_limit;
pub mod reviewer;
pub mod sample_reads;
#[cfg(test)]
mod sample_reads_tests;
pub mod signin;
pub mod signing;
pub mod stats;
pub mod store_decorator;
pub mod suite;
pub mod suite_grant;
#[cfg(test)]
mod tests;
pub mod throttle;
pub mod ticket_push;
pub mod token;
#[cfg(test)]
mod token_cache_tests;
pub mod token_request;
#[cfg(test)]
mod token_tests;
pub mod user_tokens;

pub use access::{AccessError, Principal};
pub use grant_error::GrantError;
pub use issue::IssuedToken;
pub use token_request::{ClientAuth, ClientProof, DialectRules, Grant, TokenAnswer, TokenRequest, UserTokenPair};

/// Configuration of the service.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub tokens: TokenPolicy,
    pub user_tokens: UserTokenPolicy,
    /// The URL clients reach Tessera at: the issuer in metadata; https makes cookies Secure.
    pub public_url: String,
    /// The platform operators' token for the management API (`None`: no operator access).
    pub operator_token: Option<tessera_core::secret::Secret>,
    /// Seconds between suite tickets.
    pub suite_ticket_interval: i64,
    /// Whether the server issues due suite tickets on its own timer (`serve` does). Without
    /// it, rounds run only when called ([`ticket_push::round_at`]): tests drive them with
    /// their fake clock.
    pub suite_ticket_timer: bool,
    /// Seconds a device must wait between polls of the device flow (RFC 8628 `interval`;
    /// `slow_down` adds to it).
    pub device_poll_interval: i64,
    /// Bounds and re-validation period of the in-memory caches.
    pub cache: cache::CacheConfig,
    /// Reverse proxies whose `X-Forwarded-For` names the client (empty: the TCP peer is the
    /// client, and the header is ignored).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Lets callbacks reach loopback and private addresses (local development only).
    pub allow_private_callbacks: bool,
    /// Seconds a signing key signs before its successor takes over.
    pub signing_key_rotation: i64,
    /// Lifetime of ID tokens, in seconds.
    pub id_token_ttl: i64,
    /// Lifetime of JWT access tokens (RFC 9068), in seconds.
    pub jwt_access_ttl: i64,
    /// Memory cost of new argon2id password hashes, in KiB (existing hashes keep theirs).
    pub password_memory_kib: u32,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            tokens: TokenPolicy::default(),
            user_tokens: UserTokenPolicy::default(),
            public_url: "http://127.0.0.1:8080".into(),
            operator_token: None,
            suite_ticket_interval: tessera_core::suite::DEFAULT_TICKET_INTERVAL,
            suite_ticket_timer: true,
            device_poll_interval: tessera_core::device::DEFAULT_INTERVAL,
            cache: cache::CacheConfig::default(),
            trusted_proxies: Vec::new(),
            allow_private_callbacks: false,
            signing_key_rotation: tessera_core::signing_key::DEFAULT_ROTATION,
            id_token_ttl: signing::DEFAULT_ID_TOKEN_TTL,
            jwt_access_ttl: signing::DEFAULT_JWT_ACCESS_TTL,
            password_memory_kib: password::DEFAULT_MEMORY_KIB,
        }
    }
}

/// The service: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct Tessera {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    sample: Arc<dyn SampleData>,
    clock: Arc<dyn Clock>,
    key: SecretKey,
    config: ServiceConfig,
    cache: Arc<cache::Caches>,
    throttles: throttle::Throttles,
    passwords: password::PasswordGate,
    callbacks: callback_guard::CallbackClient,
    resends: resend_limit::ResendLog,
    stats: stats::Stats,
    keyring: signing::Keyring,
}

impl Tessera {
    /// The service on `db`, which holds both the authorization data and the sample API's.
    pub fn new(db: Arc<dyn Database>, clock: Arc<dyn Clock>, key: SecretKey, config: ServiceConfig) -> Self {
        Self::on_stores(db.clone(), db, clock, key, config)
    }

    /// The service on `store`, with the sample API's data in `sample` (tests decorate one).
    pub fn on_stores(
        store: Arc<dyn Store>,
        sample: Arc<dyn SampleData>,
        clock: Arc<dyn Clock>,
        key: SecretKey,
        config: ServiceConfig,
    ) -> Self {
        let cache = Arc::new(cache::Caches::new(config.cache));
        // Innermost first: caches dropped after each batch commits, in the writer task; group
        // commit; reads retried and other writes run to their end on a task of their own.
        let store: Arc<dyn Store> =
            Arc::new(store_decorator::Decorated(invalidating::Invalidating(store, cache.clone())));
        let store: Arc<dyn Store> = Arc::new(store_decorator::Decorated(group_commit::GroupCommit::new(store)));
        let store: Arc<dyn Store> = Arc::new(store_decorator::Decorated(detached::Detached(store)));
        let sample: Arc<dyn SampleData> = Arc::new(sample_reads::InvalidatingSample(sample, cache.clone()));
        let sample: Arc<dyn SampleData> = Arc::new(detached::DetachedSample(sample));
        let callbacks = callback_guard::CallbackClient::new(config.allow_private_callbacks);
        let passwords = password::PasswordGate::sized_to_cores(config.password_memory_kib);
        Tessera {
            inner: Arc::new(Inner {
                store,
                sample,
                clock,
                key,
                config,
                cache,
                throttles: throttle::Throttles::default(),
                passwords,
                callbacks,
                resends: resend_limit::ResendLog::default(),
                stats: stats::Stats::default(),
                keyring: signing::Keyring::default(),
            }),
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// The sample API's departments, member profiles and documents.
    pub fn sample_data(&self) -> &Arc<dyn SampleData> {
        &self.inner.sample
    }

    pub fn now(&self) -> UnixTime {
        self.inner.clock.now()
    }

    pub fn config(&self) -> &ServiceConfig {
        &self.inner.config
    }

    /// 32 bytes derived from the server key for one `purpose` (HMAC-SHA256 of the purpose's
    /// name): the same on every node sharing the key, and useless for anything else.
    pub fn derive_key(&self, purpose: &str) -> [u8; 32] {
        self.inner.key.hash(&tessera_core::secret::Secret::new(purpose)).0
    }

    /// The HTTP client of outbound callbacks (see [`callback_guard`]).
    pub fn callback_client(&self) -> &callback_guard::CallbackClient {
        &self.inner.callbacks
    }

    /// Whether `token` is the operator token (compared in constant time through the key's hash).
    pub fn is_operator_token(&self, token: &tessera_core::secret::Secret) -> bool {
        match &self.inner.config.operator_token {
            Some(expected) => self.inner.key.verify(token, &self.inner.key.hash(expected)),
            None => false,
        }
    }

    /// Drops expired tokens from the in-memory caches and expired rows from the store
    /// (called periodically by the server). Used codes are kept as long as a refresh token
    /// they led to could live, so a late replay still revokes their family.
    pub async fn prune(&self) -> Result<tessera_store::Purged, tessera_store::StoreError> {
        let now = self.now();
        self.inner.cache.prune(now);
        self.inner.throttles.prune(now);
        self.inner.resends.prune(now);
        let codes_before = now.plus_secs(-self.inner.config.user_tokens.refresh_ttl);
        self.inner.store.purge_expired(now, codes_before).await
    }
}
