//! ID tokens (OIDC Core §2, §3.1.3.6): minted when a user token is issued for a request that
//! asked for `openid`, signed with the algorithm the app chose.

use serde_json::{Value, json};
use tessera_core::app::App;
use tessera_core::ids::{ScopeCode, UnionId};
use tessera_core::oidc::scoped_claims;
use tessera_core::time::UnixTime;
use tessera_store::StoreError;

use crate::Tessera;
use crate::grant_error::GrantError;
use crate::signing::{SigningError, jws};
use crate::token_request::UserTokenPair;

/// What an ID token says, from the grant that issued the tokens.
#[derive(Debug, Clone, Copy)]
pub struct IdTokenFacts<'a> {
    pub app: &'a App,
    pub union_id: &'a UnionId,
    pub scopes: &'a [ScopeCode],
    /// The authorization request's `nonce`, echoed.
    pub nonce: Option<&'a str>,
    /// When the user signed in.
    pub auth_time: Option<UnixTime>,
    /// The access token issued with it (for `at_hash`).
    pub access_token: Option<&'a str>,
}

/// How the user authenticated (RFC 8176): Tessera signs users in by password.
const AMR: [&str; 1] = ["pwd"];

pub(crate) fn grant_error(e: SigningError) -> GrantError {
    match e {
        SigningError::Store(e) => GrantError::Store(e),
        SigningError::Crypto(m) => GrantError::Store(StoreError::Backend(m)),
    }
}

impl Tessera {
    /// The ID token of a grant, when its scopes include `openid` (`None` otherwise).
    pub async fn id_token_for(&self, facts: IdTokenFacts<'_>) -> Result<Option<String>, GrantError> {
        if !facts.scopes.iter().any(|s| s.as_str() == "openid") {
            return Ok(None);
        }
        let client = self.oidc_client_of(facts.app).await?;
        let sub = self.subject_for(&client, facts.union_id);
        let now = self.now();
        let mut claims = json!({
            "iss": self.issuer(),
            "sub": sub,
            "aud": facts.app.client_id.as_str(),
            "azp": facts.app.client_id.as_str(),
            "iat": now.0,
            "exp": now.plus_secs(self.inner.config.id_token_ttl).0,
            "amr": AMR,
        });
        if let Some(t) = facts.auth_time {
            claims["auth_time"] = t.0.into();
            // A browser session signed the user in: its id, for logout (Back-Channel Logout §2.1).
            claims["sid"] = self.session_sid(facts.union_id, t).into();
        }
        if let Some(n) = facts.nonce {
            claims["nonce"] = n.into();
        }
        if let Some(at) = facts.access_token {
            claims["at_hash"] = jws::left_half_hash(at).into();
        }
        if let Some(map) = claims.as_object_mut() {
            map.extend(self.user_claims(facts.union_id, facts.scopes).await?);
        }
        let token = self.sign_jwt(client.id_token_alg, "JWT", &claims).await.map_err(grant_error)?;
        Ok(Some(token))
    }

    /// `pair` with its ID token: the one place where the token pipeline's user grants (code
    /// and device) attach one.
    pub(crate) async fn with_id_token(
        &self,
        app: &App,
        mut pair: UserTokenPair,
        nonce: Option<&str>,
        auth_time: Option<UnixTime>,
    ) -> Result<UserTokenPair, GrantError> {
        pair.id_token = self
            .id_token_for(IdTokenFacts {
                app,
                union_id: &pair.union_id,
                scopes: &pair.scopes,
                nonce,
                auth_time,
                access_token: Some(pair.access_token.expose()),
            })
            .await?;
        Ok(pair)
    }

    /// The profile, email and phone claims `scopes` allow about a user.
    pub async fn user_claims(
        &self,
        union_id: &UnionId,
        scopes: &[ScopeCode],
    ) -> Result<serde_json::Map<String, Value>, StoreError> {
        let wants = scopes.iter().any(|s| tessera_core::oidc::CLAIM_SCOPES.contains(&s.as_str()));
        if !wants {
            return Ok(serde_json::Map::new());
        }
        let name = self.inner.store.user(union_id).await?.map(|u| u.user.name).unwrap_or_default();
        let profile = self.inner.store.user_profile(union_id).await?.unwrap_or_default();
        Ok(scoped_claims(scopes, &name, &profile))
    }
}
