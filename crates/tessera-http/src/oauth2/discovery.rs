//! RFC 8414 `GET /.well-known/oauth-authorization-server`.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use tessera_service::Tessera;

pub async fn metadata(State(tessera): State<Tessera>) -> Json<Value> {
    Json(document(&tessera).await)
}

/// The RFC 8414 document; OpenID Connect discovery extends this same one, so the two never
/// disagree on endpoints, grants or methods.
pub async fn document(tessera: &Tessera) -> Value {
    let issuer = tessera.issuer();
    let mut scopes: Vec<String> = match tessera.catalog().await {
        Ok(c) => c.keys().map(|k| k.to_string()).collect(),
        Err(_) => Vec::new(),
    };
    scopes.extend(tessera_core::consent::PROTOCOL_SCOPES.iter().map(|s| (*s).to_owned()));
    scopes.sort();
    json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "authorization_endpoint": format!("{issuer}/oauth2/authorize"),
        "token_endpoint": format!("{issuer}/oauth2/token"),
        "revocation_endpoint": format!("{issuer}/oauth2/revoke"),
        "introspection_endpoint": format!("{issuer}/oauth2/introspect"),
        "device_authorization_endpoint": format!("{issuer}/oauth2/device_authorization"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials", super::token::DEVICE_CODE_GRANT],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": scopes,
    })
}
