//! Changes to an app's credentials and settings: secret rotation, resource server flag,
//! redirect URIs, and its suite ticket.

use sqlx::{Transaction, query};
use tessera_core::ids::ClientId;
use tessera_core::secret::SecretHash;
use tessera_core::suite::TicketEvent;
use tessera_core::time::UnixTime;

use super::columns::uris_json;

use super::Sql;
use super::driver::{Driver, RowsAffected};
use super::error::map_err;
use crate::StoreError;

impl<DB: Driver> Sql<'_, DB> {
    pub async fn rotate_secret(
        tx: &mut Transaction<'static, DB>,
        client_id: &ClientId,
        secret_hash: &SecretHash,
        previous_valid_until: &UnixTime,
        at: UnixTime,
    ) -> Result<(), StoreError> {
        if previous_valid_until.0 > at.0 {
            query(
                "INSERT INTO previous_secrets (client_id, secret_hash, valid_until)
                     SELECT client_id, secret_hash, $2 FROM apps WHERE client_id = $1",
            )
            .bind(client_id.as_str())
            .bind(previous_valid_until.0)
            .execute(&mut **tx)
            .await
            .map_err(map_err)?;
            // Tokens handed out under the old secret end with its overlap.
            query(
                "UPDATE access_tokens SET expires_at = $2
                     WHERE client_id = $1 AND kind <> 'user' AND expires_at > $2",
            )
            .bind(client_id.as_str())
            .bind(previous_valid_until.0)
            .execute(&mut **tx)
            .await
            .map_err(map_err)?;
        } else {
            // No overlap: every secret the app had stops working now, and so does
            // every app, corp and suite token handed out under them.
            query("DELETE FROM previous_secrets WHERE client_id = $1")
                .bind(client_id.as_str())
                .execute(&mut **tx)
                .await
                .map_err(map_err)?;
            query(
                "UPDATE access_tokens SET revoked = $2
                     WHERE client_id = $1 AND kind <> 'user' AND revoked = $3",
            )
            .bind(client_id.as_str())
            .bind(true)
            .bind(false)
            .execute(&mut **tx)
            .await
            .map_err(map_err)?;
        }
        let done = query("UPDATE apps SET secret_hash = $1 WHERE client_id = $2")
            .bind(secret_hash.to_hex())
            .bind(client_id.as_str())
            .execute(&mut **tx)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("app {client_id}")));
        }
        Ok(())
    }

    pub async fn set_resource_server(
        tx: &mut Transaction<'static, DB>,
        client_id: &ClientId,
        resource_server: &bool,
    ) -> Result<(), StoreError> {
        let done = query("UPDATE apps SET resource_server = $1 WHERE client_id = $2")
            .bind(*resource_server)
            .bind(client_id.as_str())
            .execute(&mut **tx)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("app {client_id}")));
        }
        Ok(())
    }

    pub async fn set_redirect_uris(
        tx: &mut Transaction<'static, DB>,
        client_id: &ClientId,
        redirect_uris: &[String],
    ) -> Result<(), StoreError> {
        let done = query("UPDATE apps SET redirect_uris = $1 WHERE client_id = $2")
            .bind(uris_json(redirect_uris)?)
            .bind(client_id.as_str())
            .execute(&mut **tx)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("app {client_id}")));
        }
        // Users consented to the app as it sent them back to the old URIs: ask again.
        query("DELETE FROM consents WHERE client_id = $1")
            .bind(client_id.as_str())
            .execute(&mut **tx)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    pub async fn advance_suite_ticket(
        tx: &mut Transaction<'static, DB>,
        client_id: &ClientId,
        from_seq: &i64,
        at: UnixTime,
    ) -> Result<(), StoreError> {
        query("INSERT INTO suite_tickets (client_id) VALUES ($1) ON CONFLICT (client_id) DO NOTHING")
            .bind(client_id.as_str())
            .execute(&mut **tx)
            .await
            .map_err(map_err)?;
        let done = query("UPDATE suite_tickets SET seq = seq + 1, issued_at = $1 WHERE client_id = $2 AND seq = $3")
            .bind(at.0)
            .bind(client_id.as_str())
            .bind(*from_seq)
            .execute(&mut **tx)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!("suite ticket of {client_id} is no longer number {from_seq}")));
        }
        Ok(())
    }

    pub async fn set_ticket_callback(
        tx: &mut Transaction<'static, DB>,
        client_id: &ClientId,
        url: &Option<String>,
        event: TicketEvent,
    ) -> Result<(), StoreError> {
        query(
            "INSERT INTO suite_tickets (client_id, callback_url, event_format) VALUES ($1, $2, $3)
                 ON CONFLICT (client_id) DO UPDATE
                 SET callback_url = excluded.callback_url, event_format = excluded.event_format",
        )
        .bind(client_id.as_str())
        .bind(url.as_deref())
        .bind(event.as_str())
        .execute(&mut **tx)
        .await
        .map_err(map_err)?;
        Ok(())
    }
}
