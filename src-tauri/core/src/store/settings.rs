//! The `settings` table: one row of site settings.

use sqlx::{Executor, FromRow, Sqlite};

use super::{Millis, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct SettingsRow {
    pub name: String,
    pub require_2fa: bool,
    pub time_zone: String,
    pub allow_manual_user_management: bool,
    pub allow_manual_group_management: bool,
    pub updated_at: Millis,
}

pub async fn get<'e>(db: impl Executor<'e, Database = Sqlite>) -> Result<SettingsRow, StoreError> {
    Ok(sqlx::query_as(
        "SELECT name, require_2fa, time_zone, allow_manual_user_management, allow_manual_group_management, updated_at
         FROM settings WHERE id = 1",
    )
    .fetch_one(db)
    .await?)
}

/// [`get`] for a write job: the row is read once and kept by the writer until a job writes it
/// (or fails, or another process commits). Every SCIM write needs the settings for the rules;
/// this saves a round trip per write.
pub async fn get_in_job(db: &mut sqlx::SqliteConnection) -> Result<SettingsRow, StoreError> {
    if let Some(Some(row)) = super::writer::with_memo(|memo| memo.settings.clone()) {
        return Ok(row);
    }
    let row = get(&mut *db).await?;
    super::writer::with_memo(|memo| memo.settings = Some(row.clone()));
    Ok(row)
}

pub async fn update<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    row: &SettingsRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE settings SET name = ?, require_2fa = ?, time_zone = ?, allow_manual_user_management = ?,
                             allow_manual_group_management = ?, updated_at = ?
         WHERE id = 1",
    )
    .bind(&row.name)
    .bind(row.require_2fa)
    .bind(&row.time_zone)
    .bind(row.allow_manual_user_management)
    .bind(row.allow_manual_group_management)
    .bind(row.updated_at)
    .execute(db)
    .await?;
    super::writer::with_memo(|memo| memo.settings = None);
    Ok(())
}
