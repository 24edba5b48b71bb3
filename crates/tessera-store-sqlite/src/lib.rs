//! Tessera's SQLite store: the embedded default. One file, WAL journal, foreign keys on;
//! the shared migrations ([`tessera_store::sql::MIGRATOR`]) run at connect. The queries are
//! the shared ones in [`tessera_store::sql`]; this crate opens the pool.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tessera_store::sql::Backend;
use tessera_store::{ConnectOptions, StoreError};

/// The SQLite backend.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: sqlx::SqlitePool,
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
            .busy_timeout(Duration::from_secs(10));
        // An in-memory database lives in one connection; a file can serve several readers.
        let max = if url.contains(":memory:") { 1 } else { 8 };
        let pool = SqlitePoolOptions::new()
            .max_connections(max)
            .acquire_timeout(opts.acquire_timeout)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        tessera_store::sql::MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Backend(format!("migration failed: {e}")))?;
        Ok(SqliteStore { pool })
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
        Ok(SqliteStore { pool })
    }
}

/// One SQLite file serves one node: every grant change happens in this process, so there is
/// nothing to announce or listen to.
#[async_trait]
impl Backend for SqliteStore {
    type Db = sqlx::Sqlite;

    fn pool(&self) -> &sqlx::SqlitePool {
        &self.pool
    }

    fn grant_notice(&self) -> Option<&'static str> {
        None
    }

    async fn grant_changes(&self) -> Result<Option<tokio::sync::mpsc::Receiver<()>>, StoreError> {
        Ok(None)
    }

    /// Nothing to listen to: ready whenever the file answers.
    fn listening_ready(&self) -> Result<(), StoreError> {
        Ok(())
    }
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
