//! The `providers` table: SSO providers.

use sqlx::{Executor, FromRow, Sqlite};

use super::{Millis, StoreError};

/// A stored SSO provider.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ProviderRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub scim_authentication_method: String,
    /// The provisioning options, a JSON object (see `site::providers`).
    pub options: String,
    pub created_at: Millis,
    pub updated_at: Millis,
}

const COLUMNS: &str = "id, name, kind, scim_authentication_method, options, created_at, updated_at";

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    row: &ProviderRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO providers (id, name, kind, scim_authentication_method, options, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&row.id)
    .bind(&row.name)
    .bind(&row.kind)
    .bind(&row.scim_authentication_method)
    .bind(&row.options)
    .bind(row.created_at)
    .bind(row.updated_at)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn get<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    id: &str,
) -> Result<Option<ProviderRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM providers WHERE id = ?");
    Ok(sqlx::query_as(&sql).bind(id).fetch_optional(db).await?)
}

pub async fn list<'e>(
    db: impl Executor<'e, Database = Sqlite>,
) -> Result<Vec<ProviderRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM providers ORDER BY created_at, id");
    Ok(sqlx::query_as(&sql).fetch_all(db).await?)
}

/// Writes every mutable column of `row`.
pub async fn update<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    row: &ProviderRow,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE providers SET name = ?, kind = ?, scim_authentication_method = ?, options = ?, updated_at = ?
         WHERE id = ?",
    )
    .bind(&row.name)
    .bind(&row.kind)
    .bind(&row.scim_authentication_method)
    .bind(&row.options)
    .bind(row.updated_at)
    .bind(&row.id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes a provider (its credentials go with it; its users and groups stay, unlinked).
pub async fn delete<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    id: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM providers WHERE id = ?")
        .bind(id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}
