//! Signing keys (for ID tokens, JWT access tokens, logout tokens and the gateway's
//! assertion) and their rotation schedule, as pure functions of the stored keys and the time.
//!
//! Each algorithm has a chain of generations. A key is *published* (in the JWKS) from its
//! creation, *signs* from its `activates_at` until its successor activates, and stays
//! published after that for as long as a token it signed can live. When a generation
//! becomes active its successor is created at once, to activate one rotation period later:
//! so a key is in the JWKS for a whole period before it signs.

use crate::time::UnixTime;

/// The JWS algorithms Tessera signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SigningAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256: the OpenID Connect default.
    Rs256,
    /// ECDSA on P-256 with SHA-256.
    Es256,
    /// Ed25519.
    EdDsa,
}

impl SigningAlg {
    pub const ALL: [SigningAlg; 3] = [SigningAlg::Rs256, SigningAlg::Es256, SigningAlg::EdDsa];

    /// The JOSE name (`alg`).
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::Rs256 => "RS256",
            SigningAlg::Es256 => "ES256",
            SigningAlg::EdDsa => "EdDSA",
        }
    }

    /// Parses a JOSE `alg` name, exactly (JOSE names are case-sensitive).
    pub fn parse(s: &str) -> Option<Self> {
        SigningAlg::ALL.into_iter().find(|a| a.as_str() == s)
    }

    pub fn names() -> String {
        SigningAlg::ALL.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ")
    }
}

/// Default rotation period: 30 days.
pub const DEFAULT_ROTATION: i64 = 30 * 24 * 3600;

/// A signing key as stored: its private half sealed under the server key.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredSigningKey {
    /// Key id (`kid`), unique.
    pub kid: String,
    pub alg: SigningAlg,
    /// 1 for an algorithm's first key, then one more per rotation; unique per algorithm, so
    /// two nodes creating the same successor collide and one of them wins.
    pub generation: i64,
    pub created_at: UnixTime,
    /// When it starts signing (published from `created_at`).
    pub activates_at: UnixTime,
    /// The private key, sealed (encrypted and authenticated) under the server key.
    pub sealed_private: String,
    /// The public JWK, as JSON text.
    pub public_jwk: String,
}

impl std::fmt::Debug for StoredSigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredSigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("generation", &self.generation)
            .field("created_at", &self.created_at)
            .field("activates_at", &self.activates_at)
            .finish_non_exhaustive()
    }
}

/// Where a key stands at some time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Published, not signing yet.
    Next,
    /// The key that signs.
    Active,
    /// No longer signs; published until `until` (its last token's expiry).
    Retired { until: UnixTime },
    /// Neither signs nor is published.
    Expired,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Next => "next",
            KeyState::Active => "active",
            KeyState::Retired { .. } => "retired",
            KeyState::Expired => "expired",
        }
    }

    pub fn is_published(self) -> bool {
        !matches!(self, KeyState::Expired)
    }
}

/// The key of `alg` that signs at `now`: the newest generation already active.
pub fn active(keys: &[StoredSigningKey], alg: SigningAlg, now: UnixTime) -> Option<&StoredSigningKey> {
    keys.iter().filter(|k| k.alg == alg && k.activates_at <= now).max_by_key(|k| k.generation)
}

/// The state of `key` at `now`; `max_token_ttl` is the longest lifetime of anything signed.
pub fn state(keys: &[StoredSigningKey], key: &StoredSigningKey, now: UnixTime, max_token_ttl: i64) -> KeyState {
    if key.activates_at > now {
        return KeyState::Next;
    }
    // The successor that ended this key's signing: the oldest later generation already active.
    let retired_at = keys
        .iter()
        .filter(|k| k.alg == key.alg && k.generation > key.generation && k.activates_at <= now)
        .map(|k| k.activates_at)
        .min();
    match retired_at {
        None => KeyState::Active,
        Some(at) => {
            let until = at.plus_secs(max_token_ttl);
            if now < until { KeyState::Retired { until } } else { KeyState::Expired }
        }
    }
}

/// The keys in the JWKS at `now`, oldest generation first.
pub fn published(keys: &[StoredSigningKey], now: UnixTime, max_token_ttl: i64) -> Vec<&StoredSigningKey> {
    let mut out: Vec<&StoredSigningKey> =
        keys.iter().filter(|k| state(keys, k, now, max_token_ttl).is_published()).collect();
    out.sort_by_key(|k| (k.alg, k.generation));
    out
}

/// A key the schedule needs created: generation and activation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planned {
    pub alg: SigningAlg,
    pub generation: i64,
    pub activates_at: UnixTime,
}

/// The keys of `alg` to create at `now` so that one signs and its successor is published:
/// none when the chain is complete. With no key at all: the first, active at once, and the
/// second. A successor activates one `rotation` after the active key did (never in the past).
pub fn plan(keys: &[StoredSigningKey], alg: SigningAlg, now: UnixTime, rotation: i64) -> Vec<Planned> {
    let rotation = rotation.max(1);
    match active(keys, alg, now) {
        None => {
            // No key signs yet; a key of a later generation may be waiting (created by a
            // manual rotation elsewhere): then it is made the first to sign.
            let newest = keys.iter().filter(|k| k.alg == alg).map(|k| k.generation).max().unwrap_or(0);
            vec![
                Planned { alg, generation: newest + 1, activates_at: now },
                Planned { alg, generation: newest + 2, activates_at: now.plus_secs(rotation) },
            ]
        }
        Some(current) => {
            let has_next = keys.iter().any(|k| k.alg == alg && k.generation > current.generation);
            if has_next {
                Vec::new()
            } else {
                let at = current.activates_at.plus_secs(rotation).max(now);
                vec![Planned { alg, generation: current.generation + 1, activates_at: at }]
            }
        }
    }
}

/// The successor of `alg`'s active key, if one is published (what a manual rotation activates).
pub fn next(keys: &[StoredSigningKey], alg: SigningAlg, now: UnixTime) -> Option<&StoredSigningKey> {
    let current = active(keys, alg, now).map(|k| k.generation).unwrap_or(0);
    keys.iter().filter(|k| k.alg == alg && k.generation > current).min_by_key(|k| k.generation)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 24 * 3600;

    fn key(alg: SigningAlg, generation: i64, created: i64, activates: i64) -> StoredSigningKey {
        StoredSigningKey {
            kid: format!("{}-{generation}", alg.as_str()),
            alg,
            generation,
            created_at: UnixTime(created),
            activates_at: UnixTime(activates),
            sealed_private: String::new(),
            public_jwk: String::new(),
        }
    }

    fn materialize(keys: &mut Vec<StoredSigningKey>, plan: &[Planned], now: i64) {
        for p in plan {
            keys.push(key(p.alg, p.generation, now, p.activates_at.0));
        }
    }

    #[test]
    fn algorithm_names_round_trip_exactly() {
        for a in SigningAlg::ALL {
            assert_eq!(SigningAlg::parse(a.as_str()), Some(a));
        }
        assert_eq!(SigningAlg::parse("rs256"), None);
        assert_eq!(SigningAlg::parse("none"), None);
        assert_eq!(SigningAlg::parse("HS256"), None);
    }

    #[test]
    fn a_fresh_store_gets_an_active_key_and_a_published_successor() {
        let mut keys = Vec::new();
        let p = plan(&keys, SigningAlg::EdDsa, UnixTime(1000), 30 * DAY);
        assert_eq!(p.len(), 2);
        assert_eq!((p[0].generation, p[0].activates_at), (1, UnixTime(1000)));
        assert_eq!((p[1].generation, p[1].activates_at), (2, UnixTime(1000 + 30 * DAY)));
        materialize(&mut keys, &p, 1000);
        assert!(plan(&keys, SigningAlg::EdDsa, UnixTime(2000), 30 * DAY).is_empty());
        // The other algorithms are independent.
        assert_eq!(plan(&keys, SigningAlg::Rs256, UnixTime(2000), 30 * DAY).len(), 2);
        assert_eq!(active(&keys, SigningAlg::EdDsa, UnixTime(2000)).map(|k| k.generation), Some(1));
        assert_eq!(state(&keys, &keys[1], UnixTime(2000), 3600), KeyState::Next);
        assert_eq!(published(&keys, UnixTime(2000), 3600).len(), 2);
    }

    #[test]
    fn a_successor_is_published_a_whole_period_before_it_signs_and_the_old_key_lingers_a_token_lifetime() {
        let ttl = 3600;
        let mut keys = Vec::new();
        let first = plan(&keys, SigningAlg::Es256, UnixTime(0), 30 * DAY);
        materialize(&mut keys, &first, 0);
        // One second before the rotation: generation 1 signs, 2 is published.
        let before = UnixTime(30 * DAY - 1);
        assert_eq!(active(&keys, SigningAlg::Es256, before).map(|k| k.generation), Some(1));
        // At the rotation: 2 signs, 1 is retired until its last token expired, 3 is planned.
        let at = UnixTime(30 * DAY);
        assert_eq!(active(&keys, SigningAlg::Es256, at).map(|k| k.generation), Some(2));
        assert_eq!(state(&keys, &keys[0], at, ttl), KeyState::Retired { until: at.plus_secs(ttl) });
        let p = plan(&keys, SigningAlg::Es256, at, 30 * DAY);
        assert_eq!(p, vec![Planned { alg: SigningAlg::Es256, generation: 3, activates_at: UnixTime(60 * DAY) }]);
        materialize(&mut keys, &p, at.0);
        assert_eq!(published(&keys, at.plus_secs(ttl - 1), ttl).len(), 3);
        let later = published(&keys, at.plus_secs(ttl), ttl);
        assert_eq!(later.iter().map(|k| k.generation).collect::<Vec<_>>(), vec![2, 3]);
        assert_eq!(state(&keys, &keys[0], at.plus_secs(ttl), ttl), KeyState::Expired);
    }

    #[test]
    fn a_late_check_never_plans_an_activation_in_the_past() {
        let mut keys = vec![key(SigningAlg::Rs256, 1, 0, 0)];
        let p = plan(&keys, SigningAlg::Rs256, UnixTime(90 * DAY), 30 * DAY);
        assert_eq!(p[0].activates_at, UnixTime(90 * DAY));
        keys.push(key(SigningAlg::Rs256, 2, 90 * DAY, 90 * DAY));
        assert_eq!(next(&keys, SigningAlg::Rs256, UnixTime(90 * DAY - 1)).map(|k| k.generation), Some(2));
        assert_eq!(next(&keys, SigningAlg::Rs256, UnixTime(90 * DAY)), None);
    }

    #[test]
    fn debug_never_shows_the_sealed_private_key() {
        let mut k = key(SigningAlg::EdDsa, 1, 0, 0);
        k.sealed_private = "SEALED-SECRET".into();
        assert!(!format!("{k:?}").contains("SEALED-SECRET"));
    }
}
