//! An app's OpenID Connect settings through the management API: read and changed by
//! platform operators, each change validated and audited.

use tessera_core::DomainError;
use tessera_core::audit::{AuditAction, AuditDraft};
use tessera_core::change::Change;
use tessera_core::ids::ClientId;
use tessera_core::oidc::{OidcClient, OidcSettingsPatch};

use tessera_store::StoreError;

use crate::Tessera;
use crate::management::{Actor, ManageError};

fn operators_only(actor: &Actor) -> Result<(), ManageError> {
    if actor != &Actor::Operator {
        return Err(
            DomainError::NotAllowed("only platform operators read and change OpenID Connect settings".into()).into()
        );
    }
    Ok(())
}

impl Tessera {
    /// Creates the keys of `alg` if it has none yet (published in the JWKS before the first
    /// token an app's new setting makes it sign).
    pub(crate) async fn publish_keys_for(&self, alg: tessera_core::signing_key::SigningAlg) -> Result<(), StoreError> {
        self.ensure_keys(alg).await.map_err(|e| match e {
            crate::signing::SigningError::Store(e) => e,
            crate::signing::SigningError::Crypto(m) => StoreError::Backend(m),
        })
    }

    /// An app's OpenID Connect settings, for an operator.
    pub async fn oidc_settings(&self, actor: &Actor, client_id: &ClientId) -> Result<OidcClient, ManageError> {
        operators_only(actor)?;
        self.app(client_id).await?.ok_or_else(|| DomainError::NotFound(format!("no app {client_id}")))?;
        Ok(self.oidc_client(client_id).await?)
    }

    /// An operator changes an app's OpenID Connect settings (only the fields of `patch`);
    /// returns them as they now are. Audited `oidc_settings_changed` with the new values.
    pub async fn set_oidc_settings(
        &self,
        actor: &Actor,
        client_id: &ClientId,
        patch: &OidcSettingsPatch,
    ) -> Result<OidcClient, ManageError> {
        operators_only(actor)?;
        let app = self.app(client_id).await?.ok_or_else(|| DomainError::NotFound(format!("no app {client_id}")))?;
        let next = patch.apply(self.oidc_client(client_id).await?)?;
        // The back-channel URI is a callback like a ticket push's: the same registration check
        // (no non-public address unless allowed), and every delivery checks it again.
        if let (Some(Some(uri)), Some(_)) = (&patch.backchannel_logout_uri, &next.backchannel_logout_uri) {
            crate::callback_guard::check_callback_url(uri, self.inner.config.allow_private_callbacks)
                .await
                .map_err(|e| DomainError::InvalidField { field: "backchannel_logout_uri", reason: e.to_string() })?;
        }
        let audit = Change::Audit(AuditDraft {
            corp_id: Some(app.owner_corp_id.clone()),
            actor: actor.label(None),
            action: AuditAction::OidcSettingsChanged,
            target: format!("app:{client_id}"),
            detail: format!(
                "id_token_signed_response_alg:{} subject_type:{} access_token_format:{} resources:{} post_logout_redirect_uris:{} backchannel_logout_uri:{}",
                next.id_token_alg.as_str(),
                next.subject_type.as_str(),
                next.access_token_format.as_str(),
                next.resources.join(" "),
                next.post_logout_redirect_uris.join(" "),
                next.backchannel_logout_uri.as_deref().unwrap_or("")
            ),
        });
        self.publish_keys_for(next.id_token_alg).await?;
        self.commit_grants(&[Change::PutOidcClient(next), audit]).await?;
        Ok(self.oidc_client(client_id).await?)
    }
}
