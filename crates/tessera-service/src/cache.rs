//! In-memory caches for the hot paths: apps by client id, each app's standing per org,
//! tokens by hash, and the token currently handed out per (app, org, kind) for reuse.
//! Every write that can change a decision goes through the service, which invalidates
//! the affected entries.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use tessera_core::app::App;
use tessera_core::decision::AppStanding;
use tessera_core::ids::{ClientId, CorpId, ScopeCode};
use tessera_core::scope::Scope;
use tessera_core::secret::{Secret, SecretHash, TokenHash};
use tessera_core::suite::SuiteTicket;
use tessera_core::time::UnixTime;
use tessera_core::token::{AccessToken, TokenKind};

/// A token as handed out: the secret itself lives only here, in memory.
#[derive(Debug, Clone)]
pub struct Handed {
    pub token: Secret,
    pub expires_at: UnixTime,
}

type ReuseKey = (ClientId, CorpId, TokenKind);
/// An app's rotated-out secrets and when each stops working.
pub type PreviousSecrets = Arc<Vec<(SecretHash, UnixTime)>>;

#[derive(Default)]
pub struct Caches {
    pub apps: RwLock<HashMap<ClientId, Arc<App>>>,
    pub standing: RwLock<HashMap<(ClientId, CorpId), Arc<AppStanding>>>,
    pub catalog: RwLock<Option<Arc<HashMap<ScopeCode, Scope>>>>,
    pub tokens: RwLock<HashMap<TokenHash, Arc<AccessToken>>>,
    pub handed: RwLock<HashMap<ReuseKey, Handed>>,
    /// Apps' rotated-out secrets still in (or past) their overlap, with their end.
    pub previous_secrets: RwLock<HashMap<ClientId, PreviousSecrets>>,
    /// Suites' ticket states with when they were read (see `suite`: a presented ticket the
    /// cached state refuses is checked again against the store).
    pub tickets: RwLock<HashMap<ClientId, (SuiteTicket, UnixTime)>>,
}

/// Reads through a lock even if a panicking writer poisoned it (the maps stay consistent:
/// every write is a single insert or remove).
pub fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|p| p.into_inner())
}

pub fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|p| p.into_inner())
}

impl Caches {
    /// Forgets everything derived from grants, apps and the catalogue.
    pub fn invalidate_grants(&self) {
        write(&self.apps).clear();
        write(&self.standing).clear();
        write(&self.previous_secrets).clear();
        *write(&self.catalog) = None;
    }

    /// Forgets everything: after a grant change another node made, or a token revocation.
    pub fn invalidate_all(&self) {
        self.invalidate_grants();
        write(&self.tokens).clear();
        write(&self.handed).clear();
    }

    pub fn prune(&self, now: UnixTime) {
        write(&self.tokens).retain(|_, t| t.is_live(now));
        write(&self.handed).retain(|_, h| h.expires_at > now);
    }
}
