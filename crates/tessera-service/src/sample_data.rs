//! The sample Open API's data (departments, member profiles, documents) that the gateway's
//! built-in sample routes serve, so that their handlers talk to the service only.

use tessera_core::document::Document;
use tessera_core::ids::{CorpId, UserId};
use tessera_store::StoreError;

use crate::Tessera;

impl Tessera {
    /// The org's documents, with who may read each.
    pub async fn documents(&self, corp_id: &CorpId) -> Result<Vec<Document>, StoreError> {
        self.inner.store.documents(corp_id).await
    }

    /// Creates a department under `parent_id`; returns its id.
    pub async fn create_department(&self, corp_id: &CorpId, name: &str, parent_id: i64) -> Result<i64, StoreError> {
        self.inner.store.create_department(corp_id, name, parent_id).await
    }

    /// Changes a member's name and title (those given); `false` if no such member.
    pub async fn update_member_profile(
        &self,
        corp_id: &CorpId,
        user_id: &UserId,
        name: Option<&str>,
        title: Option<&str>,
    ) -> Result<bool, StoreError> {
        self.inner.store.update_member_profile(corp_id, user_id, name, title).await
    }
}
