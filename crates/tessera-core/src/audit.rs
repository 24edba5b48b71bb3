//! Audit events: an append-only, hash-chained record of every change to grants.

use crate::ids::CorpId;
use crate::secret::{SecretHash, sha256};
use crate::time::UnixTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    ScopeDefined,
    OrgCreated,
    MemberAdded,
    AppRegistered,
    PermissionRequested,
    PermissionApproved,
    PermissionDeclined,
    AppInstalled,
    AppUninstalled,
    /// "Accept the app's request for permissions".
    ScopeAuthorized,
    /// "Recall permissions previously granted to the app".
    ScopeRevoked,
    TokensRevoked,
    ConsentGiven,
    ConsentWithdrawn,
    /// An org admin approved an app's authorization flow; an authCode was issued.
    AdminConsentGranted,
    /// An app exchanged an admin-consent authCode for a token.
    AdminConsentExchanged,
    /// An app's client secret replaced (the previous one may stay valid for an overlap period).
    SecretRotated,
    RedirectUrisChanged,
    /// The URL a suite's tickets are pushed to was set or removed.
    TicketCallbackChanged,
    /// An app marked as a resource server (it may introspect every app's tokens) or unmarked.
    ResourceServerChanged,
    /// An app's gateway rate limits set or cleared.
    RateLimitsChanged,
    /// A signing key started signing ahead of its schedule (`tessera keys rotate`).
    SigningKeyRotated,
    /// An app's OpenID Connect settings changed through the management API.
    OidcSettingsChanged,
}

impl AuditAction {
    pub const ALL: [AuditAction; 23] = [
        AuditAction::ScopeDefined,
        AuditAction::OrgCreated,
        AuditAction::MemberAdded,
        AuditAction::AppRegistered,
        AuditAction::PermissionRequested,
        AuditAction::PermissionApproved,
        AuditAction::PermissionDeclined,
        AuditAction::AppInstalled,
        AuditAction::AppUninstalled,
        AuditAction::ScopeAuthorized,
        AuditAction::ScopeRevoked,
        AuditAction::TokensRevoked,
        AuditAction::ConsentGiven,
        AuditAction::ConsentWithdrawn,
        AuditAction::AdminConsentGranted,
        AuditAction::AdminConsentExchanged,
        AuditAction::SecretRotated,
        AuditAction::RedirectUrisChanged,
        AuditAction::TicketCallbackChanged,
        AuditAction::ResourceServerChanged,
        AuditAction::RateLimitsChanged,
        AuditAction::SigningKeyRotated,
        AuditAction::OidcSettingsChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::ScopeDefined => "scope_defined",
            AuditAction::OrgCreated => "org_created",
            AuditAction::MemberAdded => "member_added",
            AuditAction::AppRegistered => "app_registered",
            AuditAction::PermissionRequested => "permission_requested",
            AuditAction::PermissionApproved => "permission_approved",
            AuditAction::PermissionDeclined => "permission_declined",
            AuditAction::AppInstalled => "app_installed",
            AuditAction::AppUninstalled => "app_uninstalled",
            AuditAction::ScopeAuthorized => "scope_authorized",
            AuditAction::ScopeRevoked => "scope_revoked",
            AuditAction::TokensRevoked => "tokens_revoked",
            AuditAction::ConsentGiven => "consent_given",
            AuditAction::ConsentWithdrawn => "consent_withdrawn",
            AuditAction::AdminConsentGranted => "admin_consent_granted",
            AuditAction::AdminConsentExchanged => "admin_consent_exchanged",
            AuditAction::SecretRotated => "secret_rotated",
            AuditAction::RedirectUrisChanged => "redirect_uris_changed",
            AuditAction::TicketCallbackChanged => "ticket_callback_changed",
            AuditAction::ResourceServerChanged => "resource_server_changed",
            AuditAction::RateLimitsChanged => "rate_limits_changed",
            AuditAction::SigningKeyRotated => "signing_key_rotated",
            AuditAction::OidcSettingsChanged => "oidc_settings_changed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        AuditAction::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// An event before the store gives it a sequence number, a time and its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditDraft {
    pub corp_id: Option<CorpId>,
    /// Who did it: `member:<corp>/<user>`, `operator`, `fixture`, `app:<client_id>`.
    pub actor: String,
    pub action: AuditAction,
    /// What it was done to, e.g. `app:dingdemoapp scope:qyapi_manage_addresslist`.
    pub target: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub seq: i64,
    pub at: UnixTime,
    pub draft: AuditDraft,
    pub prev_hash: SecretHash,
    pub hash: SecretHash,
}

/// The hash before the first event.
pub const GENESIS: SecretHash = SecretHash([0; 32]);

/// The hash of an event given the hash of the event before it.
pub fn chain_hash(prev: &SecretHash, seq: i64, at: UnixTime, draft: &AuditDraft) -> SecretHash {
    let mut buf = Vec::with_capacity(256);
    buf.extend_from_slice(&prev.0);
    buf.extend_from_slice(&seq.to_be_bytes());
    buf.extend_from_slice(&at.0.to_be_bytes());
    let corp = draft.corp_id.as_ref().map(|c| c.as_str()).unwrap_or("");
    for field in [corp, draft.actor.as_str(), draft.action.as_str(), draft.target.as_str(), draft.detail.as_str()] {
        // Length-prefixed so that moving bytes between fields changes the hash.
        buf.extend_from_slice(&(field.len() as u64).to_be_bytes());
        buf.extend_from_slice(field.as_bytes());
    }
    SecretHash(sha256(&buf))
}

/// Seals a draft as the event after `prev_hash`.
pub fn seal(prev_hash: SecretHash, seq: i64, at: UnixTime, draft: AuditDraft) -> AuditEvent {
    let hash = chain_hash(&prev_hash, seq, at, &draft);
    AuditEvent { seq, at, draft, prev_hash, hash }
}

/// Where a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit chain broken at event {seq}: {what}")]
pub struct ChainBreak {
    pub seq: i64,
    pub what: &'static str,
}

/// Checks that `events` (in sequence order, starting at the first event) form an unbroken chain.
pub fn verify_chain(events: &[AuditEvent]) -> Result<(), ChainBreak> {
    let mut prev = GENESIS;
    for (expected_seq, ev) in (1..).zip(events) {
        if ev.seq != expected_seq {
            return Err(ChainBreak { seq: ev.seq, what: "sequence gap" });
        }
        if ev.prev_hash != prev {
            return Err(ChainBreak { seq: ev.seq, what: "previous hash does not match" });
        }
        if chain_hash(&prev, ev.seq, ev.at, &ev.draft) != ev.hash {
            return Err(ChainBreak { seq: ev.seq, what: "event altered" });
        }
        prev = ev.hash;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(target: &str) -> AuditDraft {
        AuditDraft {
            corp_id: CorpId::parse("dingdemo").ok(),
            actor: "member:dingdemo/alice".into(),
            action: AuditAction::ScopeAuthorized,
            target: target.into(),
            detail: String::new(),
        }
    }

    fn chain() -> Vec<AuditEvent> {
        let a = seal(GENESIS, 1, UnixTime(10), draft("a"));
        let b = seal(a.hash, 2, UnixTime(11), draft("b"));
        vec![a, b]
    }

    #[test]
    fn an_untouched_chain_verifies() {
        verify_chain(&chain()).unwrap();
    }

    #[test]
    fn editing_deleting_or_reordering_is_detected() {
        let mut edited = chain();
        edited[0].draft.target = "x".into();
        assert_eq!(verify_chain(&edited).unwrap_err().seq, 1);
        let deleted = vec![chain()[1].clone()];
        assert!(verify_chain(&deleted).is_err());
        let mut swapped = chain();
        swapped.swap(0, 1);
        assert!(verify_chain(&swapped).is_err());
    }

    #[test]
    fn actions_round_trip() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(a));
        }
    }
}
