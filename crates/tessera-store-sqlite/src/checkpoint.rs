//! WAL checkpoints off the write path. By default SQLite checkpoints inside the commit that
//! takes the write-ahead log past 1,000 pages: that commit copies the log back into the
//! database file and syncs both, and the group-commit writer and everyone waiting on it stall
//! meanwhile (a quarter of the minting benchmark's throughput on two cores). Here a task runs
//! a `PASSIVE` checkpoint every [`EVERY`] on a pooled connection instead: it copies what no
//! reader still needs while writers go on committing to the log, and the log starts over
//! from its beginning once everything in it was copied. Durability is unchanged: a commit is
//! in the log when it returns, whoever checkpoints it later.
//!
//! The automatic checkpoint stays as a backstop at [`WAL_BACKSTOP_PAGES`], so the log stays
//! bounded even if this task falls behind or stops.

use std::sync::Weak;
use std::time::Duration;

/// How often the log is checkpointed.
pub const EVERY: Duration = Duration::from_millis(100);

/// Log size (pages of 4 KiB) at which a commit checkpoints by itself: 40 MiB.
pub const WAL_BACKSTOP_PAGES: u32 = 10_000;

/// Checkpoints `pool`'s database every [`EVERY`] until the store is dropped (`alive` gone)
/// or the pool closed.
pub async fn run(pool: sqlx::SqlitePool, alive: Weak<()>) {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if alive.strong_count() == 0 || pool.is_closed() {
            return;
        }
        // Busy (another checkpoint) or locked: the next tick tries again.
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
            tracing::debug!(error = %e, "a WAL checkpoint failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::SqliteStore;

    /// Only a checkpoint moves pages from the WAL into the database file, and the automatic
    /// one waits for 10,000 pages: a file that grows after a few hundred pages were written
    /// was checkpointed by the task.
    #[tokio::test]
    async fn the_log_is_copied_into_the_database_file_without_a_commit_asking() {
        let dir = std::env::temp_dir().join(format!("tessera-checkpoint-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("t.db");
        let store = SqliteStore::connect(&format!("sqlite://{}", file.display())).await.unwrap();
        let pool = &store.pool;
        sqlx::query("CREATE TABLE filler (x BLOB)").execute(pool).await.unwrap();
        // Whatever the migrations left in the log is copied first.
        tokio::time::sleep(super::EVERY * 5).await;
        let before = std::fs::metadata(&file).unwrap().len();
        sqlx::query("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) INSERT INTO filler SELECT randomblob(4000) FROM n")
            .execute(pool)
            .await
            .unwrap();
        let mut grown = 0;
        for _ in 0..50 {
            tokio::time::sleep(super::EVERY).await;
            grown = std::fs::metadata(&file).unwrap().len().saturating_sub(before);
            if grown >= 300 * 4000 {
                break;
            }
        }
        assert!(grown >= 300 * 4000, "the database file grew by {grown} bytes only");
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
