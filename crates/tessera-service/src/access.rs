//! Checking a token against what a route requires: the question the gateway asks on every
//! call. It reads caches only, except the first time a token or an app's standing is seen.

use std::sync::Arc;

use tessera_core::decision::{AppStanding, Decision, DenyReason, MissingScope, UserStanding, decide};
use tessera_core::ids::{ClientId, CorpId, ScopeCode, UnionId};
use tessera_core::secret::token_hash;
use tessera_core::token::{AccessToken, TokenKind};
use tessera_store::StoreError;

use crate::Tessera;

/// Who is calling, once the token checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub client_id: ClientId,
    pub kind: TokenKind,
    pub corp_id: Option<CorpId>,
    pub union_id: Option<UnionId>,
}

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// Unknown, expired or revoked token.
    #[error("invalid or expired access token")]
    InvalidToken,
    /// A token of a kind this route does not take.
    #[error("this API does not accept {} tokens", kind.as_str())]
    WrongTokenKind { kind: TokenKind, accepted: Vec<TokenKind> },
    /// Scopes missing, each with why.
    #[error("missing scopes")]
    Denied { missing: Vec<MissingScope>, resource_forbidden: bool },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Tessera {
    /// Checks `token` for a route requiring `required` and taking tokens of the `accepted` kinds.
    pub async fn check_access(
        &self,
        token: &str,
        required: &[ScopeCode],
        accepted: &[TokenKind],
    ) -> Result<Principal, AccessError> {
        let record = self.token_record(token).await?.ok_or(AccessError::InvalidToken)?;
        if !record.is_live(self.now()) {
            return Err(AccessError::InvalidToken);
        }
        if !accepted.contains(&record.kind) {
            return Err(AccessError::WrongTokenKind { kind: record.kind, accepted: accepted.to_vec() });
        }
        let principal = Principal {
            client_id: record.client_id.clone(),
            kind: record.kind,
            corp_id: record.corp_id.clone(),
            union_id: record.union_id.clone(),
        };
        let catalog = self.catalog().await?;
        let user = (record.kind == TokenKind::User)
            .then(|| UserStanding { consented: record.scopes.iter().cloned().collect(), resource_allowed: true });
        let standing = match (&record.corp_id, &user) {
            (Some(corp_id), _) => self.standing(&record.client_id, corp_id).await?,
            // A personal user token: the app's own grants, no org to install in or authorize.
            (None, Some(_)) => Arc::new(AppStanding {
                enabled: self.enabled_scopes(&record.client_id).await?,
                installed: true,
                org_granted: Default::default(),
            }),
            // Tokens without an org or a user (suite tokens) hold no org scopes.
            (None, None) if required.is_empty() => return Ok(principal),
            (None, None) => {
                return Err(AccessError::WrongTokenKind { kind: record.kind, accepted: accepted.to_vec() });
            }
        };
        let (mut missing, resource_forbidden) = match decide(required, &catalog, &standing, user.as_ref()) {
            Decision::Allow => (Vec::new(), false),
            Decision::Deny { missing, resource_forbidden } => (missing, resource_forbidden),
        };
        // An app or corp token asked for with `scope` carries only those scopes.
        if record.kind != TokenKind::User && !record.scopes.is_empty() {
            for scope in required {
                if !record.scopes.contains(scope) && !missing.iter().any(|m| &m.scope == scope) {
                    missing.push(MissingScope { scope: scope.clone(), reason: DenyReason::TokenScopeNotRequested });
                }
            }
        }
        if missing.is_empty() && !resource_forbidden {
            Ok(principal)
        } else {
            Err(AccessError::Denied { missing, resource_forbidden })
        }
    }

    pub(crate) async fn token_record(&self, token: &str) -> Result<Option<Arc<AccessToken>>, StoreError> {
        let hash = token_hash(token);
        let cache = &self.inner.cache;
        if let Some(t) = cache.tokens.get(&hash, self.now()) {
            return Ok(Some(t));
        }
        // Garbage presented again (a flood, a client retrying a dead token): no store read.
        if cache.missing.get(&hash, self.now()).is_some() {
            return Ok(None);
        }
        let fill = cache.fill();
        let Some(record) = self.inner.store.token(&hash).await? else {
            cache.missing.insert(fill, hash, (), self.now());
            return Ok(None);
        };
        let record = Arc::new(record);
        // User tokens too: revoking a family or withdrawing consent drops them on this node
        // after the commit and on the others when the store announces the change.
        if record.is_live(self.now()) {
            cache.tokens.insert(fill, hash, record.clone(), self.now());
        }
        Ok(Some(record))
    }
}

impl Tessera {
    /// Which of `scopes` the app does not hold in the org, with why.
    pub async fn missing_scopes(
        &self,
        client_id: &str,
        corp_id: &CorpId,
        scopes: &[ScopeCode],
    ) -> Result<Vec<MissingScope>, StoreError> {
        let Ok(client_id) = ClientId::parse(client_id) else {
            return Ok(Vec::new());
        };
        let standing = self.standing(&client_id, corp_id).await?;
        let catalog = self.catalog().await?;
        Ok(match decide(scopes, &catalog, &standing, None) {
            Decision::Allow => Vec::new(),
            Decision::Deny { missing, .. } => missing,
        })
    }
}

impl Tessera {
    /// The app behind a live app or corp token (Feishu's legacy user-token endpoints
    /// authenticate the app by its `app_access_token`).
    pub async fn app_for_token(&self, token: &str) -> Result<Arc<tessera_core::app::App>, AccessError> {
        let principal = self.check_access(token, &[], &[TokenKind::App, TokenKind::Corp]).await?;
        self.app(&principal.client_id).await?.ok_or(AccessError::InvalidToken)
    }
}
