//! `GET /{corpId}/adminConsent?client_id=&redirect_uri=&state=[&scope=]`: the page where a
//! member of the org authorizes an app's sensitive scopes, and `POST` of the same path where
//! they approve or deny. Success redirects with `authCode`, `code`, `state`, `corp_id` and
//! `admin_consent=True`; failures with `error`, `error_description` and `state`.

use askama::Template;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use tessera_core::secret::Secret;
use tessera_service::Tessera;
use tessera_service::admin_consent::{AdminConsentError, AdminConsentParams, AdminConsentPrompt, ValidAdminConsent};

use super::authorize::{error_redirect, found, origin, with_query};
use super::html::{error_page, page};
use super::signed_form;
use crate::body;

fn params(corp_id: String, pairs: &[(String, String)]) -> Result<AdminConsentParams, String> {
    if let Some(k) = body::repeated(pairs) {
        return Err(format!("the parameter {k} appears more than once"));
    }
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    Ok(AdminConsentParams {
        corp_id,
        client_id: get("client_id"),
        redirect_uri: get("redirect_uri"),
        state: get("state"),
        scope: get("scope"),
    })
}

fn failure(e: AdminConsentError) -> Response {
    match e {
        AdminConsentError::Page { code, message } => error_page(
            StatusCode::BAD_REQUEST,
            &format!("This authorization request cannot be used ({code}): {message}."),
        ),
        AdminConsentError::Redirect { redirect_uri, state, error, description } => {
            error_redirect(&redirect_uri, state.as_deref(), &error, &description)
        }
        AdminConsentError::Forbidden { code, message } => {
            error_page(StatusCode::FORBIDDEN, &format!("You cannot approve this ({code}): {message}."))
        }
        AdminConsentError::Store(e) => {
            super::html::store_error_page(&e, "The authorization could not be completed on our side.")
        }
    }
}

fn success(req: &ValidAdminConsent, code: &Secret) -> Response {
    let mut p = vec![
        ("authCode", code.expose()),
        ("code", code.expose()),
        ("corp_id", req.org.corp_id.as_str()),
        ("admin_consent", "True"),
    ];
    if let Some(s) = req.state.as_deref() {
        p.push(("state", s));
    }
    found(&with_query(&req.redirect_uri, &p))
}

pub async fn show(
    State(tessera): State<Tessera>,
    Path(corp_id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let raw = query.unwrap_or_default();
    let Ok(pairs) = serde_urlencoded::from_str::<Vec<(String, String)>>(&raw) else {
        return error_page(StatusCode::BAD_REQUEST, "The authorization request could not be read.");
    };
    let p = match params(corp_id.clone(), &pairs) {
        Ok(p) => p,
        Err(m) => return error_page(StatusCode::BAD_REQUEST, &m),
    };
    let req = match tessera.validate_admin_consent(&p).await {
        Ok(r) => r,
        Err(e) => return failure(e),
    };
    let (cookie, session) = match signed_form::signed_in(&tessera, &headers).await {
        Ok(Some(signed)) => signed,
        Ok(None) => {
            let next = format!("/{}/adminConsent?{raw}", urlencoding_path(&corp_id));
            return found(&with_query("/login", &[("next", &next)]));
        }
        Err(page) => return page,
    };
    let prompt = match tessera.admin_consent_prompt(&session.union_id, &req).await {
        Ok(p) => p,
        Err(e) => return failure(e),
    };
    consent_page(&tessera, &cookie, &pairs, &req, &prompt)
}

/// A corp id as a path segment (corp ids are URL-safe; anything else was refused already).
fn urlencoding_path(corp_id: &str) -> String {
    corp_id.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')).collect()
}

struct ConsentLine<'a> {
    description: &'a str,
    code: &'a str,
    role: &'a str,
    granted: bool,
    may_authorize: bool,
    holders: String,
}

/// The admin consent page: each sensitive scope, who may authorize it, and the request's
/// parameters carried in hidden fields.
#[derive(Template)]
#[template(path = "admin_consent.html")]
struct ConsentPage<'a> {
    app: &'a str,
    org: &'a str,
    me: &'a str,
    corp: String,
    lines: Vec<ConsentLine<'a>>,
    fields: Vec<(&'a str, &'a str)>,
    may_approve: bool,
}

fn consent_page(
    tessera: &Tessera,
    cookie: &Secret,
    pairs: &[(String, String)],
    req: &ValidAdminConsent,
    prompt: &AdminConsentPrompt,
) -> Response {
    let lines = prompt
        .lines
        .iter()
        .map(|l| ConsentLine {
            description: &l.scope.description,
            code: l.scope.code.as_str(),
            role: l.scope.eligible_role.as_ref().map(|r| r.as_str()).unwrap_or(""),
            granted: l.granted,
            may_authorize: l.may_authorize,
            holders: l.holders.join(", "),
        })
        .collect();
    let csrf = tessera.csrf_token(cookie);
    let mut fields: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    fields.push(("csrf", &csrf));
    let body = ConsentPage {
        app: &req.app.name,
        org: &req.org.name,
        me: &prompt.member.name,
        corp: urlencoding_path(req.org.corp_id.as_str()),
        lines,
        fields,
        may_approve: prompt.may_approve(),
    };
    page(
        StatusCode::OK,
        "Authorize an app for your organization",
        &body,
        &format!("'self' {}", origin(&req.redirect_uri)),
    )
}

pub async fn decide(
    State(tessera): State<Tessera>,
    Path(corp_id): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Response {
    let form = match signed_form::read(&tessera, &headers, raw).await {
        Ok(f) => f,
        Err(page) => return page,
    };
    let request_pairs = form.request_pairs(&["decision"]);
    let p = match params(corp_id, &request_pairs) {
        Ok(p) => p,
        Err(m) => return error_page(StatusCode::BAD_REQUEST, &m),
    };
    let req = match tessera.validate_admin_consent(&p).await {
        Ok(r) => r,
        Err(e) => return failure(e),
    };
    match form.get("decision") {
        Some("approve") => match tessera.approve_admin_consent(&form.session.union_id, &req).await {
            Ok(code) => success(&req, &code),
            Err(e) => failure(e),
        },
        _ => error_redirect(&req.redirect_uri, req.state.as_deref(), "access_denied", "the admin denied the request"),
    }
}
