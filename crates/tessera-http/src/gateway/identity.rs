//! The identity headers of an allowed call (`X-Tessera-Client-Id`, `-Corp-Id`, `-Union-Id`,
//! `-User-Id`, `-Token-Kind`, `-Scopes`) and the signed assertion of the same facts, kept per
//! (token, route) for a few seconds so that a busy caller is not signed for on every call.
//!
//! The token is still checked on every call (a recall or a revocation refuses the next
//! call); what is kept is only what the check's answer and the member look-up render to. An
//! entry is used while all of these hold, else made again:
//! - it is younger than the caches' re-validation period and half the assertion's
//!   lifetime (an upstream always gets an assertion with at least half its lifetime left);
//! - no cached decision was dropped on this node since it was made (any committed grant,
//!   token or key change, or another node's announcement, makes every entry old);
//! - the route is the same route of the same table (a reload makes new entries);
//! - the token's check answered the same caller.
//!
//! Bounded: at most [`CAPACITY`] entries; when full, the old ones are dropped and, if that
//! is not enough, all of them.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use http::{HeaderMap, HeaderValue};
use serde_json::json;
use tessera_core::secret::{TokenHash, token_hash};
use tessera_service::{Principal, Tessera};
use tessera_store::StoreError;

use super::assertion::{ASSERTION_HEADER, ASSERTION_TTL};
use super::table::Route;

/// Most (token, route) pairs kept.
pub const CAPACITY: usize = 10_000;

struct Entry {
    /// Held so that the route's address (part of the key) is not reused while the entry lives.
    route: Arc<Route>,
    principal: Principal,
    made: i64,
    generation: u64,
    headers: HeaderMap,
}

/// See the module documentation.
#[derive(Default)]
pub struct IdentityCache {
    entries: RwLock<HashMap<(TokenHash, usize), Entry>>,
}

impl IdentityCache {
    /// The identity headers (with the assertion) for `principal`, who presented `token`, on `route`.
    pub async fn headers(
        &self,
        tessera: &Tessera,
        token: &str,
        route: &Arc<Route>,
        principal: &Principal,
    ) -> Result<HeaderMap, StoreError> {
        let reuse = tessera.config().cache.revalidate_secs.min(ASSERTION_TTL / 2);
        if reuse <= 0 {
            return identity_headers(tessera, route, principal).await;
        }
        let key = (token_hash(token), Arc::as_ptr(route) as usize);
        // Read before the look-ups below: a change committed meanwhile makes the entry old.
        let generation = tessera.cache_generation();
        let now = tessera.now().0;
        let fresh = |e: &Entry| {
            now.saturating_sub(e.made) < reuse
                && e.made <= now
                && e.generation == generation
                && Arc::ptr_eq(&e.route, route)
                && &e.principal == principal
        };
        if let Some(e) = self.read().get(&key).filter(|e| fresh(e)) {
            return Ok(e.headers.clone());
        }
        let headers = identity_headers(tessera, route, principal).await?;
        let entry = Entry {
            route: route.clone(),
            principal: principal.clone(),
            made: now,
            generation,
            headers: headers.clone(),
        };
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= CAPACITY && !entries.contains_key(&key) {
            entries.retain(|_, e| fresh(e));
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(key, entry);
        Ok(headers)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<(TokenHash, usize), Entry>> {
        self.entries.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Entries kept (for tests).
    pub fn len(&self) -> usize {
        self.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `X-Tessera-Client-Id`, `-Corp-Id`, `-Union-Id`, `-User-Id` (the member's id in the org),
/// `-Token-Kind`, `-Scopes` (the route's scopes, all of which the token holds) and the
/// signed assertion of the same facts.
async fn identity_headers(tessera: &Tessera, route: &Route, p: &Principal) -> Result<HeaderMap, StoreError> {
    let user_id = match (&p.corp_id, &p.union_id) {
        (Some(corp), Some(union)) => tessera.member_by_union(corp, union).await?.map(|m| m.user_id.to_string()),
        _ => None,
    };
    let scopes: Vec<&str> = route.scopes.iter().map(|s| s.as_str()).collect();
    let scopes = scopes.join(" ");
    let mut h = HeaderMap::new();
    let mut put = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    put("x-tessera-client-id", p.client_id.as_str());
    if let Some(c) = &p.corp_id {
        put("x-tessera-corp-id", c.as_str());
    }
    if let Some(u) = &p.union_id {
        put("x-tessera-union-id", u.as_str());
    }
    if let Some(u) = &user_id {
        put("x-tessera-user-id", u);
    }
    put("x-tessera-token-kind", p.kind.as_str());
    put("x-tessera-scopes", &scopes);
    let now = tessera.now().0;
    let claims = json!({
        "iss": tessera.config().public_url,
        "sub": p.union_id.as_ref().map(|u| u.as_str()).unwrap_or(p.client_id.as_str()),
        "aud": route.upstream.name,
        "iat": now,
        "exp": now + ASSERTION_TTL,
        "client_id": p.client_id.as_str(),
        "corp_id": p.corp_id.as_ref().map(|c| c.as_str()),
        "union_id": p.union_id.as_ref().map(|u| u.as_str()),
        "user_id": user_id,
        "token_kind": p.kind.as_str(),
        "scope": scopes,
    });
    put(ASSERTION_HEADER, &super::assertion::sign(tessera, &claims).await?);
    Ok(h)
}
