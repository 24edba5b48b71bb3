//! Why a token request was refused: one variant per cause, so that each dialect maps causes
//! to its own wire vocabulary in its one `error.rs` (no dialect inspects a message). The
//! other requests of the token endpoints' family answer with it too: revocation, device
//! authorization, and a suite's ticket and auth info (which authenticate the suite as its
//! token requests do).

use tessera_core::decision::MissingScope;
use tessera_core::device::DevicePollError;
use tessera_core::grant_code::CodeRejection;
use tessera_core::ids::{ClientId, CorpId, ScopeCode};
use tessera_core::suite::TicketRejection;
use tessera_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum GrantError {
    // --- Client authentication ---
    /// No app has this client id (or it is not a valid id).
    #[error("client authentication failed")]
    UnknownClient,
    /// The secret is not the app's (or a public client sent one).
    #[error("client authentication failed")]
    WrongSecret,
    /// A confidential client sent no secret.
    #[error("client authentication failed")]
    SecretMissing,
    /// The grant needs the client's secret (client credentials), and none was sent.
    #[error("client_credentials needs the client secret")]
    SecretRequired,
    /// The token that was to authenticate the app is not a live token of the kind the proof
    /// takes (an app or corp token; a suite token for a suite).
    #[error("invalid app_access_token")]
    InvalidAppToken,

    // --- Suites (DingTalk ISV suites, Feishu store apps) ---
    /// The app exists but is not a third-party enterprise app (a suite).
    #[error("{client_id} is a {kind} app, not a suite: {hint}")]
    NotASuite { client_id: ClientId, kind: &'static str, hint: &'static str },
    /// The suite ticket is not the latest or the previous one, or none was issued yet.
    #[error("suiteTicket refused: {0}")]
    Ticket(#[from] TicketRejection),
    /// A suite grant asked with a proof that is not a suite's (no ticket, signature or
    /// suite token).
    #[error("a suite's tokens are asked for with its suite ticket")]
    TicketRequired,
    /// The legacy signed call's timestamp is missing, unreadable or more than 5 minutes off.
    #[error("the timestamp is missing or more than 5 minutes away from the server's time")]
    StaleTimestamp,
    /// The legacy signed call's signature does not match.
    #[error("the signature does not match")]
    BadSignature,
    /// Legacy signatures are keyed with the suite secret, which Tessera can recompute only
    /// when it generated the secret itself.
    #[error(
        "this suite's secret was set by hand, so Tessera cannot check signatures keyed with it; use /v1.0/oauth2/corpAccessToken"
    )]
    SecretNotRecomputable,

    // --- Client credentials (app and corp tokens) ---
    /// A third-party personal app asked for an app token.
    #[error("third_party_personal apps get user tokens only")]
    PersonalApp { corp_id: String },
    /// The dialect's operation is for internal apps only.
    #[error(
        "this operation is for internal apps; third-party enterprise apps ask per org with /v1.0/oauth2/{{corpId}}/token"
    )]
    NotInternal,
    /// The request named no org and the app has no default one.
    #[error("an org (corp id) is required for {kind} apps")]
    OrgRequired { kind: &'static str },
    /// The named org is not a valid org id.
    #[error("no such org")]
    UnknownOrg { corp_id: String },
    /// An internal app asked for a token in another org than its own.
    #[error("an internal app is used only in its own org")]
    ForeignOrg { corp_id: String },
    /// The app is not installed (activated) in the org, or the org does not exist (a suite's
    /// corp token).
    #[error("the app is not installed in this org")]
    NotInstalled { corp_id: String },
    /// Requested scopes the app does not hold in the org, each with why.
    #[error("the app does not hold these scopes in {corp_id}: {}", missing_list(missing))]
    ScopesNotHeld { corp_id: CorpId, missing: Vec<MissingScope> },

    // --- Authorization codes ---
    #[error("unknown code")]
    CodeUnknown,
    #[error("the code was issued to another client")]
    CodeOtherClient,
    /// The code's owner presented it again: what it issued is revoked.
    #[error("the code was already used; the tokens issued from it are revoked")]
    CodeReplayed,
    #[error("the code has expired")]
    CodeExpired,
    #[error("redirect_uri does not match the one of the authorization request")]
    CodeRedirectMismatch,
    #[error("code_verifier is required")]
    CodeVerifierMissing,
    #[error("code_verifier does not match the code challenge")]
    CodeVerifierMismatch,
    /// Strict PKCE (Feishu v3): a verifier for a code requested without a challenge.
    #[error("a code_verifier was sent but the authorization request had no code_challenge")]
    CodeVerifierUnexpected,
    /// An admin-consent code that names no org.
    #[error("the code names no org")]
    CodeWithoutOrg,
    /// The org whose admin approved no longer has the app activated.
    #[error("the app is no longer activated in {corp_id}")]
    NoLongerActivated { corp_id: CorpId },

    // --- Refresh tokens ---
    #[error("unknown refresh token")]
    RefreshUnknown,
    #[error("the refresh token was issued to another client")]
    RefreshOtherClient,
    /// Presented after it was used: a leak, so its whole family is revoked.
    #[error("the refresh token was already used or revoked; its whole family is revoked")]
    RefreshConsumed,
    /// Never used, but its family was revoked (by the user, the client or a reuse).
    #[error("the refresh token was revoked")]
    RefreshRevoked,
    #[error("the refresh token has expired")]
    RefreshExpired,
    /// A refresh asked for scopes outside the original grant.
    #[error("not granted originally: {}", scope_list(.0))]
    ScopeNotGranted(Vec<ScopeCode>),

    // --- Device authorization ---
    /// A device-code poll that gets no tokens (yet).
    #[error(transparent)]
    Device(#[from] DevicePollError),
    /// The scopes of a device authorization cannot be requested (unknown, not enabled…).
    #[error("{0}")]
    ScopeNotRequestable(String),
    /// A device authorization's `nonce` is empty, too long or has control characters.
    #[error("nonce must be 1 to 512 printable characters")]
    InvalidNonce,
    /// Too many requests from the client's address (device authorizations): wait.
    #[error("too many requests from this address; try again in {retry_after} seconds")]
    TooManyRequests { retry_after: i64 },

    // --- Resource indicators (RFC 8707) ---
    /// A `resource` the app did not register (or too many of them).
    #[error("{0}")]
    InvalidTarget(String),

    // --- Revocation ---
    #[error("the token was issued to another client")]
    TokenOfOtherClient,

    #[error(transparent)]
    Store(#[from] StoreError),
}

impl GrantError {
    /// The answer was not of the kind the endpoint hands out (a rule of the dialect and its
    /// grant disagree): a server error, never a client's fault.
    pub fn unexpected_answer() -> Self {
        GrantError::Store(StoreError::Corrupt("the token request was answered with another kind of token".into()))
    }

    /// Whether the client failed to authenticate (every dialect answers these alike, never
    /// saying which part was wrong).
    pub fn is_client_authentication(&self) -> bool {
        matches!(self, GrantError::UnknownClient | GrantError::WrongSecret | GrantError::SecretMissing)
    }

    /// For the refusals of client credentials in an org: the org as requested and why.
    pub fn unauthorized_in_org(&self) -> Option<(&str, String)> {
        match self {
            GrantError::PersonalApp { corp_id }
            | GrantError::UnknownOrg { corp_id }
            | GrantError::ForeignOrg { corp_id }
            | GrantError::NotInstalled { corp_id } => Some((corp_id.as_str(), self.to_string())),
            GrantError::NotInternal => Some(("", self.to_string())),
            _ => None,
        }
    }
}

impl From<CodeRejection> for GrantError {
    fn from(r: CodeRejection) -> Self {
        match r {
            CodeRejection::Expired => GrantError::CodeExpired,
            CodeRejection::OtherClient => GrantError::CodeOtherClient,
            CodeRejection::RedirectMismatch => GrantError::CodeRedirectMismatch,
            CodeRejection::VerifierMissing => GrantError::CodeVerifierMissing,
            CodeRejection::VerifierMismatch => GrantError::CodeVerifierMismatch,
        }
    }
}

fn scope_list(scopes: &[ScopeCode]) -> String {
    scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
}

fn missing_list(missing: &[MissingScope]) -> String {
    missing.iter().map(|m| format!("{} ({})", m.scope, m.reason.as_str())).collect::<Vec<_>>().join(", ")
}
