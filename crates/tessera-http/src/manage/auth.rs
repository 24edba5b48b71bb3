//! Who calls the management API: the operator (by the operator token) or a signed-in person.

use axum::extract::FromRequestParts;
use http::header;
use http::request::Parts;
use tessera_core::secret::Secret;
use tessera_service::Tessera;
use tessera_service::management::Actor;

use super::error::ApiError;
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
        if let Some(token) = &bearer
            && tessera.is_operator_token(token)
        {
            return Ok(Caller(Actor::Operator));
        }
        let session =
            bearer.or_else(|| cookies::get(&parts.headers, cookies::SESSION)).ok_or_else(ApiError::unauthenticated)?;
        match tessera.session(&session).await? {
            Some(s) => Ok(Caller(Actor::Person(s.union_id))),
            None => Err(ApiError::unauthenticated()),
        }
    }
}
