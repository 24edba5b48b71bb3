//! Deleting what can never be used again.

use super::*;

pub async fn expired_rows_are_purged_and_live_ones_kept(store: Arc<dyn Database>) {
    store.commit(&everything(), UnixTime(1)).await.unwrap();
    let session = |name: &str, exp| Session {
        hash: token_hash(name),
        union_id: user().union_id,
        created_at: UnixTime(1),
        expires_at: UnixTime(exp),
    };
    store
        .commit(
            &[
                family("fam-p"),
                Change::InsertSession(session("old", 100)),
                Change::InsertSession(session("new", 10_000)),
                Change::InsertToken(user_token("u-old", "fam-p")),
                Change::InsertRefreshToken(refresh("r-live", "fam-p")),
            ],
            UnixTime(1),
        )
        .await
        .unwrap();
    // The contract token c-abc expires at 7253 and u-old at 7210; r-live at 99,999.
    let purged = store.purge_expired(UnixTime(8_000), UnixTime(8_000)).await.unwrap();
    assert_eq!(purged.total(), 3);
    assert_eq!((purged.sessions, purged.access_tokens, purged.token_families), (1, 2, 0));
    assert!(store.session(&token_hash("old")).await.unwrap().is_none());
    assert!(store.session(&token_hash("new")).await.unwrap().is_some());
    assert!(store.token(&token_hash("u-old")).await.unwrap().is_none());
    assert!(store.refresh_token(&token_hash("r-live")).await.unwrap().is_some());
}

/// The purge deletes in batches until done (more rows than one batch), drops token families
/// left without tokens, refresh tokens or codes, and keeps consents and revoked grants.
pub async fn purge_deletes_in_batches_and_drops_empty_families(store: Arc<dyn Database>) {
    store.commit(&everything(), UnixTime(1)).await.unwrap();
    let expired = crate::PURGE_BATCH.unsigned_abs() * 2 + 500;
    let mut changes = vec![family("fam-gone"), family("fam-live"), family("fam-code")];
    for i in 0..expired {
        changes.push(Change::InsertToken(user_token(&format!("u-gone-{i}"), "fam-gone")));
    }
    let mut spent = refresh("r-gone", "fam-gone");
    spent.expires_at = UnixTime(5_000);
    changes.push(Change::InsertRefreshToken(spent));
    changes.push(Change::InsertRefreshToken(refresh("r-live", "fam-live")));
    // A used code outlives its tokens (a late replay still revokes its family).
    changes.push(Change::InsertAuthCode(AuthCode {
        hash: token_hash("ac-kept"),
        client_id: app().client_id,
        union_id: user().union_id,
        corp_id: Some(corp()),
        redirect_uri: "https://app.example/cb".into(),
        scopes: vec![scope_code("openid")],
        code_challenge: None,
        expires_at: UnixTime(301),
        family_id: "fam-code".into(),
        purpose: CodePurpose::User,
        nonce: None,
        auth_time: None,
        resources: Vec::new(),
    }));
    let consent = Consent {
        union_id: user().union_id,
        client_id: app().client_id,
        scopes: [scope_code("Contact.User.Read")].into_iter().collect(),
        granted_at: UnixTime(5),
    };
    changes.push(Change::PutConsent(consent.clone()));
    changes.push(Change::RevokeOrgGrant {
        client_id: app().client_id,
        corp_id: corp(),
        scope: scope_code("hr.salary.read"),
        by: member().user_id,
    });
    store.commit(&changes, UnixTime(2)).await.unwrap();

    // Codes are kept until 200 here: ac-kept (expired at 301) stays, and so does its family.
    let purged = store.purge_expired(UnixTime(8_000), UnixTime(200)).await.unwrap();
    // The contract's app token c-abc (expired at 7253) goes too.
    assert_eq!(purged.access_tokens, expired + 1);
    assert_eq!((purged.refresh_tokens, purged.auth_codes, purged.token_families), (1, 0, 1));
    assert_eq!(purged.total(), expired + 3);
    assert!(store.token(&token_hash("u-gone-0")).await.unwrap().is_none());
    assert!(store.token(&token_hash(&format!("u-gone-{}", expired - 1))).await.unwrap().is_none());
    // A purged family is gone (a refresh token cannot join it); the others stay.
    let join = |token: &str, fam: &str| [Change::InsertRefreshToken(refresh(token, fam))];
    assert!(matches!(store.commit(&join("r-x", "fam-gone"), UnixTime(8_001)).await, Err(StoreError::NotFound(_))));
    store.commit(&join("r-y", "fam-code"), UnixTime(8_001)).await.unwrap();
    assert!(store.refresh_token(&token_hash("r-live")).await.unwrap().is_some());
    assert_eq!(store.consent(&user().union_id, &app().client_id).await.unwrap(), Some(consent));
    assert_eq!(store.revoked_grants(&app().client_id, &corp()).await.unwrap().len(), 1);

    // Nothing left to purge: a second run deletes nothing.
    assert_eq!(store.purge_expired(UnixTime(8_000), UnixTime(200)).await.unwrap().total(), 0);
    // Once the code is past keeping and the family's tokens expired, the family goes too.
    let later = store.purge_expired(UnixTime(200_000), UnixTime(400)).await.unwrap();
    assert_eq!((later.auth_codes, later.refresh_tokens, later.token_families), (1, 2, 2));
}
