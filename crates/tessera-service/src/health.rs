//! Readiness of this node for load balancers and orchestrators.

use std::time::Duration;

use tessera_store::StoreError;

use crate::Tessera;

/// How long the readiness check waits for the database before saying "not ready".
pub const READY_TIMEOUT: Duration = Duration::from_secs(1);

impl Tessera {
    /// Ready when the store answers within [`READY_TIMEOUT`] and, on PostgreSQL, the
    /// grant-change listener holds its `LISTEN` (without it, recalls on other nodes go unheard).
    pub async fn ready(&self) -> Result<(), StoreError> {
        match tokio::time::timeout(READY_TIMEOUT, self.inner.store.ready()).await {
            Ok(answer) => answer,
            Err(_) => Err(StoreError::Unavailable(format!(
                "the database did not answer within {} ms",
                READY_TIMEOUT.as_millis()
            ))),
        }
    }
}
