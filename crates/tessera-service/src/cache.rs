//! In-memory caches for the hot paths: apps by client id, each app's standing per org,
//! tokens by hash, the catalogue, apps' rotated-out secrets, suites' ticket states, and the
//! token currently handed out per (app, org, kind) for reuse.
//!
//! Three rules keep them from going stale or growing without bound:
//! - **Invalidation.** Every commit drops what [`Invalidation::of`] its changes says (the
//!   store decorator in [`crate::detached`] does it after the commit, on every path), and
//!   on PostgreSQL every node drops everything when another node announces a change or when
//!   its listening connection was (re-)established.
//! - **Fill generation.** A value read from the store is kept only if no invalidation
//!   happened since the read began ([`Caches::fill`] before the read, checked under the
//!   map's write lock by [`Cache::insert`]); otherwise a read that raced with a change
//!   could leave the pre-change value cached.
//! - **Re-validation and bounds.** An entry read from the store is used for at most
//!   `revalidate_secs` (service clock) before it is read again, so even a lost
//!   announcement leaves a node wrong for no longer than that; each map holds at most
//!   `capacity` entries and drops its oldest fills first.

use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use hashlink::LinkedHashMap;
use tessera_core::app::App;
use tessera_core::change::Invalidation;
use tessera_core::decision::AppStanding;
use tessera_core::ids::{ClientId, CorpId, ScopeCode, UnionId};
use tessera_core::member::Member;
use tessera_core::scope::Scope;
use tessera_core::secret::{Secret, SecretHash, TokenHash};
use tessera_core::suite::SuiteTicket;
use tessera_core::time::UnixTime;
use tessera_core::token::{AccessToken, TokenKind};

/// Entries per cache unless configured otherwise.
pub const DEFAULT_CAPACITY: usize = 10_000;
/// Seconds a value read from the store is trusted unless configured otherwise.
pub const DEFAULT_REVALIDATE_SECS: i64 = 5;

/// How big the caches may grow and how long what they read is trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheConfig {
    /// The most entries each cache holds (at least 1).
    pub capacity: usize,
    /// Seconds after which a value read from the store is read again (0: never reused).
    pub revalidate_secs: i64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig { capacity: DEFAULT_CAPACITY, revalidate_secs: DEFAULT_REVALIDATE_SECS }
    }
}

/// A token as handed out: the secret itself lives only here, in memory.
#[derive(Debug, Clone)]
pub struct Handed {
    pub token: Secret,
    pub expires_at: UnixTime,
}

/// (app, org, kind, the scopes the token is limited to: empty for none).
type ReuseKey = (ClientId, CorpId, TokenKind, Vec<ScopeCode>);
/// An app's rotated-out secrets and when each stops working.
pub type PreviousSecrets = Arc<Vec<(SecretHash, UnixTime)>>;

/// The invalidation generation a read from the store began in; see [`Caches::fill`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fill(u64);

impl Fill {
    /// The generation itself (it grows by one at every invalidation).
    pub fn generation(self) -> u64 {
        self.0
    }
}

/// One size-capped map whose entries remember when they were filled.
pub struct Cache<K, V> {
    entries: RwLock<LinkedHashMap<K, (V, UnixTime)>>,
    generation: Arc<AtomicU64>,
    capacity: usize,
    /// `None`: entries are not read from the store and stay until evicted or dropped.
    max_age: Option<i64>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl<K: Hash + Eq, V: Clone> Cache<K, V> {
    fn new(generation: &Arc<AtomicU64>, capacity: usize, max_age: Option<i64>) -> Self {
        Cache {
            entries: RwLock::default(),
            generation: generation.clone(),
            capacity: capacity.max(1),
            max_age,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    fn fresh(&self, filled: UnixTime, now: UnixTime) -> bool {
        self.max_age.is_none_or(|max| now.0.saturating_sub(filled.0) < max)
    }

    /// The value under `key`, unless it was filled too long ago to be trusted.
    pub fn get(&self, key: &K, now: UnixTime) -> Option<V> {
        let found = read(&self.entries).get(key).filter(|(_, filled)| self.fresh(*filled, now)).map(|(v, _)| v.clone());
        let counter = if found.is_some() { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    fn counts(&self, cache: &'static str) -> crate::stats::CacheCounts {
        crate::stats::CacheCounts {
            cache,
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }

    /// Keeps `value` (read from the store since `fill`) unless the caches were invalidated
    /// meanwhile: then the value may predate the change and is not kept. Says whether it was kept.
    pub fn insert(&self, fill: Fill, key: K, value: V, now: UnixTime) -> bool {
        self.insert_unless(fill, key, value, now, |_| false)
    }

    /// Like [`Cache::insert`], but also keeps what is cached when `keep_cached` says so.
    pub fn insert_unless(
        &self,
        fill: Fill,
        key: K,
        value: V,
        now: UnixTime,
        keep_cached: impl FnOnce(&V) -> bool,
    ) -> bool {
        let mut entries = write(&self.entries);
        // Checked under the write lock: an invalidation bumps the generation before it
        // clears this map, so either it sees the entry (and drops it) or this sees the bump.
        if self.generation.load(Ordering::SeqCst) != fill.0 {
            return false;
        }
        if entries.get(&key).is_some_and(|(cached, filled)| self.fresh(*filled, now) && keep_cached(cached)) {
            return false;
        }
        entries.insert(key, (value, now));
        // Oldest fills first (an insert moves its key to the back): the stale, then the surplus.
        while let Some((_, (_, filled))) = entries.front() {
            if entries.len() > self.capacity || !self.fresh(*filled, now) {
                entries.pop_front();
            } else {
                break;
            }
        }
        true
    }

    /// Drops the entry under `key`, if any.
    pub fn remove(&self, key: &K) {
        write(&self.entries).remove(key);
    }

    pub fn len(&self) -> usize {
        read(&self.entries).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn clear(&self) {
        write(&self.entries).clear();
    }

    /// Drops the entries too old to be used and those `keep` refuses.
    fn prune(&self, now: UnixTime, keep: impl Fn(&V) -> bool) {
        write(&self.entries).retain(|_, (v, filled)| self.fresh(*filled, now) && keep(v));
    }
}

pub struct Caches {
    /// Bumped by every invalidation, before the maps are cleared.
    generation: Arc<AtomicU64>,
    pub apps: Cache<ClientId, Arc<App>>,
    pub standing: Cache<(ClientId, CorpId), Arc<AppStanding>>,
    pub catalog: Cache<(), Arc<std::collections::HashMap<ScopeCode, Scope>>>,
    pub tokens: Cache<TokenHash, Arc<AccessToken>>,
    /// Not read from the store (the plaintext exists only here), so not re-validated by
    /// age; a handed token is checked against `tokens` before it is handed out again.
    pub handed: Cache<ReuseKey, Handed>,
    /// Apps' rotated-out secrets still in (or past) their overlap, with their end.
    pub previous_secrets: Cache<ClientId, PreviousSecrets>,
    /// Suites' ticket states, trusted for at most [`crate::suite::TICKET_CACHE_SECS`] (see
    /// `suite`: a presented ticket the cached state refuses is checked again against the store).
    pub tickets: Cache<ClientId, SuiteTicket>,
    /// Hashes of presented access tokens the store did not have (garbage, or expired and
    /// purged), refused without a store read for at most [`MISSING_SECS`]; a token this node
    /// mints is dropped from here when its commit returns (see `crate::invalidating`).
    pub missing: Cache<TokenHash, ()>,
    /// Apps' OpenID Connect settings (the access token format is read on every issue).
    pub oidc_clients: Cache<ClientId, Arc<tessera_core::oidc::OidcClient>>,
    /// The sample API's membership reads (a stand-in for the platform's upstream): a person's
    /// membership in an org. Dropped by this node's changes to members and orgs (see
    /// [`Caches::invalidate_sample`]); other nodes' changes are seen after the re-validation
    /// period.
    pub sample_members: Cache<(CorpId, UnionId), Option<Arc<Member>>>,
}

/// The longest a presented token the store did not have is refused from memory.
pub const MISSING_SECS: i64 = 5;

impl Default for Caches {
    fn default() -> Self {
        Caches::new(CacheConfig::default())
    }
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
    pub fn new(config: CacheConfig) -> Self {
        let generation = Arc::new(AtomicU64::new(0));
        let (cap, age) = (config.capacity, Some(config.revalidate_secs.max(0)));
        let ticket_age = Some(config.revalidate_secs.clamp(0, crate::suite::TICKET_CACHE_SECS));
        Caches {
            apps: Cache::new(&generation, cap, age),
            standing: Cache::new(&generation, cap, age),
            catalog: Cache::new(&generation, 1, age),
            tokens: Cache::new(&generation, cap, age),
            handed: Cache::new(&generation, cap, None),
            previous_secrets: Cache::new(&generation, cap, age),
            tickets: Cache::new(&generation, cap, ticket_age),
            missing: Cache::new(&generation, cap, Some(config.revalidate_secs.clamp(0, MISSING_SECS))),
            oidc_clients: Cache::new(&generation, cap, age),
            sample_members: Cache::new(&generation, cap, age),
            generation,
        }
    }

    /// Hits and misses of each map, by its name.
    pub fn counts(&self) -> Vec<crate::stats::CacheCounts> {
        vec![
            self.apps.counts("apps"),
            self.standing.counts("standing"),
            self.catalog.counts("catalog"),
            self.tokens.counts("tokens"),
            self.handed.counts("handed"),
            self.previous_secrets.counts("previous_secrets"),
            self.tickets.counts("tickets"),
        ]
    }

    /// Call before reading what is to be cached: [`Cache::insert`] keeps the value only if no
    /// invalidation happened since.
    pub fn fill(&self) -> Fill {
        Fill(self.generation.load(Ordering::SeqCst))
    }

    /// Drops what a committed change of this kind can have made stale.
    pub fn invalidate(&self, what: Invalidation) {
        if what == Invalidation::Nothing {
            return;
        }
        self.generation.fetch_add(1, Ordering::SeqCst);
        if what == Invalidation::Everything {
            self.tokens.clear();
        } else {
            // Revoked families and withdrawn consents: app and corp tokens stay.
            write(&self.tokens.entries).retain(|_, (t, _)| t.kind != TokenKind::User);
        }
        if what == Invalidation::UserTokens {
            return;
        }
        self.apps.clear();
        self.standing.clear();
        self.previous_secrets.clear();
        self.catalog.clear();
        self.oidc_clients.clear();
        if what == Invalidation::Everything {
            self.handed.clear();
            self.tickets.clear();
            self.missing.clear();
            self.sample_members.clear();
        }
    }

    /// Drops the sample API's cached memberships: members or orgs changed on this node.
    /// Bumps the generation first, so a read that began before the change is not kept.
    pub fn invalidate_sample(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.sample_members.clear();
    }

    /// Drops what a grant change can have made stale (apps, secrets, standings, the catalogue).
    pub fn invalidate_grants(&self) {
        self.invalidate(Invalidation::Grants);
    }

    /// Drops everything: another node changed something, or announcements may have been missed.
    pub fn invalidate_all(&self) {
        self.invalidate(Invalidation::Everything);
    }

    pub fn prune(&self, now: UnixTime) {
        self.apps.prune(now, |_| true);
        self.standing.prune(now, |_| true);
        self.previous_secrets.prune(now, |_| true);
        self.catalog.prune(now, |_| true);
        self.tickets.prune(now, |_| true);
        self.missing.prune(now, |_| true);
        self.oidc_clients.prune(now, |_| true);
        self.sample_members.prune(now, |_| true);
        self.tokens.prune(now, |t| t.is_live(now));
        self.handed.prune(now, |h| h.expires_at > now);
    }
}
