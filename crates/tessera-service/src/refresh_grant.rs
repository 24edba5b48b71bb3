//! The `refresh_token` grant: single use (rotation); a consumed token presented again
//! revokes its whole family. Every check comes before the claim: another client's token, an
//! expired one or a scope outside the grant is refused and the token stays usable by its owner.

use tessera_core::app::App;
use tessera_core::change::Change;
use tessera_core::ids::ScopeCode;
use tessera_core::refresh::RefreshToken;
use tessera_core::secret::{TokenHash, token_hash};
use tessera_store::StoreError;

use crate::Tessera;
use crate::grant_error::GrantError;
use crate::token_request::UserTokenPair;

impl Tessera {
    pub(crate) async fn refresh_grant(
        &self,
        app: &App,
        refresh_token: &str,
        scope: Option<Vec<ScopeCode>>,
        resources: &[String],
    ) -> Result<UserTokenPair, GrantError> {
        let hash = token_hash(refresh_token);
        let now = self.now();
        let (found, usable) = self.inner.store.refresh_token(&hash).await?.ok_or(GrantError::RefreshUnknown)?;
        if found.client_id != app.client_id {
            return Err(GrantError::RefreshOtherClient);
        }
        if !usable {
            return Err(self.refresh_reused(&found).await);
        }
        if now >= found.expires_at {
            return Err(GrantError::RefreshExpired);
        }
        let scopes = match scope {
            None => found.scopes.clone(),
            Some(asked) => {
                let extra: Vec<ScopeCode> = asked.iter().filter(|s| !found.scopes.contains(s)).cloned().collect();
                if !extra.is_empty() {
                    return Err(GrantError::ScopeNotGranted(extra));
                }
                asked
            }
        };
        // The claim and the successor pair commit together (one transaction, batched with
        // other callers'): of concurrent refreshes of the token exactly one commits.
        let mut changes = vec![Change::ClaimRefreshToken { hash }];
        let access = self.user_access_token(app, &found.union_id, &scopes, resources, now).await?;
        let pair =
            self.mint_pair(app, &found.union_id, found.corp_id, scopes, &found.family_id, access, now, &mut changes);
        match self.inner.store.commit(&changes, now).await {
            Ok(()) => {}
            Err(StoreError::Conflict(e)) => return Err(self.refresh_claim_lost(&hash, e).await),
            Err(e) => return Err(e.into()),
        }
        self.inner.stats.issued(crate::stats::Grant::RefreshToken, tessera_core::token::TokenKind::User);
        Ok(pair)
    }

    /// The claim of a checked token lost: another refresh of the same token won the race, or
    /// its family was revoked meanwhile (a reuse either way), or it is gone.
    async fn refresh_claim_lost(&self, hash: &TokenHash, conflict: String) -> GrantError {
        match self.inner.store.refresh_token(hash).await {
            Ok(Some((r, false))) => self.refresh_reused(&r).await,
            Ok(None) => GrantError::RefreshUnknown,
            // Still usable: the conflict was another change's.
            Ok(Some((_, true))) => StoreError::Conflict(conflict).into(),
            Err(e) => e.into(),
        }
    }

    /// The owner presented a refresh token that cannot be used: its family is revoked (once;
    /// later presentations are counted). One consumed before means it leaked
    /// (`RefreshConsumed`); one never used belongs to a family revoked already
    /// (`RefreshRevoked`).
    async fn refresh_reused(&self, r: &RefreshToken) -> GrantError {
        let used = match self.inner.store.refresh_token_used(&r.hash).await {
            Ok(used) => used.unwrap_or(true),
            Err(e) => return e.into(),
        };
        match self
            .revoke_family(&r.family_id, &r.client_id, &r.union_id, r.corp_id.as_ref(), "refresh token reused")
            .await
        {
            Ok(()) if used => GrantError::RefreshConsumed,
            Ok(()) => GrantError::RefreshRevoked,
            Err(e) => e.into(),
        }
    }
}
