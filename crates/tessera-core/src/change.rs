//! Changes: what a domain command decides to write. A store applies a list of changes in
//! one transaction, audit events included.

use crate::app::App;
use crate::audit::AuditDraft;
use crate::consent::Consent;
use crate::device::DeviceAuthorization;
use crate::document::Document;
use crate::grant::OrgGrant;
use crate::grant_code::AuthCode;
use crate::ids::{ClientId, CorpId, ScopeCode, UnionId, UserId};
use crate::installation::Installation;
use crate::member::{Member, User};
use crate::org::Org;
use crate::permission::PermissionRequest;
use crate::refresh::RefreshToken;
use crate::scope::Scope;
use crate::secret::{SecretHash, TokenHash};
use crate::session::Session;
use crate::signing_key::StoredSigningKey;
use crate::time::UnixTime;
use crate::token::AccessToken;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Adds a signing key (a unique generation per algorithm: two nodes planning the same
    /// key collide, and the later commit fails with a conflict).
    InsertSigningKey(StoredSigningKey),
    /// Creates or replaces an app's OpenID Connect settings.
    PutOidcClient(crate::oidc::OidcClient),
    /// Creates or replaces a user's profile claims.
    PutUserProfile {
        union_id: UnionId,
        profile: crate::oidc::UserProfile,
    },
    /// Makes a published key sign from `at` (a manual rotation).
    ActivateSigningKey {
        kid: String,
        at: UnixTime,
    },
    /// Adds a scope to the catalogue or replaces its definition.
    PutScope(Scope),
    InsertOrg(Org),
    /// A user with the argon2id PHC string of their password, if they have one.
    InsertUser {
        user: User,
        password_hash: Option<String>,
    },
    InsertMember(Member),
    InsertApp(App),
    /// Marks an app as a resource server (it may introspect every app's tokens) or unmarks it.
    SetResourceServer {
        client_id: ClientId,
        resource_server: bool,
    },
    /// Sets an app's gateway rate limits (each none: the route table's applies).
    SetRateLimits {
        client_id: ClientId,
        limits: crate::app::RateLimits,
    },
    /// Creates or replaces the permission request of (app, scope).
    PutPermission(PermissionRequest),
    InsertInstallation(Installation),
    InsertOrgGrant(OrgGrant),
    /// Recalls a sensitive scope from an app in an org (kept as a revoked grant).
    RevokeOrgGrant {
        client_id: ClientId,
        corp_id: CorpId,
        scope: ScopeCode,
        by: UserId,
    },
    /// Uninstalls an app from an org: the installation goes and every grant there is revoked.
    DeleteInstallation {
        client_id: ClientId,
        corp_id: CorpId,
        by: UserId,
    },
    InsertToken(AccessToken),
    /// Creates or replaces a user's consent to an app.
    PutConsent(Consent),
    /// Withdraws a user's consent to an app.
    DeleteConsent {
        union_id: UnionId,
        client_id: ClientId,
    },
    InsertAuthCode(AuthCode),
    /// Consumes an authorization code: a conflict when it was used already (or is gone), so
    /// of concurrent exchanges exactly one commits what the code gives, in the same
    /// transaction as the claim.
    ClaimAuthCode {
        hash: TokenHash,
    },
    /// Starts a token family: one authorization of `client_id` by `union_id` and its refreshes.
    InsertFamily {
        family_id: String,
        client_id: ClientId,
        union_id: UnionId,
    },
    InsertRefreshToken(RefreshToken),
    /// Consumes a refresh token of a live family: a conflict when it was used already, is
    /// gone or its family is revoked (one winner among concurrent refreshes).
    ClaimRefreshToken {
        hash: TokenHash,
    },
    /// Revokes every access and refresh token of a family.
    RevokeFamily {
        family_id: String,
    },
    /// Revokes a family and records `audit` only if this is the family's first revocation;
    /// a later one (a spent refresh token or code presented again) only counts the attempt,
    /// so replays cannot grow the audit log.
    RevokeFamilyOnce {
        family_id: String,
        audit: AuditDraft,
    },
    /// Revokes every user token of (user, app) and drops their unexchanged codes: consent withdrawn.
    RevokeUserTokens {
        union_id: UnionId,
        client_id: ClientId,
    },
    /// Revokes one access token.
    RevokeToken {
        hash: TokenHash,
    },
    InsertSession(Session),
    DeleteSession {
        hash: TokenHash,
    },
    InsertDocument(Document),
    /// Replaces who may read a document.
    SetDocumentReaders {
        corp_id: CorpId,
        doc_id: i64,
        readers: Vec<UserId>,
    },
    Audit(AuditDraft),
    /// Issues a suite's next ticket: `from_seq` must still be its latest (0 for the first), so
    /// two nodes never both advance it; the loser gets a conflict.
    AdvanceSuiteTicket {
        client_id: ClientId,
        from_seq: i64,
    },
    /// Registers (or, with `None`, removes) the URL a suite's tickets are pushed to.
    SetTicketCallback {
        client_id: ClientId,
        url: Option<String>,
        /// The shape of the pushes.
        event: crate::suite::TicketEvent,
    },
    /// Replaces an app's client secret. The secret it had stays valid until
    /// `previous_valid_until` (no overlap when that is not in the future), and so do the
    /// app, corp and suite tokens handed out before: with no overlap every previous secret
    /// goes and those tokens are revoked at once.
    RotateSecret {
        client_id: ClientId,
        secret_hash: SecretHash,
        previous_valid_until: UnixTime,
    },
    /// Replaces an app's redirect URIs and forgets every user's consent to the app (the next
    /// authorization asks again).
    SetRedirectUris {
        client_id: ClientId,
        redirect_uris: Vec<String>,
    },
    /// Starts a device authorization (RFC 8628).
    InsertDeviceAuthorization(DeviceAuthorization),
    /// Records a poll of a device code: when, and the interval from now on.
    DevicePolled {
        device_hash: TokenHash,
        polled_at: UnixTime,
        interval: i64,
    },
    /// The user approved (with the org the tokens act in) or denied a pending device
    /// authorization; a conflict when it is no longer pending.
    DecideDevice {
        device_hash: TokenHash,
        approved: bool,
        union_id: UnionId,
        corp_id: Option<CorpId>,
        /// When the user decided (an approval's `auth_time`).
        decided_at: UnixTime,
    },
    /// Spends an approved device code (tokens are issued in the same transaction); a
    /// conflict when it is not approved, so two polls never both get tokens.
    ConsumeDevice {
        device_hash: TokenHash,
    },
}

/// Which cached decisions a committed change can make stale: the one classification that
/// both the store (which announces changes to every node) and the service (which drops its
/// own caches after a commit) follow, so the two cannot disagree.
///
/// Ordered: each level drops everything the levels below it drop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Invalidation {
    /// Nothing any node caches: sessions, consents, codes, new tokens, suite tickets (which
    /// carry their own read time), audit events.
    Nothing,
    /// Cached user tokens: a family or all of a user's tokens for an app were revoked.
    UserTokens,
    /// Apps, their rotated-out secrets, each app's standing per org, the scope catalogue.
    Grants,
    /// All of the above and every cached or handed-out app, corp and suite token.
    Everything,
}

impl Invalidation {
    /// The widest invalidation any of `changes` needs.
    pub fn of(changes: &[Change]) -> Invalidation {
        changes.iter().map(Change::invalidates).max().unwrap_or(Invalidation::Nothing)
    }

    /// Whether the other nodes must hear of it.
    pub fn is_needed(self) -> bool {
        self != Invalidation::Nothing
    }
}

impl Change {
    /// What this change can make stale in a node's caches (see [`Invalidation`]).
    pub fn invalidates(&self) -> Invalidation {
        match self {
            Change::PutScope(_)
            | Change::InsertApp(_)
            | Change::PutPermission(_)
            | Change::InsertInstallation(_)
            | Change::DeleteInstallation { .. }
            | Change::InsertOrgGrant(_)
            | Change::RevokeOrgGrant { .. }
            | Change::SetRedirectUris { .. }
            | Change::SetResourceServer { .. }
            | Change::SetRateLimits { .. }
            | Change::PutOidcClient(_) => Invalidation::Grants,
            // Revoked user tokens may sit in a node's token cache.
            Change::RevokeFamily { .. } | Change::RevokeFamilyOnce { .. } | Change::RevokeUserTokens { .. } => {
                Invalidation::UserTokens
            }
            // A rotation revokes the app's tokens, or cuts them to the overlap.
            Change::RevokeToken { .. } | Change::RotateSecret { .. } => Invalidation::Everything,
            // Listed one by one so that a new change has to be classified here.
            Change::InsertOrg(_)
            | Change::InsertUser { .. }
            | Change::InsertMember(_)
            | Change::InsertToken(_)
            | Change::PutConsent(_)
            | Change::DeleteConsent { .. }
            | Change::InsertAuthCode(_)
            | Change::ClaimAuthCode { .. }
            | Change::ClaimRefreshToken { .. }
            | Change::InsertFamily { .. }
            | Change::InsertRefreshToken(_)
            | Change::InsertSession(_)
            | Change::DeleteSession { .. }
            | Change::InsertDocument(_)
            | Change::SetDocumentReaders { .. }
            | Change::Audit(_)
            | Change::AdvanceSuiteTicket { .. }
            | Change::SetTicketCallback { .. }
            | Change::InsertDeviceAuthorization(_)
            | Change::DevicePolled { .. }
            | Change::DecideDevice { .. }
            | Change::ConsumeDevice { .. }
            | Change::InsertSigningKey(_)
            | Change::PutUserProfile { .. }
            | Change::ActivateSigningKey { .. } => Invalidation::Nothing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> (ClientId, CorpId, ScopeCode, UserId) {
        (
            ClientId::parse("dingdemoapp").unwrap(),
            CorpId::parse("dingdemo").unwrap(),
            ScopeCode::parse("qyapi_manage_addresslist").unwrap(),
            UserId::parse("alice").unwrap(),
        )
    }

    #[test]
    fn a_recall_drops_grants_a_revoked_token_drops_everything_an_audit_event_nothing() {
        let (client_id, corp_id, scope, by) = ids();
        let recall = Change::RevokeOrgGrant { client_id: client_id.clone(), corp_id: corp_id.clone(), scope, by };
        let uninstall =
            Change::DeleteInstallation { client_id: client_id.clone(), corp_id, by: UserId::parse("bob").unwrap() };
        let revoke = Change::RevokeToken { hash: crate::secret::token_hash("t") };
        let audit = Change::Audit(AuditDraft {
            corp_id: None,
            actor: "test".into(),
            action: crate::audit::AuditAction::ScopeDefined,
            target: "t".into(),
            detail: String::new(),
        });
        assert_eq!(recall.invalidates(), Invalidation::Grants);
        assert_eq!(uninstall.invalidates(), Invalidation::Grants);
        assert_eq!(revoke.invalidates(), Invalidation::Everything);
        assert_eq!(audit.invalidates(), Invalidation::Nothing);
        assert_eq!(Invalidation::of(&[audit.clone(), recall.clone()]), Invalidation::Grants);
        assert_eq!(Invalidation::of(&[recall, revoke, audit.clone()]), Invalidation::Everything);
        assert!(!Invalidation::of(std::slice::from_ref(&audit)).is_needed());
        let family = Change::RevokeFamily { family_id: "f".into() };
        assert_eq!(family.invalidates(), Invalidation::UserTokens);
        assert!(family.invalidates().is_needed());
        assert!(Invalidation::UserTokens < Invalidation::Grants);
        assert_eq!(Invalidation::of(&[family, audit.clone()]), Invalidation::UserTokens);
        assert!(!Invalidation::of(&[]).is_needed());
    }
}
