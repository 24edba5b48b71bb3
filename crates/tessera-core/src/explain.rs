//! Answers instead of bare 403s: for one scope, the first step of the lifecycle that is
//! missing and what to do next. It follows the same order as [`crate::decision::decide`]:
//! enabled for the app, app activated in the org, authorized by the org (sensitive scopes),
//! consented by the user (user tokens).

use serde::Serialize;

use crate::grant::RevokedGrant;
use crate::ids::{CorpId, ScopeCode, UserId};
use crate::permission::{PermissionRequest, PermissionStatus};
use crate::scope::{Scope, ScopeTier};

/// What is known about one scope for one app in one org (and, optionally, one user).
#[derive(Debug, Clone)]
pub struct ScopeFacts<'a> {
    pub code: &'a ScopeCode,
    pub corp_id: &'a CorpId,
    /// `None`: the catalogue has no such scope.
    pub scope: Option<&'a Scope>,
    pub request: Option<&'a PermissionRequest>,
    pub installed: bool,
    /// An unrevoked org grant exists.
    pub granted: bool,
    /// The latest revocation of this scope's grant in the org, if any.
    pub last_revocation: Option<&'a RevokedGrant>,
    /// Members holding the scope's eligible role over the whole org.
    pub eligible_holders: &'a [UserId],
    /// `None` when no user is in question; `Some(consented)` otherwise.
    pub consented: Option<bool>,
}

/// The first missing step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Missing {
    UnknownScope,
    NotRequested { closed: bool },
    PendingReview,
    Declined { reason: String },
    NotActivated,
    NotAuthorized { role: String, holders: Vec<String> },
    Revoked { role: String, by: String, at: i64 },
    NotConsented,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopeAnswer {
    pub scope: String,
    pub allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<Missing>,
    pub next: String,
}

pub fn explain_scope(f: &ScopeFacts<'_>) -> ScopeAnswer {
    let (missing, next) = first_missing(f);
    ScopeAnswer {
        scope: f.code.to_string(),
        allowed: missing.is_none(),
        missing,
        next: next.unwrap_or_else(|| "Nothing: the call is allowed.".into()),
    }
}

fn first_missing(f: &ScopeFacts<'_>) -> (Option<Missing>, Option<String>) {
    let code = f.code;
    let Some(scope) = f.scope else {
        return (
            Some(Missing::UnknownScope),
            Some(format!("No scope {code} exists; check the API's documentation for the scope it requires.")),
        );
    };
    if scope.tier != ScopeTier::Basic {
        match f.request {
            None => {
                let closed = !scope.open_for_requests;
                let next = if closed {
                    format!("{code} is closed to new requests: {}", crate::catalog::CLOSED_MESSAGE)
                } else {
                    format!("Request {code} for the app under Manage permissions in the developer console.")
                };
                return (Some(Missing::NotRequested { closed }), Some(next));
            }
            Some(r) if r.status == PermissionStatus::PendingReview => {
                return (
                    Some(Missing::PendingReview),
                    Some(format!("Wait for the platform's review of {code} (usually within one business day).")),
                );
            }
            Some(r) if r.status == PermissionStatus::ReviewFailed => {
                let reason = r.reason.clone().unwrap_or_default();
                return (
                    Some(Missing::Declined { reason: reason.clone() }),
                    Some(format!("The review of {code} failed: {reason}. Improve the description and resubmit.")),
                );
            }
            Some(_) => {}
        }
    }
    if !f.installed {
        return (
            Some(Missing::NotActivated),
            Some(format!("Ask an admin of {} to activate the app in the workbench.", f.corp_id)),
        );
    }
    if scope.tier == ScopeTier::Sensitive && !f.granted {
        let role = scope.eligible_role.as_ref().map(|r| r.to_string()).unwrap_or_default();
        let holders: Vec<String> = f.eligible_holders.iter().map(|u| u.to_string()).collect();
        let who = if holders.is_empty() { format!("nobody in {} holds it yet", f.corp_id) } else { holders.join(", ") };
        if let Some(rev) = f.last_revocation {
            return (
                Some(Missing::Revoked { role: role.clone(), by: rev.revoked_by.to_string(), at: rev.revoked_at.0 }),
                Some(format!(
                    "{} recalled {code} at {}; ask a holder of the org-wide role {role} ({who}) to authorize it again.",
                    rev.revoked_by, rev.revoked_at.0
                )),
            );
        }
        return (
            Some(Missing::NotAuthorized { role: role.clone(), holders }),
            Some(format!(
                "{code} is sensitive: a member holding the org-wide role {role} of {} ({who}) must authorize it in the workbench or through the authorization flow.",
                f.corp_id
            )),
        );
    }
    if f.consented == Some(false) {
        return (
            Some(Missing::NotConsented),
            Some(format!("Send the user through the authorization flow asking for {code}.")),
        );
    }
    (None, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::builtin_scopes;
    use crate::grant::OrgGrant;
    use crate::ids::ClientId;
    use crate::time::UnixTime;

    fn scope(code: &str) -> Scope {
        builtin_scopes().into_iter().find(|s| s.code.as_str() == code).unwrap()
    }

    fn request(code: &str, status: PermissionStatus, reason: Option<&str>) -> PermissionRequest {
        PermissionRequest {
            client_id: ClientId::parse("app").unwrap(),
            scope: ScopeCode::parse(code).unwrap(),
            status,
            description: "d".into(),
            reason: reason.map(String::from),
            updated_at: UnixTime(0),
        }
    }

    fn answer(
        code: &str,
        req: Option<PermissionRequest>,
        installed: bool,
        granted: bool,
        rev: Option<RevokedGrant>,
        consented: Option<bool>,
    ) -> ScopeAnswer {
        let c = ScopeCode::parse(code).unwrap();
        let corp = CorpId::parse("dingdemo").unwrap();
        let s = builtin_scopes().into_iter().find(|s| s.code == c);
        let holders = [UserId::parse("alice").unwrap()];
        explain_scope(&ScopeFacts {
            code: &c,
            corp_id: &corp,
            scope: s.as_ref(),
            request: req.as_ref(),
            installed,
            granted,
            last_revocation: rev.as_ref(),
            eligible_holders: &holders,
            consented,
        })
    }

    const ADDR: &str = "qyapi_manage_addresslist";

    #[test]
    fn allowed_when_every_step_is_done() {
        let a = answer(ADDR, Some(request(ADDR, PermissionStatus::Enabled, None)), true, true, None, Some(true));
        assert!(a.allowed && a.missing.is_none());
        let _ = scope(ADDR);
    }

    #[test]
    fn each_missing_step_is_named_with_what_to_do() {
        let enabled = Some(request(ADDR, PermissionStatus::Enabled, None));
        let cases = [
            (answer("no.such", None, true, true, None, None), Missing::UnknownScope, "documentation"),
            (answer(ADDR, None, true, true, None, None), Missing::NotRequested { closed: false }, "Request"),
            (
                answer("Notable.Base.Read", None, true, true, None, None),
                Missing::NotRequested { closed: true },
                "temporarily not supported",
            ),
            (
                answer(ADDR, Some(request(ADDR, PermissionStatus::PendingReview, None)), true, true, None, None),
                Missing::PendingReview,
                "review",
            ),
            (
                answer(
                    ADDR,
                    Some(request(ADDR, PermissionStatus::ReviewFailed, Some("say why"))),
                    true,
                    true,
                    None,
                    None,
                ),
                Missing::Declined { reason: "say why".into() },
                "resubmit",
            ),
            (answer(ADDR, enabled.clone(), false, false, None, None), Missing::NotActivated, "activate"),
            (
                answer(ADDR, enabled.clone(), true, false, None, None),
                Missing::NotAuthorized { role: "contacts_admin".into(), holders: vec!["alice".into()] },
                "contacts_admin",
            ),
            (answer(ADDR, enabled.clone(), true, true, None, Some(false)), Missing::NotConsented, "authorization flow"),
        ];
        for (a, missing, hint) in cases {
            assert!(!a.allowed);
            assert_eq!(a.missing, Some(missing));
            assert!(a.next.contains(hint), "{}", a.next);
        }
    }

    #[test]
    fn a_revoked_grant_says_by_whom_and_when() {
        let rev = RevokedGrant {
            grant: OrgGrant {
                client_id: ClientId::parse("app").unwrap(),
                corp_id: CorpId::parse("dingdemo").unwrap(),
                scope: ScopeCode::parse(ADDR).unwrap(),
                granted_by: UserId::parse("alice").unwrap(),
                granted_at: UnixTime(1),
            },
            revoked_by: UserId::parse("alice").unwrap(),
            revoked_at: UnixTime(99),
        };
        let a = answer(ADDR, Some(request(ADDR, PermissionStatus::Enabled, None)), true, false, Some(rev), None);
        assert_eq!(a.missing, Some(Missing::Revoked { role: "contacts_admin".into(), by: "alice".into(), at: 99 }));
        assert!(a.next.contains("recalled"), "{}", a.next);
    }

    #[test]
    fn basic_scopes_need_only_activation() {
        assert!(answer("qyapi_base", None, true, false, None, None).allowed);
        assert_eq!(answer("qyapi_base", None, false, false, None, None).missing, Some(Missing::NotActivated));
    }
}
