//! A user's consents: what the device flow's approval records, and withdrawing it.

use tessera_core::token::TokenKind;

use super::*;
use crate::device::DeviceClientAuth;

#[tokio::test]
async fn withdrawing_a_consent_ends_the_users_tokens_for_that_app_only() {
    let s = service().await;
    let bob = UnionId::parse("bob-union").unwrap();
    // Bob approves the CLI through the device flow: that records his consent.
    let start = s
        .service
        .start_device("dingcli", None, Some("Contact.User.Read"), "10.0.0.1", DeviceClientAuth::Required)
        .await
        .unwrap();
    s.service.decide_device(&bob, &start.user_code, true, "10.0.0.1").await.unwrap();
    let apps: Vec<String> =
        s.service.authorized_apps(&bob).await.unwrap().iter().map(|(c, _)| c.client_id.to_string()).collect();
    assert_eq!(apps, ["dingcli"]);

    let read = ["Contact.User.Read"];
    let cli = token(&s, TokenKind::User, "dingcli", Some("dingdemo"), Some(("bob-union", &read)), 7200).await;
    let other = token(&s, TokenKind::User, "dingdemoapp", Some("dingdemo"), Some(("bob-union", &read)), 7200).await;
    let live = |t: String| {
        let s = &s.service;
        async move { s.check_access(&t, &[], &[TokenKind::User]).await.is_ok() }
    };
    assert!(live(cli.clone()).await && live(other.clone()).await);

    assert!(s.service.withdraw_consent(&bob, &client("dingcli")).await.unwrap());
    assert!(s.service.authorized_apps(&bob).await.unwrap().is_empty());
    assert!(!live(cli).await, "the withdrawn app's token is dead at once");
    assert!(live(other).await, "another app's token is untouched");
    // Nothing left to withdraw.
    assert!(!s.service.withdraw_consent(&bob, &client("dingcli")).await.unwrap());
}
