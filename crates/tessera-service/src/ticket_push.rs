//! Pushing to the callback URLs apps registered: suite tickets (a signed JSON POST; suites
//! that register no URL poll for their ticket instead) and back-channel logout tokens (see
//! [`crate::oidc::logout`]). Each push is retried with backoff (1 s, 2 s, 4 s, … capped at
//! 60 s) until the receiver answers 2xx or the attempts run out. A URL whose address is not
//! public is not retried (see [`crate::callback_guard`]). Pushes in flight or waiting are
//! bounded ([`crate::callback_guard::CallbackClient::MAX_PENDING`]); past the bound a push is
//! dropped and logged.

use std::time::Duration;

use tessera_core::suite::retry_delay_secs;
use tessera_core::time::UnixTime;

use crate::Tessera;
use crate::callback_guard::{self, CallbackClient};
use crate::suite::TicketDelivery;

/// How a delivery ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The receiver answered 2xx on this attempt (1-based).
    Delivered { attempt: u32 },
    /// Every attempt failed.
    GaveUp { attempts: u32 },
    /// The URL names (or resolves to) a non-public address: nothing was sent.
    Refused,
    /// Too many pushes were pending: this one was dropped unsent.
    Dropped,
}

/// Pushes one delivery, retrying up to [`ATTEMPTS`] times with [`backoff`] between them.
pub async fn push(client: &CallbackClient, delivery: &TicketDelivery) -> Outcome {
    for attempt in 0..ATTEMPTS {
        let request = match client.post(&delivery.url) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(app = %delivery.client_id, kind = delivery.kind, url = %delivery.url, error = %e, "callback push refused");
                return Outcome::Refused;
            }
        };
        let request = delivery.headers.iter().fold(request, |r, (name, value)| r.header(*name, value));
        let sent = request
            .header("content-type", delivery.content_type)
            .body(delivery.body.expose().to_owned())
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        match sent {
            Ok(res) if res.status().is_success() => return Outcome::Delivered { attempt: attempt + 1 },
            // The URL and status are logged; the body holds the ticket or token and is not.
            Ok(res) => {
                tracing::warn!(app = %delivery.client_id, kind = delivery.kind, url = %delivery.url, status = %res.status(), attempt = attempt + 1, "callback push refused")
            }
            Err(e) if callback_guard::refused(&e) => {
                tracing::warn!(app = %delivery.client_id, kind = delivery.kind, url = %delivery.url, "callback push refused: the callback resolves to a non-public address");
                return Outcome::Refused;
            }
            Err(e) => {
                tracing::warn!(app = %delivery.client_id, kind = delivery.kind, url = %delivery.url, error = %e.without_url(), attempt = attempt + 1, "callback push failed")
            }
        }
        if attempt + 1 < ATTEMPTS {
            tokio::time::sleep(backoff(attempt)).await;
        }
    }
    Outcome::GaveUp { attempts: ATTEMPTS }
}

/// The production backoff: 1 s, 2 s, 4 s, … capped at 60 s.
pub fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(retry_delay_secs(attempt))
}

/// Attempts per delivery: 1 s + 2 s + 4 s + 8 s + 16 s of waiting between six tries.
pub const ATTEMPTS: u32 = 6;

/// Pushes a delivery in the background with the production backoff, if fewer than
/// [`CallbackClient::MAX_PENDING`] pushes are pending (else it is dropped and logged).
pub fn spawn(client: CallbackClient, delivery: TicketDelivery) -> tokio::task::JoinHandle<Outcome> {
    let slot = client.pending_slot();
    tokio::spawn(async move {
        let Some(_slot) = slot else {
            tracing::warn!(app = %delivery.client_id, kind = delivery.kind, "callback push dropped: too many pushes pending");
            return Outcome::Dropped;
        };
        let outcome = push(&client, &delivery).await;
        if let Outcome::GaveUp { attempts } = outcome {
            tracing::warn!(app = %delivery.client_id, kind = delivery.kind, attempts, "callback push not delivered");
        }
        outcome
    })
}

/// One round of the ticket schedule at the service's current time (what `serve` runs on its
/// timer): issues every due ticket and pushes each new one in the background.
pub async fn tick(tessera: &Tessera, client: &CallbackClient) -> Result<usize, tessera_store::StoreError> {
    Ok(round_at(tessera, client, tessera.now()).await?.issued)
}

/// What one round of the ticket schedule did.
#[derive(Debug)]
pub struct Round {
    /// Tickets issued in this round (by this node).
    pub issued: usize,
    /// The pushes of the new tickets to their suites' callbacks (suites without a callback
    /// poll and have none here); each ends with its [`Outcome`].
    pub pushes: Vec<tokio::task::JoinHandle<Outcome>>,
}

/// One round of the ticket schedule as of `now`: issues every ticket due at `now` and pushes
/// each new one to its suite's callback URL, if it registered one. Tests drive the schedule
/// with this and their fake clock instead of waiting for the timer of `serve`.
pub async fn round_at(
    tessera: &Tessera,
    client: &CallbackClient,
    now: UnixTime,
) -> Result<Round, tessera_store::StoreError> {
    let issued = tessera.rotate_suite_tickets(now).await?;
    let pushes = issued
        .iter()
        .filter_map(|state| tessera.ticket_delivery_at(state, now))
        .map(|delivery| spawn(client.clone(), delivery))
        .collect();
    Ok(Round { issued: issued.len(), pushes })
}
