//! Compact JWS (RFC 7515) of JSON claims, and the OIDC `*_hash` claims (`at_hash`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::key_pair::KeyPair;

/// The compact JWS of `claims` signed by `key`, with `kid` and `typ` in its header.
pub fn compact(key: &KeyPair, kid: &str, typ: &str, claims: &Value) -> String {
    let header = json!({"alg": key.alg().as_str(), "typ": typ, "kid": kid});
    let input =
        format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
    let signature = key.sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// A compact JWS split and decoded: header, claims, signing input and signature. `None` for
/// anything malformed.
pub struct Parsed {
    pub header: Value,
    pub claims: Value,
    pub input: String,
    pub signature: Vec<u8>,
}

pub fn parse(jws: &str) -> Option<Parsed> {
    if jws.len() > 16 * 1024 {
        return None;
    }
    let mut parts = jws.split('.');
    let (h, c, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).ok()?).ok()?;
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(c).ok()?).ok()?;
    let signature = URL_SAFE_NO_PAD.decode(s).ok()?;
    Some(Parsed { header, claims, input: format!("{h}.{c}"), signature })
}

/// OIDC Core §3.1.3.6: the left half of the SHA-256 of `value`, base64url. Every algorithm
/// Tessera signs with hashes with SHA-256 (for EdDSA, as the OpenID Foundation's registry
/// and common libraries do for Ed25519).
pub fn left_half_hash(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_matches_the_example_of_oidc_core() {
        // OIDC Core §A.3: access token "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", at_hash
        // "77QmUPtjPfzWtF2AnpK9RQ".
        assert_eq!(left_half_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"), "77QmUPtjPfzWtF2AnpK9RQ");
    }
}
