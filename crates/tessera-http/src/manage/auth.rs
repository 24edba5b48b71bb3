//! Who calls the management API: the operator (by the operator token) or a signed-in person.
//! Bearer tokens that are neither count against the client's address, like wrong tokens on
//! the console's reviewer sign-in, and are answered 429 past the limit.

use axum::extract::FromRequestParts;
use http::header;
use http::request::Parts;
use tessera_core::secret::Secret;
use tessera_service::Tessera;
use tessera_service::management::Actor;
use tessera_service::reviewer::BearerError;

use super::error::ApiError;
use crate::client_addr::ClientAddr;
use crate::web::cookies;

/// The authenticated actor of a management request.
pub struct Caller(pub Actor);

impl FromRequestParts<Tessera> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, tessera: &Tessera) -> Result<Self, ApiError> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(|t| Secret::new(t.trim()));
        if let Some(token) = &bearer {
            let Ok(client) = ClientAddr::from_request_parts(parts, tessera).await;
            return match tessera.bearer_actor(token, client.as_str()).await {
                Ok(actor) => Ok(Caller(actor)),
                Err(BearerError::Unknown) => Err(ApiError::unauthenticated()),
                Err(e @ BearerError::TooManyAttempts { retry_after }) => {
                    Err(ApiError::too_many(retry_after, "too_many_attempts", e.to_string()))
                }
                Err(BearerError::Store(e)) => Err(e.into()),
            };
        }
        let session = cookies::get(&parts.headers, cookies::SESSION).ok_or_else(ApiError::unauthenticated)?;
        match tessera.session(&session).await? {
            Some(s) => Ok(Caller(Actor::Person(s.union_id))),
            None => Err(ApiError::unauthenticated()),
        }
    }
}
