//! The `groups` and `group_members` tables. Members are rows, so changing one membership of a
//! 50,000-member group touches one row, and `members[value eq "…"]` is a primary-key lookup.

use sqlx::{Executor, FromRow, Sqlite};

use super::lower::Lowered;
use super::users::{bind_all, placeholders};
use super::{Millis, StoreError};

/// A stored group, without its members.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct GroupRow {
    pub seq: i64,
    pub id: String,
    pub provider_id: Option<String>,
    pub resource: String,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub version: i64,
}

/// Everything written for a group; `display_name_key` is case-folded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupWrite {
    pub id: String,
    pub provider_id: Option<String>,
    pub display_name: String,
    pub display_name_key: String,
    pub external_id: Option<String>,
    pub resource: String,
    pub folded: String,
}

/// One membership as rendered: the member's id, type, and the display name the IdP sent.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct MemberRow {
    pub member_id: String,
    pub member_type: String,
    pub display: Option<String>,
}

/// A membership to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMember {
    pub member_id: String,
    pub member_type: String,
    pub display: Option<String>,
}

const COLUMNS: &str =
    "r.seq, r.id, r.provider_id, r.resource, r.created_at, r.updated_at, r.version";

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    group: &GroupWrite,
    now: Millis,
) -> Result<i64, StoreError> {
    let seq: i64 = sqlx::query_scalar(
        "INSERT INTO groups (id, provider_id, display_name, display_name_key, external_id, resource,
                             folded, created_at, updated_at, version)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1) RETURNING seq",
    )
    .bind(&group.id)
    .bind(&group.provider_id)
    .bind(&group.display_name)
    .bind(&group.display_name_key)
    .bind(&group.external_id)
    .bind(&group.resource)
    .bind(&group.folded)
    .bind(now)
    .bind(now)
    .fetch_one(db)
    .await?;
    Ok(seq)
}

/// Rewrites a group's attributes (not its members), bumping its version.
pub async fn update<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    seq: i64,
    group: &GroupWrite,
    now: Millis,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE groups SET display_name = ?, display_name_key = ?, external_id = ?, resource = ?,
                           folded = ?, updated_at = ?, version = version + 1
         WHERE seq = ?",
    )
    .bind(&group.display_name)
    .bind(&group.display_name_key)
    .bind(&group.external_id)
    .bind(&group.resource)
    .bind(&group.folded)
    .bind(now)
    .bind(seq)
    .execute(db)
    .await?;
    Ok(())
}

/// Marks a group changed (its members changed) without rewriting it.
pub async fn touch<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    seq: i64,
    now: Millis,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE groups SET updated_at = ?, version = version + 1 WHERE seq = ?")
        .bind(now)
        .bind(seq)
        .execute(db)
        .await?;
    Ok(())
}

/// Marks every group that has `member_id` as a member changed (before the member goes).
pub async fn touch_containing<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    member_id: &str,
    now: Millis,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE groups SET updated_at = ?, version = version + 1
         WHERE seq IN (SELECT group_seq FROM group_members WHERE member_id = ?)",
    )
    .bind(now)
    .bind(member_id)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn get<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    id: &str,
) -> Result<Option<GroupRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM groups r WHERE r.id = ?");
    Ok(sqlx::query_as(&sql).bind(id).fetch_optional(db).await?)
}

/// Who holds a group name (folded): the group's id and managing provider.
pub async fn holder_of_name<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    display_name_key: &str,
) -> Result<Option<(String, Option<String>)>, StoreError> {
    Ok(
        sqlx::query_as("SELECT id, provider_id FROM groups WHERE display_name_key = ?")
            .bind(display_name_key)
            .fetch_optional(db)
            .await?,
    )
}

pub async fn delete<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    seq: i64,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM groups WHERE seq = ?")
        .bind(seq)
        .execute(db)
        .await?;
    Ok(())
}

/// The members of group `seq`, in a stable order.
pub async fn members<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    seq: i64,
) -> Result<Vec<MemberRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT member_id, member_type, display FROM group_members
         WHERE group_seq = ? ORDER BY member_id",
    )
    .bind(seq)
    .fetch_all(db)
    .await?)
}

/// Adds memberships that are not there yet; returns how many were new.
pub async fn add_members(
    db: &mut sqlx::SqliteConnection,
    seq: i64,
    members: &[NewMember],
    now: Millis,
) -> Result<u64, StoreError> {
    let mut added = 0;
    for chunk in members.chunks(200) {
        let sql = format!(
            "INSERT OR IGNORE INTO group_members (group_seq, member_id, member_type, display, added_at) VALUES {}",
            vec!["(?, ?, ?, ?, ?)"; chunk.len()].join(", ")
        );
        let mut query = sqlx::query(&sql);
        for member in chunk {
            query = query
                .bind(seq)
                .bind(&member.member_id)
                .bind(&member.member_type)
                .bind(&member.display)
                .bind(now);
        }
        added += query.execute(&mut *db).await?.rows_affected();
    }
    Ok(added)
}

/// Removes the listed memberships; returns how many there were.
pub async fn remove_members(
    db: &mut sqlx::SqliteConnection,
    seq: i64,
    member_ids: &[&str],
) -> Result<u64, StoreError> {
    let mut removed = 0;
    for chunk in member_ids.chunks(500) {
        let sql = format!(
            "DELETE FROM group_members WHERE group_seq = ? AND member_id IN ({})",
            placeholders(chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(seq);
        for id in chunk {
            query = query.bind(*id);
        }
        removed += query.execute(&mut *db).await?.rows_affected();
    }
    Ok(removed)
}

/// Removes every membership of group `seq`; returns how many there were.
pub async fn clear_members<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    seq: i64,
) -> Result<u64, StoreError> {
    Ok(sqlx::query("DELETE FROM group_members WHERE group_seq = ?")
        .bind(seq)
        .execute(db)
        .await?
        .rows_affected())
}

/// Which of `ids` are users or groups managed by `provider_id`, with their resource type.
pub async fn resolve_members(
    db: &mut sqlx::SqliteConnection,
    provider_id: &str,
    ids: &[&str],
) -> Result<Vec<(String, String)>, StoreError> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(400) {
        let list = placeholders(chunk.len());
        let sql = format!(
            "SELECT id, 'User' FROM users WHERE provider_id = ? AND id IN ({list})
             UNION ALL
             SELECT id, 'Group' FROM groups WHERE provider_id = ? AND id IN ({list})"
        );
        let mut query = sqlx::query_as::<_, (String, String)>(&sql).bind(provider_id);
        for id in chunk {
            query = query.bind(*id);
        }
        query = query.bind(provider_id);
        for id in chunk {
            query = query.bind(*id);
        }
        found.extend(query.fetch_all(&mut *db).await?);
    }
    Ok(found)
}

/// How many groups of `provider_id` satisfy `filter`.
pub async fn count<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    provider_id: &str,
    filter: &Lowered,
) -> Result<u64, StoreError> {
    let sql = format!(
        "SELECT COUNT(*) FROM groups r WHERE r.provider_id = ? AND {}",
        filter.sql
    );
    let (n,) = bind_all(
        sqlx::query_as::<_, (i64,)>(&sql).bind(provider_id),
        &filter.binds,
    )
    .fetch_one(db)
    .await?;
    Ok(n.max(0) as u64)
}

/// Groups of `provider_id` satisfying `filter`, ordered by `order` then `seq`.
pub async fn page<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    provider_id: &str,
    filter: &Lowered,
    order: &str,
    limit: Option<u64>,
    offset: u64,
) -> Result<Vec<GroupRow>, StoreError> {
    let limit = limit.map_or(-1, |l| l.min(i64::MAX as u64) as i64);
    let sql = format!(
        "SELECT {COLUMNS} FROM groups r WHERE r.provider_id = ? AND {} ORDER BY {order}, r.seq LIMIT ? OFFSET ?",
        filter.sql
    );
    let query = bind_all(sqlx::query_as(&sql).bind(provider_id), &filter.binds);
    Ok(query
        .bind(limit)
        .bind(offset.min(i64::MAX as u64) as i64)
        .fetch_all(db)
        .await?)
}

/// Every group, in creation order (for export).
pub async fn all<'e>(
    db: impl Executor<'e, Database = Sqlite>,
) -> Result<Vec<GroupRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM groups r ORDER BY r.seq");
    Ok(sqlx::query_as(&sql).fetch_all(db).await?)
}

/// Adds the listed members that are users or groups of `provider_id` and not members yet, in
/// one statement per 400; returns the ids added. Ids it did not add are either members already
/// or not the provider's (the caller tells which with [`resolve_members`] when it matters).
pub async fn add_known_members(
    db: &mut sqlx::SqliteConnection,
    seq: i64,
    provider_id: &str,
    members: &[(String, Option<String>)],
    now: Millis,
) -> Result<Vec<String>, StoreError> {
    let mut added = Vec::new();
    for chunk in members.chunks(400) {
        let sql = format!(
            "WITH wanted(member_id, display) AS (VALUES {})
             INSERT OR IGNORE INTO group_members (group_seq, member_id, member_type, display, added_at)
             SELECT ?, w.member_id, CASE WHEN u.id IS NOT NULL THEN 'User' ELSE 'Group' END, w.display, ?
             FROM wanted w
             LEFT JOIN users u ON u.id = w.member_id AND u.provider_id = ?
             LEFT JOIN groups g ON g.id = w.member_id AND g.provider_id = ?
             WHERE u.id IS NOT NULL OR g.id IS NOT NULL
             RETURNING member_id",
            vec!["(?, ?)"; chunk.len()].join(", ")
        );
        let mut query = sqlx::query_scalar::<_, String>(&sql);
        for (id, display) in chunk {
            query = query.bind(id).bind(display);
        }
        query = query
            .bind(seq)
            .bind(now)
            .bind(provider_id)
            .bind(provider_id);
        added.extend(query.fetch_all(&mut *db).await?);
    }
    Ok(added)
}
