//! UserInfo (OIDC Core §5.3): the claims a user token's scopes allow, for its bearer.

use serde_json::{Map, Value};
use tessera_core::secret::token_hash;
use tessera_core::token::TokenKind;
use tessera_store::StoreError;

use crate::Tessera;

/// Why UserInfo refuses (RFC 6750 §3.1).
#[derive(Debug, thiserror::Error)]
pub enum UserInfoError {
    /// No usable token: unknown, expired, revoked, or not a user token.
    #[error("{0}")]
    InvalidToken(&'static str),
    /// The token was not issued with the `openid` scope.
    #[error("the access token was not issued for the openid scope")]
    InsufficientScope,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Tessera {
    /// The claims about the user behind `access_token`: `sub` (as the app sees it) and what
    /// the token's scopes allow.
    pub async fn userinfo(&self, access_token: &str) -> Result<Map<String, Value>, UserInfoError> {
        let token = match self.inner.store.token(&token_hash(access_token)).await? {
            Some(t) => t,
            None => return Err(UserInfoError::InvalidToken("the access token is unknown")),
        };
        if token.revoked || self.now() >= token.expires_at {
            return Err(UserInfoError::InvalidToken("the access token has expired or was revoked"));
        }
        let Some(union_id) = token.union_id.as_ref().filter(|_| token.kind == TokenKind::User) else {
            return Err(UserInfoError::InvalidToken("the access token does not act for a user"));
        };
        if !token.scopes.iter().any(|s| s.as_str() == "openid") {
            return Err(UserInfoError::InsufficientScope);
        }
        let client = self.oidc_client(&token.client_id).await?;
        let mut claims = Map::new();
        claims.insert("sub".into(), self.subject_for(&client, union_id).into());
        claims.extend(self.user_claims(union_id, &token.scopes).await?);
        Ok(claims)
    }
}
