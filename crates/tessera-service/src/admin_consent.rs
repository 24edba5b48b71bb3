//! The authorization flow for an app's sensitive scopes in one org (DingTalk's admin consent
//! and unified authorization suite): the app sends a member of the org to
//! `/{corpId}/adminConsent`; a member holding each scope's eligible role approves; the app
//! gets an `authCode` (5 minutes, single use) to exchange for a token that now carries the
//! scopes. Errors use DingTalk's documented numbers: 400009 corpId, 500101 client_id,
//! 400010 redirect_uri, 500407 not an eligible admin, 500408 not a member, 70003 app not
//! activated.

use std::sync::Arc;

use tessera_core::DomainError;
use tessera_core::app::{App, AppKind};
use tessera_core::audit::{AuditAction, AuditDraft};
use tessera_core::change::Change;
use tessera_core::grant::check_authorizer;
use tessera_core::grant_code::{AuthCode, CODE_TTL, CodePurpose};
use tessera_core::ids::{ClientId, CorpId, ScopeCode, UnionId};
use tessera_core::member::Member;
use tessera_core::org::Org;
use tessera_core::scope::{Scope, ScopeTier};
use tessera_core::secret::{Secret, token_hash};
use tessera_store::StoreError;

use crate::Tessera;
use crate::management::{Actor, ManageError};

/// The query of `/{corpId}/adminConsent`.
#[derive(Debug, Clone, Default)]
pub struct AdminConsentParams {
    pub corp_id: String,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub state: Option<String>,
    /// Scopes to authorize, separated by commas or spaces; all the app's enabled sensitive
    /// scopes when absent.
    pub scope: Option<String>,
}

/// A request that checked out.
#[derive(Debug, Clone)]
pub struct ValidAdminConsent {
    pub org: Org,
    pub app: Arc<App>,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub scopes: Vec<Scope>,
}

#[derive(Debug, thiserror::Error)]
pub enum AdminConsentError {
    /// Shown on a page: the client or redirect URI cannot be trusted with a redirect.
    #[error("{code}: {message}")]
    Page { code: u32, message: String },
    /// Sent back to the app's redirect URI as `error` (DingTalk's number, or an OAuth code)
    /// and `error_description`.
    #[error("{error}: {description}")]
    Redirect { redirect_uri: String, state: Option<String>, error: String, description: String },
    /// The signed-in person may not approve (shown on the page, with who may).
    #[error("{code}: {message}")]
    Forbidden { code: u32, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One scope on the consent page.
#[derive(Debug, Clone)]
pub struct ConsentLine {
    pub scope: Scope,
    /// Already authorized in the org.
    pub granted: bool,
    /// The signed-in member holds the eligible role over the whole org.
    pub may_authorize: bool,
    /// Names of the members who hold the eligible role over the whole org.
    pub holders: Vec<String>,
}

/// What the consent page shows the signed-in person.
#[derive(Debug, Clone)]
pub struct AdminConsentPrompt {
    pub member: Member,
    pub lines: Vec<ConsentLine>,
}

impl AdminConsentPrompt {
    /// Whether the member may approve: they hold the eligible role of every requested scope,
    /// those already authorized in the org included (the code carries them all).
    pub fn may_approve(&self) -> bool {
        self.lines.iter().all(|l| l.may_authorize)
    }
}

fn scope_list(text: &str) -> Vec<&str> {
    text.split([',', ' ']).filter(|s| !s.is_empty()).collect()
}

impl Tessera {
    /// Checks the request. Unknown clients and unregistered redirect URIs are answered on a
    /// page; everything after that goes back to the app.
    pub async fn validate_admin_consent(&self, p: &AdminConsentParams) -> Result<ValidAdminConsent, AdminConsentError> {
        let page = |code, message: &str| AdminConsentError::Page { code, message: message.to_owned() };
        let client_id = p.client_id.as_deref().ok_or_else(|| page(500101, "client_id is required"))?;
        let app = match ClientId::parse(client_id) {
            Ok(id) => self.app(&id).await?,
            Err(_) => None,
        }
        .ok_or_else(|| page(500101, "no app has this client_id"))?;
        let redirect_uri = p.redirect_uri.clone().ok_or_else(|| page(400010, "redirect_uri is required"))?;
        if !app.redirect_uris.contains(&redirect_uri) {
            return Err(page(400010, "redirect_uri is not registered for this app"));
        }
        let back = |error: &str, description: String| AdminConsentError::Redirect {
            redirect_uri: redirect_uri.clone(),
            state: p.state.clone(),
            error: error.to_owned(),
            description,
        };
        let org = match CorpId::parse(p.corp_id.as_str()) {
            Ok(id) => self.inner.store.org(&id).await?,
            Err(_) => None,
        }
        .ok_or_else(|| back("400009", format!("no org has the corpId {:?}", p.corp_id)))?;
        if app.kind == AppKind::ThirdPartyPersonal {
            return Err(back("500101", "personal apps act for users only; orgs do not authorize them".into()));
        }
        let standing = self.standing(&app.client_id, &org.corp_id).await?;
        if !standing.installed {
            return Err(back("70003", format!("the app is not activated in {}", org.corp_id)));
        }
        let catalog = self.catalog().await?;
        let codes: Vec<ScopeCode> = match &p.scope {
            Some(text) => {
                let mut codes = Vec::new();
                for raw in scope_list(text) {
                    let code = ScopeCode::parse(raw)
                        .map_err(|_| back("invalid_scope", format!("{raw:?} is not a scope code")))?;
                    codes.push(code);
                }
                codes
            }
            None => {
                let mut codes: Vec<ScopeCode> = standing
                    .enabled
                    .iter()
                    .filter(|c| catalog.get(*c).is_some_and(|s| s.tier == ScopeTier::Sensitive))
                    .cloned()
                    .collect();
                codes.sort();
                codes
            }
        };
        if codes.is_empty() {
            return Err(back("invalid_scope", "the app has no sensitive scope enabled to authorize".into()));
        }
        let mut scopes = Vec::new();
        for code in codes {
            let scope = catalog.get(&code).ok_or_else(|| back("invalid_scope", format!("unknown scope {code}")))?;
            if scope.tier != ScopeTier::Sensitive {
                return Err(back(
                    "invalid_scope",
                    format!("{code} is a {} scope: the org grants it when it activates the app", scope.tier.as_str()),
                ));
            }
            if !standing.enabled.contains(&code) {
                return Err(back(
                    "invalid_scope",
                    format!("{code} is not enabled for the app; request it in the developer console first"),
                ));
            }
            if !scopes.iter().any(|s: &Scope| s.code == code) {
                scopes.push(scope.clone());
            }
        }
        Ok(ValidAdminConsent { org, app, redirect_uri, state: p.state.clone(), scopes })
    }

    async fn consenting_member(
        &self,
        union_id: &UnionId,
        req: &ValidAdminConsent,
    ) -> Result<Member, AdminConsentError> {
        self.inner.store.member_by_union(&req.org.corp_id, union_id).await?.ok_or_else(|| {
            AdminConsentError::Forbidden {
                code: 500408,
                message: format!("you are not a member of {}; sign in with an account of that org", req.org.name),
            }
        })
    }

    /// The page's content for the signed-in person.
    pub async fn admin_consent_prompt(
        &self,
        union_id: &UnionId,
        req: &ValidAdminConsent,
    ) -> Result<AdminConsentPrompt, AdminConsentError> {
        let member = self.consenting_member(union_id, req).await?;
        let granted = self.inner.store.org_grants(&req.app.client_id, &req.org.corp_id).await?;
        let members = self.inner.store.members_of(&req.org.corp_id).await?;
        let lines = req
            .scopes
            .iter()
            .map(|scope| {
                let role = scope.eligible_role.as_ref();
                let holds = |m: &Member| role.is_some_and(|r| m.holds_org_wide(r));
                ConsentLine {
                    scope: scope.clone(),
                    granted: granted.iter().any(|g| g.scope == scope.code),
                    may_authorize: holds(&member),
                    holders: members.iter().filter(|m| holds(m)).map(|m| m.name.clone()).collect(),
                }
            })
            .collect();
        Ok(AdminConsentPrompt { member, lines })
    }

    /// Authorizes every scope of the request not yet authorized (each checked like the
    /// workbench does) and issues the authCode, all in one transaction with its audit events.
    pub async fn approve_admin_consent(
        &self,
        union_id: &UnionId,
        req: &ValidAdminConsent,
    ) -> Result<Secret, AdminConsentError> {
        let member = self.consenting_member(union_id, req).await?;
        let actor = Actor::Person(union_id.clone());
        let granted = self.inner.store.org_grants(&req.app.client_id, &req.org.corp_id).await?;
        let mut changes = Vec::new();
        let refused = |e: ManageError, scope: &Scope| match e {
            ManageError::Domain(DomainError::RoleRequired { role, .. }) => AdminConsentError::Forbidden {
                code: 500407,
                message: format!("authorizing {} takes the org-wide role {role}, which you do not hold", scope.code),
            },
            ManageError::Domain(other) => AdminConsentError::Forbidden { code: 500407, message: other.to_string() },
            ManageError::Store(e) => AdminConsentError::Store(e),
        };
        for scope in &req.scopes {
            // The code carries every requested scope, so the approver must hold the eligible
            // role of each, including those another member already authorized.
            check_authorizer(scope, &member).map_err(|e| refused(e.into(), scope))?;
            if granted.iter().any(|g| g.scope == scope.code) {
                continue;
            }
            let grant = self.authorize_changes(&actor, &member, &req.app.client_id, &scope.code).await;
            changes.extend(grant.map_err(|e| refused(e, scope))?);
        }
        let code = Secret::generate(tessera_core::refresh::CODE_PREFIX, &mut rand::rng());
        let now = self.now();
        let codes: Vec<ScopeCode> = req.scopes.iter().map(|s| s.code.clone()).collect();
        let list: Vec<&str> = codes.iter().map(|c| c.as_str()).collect();
        changes.push(Change::InsertAuthCode(AuthCode {
            hash: token_hash(code.expose()),
            client_id: req.app.client_id.clone(),
            union_id: union_id.clone(),
            corp_id: Some(req.org.corp_id.clone()),
            redirect_uri: req.redirect_uri.clone(),
            scopes: codes.clone(),
            code_challenge: None,
            expires_at: now.plus_secs(CODE_TTL),
            family_id: crate::authorize::new_family_id(),
            purpose: CodePurpose::AdminConsent,
            nonce: None,
            auth_time: None,
            resources: Vec::new(),
        }));
        changes.push(Change::Audit(AuditDraft {
            corp_id: Some(req.org.corp_id.clone()),
            actor: actor.label(Some(&member)),
            action: AuditAction::AdminConsentGranted,
            target: format!("app:{}", req.app.client_id),
            detail: format!("authorization flow approved; authCode issued for scopes: {}", list.join(" ")),
        }));
        self.commit_grants(&changes).await.map_err(|e| match e {
            ManageError::Store(e) => AdminConsentError::Store(e),
            ManageError::Domain(d) => AdminConsentError::Forbidden { code: 500407, message: d.to_string() },
        })?;
        Ok(code)
    }
}
