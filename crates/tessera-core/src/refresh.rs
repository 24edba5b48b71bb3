//! Refresh tokens and their families. Each refresh is single use: it returns a new pair and
//! consumes the old token; presenting a consumed token again means it leaked, so the whole
//! family (every access and refresh token descended from one authorization) is revoked.

use crate::ids::{ClientId, CorpId, ScopeCode, UnionId};
use crate::secret::TokenHash;
use crate::time::UnixTime;

/// The prefix of refresh tokens.
pub const REFRESH_PREFIX: &str = "r-";
/// The prefix of authorization codes.
pub const CODE_PREFIX: &str = "ac-";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshToken {
    pub hash: TokenHash,
    pub family_id: String,
    pub client_id: ClientId,
    pub union_id: UnionId,
    pub corp_id: Option<CorpId>,
    pub scopes: Vec<ScopeCode>,
    pub issued_at: UnixTime,
    pub expires_at: UnixTime,
}

/// Lifetimes of user tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserTokenPolicy {
    /// User access tokens, in seconds (default 7,200).
    pub access_ttl: i64,
    /// Refresh tokens, in seconds (default 30 days).
    pub refresh_ttl: i64,
}

impl Default for UserTokenPolicy {
    fn default() -> Self {
        UserTokenPolicy { access_ttl: 7200, refresh_ttl: 30 * 24 * 3600 }
    }
}

/// What claiming a single-use credential (code or refresh token) found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim<T> {
    /// It was unused and is now consumed by this caller.
    Claimed(T),
    /// It had been consumed before: a replay.
    Replayed(T),
    /// No such credential.
    Unknown,
}
