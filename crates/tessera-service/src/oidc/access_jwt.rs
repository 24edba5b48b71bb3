//! JWT access tokens (RFC 9068) for apps that chose them (`access_token_format = "jwt"`).
//!
//! The JWT is what the client holds; Tessera stores its SHA-256 like any token's, so
//! introspection, revocation and the gateway's check work on it unchanged, and a revoked
//! JWT is refused by Tessera's gateway at once. A resource server verifying it offline sees
//! the revocation only when it expires (300 s by default).

use std::sync::Arc;

use rand::RngCore;
use serde_json::{Value, json};
use tessera_core::app::App;
use tessera_core::ids::{ClientId, CorpId, ScopeCode, UnionId};
use tessera_core::oidc::{AccessTokenFormat, OidcClient};
use tessera_core::secret::Secret;
use tessera_core::time::UnixTime;
use tessera_core::token::TokenKind;
use tessera_store::StoreError;

use crate::Tessera;
use crate::signing::SigningError;

/// What an app token's JWT says.
pub struct AppJwt<'a> {
    pub app: &'a App,
    pub client: &'a OidcClient,
    pub kind: TokenKind,
    pub corp_id: &'a CorpId,
    /// The RFC 8707 resources asked for (checked): the token's audience.
    pub resources: &'a [String],
    pub now: UnixTime,
    pub expires_at: UnixTime,
}

fn store_error(e: SigningError) -> StoreError {
    match e {
        SigningError::Store(e) => e,
        SigningError::Crypto(m) => StoreError::Backend(m),
    }
}

/// `aud` (RFC 9068 §3): the one resource, an array of several, or the issuer when none.
pub(crate) fn audience(resources: &[String], issuer: &str) -> Value {
    match resources {
        [] => issuer.into(),
        [one] => one.as_str().into(),
        many => many.iter().map(|r| Value::from(r.as_str())).collect::<Vec<_>>().into(),
    }
}

/// A fresh `jti`: 128 random bits, hex.
fn jti() -> String {
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl Tessera {
    /// An app's OpenID Connect settings through the cache (read on every token issued).
    pub(crate) async fn cached_oidc_client(&self, client_id: &ClientId) -> Result<Arc<OidcClient>, StoreError> {
        let cache = &self.inner.cache;
        if let Some(c) = cache.oidc_clients.get(client_id, self.now()) {
            return Ok(c);
        }
        let fill = cache.fill();
        let c = Arc::new(self.oidc_client(client_id).await?);
        cache.oidc_clients.insert(fill, client_id.clone(), c.clone(), self.now());
        Ok(c)
    }

    /// The RFC 9068 JWT of an app (or corp or suite) token: `sub` and `client_id` the app,
    /// `aud` the resource asked for (else the issuer), signed with the app's algorithm.
    pub(crate) async fn app_access_jwt(&self, t: &AppJwt<'_>) -> Result<Secret, StoreError> {
        let issuer = self.issuer();
        let claims = json!({
            "iss": issuer,
            "sub": t.app.client_id.as_str(),
            "aud": audience(t.resources, &issuer),
            "client_id": t.app.client_id.as_str(),
            "iat": t.now.0,
            "exp": t.expires_at.0,
            "jti": jti(),
            "token_kind": t.kind.as_str(),
            "corp_id": (t.kind != TokenKind::Suite).then(|| t.corp_id.as_str()),
        });
        let jwt = self.sign_jwt(t.client.id_token_alg, "at+jwt", &claims).await.map_err(store_error)?;
        Ok(Secret::new(jwt))
    }

    /// A user's access token for `app`: an RFC 9068 JWT when the app chose them (`sub` the
    /// user as the app sees them, `scope`, `aud` from `resources`), else a random string;
    /// and its lifetime in seconds.
    pub(crate) async fn user_access_token(
        &self,
        app: &App,
        union_id: &UnionId,
        scopes: &[ScopeCode],
        resources: &[String],
        now: UnixTime,
    ) -> Result<(Secret, i64), StoreError> {
        let client = self.cached_oidc_client(&app.client_id).await?;
        if client.access_token_format == AccessTokenFormat::Opaque {
            let ttl = self.inner.config.user_tokens.access_ttl;
            return Ok((Secret::generate(TokenKind::User.prefix(), &mut rand::rng()), ttl));
        }
        let ttl = self.inner.config.jwt_access_ttl;
        let issuer = self.issuer();
        let claims = json!({
            "iss": issuer,
            "sub": self.subject_for(&client, union_id),
            "aud": audience(resources, &issuer),
            "client_id": app.client_id.as_str(),
            "scope": crate::token_request::scope_text(scopes),
            "iat": now.0,
            "exp": now.plus_secs(ttl).0,
            "jti": jti(),
            "token_kind": TokenKind::User.as_str(),
        });
        let jwt = self.sign_jwt(client.id_token_alg, "at+jwt", &claims).await.map_err(store_error)?;
        Ok((Secret::new(jwt), ttl))
    }
}
