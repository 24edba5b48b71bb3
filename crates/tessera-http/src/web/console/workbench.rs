//! The org admin's workbench (`/console/orgs/{corp_id}/workbench`): the apps installed in
//! the org and what each holds there; activate and uninstall; for each sensitive scope, who
//! may authorize it (the members holding its eligible role over the whole org) and an
//! Authorize / Revoke button that only they can use.

use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use tessera_core::ids::{ClientId, CorpId, ScopeCode};
use tessera_core::scope::ScopeTier;
use tessera_service::Tessera;
use tessera_service::overview::SensitiveRow;

use super::layout::{self, badge, tier_badge};
use super::{failed, field, parse_id, posted, see_other, signed_in};
use crate::web::html::{esc, hidden};

fn sensitive_row(corp: &str, client: &str, row: &SensitiveRow, viewer_user: Option<&str>, csrf: &str) -> String {
    let s = &row.scope;
    let role = s.eligible_role.as_ref().map(|r| r.as_str()).unwrap_or("?");
    let holders: Vec<String> = row
        .eligible
        .iter()
        .map(|m| format!("{} <span class=\"muted\">({})</span>", esc(&m.name), esc(m.user_id.as_str())))
        .collect();
    let holders = if holders.is_empty() {
        format!("Nobody holds <code>{}</code> over the whole org yet.", esc(role))
    } else {
        holders.join(", ")
    };
    let state = match (&row.grant, &row.last_revocation) {
        (Some(g), _) => format!(
            "{}<br><span class=\"muted\">by {} on {}</span>",
            badge("ok", "Authorized"),
            esc(g.granted_by.as_str()),
            layout::time(g.granted_at)
        ),
        (None, Some(r)) => format!(
            "{}<br><span class=\"muted\">by {} on {}</span>",
            badge("off", "Revoked"),
            esc(r.revoked_by.as_str()),
            layout::time(r.revoked_at)
        ),
        (None, None) => badge("wait", "Not authorized"),
    };
    let may = viewer_user.is_some_and(|u| row.eligible.iter().any(|m| m.user_id.as_str() == u));
    let (decision, label) = if row.grant.is_some() { ("revoke", "Revoke") } else { ("authorize", "Authorize") };
    let button = if may {
        let class = if decision == "revoke" { r#" class="danger""# } else { "" };
        format!(
            r#"<form method="post" action="/console/orgs/{corp}/installations/{client}/grants/{scope}" class="inline">{csrf}<input type="hidden" name="decision" value="{decision}"><button type="submit"{class}>{label}</button></form>"#,
            corp = esc(corp),
            client = esc(client),
            scope = esc(s.code.as_str()),
            csrf = hidden("csrf", csrf),
        )
    } else {
        format!(
            r#"<button type="button" disabled aria-describedby="why-{client}-{code}">{label}</button><br><span class="muted" id="why-{client}-{code}">Only holders of {role} can {decision} this.</span>"#,
            client = esc(client),
            code = esc(s.code.as_str()),
            role = esc(role),
        )
    };
    format!(
        r#"<tr><td><code>{code}</code><br>{desc}</td><td>{state}</td><td><code>{role}</code>: {holders}</td><td>{button}</td></tr>"#,
        code = esc(s.code.as_str()),
        desc = esc(&s.description),
        role = esc(role),
    )
}

pub async fn show(State(t): State<Tessera>, Path(corp_id): Path<String>, headers: HeaderMap) -> Response {
    let here = format!("/console/orgs/{corp_id}/workbench");
    let v = match signed_in(&t, &headers, &here).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let corp = match parse_id(&v, CorpId::parse, &corp_id, "organization") {
        Ok(c) => c,
        Err(r) => return r,
    };
    let wb = match t.workbench(&v.actor(), &corp).await {
        Ok(w) => w,
        Err(e) => return failed(Some(&v), e),
    };
    let csrf = v.csrf(&t);
    let c = esc(corp.as_str());
    let viewer_user = wb.viewer.as_ref().map(|m| m.user_id.as_str());
    let mut body = format!(
        r#"<p><strong>{}</strong> <span class="muted">{c}</span> {}</p>"#,
        esc(&wb.org.name),
        if wb.org.verified { badge("ok", "verified") } else { badge("off", "not verified") }
    );
    let roles: String = wb
        .eligible_roles
        .iter()
        .map(|(role, holders)| {
            let names = if holders.is_empty() {
                r#"<span class="muted">nobody yet</span>"#.to_owned()
            } else {
                holders
                    .iter()
                    .map(|m| format!("{} <span class=\"muted\">({})</span>", esc(&m.name), esc(m.user_id.as_str())))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            format!("<tr><td>Org-wide <code>{}</code></td><td>{names}</td></tr>", esc(role.as_str()))
        })
        .collect();
    if !roles.is_empty() {
        body.push_str(&format!(
            r#"<section class="card" aria-labelledby="roles"><h2 id="roles">Who may authorize sensitive scopes</h2>
<p class="muted">A sensitive scope is authorized by a member holding its eligible role over the whole organization.</p>
<table><thead><tr><th>Role</th><th>Held by</th></tr></thead><tbody>{roles}</tbody></table></section>"#
        ));
    }
    if wb.installed.is_empty() {
        body.push_str(
            r#"<p class="empty">No app is activated in your organization. Activate one below with its client id.</p>"#,
        );
    }
    for app in &wb.installed {
        let id = app.app.client_id.as_str();
        let scopes: String = app
            .enabled
            .iter()
            .filter(|s| s.tier != ScopeTier::Basic)
            .map(|s| {
                format!(
                    r#"<li><code>{}</code> {} {}</li>"#,
                    esc(s.code.as_str()),
                    tier_badge(s.tier),
                    esc(&s.description)
                )
            })
            .collect();
        let scopes =
            if scopes.is_empty() { "<li class=\"muted\">Only the basic scopes.</li>".to_owned() } else { scopes };
        let sensitive = if app.sensitive.is_empty() {
            r#"<p class="muted">The app holds no sensitive scope.</p>"#.to_owned()
        } else {
            let rows: String =
                app.sensitive.iter().map(|r| sensitive_row(corp.as_str(), id, r, viewer_user, &csrf)).collect();
            format!(
                r#"<h3>Sensitive scopes</h3><table><thead><tr><th>Scope</th><th>In this org</th><th>Who may authorize</th><th></th></tr></thead><tbody>{rows}</tbody></table>"#
            )
        };
        body.push_str(&format!(
            r#"<section class="card" aria-labelledby="app-{idq}"><h2 id="app-{idq}">{name} <span class="muted">{idq}</span> {active}</h2>
<h3>Permissions it holds</h3><ul>{scopes}</ul>{sensitive}
<form method="post" action="/console/orgs/{c}/installations/{idq}/uninstall" class="row">{csrf}
<div><input type="checkbox" id="confirm-{idq}" name="confirm" value="yes" required> <label for="confirm-{idq}" class="inline">Uninstall {name}: every grant it has in the org goes</label></div>
<button type="submit" class="secondary">Uninstall</button></form></section>"#,
            idq = esc(id),
            name = esc(&app.app.name),
            active = badge("ok", "Activated"),
            csrf = hidden("csrf", &csrf),
        ));
    }
    body.push_str(&format!(
        r#"<div class="card"><h2>Activate an app</h2><p>Activating grants the app its enabled standard scopes in your organization. Sensitive scopes still need their eligible role to authorize them.</p>
<form method="post" action="/console/orgs/{c}/installations" class="row">{csrf}
<div><label for="client_id">Client id</label><input type="text" id="client_id" name="client_id" required></div>
<button type="submit">Activate</button></form></div>"#,
        csrf = hidden("csrf", &csrf),
    ));
    layout::page(Some(&v), &csrf, StatusCode::OK, "Workbench", &here, &body)
}

pub async fn activate(
    State(t): State<Tessera>,
    Path(corp_id): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Response {
    let here = format!("/console/orgs/{corp_id}/workbench");
    let (v, form) = match posted(&t, &headers, &here, raw).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (corp, client) = match (
        parse_id(&v, CorpId::parse, &corp_id, "organization"),
        parse_id(&v, ClientId::parse, field(&form, "client_id").unwrap_or_default().trim(), "app"),
    ) {
        (Ok(c), Ok(a)) => (c, a),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    match t.activate(&v.actor(), &corp, &client).await {
        Ok(_) => see_other(&format!("/console/orgs/{corp}/workbench")),
        Err(e) => failed(Some(&v), e),
    }
}

pub async fn uninstall(
    State(t): State<Tessera>,
    Path((corp_id, client_id)): Path<(String, String)>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Response {
    let here = format!("/console/orgs/{corp_id}/workbench");
    let (v, form) = match posted(&t, &headers, &here, raw).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if field(&form, "confirm") != Some("yes") {
        return layout::error(
            Some(&v),
            StatusCode::BAD_REQUEST,
            "Tick the box to confirm the uninstall: every grant the app has in the org goes.",
        );
    }
    let (corp, client) =
        match (parse_id(&v, CorpId::parse, &corp_id, "organization"), parse_id(&v, ClientId::parse, &client_id, "app"))
        {
            (Ok(c), Ok(a)) => (c, a),
            (Err(r), _) | (_, Err(r)) => return r,
        };
    match t.uninstall(&v.actor(), &corp, &client).await {
        Ok(()) => see_other(&format!("/console/orgs/{corp}/workbench")),
        Err(e) => failed(Some(&v), e),
    }
}

pub async fn grant(
    State(t): State<Tessera>,
    Path((corp_id, client_id, scope)): Path<(String, String, String)>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Response {
    let here = format!("/console/orgs/{corp_id}/workbench");
    let (v, form) = match posted(&t, &headers, &here, raw).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let ids = (
        parse_id(&v, CorpId::parse, &corp_id, "organization"),
        parse_id(&v, ClientId::parse, &client_id, "app"),
        parse_id(&v, ScopeCode::parse, &scope, "scope"),
    );
    let (corp, client, scope) = match ids {
        (Ok(c), Ok(a), Ok(s)) => (c, a, s),
        (Err(r), _, _) | (_, Err(r), _) | (_, _, Err(r)) => return r,
    };
    let authorize = match field(&form, "decision") {
        Some("authorize") => true,
        Some("revoke") => false,
        _ => return layout::error(Some(&v), StatusCode::BAD_REQUEST, "Choose Authorize or Revoke."),
    };
    match t.set_grant(&v.actor(), &corp, &client, &scope, authorize).await {
        Ok(()) => see_other(&format!("/console/orgs/{corp}/workbench")),
        Err(e) => failed(Some(&v), e),
    }
}
