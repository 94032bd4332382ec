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

/// Detaches everything provider `id` manages before it goes: its users and groups become local
/// ones (users sign in with a password), the IdP's memberships are dropped, and its held records
/// (the IdP's only, without a site account or group) are deleted. Returns how many users and
/// groups stay.
pub async fn unlink_all(
    db: &mut sqlx::SqliteConnection,
    id: &str,
) -> Result<(u64, u64), StoreError> {
    sqlx::query("DELETE FROM users WHERE provider_id = ? AND status = 'held'")
        .bind(id)
        .execute(&mut *db)
        .await?;
    sqlx::query("DELETE FROM groups WHERE provider_id = ? AND status = 'held'")
        .bind(id)
        .execute(&mut *db)
        .await?;
    sqlx::query(
        "UPDATE group_members SET scim = 0
         WHERE group_seq IN (SELECT seq FROM groups WHERE provider_id = ?)
            OR member_id IN (SELECT id FROM users WHERE provider_id = ?)",
    )
    .bind(id)
    .bind(id)
    .execute(&mut *db)
    .await?;
    sqlx::query("DELETE FROM group_members WHERE scim = 0 AND site = 0")
        .execute(&mut *db)
        .await?;
    let users = sqlx::query(
        "UPDATE users SET managed = 0, provider_id = NULL, scim_deleted = 0,
             authentication_method = 'password'
         WHERE provider_id = ?",
    )
    .bind(id)
    .execute(&mut *db)
    .await?
    .rows_affected();
    let groups =
        sqlx::query("UPDATE groups SET managed = 0, provider_id = NULL WHERE provider_id = ?")
            .bind(id)
            .execute(&mut *db)
            .await?
            .rows_affected();
    Ok((users, groups))
}
