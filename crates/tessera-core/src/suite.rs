//! Suites: a third-party enterprise app seen from its ISV. Its `client_id`/`client_secret`
//! are the suiteKey/suiteSecret; Tessera issues it a suite ticket periodically, and the
//! suiteKey + suiteSecret + a current ticket get suite and corp tokens.
//!
//! Nothing secret about a suite is stored in plaintext. Ticket values, the suite's
//! generated secret and the key that signs ticket deliveries are all derived from the
//! server key with HMAC-SHA256, so the store only keeps a ticket's sequence number.
//!
//! - ticket `n` of a suite is `st-` + hex(HMAC(key, "suite-ticket\0" + suiteKey + "\0" + n));
//!   the latest ticket and the one before it are accepted.
//! - a generated suite secret is `ss-` + hex(HMAC(key, "suite-secret\0" + suiteKey)): Tessera
//!   can recompute it to check the legacy `get_corp_token` signature, which is an HMAC keyed
//!   with the suite secret. A hand-set secret cannot be recomputed, so the legacy signed call
//!   is refused for it.
//! - deliveries are signed with HMAC(signing key, timestamp + "\n" + body), where the signing
//!   key is `sk-` + hex(HMAC(key, "suite-ticket-callback\0" + suiteKey)), shown to the app's
//!   developers when they register the callback URL.
//! - a Feishu store app's verification token and encrypt key are derived the same way
//!   (`vt-…`, `ek-…`) and shown with the signing key.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::ids::ClientId;
use crate::secret::{Secret, SecretKey};
use crate::time::UnixTime;

/// How often a new ticket is issued by default, in seconds (DingTalk pushes every 20 minutes).
pub const DEFAULT_TICKET_INTERVAL: i64 = 1_200;
/// How far a legacy signed request's timestamp may be from the server's clock, in seconds.
pub const SIGNATURE_WINDOW: i64 = 300;

/// A suite's ticket state as stored: only the sequence number and when it was issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuiteTicket {
    pub client_id: ClientId,
    /// 0 before the first ticket; ticket `seq` is the latest, `seq - 1` the previous one.
    pub seq: i64,
    pub issued_at: UnixTime,
    /// Where tickets are pushed, if the app registered a callback.
    pub callback_url: Option<String>,
    /// The shape of the pushes.
    pub event: TicketEvent,
}

/// The shape of a ticket push: DingTalk's `suite_ticket` or a Feishu store app's `app_ticket`
/// event (see [`crate::feishu_event`]), whose verification token and encrypt key are derived
/// from the server key like the delivery signing key, so neither is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketEvent {
    /// `{"EventType": "suite_ticket", …}` signed with `X-Tessera-Signature`.
    #[default]
    #[serde(rename = "dingtalk")]
    DingTalk,
    /// Feishu's plain `app_ticket` event carrying the verification token.
    Feishu,
    /// Feishu's `app_ticket` event in its encrypted, signed envelope.
    FeishuEncrypted,
}

impl TicketEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketEvent::DingTalk => "dingtalk",
            TicketEvent::Feishu => "feishu",
            TicketEvent::FeishuEncrypted => "feishu_encrypted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "dingtalk" => Some(TicketEvent::DingTalk),
            "feishu" => Some(TicketEvent::Feishu),
            "feishu_encrypted" => Some(TicketEvent::FeishuEncrypted),
            _ => None,
        }
    }
}

/// Why a presented suite ticket is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TicketRejection {
    #[error("no suite ticket has been issued to this suite yet")]
    NoneIssued,
    #[error("the suite ticket is neither the latest nor the previous one (stale or forged)")]
    NotCurrent,
}

impl SuiteTicket {
    /// A suite with no ticket yet.
    pub fn new(client_id: ClientId) -> Self {
        SuiteTicket { client_id, seq: 0, issued_at: UnixTime(0), callback_url: None, event: TicketEvent::DingTalk }
    }

    /// Whether a new ticket is due at `now`.
    pub fn due(&self, now: UnixTime, interval: i64) -> bool {
        self.seq == 0 || now.0 >= self.issued_at.0.saturating_add(interval)
    }

    /// The latest ticket's value, if one was issued.
    pub fn latest(&self, key: &SecretKey) -> Option<Secret> {
        (self.seq > 0).then(|| ticket_value(key, &self.client_id, self.seq))
    }

    /// Accepts the latest ticket and the previous one.
    pub fn check(&self, key: &SecretKey, presented: &str) -> Result<(), TicketRejection> {
        if self.seq == 0 {
            return Err(TicketRejection::NoneIssued);
        }
        let current = [self.seq, self.seq - 1].into_iter().filter(|n| *n > 0);
        let mut matched = false;
        for n in current {
            let expected = ticket_value(key, &self.client_id, n);
            matched |= bool::from(expected.expose().as_bytes().ct_eq(presented.as_bytes()));
        }
        if matched { Ok(()) } else { Err(TicketRejection::NotCurrent) }
    }
}

fn derive(key: &SecretKey, prefix: &str, parts: &[&str]) -> Secret {
    let hash = key.hash(&Secret::new(parts.join("\0")));
    Secret::new(format!("{prefix}{}", hash.to_hex()))
}

/// The value of ticket number `seq` of a suite.
pub fn ticket_value(key: &SecretKey, client_id: &ClientId, seq: i64) -> Secret {
    derive(key, "st-", &["suite-ticket", client_id.as_str(), &seq.to_string()])
}

/// The secret Tessera generates for a suite: recomputable, so legacy signatures can be checked.
pub fn generated_secret(key: &SecretKey, client_id: &ClientId) -> Secret {
    derive(key, "ss-", &["suite-secret", client_id.as_str()])
}

/// The key that signs ticket deliveries to a suite's callback URL.
pub fn callback_signing_key(key: &SecretKey, client_id: &ClientId) -> Secret {
    derive(key, "sk-", &["suite-ticket-callback", client_id.as_str()])
}

/// A Feishu store app's verification token (the `token` of its events).
pub fn feishu_verification_token(key: &SecretKey, client_id: &ClientId) -> Secret {
    derive(key, "vt-", &["feishu-verification-token", client_id.as_str()])
}

/// A Feishu store app's encrypt key (its events are encrypted and signed with it).
pub fn feishu_encrypt_key(key: &SecretKey, client_id: &ClientId) -> Secret {
    derive(key, "ek-", &["feishu-encrypt-key", client_id.as_str()])
}

fn hmac_base64(key: &[u8], message: &str) -> String {
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC-SHA256 takes keys of any length"),
    };
    mac.update(message.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// DingTalk's legacy signature: base64(HMAC-SHA256(key = suiteSecret, timestamp + "\n" + suiteTicket)).
pub fn legacy_signature(secret: &Secret, timestamp: &str, ticket: &str) -> String {
    hmac_base64(secret.expose().as_bytes(), &format!("{timestamp}\n{ticket}"))
}

/// Checks a legacy signature in constant time.
pub fn verify_legacy_signature(secret: &Secret, timestamp: &str, ticket: &str, signature: &str) -> bool {
    legacy_signature(secret, timestamp, ticket).as_bytes().ct_eq(signature.as_bytes()).into()
}

/// The signature header of a ticket delivery: base64(HMAC-SHA256(signing key, timestamp + "\n" + body)).
pub fn delivery_signature(signing_key: &Secret, timestamp: i64, body: &str) -> String {
    hmac_base64(signing_key.expose().as_bytes(), &format!("{timestamp}\n{body}"))
}

/// Whether a legacy request's millisecond timestamp is within the window around `now`.
pub fn timestamp_fresh(timestamp_ms: &str, now: UnixTime) -> bool {
    timestamp_ms.parse::<i64>().is_ok_and(|ms| (ms / 1000 - now.0).abs() <= SIGNATURE_WINDOW)
}

/// Delay before delivery attempt `attempt` (0-based): 1 s, 2 s, 4 s, … capped at 60 s.
pub fn retry_delay_secs(attempt: u32) -> u64 {
    1u64.checked_shl(attempt).unwrap_or(u64::MAX).min(60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SecretKey {
        SecretKey::from_bytes([7; 32])
    }

    fn suite(seq: i64) -> SuiteTicket {
        SuiteTicket {
            client_id: ClientId::parse("suite").unwrap(),
            seq,
            issued_at: UnixTime(1_000),
            callback_url: None,
            event: TicketEvent::DingTalk,
        }
    }

    #[test]
    fn the_latest_and_the_previous_ticket_are_accepted_and_older_ones_are_not() {
        let s = suite(3);
        let id = &s.client_id;
        assert_eq!(s.check(&key(), ticket_value(&key(), id, 3).expose()), Ok(()));
        assert_eq!(s.check(&key(), ticket_value(&key(), id, 2).expose()), Ok(()));
        assert_eq!(s.check(&key(), ticket_value(&key(), id, 1).expose()), Err(TicketRejection::NotCurrent));
        assert_eq!(s.check(&key(), ticket_value(&key(), id, 4).expose()), Err(TicketRejection::NotCurrent));
        assert_eq!(s.check(&key(), "st-forged"), Err(TicketRejection::NotCurrent));
    }

    #[test]
    fn tickets_are_per_suite_and_per_server_key() {
        let s = suite(1);
        let other = ClientId::parse("other").unwrap();
        assert_eq!(s.check(&key(), ticket_value(&key(), &other, 1).expose()), Err(TicketRejection::NotCurrent));
        let other_key = SecretKey::from_bytes([8; 32]);
        assert_eq!(
            s.check(&key(), ticket_value(&other_key, &s.client_id, 1).expose()),
            Err(TicketRejection::NotCurrent)
        );
        assert_eq!(suite(0).check(&key(), "st-x"), Err(TicketRejection::NoneIssued));
        assert_eq!(suite(0).latest(&key()), None);
    }

    #[test]
    fn a_new_ticket_is_due_after_the_interval() {
        let s = suite(1);
        assert!(!s.due(UnixTime(1_000 + 1_199), 1_200));
        assert!(s.due(UnixTime(1_000 + 1_200), 1_200));
        assert!(suite(0).due(UnixTime(0), 1_200));
    }

    #[test]
    fn legacy_signature_matches_dingtalks_recipe() {
        // base64(HMAC-SHA256("secret", "1700000000000\nticket")), computed independently with
        // Python: base64.b64encode(hmac.new(b"secret", b"1700000000000\nticket", "sha256").digest())
        let sig = legacy_signature(&Secret::new("secret"), "1700000000000", "ticket");
        assert_eq!(sig, "y5/zVMy3Rsjt6z68oGNUkjrjjpzoxXiCQCE4bdEMsps=");
        assert!(verify_legacy_signature(&Secret::new("secret"), "1700000000000", "ticket", &sig));
        assert!(!verify_legacy_signature(&Secret::new("other"), "1700000000000", "ticket", &sig));
    }

    #[test]
    fn timestamps_outside_five_minutes_are_stale() {
        let now = UnixTime(1_700_000_000);
        assert!(timestamp_fresh("1700000300000", now));
        assert!(!timestamp_fresh("1700000301000", now));
        assert!(!timestamp_fresh("yesterday", now));
    }

    #[test]
    fn retries_back_off_up_to_a_minute() {
        let delays: Vec<u64> = (0..8).map(retry_delay_secs).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(retry_delay_secs(200), 60);
    }
}
