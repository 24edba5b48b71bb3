//! [`Store`] and [`SampleData`] for every [`Backend`]: each method runs the shared query
//! of the same name on the backend's pool (see [`Sql`]).

use async_trait::async_trait;
use tessera_core::app::App;
use tessera_core::audit::AuditEvent;
use tessera_core::change::Change;
use tessera_core::consent::Consent;
use tessera_core::device::DeviceAuthorization;
use tessera_core::document::Document;
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

use super::driver::Driver;
use super::error::map_err;
use super::{Backend, Sql};
use crate::{AuditFilter, Department, DeviceLookup, Purged, SampleData, Store, StoreError, StoredUser};

fn sql<B: Backend>(backend: &B) -> Sql<'_, B::Db> {
    Sql::new(backend.pool())
}

#[async_trait]
impl<B, DB> Store for B
where
    B: Backend<Db = DB>,
    DB: Driver,
{
    async fn commit(&self, changes: &[Change], at: UnixTime) -> Result<(), StoreError> {
        Sql::new(self.write_pool()).commit(changes, at, self.grant_notice()).await
    }
    async fn scopes(&self) -> Result<Vec<Scope>, StoreError> {
        sql(self).scopes().await
    }
    async fn org(&self, corp_id: &CorpId) -> Result<Option<Org>, StoreError> {
        sql(self).org(corp_id).await
    }
    async fn user(&self, union_id: &UnionId) -> Result<Option<StoredUser>, StoreError> {
        sql(self).user(union_id).await
    }
    async fn member(&self, corp_id: &CorpId, user_id: &UserId) -> Result<Option<Member>, StoreError> {
        sql(self).member(corp_id, user_id).await
    }
    async fn member_by_union(&self, corp_id: &CorpId, union_id: &UnionId) -> Result<Option<Member>, StoreError> {
        sql(self).member_by_union(corp_id, union_id).await
    }
    async fn app(&self, client_id: &ClientId) -> Result<Option<App>, StoreError> {
        sql(self).app(client_id).await
    }
    async fn permissions(&self, client_id: &ClientId) -> Result<Vec<PermissionRequest>, StoreError> {
        sql(self).permissions(client_id).await
    }
    async fn installation(&self, client_id: &ClientId, corp_id: &CorpId) -> Result<Option<Installation>, StoreError> {
        sql(self).installation(client_id, corp_id).await
    }
    async fn installations(&self, client_id: &ClientId) -> Result<Vec<Installation>, StoreError> {
        sql(self).installations(client_id).await
    }
    async fn org_grants(&self, client_id: &ClientId, corp_id: &CorpId) -> Result<Vec<OrgGrant>, StoreError> {
        sql(self).org_grants(client_id, corp_id).await
    }
    async fn token(&self, hash: &TokenHash) -> Result<Option<AccessToken>, StoreError> {
        sql(self).token(hash).await
    }
    async fn audit_events(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>, StoreError> {
        sql(self).audit_events(filter).await
    }
    async fn memberships_of(&self, union_id: &UnionId) -> Result<Vec<Member>, StoreError> {
        sql(self).memberships_of(union_id).await
    }
    async fn consent(&self, union_id: &UnionId, client_id: &ClientId) -> Result<Option<Consent>, StoreError> {
        sql(self).consent(union_id, client_id).await
    }
    async fn consents_of(&self, union_id: &UnionId) -> Result<Vec<Consent>, StoreError> {
        sql(self).consents_of(union_id).await
    }
    async fn auth_code(&self, hash: &TokenHash) -> Result<Option<(AuthCode, bool)>, StoreError> {
        sql(self).auth_code(hash).await
    }
    async fn claim_auth_code(&self, hash: &TokenHash, now: UnixTime) -> Result<Claim<AuthCode>, StoreError> {
        sql(self).claim_auth_code(hash, now).await
    }
    async fn claim_refresh_token(&self, hash: &TokenHash, now: UnixTime) -> Result<Claim<RefreshToken>, StoreError> {
        sql(self).claim_refresh_token(hash, now).await
    }
    async fn refresh_token(&self, hash: &TokenHash) -> Result<Option<(RefreshToken, bool)>, StoreError> {
        sql(self).refresh_token(hash).await
    }
    async fn refresh_token_used(&self, hash: &TokenHash) -> Result<Option<bool>, StoreError> {
        sql(self).refresh_token_used(hash).await
    }
    async fn session(&self, hash: &TokenHash) -> Result<Option<Session>, StoreError> {
        sql(self).session(hash).await
    }
    async fn pending_requests(&self) -> Result<Vec<PermissionRequest>, StoreError> {
        sql(self).pending_requests().await
    }
    async fn revoked_grants(&self, client_id: &ClientId, corp_id: &CorpId) -> Result<Vec<RevokedGrant>, StoreError> {
        sql(self).revoked_grants(client_id, corp_id).await
    }
    async fn members_of(&self, corp_id: &CorpId) -> Result<Vec<Member>, StoreError> {
        sql(self).members_of(corp_id).await
    }
    async fn installations_in(&self, corp_id: &CorpId) -> Result<Vec<Installation>, StoreError> {
        sql(self).installations_in(corp_id).await
    }
    async fn grant_changes(&self) -> Result<Option<tokio::sync::mpsc::Receiver<()>>, StoreError> {
        Backend::grant_changes(self).await
    }
    async fn purge_expired(&self, now: UnixTime, codes_before: UnixTime) -> Result<Purged, StoreError> {
        sql(self).purge_expired(now, codes_before).await
    }
    async fn ready(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(self.pool()).await.map_err(map_err)?;
        self.listening_ready()
    }
    fn listen_reconnects(&self) -> u64 {
        self.listen_reconnect_count()
    }
    async fn suite_ticket(&self, client_id: &ClientId) -> Result<Option<SuiteTicket>, StoreError> {
        sql(self).suite_ticket(client_id).await
    }
    async fn suite_tickets(&self) -> Result<Vec<SuiteTicket>, StoreError> {
        sql(self).suite_tickets().await
    }
    async fn apps_owned_by(&self, corp_id: &CorpId) -> Result<Vec<App>, StoreError> {
        sql(self).apps_owned_by(corp_id).await
    }
    async fn previous_secrets(&self, client_id: &ClientId) -> Result<Vec<(SecretHash, UnixTime)>, StoreError> {
        sql(self).previous_secrets(client_id).await
    }
    async fn device_authorization(&self, by: &DeviceLookup) -> Result<Option<DeviceAuthorization>, StoreError> {
        sql(self).device_authorization(by).await
    }
    async fn oidc_client(&self, client_id: &ClientId) -> Result<Option<tessera_core::oidc::OidcClient>, StoreError> {
        sql(self).oidc_client(client_id).await
    }
    async fn user_profile(&self, union_id: &UnionId) -> Result<Option<tessera_core::oidc::UserProfile>, StoreError> {
        sql(self).user_profile(union_id).await
    }
    async fn signing_keys(&self) -> Result<Vec<tessera_core::signing_key::StoredSigningKey>, StoreError> {
        sql(self).signing_keys().await
    }
}

#[async_trait]
impl<B, DB> SampleData for B
where
    B: Backend<Db = DB>,
    DB: Driver,
{
    async fn documents(&self, corp_id: &CorpId) -> Result<Vec<Document>, StoreError> {
        sql(self).documents(corp_id).await
    }
    async fn department(&self, corp_id: &CorpId, dept_id: i64) -> Result<Option<Department>, StoreError> {
        sql(self).department(corp_id, dept_id).await
    }
    async fn create_department(&self, corp_id: &CorpId, name: &str, parent_id: i64) -> Result<i64, StoreError> {
        sql(self).create_department(corp_id, name, parent_id).await
    }
    async fn update_member_profile(
        &self,
        corp_id: &CorpId,
        user_id: &UserId,
        name: Option<&str>,
        title: Option<&str>,
    ) -> Result<bool, StoreError> {
        sql(self).update_member_profile(corp_id, user_id, name, title).await
    }
}
