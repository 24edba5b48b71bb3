//! User tokens: minting a pair (access and refresh token of a family), revoking a family,
//! and revocation by the client (RFC 7009). Exchanging a code is in [`crate::code_grant`],
//! refreshing in [`crate::refresh_grant`], introspection (RFC 7662) in
//! [`crate::introspection`].
//!
//! User tokens are cached like app tokens; a revoked family or withdrawn consent drops them
//! from this node's cache after the commit and from the others' when the store announces it.

use tessera_core::app::App;
use tessera_core::audit::{AuditAction, AuditDraft};
use tessera_core::change::Change;
use tessera_core::ids::{ClientId, CorpId, ScopeCode, UnionId};
use tessera_core::refresh::{REFRESH_PREFIX, RefreshToken};
use tessera_core::secret::{Secret, token_hash};
use tessera_core::time::UnixTime;
use tessera_core::token::{AccessToken, TokenKind};
use tessera_store::StoreError;

use crate::Tessera;
pub use crate::grant_error::GrantError;
pub use crate::introspection::Introspection;
pub use crate::token_request::{ClientAuth, UserTokenPair};

impl Tessera {
    /// A user token pair for `app` whose access token is `access` (from
    /// [`Tessera::user_access_token`], with its lifetime); the records go into `changes`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn mint_pair(
        &self,
        app: &App,
        union_id: &UnionId,
        corp_id: Option<CorpId>,
        scopes: Vec<ScopeCode>,
        family_id: &str,
        (access, access_ttl): (Secret, i64),
        now: UnixTime,
        changes: &mut Vec<Change>,
    ) -> UserTokenPair {
        let policy = self.inner.config.user_tokens;
        let refresh = Secret::generate(REFRESH_PREFIX, &mut rand::rng());
        changes.push(Change::InsertToken(AccessToken {
            hash: token_hash(access.expose()),
            kind: TokenKind::User,
            client_id: app.client_id.clone(),
            corp_id: corp_id.clone(),
            union_id: Some(union_id.clone()),
            issued_at: now,
            expires_at: now.plus_secs(access_ttl),
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
            expires_in: access_ttl,
            scopes,
            corp_id,
            union_id: union_id.clone(),
            id_token: None,
        }
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
            return Err(GrantError::TokenOfOtherClient);
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
