//! OpenID Connect: what an app chose (ID token algorithm, subject type, access token format,
//! logout URIs, resources) and the optional profile claims of a user; claims by scope and
//! pairwise subjects (OIDC Core §8.1).

use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

use crate::app::validate_redirect_uri;
use crate::error::DomainError;
use crate::ids::{ClientId, ScopeCode, UnionId};
use crate::signing_key::SigningAlg;

/// How the `sub` of an app's ID tokens and UserInfo is formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SubjectType {
    /// The user's union id, the same for every app.
    #[default]
    Public,
    /// An identifier of the user for this app only (OIDC Core §8.1).
    Pairwise,
}

impl SubjectType {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectType::Public => "public",
            SubjectType::Pairwise => "pairwise",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "public" => Ok(SubjectType::Public),
            "pairwise" => Ok(SubjectType::Pairwise),
            other => Err(DomainError::InvalidField {
                field: "subject_type",
                reason: format!("{other:?} is not one of public, pairwise"),
            }),
        }
    }
}

/// What an app's access tokens look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AccessTokenFormat {
    /// A random string, checked against Tessera on every use.
    #[default]
    Opaque,
    /// A signed JWT (RFC 9068) a resource server can verify offline.
    Jwt,
}

impl AccessTokenFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessTokenFormat::Opaque => "opaque",
            AccessTokenFormat::Jwt => "jwt",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "opaque" => Ok(AccessTokenFormat::Opaque),
            "jwt" => Ok(AccessTokenFormat::Jwt),
            other => Err(DomainError::InvalidField {
                field: "access_token_format",
                reason: format!("{other:?} is not one of opaque, jwt"),
            }),
        }
    }
}

/// Parses a client's `id_token_signed_response_alg`: unknown names (and `none`) are refused.
pub fn parse_alg(s: &str) -> Result<SigningAlg, DomainError> {
    SigningAlg::parse(s).ok_or_else(|| DomainError::InvalidField {
        field: "id_token_signed_response_alg",
        reason: format!("{s:?} is not supported; use one of {}", SigningAlg::names()),
    })
}

/// Most resource indicators an app may register.
pub const MAX_RESOURCES: usize = 32;

/// Most `post_logout_redirect_uris` an app may register (as many as redirect URIs).
pub const MAX_POST_LOGOUT_REDIRECT_URIS: usize = crate::registration::MAX_REDIRECT_URIS;

/// A change to an app's OpenID Connect settings (management API): each field left out keeps
/// its value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OidcSettingsPatch {
    pub id_token_signed_response_alg: Option<String>,
    pub subject_type: Option<String>,
    pub access_token_format: Option<String>,
    pub resources: Option<Vec<String>>,
    /// The whole list of post-logout redirect URIs (an empty list removes them all).
    pub post_logout_redirect_uris: Option<Vec<String>>,
    /// `Some(None)` removes the back-channel logout URI; `Some(Some(uri))` sets it.
    pub backchannel_logout_uri: Option<Option<String>>,
}

impl OidcSettingsPatch {
    /// `current` with the patch applied and validated (unknown names refused by name).
    pub fn apply(&self, mut current: OidcClient) -> Result<OidcClient, DomainError> {
        if let Some(a) = &self.id_token_signed_response_alg {
            current.id_token_alg = parse_alg(a)?;
        }
        if let Some(s) = &self.subject_type {
            current.subject_type = SubjectType::parse(s)?;
        }
        if let Some(f) = &self.access_token_format {
            current.access_token_format = AccessTokenFormat::parse(f)?;
        }
        if let Some(r) = &self.resources {
            let mut r = r.clone();
            r.sort();
            r.dedup();
            current.resources = r;
        }
        if let Some(uris) = &self.post_logout_redirect_uris {
            let mut out: Vec<String> = Vec::new();
            for uri in uris {
                if !out.contains(uri) {
                    out.push(uri.clone());
                }
            }
            current.post_logout_redirect_uris = out;
        }
        if let Some(uri) = &self.backchannel_logout_uri {
            current.backchannel_logout_uri = uri.clone();
        }
        current.validate()?;
        Ok(current)
    }
}

/// An app's OpenID Connect settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcClient {
    pub client_id: ClientId,
    /// `id_token_signed_response_alg` (default RS256, the OIDC default).
    pub id_token_alg: SigningAlg,
    pub subject_type: SubjectType,
    pub access_token_format: AccessTokenFormat,
    /// Where RP-initiated logout may send the browser afterwards.
    pub post_logout_redirect_uris: Vec<String>,
    /// Where back-channel logout tokens are posted.
    pub backchannel_logout_uri: Option<String>,
    /// The resource indicators (RFC 8707) a token of this app may be issued for.
    pub resources: Vec<String>,
}

impl OidcClient {
    /// The settings of an app that chose nothing.
    pub fn defaults(client_id: ClientId) -> Self {
        OidcClient {
            client_id,
            id_token_alg: SigningAlg::Rs256,
            subject_type: SubjectType::Public,
            access_token_format: AccessTokenFormat::Opaque,
            post_logout_redirect_uris: Vec::new(),
            backchannel_logout_uri: None,
            resources: Vec::new(),
        }
    }

    /// Checks every URI: absolute http(s) URLs without a fragment (the rules of redirect
    /// URIs), each named by its field; at most [`MAX_POST_LOGOUT_REDIRECT_URIS`] post-logout
    /// redirect URIs and [`MAX_RESOURCES`] resources (RFC 8707 §2).
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.post_logout_redirect_uris.len() > MAX_POST_LOGOUT_REDIRECT_URIS {
            return Err(DomainError::InvalidField {
                field: "post_logout_redirect_uris",
                reason: format!("at most {MAX_POST_LOGOUT_REDIRECT_URIS} post-logout redirect URIs may be registered"),
            });
        }
        if self.resources.len() > MAX_RESOURCES {
            return Err(DomainError::InvalidField {
                field: "resources",
                reason: format!("at most {MAX_RESOURCES} resources may be registered"),
            });
        }
        let fields = [
            ("post_logout_redirect_uris", self.post_logout_redirect_uris.as_slice()),
            ("backchannel_logout_uri", self.backchannel_logout_uri.as_slice()),
            ("resources", self.resources.as_slice()),
        ];
        for (field, uris) in fields {
            for uri in uris {
                validate_redirect_uri(uri).map_err(|_| DomainError::InvalidField {
                    field,
                    reason: format!("{uri:?} must be an absolute http(s) URL without a fragment"),
                })?;
            }
        }
        Ok(())
    }
}

/// A user's optional profile claims.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserProfile {
    pub nickname: Option<String>,
    pub picture: Option<String>,
    pub email: Option<String>,
    pub email_verified: bool,
    pub phone_number: Option<String>,
    pub phone_number_verified: bool,
}

impl UserProfile {
    pub fn is_empty(&self) -> bool {
        *self == UserProfile::default()
    }
}

/// The `sub` of `union_id` for an app: the union id, or for a pairwise app an HMAC of the
/// sector (the app's client id) and the union id under a key derived from the server key.
pub fn subject(subject_type: SubjectType, pairwise_key: &[u8; 32], client_id: &ClientId, union_id: &UnionId) -> String {
    match subject_type {
        SubjectType::Public => union_id.to_string(),
        SubjectType::Pairwise => {
            let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(pairwise_key) {
                Ok(m) => m,
                Err(_) => return union_id.to_string(),
            };
            mac.update(client_id.as_str().as_bytes());
            mac.update(b"\0");
            mac.update(union_id.as_str().as_bytes());
            let out = mac.finalize().into_bytes();
            out.iter().take(20).map(|b| format!("{b:02x}")).collect()
        }
    }
}

/// The claims `scopes` allow about a user (OIDC Core §5.4): `profile` gives name, nickname
/// and picture; `email` and `phone` their values with the `_verified` flags. Only what is known.
pub fn scoped_claims(scopes: &[ScopeCode], name: &str, profile: &UserProfile) -> Map<String, Value> {
    let has = |s: &str| scopes.iter().any(|c| c.as_str() == s);
    let mut out = Map::new();
    if has("profile") {
        out.insert("name".into(), name.into());
        if let Some(n) = &profile.nickname {
            out.insert("nickname".into(), n.clone().into());
        }
        if let Some(p) = &profile.picture {
            out.insert("picture".into(), p.clone().into());
        }
    }
    if let (true, Some(e)) = (has("email"), &profile.email) {
        out.insert("email".into(), e.clone().into());
        out.insert("email_verified".into(), profile.email_verified.into());
    }
    if let (true, Some(p)) = (has("phone"), &profile.phone_number) {
        out.insert("phone_number".into(), p.clone().into());
        out.insert("phone_number_verified".into(), profile.phone_number_verified.into());
    }
    out
}

pub use crate::consent::CLAIM_SCOPES;

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes(s: &[&str]) -> Vec<ScopeCode> {
        s.iter().map(|c| ScopeCode::parse(*c).unwrap()).collect()
    }

    #[test]
    fn claims_follow_the_scopes_and_only_what_is_known() {
        let p = UserProfile {
            nickname: Some("Ali".into()),
            email: Some("alice@example.com".into()),
            email_verified: true,
            ..Default::default()
        };
        let c = scoped_claims(&scopes(&["openid"]), "Alice", &p);
        assert!(c.is_empty());
        let c = scoped_claims(&scopes(&["openid", "profile", "email", "phone"]), "Alice", &p);
        assert_eq!(c["name"], "Alice");
        assert_eq!(c["nickname"], "Ali");
        assert!(!c.contains_key("picture"));
        assert_eq!(c["email"], "alice@example.com");
        assert_eq!(c["email_verified"], true);
        assert!(!c.contains_key("phone_number") && !c.contains_key("phone_number_verified"));
    }

    #[test]
    fn pairwise_subjects_differ_per_app_and_are_stable() {
        let a = ClientId::parse("app-a").unwrap();
        let b = ClientId::parse("app-b").unwrap();
        let u = UnionId::parse("alice-union").unwrap();
        let k = [3u8; 32];
        assert_eq!(subject(SubjectType::Public, &k, &a, &u), "alice-union");
        let sa = subject(SubjectType::Pairwise, &k, &a, &u);
        assert_eq!(sa, subject(SubjectType::Pairwise, &k, &a, &u));
        assert_ne!(sa, subject(SubjectType::Pairwise, &k, &b, &u));
        assert_ne!(sa, subject(SubjectType::Pairwise, &[4u8; 32], &a, &u));
        assert!(!sa.contains("alice"));
    }

    #[test]
    fn a_patch_changes_only_what_it_names_and_refuses_unknown_values() {
        let mut c = OidcClient::defaults(ClientId::parse("x").unwrap());
        c.post_logout_redirect_uris.push("https://rp.example.com/bye".into());
        let p = OidcSettingsPatch { subject_type: Some("pairwise".into()), ..Default::default() };
        let out = p.apply(c.clone()).unwrap();
        assert_eq!(out.subject_type, SubjectType::Pairwise);
        assert_eq!(out.post_logout_redirect_uris, c.post_logout_redirect_uris);
        assert_eq!(out.id_token_alg, c.id_token_alg);
        let bad = OidcSettingsPatch { id_token_signed_response_alg: Some("HS256".into()), ..Default::default() };
        assert!(bad.apply(c.clone()).unwrap_err().to_string().contains("HS256"));
        let bad = OidcSettingsPatch { resources: Some(vec!["not a uri".into()]), ..Default::default() };
        assert!(bad.apply(c.clone()).is_err());
        let many = OidcSettingsPatch {
            resources: Some((0..=MAX_RESOURCES).map(|i| format!("https://api.example.com/{i}")).collect()),
            ..Default::default()
        };
        assert!(many.apply(c.clone()).is_err());
    }

    #[test]
    fn a_patch_sets_and_clears_the_logout_settings_within_bounds() {
        let c = OidcClient::defaults(ClientId::parse("x").unwrap());
        let set = OidcSettingsPatch {
            post_logout_redirect_uris: Some(vec![
                "https://rp.example.com/bye".into(),
                "https://rp.example.com/bye".into(),
            ]),
            backchannel_logout_uri: Some(Some("https://rp.example.com/bc".into())),
            ..Default::default()
        };
        let out = set.apply(c.clone()).unwrap();
        assert_eq!(out.post_logout_redirect_uris, ["https://rp.example.com/bye"]);
        assert_eq!(out.backchannel_logout_uri.as_deref(), Some("https://rp.example.com/bc"));
        let clear = OidcSettingsPatch { backchannel_logout_uri: Some(None), ..Default::default() };
        let cleared = clear.apply(out.clone()).unwrap();
        assert_eq!(cleared.backchannel_logout_uri, None);
        assert_eq!(cleared.post_logout_redirect_uris, out.post_logout_redirect_uris);
        for bad in ["/bye", "https://rp.example.com/bye#x", "ftp://rp.example.com/"] {
            let p = OidcSettingsPatch { post_logout_redirect_uris: Some(vec![bad.into()]), ..Default::default() };
            assert!(p.apply(c.clone()).unwrap_err().to_string().contains("post_logout_redirect_uris"), "{bad}");
            let p = OidcSettingsPatch { backchannel_logout_uri: Some(Some(bad.into())), ..Default::default() };
            assert!(p.apply(c.clone()).unwrap_err().to_string().contains("backchannel_logout_uri"), "{bad}");
        }
        let many = OidcSettingsPatch {
            post_logout_redirect_uris: Some(
                (0..=MAX_POST_LOGOUT_REDIRECT_URIS).map(|i| format!("https://rp.example.com/{i}")).collect(),
            ),
            ..Default::default()
        };
        assert!(many.apply(c).is_err());
    }

    #[test]
    fn unknown_algorithms_and_settings_are_refused_clearly() {
        let e = parse_alg("none").unwrap_err().to_string();
        assert!(e.contains("RS256, ES256, EdDSA"), "{e}");
        assert!(parse_alg("HS256").is_err());
        assert!(SubjectType::parse("secret").is_err());
        assert!(AccessTokenFormat::parse("paseto").is_err());
        let mut c = OidcClient::defaults(ClientId::parse("x").unwrap());
        c.post_logout_redirect_uris.push("javascript:alert(1)".into());
        assert!(c.validate().is_err());
    }
}
