//! `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0): the RFC 8414
//! document plus what OpenID Connect adds.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use tessera_core::signing_key::SigningAlg;
use tessera_service::Tessera;

use crate::oauth2::discovery::document;

pub async fn configuration(State(tessera): State<Tessera>) -> Json<Value> {
    let mut doc = document(&tessera).await;
    let issuer = tessera.issuer();
    let algs: Vec<&str> = SigningAlg::ALL.iter().map(|a| a.as_str()).collect();
    let extra = json!({
        "userinfo_endpoint": format!("{issuer}/oauth2/userinfo"),
        "end_session_endpoint": format!("{issuer}/oauth2/logout"),
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": algs,
        "claims_supported": [
            "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "azp", "amr", "sid",
            "name", "nickname", "picture", "email", "email_verified", "phone_number", "phone_number_verified"
        ],
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "userinfo_signing_alg_values_supported": [],
    });
    if let (Some(d), Some(e)) = (doc.as_object_mut(), extra.as_object()) {
        d.extend(e.clone());
        if let Some(Value::Array(scopes)) = d.get_mut("scopes_supported") {
            for s in tessera_core::oidc::CLAIM_SCOPES {
                if !scopes.iter().any(|v| v == s) {
                    scopes.push(s.into());
                }
            }
        }
    }
    Json(doc)
}
