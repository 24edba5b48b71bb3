//! The one token entry point: [`Tessera::token`] authenticates the client once and hands
//! the grant to its function (client credentials in [`crate::issue`], codes in
//! [`crate::code_grant`], refresh in [`crate::refresh_grant`], device codes in
//! [`crate::device`], suite and corp tokens of suites in [`crate::suite_grant`]). To add a grant: a variant of [`Grant`], its causes in
//! [`GrantError`], one function, one arm here, and each dialect's parser and `error.rs`.

use std::sync::Arc;

use tessera_core::app::App;
use tessera_core::ids::ClientId;

use crate::Tessera;
use crate::grant_error::GrantError;
use crate::token_request::{ClientAuth, ClientProof, Grant, MAX_RESOURCES, TokenAnswer, TokenRequest};

impl Tessera {
    /// Answers one token request: every check before anything is consumed or minted.
    pub async fn token(&self, req: TokenRequest) -> Result<TokenAnswer, GrantError> {
        let TokenRequest { client, grant, rules, resources } = req;
        match (&grant, &client) {
            (Grant::ClientCredentials { .. }, ClientProof::Credentials(ClientAuth { secret: None, .. })) => {
                return Err(GrantError::SecretRequired);
            }
            (Grant::SuiteToken | Grant::CorpToken { .. }, proof) if !proof.is_suite() => {
                return Err(GrantError::TicketRequired);
            }
            _ => {}
        }
        let app = self.authenticate_token_client(&client).await?;
        let resources = self.check_resources(&app, resources).await?;
        let rs = &resources;
        match grant {
            Grant::ClientCredentials { corp_id, scopes } => {
                self.client_credentials_grant(&app, corp_id.as_deref(), scopes, rules.app_tokens, rs).await
            }
            Grant::AuthorizationCode { code, redirect_uri, code_verifier } => {
                self.code_grant(&app, &code, redirect_uri.as_deref(), code_verifier.as_deref(), rules, rs).await
            }
            Grant::RefreshToken { refresh_token, scopes } => {
                Ok(TokenAnswer::User(self.refresh_grant(&app, &refresh_token, scopes, rs).await?))
            }
            Grant::DeviceCode { device_code } => {
                Ok(TokenAnswer::User(self.device_grant(&app, &device_code, rs).await?))
            }
            Grant::SuiteToken => Ok(TokenAnswer::App { token: self.suite_token_grant(&app).await?, scopes: None }),
            Grant::CorpToken { corp_id } => {
                Ok(TokenAnswer::App { token: self.corp_token_grant(&app, &corp_id).await?, scopes: None })
            }
        }
    }

    /// RFC 8707 §2: every `resource` must be one the app registered (at most
    /// [`MAX_RESOURCES`], duplicates dropped), else `invalid_target`. Sorted.
    pub async fn check_resources(&self, app: &App, mut asked: Vec<String>) -> Result<Vec<String>, GrantError> {
        if asked.is_empty() {
            return Ok(asked);
        }
        asked.sort();
        asked.dedup();
        if asked.len() > MAX_RESOURCES {
            return Err(GrantError::InvalidTarget(format!("at most {MAX_RESOURCES} resource parameters are accepted")));
        }
        let client = self.cached_oidc_client(&app.client_id).await?;
        if let Some(unknown) = asked.iter().find(|r| !client.resources.contains(r)) {
            // The value is the caller's own input; it is short and checked for control
            // characters by the parameter reader, but it is not echoed in full.
            let shown: String = unknown.chars().take(100).collect();
            return Err(GrantError::InvalidTarget(format!(
                "resource {shown:?} is not one of the resources registered for this client"
            )));
        }
        Ok(asked)
    }

    async fn authenticate_token_client(&self, proof: &ClientProof) -> Result<Arc<App>, GrantError> {
        match proof {
            ClientProof::Credentials(auth) => self.authenticate_grant_client(auth).await,
            ClientProof::AppToken(token) => match self.app_for_token(token).await {
                Ok(app) => Ok(app),
                Err(crate::AccessError::Store(e)) => Err(e.into()),
                Err(_) => Err(GrantError::InvalidAppToken),
            },
            ClientProof::SuiteTicket { .. } | ClientProof::SuiteSignature { .. } | ClientProof::SuiteToken(_) => {
                self.authenticate_suite(proof).await
            }
        }
    }

    /// The app behind a client authentication: confidential clients need their secret;
    /// public clients send none.
    pub async fn authenticate_grant_client(&self, auth: &ClientAuth) -> Result<Arc<App>, GrantError> {
        let Ok(client_id) = ClientId::parse(auth.client_id.as_str()) else {
            return Err(GrantError::UnknownClient);
        };
        let app = self.app(&client_id).await?.ok_or(GrantError::UnknownClient)?;
        match (&auth.secret, app.public_client) {
            (None, true) => Ok(app),
            (None, false) => Err(GrantError::SecretMissing),
            (Some(secret), false) if self.secret_matches(&app, secret).await? => Ok(app),
            (Some(_), _) => Err(GrantError::WrongSecret),
        }
    }
}
