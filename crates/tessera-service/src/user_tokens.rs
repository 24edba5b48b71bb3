//! User tokens: exchanging a code, refreshing with rotation and reuse detection, revoking
//! (RFC 7009). Introspection (RFC 7662) is in [`crate::introspection`].
//!
//! User tokens are checked against the store on every call (never cached), so a revoked
//! family is dead on the next call on every node.

use std::sync::Arc;

use tessera_core::app::App;
use tessera_core::app::AppKind;
use tessera_core::audit::{AuditAction, AuditDraft};
use tessera_core::change::Change;
use tessera_core::grant_code::{AuthCode, CodePurpose, CodeRejection, check_exchange};
use tessera_core::ids::{ClientId, CorpId, ScopeCode, UnionId};
use tessera_core::refresh::{Claim, REFRESH_PREFIX, RefreshToken};
use tessera_core::secret::{Secret, token_hash};
use tessera_core::time::UnixTime;
use tessera_core::token::{AccessToken, TokenKind};
use tessera_store::StoreError;

use crate::Tessera;

/// Whether a `code_verifier` is accepted for a code issued without a `code_challenge`
/// (RFC 7636 ignores it; Feishu v3 refuses it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pkce {
    Lenient,
    Strict,
}

/// How a client authenticated at the token endpoint.
#[derive(Debug, Clone)]
pub struct ClientAuth {
    pub client_id: String,
    /// `None` for public clients.
    pub secret: Option<Secret>,
}

#[derive(Debug, thiserror::Error)]
pub enum GrantError {
    #[error("client authentication failed")]
    InvalidClient,
    #[error("{0}")]
    InvalidGrant(String),
    #[error("{0}")]
    InvalidScope(String),
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    UnauthorizedClient(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A refresh token refused, and why (dialects name the reasons differently).
    #[error(transparent)]
    Refresh(#[from] RefreshRefused),
    /// A device-code poll that gets no tokens (yet).
    #[error(transparent)]
    Device(#[from] tessera_core::device::DevicePollError),
    /// Too many requests from the client's address (device authorizations): wait.
    #[error("too many requests from this address; try again in {retry_after} seconds")]
    TooManyRequests { retry_after: i64 },
}

/// Why a refresh token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RefreshRefused {
    #[error("unknown refresh token")]
    Unknown,
    #[error("the refresh token was issued to another client")]
    OtherClient,
    #[error("the refresh token was already used or revoked; its whole family is revoked")]
    Reused,
    #[error("the refresh token has expired")]
    Expired,
}

/// A new access and refresh token for a user.
#[derive(Debug, Clone)]
pub struct UserTokenPair {
    pub access_token: Secret,
    pub refresh_token: Secret,
    pub expires_in: i64,
    pub scopes: Vec<ScopeCode>,
    pub corp_id: Option<CorpId>,
    pub union_id: UnionId,
    /// The OpenID Connect ID token, when the grant asked for `openid` (code and device flows).
    pub id_token: Option<String>,
}

/// What an authorization code was exchanged for.
#[derive(Debug, Clone)]
pub enum CodeExchange {
    User(UserTokenPair),
    /// The app's token in the org whose admin approved, and the scopes they authorized.
    Org {
        token: crate::IssuedToken,
        scopes: Vec<ScopeCode>,
    },
}

fn exchanged_event(code: &AuthCode, what: &str) -> Change {
    let scopes: Vec<&str> = code.scopes.iter().map(|s| s.as_str()).collect();
    Change::Audit(AuditDraft {
        corp_id: code.corp_id.clone(),
        actor: format!("app:{}", code.client_id),
        action: AuditAction::AdminConsentExchanged,
        target: format!("app:{}", code.client_id),
        detail: format!("authCode exchanged for {what}; scopes: {}", scopes.join(" ")),
    })
}

pub use crate::introspection::Introspection;

impl Tessera {
    /// The app behind a token-endpoint client authentication: confidential clients need their
    /// secret; public clients send none.
    pub async fn authenticate_grant_client(&self, auth: &ClientAuth) -> Result<Arc<App>, GrantError> {
        let Ok(client_id) = ClientId::parse(auth.client_id.as_str()) else {
            return Err(GrantError::InvalidClient);
        };
        let app = self.app(&client_id).await?.ok_or(GrantError::InvalidClient)?;
        match (&auth.secret, app.public_client) {
            (None, true) => Ok(app),
            (Some(secret), false) if self.secret_matches(&app, secret).await? => Ok(app),
            _ => Err(GrantError::InvalidClient),
        }
    }

    /// `authorization_code`: the code, once, by the client it was issued to. A code from the
    /// admin-consent flow gives the approving admin's delegated user token here.
    pub async fn exchange_code(
        &self,
        auth: &ClientAuth,
        code: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
    ) -> Result<UserTokenPair, GrantError> {
        let (app, code) = self.claim_code(auth, code, redirect_uri, verifier, Pkce::Lenient).await?;
        self.user_pair_from(&app, code).await
    }

    /// `authorization_code` at `/oauth2/token`: a user code gives a user token; a code from
    /// the admin-consent flow gives the app's token in the org that authorized it (a corp
    /// token for a third-party app, an app token for an internal one).
    pub async fn exchange_any_code(
        &self,
        auth: &ClientAuth,
        code: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
    ) -> Result<CodeExchange, GrantError> {
        let app = self.authenticate_grant_client(auth).await?;
        let code = self.check_code(&app, code, redirect_uri, verifier, Pkce::Lenient).await?;
        if code.purpose != CodePurpose::AdminConsent {
            let code = self.take_code(&code).await?;
            let (nonce, auth_time) = (code.nonce.clone(), code.auth_time);
            let pair = self.user_pair_from(&app, code).await?;
            return Ok(CodeExchange::User(self.with_id_token(&app, pair, nonce.as_deref(), auth_time).await?));
        }
        let corp_id = code.corp_id.clone().ok_or_else(|| GrantError::InvalidGrant("the code names no org".into()))?;
        let kind = match app.kind {
            AppKind::Internal => TokenKind::App,
            _ => TokenKind::Corp,
        };
        if !self.standing(&app.client_id, &corp_id).await?.installed {
            return Err(GrantError::InvalidGrant(format!("the app is no longer activated in {corp_id}")));
        }
        let code = self.take_code(&code).await?;
        let issued = self.hand_out(&app, corp_id.clone(), kind).await?;
        self.inner.store.commit(&[exchanged_event(&code, "an org token")], self.now()).await?;
        Ok(CodeExchange::Org { token: issued, scopes: code.scopes })
    }

    async fn claim_code(
        &self,
        auth: &ClientAuth,
        code: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
        pkce: Pkce,
    ) -> Result<(Arc<App>, AuthCode), GrantError> {
        let app = self.authenticate_grant_client(auth).await?;
        let code = self.check_code(&app, code, redirect_uri, verifier, pkce).await?;
        let code = self.take_code(&code).await?;
        Ok((app, code))
    }

    /// `authorization_code` for an app already authenticated (by an app token, say).
    pub async fn exchange_code_as(
        &self,
        app: &App,
        code: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
    ) -> Result<UserTokenPair, GrantError> {
        let code = self.check_code(app, code, redirect_uri, verifier, Pkce::Lenient).await?;
        let code = self.take_code(&code).await?;
        self.user_pair_from(app, code).await
    }

    /// `authorization_code` with Feishu v3's stricter PKCE: a `code_verifier` for a code
    /// whose authorization request had no `code_challenge` is refused (before the code is
    /// claimed, like every other check).
    pub async fn exchange_code_strict_pkce(
        &self,
        auth: &ClientAuth,
        code: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
    ) -> Result<UserTokenPair, GrantError> {
        let (app, code) = self.claim_code(auth, code, redirect_uri, verifier, Pkce::Strict).await?;
        self.user_pair_from(&app, code).await
    }

    /// Every check of an exchange of `code` by `app`, before anything is consumed: a code of
    /// another client is refused and left as it was (its owner can still redeem it); the
    /// owner presenting a used code again revokes what the code issued.
    async fn check_code(
        &self,
        app: &App,
        code: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
        pkce: Pkce,
    ) -> Result<AuthCode, GrantError> {
        let (code, unused) = self
            .inner
            .store
            .auth_code(&token_hash(code))
            .await?
            .ok_or_else(|| GrantError::InvalidGrant("unknown code".into()))?;
        if code.client_id != app.client_id {
            return Err(GrantError::InvalidGrant(CodeRejection::OtherClient.to_string()));
        }
        if !unused {
            return Err(self.code_replayed(&code).await);
        }
        check_exchange(&code, &app.client_id, redirect_uri, verifier, self.now())
            .map_err(|e| GrantError::InvalidGrant(e.to_string()))?;
        if pkce == Pkce::Strict && verifier.is_some() && code.code_challenge.is_none() {
            return Err(GrantError::InvalidGrant(
                "a code_verifier was sent but the authorization request had no code_challenge".into(),
            ));
        }
        Ok(code)
    }

    /// Claims a checked code, exactly once even under concurrent exchanges: the loser of a
    /// race is a replay.
    async fn take_code(&self, checked: &AuthCode) -> Result<AuthCode, GrantError> {
        match self.inner.store.claim_auth_code(&checked.hash, self.now()).await? {
            Claim::Claimed(code) => Ok(code),
            Claim::Replayed(code) => Err(self.code_replayed(&code).await),
            // Withdrawn (or purged) between the check and the claim.
            Claim::Unknown => Err(GrantError::InvalidGrant("unknown code".into())),
        }
    }

    /// The owner presented a used code: whatever was issued from it may be in the wrong hands.
    async fn code_replayed(&self, code: &AuthCode) -> GrantError {
        let revoked = self
            .revoke_family(
                &code.family_id,
                &code.client_id,
                &code.union_id,
                code.corp_id.as_ref(),
                "authorization code replayed",
            )
            .await;
        match revoked {
            Ok(()) => {
                GrantError::InvalidGrant("the code was already used; the tokens issued from it are revoked".into())
            }
            Err(e) => e.into(),
        }
    }

    async fn user_pair_from(&self, app: &App, code: AuthCode) -> Result<UserTokenPair, GrantError> {
        let now = self.now();
        let mut changes = vec![Change::InsertFamily {
            family_id: code.family_id.clone(),
            client_id: app.client_id.clone(),
            union_id: code.union_id.clone(),
        }];
        if code.purpose == CodePurpose::AdminConsent {
            changes.push(exchanged_event(&code, "the approving admin's user token"));
        }
        let pair = self.mint_pair(app, &code.union_id, code.corp_id, code.scopes, &code.family_id, now, &mut changes);
        self.inner.store.commit(&changes, now).await?;
        Ok(pair)
    }

    /// `refresh_token`: single use; a consumed token presented again revokes its family.
    pub async fn refresh(
        &self,
        auth: &ClientAuth,
        refresh_token: &str,
        scope: Option<Vec<ScopeCode>>,
    ) -> Result<UserTokenPair, GrantError> {
        let app = self.authenticate_grant_client(auth).await?;
        self.refresh_as(&app, refresh_token, scope).await
    }

    /// `refresh_token` for an app already authenticated (by an app token, say).
    pub async fn refresh_as(
        &self,
        app: &App,
        refresh_token: &str,
        scope: Option<Vec<ScopeCode>>,
    ) -> Result<UserTokenPair, GrantError> {
        let hash = token_hash(refresh_token);
        let now = self.now();
        // Every check before the claim: another client's token, an expired one or a scope
        // outside the grant is refused and the token stays usable by its owner.
        let (found, usable) = self.inner.store.refresh_token(&hash).await?.ok_or(RefreshRefused::Unknown)?;
        if found.client_id != app.client_id {
            return Err(RefreshRefused::OtherClient.into());
        }
        if !usable {
            return Err(self.refresh_reused(&found).await);
        }
        if now >= found.expires_at {
            return Err(RefreshRefused::Expired.into());
        }
        let scopes = match scope {
            None => found.scopes.clone(),
            Some(asked) => {
                let extra: Vec<String> =
                    asked.iter().filter(|s| !found.scopes.contains(s)).map(|s| s.to_string()).collect();
                if !extra.is_empty() {
                    return Err(GrantError::InvalidScope(format!("not granted originally: {}", extra.join(", "))));
                }
                asked
            }
        };
        let old = match self.inner.store.claim_refresh_token(&hash, now).await? {
            Claim::Claimed(r) => r,
            // Lost a race with another refresh of the same token: a reuse.
            Claim::Replayed(r) => return Err(self.refresh_reused(&r).await),
            Claim::Unknown => return Err(RefreshRefused::Unknown.into()),
        };
        let mut changes = Vec::new();
        let pair = self.mint_pair(app, &old.union_id, old.corp_id, scopes, &old.family_id, now, &mut changes);
        self.inner.store.commit(&changes, now).await?;
        Ok(pair)
    }

    /// The owner presented a consumed refresh token (or one of a revoked family): the whole
    /// family is revoked.
    async fn refresh_reused(&self, r: &RefreshToken) -> GrantError {
        match self
            .revoke_family(&r.family_id, &r.client_id, &r.union_id, r.corp_id.as_ref(), "refresh token reused")
            .await
        {
            Ok(()) => RefreshRefused::Reused.into(),
            Err(e) => e.into(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn mint_pair(
        &self,
        app: &App,
        union_id: &UnionId,
        corp_id: Option<CorpId>,
        scopes: Vec<ScopeCode>,
        family_id: &str,
        now: UnixTime,
        changes: &mut Vec<Change>,
    ) -> UserTokenPair {
        let policy = self.inner.config.user_tokens;
        let access = Secret::generate(TokenKind::User.prefix(), &mut rand::rng());
        let refresh = Secret::generate(REFRESH_PREFIX, &mut rand::rng());
        changes.push(Change::InsertToken(AccessToken {
            hash: token_hash(access.expose()),
            kind: TokenKind::User,
            client_id: app.client_id.clone(),
            corp_id: corp_id.clone(),
            union_id: Some(union_id.clone()),
            issued_at: now,
            expires_at: now.plus_secs(policy.access_ttl),
            revoked: false,
            scopes: scopes.clone(),
            family_id: Some(family_id.to_owned()),
        }));
        changes.push(Change::InsertRefreshToken(RefreshToken {
            hash: token_hash(refresh.expose()),
            family_id: family_id.to_owned(),
            client_id: app.client_id.clone(),
            union_id: union_id.clone(),
            corp_id: corp_id.clone(),
            scopes: scopes.clone(),
            issued_at: now,
            expires_at: now.plus_secs(policy.refresh_ttl),
        }));
        UserTokenPair {
            access_token: access,
            refresh_token: refresh,
            expires_in: policy.access_ttl,
            scopes,
            corp_id,
            union_id: union_id.clone(),
            id_token: None,
        }
    }

    /// `pair` with its ID token (see [`crate::oidc::id_token`]): the one place where the
    /// token endpoint's grants attach one.
    pub(crate) async fn with_id_token(
        &self,
        app: &App,
        mut pair: UserTokenPair,
        nonce: Option<&str>,
        auth_time: Option<UnixTime>,
    ) -> Result<UserTokenPair, GrantError> {
        pair.id_token = self
            .id_token_for(crate::oidc::IdTokenFacts {
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

    pub(crate) async fn revoke_family(
        &self,
        family_id: &str,
        client_id: &ClientId,
        union_id: &UnionId,
        corp_id: Option<&CorpId>,
        why: &str,
    ) -> Result<(), StoreError> {
        // Only the family's first revocation is logged; replays after it are counted.
        let change = Change::RevokeFamilyOnce {
            family_id: family_id.to_owned(),
            audit: AuditDraft {
                corp_id: corp_id.cloned(),
                actor: format!("app:{client_id}"),
                action: AuditAction::TokensRevoked,
                target: format!("app:{client_id} user:{union_id} family:{family_id}"),
                detail: why.to_owned(),
            },
        };
        self.inner.store.commit(&[change], self.now()).await
    }

    /// RFC 7009: revokes an access or refresh token of the authenticated client (a user
    /// token's whole family). Unknown tokens are not an error.
    pub async fn revoke(&self, auth: &ClientAuth, token: &str) -> Result<(), GrantError> {
        let app = self.authenticate_grant_client(auth).await?;
        let hash = token_hash(token);
        let store = &self.inner.store;
        let (owner, family, union, corp) = if let Some(t) = store.token(&hash).await? {
            (t.client_id, t.family_id, t.union_id, t.corp_id)
        } else if let Some((r, _)) = store.refresh_token(&hash).await? {
            (r.client_id, Some(r.family_id), Some(r.union_id), r.corp_id)
        } else {
            return Ok(());
        };
        if owner != app.client_id {
            return Err(GrantError::UnauthorizedClient("the token was issued to another client".into()));
        }
        match (family, union) {
            (Some(family), Some(union)) => {
                self.revoke_family(&family, &owner, &union, corp.as_ref(), "revoked by the client").await?
            }
            _ => {
                let audit = Change::Audit(AuditDraft {
                    corp_id: corp.clone(),
                    actor: format!("app:{owner}"),
                    action: AuditAction::TokensRevoked,
                    target: format!("app:{owner} token"),
                    detail: "revoked by the client".into(),
                });
                // The store decorator drops the cached and handed-out tokens.
                store.commit(&[Change::RevokeToken { hash }, audit], self.now()).await?;
            }
        }
        Ok(())
    }
}
