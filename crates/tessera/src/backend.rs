//! Picks the store backend once, from the database URL's scheme; a new SQLite database
//! file is created with mode 0600.

use std::sync::Arc;

use anyhow::{Context, bail};
use tessera_store::{ConnectOptions, Database, Store};
use tessera_store_postgres::PostgresStore;
use tessera_store_sqlite::SqliteStore;

/// Opens (and migrates) the store at `url`: `sqlite://path`, `sqlite::memory:` or `postgres://…`.
pub async fn open_store(url: &str) -> anyhow::Result<Arc<dyn Database>> {
    open_store_with(url, ConnectOptions::default()).await
}

/// Opens the store at `url` with the pool's options (the acquire timeout).
pub async fn open_store_with(url: &str, opts: ConnectOptions) -> anyhow::Result<Arc<dyn Database>> {
    if url.starts_with("sqlite:") {
        if let Some(path) = url.strip_prefix("sqlite://") {
            let path = std::path::Path::new(path.split('?').next().unwrap_or(path));
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            }
            create_private(path)?;
        }
        Ok(Arc::new(SqliteStore::connect_with(url, opts).await.context("opening the SQLite database")?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::connect_with(url, None, opts).await.context("connecting to PostgreSQL")?))
    } else {
        bail!("unsupported database URL: use sqlite://PATH or postgres://…")
    }
}

/// Creates the database file readable by its owner only (mode 0600) if it does not exist:
/// SQLite gives its `-wal` and `-shm` files the database file's mode. An existing file is
/// left as it is.
#[cfg(unix)]
fn create_private(path: &std::path::Path) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
    }
}

#[cfg(not(unix))]
fn create_private(_path: &std::path::Path) -> anyhow::Result<()> {
    Ok(())
}

/// Opens the existing store at `url` for reading: never creates a database or a schema.
pub async fn open_existing_store(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        let path = path.split('?').next().unwrap_or(path);
        if !std::path::Path::new(path).is_file() {
            bail!("no database file at {path}");
        }
        Ok(Arc::new(SqliteStore::open_existing(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::open_existing(url).await?))
    } else {
        bail!("unsupported database URL for reading: use sqlite://PATH or postgres://…")
    }
}

/// Copies the SQLite database at `url` to the new file `target`, consistently while the
/// server runs (SQLite's `VACUUM INTO`). PostgreSQL has its own tools (pg_dump).
pub async fn backup(url: &str, target: &std::path::Path) -> anyhow::Result<()> {
    let Some(path) = url.strip_prefix("sqlite://") else {
        bail!("tessera backup copies SQLite databases; back up PostgreSQL with pg_dump (see docs/operations.md)")
    };
    let path = path.split('?').next().unwrap_or(path);
    if !std::path::Path::new(path).is_file() {
        bail!("no database file at {path}");
    }
    // Created empty first, readable by its owner only (the copy holds what the database
    // holds); VACUUM INTO fills an empty file and keeps its mode.
    new_private_file(target)?;
    let store = SqliteStore::open_existing(url).await?;
    let copied = store.backup_into(target).await;
    if copied.is_err() {
        let _ = std::fs::remove_file(target);
    }
    copied.with_context(|| format!("copying the database to {}", target.display()))
}

#[cfg(unix)]
fn new_private_file(path: &std::path::Path) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(drop)
        .with_context(|| format!("creating {} (it must not exist)", path.display()))
}

#[cfg(not(unix))]
fn new_private_file(path: &std::path::Path) -> anyhow::Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map(drop)
        .with_context(|| format!("creating {} (it must not exist)", path.display()))
}

/// `url` with any password replaced by `***`, fit for a terminal or a log.
pub fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            let hidden = if userinfo.contains(':') { format!("{user}:***") } else { user.to_owned() };
            format!("{scheme}://{hidden}@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::without_password;

    #[test]
    fn passwords_never_show() {
        assert_eq!(without_password("postgres://u:s3cret@db:5432/t?x=1"), "postgres://u:***@db:5432/t?x=1");
        assert_eq!(without_password("postgres://u@db/t"), "postgres://u@db/t");
        assert_eq!(without_password("postgres://db/t"), "postgres://db/t");
        assert_eq!(without_password("sqlite://data/tessera.db"), "sqlite://data/tessera.db");
        assert!(!without_password("postgresql://a:b@c@h/t").contains('b'));
    }
}
