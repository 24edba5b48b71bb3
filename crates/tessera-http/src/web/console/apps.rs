//! A developer's apps: `GET/POST /console/orgs/{corp_id}/apps` (list, register: the secret is
//! shown once on the answer page, with a copy button), `GET /console/apps/{client_id}`
//! (credentials and redirect URIs), rotating the secret with an overlap, and replacing the
//! redirect URIs.

use askama::Template;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use tessera_core::app::{App, AppKind};
use tessera_core::ids::{ClientId, CorpId};
use tessera_core::secret::Secret;
use tessera_service::Tessera;

use super::layout::{self, badge};
use super::{Viewer, done, failed, field, parse_id, posted, signed_in};
use crate::web::html::Markup;

fn kind_label(kind: AppKind) -> &'static str {
    match kind {
        AppKind::Internal => "Internal app",
        AppKind::ThirdPartyEnterprise => "Third-party (enterprise)",
        AppKind::ThirdPartyPersonal => "Third-party (personal)",
    }
}

/// The kinds offered by the registration form: value and label.
const KINDS: [(&str, &str); 3] = [
    ("internal", "Internal app (used by your organization only)"),
    ("third_party_enterprise", "Third-party enterprise app (installed by other organizations)"),
    ("third_party_personal", "Third-party personal app (used by individuals)"),
];

#[derive(Template)]
#[template(path = "console/app_header.html")]
struct AppHeader<'a> {
    name: &'a str,
    client_id: &'a str,
    kind: Markup,
    tabs: [(String, &'static str); 3],
    active: &'a str,
}

/// The app's name, id and kind, and the links every app page shares.
pub fn app_header(app: &App, active: &str) -> Markup {
    let id = app.client_id.as_str();
    Markup::of(&AppHeader {
        name: &app.name,
        client_id: id,
        kind: badge("info", kind_label(app.kind)),
        tabs: [
            (format!("/console/apps/{id}"), "Credentials and redirect URIs"),
            (format!("/console/apps/{id}/permissions"), "Manage permissions"),
            (format!("/console/apps/{id}/explain"), "Why was my call refused?"),
        ],
        active,
    })
}

struct AppRow<'a> {
    name: &'a str,
    client_id: &'a str,
    kind: Markup,
}

/// What the registration form shows: what was typed, and why it was refused.
#[derive(Default)]
pub struct RegisterForm {
    name: String,
    kind: String,
    redirect_uris: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "console/apps.html")]
struct AppsPage<'a> {
    apps: Vec<AppRow<'a>>,
    corp_id: &'a str,
    csrf: &'a str,
    kinds: &'a [(&'a str, &'a str)],
    form: RegisterForm,
}

#[derive(Template)]
#[template(path = "console/secret.html")]
struct SecretPage<'a> {
    header: Markup,
    client_id: &'a str,
    secret: &'a str,
    note: &'a str,
}

#[derive(Template)]
#[template(path = "console/app.html")]
struct AppPage<'a> {
    header: Markup,
    client_id: &'a str,
    owner: &'a str,
    public_client: bool,
    uris: String,
    uris_error: Option<String>,
    csrf: &'a str,
}

/// The org's apps and the registration form.
async fn list_page(t: &Tessera, v: &Viewer, corp: &CorpId, form: RegisterForm, status: StatusCode) -> Response {
    let apps = match t.org_apps(&v.actor(), corp).await {
        Ok(a) => a,
        Err(e) => return failed(Some(v), e),
    };
    let csrf = v.csrf(t);
    let here = format!("/console/orgs/{corp}/apps");
    let rows = apps
        .iter()
        .map(|a| AppRow { name: &a.name, client_id: a.client_id.as_str(), kind: badge("info", kind_label(a.kind)) })
        .collect();
    let body = AppsPage { apps: rows, corp_id: corp.as_str(), csrf: &csrf, kinds: &KINDS, form };
    layout::page(Some(v), &csrf, status, "Apps", &here, &body)
}

pub async fn list(State(t): State<Tessera>, Path(corp_id): Path<String>, headers: HeaderMap) -> Response {
    let here = format!("/console/orgs/{corp_id}/apps");
    let v = match signed_in(&t, &headers, &here).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let corp = match parse_id(&v, CorpId::parse, &corp_id, "organization") {
        Ok(c) => c,
        Err(r) => return r,
    };
    list_page(&t, &v, &corp, RegisterForm::default(), StatusCode::OK).await
}

fn lines(s: Option<&str>) -> Vec<String> {
    s.unwrap_or_default().lines().map(str::to_owned).collect()
}

/// The page that shows a secret, once.
fn secret_page(v: &Viewer, csrf: &str, title: &str, app: &App, secret: &Secret, note: &str) -> Response {
    let body =
        SecretPage { header: app_header(app, ""), client_id: app.client_id.as_str(), secret: secret.expose(), note };
    layout::page(Some(v), csrf, StatusCode::OK, title, "", &body)
}

pub async fn create(
    State(t): State<Tessera>,
    Path(corp_id): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Response {
    let (v, form) = match posted(&t, &headers, &format!("/console/orgs/{corp_id}/apps"), raw).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let corp = match parse_id(&v, CorpId::parse, &corp_id, "organization") {
        Ok(c) => c,
        Err(r) => return r,
    };
    let typed = |error: String| RegisterForm {
        name: field(&form, "name").unwrap_or_default().to_owned(),
        kind: field(&form, "kind").unwrap_or_default().to_owned(),
        redirect_uris: field(&form, "redirect_uris").unwrap_or_default().to_owned(),
        error: Some(error),
    };
    let kind = match AppKind::parse(field(&form, "kind").unwrap_or_default()) {
        Ok(k) => k,
        Err(e) => {
            let message = super::input_error(&e.into()).unwrap_or_default();
            return list_page(&t, &v, &corp, typed(message), StatusCode::BAD_REQUEST).await;
        }
    };
    let uris = lines(field(&form, "redirect_uris"));
    match t.create_app(&v.actor(), &corp, field(&form, "name").unwrap_or_default(), kind, &uris).await {
        Ok((app, secret)) => {
            let note = "Use it with the client id to get app tokens. If it leaks, rotate it from the app's page.";
            secret_page(&v, &v.csrf(&t), "App registered", &app, &secret, note)
        }
        Err(e) => match super::input_error(&e) {
            Some(m) => list_page(&t, &v, &corp, typed(m), StatusCode::BAD_REQUEST).await,
            None => failed(Some(&v), e),
        },
    }
}

async fn own_app(t: &Tessera, v: &Viewer, client_id: &str) -> Result<std::sync::Arc<App>, Response> {
    let id = parse_id(v, ClientId::parse, client_id, "app")?;
    t.own_app(&v.actor(), &id).await.map_err(|e| failed(Some(v), e))
}

pub async fn show(State(t): State<Tessera>, Path(client_id): Path<String>, headers: HeaderMap) -> Response {
    let here = format!("/console/apps/{client_id}");
    let v = match signed_in(&t, &headers, &here).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let app = match own_app(&t, &v, &client_id).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    app_page(&t, &v, &app, app.redirect_uris.join("\n"), None, StatusCode::OK)
}

/// The app's credentials and redirect URIs; `uris` is what the redirect URI field shows.
fn app_page(
    t: &Tessera,
    v: &Viewer,
    app: &App,
    uris: String,
    uris_error: Option<String>,
    status: StatusCode,
) -> Response {
    let csrf = v.csrf(t);
    let here = format!("/console/apps/{}", app.client_id);
    let body = AppPage {
        header: app_header(app, &here),
        client_id: app.client_id.as_str(),
        owner: app.owner_corp_id.as_str(),
        public_client: app.public_client,
        uris,
        uris_error,
        csrf: &csrf,
    };
    layout::page(Some(v), &csrf, status, "App", &here, &body)
}

pub async fn rotate(
    State(t): State<Tessera>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Response {
    let (v, form) = match posted(&t, &headers, &format!("/console/apps/{client_id}"), raw).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let app = match own_app(&t, &v, &client_id).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Ok(overlap) = field(&form, "overlap_seconds").unwrap_or("0").parse::<i64>() else {
        return layout::error(Some(&v), StatusCode::BAD_REQUEST, "Choose how long the old secret keeps working.");
    };
    match t.rotate_secret(&v.actor(), &app.client_id, overlap).await {
        Ok(r) => {
            let note = match r.previous_valid_until {
                Some(until) => format!("The previous secret keeps working until {}.", layout::time(until)),
                None => "Every previous secret stopped working now.".to_owned(),
            };
            secret_page(&v, &v.csrf(&t), "Secret rotated", &app, &r.secret, &note)
        }
        Err(e) => failed(Some(&v), e),
    }
}

pub async fn set_redirect_uris(
    State(t): State<Tessera>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Response {
    let (v, form) = match posted(&t, &headers, &format!("/console/apps/{client_id}"), raw).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let app = match own_app(&t, &v, &client_id).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let typed = field(&form, "redirect_uris").unwrap_or_default().to_owned();
    match t.set_redirect_uris(&v.actor(), &app.client_id, &lines(Some(&typed))).await {
        Ok(_) => done(&t, &format!("/console/apps/{}", app.client_id), "uris_saved"),
        Err(e) => match super::input_error(&e) {
            Some(m) => app_page(&t, &v, &app, typed, Some(m), StatusCode::BAD_REQUEST),
            None => failed(Some(&v), e),
        },
    }
}
