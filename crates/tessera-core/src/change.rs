//! Changes: what a domain command decides to write. A store applies a list of changes in
//! one transaction, audit events included.

use crate::app::App;
use crate::audit::AuditDraft;
use crate::grant::OrgGrant;
use crate::installation::Installation;
use crate::member::{Member, User};
use crate::org::Org;
use crate::permission::PermissionRequest;
use crate::scope::Scope;
use crate::token::AccessToken;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Adds a scope to the catalogue or replaces its definition.
    PutScope(Scope),
    InsertOrg(Org),
    /// A user with the argon2id PHC string of their password, if they have one.
    InsertUser {
        user: User,
        password_hash: Option<String>,
    },
    InsertMember(Member),
    InsertApp(App),
    /// Creates or replaces the permission request of (app, scope).
    PutPermission(PermissionRequest),
    InsertInstallation(Installation),
    InsertOrgGrant(OrgGrant),
    InsertToken(AccessToken),
    Audit(AuditDraft),
}
