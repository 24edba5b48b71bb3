//! Logout: RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) checks the request
//! ([`Tessera::check_end_session`]) and ends the browser's session; ending a session, or a
//! user withdrawing consent, sends a signed logout token (OpenID Connect Back-Channel Logout
//! 1.0) to every app of the user that registered a `backchannel_logout_uri`, through the
//! callback pushes of [`crate::ticket_push`] (public addresses only, retries, bounded).

use rand::Rng;
use serde_json::{Value, json};
use tessera_core::ids::{ClientId, UnionId};
use tessera_core::oidc::OidcClient;
use tessera_core::secret::Secret;
use tessera_core::session::Session;
use tessera_core::time::UnixTime;
use tessera_store::StoreError;

use crate::Tessera;
use crate::signing::LOGOUT_TOKEN_TTL;
use crate::suite::TicketDelivery;
use crate::ticket_push::{self, Outcome};

/// The event of a back-channel logout token.
pub const BACKCHANNEL_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// The parameters of a logout request (GET query or POST form).
#[derive(Debug, Clone, Default)]
pub struct EndSessionParams {
    pub id_token_hint: Option<String>,
    pub client_id: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    pub ui_locales: Option<String>,
}

/// Why a logout request is refused (shown as a page; never redirected).
#[derive(Debug, thiserror::Error)]
pub enum LogoutError {
    #[error("id_token_hint is not an ID token this server issued")]
    ForeignHint,
    #[error("client_id does not match the audience of id_token_hint")]
    ClientMismatch,
    #[error("client_id names no app")]
    UnknownClient,
    #[error("post_logout_redirect_uri needs client_id or id_token_hint to say whose it is")]
    RedirectWithoutClient,
    #[error("post_logout_redirect_uri is not registered for this client")]
    UnregisteredRedirect,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A checked logout request.
#[derive(Debug, Clone)]
pub struct EndSession {
    /// Where the browser goes afterwards: a URI the client registered, with `state` added.
    pub redirect: Option<String>,
    /// The app that asked, when known (shown on the confirmation page).
    pub client_name: Option<String>,
    /// The hint named the signed-in user: no confirmation is needed.
    pub hint_matches_session: bool,
}

/// The session identifier (`sid`) of the session `union_id` started at `created_at`: the same
/// for every app, derived from the server key, so it needs no storage. Two sessions of one
/// person started in the same second share it.
fn sid_of(tessera: &Tessera, union_id: &UnionId, created_at: UnixTime) -> String {
    let hash = tessera.inner.key.hash(&Secret::new(format!("oidc-sid-v1:{union_id}:{}", created_at.0)));
    hash.to_hex().chars().take(32).collect()
}

fn audience_of(claims: &Value) -> Option<String> {
    match &claims["aud"] {
        Value::String(a) => Some(a.clone()),
        Value::Array(list) => {
            claims["azp"].as_str().or_else(|| list.first().and_then(Value::as_str)).map(str::to_owned)
        }
        _ => None,
    }
}

/// `uri` with `state` added to its query.
fn with_state(uri: &str, state: Option<&str>) -> String {
    match (state, reqwest::Url::parse(uri)) {
        (Some(state), Ok(mut url)) => {
            url.query_pairs_mut().append_pair("state", state);
            url.to_string()
        }
        _ => uri.to_owned(),
    }
}

impl Tessera {
    /// The `sid` of ID tokens and logout tokens for the session that signed in at `auth_time`.
    pub fn session_sid(&self, union_id: &UnionId, auth_time: UnixTime) -> String {
        sid_of(self, union_id, auth_time)
    }

    /// Checks a logout request against the signed-in `session` (if any): the hint (signed by
    /// this server with a key of its store, expired or not, issued by this issuer), the
    /// client, and the redirect URI (registered for that client, else refused).
    pub async fn check_end_session(
        &self,
        params: &EndSessionParams,
        session: Option<&Session>,
    ) -> Result<EndSession, LogoutError> {
        let mut client_id = params.client_id.clone().filter(|c| !c.is_empty());
        let mut hint_sub = None;
        if let Some(hint) = params.id_token_hint.as_deref().filter(|h| !h.is_empty()) {
            let claims = self.verify_own(hint).await.ok_or(LogoutError::ForeignHint)?;
            if claims["iss"].as_str() != Some(self.issuer().as_str()) {
                return Err(LogoutError::ForeignHint);
            }
            let aud = audience_of(&claims).ok_or(LogoutError::ForeignHint)?;
            match &client_id {
                Some(c) if c != &aud => return Err(LogoutError::ClientMismatch),
                _ => client_id = Some(aud),
            }
            hint_sub = Some(claims["sub"].as_str().ok_or(LogoutError::ForeignHint)?.to_owned());
        }
        let app = match &client_id {
            Some(c) => {
                let id = ClientId::parse(c).map_err(|_| LogoutError::UnknownClient)?;
                Some(self.app(&id).await?.ok_or(LogoutError::UnknownClient)?)
            }
            None => None,
        };
        let client = match &app {
            Some(app) => Some(self.oidc_client(&app.client_id).await?),
            None => None,
        };
        let redirect = match (params.post_logout_redirect_uri.as_deref().filter(|u| !u.is_empty()), &client) {
            (None, _) => None,
            (Some(_), None) => return Err(LogoutError::RedirectWithoutClient),
            (Some(uri), Some(c)) if c.post_logout_redirect_uris.iter().any(|r| r == uri) => {
                Some(with_state(uri, params.state.as_deref()))
            }
            (Some(_), Some(_)) => return Err(LogoutError::UnregisteredRedirect),
        };
        let hint_matches_session = match (session, &client, &hint_sub) {
            (Some(s), Some(c), Some(sub)) => &self.subject_for(c, &s.union_id) == sub,
            _ => false,
        };
        Ok(EndSession { redirect, client_name: app.map(|a| a.name.clone()), hint_matches_session })
    }

    /// Ends the session behind `cookie` and tells the user's apps (back-channel logout). The
    /// pushes run in the background; their handles are returned for tests.
    pub async fn end_session(&self, cookie: &Secret) -> Result<Vec<tokio::task::JoinHandle<Outcome>>, StoreError> {
        let session = self.session(cookie).await?;
        self.sign_out(cookie).await?;
        let Some(session) = session else {
            return Ok(Vec::new());
        };
        let sid = self.session_sid(&session.union_id, session.created_at);
        let mut pushes = Vec::new();
        for consent in self.inner.store.consents_of(&session.union_id).await? {
            pushes.extend(self.backchannel_logout(&session.union_id, &consent.client_id, Some(&sid)).await);
        }
        Ok(pushes)
    }

    /// Sends `client_id` a logout token for `union_id` (and the session `sid`, when one ended)
    /// if the app registered a back-channel logout URI. Failures are logged, never returned:
    /// a logout goes ahead whatever the apps answer.
    pub async fn backchannel_logout(
        &self,
        union_id: &UnionId,
        client_id: &ClientId,
        sid: Option<&str>,
    ) -> Option<tokio::task::JoinHandle<Outcome>> {
        let client = match self.oidc_client(client_id).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(app = %client_id, error = %e, "back-channel logout skipped: settings unreadable");
                return None;
            }
        };
        let url = client.backchannel_logout_uri.clone()?;
        let token = match self.logout_token(&client, union_id, sid).await {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(app = %client_id, error = %e, "back-channel logout skipped: signing failed");
                return None;
            }
        };
        let body = match serde_urlencoded::to_string([("logout_token", token.as_str())]) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(app = %client_id, error = %e, "back-channel logout skipped: encoding failed");
                return None;
            }
        };
        let delivery = TicketDelivery {
            url,
            client_id: client_id.clone(),
            body: Secret::new(body),
            headers: Vec::new(),
            content_type: "application/x-www-form-urlencoded",
            kind: "logout token",
        };
        Some(ticket_push::spawn(self.inner.callbacks.clone(), delivery))
    }

    /// A logout token (Back-Channel Logout §2.4): `typ` `logout+jwt`, no nonce, `sub` as the
    /// app sees the user, `sid` when a session ended, signed with the app's ID token algorithm.
    async fn logout_token(
        &self,
        client: &OidcClient,
        union_id: &UnionId,
        sid: Option<&str>,
    ) -> Result<String, crate::signing::SigningError> {
        let now = self.now();
        let jti: [u8; 16] = rand::rng().random();
        let mut claims = json!({
            "iss": self.issuer(),
            "aud": client.client_id.as_str(),
            "iat": now.0,
            "exp": now.plus_secs(LOGOUT_TOKEN_TTL).0,
            "jti": jti.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "sub": self.subject_for(client, union_id),
            "events": { BACKCHANNEL_EVENT: {} },
        });
        if let Some(sid) = sid {
            claims["sid"] = sid.into();
        }
        self.sign_jwt(client.id_token_alg, "logout+jwt", &claims).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_is_added_to_the_query_of_the_redirect() {
        assert_eq!(with_state("https://rp.example/bye", Some("a b")), "https://rp.example/bye?state=a+b");
        assert_eq!(with_state("https://rp.example/bye?x=1", Some("s")), "https://rp.example/bye?x=1&state=s");
        assert_eq!(with_state("https://rp.example/bye", None), "https://rp.example/bye");
    }

    #[test]
    fn the_audience_of_a_hint_is_its_azp_when_it_has_several() {
        assert_eq!(audience_of(&json!({"aud": "a"})).as_deref(), Some("a"));
        assert_eq!(audience_of(&json!({"aud": ["a", "b"], "azp": "b"})).as_deref(), Some("b"));
        assert_eq!(audience_of(&json!({"aud": 3})), None);
    }
}
