//! The suite grants of the one token pipeline: a suite's own token ([`Grant::SuiteToken`])
//! and its corp token in an org that activated it ([`Grant::CorpToken`]), and the suite
//! proofs [`Tessera::token`] authenticates them with: the suite's secret and current ticket,
//! DingTalk's legacy signature over the ticket, or a live suite token (Feishu's store-app
//! tenant token).
//!
//! [`Grant::SuiteToken`]: crate::Grant::SuiteToken
//! [`Grant::CorpToken`]: crate::Grant::CorpToken

use std::sync::Arc;

use tessera_core::app::{App, AppKind};
use tessera_core::ids::{ClientId, CorpId};
use tessera_core::secret::Secret;
use tessera_core::suite;
use tessera_core::token::TokenKind;

use crate::Tessera;
use crate::grant_error::GrantError;
use crate::issue::IssuedToken;
use crate::stats::Grant;
use crate::token_request::ClientProof;

impl Tessera {
    /// The suite behind a suite proof, every check of the proof done (the ticket included).
    pub(crate) async fn authenticate_suite(&self, proof: &ClientProof) -> Result<Arc<App>, GrantError> {
        match proof {
            ClientProof::SuiteTicket { client_id, secret, ticket } => {
                let app = self.suite(client_id, Some(secret)).await?;
                self.check_ticket(&app, ticket).await?;
                Ok(app)
            }
            ClientProof::SuiteSignature { client_id, timestamp, ticket, signature } => {
                let app = self.suite(client_id, None).await?;
                let secret = suite::generated_secret(&self.inner.key, &app.client_id);
                if !self.secret_matches(&app, &secret).await? {
                    return Err(GrantError::SecretNotRecomputable);
                }
                if !suite::timestamp_fresh(timestamp, self.now()) {
                    return Err(GrantError::StaleTimestamp);
                }
                if !suite::verify_legacy_signature(&secret, timestamp, ticket, signature) {
                    return Err(GrantError::BadSignature);
                }
                self.check_ticket(&app, ticket).await?;
                Ok(app)
            }
            ClientProof::SuiteToken(token) => self.suite_of_token(token).await,
            ClientProof::Credentials(_) | ClientProof::AppToken(_) => Err(GrantError::TicketRequired),
        }
    }

    /// The suite behind `suite_key`, if the secret is right (`None`: no secret check, for
    /// legacy signed calls that prove the secret by their signature). The kind is checked
    /// before the secret.
    pub(crate) async fn suite(&self, suite_key: &str, secret: Option<&Secret>) -> Result<Arc<App>, GrantError> {
        let Ok(client_id) = ClientId::parse(suite_key) else {
            return Err(GrantError::UnknownClient);
        };
        let app = self.app(&client_id).await?.ok_or(GrantError::UnknownClient)?;
        match app.kind {
            AppKind::ThirdPartyEnterprise => {}
            AppKind::Internal => {
                return Err(GrantError::NotASuite {
                    client_id,
                    kind: "internal",
                    hint: "internal apps get app tokens with /v1.0/oauth2/accessToken",
                });
            }
            AppKind::ThirdPartyPersonal => {
                return Err(GrantError::NotASuite {
                    client_id,
                    kind: "third_party_personal",
                    hint: "personal apps get user tokens only",
                });
            }
        }
        match secret {
            Some(s) if !self.secret_matches(&app, s).await? => Err(GrantError::WrongSecret),
            _ => Ok(app),
        }
    }

    /// The suite behind a live suite token.
    pub(crate) async fn suite_of_token(&self, suite_token: &str) -> Result<Arc<App>, GrantError> {
        let record = self.token_record(suite_token).await?.ok_or(GrantError::InvalidAppToken)?;
        if !record.is_live(self.now()) || record.kind != TokenKind::Suite {
            return Err(GrantError::InvalidAppToken);
        }
        self.app(&record.client_id).await?.ok_or(GrantError::InvalidAppToken)
    }

    /// [`Grant::SuiteToken`](crate::Grant::SuiteToken): the suite's own token (valid for no
    /// org API), for an authenticated suite.
    pub(crate) async fn suite_token_grant(&self, app: &App) -> Result<IssuedToken, GrantError> {
        Ok(self.hand_out(app, app.owner_corp_id.clone(), TokenKind::Suite, Vec::new(), Grant::SuiteTicket).await?)
    }

    /// [`Grant::CorpToken`](crate::Grant::CorpToken): the suite's corp token in an org that
    /// activated it (an org that does not exist is one that did not).
    pub(crate) async fn corp_token_grant(&self, app: &App, auth_corp_id: &str) -> Result<IssuedToken, GrantError> {
        let not_activated = || GrantError::NotInstalled { corp_id: auth_corp_id.to_owned() };
        let corp_id = CorpId::parse(auth_corp_id).map_err(|_| not_activated())?;
        if !self.standing(&app.client_id, &corp_id).await?.installed {
            return Err(not_activated());
        }
        Ok(self.hand_out(app, corp_id, TokenKind::Corp, Vec::new(), Grant::SuiteTicket).await?)
    }
}
