//! Sign-in sessions: a random cookie value whose hash is stored, and a CSRF token derived
//! from it with the server key (so it needs no storage of its own).

use crate::ids::UnionId;
use crate::secret::{Secret, SecretKey, TokenHash};
use crate::time::UnixTime;

/// The prefix of session cookie values.
pub const SESSION_PREFIX: &str = "sess-";
/// Lifetime of a session, in seconds (12 hours).
pub const SESSION_TTL: i64 = 12 * 3600;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub hash: TokenHash,
    pub union_id: UnionId,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
}

/// The CSRF token of forms shown to the holder of `session` (or of a pre-sign-in cookie).
pub fn csrf_token(key: &SecretKey, session: &Secret) -> String {
    key.hash(&Secret::new(format!("csrf:{}", session.expose()))).to_hex()
}

/// Whether `presented` is the CSRF token of `session`, compared in constant time.
pub fn csrf_ok(key: &SecretKey, session: &Secret, presented: &str) -> bool {
    let Some(presented) = crate::secret::SecretHash::from_hex(presented) else {
        return false;
    };
    key.verify(&Secret::new(format!("csrf:{}", session.expose())), &presented)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_belong_to_one_session_and_one_key() {
        let k = SecretKey::from_bytes([1; 32]);
        let s = Secret::new("sess-a");
        let t = csrf_token(&k, &s);
        assert!(csrf_ok(&k, &s, &t));
        assert!(!csrf_ok(&k, &Secret::new("sess-b"), &t));
        assert!(!csrf_ok(&SecretKey::from_bytes([2; 32]), &s, &t));
        assert!(!csrf_ok(&k, &s, "not-hex"));
    }
}
