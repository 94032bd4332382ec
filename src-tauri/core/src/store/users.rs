//! The `users` table: one row per user, with the SCIM resource as canonical JSON and the
//! attributes filters look up most as indexed columns.

use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Executor, FromRow, Sqlite};

use super::lower::{Bind, Lowered};
use super::{Millis, StoreError};

/// A stored user.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct UserRow {
    pub seq: i64,
    pub id: String,
    pub provider_id: Option<String>,
    pub resource: String,
    pub password_set: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub version: i64,
    /// `[[group id, group display name], …]`
    pub memberships: String,
}

/// Everything written for a user; the `*_key` values are case-folded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserWrite {
    pub id: String,
    pub provider_id: Option<String>,
    pub user_name: String,
    pub user_name_key: String,
    pub external_id: Option<String>,
    pub display_name_key: Option<String>,
    pub active: Option<bool>,
    pub password_set: bool,
    pub resource: String,
    pub folded: String,
}

/// The row and, as a JSON array of `[group id, group display name]`, its direct memberships:
/// one statement for what a rendered user needs.
const COLUMNS: &str =
    "r.seq, r.id, r.provider_id, r.resource, r.password_set, r.created_at, r.updated_at, r.version,
    (SELECT json_group_array(json_array(m.id, m.display_name)) FROM
       (SELECT g.id, g.display_name FROM group_members gm JOIN groups g ON g.seq = gm.group_seq
        WHERE gm.member_id = r.id ORDER BY g.display_name_key, g.id) m) AS memberships";

/// Inserts a user; returns its `seq`.
pub async fn insert<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    user: &UserWrite,
    now: Millis,
) -> Result<i64, StoreError> {
    let seq: i64 = sqlx::query_scalar(
        "INSERT INTO users (id, provider_id, user_name, user_name_key, external_id, display_name_key,
                            active, password_set, resource, folded, created_at, updated_at, version)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) RETURNING seq",
    )
    .bind(&user.id)
    .bind(&user.provider_id)
    .bind(&user.user_name)
    .bind(&user.user_name_key)
    .bind(&user.external_id)
    .bind(&user.display_name_key)
    .bind(user.active)
    .bind(user.password_set)
    .bind(&user.resource)
    .bind(&user.folded)
    .bind(now)
    .bind(now)
    .fetch_one(db)
    .await?;
    Ok(seq)
}

/// Rewrites a user's attributes, bumping its version.
pub async fn update<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    seq: i64,
    user: &UserWrite,
    now: Millis,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE users SET user_name = ?, user_name_key = ?, external_id = ?, display_name_key = ?,
                          active = ?, password_set = ?, resource = ?, folded = ?, updated_at = ?,
                          version = version + 1
         WHERE seq = ?",
    )
    .bind(&user.user_name)
    .bind(&user.user_name_key)
    .bind(&user.external_id)
    .bind(&user.display_name_key)
    .bind(user.active)
    .bind(user.password_set)
    .bind(&user.resource)
    .bind(&user.folded)
    .bind(now)
    .bind(seq)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn get<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    id: &str,
) -> Result<Option<UserRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM users r WHERE r.id = ?");
    Ok(sqlx::query_as(&sql).bind(id).fetch_optional(db).await?)
}

/// Who holds a user name (folded): the user's id and managing provider.
pub async fn holder_of_user_name<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    user_name_key: &str,
) -> Result<Option<(String, Option<String>)>, StoreError> {
    Ok(
        sqlx::query_as("SELECT id, provider_id FROM users WHERE user_name_key = ?")
            .bind(user_name_key)
            .fetch_optional(db)
            .await?,
    )
}

pub async fn delete<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    seq: i64,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM users WHERE seq = ?")
        .bind(seq)
        .execute(db)
        .await?;
    Ok(())
}

/// How many users of `provider_id` satisfy `filter`.
pub async fn count<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    provider_id: &str,
    filter: &Lowered,
) -> Result<u64, StoreError> {
    let sql = format!(
        "SELECT COUNT(*) FROM users r WHERE r.provider_id = ? AND {}",
        filter.sql
    );
    let query = bind_all(
        sqlx::query_as::<_, (i64,)>(&sql).bind(provider_id),
        &filter.binds,
    );
    let (n,) = query.fetch_one(db).await?;
    Ok(n.max(0) as u64)
}

/// Users of `provider_id` satisfying `filter`, ordered by `order` (an SQL expression on `r`,
/// from the fixed set in `site`), then by `seq`; `limit` `None` means all.
pub async fn page<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    provider_id: &str,
    filter: &Lowered,
    order: &str,
    limit: Option<u64>,
    offset: u64,
) -> Result<Vec<UserRow>, StoreError> {
    let limit = limit.map_or(-1, |l| l.min(i64::MAX as u64) as i64);
    let sql = format!(
        "SELECT {COLUMNS} FROM users r WHERE r.provider_id = ? AND {} ORDER BY {order}, r.seq LIMIT ? OFFSET ?",
        filter.sql
    );
    let query = bind_all(sqlx::query_as(&sql).bind(provider_id), &filter.binds);
    Ok(query
        .bind(limit)
        .bind(offset.min(i64::MAX as u64) as i64)
        .fetch_all(db)
        .await?)
}

pub(super) fn placeholders(n: usize) -> String {
    let mut out = String::with_capacity(n * 2);
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        out.push('?');
    }
    out
}

/// Binds the lowered filter's values, in order.
pub(super) fn bind_all<'q, O>(
    mut query: sqlx::query::QueryAs<'q, Sqlite, O, SqliteArguments<'q>>,
    binds: &'q [Bind],
) -> sqlx::query::QueryAs<'q, Sqlite, O, SqliteArguments<'q>>
where
    O: for<'r> FromRow<'r, SqliteRow>,
{
    for bind in binds {
        query = match bind {
            Bind::Text(s) => query.bind(s.as_str()),
            Bind::Int(i) => query.bind(*i),
            Bind::Real(f) => query.bind(*f),
        };
    }
    query
}

/// Every user, in creation order (for export).
pub async fn all<'e>(db: impl Executor<'e, Database = Sqlite>) -> Result<Vec<UserRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM users r ORDER BY r.seq");
    Ok(sqlx::query_as(&sql).fetch_all(db).await?)
}

/// The `seq` of every user of `provider_id`, ascending (the default list order).
pub async fn seqs<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    provider_id: &str,
) -> Result<Vec<i64>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT seq FROM users WHERE provider_id = ? ORDER BY seq")
            .bind(provider_id)
            .fetch_all(db)
            .await?,
    )
}

/// Up to `limit` users of `provider_id` in the default order, from `seq` on.
pub async fn page_from<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    provider_id: &str,
    seq: i64,
    limit: u64,
) -> Result<Vec<UserRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM users r WHERE r.provider_id = ? AND r.seq >= ? ORDER BY r.seq LIMIT ?"
    );
    Ok(sqlx::query_as(&sql)
        .bind(provider_id)
        .bind(seq)
        .bind(limit.min(i64::MAX as u64) as i64)
        .fetch_all(db)
        .await?)
}
