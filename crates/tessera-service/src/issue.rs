//! App and corp access tokens by client credentials. While the token last handed out for
//! the same (app, org, kind) has more than the reuse margin left, it is handed out again;
//! otherwise a new one is minted and the old one stays valid until it expires.
//!
//! Only the token's hash is stored, so the plaintext needed for reuse lives in memory: after
//! a restart the first request mints a new token (the old ones keep working until expiry).

use std::sync::Arc;

use tessera_core::app::{App, AppKind};
use tessera_core::change::Change;
use tessera_core::decision::AppStanding;
use tessera_core::ids::{ClientId, CorpId, ScopeCode};
use tessera_core::permission::PermissionStatus;
use tessera_core::secret::{Secret, token_hash};
use tessera_core::token::{AccessToken, TokenKind};
use tessera_store::StoreError;

use crate::Tessera;
use crate::cache::Handed;
use crate::oidc::access_jwt::AppJwt;
use tessera_core::oidc::AccessTokenFormat;

/// Why a client could not get a token.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// Unknown client id or wrong secret (never says which).
    #[error("invalid client credentials")]
    InvalidClient,
    /// The app may not get a token in that org: not installed, unknown org, or the wrong kind of app.
    #[error("the app is not authorized in org {corp_id}: {reason}")]
    UnauthorizedClient { corp_id: String, reason: &'static str },
    /// The request did not name an org and the app has no default one.
    #[error("an org (corp id) is required for {kind} apps")]
    OrgRequired { kind: &'static str },
    /// RFC 8707: the `resource` asked for is not one the app registered.
    #[error("{0}")]
    InvalidTarget(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

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
    /// The app behind `client_id`, if the secret is right.
    pub async fn authenticate_client(&self, client_id: &str, secret: &Secret) -> Result<Arc<App>, IssueError> {
        let Ok(client_id) = ClientId::parse(client_id) else {
            return Err(IssueError::InvalidClient);
        };
        let app = self.app(&client_id).await?.ok_or(IssueError::InvalidClient)?;
        if self.secret_matches(&app, secret).await? { Ok(app) } else { Err(IssueError::InvalidClient) }
    }

    /// An app (internal) or corp (third-party enterprise) token for `corp_id`; an internal
    /// app's own org is used when `corp_id` is `None`.
    pub async fn issue_app_token(
        &self,
        client_id: &str,
        secret: &Secret,
        corp_id: Option<&str>,
    ) -> Result<IssuedToken, IssueError> {
        self.issue_app_token_for(client_id, secret, corp_id, None).await
    }

    /// [`Tessera::issue_app_token`] for a `resource` (RFC 8707): one the app registered, else
    /// [`IssueError::InvalidTarget`]; a JWT access token names it in `aud`.
    pub async fn issue_app_token_for(
        &self,
        client_id: &str,
        secret: &Secret,
        corp_id: Option<&str>,
        resource: Option<&str>,
    ) -> Result<IssuedToken, IssueError> {
        let app = self.authenticate_client(client_id, secret).await?;
        if let Some(r) = resource
            && !self.cached_oidc_client(&app.client_id).await?.resources.iter().any(|x| x == r)
        {
            return Err(IssueError::InvalidTarget(
                "resource is not one of the resources registered for this client".into(),
            ));
        }
        let (kind, corp) = match app.kind {
            AppKind::Internal => (TokenKind::App, corp_id.unwrap_or(app.owner_corp_id.as_str())),
            AppKind::ThirdPartyEnterprise => {
                (TokenKind::Corp, corp_id.ok_or(IssueError::OrgRequired { kind: "third_party_enterprise" })?)
            }
            AppKind::ThirdPartyPersonal => {
                return Err(IssueError::UnauthorizedClient {
                    corp_id: corp_id.unwrap_or_default().to_owned(),
                    reason: "third_party_personal apps get user tokens only",
                });
            }
        };
        let unauthorized = |reason| IssueError::UnauthorizedClient { corp_id: corp.to_owned(), reason };
        let corp_id = CorpId::parse(corp).map_err(|_| unauthorized("no such org"))?;
        if kind == TokenKind::App && corp_id != app.owner_corp_id {
            return Err(unauthorized("an internal app is used only in its own org"));
        }
        if !self.standing(&app.client_id, &corp_id).await?.installed {
            return Err(unauthorized("the app is not installed in this org"));
        }
        Ok(self.hand_out_for(&app, corp_id, kind, resource).await?)
    }

    /// An internal app's token in its own org (DingTalk GetAccessToken and `/gettoken`).
    pub async fn issue_internal_token(&self, client_id: &str, secret: &Secret) -> Result<IssuedToken, IssueError> {
        let app = self.authenticate_client(client_id, secret).await?;
        if app.kind != AppKind::Internal {
            return Err(IssueError::UnauthorizedClient {
                corp_id: String::new(),
                reason: "this operation is for internal apps; third-party enterprise apps ask per org with /v1.0/oauth2/{corpId}/token",
            });
        }
        self.issue_app_token(client_id, secret, None).await
    }

    /// Hands out the live token of (app, org, kind) or mints one. A suite token is keyed by
    /// the ISV's own org but records no org: it is valid for no org API.
    pub(crate) async fn hand_out(
        &self,
        app: &App,
        corp_id: CorpId,
        kind: TokenKind,
    ) -> Result<IssuedToken, StoreError> {
        self.hand_out_for(app, corp_id, kind, None).await
    }

    /// [`Tessera::hand_out`] for a resource (RFC 8707, already checked against the app's
    /// registered resources): a token for a resource is never a reused one.
    pub(crate) async fn hand_out_for(
        &self,
        app: &App,
        corp_id: CorpId,
        kind: TokenKind,
        resource: Option<&str>,
    ) -> Result<IssuedToken, StoreError> {
        let now = self.now();
        let policy = self.inner.config.tokens;
        let key = (app.client_id.clone(), corp_id, kind);
        let cache = &self.inner.cache;
        // The token handed out last, if it is still live in the store's eyes (a revocation
        // whose announcement this node missed is seen once the token record is re-read).
        let reusable = match cache.handed.get(&key, now) {
            Some(h) if resource.is_none() && policy.reusable(h.expires_at, now) => {
                self.token_record(h.token.expose()).await?.is_some_and(|t| t.is_live(now)).then_some(h)
            }
            _ => None,
        };
        if let Some(h) = reusable {
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
                let facts = AppJwt { app, client: &client, kind, corp_id: &key.1, resource, now, expires_at };
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
            scopes: Vec::new(),
            family_id: None,
        };
        let fill = cache.fill();
        self.inner.store.commit(&[Change::InsertToken(record.clone())], now).await?;
        cache.tokens.insert(fill, record.hash, Arc::new(record), now);
        let corp_id = key.1.clone();
        cache.handed.insert(fill, key, Handed { token: token.clone(), expires_at }, now);
        Ok(IssuedToken { token, kind, corp_id, expires_in: now.secs_until(expires_at) })
    }

    pub(crate) async fn app(&self, client_id: &ClientId) -> Result<Option<Arc<App>>, StoreError> {
        let cache = &self.inner.cache;
        if let Some(app) = cache.apps.get(client_id, self.now()) {
            return Ok(Some(app));
        }
        let fill = cache.fill();
        let Some(app) = self.inner.store.app(client_id).await? else {
            return Ok(None);
        };
        let app = Arc::new(app);
        cache.apps.insert(fill, client_id.clone(), app.clone(), self.now());
        Ok(Some(app))
    }

    /// Scopes whose permission request is enabled for the app.
    pub async fn enabled_scopes(
        &self,
        client_id: &ClientId,
    ) -> Result<std::collections::HashSet<ScopeCode>, StoreError> {
        Ok(self
            .inner
            .store
            .permissions(client_id)
            .await?
            .into_iter()
            .filter(|p| p.status == PermissionStatus::Enabled)
            .map(|p| p.scope)
            .collect())
    }

    /// What the app holds in the org, cached until a grant changes (or re-read after the
    /// re-validation period).
    pub async fn standing(&self, client_id: &ClientId, corp_id: &CorpId) -> Result<Arc<AppStanding>, StoreError> {
        let key = (client_id.clone(), corp_id.clone());
        let cache = &self.inner.cache;
        if let Some(s) = cache.standing.get(&key, self.now()) {
            return Ok(s);
        }
        let fill = cache.fill();
        let store = &self.inner.store;
        let enabled = self.enabled_scopes(client_id).await?;
        let installed = store.installations(client_id).await?.iter().any(|i| &i.corp_id == corp_id);
        let org_granted = store.org_grants(client_id, corp_id).await?.into_iter().map(|g| g.scope).collect();
        let standing = Arc::new(AppStanding { enabled, installed, org_granted });
        cache.standing.insert(fill, key, standing.clone(), self.now());
        Ok(standing)
    }
}
