//! The org admin's authorization flow for an app's sensitive scopes: only the holder of
//! each scope's eligible role approves, and approving grants in the org and issues a code.

use super::*;
use crate::admin_consent::{AdminConsentError, AdminConsentParams};

const MANAGE: &str = "qyapi_manage_addresslist";

fn params(redirect_uri: &str) -> AdminConsentParams {
    AdminConsentParams {
        corp_id: "dingdemo".into(),
        client_id: Some("suitedemo".into()),
        redirect_uri: Some(redirect_uri.into()),
        state: Some("s1".into()),
        scope: Some(MANAGE.into()),
    }
}

#[tokio::test]
async fn only_the_eligible_role_approves_and_approving_grants_the_scope_in_the_org() {
    let s = service().await;
    let (app, demo) = (client("suitedemo"), corp("dingdemo"));
    let req = s.service.validate_admin_consent(&params("http://127.0.0.1:8902/callback")).await.unwrap();
    assert!(!s.service.standing(&app, &demo).await.unwrap().org_granted.contains(&scope(MANAGE)));

    // Bob is an org admin without contacts_admin: the page says he may not, and approving fails.
    let bob = UnionId::parse("bob-union").unwrap();
    let prompt = s.service.admin_consent_prompt(&bob, &req).await.unwrap();
    assert!(!prompt.may_approve());
    assert_eq!(prompt.lines[0].holders, ["Alice"], "the page names who may authorize");
    let refused = s.service.approve_admin_consent(&bob, &req).await.unwrap_err();
    assert!(matches!(refused, AdminConsentError::Forbidden { code: 500407, .. }), "{refused:?}");
    assert!(!s.service.standing(&app, &demo).await.unwrap().org_granted.contains(&scope(MANAGE)), "nothing granted");

    let alice = UnionId::parse("alice-union").unwrap();
    assert!(s.service.admin_consent_prompt(&alice, &req).await.unwrap().may_approve());
    let code = s.service.approve_admin_consent(&alice, &req).await.unwrap();
    assert!(code.expose().len() > 16);
    assert!(s.service.standing(&app, &demo).await.unwrap().org_granted.contains(&scope(MANAGE)));
}

#[tokio::test]
async fn a_redirect_uri_the_app_did_not_register_is_refused_before_anything_else() {
    let s = service().await;
    let bad = s.service.validate_admin_consent(&params("https://evil.example/callback")).await.unwrap_err();
    assert!(matches!(bad, AdminConsentError::Page { .. }), "never redirected to an unregistered URI: {bad:?}");
}
