//! The storage trait Tessera's backends implement.
//!
//! Layout:
//! - [`Store`]: reads by key and [`Store::commit`], which applies a list of domain
//!   [`Change`]s in one transaction and chains the audit
//!   events among them.
//! - [`SampleData`] (in [`sample_data`]): the sample API's departments, member profiles and
//!   documents, apart from the authorization server's data.
//! - [`Database`]: both, as one database holds them; what the server is built on.
//! - [`StoreError`]: what can go wrong in any backend.
//! - [`sql`]: the SQL both relational backends share, as generic code over the sqlx driver,
//!   and the one migrations folder; its docs say how to add a store method.
//! - `contract` (feature `contract`): the suite every backend must pass.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use async_trait::async_trait;
use tessera_core::app::App;
use tessera_core::audit::{AuditAction, AuditEvent};
use tessera_core::change::Change;
use tessera_core::consent::Consent;
use tessera_core::device::DeviceAuthorization;
use tessera_core::grant::{OrgGrant, RevokedGrant};
use tessera_core::grant_code::AuthCode;
use tessera_core::ids::{ClientId, CorpId, UnionId, UserId};
use tessera_core::installation::Installation;
use tessera_core::member::{Member, User};
use tessera_core::org::Org;
use tessera_core::permission::PermissionRequest;
use tessera_core::refresh::{Claim, RefreshToken};
use tessera_core::scope::Scope;
use tessera_core::secret::{SecretHash, TokenHash};
use tessera_core::session::Session;
use tessera_core::suite::SuiteTicket;
use tessera_core::time::UnixTime;
use tessera_core::token::AccessToken;

#[cfg(feature = "contract")]
pub mod contract;
pub mod sample_data;
pub mod sql;

pub use sample_data::{Department, ROOT_DEPARTMENT, SampleData};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A write collided with existing data (a unique key).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A referenced row does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// Stored data that does not decode into the domain (hand-edited rows, say).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The database cannot be reached right now (connection refused or lost, no connection
    /// free within the acquire timeout, the server shutting down or starting up): a retry
    /// later may succeed. Answered as 503 in every dialect.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The connection broke while a statement ran (the server restarted or went away): like
    /// `Unavailable`, and a read may be tried once more on a fresh connection (a write may
    /// or may not have committed, so it is never repeated).
    #[error("database connection lost: {0}")]
    Interrupted(String),
    /// The database failed otherwise.
    #[error("database error: {0}")]
    Backend(String),
}

impl StoreError {
    /// Whether the database could not be reached (as opposed to refusing or failing a statement).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_) | StoreError::Interrupted(_))
    }
}

/// How a backend opens its connection pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectOptions {
    /// How long a request waits for a database connection before failing with
    /// [`StoreError::Unavailable`]; also bounds the first connection at start.
    pub acquire_timeout: std::time::Duration,
}

/// The default acquire timeout: long enough to ride out a database restart, short enough
/// that a caller gets a clear 503 instead of hanging.
pub const DEFAULT_ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions { acquire_timeout: DEFAULT_ACQUIRE_TIMEOUT }
    }
}

/// The most rows one purge transaction deletes; the purge loops, yielding between batches.
pub const PURGE_BATCH: i64 = 1000;
/// At most this many batches per kind of row in one purge; what is left waits for the next.
pub const PURGE_MAX_BATCHES: u32 = 1000;

/// How many rows of each kind one purge deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub sessions: u64,
    pub access_tokens: u64,
    pub refresh_tokens: u64,
    pub previous_secrets: u64,
    pub device_authorizations: u64,
    pub auth_codes: u64,
    pub token_families: u64,
}

impl Purged {
    pub fn total(&self) -> u64 {
        self.sessions
            + self.access_tokens
            + self.refresh_tokens
            + self.previous_secrets
            + self.device_authorizations
            + self.auth_codes
            + self.token_families
    }
}

/// A user as stored, with their password hash (argon2id PHC string) if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUser {
    pub user: User,
    pub password_hash: Option<String>,
}

/// Which audit events to list, oldest first unless `newest_first`.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub corp_id: Option<CorpId>,
    pub action: Option<AuditAction>,
    /// Events about this app (their target starts with `app:<client_id>`).
    pub client_id: Option<ClientId>,
    /// Events by exactly this actor.
    pub actor: Option<String>,
    /// Events by actors whose name starts with this (`member:dingdemo/` for every member).
    pub actor_prefix: Option<String>,
    /// Events at or after this time.
    pub since: Option<UnixTime>,
    /// Events before this time.
    pub until: Option<UnixTime>,
    /// Only events with a sequence number above this.
    pub after_seq: i64,
    /// Only events with a sequence number below this.
    pub before_seq: Option<i64>,
    /// The `limit` newest matching events, newest first (else the oldest, oldest first).
    pub newest_first: bool,
    pub limit: i64,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Applies `changes` in one transaction: all or nothing. Audit events among them get the
    /// next sequence numbers, time `at` and their place in the hash chain.
    async fn commit(&self, changes: &[Change], at: UnixTime) -> Result<(), StoreError>;

    /// Operator-defined scopes (the built-in catalogue lives in the core).
    async fn scopes(&self) -> Result<Vec<Scope>, StoreError>;
    async fn org(&self, corp_id: &CorpId) -> Result<Option<Org>, StoreError>;
    async fn user(&self, union_id: &UnionId) -> Result<Option<StoredUser>, StoreError>;
    async fn member(&self, corp_id: &CorpId, user_id: &UserId) -> Result<Option<Member>, StoreError>;
    /// The member of `corp_id` whose person is `union_id`.
    async fn member_by_union(&self, corp_id: &CorpId, union_id: &UnionId) -> Result<Option<Member>, StoreError>;
    async fn app(&self, client_id: &ClientId) -> Result<Option<App>, StoreError>;
    async fn permissions(&self, client_id: &ClientId) -> Result<Vec<PermissionRequest>, StoreError>;
    async fn installations(&self, client_id: &ClientId) -> Result<Vec<Installation>, StoreError>;
    /// The installation of `client_id` in `corp_id`, if the org installed the app (a lookup by
    /// the primary key: an app installed in thousands of orgs is not read whole).
    async fn installation(&self, client_id: &ClientId, corp_id: &CorpId) -> Result<Option<Installation>, StoreError>;
    async fn org_grants(&self, client_id: &ClientId, corp_id: &CorpId) -> Result<Vec<OrgGrant>, StoreError>;
    async fn token(&self, hash: &TokenHash) -> Result<Option<AccessToken>, StoreError>;
    async fn audit_events(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>, StoreError>;

    /// Every membership of a person, by org.
    async fn memberships_of(&self, union_id: &UnionId) -> Result<Vec<Member>, StoreError>;
    async fn consent(&self, union_id: &UnionId, client_id: &ClientId) -> Result<Option<Consent>, StoreError>;
    /// Every app a user consented to, by client id.
    async fn consents_of(&self, union_id: &UnionId) -> Result<Vec<Consent>, StoreError>;
    /// An authorization code and whether it is still unused, without consuming it (so every
    /// check of an exchange runs before the claim).
    async fn auth_code(&self, hash: &TokenHash) -> Result<Option<(AuthCode, bool)>, StoreError>;
    /// Consumes an authorization code: `Claimed` exactly once, `Replayed` afterwards.
    async fn claim_auth_code(&self, hash: &TokenHash, now: UnixTime) -> Result<Claim<AuthCode>, StoreError>;
    /// Consumes a refresh token of a live family: `Claimed` exactly once, even under
    /// concurrent claims; `Replayed` once consumed or when its family is revoked.
    async fn claim_refresh_token(&self, hash: &TokenHash, now: UnixTime) -> Result<Claim<RefreshToken>, StoreError>;
    /// A refresh token and whether it is still usable (unconsumed, family live).
    async fn refresh_token(&self, hash: &TokenHash) -> Result<Option<(RefreshToken, bool)>, StoreError>;
    /// Whether a refresh token was consumed (used once), whatever its family's state: tells a
    /// consumed token from a revoked one. `None` for an unknown token.
    async fn refresh_token_used(&self, hash: &TokenHash) -> Result<Option<bool>, StoreError>;
    async fn session(&self, hash: &TokenHash) -> Result<Option<Session>, StoreError>;

    /// Deletes what can never be used again: sessions, access and refresh tokens expired
    /// before `now`, and authorization codes that expired before `codes_before` (kept longer
    /// than their 5 minutes so a late replay still revokes what the code issued).
    /// Permission requests waiting for review, oldest first.
    async fn pending_requests(&self) -> Result<Vec<PermissionRequest>, StoreError>;
    /// Revoked grants of an app in an org, oldest first.
    async fn revoked_grants(&self, client_id: &ClientId, corp_id: &CorpId) -> Result<Vec<RevokedGrant>, StoreError>;
    /// Every member of an org.
    async fn members_of(&self, corp_id: &CorpId) -> Result<Vec<Member>, StoreError>;
    /// Every app installed in an org.
    async fn installations_in(&self, corp_id: &CorpId) -> Result<Vec<Installation>, StoreError>;
    /// A receiver that gets a message whenever another node (or this one) changed grants,
    /// when the backend can tell (PostgreSQL LISTEN/NOTIFY; SQLite polls a change counter, so
    /// that other processes writing the same file are heard); `None` when it cannot.
    async fn grant_changes(&self) -> Result<Option<tokio::sync::mpsc::Receiver<()>>, StoreError>;

    /// Deletes what can never be used again, in transactions of at most [`PURGE_BATCH`] rows
    /// (so no purge stalls other writers for long): sessions, access and refresh tokens,
    /// previous secrets and device authorizations expired at `now`, authorization codes that
    /// expired before `codes_before` (kept longer than their 5 minutes so a late replay still
    /// revokes what the code issued), and then token families left without any token or code.
    /// Consents and revoked grants stay.
    async fn purge_expired(&self, now: UnixTime, codes_before: UnixTime) -> Result<Purged, StoreError>;

    /// Whether the store can serve requests now: the database answers a trivial query and,
    /// where the backend announces grant changes, the listening connection is established.
    async fn ready(&self) -> Result<(), StoreError>;
    /// Times the change listener had to connect again after losing its connection (0 for a
    /// store that announces no changes).
    fn listen_reconnects(&self) -> u64 {
        0
    }

    /// A suite's ticket state; a third-party enterprise app with no ticket yet has `seq` 0.
    /// `None` for an unknown app or one of another kind.
    async fn suite_ticket(&self, client_id: &ClientId) -> Result<Option<SuiteTicket>, StoreError>;
    /// The ticket state of every third-party enterprise app, by client id.
    async fn suite_tickets(&self) -> Result<Vec<SuiteTicket>, StoreError>;
    /// Every app an org registered, by client id.
    async fn apps_owned_by(&self, corp_id: &CorpId) -> Result<Vec<App>, StoreError>;
    /// An app's rotated-out secrets with the time each stops working, oldest first (expired
    /// ones may still be listed until purged).
    async fn previous_secrets(&self, client_id: &ClientId) -> Result<Vec<(SecretHash, UnixTime)>, StoreError>;
    /// A device authorization by the hash of its device code or of its (normalized) user code.
    async fn device_authorization(&self, by: &DeviceLookup) -> Result<Option<DeviceAuthorization>, StoreError>;
    /// An app's OpenID Connect settings (`None`: it chose nothing).
    async fn oidc_client(&self, client_id: &ClientId) -> Result<Option<tessera_core::oidc::OidcClient>, StoreError>;
    /// A user's profile claims (`None`: none known).
    async fn user_profile(&self, union_id: &UnionId) -> Result<Option<tessera_core::oidc::UserProfile>, StoreError>;
    /// Every signing key (published, active or long retired), by algorithm and generation.
    async fn signing_keys(&self) -> Result<Vec<tessera_core::signing_key::StoredSigningKey>, StoreError>;
}

/// Everything a Tessera database holds: the authorization server's data ([`Store`]) and the
/// sample API's ([`SampleData`]). Every type with both is one; an `Arc<dyn Database>` turns
/// into either half with an ordinary coercion.
pub trait Database: Store + SampleData {}

impl<T: Store + SampleData + ?Sized> Database for T {}

/// How a device authorization is looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceLookup {
    DeviceCode(TokenHash),
    UserCode(TokenHash),
}
