//! The `lifecycle_rules` table: user lifecycle rules (SPEC.md) and when each last ran.

use sqlx::{Executor, FromRow, Sqlite};

use super::{Millis, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct LifecycleRow {
    pub id: String,
    pub name: String,
    pub authentication_method: String,
    pub inactivity_days: i64,
    pub include_site_admins: bool,
    pub include_folder_admins: bool,
    pub action: String,
    pub user_state: String,
    pub enabled: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub last_run_at: Option<Millis>,
}

const COLUMNS: &str = "id, name, authentication_method, inactivity_days, include_site_admins,
    include_folder_admins, action, user_state, enabled, created_at, updated_at, last_run_at";

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    row: &LifecycleRow,
) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "INSERT INTO lifecycle_rules ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(&row.id)
    .bind(&row.name)
    .bind(&row.authentication_method)
    .bind(row.inactivity_days)
    .bind(row.include_site_admins)
    .bind(row.include_folder_admins)
    .bind(&row.action)
    .bind(&row.user_state)
    .bind(row.enabled)
    .bind(row.created_at)
    .bind(row.updated_at)
    .bind(row.last_run_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Rewrites a rule; `false` when there is no such rule.
pub async fn update<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    row: &LifecycleRow,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE lifecycle_rules SET name = ?, authentication_method = ?, inactivity_days = ?,
             include_site_admins = ?, include_folder_admins = ?, action = ?, user_state = ?,
             enabled = ?, updated_at = ?, last_run_at = ?
         WHERE id = ?",
    )
    .bind(&row.name)
    .bind(&row.authentication_method)
    .bind(row.inactivity_days)
    .bind(row.include_site_admins)
    .bind(row.include_folder_admins)
    .bind(&row.action)
    .bind(&row.user_state)
    .bind(row.enabled)
    .bind(row.updated_at)
    .bind(row.last_run_at)
    .bind(&row.id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    id: &str,
) -> Result<Option<LifecycleRow>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM lifecycle_rules WHERE id = ?"
    ))
    .bind(id)
    .fetch_optional(db)
    .await?)
}

pub async fn list<'e>(
    db: impl Executor<'e, Database = Sqlite>,
) -> Result<Vec<LifecycleRow>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM lifecycle_rules ORDER BY created_at, id"
    ))
    .fetch_all(db)
    .await?)
}

pub async fn delete<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    id: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM lifecycle_rules WHERE id = ?")
        .bind(id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn mark_run<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    id: &str,
    at: Millis,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE lifecycle_rules SET last_run_at = ? WHERE id = ?")
        .bind(at)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}
