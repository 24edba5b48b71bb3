//! The contract every backend passes. A backend's tests call
//! `tessera_store::store_contract!(async { fresh_store().await })`, which writes one
//! `#[tokio::test]` per check, each on a fresh, empty store.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use tessera_core::app::{App, AppKind, RateLimits};
use tessera_core::audit::{AuditAction, AuditDraft, verify_chain};
use tessera_core::change::Change;
use tessera_core::consent::Consent;
use tessera_core::document::Document;
use tessera_core::grant::OrgGrant;
use tessera_core::grant_code::{AuthCode, CodePurpose};
use tessera_core::ids::{ClientId, CorpId, Role, ScopeCode, UnionId, UserId};
use tessera_core::installation::Installation;
use tessera_core::member::{Member, MemberRole, User};
use tessera_core::org::Org;
use tessera_core::permission::{PermissionRequest, PermissionStatus};
use tessera_core::refresh::{Claim, RefreshToken};
use tessera_core::scope::{Scope, ScopeIdentity, ScopeTier};
use tessera_core::secret::{Secret, SecretKey, token_hash};
use tessera_core::session::Session;
use tessera_core::time::UnixTime;
use tessera_core::token::{AccessToken, TokenKind};

use crate::{AuditFilter, Database, StoreError, StoredUser};

mod audit;
mod batches;
mod directory;
mod purge;
mod sample;
mod tokens;

pub use audit::*;
pub use batches::*;
pub use directory::*;
pub use purge::*;
pub use sample::*;
pub use tokens::*;

fn corp() -> CorpId {
    CorpId::parse("dingcontract").unwrap()
}

fn org() -> Org {
    Org { corp_id: corp(), name: "Contract Corp".into(), verified: true }
}

fn user() -> User {
    User { union_id: UnionId::parse("carol-union").unwrap(), name: "Carol".into() }
}

fn member() -> Member {
    Member {
        corp_id: corp(),
        user_id: UserId::parse("carol").unwrap(),
        union_id: user().union_id,
        name: "Carol".into(),
        title: "Engineer".into(),
        roles: vec![
            MemberRole::org_wide(Role::parse("org_admin").unwrap()),
            MemberRole { role: Role::parse("contacts_admin").unwrap(), department: Some("sales".into()) },
        ],
    }
}

fn app() -> App {
    App {
        client_id: ClientId::parse("contractapp").unwrap(),
        name: "Contract app".into(),
        kind: AppKind::ThirdPartyEnterprise,
        owner_corp_id: corp(),
        secret_hash: SecretKey::from_bytes([5; 32]).hash(&Secret::new("s")),
        redirect_uris: vec!["https://app.example/cb".into(), "http://127.0.0.1:9/cb".into()],
        public_client: true,
        resource_server: false,
        rate_limits: RateLimits::default(),
    }
}

fn scope_code(s: &str) -> ScopeCode {
    ScopeCode::parse(s).unwrap()
}

fn audit(target: &str, corp_id: Option<CorpId>) -> Change {
    Change::Audit(AuditDraft {
        corp_id,
        actor: "operator".into(),
        action: AuditAction::AppInstalled,
        target: target.into(),
        detail: "d".into(),
    })
}

fn everything() -> Vec<Change> {
    vec![
        Change::PutScope(Scope {
            code: scope_code("hr.salary.read"),
            description: "Read salaries".into(),
            tier: ScopeTier::Sensitive,
            eligible_role: Some(Role::parse("hr_admin").unwrap()),
            open_for_requests: false,
            requires_verified_org: true,
            identity: ScopeIdentity::User,
        }),
        Change::InsertOrg(org()),
        Change::InsertUser { user: user(), password_hash: Some("$argon2id$v=19$fake".into()) },
        Change::InsertMember(member()),
        Change::InsertApp(app()),
        Change::PutPermission(PermissionRequest {
            client_id: app().client_id,
            scope: scope_code("hr.salary.read"),
            status: PermissionStatus::ReviewFailed,
            description: "we pay people".into(),
            reason: Some("say why".into()),
            updated_at: UnixTime(50),
        }),
        Change::InsertInstallation(Installation {
            client_id: app().client_id,
            corp_id: corp(),
            installed_at: UnixTime(51),
        }),
        Change::InsertOrgGrant(OrgGrant {
            client_id: app().client_id,
            corp_id: corp(),
            scope: scope_code("hr.salary.read"),
            granted_by: member().user_id,
            granted_at: UnixTime(52),
        }),
        Change::InsertToken(AccessToken {
            hash: token_hash("c-abc"),
            kind: TokenKind::Corp,
            client_id: app().client_id,
            corp_id: Some(corp()),
            union_id: None,
            issued_at: UnixTime(53),
            expires_at: UnixTime(7253),
            revoked: false,
            scopes: vec![],
            family_id: None,
        }),
        audit("app:contractapp", Some(corp())),
    ]
}

fn user_token(token: &str, family: &str) -> AccessToken {
    AccessToken {
        hash: token_hash(token),
        kind: TokenKind::User,
        client_id: app().client_id,
        corp_id: Some(corp()),
        union_id: Some(user().union_id),
        issued_at: UnixTime(10),
        expires_at: UnixTime(7210),
        revoked: false,
        scopes: vec![scope_code("openid"), scope_code("Contact.User.Read")],
        family_id: Some(family.into()),
    }
}

fn refresh(token: &str, family: &str) -> RefreshToken {
    RefreshToken {
        hash: token_hash(token),
        family_id: family.into(),
        client_id: app().client_id,
        union_id: user().union_id,
        corp_id: Some(corp()),
        scopes: vec![scope_code("Contact.User.Read")],
        issued_at: UnixTime(10),
        expires_at: UnixTime(99_999),
    }
}

fn family(id: &str) -> Change {
    Change::InsertFamily { family_id: id.into(), client_id: app().client_id, union_id: user().union_id }
}

/// Writes one `#[tokio::test]` per contract check; `$make` is an expression that evaluates
/// to a future yielding a fresh `Arc<dyn Database>`.
#[macro_export]
macro_rules! store_contract {
    ($make:expr) => {
        $crate::store_contract!(@tests $make;
            every_entity_round_trips,
            missing_rows_read_as_none,
            a_failing_batch_writes_nothing,
            permissions_are_replaced_not_duplicated,
            audit_chain_is_sequential_filterable_and_verifiable,
            concurrent_writers_keep_one_unbroken_chain,
            departments_and_member_profiles,
            consents_are_kept_per_user_and_app_and_withdrawn,
            an_auth_code_is_claimed_once,
            an_auth_code_keeps_the_resources_it_was_issued_for,
            concurrent_refresh_claims_have_exactly_one_winner,
            claims_in_commits_have_exactly_one_winner,
            revoking_a_family_kills_its_access_and_refresh_tokens,
            sessions_and_documents,
            expired_rows_are_purged_and_live_ones_kept,
            revoking_and_uninstalling_keep_who_and_when,
            review_queue_and_audit_filters,
            suite_tickets_advance_once_per_sequence_number,
            apps_by_owner_rotated_secrets_and_redirect_uris,
            rotations_end_old_tokens_and_new_redirect_uris_forget_consents,
            device_authorizations_are_decided_once_and_consumed_once,
            purge_deletes_in_batches_and_drops_empty_families,
            a_family_revocation_is_logged_once,
            batched_token_writes_land_whole_or_not_at_all,
        );
    };
    (@tests $make:expr; $($name:ident,)*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store = $make.await;
                $crate::contract::$name(store).await;
            }
        )*
    };
}
