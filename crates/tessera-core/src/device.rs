//! Device authorization (RFC 8628): device and user codes, the states a request goes through
//! (pending → approved or denied → consumed), the polling interval with `slow_down`, and
//! expiry. Pure rules: the time is always passed in.

use rand::RngCore;

use crate::ids::{ClientId, CorpId, ScopeCode, UnionId};
use crate::secret::{Secret, TokenHash, token_hash};
use crate::time::UnixTime;

/// The prefix of device codes.
pub const DEVICE_CODE_PREFIX: &str = "dc-";
/// How long a device authorization lives, in seconds.
pub const DEVICE_TTL: i64 = 600;
/// The polling interval handed out unless configured otherwise, in seconds (RFC 8628 §3.2's
/// default).
pub const DEFAULT_INTERVAL: i64 = 5;
/// The shortest polling interval that may be configured, in seconds.
pub const MIN_INTERVAL: i64 = 1;
/// What `slow_down` adds to the interval (RFC 8628 §3.5), and the ceiling.
pub const SLOW_DOWN_STEP: i64 = 5;
pub const MAX_INTERVAL: i64 = 60;
/// User codes: 8 consonants (no vowels, so no words; no look-alike digits), 20^8 ≈ 2^34.6.
pub const USER_CODE_ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";
pub const USER_CODE_LEN: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceStatus {
    /// Waiting for the user.
    Pending,
    /// The user approved; the next poll gets the tokens.
    Approved,
    /// The user denied.
    Denied,
    /// Tokens were issued: the device code is spent.
    Consumed,
}

impl DeviceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceStatus::Pending => "pending",
            DeviceStatus::Approved => "approved",
            DeviceStatus::Denied => "denied",
            DeviceStatus::Consumed => "consumed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(DeviceStatus::Pending),
            "approved" => Some(DeviceStatus::Approved),
            "denied" => Some(DeviceStatus::Denied),
            "consumed" => Some(DeviceStatus::Consumed),
            _ => None,
        }
    }
}

/// A device authorization as stored: hashes of both codes, never the codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAuthorization {
    pub device_hash: TokenHash,
    pub user_code_hash: TokenHash,
    pub client_id: ClientId,
    pub scopes: Vec<ScopeCode>,
    pub status: DeviceStatus,
    /// Who approved or denied.
    pub union_id: Option<UnionId>,
    /// The org the tokens act in, set on approval.
    pub corp_id: Option<CorpId>,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
    /// The current polling interval in seconds (grows with `slow_down`).
    pub interval: i64,
    pub last_polled_at: Option<UnixTime>,
    /// OpenID Connect: the `nonce` given at device authorization, echoed in the ID token.
    pub nonce: Option<String>,
    /// When the user approved at the verification page (the ID token's `auth_time`).
    pub auth_time: Option<UnixTime>,
}

/// A new device authorization and the two codes to hand out (once).
pub struct NewDevice {
    pub record: DeviceAuthorization,
    pub device_code: Secret,
    /// Formatted `XXXX-XXXX`.
    pub user_code: String,
}

/// Starts a device authorization for `client_id` asking `scopes`, polled every `interval`
/// seconds (clamped to [`MIN_INTERVAL`]..=[`MAX_INTERVAL`]).
pub fn start(
    client_id: ClientId,
    scopes: Vec<ScopeCode>,
    now: UnixTime,
    interval: i64,
    rng: &mut impl RngCore,
) -> NewDevice {
    let device_code = Secret::generate(DEVICE_CODE_PREFIX, rng);
    let raw: String = (0..USER_CODE_LEN)
        .map(|_| USER_CODE_ALPHABET[(rng.next_u32() as usize) % USER_CODE_ALPHABET.len()] as char)
        .collect();
    let record = DeviceAuthorization {
        device_hash: token_hash(device_code.expose()),
        user_code_hash: token_hash(&raw),
        client_id,
        scopes,
        status: DeviceStatus::Pending,
        union_id: None,
        corp_id: None,
        created_at: now,
        expires_at: now.plus_secs(DEVICE_TTL),
        interval: interval.clamp(MIN_INTERVAL, MAX_INTERVAL),
        last_polled_at: None,
        nonce: None,
        auth_time: None,
    };
    let user_code = format!("{}-{}", &raw[..4], &raw[4..]);
    NewDevice { record, device_code, user_code }
}

/// The canonical form of a typed user code (case, dashes and spaces ignored), or `None`
/// when it cannot be one.
pub fn normalize_user_code(input: &str) -> Option<String> {
    let code: String =
        input.chars().filter(|c| !matches!(c, '-' | ' ' | '\t')).map(|c| c.to_ascii_uppercase()).collect();
    (code.len() == USER_CODE_LEN && code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b))).then_some(code)
}

/// The hash a user code is looked up by, if it is well-formed.
pub fn user_code_hash(input: &str) -> Option<TokenHash> {
    normalize_user_code(input).map(|c| token_hash(&c))
}

/// Why a poll gets no tokens (RFC 8628 §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DevicePollError {
    #[error("the user has not approved the request yet")]
    AuthorizationPending,
    #[error("polling too fast: wait {interval} seconds between requests")]
    SlowDown { interval: i64 },
    #[error("the user denied the request")]
    AccessDenied,
    #[error("the device code has expired; start again")]
    ExpiredToken,
    #[error("unknown or already used device code")]
    InvalidGrant,
}

/// What a poll records: when it came and the interval from now on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollRecord {
    pub polled_at: UnixTime,
    pub interval: i64,
}

/// Decides a poll at `now`: `Ok` when tokens may be issued. The record to store comes back
/// whenever the poll counts (not for spent or expired codes).
pub fn poll(d: &DeviceAuthorization, now: UnixTime) -> (Result<(), DevicePollError>, Option<PollRecord>) {
    if d.status == DeviceStatus::Consumed {
        return (Err(DevicePollError::InvalidGrant), None);
    }
    if now >= d.expires_at {
        return (Err(DevicePollError::ExpiredToken), None);
    }
    if let Some(last) = d.last_polled_at
        && last.secs_until(now) < d.interval
    {
        let interval = (d.interval + SLOW_DOWN_STEP).min(MAX_INTERVAL);
        return (Err(DevicePollError::SlowDown { interval }), Some(PollRecord { polled_at: now, interval }));
    }
    let record = Some(PollRecord { polled_at: now, interval: d.interval });
    let outcome = match d.status {
        DeviceStatus::Pending => Err(DevicePollError::AuthorizationPending),
        DeviceStatus::Denied => Err(DevicePollError::AccessDenied),
        DeviceStatus::Approved => Ok(()),
        DeviceStatus::Consumed => Err(DevicePollError::InvalidGrant),
    };
    (outcome, record)
}

/// Why the user cannot approve or deny a request any more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DeviceDecisionError {
    #[error("this code has expired; start again on your device")]
    Expired,
    #[error("this code was already used")]
    AlreadyDecided,
}

/// Whether the user may still decide on `d` at `now`.
pub fn can_decide(d: &DeviceAuthorization, now: UnixTime) -> Result<(), DeviceDecisionError> {
    if now >= d.expires_at {
        return Err(DeviceDecisionError::Expired);
    }
    if d.status != DeviceStatus::Pending {
        return Err(DeviceDecisionError::AlreadyDecided);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::time::{Clock, FakeClock};

    fn started(clock: &FakeClock) -> NewDevice {
        start(
            ClientId::parse("app").unwrap(),
            vec![ScopeCode::parse("doc:readonly").unwrap()],
            clock.now(),
            DEFAULT_INTERVAL,
            &mut rand::rng(),
        )
    }

    #[test]
    fn user_codes_are_eight_consonants_and_typing_is_forgiving() {
        let clock = FakeClock::at(1_000);
        let d = started(&clock);
        assert_eq!(d.user_code.len(), 9);
        assert_eq!(&d.user_code[4..5], "-");
        let typed = d.user_code.to_lowercase().replace('-', " ");
        assert_eq!(user_code_hash(&typed), Some(d.record.user_code_hash));
        assert_eq!(normalize_user_code("BCDF-GHJ"), None, "too short");
        assert_eq!(normalize_user_code("BCDF-GHJA"), None, "vowels are never in codes");
        assert!(d.device_code.expose().starts_with(DEVICE_CODE_PREFIX));
        assert_eq!(d.record.device_hash, token_hash(d.device_code.expose()));
    }

    #[test]
    fn pending_until_approved_then_issued_once() {
        let clock = FakeClock::at(1_000);
        let mut d = started(&clock).record;
        let (r, rec) = poll(&d, clock.now());
        assert_eq!(r, Err(DevicePollError::AuthorizationPending));
        d.last_polled_at = rec.map(|r| r.polled_at);
        clock.advance(DEFAULT_INTERVAL);
        d.status = DeviceStatus::Approved;
        assert_eq!(poll(&d, clock.now()).0, Ok(()));
        d.status = DeviceStatus::Consumed;
        clock.advance(DEFAULT_INTERVAL);
        assert_eq!(poll(&d, clock.now()), (Err(DevicePollError::InvalidGrant), None));
    }

    #[test]
    fn polling_faster_than_the_interval_slows_down_by_five_seconds_up_to_sixty() {
        let clock = FakeClock::at(1_000);
        let mut d = started(&clock).record;
        d.last_polled_at = Some(clock.now());
        clock.advance(DEFAULT_INTERVAL - 1);
        let (r, rec) = poll(&d, clock.now());
        assert_eq!(r, Err(DevicePollError::SlowDown { interval: 10 }));
        let rec = rec.unwrap();
        assert_eq!(rec.interval, 10);
        d.last_polled_at = Some(rec.polled_at);
        d.interval = rec.interval;
        // The new interval holds: 5 seconds later is too fast now, 10 is fine.
        clock.advance(5);
        assert_eq!(poll(&d, clock.now()).0, Err(DevicePollError::SlowDown { interval: 15 }));
        d.last_polled_at = Some(clock.now());
        d.interval = 15;
        clock.advance(15);
        assert_eq!(poll(&d, clock.now()).0, Err(DevicePollError::AuthorizationPending));
        d.interval = 58;
        d.last_polled_at = Some(clock.now());
        assert_eq!(poll(&d, clock.now()).0, Err(DevicePollError::SlowDown { interval: MAX_INTERVAL }));
    }

    #[test]
    fn expiry_ends_polling_and_deciding() {
        let clock = FakeClock::at(1_000);
        let d = started(&clock).record;
        assert_eq!(can_decide(&d, clock.now()), Ok(()));
        clock.advance(DEVICE_TTL - 1);
        assert_eq!(poll(&d, clock.now()).0, Err(DevicePollError::AuthorizationPending));
        clock.advance(1);
        assert_eq!(poll(&d, clock.now()), (Err(DevicePollError::ExpiredToken), None));
        assert_eq!(can_decide(&d, clock.now()), Err(DeviceDecisionError::Expired));
    }

    #[test]
    fn denial_is_final_and_a_decided_request_cannot_be_decided_again() {
        let clock = FakeClock::at(1_000);
        let mut d = started(&clock).record;
        d.status = DeviceStatus::Denied;
        assert_eq!(poll(&d, clock.now()).0, Err(DevicePollError::AccessDenied));
        assert_eq!(can_decide(&d, clock.now()), Err(DeviceDecisionError::AlreadyDecided));
    }
}
