//! User (a person's global account) and Member (their membership in an org, with roles).

use crate::ids::{CorpId, Role, UnionId, UserId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub union_id: UnionId,
    pub name: String,
}

/// A role held by a member, over the whole org or limited to one department.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct MemberRole {
    pub role: Role,
    /// `None`: the role covers the whole org. `Some(dept)`: limited to that department.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
}

impl MemberRole {
    pub fn org_wide(role: Role) -> Self {
        MemberRole { role, department: None }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub corp_id: CorpId,
    pub user_id: UserId,
    pub union_id: UnionId,
    /// Display name within the org.
    pub name: String,
    pub title: String,
    pub roles: Vec<MemberRole>,
}

impl Member {
    /// Whether the member holds `role` over the whole org (a department-limited holder does not count).
    pub fn holds_org_wide(&self, role: &Role) -> bool {
        self.roles.iter().any(|r| &r.role == role && r.department.is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_org_wide_holders_count() {
        let role = Role::parse(Role::CONTACTS_ADMIN).unwrap();
        let mut m = Member {
            corp_id: CorpId::parse("c").unwrap(),
            user_id: UserId::parse("u").unwrap(),
            union_id: UnionId::parse("x").unwrap(),
            name: "U".into(),
            title: String::new(),
            roles: vec![MemberRole { role: role.clone(), department: Some("sales".into()) }],
        };
        assert!(!m.holds_org_wide(&role));
        m.roles.push(MemberRole::org_wide(role.clone()));
        assert!(m.holds_org_wide(&role));
    }
}
