//! `GET /console`: what the viewer's roles allow, org by org, and the apps they authorized.

use axum::extract::State;
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use tessera_service::Tessera;

use super::layout::{self, badge};
use super::{failed, viewer};
use crate::web::html::{esc, hidden};

pub async fn show(State(t): State<Tessera>, headers: HeaderMap) -> Response {
    let v = match viewer(&t, &headers).await {
        Ok(Some(v)) => v,
        Ok(None) => {
            let body = r#"<p>The console is where developers register apps and request permissions, platform
reviewers decide on requests, and org admins authorize apps and read their audit log.</p>
<div class="card"><h2>Sign in</h2><p>With your account: you will see what your roles allow.</p>
<p><a href="/login?next=/console">Sign in to the console</a></p></div>
<div class="card"><h2>Platform reviewers</h2><p>Review permission requests with the operator token.</p>
<p><a href="/console/reviewer">Sign in as a reviewer</a></p></div>"#;
            return layout::page(None, "", StatusCode::OK, "Tessera console", "/console", body);
        }
        Err(r) => return r,
    };
    let csrf = v.csrf(&t);
    let mut body = String::new();
    if let Some(p) = &v.person {
        body.push_str(&format!(r#"<p>Signed in as <strong>{}</strong>.</p>"#, esc(&p.name)));
        if p.memberships.is_empty() {
            body.push_str(r#"<p class="empty">You are not a member of any organization yet. An org admin adds members; until then you can still manage <a href="/account">the apps you authorized</a>.</p>"#);
        }
        for (m, org) in &p.memberships {
            let c = esc(m.corp_id.as_str());
            let roles: String = if m.roles.is_empty() {
                badge("off", "member")
            } else {
                m.roles
                    .iter()
                    .map(|r| match &r.department {
                        None => badge("info", r.role.as_str()),
                        Some(d) => badge("off", &format!("{} ({d} only)", r.role.as_str())),
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let mut links = Vec::new();
            if v.developer_of(m.corp_id.as_str()) {
                links.push(format!(
                    r#"<li><a href="/console/orgs/{c}/apps">Apps and permissions</a>: register apps, request scopes</li>"#
                ));
            }
            if v.admin_of(m.corp_id.as_str()) {
                links.push(format!(r#"<li><a href="/console/orgs/{c}/workbench">Workbench</a>: installed apps, authorize sensitive scopes</li>"#));
                links.push(format!(r#"<li><a href="/console/orgs/{c}/audit">Audit log</a></li>"#));
            }
            if links.is_empty() {
                links.push(
                    r#"<li class="muted">Registering and managing apps takes the developer role; an org admin gives it.</li>"#
                        .to_owned(),
                );
            }
            let verified = if org.verified { badge("ok", "verified") } else { badge("off", "not verified") };
            body.push_str(&format!(
                r#"<div class="card"><h2>{name} <span class="muted">{c}</span> {verified}</h2>
<p>You are <strong>{user}</strong> here: {roles}</p><ul>{links}</ul></div>"#,
                name = esc(&org.name),
                user = esc(m.user_id.as_str()),
                links = links.join(""),
            ));
        }
        let apps = match t.authorized_apps(&p.union_id).await {
            Ok(a) => a,
            Err(e) => return failed(Some(&v), e.into()),
        };
        body.push_str(r#"<h2 id="authorized">Apps you authorized</h2>"#);
        if apps.is_empty() {
            body.push_str(r#"<p class="empty">You have not authorized any app to act for you. When you allow one, it appears here and you can withdraw it at any time.</p>"#);
        } else {
            body.push_str("<table><thead><tr><th>App</th><th>Permissions</th><th></th></tr></thead><tbody>");
            for (consent, app) in &apps {
                let scopes: Vec<String> =
                    consent.scopes.iter().map(|s| format!("<code>{}</code>", esc(s.as_str()))).collect();
                body.push_str(&format!(
                    r#"<tr><td><strong>{name}</strong><br><span class="muted">{id}</span></td><td>{scopes}</td>
<td><form method="post" action="/account/apps/{id}/withdraw" class="inline">{csrf}{next}<button type="submit" class="secondary">Withdraw</button></form></td></tr>"#,
                    name = esc(&app.name),
                    id = esc(app.client_id.as_str()),
                    scopes = scopes.join(" "),
                    csrf = hidden("csrf", &csrf),
                    next = hidden("next", "/console"),
                ));
            }
            body.push_str("</tbody></table>");
        }
    }
    if v.reviewer.is_some() {
        let waiting = t.review_queue(&tessera_service::management::Actor::Operator).await.map(|q| q.len()).unwrap_or(0);
        body.push_str(&format!(
            r#"<div class="card"><h2>Platform review</h2><p>{waiting} request(s) waiting. <a href="/console/reviews">Open the review queue</a></p></div>"#
        ));
    }
    layout::page(Some(&v), &csrf, StatusCode::OK, "Overview", "/console", &body)
}
