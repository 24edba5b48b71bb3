//! Group commit over a real SQLite store: concurrent commits share transactions, each
//! caller is answered after its batch committed, and a change that fails in a batch fails
//! only its own caller.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use tessera_core::audit::{AuditAction, AuditDraft};
use tessera_core::change::Change;
use tessera_core::ids::CorpId;
use tessera_core::org::Org;
use tessera_core::time::UnixTime;
use tessera_store::{AuditFilter, Store, StoreError};
use tessera_store_sqlite::SqliteStore;

use crate::group_commit::GroupCommit;
use crate::store_decorator::{Decorated, Decorator};

/// Counts the transactions that reach the store.
struct Counting(Arc<dyn Store>, Arc<AtomicUsize>);

#[async_trait]
impl Decorator for Counting {
    fn inner(&self) -> &Arc<dyn Store> {
        &self.0
    }

    async fn commit(&self, changes: &[Change], at: UnixTime) -> Result<(), StoreError> {
        self.1.fetch_add(1, Ordering::SeqCst);
        self.0.commit(changes, at).await
    }
}

fn event(n: usize) -> Change {
    Change::Audit(AuditDraft {
        corp_id: None,
        actor: "test".into(),
        action: AuditAction::ScopeDefined,
        target: format!("writer:{n}"),
        detail: String::new(),
    })
}

/// An org; the same id from two writers is a unique-key conflict in the batch.
fn org(id: &str) -> Change {
    Change::InsertOrg(Org { corp_id: CorpId::parse(id).unwrap(), name: id.into(), verified: false })
}

async fn store() -> (Arc<dyn Store>, Arc<AtomicUsize>) {
    let dir = std::env::temp_dir().join(format!("tessera-group-{:x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    let sqlite = SqliteStore::connect(&format!("sqlite://{}", dir.join("t.db").display())).await.unwrap();
    let transactions = Arc::new(AtomicUsize::new(0));
    let counting: Arc<dyn Store> = Arc::new(Decorated(Counting(Arc::new(sqlite), transactions.clone())));
    (Arc::new(Decorated(GroupCommit::new(counting))), transactions)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_commits_share_transactions_and_a_failing_one_fails_alone() {
    let (store, transactions) = store().await;
    const WRITERS: usize = 200;
    let at = UnixTime(1_000_000);
    let mut tasks = Vec::new();
    for n in 0..WRITERS {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            // Writers 7 and 8 insert the same org: exactly one of them must fail.
            let changes = match n {
                7 | 8 => vec![org("shared"), event(n)],
                _ => vec![org(&format!("org{n}")), event(n)],
            };
            (n, store.commit(&changes, at).await)
        }));
    }
    let mut failed = Vec::new();
    for task in tasks {
        let (n, result) = task.await.unwrap();
        if let Err(e) = result {
            assert!(matches!(e, StoreError::Conflict(_)), "writer {n}: {e}");
            failed.push(n);
        }
    }
    assert_eq!(failed.len(), 1, "only one of the two conflicting writers fails: {failed:?}");
    // Every acknowledged writer's event is stored once, and the chain holds them in order.
    let events = store.audit_events(&AuditFilter { limit: 10_000, ..Default::default() }).await.unwrap();
    assert_eq!(events.len(), WRITERS - 1);
    let targets: std::collections::HashSet<_> = events.iter().map(|e| e.draft.target.clone()).collect();
    assert_eq!(targets.len(), WRITERS - 1);
    assert!(!targets.contains(&format!("writer:{}", failed[0])));
    for pair in events.windows(2) {
        assert_eq!(pair[1].seq, pair[0].seq + 1);
        assert_eq!(pair[1].prev_hash, pair[0].hash);
    }
    // Fewer transactions than writers, even counting the retries of the failed batch.
    let used = transactions.load(Ordering::SeqCst);
    assert!(used < WRITERS / 2, "{used} transactions for {WRITERS} concurrent writers");
}
