//! Domain errors: what went wrong in the vocabulary of the concepts. Each dialect maps
//! these once to its own wire format.

use crate::ids::{ClientId, CorpId, Role, ScopeCode, UnionId, UserId};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("invalid {what}")]
    InvalidId { what: &'static str },
    #[error("invalid {field}: {reason}")]
    InvalidField { field: &'static str, reason: String },
    #[error("unknown org {0}")]
    UnknownOrg(CorpId),
    #[error("unknown app {0}")]
    UnknownApp(ClientId),
    #[error("unknown user {0}")]
    UnknownUser(UnionId),
    #[error("{user_id} is not a member of {corp_id}")]
    NotAMember { corp_id: CorpId, user_id: UserId },
    #[error("unknown scope {0}")]
    UnknownScope(ScopeCode),
    #[error("scope {scope} is {tier} and cannot be {action}")]
    WrongTier { scope: ScopeCode, tier: &'static str, action: &'static str },
    #[error("scope {scope} is not enabled for app {client_id}")]
    ScopeNotEnabled { client_id: ClientId, scope: ScopeCode },
    #[error("app {client_id} is not installed in {corp_id}")]
    NotInstalled { client_id: ClientId, corp_id: CorpId },
    #[error("authorizing {scope} needs a member holding the org-wide role {role}; {user_id} does not hold it")]
    RoleRequired { scope: ScopeCode, role: Role, user_id: UserId },
    /// Managing an org's apps needs an org-wide `developer` or `org_admin`.
    #[error("managing the apps of {corp_id} needs the org-wide role developer (or org_admin); {user_id} holds neither")]
    DeveloperRequired { corp_id: CorpId, user_id: UserId },
    #[error("a {kind} app cannot get this kind of token")]
    WrongAppKind { kind: &'static str },
    #[error("{0}")]
    Conflict(String),
    /// The scope is closed to new requests; the catalogue's message says why.
    #[error("{scope}: {message}")]
    ScopeClosed { scope: ScopeCode, message: &'static str },
    #[error("{scope} may only be requested by apps of verified (authenticated) organizations")]
    UnverifiedOrg { scope: ScopeCode },
    /// The actor may not do this (not a member, not an admin, not an operator).
    #[error("{0}")]
    NotAllowed(String),
    #[error("{0}")]
    NotFound(String),
}
