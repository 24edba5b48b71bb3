//! A store decorator that drops this node's caches after every commit, as far as
//! [`Invalidation::of`] the committed changes says: the one place the service decides which
//! caches a write makes stale (the store announces the same changes to the other nodes).
//! It sits under [`crate::detached::Detached`], so the caches are dropped in the write's own
//! task even when the request that started it is cancelled.

use std::sync::Arc;

use async_trait::async_trait;
use tessera_core::app::App;
use tessera_core::audit::AuditEvent;
use tessera_core::change::{Change, Invalidation};
use tessera_core::consent::Consent;
use tessera_core::device::DeviceAuthorization;
use tessera_core::document::Document;
use tessera_core::grant::{OrgGrant, RevokedGrant};
use tessera_core::grant_code::AuthCode;
use tessera_core::ids::{ClientId, CorpId, UnionId, UserId};
use tessera_core::installation::Installation;
use tessera_core::member::Member;
use tessera_core::org::Org;
use tessera_core::permission::PermissionRequest;
use tessera_core::refresh::{Claim, RefreshToken};
use tessera_core::scope::Scope;
use tessera_core::secret::{SecretHash, TokenHash};
use tessera_core::session::Session;
use tessera_core::suite::SuiteTicket;
use tessera_core::time::UnixTime;
use tessera_core::token::AccessToken;
use tessera_store::{AuditFilter, Department, DeviceLookup, Store, StoreError, StoredUser};

use crate::cache::Caches;
use crate::detached::store_wrapper;

pub struct Invalidating(pub Arc<dyn Store>, pub Arc<Caches>);

store_wrapper!(Invalidating, {
    async fn commit(&self, changes: &[Change], at: UnixTime) -> Result<(), StoreError> {
        let result = self.0.commit(changes, at).await;
        // Also after an error: a failed COMMIT may still have been applied.
        self.1.invalidate(Invalidation::of(changes));
        // A token minted here is no longer missing (before its caller can hand it out).
        for change in changes {
            if let Change::InsertToken(t) = change {
                self.1.missing.remove(&t.hash);
            }
        }
        result
    }

    async fn claim_auth_code(&self, hash: &TokenHash, now: UnixTime) -> Result<Claim<AuthCode>, StoreError> {
        self.0.claim_auth_code(hash, now).await
    }

    async fn claim_refresh_token(&self, hash: &TokenHash, now: UnixTime) -> Result<Claim<RefreshToken>, StoreError> {
        self.0.claim_refresh_token(hash, now).await
    }

    async fn purge_expired(&self, now: UnixTime, codes_before: UnixTime) -> Result<tessera_store::Purged, StoreError> {
        self.0.purge_expired(now, codes_before).await
    }

    async fn create_department(&self, corp_id: &CorpId, name: &str, parent_id: i64) -> Result<i64, StoreError> {
        self.0.create_department(corp_id, name, parent_id).await
    }

    async fn update_member_profile(
        &self,
        corp_id: &CorpId,
        user_id: &UserId,
        name: Option<&str>,
        title: Option<&str>,
    ) -> Result<bool, StoreError> {
        self.0.update_member_profile(corp_id, user_id, name, title).await
    }
});
