//! Client authentication at the token, revocation and introspection endpoints (RFC 6749
//! §2.3): `client_secret_basic`, `client_secret_post`, or `none` for public clients
//! (client id only). Using two methods at once is an error.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, header};
use tessera_core::secret::Secret;
use tessera_service::user_tokens::ClientAuth;

use super::error::{OAuthError, OAuthErrorCode};

pub fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Client credentials from `Authorization: Basic` (each part form-urlencoded).
fn basic(headers: &HeaderMap) -> Result<Option<(String, Secret)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let bad = || OAuthError::new(OAuthErrorCode::InvalidClient, "malformed Basic authorization header");
    let value = value.to_str().map_err(|_| bad())?;
    // The scheme name is case-insensitive (RFC 9110 §11.1).
    let Some((_, encoded)) = value.split_once(' ').filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic")) else {
        return Err(bad());
    };
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    let unescape = |s: &str| -> Result<String, OAuthError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&format!("v={s}")).map_err(|_| bad())?;
        Ok(pairs.into_iter().next().map(|(_, v)| v).unwrap_or_default())
    };
    Ok(Some((unescape(id)?, Secret::new(unescape(secret)?))))
}

/// How the client authenticated.
pub fn client_auth(headers: &HeaderMap, pairs: &[(String, String)]) -> Result<ClientAuth, OAuthError> {
    let posted_id = param(pairs, "client_id");
    let posted_secret = param(pairs, "client_secret");
    match (basic(headers)?, posted_secret) {
        (Some(_), Some(_)) => Err(OAuthError::invalid_request("use one client authentication method, not both")),
        (Some((id, secret)), None) => {
            if posted_id.is_some_and(|p| p != id) {
                return Err(OAuthError::invalid_request("client_id does not match the authenticated client"));
            }
            Ok(ClientAuth { client_id: id, secret: Some(secret) })
        }
        (None, Some(secret)) => match posted_id {
            Some(id) => Ok(ClientAuth { client_id: id.to_owned(), secret: Some(Secret::new(secret)) }),
            None => Err(OAuthError::invalid_request("client_secret without client_id")),
        },
        (None, None) => match posted_id {
            Some(id) => Ok(ClientAuth { client_id: id.to_owned(), secret: None }),
            None => Err(OAuthError::new(OAuthErrorCode::InvalidClient, "client authentication is required")),
        },
    }
}
