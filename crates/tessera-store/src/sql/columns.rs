//! Single column values as stored: ids and hashes as text, scope lists as codes joined by
//! single spaces, roles, redirect URIs and readers as JSON arrays. A value that does not parse
//! is a [`StoreError::Corrupt`] row.

use tessera_core::ids::{ClientId, CorpId, ScopeCode, UnionId, UserId};
use tessera_core::member::MemberRole;
use tessera_core::secret::SecretHash;

use crate::StoreError;

pub fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

pub fn hash(s: &str) -> Result<SecretHash, StoreError> {
    SecretHash::from_hex(s).ok_or_else(|| corrupt("hash", "not 64 hex digits"))
}

pub fn corp(s: String) -> Result<CorpId, StoreError> {
    CorpId::parse(s).map_err(|e| corrupt("corp_id", e))
}

pub fn client(s: String) -> Result<ClientId, StoreError> {
    ClientId::parse(s).map_err(|e| corrupt("client_id", e))
}

pub fn union(s: String) -> Result<UnionId, StoreError> {
    UnionId::parse(s).map_err(|e| corrupt("union_id", e))
}

pub fn user_id(s: String) -> Result<UserId, StoreError> {
    UserId::parse(s).map_err(|e| corrupt("user_id", e))
}

pub fn scope_code(s: String) -> Result<ScopeCode, StoreError> {
    ScopeCode::parse(s).map_err(|e| corrupt("scope", e))
}

/// Scopes as stored: codes joined by single spaces.
pub fn scopes_text(scopes: &[ScopeCode]) -> String {
    scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
}

pub fn scopes(text: &str) -> Result<Vec<ScopeCode>, StoreError> {
    text.split(' ').filter(|s| !s.is_empty()).map(|s| scope_code(s.to_owned())).collect()
}

pub fn roles_json(roles: &[MemberRole]) -> Result<String, StoreError> {
    serde_json::to_string(roles).map_err(|e| corrupt("roles", e))
}

pub fn uris_json(uris: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(uris).map_err(|e| corrupt("redirect_uris", e))
}

pub fn readers_json(readers: &[UserId]) -> Result<String, StoreError> {
    serde_json::to_string(readers).map_err(|e| corrupt("readers", e))
}

/// A JSON array column (`what` names it in the error).
pub fn json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| corrupt(what, e))
}
