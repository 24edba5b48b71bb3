//! Suites (third-party enterprise apps seen from their ISV): suite tickets issued
//! periodically and pushed to the app, checked when presented, and what an org authorized.
//! Their suite and corp tokens are grants of the one pipeline ([`crate::suite_grant`]).

use std::sync::Arc;

use rand::Rng;
use tessera_core::app::App;
use tessera_core::change::Change;
use tessera_core::feishu_event;
use tessera_core::ids::{ClientId, CorpId, ScopeCode, UserId};
use tessera_core::org::Org;
use tessera_core::secret::Secret;
use tessera_core::suite::{self, SuiteTicket, TicketEvent, TicketRejection};
use tessera_core::time::UnixTime;
use tessera_store::{AuditFilter, StoreError};

use crate::Tessera;
use crate::grant_error::GrantError;

/// How long a suite's ticket state read from the store is trusted, in seconds: a ticket
/// replaced on another node stays accepted here at most this long after its successor's
/// successor is issued.
pub const TICKET_CACHE_SECS: i64 = 5;

/// What an org authorized a suite to do (DingTalk GetAuthInfo).
#[derive(Debug, Clone)]
pub struct AuthInfo {
    pub org: Org,
    pub app: Arc<App>,
    /// The member who activated the app, when the audit log tells.
    pub activated_by: Option<UserId>,
    /// The org's admins (members holding `org_admin` over the whole org).
    pub admins: Vec<UserId>,
    /// Scopes the app holds in the org: its enabled non-sensitive scopes and the sensitive
    /// ones the org authorized.
    pub scopes: Vec<ScopeCode>,
}

/// A ticket as handed to a suite that polls.
#[derive(Debug, Clone)]
pub struct CurrentTicket {
    pub ticket: Secret,
    pub issued_at: UnixTime,
}

impl Tessera {
    async fn ticket_state(&self, client_id: &ClientId) -> Result<SuiteTicket, StoreError> {
        let fill = self.inner.cache.fill();
        let state =
            self.inner.store.suite_ticket(client_id).await?.unwrap_or_else(|| SuiteTicket::new(client_id.clone()));
        self.cache_ticket_state(fill, &state);
        Ok(state)
    }

    /// Caches a ticket state read since `fill`, unless a newer one (read by a concurrent
    /// request) is cached already.
    fn cache_ticket_state(&self, fill: crate::cache::Fill, state: &SuiteTicket) {
        let newer = |cached: &SuiteTicket| cached.seq > state.seq;
        self.inner.cache.tickets.insert_unless(fill, state.client_id.clone(), state.clone(), self.now(), newer);
    }

    /// Checks a presented ticket against the suite's ticket state as read within the last
    /// [`TICKET_CACHE_SECS`]; a ticket that state refuses is checked once more against the
    /// store (another node may have issued a newer one).
    pub(crate) async fn check_ticket(&self, app: &App, ticket: &str) -> Result<(), GrantError> {
        let cached = self.inner.cache.tickets.get(&app.client_id, self.now());
        if let Some(state) = cached
            && state.check(&self.inner.key, ticket).is_ok()
        {
            return Ok(());
        }
        Ok(self.ticket_state(&app.client_id).await?.check(&self.inner.key, ticket)?)
    }

    /// DingTalk GetAuthInfo: what `auth_corp_id` authorized the suite behind `suite_token` to do.
    pub async fn auth_info(&self, suite_token: &str, auth_corp_id: &str) -> Result<AuthInfo, GrantError> {
        let app = self.suite_of_token(suite_token).await?;
        let not_activated = || GrantError::NotInstalled { corp_id: auth_corp_id.to_owned() };
        let corp_id = CorpId::parse(auth_corp_id).map_err(|_| not_activated())?;
        let standing = self.standing(&app.client_id, &corp_id).await?;
        let org = self.inner.store.org(&corp_id).await?;
        let (true, Some(org)) = (standing.installed, org) else {
            return Err(not_activated());
        };
        let scopes = self.held_scopes(&app.client_id, &corp_id).await?;
        let admin = tessera_core::ids::Role::parse("org_admin").map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let admins = self
            .inner
            .store
            .members_of(&corp_id)
            .await?
            .into_iter()
            .filter(|m| m.holds_org_wide(&admin))
            .map(|m| m.user_id)
            .collect();
        let installs = self
            .inner
            .store
            .audit_events(&AuditFilter {
                corp_id: Some(corp_id.clone()),
                action: Some(tessera_core::audit::AuditAction::AppInstalled),
                client_id: Some(app.client_id.clone()),
                limit: 1_000,
                ..AuditFilter::default()
            })
            .await?;
        let prefix = format!("member:{corp_id}/");
        let activated_by =
            installs.last().and_then(|e| e.draft.actor.strip_prefix(&prefix)).and_then(|u| UserId::parse(u).ok());
        Ok(AuthInfo { org, app, activated_by, admins, scopes })
    }

    /// The suite's latest ticket, for suites that poll instead of receiving pushes.
    pub async fn current_suite_ticket(&self, suite_key: &str, secret: &Secret) -> Result<CurrentTicket, GrantError> {
        let app = self.suite(suite_key, Some(secret)).await?;
        let state = self.ticket_state(&app.client_id).await?;
        let ticket = state.latest(&self.inner.key).ok_or(TicketRejection::NoneIssued)?;
        Ok(CurrentTicket { ticket, issued_at: state.issued_at })
    }

    /// Registers (or removes) where a suite's tickets are pushed and in which shape; returns
    /// what the receiver needs to check them. Checked by the management layer (developers of
    /// the app's org).
    pub(crate) async fn store_ticket_callback(
        &self,
        client_id: &ClientId,
        url: Option<String>,
        event: TicketEvent,
        audit: tessera_core::audit::AuditDraft,
    ) -> Result<CallbackKeys, StoreError> {
        let set = Change::SetTicketCallback { client_id: client_id.clone(), url, event };
        self.inner.store.commit(&[set, Change::Audit(audit)], self.now()).await?;
        let key = &self.inner.key;
        let feishu = matches!(event, TicketEvent::Feishu | TicketEvent::FeishuEncrypted);
        Ok(CallbackKeys {
            signing_key: suite::callback_signing_key(key, client_id),
            verification_token: feishu.then(|| suite::feishu_verification_token(key, client_id)),
            encrypt_key: (event == TicketEvent::FeishuEncrypted).then(|| suite::feishu_encrypt_key(key, client_id)),
        })
    }

    /// Issues a new ticket to every suite whose ticket is due at `now`; returns the suites
    /// that got one here (another node may have issued some: each sequence number advances
    /// once).
    pub async fn rotate_suite_tickets(&self, now: UnixTime) -> Result<Vec<SuiteTicket>, StoreError> {
        let interval = self.inner.config.suite_ticket_interval;
        let mut issued = Vec::new();
        for state in self.inner.store.suite_tickets().await? {
            if !state.due(now, interval) {
                continue;
            }
            let change = Change::AdvanceSuiteTicket { client_id: state.client_id.clone(), from_seq: state.seq };
            let fill = self.inner.cache.fill();
            match self.inner.store.commit(&[change], now).await {
                Ok(()) => {}
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e),
            }
            if let Some(now) = self.inner.store.suite_ticket(&state.client_id).await? {
                self.cache_ticket_state(fill, &now);
                issued.push(now);
            }
        }
        Ok(issued)
    }

    /// The body and signature headers of a ticket delivery for `state`'s latest ticket.
    pub fn ticket_delivery(&self, state: &SuiteTicket) -> Option<TicketDelivery> {
        self.ticket_delivery_at(state, self.now())
    }

    /// [`Self::ticket_delivery`] stamped with `now`, in the shape the suite registered.
    pub fn ticket_delivery_at(&self, state: &SuiteTicket, now: UnixTime) -> Option<TicketDelivery> {
        let ticket = state.latest(&self.inner.key)?;
        let url = state.callback_url.clone()?;
        let id = &state.client_id;
        let timestamp = now.0;
        let (body, headers) = match state.event {
            TicketEvent::DingTalk => {
                let body = serde_json::json!({
                    "EventType": "suite_ticket",
                    "SuiteKey": id.as_str(),
                    "SuiteTicket": ticket.expose(),
                    "TimeStamp": (timestamp * 1000).to_string(),
                })
                .to_string();
                let key = suite::callback_signing_key(&self.inner.key, id);
                let signature = suite::delivery_signature(&key, timestamp, &body);
                (body, vec![("x-tessera-timestamp", timestamp.to_string()), ("x-tessera-signature", signature)])
            }
            TicketEvent::Feishu | TicketEvent::FeishuEncrypted => {
                let mut rng = rand::rng();
                let uuid = hex(&rng.random::<[u8; 16]>());
                let token = suite::feishu_verification_token(&self.inner.key, id);
                let plain =
                    feishu_event::app_ticket_event(&uuid, token.expose(), timestamp, id.as_str(), ticket.expose());
                if state.event == TicketEvent::Feishu {
                    (plain, Vec::new())
                } else {
                    let encrypt_key = suite::feishu_encrypt_key(&self.inner.key, id);
                    let body = feishu_event::encrypted_body(encrypt_key.expose(), rng.random(), &plain);
                    let nonce = hex(&rng.random::<[u8; 8]>());
                    let ts = timestamp.to_string();
                    let signature = feishu_event::signature(&ts, &nonce, encrypt_key.expose(), &body);
                    let headers = vec![
                        ("x-lark-request-timestamp", ts),
                        ("x-lark-request-nonce", nonce),
                        ("x-lark-signature", signature),
                    ];
                    (body, headers)
                }
            }
        };
        Some(TicketDelivery {
            url,
            client_id: id.clone(),
            body: Secret::new(body),
            headers,
            content_type: "application/json",
            kind: "suite ticket",
        })
    }

    /// The delivery of a suite's current ticket again (Feishu's `app_ticket/resend`, or a
    /// suite that lost it), after checking its credentials; at most one per app every
    /// [`RESEND_INTERVAL_SECS`](crate::resend_limit::RESEND_INTERVAL_SECS).
    pub async fn resend_suite_ticket(&self, suite_key: &str, secret: &Secret) -> Result<Resend, GrantError> {
        let app = self.suite(suite_key, Some(secret)).await?;
        let state = self.ticket_state(&app.client_id).await?;
        if state.seq == 0 {
            return Err(TicketRejection::NoneIssued.into());
        }
        let Some(delivery) = self.ticket_delivery(&state) else {
            return Ok(Resend::NoCallback);
        };
        match self.inner.resends.try_take(&app.client_id, self.now()) {
            Ok(()) => Ok(Resend::Push(delivery)),
            Err(retry_after) => Ok(Resend::Limited { retry_after }),
        }
    }
}

/// What a ticket receiver needs to check the pushes (derived from the server key, not stored).
#[derive(Debug)]
pub struct CallbackKeys {
    /// Signs DingTalk-shaped pushes (`X-Tessera-Signature`).
    pub signing_key: Secret,
    /// A Feishu store app's verification token (the `token` of its events).
    pub verification_token: Option<Secret>,
    /// A Feishu store app's encrypt key, when its events are encrypted.
    pub encrypt_key: Option<Secret>,
}

/// What a resend request leads to.
#[derive(Debug)]
pub enum Resend {
    /// Push this delivery.
    Push(TicketDelivery),
    /// The suite registered no callback: it polls for its ticket.
    NoCallback,
    /// The app had a resend less than the interval ago: try again in `retry_after` seconds.
    Limited { retry_after: i64 },
}

/// One push to an app's callback URL: a suite ticket, or a back-channel logout token. The
/// body holds the ticket or token, so it is kept as a [`Secret`] (redacted in `Debug`).
#[derive(Debug, Clone)]
pub struct TicketDelivery {
    pub url: String,
    pub client_id: ClientId,
    pub body: Secret,
    /// The body's media type.
    pub content_type: &'static str,
    /// What is delivered, for the logs (`suite ticket`, `logout token`).
    pub kind: &'static str,
    /// Sent with the body: DingTalk's `X-Tessera-Timestamp` and `X-Tessera-Signature` =
    /// base64(HMAC-SHA256(signing key, timestamp + "\n" + body)), or Feishu's `X-Lark-*`
    /// signature headers of an encrypted event (none for a plain one).
    pub headers: Vec<(&'static str, String)>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
