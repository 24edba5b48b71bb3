//! [`Client`]: app and user tokens kept fresh, calls on their behalf, device authorization.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::clock::{Clock, SystemClock};
use crate::error::{ClientError, from_response};
use crate::store::{StoredToken, TokenStore};

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Where Tessera is and who the app is.
#[derive(Clone)]
pub struct Config {
    /// `http://host:port`, no trailing slash needed.
    pub base_url: String,
    pub client_id: String,
    /// `None` for public clients (user tokens only).
    pub client_secret: Option<String>,
    /// Tokens are refreshed this many seconds before they expire (default 300).
    pub refresh_margin: i64,
}

impl Config {
    pub fn new(base_url: impl Into<String>, client_id: impl Into<String>, client_secret: Option<String>) -> Self {
        let base_url = base_url.into().trim_end_matches('/').to_owned();
        Config { base_url, client_id: client_id.into(), client_secret, refresh_margin: 300 }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// A started device authorization: show `user_code` and `verification_uri_complete` (or the
/// card at `card_url`), then wait with [`Client::wait_for_device`].
#[derive(Clone)]
pub struct DeviceAuthorization {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    /// Tessera's authorization card with the QR code.
    pub card_url: String,
    pub expires_in: i64,
    /// Seconds between polls (grows on `slow_down`).
    pub interval: i64,
}

impl std::fmt::Debug for DeviceAuthorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceAuthorization")
            .field("user_code", &self.user_code)
            .field("verification_uri_complete", &self.verification_uri_complete)
            .finish_non_exhaustive()
    }
}

/// Who a user token belongs to (from the server's user-info endpoint and the stored token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub union_id: String,
    pub corp_id: Option<String>,
    pub scope: String,
    pub expires_at: i64,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: i64,
    refresh_token: Option<String>,
    scope: Option<String>,
}

struct Cached {
    token: String,
    expires_at: i64,
}

struct Inner {
    config: Config,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    store: Arc<dyn TokenStore>,
    app_token: RwLock<Option<Cached>>,
    /// Held while the app token is being fetched: one request in flight.
    app_refresh: tokio::sync::Mutex<()>,
    /// One lock per account: refresh tokens are single use.
    user_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// Cheap to clone; share one per app.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl Client {
    pub fn new(config: Config, store: Arc<dyn TokenStore>) -> Self {
        Self::with_clock(config, store, Arc::new(SystemClock))
    }

    pub fn with_clock(config: Config, store: Arc<dyn TokenStore>, clock: Arc<dyn Clock>) -> Self {
        Client {
            inner: Arc::new(Inner {
                config,
                http: reqwest::Client::new(),
                clock,
                store,
                app_token: RwLock::new(None),
                app_refresh: tokio::sync::Mutex::new(()),
                user_locks: Mutex::new(HashMap::new()),
            }),
        }
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.inner.config.base_url)
    }

    fn now(&self) -> i64 {
        self.inner.clock.now()
    }

    fn authenticated(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let c = &self.inner.config;
        match &c.client_secret {
            Some(secret) => req.basic_auth(&c.client_id, Some(secret)),
            None => req,
        }
    }

    /// Posts a form to a token-style endpoint; the JSON answer or the typed error.
    async fn post_form(&self, path: &str, mut form: Vec<(&str, &str)>) -> Result<Value, ClientError> {
        let c = &self.inner.config;
        if c.client_secret.is_none() {
            form.push(("client_id", &c.client_id));
        }
        let res = self.authenticated(self.inner.http.post(self.url(path))).form(&form).send().await?;
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        if status == 200 { Ok(body) } else { Err(from_response(status, &body)) }
    }

    fn fresh(&self) -> Option<String> {
        let guard = self.inner.app_token.read().unwrap_or_else(|p| p.into_inner());
        guard.as_ref().filter(|c| self.now() < c.expires_at - self.inner.config.refresh_margin).map(|c| c.token.clone())
    }

    /// The app's token, fetched when absent or about to expire. However many tasks ask at
    /// once, one request is in flight; the others wait for its answer.
    pub async fn app_token(&self) -> Result<String, ClientError> {
        if let Some(t) = self.fresh() {
            return Ok(t);
        }
        let _flight = self.inner.app_refresh.lock().await;
        if let Some(t) = self.fresh() {
            return Ok(t);
        }
        let body = self.post_form("/oauth2/token", vec![("grant_type", "client_credentials")]).await?;
        let answer: TokenAnswer = serde_json::from_value(body).map_err(|e| ClientError::Server {
            status: 200,
            code: "bad_answer".into(),
            message: e.to_string(),
        })?;
        let cached = Cached { token: answer.access_token.clone(), expires_at: self.now() + answer.expires_in };
        *self.inner.app_token.write().unwrap_or_else(|p| p.into_inner()) = Some(cached);
        Ok(answer.access_token)
    }

    fn user_lock(&self, account: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.inner.user_locks.lock().unwrap_or_else(|p| p.into_inner());
        locks.entry(account.to_owned()).or_default().clone()
    }

    fn need_auth(account: &str, reason: impl Into<String>) -> ClientError {
        ClientError::NeedAuthorization { account: account.to_owned(), reason: reason.into() }
    }

    /// A live access token of `account`, refreshed (under the account's lock, the rotated
    /// refresh token saved) when it is about to expire. A refused refresh deletes the stored
    /// token and asks for authorization again.
    pub async fn user_token(&self, account: &str) -> Result<String, ClientError> {
        self.user_token_inner(account, false).await
    }

    async fn user_token_inner(&self, account: &str, force: bool) -> Result<String, ClientError> {
        let app = self.inner.config.client_id.clone();
        let margin = self.inner.config.refresh_margin;
        let store = &self.inner.store;
        let stale = |t: &StoredToken| self.now() >= t.expires_at - margin;
        let seen = store.load(&app, account).await?.ok_or_else(|| Self::need_auth(account, "no token stored"))?;
        if !force && !stale(&seen) {
            return Ok(seen.access_token);
        }
        let lock = self.user_lock(account);
        let _held = lock.lock().await;
        // Someone else may have refreshed while we waited.
        let current = store.load(&app, account).await?.ok_or_else(|| Self::need_auth(account, "no token stored"))?;
        if current.access_token != seen.access_token && !stale(&current) {
            return Ok(current.access_token);
        }
        if !force && !stale(&current) {
            return Ok(current.access_token);
        }
        let Some(refresh) = current.refresh_token.clone() else {
            store.delete(&app, account).await?;
            return Err(Self::need_auth(account, "the token expired and there is no refresh token"));
        };
        match self.post_form("/oauth2/token", vec![("grant_type", "refresh_token"), ("refresh_token", &refresh)]).await
        {
            Ok(body) => {
                let t = self.stored(account, body, current.granted_at)?;
                store.save(&t).await?;
                Ok(t.access_token)
            }
            Err(ClientError::Server { code, message, .. }) if code == "invalid_grant" => {
                store.delete(&app, account).await?;
                Err(Self::need_auth(account, message))
            }
            Err(e) => Err(e),
        }
    }

    fn stored(&self, account: &str, body: Value, granted_at: i64) -> Result<StoredToken, ClientError> {
        let a: TokenAnswer = serde_json::from_value(body).map_err(|e| ClientError::Server {
            status: 200,
            code: "bad_answer".into(),
            message: e.to_string(),
        })?;
        Ok(StoredToken {
            app_id: self.inner.config.client_id.clone(),
            account: account.to_owned(),
            access_token: a.access_token,
            refresh_token: a.refresh_token,
            expires_at: self.now() + a.expires_in,
            scope: a.scope.unwrap_or_default(),
            granted_at,
        })
    }

    /// Starts a device authorization asking `scope` (space-separated).
    pub async fn start_device(&self, scope: &str) -> Result<DeviceAuthorization, ClientError> {
        let body = self.post_form("/oauth2/device_authorization", vec![("scope", scope)]).await?;
        let s = |k: &str| body.get(k).and_then(Value::as_str).map(String::from);
        let n = |k: &str| body.get(k).and_then(Value::as_i64);
        let bad = || ClientError::Server {
            status: 200,
            code: "bad_answer".into(),
            message: "incomplete device answer".into(),
        };
        let user_code = s("user_code").ok_or_else(bad)?;
        Ok(DeviceAuthorization {
            device_code: s("device_code").ok_or_else(bad)?,
            card_url: format!("{}?user_code={user_code}", self.url("/device/card")),
            user_code,
            verification_uri: s("verification_uri").ok_or_else(bad)?,
            verification_uri_complete: s("verification_uri_complete").ok_or_else(bad)?,
            expires_in: n("expires_in").unwrap_or(600),
            interval: n("interval").unwrap_or(5),
        })
    }

    /// Polls once: `Ok(None)` while the user has not decided (the interval grows on
    /// `slow_down`); the token, stored for `account`, once they approved.
    pub async fn poll_device(
        &self,
        device: &mut DeviceAuthorization,
        account: &str,
    ) -> Result<Option<StoredToken>, ClientError> {
        let form = vec![("grant_type", DEVICE_GRANT), ("device_code", device.device_code.as_str())];
        match self.post_form("/oauth2/token", form).await {
            Ok(body) => {
                let t = self.stored(account, body, self.now())?;
                self.inner.store.save(&t).await?;
                Ok(Some(t))
            }
            Err(ClientError::Server { code, .. }) => match code.as_str() {
                "authorization_pending" => Ok(None),
                "slow_down" => {
                    device.interval = (device.interval + 5).min(60);
                    Ok(None)
                }
                "access_denied" => Err(ClientError::AccessDenied),
                "expired_token" | "invalid_grant" => Err(ClientError::DeviceExpired),
                other => Err(ClientError::Server {
                    status: 400,
                    code: other.to_owned(),
                    message: "device poll refused".into(),
                }),
            },
            Err(e) => Err(e),
        }
    }

    /// Polls every `interval` seconds until the user decides or the code expires.
    pub async fn wait_for_device(
        &self,
        device: &mut DeviceAuthorization,
        account: &str,
    ) -> Result<StoredToken, ClientError> {
        loop {
            tokio::time::sleep(Duration::from_secs(device.interval.max(1) as u64)).await;
            if let Some(t) = self.poll_device(device, account).await? {
                return Ok(t);
            }
        }
    }

    /// Revokes the account's tokens on the server and deletes them locally.
    pub async fn logout(&self, account: &str) -> Result<(), ClientError> {
        let app = self.inner.config.client_id.clone();
        if let Some(t) = self.inner.store.load(&app, account).await? {
            let token = t.refresh_token.as_deref().unwrap_or(&t.access_token);
            self.post_form("/oauth2/revoke", vec![("token", token)]).await?;
        }
        self.inner.store.delete(&app, account).await?;
        Ok(())
    }

    /// Who the account's token belongs to, asked of the server with the token itself (the
    /// user-info endpoint needs no scope; introspection is closed to public clients). The
    /// scope and expiry are those of the stored token.
    pub async fn identity(&self, account: &str) -> Result<Identity, ClientError> {
        let body = match self.get_as_user(account, "/open-apis/authen/v1/user_info").await {
            Ok(body) => body,
            Err(e) if invalid_token(&e) => {
                return Err(Self::need_auth(account, "the server no longer accepts the token"));
            }
            Err(e) => return Err(e),
        };
        let app = self.inner.config.client_id.clone();
        let stored =
            self.inner.store.load(&app, account).await?.ok_or_else(|| Self::need_auth(account, "no token stored"))?;
        let s = |k: &str| body.pointer(&format!("/data/{k}")).and_then(Value::as_str).map(String::from);
        Ok(Identity {
            union_id: s("union_id").or_else(|| s("open_id")).unwrap_or_default(),
            corp_id: s("tenant_key"),
            scope: stored.scope,
            expires_at: stored.expires_at,
        })
    }

    async fn get(&self, path: &str, token: &str) -> Result<Result<Value, ClientError>, ClientError> {
        let res = self.inner.http.get(self.url(path)).bearer_auth(token).send().await?;
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        Ok(if status == 200 { Ok(body) } else { Err(from_response(status, &body)) })
    }

    /// `GET path` with the app's token.
    pub async fn get_as_app(&self, path: &str) -> Result<Value, ClientError> {
        let token = self.app_token().await?;
        self.get(path, &token).await?
    }

    /// `GET path` on behalf of `account`. A token the server calls invalid is refreshed
    /// once and the call retried.
    pub async fn get_as_user(&self, account: &str, path: &str) -> Result<Value, ClientError> {
        let token = self.user_token(account).await?;
        match self.get(path, &token).await? {
            Err(e) if invalid_token(&e) => {
                let token = self.user_token_inner(account, true).await?;
                self.get(path, &token).await?
            }
            other => other,
        }
    }
}

fn invalid_token(e: &ClientError) -> bool {
    matches!(e, ClientError::Server { code, .. } if code == "InvalidAuthentication" || code == "99991668" || code == "99991677")
}
