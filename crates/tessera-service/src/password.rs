//! Passwords: argon2id, always computed on the blocking pool so the async threads keep serving.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use tessera_core::secret::Secret;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("password task failed")]
    Task,
}

/// The argon2id PHC string of `password`.
pub async fn hash(password: Secret) -> Result<String, PasswordError> {
    tokio::task::spawn_blocking(move || {
        let salt =
            SaltString::encode_b64(&rand::random::<[u8; 16]>()).map_err(|e| PasswordError::Hash(e.to_string()))?;
        Argon2::default()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| PasswordError::Hash(e.to_string()))
    })
    .await
    .map_err(|_| PasswordError::Task)?
}

/// Whether `password` matches the PHC string `phc` (a malformed hash never matches).
pub async fn verify(password: Secret, phc: String) -> Result<bool, PasswordError> {
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&phc) else {
            return false;
        };
        Argon2::default().verify_password(password.expose().as_bytes(), &parsed).is_ok()
    })
    .await
    .map_err(|_| PasswordError::Task)
}
