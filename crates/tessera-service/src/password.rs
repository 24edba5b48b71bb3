//! Passwords: argon2id, always computed on the blocking pool so the async threads keep serving;
//! the sign-in runs its checks through a [`PasswordGate`] sized to the cores.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use tessera_core::secret::Secret;
use tokio::sync::Semaphore;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("password task failed")]
    Task,
}

/// Memory cost of new argon2id hashes by default, in KiB (argon2's and OWASP's 19 MiB).
pub const DEFAULT_MEMORY_KIB: u32 = argon2::Params::DEFAULT_M_COST;
/// The least memory cost an operator may set, in KiB.
pub const MIN_MEMORY_KIB: u32 = 1024;
/// The most memory cost an operator may set, in KiB (1 GiB).
pub const MAX_MEMORY_KIB: u32 = 1024 * 1024;

/// The argon2id PHC string of `password` at `memory_kib` KiB (two passes, one lane), computed
/// on the calling thread. A hash records its own cost, so checking it never needs this one.
fn hash_now(password: &Secret, memory_kib: u32) -> Result<String, PasswordError> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>()).map_err(|e| PasswordError::Hash(e.to_string()))?;
    let params = argon2::Params::new(
        memory_kib.clamp(MIN_MEMORY_KIB, MAX_MEMORY_KIB),
        argon2::Params::DEFAULT_T_COST,
        argon2::Params::DEFAULT_P_COST,
        None,
    )
    .map_err(|e| PasswordError::Hash(e.to_string()))?;
    Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `password` matches the PHC string `phc`, on the calling thread.
fn verify_now(password: &Secret, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    Argon2::default().verify_password(password.expose().as_bytes(), &parsed).is_ok()
}

/// The argon2id PHC string of `password` at `memory_kib` KiB.
pub async fn hash(password: Secret, memory_kib: u32) -> Result<String, PasswordError> {
    tokio::task::spawn_blocking(move || hash_now(&password, memory_kib)).await.map_err(|_| PasswordError::Task)?
}

/// Whether `password` matches the PHC string `phc` (a malformed hash never matches).
pub async fn verify(password: Secret, phc: String) -> Result<bool, PasswordError> {
    tokio::task::spawn_blocking(move || verify_now(&password, &phc)).await.map_err(|_| PasswordError::Task)
}

/// Callers that may wait for a password check per running one; more are turned away.
pub const QUEUE_PER_PERMIT: usize = 8;

/// The sign-in's password checks: at most one argon2 computation per core at a time (each
/// holds about 19 MiB), a bounded queue behind them, and a count of the checks run.
pub struct PasswordGate {
    running: Arc<Semaphore>,
    admitted: AtomicUsize,
    capacity: usize,
    checks: AtomicU64,
    /// The cost of new hashes, spent also when there is no account to check.
    memory_kib: u32,
}

/// Too many password checks are running or waiting: try again shortly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the server is busy checking passwords; try again shortly")]
pub struct Busy;

impl PasswordGate {
    /// A gate with `permits` concurrent checks (at least one), hashing at `memory_kib` KiB
    /// when there is no account.
    pub fn new(permits: usize, memory_kib: u32) -> Self {
        let permits = permits.max(1);
        PasswordGate {
            running: Arc::new(Semaphore::new(permits)),
            admitted: AtomicUsize::new(0),
            capacity: permits + permits * QUEUE_PER_PERMIT,
            checks: AtomicU64::new(0),
            memory_kib,
        }
    }

    /// One check per available core.
    pub fn sized_to_cores(memory_kib: u32) -> Self {
        PasswordGate::new(std::thread::available_parallelism().map_or(1, |n| n.get()), memory_kib)
    }

    /// Whether `password` matches `phc`; `None` (no account) spends the time of a check anyway,
    /// so accounts cannot be probed by timing. Refused at once when the queue is full.
    pub async fn verify(&self, password: Secret, phc: Option<String>) -> Result<Result<bool, PasswordError>, Busy> {
        let memory_kib = self.memory_kib;
        self.run(move || match phc {
            Some(phc) => Ok(verify_now(&password, &phc)),
            None => hash_now(&password, memory_kib).map(|_| false),
        })
        .await
    }

    /// Runs `check` on the blocking pool once a permit is free. The permit moves into the
    /// blocking task, so a caller that goes away never lets more checks run than permits.
    async fn run<T: Send + 'static>(
        &self,
        check: impl FnOnce() -> Result<T, PasswordError> + Send + 'static,
    ) -> Result<Result<T, PasswordError>, Busy> {
        let admitted = self
            .admitted
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < self.capacity).then_some(n + 1))
            .is_ok();
        if !admitted {
            return Err(Busy);
        }
        struct Leave<'a>(&'a AtomicUsize);
        impl Drop for Leave<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::AcqRel);
            }
        }
        let _leave = Leave(&self.admitted);
        let Ok(permit) = self.running.clone().acquire_owned().await else {
            return Err(Busy);
        };
        self.checks.fetch_add(1, Ordering::Relaxed);
        let task = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            check()
        });
        Ok(task.await.map_err(|_| PasswordError::Task).and_then(|r| r))
    }

    /// How many password checks ran since start.
    pub fn checks(&self) -> u64 {
        self.checks.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_gate_runs_one_per_permit_and_turns_away_past_its_queue() {
        let gate = Arc::new(PasswordGate::new(1, MIN_MEMORY_KIB));
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let wait = Arc::new(std::sync::Mutex::new(wait));
        let mut held = Vec::new();
        for _ in 0..=QUEUE_PER_PERMIT {
            let (gate, wait) = (gate.clone(), wait.clone());
            held.push(tokio::spawn(async move {
                gate.run(move || {
                    let _ = wait.lock().map(|w| w.recv());
                    Ok(())
                })
                .await
            }));
        }
        // Every spawned caller is admitted: one running, the rest queued.
        while gate.admitted.load(Ordering::SeqCst) < 1 + QUEUE_PER_PERMIT {
            tokio::task::yield_now().await;
        }
        assert!(matches!(gate.run(|| Ok(())).await, Err(Busy)));
        assert_eq!(gate.checks(), 1, "only one check runs at a time");
        for _ in 0..=QUEUE_PER_PERMIT {
            release.send(()).unwrap();
        }
        for h in held {
            assert!(matches!(h.await.unwrap(), Ok(Ok(()))));
        }
        assert_eq!(gate.checks(), 1 + QUEUE_PER_PERMIT as u64);
        assert!(matches!(gate.run(|| Ok(())).await, Ok(Ok(()))));
    }

    #[tokio::test]
    async fn a_hash_records_the_cost_it_was_made_with_and_verifies_at_it() {
        let cheap = hash(Secret::new(String::from("s3cret")), MIN_MEMORY_KIB).await.unwrap();
        assert!(cheap.starts_with("$argon2id$v=19$m=1024,t=2,p=1$"), "{cheap}");
        let default = hash(Secret::new(String::from("s3cret")), DEFAULT_MEMORY_KIB).await.unwrap();
        assert!(default.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{default}");
        // Checking reads the cost from the hash, whatever the gate's own.
        let gate = PasswordGate::new(1, DEFAULT_MEMORY_KIB);
        assert!(matches!(gate.verify(Secret::new(String::from("s3cret")), Some(cheap.clone())).await, Ok(Ok(true))));
        assert!(matches!(gate.verify(Secret::new(String::from("other")), Some(cheap)).await, Ok(Ok(false))));
        assert!(matches!(verify(Secret::new(String::from("s3cret")), default).await, Ok(true)));
        // Out of range is brought within it rather than refused (the CLI refuses it first).
        let clamped = hash(Secret::new(String::from("s3cret")), 8).await.unwrap();
        assert!(clamped.contains("$m=1024,"), "{clamped}");
    }
}
