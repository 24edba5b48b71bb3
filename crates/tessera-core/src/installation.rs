//! Installation (activation): an app activated in an org.

use crate::ids::{ClientId, CorpId};
use crate::time::UnixTime;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installation {
    pub client_id: ClientId,
    pub corp_id: CorpId,
    pub installed_at: UnixTime,
}
