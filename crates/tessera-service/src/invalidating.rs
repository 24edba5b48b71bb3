//! A store decorator that drops this node's caches after every commit, as far as
//! [`Invalidation::of`] the committed changes says: the one place the service decides which
//! caches a write makes stale (the store announces the same changes to the other nodes).
//! It sits under [`crate::group_commit::GroupCommit`], so the caches are dropped in the
//! writer task, after each batch and before its callers are answered, even when the request
//! that started a write is cancelled.

use std::sync::Arc;

use async_trait::async_trait;
use tessera_core::change::{Change, Invalidation};
use tessera_core::time::UnixTime;
use tessera_store::{Store, StoreError};

use crate::cache::Caches;
use crate::store_decorator::Decorator;

pub struct Invalidating(pub Arc<dyn Store>, pub Arc<Caches>);

#[async_trait]
impl Decorator for Invalidating {
    fn inner(&self) -> &Arc<dyn Store> {
        &self.0
    }

    async fn commit(&self, changes: &[Change], at: UnixTime) -> Result<(), StoreError> {
        let result = self.0.commit(changes, at).await;
        // Also after an error: a failed COMMIT may still have been applied.
        self.1.invalidate(Invalidation::of(changes));
        if changes.iter().any(crate::sample_reads::alters_sample) {
            self.1.invalidate_sample();
        }
        // A token minted here is no longer missing (before its caller can hand it out).
        for change in changes {
            if let Change::InsertToken(t) = change {
                self.1.missing.remove(&t.hash);
            }
        }
        result
    }
}
