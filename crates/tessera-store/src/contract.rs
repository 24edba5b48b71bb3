//! The contract every backend passes. A backend's tests call
//! `tessera_store::store_contract!(async { fresh_store().await })`, which writes one
//! `#[tokio::test]` per check, each on a fresh, empty store.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use tessera_core::app::{App, AppKind};
use tessera_core::audit::{AuditAction, AuditDraft, verify_chain};
use tessera_core::change::Change;
use tessera_core::consent::Consent;
use tessera_core::document::Document;
use tessera_core::grant::OrgGrant;
use tessera_core::grant_code::{AuthCode, CodePurpose};
use tessera_core::ids::{ClientId, CorpId, Role, ScopeCode, UnionId, UserId};
use tessera_core::installation::Installation;
use tessera_core::member::{Member, MemberRole, User};
use tessera_core::org::Org;
use tessera_core::permission::{PermissionRequest, PermissionStatus};
use tessera_core::refresh::{Claim, RefreshToken};
use tessera_core::scope::{Scope, ScopeIdentity, ScopeTier};
use tessera_core::secret::{Secret, SecretKey, token_hash};
use tessera_core::session::Session;
use tessera_core::time::UnixTime;
use tessera_core::token::{AccessToken, TokenKind};

use crate::{AuditFilter, Database, StoreError, StoredUser};

fn corp() -> CorpId {
    CorpId::parse("dingcontract").unwrap()
}

fn org() -> Org {
    Org { corp_id: corp(), name: "Contract Corp".into(), verified: true }
}

fn user() -> User {
    User { union_id: UnionId::parse("carol-union").unwrap(), name: "Carol".into() }
}

fn member() -> Member {
    Member {
        corp_id: corp(),
        user_id: UserId::parse("carol").unwrap(),
        union_id: user().union_id,
        name: "Carol".into(),
        title: "Engineer".into(),
        roles: vec![
            MemberRole::org_wide(Role::parse("org_admin").unwrap()),
            MemberRole { role: Role::parse("contacts_admin").unwrap(), department: Some("sales".into()) },
        ],
    }
}

fn app() -> App {
    App {
        client_id: ClientId::parse("contractapp").unwrap(),
        name: "Contract app".into(),
        kind: AppKind::ThirdPartyEnterprise,
        owner_corp_id: corp(),
        secret_hash: SecretKey::from_bytes([5; 32]).hash(&Secret::new("s")),
        redirect_uris: vec!["https://app.example/cb".into(), "http://127.0.0.1:9/cb".into()],
        public_client: true,
        resource_server: false,
    }
}

fn scope_code(s: &str) -> ScopeCode {
    ScopeCode::parse(s).unwrap()
}

fn audit(target: &str, corp_id: Option<CorpId>) -> Change {
    Change::Audit(AuditDraft {
        corp_id,
        actor: "operator".into(),
        action: AuditAction::AppInstalled,
        target: target.into(),
        detail: "d".into(),
    })
}

fn everything() -> Vec<Change> {
    vec![
        Change::PutScope(Scope {
            code: scope_code("hr.salary.read"),
            description: "Read salaries".into(),
            tier: ScopeTier::Sensitive,
            eligible_role: Some(Role::parse("hr_admin").unwrap()),
            open_for_requests: false,
            requires_verified_org: true,
            identity: ScopeIdentity::User,
        }),
        Change::InsertOrg(org()),
        Change::InsertUser { user: user(), password_hash: Some("$argon2id$v=19$fake".into()) },
        Change::InsertMember(member()),
        Change::InsertApp(app()),
        Change::PutPermission(PermissionRequest {
            client_id: app().client_id,
            scope: scope_code("hr.salary.read"),
            status: PermissionStatus::ReviewFailed,
            description: "we pay people".into(),
            reason: Some("say why".into()),
            updated_at: UnixTime(50),
        }),
        Change::InsertInstallation(Installation {
            client_id: app().client_id,
            corp_id: corp(),
            installed_at: UnixTime(51),
        }),
        Change::InsertOrgGrant(OrgGrant {
            client_id: app().client_id,
            corp_id: corp(),
            scope: scope_code("hr.salary.read"),
            granted_by: member().user_id,
            granted_at: UnixTime(52),
        }),
        Change::InsertToken(AccessToken {
            hash: token_hash("c-abc"),
            kind: TokenKind::Corp,
            client_id: app().client_id,
            corp_id: Some(corp()),
            union_id: None,
            issued_at: UnixTime(53),
            expires_at: UnixTime(7253),
            revoked: false,
            scopes: vec![],
            family_id: None,
        }),
        audit("app:contractapp", Some(corp())),
    ]
}

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

pub async fn departments_and_member_profiles(store: Arc<dyn Database>) {
    store.commit(&everything(), UnixTime(1)).await.unwrap();
    let a = store.create_department(&corp(), "Sales", crate::ROOT_DEPARTMENT).await.unwrap();
    let b = store.create_department(&corp(), "EMEA", a).await.unwrap();
    assert_eq!((a, b), (2, 3));
    assert_eq!(store.department(&corp(), b).await.unwrap().unwrap().parent_id, a);
    let err = store.create_department(&corp(), "Lost", 999).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)));
    assert!(store.update_member_profile(&corp(), &member().user_id, None, Some("Lead")).await.unwrap());
    let m = store.member(&corp(), &member().user_id).await.unwrap().unwrap();
    assert_eq!((m.name.as_str(), m.title.as_str()), ("Carol", "Lead"));
    let nobody = UserId::parse("nobody").unwrap();
    assert!(!store.update_member_profile(&corp(), &nobody, Some("X"), None).await.unwrap());
}

fn user_token(token: &str, family: &str) -> AccessToken {
    AccessToken {
        hash: token_hash(token),
        kind: TokenKind::User,
        client_id: app().client_id,
        corp_id: Some(corp()),
        union_id: Some(user().union_id),
        issued_at: UnixTime(10),
        expires_at: UnixTime(7210),
        revoked: false,
        scopes: vec![scope_code("openid"), scope_code("Contact.User.Read")],
        family_id: Some(family.into()),
    }
}

fn refresh(token: &str, family: &str) -> RefreshToken {
    RefreshToken {
        hash: token_hash(token),
        family_id: family.into(),
        client_id: app().client_id,
        union_id: user().union_id,
        corp_id: Some(corp()),
        scopes: vec![scope_code("Contact.User.Read")],
        issued_at: UnixTime(10),
        expires_at: UnixTime(99_999),
    }
}

fn family(id: &str) -> Change {
    Change::InsertFamily { family_id: id.into(), client_id: app().client_id, union_id: user().union_id }
}

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
    assert!(!usable);
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

pub async fn sessions_and_documents(store: Arc<dyn Database>) {
    store.commit(&everything(), UnixTime(1)).await.unwrap();
    let session = Session {
        hash: token_hash("sess-1"),
        union_id: user().union_id,
        created_at: UnixTime(1),
        expires_at: UnixTime(9),
    };
    store.commit(&[Change::InsertSession(session.clone())], UnixTime(1)).await.unwrap();
    assert_eq!(store.session(&token_hash("sess-1")).await.unwrap(), Some(session));
    store.commit(&[Change::DeleteSession { hash: token_hash("sess-1") }], UnixTime(2)).await.unwrap();
    assert_eq!(store.session(&token_hash("sess-1")).await.unwrap(), None);

    let doc = Document {
        corp_id: corp(),
        doc_id: 7,
        title: "Plan".into(),
        body: "secret plan".into(),
        readers: [member().user_id].into_iter().collect(),
    };
    store.commit(&[Change::InsertDocument(doc.clone())], UnixTime(3)).await.unwrap();
    assert_eq!(store.documents(&corp()).await.unwrap(), vec![doc]);
    store
        .commit(&[Change::SetDocumentReaders { corp_id: corp(), doc_id: 7, readers: vec![] }], UnixTime(4))
        .await
        .unwrap();
    assert!(store.documents(&corp()).await.unwrap()[0].readers.is_empty());
    let missing = Change::SetDocumentReaders { corp_id: corp(), doc_id: 8, readers: vec![] };
    assert!(matches!(store.commit(&[missing], UnixTime(5)).await.unwrap_err(), StoreError::NotFound(_)));
}

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
    assert!(matches!(store.commit(&[uninstall], UnixTime(81)).await, Err(StoreError::NotFound(_))));
    assert_eq!(store.members_of(&corp()).await.unwrap(), vec![member()]);
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
    );
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
    store.commit(&[Change::SetTicketCallback { client_id: id.clone(), url: url.clone() }], UnixTime(11)).await.unwrap();
    store.commit(&[Change::AdvanceSuiteTicket { client_id: id.clone(), from_seq: 1 }], UnixTime(20)).await.unwrap();
    let now = store.suite_ticket(&id).await.unwrap().unwrap();
    assert_eq!((now.seq, now.issued_at, now.callback_url.clone()), (2, UnixTime(20), url));
    assert_eq!(store.suite_tickets().await.unwrap(), vec![now]);
    store.commit(&[Change::SetTicketCallback { client_id: id.clone(), url: None }], UnixTime(21)).await.unwrap();
    assert_eq!(store.suite_ticket(&id).await.unwrap().unwrap().callback_url, None);
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
    // An unknown app is refused and nothing of the batch is written.
    let ghost = ClientId::parse("ghostapp").unwrap();
    for change in [
        Change::RotateSecret { client_id: ghost.clone(), secret_hash: second, previous_valid_until: UnixTime(0) },
        Change::SetRedirectUris { client_id: ghost.clone(), redirect_uris: vec![] },
        Change::SetResourceServer { client_id: ghost, resource_server: true },
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

/// Writes one `#[tokio::test]` per contract check; `$make` is an expression that evaluates
/// to a future yielding a fresh `Arc<dyn Store>`.
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
    };
    store.commit(&[decide(true)], UnixTime(14)).await.unwrap();
    assert!(matches!(store.commit(&[decide(false)], UnixTime(15)).await, Err(StoreError::Conflict(_))));
    let got = store.device_authorization(&by_device).await.unwrap().unwrap();
    assert_eq!(got.status, DeviceStatus::Approved);
    assert_eq!(got.union_id, Some(user().union_id));
    assert_eq!(got.corp_id, Some(corp()));
    assert_eq!((got.interval, got.last_polled_at), (10, Some(UnixTime(12))));

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

#[macro_export]
macro_rules! store_contract {
    ($make:expr) => {
        $crate::store_contract!(@tests $make;
            every_entity_round_trips,
            missing_rows_read_as_none,
            a_failing_batch_writes_nothing,
            permissions_are_replaced_not_duplicated,
            audit_chain_is_sequential_filterable_and_verifiable,
            concurrent_writers_keep_one_unbroken_chain,
            departments_and_member_profiles,
            consents_are_kept_per_user_and_app_and_withdrawn,
            an_auth_code_is_claimed_once,
            concurrent_refresh_claims_have_exactly_one_winner,
            revoking_a_family_kills_its_access_and_refresh_tokens,
            sessions_and_documents,
            expired_rows_are_purged_and_live_ones_kept,
            revoking_and_uninstalling_keep_who_and_when,
            review_queue_and_audit_filters,
            suite_tickets_advance_once_per_sequence_number,
            apps_by_owner_rotated_secrets_and_redirect_uris,
            rotations_end_old_tokens_and_new_redirect_uris_forget_consents,
            device_authorizations_are_decided_once_and_consumed_once,
            purge_deletes_in_batches_and_drops_empty_families,
            a_family_revocation_is_logged_once,
        );
    };
    (@tests $make:expr; $($name:ident,)*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store = $make.await;
                $crate::contract::$name(store).await;
            }
        )*
    };
}
