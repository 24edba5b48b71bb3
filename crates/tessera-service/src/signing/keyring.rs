//! The signing keys of this node: a snapshot of the stored keys with their private halves
//! opened, refreshed from the store (every node signs with the same active key), extended by
//! the rotation schedule of [`tessera_core::signing_key`], and published as a JWKS.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use tessera_core::time::UnixTime;

use serde_json::{Value, json};
use tessera_core::audit::{AuditAction, AuditDraft};
use tessera_core::change::Change;
use tessera_core::signing_key::{self, KeyState, SigningAlg, StoredSigningKey};
use tessera_store::StoreError;

use super::key_pair::{KeyPair, KeyPairError};
use super::seal::{self, SEAL_PURPOSE, SealError};
use super::{SigningError, jws};
use crate::Tessera;

/// Seconds a node trusts its snapshot before reading the store again on a signing path.
pub const SNAPSHOT_MAX_AGE: i64 = 30;
/// How old the snapshot behind a served JWKS may be: a key another node created shows within this.
pub const JWKS_MAX_AGE: i64 = 5;

struct Snapshot {
    stored: Vec<StoredSigningKey>,
    pairs: HashMap<String, Arc<KeyPair>>,
    /// When it was read (service clock); `None` before the first read.
    loaded: Option<UnixTime>,
}

/// The node's keys (held by the service).
pub struct Keyring {
    snapshot: RwLock<Arc<Snapshot>>,
    /// Serializes key creation on this node (other nodes are kept out by the unique generation).
    creating: tokio::sync::Mutex<()>,
}

impl Default for Keyring {
    fn default() -> Self {
        Keyring {
            snapshot: RwLock::new(Arc::new(Snapshot { stored: Vec::new(), pairs: HashMap::new(), loaded: None })),
            creating: tokio::sync::Mutex::new(()),
        }
    }
}

impl Keyring {
    fn current(&self) -> Arc<Snapshot> {
        match self.snapshot.read() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn replace(&self, next: Snapshot) {
        match self.snapshot.write() {
            Ok(mut s) => *s = Arc::new(next),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(next),
        }
    }
}

/// A key as `tessera keys list` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct KeyInfo {
    pub kid: String,
    pub alg: &'static str,
    pub generation: i64,
    pub state: &'static str,
    pub created_at: i64,
    pub activates_at: i64,
    /// For a retired key: when it leaves the JWKS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_until: Option<i64>,
}

/// What a manual rotation did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Rotation {
    pub alg: &'static str,
    pub retired: Option<String>,
    pub active: String,
}

impl Tessera {
    /// The longest lifetime of anything Tessera signs: a retired key stays published this long.
    pub fn max_signed_ttl(&self) -> i64 {
        let c = &self.inner.config;
        c.id_token_ttl.max(c.jwt_access_ttl).max(super::LOGOUT_TOKEN_TTL).max(super::ASSERTION_TTL)
    }

    fn snapshot_older_than(&self, snap: &Snapshot, secs: i64) -> bool {
        snap.loaded.is_none_or(|at| at.secs_until(self.now()) > secs || self.now() < at)
    }

    fn seal_key(&self) -> [u8; 32] {
        self.derive_key(SEAL_PURPOSE)
    }

    /// Reads the stored keys again and opens the new ones.
    pub async fn refresh_keys(&self) -> Result<(), SigningError> {
        let stored = self.inner.store.signing_keys().await?;
        let old = self.inner.keyring.current();
        let seal_key = self.seal_key();
        let mut pairs = HashMap::with_capacity(stored.len());
        for k in &stored {
            let pair = match old.pairs.get(&k.kid) {
                Some(p) => p.clone(),
                None => {
                    let bytes = seal::open(&seal_key, &k.kid, &k.sealed_private)?;
                    Arc::new(KeyPair::from_private_bytes(k.alg, &bytes)?)
                }
            };
            pairs.insert(k.kid.clone(), pair);
        }
        self.inner.keyring.replace(Snapshot { stored, pairs, loaded: Some(self.now()) });
        Ok(())
    }

    /// Creates what the schedule of `alg` lacks at this time (the first key and its
    /// successor, or the next successor); another node creating the same generation first is
    /// not an error.
    pub async fn ensure_keys(&self, alg: SigningAlg) -> Result<(), SigningError> {
        let _creating = self.inner.keyring.creating.lock().await;
        self.refresh_keys().await?;
        let now = self.now();
        let planned = signing_key::plan(&self.inner.keyring.current().stored, alg, now, self.rotation_period());
        if planned.is_empty() {
            return Ok(());
        }
        for p in planned {
            let pair = tokio::task::spawn_blocking(move || KeyPair::generate(p.alg))
                .await
                .map_err(|e| SigningError::Crypto(format!("key generation failed: {e}")))??;
            let kid = pair.thumbprint();
            let stored = StoredSigningKey {
                sealed_private: seal::seal(&self.seal_key(), &kid, &pair.private_bytes()?)?,
                public_jwk: pair.public_jwk(&kid).to_string(),
                kid,
                alg: p.alg,
                generation: p.generation,
                created_at: now,
                activates_at: p.activates_at,
            };
            match self.inner.store.commit(&[Change::InsertSigningKey(stored)], now).await {
                Ok(()) => {}
                // Another node created this generation first: its key is the one.
                Err(StoreError::Conflict(_)) => break,
                Err(e) => return Err(e.into()),
            }
        }
        self.refresh_keys().await
    }

    fn rotation_period(&self) -> i64 {
        self.inner.config.signing_key_rotation.max(1)
    }

    /// The key that signs with `alg` now, creating or rotating keys when the schedule says so.
    async fn active_key(&self, alg: SigningAlg) -> Result<(String, Arc<KeyPair>), SigningError> {
        let mut snap = self.inner.keyring.current();
        if self.snapshot_older_than(&snap, SNAPSHOT_MAX_AGE) {
            self.refresh_keys().await?;
            snap = self.inner.keyring.current();
        }
        if !signing_key::plan(&snap.stored, alg, self.now(), self.rotation_period()).is_empty() {
            self.ensure_keys(alg).await?;
            snap = self.inner.keyring.current();
        }
        let now = self.now();
        let key = signing_key::active(&snap.stored, alg, now)
            .ok_or_else(|| SigningError::Crypto(format!("no {} key is active", alg.as_str())))?;
        let pair = snap.pairs.get(&key.kid).cloned().ok_or_else(|| SigningError::Crypto("key not opened".into()))?;
        Ok((key.kid.clone(), pair))
    }

    /// A compact JWS of `claims` by the active key of `alg` (`typ` as given: `JWT`,
    /// `at+jwt`, `logout+jwt`).
    pub async fn sign_jwt(&self, alg: SigningAlg, typ: &str, claims: &Value) -> Result<String, SigningError> {
        let (kid, pair) = self.active_key(alg).await?;
        Ok(jws::compact(&pair, &kid, typ, claims))
    }

    /// Like [`Tessera::sign_jwt`] from this node's snapshot only, without touching the store
    /// (for hot paths that cannot wait; `None` when no key of `alg` is active yet).
    pub fn sign_jwt_now(&self, alg: SigningAlg, typ: &str, claims: &Value) -> Option<String> {
        let snap = self.inner.keyring.current();
        let key = signing_key::active(&snap.stored, alg, self.now())?;
        let pair = snap.pairs.get(&key.kid)?;
        Some(jws::compact(pair, &key.kid, typ, claims))
    }

    /// The claims of a JWS that one of Tessera's keys (any state but expired) signed, whatever
    /// its `exp`; `None` when the signature does not verify with a key of this server.
    pub async fn verify_own(&self, jws: &str) -> Option<Value> {
        let parsed = jws::parse(jws)?;
        let kid = parsed.header["kid"].as_str()?.to_owned();
        let mut snap = self.inner.keyring.current();
        if !snap.pairs.contains_key(&kid) && self.snapshot_older_than(&snap, 1) {
            self.refresh_keys().await.ok()?;
            snap = self.inner.keyring.current();
        }
        let pair = snap.pairs.get(&kid)?;
        let alg_ok = parsed.header["alg"].as_str() == Some(pair.alg().as_str());
        (alg_ok && pair.verify(parsed.input.as_bytes(), &parsed.signature)).then_some(parsed.claims)
    }

    /// The JWK set: every published key (next, active, and retired until their last token
    /// expired), from this node's snapshot.
    pub fn jwks(&self) -> Value {
        let snap = self.inner.keyring.current();
        let keys: Vec<Value> = signing_key::published(&snap.stored, self.now(), self.max_signed_ttl())
            .into_iter()
            .filter_map(|k| serde_json::from_str::<Value>(&k.public_jwk).ok())
            .collect();
        json!({ "keys": keys })
    }

    /// The JWK set as served: read again from the store when the snapshot is older than
    /// [`JWKS_MAX_AGE`] (a failed read serves the snapshot).
    pub async fn current_jwks(&self) -> Value {
        if self.snapshot_older_than(&self.inner.keyring.current(), JWKS_MAX_AGE)
            && let Err(e) = self.refresh_keys().await
        {
            tracing::warn!(error = %e, "reading the signing keys failed; serving the keys known");
        }
        self.jwks()
    }

    /// Keeps the schedule of every algorithm in use (and EdDSA, the gateway's) complete;
    /// called periodically and at start.
    pub async fn maintain_keys(&self) -> Result<(), SigningError> {
        self.refresh_keys().await?;
        let in_use: Vec<SigningAlg> = SigningAlg::ALL
            .into_iter()
            .filter(|a| *a == SigningAlg::EdDsa || self.inner.keyring.current().stored.iter().any(|k| k.alg == *a))
            .collect();
        for alg in in_use {
            if !signing_key::plan(&self.inner.keyring.current().stored, alg, self.now(), self.rotation_period())
                .is_empty()
            {
                self.ensure_keys(alg).await?;
            }
        }
        Ok(())
    }

    /// Every stored key with its state now.
    pub async fn list_keys(&self) -> Result<Vec<KeyInfo>, SigningError> {
        self.refresh_keys().await?;
        let snap = self.inner.keyring.current();
        let now = self.now();
        let ttl = self.max_signed_ttl();
        Ok(snap
            .stored
            .iter()
            .map(|k| {
                let state = signing_key::state(&snap.stored, k, now, ttl);
                KeyInfo {
                    kid: k.kid.clone(),
                    alg: k.alg.as_str(),
                    generation: k.generation,
                    state: state.as_str(),
                    created_at: k.created_at.0,
                    activates_at: k.activates_at.0,
                    published_until: match state {
                        KeyState::Retired { until } => Some(until.0),
                        _ => None,
                    },
                }
            })
            .collect())
    }

    /// Rotates `alg` now: its published successor starts signing (it has been in the JWKS
    /// since it was created), the current key retires, and a new successor is published.
    /// Recorded in the audit log as done by `actor`.
    pub async fn rotate_keys(&self, alg: SigningAlg, actor: &str) -> Result<Rotation, SigningError> {
        self.ensure_keys(alg).await?;
        let now = self.now();
        let snap = self.inner.keyring.current();
        let retired = signing_key::active(&snap.stored, alg, now).map(|k| k.kid.clone());
        let next = signing_key::next(&snap.stored, alg, now)
            .ok_or_else(|| SigningError::Crypto(format!("no {} successor is published", alg.as_str())))?
            .kid
            .clone();
        let audit = Change::Audit(AuditDraft {
            corp_id: None,
            actor: actor.to_owned(),
            action: AuditAction::SigningKeyRotated,
            target: format!("signing_key:{next}"),
            detail: format!(
                "{} key {next} signs from now; {} retired",
                alg.as_str(),
                retired.as_deref().unwrap_or("none")
            ),
        });
        self.inner.store.commit(&[Change::ActivateSigningKey { kid: next.clone(), at: now }, audit], now).await?;
        self.ensure_keys(alg).await?;
        Ok(Rotation { alg: alg.as_str(), retired, active: next })
    }
}

impl From<SealError> for SigningError {
    fn from(e: SealError) -> Self {
        SigningError::Crypto(e.to_string())
    }
}

impl From<KeyPairError> for SigningError {
    fn from(e: KeyPairError) -> Self {
        SigningError::Crypto(e.to_string())
    }
}
