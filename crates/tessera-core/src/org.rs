//! Org: a customer organization (corp, tenant).

use crate::ids::CorpId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    pub corp_id: CorpId,
    pub name: String,
    /// Organization authentication: some scopes may only be requested by apps of verified orgs.
    pub verified: bool,
}
