//! Suite tickets on the fake clock: a round issues a ticket only when it is due, the
//! latest and the previous ticket are accepted, and a round pushes only to suites with a
//! callback.

use tessera_core::change::Change;
use tessera_core::secret::Secret;

use super::*;
use crate::ServiceConfig;
use crate::ticket_push::round_at;
use crate::{ClientProof, Grant, GrantError, TokenRequest};

const INTERVAL: i64 = 600;

async fn tickets() -> Setup {
    service_with(ServiceConfig { suite_ticket_interval: INTERVAL, ..ServiceConfig::default() }).await
}

async fn current(s: &Setup) -> String {
    let t = s.service.current_suite_ticket("suitedemo", &Secret::new("suite-secret")).await.unwrap();
    t.ticket.expose().to_owned()
}

async fn corp_token(s: &Setup, ticket: &str) -> Result<(), GrantError> {
    let client = ClientProof::SuiteTicket {
        client_id: "suitedemo".into(),
        secret: Secret::new("suite-secret"),
        ticket: ticket.into(),
    };
    let grant = Grant::CorpToken { corp_id: "dingother".into() };
    s.service.token(TokenRequest::new(client, grant, Default::default())).await.map(|_| ())
}

#[tokio::test]
async fn a_round_issues_a_ticket_only_when_due_and_two_tickets_are_accepted() {
    let s = tickets().await;
    let none = s.service.current_suite_ticket("suitedemo", &Secret::new("suite-secret")).await;
    assert!(none.is_err(), "no ticket before the first round");
    let client = s.service.callback_client().clone();

    let first = round_at(&s.service, &client, s.service.now()).await.unwrap();
    assert_eq!(first.issued, 2, "both suites of the demo get their first ticket");
    assert!(first.pushes.is_empty(), "no suite registered a callback");
    let t1 = current(&s).await;
    assert_eq!(t1.len(), 3 + 64, "st- and 32 bytes in hex: {t1}");

    s.clock.advance(INTERVAL - 1);
    assert_eq!(round_at(&s.service, &client, s.service.now()).await.unwrap().issued, 0, "not due yet");
    assert_eq!(current(&s).await, t1);
    s.clock.advance(1);
    assert_eq!(round_at(&s.service, &client, s.service.now()).await.unwrap().issued, 2);
    let t2 = current(&s).await;
    assert_ne!(t2, t1);
    assert!(corp_token(&s, &t1).await.is_ok(), "the previous ticket is still accepted");
    assert!(corp_token(&s, &t2).await.is_ok());

    // A round as of a time given by the caller: here, the next due time.
    let at = UnixTime(s.service.now().0 + INTERVAL);
    assert_eq!(round_at(&s.service, &client, at).await.unwrap().issued, 2);
    let t3 = current(&s).await;
    assert!(matches!(corp_token(&s, &t1).await, Err(GrantError::Ticket(_))), "two tickets back is stale");
    assert!(corp_token(&s, &t2).await.is_ok() && corp_token(&s, &t3).await.is_ok());
}

#[tokio::test]
async fn a_round_pushes_to_a_registered_callback_and_a_refused_address_gets_nothing() {
    let s = tickets().await;
    let client = s.service.callback_client().clone();
    round_at(&s.service, &client, s.service.now()).await.unwrap();
    // Stored without the registration's check (as by an older version): checked at the push.
    let url = Some("http://127.0.0.1:9/tickets".to_owned());
    let set = Change::SetTicketCallback { client_id: client_id("suitedemo"), url, event: Default::default() };
    s.service.store().commit(&[set], s.service.now()).await.unwrap();
    s.clock.advance(INTERVAL);
    let round = round_at(&s.service, &client, s.service.now()).await.unwrap();
    assert_eq!((round.issued, round.pushes.len()), (2, 1), "one suite has a callback");
    let mut outcomes = Vec::new();
    for push in round.pushes {
        outcomes.push(push.await.unwrap());
    }
    assert_eq!(outcomes, [crate::ticket_push::Outcome::Refused]);
}

fn client_id(id: &str) -> tessera_core::ids::ClientId {
    super::client(id)
}
