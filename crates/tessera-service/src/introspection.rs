//! Token introspection (RFC 7662), for confidential clients only: a public client cannot
//! authenticate, so it could learn about any token it found. A client sees the tokens of
//! its own app; an app an operator marked as a resource server (an API that accepts other
//! apps' tokens) sees every app's. Any other token reads as `{"active": false}`, so the
//! answer never tells a client whether someone else's token exists.

use std::sync::Arc;

use tessera_core::DomainError;
use tessera_core::app::App;
use tessera_core::audit::{AuditAction, AuditDraft};
use tessera_core::change::Change;
use tessera_core::ids::{ClientId, CorpId, ScopeCode, UnionId};
use tessera_core::refresh::REFRESH_PREFIX;
use tessera_core::secret::token_hash;
use tessera_core::time::UnixTime;
use tessera_core::token::TokenKind;

use crate::Tessera;
use crate::grant_error::GrantError;
use crate::management::{Actor, ManageError};
use crate::token_request::ClientAuth;

/// What introspection reports about a token.
#[derive(Debug, Clone, Default)]
pub struct Introspection {
    pub active: bool,
    pub token_type: Option<&'static str>,
    pub kind: Option<TokenKind>,
    pub client_id: Option<ClientId>,
    pub union_id: Option<UnionId>,
    pub corp_id: Option<CorpId>,
    pub scopes: Vec<ScopeCode>,
    pub issued_at: Option<UnixTime>,
    pub expires_at: Option<UnixTime>,
}

/// Whether `caller` may learn about a token issued to `owner`.
fn may_see(caller: &App, owner: &ClientId) -> bool {
    caller.resource_server || &caller.client_id == owner
}

impl Tessera {
    /// RFC 7662: what a token is, for a confidential client (its own app's tokens, or any
    /// app's for a resource server). Public clients are refused as `invalid_client`.
    pub async fn introspect(&self, auth: &ClientAuth, token: &str) -> Result<Introspection, GrantError> {
        let caller = self.authenticate_grant_client(auth).await?;
        if caller.public_client {
            return Err(GrantError::SecretMissing);
        }
        let now = self.now();
        // Access and refresh tokens have distinct prefixes: one lookup each. Access tokens
        // come from the token cache (live ones, as the gateway reads them).
        if !token.starts_with(REFRESH_PREFIX) {
            let Some(t) = self.token_record(token).await? else {
                return Ok(Introspection::default());
            };
            if !t.is_live(now) || !may_see(&caller, &t.client_id) {
                return Ok(Introspection::default());
            }
            let scopes = self.effective_scopes(&t).await?;
            return Ok(Introspection {
                active: true,
                token_type: Some("Bearer"),
                kind: Some(t.kind),
                client_id: Some(t.client_id.clone()),
                union_id: t.union_id.clone(),
                corp_id: t.corp_id.clone(),
                scopes,
                issued_at: Some(t.issued_at),
                expires_at: Some(t.expires_at),
            });
        }
        let hash = token_hash(token);
        if let Some((r, usable)) = self.inner.store.refresh_token(&hash).await?
            && usable
            && now < r.expires_at
            && may_see(&caller, &r.client_id)
        {
            return Ok(Introspection {
                active: true,
                token_type: Some("refresh_token"),
                kind: None,
                client_id: Some(r.client_id),
                union_id: Some(r.union_id),
                corp_id: r.corp_id,
                scopes: r.scopes,
                issued_at: Some(r.issued_at),
                expires_at: Some(r.expires_at),
            });
        }
        Ok(Introspection::default())
    }

    /// What a live token lets its holder do now: a user token its consented scopes; an app or
    /// corp token the scopes the app holds in its org (only those it was limited to, if it
    /// was); a suite token none.
    async fn effective_scopes(&self, t: &tessera_core::token::AccessToken) -> Result<Vec<ScopeCode>, GrantError> {
        let (TokenKind::App | TokenKind::Corp, Some(corp_id)) = (t.kind, &t.corp_id) else {
            return Ok(t.scopes.clone());
        };
        let held = self.held_scopes(&t.client_id, corp_id).await?;
        Ok(if t.scopes.is_empty() { held } else { held.into_iter().filter(|s| t.scopes.contains(s)).collect() })
    }

    /// An operator marks an app as a resource server (it may introspect every app's tokens)
    /// or unmarks it. Returns the app as it now is.
    pub async fn set_resource_server(
        &self,
        actor: &Actor,
        client_id: &ClientId,
        resource_server: bool,
    ) -> Result<Arc<App>, ManageError> {
        if actor != &Actor::Operator {
            return Err(DomainError::NotAllowed("only platform operators mark resource servers".into()).into());
        }
        let app = self.app(client_id).await?.ok_or_else(|| DomainError::NotFound(format!("no app {client_id}")))?;
        let audit = Change::Audit(AuditDraft {
            corp_id: Some(app.owner_corp_id.clone()),
            actor: actor.label(None),
            action: AuditAction::ResourceServerChanged,
            target: format!("app:{client_id}"),
            detail: format!("resource_server:{resource_server}"),
        });
        let set = Change::SetResourceServer { client_id: client_id.clone(), resource_server };
        self.commit_grants(&[set, audit]).await?;
        let app = self.app(client_id).await?.ok_or_else(|| DomainError::NotFound(format!("no app {client_id}")))?;
        Ok(app)
    }
}
