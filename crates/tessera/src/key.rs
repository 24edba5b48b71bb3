//! The server key that client secrets are hashed with: from `TESSERA_SECRET_KEY`, else from
//! `secret.key` in the data directory, created (mode 0600) on first start. Every node of a
//! PostgreSQL deployment needs the same key.

use std::path::Path;

use anyhow::{Context, bail};
use tessera_core::secret::SecretKey;

pub const KEY_ENV: &str = "TESSERA_SECRET_KEY";

pub fn load_or_create(data_dir: &Path) -> anyhow::Result<SecretKey> {
    if let Ok(v) = std::env::var(KEY_ENV) {
        return SecretKey::decode(&v).with_context(|| format!("{KEY_ENV} must be 32 bytes in URL-safe base64"));
    }
    let path = data_dir.join("secret.key");
    match std::fs::read_to_string(&path) {
        Ok(s) => match SecretKey::decode(&s) {
            Some(k) => Ok(k),
            None => bail!("{} is not a valid key (32 bytes, URL-safe base64)", path.display()),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
            let key = SecretKey::generate(&mut rand::rng());
            write_private(&path, key.encode().expose())?;
            tracing::info!(path = %path.display(), "created a new server key");
            Ok(key)
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(contents.as_bytes())?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    std::fs::write(path, contents).with_context(|| format!("creating {}", path.display()))
}
