//! The authorization decision (docs/design.md, "The decision"): may this token call a route
//! that requires these scopes? One pure function, [`decide`], over facts the caller
//! gathered: the catalogue, the app's standing in the org and, for user tokens, the user's.

use std::collections::{HashMap, HashSet};

use crate::ids::ScopeCode;
use crate::scope::{Scope, ScopeTier};

/// Why a required scope is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DenyReason {
    /// The app has not been granted the scope (not requested, pending review or declined).
    AppScopeNotEnabled,
    /// The app is not installed (activated) in the org.
    AppNotInstalled,
    /// The scope is sensitive and the org's eligible role has not authorized it (or revoked it).
    OrgNotAuthorized,
    /// The user behind a user token has not consented to the scope.
    UserNotConsented,
    /// The app or corp token was asked for with other scopes, so it does not carry this one
    /// (the app may hold it: a token asked for without `scope` would pass).
    TokenScopeNotRequested,
}

impl DenyReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DenyReason::AppScopeNotEnabled => "app_scope_not_enabled",
            DenyReason::AppNotInstalled => "app_not_installed",
            DenyReason::OrgNotAuthorized => "org_not_authorized",
            DenyReason::UserNotConsented => "user_not_consented",
            DenyReason::TokenScopeNotRequested => "token_scope_not_requested",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingScope {
    pub scope: ScopeCode,
    pub reason: DenyReason,
}

/// What the app holds in the org the token acts in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppStanding {
    /// Scopes whose permission request is `enabled` for the app.
    pub enabled: HashSet<ScopeCode>,
    /// Whether the app is installed in the org.
    pub installed: bool,
    /// Sensitive scopes with an unrevoked org grant in the org.
    pub org_granted: HashSet<ScopeCode>,
}

/// What the user behind a user token holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserStanding {
    pub consented: HashSet<ScopeCode>,
    /// Whether the user themself may act on the resource (e.g. the document's access list).
    pub resource_allowed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny {
        /// The missing scopes, in the order the route requires them, each with its first failing reason.
        missing: Vec<MissingScope>,
        /// The user token's own user may not act on the resource (`resource_forbidden`).
        resource_forbidden: bool,
    },
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow)
    }
}

/// Decides whether a token may call a route requiring `required`.
///
/// A scope counts for the app iff it is enabled for the app (basic scopes always are), the
/// app is installed in the org, and, when sensitive, the org granted it. For a user token
/// the user must also have consented to it and be allowed on the resource.
pub fn decide(
    required: &[ScopeCode],
    catalog: &HashMap<ScopeCode, Scope>,
    app: &AppStanding,
    user: Option<&UserStanding>,
) -> Decision {
    let missing: Vec<MissingScope> = required
        .iter()
        .filter_map(|code| {
            missing_reason(code, catalog.get(code), app, user)
                .map(|reason| MissingScope { scope: code.clone(), reason })
        })
        .collect();
    let resource_forbidden = user.is_some_and(|u| !u.resource_allowed);
    if missing.is_empty() && !resource_forbidden {
        Decision::Allow
    } else {
        Decision::Deny { missing, resource_forbidden }
    }
}

fn missing_reason(
    code: &ScopeCode,
    scope: Option<&Scope>,
    app: &AppStanding,
    user: Option<&UserStanding>,
) -> Option<DenyReason> {
    // A scope the catalogue does not know can never have been enabled.
    let Some(scope) = scope else {
        return Some(DenyReason::AppScopeNotEnabled);
    };
    if scope.tier != ScopeTier::Basic && !app.enabled.contains(code) {
        return Some(DenyReason::AppScopeNotEnabled);
    }
    if !app.installed {
        return Some(DenyReason::AppNotInstalled);
    }
    if scope.tier == ScopeTier::Sensitive && !app.org_granted.contains(code) {
        return Some(DenyReason::OrgNotAuthorized);
    }
    if user.is_some_and(|u| !u.consented.contains(code)) {
        return Some(DenyReason::UserNotConsented);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::builtin_scopes;

    fn catalog() -> HashMap<ScopeCode, Scope> {
        builtin_scopes().into_iter().map(|s| (s.code.clone(), s)).collect()
    }

    fn codes(list: &[&str]) -> Vec<ScopeCode> {
        list.iter().map(|c| ScopeCode::parse(*c).unwrap()).collect()
    }

    fn set(list: &[&str]) -> HashSet<ScopeCode> {
        codes(list).into_iter().collect()
    }

    fn standing() -> AppStanding {
        AppStanding {
            enabled: set(&["qyapi_get_member", "qyapi_manage_addresslist"]),
            installed: true,
            org_granted: set(&["qyapi_manage_addresslist"]),
        }
    }

    fn denied(d: Decision) -> Vec<(String, DenyReason)> {
        match d {
            Decision::Allow => panic!("expected a denial"),
            Decision::Deny { missing, .. } => missing.into_iter().map(|m| (m.scope.to_string(), m.reason)).collect(),
        }
    }

    #[test]
    fn allows_when_every_scope_is_held() {
        let d = decide(&codes(&["qyapi_get_member", "qyapi_manage_addresslist"]), &catalog(), &standing(), None);
        assert_eq!(d, Decision::Allow);
    }

    #[test]
    fn basic_scopes_need_no_request_but_need_installation() {
        let mut s = AppStanding { installed: true, ..AppStanding::default() };
        assert!(decide(&codes(&["qyapi_base"]), &catalog(), &s, None).is_allowed());
        s.installed = false;
        assert_eq!(
            denied(decide(&codes(&["qyapi_base"]), &catalog(), &s, None)),
            [("qyapi_base".into(), DenyReason::AppNotInstalled)]
        );
    }

    #[test]
    fn app_scope_not_enabled() {
        let d = decide(&codes(&["Contact.User.Read", "qyapi_get_member"]), &catalog(), &standing(), None);
        assert_eq!(denied(d), [("Contact.User.Read".into(), DenyReason::AppScopeNotEnabled)]);
    }

    #[test]
    fn unknown_scopes_are_not_enabled() {
        let d = decide(&codes(&["no.such.scope"]), &catalog(), &standing(), None);
        assert_eq!(denied(d), [("no.such.scope".into(), DenyReason::AppScopeNotEnabled)]);
    }

    #[test]
    fn app_not_installed() {
        let mut s = standing();
        s.installed = false;
        let d = decide(&codes(&["qyapi_get_member"]), &catalog(), &s, None);
        assert_eq!(denied(d), [("qyapi_get_member".into(), DenyReason::AppNotInstalled)]);
    }

    #[test]
    fn org_not_authorized_for_sensitive_scope() {
        let mut s = standing();
        s.org_granted.clear();
        let d = decide(&codes(&["qyapi_get_member", "qyapi_manage_addresslist"]), &catalog(), &s, None);
        assert_eq!(denied(d), [("qyapi_manage_addresslist".into(), DenyReason::OrgNotAuthorized)]);
    }

    #[test]
    fn user_not_consented() {
        let user = UserStanding { consented: set(&["qyapi_get_member"]), resource_allowed: true };
        let d = decide(&codes(&["qyapi_get_member", "qyapi_manage_addresslist"]), &catalog(), &standing(), Some(&user));
        assert_eq!(denied(d), [("qyapi_manage_addresslist".into(), DenyReason::UserNotConsented)]);
    }

    #[test]
    fn resource_forbidden_for_the_user() {
        let user = UserStanding { consented: set(&["qyapi_get_member"]), resource_allowed: false };
        let d = decide(&codes(&["qyapi_get_member"]), &catalog(), &standing(), Some(&user));
        assert_eq!(d, Decision::Deny { missing: vec![], resource_forbidden: true });
    }

    #[test]
    fn the_first_failing_reason_is_reported_per_scope() {
        // Not enabled wins over not installed; every missing scope is listed in route order.
        let s = AppStanding::default();
        let d = decide(&codes(&["qyapi_manage_addresslist", "qyapi_base"]), &catalog(), &s, None);
        assert_eq!(
            denied(d),
            [
                ("qyapi_manage_addresslist".into(), DenyReason::AppScopeNotEnabled),
                ("qyapi_base".into(), DenyReason::AppNotInstalled),
            ]
        );
    }
}
