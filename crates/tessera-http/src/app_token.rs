//! Client credentials through the one token pipeline, for the endpoints of every dialect
//! that answer only an app or corp token (DingTalk GetToken, GetAccessToken, `/gettoken`;
//! Feishu's `auth/v3` internal endpoints).

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
    let request = TokenRequest {
        client: ClientProof::Credentials(ClientAuth { client_id, secret: Some(Secret::new(secret)) }),
        grant: Grant::ClientCredentials { corp_id, scopes: None },
        rules: DialectRules { app_tokens, ..DialectRules::default() },
        resources: Vec::new(),
    };
    match tessera.token(request).await? {
        tessera_service::TokenAnswer::App { token, .. } => Ok(token),
        // Client credentials answer an app token only.
        _ => Err(GrantError::unexpected_answer()),
    }
}
