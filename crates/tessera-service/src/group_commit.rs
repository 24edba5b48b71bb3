//! Group commit: a store decorator that applies the commits arriving together in one
//! transaction. A single writer task takes the first queued commit, and with it every commit
//! already waiting (with the same time, up to [`MAX_MEMBERS`] commits and [`MAX_CHANGES`]
//! changes); it commits them as one list of changes, then answers each caller. So under
//! load a batch forms while the previous one commits, and alone a commit waits for nothing.
//!
//! - **Acknowledged means committed**: a caller hears `Ok` only after its batch's `COMMIT`
//!   returned, so an acknowledged write survives the process being killed.
//! - **A failing change fails only its own caller**: when a batch fails in a way that rolled
//!   it back (a conflict, a constraint, a bad row), it is split in halves and each half is
//!   committed again the same way, down to the failing member alone, which gets its error. When the database was unreachable or the connection broke (whether
//!   the `COMMIT` happened is unknown), every member gets that error and nothing is repeated.
//! - **Same order, same chain**: members are applied in arrival order in one transaction, so
//!   audit events chain exactly as they would have one transaction after another.
//!
//! Only [`Store::commit`] is batched. The single-use claims of the code exchange and the
//! refresh grant are changes of the commit that stores what they give
//! ([`Change::ClaimAuthCode`], [`Change::ClaimRefreshToken`]), so they are batched too: a
//! claim that loses is a conflict, its batch is split as above, and only its caller fails.
//! The other writes outside `commit` keep their own transactions.

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use tessera_core::change::Change;
use tessera_core::time::UnixTime;
use tessera_store::{Store, StoreError};
use tokio::sync::{mpsc, oneshot};

use crate::store_decorator::Decorator;

/// The most commits in one transaction.
pub const MAX_MEMBERS: usize = 256;
/// No more commits join a batch once it holds this many changes.
pub const MAX_CHANGES: usize = 2_048;
/// Commits waiting for the writer; callers beyond it wait to enqueue (back-pressure).
const QUEUE: usize = 1_024;

/// One caller's commit, waiting for its batch.
struct Pending {
    changes: Vec<Change>,
    at: UnixTime,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// The decorator: commits go through one writer task (started on the first commit, inside
/// the runtime), everything else straight to the store.
pub struct GroupCommit(Arc<dyn Store>, OnceLock<mpsc::Sender<Pending>>);

impl GroupCommit {
    pub fn new(store: Arc<dyn Store>) -> Self {
        GroupCommit(store, OnceLock::new())
    }

    fn queue(&self) -> &mpsc::Sender<Pending> {
        self.1.get_or_init(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            tokio::spawn(writer(self.0.clone(), rx));
            tx
        })
    }

    async fn enqueue(&self, changes: &[Change], at: UnixTime) -> Result<(), StoreError> {
        let (done, answer) = oneshot::channel();
        let pending = Pending { changes: changes.to_vec(), at, done };
        if self.queue().send(pending).await.is_err() {
            return Err(StoreError::Backend("the store's writer stopped".into()));
        }
        answer.await.map_err(|_| StoreError::Backend("the store's writer stopped before answering".into()))?
    }
}

/// Takes batches off the queue until every sender is gone.
async fn writer(store: Arc<dyn Store>, mut queue: mpsc::Receiver<Pending>) {
    // A commit with another time than the batch's waits for the next batch.
    let mut held: Option<Pending> = None;
    loop {
        let first = match held.take() {
            Some(p) => p,
            None => match queue.recv().await {
                Some(p) => p,
                None => return,
            },
        };
        let at = first.at;
        let mut changes = first.changes.len();
        let mut batch = vec![first];
        while batch.len() < MAX_MEMBERS && changes < MAX_CHANGES {
            match queue.try_recv() {
                Ok(p) if p.at == at => {
                    changes += p.changes.len();
                    batch.push(p);
                }
                Ok(p) => {
                    held = Some(p);
                    break;
                }
                Err(_) => break,
            }
        }
        if let Some(e) = run(&*store, batch, at).await {
            // The database was just found unreachable: what queued meanwhile fails now with
            // the same answer instead of waiting out a second connection timeout (never tried,
            // so nothing of it was applied).
            for p in held.take().into_iter().chain(std::iter::from_fn(|| queue.try_recv().ok())) {
                let _ = p.done.send(Err(same(&e)));
            }
        }
    }
}

/// Commits `batch` as one transaction and answers each member. A batch that failed and was
/// rolled back is split in halves, each committed again the same way, so one bad change
/// costs its batch about two transactions per halving and fails only its own caller.
/// Returns the error when the database was unreachable.
async fn run(store: &dyn Store, batch: Vec<Pending>, at: UnixTime) -> Option<StoreError> {
    let mut all = Vec::with_capacity(batch.iter().map(|p| p.changes.len()).sum());
    let mut members = Vec::with_capacity(batch.len());
    for p in batch {
        let start = all.len();
        all.extend(p.changes);
        members.push((start..all.len(), Some(p.done)));
    }
    // Groups of members still to commit, the earliest on top: arrival order is kept.
    let mut unreachable = None;
    let mut groups = Vec::with_capacity(16);
    groups.push(0..members.len());
    while let Some(group) = groups.pop() {
        let changes = members[group.start].0.start..members[group.end - 1].0.end;
        let result = store.commit(&all[changes], at).await;
        let error = match result {
            Ok(()) => None,
            // Whether it committed is unknown: repeating a member could apply it twice.
            Err(e) if e.is_unavailable() => {
                unreachable = Some(same(&e));
                Some(e)
            }
            Err(e) if group.len() == 1 => Some(e),
            // Rolled back: each half again.
            Err(e) => {
                tracing::debug!(error = %e, members = group.len(), "a batched commit failed; splitting it");
                let mid = group.start + group.len() / 2;
                groups.push(mid..group.end);
                groups.push(group.start..mid);
                continue;
            }
        };
        for (_, done) in &mut members[group] {
            if let Some(done) = done.take() {
                let _ = done.send(match &error {
                    None => Ok(()),
                    Some(e) => Err(same(e)),
                });
            }
        }
    }
    unreachable
}

/// The same error again, for another member of the batch.
fn same(e: &StoreError) -> StoreError {
    match e {
        StoreError::Conflict(m) => StoreError::Conflict(m.clone()),
        StoreError::NotFound(m) => StoreError::NotFound(m.clone()),
        StoreError::Corrupt(m) => StoreError::Corrupt(m.clone()),
        StoreError::Unavailable(m) => StoreError::Unavailable(m.clone()),
        StoreError::Interrupted(m) => StoreError::Interrupted(m.clone()),
        StoreError::Backend(m) => StoreError::Backend(m.clone()),
    }
}

#[async_trait]
impl Decorator for GroupCommit {
    fn inner(&self) -> &Arc<dyn Store> {
        &self.0
    }

    async fn commit(&self, changes: &[Change], at: UnixTime) -> Result<(), StoreError> {
        self.enqueue(changes, at).await
    }
}
