//! A developer's apps: `GET/POST /console/orgs/{corp_id}/apps` (list, register: the secret is
//! shown once on the answer page, with a copy button), `GET /console/apps/{client_id}`
//! (credentials and redirect URIs), rotating the secret with an overlap, and replacing the
//! redirect URIs.

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
use super::{Viewer, failed, field, parse_id, posted, see_other, signed_in};
use crate::web::html::{esc, hidden};

fn kind_label(kind: AppKind) -> &'static str {
    match kind {
        AppKind::Internal => "Internal app",
        AppKind::ThirdPartyEnterprise => "Third-party (enterprise)",
        AppKind::ThirdPartyPersonal => "Third-party (personal)",
    }
}

/// The links every app page shares.
fn app_tabs(client_id: &str, active: &str) -> String {
    let tab = |href: String, label: &str| {
        let current = if href.ends_with(active) { r#" aria-current="page""# } else { "" };
        format!(r#"<a href="{href}"{current}>{label}</a>"#)
    };
    let id = esc(client_id);
    format!(
        r#"<p class="tabs">{} · {} · {}</p>"#,
        tab(format!("/console/apps/{id}"), "Credentials and redirect URIs"),
        tab(format!("/console/apps/{id}/permissions"), "Manage permissions"),
        tab(format!("/console/apps/{id}/explain"), "Why was my call refused?"),
    )
}

pub fn app_header(app: &App, active: &str) -> String {
    format!(
        r#"<p><strong>{name}</strong> <span class="muted">{id}</span> {kind}</p>{tabs}"#,
        name = esc(&app.name),
        id = esc(app.client_id.as_str()),
        kind = badge("info", kind_label(app.kind)),
        tabs = app_tabs(app.client_id.as_str(), active),
    )
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
    let apps = match t.org_apps(&v.actor(), &corp).await {
        Ok(a) => a,
        Err(e) => return failed(Some(&v), e),
    };
    let csrf = v.csrf(&t);
    let mut body = String::new();
    if apps.is_empty() {
        body.push_str(r#"<p class="empty">Your organization has no apps yet. Register one below: you will get its client id and secret, then request the permissions it needs.</p>"#);
    } else {
        body.push_str("<table><thead><tr><th>App</th><th>Kind</th><th>Next</th></tr></thead><tbody>");
        for a in &apps {
            let id = esc(a.client_id.as_str());
            body.push_str(&format!(
                r#"<tr><td><a href="/console/apps/{id}"><strong>{name}</strong></a><br><span class="muted">{id}</span></td><td>{kind}</td>
<td><a href="/console/apps/{id}/permissions">Manage permissions</a></td></tr>"#,
                name = esc(&a.name),
                kind = badge("info", kind_label(a.kind)),
            ));
        }
        body.push_str("</tbody></table>");
    }
    body.push_str(&format!(
        r#"<div class="card"><h2>Register an app</h2>
<form method="post" action="/console/orgs/{c}/apps">{csrf}
<label for="name">Name</label><input type="text" id="name" name="name" maxlength="100" required>
<label for="kind">Kind</label><select id="kind" name="kind">
<option value="internal">Internal app (used by your organization only)</option>
<option value="third_party_enterprise">Third-party enterprise app (installed by other organizations)</option>
<option value="third_party_personal">Third-party personal app (used by individuals)</option></select>
<label for="redirect_uris">Redirect URIs <span class="muted">(one per line, optional)</span></label>
<textarea id="redirect_uris" name="redirect_uris" rows="3" placeholder="https://app.example.com/callback"></textarea>
<button type="submit">Register app</button></form></div>"#,
        c = esc(corp.as_str()),
        csrf = hidden("csrf", &csrf),
    ));
    layout::page(Some(&v), &csrf, StatusCode::OK, "Apps", &here, &body)
}

fn lines(s: Option<&str>) -> Vec<String> {
    s.unwrap_or_default().lines().map(str::to_owned).collect()
}

/// The page that shows a secret, once.
fn secret_page(v: &Viewer, csrf: &str, title: &str, app: &App, secret: &Secret, note: &str) -> Response {
    let body = format!(
        r#"{header}<div class="card"><h2>Client secret</h2>
<p class="notice" role="alert">Copy the secret now: Tessera keeps only a hash of it and will never show it again.</p>
<p>Client id: <code>{id}</code></p>
<p id="secret" class="secret">{secret}</p>
<button type="button" data-copy="secret">Copy secret</button>
<p>{note}</p></div>
<p><a href="/console/apps/{id}/permissions">Next: request the permissions the app needs</a></p>"#,
        header = app_header(app, ""),
        id = esc(app.client_id.as_str()),
        secret = esc(secret.expose()),
        note = esc(note),
    );
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
    let kind = match AppKind::parse(field(&form, "kind").unwrap_or_default()) {
        Ok(k) => k,
        Err(e) => return failed(Some(&v), e.into()),
    };
    let uris = lines(field(&form, "redirect_uris"));
    match t.create_app(&v.actor(), &corp, field(&form, "name").unwrap_or_default(), kind, &uris).await {
        Ok((app, secret)) => {
            let note = "Use it with the client id to get app tokens. If it leaks, rotate it from the app's page.";
            secret_page(&v, &v.csrf(&t), "App registered", &app, &secret, note)
        }
        Err(e) => failed(Some(&v), e),
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
    let csrf = v.csrf(&t);
    let id = esc(app.client_id.as_str());
    let secret_card = if app.public_client {
        r#"<div class="card"><h2>Client secret</h2><p>This is a public client: it has no secret and must use PKCE.</p></div>"#.to_owned()
    } else {
        format!(
            r#"<div class="card"><h2>Client secret</h2>
<p>The secret was shown once, when it was created. If it leaked or you lost it, rotate it: you get a new one, and the
old one keeps working for the overlap you choose, so running instances can move over without downtime.</p>
<form method="post" action="/console/apps/{id}/secret" class="row">{csrf}
<div><label for="overlap">Old secret keeps working for</label><select id="overlap" name="overlap_seconds">
<option value="3600">1 hour</option><option value="86400" selected>24 hours</option><option value="604800">7 days</option>
<option value="0">No overlap: stop it now (it leaked)</option></select></div>
<button type="submit">Rotate secret</button></form></div>"#,
            csrf = hidden("csrf", &csrf),
        )
    };
    let body = format!(
        r#"{header}<div class="card"><h2>Credentials</h2><p>Client id (AppKey): <code>{id}</code></p>
<p>Owned by <code>{owner}</code></p></div>{secret_card}
<div class="card"><h2>Redirect URIs</h2>
<p>Where the authorization flow may send users back with a code. Absolute http(s) URLs, one per line.</p>
<form method="post" action="/console/apps/{id}/redirect_uris">{csrf}
<label for="redirect_uris">Redirect URIs</label><textarea id="redirect_uris" name="redirect_uris" rows="4">{uris}</textarea>
<button type="submit">Save redirect URIs</button></form></div>"#,
        header = app_header(&app, &here),
        owner = esc(app.owner_corp_id.as_str()),
        uris = esc(&app.redirect_uris.join("\n")),
        csrf = hidden("csrf", &csrf),
    );
    layout::page(Some(&v), &csrf, StatusCode::OK, "App", &here, &body)
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
    match t.set_redirect_uris(&v.actor(), &app.client_id, &lines(field(&form, "redirect_uris"))).await {
        Ok(_) => see_other(&format!("/console/apps/{}", app.client_id)),
        Err(e) => failed(Some(&v), e),
    }
}
