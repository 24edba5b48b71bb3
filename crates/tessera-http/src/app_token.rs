//! App, corp and suite tokens through the one token pipeline, for the endpoints of every
//! dialect that answer only such a token (DingTalk GetToken, GetAccessToken, `/gettoken`,
//! the suite operations and their legacy calls; Feishu's `auth/v3` endpoints).

use tessera_core::secret::Secret;
use tessera_service::token_request::AppTokens;
use tessera_service::{ClientAuth, ClientProof, DialectRules, Grant, GrantError, IssuedToken, Tessera, TokenRequest};

/// An app or corp token by client credentials (`corp_id`: the org; `None`: the app's own).
pub async fn app_token(
    tessera: &Tessera,
    client_id: String,
    secret: String,
    corp_id: Option<String>,
    app_tokens: AppTokens,
) -> Result<IssuedToken, GrantError> {
    let client = ClientProof::Credentials(ClientAuth { client_id, secret: Some(Secret::new(secret)) });
    let grant = Grant::ClientCredentials { corp_id, scopes: None };
    issued_token(tessera, client, grant, DialectRules { app_tokens, ..DialectRules::default() }).await
}

/// A suite's suite token (`corp_id`: `None`) or its corp token in an org.
pub async fn suite_token(
    tessera: &Tessera,
    suite: ClientProof,
    corp_id: Option<String>,
) -> Result<IssuedToken, GrantError> {
    let grant = match corp_id {
        None => Grant::SuiteToken,
        Some(corp_id) => Grant::CorpToken { corp_id },
    };
    issued_token(tessera, suite, grant, DialectRules::default()).await
}

async fn issued_token(
    tessera: &Tessera,
    client: ClientProof,
    grant: Grant,
    rules: DialectRules,
) -> Result<IssuedToken, GrantError> {
    // These grants answer an app, corp or suite token only.
    tessera
        .token(TokenRequest::new(client, grant, rules))
        .await?
        .into_app_token()
        .ok_or_else(GrantError::unexpected_answer)
}
