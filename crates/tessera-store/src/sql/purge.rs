//! [`Store::purge_expired`](crate::Store::purge_expired): deleting what can never be used
//! again in batches of at most [`PURGE_BATCH`] rows, each its own short statement, so no
//! purge stalls other writers for long.

use sqlx::{query, query_as};
use tessera_core::time::UnixTime;

use super::Sql;
use super::driver::{Driver, RowsAffected};
use super::error::map_err;
use crate::{PURGE_BATCH, PURGE_MAX_BATCHES, Purged, StoreError};

/// One kind of row the purge deletes in batches: `SELECT key FROM table f WHERE
/// alias_filter LIMIT …`, then `DELETE FROM table f WHERE key IN (…) AND recheck`
/// (`alias_filter` and `recheck` refer to the table as `f`).
#[derive(Debug, Clone, Copy)]
pub struct PurgeKind {
    pub table: &'static str,
    pub key: &'static str,
    pub alias_filter: &'static str,
    pub recheck: &'static str,
}

impl PurgeKind {
    /// Rows of `table` that expired at or before `$1`.
    const fn expired(table: &'static str, key: &'static str) -> Self {
        PurgeKind { table, key, alias_filter: "f.expires_at <= $1", recheck: "" }
    }

    /// Selects up to `$2` keys of rows matching `alias_filter` (with `$1`).
    pub fn select(&self) -> String {
        let PurgeKind { table, key, alias_filter, recheck } = self;
        let recheck = if recheck.is_empty() { String::new() } else { format!(" AND {recheck}") };
        format!("SELECT f.{key} FROM {table} f WHERE {alias_filter}{recheck} LIMIT $2")
    }

    /// Deletes the rows of `count` keys (`$1`…), checking `recheck` again.
    pub fn delete(&self, count: usize) -> String {
        let PurgeKind { table, key, recheck, .. } = self;
        let keys: Vec<String> = (1..=count).map(|i| format!("${i}")).collect();
        let recheck = if recheck.is_empty() { String::new() } else { format!(" AND {recheck}") };
        format!("DELETE FROM {table} AS f WHERE f.{key} IN ({}){recheck}", keys.join(", "))
    }
}

/// Families (started before now) whose tokens, refresh tokens and codes are all gone.
const EMPTY_FAMILIES: PurgeKind = PurgeKind {
    table: "token_families",
    key: "family_id",
    alias_filter: "f.created_at <= $1",
    recheck: "NOT EXISTS (SELECT 1 FROM access_tokens t WHERE t.family_id = f.family_id)
                    AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.family_id = f.family_id)
                    AND NOT EXISTS (SELECT 1 FROM auth_codes c WHERE c.family_id = f.family_id)",
};

impl<DB: Driver> Sql<'_, DB> {
    /// Deletes expired sessions, tokens, previous secrets, device authorizations, codes
    /// expired before `codes_before`, and then families left empty.
    pub async fn purge_expired(&self, now: UnixTime, codes_before: UnixTime) -> Result<Purged, StoreError> {
        // Previous secrets: at most one row per rotation still in its overlap.
        let secrets = query("DELETE FROM previous_secrets WHERE valid_until <= $1")
            .bind(now.0)
            .execute(self.pool)
            .await
            .map_err(map_err)?
            .rows_affected();
        Ok(Purged {
            sessions: self.purge(PurgeKind::expired("sessions", "session_hash"), now.0).await?,
            access_tokens: self.purge(PurgeKind::expired("access_tokens", "token_hash"), now.0).await?,
            refresh_tokens: self.purge(PurgeKind::expired("refresh_tokens", "token_hash"), now.0).await?,
            previous_secrets: secrets,
            device_authorizations: self
                .purge(PurgeKind::expired("device_authorizations", "device_hash"), now.0)
                .await?,
            auth_codes: self.purge(PurgeKind::expired("auth_codes", "code_hash"), codes_before.0).await?,
            token_families: self.purge(EMPTY_FAMILIES, now.0).await?,
        })
    }

    /// Deletes the rows of one kind, `before` bound as `$1`: each batch selects at most
    /// [`PURGE_BATCH`] keys by the expiry index, then deletes them by primary key in one short
    /// statement; at most [`PURGE_MAX_BATCHES`] batches, yielding between them.
    async fn purge(&self, kind: PurgeKind, before: i64) -> Result<u64, StoreError> {
        let mut deleted = 0u64;
        for _ in 0..PURGE_MAX_BATCHES {
            let keys: Vec<(String,)> =
                query_as(&kind.select()).bind(before).bind(PURGE_BATCH).fetch_all(self.pool).await.map_err(map_err)?;
            if keys.is_empty() {
                break;
            }
            let delete = kind.delete(keys.len());
            let mut statement = query(&delete);
            for (key,) in &keys {
                statement = statement.bind(key.as_str());
            }
            deleted += statement.execute(self.pool).await.map_err(map_err)?.rows_affected();
            if keys.len() < PURGE_BATCH.unsigned_abs() as usize {
                break;
            }
            // Let requests waiting for a connection or the write lock go first.
            tokio::task::yield_now().await;
        }
        Ok(deleted)
    }
}
