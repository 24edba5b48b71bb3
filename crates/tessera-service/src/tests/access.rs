//! The gateway's question, `check_access`: the decision over a token, its kind, its org's
//! standing, the user's consent, and time.

use tessera_core::decision::DenyReason;
use tessera_core::token::TokenKind;

use super::*;
use crate::AccessError;

const MANAGE: &str = "qyapi_manage_addresslist";

fn missing(e: AccessError) -> Vec<(String, DenyReason)> {
    match e {
        AccessError::Denied { missing, .. } => missing.into_iter().map(|m| (m.scope.to_string(), m.reason)).collect(),
        other => panic!("expected a denial, got {other:?}"),
    }
}

#[tokio::test]
async fn an_app_token_passes_for_held_scopes_and_is_refused_with_the_reason_for_others() {
    let s = service().await;
    let demo = token(&s, TokenKind::App, "dingdemoapp", Some("dingdemo"), None, 7200).await;
    let principal = s.service.check_access(&demo, &[scope(MANAGE)], &[TokenKind::App]).await.unwrap();
    assert_eq!((principal.client_id, principal.corp_id), (client("dingdemoapp"), Some(corp("dingdemo"))));

    // dingreadonly never enabled the sensitive scope; dingbasic enabled nothing.
    let readonly = token(&s, TokenKind::App, "dingreadonly", Some("dingdemo"), None, 7200).await;
    let why = missing(s.service.check_access(&readonly, &[scope(MANAGE)], &[TokenKind::App]).await.unwrap_err());
    assert_eq!(why, [(MANAGE.to_owned(), DenyReason::AppScopeNotEnabled)]);
    let basic = token(&s, TokenKind::App, "dingbasic", Some("dingdemo"), None, 7200).await;
    let why =
        missing(s.service.check_access(&basic, &[scope("qyapi_get_member")], &[TokenKind::App]).await.unwrap_err());
    assert_eq!(why, [("qyapi_get_member".to_owned(), DenyReason::AppScopeNotEnabled)]);
}

#[tokio::test]
async fn a_token_dies_at_its_expiry_and_a_route_refuses_kinds_it_does_not_take() {
    let s = service().await;
    let demo = token(&s, TokenKind::App, "dingdemoapp", Some("dingdemo"), None, 100).await;
    s.clock.advance(99);
    assert!(s.service.check_access(&demo, &[], &[TokenKind::App]).await.is_ok());
    let wrong_kind = s.service.check_access(&demo, &[], &[TokenKind::User]).await.unwrap_err();
    assert!(matches!(wrong_kind, AccessError::WrongTokenKind { kind: TokenKind::App, .. }), "{wrong_kind:?}");
    s.clock.advance(1);
    let expired = s.service.check_access(&demo, &[], &[TokenKind::App]).await.unwrap_err();
    assert!(matches!(expired, AccessError::InvalidToken), "{expired:?}");
    let unknown = s.service.check_access("t-never-issued", &[], &[TokenKind::App]).await.unwrap_err();
    assert!(matches!(unknown, AccessError::InvalidToken), "{unknown:?}");
}

#[tokio::test]
async fn a_user_token_needs_both_the_users_consent_and_the_apps_standing() {
    let s = service().await;
    let consented = ["Contact.User.Read"];
    let user = token(&s, TokenKind::User, "dingdemoapp", Some("dingdemo"), Some(("bob-union", &consented)), 7200).await;
    assert!(s.service.check_access(&user, &[scope("Contact.User.Read")], &[TokenKind::User]).await.is_ok());
    // The app holds doc:readonly, but the user never consented to it for this token.
    let why = missing(s.service.check_access(&user, &[scope("doc:readonly")], &[TokenKind::User]).await.unwrap_err());
    assert_eq!(why, [("doc:readonly".to_owned(), DenyReason::UserNotConsented)]);
}

#[tokio::test]
async fn a_recall_is_refused_on_the_next_check_and_an_authorization_allowed_on_the_next() {
    let s = service().await;
    let demo = token(&s, TokenKind::App, "dingdemoapp", Some("dingdemo"), None, 7200).await;
    let need = [scope(MANAGE)];
    let check = || s.service.check_access(&demo, &need, &[TokenKind::App]);
    assert!(check().await.is_ok(), "cached as allowed");
    let alice = person("alice-union");
    s.service.set_grant(&alice, &corp("dingdemo"), &client("dingdemoapp"), &scope(MANAGE), false).await.unwrap();
    let why = missing(check().await.unwrap_err());
    assert_eq!(why, [(MANAGE.to_owned(), DenyReason::OrgNotAuthorized)]);
    s.service.set_grant(&alice, &corp("dingdemo"), &client("dingdemoapp"), &scope(MANAGE), true).await.unwrap();
    assert!(check().await.is_ok());
}
