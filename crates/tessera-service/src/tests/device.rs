//! The device flow's user side: starting, finding the request by its user code, deciding
//! it once, and its expiry on the fake clock.

use tessera_core::device::DeviceDecisionError;

use super::*;
use crate::device::{DeviceClientAuth, DeviceVerifyError};

#[tokio::test]
async fn a_request_is_decided_once_and_unknown_after_its_expiry() {
    let s = service().await;
    let bob = UnionId::parse("bob-union").unwrap();
    let start = s
        .service
        .start_device("dingcli", None, Some("Contact.User.Read"), "10.0.0.1", DeviceClientAuth::Required)
        .await
        .unwrap();
    assert_eq!(start.user_code.len(), 9, "XXXX-XXXX: {}", start.user_code);
    let pending = s.service.pending_device(&start.user_code, "10.0.0.1").await.unwrap();
    assert_eq!(pending.app.client_id, client("dingcli"));

    s.service.decide_device(&bob, &start.user_code, false, "10.0.0.1").await.unwrap();
    let again = s.service.decide_device(&bob, &start.user_code, true, "10.0.0.1").await.unwrap_err();
    assert!(matches!(again, DeviceVerifyError::Decision(DeviceDecisionError::AlreadyDecided)), "{again:?}");

    let later = s
        .service
        .start_device("dingcli", None, Some("Contact.User.Read"), "10.0.0.1", DeviceClientAuth::Required)
        .await
        .unwrap();
    s.clock.advance(start.expires_in + 1);
    let expired = s.service.decide_device(&bob, &later.user_code, true, "10.0.0.1").await.unwrap_err();
    assert!(
        matches!(expired, DeviceVerifyError::UnknownCode | DeviceVerifyError::Decision(_)),
        "an expired request cannot be approved: {expired:?}"
    );
    assert!(s.service.authorized_apps(&bob).await.unwrap().is_empty(), "nothing was consented");
}

#[tokio::test]
async fn a_confidential_client_must_authenticate_and_a_member_of_another_org_is_refused() {
    let s = service().await;
    let refused = s
        .service
        .start_device("dingdemoapp", None, Some("Contact.User.Read"), "10.0.0.2", DeviceClientAuth::Required)
        .await;
    assert!(refused.is_err(), "a confidential client without its secret");
    let start = s
        .service
        .start_device("dingcli", None, Some("Contact.User.Read"), "10.0.0.2", DeviceClientAuth::Required)
        .await
        .unwrap();
    // Carol is a member of Other Corp only; dingcli is Demo Corp's internal app.
    let carol = UnionId::parse("carol-union").unwrap();
    let no = s.service.decide_device(&carol, &start.user_code, true, "10.0.0.2").await.unwrap_err();
    assert!(matches!(no, DeviceVerifyError::NotAllowed(_)), "{no:?}");
}
