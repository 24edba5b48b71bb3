//! The signed assertion the gateway adds to every forwarded request (`X-Tessera-Assertion`):
//! a compact JWS (RFC 7515) over the same facts as the identity headers, valid for 60 seconds,
//! so an upstream need not trust the network. Its key is published at `/.well-known/jwks.json`.
//!
//! Signing sits behind [`AssertionSigner`]; [`DerivedEd25519`] is an Ed25519 key derived from
//! the server key (every node sharing the key signs alike, and nothing more is stored).

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Header carrying the assertion.
pub const ASSERTION_HEADER: &str = "x-tessera-assertion";
/// Seconds an assertion is valid.
pub const ASSERTION_TTL: i64 = 60;

/// Signs assertions and publishes the keys that verify them.
pub trait AssertionSigner: Send + Sync + 'static {
    /// The compact JWS of `claims`.
    fn sign(&self, claims: &Value) -> String;
    /// The JWK set of the verifying keys (current and, while they overlap, previous).
    fn jwks(&self) -> Value;
}

/// An Ed25519 key (`alg` EdDSA) derived from the server key.
pub struct DerivedEd25519 {
    key: SigningKey,
    kid: String,
}

impl DerivedEd25519 {
    pub fn new(seed: [u8; 32]) -> Self {
        let key = SigningKey::from_bytes(&seed);
        let public = key.verifying_key().to_bytes();
        let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(public)[..12]);
        DerivedEd25519 { key, kid }
    }

    pub fn shared(seed: [u8; 32]) -> Arc<dyn AssertionSigner> {
        Arc::new(Self::new(seed))
    }
}

impl AssertionSigner for DerivedEd25519 {
    fn sign(&self, claims: &Value) -> String {
        let header = json!({"alg": "EdDSA", "typ": "JWT", "kid": self.kid});
        let input =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
        let signature = self.key.sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }

    fn jwks(&self) -> Value {
        json!({"keys": [{
            "kty": "OKP",
            "crv": "Ed25519",
            "x": URL_SAFE_NO_PAD.encode(self.key.verifying_key().to_bytes()),
            "kid": self.kid,
            "alg": "EdDSA",
            "use": "sig",
        }]})
    }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::{Signature, Verifier, VerifyingKey};

    use super::*;

    #[test]
    fn the_signature_verifies_with_the_published_key_and_not_after_a_change() {
        let signer = DerivedEd25519::new([7; 32]);
        let jws = signer.sign(&json!({"sub": "alice"}));
        let parts: Vec<&str> = jws.split('.').collect();
        assert_eq!(parts.len(), 3);
        let jwks = signer.jwks();
        let x = URL_SAFE_NO_PAD.decode(jwks["keys"][0]["x"].as_str().unwrap()).unwrap();
        let key = VerifyingKey::from_bytes(&x.try_into().unwrap()).unwrap();
        let sig = Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap()).unwrap();
        let input = format!("{}.{}", parts[0], parts[1]);
        assert!(key.verify(input.as_bytes(), &sig).is_ok());
        let forged = format!("{}.{}", parts[0], URL_SAFE_NO_PAD.encode(json!({"sub": "mallory"}).to_string()));
        assert!(key.verify(forged.as_bytes(), &sig).is_err());
    }
}
