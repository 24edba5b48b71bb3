//! Tessera's PostgreSQL store: the scale-out backend. The shared migrations
//! ([`tessera_store::sql::MIGRATOR`]) run at connect; a schema can be chosen so that several
//! deployments (or test runs) share a database. The queries are the shared ones in
//! [`tessera_store::sql`]; this crate opens the pool and listens for other nodes' grant changes.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use sqlx::Connection as _;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};
use tessera_store::sql::{Backend, map_err};
use tessera_store::{ConnectOptions, StoreError};

pub mod listener;

/// The PostgreSQL backend.
#[derive(Clone, Debug)]
pub struct PostgresStore {
    pool: sqlx::PgPool,
    /// Whether the grant-change listener holds an established `LISTEN` (readiness).
    listening: Arc<AtomicBool>,
    /// Times the listener connected again after losing its connection (metrics).
    reconnects: Arc<AtomicU64>,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://…`) and runs the migrations in the default schema.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, None, ConnectOptions::default()).await
    }

    /// Connects with `search_path` set to `schema` (created if missing) and runs the migrations there.
    pub async fn connect_in_schema(url: &str, schema: Option<&str>) -> Result<Self, StoreError> {
        Self::connect_with(url, schema, ConnectOptions::default()).await
    }

    /// Connects as [`connect_in_schema`](Self::connect_in_schema) does, with the pool's options.
    /// An unreachable server fails within the acquire timeout, naming host, port and cause.
    pub async fn connect_with(url: &str, schema: Option<&str>, opts: ConnectOptions) -> Result<Self, StoreError> {
        let mut options =
            PgConnectOptions::from_str(url).map_err(|e| StoreError::Backend(format!("bad PostgreSQL URL: {e}")))?;
        first_connection(&options, opts.acquire_timeout).await?;
        if let Some(schema) = schema {
            if !schema.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(StoreError::Backend("schema names are letters, digits and _".into()));
            }
            let mut admin = PgConnection::connect_with(&options).await.map_err(map_err)?;
            sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}")).execute(&mut admin).await.map_err(map_err)?;
            admin.close().await.map_err(map_err)?;
            options = options.options([("search_path", schema)]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(opts.acquire_timeout)
            .connect_with(options)
            .await
            .map_err(map_err)?;
        tessera_store::sql::MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Backend(format!("migration failed: {e}")))?;
        Ok(PostgresStore { pool, listening: Arc::new(AtomicBool::new(false)), reconnects: Arc::default() })
    }
}

/// Opens one connection to check the server is there before anything else: retried while the
/// server refuses or is starting up, for at most `timeout`; the error names host, port and the
/// last cause (the pool alone would only say "pool timed out").
async fn first_connection(options: &PgConnectOptions, timeout: Duration) -> Result<(), StoreError> {
    let where_ = format!("{}:{}", options.get_host(), options.get_port());
    let mut cause = format!("no answer within {} ms", timeout.as_millis());
    let attempts = async {
        loop {
            match PgConnection::connect_with(options).await {
                Ok(conn) => {
                    let _ = conn.close().await;
                    return Ok(());
                }
                Err(sqlx::Error::Io(e)) => cause = e.kind().to_string(),
                Err(e) => match map_err(e) {
                    StoreError::Unavailable(m) | StoreError::Interrupted(m) => cause = m,
                    other => return Err(StoreError::Backend(format!("PostgreSQL at {where_}: {other}"))),
                },
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    };
    match tokio::time::timeout(timeout, attempts).await {
        Ok(result) => result,
        Err(_) => Err(StoreError::Unavailable(format!("cannot connect to PostgreSQL at {where_}: {cause}"))),
    }
}

pub use listener::GRANTS_CHANNEL;

impl PostgresStore {
    /// Connects to an existing Tessera database at `url` without creating or migrating
    /// anything: a missing database, or one without Tessera's tables, is an error.
    pub async fn open_existing(url: &str) -> Result<Self, StoreError> {
        let options =
            PgConnectOptions::from_str(url).map_err(|e| StoreError::Backend(format!("bad PostgreSQL URL: {e}")))?;
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect_with(options)
            .await
            .map_err(|e| StoreError::NotFound(format!("cannot connect to PostgreSQL: {e}")))?;
        let migrated: Option<String> = sqlx::query_scalar("SELECT to_regclass('audit_events')::text")
            .fetch_one(&pool)
            .await
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        if migrated.is_none() {
            return Err(StoreError::NotFound("the PostgreSQL database holds no Tessera tables".into()));
        }
        Ok(PostgresStore { pool, listening: Arc::new(AtomicBool::new(false)), reconnects: Arc::default() })
    }
}

#[async_trait]
impl Backend for PostgresStore {
    type Db = sqlx::Postgres;

    fn pool(&self) -> &sqlx::PgPool {
        &self.pool
    }

    /// Every transaction that changes grants tells the other nodes, which drop their caches.
    fn grant_notice(&self) -> Option<&'static str> {
        Some("SELECT pg_notify('tessera_grants', '')")
    }

    /// Listens on [`GRANTS_CHANNEL`]: every node hears every other node's grant changes, and
    /// is told again after each (re-)established `LISTEN` (see [`listener`]). While the
    /// listening connection is down the store is not ready.
    async fn grant_changes(&self) -> Result<Option<tokio::sync::mpsc::Receiver<()>>, StoreError> {
        let listener = listener::listen(&self.pool).await.map_err(map_err)?;
        Ok(Some(listener::follow_reporting(
            self.pool.clone(),
            listener,
            self.listening.clone(),
            self.reconnects.clone(),
        )))
    }

    fn listen_reconnect_count(&self) -> u64 {
        self.reconnects.load(Ordering::Relaxed)
    }

    /// Ready when the grant-change listener (once started) holds its `LISTEN`.
    fn listening_ready(&self) -> Result<(), StoreError> {
        if self.listening.load(Ordering::SeqCst) {
            Ok(())
        } else {
            Err(StoreError::Unavailable("the grant-change listener is not connected".into()))
        }
    }
}

#[cfg(test)]
mod contract {
    use std::sync::Arc;

    use tessera_store::Database;

    use super::PostgresStore;

    /// The PostgreSQL the tests use; CI fails (never skips) when it is unreachable.
    fn url() -> String {
        std::env::var("TESSERA_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
    }

    async fn fresh() -> Arc<dyn Database> {
        let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
        let store = PostgresStore::connect_in_schema(&url(), Some(&schema))
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {} is required for these tests: {e}", url()));
        Arc::new(store)
    }

    tessera_store::store_contract!(fresh());
}
