//! Each test is named after the sentence of seed 001 (per-app API permissions) or seed 000
//! (sensitive permissions) whose behaviour it checks.

use super::*;
use crate::catalog::builtin_scopes;
use crate::ids::{ClientId, ScopeCode, UnionId, UserId};
use crate::member::MemberRole;
use crate::scope::ScopeIdentity;
use crate::secret::{Secret, SecretKey};
use crate::time::UnixTime;

fn scope(code: &str) -> Scope {
    builtin_scopes().into_iter().find(|s| s.code.as_str() == code).unwrap()
}

fn special(requires_verified_org: bool) -> Scope {
    Scope {
        code: ScopeCode::parse("hr.special.read").unwrap(),
        description: "Special".into(),
        tier: ScopeTier::Special,
        eligible_role: None,
        open_for_requests: true,
        requires_verified_org,
        identity: ScopeIdentity::Both,
    }
}

fn org(verified: bool) -> Org {
    Org { corp_id: CorpId::parse("dingdemo").unwrap(), name: "Demo".into(), verified }
}

fn req(status: PermissionStatus, reason: Option<&str>) -> PermissionRequest {
    PermissionRequest {
        client_id: ClientId::parse("app").unwrap(),
        scope: ScopeCode::parse("hr.special.read").unwrap(),
        status,
        description: "d".into(),
        reason: reason.map(String::from),
        updated_at: UnixTime(0),
    }
}

fn app(kind: AppKind) -> App {
    App {
        client_id: ClientId::parse("app").unwrap(),
        name: "App".into(),
        kind,
        owner_corp_id: CorpId::parse("dingdemo").unwrap(),
        secret_hash: SecretKey::from_bytes([0; 32]).hash(&Secret::new("s")),
        redirect_uris: vec![],
        public_client: false,
        resource_server: false,
        rate_limits: Default::default(),
    }
}

#[test]
fn seed001_standard_permissions_are_requested_directly_and_enabled() {
    assert_eq!(request_scope(&scope("qyapi_get_member"), &org(true), None, ""), Ok(PermissionStatus::Enabled));
}

#[test]
fn seed001_special_permissions_need_a_request_description_and_manual_approval() {
    let err = request_scope(&special(false), &org(true), None, "  ").unwrap_err();
    assert!(matches!(err, DomainError::InvalidField { field: "description", .. }));
    assert_eq!(request_scope(&special(false), &org(true), None, "we pay people"), Ok(PermissionStatus::PendingReview));
    // Sensitive scopes are reviewed like special ones.
    assert_eq!(
        request_scope(&scope("qyapi_manage_addresslist"), &org(true), None, "sync HR"),
        Ok(PermissionStatus::PendingReview)
    );
}

#[test]
fn seed001_after_approval_the_status_changes_to_enabled() {
    let pending = req(PermissionStatus::PendingReview, None);
    assert_eq!(review(Some(&pending), true, None), Ok((PermissionStatus::Enabled, None)));
}

#[test]
fn seed001_a_declined_request_shows_the_reason_and_can_be_resubmitted() {
    let pending = req(PermissionStatus::PendingReview, None);
    assert!(review(Some(&pending), false, None).is_err(), "a decline needs a reason");
    let (status, reason) = review(Some(&pending), false, Some("say what data you sync")).unwrap();
    assert_eq!((status, reason.as_deref()), (PermissionStatus::ReviewFailed, Some("say what data you sync")));
    let failed = req(PermissionStatus::ReviewFailed, Some("say what data you sync"));
    assert_eq!(
        request_scope(&special(false), &org(true), Some(&failed), "we sync names and titles nightly"),
        Ok(PermissionStatus::PendingReview)
    );
}

#[test]
fn seed001_some_apis_require_organization_authentication_before_they_can_be_requested() {
    let err = request_scope(&special(true), &org(false), None, "why").unwrap_err();
    assert!(matches!(err, DomainError::UnverifiedOrg { .. }), "{err}");
    assert!(request_scope(&special(true), &org(true), None, "why").is_ok());
}

#[test]
fn seed001_basic_permissions_are_granted_on_creation_and_not_requested() {
    assert!(matches!(request_scope(&scope("qyapi_base"), &org(true), None, ""), Err(DomainError::Conflict(_))));
}

#[test]
fn seed000_ai_table_scopes_refuse_new_applications_with_the_catalogue_message() {
    for code in ["Notable.Base.Read", "Notable.Base.Write"] {
        let err = request_scope(&scope(code), &org(true), None, "why").unwrap_err();
        assert!(err.to_string().contains("New applications are temporarily not supported"), "{err}");
    }
}

#[test]
fn double_requests_double_approvals_and_approving_a_declined_request_are_refused() {
    let enabled = req(PermissionStatus::Enabled, None);
    let pending = req(PermissionStatus::PendingReview, None);
    let failed = req(PermissionStatus::ReviewFailed, Some("r"));
    assert!(request_scope(&special(false), &org(true), Some(&enabled), "d").is_err());
    assert!(request_scope(&special(false), &org(true), Some(&pending), "d").is_err());
    assert!(matches!(review(Some(&enabled), true, None), Err(DomainError::Conflict(_))));
    assert!(matches!(review(Some(&failed), true, None), Err(DomainError::Conflict(_))));
    assert!(matches!(review(Some(&failed), false, Some("again")), Err(DomainError::Conflict(_))));
    assert!(matches!(review(None, true, None), Err(DomainError::NotFound(_))));
    // The platform may withdraw an approval, with a reason.
    assert_eq!(review(Some(&enabled), false, Some("abuse")).unwrap().0, PermissionStatus::ReviewFailed);
}

#[test]
fn activation_follows_the_app_kind() {
    let demo = CorpId::parse("dingdemo").unwrap();
    let other = CorpId::parse("dingother").unwrap();
    assert!(check_activation(&app(AppKind::Internal), &demo, false).is_ok());
    assert!(check_activation(&app(AppKind::Internal), &other, false).is_err());
    assert!(check_activation(&app(AppKind::ThirdPartyEnterprise), &other, false).is_ok());
    assert!(check_activation(&app(AppKind::ThirdPartyEnterprise), &other, true).is_err());
    assert!(check_activation(&app(AppKind::ThirdPartyPersonal), &other, false).is_err());
}

#[test]
fn only_org_wide_admins_administer_the_org() {
    let mut m = Member {
        corp_id: CorpId::parse("dingdemo").unwrap(),
        user_id: UserId::parse("bob").unwrap(),
        union_id: UnionId::parse("bob-union").unwrap(),
        name: "Bob".into(),
        title: String::new(),
        roles: vec![MemberRole { role: Role::parse("org_admin").unwrap(), department: Some("sales".into()) }],
    };
    assert!(check_org_admin(&m).unwrap_err().to_string().contains("org_admin"));
    m.roles.push(MemberRole::org_wide(Role::parse("org_admin").unwrap()));
    assert!(check_org_admin(&m).is_ok());
}

#[test]
fn only_org_wide_developers_and_admins_manage_apps() {
    let role = |r: &str| Role::parse(r).unwrap();
    let mut m = Member {
        corp_id: CorpId::parse("dingdemo").unwrap(),
        user_id: UserId::parse("erin").unwrap(),
        union_id: UnionId::parse("erin-union").unwrap(),
        name: "Erin".into(),
        title: String::new(),
        roles: vec![
            MemberRole::org_wide(role("contacts_admin")),
            MemberRole { role: role("developer"), department: Some("sales".into()) },
        ],
    };
    assert!(matches!(check_developer(&m), Err(DomainError::DeveloperRequired { .. })));
    m.roles.push(MemberRole::org_wide(role("developer")));
    assert!(check_developer(&m).is_ok());
    m.roles = vec![MemberRole::org_wide(role("org_admin"))];
    assert!(check_developer(&m).is_ok());
}

#[test]
fn descriptions_and_decline_reasons_are_bounded_in_characters_as_the_openapi_document_says() {
    let (at_limit, over) = ("審".repeat(MAX_TEXT_LEN), "審".repeat(MAX_TEXT_LEN + 1));
    assert_eq!(request_scope(&special(false), &org(true), None, &at_limit), Ok(PermissionStatus::PendingReview));
    assert!(request_scope(&special(false), &org(true), None, &over).is_err());
    let pending = req(PermissionStatus::PendingReview, None);
    assert_eq!(review(Some(&pending), false, Some(&at_limit)).map(|r| r.0), Ok(PermissionStatus::ReviewFailed));
    assert!(review(Some(&pending), false, Some(&over)).is_err());
}
