//! The authorization request (RFC 6749 §4.1, RFC 7636, and DingTalk's `/oauth2/auth`):
//! validating it, deciding whether the signed-in user must be asked for consent, and
//! issuing the code once they agree.

use std::collections::BTreeSet;
use std::sync::Arc;

use rand::RngCore;
use tessera_core::app::{App, AppKind};
use tessera_core::audit::{AuditAction, AuditDraft};
use tessera_core::change::Change;
use tessera_core::consent::{Consent, check_requestable, is_protocol_scope, not_yet_consented, parse_scope_string};
use tessera_core::grant_code::{AuthCode, CODE_TTL, CodePurpose};
use tessera_core::ids::{ClientId, CorpId, ScopeCode, UnionId};
use tessera_core::pkce;
use tessera_core::refresh::CODE_PREFIX;
use tessera_core::scope::Scope;
use tessera_core::secret::{Secret, token_hash};
use tessera_core::session::Session;
use tessera_store::StoreError;

use crate::Tessera;

/// The parameters of an authorization request, as the dialect read them.
#[derive(Debug, Clone, Default)]
pub struct AuthorizationRequest {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub response_type: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    /// The org the user acts in (DingTalk `corpId`), if the app asks for one.
    pub corp_id: Option<String>,
    /// The OpenID Connect parameters.
    pub oidc: crate::oidc::request::OidcParams,
    /// RFC 8707 `resource` indicators (each one the app registered).
    pub resources: Vec<String>,
}

/// A request that passed validation.
#[derive(Debug, Clone)]
pub struct ValidRequest {
    pub app: Arc<App>,
    pub redirect_uri: String,
    pub scopes: Vec<ScopeCode>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub corp_hint: Option<CorpId>,
    pub oidc: crate::oidc::OidcRequest,
    /// RFC 8707: the resources named (sorted, each registered), bound to the code.
    pub resources: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthorizeError {
    /// The client or its redirect URI cannot be trusted: show an error page, never redirect.
    #[error("{0}")]
    Page(String),
    /// Tell the client, by redirecting to its (validated) redirect URI with `error`.
    #[error("{error}: {description}")]
    Redirect { redirect_uri: String, state: Option<String>, error: &'static str, description: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn redirect_error(v: &ValidRequestParts, error: &'static str, description: impl Into<String>) -> AuthorizeError {
    AuthorizeError::Redirect {
        redirect_uri: v.redirect_uri.clone(),
        state: v.state.clone(),
        error,
        description: description.into(),
    }
}

struct ValidRequestParts {
    redirect_uri: String,
    state: Option<String>,
}

impl Tessera {
    /// Validates an authorization request: first the client and the redirect URI (errors are
    /// pages), then everything else (errors redirect to the client).
    pub async fn validate_authorization(&self, req: &AuthorizationRequest) -> Result<ValidRequest, AuthorizeError> {
        let client_id = req.client_id.as_deref().ok_or_else(|| AuthorizeError::Page("client_id is missing".into()))?;
        let app = match ClientId::parse(client_id) {
            Ok(id) => self.app(&id).await?,
            Err(_) => None,
        }
        .ok_or_else(|| AuthorizeError::Page("unknown client_id: no app is registered with it".into()))?;
        let redirect_uri = match req.redirect_uri.as_deref() {
            Some(uri) if app.redirect_uris.iter().any(|r| r == uri) => uri.to_owned(),
            Some(_) => {
                return Err(AuthorizeError::Page(format!(
                    "the redirect_uri is not registered for {}; Tessera only redirects to registered URIs",
                    app.name
                )));
            }
            None if app.redirect_uris.len() == 1 => app.redirect_uris[0].clone(),
            None => return Err(AuthorizeError::Page("redirect_uri is missing".into())),
        };
        let parts = ValidRequestParts { redirect_uri: redirect_uri.clone(), state: req.state.clone() };
        match req.response_type.as_deref() {
            Some("code") => {}
            None => return Err(redirect_error(&parts, "invalid_request", "response_type is missing")),
            Some(_) => {
                return Err(redirect_error(
                    &parts,
                    "unsupported_response_type",
                    "only response_type=code is supported",
                ));
            }
        }
        let oidc =
            self.check_oidc(&app, &req.oidc).await.map_err(|e| redirect_error(&parts, e.error, e.description))?;
        let resources = match self.check_resources(&app, req.resources.clone()).await {
            Ok(r) => r,
            Err(crate::GrantError::Store(e)) => return Err(e.into()),
            Err(e) => return Err(redirect_error(&parts, "invalid_target", e.to_string())),
        };
        let scopes = match req.scope.as_deref() {
            None => vec![ScopeCode::parse("openid").map_err(|e| AuthorizeError::Page(e.to_string()))?],
            Some(s) => parse_scope_string(s).map_err(|e| redirect_error(&parts, "invalid_scope", e.to_string()))?,
        };
        let catalog = self.catalog().await?;
        let enabled = self.enabled_scopes(&app.client_id).await?;
        check_requestable(&scopes, &catalog, &enabled)
            .map_err(|e| redirect_error(&parts, "invalid_scope", e.to_string()))?;
        let code_challenge = match (req.code_challenge.as_deref(), req.code_challenge_method.as_deref()) {
            (None, None) if app.public_client => {
                return Err(redirect_error(&parts, "invalid_request", "public clients must use PKCE (code_challenge)"));
            }
            (None, None) => None,
            (None, Some(_)) => return Err(redirect_error(&parts, "invalid_request", "code_challenge is missing")),
            (Some(c), Some("S256")) if pkce::well_formed(c) => Some(c.to_owned()),
            (Some(_), Some("S256")) => {
                return Err(redirect_error(&parts, "invalid_request", "code_challenge must be 43 to 128 characters"));
            }
            (Some(_), _) => {
                return Err(redirect_error(&parts, "invalid_request", "code_challenge_method must be S256"));
            }
        };
        let corp_hint = match req.corp_id.as_deref() {
            None => None,
            Some(c) => {
                Some(CorpId::parse(c).map_err(|_| redirect_error(&parts, "invalid_request", "corpId is malformed"))?)
            }
        };
        Ok(ValidRequest {
            app,
            redirect_uri,
            scopes,
            state: req.state.clone(),
            code_challenge,
            corp_hint,
            oidc,
            resources,
        })
    }

    /// The scopes of `req` that `union_id` has not consented to yet (empty: no prompt needed).
    pub async fn consent_prompt(&self, union_id: &UnionId, req: &ValidRequest) -> Result<Vec<Scope>, StoreError> {
        let consent = self.inner.store.consent(union_id, &req.app.client_id).await?;
        let catalog = self.catalog().await?;
        Ok(not_yet_consented(&req.scopes, consent.as_ref())
            .into_iter()
            .filter_map(|c| catalog.get(c).cloned())
            .collect())
    }

    /// Whether `union_id` must be asked before a code is issued: the first authorization of
    /// the app always asks, even for `openid` alone (no app learns who someone is without
    /// their say), and so does any scope not consented yet.
    pub async fn needs_consent(&self, union_id: &UnionId, req: &ValidRequest) -> Result<bool, StoreError> {
        let consent = self.inner.store.consent(union_id, &req.app.client_id).await?;
        Ok(consent.is_none() || !not_yet_consented(&req.scopes, consent.as_ref()).is_empty())
    }

    /// Whether `union_id` may use the app of `req` at all (see [`Tessera::user_org`]): when
    /// not, consenting would not help.
    pub async fn may_use(&self, union_id: &UnionId, req: &ValidRequest) -> Result<bool, StoreError> {
        Ok(self.user_org(union_id, req).await?.is_ok())
    }

    /// The user of `session` agreed: remember the consent and issue a code. Returns the code.
    pub async fn approve(&self, session: &Session, req: &ValidRequest) -> Result<Secret, AuthorizeError> {
        let union_id = &session.union_id;
        let parts = ValidRequestParts { redirect_uri: req.redirect_uri.clone(), state: req.state.clone() };
        let corp_id =
            self.user_org(union_id, req).await?.map_err(|why| redirect_error(&parts, "access_denied", why))?;
        let now = self.now();
        let mut changes =
            self.consent_changes(union_id, &req.app.client_id, &req.scopes, corp_id.as_ref(), now).await?;
        let code = Secret::generate(CODE_PREFIX, &mut rand::rng());
        changes.push(Change::InsertAuthCode(AuthCode {
            hash: token_hash(code.expose()),
            client_id: req.app.client_id.clone(),
            union_id: union_id.clone(),
            corp_id,
            redirect_uri: req.redirect_uri.clone(),
            scopes: req.scopes.clone(),
            code_challenge: req.code_challenge.clone(),
            expires_at: now.plus_secs(CODE_TTL),
            family_id: new_family_id(),
            purpose: CodePurpose::User,
            nonce: req.oidc.nonce.clone(),
            auth_time: Some(session.created_at),
            resources: req.resources.clone(),
        }));
        self.inner.store.commit(&changes, now).await?;
        Ok(code)
    }

    /// The consent (merged with what the user granted before) and its audit event, when
    /// `scopes` add anything.
    pub(crate) async fn consent_changes(
        &self,
        union_id: &UnionId,
        client_id: &ClientId,
        scopes: &[ScopeCode],
        corp_id: Option<&CorpId>,
        now: tessera_core::time::UnixTime,
    ) -> Result<Vec<Change>, StoreError> {
        let mut changes = Vec::new();
        let old = self.inner.store.consent(union_id, client_id).await?;
        let granted: BTreeSet<ScopeCode> = scopes.iter().filter(|c| !is_protocol_scope(c)).cloned().collect();
        let mut merged = old.as_ref().map(|c| c.scopes.clone()).unwrap_or_default();
        let added: Vec<String> =
            granted.iter().filter(|c| merged.insert((*c).clone())).map(|c| c.to_string()).collect();
        if old.is_none() || !added.is_empty() {
            changes.push(Change::PutConsent(Consent {
                union_id: union_id.clone(),
                client_id: client_id.clone(),
                scopes: merged,
                granted_at: now,
            }));
            changes.push(Change::Audit(AuditDraft {
                corp_id: corp_id.cloned(),
                actor: format!("user:{union_id}"),
                action: AuditAction::ConsentGiven,
                target: format!("app:{client_id}"),
                detail: format!("scopes:{}", added.join(" ")),
            }));
        }
        Ok(changes)
    }

    /// The org a user token acts in: the internal app's own org (the user must be a member),
    /// or for a third-party enterprise app the hinted org or the user's first org that
    /// installed it (none: the token is personal). `Err(why)` when the user may not use the app.
    pub(crate) async fn user_org(
        &self,
        union_id: &UnionId,
        req: &ValidRequest,
    ) -> Result<Result<Option<CorpId>, String>, StoreError> {
        let app = &req.app;
        let memberships = self.inner.store.memberships_of(union_id).await?;
        let is_member = |corp: &CorpId| memberships.iter().any(|m| &m.corp_id == corp);
        Ok(match app.kind {
            AppKind::Internal if is_member(&app.owner_corp_id) => Ok(Some(app.owner_corp_id.clone())),
            AppKind::Internal => Err(format!("{} is an internal app of an org you are not a member of", app.name)),
            AppKind::ThirdPartyPersonal => Ok(None),
            AppKind::ThirdPartyEnterprise => {
                let installed = self.inner.store.installations(&app.client_id).await?;
                let usable = |corp: &CorpId| is_member(corp) && installed.iter().any(|i| &i.corp_id == corp);
                match &req.corp_hint {
                    Some(corp) if usable(corp) => Ok(Some(corp.clone())),
                    Some(corp) => Err(format!("{} is not activated in {corp} for you", app.name)),
                    None => Ok(memberships.iter().map(|m| &m.corp_id).find(|c| usable(c)).cloned()),
                }
            }
        })
    }
}

/// A fresh token-family id (not a secret: it only names a family).
pub fn new_family_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
