//! Device authorization (RFC 8628) in the service: starting a request for an app, the
//! verification page's look-up and decision (with consent, as on the authorization page),
//! and polling the token endpoint, which issues a token family exactly once.

use std::sync::Arc;

use tessera_core::app::App;
use tessera_core::change::Change;
use tessera_core::consent::{check_requestable, parse_scope_string};
use tessera_core::device::{self, DeviceAuthorization, DeviceDecisionError, DevicePollError, DeviceStatus};
use tessera_core::ids::{ClientId, ScopeCode, UnionId};
use tessera_core::scope::Scope;
use tessera_core::secret::{Secret, token_hash};
use tessera_store::{DeviceLookup, StoreError};

use crate::Tessera;
use crate::authorize::{ValidRequest, new_family_id};
use crate::grant_error::GrantError;
use crate::token_request::UserTokenPair;

/// What the device shows its user.
#[derive(Debug, Clone)]
pub struct DeviceStart {
    pub device_code: Secret,
    /// `XXXX-XXXX`.
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: i64,
    pub interval: i64,
}

/// Why the verification page cannot go on with a user code.
#[derive(Debug, thiserror::Error)]
pub enum DeviceVerifyError {
    #[error("no request has this code; check it on your device and type it again")]
    UnknownCode,
    #[error(transparent)]
    Decision(#[from] DeviceDecisionError),
    /// The signed-in user may not use the app (an internal app of another org, say).
    #[error("{0}")]
    NotAllowed(String),
    /// Too many codes that matched nothing came from this address: nothing was looked up.
    #[error("too many unknown codes; try again in {retry_after} seconds")]
    TooManyAttempts { retry_after: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How a device authorization request must authenticate its client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceClientAuth {
    /// As at the token endpoint: a confidential client sends its secret, a public one none.
    Required,
    /// The secret is checked when sent; without one the app need only exist. Only Feishu's
    /// v2 JSON endpoint, whose official SDK sends the app id alone.
    WhenSent,
}

/// A pending request as the verification page and the authorization card show it.
#[derive(Debug, Clone)]
pub struct PendingDevice {
    pub record: DeviceAuthorization,
    pub app: Arc<App>,
}

impl Tessera {
    /// The verification page's address (the QR code points at it with the user code).
    pub fn verification_uri(&self) -> String {
        format!("{}/device", self.inner.config.public_url.trim_end_matches('/'))
    }

    /// Starts a device authorization for a request from `address` (its key), at most
    /// [`DEVICE_STARTS_PER_ADDRESS`](crate::throttle::DEVICE_STARTS_PER_ADDRESS) a minute per
    /// address. A confidential client authenticates with its secret unless `rule` says
    /// otherwise; only a poll with the app's credentials ever gets tokens.
    pub async fn start_device(
        &self,
        client_id: &str,
        secret: Option<&Secret>,
        scope: Option<&str>,
        address: &str,
        rule: DeviceClientAuth,
    ) -> Result<DeviceStart, GrantError> {
        self.start_device_with_nonce(client_id, secret, scope, None, address, rule).await
    }

    /// [`Tessera::start_device`] with an OpenID Connect `nonce` for the ID token (1 to
    /// [`MAX_NONCE_LEN`](crate::oidc::request::MAX_NONCE_LEN) printable characters).
    pub async fn start_device_with_nonce(
        &self,
        client_id: &str,
        secret: Option<&Secret>,
        scope: Option<&str>,
        nonce: Option<&str>,
        address: &str,
        rule: DeviceClientAuth,
    ) -> Result<DeviceStart, GrantError> {
        if let Some(n) = nonce
            && !crate::oidc::request::nonce_ok(n)
        {
            return Err(GrantError::InvalidNonce);
        }
        let now = self.now();
        if let Err(t) = self.inner.throttles.device_starts.reserve(&format!("device-start:{address}"), now) {
            return Err(GrantError::TooManyRequests { retry_after: t.retry_after });
        }
        let Ok(id) = ClientId::parse(client_id) else {
            return Err(GrantError::UnknownClient);
        };
        let app = self.app(&id).await?.ok_or(GrantError::UnknownClient)?;
        match (secret, app.public_client) {
            (Some(secret), false) if self.secret_matches(&app, secret).await? => {}
            (None, true) => {}
            (None, false) if rule == DeviceClientAuth::WhenSent => {}
            (None, false) => return Err(GrantError::SecretMissing),
            (Some(_), _) => return Err(GrantError::WrongSecret),
        }
        let scopes = match scope {
            Some(s) if !s.trim().is_empty() => {
                parse_scope_string(s).map_err(|e| GrantError::ScopeNotRequestable(e.to_string()))?
            }
            _ => vec![ScopeCode::parse("openid").map_err(|e| GrantError::ScopeNotRequestable(e.to_string()))?],
        };
        let catalog = self.catalog().await?;
        let enabled = self.enabled_scopes(&app.client_id).await?;
        check_requestable(&scopes, &catalog, &enabled).map_err(|e| GrantError::ScopeNotRequestable(e.to_string()))?;
        let mut new =
            device::start(app.client_id.clone(), scopes, now, self.inner.config.device_poll_interval, &mut rand::rng());
        new.record.nonce = nonce.map(str::to_owned);
        self.inner.store.commit(&[Change::InsertDeviceAuthorization(new.record.clone())], now).await?;
        let uri = self.verification_uri();
        Ok(DeviceStart {
            verification_uri_complete: format!("{uri}?user_code={}", new.user_code),
            verification_uri: uri,
            device_code: new.device_code,
            user_code: new.user_code,
            expires_in: device::DEVICE_TTL,
            interval: new.record.interval,
        })
    }

    /// The live request behind a user code typed or opened from `address` (its key). Each
    /// look-up is reserved against the address's limit before the store is asked; one that
    /// finds a request hands it back, so only codes that match nothing count, at most
    /// [`USER_CODE_MISSES_PER_ADDRESS`](crate::throttle::USER_CODE_MISSES_PER_ADDRESS) per window.
    pub async fn pending_device(&self, user_code: &str, address: &str) -> Result<PendingDevice, DeviceVerifyError> {
        let now = self.now();
        let key = format!("user-code:{address}");
        let limits = &self.inner.throttles.user_code_misses;
        if let Err(t) = limits.reserve(&key, now) {
            return Err(DeviceVerifyError::TooManyAttempts { retry_after: t.retry_after });
        }
        let found = self.find_device(user_code).await;
        if !matches!(found, Err(DeviceVerifyError::UnknownCode)) {
            limits.release(&key, now);
        }
        let record = found?;
        device::can_decide(&record, now)?;
        let app = self.app(&record.client_id).await?.ok_or(DeviceVerifyError::UnknownCode)?;
        Ok(PendingDevice { record, app })
    }

    async fn find_device(&self, user_code: &str) -> Result<DeviceAuthorization, DeviceVerifyError> {
        let hash = device::user_code_hash(user_code).ok_or(DeviceVerifyError::UnknownCode)?;
        self.inner
            .store
            .device_authorization(&DeviceLookup::UserCode(hash))
            .await?
            .ok_or(DeviceVerifyError::UnknownCode)
    }

    fn device_request(pending: &PendingDevice) -> ValidRequest {
        ValidRequest {
            app: pending.app.clone(),
            redirect_uri: String::new(),
            scopes: pending.record.scopes.clone(),
            state: None,
            code_challenge: None,
            corp_hint: None,
            oidc: Default::default(),
            resources: Vec::new(),
        }
    }

    /// The scopes of the request `union_id` has not consented to yet.
    pub async fn device_prompt(&self, union_id: &UnionId, pending: &PendingDevice) -> Result<Vec<Scope>, StoreError> {
        self.consent_prompt(union_id, &Self::device_request(pending)).await
    }

    /// The signed-in user approves (consenting to the scopes) or denies the request.
    pub async fn decide_device(
        &self,
        union_id: &UnionId,
        user_code: &str,
        approve: bool,
        address: &str,
    ) -> Result<PendingDevice, DeviceVerifyError> {
        let pending = self.pending_device(user_code, address).await?;
        let req = Self::device_request(&pending);
        let corp_id = match self.user_org(union_id, &req).await? {
            Ok(corp) => corp,
            Err(why) if approve => return Err(DeviceVerifyError::NotAllowed(why)),
            Err(_) => None,
        };
        let now = self.now();
        let mut changes = if approve {
            self.consent_changes(union_id, &pending.app.client_id, &pending.record.scopes, corp_id.as_ref(), now)
                .await?
        } else {
            Vec::new()
        };
        changes.push(Change::DecideDevice {
            device_hash: pending.record.device_hash,
            approved: approve,
            union_id: union_id.clone(),
            corp_id,
            decided_at: now,
        });
        match self.inner.store.commit(&changes, now).await {
            Ok(()) => Ok(pending),
            Err(StoreError::Conflict(_)) => Err(DeviceDecisionError::AlreadyDecided.into()),
            Err(e) => Err(e.into()),
        }
    }

    /// `urn:ietf:params:oauth:grant-type:device_code`, for an authenticated app: the client
    /// polls; once the user approved, the first poll gets a new token family and the code
    /// is spent.
    pub(crate) async fn device_grant(
        &self,
        app: &App,
        device_code: &str,
        resources: &[String],
    ) -> Result<UserTokenPair, GrantError> {
        let hash = token_hash(device_code);
        let record = match self.inner.store.device_authorization(&DeviceLookup::DeviceCode(hash)).await? {
            Some(d) if d.client_id == app.client_id => d,
            _ => return Err(DevicePollError::InvalidGrant.into()),
        };
        let now = self.now();
        let (outcome, polled) = device::poll(&record, now);
        let polled =
            polled.map(|p| Change::DevicePolled { device_hash: hash, polled_at: p.polled_at, interval: p.interval });
        if let Err(e) = outcome {
            if let Some(p) = polled {
                self.inner.store.commit(&[p], now).await?;
            }
            return Err(e.into());
        }
        let (Some(union_id), DeviceStatus::Approved) = (record.union_id.clone(), record.status) else {
            return Err(DevicePollError::InvalidGrant.into());
        };
        let family_id = new_family_id();
        let mut changes = vec![
            Change::ConsumeDevice { device_hash: hash },
            Change::InsertFamily {
                family_id: family_id.clone(),
                client_id: app.client_id.clone(),
                union_id: union_id.clone(),
            },
        ];
        let access = self.user_access_token(app, &union_id, &record.scopes, resources, now).await?;
        let pair = self.mint_pair(
            app,
            &union_id,
            record.corp_id.clone(),
            record.scopes.clone(),
            &family_id,
            access,
            now,
            &mut changes,
        );
        match self.inner.store.commit(&changes, now).await {
            // auth_time: when the user approved at the verification page.
            Ok(()) => {
                self.inner.stats.issued(crate::stats::Grant::DeviceCode, tessera_core::token::TokenKind::User);
                self.with_id_token(app, pair, record.nonce.as_deref(), record.auth_time).await
            }
            // Another poll spent the code first.
            Err(StoreError::Conflict(_)) => Err(DevicePollError::InvalidGrant.into()),
            Err(e) => Err(e.into()),
        }
    }
}
