//! The sample API's data: departments, member profiles, documents.

use sqlx::{query, query_as};
use tessera_core::document::Document;
use tessera_core::ids::{CorpId, UserId};

use super::Sql;
use super::driver::{Driver, RowsAffected};
use super::error::map_err;
use super::rows::{DepartmentRow, DocumentRow, all, maybe};
use crate::{Department, ROOT_DEPARTMENT, StoreError};

impl<DB: Driver> Sql<'_, DB> {
    pub async fn documents(&self, corp_id: &CorpId) -> Result<Vec<Document>, StoreError> {
        let rows: Vec<DocumentRow> =
            query_as("SELECT corp_id, doc_id, title, body, readers FROM documents WHERE corp_id = $1 ORDER BY doc_id")
                .bind(corp_id.as_str())
                .fetch_all(self.pool)
                .await
                .map_err(map_err)?;
        all(rows)
    }

    pub async fn department(&self, corp_id: &CorpId, dept_id: i64) -> Result<Option<Department>, StoreError> {
        let row: Option<DepartmentRow> =
            query_as("SELECT corp_id, dept_id, name, parent_id FROM departments WHERE corp_id = $1 AND dept_id = $2")
                .bind(corp_id.as_str())
                .bind(dept_id)
                .fetch_optional(self.pool)
                .await
                .map_err(map_err)?;
        maybe(row)
    }

    /// Creates a department under `parent_id` (which must exist) with the next free id.
    pub async fn create_department(&self, corp_id: &CorpId, name: &str, parent_id: i64) -> Result<i64, StoreError> {
        if parent_id != ROOT_DEPARTMENT && self.department(corp_id, parent_id).await?.is_none() {
            return Err(StoreError::NotFound(format!("department {parent_id}")));
        }
        let (dept_id,): (i64,) = query_as(
            "INSERT INTO departments (corp_id, dept_id, name, parent_id)
             SELECT $1, COALESCE(MAX(dept_id), 1) + 1, $2, $3 FROM departments WHERE corp_id = $1
             RETURNING dept_id",
        )
        .bind(corp_id.as_str())
        .bind(name)
        .bind(parent_id)
        .fetch_one(self.pool)
        .await
        .map_err(map_err)?;
        Ok(dept_id)
    }

    /// Updates a member's name and/or title; `false` when there is no such member.
    pub async fn update_member_profile(
        &self,
        corp_id: &CorpId,
        user_id: &UserId,
        name: Option<&str>,
        title: Option<&str>,
    ) -> Result<bool, StoreError> {
        let done = query(
            "UPDATE members SET name = COALESCE($1, name), title = COALESCE($2, title) WHERE corp_id = $3 AND user_id = $4",
        )
        .bind(name)
        .bind(title)
        .bind(corp_id.as_str())
        .bind(user_id.as_str())
        .execute(self.pool)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }
}
