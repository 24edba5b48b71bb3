//! Fixtures: the TOML file `tessera serve --fixture` loads, and [`plan`], which turns it into
//! the changes still missing from the store. Planning is pure: the caller gathers what
//! already exists, and the store applies the plan in one transaction, so a conflicting
//! fixture changes nothing.
//!
//! Rules: an entity that exists must match the fixture on every field (a different name,
//! kind, secret, password, role list or redirect URI list is a conflict). Grants are
//! additive: enabled scopes, installations and authorized scopes missing from the store are
//! added. Loading the same fixture twice therefore changes nothing the second time.

use std::collections::{HashMap, HashSet};

use rand::RngCore;

use crate::app::{App, AppKind, validate_redirect_uri};
use crate::audit::{AuditAction, AuditDraft};
use crate::change::Change;
use crate::document::Document;
use crate::error::DomainError;
use crate::grant::{OrgGrant, check_authorizer};
use crate::ids::{ClientId, CorpId, ScopeCode, UnionId, UserId};
use crate::installation::Installation;
use crate::member::{Member, MemberRole, User};
use crate::org::Org;
use crate::permission::{PermissionRequest, PermissionStatus};
use crate::scope::{Scope, ScopeTier};
use crate::secret::{Secret, SecretKey};
use crate::time::UnixTime;

/// Longest name or description a fixture may set.
pub const MAX_TEXT_LEN: usize = 1000;

mod format;
mod oidc_settings;
pub use format::*;

/// A user as stored, with whether the fixture's password matches the stored hash
/// (`None` when either side has no password). Checking argon2 hashes is the caller's job.
#[derive(Debug, Clone)]
pub struct ExistingUser {
    pub user: User,
    pub has_password: bool,
    pub password_matches: Option<bool>,
}

/// What the store already holds of the entities a fixture names.
#[derive(Debug, Clone, Default)]
pub struct Existing {
    pub catalog: HashMap<ScopeCode, Scope>,
    pub orgs: HashMap<CorpId, Org>,
    pub users: HashMap<UnionId, ExistingUser>,
    pub members: HashMap<(CorpId, UserId), Member>,
    pub apps: HashMap<ClientId, App>,
    pub enabled: HashMap<ClientId, HashSet<ScopeCode>>,
    pub installations: HashSet<(ClientId, CorpId)>,
    pub grants: HashSet<(ClientId, CorpId, ScopeCode)>,
    pub documents: HashMap<(CorpId, i64), Document>,
    /// OpenID Connect settings of the fixture's apps that have any.
    pub oidc_clients: HashMap<ClientId, crate::oidc::OidcClient>,
    /// Profile claims of the fixture's users that have any.
    pub profiles: HashMap<UnionId, crate::oidc::UserProfile>,
    /// Suites' ticket states (for their callbacks).
    pub tickets: HashMap<ClientId, crate::suite::SuiteTicket>,
}

/// The changes a fixture still needs, and the client secrets generated for new apps
/// (to be shown once).
#[derive(Debug, Default)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub generated_secrets: Vec<(ClientId, Secret)>,
}

/// Inputs to planning besides the fixture and the existing state.
pub struct PlanContext<'a> {
    pub key: &'a SecretKey,
    pub now: UnixTime,
    /// argon2id hashes of the passwords of users the fixture creates, by union id.
    pub new_password_hashes: &'a HashMap<UnionId, String>,
}

const ACTOR: &str = "fixture";

fn conflict(msg: String) -> DomainError {
    DomainError::Conflict(msg)
}

fn check_text(field: &'static str, s: &str) -> Result<(), DomainError> {
    if s.trim().is_empty() || s.len() > MAX_TEXT_LEN {
        return Err(DomainError::InvalidField { field, reason: format!("must be 1 to {MAX_TEXT_LEN} characters") });
    }
    crate::text::field(field, s, MAX_TEXT_LEN)
}

fn audit(corp: Option<&CorpId>, action: AuditAction, target: String) -> Change {
    Change::Audit(AuditDraft { corp_id: corp.cloned(), actor: ACTOR.into(), action, target, detail: String::new() })
}

fn no_duplicates<'a, K: Eq + std::hash::Hash + std::fmt::Debug + 'a>(
    what: &str,
    keys: impl IntoIterator<Item = K>,
) -> Result<(), DomainError> {
    let mut seen = HashSet::new();
    for k in keys {
        if !seen.insert(format!("{k:?}")) {
            return Err(conflict(format!("the fixture lists {what} {k:?} twice")));
        }
    }
    Ok(())
}

/// Plans the changes that make the store hold everything `fixture` describes.
pub fn plan(
    fixture: &Fixture,
    existing: &Existing,
    ctx: &PlanContext<'_>,
    rng: &mut impl RngCore,
) -> Result<Plan, DomainError> {
    no_duplicates("scope", fixture.scopes.iter().map(|s| &s.code))?;
    no_duplicates("org", fixture.orgs.iter().map(|o| &o.corp_id))?;
    no_duplicates("user", fixture.users.iter().map(|u| &u.union_id))?;
    no_duplicates(
        "membership",
        fixture.users.iter().flat_map(|u| u.memberships.iter().map(|m| (&m.corp_id, &m.user_id))),
    )?;
    no_duplicates("app", fixture.apps.iter().map(|a| &a.client_id))?;
    no_duplicates("installation", fixture.installations.iter().map(|i| (&i.client_id, &i.corp_id)))?;

    let mut out = Plan::default();
    let mut catalog = existing.catalog.clone();
    plan_scopes(fixture, &mut catalog, &mut out)?;
    let orgs = plan_orgs(fixture, existing, &mut out)?;
    let members = plan_users(fixture, existing, &orgs, ctx, &mut out)?;
    let apps = plan_apps(fixture, existing, &orgs, &catalog, ctx, rng, &mut out)?;
    oidc_settings::plan_oidc(fixture, existing, &mut out)?;
    plan_installations(fixture, existing, &apps, &orgs, &members, &catalog, ctx, &mut out)?;
    plan_documents(fixture, existing, &members, &mut out)?;
    Ok(out)
}

fn plan_documents(
    fixture: &Fixture,
    existing: &Existing,
    members: &HashMap<(CorpId, UserId), Member>,
    out: &mut Plan,
) -> Result<(), DomainError> {
    no_duplicates("document", fixture.documents.iter().map(|d| (&d.corp_id, d.doc_id)))?;
    for fd in &fixture.documents {
        check_text("document title", &fd.title)?;
        if fd.doc_id < 1 {
            return Err(DomainError::InvalidField { field: "doc_id", reason: "must be positive".into() });
        }
        for reader in &fd.readers {
            if !members.contains_key(&(fd.corp_id.clone(), reader.clone())) {
                return Err(DomainError::NotAMember { corp_id: fd.corp_id.clone(), user_id: reader.clone() });
            }
        }
        let doc = Document {
            corp_id: fd.corp_id.clone(),
            doc_id: fd.doc_id,
            title: fd.title.clone(),
            body: fd.body.clone(),
            readers: fd.readers.iter().cloned().collect(),
        };
        match existing.documents.get(&(fd.corp_id.clone(), fd.doc_id)) {
            Some(old) if *old == doc => {}
            Some(_) => {
                return Err(conflict(format!("document {} of {} exists with other contents", fd.doc_id, fd.corp_id)));
            }
            None => out.changes.push(Change::InsertDocument(doc)),
        }
    }
    Ok(())
}

fn plan_scopes(fixture: &Fixture, catalog: &mut HashMap<ScopeCode, Scope>, out: &mut Plan) -> Result<(), DomainError> {
    for fs in &fixture.scopes {
        check_text("description", &fs.description)?;
        let scope = Scope {
            code: fs.code.clone(),
            description: fs.description.clone(),
            tier: fs.tier,
            eligible_role: fs.eligible_role.clone(),
            open_for_requests: fs.open_for_requests,
            requires_verified_org: fs.requires_verified_org,
            identity: fs.identity,
        };
        scope.validate()?;
        match catalog.get(&fs.code) {
            Some(old) if *old == scope => {}
            Some(_) => {
                return Err(conflict(format!("scope {} exists with another definition", fs.code)));
            }
            None => {
                out.changes.push(Change::PutScope(scope.clone()));
                out.changes.push(audit(None, AuditAction::ScopeDefined, format!("scope:{}", fs.code)));
                catalog.insert(fs.code.clone(), scope);
            }
        }
    }
    Ok(())
}

fn plan_orgs(fixture: &Fixture, existing: &Existing, out: &mut Plan) -> Result<HashMap<CorpId, Org>, DomainError> {
    let mut orgs = existing.orgs.clone();
    for fo in &fixture.orgs {
        check_text("org name", &fo.name)?;
        let org = Org { corp_id: fo.corp_id.clone(), name: fo.name.clone(), verified: fo.verified };
        match orgs.get(&fo.corp_id) {
            Some(old) if *old == org => {}
            Some(_) => {
                return Err(conflict(format!("org {} exists with another name or verification", fo.corp_id)));
            }
            None => {
                out.changes.push(Change::InsertOrg(org.clone()));
                out.changes.push(audit(Some(&org.corp_id), AuditAction::OrgCreated, format!("org:{}", org.corp_id)));
                orgs.insert(org.corp_id.clone(), org);
            }
        }
    }
    Ok(orgs)
}

fn plan_users(
    fixture: &Fixture,
    existing: &Existing,
    orgs: &HashMap<CorpId, Org>,
    ctx: &PlanContext<'_>,
    out: &mut Plan,
) -> Result<HashMap<(CorpId, UserId), Member>, DomainError> {
    let mut members = existing.members.clone();
    for fu in &fixture.users {
        check_text("user name", &fu.name)?;
        let user = User { union_id: fu.union_id.clone(), name: fu.name.clone() };
        match existing.users.get(&fu.union_id) {
            Some(old) => {
                if old.user != user {
                    return Err(conflict(format!("user {} exists with another name", fu.union_id)));
                }
                if fu.password.is_some() != old.has_password || old.password_matches == Some(false) {
                    return Err(conflict(format!("user {} exists with another password", fu.union_id)));
                }
            }
            None => {
                let password_hash = match &fu.password {
                    Some(_) => Some(ctx.new_password_hashes.get(&fu.union_id).cloned().ok_or_else(|| {
                        DomainError::InvalidField { field: "password", reason: format!("no hash for {}", fu.union_id) }
                    })?),
                    None => None,
                };
                out.changes.push(Change::InsertUser { user: user.clone(), password_hash });
            }
        }
        for fm in &fu.memberships {
            if !orgs.contains_key(&fm.corp_id) {
                return Err(DomainError::UnknownOrg(fm.corp_id.clone()));
            }
            let mut roles: Vec<MemberRole> = fm.roles.iter().cloned().map(MemberRole::org_wide).collect();
            roles.extend(fm.department_roles.iter().cloned());
            roles.sort();
            roles.dedup();
            let member = Member {
                corp_id: fm.corp_id.clone(),
                user_id: fm.user_id.clone(),
                union_id: fu.union_id.clone(),
                name: fu.name.clone(),
                title: fm.title.clone(),
                roles,
            };
            let key = (fm.corp_id.clone(), fm.user_id.clone());
            match members.get(&key) {
                Some(old) if *old == member => {}
                Some(_) => {
                    return Err(conflict(format!(
                        "member {} of {} exists with another user, title or roles",
                        fm.user_id, fm.corp_id
                    )));
                }
                None => {
                    if members.values().any(|m| m.corp_id == fm.corp_id && m.union_id == fu.union_id) {
                        return Err(conflict(format!("user {} is already a member of {}", fu.union_id, fm.corp_id)));
                    }
                    out.changes.push(Change::InsertMember(member.clone()));
                    out.changes.push(audit(
                        Some(&fm.corp_id),
                        AuditAction::MemberAdded,
                        format!("member:{} roles:{}", fm.user_id, role_list(&member.roles)),
                    ));
                    members.insert(key, member);
                }
            }
        }
    }
    Ok(members)
}

fn role_list(roles: &[MemberRole]) -> String {
    let names: Vec<String> = roles
        .iter()
        .map(|r| match &r.department {
            None => r.role.to_string(),
            Some(d) => format!("{}@{d}", r.role),
        })
        .collect();
    names.join(",")
}

/// A suite's ticket callback: set when it has none, a conflict when it has another.
fn plan_ticket_callback(
    app: &App,
    cb: &format::FixtureTicketCallback,
    existing: Option<&crate::suite::SuiteTicket>,
    out: &mut Plan,
) -> Result<(), DomainError> {
    if app.kind != AppKind::ThirdPartyEnterprise {
        return Err(DomainError::InvalidField {
            field: "ticket_callback",
            reason: format!("{} is not a third_party_enterprise app; only suites get tickets", app.client_id),
        });
    }
    validate_redirect_uri(&cb.url).map_err(|_| DomainError::InvalidField {
        field: "ticket_callback",
        reason: "the url must be an absolute http(s) URL without a fragment".into(),
    })?;
    match existing.and_then(|t| t.callback_url.as_ref().map(|url| (url, t.event))) {
        Some((url, event)) if *url == cb.url && event == cb.event => Ok(()),
        Some(_) => Err(conflict(format!("suite {} pushes its tickets elsewhere or in another shape", app.client_id))),
        None => {
            let set = Change::SetTicketCallback {
                client_id: app.client_id.clone(),
                url: Some(cb.url.clone()),
                event: cb.event,
            };
            out.changes.push(set);
            out.changes.push(audit(
                Some(&app.owner_corp_id),
                AuditAction::TicketCallbackChanged,
                format!("app:{}", app.client_id),
            ));
            Ok(())
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn plan_apps(
    fixture: &Fixture,
    existing: &Existing,
    orgs: &HashMap<CorpId, Org>,
    catalog: &HashMap<ScopeCode, Scope>,
    ctx: &PlanContext<'_>,
    rng: &mut impl RngCore,
    out: &mut Plan,
) -> Result<HashMap<ClientId, (App, HashSet<ScopeCode>)>, DomainError> {
    let mut apps: HashMap<ClientId, (App, HashSet<ScopeCode>)> = HashMap::new();
    for fa in &fixture.apps {
        check_text("app name", &fa.name)?;
        if !orgs.contains_key(&fa.owner_corp_id) {
            return Err(DomainError::UnknownOrg(fa.owner_corp_id.clone()));
        }
        for uri in &fa.redirect_uris {
            validate_redirect_uri(uri)?;
        }
        let mut enabled = existing.enabled.get(&fa.client_id).cloned().unwrap_or_default();
        let app = match existing.apps.get(&fa.client_id) {
            Some(old) => {
                let same = old.name == fa.name
                    && old.kind == fa.kind
                    && old.owner_corp_id == fa.owner_corp_id
                    && old.redirect_uris == fa.redirect_uris
                    && old.public_client == fa.public_client
                    && fa.resource_server.is_none_or(|r| r == old.resource_server)
                    && fa
                        .client_secret
                        .as_ref()
                        .is_none_or(|s| ctx.key.verify(&Secret::new(s.clone()), &old.secret_hash));
                if !same {
                    return Err(conflict(format!(
                        "app {} exists with another name, kind, owner, redirect URIs, resource-server flag or secret",
                        fa.client_id
                    )));
                }
                old.clone()
            }
            None => {
                let secret = match &fa.client_secret {
                    Some(_) if fa.public_client => {
                        return Err(DomainError::InvalidField {
                            field: "client_secret",
                            reason: format!("public client {} has no secret", fa.client_id),
                        });
                    }
                    Some(s) if s.is_empty() => {
                        return Err(DomainError::InvalidField {
                            field: "client_secret",
                            reason: "must not be empty".into(),
                        });
                    }
                    Some(s) => Secret::new(s.clone()),
                    // A public client gets a secret nobody ever sees: it authenticates without one.
                    None if fa.public_client => Secret::generate("", rng),
                    // A suite's generated secret is derived from the server key, so Tessera can
                    // check the legacy signatures keyed with it (see `suite`).
                    None if fa.kind == AppKind::ThirdPartyEnterprise => {
                        let s = crate::suite::generated_secret(ctx.key, &fa.client_id);
                        out.generated_secrets.push((fa.client_id.clone(), s.clone()));
                        s
                    }
                    None => {
                        let s = Secret::generate("", rng);
                        out.generated_secrets.push((fa.client_id.clone(), s.clone()));
                        s
                    }
                };
                let app = App {
                    client_id: fa.client_id.clone(),
                    name: fa.name.clone(),
                    kind: fa.kind,
                    owner_corp_id: fa.owner_corp_id.clone(),
                    secret_hash: ctx.key.hash(&secret),
                    redirect_uris: fa.redirect_uris.clone(),
                    public_client: fa.public_client,
                    resource_server: fa.resource_server.unwrap_or(false),
                    rate_limits: Default::default(),
                };
                out.changes.push(Change::InsertApp(app.clone()));
                out.changes.push(audit(
                    Some(&app.owner_corp_id),
                    AuditAction::AppRegistered,
                    format!("app:{} kind:{}", app.client_id, app.kind.as_str()),
                ));
                // Basic scopes are granted to every app on creation.
                for scope in catalog.values().filter(|s| s.tier == ScopeTier::Basic) {
                    if enabled.insert(scope.code.clone()) {
                        out.changes.push(enable(&app, &scope.code, ctx.now));
                    }
                }
                app
            }
        };
        if let Some(cb) = &fa.ticket_callback {
            plan_ticket_callback(&app, cb, existing.tickets.get(&app.client_id), out)?;
        }
        for code in &fa.enabled_scopes {
            if !catalog.contains_key(code) {
                return Err(DomainError::UnknownScope(code.clone()));
            }
            if enabled.insert(code.clone()) {
                out.changes.push(enable(&app, code, ctx.now));
                out.changes.push(audit(
                    Some(&app.owner_corp_id),
                    AuditAction::PermissionApproved,
                    format!("app:{} scope:{code}", app.client_id),
                ));
            }
        }
        apps.insert(app.client_id.clone(), (app, enabled));
    }
    Ok(apps)
}

fn enable(app: &App, scope: &ScopeCode, now: UnixTime) -> Change {
    Change::PutPermission(PermissionRequest {
        client_id: app.client_id.clone(),
        scope: scope.clone(),
        status: PermissionStatus::Enabled,
        description: "enabled by fixture".into(),
        reason: None,
        updated_at: now,
    })
}

#[allow(clippy::too_many_arguments)]
fn plan_installations(
    fixture: &Fixture,
    existing: &Existing,
    apps: &HashMap<ClientId, (App, HashSet<ScopeCode>)>,
    orgs: &HashMap<CorpId, Org>,
    members: &HashMap<(CorpId, UserId), Member>,
    catalog: &HashMap<ScopeCode, Scope>,
    ctx: &PlanContext<'_>,
    out: &mut Plan,
) -> Result<(), DomainError> {
    let lookup_app = |id: &ClientId| -> Result<(App, HashSet<ScopeCode>), DomainError> {
        match apps.get(id) {
            Some(a) => Ok(a.clone()),
            None => existing
                .apps
                .get(id)
                .map(|a| (a.clone(), existing.enabled.get(id).cloned().unwrap_or_default()))
                .ok_or_else(|| DomainError::UnknownApp(id.clone())),
        }
    };
    let mut installed = existing.installations.clone();
    let mut wanted: Vec<(ClientId, CorpId, &[ScopeCode], Option<&UserId>)> = fixture
        .apps
        .iter()
        .filter(|a| a.kind == AppKind::Internal)
        .map(|a| (a.client_id.clone(), a.owner_corp_id.clone(), &[][..], None))
        .collect();
    wanted.extend(
        fixture.installations.iter().map(|i| {
            (i.client_id.clone(), i.corp_id.clone(), i.authorized_scopes.as_slice(), i.authorized_by.as_ref())
        }),
    );
    for (client_id, corp_id, authorized, by) in wanted {
        let (app, enabled) = lookup_app(&client_id)?;
        if !orgs.contains_key(&corp_id) {
            return Err(DomainError::UnknownOrg(corp_id));
        }
        match app.kind {
            AppKind::Internal if app.owner_corp_id != corp_id => {
                return Err(conflict(format!(
                    "internal app {client_id} can only be installed in its own org {}",
                    app.owner_corp_id
                )));
            }
            AppKind::ThirdPartyPersonal => {
                return Err(DomainError::WrongAppKind { kind: "third_party_personal" });
            }
            _ => {}
        }
        if installed.insert((client_id.clone(), corp_id.clone())) {
            out.changes.push(Change::InsertInstallation(Installation {
                client_id: client_id.clone(),
                corp_id: corp_id.clone(),
                installed_at: ctx.now,
            }));
            out.changes.push(audit(Some(&corp_id), AuditAction::AppInstalled, format!("app:{client_id}")));
        }
        for code in authorized {
            let scope = catalog.get(code).ok_or_else(|| DomainError::UnknownScope(code.clone()))?;
            if !enabled.contains(code) {
                return Err(DomainError::ScopeNotEnabled { client_id: client_id.clone(), scope: code.clone() });
            }
            let by = by.ok_or_else(|| DomainError::InvalidField {
                field: "authorized_by",
                reason: format!("authorizing {code} for {client_id} in {corp_id} needs authorized_by"),
            })?;
            let member = members
                .get(&(corp_id.clone(), by.clone()))
                .ok_or_else(|| DomainError::NotAMember { corp_id: corp_id.clone(), user_id: by.clone() })?;
            check_authorizer(scope, member)?;
            if existing.grants.contains(&(client_id.clone(), corp_id.clone(), code.clone())) {
                continue;
            }
            out.changes.push(Change::InsertOrgGrant(OrgGrant {
                client_id: client_id.clone(),
                corp_id: corp_id.clone(),
                scope: code.clone(),
                granted_by: by.clone(),
                granted_at: ctx.now,
            }));
            out.changes.push(Change::Audit(AuditDraft {
                corp_id: Some(corp_id.clone()),
                actor: format!("member:{corp_id}/{by}"),
                action: AuditAction::ScopeAuthorized,
                target: format!("app:{client_id} scope:{code}"),
                detail: "Accept the app's request for permissions (fixture)".into(),
            }));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
