//! A store decorator that runs every write on its own task, so a write always runs to its end
//! even when the request that started it is cancelled (the client hung up and the server
//! dropped the handler's future). Without it, a cancellation while a transaction begins can
//! leave a pooled PostgreSQL connection inside an open transaction, and later statements on
//! that connection would run in it (sqlx 0.8.6, launchbadge/sqlx#4393).

use std::sync::Arc;

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
use tessera_store::{AuditFilter, Department, DeviceLookup, Store, StoreError, StoredUser};

pub struct Detached(pub Arc<dyn Store>);

/// Runs `f` on the store in a task of its own and waits for it.
async fn detached<T, F, Fut>(store: &Arc<dyn Store>, f: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: std::future::Future<Output = Result<T, StoreError>> + Send + 'static,
{
    tokio::spawn(f(store.clone())).await.map_err(|e| StoreError::Backend(format!("store task failed: {e}")))?
}

/// `impl Store` for a wrapper whose field `.0` is the wrapped store: the given write methods,
/// and reads, which hold no transaction and go straight through.
macro_rules! store_wrapper {
    ($ty:ty, { $($writes:tt)* }) => {
        #[async_trait]
        impl Store for $ty {
            $($writes)*
        async fn scopes(&self) -> Result<Vec<Scope>, StoreError> {
            self.0.scopes().await
        }
        async fn org(&self, corp_id: &CorpId) -> Result<Option<Org>, StoreError> {
            self.0.org(corp_id).await
        }
        async fn user(&self, union_id: &UnionId) -> Result<Option<StoredUser>, StoreError> {
            self.0.user(union_id).await
        }
        async fn member(&self, corp_id: &CorpId, user_id: &UserId) -> Result<Option<Member>, StoreError> {
            self.0.member(corp_id, user_id).await
        }
        async fn member_by_union(&self, corp_id: &CorpId, union_id: &UnionId) -> Result<Option<Member>, StoreError> {
            self.0.member_by_union(corp_id, union_id).await
        }
        async fn app(&self, client_id: &ClientId) -> Result<Option<App>, StoreError> {
            self.0.app(client_id).await
        }
        async fn permissions(&self, client_id: &ClientId) -> Result<Vec<PermissionRequest>, StoreError> {
            self.0.permissions(client_id).await
        }
        async fn installations(&self, client_id: &ClientId) -> Result<Vec<Installation>, StoreError> {
            self.0.installations(client_id).await
        }
        async fn org_grants(&self, client_id: &ClientId, corp_id: &CorpId) -> Result<Vec<OrgGrant>, StoreError> {
            self.0.org_grants(client_id, corp_id).await
        }
        async fn token(&self, hash: &TokenHash) -> Result<Option<AccessToken>, StoreError> {
            self.0.token(hash).await
        }
        async fn audit_events(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>, StoreError> {
            self.0.audit_events(filter).await
        }
        async fn memberships_of(&self, union_id: &UnionId) -> Result<Vec<Member>, StoreError> {
            self.0.memberships_of(union_id).await
        }
        async fn consent(&self, union_id: &UnionId, client_id: &ClientId) -> Result<Option<Consent>, StoreError> {
            self.0.consent(union_id, client_id).await
        }
        async fn consents_of(&self, union_id: &UnionId) -> Result<Vec<Consent>, StoreError> {
            self.0.consents_of(union_id).await
        }
        async fn refresh_token(&self, hash: &TokenHash) -> Result<Option<(RefreshToken, bool)>, StoreError> {
            self.0.refresh_token(hash).await
        }
        async fn session(&self, hash: &TokenHash) -> Result<Option<Session>, StoreError> {
            self.0.session(hash).await
        }
        async fn documents(&self, corp_id: &CorpId) -> Result<Vec<Document>, StoreError> {
            self.0.documents(corp_id).await
        }
        async fn pending_requests(&self) -> Result<Vec<PermissionRequest>, StoreError> {
            self.0.pending_requests().await
        }
        async fn revoked_grants(
            &self,
            client_id: &ClientId,
            corp_id: &CorpId,
        ) -> Result<Vec<RevokedGrant>, StoreError> {
            self.0.revoked_grants(client_id, corp_id).await
        }
        async fn members_of(&self, corp_id: &CorpId) -> Result<Vec<Member>, StoreError> {
            self.0.members_of(corp_id).await
        }
        async fn installations_in(&self, corp_id: &CorpId) -> Result<Vec<Installation>, StoreError> {
            self.0.installations_in(corp_id).await
        }
        async fn grant_changes(&self) -> Result<Option<tokio::sync::mpsc::Receiver<()>>, StoreError> {
            self.0.grant_changes().await
        }
        async fn department(&self, corp_id: &CorpId, dept_id: i64) -> Result<Option<Department>, StoreError> {
            self.0.department(corp_id, dept_id).await
        }
        async fn suite_ticket(&self, client_id: &ClientId) -> Result<Option<SuiteTicket>, StoreError> {
            self.0.suite_ticket(client_id).await
        }
        async fn suite_tickets(&self) -> Result<Vec<SuiteTicket>, StoreError> {
            self.0.suite_tickets().await
        }
        async fn apps_owned_by(&self, corp_id: &CorpId) -> Result<Vec<App>, StoreError> {
            self.0.apps_owned_by(corp_id).await
        }
        async fn previous_secrets(&self, client_id: &ClientId) -> Result<Vec<(SecretHash, UnixTime)>, StoreError> {
            self.0.previous_secrets(client_id).await
        }
        async fn device_authorization(&self, by: &DeviceLookup) -> Result<Option<DeviceAuthorization>, StoreError> {
            self.0.device_authorization(by).await
        }
        }
    };
}

store_wrapper!(Detached, {
    async fn commit(&self, changes: &[Change], at: UnixTime) -> Result<(), StoreError> {
        let changes = changes.to_vec();
        detached(&self.0, move |s| async move { s.commit(&changes, at).await }).await
    }

    async fn claim_auth_code(&self, hash: &TokenHash, now: UnixTime) -> Result<Claim<AuthCode>, StoreError> {
        let hash = *hash;
        detached(&self.0, move |s| async move { s.claim_auth_code(&hash, now).await }).await
    }

    async fn claim_refresh_token(&self, hash: &TokenHash, now: UnixTime) -> Result<Claim<RefreshToken>, StoreError> {
        let hash = *hash;
        detached(&self.0, move |s| async move { s.claim_refresh_token(&hash, now).await }).await
    }

    async fn purge_expired(&self, now: UnixTime, codes_before: UnixTime) -> Result<tessera_store::Purged, StoreError> {
        detached(&self.0, move |s| async move { s.purge_expired(now, codes_before).await }).await
    }

    async fn create_department(&self, corp_id: &CorpId, name: &str, parent_id: i64) -> Result<i64, StoreError> {
        let (corp_id, name) = (corp_id.clone(), name.to_owned());
        detached(&self.0, move |s| async move { s.create_department(&corp_id, &name, parent_id).await }).await
    }

    async fn update_member_profile(
        &self,
        corp_id: &CorpId,
        user_id: &UserId,
        name: Option<&str>,
        title: Option<&str>,
    ) -> Result<bool, StoreError> {
        let (corp_id, user_id) = (corp_id.clone(), user_id.clone());
        let (name, title) = (name.map(String::from), title.map(String::from));
        detached(&self.0, move |s| async move {
            s.update_member_profile(&corp_id, &user_id, name.as_deref(), title.as_deref()).await
        })
        .await
    }
});

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tessera_core::audit::{AuditAction, AuditDraft};
    use tessera_store_sqlite::SqliteStore;

    use super::*;

    /// A store whose writes take a while to begin, like a slow `BEGIN`.
    struct SlowWrites(Arc<dyn Store>);

    store_wrapper!(SlowWrites, {
        async fn commit(&self, changes: &[Change], at: UnixTime) -> Result<(), StoreError> {
            tokio::time::sleep(Duration::from_millis(50)).await;
            self.0.commit(changes, at).await
        }
        async fn claim_auth_code(&self, hash: &TokenHash, now: UnixTime) -> Result<Claim<AuthCode>, StoreError> {
            self.0.claim_auth_code(hash, now).await
        }
        async fn claim_refresh_token(
            &self,
            hash: &TokenHash,
            now: UnixTime,
        ) -> Result<Claim<RefreshToken>, StoreError> {
            self.0.claim_refresh_token(hash, now).await
        }
        async fn purge_expired(
            &self,
            now: UnixTime,
            codes_before: UnixTime,
        ) -> Result<tessera_store::Purged, StoreError> {
            self.0.purge_expired(now, codes_before).await
        }
        async fn create_department(&self, corp_id: &CorpId, name: &str, parent_id: i64) -> Result<i64, StoreError> {
            self.0.create_department(corp_id, name, parent_id).await
        }
        async fn update_member_profile(
            &self,
            corp_id: &CorpId,
            user_id: &UserId,
            name: Option<&str>,
            title: Option<&str>,
        ) -> Result<bool, StoreError> {
            self.0.update_member_profile(corp_id, user_id, name, title).await
        }
    });

    fn event() -> Change {
        Change::Audit(AuditDraft {
            corp_id: None,
            actor: "test".into(),
            action: AuditAction::ScopeDefined,
            target: "t".into(),
            detail: String::new(),
        })
    }

    async fn events(store: &Arc<dyn Store>) -> usize {
        store.audit_events(&AuditFilter { limit: 10, ..AuditFilter::default() }).await.unwrap().len()
    }

    #[tokio::test]
    async fn a_write_whose_caller_is_cancelled_still_runs_to_its_end() {
        let inner: Arc<dyn Store> = Arc::new(SqliteStore::connect("sqlite::memory:").await.unwrap());
        let detached = Detached(Arc::new(SlowWrites(inner.clone())));
        let cancelled = tokio::time::timeout(Duration::from_millis(5), detached.commit(&[event()], UnixTime(1))).await;
        assert!(cancelled.is_err(), "the caller gave up first");
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(events(&inner).await, 1, "the write finished without its caller");
    }

    #[tokio::test]
    async fn without_it_the_same_cancellation_cuts_the_write_short() {
        // The control: what the decorator prevents.
        let inner: Arc<dyn Store> = Arc::new(SqliteStore::connect("sqlite::memory:").await.unwrap());
        let slow = SlowWrites(inner.clone());
        let cancelled = tokio::time::timeout(Duration::from_millis(5), slow.commit(&[event()], UnixTime(1))).await;
        assert!(cancelled.is_err());
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(events(&inner).await, 0);
    }
}
