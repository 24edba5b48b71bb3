//! Following grant changes announced by every node (`NOTIFY` on [`GRANTS_CHANNEL`]).
//!
//! The receiver is told "something may have changed" after each announcement and after each
//! `LISTEN` that was established, the first one included: an announcement made while this
//! node was not listening is lost, so whoever drops caches on the message must drop them all.
//! A lost connection is replaced by a new one of our own, not by sqlx's internal reconnect,
//! which re-issues `LISTEN` without returning and so would leave the gap unannounced.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::sync::mpsc;

/// The channel grant changes are announced on (delivered when the writing transaction commits).
pub const GRANTS_CHANNEL: &str = "tessera_grants";

/// Wait before the first new attempt after a lost connection; doubled per failure up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// A listening connection on [`GRANTS_CHANNEL`].
pub async fn listen(pool: &sqlx::PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    // A lost connection makes `try_recv` return; `follow` then connects again itself.
    listener.eager_reconnect(false);
    listener.listen(GRANTS_CHANNEL).await?;
    Ok(listener)
}

/// Spawns the task that follows announcements on `listener` (already listening) and
/// replaces it whenever its connection is lost. Ends when the receiver is dropped or the
/// pool is closed.
pub fn follow(pool: sqlx::PgPool, listener: PgListener) -> mpsc::Receiver<()> {
    follow_reporting(pool, listener, Arc::default(), Arc::default())
}

/// [`follow`], keeping `listening` true while a `LISTEN` is established (readiness) and
/// counting in `reconnects` each new `LISTEN` after a lost one (metrics).
pub fn follow_reporting(
    pool: sqlx::PgPool,
    listener: PgListener,
    listening: Arc<AtomicBool>,
    reconnects: Arc<AtomicU64>,
) -> mpsc::Receiver<()> {
    // One pending message says everything there is to say: later ones coalesce into it.
    let (tx, rx) = mpsc::channel(1);
    tokio::spawn(async move {
        // However the task ends, the node no longer listens.
        let _stopped = NotListening(listening.clone());
        let mut listener = Some(listener);
        let mut backoff = FIRST_BACKOFF;
        loop {
            let mut current = match listener.take() {
                Some(l) => l,
                None => match listen(&pool).await {
                    Ok(l) => {
                        tracing::info!("grant-change listener connected again; dropping every cache");
                        reconnects.fetch_add(1, Ordering::Relaxed);
                        backoff = FIRST_BACKOFF;
                        l
                    }
                    Err(e) if pool.is_closed() => {
                        tracing::debug!(error = %e, "grant-change listener stops: the pool is closed");
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "grant-change listener cannot connect; retrying");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                        continue;
                    }
                },
            };
            // LISTEN is established: whatever was announced before may have been missed.
            listening.store(true, Ordering::SeqCst);
            if !tell(&tx) {
                return;
            }
            loop {
                match current.try_recv().await {
                    Ok(Some(_)) => {
                        if !tell(&tx) {
                            return;
                        }
                    }
                    Ok(None) => {
                        tracing::warn!("grant-change listener lost its connection; reconnecting");
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "grant-change listener failed; reconnecting");
                        break;
                    }
                }
            }
            listening.store(false, Ordering::SeqCst);
            drop(current);
            if pool.is_closed() {
                return;
            }
        }
    });
    rx
}

/// Tells the receiver something may have changed; false once nobody listens.
fn tell(tx: &mpsc::Sender<()>) -> bool {
    match tx.try_send(()) {
        Ok(()) | Err(mpsc::error::TrySendError::Full(())) => true,
        Err(mpsc::error::TrySendError::Closed(())) => false,
    }
}

/// Clears the listening flag when dropped.
struct NotListening(Arc<AtomicBool>);

impl Drop for NotListening {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}
