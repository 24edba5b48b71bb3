//! The signed assertion the gateway adds to every forwarded request (`X-Tessera-Assertion`):
//! a compact JWS (RFC 7515, `alg` EdDSA) over the same facts as the identity headers, valid
//! for 60 seconds, so an upstream need not trust the network. It is signed by the active
//! EdDSA key of the signing key store (`tessera_service::signing`), which every node shares
//! and rotates on schedule; the keys are published at `/.well-known/jwks.json`.

use serde_json::Value;
use tessera_core::signing_key::SigningAlg;
use tessera_service::Tessera;
use tessera_service::signing::SigningError;
use tessera_store::StoreError;

/// Header carrying the assertion.
pub const ASSERTION_HEADER: &str = "x-tessera-assertion";
/// Seconds an assertion is valid.
pub const ASSERTION_TTL: i64 = tessera_service::signing::ASSERTION_TTL;

/// The assertion of `claims`. A key that cannot be used fails the request (closed), like a
/// database that cannot be reached.
pub async fn sign(tessera: &Tessera, claims: &Value) -> Result<String, StoreError> {
    match tessera.sign_jwt(SigningAlg::EdDsa, "JWT", claims).await {
        Ok(jws) => Ok(jws),
        Err(SigningError::Store(e)) => Err(e),
        Err(SigningError::Crypto(e)) => Err(StoreError::Backend(e)),
    }
}
