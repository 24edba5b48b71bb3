//! [`Store::commit`](crate::Store::commit): a batch of changes in one transaction, all or
//! nothing. A batch of token writes only goes several rows per statement
//! ([`bulk`](super::bulk)); otherwise each change is applied by [`changes`](super::changes); audit events among them
//! extend the hash chain, whose head is written back once; a batch that changes grants
//! tells the other nodes (the backend's grant notice) inside the same transaction.

use sqlx::query;
use tessera_core::change::Change;
use tessera_core::time::UnixTime;

use super::Sql;
use super::bulk::Bulk;
use super::driver::Driver;
use super::error::map_err;
use crate::StoreError;

impl<DB: Driver> Sql<'_, DB> {
    /// Applies `changes` at time `at` in one transaction; `grant_notice` is run in it when
    /// any change can alter an authorization decision.
    pub async fn commit(&self, changes: &[Change], at: UnixTime, grant_notice: Option<&str>) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let mut head = None;
        match Bulk::of(changes) {
            Some(bulk) => Self::apply_bulk(&mut tx, &bulk, at).await?,
            None => {
                for change in changes {
                    Self::apply(&mut tx, change, &mut head, at).await?;
                }
            }
        }
        if let Some(notice) = grant_notice
            && changes.iter().any(changes_grants)
        {
            query(notice).execute(&mut *tx).await.map_err(map_err)?;
        }
        if let Some((seq, hash)) = head {
            query("UPDATE audit_head SET last_seq = $1, last_hash = $2 WHERE id = 1")
                .bind(seq)
                .bind(hash.to_hex())
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        tx.commit().await.map_err(map_err)
    }
}

/// Whether a change can alter an authorization decision (caches on every node must drop it):
/// [`Change::invalidates`] decides.
pub fn changes_grants(change: &Change) -> bool {
    change.invalidates().is_needed()
}
