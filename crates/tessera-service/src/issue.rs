//! App and corp access tokens by client credentials. While the token last handed out for
//! the same (app, org, kind, scopes) has more than the reuse margin left, it is handed out
//! again; otherwise a new one is minted and the old one stays valid until it expires.
//!
//! A token asked for with `scope` carries exactly those scopes (RFC 6749 §3.3: the answer
//! names what was granted) and passes no route needing another; one asked for without
//! carries none of its own and passes whatever the app holds in the org.
//!
//! Only the token's hash is stored, so the plaintext needed for reuse lives in memory: after
//! a restart the first request mints a new token (the old ones keep working until expiry).

use std::sync::Arc;

use tessera_core::app::{App, AppKind};
use tessera_core::change::Change;
use tessera_core::ids::{CorpId, ScopeCode};
use tessera_core::secret::{Secret, token_hash};
use tessera_core::token::{AccessToken, TokenKind};
use tessera_store::StoreError;

use crate::Tessera;
use crate::cache::Handed;
use crate::grant_error::GrantError;
use crate::oidc::access_jwt::AppJwt;
use crate::stats::Grant;
use crate::token_request::{AppTokens, TokenAnswer};
use tessera_core::oidc::AccessTokenFormat;

/// A token handed to a client.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: Secret,
    pub kind: TokenKind,
    pub corp_id: CorpId,
    /// Seconds left at the time of the answer.
    pub expires_in: i64,
}

impl Tessera {
    /// `client_credentials` for an authenticated app: an app (internal) or corp
    /// (third-party enterprise) token for `corp_id`; an internal app's own org is used when
    /// `corp_id` is `None`. Requested scopes must all be held in the org.
    pub(crate) async fn client_credentials_grant(
        &self,
        app: &App,
        corp_id: Option<&str>,
        scopes: Option<Vec<ScopeCode>>,
        rule: AppTokens,
        resources: &[String],
    ) -> Result<TokenAnswer, GrantError> {
        if rule == AppTokens::InternalOnly && app.kind != AppKind::Internal {
            return Err(GrantError::NotInternal);
        }
        let (kind, corp) = match app.kind {
            AppKind::Internal => (TokenKind::App, corp_id.unwrap_or(app.owner_corp_id.as_str())),
            AppKind::ThirdPartyEnterprise => {
                (TokenKind::Corp, corp_id.ok_or(GrantError::OrgRequired { kind: "third_party_enterprise" })?)
            }
            AppKind::ThirdPartyPersonal => {
                return Err(GrantError::PersonalApp { corp_id: corp_id.unwrap_or_default().to_owned() });
            }
        };
        let corp_id = CorpId::parse(corp).map_err(|_| GrantError::UnknownOrg { corp_id: corp.to_owned() })?;
        if kind == TokenKind::App && corp_id != app.owner_corp_id {
            return Err(GrantError::ForeignOrg { corp_id: corp.to_owned() });
        }
        if !self.standing(&app.client_id, &corp_id).await?.installed {
            return Err(GrantError::NotInstalled { corp_id: corp.to_owned() });
        }
        let limited = match &scopes {
            Some(asked) => {
                let missing = self.missing_scopes(app.client_id.as_str(), &corp_id, asked).await?;
                if !missing.is_empty() {
                    return Err(GrantError::ScopesNotHeld { corp_id, missing });
                }
                let mut set = asked.clone();
                set.sort();
                set.dedup();
                set
            }
            None => Vec::new(),
        };
        let token = self.hand_out_for(app, corp_id, kind, limited, Grant::ClientCredentials, resources).await?;
        Ok(TokenAnswer::App { token, scopes })
    }

    /// Hands out the live token of (app, org, kind, scopes) or mints one. A suite token is
    /// keyed by the ISV's own org but records no org: it is valid for no org API. `scopes`
    /// (sorted, no duplicates; empty: not limited) are the ones the token is limited to.
    pub(crate) async fn hand_out(
        &self,
        app: &App,
        corp_id: CorpId,
        kind: TokenKind,
        scopes: Vec<ScopeCode>,
        grant: Grant,
    ) -> Result<IssuedToken, StoreError> {
        self.hand_out_for(app, corp_id, kind, scopes, grant, &[]).await
    }

    /// [`Tessera::hand_out`] for RFC 8707 resources (already checked against the app's
    /// registered ones): a token for resources is never a reused one, as its `aud` differs.
    pub(crate) async fn hand_out_for(
        &self,
        app: &App,
        corp_id: CorpId,
        kind: TokenKind,
        scopes: Vec<ScopeCode>,
        grant: Grant,
        resources: &[String],
    ) -> Result<IssuedToken, StoreError> {
        let now = self.now();
        let policy = self.inner.config.tokens;
        let key = (app.client_id.clone(), corp_id, kind, scopes);
        let cache = &self.inner.cache;
        // The token handed out last, if it is still live in the store's eyes (a revocation
        // whose announcement this node missed is seen once the token record is re-read).
        let reusable = match cache.handed.get(&key, now) {
            Some(h) if resources.is_empty() && policy.reusable(h.expires_at, now) => {
                self.token_record(h.token.expose()).await?.is_some_and(|t| t.is_live(now)).then_some(h)
            }
            _ => None,
        };
        if let Some(h) = reusable {
            self.inner.stats.issued(grant, kind);
            return Ok(IssuedToken {
                token: h.token.clone(),
                kind,
                corp_id: key.1.clone(),
                expires_in: now.secs_until(h.expires_at),
            });
        }
        let client = self.cached_oidc_client(&app.client_id).await?;
        let (token, expires_at) = match client.access_token_format {
            AccessTokenFormat::Opaque => {
                (Secret::generate(kind.prefix(), &mut rand::rng()), policy.app_token_expiry(now))
            }
            AccessTokenFormat::Jwt => {
                let expires_at = now.plus_secs(self.inner.config.jwt_access_ttl);
                let facts = AppJwt { app, client: &client, kind, corp_id: &key.1, resources, now, expires_at };
                (self.app_access_jwt(&facts).await?, expires_at)
            }
        };
        let record = AccessToken {
            hash: token_hash(token.expose()),
            kind,
            client_id: app.client_id.clone(),
            corp_id: (kind != TokenKind::Suite).then(|| key.1.clone()),
            union_id: None,
            issued_at: now,
            expires_at,
            revoked: false,
            scopes: key.3.clone(),
            family_id: None,
        };
        let fill = cache.fill();
        self.inner.store.commit(&[Change::InsertToken(record.clone())], now).await?;
        cache.tokens.insert(fill, record.hash, Arc::new(record), now);
        let corp_id = key.1.clone();
        if resources.is_empty() {
            cache.handed.insert(fill, key, Handed { token: token.clone(), expires_at }, now);
        }
        self.inner.stats.issued(grant, kind);
        Ok(IssuedToken { token, kind, corp_id, expires_in: now.secs_until(expires_at) })
    }
}
