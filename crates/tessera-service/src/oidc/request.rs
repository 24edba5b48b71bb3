//! The OpenID Connect parameters of an authorization request (OIDC Core §3.1.2.1): `nonce`,
//! `prompt`, `max_age`, `id_token_hint`, `login_hint`, `ui_locales`/`claims_locales`
//! (accepted), `request`/`request_uri` (not supported). Checked once the redirect URI is
//! trusted, so every error here goes back to the client.

use tessera_core::time::UnixTime;

/// Longest `nonce` accepted.
pub const MAX_NONCE_LEN: usize = 512;

/// The raw parameters, as the dialect read them.
#[derive(Debug, Clone, Default)]
pub struct OidcParams {
    pub nonce: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<String>,
    pub id_token_hint: Option<String>,
    pub login_hint: Option<String>,
    pub request: Option<String>,
    pub request_uri: Option<String>,
}

/// The `prompt` values (OIDC Core §3.1.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Prompt {
    /// Show nothing: answer `login_required`/`consent_required` instead.
    pub none: bool,
    /// Sign in again even with a session.
    pub login: bool,
    /// Ask for consent even when given before.
    pub consent: bool,
    /// Let the user choose an account (Tessera keeps one session per browser: it proceeds
    /// with the signed-in account, which the user can leave through sign-out).
    pub select_account: bool,
}

/// The checked parameters.
#[derive(Debug, Clone, Default)]
pub struct OidcRequest {
    pub nonce: Option<String>,
    pub prompt: Prompt,
    pub max_age: Option<i64>,
    /// The `sub` of a valid `id_token_hint` this server issued (to the same client).
    pub hint_sub: Option<String>,
    pub login_hint: Option<String>,
}

/// Why the OIDC parameters are refused: the OAuth error code and its description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcParamError {
    pub error: &'static str,
    pub description: String,
}

fn invalid(description: impl Into<String>) -> OidcParamError {
    OidcParamError { error: "invalid_request", description: description.into() }
}

/// Whether `nonce` is 1 to [`MAX_NONCE_LEN`] bytes without control characters.
pub fn nonce_ok(nonce: &str) -> bool {
    !nonce.is_empty() && nonce.len() <= MAX_NONCE_LEN && !nonce.chars().any(char::is_control)
}

/// Checks everything but the `id_token_hint` signature (the service's part).
pub fn check(p: &OidcParams) -> Result<OidcRequest, OidcParamError> {
    if p.request.is_some() {
        return Err(OidcParamError {
            error: "request_not_supported",
            description: "request objects are not supported; send the parameters in the query".into(),
        });
    }
    if p.request_uri.is_some() {
        return Err(OidcParamError {
            error: "request_uri_not_supported",
            description: "request_uri is not supported; send the parameters in the query".into(),
        });
    }
    let mut prompt = Prompt::default();
    if let Some(text) = &p.prompt {
        let mut count = 0;
        for value in text.split(' ').filter(|v| !v.is_empty()) {
            count += 1;
            match value {
                "none" => prompt.none = true,
                "login" => prompt.login = true,
                "consent" => prompt.consent = true,
                "select_account" => prompt.select_account = true,
                _ => {
                    return Err(invalid(
                        "prompt takes none, login, consent or select_account (separated by spaces)".to_string(),
                    ));
                }
            }
        }
        if prompt.none && count > 1 {
            return Err(invalid("prompt=none cannot be combined with another prompt value"));
        }
    }
    let max_age = match p.max_age.as_deref() {
        None => None,
        Some(s) => match s.parse::<i64>() {
            Ok(n) if n >= 0 && s.bytes().all(|b| b.is_ascii_digit()) => Some(n),
            _ => return Err(invalid("max_age must be a non-negative number of seconds")),
        },
    };
    if let Some(n) = &p.nonce
        && !nonce_ok(n)
    {
        return Err(invalid(format!("nonce must be 1 to {MAX_NONCE_LEN} printable characters")));
    }
    Ok(OidcRequest {
        nonce: p.nonce.clone(),
        prompt,
        max_age,
        hint_sub: None,
        login_hint: p.login_hint.clone().filter(|h| h.len() <= 256 && !h.chars().any(char::is_control)),
    })
}

/// What the authorization endpoint must do about the signed-in session (if any) before it
/// may answer with a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionCheck {
    /// The session is fine.
    Proceed,
    /// Send the user to sign in (again).
    SignIn,
    /// `prompt=none` and the user would have to sign in: `login_required`.
    LoginRequired,
}

/// Decides about a session started at `signed_in_at` (`None`: nobody signed in), of the user
/// whose `sub` for this client is `sub`.
pub fn session_check(req: &OidcRequest, signed_in: Option<(UnixTime, &str)>, now: UnixTime) -> SessionCheck {
    let needs_sign_in = match signed_in {
        None => true,
        Some((at, sub)) => {
            let too_old = req.max_age.is_some_and(|max| at.secs_until(now) > max);
            let other_user = req.hint_sub.as_deref().is_some_and(|h| h != sub);
            too_old || other_user || req.prompt.login
        }
    };
    match (needs_sign_in, req.prompt.none) {
        (false, _) => SessionCheck::Proceed,
        (true, true) => SessionCheck::LoginRequired,
        (true, false) => SessionCheck::SignIn,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(prompt: Option<&str>, max_age: Option<&str>) -> OidcParams {
        OidcParams { prompt: prompt.map(Into::into), max_age: max_age.map(Into::into), ..Default::default() }
    }

    #[test]
    fn bad_parameters_are_refused_with_the_oidc_error() {
        assert_eq!(check(&params(Some("none login"), None)).unwrap_err().error, "invalid_request");
        assert_eq!(check(&params(Some("sometimes"), None)).unwrap_err().error, "invalid_request");
        assert_eq!(check(&params(None, Some("ten"))).unwrap_err().error, "invalid_request");
        assert_eq!(check(&params(None, Some("-1"))).unwrap_err().error, "invalid_request");
        assert_eq!(check(&params(None, Some("+5"))).unwrap_err().error, "invalid_request");
        let r = OidcParams { request: Some("eyJ...".into()), ..Default::default() };
        assert_eq!(check(&r).unwrap_err().error, "request_not_supported");
        let r = OidcParams { request_uri: Some("https://x".into()), ..Default::default() };
        assert_eq!(check(&r).unwrap_err().error, "request_uri_not_supported");
        let ok = check(&params(Some("login consent"), Some("60"))).unwrap();
        assert!(ok.prompt.login && ok.prompt.consent && !ok.prompt.none);
        assert_eq!(ok.max_age, Some(60));
    }

    #[test]
    fn sessions_are_checked_against_prompt_max_age_and_the_hint() {
        let now = UnixTime(1000);
        let mut r = check(&params(None, Some("100"))).unwrap();
        assert_eq!(session_check(&r, Some((UnixTime(950), "a")), now), SessionCheck::Proceed);
        assert_eq!(session_check(&r, Some((UnixTime(800), "a")), now), SessionCheck::SignIn);
        assert_eq!(session_check(&r, None, now), SessionCheck::SignIn);
        r.prompt.none = true;
        assert_eq!(session_check(&r, None, now), SessionCheck::LoginRequired);
        assert_eq!(session_check(&r, Some((UnixTime(800), "a")), now), SessionCheck::LoginRequired);
        r.hint_sub = Some("b".into());
        assert_eq!(session_check(&r, Some((UnixTime(990), "a")), now), SessionCheck::LoginRequired);
        assert_eq!(session_check(&r, Some((UnixTime(990), "b")), now), SessionCheck::Proceed);
        let login = check(&params(Some("login"), None)).unwrap();
        assert_eq!(session_check(&login, Some((UnixTime(999), "a")), now), SessionCheck::SignIn);
    }
}
