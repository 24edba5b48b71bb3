//! User consent: a user's delegated grant of scopes to an app, and which requested scopes
//! may be consented at all.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::error::DomainError;
use crate::ids::{ClientId, ScopeCode, UnionId};
use crate::scope::{Scope, ScopeIdentity, ScopeTier};
use crate::time::UnixTime;

/// Scopes of the protocol rather than the catalogue: `openid` (who the user is) and
/// DingTalk's `corpid` (answer with the org the user chose). Always grantable.
pub const PROTOCOL_SCOPES: [&str; 3] = ["openid", "corpid", "offline_access"];

pub fn is_protocol_scope(code: &ScopeCode) -> bool {
    PROTOCOL_SCOPES.contains(&code.as_str())
}

/// OpenID Connect's claim scopes (OIDC Core §5.4): any app may ask a user for them, outside
/// the catalogue; unlike protocol scopes they are consented to and remembered one by one.
pub const CLAIM_SCOPES: [&str; 3] = ["profile", "email", "phone"];

pub fn is_claim_scope(code: &ScopeCode) -> bool {
    CLAIM_SCOPES.contains(&code.as_str())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub union_id: UnionId,
    pub client_id: ClientId,
    pub scopes: BTreeSet<ScopeCode>,
    pub granted_at: UnixTime,
}

/// Parses a space-separated scope string (RFC 6749 §3.3): single spaces between codes; an
/// empty string, doubled, leading or trailing spaces or other whitespace are refused.
pub fn parse_scope_string(s: &str) -> Result<Vec<ScopeCode>, DomainError> {
    let bad = |reason: &str| DomainError::InvalidField { field: "scope", reason: reason.into() };
    if s.is_empty() {
        return Err(bad("is empty"));
    }
    let mut out: Vec<ScopeCode> = Vec::new();
    for part in s.split(' ') {
        if part.is_empty() {
            return Err(bad("has a leading, trailing or doubled space"));
        }
        // RFC 6749 §3.3: scope tokens are printable ASCII without `"` and a backslash.
        if part.contains(['"', '\\']) {
            return Err(bad("holds a malformed scope code"));
        }
        let code = ScopeCode::parse(part).map_err(|_| bad("holds a malformed scope code"))?;
        if !out.contains(&code) {
            out.push(code);
        }
    }
    Ok(out)
}

/// Checks that every requested scope may be consented to `app` by a user: a protocol scope,
/// or a catalogue scope that applies to user identity and is enabled for the app (basic
/// scopes always are). Returns the unknown or ungrantable scopes as an error.
pub fn check_requestable(
    requested: &[ScopeCode],
    catalog: &HashMap<ScopeCode, Scope>,
    enabled: &HashSet<ScopeCode>,
) -> Result<(), DomainError> {
    let refused: Vec<String> = requested
        .iter()
        .filter(|code| !is_protocol_scope(code) && !is_claim_scope(code))
        .filter(|code| match catalog.get(*code) {
            None => true,
            Some(s) => s.identity == ScopeIdentity::App || (s.tier != ScopeTier::Basic && !enabled.contains(*code)),
        })
        .map(|c| c.to_string())
        .collect();
    if refused.is_empty() {
        Ok(())
    } else {
        Err(DomainError::InvalidField {
            field: "scope",
            reason: format!("the app cannot ask users for: {}", refused.join(", ")),
        })
    }
}

/// The requested scopes the user has not consented to yet (protocol scopes need no consent).
pub fn not_yet_consented<'a>(requested: &'a [ScopeCode], consent: Option<&Consent>) -> Vec<&'a ScopeCode> {
    requested
        .iter()
        .filter(|c| !is_protocol_scope(c))
        .filter(|c| consent.is_none_or(|k| !k.scopes.contains(*c)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::builtin_scopes;

    fn codes(s: &str) -> Vec<ScopeCode> {
        parse_scope_string(s).unwrap()
    }

    #[test]
    fn scope_strings_are_single_space_separated() {
        assert_eq!(codes("openid Contact.User.Read openid").len(), 2);
        for bad in ["", " openid", "openid ", "openid  corpid", "openid\tcorpid", "a\"b"] {
            assert!(parse_scope_string(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn only_enabled_user_scopes_and_protocol_scopes_are_requestable() {
        let catalog: HashMap<_, _> = builtin_scopes().into_iter().map(|s| (s.code.clone(), s)).collect();
        let enabled: HashSet<_> = codes("Contact.User.Read im:message:receive").into_iter().collect();
        check_requestable(&codes("openid corpid Contact.User.Read qyapi_base"), &catalog, &enabled).unwrap();
        let err = check_requestable(&codes("openid qyapi_get_member no.such"), &catalog, &enabled).unwrap_err();
        assert!(err.to_string().contains("qyapi_get_member, no.such"), "{err}");
        // App-identity scopes are never granted by a user.
        assert!(check_requestable(&codes("im:message:receive"), &catalog, &enabled).is_err());
    }

    #[test]
    fn consent_is_asked_only_for_new_scopes() {
        let consent = Consent {
            union_id: UnionId::parse("u").unwrap(),
            client_id: ClientId::parse("c").unwrap(),
            scopes: codes("Contact.User.Read").into_iter().collect(),
            granted_at: UnixTime(0),
        };
        let req = codes("openid Contact.User.Read doc:readonly");
        let new: Vec<_> = not_yet_consented(&req, Some(&consent)).into_iter().map(|c| c.as_str()).collect();
        assert_eq!(new, ["doc:readonly"]);
        assert_eq!(not_yet_consented(&req, None).len(), 2);
    }
}
