//! Validated identifiers. Each is a non-empty string of at most 128 printable ASCII
//! characters without whitespace, so it is safe in logs, paths and SQL parameters.

use crate::error::DomainError;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(s: impl Into<String>) -> Result<Self, DomainError> {
                let s = s.into();
                if valid_id(&s) {
                    Ok($name(s))
                } else {
                    Err(DomainError::InvalidId { what: $what })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = DomainError;
            fn try_from(s: String) -> Result<Self, DomainError> {
                $name::parse(s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
    };
}

/// Maximum length of any identifier.
pub const MAX_ID_LEN: usize = 128;

fn valid_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_ID_LEN && s.bytes().all(|b| b.is_ascii_graphic())
}

string_id!(
    /// An organization's id (`corp_id`, DingTalk `corpId`).
    CorpId,
    "corp id"
);
string_id!(
    /// An app's public id (`client_id`, DingTalk AppKey / suiteKey).
    ClientId,
    "client id"
);
string_id!(
    /// A person's global id.
    UnionId,
    "union id"
);
string_id!(
    /// A member's id within one org (`userId`).
    UserId,
    "user id"
);
string_id!(
    /// A permission scope code, e.g. `qyapi_get_member`.
    ScopeCode,
    "scope code"
);
string_id!(
    /// A role name, e.g. `contacts_admin`.
    Role,
    "role"
);

impl Role {
    pub const ORG_ADMIN: &'static str = "org_admin";
    pub const CONTACTS_ADMIN: &'static str = "contacts_admin";
    pub const DOCS_ADMIN: &'static str = "docs_admin";
    /// DingTalk's "developer permission": registers and manages the org's apps.
    pub const DEVELOPER: &'static str = "developer";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_reject_empty_space_and_overlong() {
        assert!(CorpId::parse("").is_err());
        assert!(CorpId::parse("ding corp").is_err());
        assert!(CorpId::parse("x".repeat(MAX_ID_LEN + 1)).is_err());
        assert!(CorpId::parse("ding\u{e9}").is_err());
        assert_eq!(CorpId::parse("dingdemo").map(String::from).ok().as_deref(), Some("dingdemo"));
    }
}
