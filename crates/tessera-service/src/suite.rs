//! Suites (third-party enterprise apps seen from their ISV): suite tickets issued
//! periodically and pushed to the app, suite tokens, corp tokens for orgs that activated the
//! app (with a ticket, or with DingTalk's legacy signature), and what an org authorized.

use std::sync::Arc;

use rand::Rng;
use tessera_core::app::{App, AppKind};
use tessera_core::change::Change;
use tessera_core::feishu_event;
use tessera_core::ids::{ClientId, CorpId, ScopeCode, UserId};
use tessera_core::org::Org;
use tessera_core::secret::Secret;
use tessera_core::suite::{self, SuiteTicket, TicketEvent, TicketRejection};
use tessera_core::time::UnixTime;
use tessera_core::token::TokenKind;
use tessera_store::{AuditFilter, StoreError};

use crate::Tessera;
use crate::issue::IssuedToken;
use crate::stats::Grant;

/// How long a suite's ticket state read from the store is trusted, in seconds: a ticket
/// replaced on another node stays accepted here at most this long after its successor's
/// successor is issued.
pub const TICKET_CACHE_SECS: i64 = 5;

/// Why an ISV's suite request is refused.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    /// No app has this suiteKey.
    #[error("no suite has this suiteKey")]
    UnknownSuiteKey,
    /// The app exists but is not a third-party enterprise app.
    #[error("{client_id} is a {kind} app, not a suite: {hint}")]
    NotASuite { client_id: ClientId, kind: &'static str, hint: &'static str },
    /// The secret is not this suite's (for example another ISV's).
    #[error("the suiteSecret does not belong to this suiteKey")]
    WrongSecret,
    #[error("suiteTicket refused: {0}")]
    Ticket(#[from] TicketRejection),
    /// The org has not activated the app (or does not exist).
    #[error("the suite is not activated in org {corp_id}")]
    NotActivated { corp_id: String },
    /// The legacy call's timestamp is missing, unreadable or more than 5 minutes off.
    #[error("the timestamp is missing or more than 5 minutes away from the server's time")]
    StaleTimestamp,
    #[error("the signature does not match")]
    BadSignature,
    /// Legacy signatures are keyed with the suite secret, which Tessera can recompute only
    /// when it generated the secret itself.
    #[error(
        "this suite's secret was set by hand, so Tessera cannot check signatures keyed with it; use /v1.0/oauth2/corpAccessToken"
    )]
    SecretNotRecomputable,
    /// The token is not a live suite token.
    #[error("the access token is not a valid suite access token")]
    InvalidSuiteToken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

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
    /// The suite behind `suite_key`, if the secret is right (`None`: no secret check, for
    /// legacy signed calls that prove the secret by their signature).
    async fn suite(&self, suite_key: &str, secret: Option<&Secret>) -> Result<Arc<App>, SuiteError> {
        let Ok(client_id) = ClientId::parse(suite_key) else {
            return Err(SuiteError::UnknownSuiteKey);
        };
        let app = self.app(&client_id).await?.ok_or(SuiteError::UnknownSuiteKey)?;
        match app.kind {
            AppKind::ThirdPartyEnterprise => {}
            AppKind::Internal => {
                return Err(SuiteError::NotASuite {
                    client_id,
                    kind: "internal",
                    hint: "internal apps get app tokens with /v1.0/oauth2/accessToken",
                });
            }
            AppKind::ThirdPartyPersonal => {
                return Err(SuiteError::NotASuite {
                    client_id,
                    kind: "third_party_personal",
                    hint: "personal apps get user tokens only",
                });
            }
        }
        match secret {
            Some(s) if !self.secret_matches(&app, s).await? => Err(SuiteError::WrongSecret),
            _ => Ok(app),
        }
    }

    async fn ticket_state(&self, client_id: &ClientId) -> Result<SuiteTicket, SuiteError> {
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
    async fn check_ticket(&self, app: &App, ticket: &str) -> Result<(), SuiteError> {
        let cached = self.inner.cache.tickets.get(&app.client_id, self.now());
        if let Some(state) = cached
            && state.check(&self.inner.key, ticket).is_ok()
        {
            return Ok(());
        }
        Ok(self.ticket_state(&app.client_id).await?.check(&self.inner.key, ticket)?)
    }

    /// DingTalk GetSuiteAccessToken / legacy `get_suite_token`.
    pub async fn issue_suite_token(
        &self,
        suite_key: &str,
        secret: &Secret,
        ticket: &str,
    ) -> Result<IssuedToken, SuiteError> {
        let app = self.suite(suite_key, Some(secret)).await?;
        self.check_ticket(&app, ticket).await?;
        Ok(self.hand_out(&app, app.owner_corp_id.clone(), TokenKind::Suite, Vec::new(), Grant::SuiteTicket).await?)
    }

    /// DingTalk GetCorpAccessToken: a corp token for an org that activated the suite.
    pub async fn issue_corp_token(
        &self,
        suite_key: &str,
        secret: &Secret,
        ticket: &str,
        auth_corp_id: &str,
    ) -> Result<IssuedToken, SuiteError> {
        let app = self.suite(suite_key, Some(secret)).await?;
        self.check_ticket(&app, ticket).await?;
        self.corp_token_for(&app, auth_corp_id).await
    }

    /// Legacy `get_corp_token`: the suite proves its secret with
    /// base64(HMAC-SHA256(suiteSecret, timestamp + "\n" + suiteTicket)).
    pub async fn issue_corp_token_signed(
        &self,
        suite_key: &str,
        timestamp: &str,
        ticket: &str,
        signature: &str,
        auth_corp_id: &str,
    ) -> Result<IssuedToken, SuiteError> {
        let app = self.suite(suite_key, None).await?;
        let secret = suite::generated_secret(&self.inner.key, &app.client_id);
        if !self.secret_matches(&app, &secret).await? {
            return Err(SuiteError::SecretNotRecomputable);
        }
        if !suite::timestamp_fresh(timestamp, self.now()) {
            return Err(SuiteError::StaleTimestamp);
        }
        if !suite::verify_legacy_signature(&secret, timestamp, ticket, signature) {
            return Err(SuiteError::BadSignature);
        }
        self.check_ticket(&app, ticket).await?;
        self.corp_token_for(&app, auth_corp_id).await
    }

    /// Feishu's store-app tenant token: a corp token for `tenant_key` (the org's corp id) from
    /// a live suite token (Feishu's store-app `app_access_token`) of an app activated there.
    pub async fn issue_tenant_token_with_app_token(
        &self,
        app_access_token: &str,
        tenant_key: &str,
    ) -> Result<IssuedToken, SuiteError> {
        let app = self.suite_of_token(app_access_token).await?;
        self.corp_token_for(&app, tenant_key).await
    }

    /// The suite behind a live suite token.
    pub(crate) async fn suite_of_token(&self, suite_token: &str) -> Result<Arc<App>, SuiteError> {
        let record = self.token_record(suite_token).await?.ok_or(SuiteError::InvalidSuiteToken)?;
        if !record.is_live(self.now()) || record.kind != TokenKind::Suite {
            return Err(SuiteError::InvalidSuiteToken);
        }
        self.app(&record.client_id).await?.ok_or(SuiteError::InvalidSuiteToken)
    }

    /// The suite's corp token in an org that activated it.
    pub(crate) async fn corp_token_for(&self, app: &App, auth_corp_id: &str) -> Result<IssuedToken, SuiteError> {
        let not_activated = || SuiteError::NotActivated { corp_id: auth_corp_id.to_owned() };
        let corp_id = CorpId::parse(auth_corp_id).map_err(|_| not_activated())?;
        if !self.standing(&app.client_id, &corp_id).await?.installed {
            return Err(not_activated());
        }
        Ok(self.hand_out(app, corp_id, TokenKind::Corp, Vec::new(), Grant::SuiteTicket).await?)
    }

    /// DingTalk GetAuthInfo: what `auth_corp_id` authorized the suite behind `suite_token` to do.
    pub async fn auth_info(&self, suite_token: &str, auth_corp_id: &str) -> Result<AuthInfo, SuiteError> {
        let app = self.suite_of_token(suite_token).await?;
        let not_activated = || SuiteError::NotActivated { corp_id: auth_corp_id.to_owned() };
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
    pub async fn current_suite_ticket(&self, suite_key: &str, secret: &Secret) -> Result<CurrentTicket, SuiteError> {
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
    pub async fn resend_suite_ticket(&self, suite_key: &str, secret: &Secret) -> Result<Resend, SuiteError> {
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
