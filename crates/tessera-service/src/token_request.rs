//! The one typed token request every dialect parses its wire request into, and the answer
//! it gets back from [`Tessera::token`](crate::Tessera::token). A dialect's quirks are rules
//! in the request ([`DialectRules`]), not service methods of their own.

use tessera_core::ids::{CorpId, ScopeCode, UnionId};
use tessera_core::secret::Secret;

use crate::issue::IssuedToken;

/// How a client authenticated at a token endpoint, as presented.
#[derive(Debug, Clone)]
pub struct ClientAuth {
    pub client_id: String,
    /// `None` for public clients.
    pub secret: Option<Secret>,
}

/// What proves which app is asking.
#[derive(Debug, Clone)]
pub enum ClientProof {
    /// The client id with its secret, or alone for a public client.
    Credentials(ClientAuth),
    /// A live app or corp token of the app (Feishu's legacy `authen/v1` endpoints).
    AppToken(String),
    /// A suite (third-party enterprise app) with its secret and its current suite ticket
    /// (DingTalk's `suiteKey`, `suiteSecret`, `suiteTicket`; a Feishu store app's `app_id`,
    /// `app_secret`, `app_ticket`).
    SuiteTicket { client_id: String, secret: Secret, ticket: String },
    /// DingTalk's legacy signed call: the suite's current ticket and a timestamp, signed with
    /// the suite's secret (base64(HMAC-SHA256(suiteSecret, timestamp + "\n" + suiteTicket))).
    SuiteSignature { client_id: String, timestamp: String, ticket: String, signature: String },
    /// A live suite token of the app (a Feishu store app's `app_access_token`).
    SuiteToken(String),
}

impl ClientProof {
    /// Whether this proof is a suite's (its ticket, a signature over it, or its suite
    /// token): the suite grants take no other.
    pub fn is_suite(&self) -> bool {
        matches!(
            self,
            ClientProof::SuiteTicket { .. } | ClientProof::SuiteSignature { .. } | ClientProof::SuiteToken(_)
        )
    }
}

/// The grant asked for.
#[derive(Debug, Clone)]
pub enum Grant {
    /// An app token (internal apps) or corp token (third-party enterprise apps) in an org:
    /// `corp_id` names it (an internal app's own org when `None`); `scopes`, when given,
    /// limit the token to them.
    ClientCredentials { corp_id: Option<String>, scopes: Option<Vec<ScopeCode>> },
    /// An authorization code (RFC 6749 §4.1.3, RFC 7636).
    AuthorizationCode { code: String, redirect_uri: Option<String>, code_verifier: Option<String> },
    /// A refresh token, single use (rotation); `scopes` may narrow the grant.
    RefreshToken { refresh_token: String, scopes: Option<Vec<ScopeCode>> },
    /// A device code (RFC 8628) being polled.
    DeviceCode { device_code: String },
    /// A suite's own token (DingTalk's suite access token, a Feishu store app's
    /// `app_access_token`); the client must prove itself as a suite.
    SuiteToken,
    /// A suite's corp token in an org that activated it (DingTalk's corp access token, a
    /// Feishu store app's `tenant_access_token`); the client must prove itself as a suite.
    CorpToken { corp_id: String },
}

/// Whether a `code_verifier` is accepted for a code issued without a `code_challenge`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pkce {
    /// RFC 7636: ignored.
    #[default]
    Lenient,
    /// Feishu v3: refused.
    Strict,
}

/// What a code from the admin-consent flow is exchanged for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AdminConsentCode {
    /// The approving admin's delegated user token (DingTalk's userAccessToken, Feishu).
    #[default]
    DelegatedUserToken,
    /// The app's token in the org that authorized it (`/oauth2/token`).
    OrgToken,
}

/// Which apps may get app tokens by client credentials at the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AppTokens {
    /// Internal apps in their org, third-party enterprise apps in an org that installed them.
    #[default]
    AnyOrgApp,
    /// Internal apps only, in their own org (DingTalk GetAccessToken, `/gettoken`, Feishu).
    InternalOnly,
}

/// A dialect's rules for one endpoint, as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DialectRules {
    pub pkce: Pkce,
    pub admin_consent_code: AdminConsentCode,
    pub app_tokens: AppTokens,
}

/// Most `resource` parameters one token request may name.
pub const MAX_RESOURCES: usize = 8;

/// One token request.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub client: ClientProof,
    pub grant: Grant,
    pub rules: DialectRules,
    /// RFC 8707 resource indicators: each must be one the app registered; a JWT access
    /// token names them in `aud` (the issuer when none). Empty for dialects without them.
    pub resources: Vec<String>,
}

impl TokenRequest {
    /// A request without resource indicators.
    pub fn new(client: ClientProof, grant: Grant, rules: DialectRules) -> Self {
        TokenRequest { client, grant, rules, resources: Vec::new() }
    }
}

/// A new access and refresh token for a user.
#[derive(Debug, Clone)]
pub struct UserTokenPair {
    pub access_token: Secret,
    pub refresh_token: Secret,
    pub expires_in: i64,
    pub scopes: Vec<ScopeCode>,
    pub corp_id: Option<CorpId>,
    pub union_id: UnionId,
    /// The OpenID Connect ID token, when the grant asked for `openid` (code and device flows).
    pub id_token: Option<String>,
}

/// What a token request was answered with.
#[derive(Debug, Clone)]
pub enum TokenAnswer {
    /// A user token and its refresh token.
    User(UserTokenPair),
    /// An app or corp token by client credentials, or a suite's suite or corp token, and the
    /// scopes it is limited to (`None`: whatever the app holds in the org).
    App { token: IssuedToken, scopes: Option<Vec<ScopeCode>> },
    /// The app's token in the org whose admin approved (an admin-consent code), and the
    /// scopes they authorized.
    Org { token: IssuedToken, scopes: Vec<ScopeCode> },
}

impl TokenAnswer {
    /// The user token pair, for endpoints that hand out nothing else.
    pub fn into_user(self) -> Option<UserTokenPair> {
        match self {
            TokenAnswer::User(pair) => Some(pair),
            TokenAnswer::App { .. } | TokenAnswer::Org { .. } => None,
        }
    }

    /// The app or corp token, for endpoints of client credentials.
    pub fn into_app_token(self) -> Option<IssuedToken> {
        match self {
            TokenAnswer::App { token, .. } | TokenAnswer::Org { token, .. } => Some(token),
            TokenAnswer::User(_) => None,
        }
    }
}

/// The scopes as one space-separated string (the `scope` of token answers).
pub fn scope_text(scopes: &[ScopeCode]) -> String {
    scopes.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(" ")
}
