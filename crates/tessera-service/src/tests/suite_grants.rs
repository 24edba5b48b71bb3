//! The suite grants of the one token pipeline on the fake clock: a suite's own token and its
//! corp tokens through [`Tessera::token`] with each suite proof (secret and ticket, DingTalk's
//! legacy signature, a suite token), and each refusal's cause.

use tessera_core::secret::Secret;
use tessera_core::suite::{self, TicketRejection};
use tessera_core::token::TokenKind;

use super::*;
use crate::ticket_push::round_at;
use crate::{ClientAuth, ClientProof, DialectRules, Grant, GrantError, IssuedToken, TokenRequest};

async fn ask(s: &Setup, client: ClientProof, grant: Grant) -> Result<IssuedToken, GrantError> {
    let answer = s.service.token(TokenRequest::new(client, grant, DialectRules::default())).await?;
    Ok(answer.into_app_token().unwrap())
}

/// Issues every suite's next ticket at the fake clock's time.
async fn round(s: &Setup) {
    round_at(&s.service, &s.service.callback_client().clone(), s.service.now()).await.unwrap();
}

async fn ticket(s: &Setup, suite: &str, secret: &Secret) -> String {
    s.service.current_suite_ticket(suite, secret).await.unwrap().ticket.expose().to_owned()
}

fn with_ticket(suite: &str, secret: &str, ticket: &str) -> ClientProof {
    ClientProof::SuiteTicket { client_id: suite.into(), secret: Secret::new(secret), ticket: ticket.into() }
}

/// A request and the test its refusal must pass.
type Case = (ClientProof, Grant, fn(&GrantError) -> bool);

fn corp_grant(corp_id: &str) -> Grant {
    Grant::CorpToken { corp_id: corp_id.into() }
}

#[tokio::test]
async fn a_suite_gets_its_suite_token_and_corp_tokens_through_the_entry_point() {
    let s = service().await;
    round(&s).await;
    let t = ticket(&s, "suitedemo", &Secret::new("suite-secret")).await;
    let suite = ask(&s, with_ticket("suitedemo", "suite-secret", &t), Grant::SuiteToken).await.unwrap();
    assert_eq!(suite.kind, TokenKind::Suite);
    let again = ask(&s, with_ticket("suitedemo", "suite-secret", &t), Grant::SuiteToken).await.unwrap();
    assert_eq!(again.token.expose(), suite.token.expose(), "the live suite token is handed out again");

    let corp = ask(&s, with_ticket("suitedemo", "suite-secret", &t), corp_grant("dingother")).await.unwrap();
    assert_eq!((corp.kind, corp.corp_id.as_str()), (TokenKind::Corp, "dingother"));
    // Feishu's store-app tenant token: the suite token proves the suite.
    let by_token = ask(&s, ClientProof::SuiteToken(suite.token.expose().into()), corp_grant("dingdemo")).await;
    assert_eq!(by_token.unwrap().corp_id.as_str(), "dingdemo");
    // Once the suite token has expired it proves nothing.
    s.clock.advance(suite.expires_in);
    let expired = ask(&s, ClientProof::SuiteToken(suite.token.expose().into()), corp_grant("dingdemo")).await;
    assert!(matches!(expired, Err(GrantError::InvalidAppToken)), "{expired:?}");
}

#[tokio::test]
async fn suite_refusals_name_their_cause() {
    let s = service().await;
    let refused = |r: Result<IssuedToken, GrantError>| r.unwrap_err();
    // Before the first round no ticket exists.
    let early = refused(ask(&s, with_ticket("suitedemo", "suite-secret", "st-x"), Grant::SuiteToken).await);
    assert!(matches!(early, GrantError::Ticket(TicketRejection::NoneIssued)), "{early:?}");
    round(&s).await;
    let t = ticket(&s, "suitedemo", &Secret::new("suite-secret")).await;
    let cases: Vec<Case> = vec![
        (with_ticket("nosuchsuite", "x", &t), Grant::SuiteToken, |e| matches!(e, GrantError::UnknownClient)),
        (with_ticket("bad id!", "x", &t), Grant::SuiteToken, |e| matches!(e, GrantError::UnknownClient)),
        // The kind is checked before the secret: an internal app with a wrong secret.
        (with_ticket("dingdemoapp", "wrong", &t), Grant::SuiteToken, |e| {
            matches!(e, GrantError::NotASuite { kind: "internal", .. })
        }),
        (with_ticket("dingpersonal", "personal-secret", &t), corp_grant("dingdemo"), |e| {
            matches!(e, GrantError::NotASuite { kind: "third_party_personal", .. })
        }),
        (with_ticket("suitedemo", "wrong", &t), Grant::SuiteToken, |e| matches!(e, GrantError::WrongSecret)),
        (with_ticket("suitedemo", "suite-secret", "st-forged"), corp_grant("dingother"), |e| {
            matches!(e, GrantError::Ticket(TicketRejection::NotCurrent))
        }),
        (
            with_ticket("suitedemo", "suite-secret", &t),
            corp_grant("nowhere"),
            |e| matches!(e, GrantError::NotInstalled { corp_id } if corp_id == "nowhere"),
        ),
        (with_ticket("suitedemo", "suite-secret", &t), corp_grant("bad org!"), |e| {
            matches!(e, GrantError::NotInstalled { .. })
        }),
        // A suite grant needs a suite's proof: client credentials alone do not give one.
        (
            ClientProof::Credentials(ClientAuth {
                client_id: "suitedemo".into(),
                secret: Some(Secret::new("suite-secret")),
            }),
            Grant::SuiteToken,
            |e| matches!(e, GrantError::TicketRequired),
        ),
        (ClientProof::AppToken("t-nope".into()), corp_grant("dingdemo"), |e| matches!(e, GrantError::TicketRequired)),
        (ClientProof::SuiteToken("t-nope".into()), corp_grant("dingdemo"), |e| {
            matches!(e, GrantError::InvalidAppToken)
        }),
    ];
    for (i, (client, grant, expected)) in cases.into_iter().enumerate() {
        let got = refused(ask(&s, client, grant).await);
        assert!(expected(&got), "case {i}: {got:?}");
    }
    // A corp token is no suite token.
    let corp = ask(&s, with_ticket("suitedemo", "suite-secret", &t), corp_grant("dingdemo")).await.unwrap();
    let not_suite = refused(ask(&s, ClientProof::SuiteToken(corp.token.expose().into()), corp_grant("dingdemo")).await);
    assert!(matches!(not_suite, GrantError::InvalidAppToken), "{not_suite:?}");
    // The suite's ticket and auth info answer with the same causes.
    let wrong = s.service.current_suite_ticket("suitedemo", &Secret::new("wrong")).await.unwrap_err();
    assert!(matches!(wrong, GrantError::WrongSecret), "{wrong:?}");
    let info = s.service.auth_info(corp.token.expose(), "dingdemo").await.unwrap_err();
    assert!(matches!(info, GrantError::InvalidAppToken), "{info:?}");
}

#[tokio::test]
async fn the_legacy_signature_proves_the_suite_within_five_minutes() {
    let s = service().await;
    round(&s).await;
    let secret = suite::generated_secret(&SecretKey::from_bytes([9; 32]), &client("suitelegacy"));
    let t = ticket(&s, "suitelegacy", &secret).await;
    let signed = |timestamp: &str, signature: String| ClientProof::SuiteSignature {
        client_id: "suitelegacy".into(),
        timestamp: timestamp.into(),
        ticket: t.clone(),
        signature,
    };
    let now_ms = (s.service.now().0 * 1000).to_string();
    let good = suite::legacy_signature(&secret, &now_ms, &t);
    let corp = ask(&s, signed(&now_ms, good.clone()), corp_grant("dingdemo")).await.unwrap();
    assert_eq!((corp.kind, corp.corp_id.as_str()), (TokenKind::Corp, "dingdemo"));

    let not_installed = ask(&s, signed(&now_ms, good.clone()), corp_grant("dingother")).await.unwrap_err();
    assert!(matches!(not_installed, GrantError::NotInstalled { .. }), "{not_installed:?}");
    let forged = ask(&s, signed(&now_ms, "AAAA".into()), corp_grant("dingdemo")).await.unwrap_err();
    assert!(matches!(forged, GrantError::BadSignature), "{forged:?}");
    let unreadable = ask(&s, signed("soon", good.clone()), corp_grant("dingdemo")).await.unwrap_err();
    assert!(matches!(unreadable, GrantError::StaleTimestamp), "{unreadable:?}");
    // A secret set by hand cannot be recomputed to check a signature.
    let by_hand = ClientProof::SuiteSignature {
        client_id: "suitedemo".into(),
        timestamp: now_ms.clone(),
        ticket: t.clone(),
        signature: good.clone(),
    };
    let by_hand = ask(&s, by_hand, corp_grant("dingdemo")).await.unwrap_err();
    assert!(matches!(by_hand, GrantError::SecretNotRecomputable), "{by_hand:?}");
    // Five minutes later the same signed timestamp is stale.
    s.clock.advance(301);
    let stale = ask(&s, signed(&now_ms, good), corp_grant("dingdemo")).await.unwrap_err();
    assert!(matches!(stale, GrantError::StaleTimestamp), "{stale:?}");
}
