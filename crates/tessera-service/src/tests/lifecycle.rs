//! The permission lifecycle and the management rules: who may request, review, activate,
//! authorize and recall, and what each step changes.

use tessera_core::DomainError;
use tessera_core::permission::PermissionStatus;
use tessera_core::token::TokenKind;

use super::*;
use crate::management::ManageError;

const MANAGE: &str = "qyapi_manage_addresslist";

fn domain(e: ManageError) -> DomainError {
    match e {
        ManageError::Domain(d) => d,
        other => panic!("expected a domain refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_special_scope_goes_to_review_and_only_an_operator_decides_it() {
    let s = service().await;
    let (app, code) = (client("dingbasic"), scope("hr.attendance.read"));
    let alice = person("alice-union");
    let requested = s.service.request_permission(&alice, &app, &code, "attendance for payroll").await.unwrap();
    assert_eq!(requested.status, PermissionStatus::PendingReview);
    let queue = s.service.review_queue(&Actor::Operator).await.unwrap();
    assert!(queue.iter().any(|p| p.client_id == app && p.scope == code));

    // Bob is an org admin but not a platform operator; Erin holds no role at all.
    assert!(s.service.review_queue(&person("bob-union")).await.is_err());
    let refused = s.service.review_permission(&person("bob-union"), &app, &code, true, None).await.unwrap_err();
    assert!(matches!(domain(refused), DomainError::NotAllowed(_)));
    let erin = s.service.request_permission(&person("erin-union"), &app, &code, "x").await.unwrap_err();
    assert!(matches!(domain(erin), DomainError::DeveloperRequired { .. }));

    s.clock.advance(60);
    let declined = s.service.review_permission(&Actor::Operator, &app, &code, false, Some("not needed")).await.unwrap();
    assert_eq!((declined.status, declined.reason.as_deref()), (PermissionStatus::ReviewFailed, Some("not needed")));
    assert_eq!(declined.updated_at, UnixTime(T0 + 60));
    // Resubmitted, then approved: the scope is enabled and an app token passes with it.
    s.service.request_permission(&alice, &app, &code, "attendance, for the payroll run").await.unwrap();
    let approved = s.service.review_permission(&Actor::Operator, &app, &code, true, None).await.unwrap();
    assert_eq!(approved.status, PermissionStatus::Enabled);
    let basic = token(&s, TokenKind::App, "dingbasic", Some("dingdemo"), None, 7200).await;
    assert!(s.service.check_access(&basic, &[code], &[TokenKind::App]).await.is_ok());
}

#[tokio::test]
async fn a_standard_scope_is_enabled_at_once_and_an_org_scope_needs_a_verified_org() {
    let s = service().await;
    let alice = person("alice-union");
    let r = s.service.request_permission(&alice, &client("dingbasic"), &scope("qyapi_get_member"), "").await.unwrap();
    assert_eq!(r.status, PermissionStatus::Enabled);
    // suitedemo belongs to Other Corp, which is not verified; Carol administers it.
    let carol = person("carol-union");
    let payroll = s.service.request_permission(&carol, &client("suitedemo"), &scope("hr.payroll.read"), "pay").await;
    assert!(payroll.is_err(), "hr.payroll.read requires a verified org: {payroll:?}");
    // Alice is not a member of Other Corp, so she is no developer of its apps.
    let not_member = s.service.request_permission(&alice, &client("suitedemo"), &scope("qyapi_get_member"), "").await;
    assert!(matches!(domain(not_member.unwrap_err()), DomainError::NotAllowed(_)));
}

#[tokio::test]
async fn only_the_holder_of_the_eligible_role_authorizes_and_recalls_a_sensitive_scope() {
    let s = service().await;
    let (demo, app, code) = (corp("dingdemo"), client("dingdemoapp"), scope(MANAGE));
    // Bob is an org admin, but the scope's eligible role is contacts_admin.
    let bob = s.service.set_grant(&person("bob-union"), &demo, &app, &code, false).await.unwrap_err();
    assert!(matches!(domain(bob), DomainError::RoleRequired { .. }));
    let operator = s.service.set_grant(&Actor::Operator, &demo, &app, &code, false).await.unwrap_err();
    assert!(matches!(domain(operator), DomainError::NotAllowed(_)));
    assert!(s.service.standing(&app, &demo).await.unwrap().org_granted.contains(&code), "still granted");

    let alice = person("alice-union");
    s.service.set_grant(&alice, &demo, &app, &code, false).await.unwrap();
    assert!(!s.service.standing(&app, &demo).await.unwrap().org_granted.contains(&code));
    s.service.set_grant(&alice, &demo, &app, &code, true).await.unwrap();
    assert!(s.service.standing(&app, &demo).await.unwrap().org_granted.contains(&code));
    // A scope the app never enabled cannot be authorized.
    let r = s.service.set_grant(&alice, &demo, &client("dingreadonly"), &code, true).await.unwrap_err();
    assert!(matches!(domain(r), DomainError::ScopeNotEnabled { .. }), "authorized a scope the app lacks");
}

#[tokio::test]
async fn uninstalling_recalls_every_grant_and_only_an_org_admin_activates() {
    let s = service().await;
    let (demo, app) = (corp("dingdemo"), client("dingdemoapp"));
    let token = token(&s, TokenKind::App, "dingdemoapp", Some("dingdemo"), None, 7200).await;
    assert!(s.service.check_access(&token, &[scope(MANAGE)], &[TokenKind::App]).await.is_ok());
    let erin = s.service.uninstall(&person("erin-union"), &demo, &app).await.unwrap_err();
    assert!(matches!(domain(erin), DomainError::NotAllowed(_)));

    s.service.uninstall(&person("bob-union"), &demo, &app).await.unwrap();
    let standing = s.service.standing(&app, &demo).await.unwrap();
    assert!(!standing.installed && standing.org_granted.is_empty(), "{standing:?}");
    assert!(s.service.check_access(&token, &[scope("qyapi_get_member")], &[TokenKind::App]).await.is_err());

    // Reactivated: standard scopes come back, the sensitive one does not.
    s.service.activate(&person("bob-union"), &demo, &app).await.unwrap();
    let standing = s.service.standing(&app, &demo).await.unwrap();
    assert!(standing.installed && !standing.org_granted.contains(&scope(MANAGE)), "{standing:?}");
    assert!(s.service.check_access(&token, &[scope("qyapi_get_member")], &[TokenKind::App]).await.is_ok());
}
