//! The `credentials` table: SCIM bearer tokens and Basic username/passwords, hashed.

use sqlx::{Executor, FromRow, Sqlite};

use super::{Millis, StoreError};

/// A stored credential. `secret_hash` is the SHA-256 of the secret.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct CredentialRow {
    pub id: String,
    pub provider_id: String,
    pub kind: String,
    pub username: Option<String>,
    pub secret_hash: Vec<u8>,
    pub created_at: Millis,
    pub expires_at: Option<Millis>,
    pub revoked_at: Option<Millis>,
    pub last_used_at: Option<Millis>,
}

const COLUMNS: &str = "id, provider_id, kind, username, secret_hash, created_at, expires_at, revoked_at, last_used_at";

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    row: &CredentialRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO credentials
           (id, provider_id, kind, username, secret_hash, created_at, expires_at, revoked_at, last_used_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&row.id)
    .bind(&row.provider_id)
    .bind(&row.kind)
    .bind(&row.username)
    .bind(&row.secret_hash)
    .bind(row.created_at)
    .bind(row.expires_at)
    .bind(row.revoked_at)
    .bind(row.last_used_at)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn get<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    id: &str,
) -> Result<Option<CredentialRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM credentials WHERE id = ?");
    Ok(sqlx::query_as(&sql).bind(id).fetch_optional(db).await?)
}

pub async fn get_by_username<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    username: &str,
) -> Result<Option<CredentialRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM credentials WHERE username = ?");
    Ok(sqlx::query_as(&sql)
        .bind(username)
        .fetch_optional(db)
        .await?)
}

pub async fn list_for_provider<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    provider_id: &str,
) -> Result<Vec<CredentialRow>, StoreError> {
    let sql =
        format!("SELECT {COLUMNS} FROM credentials WHERE provider_id = ? ORDER BY created_at, id");
    Ok(sqlx::query_as(&sql).bind(provider_id).fetch_all(db).await?)
}

/// Marks a credential revoked (once); returns whether it existed and was not yet revoked.
pub async fn revoke<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    id: &str,
    at: Millis,
) -> Result<bool, StoreError> {
    let done =
        sqlx::query("UPDATE credentials SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
            .bind(at)
            .bind(id)
            .execute(db)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes every live credential of `kind` of a provider (a Basic password reset replaces it).
pub async fn revoke_all<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    provider_id: &str,
    kind: &str,
    at: Millis,
) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE credentials SET revoked_at = ? WHERE provider_id = ? AND kind = ? AND revoked_at IS NULL",
    )
    .bind(at)
    .bind(provider_id)
    .bind(kind)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

pub async fn set_expiry<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    id: &str,
    expires_at: Option<Millis>,
) -> Result<bool, StoreError> {
    let done = sqlx::query("UPDATE credentials SET expires_at = ? WHERE id = ?")
        .bind(expires_at)
        .bind(id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn touch<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    id: &str,
    at: Millis,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE credentials SET last_used_at = ? WHERE id = ?")
        .bind(at)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}
