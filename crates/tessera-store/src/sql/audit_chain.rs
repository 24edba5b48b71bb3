//! Appending audit events to the hash chain inside a commit's transaction.

use sqlx::{Transaction, query, query_as};
use tessera_core::audit::{AuditDraft, seal};
use tessera_core::secret::SecretHash;
use tessera_core::time::UnixTime;

use super::Sql;
use super::driver::Driver;
use super::error::map_err;
use super::rows::AuditHeadRow;
use crate::StoreError;

impl<DB: Driver> Sql<'_, DB> {
    /// Appends one event to the chain. The first event of a transaction takes the head row
    /// (`head` is `None`), which serializes writers of the chain; [`commit`](super::commit)
    /// writes the head back once at the end.
    pub async fn append_audit(
        tx: &mut Transaction<'static, DB>,
        draft: &AuditDraft,
        head: &mut Option<(i64, SecretHash)>,
        at: UnixTime,
    ) -> Result<(), StoreError> {
        let (last_seq, last_hash) = match head {
            Some(h) => *h,
            None => {
                let row: AuditHeadRow =
                    query_as("UPDATE audit_head SET last_seq = last_seq WHERE id = 1 RETURNING last_seq, last_hash")
                        .fetch_one(&mut **tx)
                        .await
                        .map_err(map_err)?;
                row.try_into()?
            }
        };
        let ev = seal(last_hash, last_seq + 1, at, draft.clone());
        query(
            "INSERT INTO audit_events (seq, at, corp_id, actor, action, target, detail, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(ev.seq)
        .bind(ev.at.0)
        .bind(ev.draft.corp_id.as_ref().map(|c| c.as_str()))
        .bind(&ev.draft.actor)
        .bind(ev.draft.action.as_str())
        .bind(&ev.draft.target)
        .bind(&ev.draft.detail)
        .bind(ev.prev_hash.to_hex())
        .bind(ev.hash.to_hex())
        .execute(&mut **tx)
        .await
        .map_err(map_err)?;
        *head = Some((ev.seq, ev.hash));
        Ok(())
    }
}
