//! Token stores: one entry per (app, account), so two users' tokens never mix.
//!
//! [`FileStore`] keeps each entry in its own file `<dir>/<hex(app)>_<hex(account)>.enc`,
//! mode 0600, encrypted with ChaCha20-Poly1305 under a 32-byte key file (`master.key`,
//! 0600) with the app and account as associated data: a modified file, or one copied over
//! another account's, fails authentication and is reported, never used.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::error::StoreError;

/// A user's tokens as the client keeps them. Times are Unix seconds.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredToken {
    pub app_id: String,
    pub account: String,
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_at: i64,
    pub scope: String,
    pub granted_at: i64,
}

impl std::fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredToken")
            .field("app_id", &self.app_id)
            .field("account", &self.account)
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// The future a [`TokenStore`] method returns.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Where user tokens are kept, per (app, account).
pub trait TokenStore: Send + Sync + 'static {
    fn load<'a>(&'a self, app_id: &'a str, account: &'a str) -> BoxFuture<'a, Result<Option<StoredToken>, StoreError>>;
    fn save<'a>(&'a self, token: &'a StoredToken) -> BoxFuture<'a, Result<(), StoreError>>;
    fn delete<'a>(&'a self, app_id: &'a str, account: &'a str) -> BoxFuture<'a, Result<(), StoreError>>;
}

/// In memory, for tests and short-lived programs.
#[derive(Default)]
pub struct MemoryStore(Mutex<HashMap<(String, String), StoredToken>>);

impl MemoryStore {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), StoredToken>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl TokenStore for MemoryStore {
    fn load<'a>(&'a self, app_id: &'a str, account: &'a str) -> BoxFuture<'a, Result<Option<StoredToken>, StoreError>> {
        let found = self.map().get(&(app_id.to_owned(), account.to_owned())).cloned();
        Box::pin(async move { Ok(found) })
    }

    fn save<'a>(&'a self, token: &'a StoredToken) -> BoxFuture<'a, Result<(), StoreError>> {
        self.map().insert((token.app_id.clone(), token.account.clone()), token.clone());
        Box::pin(async { Ok(()) })
    }

    fn delete<'a>(&'a self, app_id: &'a str, account: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        self.map().remove(&(app_id.to_owned(), account.to_owned()));
        Box::pin(async { Ok(()) })
    }
}

/// Encrypted files, one per (app, account).
pub struct FileStore {
    dir: PathBuf,
    cipher: ChaCha20Poly1305,
}

const KEY_FILE: &str = "master.key";
const NONCE_LEN: usize = 12;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io { path: path.to_owned(), source }
}

/// Writes `bytes` to `path` with mode 0600, atomically (a temporary file, then a rename).
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let tmp = path.with_extension(format!("tmp{}", rand::rng().next_u32()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(&tmp).map_err(io(&tmp))?;
    f.write_all(bytes).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

impl FileStore {
    /// Opens (creating if needed) a store in `dir` (mode 0700) with its key file.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).map_err(io(&dir))?;
        }
        let key_path = dir.join(KEY_FILE);
        let key = match std::fs::read(&key_path) {
            Ok(k) if k.len() == 32 => k,
            Ok(_) => {
                return Err(StoreError::Key {
                    path: key_path,
                    reason: "not 32 bytes: the key file was damaged".into(),
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut k = vec![0u8; 32];
                rand::rng().fill_bytes(&mut k);
                write_private(&key_path, &k)?;
                k
            }
            Err(e) => return Err(StoreError::Io { path: key_path, source: e }),
        };
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&key));
        Ok(FileStore { dir, cipher })
    }

    /// The file of (app, account).
    pub fn path_of(&self, app_id: &str, account: &str) -> PathBuf {
        self.dir.join(format!("{}_{}.enc", hex(app_id), hex(account)))
    }

    fn aad(app_id: &str, account: &str) -> Vec<u8> {
        format!("tessera-client v1\0{app_id}\0{account}").into_bytes()
    }

    fn read(&self, app_id: &str, account: &str) -> Result<Option<StoredToken>, StoreError> {
        let path = self.path_of(app_id, account);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError::Io { path, source: e }),
        };
        if bytes.len() < NONCE_LEN {
            return Err(StoreError::Tampered { path });
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let aad = Self::aad(app_id, account);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad: &aad })
            .map_err(|_| StoreError::Tampered { path: path.clone() })?;
        let token: StoredToken = serde_json::from_slice(&plain)
            .map_err(|e| StoreError::Corrupt { path: path.clone(), reason: e.to_string() })?;
        if token.app_id != app_id || token.account != account {
            return Err(StoreError::Tampered { path });
        }
        Ok(Some(token))
    }

    fn write(&self, token: &StoredToken) -> Result<(), StoreError> {
        let path = self.path_of(&token.app_id, &token.account);
        let plain =
            serde_json::to_vec(token).map_err(|e| StoreError::Corrupt { path: path.clone(), reason: e.to_string() })?;
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let aad = Self::aad(&token.app_id, &token.account);
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: &plain, aad: &aad })
            .map_err(|_| StoreError::Corrupt { path: path.clone(), reason: "encryption failed".into() })?;
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        write_private(&path, &bytes)
    }
}

impl TokenStore for FileStore {
    fn load<'a>(&'a self, app_id: &'a str, account: &'a str) -> BoxFuture<'a, Result<Option<StoredToken>, StoreError>> {
        Box::pin(async move { self.read(app_id, account) })
    }

    fn save<'a>(&'a self, token: &'a StoredToken) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move { self.write(token) })
    }

    fn delete<'a>(&'a self, app_id: &'a str, account: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let path = self.path_of(app_id, account);
            match std::fs::remove_file(&path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(StoreError::Io { path, source: e }),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(account: &str) -> StoredToken {
        StoredToken {
            app_id: "app".into(),
            account: account.into(),
            access_token: format!("u-{account}"),
            refresh_token: Some(format!("r-{account}")),
            expires_at: 100,
            scope: "doc:readonly".into(),
            granted_at: 1,
        }
    }

    fn dir() -> PathBuf {
        let mut b = [0u8; 8];
        rand::rng().fill_bytes(&mut b);
        std::env::temp_dir()
            .join(format!("tessera-client-store-{}", b.iter().map(|x| format!("{x:02x}")).collect::<String>()))
    }

    #[tokio::test]
    async fn files_are_private_encrypted_and_per_account() {
        let d = dir();
        let store = FileStore::open(&d).unwrap();
        store.save(&token("alice")).await.unwrap();
        store.save(&token("bob")).await.unwrap();
        assert_eq!(store.load("app", "alice").await.unwrap(), Some(token("alice")));
        assert_eq!(store.load("app", "bob").await.unwrap(), Some(token("bob")));
        assert_eq!(store.load("app", "carol").await.unwrap(), None);
        let path = store.path_of("app", "alice");
        let raw = std::fs::read(&path).unwrap();
        assert!(!String::from_utf8_lossy(&raw).contains("u-alice"), "encrypted at rest");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
            assert_eq!(std::fs::metadata(d.join(KEY_FILE)).unwrap().permissions().mode() & 0o777, 0o600);
        }
        // Reopened with the same key file: still readable.
        let again = FileStore::open(&d).unwrap();
        assert_eq!(again.load("app", "bob").await.unwrap(), Some(token("bob")));
        // Bob's file copied over Alice's: refused, not handed out as Alice's.
        std::fs::copy(store.path_of("app", "bob"), &path).unwrap();
        assert!(matches!(store.load("app", "alice").await, Err(StoreError::Tampered { .. })));
        store.delete("app", "alice").await.unwrap();
        assert_eq!(store.load("app", "alice").await.unwrap(), None);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[tokio::test]
    async fn a_flipped_byte_is_reported_clearly() {
        let d = dir();
        let store = FileStore::open(&d).unwrap();
        store.save(&token("alice")).await.unwrap();
        let path = store.path_of("app", "alice");
        let mut raw = std::fs::read(&path).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        std::fs::write(&path, raw).unwrap();
        let err = store.load("app", "alice").await.unwrap_err();
        assert!(err.to_string().contains("failed authentication"), "{err}");
        std::fs::remove_dir_all(&d).unwrap();
    }
}
