//! The sample API's data (departments, member profiles, documents), and sessions.

use super::*;

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
