//! Registering an app from the console or the management API: the checks on its name and
//! redirect URIs, the changes that create it (basic scopes, and for an internal app its
//! installation in its own org), and the overlap rule of secret rotation. Pure: the caller
//! brings the generated id and the hash of the generated secret.

use std::collections::HashMap;

use crate::app::{App, AppKind, validate_redirect_uri};
use crate::audit::{AuditAction, AuditDraft};
use crate::change::Change;
use crate::error::DomainError;
use crate::ids::{ClientId, CorpId, ScopeCode};
use crate::installation::Installation;
use crate::permission::{PermissionRequest, PermissionStatus};
use crate::scope::{Scope, ScopeTier};
use crate::secret::SecretHash;
use crate::time::UnixTime;

/// Longest app name, in characters.
pub const MAX_APP_NAME_CHARS: usize = 100;
/// Most redirect URIs an app may register.
pub const MAX_REDIRECT_URIS: usize = 10;
/// Longest overlap during which a rotated-out secret still works: 7 days.
pub const MAX_SECRET_OVERLAP: i64 = 7 * 24 * 3600;

/// A trimmed app name of 1 to [`MAX_APP_NAME_CHARS`] characters without control characters.
pub fn app_name(name: &str) -> Result<String, DomainError> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_APP_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(DomainError::InvalidField {
            field: "name",
            reason: format!("an app's name is 1 to {MAX_APP_NAME_CHARS} characters, without line breaks"),
        });
    }
    Ok(name.to_owned())
}

/// Redirect URIs from a list (blank entries dropped, duplicates removed, order kept).
pub fn redirect_uris<S: AsRef<str>>(uris: &[S]) -> Result<Vec<String>, DomainError> {
    let mut out: Vec<String> = Vec::new();
    for uri in uris.iter().map(|u| u.as_ref().trim()).filter(|u| !u.is_empty()) {
        validate_redirect_uri(uri)?;
        if !out.iter().any(|u| u == uri) {
            out.push(uri.to_owned());
        }
    }
    if out.len() > MAX_REDIRECT_URIS {
        return Err(DomainError::InvalidField {
            field: "redirect_uris",
            reason: format!("at most {MAX_REDIRECT_URIS} redirect URIs"),
        });
    }
    Ok(out)
}

/// The overlap of a secret rotation, 0 to [`MAX_SECRET_OVERLAP`] seconds.
pub fn secret_overlap(seconds: i64) -> Result<i64, DomainError> {
    if (0..=MAX_SECRET_OVERLAP).contains(&seconds) {
        Ok(seconds)
    } else {
        Err(DomainError::InvalidField {
            field: "overlap_seconds",
            reason: format!("the previous secret may stay valid for 0 to {MAX_SECRET_OVERLAP} seconds (7 days)"),
        })
    }
}

/// What a new app is.
#[derive(Debug, Clone)]
pub struct NewApp {
    pub client_id: ClientId,
    pub name: String,
    pub kind: AppKind,
    pub owner_corp_id: CorpId,
    pub secret_hash: SecretHash,
    pub redirect_uris: Vec<String>,
}

/// The changes that register `new`: the app, its audit event, the basic scopes every app
/// gets on creation, and for an internal app its installation in its own org.
pub fn register(
    new: NewApp,
    catalog: &HashMap<ScopeCode, Scope>,
    actor: String,
    now: UnixTime,
) -> Result<(App, Vec<Change>), DomainError> {
    let app = App {
        client_id: new.client_id,
        name: app_name(&new.name)?,
        kind: new.kind,
        owner_corp_id: new.owner_corp_id,
        secret_hash: new.secret_hash,
        redirect_uris: redirect_uris(&new.redirect_uris)?,
        public_client: false,
        resource_server: false,
        rate_limits: Default::default(),
    };
    let mut changes = vec![
        Change::InsertApp(app.clone()),
        Change::Audit(AuditDraft {
            corp_id: Some(app.owner_corp_id.clone()),
            actor: actor.clone(),
            action: AuditAction::AppRegistered,
            target: format!("app:{} kind:{}", app.client_id, app.kind.as_str()),
            detail: String::new(),
        }),
    ];
    let mut basics: Vec<&Scope> = catalog.values().filter(|s| s.tier == ScopeTier::Basic).collect();
    basics.sort_by(|a, b| a.code.cmp(&b.code));
    changes.extend(basics.into_iter().map(|s| {
        Change::PutPermission(PermissionRequest {
            client_id: app.client_id.clone(),
            scope: s.code.clone(),
            status: PermissionStatus::Enabled,
            description: "basic: every app has it from creation".into(),
            reason: None,
            updated_at: now,
        })
    }));
    if app.kind == AppKind::Internal {
        changes.push(Change::InsertInstallation(Installation {
            client_id: app.client_id.clone(),
            corp_id: app.owner_corp_id.clone(),
            installed_at: now,
        }));
        changes.push(Change::Audit(AuditDraft {
            corp_id: Some(app.owner_corp_id.clone()),
            actor,
            action: AuditAction::AppInstalled,
            target: format!("app:{}", app.client_id),
            detail: "internal apps are activated in their own org".into(),
        }));
    }
    Ok((app, changes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::builtin_scopes;
    use crate::secret::{Secret, SecretKey};

    fn builtin() -> HashMap<ScopeCode, Scope> {
        builtin_scopes().into_iter().map(|s| (s.code.clone(), s)).collect()
    }

    fn new_app(kind: AppKind, name: &str, uris: &[&str]) -> NewApp {
        NewApp {
            client_id: ClientId::parse("dingnew").unwrap(),
            name: name.into(),
            kind,
            owner_corp_id: CorpId::parse("dingdemo").unwrap(),
            secret_hash: SecretKey::from_bytes([1; 32]).hash(&Secret::new("s")),
            redirect_uris: uris.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn a_new_internal_app_gets_the_basic_scopes_and_is_activated_in_its_own_org() {
        let catalog = builtin();
        let (app, changes) = register(
            new_app(AppKind::Internal, "  HR bot ", &[]),
            &catalog,
            "member:dingdemo/alice".into(),
            UnixTime(5),
        )
        .unwrap();
        assert_eq!(app.name, "HR bot");
        let basics = catalog.values().filter(|s| s.tier == ScopeTier::Basic).count();
        assert!(basics > 0);
        let enabled = changes
            .iter()
            .filter(|c| matches!(c, Change::PutPermission(p) if p.status == PermissionStatus::Enabled))
            .count();
        assert_eq!(enabled, basics);
        assert!(changes.iter().any(|c| matches!(c, Change::InsertInstallation(i) if i.corp_id.as_str() == "dingdemo")));
    }

    #[test]
    fn a_third_party_app_is_not_activated_anywhere_by_registering() {
        let (_, changes) =
            register(new_app(AppKind::ThirdPartyEnterprise, "ISV", &[]), &builtin(), "x".into(), UnixTime(5)).unwrap();
        assert!(!changes.iter().any(|c| matches!(c, Change::InsertInstallation(_))));
    }

    #[test]
    fn names_and_redirect_uris_are_checked() {
        assert!(app_name("").is_err());
        assert!(app_name("a\nb").is_err());
        assert!(app_name(&"x".repeat(MAX_APP_NAME_CHARS + 1)).is_err());
        assert_eq!(app_name(&"é".repeat(MAX_APP_NAME_CHARS)).unwrap().chars().count(), MAX_APP_NAME_CHARS);
        assert_eq!(
            redirect_uris(&["https://a.example/cb", "", "https://a.example/cb"]).unwrap(),
            vec!["https://a.example/cb".to_string()]
        );
        assert!(redirect_uris(&["javascript:alert(1)"]).is_err());
        let many: Vec<String> = (0..=MAX_REDIRECT_URIS).map(|i| format!("https://a.example/{i}")).collect();
        assert!(redirect_uris(&many).is_err());
    }

    #[test]
    fn the_overlap_is_bounded() {
        assert_eq!(secret_overlap(0).unwrap(), 0);
        assert_eq!(secret_overlap(MAX_SECRET_OVERLAP).unwrap(), MAX_SECRET_OVERLAP);
        assert!(secret_overlap(-1).is_err());
        assert!(secret_overlap(MAX_SECRET_OVERLAP + 1).is_err());
    }
}
