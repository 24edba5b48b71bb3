//! Access tokens: the four kinds, their stored record (hash only) and the issuing rules.

use crate::error::DomainError;
use crate::ids::{ClientId, CorpId, ScopeCode, UnionId};
use crate::secret::TokenHash;
use crate::time::UnixTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// A user's delegated token.
    User,
    /// An internal app's token in its own org.
    App,
    /// A third-party enterprise app's token in an org that activated it.
    Corp,
    /// An ISV suite's token (not valid for org APIs).
    Suite,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::User => "user",
            TokenKind::App => "app",
            TokenKind::Corp => "corp",
            TokenKind::Suite => "suite",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "user" => Ok(TokenKind::User),
            "app" => Ok(TokenKind::App),
            "corp" => Ok(TokenKind::Corp),
            "suite" => Ok(TokenKind::Suite),
            other => Err(DomainError::InvalidField { field: "kind", reason: format!("{other:?} is not a token kind") }),
        }
    }

    /// The prefix every token of this kind starts with.
    pub fn prefix(self) -> &'static str {
        match self {
            TokenKind::User => "u-",
            TokenKind::App => "t-",
            TokenKind::Corp => "c-",
            TokenKind::Suite => "s-",
        }
    }
}

/// A token as stored: its hash and what it stands for, never the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub hash: TokenHash,
    pub kind: TokenKind,
    pub client_id: ClientId,
    /// The org the token acts in (absent for suite tokens and personal user tokens).
    pub corp_id: Option<CorpId>,
    /// The user a user token acts for.
    pub union_id: Option<UnionId>,
    pub issued_at: UnixTime,
    pub expires_at: UnixTime,
    pub revoked: bool,
    /// For user tokens: the scopes the user consented to for this token.
    pub scopes: Vec<ScopeCode>,
    /// For user tokens: the family (one authorization and its refreshes) it belongs to.
    pub family_id: Option<String>,
}

impl AccessToken {
    pub fn is_live(&self, now: UnixTime) -> bool {
        !self.revoked && now < self.expires_at
    }
}

/// Lifetimes and the reuse margin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenPolicy {
    /// Lifetime of app, corp and suite tokens, in seconds (default 7,200).
    pub app_token_ttl: i64,
    /// While a live token has more than this many seconds left, asking again returns it (default 1,800).
    pub reuse_margin: i64,
}

impl Default for TokenPolicy {
    fn default() -> Self {
        TokenPolicy { app_token_ttl: 7200, reuse_margin: 1800 }
    }
}

impl TokenPolicy {
    /// Whether a token expiring at `expires_at` may be handed out again at `now`.
    pub fn reusable(&self, expires_at: UnixTime, now: UnixTime) -> bool {
        now.secs_until(expires_at) > self.reuse_margin
    }

    pub fn app_token_expiry(&self, now: UnixTime) -> UnixTime {
        now.plus_secs(self.app_token_ttl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{Clock, FakeClock};

    #[test]
    fn reuse_stops_once_the_margin_is_reached() {
        let clock = FakeClock::at(1_000);
        let policy = TokenPolicy::default();
        let exp = policy.app_token_expiry(clock.now());
        assert_eq!(exp, UnixTime(8_200));
        assert!(policy.reusable(exp, clock.now()));
        clock.advance(7200 - 1800 - 1);
        assert!(policy.reusable(exp, clock.now()));
        clock.advance(1);
        assert!(!policy.reusable(exp, clock.now()));
    }

    #[test]
    fn liveness_follows_expiry_and_revocation() {
        let mut t = AccessToken {
            hash: crate::secret::token_hash("t-x"),
            kind: TokenKind::App,
            client_id: ClientId::parse("a").unwrap(),
            corp_id: None,
            union_id: None,
            issued_at: UnixTime(0),
            expires_at: UnixTime(10),
            revoked: false,
            scopes: vec![],
            family_id: None,
        };
        assert!(t.is_live(UnixTime(9)));
        assert!(!t.is_live(UnixTime(10)));
        t.revoked = true;
        assert!(!t.is_live(UnixTime(9)));
    }

    #[test]
    fn kinds_round_trip_and_have_distinct_prefixes() {
        let kinds = [TokenKind::User, TokenKind::App, TokenKind::Corp, TokenKind::Suite];
        for k in kinds {
            assert_eq!(TokenKind::parse(k.as_str()).unwrap(), k);
        }
        let mut prefixes: Vec<_> = kinds.iter().map(|k| k.prefix()).collect();
        prefixes.dedup();
        assert_eq!(prefixes.len(), 4);
    }
}
