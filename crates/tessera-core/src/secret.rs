//! Secrets and their hashes. A [`Secret`] never prints itself; client secrets are kept
//! only as a keyed HMAC-SHA256 ([`SecretHash`], compared in constant time) and tokens only
//! as their SHA-256 ([`TokenHash`]).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A secret value (client secret, token, password) whose `Debug` prints `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// A fresh random secret: `prefix` followed by 256 bits in URL-safe base64.
    pub fn generate(prefix: &str, rng: &mut impl RngCore) -> Self {
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes);
        Secret(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes)))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// The server's key for hashing client secrets (HMAC-SHA256).
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl SecretKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        SecretKey(bytes)
    }

    pub fn generate(rng: &mut impl RngCore) -> Self {
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes);
        SecretKey(bytes)
    }

    /// The key as URL-safe base64, for writing it to the key file.
    pub fn encode(&self) -> Secret {
        Secret(URL_SAFE_NO_PAD.encode(self.0))
    }

    pub fn decode(s: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(s.trim()).ok()?;
        Some(SecretKey(bytes.try_into().ok()?))
    }

    /// The keyed hash of a client secret.
    pub fn hash(&self, secret: &Secret) -> SecretHash {
        // HMAC accepts keys of any length, so construction cannot fail.
        let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(&self.0) {
            Ok(mac) => mac,
            Err(_) => unreachable_hmac(),
        };
        mac.update(secret.expose().as_bytes());
        SecretHash(mac.finalize().into_bytes().into())
    }

    /// Whether `secret` hashes to `expected`, compared in constant time.
    pub fn verify(&self, secret: &Secret, expected: &SecretHash) -> bool {
        self.hash(secret).0.ct_eq(&expected.0).into()
    }
}

#[cold]
fn unreachable_hmac() -> ! {
    unreachable!("HMAC-SHA256 takes keys of any length")
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey([redacted])")
    }
}

/// A 32-byte hash (keyed for client secrets, plain SHA-256 for tokens), stored as hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SecretHash(pub [u8; 32]);

impl SecretHash {
    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(64);
        for b in self.0 {
            s.push(char::from(HEX[(b >> 4) as usize]));
            s.push(char::from(HEX[(b & 0xf) as usize]));
        }
        s
    }

    pub fn from_hex(s: &str) -> Option<Self> {
        let bytes = s.as_bytes();
        if bytes.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, pair) in bytes.chunks_exact(2).enumerate() {
            let hi = hex_val(pair[0])?;
            let lo = hex_val(pair[1])?;
            out[i] = (hi << 4) | lo;
        }
        Some(SecretHash(out))
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

impl std::fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A hash is not a secret, but a short form keeps logs readable.
        write!(f, "SecretHash({}…)", &self.to_hex()[..8])
    }
}

/// The SHA-256 of a token: the only form in which a token is stored.
pub type TokenHash = SecretHash;

pub fn token_hash(token: &str) -> TokenHash {
    SecretHash(Sha256::digest(token.as_bytes()).into())
}

/// SHA-256 of arbitrary bytes (used by the audit chain).
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let s = Secret::new("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        let k = SecretKey::from_bytes([7; 32]);
        assert!(!format!("{k:?}").contains(&k.encode().expose()[..10]));
    }

    #[test]
    fn keyed_hash_verifies_only_the_right_secret_under_the_right_key() {
        let k1 = SecretKey::from_bytes([1; 32]);
        let k2 = SecretKey::from_bytes([2; 32]);
        let h = k1.hash(&Secret::new("s3cr3t"));
        assert!(k1.verify(&Secret::new("s3cr3t"), &h));
        assert!(!k1.verify(&Secret::new("s3cr3t "), &h));
        assert!(!k2.verify(&Secret::new("s3cr3t"), &h));
    }

    #[test]
    fn hex_round_trips_and_rejects_garbage() {
        let h = token_hash("abc");
        assert_eq!(h.to_hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(SecretHash::from_hex(&h.to_hex()), Some(h));
        assert_eq!(SecretHash::from_hex("zz"), None);
        assert_eq!(SecretHash::from_hex(&"g".repeat(64)), None);
    }

    #[test]
    fn key_encoding_round_trips() {
        let k = SecretKey::from_bytes([9; 32]);
        let back = SecretKey::decode(k.encode().expose()).map(|k| k.0);
        assert_eq!(back, Some([9; 32]));
        assert!(SecretKey::decode("short").is_none());
    }

    #[test]
    fn generated_secrets_have_prefix_and_differ() {
        let mut rng = rand::rng();
        let a = Secret::generate("at_", &mut rng);
        let b = Secret::generate("at_", &mut rng);
        assert!(a.expose().starts_with("at_"));
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 3 + 43);
    }
}
