//! A store decorator that runs every write on its own task (commits on group commit's writer
//! task, the others on one spawned here), so a write always runs to its end
//! even when the request that started it is cancelled (the client hung up and the server
//! dropped the handler's future). Without it, a cancellation while a transaction begins can
//! leave a pooled PostgreSQL connection inside an open transaction, and later statements on
//! that connection would run in it (sqlx 0.8.6, launchbadge/sqlx#4393).

use std::sync::Arc;

use async_trait::async_trait;
use tessera_core::change::Change;
use tessera_core::document::Document;
use tessera_core::grant_code::AuthCode;
use tessera_core::ids::{CorpId, UserId};
use tessera_core::refresh::{Claim, RefreshToken};
use tessera_core::secret::TokenHash;
use tessera_core::time::UnixTime;
use tessera_store::{Department, Purged, SampleData, Store, StoreError};

use crate::store_decorator::Decorator;

/// Writes on their own task, reads retried once (the outermost decorator of the store).
pub struct Detached(pub Arc<dyn Store>);

/// Runs `f` on `inner` in a task of its own and waits for it.
async fn detached<S, T, F, Fut>(inner: &Arc<S>, f: F) -> Result<T, StoreError>
where
    S: ?Sized,
    T: Send + 'static,
    F: FnOnce(Arc<S>) -> Fut,
    Fut: std::future::Future<Output = Result<T, StoreError>> + Send + 'static,
{
    tokio::spawn(f(inner.clone())).await.map_err(|e| StoreError::Backend(format!("store task failed: {e}")))?
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

#[async_trait]
impl Decorator for Detached {
    fn inner(&self) -> &Arc<dyn Store> {
        &self.0
    }

    async fn read<T, F, Fut>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send,
        F: Fn() -> Fut + Send + Sync,
        Fut: std::future::Future<Output = Result<T, StoreError>> + Send,
    {
        read(f).await
    }

    /// Not spawned: the store under this one is [`crate::group_commit::GroupCommit`], whose
    /// writer task applies a commit (and drops the caches it makes stale) once it is queued,
    /// whether or not its caller still waits.
    async fn commit(&self, changes: &[Change], at: UnixTime) -> Result<(), StoreError> {
        self.0.commit(changes, at).await
    }

    async fn claim_auth_code(&self, hash: &TokenHash, now: UnixTime) -> Result<Claim<AuthCode>, StoreError> {
        let hash = *hash;
        detached(&self.0, move |s| async move { s.claim_auth_code(&hash, now).await }).await
    }

    async fn claim_refresh_token(&self, hash: &TokenHash, now: UnixTime) -> Result<Claim<RefreshToken>, StoreError> {
        let hash = *hash;
        detached(&self.0, move |s| async move { s.claim_refresh_token(&hash, now).await }).await
    }

    async fn purge_expired(&self, now: UnixTime, codes_before: UnixTime) -> Result<Purged, StoreError> {
        detached(&self.0, move |s| async move { s.purge_expired(now, codes_before).await }).await
    }
}

/// The sample API's data the same way: writes on their own task, reads retried once.
pub struct DetachedSample(pub Arc<dyn SampleData>);

#[async_trait]
impl SampleData for DetachedSample {
    async fn documents(&self, corp_id: &CorpId) -> Result<Vec<Document>, StoreError> {
        read(|| self.0.documents(corp_id)).await
    }

    async fn department(&self, corp_id: &CorpId, dept_id: i64) -> Result<Option<Department>, StoreError> {
        read(|| self.0.department(corp_id, dept_id)).await
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
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use tessera_core::audit::{AuditAction, AuditDraft};
    use tessera_store::AuditFilter;
    use tessera_store_sqlite::SqliteStore;

    use super::*;
    use crate::store_decorator::Decorated;

    /// A store whose writes take a while to begin, like a slow `BEGIN`.
    struct SlowWrites(Arc<dyn Store>);

    #[async_trait]
    impl Decorator for SlowWrites {
        fn inner(&self) -> &Arc<dyn Store> {
            &self.0
        }

        async fn commit(&self, changes: &[Change], at: UnixTime) -> Result<(), StoreError> {
            tokio::time::sleep(Duration::from_millis(50)).await;
            self.0.commit(changes, at).await
        }
    }

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
        // As the service stacks them: a commit is detached by group commit's writer task.
        let inner: Arc<dyn Store> = Arc::new(SqliteStore::connect("sqlite::memory:").await.unwrap());
        let slow: Arc<dyn Store> = Arc::new(Decorated(SlowWrites(inner.clone())));
        let batched: Arc<dyn Store> = Arc::new(Decorated(crate::group_commit::GroupCommit::new(slow)));
        let detached = Decorated(Detached(batched));
        let cancelled = tokio::time::timeout(Duration::from_millis(5), detached.commit(&[event()], UnixTime(1))).await;
        assert!(cancelled.is_err(), "the caller gave up first");
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(events(&inner).await, 1, "the write finished without its caller");
    }

    #[tokio::test]
    async fn without_it_the_same_cancellation_cuts_the_write_short() {
        // The control: what the decorator prevents.
        let inner: Arc<dyn Store> = Arc::new(SqliteStore::connect("sqlite::memory:").await.unwrap());
        let slow = Decorated(SlowWrites(inner.clone()));
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
