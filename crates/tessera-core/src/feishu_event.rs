//! Feishu's event envelope, as a Feishu store app receives its `app_ticket`:
//!
//! - plain: `{"uuid", "token", "ts", "type": "event_callback", "event": {…}}`, where `token`
//!   is the app's verification token;
//! - encrypted (the app set an encrypt key): `{"encrypt": base64(iv ‖ AES-256-CBC(plain))}`
//!   with key = SHA-256(encrypt key), a random 16-byte IV and PKCS#7 padding, sent with
//!   `X-Lark-Request-Timestamp`, `X-Lark-Request-Nonce` and
//!   `X-Lark-Signature` = hex(SHA-256(timestamp + nonce + encrypt key + body)).
//!
//! The Feishu SDKs' event dispatchers decrypt and check exactly this.

use aes::Aes256;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit, block_padding::Pkcs7};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// The plain `app_ticket` event of a store app, stamped with `ts` (Unix seconds) and `uuid`.
pub fn app_ticket_event(uuid: &str, verification_token: &str, ts: i64, app_id: &str, app_ticket: &str) -> String {
    serde_json::json!({
        "uuid": uuid,
        "token": verification_token,
        "ts": ts.to_string(),
        "type": "event_callback",
        "event": {"type": "app_ticket", "app_id": app_id, "app_ticket": app_ticket},
    })
    .to_string()
}

fn cipher_key(encrypt_key: &str) -> [u8; 32] {
    Sha256::digest(encrypt_key.as_bytes()).into()
}

/// `{"encrypt": …}` holding `plain` encrypted under `encrypt_key` with the IV `iv`.
pub fn encrypted_body(encrypt_key: &str, iv: [u8; 16], plain: &str) -> String {
    let encryptor = cbc::Encryptor::<Aes256>::new(&cipher_key(encrypt_key).into(), &iv.into());
    let mut sealed = iv.to_vec();
    sealed.extend(encryptor.encrypt_padded_vec_mut::<Pkcs7>(plain.as_bytes()));
    serde_json::json!({ "encrypt": STANDARD.encode(sealed) }).to_string()
}

/// Why an encrypted event cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    #[error("the encrypted event is not base64 of an IV and whole AES blocks")]
    Malformed,
    #[error("the encrypted event does not decrypt under this key")]
    WrongKey,
}

/// The plain text of an `encrypt` field (what a receiver does; used to check the envelope).
pub fn decrypt(encrypt_key: &str, encrypted: &str) -> Result<String, DecryptError> {
    let sealed = STANDARD.decode(encrypted).map_err(|_| DecryptError::Malformed)?;
    if sealed.len() < 32 || sealed.len() % 16 != 0 {
        return Err(DecryptError::Malformed);
    }
    let (iv, body) = sealed.split_at(16);
    let decryptor =
        cbc::Decryptor::<Aes256>::new_from_slices(&cipher_key(encrypt_key), iv).map_err(|_| DecryptError::Malformed)?;
    let plain = decryptor.decrypt_padded_vec_mut::<Pkcs7>(body).map_err(|_| DecryptError::WrongKey)?;
    String::from_utf8(plain).map_err(|_| DecryptError::WrongKey)
}

/// `X-Lark-Signature`: hex(SHA-256(timestamp + nonce + encrypt key + body)).
pub fn signature(timestamp: &str, nonce: &str, encrypt_key: &str, body: &str) -> String {
    let digest = Sha256::new()
        .chain_update(timestamp)
        .chain_update(nonce)
        .chain_update(encrypt_key)
        .chain_update(body)
        .finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decrypts_feishus_published_example() {
        // The example of Feishu's event-subscription guide: key "test key", plain "hello world".
        let plain = decrypt("test key", "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=");
        assert_eq!(plain.as_deref(), Ok("hello world"));
    }

    #[test]
    fn an_encrypted_event_round_trips_and_needs_its_key() {
        let event = app_ticket_event("u-1", "vt", 1_700_000_000, "cli_a", "ticket");
        let body = encrypted_body("ek", [9; 16], &event);
        let value: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        let sealed = value["encrypt"].as_str().unwrap_or_default();
        assert_eq!(decrypt("ek", sealed).as_deref(), Ok(event.as_str()));
        assert_ne!(decrypt("other", sealed).as_deref(), Ok(event.as_str()));
        assert_eq!(decrypt("ek", "not base64!"), Err(DecryptError::Malformed));
    }

    #[test]
    fn the_signature_is_sha256_hex_of_the_concatenation() {
        // printf '%s' '1700000000noncekey{"encrypt":"x"}' | sha256sum
        let sig = signature("1700000000", "nonce", "key", r#"{"encrypt":"x"}"#);
        assert_eq!(sig.len(), 64);
        assert_eq!(sig, EXPECTED_SIGNATURE);
    }

    const EXPECTED_SIGNATURE: &str = "a0da8984906125159a1aa1ba99ed5eca925326fdb770863573dbd5e2f24dd679";
}
