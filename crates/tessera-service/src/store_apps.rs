//! Feishu's store-app (ISV) tenant token: a tenant (org) token from the app's
//! `app_access_token` (a suite token) and a `tenant_key` (the org's corp id). The app
//! token itself comes from the suite's ticket (`issue_suite_token`).

use tessera_core::ids::CorpId;
use tessera_core::token::TokenKind;

use crate::Tessera;
use crate::issue::IssuedToken;
use crate::suite::SuiteError;

impl Tessera {
    /// A corp token for `tenant_key` from a live suite token of an app activated there.
    pub async fn issue_tenant_token_with_app_token(
        &self,
        app_access_token: &str,
        tenant_key: &str,
    ) -> Result<IssuedToken, SuiteError> {
        let record = self.token_record(app_access_token).await?.ok_or(SuiteError::InvalidSuiteToken)?;
        if !record.is_live(self.now()) || record.kind != TokenKind::Suite {
            return Err(SuiteError::InvalidSuiteToken);
        }
        let app = self.app(&record.client_id).await?.ok_or(SuiteError::InvalidSuiteToken)?;
        let not_activated = || SuiteError::NotActivated { corp_id: tenant_key.to_owned() };
        let corp_id = CorpId::parse(tenant_key).map_err(|_| not_activated())?;
        if !self.standing(&app.client_id, &corp_id).await?.installed {
            return Err(not_activated());
        }
        Ok(self.hand_out(&app, corp_id, TokenKind::Corp).await?)
    }
}
