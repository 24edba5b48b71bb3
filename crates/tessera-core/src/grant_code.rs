//! Authorization codes: 5 minutes, single use, bound to the client, the redirect URI, the
//! user, the scopes and (with PKCE) the code challenge.

use crate::ids::{ClientId, CorpId, ScopeCode, UnionId};
use crate::pkce;
use crate::secret::TokenHash;
use crate::time::UnixTime;

/// Lifetime of an authorization code, in seconds.
pub const CODE_TTL: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthCode {
    pub hash: TokenHash,
    pub client_id: ClientId,
    pub union_id: UnionId,
    pub corp_id: Option<CorpId>,
    pub redirect_uri: String,
    pub scopes: Vec<ScopeCode>,
    pub code_challenge: Option<String>,
    pub expires_at: UnixTime,
    /// The token family the exchange starts; a replayed code revokes it.
    pub family_id: String,
    pub purpose: CodePurpose,
    /// OpenID Connect: the request's `nonce`, echoed in the ID token.
    pub nonce: Option<String>,
    /// OpenID Connect: when the user signed in (the session's start), the ID token's `auth_time`.
    pub auth_time: Option<UnixTime>,
    /// RFC 8707: the resources the authorization request named (sorted, each registered by
    /// the app then): the tokens' audience unless the token request narrows it.
    pub resources: Vec<String>,
}

/// What a code was issued for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CodePurpose {
    /// A user consented to an app acting for them (the code gives a user token).
    #[default]
    User,
    /// An org admin authorized an app in the org through the authorization flow: at
    /// `/oauth2/token` the code gives a corp token for that org; at DingTalk's
    /// `userAccessToken` it gives the approving admin's delegated user token.
    AdminConsent,
}

impl CodePurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            CodePurpose::User => "user",
            CodePurpose::AdminConsent => "admin_consent",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "user" => Some(CodePurpose::User),
            "admin_consent" => Some(CodePurpose::AdminConsent),
            _ => None,
        }
    }
}

/// Why a code exchange is refused (all `invalid_grant` on the wire, except the PKCE shape).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeRejection {
    #[error("the code has expired")]
    Expired,
    #[error("the code was issued to another client")]
    OtherClient,
    #[error("redirect_uri does not match the one of the authorization request")]
    RedirectMismatch,
    #[error("code_verifier is required")]
    VerifierMissing,
    #[error("code_verifier does not match the code challenge")]
    VerifierMismatch,
}

/// Checks an exchange of `code` by `client_id`, before the code is claimed: a refused
/// exchange consumes nothing (single use is the store's part, at the claim).
pub fn check_exchange(
    code: &AuthCode,
    client_id: &ClientId,
    redirect_uri: Option<&str>,
    verifier: Option<&str>,
    now: UnixTime,
) -> Result<(), CodeRejection> {
    if &code.client_id != client_id {
        return Err(CodeRejection::OtherClient);
    }
    if now >= code.expires_at {
        return Err(CodeRejection::Expired);
    }
    // RFC 6749 §4.1.3: required when it was in the authorization request; DingTalk's
    // userAccessToken has no redirect_uri, so absent means "not checked" only there.
    if let Some(uri) = redirect_uri
        && uri != code.redirect_uri
    {
        return Err(CodeRejection::RedirectMismatch);
    }
    match (&code.code_challenge, verifier) {
        (None, _) => Ok(()),
        (Some(_), None) => Err(CodeRejection::VerifierMissing),
        (Some(challenge), Some(v)) if pkce::verify(v, challenge) => Ok(()),
        (Some(_), Some(_)) => Err(CodeRejection::VerifierMismatch),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::token_hash;

    fn code(challenge: Option<&str>) -> AuthCode {
        AuthCode {
            hash: token_hash("x"),
            client_id: ClientId::parse("app").unwrap(),
            union_id: UnionId::parse("u").unwrap(),
            corp_id: None,
            redirect_uri: "https://app/cb".into(),
            scopes: vec![],
            code_challenge: challenge.map(String::from),
            expires_at: UnixTime(CODE_TTL),
            family_id: "f".into(),
            purpose: CodePurpose::User,
            nonce: None,
            auth_time: None,
            resources: vec![],
        }
    }

    #[test]
    fn every_binding_is_checked() {
        let app = ClientId::parse("app").unwrap();
        let other = ClientId::parse("other").unwrap();
        let v = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let c = code(Some(&pkce::s256(v)));
        assert_eq!(check_exchange(&c, &app, Some("https://app/cb"), Some(v), UnixTime(0)), Ok(()));
        assert_eq!(
            check_exchange(&c, &other, Some("https://app/cb"), Some(v), UnixTime(0)),
            Err(CodeRejection::OtherClient)
        );
        assert_eq!(
            check_exchange(&c, &app, Some("https://evil/cb"), Some(v), UnixTime(0)),
            Err(CodeRejection::RedirectMismatch)
        );
        assert_eq!(check_exchange(&c, &app, None, None, UnixTime(0)), Err(CodeRejection::VerifierMissing));
        assert_eq!(
            check_exchange(&c, &app, None, Some(&"a".repeat(43)), UnixTime(0)),
            Err(CodeRejection::VerifierMismatch)
        );
        assert_eq!(check_exchange(&c, &app, None, Some(v), UnixTime(CODE_TTL)), Err(CodeRejection::Expired));
        assert_eq!(check_exchange(&code(None), &app, None, None, UnixTime(CODE_TTL - 1)), Ok(()));
    }
}
