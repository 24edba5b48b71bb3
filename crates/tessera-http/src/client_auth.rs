//! The one client-authentication reader of the token, revocation, introspection and device
//! endpoints (RFC 6749 §2.3): `Authorization: Basic` (scheme case-insensitive, RFC 9110
//! §11.1; id and secret each form-urlencoded, RFC 6749 §2.3.1), the id and secret in the
//! body, or the id alone for a public client. Both Basic and a body secret is refused.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, header};
use tessera_core::secret::Secret;
use tessera_service::ClientAuth;

use crate::params::Params;

/// Why the presented client authentication cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ClientAuthError {
    #[error("malformed Basic authorization header")]
    MalformedBasic,
    #[error("use one client authentication method, not both")]
    BothMethods,
    #[error("client_id does not match the authenticated client")]
    IdMismatch,
    #[error("client_secret without client_id")]
    SecretWithoutId,
    #[error("client authentication is required")]
    Missing,
}

/// The body parameters that name the client and its secret: RFC 6749's, and the aliases a
/// dialect also takes (Feishu: `app_id`, `app_secret`).
#[derive(Debug, Clone, Copy)]
pub struct CredentialNames {
    pub id: &'static [&'static str],
    pub secret: &'static [&'static str],
}

pub const OAUTH2_NAMES: CredentialNames = CredentialNames { id: &["client_id"], secret: &["client_secret"] };
pub const FEISHU_NAMES: CredentialNames =
    CredentialNames { id: &["client_id", "app_id"], secret: &["client_secret", "app_secret"] };

/// Client credentials from `Authorization: Basic`, if the header is there.
fn basic(headers: &HeaderMap) -> Result<Option<(String, Secret)>, ClientAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let bad = ClientAuthError::MalformedBasic;
    let value = value.to_str().map_err(|_| bad)?;
    let Some((_, encoded)) = value.split_once(' ').filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic")) else {
        return Err(bad);
    };
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| bad)?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad)?;
    let (id, secret) = decoded.split_once(':').ok_or(bad)?;
    let unescape = |s: &str| -> Result<String, ClientAuthError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&format!("v={s}")).map_err(|_| bad)?;
        Ok(pairs.into_iter().next().map(|(_, v)| v).unwrap_or_default())
    };
    Ok(Some((unescape(id)?, Secret::new(unescape(secret)?))))
}

/// How the client authenticated, as presented (checked by the service).
pub fn read(headers: &HeaderMap, params: &Params, names: CredentialNames) -> Result<ClientAuth, ClientAuthError> {
    let posted_id = params.first_of(names.id);
    let posted_secret = params.first_of(names.secret);
    match (basic(headers)?, posted_secret) {
        (Some(_), Some(_)) => Err(ClientAuthError::BothMethods),
        (Some((id, _)), None) if posted_id.is_some_and(|p| p != id) => Err(ClientAuthError::IdMismatch),
        (Some((id, secret)), None) => Ok(ClientAuth { client_id: id, secret: Some(secret) }),
        (None, secret) => match (posted_id, secret) {
            (Some(id), secret) => Ok(ClientAuth { client_id: id.to_owned(), secret: secret.map(Secret::new) }),
            (None, Some(_)) => Err(ClientAuthError::SecretWithoutId),
            (None, None) => Err(ClientAuthError::Missing),
        },
    }
}
