//! The authorization endpoint: `GET /oauth2/authorize` (OAuth 2.x), `GET /oauth2/auth`
//! (DingTalk, which answers with both `authCode` and `code`), `GET /open-apis/authen/v1/authorize`
//! (Feishu: `client_id` or the legacy `app_id`, `response_type` optional), the consent page, and
//! `POST /oauth2/authorize` where the signed-in user approves or denies.

use askama::Template;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use tessera_service::Tessera;
use tessera_service::authorize::{AuthorizationRequest, AuthorizeError, ValidRequest};
use tessera_service::oidc::request::{OidcParams, SessionCheck};

use super::html::{error_page, page};
use super::signed_form;
use crate::body;

/// Which dialect asked: decides the parameter names of the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    OAuth2,
    DingTalk,
    Feishu,
}

impl Dialect {
    fn name(self) -> &'static str {
        match self {
            Dialect::OAuth2 => "oauth2",
            Dialect::DingTalk => "dingtalk",
            Dialect::Feishu => "feishu",
        }
    }

    fn parse(name: Option<&str>) -> Dialect {
        match name {
            Some("dingtalk") => Dialect::DingTalk,
            Some("feishu") => Dialect::Feishu,
            _ => Dialect::OAuth2,
        }
    }

    /// Where the request starts again after sign-in.
    fn path(self) -> &'static str {
        match self {
            Dialect::OAuth2 => "/oauth2/authorize",
            Dialect::DingTalk => "/oauth2/auth",
            Dialect::Feishu => "/open-apis/authen/v1/authorize",
        }
    }
}

/// Feishu's authorization page takes the legacy `app_id` for `client_id` and implies
/// `response_type=code`.
fn feishu_pairs(mut pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    let has = |pairs: &[(String, String)], k: &str| pairs.iter().any(|(n, _)| n == k);
    if !has(&pairs, "client_id") {
        for (k, _) in pairs.iter_mut() {
            if k == "app_id" {
                *k = "client_id".into();
                break;
            }
        }
    }
    if !has(&pairs, "response_type") {
        pairs.push(("response_type".into(), "code".into()));
    }
    pairs
}

/// The request's parameters, refusing repeated ones (RFC 6749 §3.1).
fn params(pairs: &[(String, String)]) -> Result<AuthorizationRequest, String> {
    if let Some(k) = body::repeated(pairs) {
        return Err(format!("the parameter {k} appears more than once"));
    }
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    Ok(AuthorizationRequest {
        client_id: get("client_id"),
        redirect_uri: get("redirect_uri"),
        response_type: get("response_type"),
        scope: get("scope"),
        state: get("state"),
        code_challenge: get("code_challenge"),
        code_challenge_method: get("code_challenge_method"),
        corp_id: get("corpId").or_else(|| get("corp_id")),
        // ui_locales and claims_locales are accepted and ignored (the pages have one language).
        oidc: OidcParams {
            nonce: get("nonce"),
            prompt: get("prompt"),
            max_age: get("max_age"),
            id_token_hint: get("id_token_hint"),
            login_hint: get("login_hint"),
            request: get("request"),
            request_uri: get("request_uri"),
        },
        resources: pairs.iter().filter(|(k, v)| k == "resource" && !v.is_empty()).map(|(_, v)| v.clone()).collect(),
    })
}

/// The request's query again, with `login` taken out of `prompt` (a `prompt` left empty goes).
fn without_prompt_login(pairs: &[(String, String)]) -> String {
    let kept: Vec<(String, String)> = pairs
        .iter()
        .filter_map(|(k, v)| {
            if k != "prompt" {
                return Some((k.clone(), v.clone()));
            }
            let rest: Vec<&str> = v.split(' ').filter(|p| !p.is_empty() && *p != "login").collect();
            (!rest.is_empty()).then(|| (k.clone(), rest.join(" ")))
        })
        .collect();
    serde_urlencoded::to_string(kept).unwrap_or_default()
}

/// `redirect_uri` with `params` appended to its query.
pub(super) fn with_query(redirect_uri: &str, params: &[(&str, &str)]) -> String {
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    format!("{redirect_uri}{sep}{}", serde_urlencoded::to_string(params).unwrap_or_default())
}

pub(super) fn found(location: &str) -> Response {
    let mut res = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

pub(super) fn error_redirect(redirect_uri: &str, state: Option<&str>, error: &str, description: &str) -> Response {
    let mut p = vec![("error", error), ("error_description", description)];
    if let Some(s) = state {
        p.push(("state", s));
    }
    found(&with_query(redirect_uri, &p))
}

fn authorize_error(e: AuthorizeError) -> Response {
    match e {
        AuthorizeError::Page(message) => error_page(StatusCode::BAD_REQUEST, &message),
        AuthorizeError::Redirect { redirect_uri, state, error, description } => {
            error_redirect(&redirect_uri, state.as_deref(), error, &description)
        }
        AuthorizeError::Store(e) => {
            super::html::store_error_page(&e, "The authorization could not be completed on our side.")
        }
    }
}

fn code_redirect(req: &ValidRequest, code: &str, dialect: Dialect) -> Response {
    let mut p = vec![("code", code)];
    if dialect == Dialect::DingTalk {
        p.insert(0, ("authCode", code));
    }
    if let Some(s) = req.state.as_deref() {
        p.push(("state", s));
    }
    found(&with_query(&req.redirect_uri, &p))
}

pub async fn oauth2(State(t): State<Tessera>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    start(t, headers, q, Dialect::OAuth2).await
}

pub async fn dingtalk(State(t): State<Tessera>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    start(t, headers, q, Dialect::DingTalk).await
}

pub async fn feishu(State(t): State<Tessera>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    start(t, headers, q, Dialect::Feishu).await
}

async fn start(tessera: Tessera, headers: HeaderMap, query: Option<String>, dialect: Dialect) -> Response {
    let raw = query.unwrap_or_default();
    let Ok(mut pairs) = serde_urlencoded::from_str::<Vec<(String, String)>>(&raw) else {
        return error_page(StatusCode::BAD_REQUEST, "The authorization request could not be read.");
    };
    if dialect == Dialect::Feishu {
        pairs = feishu_pairs(pairs);
    }
    let req = match params(&pairs) {
        Ok(r) => r,
        Err(m) => return error_page(StatusCode::BAD_REQUEST, &m),
    };
    let valid = match tessera.validate_authorization(&req).await {
        Ok(v) => v,
        Err(e) => return authorize_error(e),
    };
    let signed_in = match signed_form::signed_in(&tessera, &headers).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    match tessera.session_check(&valid, signed_in.as_ref().map(|(_, s)| s)).await {
        Ok(SessionCheck::Proceed) => {}
        Ok(SessionCheck::LoginRequired) => {
            return error_redirect(
                &valid.redirect_uri,
                valid.state.as_deref(),
                "login_required",
                "prompt=none was asked but the user must sign in",
            );
        }
        Ok(SessionCheck::SignIn) => {
            // After the sign-in the request starts again without `prompt=login` (else it
            // would ask again forever); max_age and the hint are met by the fresh session.
            let query = if valid.oidc.prompt.login { without_prompt_login(&pairs) } else { raw.clone() };
            let next = format!("{}?{query}", dialect.path());
            return found(&with_query("/login", &[("next", &next)]));
        }
        Err(e) => return authorize_error(e.into()),
    }
    let Some((cookie, session)) = signed_in else {
        return authorize_error(AuthorizeError::Page("no session".into()));
    };
    let force = valid.oidc.prompt.consent;
    let (prompt, ask) = match tokio::try_join!(
        tessera.consent_prompt(&session.union_id, &valid),
        tessera.needs_consent(&session.union_id, &valid)
    ) {
        Ok(p) => p,
        Err(e) => return authorize_error(e.into()),
    };
    if valid.oidc.prompt.none {
        // OIDC Core §3.1.2.6: consent the user could give is consent_required; a request this
        // account cannot complete at all (the app is not usable by it) needs another kind of
        // interaction (signing in with another account): interaction_required.
        match tessera.may_use(&session.union_id, &valid).await {
            Ok(true) => {}
            Ok(false) => {
                return error_redirect(
                    &valid.redirect_uri,
                    valid.state.as_deref(),
                    "interaction_required",
                    "prompt=none was asked but the signed-in account cannot use this app; the user must act",
                );
            }
            Err(e) => return authorize_error(e.into()),
        }
    }
    if (ask || force) && valid.oidc.prompt.none {
        return error_redirect(
            &valid.redirect_uri,
            valid.state.as_deref(),
            "consent_required",
            "prompt=none was asked but the user must consent first",
        );
    }
    if !ask && !force {
        return match tessera.approve(&session, &valid).await {
            Ok(code) => code_redirect(&valid, code.expose(), dialect),
            Err(e) => authorize_error(e),
        };
    }
    consent_page(&tessera, &cookie, &pairs, &valid, &prompt, dialect)
}

fn consent_page(
    tessera: &Tessera,
    cookie: &tessera_core::secret::Secret,
    pairs: &[(String, String)],
    valid: &ValidRequest,
    prompt: &[tessera_core::scope::Scope],
    dialect: Dialect,
) -> Response {
    let csrf = tessera.csrf_token(cookie);
    let mut fields: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    fields.push(("csrf", &csrf));
    fields.push(("dialect", dialect.name()));
    let identity = valid.scopes.iter().filter_map(|c| protocol_line(c.as_str()).map(|d| (d, c.as_str())));
    let scopes = prompt.iter().map(|s| (s.description.as_str(), s.code.as_str()));
    let body = ConsentPage { app: &valid.app.name, lines: identity.chain(scopes).collect(), fields };
    page(StatusCode::OK, "Authorize an app", &body, &format!("'self' {}", origin(&valid.redirect_uri)))
}

/// The consent page: what the app asks for, each line a description and its scope code, and
/// the request's parameters carried in hidden fields.
#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage<'a> {
    app: &'a str,
    lines: Vec<(&'a str, &'a str)>,
    fields: Vec<(&'a str, &'a str)>,
}

/// What a protocol scope lets the app learn, in plain words.
fn protocol_line(code: &str) -> Option<&'static str> {
    match code {
        "openid" => Some("Know who you are: your name and account id"),
        "corpid" => Some("Know which organization you use it in"),
        "offline_access" => Some("Keep access while you are not using it (a refresh token)"),
        "profile" => Some("See your profile: name, nickname and picture"),
        "email" => Some("See your email address"),
        "phone" => Some("See your phone number"),
        _ => None,
    }
}

/// The scheme, host and port of a URL, for the page's form-action.
pub(super) fn origin(url: &str) -> String {
    let rest = url.split_once("://");
    match rest {
        Some((scheme, rest)) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            format!("{scheme}://{host}")
        }
        None => "'none'".into(),
    }
}

pub async fn decide(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Response {
    let form = match signed_form::read(&tessera, &headers, raw).await {
        Ok(f) => f,
        Err(page) => return page,
    };
    let dialect = Dialect::parse(form.get("dialect"));
    let request_pairs = form.request_pairs(&["dialect", "decision"]);
    let req = match params(&request_pairs) {
        Ok(r) => r,
        Err(m) => return error_page(StatusCode::BAD_REQUEST, &m),
    };
    let valid = match tessera.validate_authorization(&req).await {
        Ok(v) => v,
        Err(e) => return authorize_error(e),
    };
    match form.get("decision") {
        Some("approve") => match tessera.approve(&form.session, &valid).await {
            Ok(code) => code_redirect(&valid, code.expose(), dialect),
            Err(e) => authorize_error(e),
        },
        _ => {
            error_redirect(&valid.redirect_uri, valid.state.as_deref(), "access_denied", "the user denied the request")
        }
    }
}
