//! The audit hash chain: sequence, filters, concurrent writers, logging a revocation once.

use super::*;

pub async fn audit_chain_is_sequential_filterable_and_verifiable(store: Arc<dyn Database>) {
    store.commit(&[Change::InsertOrg(org())], UnixTime(1)).await.unwrap();
    for i in 0..5 {
        let corp_id = if i % 2 == 0 { Some(corp()) } else { None };
        store
            .commit(&[audit(&format!("t{i}"), corp_id.clone()), audit(&format!("u{i}"), corp_id)], UnixTime(i))
            .await
            .unwrap();
    }
    let all = store.audit_events(&AuditFilter { limit: 100, ..AuditFilter::default() }).await.unwrap();
    assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=10).collect::<Vec<_>>());
    verify_chain(&all).unwrap();
    let mine =
        store.audit_events(&AuditFilter { corp_id: Some(corp()), limit: 100, ..AuditFilter::default() }).await.unwrap();
    assert_eq!(mine.len(), 6);
    let page = store.audit_events(&AuditFilter { after_seq: 8, limit: 1, ..AuditFilter::default() }).await.unwrap();
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![9]);
    let none = store
        .audit_events(&AuditFilter { action: Some(AuditAction::ScopeRevoked), limit: 100, ..AuditFilter::default() })
        .await
        .unwrap();
    assert!(none.is_empty());
}

pub async fn concurrent_writers_keep_one_unbroken_chain(store: Arc<dyn Database>) {
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for j in 0..5 {
                store.commit(&[audit(&format!("w{i}-{j}"), None)], UnixTime(i * 10 + j)).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let all = store.audit_events(&AuditFilter { limit: 100, ..AuditFilter::default() }).await.unwrap();
    assert_eq!(all.len(), 40);
    verify_chain(&all).unwrap();
}

pub async fn review_queue_and_audit_filters(store: Arc<dyn Database>) {
    store.commit(&everything(), UnixTime(1)).await.unwrap();
    let pending = PermissionRequest {
        client_id: app().client_id,
        scope: scope_code("doc:readonly"),
        status: PermissionStatus::PendingReview,
        description: "docs".into(),
        reason: None,
        updated_at: UnixTime(5),
    };
    store.commit(&[Change::PutPermission(pending.clone())], UnixTime(5)).await.unwrap();
    assert_eq!(store.pending_requests().await.unwrap(), vec![pending]);
    let ev = |actor: &str, target: &str| {
        Change::Audit(AuditDraft {
            corp_id: Some(corp()),
            actor: actor.into(),
            action: AuditAction::ScopeAuthorized,
            target: target.into(),
            detail: String::new(),
        })
    };
    store.commit(&[ev("member:a", "app:contractapp scope:x")], UnixTime(100)).await.unwrap();
    store.commit(&[ev("member:b", "app:contractapp2 scope:x")], UnixTime(200)).await.unwrap();
    store.commit(&[ev("member:a", "app:contractapp")], UnixTime(300)).await.unwrap();
    let find = |f: AuditFilter| {
        let store = store.clone();
        async move {
            store
                .audit_events(&AuditFilter { limit: 100, ..f })
                .await
                .unwrap()
                .iter()
                .map(|e| e.at.0)
                .collect::<Vec<_>>()
        }
    };
    let app_id = Some(app().client_id);
    assert_eq!(find(AuditFilter { client_id: app_id.clone(), ..AuditFilter::default() }).await, [1, 100, 300]);
    assert_eq!(find(AuditFilter { actor: Some("member:b".into()), ..AuditFilter::default() }).await, [200]);
    assert_eq!(
        find(AuditFilter { since: Some(UnixTime(100)), until: Some(UnixTime(300)), ..AuditFilter::default() }).await,
        [100, 200]
    );
    let action = Some(AuditAction::ScopeAuthorized);
    assert_eq!(
        find(AuditFilter { action, actor: Some("member:a".into()), ..AuditFilter::default() }).await,
        [100, 300]
    ); // Newest first, a page at a time in both directions, and actors by prefix.
    assert_eq!(find(AuditFilter { newest_first: true, ..AuditFilter::default() }).await, [300, 200, 100, 1]);
    let newest = store.audit_events(&AuditFilter { newest_first: true, limit: 2, ..AuditFilter::default() }).await;
    let newest = newest.unwrap();
    assert_eq!(newest.iter().map(|e| e.at.0).collect::<Vec<_>>(), [300, 200]);
    let older = AuditFilter { newest_first: true, before_seq: Some(newest[1].seq), ..AuditFilter::default() };
    assert_eq!(find(older).await, [100, 1]);
    let newer = AuditFilter { after_seq: newest[1].seq, ..AuditFilter::default() };
    assert_eq!(find(newer).await, [300]);
    assert_eq!(
        find(AuditFilter { actor_prefix: Some("member:".into()), ..AuditFilter::default() }).await,
        [100, 200, 300]
    );
    assert_eq!(find(AuditFilter { actor_prefix: Some("member:b".into()), ..AuditFilter::default() }).await, [200]);
    assert!(find(AuditFilter { actor_prefix: Some("member:%".into()), ..AuditFilter::default() }).await.is_empty());
}

/// A family's first revocation is logged; revoking it again (replays, racing) is not.
pub async fn a_family_revocation_is_logged_once(store: Arc<dyn Database>) {
    store.commit(&everything(), UnixTime(1)).await.unwrap();
    store
        .commit(&[family("fam-once"), Change::InsertToken(user_token("u-once", "fam-once"))], UnixTime(1))
        .await
        .unwrap();
    let revoke = || Change::RevokeFamilyOnce {
        family_id: "fam-once".into(),
        audit: AuditDraft {
            corp_id: Some(corp()),
            actor: format!("app:{}", app().client_id),
            action: AuditAction::TokensRevoked,
            target: format!("app:{} family:fam-once", app().client_id),
            detail: "refresh token reused".into(),
        },
    };
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let store = store.clone();
        let change = revoke();
        tasks.push(tokio::spawn(async move { store.commit(&[change], UnixTime(3)).await }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    store.commit(&[revoke()], UnixTime(4)).await.unwrap();
    assert!(store.token(&token_hash("u-once")).await.unwrap().unwrap().revoked);
    let filter = AuditFilter { action: Some(AuditAction::TokensRevoked), limit: 100, ..Default::default() };
    let logged = store.audit_events(&filter).await.unwrap();
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(logged[0].at, UnixTime(3));
    let all = AuditFilter { limit: 1000, ..Default::default() };
    verify_chain(&store.audit_events(&all).await.unwrap()).unwrap();
}
