//! Org grant: a sensitive scope authorized for an installation by a member holding the
//! scope's eligible role over the whole org.

use crate::error::DomainError;
use crate::ids::{ClientId, CorpId, ScopeCode, UserId};
use crate::member::Member;
use crate::scope::{Scope, ScopeTier};
use crate::time::UnixTime;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgGrant {
    pub client_id: ClientId,
    pub corp_id: CorpId,
    pub scope: ScopeCode,
    pub granted_by: UserId,
    pub granted_at: UnixTime,
}

/// Checks that `member` may authorize (or revoke) `scope` in their org.
pub fn check_authorizer(scope: &Scope, member: &Member) -> Result<(), DomainError> {
    if scope.tier != ScopeTier::Sensitive {
        return Err(DomainError::WrongTier {
            scope: scope.code.clone(),
            tier: scope.tier.as_str(),
            action: "authorized per org (only sensitive scopes are)",
        });
    }
    match &scope.eligible_role {
        Some(role) if member.holds_org_wide(role) => Ok(()),
        Some(role) => Err(DomainError::RoleRequired {
            scope: scope.code.clone(),
            role: role.clone(),
            user_id: member.user_id.clone(),
        }),
        None => Err(DomainError::InvalidField {
            field: "eligible_role",
            reason: format!("sensitive scope {} has no eligible role", scope.code),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::builtin_scopes;
    use crate::ids::{Role, UnionId};
    use crate::member::MemberRole;

    fn member(roles: &[(&str, Option<&str>)]) -> Member {
        Member {
            corp_id: CorpId::parse("c").unwrap(),
            user_id: UserId::parse("bob").unwrap(),
            union_id: UnionId::parse("bob-u").unwrap(),
            name: "Bob".into(),
            title: String::new(),
            roles: roles
                .iter()
                .map(|(r, d)| MemberRole { role: Role::parse(*r).unwrap(), department: d.map(String::from) })
                .collect(),
        }
    }

    fn scope(code: &str) -> Scope {
        builtin_scopes().into_iter().find(|s| s.code.as_str() == code).unwrap()
    }

    #[test]
    fn eligible_role_org_wide_may_authorize() {
        check_authorizer(&scope("qyapi_manage_addresslist"), &member(&[("contacts_admin", None)])).unwrap();
    }

    #[test]
    fn other_admins_and_department_holders_are_refused_with_the_role_named() {
        for m in [member(&[("org_admin", None)]), member(&[("contacts_admin", Some("sales"))])] {
            let err = check_authorizer(&scope("qyapi_manage_addresslist"), &m).unwrap_err();
            assert!(matches!(&err, DomainError::RoleRequired { role, .. } if role.as_str() == "contacts_admin"));
            assert!(err.to_string().contains("contacts_admin"));
        }
    }

    #[test]
    fn non_sensitive_scopes_are_not_authorized_per_org() {
        let err = check_authorizer(&scope("qyapi_get_member"), &member(&[("org_admin", None)])).unwrap_err();
        assert!(matches!(err, DomainError::WrongTier { .. }));
    }
}

/// A grant that was revoked: who granted it, who revoked it and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedGrant {
    pub grant: OrgGrant,
    pub revoked_by: UserId,
    pub revoked_at: UnixTime,
}
