//! Tessera's PostgreSQL store: the scale-out backend. Migrations in `migrations/` run at
//! connect; a schema can be chosen so that several deployments (or test runs) share a database.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tessera_store::StoreError;

/// The PostgreSQL backend.
#[derive(Clone, Debug)]
pub struct PostgresStore {
    pool: sqlx::PgPool,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://…`) and runs the migrations in the default schema.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_in_schema(url, None).await
    }

    /// Connects with `search_path` set to `schema` (created if missing) and runs the migrations there.
    pub async fn connect_in_schema(url: &str, schema: Option<&str>) -> Result<Self, StoreError> {
        let mut options =
            PgConnectOptions::from_str(url).map_err(|e| StoreError::Backend(format!("bad PostgreSQL URL: {e}")))?;
        if let Some(schema) = schema {
            if !schema.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(StoreError::Backend("schema names are letters, digits and _".into()));
            }
            let admin = PgPoolOptions::new()
                .max_connections(1)
                .connect_with(options.clone())
                .await
                .map_err(|e| StoreError::Backend(e.to_string()))?;
            sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
                .execute(&admin)
                .await
                .map_err(|e| StoreError::Backend(e.to_string()))?;
            admin.close().await;
            options = options.options([("search_path", schema)]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Backend(format!("migration failed: {e}")))?;
        Ok(PostgresStore { pool })
    }
}

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
        Ok(PostgresStore { pool })
    }
}

/// The channel grant changes are announced on (delivered when the writing transaction commits).
pub const GRANTS_CHANNEL: &str = "tessera_grants";

impl PostgresStore {
    /// Listens on [`GRANTS_CHANNEL`]: every node hears every other node's grant changes.
    /// A lost connection is re-established; since notifications may have been missed
    /// meanwhile, the receiver is told once more after each reconnection.
    async fn listen_grant_changes(&self) -> Result<Option<tokio::sync::mpsc::Receiver<()>>, StoreError> {
        let mut listener = sqlx::postgres::PgListener::connect_with(&self.pool)
            .await
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        listener.listen(GRANTS_CHANNEL).await.map_err(|e| StoreError::Backend(e.to_string()))?;
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        tokio::spawn(async move {
            loop {
                if let Err(e) = listener.recv().await {
                    tracing::warn!(error = %e, "grant-change listener lost its connection; reconnecting");
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
                // A full channel already holds a pending "something changed": coalesce.
                match tx.try_send(()) {
                    Ok(()) | Err(tokio::sync::mpsc::error::TrySendError::Full(())) => {}
                    Err(tokio::sync::mpsc::error::TrySendError::Closed(())) => break,
                }
            }
        });
        Ok(Some(rx))
    }
}

tessera_store::sql_store!(PostgresStore, sqlx::Postgres, Some("SELECT pg_notify('tessera_grants', '')"));

#[cfg(test)]
mod contract {
    use std::sync::Arc;

    use tessera_store::Store;

    use super::PostgresStore;

    /// The PostgreSQL the tests use; CI fails (never skips) when it is unreachable.
    fn url() -> String {
        std::env::var("TESSERA_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
    }

    async fn fresh() -> Arc<dyn Store> {
        let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
        let store = PostgresStore::connect_in_schema(&url(), Some(&schema))
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {} is required for these tests: {e}", url()));
        Arc::new(store)
    }

    tessera_store::store_contract!(fresh());
}
