//! The `authorization_code` grant: the code, once, by the client it was issued to, after
//! every check (client, redirect URI, PKCE, org) has passed. A code from the admin-consent
//! flow gives, by the dialect's rule, the approving admin's delegated user token or the
//! app's token in the org that authorized it.

use tessera_core::app::{App, AppKind};
use tessera_core::audit::{AuditAction, AuditDraft};
use tessera_core::change::Change;
use tessera_core::grant_code::{AuthCode, CodePurpose, check_exchange};
use tessera_core::refresh::Claim;
use tessera_core::secret::{TokenHash, token_hash};
use tessera_core::token::TokenKind;
use tessera_store::StoreError;

use crate::Tessera;
use crate::grant_error::GrantError;
use crate::token_request::{AdminConsentCode, DialectRules, Pkce, TokenAnswer, UserTokenPair};

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

impl Tessera {
    pub(crate) async fn code_grant(
        &self,
        app: &App,
        code: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
        rules: DialectRules,
        resources: &[String],
    ) -> Result<TokenAnswer, GrantError> {
        let code = self.check_code(app, code, redirect_uri, verifier, rules.pkce).await?;
        let resources = self.code_audience(app, &code, resources).await?;
        if code.purpose == CodePurpose::AdminConsent && rules.admin_consent_code == AdminConsentCode::OrgToken {
            return self.org_token_from(app, code).await;
        }
        let (nonce, auth_time) = (code.nonce.clone(), code.auth_time);
        let pair = self.user_pair_from(app, code, &resources).await?;
        Ok(TokenAnswer::User(self.with_id_token(app, pair, nonce.as_deref(), auth_time).await?))
    }

    /// An admin-consent code exchanged for the app's token in the org that authorized it (a
    /// corp token for a third-party app, an app token for an internal one).
    async fn org_token_from(&self, app: &App, code: AuthCode) -> Result<TokenAnswer, GrantError> {
        let corp_id = code.corp_id.clone().ok_or(GrantError::CodeWithoutOrg)?;
        let kind = match app.kind {
            AppKind::Internal => TokenKind::App,
            _ => TokenKind::Corp,
        };
        if !self.standing(&app.client_id, &corp_id).await?.installed {
            return Err(GrantError::NoLongerActivated { corp_id });
        }
        let code = self.take_code(&code).await?;
        let issued =
            self.hand_out(app, corp_id.clone(), kind, Vec::new(), crate::stats::Grant::AuthorizationCode).await?;
        self.inner.store.commit(&[exchanged_event(&code, "an org token")], self.now()).await?;
        Ok(TokenAnswer::Org { token: issued, scopes: code.scopes })
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
        let (code, unused) = self.inner.store.auth_code(&token_hash(code)).await?.ok_or(GrantError::CodeUnknown)?;
        if code.client_id != app.client_id {
            return Err(GrantError::CodeOtherClient);
        }
        if !unused {
            return Err(self.code_replayed(&code).await);
        }
        check_exchange(&code, &app.client_id, redirect_uri, verifier, self.now())?;
        if pkce == Pkce::Strict && verifier.is_some() && code.code_challenge.is_none() {
            return Err(GrantError::CodeVerifierUnexpected);
        }
        Ok(code)
    }

    /// RFC 8707 §2.2: the resources of the tokens a code gives, decided before the code is
    /// consumed (a refusal leaves it usable). A token request naming none gets the code's (still
    /// registered); one naming some may narrow what the authorization request named, never
    /// widen it: a resource the authorization request did not name is `invalid_target`. A code
    /// issued without resources takes the token request's (each registered, checked already).
    async fn code_audience(&self, app: &App, code: &AuthCode, asked: &[String]) -> Result<Vec<String>, GrantError> {
        if asked.is_empty() {
            return self.check_resources(app, code.resources.clone()).await;
        }
        if code.resources.is_empty() {
            return Ok(asked.to_vec());
        }
        if let Some(other) = asked.iter().find(|r| !code.resources.contains(r)) {
            let shown: String = other.chars().take(100).collect();
            return Err(GrantError::InvalidTarget(format!(
                "resource {shown:?} was not named by the authorization request; the token request may only narrow its resources"
            )));
        }
        Ok(asked.to_vec())
    }

    /// Claims a checked code, exactly once even under concurrent exchanges: the loser of a
    /// race is a replay.
    async fn take_code(&self, checked: &AuthCode) -> Result<AuthCode, GrantError> {
        match self.inner.store.claim_auth_code(&checked.hash, self.now()).await? {
            Claim::Claimed(code) => Ok(code),
            Claim::Replayed(code) => Err(self.code_replayed(&code).await),
            // Withdrawn (or purged) between the check and the claim.
            Claim::Unknown => Err(GrantError::CodeUnknown),
        }
    }

    /// The claim of a checked code lost: a concurrent exchange of the same code won (a
    /// replay), or the code is gone.
    async fn code_claim_lost(&self, hash: &TokenHash, conflict: String) -> GrantError {
        match self.inner.store.auth_code(hash).await {
            Ok(Some((code, false))) => self.code_replayed(&code).await,
            Ok(None) => GrantError::CodeUnknown,
            // Still unused: the conflict was another change's.
            Ok(Some((_, true))) => StoreError::Conflict(conflict).into(),
            Err(e) => e.into(),
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
            Ok(()) => GrantError::CodeReplayed,
            Err(e) => e.into(),
        }
    }

    /// The user tokens a checked code gives. The code is claimed in the same transaction as
    /// the tokens are stored (batched with other callers'): of concurrent exchanges of one code
    /// exactly one commits.
    async fn user_pair_from(
        &self,
        app: &App,
        code: AuthCode,
        resources: &[String],
    ) -> Result<UserTokenPair, GrantError> {
        let now = self.now();
        let hash = code.hash;
        let access = self.user_access_token(app, &code.union_id, &code.scopes, resources, now).await?;
        let mut changes = vec![
            Change::ClaimAuthCode { hash },
            Change::InsertFamily {
                family_id: code.family_id.clone(),
                client_id: app.client_id.clone(),
                union_id: code.union_id.clone(),
            },
        ];
        if code.purpose == CodePurpose::AdminConsent {
            changes.push(exchanged_event(&code, "the approving admin's user token"));
        }
        let pair =
            self.mint_pair(app, &code.union_id, code.corp_id, code.scopes, &code.family_id, access, now, &mut changes);
        match self.inner.store.commit(&changes, now).await {
            Ok(()) => {}
            Err(StoreError::Conflict(e)) => return Err(self.code_claim_lost(&hash, e).await),
            Err(e) => return Err(e.into()),
        }
        self.inner.stats.issued(crate::stats::Grant::AuthorizationCode, tessera_core::token::TokenKind::User);
        Ok(pair)
    }
}
