//! OpenID Connect on top of the OAuth 2 flows: the request parameters of the authorization
//! endpoint ([`request`]), ID tokens ([`id_token`]), UserInfo ([`userinfo`]), logout
//! ([`logout`]) and the settings each app chose.

use tessera_core::app::App;
use tessera_core::ids::{ClientId, UnionId};
use tessera_core::oidc::{OidcClient, subject};
use tessera_store::StoreError;

use crate::Tessera;

pub mod access_jwt;
pub mod id_token;
pub mod logout;
pub mod request;
pub mod settings;
pub mod userinfo;

pub use id_token::IdTokenFacts;
pub use request::{OidcRequest, Prompt};

/// What the pairwise-subject key is derived for.
const PAIRWISE_PURPOSE: &str = "oidc-pairwise-subject-v1";

impl Tessera {
    /// An app's OpenID Connect settings (the defaults when it chose nothing).
    pub async fn oidc_client(&self, client_id: &ClientId) -> Result<OidcClient, StoreError> {
        Ok(self.inner.store.oidc_client(client_id).await?.unwrap_or_else(|| OidcClient::defaults(client_id.clone())))
    }

    /// The `sub` of `union_id` as `app` sees it.
    pub fn subject_for(&self, client: &OidcClient, union_id: &UnionId) -> String {
        subject(client.subject_type, &self.derive_key(PAIRWISE_PURPOSE), &client.client_id, union_id)
    }

    /// The issuer identifier: the public URL without a trailing slash.
    pub fn issuer(&self) -> String {
        self.inner.config.public_url.trim_end_matches('/').to_owned()
    }

    /// Checks the OIDC parameters of an authorization request by `app`; a valid
    /// `id_token_hint` (signed by this server, for this app, expired or not) names its `sub`.
    pub(crate) async fn check_oidc(
        &self,
        app: &App,
        params: &request::OidcParams,
    ) -> Result<OidcRequest, request::OidcParamError> {
        let mut checked = request::check(params)?;
        if let Some(hint) = &params.id_token_hint {
            let foreign = || request::OidcParamError {
                error: "invalid_request",
                description: "id_token_hint is not an ID token this server issued to this client".into(),
            };
            let claims = self.verify_own(hint).await.ok_or_else(foreign)?;
            let aud_ok = match &claims["aud"] {
                serde_json::Value::String(a) => a == app.client_id.as_str(),
                serde_json::Value::Array(list) => list.iter().any(|a| a.as_str() == Some(app.client_id.as_str())),
                _ => false,
            };
            if claims["iss"].as_str() != Some(self.issuer().as_str()) || !aud_ok {
                return Err(foreign());
            }
            checked.hint_sub = Some(claims["sub"].as_str().ok_or_else(foreign)?.to_owned());
        }
        Ok(checked)
    }

    /// What the authorization endpoint must do about `session` (who is signed in, if anyone)
    /// for `req`: proceed, ask for a sign-in, or answer `login_required`.
    pub async fn session_check(
        &self,
        req: &crate::authorize::ValidRequest,
        session: Option<&tessera_core::session::Session>,
    ) -> Result<request::SessionCheck, StoreError> {
        let signed_in = match session {
            None => None,
            Some(s) => {
                let client = self.oidc_client_of(&req.app).await?;
                Some((s.created_at, self.subject_for(&client, &s.union_id)))
            }
        };
        Ok(request::session_check(&req.oidc, signed_in.as_ref().map(|(t, s)| (*t, s.as_str())), self.now()))
    }

    pub(crate) async fn oidc_client_of(&self, app: &App) -> Result<OidcClient, StoreError> {
        self.oidc_client(&app.client_id).await
    }
}
