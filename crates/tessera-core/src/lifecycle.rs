//! The permission lifecycle's rules: requesting a scope for an app, reviewing a request,
//! activating an app in an org. Pure: the caller gathers the facts and writes the outcome.

use crate::app::{App, AppKind};
use crate::catalog::CLOSED_MESSAGE;
use crate::error::DomainError;
use crate::fixture::MAX_TEXT_LEN;
use crate::ids::{CorpId, Role};
use crate::member::Member;
use crate::org::Org;
use crate::permission::{PermissionRequest, PermissionStatus};
use crate::scope::{Scope, ScopeTier};

/// What a developer's request leads to: enabled at once (standard) or into review.
pub fn request_scope(
    scope: &Scope,
    owner: &Org,
    existing: Option<&PermissionRequest>,
    description: &str,
) -> Result<PermissionStatus, DomainError> {
    crate::text::field("description", description, crate::text::MAX_VALUE)?;
    if scope.tier == ScopeTier::Basic {
        return Err(DomainError::Conflict(format!("{} is basic: every app has it from creation", scope.code)));
    }
    match existing.map(|r| r.status) {
        Some(PermissionStatus::Enabled) => {
            return Err(DomainError::Conflict(format!("{} is already enabled for this app", scope.code)));
        }
        Some(PermissionStatus::PendingReview) => {
            return Err(DomainError::Conflict(format!("{} is already pending review", scope.code)));
        }
        Some(PermissionStatus::ReviewFailed) | None => {}
    }
    if !scope.open_for_requests {
        return Err(DomainError::ScopeClosed { scope: scope.code.clone(), message: CLOSED_MESSAGE });
    }
    if scope.requires_verified_org && !owner.verified {
        return Err(DomainError::UnverifiedOrg { scope: scope.code.clone() });
    }
    if !scope.needs_review() {
        return Ok(PermissionStatus::Enabled);
    }
    if description.trim().is_empty() || description.chars().count() > MAX_TEXT_LEN {
        return Err(DomainError::InvalidField {
            field: "description",
            reason: format!(
                "{} is {} and is reviewed: describe in 1 to {MAX_TEXT_LEN} characters why the app needs it",
                scope.code,
                scope.tier.as_str()
            ),
        });
    }
    Ok(PermissionStatus::PendingReview)
}

/// A reviewer's decision on a request: approve a pending one, decline a pending one (or
/// withdraw an approval) with a reason. Returns the new status and reason.
pub fn review(
    existing: Option<&PermissionRequest>,
    approve: bool,
    reason: Option<&str>,
) -> Result<(PermissionStatus, Option<String>), DomainError> {
    if let Some(r) = reason {
        crate::text::field("reason", r, crate::text::MAX_VALUE)?;
    }
    let current = existing.ok_or_else(|| DomainError::NotFound("no such permission request".into()))?;
    match (approve, current.status) {
        (true, PermissionStatus::PendingReview) => Ok((PermissionStatus::Enabled, None)),
        (true, status) => Err(DomainError::Conflict(format!(
            "only a pending request can be approved; this one is {} (a declined request must be resubmitted first)",
            status.as_str()
        ))),
        (false, PermissionStatus::ReviewFailed) => Err(DomainError::Conflict("the request is already declined".into())),
        (false, _) => match reason.map(str::trim) {
            Some(r) if !r.is_empty() && r.chars().count() <= MAX_TEXT_LEN => {
                Ok((PermissionStatus::ReviewFailed, Some(r.to_owned())))
            }
            _ => Err(DomainError::InvalidField {
                field: "reason",
                reason: format!("declining needs a reason of 1 to {MAX_TEXT_LEN} characters"),
            }),
        },
    }
}

/// Whether `app` may be activated in `corp_id`.
pub fn check_activation(app: &App, corp_id: &CorpId, already_installed: bool) -> Result<(), DomainError> {
    match app.kind {
        AppKind::ThirdPartyPersonal => return Err(DomainError::WrongAppKind { kind: "third_party_personal" }),
        AppKind::Internal if &app.owner_corp_id != corp_id => {
            return Err(DomainError::Conflict(format!(
                "{} is an internal app of {}: it can only be activated there",
                app.client_id, app.owner_corp_id
            )));
        }
        _ => {}
    }
    if already_installed {
        return Err(DomainError::Conflict(format!("{} is already activated in {corp_id}", app.client_id)));
    }
    Ok(())
}

/// Whether `member` administers their org (org-wide `org_admin`).
pub fn check_org_admin(member: &Member) -> Result<(), DomainError> {
    let admin = Role::parse(Role::ORG_ADMIN).map_err(|_| DomainError::InvalidId { what: "role" })?;
    if member.holds_org_wide(&admin) {
        Ok(())
    } else {
        Err(DomainError::NotAllowed(format!(
            "this needs an org-wide {} of {}; {} does not hold it",
            Role::ORG_ADMIN,
            member.corp_id,
            member.user_id
        )))
    }
}

/// Whether `member` may manage their org's apps (register, rotate secrets, change redirect
/// URIs and ticket callbacks, request scopes): an org-wide `developer` or `org_admin`.
pub fn check_developer(member: &Member) -> Result<(), DomainError> {
    let holds = |name: &str| Role::parse(name).is_ok_and(|r| member.holds_org_wide(&r));
    if holds(Role::DEVELOPER) || holds(Role::ORG_ADMIN) {
        Ok(())
    } else {
        Err(DomainError::DeveloperRequired { corp_id: member.corp_id.clone(), user_id: member.user_id.clone() })
    }
}

#[cfg(test)]
mod tests;
