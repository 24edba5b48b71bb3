//! Tessera's SQLite store: the embedded default. One file, WAL journal, foreign keys on;
//! the shared migrations ([`tessera_store::sql::MIGRATOR`]) run at connect. The queries are
//! the shared ones in [`tessera_store::sql`]; this crate opens the pool.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tessera_store::sql::Backend;
use tessera_store::{ConnectOptions, StoreError};

mod checkpoint;

use checkpoint::WAL_BACKSTOP_PAGES;

/// The SQLite backend.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: sqlx::SqlitePool,
    /// The one connection [`Store::commit`](tessera_store::Store::commit) writes on (see
    /// [`connect_with`](Self::connect_with)); the pool itself for an in-memory database.
    writer: sqlx::SqlitePool,
    /// Held by every clone of the store; the checkpointer stops once it is gone.
    _alive: Option<Arc<()>>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite://path` or `sqlite::memory:`)
    /// and runs the migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, ConnectOptions::default()).await
    }

    /// Opens the database as [`connect`](Self::connect) does, with the pool's options.
    pub async fn connect_with(url: &str, opts: ConnectOptions) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Backend(format!("bad SQLite URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            // A multi-row insert in a transaction keeps the pages it changes in a statement
            // journal (to undo just that statement): in memory, not a temporary file.
            .pragma("temp_store", "memory")
            .pragma("wal_autocheckpoint", WAL_BACKSTOP_PAGES.to_string())
            .busy_timeout(Duration::from_secs(10));
        // An in-memory database lives in one connection; a file can serve several readers.
        let memory = url.contains(":memory:");
        let max = if memory { 1 } else { 8 };
        let pool = pool_options(max, &opts)
            .connect_with(options.clone().pragma("cache_size", format!("-{READER_CACHE_KIB}")))
            .await
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        tessera_store::sql::MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Backend(format!("migration failed: {e}")))?;
        let writer = if memory {
            pool.clone()
        } else {
            pool_options(1, &opts).connect_lazy_with(options.pragma("cache_size", format!("-{WRITER_CACHE_KIB}")))
        };
        let alive = (!memory).then(|| {
            let alive = Arc::new(());
            tokio::spawn(checkpoint::run(pool.clone(), Arc::downgrade(&alive)));
            alive
        });
        Ok(SqliteStore { pool, writer, _alive: alive })
    }

    /// Opens an existing Tessera database at `url` (`sqlite://path`) without creating it:
    /// a missing file, or one that Tessera never migrated, is an error.
    pub async fn open_existing(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Backend(format!("bad SQLite URL: {e}")))?
            .create_if_missing(false);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::NotFound(format!("cannot open the SQLite database: {e}")))?;
        let migrated: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_events'")
                .fetch_optional(&pool)
                .await
                .map_err(|e| StoreError::Backend(e.to_string()))?;
        if migrated.is_none() {
            return Err(StoreError::NotFound("the SQLite database holds no Tessera tables".into()));
        }
        Ok(SqliteStore { writer: pool.clone(), pool, _alive: None })
    }

    /// Writes a consistent copy of the database to the new file `target`, while others go
    /// on reading and writing: `VACUUM INTO` runs in one read transaction, so the copy is
    /// the database as of one commit (WAL included), compacted. It refuses a target that
    /// exists and is not empty.
    pub async fn backup_into(&self, target: &std::path::Path) -> Result<(), StoreError> {
        let target = target.to_str().ok_or_else(|| StoreError::Backend("the backup path is not UTF-8".into()))?;
        sqlx::query("VACUUM INTO ?")
            .bind(target)
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(|e| StoreError::Backend(e.to_string()))
    }
}

/// Page cache of each reading connection. SQLite drops a connection's whole cache when
/// another connection wrote since its last read, so under writes a reader's cache holds one
/// transaction's pages; without writes it keeps the hot pages (apps, members) anyway.
const READER_CACHE_KIB: u32 = 512;

/// Page cache of the writing connection. Its own commits keep its cache, so the index pages
/// that every token write and single-use claim descends stay in memory instead of being read
/// from the file again (with eight pooled connections taking turns to write, each one's cache
/// was dropped by the others' commits: a fifth of the refresh benchmark's CPU went to reading
/// pages back). Readers and writer together hold at most 8 MiB, half what the eight 2 MiB
/// default caches could take: with an 8 MiB writer cache and 1 MiB readers, peak RSS of the
/// refresh benchmark reached 44 MB (goal: 40).
const WRITER_CACHE_KIB: u32 = 4096;

/// The pool options of both pools: `max` connections, no ping before each use (a connection
/// to a local file does not go stale; the ping was a round trip to the connection's worker
/// thread before every read and every `BEGIN`).
fn pool_options(max: u32, opts: &ConnectOptions) -> SqlitePoolOptions {
    SqlitePoolOptions::new().max_connections(max).test_before_acquire(false).acquire_timeout(opts.acquire_timeout)
}

/// One SQLite file serves one node, but other processes write it too (`tessera scopes add`,
/// `users add`, `load-fixture`): every transaction that changes grants raises
/// `change_generation` ([`RAISE_GENERATION`]), and a task polls it every [`GENERATION_POLL`],
/// telling the receiver when it moved (this process's own changes included: their caches are
/// dropped once more, which is harmless).
#[async_trait]
impl Backend for SqliteStore {
    type Db = sqlx::Sqlite;

    fn pool(&self) -> &sqlx::SqlitePool {
        &self.pool
    }

    fn write_pool(&self) -> &sqlx::SqlitePool {
        &self.writer
    }

    fn grant_notice(&self) -> Option<&'static str> {
        Some(RAISE_GENERATION)
    }

    async fn grant_changes(&self) -> Result<Option<tokio::sync::mpsc::Receiver<()>>, StoreError> {
        let pool = self.pool.clone();
        let mut seen = generation(&pool).await?;
        // One pending message says everything: later ones coalesce into it.
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(GENERATION_POLL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if tx.is_closed() || pool.is_closed() {
                    return;
                }
                match generation(&pool).await {
                    Ok(now) if now != seen => {
                        seen = now;
                        if let Err(tokio::sync::mpsc::error::TrySendError::Closed(())) = tx.try_send(()) {
                            return;
                        }
                    }
                    Ok(_) => {}
                    // A busy or locked file: try again at the next tick.
                    Err(e) => tracing::debug!(error = %e, "reading the change generation failed"),
                }
            }
        });
        Ok(Some(rx))
    }

    /// Nothing held open: ready whenever the file answers.
    fn listening_ready(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// How often a server looks for grant changes made by other processes on its file.
pub const GENERATION_POLL: Duration = Duration::from_millis(200);

/// Run in every transaction that changes grants or the catalogue.
const RAISE_GENERATION: &str = "UPDATE change_generation SET generation = generation + 1 WHERE id = 1";

async fn generation(pool: &sqlx::SqlitePool) -> Result<i64, StoreError> {
    sqlx::query_scalar("SELECT generation FROM change_generation WHERE id = 1")
        .fetch_one(pool)
        .await
        .map_err(|e| StoreError::Backend(e.to_string()))
}

#[cfg(test)]
mod contract {
    use std::sync::Arc;

    use tessera_store::Database;

    use super::SqliteStore;

    async fn fresh() -> Arc<dyn Database> {
        let dir = std::env::temp_dir().join(format!("tessera-contract-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("t.db").display());
        Arc::new(SqliteStore::connect(&url).await.unwrap())
    }

    tessera_store::store_contract!(fresh());
}
