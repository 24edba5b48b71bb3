//! Sealing private keys under the server key: XChaCha20-Poly1305 with a random nonce and the
//! key id as associated data (a sealed key moved to another row does not open).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

/// What the server key is derived for (see `Tessera::derive_key`).
pub const SEAL_PURPOSE: &str = "signing-key-seal-v1";

const NONCE_LEN: usize = 24;

#[derive(Debug, thiserror::Error)]
#[error("a signing key could not be {0} (was the server key changed?)")]
pub struct SealError(&'static str);

pub fn seal(key: &[u8; 32], kid: &str, plaintext: &[u8]) -> Result<String, SealError> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let mut nonce = [0u8; NONCE_LEN];
    rand::rng().fill_bytes(&mut nonce);
    let ct = cipher
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext, aad: kid.as_bytes() })
        .map_err(|_| SealError("sealed"))?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ct);
    Ok(URL_SAFE_NO_PAD.encode(out))
}

pub fn open(key: &[u8; 32], kid: &str, sealed: &str) -> Result<Vec<u8>, SealError> {
    let bytes = URL_SAFE_NO_PAD.decode(sealed).map_err(|_| SealError("opened"))?;
    if bytes.len() < NONCE_LEN {
        return Err(SealError("opened"));
    }
    let (nonce, ct) = bytes.split_at(NONCE_LEN);
    let cipher = XChaCha20Poly1305::new(key.into());
    cipher.decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: kid.as_bytes() }).map_err(|_| SealError("opened"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_key_opens_only_with_the_same_key_and_kid() {
        let sealed = seal(&[1; 32], "kid-a", b"private").unwrap();
        assert!(!sealed.contains("private"));
        assert_eq!(open(&[1; 32], "kid-a", &sealed).unwrap(), b"private");
        assert!(open(&[2; 32], "kid-a", &sealed).is_err());
        assert!(open(&[1; 32], "kid-b", &sealed).is_err());
        assert!(open(&[1; 32], "kid-a", "garbage!").is_err());
        assert_ne!(seal(&[1; 32], "kid-a", b"private").unwrap(), sealed, "a fresh nonce each time");
    }
}
