//! The built-in scope catalogue: the scopes named in the seeds. Operators add their own
//! scopes next to these.

use crate::ids::{Role, ScopeCode};
use crate::scope::{Scope, ScopeIdentity, ScopeTier};

/// The message of a scope closed to new requests.
pub const CLOSED_MESSAGE: &str = "Permission scopes are being expanded. New applications are temporarily not supported. For special requirements, contact the product team.";

struct Entry {
    code: &'static str,
    tier: ScopeTier,
    role: Option<&'static str>,
    open: bool,
    identity: ScopeIdentity,
    description: &'static str,
}

const fn e(code: &'static str, tier: ScopeTier, identity: ScopeIdentity, description: &'static str) -> Entry {
    Entry { code, tier, role: None, open: true, identity, description }
}

const fn sensitive(code: &'static str, role: &'static str, open: bool, description: &'static str) -> Entry {
    Entry { code, tier: ScopeTier::Sensitive, role: Some(role), open, identity: ScopeIdentity::Both, description }
}

use ScopeIdentity::{App, Both, User};
use ScopeTier::{Basic, Standard};

const BUILTIN: &[Entry] = &[
    e("qyapi_base", Basic, Both, "Basic permission required to call enterprise APIs"),
    e("qyapi_get_member", Standard, Both, "Read member details in the contacts"),
    e("Contact.User.Read", Standard, Both, "Read a user's personal contact information"),
    sensitive("qyapi_manage_addresslist", Role::CONTACTS_ADMIN, true, "Contacts data management permission"),
    sensitive("Notable.Base.Write", Role::DOCS_ADMIN, false, "DingTalk AI Table write permission"),
    sensitive("Notable.Base.Read", Role::DOCS_ADMIN, false, "DingTalk AI Table read permission"),
    e("im:message:send_as", Standard, Both, "Send messages as the user or the bot"),
    e("im:message:receive", Standard, App, "Receive messages sent to the bot"),
    e("doc:readonly", Standard, Both, "Read documents"),
    e("doc:upload", Standard, Both, "Upload documents"),
    e("doc:create", Standard, Both, "Create documents"),
    e("bitable:readonly", Standard, Both, "Read Bitable tables"),
    e("bitable:create", Standard, Both, "Create Bitable tables and records"),
    e("calendar:readonly", Standard, User, "Read calendars and events"),
    e("calendar:event:create", Standard, User, "Create calendar events"),
    e("task:readonly", Standard, User, "Read tasks"),
    e("task:create", Standard, User, "Create tasks"),
    e("drive:readonly", Standard, Both, "Read files in the drive"),
    e("drive:upload", Standard, Both, "Upload files to the drive"),
];

/// The built-in scopes, valid by construction (checked by a unit test).
pub fn builtin_scopes() -> Vec<Scope> {
    BUILTIN
        .iter()
        .filter_map(|entry| {
            Some(Scope {
                code: ScopeCode::parse(entry.code).ok()?,
                description: entry.description.to_owned(),
                tier: entry.tier,
                eligible_role: match entry.role {
                    Some(r) => Some(Role::parse(r).ok()?),
                    None => None,
                },
                open_for_requests: entry.open,
                requires_verified_org: false,
                identity: entry.identity,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_entry_is_valid_and_present() {
        let scopes = builtin_scopes();
        assert_eq!(scopes.len(), BUILTIN.len());
        for s in &scopes {
            s.validate().unwrap();
        }
    }

    #[test]
    fn seed_scopes_have_their_tiers_and_roles() {
        let scopes = builtin_scopes();
        let get = |c: &str| scopes.iter().find(|s| s.code.as_str() == c).unwrap();
        assert_eq!(get("qyapi_base").tier, ScopeTier::Basic);
        assert_eq!(get("qyapi_get_member").tier, ScopeTier::Standard);
        assert_eq!(get("Contact.User.Read").tier, ScopeTier::Standard);
        let m = get("qyapi_manage_addresslist");
        assert_eq!(m.tier, ScopeTier::Sensitive);
        assert_eq!(m.eligible_role.as_ref().unwrap().as_str(), "contacts_admin");
        for c in ["Notable.Base.Read", "Notable.Base.Write"] {
            let s = get(c);
            assert_eq!(s.eligible_role.as_ref().unwrap().as_str(), "docs_admin");
            assert!(!s.open_for_requests);
        }
        for c in [
            "im:message:send_as",
            "im:message:receive",
            "doc:readonly",
            "doc:upload",
            "doc:create",
            "bitable:readonly",
            "bitable:create",
            "calendar:readonly",
            "calendar:event:create",
            "task:readonly",
            "task:create",
            "drive:readonly",
            "drive:upload",
        ] {
            assert_eq!(get(c).tier, ScopeTier::Standard, "{c}");
        }
    }
}
