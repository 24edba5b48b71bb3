//! The console (`/console`): server-rendered pages over the same service commands as the
//! management API, so a page can do nothing the API would refuse. Who is looking decides
//! what is shown: developers see their org's apps, reviewers (operators, signed in with the
//! operator token) the review queue, org admins the workbench and the audit log, members
//! the apps they authorized. Every form carries a CSRF token; pages load one small script
//! from `/static/console.js` (the copy button) and nothing else.
//!
//! One file per area: [`home`], [`reviewer`] (reviewer sign-in), [`apps`] (registration,
//! secret, redirect URIs), [`permissions`] ("Manage permissions"), [`forbidden`] (the 403
//! helper), [`reviews`], [`workbench`], [`audit`]; [`layout`] holds the frame and badges.

// The helpers below return the page to answer with when they refuse (`Result<_, Response>`),
// so handlers can `return` it as is; a response is large, and that is fine on this path.
#![allow(clippy::result_large_err)]

use axum::Router;
use axum::extract::rejection::BytesRejection;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use tessera_core::DomainError;
use tessera_core::ids::UnionId;
use tessera_core::member::Member;
use tessera_core::org::Org;
use tessera_core::secret::Secret;
use tessera_service::Tessera;
use tessera_service::management::{Actor, ManageError};
use tessera_store::StoreError;

use super::cookies;
use crate::body;

pub mod apps;
pub mod audit;
pub mod forbidden;
pub mod home;
pub mod layout;
pub mod permissions;
pub mod reviewer;
pub mod reviews;
pub mod workbench;

pub fn routes() -> Router<Tessera> {
    Router::new()
        .route("/console", get(home::show))
        .route("/console/reviewer", get(reviewer::show).post(reviewer::submit))
        .route("/console/reviewer/signout", post(reviewer::sign_out))
        .route("/console/orgs/{corp_id}/apps", get(apps::list).post(apps::create))
        .route("/console/apps/{client_id}", get(apps::show))
        .route("/console/apps/{client_id}/secret", post(apps::rotate))
        .route("/console/apps/{client_id}/redirect_uris", post(apps::set_redirect_uris))
        .route("/console/apps/{client_id}/permissions", get(permissions::show).post(permissions::request))
        .route("/console/apps/{client_id}/explain", get(forbidden::show).post(forbidden::explain))
        .route("/console/reviews", get(reviews::show))
        .route("/console/reviews/{client_id}/{scope}", post(reviews::decide))
        .route("/console/orgs/{corp_id}/workbench", get(workbench::show))
        .route("/console/orgs/{corp_id}/installations", post(workbench::activate))
        .route("/console/orgs/{corp_id}/installations/{client_id}/uninstall", post(workbench::uninstall))
        .route("/console/orgs/{corp_id}/installations/{client_id}/grants/{scope}", post(workbench::grant))
        .route("/console/orgs/{corp_id}/audit", get(audit::show))
        .route("/static/console.js", get(layout::script))
        .route("/static/console.css", get(layout::stylesheet))
}

/// The signed-in person looking at the console.
pub struct Person {
    pub cookie: Secret,
    pub union_id: UnionId,
    pub name: String,
    pub memberships: Vec<(Member, Org)>,
}

/// Who is looking: a signed-in person, a reviewer holding a pass, or both.
pub struct Viewer {
    pub person: Option<Person>,
    pub reviewer: Option<Secret>,
    /// The outcome of the action that led here, said once.
    pub notice: Option<&'static str>,
    /// Whether cookies are set `Secure` (an https public URL).
    pub secure_cookies: bool,
    /// The CSRF token of the forms shown to this viewer.
    csrf: String,
}

impl Viewer {
    /// The actor of the person's commands, or the operator's for a reviewer alone.
    pub fn actor(&self) -> Actor {
        match &self.person {
            Some(p) => Actor::Person(p.union_id.clone()),
            None => Actor::Operator,
        }
    }

    fn csrf_base(&self) -> Option<&Secret> {
        self.person.as_ref().map(|p| &p.cookie).or(self.reviewer.as_ref())
    }

    pub fn csrf(&self, _t: &Tessera) -> String {
        self.csrf.clone()
    }

    pub fn csrf_token(&self) -> &str {
        &self.csrf
    }

    fn csrf_ok(&self, t: &Tessera, presented: &str) -> bool {
        self.csrf_base().is_some_and(|c| t.csrf_ok(c, presented))
    }

    /// Whether the person is an org-wide admin of `corp_id`.
    pub fn admin_of(&self, corp_id: &str) -> bool {
        self.membership(corp_id).is_some_and(|m| tessera_core::lifecycle::check_org_admin(m).is_ok())
    }

    /// Whether the person may manage the apps of `corp_id` (an org-wide developer or admin).
    pub fn developer_of(&self, corp_id: &str) -> bool {
        self.membership(corp_id).is_some_and(|m| tessera_core::lifecycle::check_developer(m).is_ok())
    }

    pub fn membership(&self, corp_id: &str) -> Option<&Member> {
        self.person.as_ref()?.memberships.iter().map(|(m, _)| m).find(|m| m.corp_id.as_str() == corp_id)
    }
}

/// Who is looking, if anyone; a store failure is answered with an error page.
pub async fn viewer(t: &Tessera, headers: &HeaderMap) -> Result<Option<Viewer>, Response> {
    let reviewer = cookies::get(headers, cookies::REVIEWER).filter(|c| t.reviewer_pass_ok(c));
    let mut person = None;
    if let Some(cookie) = cookies::get(headers, cookies::SESSION) {
        match t.session(&cookie).await {
            Ok(Some(s)) => {
                let name = match t.user(&s.union_id).await {
                    Ok(u) => u.map(|u| u.user.name).unwrap_or_else(|| s.union_id.to_string()),
                    Err(e) => return Err(store_failed(e)),
                };
                let memberships = t.memberships(&s.union_id).await.map_err(|e| failed(None, e))?;
                person = Some(Person { cookie, union_id: s.union_id, name, memberships });
            }
            Ok(None) => {}
            Err(e) => return Err(store_failed(e)),
        }
    }
    if person.is_none() && reviewer.is_none() {
        return Ok(None);
    }
    let notice = cookies::get(headers, cookies::NOTICE).and_then(|k| notice_text(k.expose()));
    let secure_cookies = t.config().public_url.starts_with("https://");
    let mut v = Viewer { person, reviewer, notice, secure_cookies, csrf: String::new() };
    v.csrf = v.csrf_base().map(|c| t.csrf_token(c)).unwrap_or_default();
    Ok(Some(v))
}

/// Who is looking, or a redirect to sign in and come back to `here`.
pub async fn signed_in(t: &Tessera, headers: &HeaderMap, here: &str) -> Result<Viewer, Response> {
    match viewer(t, headers).await? {
        Some(v) => Ok(v),
        None => {
            let next = serde_urlencoded::to_string([("next", here)]).unwrap_or_default();
            Err(Redirect::to(&format!("/login?{next}")).into_response())
        }
    }
}

/// A form posted by a signed-in viewer: who they are and the fields, once the CSRF token
/// checked out; refuses anything else.
pub async fn posted(
    t: &Tessera,
    headers: &HeaderMap,
    here: &str,
    raw: Result<Bytes, BytesRejection>,
) -> Result<(Viewer, Vec<(String, String)>), Response> {
    let viewer = signed_in(t, headers, here).await?;
    let form = checked_form(t, &viewer, raw)?;
    Ok((viewer, form))
}

/// The form's fields after its CSRF token checked out; refuses anything else.
pub fn checked_form(
    t: &Tessera,
    viewer: &Viewer,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Vec<(String, String)>, Response> {
    let Ok(pairs) = body::form_pairs(raw) else {
        return Err(layout::error(
            Some(viewer),
            StatusCode::BAD_REQUEST,
            "The form could not be read or repeats a field.",
        ));
    };
    if !field(&pairs, "csrf").is_some_and(|c| viewer.csrf_ok(t, c)) {
        return Err(layout::error(
            Some(viewer),
            StatusCode::FORBIDDEN,
            "This form has expired or was not sent by this site. Open the page again and retry.",
        ));
    }
    Ok(pairs)
}

pub fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// `303 See Other` to `path`: the answer to a form that changed something.
pub fn see_other(path: &str) -> Response {
    let mut res = Redirect::to(path).into_response();
    *res.status_mut() = StatusCode::SEE_OTHER;
    res
}

/// The message of a notice key; unknown keys say nothing.
pub fn notice_text(key: &str) -> Option<&'static str> {
    Some(match key {
        "registered" => "The app was registered.",
        "rotated" => "The secret was rotated.",
        "uris_saved" => "The redirect URIs were saved.",
        "requested" => "The request was sent. Special and sensitive scopes wait for the platform team's review.",
        "activated" => "The app was activated in your organization.",
        "uninstalled" => "The app was uninstalled; every grant it had in the organization is gone.",
        "authorized" => "The scope was authorized for the organization.",
        "revoked" => "The scope was revoked; the app lost it at once.",
        "approved" => "The request was approved; the app may use the scope now.",
        "declined" => "The request was declined; the developer reads your reason.",
        "withdrawn" => "The app's access was withdrawn.",
        "reviewer" => "You are signed in as a platform reviewer.",
        _ => return None,
    })
}

/// `303 See Other` to `path`, whose page then says `notice` (a key of [`notice_text`]) once.
pub fn done(t: &Tessera, path: &str, notice: &'static str) -> Response {
    let mut res = see_other(path);
    let secure = t.config().public_url.starts_with("https://");
    if let Some(c) = cookies::set(cookies::NOTICE, notice, 60, secure) {
        res.headers_mut().append(http::header::SET_COOKIE, c);
    }
    res
}

/// The message of a refusal that is about what was typed (shown beside the field), or
/// `None` when the refusal is about something else.
pub fn input_error(e: &ManageError) -> Option<String> {
    match e {
        ManageError::Domain(
            d @ (DomainError::InvalidId { .. }
            | DomainError::InvalidField { .. }
            | DomainError::UnknownScope(_)
            | DomainError::WrongTier { .. }
            | DomainError::WrongAppKind { .. }),
        ) => Some(sentence(&d.to_string())),
        _ => None,
    }
}

/// A refused or failed command as a page, in plain words.
pub fn failed(viewer: Option<&Viewer>, e: ManageError) -> Response {
    let (status, message) = match e {
        ManageError::Store(e) => return store_failed_for(viewer, e),
        ManageError::Domain(d) => {
            let status = match &d {
                DomainError::NotAllowed(_)
                | DomainError::RoleRequired { .. }
                | DomainError::DeveloperRequired { .. }
                | DomainError::NotAMember { .. }
                | DomainError::UnverifiedOrg { .. } => StatusCode::FORBIDDEN,
                DomainError::NotFound(_)
                | DomainError::UnknownApp(_)
                | DomainError::UnknownOrg(_)
                | DomainError::UnknownUser(_) => StatusCode::NOT_FOUND,
                DomainError::Conflict(_)
                | DomainError::ScopeClosed { .. }
                | DomainError::NotInstalled { .. }
                | DomainError::ScopeNotEnabled { .. } => StatusCode::CONFLICT,
                DomainError::InvalidId { .. }
                | DomainError::InvalidField { .. }
                | DomainError::UnknownScope(_)
                | DomainError::WrongTier { .. }
                | DomainError::WrongAppKind { .. } => StatusCode::BAD_REQUEST,
            };
            (status, sentence(&d.to_string()))
        }
    };
    layout::error(viewer, status, &message)
}

/// A message with a capital first letter and a full stop.
fn sentence(s: &str) -> String {
    let mut chars = s.chars();
    let mut out: String = chars.next().map(|c| c.to_uppercase().collect()).unwrap_or_default();
    out.push_str(chars.as_str());
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

fn store_failed(e: StoreError) -> Response {
    store_failed_for(None, e)
}

fn store_failed_for(viewer: Option<&Viewer>, e: StoreError) -> Response {
    match e {
        StoreError::NotFound(m) => layout::error(viewer, StatusCode::NOT_FOUND, &sentence(&format!("not found: {m}"))),
        StoreError::Conflict(_) => {
            layout::error(viewer, StatusCode::CONFLICT, "That was already done (the form may have been sent twice).")
        }
        e if e.is_unavailable() => {
            tracing::warn!(error = %e, "console request failed: database unavailable");
            layout::error(viewer, StatusCode::SERVICE_UNAVAILABLE, crate::web::html::UNAVAILABLE)
        }
        other => {
            tracing::error!(error = %other, "console request failed");
            layout::error(
                viewer,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something failed on our side. Nothing was changed; please try again.",
            )
        }
    }
}

/// Parses an identifier from a path or form, or answers 404/400 in plain words.
pub fn parse_id<T>(
    viewer: &Viewer,
    parse: impl FnOnce(String) -> Result<T, DomainError>,
    value: &str,
    what: &str,
) -> Result<T, Response> {
    parse(value.to_owned())
        .map_err(|_| layout::error(Some(viewer), StatusCode::NOT_FOUND, &format!("There is no such {what}.")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn messages_read_as_sentences() {
        assert_eq!(super::sentence("you are not a member of x"), "You are not a member of x.");
        assert_eq!(super::sentence("Done."), "Done.");
    }
}
