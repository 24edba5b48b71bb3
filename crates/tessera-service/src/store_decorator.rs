//! Store decorators without repeating the store: a [`Decorator`] wraps an inner store and
//! overrides only what it changes (writes, or one read); [`Decorated`] makes it a [`Store`].
//! Every method it does not override goes to the inner store unchanged, reads through
//! [`Decorator::read`] (run once unless the decorator retries them).
//!
//! A new `Store` method is one line in `impl Store for Decorated` (the compiler asks for it);
//! a write, or a read some decorator overrides, also gets a forwarding default in [`Decorator`].

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use tessera_core::app::App;
use tessera_core::audit::AuditEvent;
use tessera_core::change::Change;
use tessera_core::consent::Consent;
use tessera_core::device::DeviceAuthorization;
use tessera_core::grant::{OrgGrant, RevokedGrant};
use tessera_core::grant_code::AuthCode;
use tessera_core::ids::{ClientId, CorpId, UnionId, UserId};
use tessera_core::installation::Installation;
use tessera_core::member::Member;
use tessera_core::org::Org;
use tessera_core::permission::PermissionRequest;
use tessera_core::refresh::{Claim, RefreshToken};
use tessera_core::scope::Scope;
use tessera_core::secret::{SecretHash, TokenHash};
use tessera_core::session::Session;
use tessera_core::suite::SuiteTicket;
use tessera_core::time::UnixTime;
use tessera_core::token::AccessToken;
use tessera_store::{AuditFilter, DeviceLookup, Purged, Store, StoreError, StoredUser};

/// What a store decorator changes; every method defaults to the inner store's.
#[async_trait]
pub trait Decorator: Send + Sync + 'static {
    /// The decorated store.
    fn inner(&self) -> &Arc<dyn Store>;

    /// Runs one read of the inner store (`f` may be called again): once, unless overridden.
    async fn read<T, F, Fut>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send,
        F: Fn() -> Fut + Send + Sync,
        Fut: Future<Output = Result<T, StoreError>> + Send,
    {
        f().await
    }

    // Writes.
    async fn commit(&self, changes: &[Change], at: UnixTime) -> Result<(), StoreError> {
        self.inner().commit(changes, at).await
    }
    async fn claim_auth_code(&self, hash: &TokenHash, now: UnixTime) -> Result<Claim<AuthCode>, StoreError> {
        self.inner().claim_auth_code(hash, now).await
    }
    async fn claim_refresh_token(&self, hash: &TokenHash, now: UnixTime) -> Result<Claim<RefreshToken>, StoreError> {
        self.inner().claim_refresh_token(hash, now).await
    }
    async fn purge_expired(&self, now: UnixTime, codes_before: UnixTime) -> Result<Purged, StoreError> {
        self.inner().purge_expired(now, codes_before).await
    }

    // Reads a decorator may hold up or replace (tests do).
    async fn org_grants(&self, client_id: &ClientId, corp_id: &CorpId) -> Result<Vec<OrgGrant>, StoreError> {
        self.read(|| self.inner().org_grants(client_id, corp_id)).await
    }
    async fn token(&self, hash: &TokenHash) -> Result<Option<AccessToken>, StoreError> {
        self.read(|| self.inner().token(hash)).await
    }
}

/// A [`Decorator`] as a [`Store`].
pub struct Decorated<D>(pub D);

#[async_trait]
impl<D: Decorator> Store for Decorated<D> {
    async fn commit(&self, changes: &[Change], at: UnixTime) -> Result<(), StoreError> {
        self.0.commit(changes, at).await
    }
    async fn claim_auth_code(&self, hash: &TokenHash, now: UnixTime) -> Result<Claim<AuthCode>, StoreError> {
        self.0.claim_auth_code(hash, now).await
    }
    async fn claim_refresh_token(&self, hash: &TokenHash, now: UnixTime) -> Result<Claim<RefreshToken>, StoreError> {
        self.0.claim_refresh_token(hash, now).await
    }
    async fn purge_expired(&self, now: UnixTime, codes_before: UnixTime) -> Result<Purged, StoreError> {
        self.0.purge_expired(now, codes_before).await
    }
    async fn org_grants(&self, client_id: &ClientId, corp_id: &CorpId) -> Result<Vec<OrgGrant>, StoreError> {
        self.0.org_grants(client_id, corp_id).await
    }
    async fn token(&self, hash: &TokenHash) -> Result<Option<AccessToken>, StoreError> {
        self.0.token(hash).await
    }

    // Everything else goes to the inner store; reads through the decorator's `read`.
    async fn scopes(&self) -> Result<Vec<Scope>, StoreError> {
        self.0.read(|| self.0.inner().scopes()).await
    }
    async fn org(&self, corp_id: &CorpId) -> Result<Option<Org>, StoreError> {
        self.0.read(|| self.0.inner().org(corp_id)).await
    }
    async fn user(&self, union_id: &UnionId) -> Result<Option<StoredUser>, StoreError> {
        self.0.read(|| self.0.inner().user(union_id)).await
    }
    async fn member(&self, corp_id: &CorpId, user_id: &UserId) -> Result<Option<Member>, StoreError> {
        self.0.read(|| self.0.inner().member(corp_id, user_id)).await
    }
    async fn member_by_union(&self, corp_id: &CorpId, union_id: &UnionId) -> Result<Option<Member>, StoreError> {
        self.0.read(|| self.0.inner().member_by_union(corp_id, union_id)).await
    }
    async fn app(&self, client_id: &ClientId) -> Result<Option<App>, StoreError> {
        self.0.read(|| self.0.inner().app(client_id)).await
    }
    async fn permissions(&self, client_id: &ClientId) -> Result<Vec<PermissionRequest>, StoreError> {
        self.0.read(|| self.0.inner().permissions(client_id)).await
    }
    async fn installation(&self, client_id: &ClientId, corp_id: &CorpId) -> Result<Option<Installation>, StoreError> {
        self.0.read(|| self.0.inner().installation(client_id, corp_id)).await
    }
    async fn installations(&self, client_id: &ClientId) -> Result<Vec<Installation>, StoreError> {
        self.0.read(|| self.0.inner().installations(client_id)).await
    }
    async fn audit_events(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>, StoreError> {
        self.0.read(|| self.0.inner().audit_events(filter)).await
    }
    async fn memberships_of(&self, union_id: &UnionId) -> Result<Vec<Member>, StoreError> {
        self.0.read(|| self.0.inner().memberships_of(union_id)).await
    }
    async fn consent(&self, union_id: &UnionId, client_id: &ClientId) -> Result<Option<Consent>, StoreError> {
        self.0.read(|| self.0.inner().consent(union_id, client_id)).await
    }
    async fn consents_of(&self, union_id: &UnionId) -> Result<Vec<Consent>, StoreError> {
        self.0.read(|| self.0.inner().consents_of(union_id)).await
    }
    async fn refresh_token(&self, hash: &TokenHash) -> Result<Option<(RefreshToken, bool)>, StoreError> {
        self.0.read(|| self.0.inner().refresh_token(hash)).await
    }
    async fn refresh_token_used(&self, hash: &TokenHash) -> Result<Option<bool>, StoreError> {
        self.0.read(|| self.0.inner().refresh_token_used(hash)).await
    }
    /// Straight through, never repeated: the code's state decides an exchange.
    async fn auth_code(&self, hash: &TokenHash) -> Result<Option<(AuthCode, bool)>, StoreError> {
        self.0.inner().auth_code(hash).await
    }
    async fn session(&self, hash: &TokenHash) -> Result<Option<Session>, StoreError> {
        self.0.read(|| self.0.inner().session(hash)).await
    }
    async fn pending_requests(&self) -> Result<Vec<PermissionRequest>, StoreError> {
        self.0.read(|| self.0.inner().pending_requests()).await
    }
    async fn revoked_grants(&self, client_id: &ClientId, corp_id: &CorpId) -> Result<Vec<RevokedGrant>, StoreError> {
        self.0.read(|| self.0.inner().revoked_grants(client_id, corp_id)).await
    }
    async fn members_of(&self, corp_id: &CorpId) -> Result<Vec<Member>, StoreError> {
        self.0.read(|| self.0.inner().members_of(corp_id)).await
    }
    async fn installations_in(&self, corp_id: &CorpId) -> Result<Vec<Installation>, StoreError> {
        self.0.read(|| self.0.inner().installations_in(corp_id)).await
    }
    async fn grant_changes(&self) -> Result<Option<tokio::sync::mpsc::Receiver<()>>, StoreError> {
        self.0.inner().grant_changes().await
    }
    async fn ready(&self) -> Result<(), StoreError> {
        self.0.inner().ready().await
    }
    fn listen_reconnects(&self) -> u64 {
        self.0.inner().listen_reconnects()
    }
    async fn suite_ticket(&self, client_id: &ClientId) -> Result<Option<SuiteTicket>, StoreError> {
        self.0.read(|| self.0.inner().suite_ticket(client_id)).await
    }
    async fn suite_tickets(&self) -> Result<Vec<SuiteTicket>, StoreError> {
        self.0.read(|| self.0.inner().suite_tickets()).await
    }
    async fn apps_owned_by(&self, corp_id: &CorpId) -> Result<Vec<App>, StoreError> {
        self.0.read(|| self.0.inner().apps_owned_by(corp_id)).await
    }
    async fn previous_secrets(&self, client_id: &ClientId) -> Result<Vec<(SecretHash, UnixTime)>, StoreError> {
        self.0.read(|| self.0.inner().previous_secrets(client_id)).await
    }
    async fn device_authorization(&self, by: &DeviceLookup) -> Result<Option<DeviceAuthorization>, StoreError> {
        self.0.read(|| self.0.inner().device_authorization(by)).await
    }
    async fn oidc_client(&self, client_id: &ClientId) -> Result<Option<tessera_core::oidc::OidcClient>, StoreError> {
        self.0.read(|| self.0.inner().oidc_client(client_id)).await
    }
    async fn user_profile(&self, union_id: &UnionId) -> Result<Option<tessera_core::oidc::UserProfile>, StoreError> {
        self.0.read(|| self.0.inner().user_profile(union_id)).await
    }
    async fn signing_keys(&self) -> Result<Vec<tessera_core::signing_key::StoredSigningKey>, StoreError> {
        self.0.read(|| self.0.inner().signing_keys()).await
    }
}
