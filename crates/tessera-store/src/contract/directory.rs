//! Orgs, people, apps, permission requests, installations, grants, suite tickets, secrets.

use super::*;
use tessera_core::suite::TicketEvent;

pub async fn every_entity_round_trips(store: Arc<dyn Database>) {
    store.commit(&everything(), UnixTime(60)).await.unwrap();
    let scopes = store.scopes().await.unwrap();
    assert_eq!(scopes.len(), 1);
    assert!(matches!(&everything()[0], Change::PutScope(s) if *s == scopes[0]));
    assert_eq!(store.org(&corp()).await.unwrap(), Some(org()));
    assert_eq!(
        store.user(&user().union_id).await.unwrap(),
        Some(StoredUser { user: user(), password_hash: Some("$argon2id$v=19$fake".into()) })
    );
    assert_eq!(store.member(&corp(), &member().user_id).await.unwrap(), Some(member()));
    assert_eq!(store.app(&app().client_id).await.unwrap(), Some(app()));
    let perms = store.permissions(&app().client_id).await.unwrap();
    assert_eq!(perms.len(), 1);
    assert_eq!(perms[0].status, PermissionStatus::ReviewFailed);
    assert_eq!(perms[0].reason.as_deref(), Some("say why"));
    assert_eq!(store.installations(&app().client_id).await.unwrap()[0].installed_at, UnixTime(51));
    let installed = store.installation(&app().client_id, &corp()).await.unwrap();
    assert_eq!(
        installed.map(|i| (i.client_id, i.corp_id, i.installed_at)),
        Some((app().client_id, corp(), UnixTime(51)))
    );
    // The same app in another org, another app in the same org: not installed.
    let elsewhere = CorpId::parse("elsewhere").unwrap();
    assert_eq!(store.installation(&app().client_id, &elsewhere).await.unwrap(), None);
    let other = ClientId::parse("otherapp").unwrap();
    assert_eq!(store.installation(&other, &corp()).await.unwrap(), None);
    assert_eq!(store.org_grants(&app().client_id, &corp()).await.unwrap()[0].granted_by, member().user_id);
    let token = store.token(&token_hash("c-abc")).await.unwrap().unwrap();
    assert_eq!((token.kind, token.expires_at, token.corp_id), (TokenKind::Corp, UnixTime(7253), Some(corp())));
    let events = store.audit_events(&AuditFilter { limit: 10, ..AuditFilter::default() }).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].at, UnixTime(60));
}

pub async fn missing_rows_read_as_none(store: Arc<dyn Database>) {
    assert_eq!(store.org(&corp()).await.unwrap(), None);
    assert_eq!(store.user(&user().union_id).await.unwrap(), None);
    assert_eq!(store.member(&corp(), &member().user_id).await.unwrap(), None);
    assert_eq!(store.app(&app().client_id).await.unwrap(), None);
    assert_eq!(store.token(&token_hash("nope")).await.unwrap(), None);
    assert!(store.permissions(&app().client_id).await.unwrap().is_empty());
}

pub async fn a_failing_batch_writes_nothing(store: Arc<dyn Database>) {
    store.commit(&[Change::InsertOrg(org())], UnixTime(1)).await.unwrap();
    let other = Org { corp_id: CorpId::parse("dingother").unwrap(), name: "Other".into(), verified: false };
    // The duplicate org at the end fails the batch; the org, audit event and user before it must not persist.
    let batch = vec![
        Change::InsertOrg(other.clone()),
        audit("x", None),
        Change::InsertUser { user: user(), password_hash: None },
        Change::InsertOrg(org()),
    ];
    let err = store.commit(&batch, UnixTime(2)).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(store.org(&other.corp_id).await.unwrap(), None);
    assert_eq!(store.user(&user().union_id).await.unwrap(), None);
    let events = store.audit_events(&AuditFilter { limit: 10, ..AuditFilter::default() }).await.unwrap();
    assert!(events.is_empty());
    // The chain continues from where it was.
    store.commit(&[audit("y", None)], UnixTime(3)).await.unwrap();
    let events = store.audit_events(&AuditFilter { limit: 10, ..AuditFilter::default() }).await.unwrap();
    assert_eq!(events[0].seq, 1);
    verify_chain(&events).unwrap();
}

pub async fn permissions_are_replaced_not_duplicated(store: Arc<dyn Database>) {
    store.commit(&everything(), UnixTime(1)).await.unwrap();
    let approved = PermissionRequest {
        client_id: app().client_id,
        scope: scope_code("hr.salary.read"),
        status: PermissionStatus::Enabled,
        description: "better".into(),
        reason: None,
        updated_at: UnixTime(99),
    };
    store.commit(&[Change::PutPermission(approved.clone())], UnixTime(99)).await.unwrap();
    assert_eq!(store.permissions(&app().client_id).await.unwrap(), vec![approved]);
}

pub async fn revoking_and_uninstalling_keep_who_and_when(store: Arc<dyn Database>) {
    store.commit(&everything(), UnixTime(1)).await.unwrap();
    let by = member().user_id;
    let revoke = Change::RevokeOrgGrant {
        client_id: app().client_id,
        corp_id: corp(),
        scope: scope_code("hr.salary.read"),
        by: by.clone(),
    };
    store.commit(std::slice::from_ref(&revoke), UnixTime(70)).await.unwrap();
    assert!(store.org_grants(&app().client_id, &corp()).await.unwrap().is_empty());
    let revoked = store.revoked_grants(&app().client_id, &corp()).await.unwrap();
    assert_eq!((revoked.len(), &revoked[0].revoked_by, revoked[0].revoked_at), (1, &by, UnixTime(70)));
    assert_eq!(revoked[0].grant.granted_at, UnixTime(52));
    // Revoking what is not granted is refused and writes nothing.
    assert!(matches!(store.commit(&[revoke, audit("x", None)], UnixTime(71)).await, Err(StoreError::NotFound(_))));
    assert_eq!(store.audit_events(&AuditFilter { limit: 10, ..AuditFilter::default() }).await.unwrap().len(), 1);
    assert_eq!(store.installations_in(&corp()).await.unwrap().len(), 1);
    let uninstall = Change::DeleteInstallation { client_id: app().client_id, corp_id: corp(), by };
    store.commit(std::slice::from_ref(&uninstall), UnixTime(80)).await.unwrap();
    assert!(store.installations(&app().client_id).await.unwrap().is_empty());
    assert!(store.installations_in(&corp()).await.unwrap().is_empty());
    assert_eq!(store.installation(&app().client_id, &corp()).await.unwrap(), None);
    assert!(matches!(store.commit(&[uninstall], UnixTime(81)).await, Err(StoreError::NotFound(_))));
    assert_eq!(store.members_of(&corp()).await.unwrap(), vec![member()]);
}

pub async fn suite_tickets_advance_once_per_sequence_number(store: Arc<dyn Database>) {
    store.commit(&everything(), UnixTime(1)).await.unwrap();
    let id = app().client_id;
    let fresh = store.suite_ticket(&id).await.unwrap().unwrap();
    assert_eq!((fresh.seq, fresh.issued_at, fresh.callback_url), (0, UnixTime(0), None));
    assert_eq!(store.suite_ticket(&ClientId::parse("nosuchapp").unwrap()).await.unwrap(), None);
    // Eight nodes try to issue the first ticket at once: exactly one succeeds.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        let id = id.clone();
        tasks.push(tokio::spawn(async move {
            store.commit(&[Change::AdvanceSuiteTicket { client_id: id, from_seq: 0 }], UnixTime(10)).await
        }));
    }
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => won += 1,
            Err(StoreError::Conflict(_)) => {}
            Err(other) => panic!("unexpected {other}"),
        }
    }
    assert_eq!(won, 1);
    let url = Some("http://127.0.0.1:9/tickets".to_owned());
    let set =
        Change::SetTicketCallback { client_id: id.clone(), url: url.clone(), event: TicketEvent::FeishuEncrypted };
    store.commit(&[set], UnixTime(11)).await.unwrap();
    store.commit(&[Change::AdvanceSuiteTicket { client_id: id.clone(), from_seq: 1 }], UnixTime(20)).await.unwrap();
    let now = store.suite_ticket(&id).await.unwrap().unwrap();
    assert_eq!((now.seq, now.issued_at, now.callback_url.clone()), (2, UnixTime(20), url));
    assert_eq!(now.event, TicketEvent::FeishuEncrypted);
    assert_eq!(store.suite_tickets().await.unwrap(), vec![now]);
    let unset = Change::SetTicketCallback { client_id: id.clone(), url: None, event: TicketEvent::DingTalk };
    store.commit(&[unset], UnixTime(21)).await.unwrap();
    let unset = store.suite_ticket(&id).await.unwrap().unwrap();
    assert_eq!((unset.callback_url, unset.event), (None, TicketEvent::DingTalk));
}

pub async fn apps_by_owner_rotated_secrets_and_redirect_uris(store: Arc<dyn Database>) {
    store.commit(&everything(), UnixTime(1)).await.unwrap();
    assert_eq!(store.apps_owned_by(&corp()).await.unwrap(), vec![app()]);
    assert!(store.apps_owned_by(&CorpId::parse("dingnobody").unwrap()).await.unwrap().is_empty());
    let key = SecretKey::from_bytes([5; 32]);
    let (first, second, third) = (app().secret_hash, key.hash(&Secret::new("s2")), key.hash(&Secret::new("s3")));
    let rotate = |hash, until| Change::RotateSecret {
        client_id: app().client_id,
        secret_hash: hash,
        previous_valid_until: UnixTime(until),
    };
    // With an overlap, the old secret is kept until the end of it.
    store.commit(&[rotate(second, 1_000)], UnixTime(10)).await.unwrap();
    assert_eq!(store.app(&app().client_id).await.unwrap().unwrap().secret_hash, second);
    assert_eq!(store.previous_secrets(&app().client_id).await.unwrap(), vec![(first, UnixTime(1_000))]);
    store.commit(&[rotate(third, 2_000)], UnixTime(20)).await.unwrap();
    assert_eq!(
        store.previous_secrets(&app().client_id).await.unwrap(),
        vec![(first, UnixTime(1_000)), (second, UnixTime(2_000))]
    );
    // Purging drops those whose overlap ended.
    store.purge_expired(UnixTime(1_500), UnixTime(0)).await.unwrap();
    assert_eq!(store.previous_secrets(&app().client_id).await.unwrap(), vec![(second, UnixTime(2_000))]);
    // Without an overlap, every older secret stops at once.
    store.commit(&[rotate(first, 30)], UnixTime(30)).await.unwrap();
    assert!(store.previous_secrets(&app().client_id).await.unwrap().is_empty());
    assert_eq!(store.app(&app().client_id).await.unwrap().unwrap().secret_hash, first);
    let uris = vec!["https://new.example/cb".to_string()];
    store
        .commit(&[Change::SetRedirectUris { client_id: app().client_id, redirect_uris: uris.clone() }], UnixTime(40))
        .await
        .unwrap();
    assert_eq!(store.app(&app().client_id).await.unwrap().unwrap().redirect_uris, uris);
    assert!(!store.app(&app().client_id).await.unwrap().unwrap().resource_server);
    let mark = |on| Change::SetResourceServer { client_id: app().client_id, resource_server: on };
    store.commit(&[mark(true)], UnixTime(41)).await.unwrap();
    assert!(store.app(&app().client_id).await.unwrap().unwrap().resource_server);
    store.commit(&[mark(false)], UnixTime(42)).await.unwrap();
    assert!(!store.app(&app().client_id).await.unwrap().unwrap().resource_server);
    // Rate limits: set, read back (also among the org's apps), cleared.
    assert_eq!(store.app(&app().client_id).await.unwrap().unwrap().rate_limits, RateLimits::default());
    let limits = RateLimits { app_qps: Some(1_000_000), route_qps: Some(3) };
    let set = |limits| Change::SetRateLimits { client_id: app().client_id, limits };
    store.commit(&[set(limits)], UnixTime(43)).await.unwrap();
    assert_eq!(store.app(&app().client_id).await.unwrap().unwrap().rate_limits, limits);
    let owned = store.apps_owned_by(&app().owner_corp_id).await.unwrap();
    assert_eq!(owned.iter().find(|a| a.client_id == app().client_id).unwrap().rate_limits, limits);
    store.commit(&[set(RateLimits::default())], UnixTime(44)).await.unwrap();
    assert_eq!(store.app(&app().client_id).await.unwrap().unwrap().rate_limits, RateLimits::default());
    // An unknown app is refused and nothing of the batch is written.
    let ghost = ClientId::parse("ghostapp").unwrap();
    for change in [
        Change::RotateSecret { client_id: ghost.clone(), secret_hash: second, previous_valid_until: UnixTime(0) },
        Change::SetRedirectUris { client_id: ghost.clone(), redirect_uris: vec![] },
        Change::SetResourceServer { client_id: ghost.clone(), resource_server: true },
        Change::SetRateLimits { client_id: ghost, limits: RateLimits { app_qps: Some(1), route_qps: None } },
    ] {
        let before = store.audit_events(&AuditFilter { limit: 100, ..AuditFilter::default() }).await.unwrap().len();
        assert!(matches!(store.commit(&[audit("x", None), change], UnixTime(50)).await, Err(StoreError::NotFound(_))));
        let after = store.audit_events(&AuditFilter { limit: 100, ..AuditFilter::default() }).await.unwrap().len();
        assert_eq!(before, after);
    }
}

/// A rotation ends the tokens of the old secret (at the overlap's end, or at once without
/// one) and leaves user tokens alone; new redirect URIs forget every consent to the app.
pub async fn rotations_end_old_tokens_and_new_redirect_uris_forget_consents(store: Arc<dyn Database>) {
    store.commit(&everything(), UnixTime(1)).await.unwrap();
    let consent = Consent {
        union_id: user().union_id,
        client_id: app().client_id,
        scopes: [scope_code("Contact.User.Read")].into_iter().collect(),
        granted_at: UnixTime(5),
    };
    store
        .commit(
            &[family("fam-rot"), Change::InsertToken(user_token("u-rot", "fam-rot")), Change::PutConsent(consent)],
            UnixTime(5),
        )
        .await
        .unwrap();
    let key = SecretKey::from_bytes([6; 32]);
    let rotate = |s: &str, until| Change::RotateSecret {
        client_id: app().client_id,
        secret_hash: key.hash(&Secret::new(s)),
        previous_valid_until: UnixTime(until),
    };
    let corp_token = || async { store.token(&token_hash("c-abc")).await.unwrap().unwrap() };
    let user_tok = || async { store.token(&token_hash("u-rot")).await.unwrap().unwrap() };
    // With an overlap, the corp token (due at 7253) now ends with it.
    store.commit(&[rotate("s2", 600)], UnixTime(10)).await.unwrap();
    assert_eq!(corp_token().await.expires_at, UnixTime(600));
    assert!(!corp_token().await.revoked);
    // Without one, it is revoked at once.
    store.commit(&[rotate("s3", 20)], UnixTime(20)).await.unwrap();
    assert!(corp_token().await.revoked);
    let kept = user_tok().await;
    assert_eq!((kept.revoked, kept.expires_at), (false, UnixTime(7210)), "user tokens stay");
    assert!(store.consent(&user().union_id, &app().client_id).await.unwrap().is_some());
    let uris = vec!["https://elsewhere.example/cb".to_string()];
    store
        .commit(&[Change::SetRedirectUris { client_id: app().client_id, redirect_uris: uris }], UnixTime(30))
        .await
        .unwrap();
    assert!(store.consent(&user().union_id, &app().client_id).await.unwrap().is_none());
}
