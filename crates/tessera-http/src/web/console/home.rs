//! `GET /console`: what the viewer's roles allow, org by org, and the apps they authorized.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use tessera_service::Tessera;

use super::layout::{self, badge};
use super::{failed, viewer};
use crate::web::html::Markup;

#[derive(Template)]
#[template(path = "console/landing.html")]
struct Landing;

struct OrgCard<'a> {
    name: &'a str,
    corp_id: &'a str,
    verified: Markup,
    user_id: &'a str,
    roles: Vec<Markup>,
    developer: bool,
    admin: bool,
}

struct AuthorizedApp<'a> {
    name: &'a str,
    client_id: &'a str,
    scopes: Vec<&'a str>,
}

#[derive(Template)]
#[template(path = "console/home.html")]
struct Home<'a> {
    person: Option<&'a str>,
    orgs: Vec<OrgCard<'a>>,
    apps: Vec<AuthorizedApp<'a>>,
    waiting: Option<usize>,
    csrf: &'a str,
}

pub async fn show(State(t): State<Tessera>, headers: HeaderMap) -> Response {
    let v = match viewer(&t, &headers).await {
        Ok(Some(v)) => v,
        Ok(None) => return layout::page(None, "", StatusCode::OK, "Tessera console", "/console", &Landing),
        Err(r) => return r,
    };
    let csrf = v.csrf(&t);
    let authorized = match &v.person {
        Some(p) => match t.authorized_apps(&p.union_id).await {
            Ok(a) => a,
            Err(e) => return failed(Some(&v), e.into()),
        },
        None => Vec::new(),
    };
    let orgs = v
        .person
        .iter()
        .flat_map(|p| &p.memberships)
        .map(|(m, org)| OrgCard {
            name: &org.name,
            corp_id: m.corp_id.as_str(),
            verified: if org.verified { badge("ok", "verified") } else { badge("off", "not verified") },
            user_id: m.user_id.as_str(),
            roles: if m.roles.is_empty() {
                vec![badge("off", "member")]
            } else {
                m.roles
                    .iter()
                    .map(|r| match &r.department {
                        None => badge("info", r.role.as_str()),
                        Some(d) => badge("off", &format!("{} ({d} only)", r.role.as_str())),
                    })
                    .collect()
            },
            developer: v.developer_of(m.corp_id.as_str()),
            admin: v.admin_of(m.corp_id.as_str()),
        })
        .collect();
    let apps = authorized
        .iter()
        .map(|(consent, app)| AuthorizedApp {
            name: &app.name,
            client_id: app.client_id.as_str(),
            scopes: consent.scopes.iter().map(|s| s.as_str()).collect(),
        })
        .collect();
    let waiting = match v.reviewer {
        Some(_) => {
            Some(t.review_queue(&tessera_service::management::Actor::Operator).await.map(|q| q.len()).unwrap_or(0))
        }
        None => None,
    };
    let body = Home { person: v.person.as_ref().map(|p| p.name.as_str()), orgs, apps, waiting, csrf: &csrf };
    layout::page(Some(&v), &csrf, StatusCode::OK, "Overview", "/console", &body)
}
