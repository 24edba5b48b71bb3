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

/// Runs a read, and once more when the connection broke under it (the database restarted):
/// a read changes nothing, and the second try waits for a fresh connection within the acquire
/// timeout. Writes are never repeated: whether a broken commit committed is unknown.
pub(crate) async fn read<T, F, Fut>(f: F) -> Result<T, StoreError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    match f().await {
        Err(StoreError::Interrupted(e)) => {
            tracing::debug!(error = %e, "a read lost its connection; trying once more");
            f().await
        }
        other => other,
    }
}

/// Runs a read once (for wrappers under [`Detached`], which does the retrying).
pub(crate) async fn once<T, Fut>(f: impl Fn() -> Fut) -> Result<T, StoreError>
where
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    f().await
}

/// `impl Store` for a wrapper whose field `.0` is the wrapped store: the given write methods,
/// and reads, which hold no transaction and go straight through, run by `$read` ([`once`]
/// unless given: only the outermost wrapper retries, see [`read`]).
macro_rules! store_wrapper {
    ($ty:ty, { $($writes:tt)* }) => {
        $crate::detached::store_wrapper!($ty, $crate::detached::once, { $($writes)* });
    };
    ($ty:ty, $read:path, { $($writes:tt)* }) => {
        #[async_trait]
        impl Store for $ty {
            $($writes)*
        async fn scopes(&self) -> Result<Vec<Scope>, StoreError> {
            $read(|| self.0.scopes()).await
        }
        async fn org(&self, corp_id: &CorpId) -> Result<Option<Org>, StoreError> {
            $read(|| self.0.org(corp_id)).await
        }
        async fn user(&self, union_id: &UnionId) -> Result<Option<StoredUser>, StoreError> {
            $read(|| self.0.user(union_id)).await
        }
        async fn member(&self, corp_id: &CorpId, user_id: &UserId) -> Result<Option<Member>, StoreError> {
            $read(|| self.0.member(corp_id, user_id)).await
        }
        async fn member_by_union(&self, corp_id: &CorpId, union_id: &UnionId) -> Result<Option<Member>, StoreError> {
            $read(|| self.0.member_by_union(corp_id, union_id)).await
        }
        async fn app(&self, client_id: &ClientId) -> Result<Option<App>, StoreError> {
            $read(|| self.0.app(client_id)).await
        }
        async fn permissions(&self, client_id: &ClientId) -> Result<Vec<PermissionRequest>, StoreError> {
            $read(|| self.0.permissions(client_id)).await
        }
        async fn installations(&self, client_id: &ClientId) -> Result<Vec<Installation>, StoreError> {
            $read(|| self.0.installations(client_id)).await
        }
        async fn org_grants(&self, client_id: &ClientId, corp_id: &CorpId) -> Result<Vec<OrgGrant>, StoreError> {
            $read(|| self.0.org_grants(client_id, corp_id)).await
        }
        async fn token(&self, hash: &TokenHash) -> Result<Option<AccessToken>, StoreError> {
            $read(|| self.0.token(hash)).await
        }
        async fn audit_events(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>, StoreError> {
            $read(|| self.0.audit_events(filter)).await
        }
        async fn memberships_of(&self, union_id: &UnionId) -> Result<Vec<Member>, StoreError> {
            $read(|| self.0.memberships_of(union_id)).await
        }
        async fn consent(&self, union_id: &UnionId, client_id: &ClientId) -> Result<Option<Consent>, StoreError> {
            $read(|| self.0.consent(union_id, client_id)).await
        }
        async fn consents_of(&self, union_id: &UnionId) -> Result<Vec<Consent>, StoreError> {
            $read(|| self.0.consents_of(union_id)).await
        }
        async fn refresh_token(&self, hash: &TokenHash) -> Result<Option<(RefreshToken, bool)>, StoreError> {
            $read(|| self.0.refresh_token(hash)).await
        }
        async fn auth_code(&self, hash: &TokenHash) -> Result<Option<(AuthCode, bool)>, StoreError> {
            self.0.auth_code(hash).await
        }
        async fn session(&self, hash: &TokenHash) -> Result<Option<Session>, StoreError> {
            $read(|| self.0.session(hash)).await
        }
        async fn documents(&self, corp_id: &CorpId) -> Result<Vec<Document>, StoreError> {
            $read(|| self.0.documents(corp_id)).await
        }
        async fn pending_requests(&self) -> Result<Vec<PermissionRequest>, StoreError> {
            $read(|| self.0.pending_requests()).await
        }
        async fn revoked_grants(
            &self,
            client_id: &ClientId,
            corp_id: &CorpId,
        ) -> Result<Vec<RevokedGrant>, StoreError> {
            $read(|| self.0.revoked_grants(client_id, corp_id)).await
        }
        async fn members_of(&self, corp_id: &CorpId) -> Result<Vec<Member>, StoreError> {
            $read(|| self.0.members_of(corp_id)).await
        }
        async fn installations_in(&self, corp_id: &CorpId) -> Result<Vec<Installation>, StoreError> {
            $read(|| self.0.installations_in(corp_id)).await
        }
        async fn grant_changes(&self) -> Result<Option<tokio::sync::mpsc::Receiver<()>>, StoreError> {
            self.0.grant_changes().await
        }
        async fn ready(&self) -> Result<(), StoreError> {
            self.0.ready().await
        }
        async fn department(&self, corp_id: &CorpId, dept_id: i64) -> Result<Option<Department>, StoreError> {
            $read(|| self.0.department(corp_id, dept_id)).await
        }
        async fn suite_ticket(&self, client_id: &ClientId) -> Result<Option<SuiteTicket>, StoreError> {
            $read(|| self.0.suite_ticket(client_id)).await
        }
        async fn suite_tickets(&self) -> Result<Vec<SuiteTicket>, StoreError> {
            $read(|| self.0.suite_tickets()).await
        }
        async fn apps_owned_by(&self, corp_id: &CorpId) -> Result<Vec<App>, StoreError> {
            $read(|| self.0.apps_owned_by(corp_id)).await
        }
        async fn previous_secrets(&self, client_id: &ClientId) -> Result<Vec<(SecretHash, UnixTime)>, StoreError> {
            $read(|| self.0.previous_secrets(client_id)).await
        }
        async fn device_authorization(&self, by: &DeviceLookup) -> Result<Option<DeviceAuthorization>, StoreError> {
            $read(|| self.0.device_authorization(by)).await
        }
        async fn oidc_client(&self, client_id: &ClientId) -> Result<Option<tessera_core::oidc::OidcClient>, StoreError> {
            $read(|| self.0.oidc_client(client_id)).await
        }
        async fn user_profile(&self, union_id: &UnionId) -> Result<Option<tessera_core::oidc::UserProfile>, StoreError> {
            $read(|| self.0.user_profile(union_id)).await
        }
        async fn signing_keys(&self) -> Result<Vec<tessera_core::signing_key::StoredSigningKey>, StoreError> {
            $read(|| self.0.signing_keys()).await
        }
        }
    };
}
pub(crate) use store_wrapper;

store_wrapper!(Detached, read, {
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
    use std::sync::atomic::{AtomicUsize, Ordering};
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

    /// Calls `read` with a read that fails with `first` once, then succeeds; how many calls.
    async fn calls_after(first: StoreError) -> (Result<u8, StoreError>, usize) {
        let calls = AtomicUsize::new(0);
        let first = std::sync::Mutex::new(Some(first));
        let r = read(|| async {
            calls.fetch_add(1, Ordering::SeqCst);
            match first.lock().unwrap().take() {
                Some(e) => Err(e),
                None => Ok(7),
            }
        })
        .await;
        (r, calls.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn a_read_whose_connection_broke_is_tried_once_more_and_nothing_else_is() {
        let (r, calls) = calls_after(StoreError::Interrupted("connection reset".into())).await;
        assert_eq!((r.unwrap(), calls), (7, 2));
        // The pool already waited its acquire timeout: fail fast, do not wait twice.
        let (r, calls) = calls_after(StoreError::Unavailable("pool timed out".into())).await;
        assert!(matches!(r, Err(StoreError::Unavailable(_))) && calls == 1);
        let (r, calls) = calls_after(StoreError::Backend("syntax".into())).await;
        assert!(matches!(r, Err(StoreError::Backend(_))) && calls == 1);
    }
}
