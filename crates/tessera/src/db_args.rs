//! Where the database is: the arguments every command that opens it shares.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use crate::backend;

#[derive(Args)]
pub struct DbArgs {
    /// Database URL: sqlite://PATH (default: tessera.db in the data directory) or postgres://…
    #[arg(long, env = "TESSERA_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Directory for the SQLite database and the server key.
    #[arg(long, env = "TESSERA_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Seconds a request waits for a database connection before failing with 503 (and the
    /// longest the first connection at start may take).
    #[arg(long, env = "TESSERA_DATABASE_ACQUIRE_TIMEOUT", default_value_t = 3.0, value_parser = acquire_timeout)]
    pub database_acquire_timeout: f64,
}

/// A positive number of seconds, at most 600.
fn acquire_timeout(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(t) if t > 0.0 && t <= 600.0 => Ok(t),
        _ => Err("must be a number of seconds above 0 and at most 600".into()),
    }
}

impl DbArgs {
    pub async fn open_store(&self) -> anyhow::Result<Arc<dyn tessera_store::Database>> {
        let opts = tessera_store::ConnectOptions {
            acquire_timeout: std::time::Duration::from_secs_f64(self.database_acquire_timeout),
        };
        backend::open_store_with(&self.url(), opts).await
    }

    pub fn url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("tessera.db").display()))
    }
}
