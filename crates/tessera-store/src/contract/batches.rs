//! Batches of token writes as group commit forms them (many callers' claims, families,
//! access and refresh tokens in one commit), which the SQL store writes several rows per
//! statement: every row lands, with its values, and one losing claim writes nothing at all.

use super::*;

fn code(token: &str, family: &str) -> AuthCode {
    AuthCode {
        hash: token_hash(token),
        client_id: app().client_id,
        union_id: user().union_id,
        corp_id: None,
        redirect_uri: "https://app.example/cb".into(),
        scopes: vec![scope_code("openid")],
        code_challenge: None,
        expires_at: UnixTime(301),
        family_id: family.into(),
        purpose: CodePurpose::User,
        nonce: None,
        auth_time: None,
        resources: Vec::new(),
    }
}

/// What one code exchange commits: the claim, the family, the pair.
fn exchange(i: usize) -> [Change; 4] {
    let fam = format!("fam-b{i}");
    [
        Change::ClaimAuthCode { hash: token_hash(&format!("ac-b{i}")) },
        family(&fam),
        Change::InsertToken(user_token(&format!("ub-{i}"), &fam)),
        Change::InsertRefreshToken(refresh(&format!("rb-{i}"), &fam)),
    ]
}

pub async fn batched_token_writes_land_whole_or_not_at_all(store: Arc<dyn Database>) {
    store.commit(&everything(), UnixTime(1)).await.unwrap();
    // 90 codes: more rows of each kind than one statement takes.
    let codes: Vec<Change> = (0..90).map(|i| Change::InsertAuthCode(code(&format!("ac-b{i}"), "-"))).collect();
    store.commit(&codes, UnixTime(2)).await.unwrap();
    // 69 exchanges in one commit, in arrival order as group commit joins them.
    let batch: Vec<Change> = (0..69).flat_map(exchange).collect();
    store.commit(&batch, UnixTime(3)).await.unwrap();
    for i in 0..69 {
        let token = store.token(&token_hash(&format!("ub-{i}"))).await.unwrap().expect("every token lands");
        assert_eq!(token, user_token(&format!("ub-{i}"), &format!("fam-b{i}")));
        let (r, usable) =
            store.refresh_token(&token_hash(&format!("rb-{i}"))).await.unwrap().expect("and its refresh token");
        assert_eq!((r, usable), (refresh(&format!("rb-{i}"), &format!("fam-b{i}")), true));
        assert!(!store.auth_code(&token_hash(&format!("ac-b{i}"))).await.unwrap().unwrap().1, "claimed");
    }
    // A batch in which one claim loses (code 5 was used above): nothing of it is written,
    // not even the other callers' claims and tokens.
    let mut losing: Vec<Change> = exchange(5)
        .into_iter()
        .map(|c| match c {
            Change::InsertToken(_) => Change::InsertToken(user_token("ub-again", "fam-again")),
            Change::InsertRefreshToken(_) => Change::InsertRefreshToken(refresh("rb-again", "fam-again")),
            Change::InsertFamily { .. } => family("fam-again"),
            other => other,
        })
        .collect();
    losing.extend((69..90).flat_map(exchange));
    assert!(matches!(store.commit(&losing, UnixTime(4)).await, Err(StoreError::Conflict(_))));
    for i in 69..90 {
        assert!(store.token(&token_hash(&format!("ub-{i}"))).await.unwrap().is_none());
        assert!(store.auth_code(&token_hash(&format!("ac-b{i}"))).await.unwrap().unwrap().1, "still unused");
    }
    assert!(store.token(&token_hash("ub-again")).await.unwrap().is_none());
    // The same code twice in one batch: one claim only, so the batch loses as a whole.
    let twice: Vec<Change> = [exchange(70), exchange(70)].concat();
    assert!(store.commit(&twice, UnixTime(5)).await.is_err());
    assert!(store.auth_code(&token_hash("ac-b70")).await.unwrap().unwrap().1);
    // A batch of refreshes: each claims its token and writes the next pair.
    let refreshes: Vec<Change> = (0..20)
        .flat_map(|i| {
            let fam = format!("fam-b{i}");
            [
                Change::ClaimRefreshToken { hash: token_hash(&format!("rb-{i}")) },
                Change::InsertToken(user_token(&format!("ub2-{i}"), &fam)),
                Change::InsertRefreshToken(refresh(&format!("rb2-{i}"), &fam)),
            ]
        })
        .collect();
    store.commit(&refreshes, UnixTime(6)).await.unwrap();
    for i in 0..20 {
        assert_eq!(store.refresh_token_used(&token_hash(&format!("rb-{i}"))).await.unwrap(), Some(true));
        assert!(store.token(&token_hash(&format!("ub2-{i}"))).await.unwrap().is_some());
    }
}
