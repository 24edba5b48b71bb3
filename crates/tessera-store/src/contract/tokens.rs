//! Consents, codes, refresh tokens and their families, device authorizations.

use super::*;

pub async fn consents_are_kept_per_user_and_app_and_withdrawn(store: Arc<dyn Database>) {
    store.commit(&everything(), UnixTime(1)).await.unwrap();
    let consent = Consent {
        union_id: user().union_id,
        client_id: app().client_id,
        scopes: [scope_code("Contact.User.Read"), scope_code("doc:readonly")].into_iter().collect(),
        granted_at: UnixTime(5),
    };
    store.commit(&[Change::PutConsent(consent.clone())], UnixTime(5)).await.unwrap();
    assert_eq!(store.consent(&user().union_id, &app().client_id).await.unwrap(), Some(consent.clone()));
    assert_eq!(store.consents_of(&user().union_id).await.unwrap(), vec![consent]);
    store
        .commit(&[Change::DeleteConsent { union_id: user().union_id, client_id: app().client_id }], UnixTime(6))
        .await
        .unwrap();
    assert!(store.consents_of(&user().union_id).await.unwrap().is_empty());
}

pub async fn an_auth_code_is_claimed_once(store: Arc<dyn Database>) {
    store.commit(&everything(), UnixTime(1)).await.unwrap();
    let code = AuthCode {
        hash: token_hash("ac-1"),
        client_id: app().client_id,
        union_id: user().union_id,
        corp_id: Some(corp()),
        redirect_uri: "https://app.example/cb".into(),
        scopes: vec![scope_code("openid")],
        code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
        expires_at: UnixTime(301),
        family_id: "fam-code".into(),
        purpose: CodePurpose::AdminConsent,
        nonce: None,
        auth_time: None,
        resources: Vec::new(),
    };
    store.commit(&[Change::InsertAuthCode(code.clone())], UnixTime(1)).await.unwrap();
    // Reading a code (to check an exchange before claiming it) does not consume it.
    assert_eq!(store.auth_code(&token_hash("ac-1")).await.unwrap(), Some((code.clone(), true)));
    assert_eq!(store.auth_code(&token_hash("ac-1")).await.unwrap(), Some((code.clone(), true)));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move { store.claim_auth_code(&token_hash("ac-1"), UnixTime(2)).await.unwrap() }));
    }
    let mut claimed = 0;
    for t in tasks {
        match t.await.unwrap() {
            Claim::Claimed(c) => {
                assert_eq!(c, code);
                claimed += 1;
            }
            Claim::Replayed(c) => assert_eq!(c.family_id, "fam-code"),
            Claim::Unknown => panic!("the code exists"),
        }
    }
    assert_eq!(claimed, 1);
    assert_eq!(store.auth_code(&token_hash("ac-1")).await.unwrap(), Some((code, false)));
    assert_eq!(store.claim_auth_code(&token_hash("ac-2"), UnixTime(2)).await.unwrap(), Claim::Unknown);
    assert_eq!(store.auth_code(&token_hash("ac-2")).await.unwrap(), None);
}

/// RFC 8707: the resources an authorization request named are stored with its code and
/// read back the same, unused and once claimed; a code without any reads back empty.
pub async fn an_auth_code_keeps_the_resources_it_was_issued_for(store: Arc<dyn Database>) {
    store.commit(&everything(), UnixTime(1)).await.unwrap();
    let resources = vec!["https://api.example.com/contacts".to_owned(), "https://files.example.com/".to_owned()];
    let code = AuthCode {
        hash: token_hash("ac-res"),
        client_id: app().client_id,
        union_id: user().union_id,
        corp_id: None,
        redirect_uri: "https://app.example/cb".into(),
        scopes: vec![scope_code("openid")],
        code_challenge: None,
        expires_at: UnixTime(301),
        family_id: "fam-res".into(),
        purpose: CodePurpose::User,
        nonce: Some("n-1".into()),
        auth_time: Some(UnixTime(1)),
        resources: resources.clone(),
    };
    let plain =
        AuthCode { hash: token_hash("ac-plain"), family_id: "fam-plain".into(), resources: Vec::new(), ..code.clone() };
    store
        .commit(&[Change::InsertAuthCode(code.clone()), Change::InsertAuthCode(plain.clone())], UnixTime(1))
        .await
        .unwrap();
    let (read, unused) = store.auth_code(&token_hash("ac-res")).await.unwrap().unwrap();
    assert!(unused);
    assert_eq!(read.resources, resources);
    assert_eq!(read, code);
    assert_eq!(store.claim_auth_code(&token_hash("ac-res"), UnixTime(2)).await.unwrap(), Claim::Claimed(code.clone()));
    assert_eq!(store.auth_code(&token_hash("ac-res")).await.unwrap(), Some((code, false)));
    assert_eq!(store.auth_code(&token_hash("ac-plain")).await.unwrap(), Some((plain, true)));
}

pub async fn concurrent_refresh_claims_have_exactly_one_winner(store: Arc<dyn Database>) {
    store.commit(&everything(), UnixTime(1)).await.unwrap();
    store.commit(&[family("fam-r"), Change::InsertRefreshToken(refresh("r-1", "fam-r"))], UnixTime(1)).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let store = store.clone();
        tasks.push(tokio::spawn(
            async move { store.claim_refresh_token(&token_hash("r-1"), UnixTime(2)).await.unwrap() },
        ));
    }
    let mut outcomes = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Claim::Claimed(_) => outcomes.0 += 1,
            Claim::Replayed(_) => outcomes.1 += 1,
            Claim::Unknown => panic!("the token exists"),
        }
    }
    assert_eq!(outcomes, (1, 15));
    let (_, usable) = store.refresh_token(&token_hash("r-1")).await.unwrap().unwrap();
    assert_eq!(store.refresh_token_used(&token_hash("r-1")).await.unwrap(), Some(true));
    assert!(!usable);
}

/// Claims as changes of a commit: of concurrent commits claiming one refresh token exactly
/// one is applied (with its new tokens), the others are conflicts that wrote nothing; a
/// token of a revoked family and a used code cannot be claimed either.
pub async fn claims_in_commits_have_exactly_one_winner(store: Arc<dyn Database>) {
    store.commit(&everything(), UnixTime(1)).await.unwrap();
    store
        .commit(
            &[
                family("fam-c"),
                family("fam-x"),
                Change::InsertRefreshToken(refresh("rc-1", "fam-c")),
                Change::InsertRefreshToken(refresh("rc-x", "fam-x")),
            ],
            UnixTime(1),
        )
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..16 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let changes = [
                Change::ClaimRefreshToken { hash: token_hash("rc-1") },
                Change::InsertToken(user_token(&format!("uc-{i}"), "fam-c")),
            ];
            (i, store.commit(&changes, UnixTime(2)).await)
        }));
    }
    let mut winners = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            (i, Ok(())) => winners.push(i),
            (_, Err(e)) => assert!(matches!(e, StoreError::Conflict(_)), "{e}"),
        }
    }
    assert_eq!(winners.len(), 1);
    for i in 0..16 {
        let stored = store.token(&token_hash(&format!("uc-{i}"))).await.unwrap();
        assert_eq!(stored.is_some(), winners.contains(&i), "only the winner's token is written");
    }
    assert_eq!(store.refresh_token_used(&token_hash("rc-1")).await.unwrap(), Some(true));
    // A revoked family's token: refused, and still unused.
    store.commit(&[Change::RevokeFamily { family_id: "fam-x".into() }], UnixTime(3)).await.unwrap();
    let claim = [Change::ClaimRefreshToken { hash: token_hash("rc-x") }];
    assert!(matches!(store.commit(&claim, UnixTime(4)).await, Err(StoreError::Conflict(_))));
    assert_eq!(store.refresh_token_used(&token_hash("rc-x")).await.unwrap(), Some(false));
    // An unknown code, then a code claimed once.
    let claim = [Change::ClaimAuthCode { hash: token_hash("ac-c") }];
    assert!(matches!(store.commit(&claim, UnixTime(4)).await, Err(StoreError::Conflict(_))));
    let code = AuthCode {
        hash: token_hash("ac-c"),
        client_id: app().client_id,
        union_id: user().union_id,
        corp_id: None,
        redirect_uri: "https://app.example/cb".into(),
        scopes: vec![scope_code("openid")],
        code_challenge: None,
        expires_at: UnixTime(301),
        family_id: "fam-cc".into(),
        purpose: CodePurpose::User,
        nonce: None,
        auth_time: None,
        resources: Vec::new(),
    };
    store.commit(&[Change::InsertAuthCode(code)], UnixTime(4)).await.unwrap();
    store.commit(&claim, UnixTime(5)).await.unwrap();
    assert!(matches!(store.commit(&claim, UnixTime(6)).await, Err(StoreError::Conflict(_))));
    assert!(!store.auth_code(&token_hash("ac-c")).await.unwrap().unwrap().1);
}

pub async fn revoking_a_family_kills_its_access_and_refresh_tokens(store: Arc<dyn Database>) {
    store.commit(&everything(), UnixTime(1)).await.unwrap();
    store
        .commit(
            &[
                family("fam-a"),
                family("fam-b"),
                Change::InsertToken(user_token("u-a", "fam-a")),
                Change::InsertRefreshToken(refresh("r-a", "fam-a")),
                Change::InsertToken(user_token("u-b", "fam-b")),
            ],
            UnixTime(1),
        )
        .await
        .unwrap();
    let a = store.token(&token_hash("u-a")).await.unwrap().unwrap();
    assert!(!a.revoked);
    assert_eq!(a.scopes, vec![scope_code("openid"), scope_code("Contact.User.Read")]);
    assert_eq!(a.family_id.as_deref(), Some("fam-a"));
    store.commit(&[Change::RevokeFamily { family_id: "fam-a".into() }], UnixTime(3)).await.unwrap();
    assert!(store.token(&token_hash("u-a")).await.unwrap().unwrap().revoked);
    assert!(!store.token(&token_hash("u-b")).await.unwrap().unwrap().revoked);
    assert!(matches!(store.claim_refresh_token(&token_hash("r-a"), UnixTime(4)).await.unwrap(), Claim::Replayed(_)));
    // Refused, but never used: a revoked token, not a consumed one.
    assert_eq!(store.refresh_token_used(&token_hash("r-a")).await.unwrap(), Some(false));
    assert_eq!(store.refresh_token_used(&token_hash("r-unknown")).await.unwrap(), None);
    // A token added to a revoked family later is born dead.
    store.commit(&[Change::InsertToken(user_token("u-a2", "fam-a"))], UnixTime(5)).await.unwrap();
    assert!(store.token(&token_hash("u-a2")).await.unwrap().unwrap().revoked);
    // Withdrawing consent revokes every family of (user, app) and drops unexchanged codes.
    let pending = AuthCode {
        hash: token_hash("ac-pending"),
        client_id: app().client_id,
        union_id: user().union_id,
        corp_id: None,
        redirect_uri: "https://app.example/cb".into(),
        scopes: vec![],
        code_challenge: None,
        expires_at: UnixTime(300),
        family_id: "fam-c".into(),
        purpose: CodePurpose::User,
        nonce: None,
        auth_time: None,
        resources: Vec::new(),
    };
    store.commit(&[Change::InsertAuthCode(pending)], UnixTime(5)).await.unwrap();
    store
        .commit(&[Change::RevokeUserTokens { union_id: user().union_id, client_id: app().client_id }], UnixTime(6))
        .await
        .unwrap();
    assert!(store.token(&token_hash("u-b")).await.unwrap().unwrap().revoked);
    assert_eq!(store.claim_auth_code(&token_hash("ac-pending"), UnixTime(7)).await.unwrap(), Claim::Unknown);
    // One access token alone.
    store.commit(&[Change::RevokeToken { hash: token_hash("c-abc") }], UnixTime(7)).await.unwrap();
    assert!(store.token(&token_hash("c-abc")).await.unwrap().unwrap().revoked);
}

pub async fn device_authorizations_are_decided_once_and_consumed_once(store: Arc<dyn Database>) {
    use crate::DeviceLookup;
    use tessera_core::device::{DeviceAuthorization, DeviceStatus};
    store.commit(&everything(), UnixTime(1)).await.unwrap();
    let d = DeviceAuthorization {
        device_hash: token_hash("dc-1"),
        user_code_hash: token_hash("BCDFGHJK"),
        client_id: app().client_id,
        scopes: vec![scope_code("doc:readonly"), scope_code("offline_access")],
        status: DeviceStatus::Pending,
        union_id: None,
        corp_id: None,
        created_at: UnixTime(10),
        expires_at: UnixTime(610),
        interval: 5,
        last_polled_at: None,
        nonce: Some("n-0S6_WzA2Mj".into()),
        auth_time: None,
    };
    store.commit(&[Change::InsertDeviceAuthorization(d.clone())], UnixTime(10)).await.unwrap();
    let by_device = DeviceLookup::DeviceCode(token_hash("dc-1"));
    assert_eq!(store.device_authorization(&by_device).await.unwrap(), Some(d.clone()));
    assert_eq!(
        store.device_authorization(&DeviceLookup::UserCode(token_hash("BCDFGHJK"))).await.unwrap(),
        Some(d.clone())
    );
    assert_eq!(store.device_authorization(&DeviceLookup::UserCode(token_hash("XXXXXXXX"))).await.unwrap(), None);
    // A second authorization with the same user code is refused.
    let mut dup = d.clone();
    dup.device_hash = token_hash("dc-2");
    assert!(matches!(
        store.commit(&[Change::InsertDeviceAuthorization(dup)], UnixTime(10)).await,
        Err(StoreError::Conflict(_))
    ));

    let polled = Change::DevicePolled { device_hash: d.device_hash, polled_at: UnixTime(12), interval: 10 };
    store.commit(&[polled], UnixTime(12)).await.unwrap();
    // Consuming before approval is a conflict.
    assert!(matches!(
        store.commit(&[Change::ConsumeDevice { device_hash: d.device_hash }], UnixTime(13)).await,
        Err(StoreError::Conflict(_))
    ));
    let decide = |approved| Change::DecideDevice {
        device_hash: d.device_hash,
        approved,
        union_id: user().union_id,
        corp_id: Some(corp()),
        decided_at: UnixTime(14),
    };
    store.commit(&[decide(true)], UnixTime(14)).await.unwrap();
    assert!(matches!(store.commit(&[decide(false)], UnixTime(15)).await, Err(StoreError::Conflict(_))));
    let got = store.device_authorization(&by_device).await.unwrap().unwrap();
    assert_eq!(got.status, DeviceStatus::Approved);
    assert_eq!(got.union_id, Some(user().union_id));
    assert_eq!(got.corp_id, Some(corp()));
    assert_eq!((got.interval, got.last_polled_at), (10, Some(UnixTime(12))));
    assert_eq!((got.nonce.as_deref(), got.auth_time), (Some("n-0S6_WzA2Mj"), Some(UnixTime(14))));

    // Concurrent consumers: exactly one transaction wins (with its token), the others roll back.
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let token = Change::InsertToken(AccessToken {
                hash: token_hash(&format!("u-device-{i}")),
                kind: TokenKind::User,
                client_id: app().client_id,
                corp_id: Some(corp()),
                union_id: Some(user().union_id),
                issued_at: UnixTime(16),
                expires_at: UnixTime(7216),
                revoked: false,
                scopes: vec![],
                family_id: None,
            });
            let changes = [Change::ConsumeDevice { device_hash: token_hash("dc-1") }, token];
            (i, store.commit(&changes, UnixTime(16)).await.is_ok())
        }));
    }
    let mut winners = Vec::new();
    for t in tasks {
        let (i, ok) = t.await.unwrap();
        if ok {
            winners.push(i);
        }
    }
    assert_eq!(winners.len(), 1);
    for i in 0..8 {
        let stored = store.token(&token_hash(&format!("u-device-{i}"))).await.unwrap();
        assert_eq!(stored.is_some(), winners.contains(&i), "only the winner's token is written");
    }
    assert_eq!(store.device_authorization(&by_device).await.unwrap().unwrap().status, DeviceStatus::Consumed);

    // Expired authorizations are purged.
    store.purge_expired(UnixTime(611), UnixTime(0)).await.unwrap();
    assert_eq!(store.device_authorization(&by_device).await.unwrap(), None);
}
