//! The `groups` and `group_members` tables. A group row is a site group and, when `managed`,
//! its provider's SCIM group. Members are rows that carry both views: `scim` (the IdP lists the
//! member) and `site` (it is a member on the site), plus `admin`. Changing one membership of a
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
    pub display_name: String,
    pub resource: String,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub version: i64,
    pub status: String,
    pub held_reason: Option<String>,
    pub managed: bool,
}

/// Everything written for a group's SCIM side; `display_name_key` is case-folded.
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

/// One member as the IdP lists it: id, type, and the display name the IdP sent.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct MemberRow {
    pub member_id: String,
    pub member_type: String,
    pub display: Option<String>,
}

/// A membership as the site shows it.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct SiteMemberRow {
    pub group_seq: i64,
    pub member_id: String,
    pub member_type: String,
    pub scim: bool,
    pub site: bool,
    pub admin: bool,
}

/// A membership to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMember {
    pub member_id: String,
    pub member_type: String,
    pub display: Option<String>,
}

const COLUMNS: &str = "r.seq, r.id, r.provider_id, r.display_name, r.resource, r.created_at, r.updated_at, r.version, r.status, r.held_reason, r.managed";

/// The groups a provider's SCIM endpoint sees.
const VISIBLE: &str = "r.provider_id = ? AND r.managed = 1";

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    group: &GroupWrite,
    status: &str,
    held_reason: Option<&str>,
    managed: bool,
    now: Millis,
) -> Result<i64, StoreError> {
    let seq: i64 = sqlx::query_scalar(
        "INSERT INTO groups (id, provider_id, display_name, display_name_key, external_id, resource,
                             folded, created_at, updated_at, version, status, held_reason, managed)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?) RETURNING seq",
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
    .bind(status)
    .bind(held_reason)
    .bind(managed)
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

/// Sets a group's site status (`active` or `held` with a reason).
pub async fn set_status<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    seq: i64,
    status: &str,
    held_reason: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE groups SET status = ?, held_reason = ? WHERE seq = ?")
        .bind(status)
        .bind(held_reason)
        .bind(seq)
        .execute(db)
        .await?;
    Ok(())
}

/// Detaches a group from its provider: it stays as a local group.
pub async fn end_management<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    seq: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE groups SET managed = 0, provider_id = NULL WHERE seq = ?")
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

/// Marks every group that lists `member_id` (IdP side) changed, before the member goes.
pub async fn touch_containing<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    member_id: &str,
    now: Millis,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE groups SET updated_at = ?, version = version + 1
         WHERE seq IN (SELECT group_seq FROM group_members WHERE member_id = ? AND scim = 1)",
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

pub async fn get_by_seq<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    seq: i64,
) -> Result<Option<GroupRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM groups r WHERE r.seq = ?");
    Ok(sqlx::query_as(&sql).bind(seq).fetch_optional(db).await?)
}

/// The group with this name (folded), if any.
pub async fn by_name<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    display_name_key: &str,
) -> Result<Option<GroupRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM groups r WHERE r.display_name_key = ?");
    Ok(sqlx::query_as(&sql)
        .bind(display_name_key)
        .fetch_optional(db)
        .await?)
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

/// The members the IdP lists for group `seq`, in a stable order.
pub async fn members<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    seq: i64,
) -> Result<Vec<MemberRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT member_id, member_type, display FROM group_members
         WHERE group_seq = ? AND scim = 1 ORDER BY member_id",
    )
    .bind(seq)
    .fetch_all(db)
    .await?)
}

/// Every membership row of group `seq` (both views).
pub async fn site_members<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    seq: i64,
) -> Result<Vec<SiteMemberRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT group_seq, member_id, member_type, scim, site, admin FROM group_members
         WHERE group_seq = ? ORDER BY member_id",
    )
    .bind(seq)
    .fetch_all(db)
    .await?)
}

/// Every membership row of member `member_id` (both views).
pub async fn memberships_of<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    member_id: &str,
) -> Result<Vec<SiteMemberRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT group_seq, member_id, member_type, scim, site, admin FROM group_members
         WHERE member_id = ? ORDER BY group_seq",
    )
    .bind(member_id)
    .fetch_all(db)
    .await?)
}

/// A membership of one member, with its group's name and status.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct MembershipRow {
    pub group_id: String,
    pub group_name: String,
    pub group_status: String,
    pub scim: bool,
    pub site: bool,
    pub admin: bool,
}

/// Every membership row of `member_id`, by group name.
pub async fn memberships_named<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    member_id: &str,
) -> Result<Vec<MembershipRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT g.id AS group_id, g.display_name AS group_name, g.status AS group_status,
                gm.scim, gm.site, gm.admin
         FROM group_members gm JOIN groups g ON g.seq = gm.group_seq
         WHERE gm.member_id = ? ORDER BY g.display_name_key",
    )
    .bind(member_id)
    .fetch_all(db)
    .await?)
}

/// A member of a group with its name (`userName`, or the group's `displayName`).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct NamedMemberRow {
    pub member_id: String,
    pub member_type: String,
    pub name: String,
    pub scim: bool,
    pub site: bool,
    pub admin: bool,
}

/// Every membership row of group `seq` (both views), with member names, by name.
pub async fn members_named<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    seq: i64,
) -> Result<Vec<NamedMemberRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT gm.member_id, gm.member_type,
                COALESCE(u.user_name, g.display_name, gm.display, gm.member_id) AS name,
                gm.scim, gm.site, gm.admin
         FROM group_members gm
         LEFT JOIN users u ON gm.member_type = 'User' AND u.id = gm.member_id
         LEFT JOIN groups g ON gm.member_type = 'Group' AND g.id = gm.member_id
         WHERE gm.group_seq = ? ORDER BY lower(name)",
    )
    .bind(seq)
    .fetch_all(db)
    .await?)
}

/// The IdP lists `members` in group `seq`: rows that were not listed become listed, with
/// `site` set for those in `on_site`. Returns the ids newly listed by the IdP.
pub async fn add_listed(
    db: &mut sqlx::SqliteConnection,
    seq: i64,
    members: &[NewMember],
    on_site: &(dyn Fn(&str) -> bool + Sync),
    now: Millis,
) -> Result<Vec<String>, StoreError> {
    let mut added = Vec::new();
    for chunk in members.chunks(150) {
        let sql = format!(
            "INSERT INTO group_members (group_seq, member_id, member_type, display, added_at, scim, site, admin)
             VALUES {}
             ON CONFLICT (group_seq, member_id) DO UPDATE SET scim = 1, display = excluded.display,
                 site = MAX(group_members.site, excluded.site)
             WHERE group_members.scim = 0
             RETURNING member_id",
            vec!["(?, ?, ?, ?, ?, 1, ?, 0)"; chunk.len()].join(", ")
        );
        let mut query = sqlx::query_scalar::<_, String>(&sql);
        for m in chunk {
            query = query
                .bind(seq)
                .bind(&m.member_id)
                .bind(&m.member_type)
                .bind(&m.display)
                .bind(now)
                .bind(on_site(&m.member_id));
        }
        added.extend(query.fetch_all(&mut *db).await?);
    }
    Ok(added)
}

/// The IdP no longer lists `member_ids` in group `seq`. With `keep_on_site` their site
/// memberships stay (`deprovision_groups` off); otherwise they go. Returns the ids that were
/// listed.
pub async fn remove_listed(
    db: &mut sqlx::SqliteConnection,
    seq: i64,
    member_ids: &[&str],
    keep_on_site: bool,
) -> Result<Vec<String>, StoreError> {
    let mut removed = Vec::new();
    for chunk in member_ids.chunks(500) {
        let list = placeholders(chunk.len());
        let site = if keep_on_site { "site" } else { "0" };
        let sql = format!(
            "UPDATE group_members SET scim = 0, site = {site}, admin = CASE WHEN {site} = 0 THEN 0 ELSE admin END
             WHERE group_seq = ? AND scim = 1 AND member_id IN ({list}) RETURNING member_id"
        );
        let mut query = sqlx::query_scalar::<_, String>(&sql).bind(seq);
        for id in chunk {
            query = query.bind(*id);
        }
        removed.extend(query.fetch_all(&mut *db).await?);
    }
    prune(&mut *db, seq).await?;
    Ok(removed)
}

/// Every member the IdP lists for group `seq` (for `remove members` and full replaces).
pub async fn listed_ids<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    seq: i64,
) -> Result<Vec<String>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT member_id FROM group_members WHERE group_seq = ? AND scim = 1")
            .bind(seq)
            .fetch_all(db)
            .await?,
    )
}

/// Sets the site side of one membership (creating the row as site-only if needed).
pub async fn set_site(
    db: &mut sqlx::SqliteConnection,
    seq: i64,
    member_id: &str,
    member_type: &str,
    site: bool,
    now: Millis,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO group_members (group_seq, member_id, member_type, added_at, scim, site, admin)
         VALUES (?, ?, ?, ?, 0, ?, 0)
         ON CONFLICT (group_seq, member_id) DO UPDATE SET site = excluded.site,
             admin = CASE WHEN excluded.site = 0 THEN 0 ELSE group_members.admin END",
    )
    .bind(seq)
    .bind(member_id)
    .bind(member_type)
    .bind(now)
    .bind(site)
    .execute(&mut *db)
    .await?;
    if site {
        Ok(())
    } else {
        // A membership on neither side is no membership: nothing should list it.
        prune(db, seq).await
    }
}

/// Takes every member of group `seq` off the site (it is held): the IdP's list stays.
pub async fn clear_site(db: &mut sqlx::SqliteConnection, seq: i64) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE group_members SET site = 0, admin = 0 WHERE group_seq = ? AND site = 1",
    )
    .bind(seq)
    .execute(&mut *db)
    .await?;
    prune(db, seq).await?;
    Ok(done.rows_affected())
}

/// The IdP no longer manages group `seq`: its list is dropped, site memberships stay.
pub async fn unlist_all(db: &mut sqlx::SqliteConnection, seq: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE group_members SET scim = 0 WHERE group_seq = ?")
        .bind(seq)
        .execute(&mut *db)
        .await?;
    prune(db, seq).await
}

/// Updates the display names the IdP sent for members it already lists.
pub async fn set_displays(
    db: &mut sqlx::SqliteConnection,
    seq: i64,
    displays: &[(&str, Option<&str>)],
) -> Result<(), StoreError> {
    for (id, display) in displays {
        sqlx::query("UPDATE group_members SET display = ? WHERE group_seq = ? AND member_id = ?")
            .bind(*display)
            .bind(seq)
            .bind(*id)
            .execute(&mut *db)
            .await?;
    }
    Ok(())
}

/// Sets whether a site member administers the group.
pub async fn set_admin<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    seq: i64,
    member_id: &str,
    admin: bool,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE group_members SET admin = ? WHERE group_seq = ? AND member_id = ? AND site = 1",
    )
    .bind(admin)
    .bind(seq)
    .bind(member_id)
    .execute(db)
    .await?;
    Ok(())
}

/// Drops the IdP side of every membership of `member_id` (the IdP deleted it); site
/// memberships stay.
pub async fn unlist_member(
    db: &mut sqlx::SqliteConnection,
    member_id: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE group_members SET scim = 0 WHERE member_id = ?")
        .bind(member_id)
        .execute(&mut *db)
        .await?;
    sqlx::query("DELETE FROM group_members WHERE member_id = ? AND scim = 0 AND site = 0")
        .bind(member_id)
        .execute(&mut *db)
        .await
        .map(|_| ())
        .map_err(StoreError::from)
}

/// Removes rows neither side needs any more.
async fn prune(db: &mut sqlx::SqliteConnection, seq: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM group_members WHERE group_seq = ? AND scim = 0 AND site = 0")
        .bind(seq)
        .execute(db)
        .await?;
    Ok(())
}

/// A member the IdP named, as found: its id, `User` or `Group`, its name (`userName` or
/// `displayName`) and its site status.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Resolved {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub status: String,
    /// Whether the IdP already lists it in the group asked about.
    pub listed: bool,
}

/// Which of `ids` are users or groups `provider_id` manages (and sees), and whether group
/// `group_seq` lists them.
pub async fn resolve_members(
    db: &mut sqlx::SqliteConnection,
    provider_id: &str,
    group_seq: i64,
    ids: &[&str],
) -> Result<Vec<Resolved>, StoreError> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(400) {
        let list = placeholders(chunk.len());
        let sql = format!(
            "SELECT id, kind, name, status,
                    EXISTS (SELECT 1 FROM group_members gm
                            WHERE gm.group_seq = ? AND gm.member_id = found.id AND gm.scim = 1) AS listed
             FROM (SELECT id, 'User' AS kind, user_name AS name, status FROM users
                     WHERE provider_id = ? AND managed = 1 AND scim_deleted = 0 AND id IN ({list})
                   UNION ALL
                   SELECT id, 'Group', display_name, status FROM groups
                     WHERE provider_id = ? AND managed = 1 AND id IN ({list})) found"
        );
        let mut query = sqlx::query_as::<_, Resolved>(&sql)
            .bind(group_seq)
            .bind(provider_id);
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

/// How many groups `provider_id` sees that satisfy `filter`.
pub async fn count<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    provider_id: &str,
    filter: &Lowered,
) -> Result<u64, StoreError> {
    let sql = format!(
        "SELECT COUNT(*) FROM groups r WHERE {VISIBLE} AND {}",
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

/// Groups `provider_id` sees satisfying `filter`, ordered by `order` then `seq`.
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
        "SELECT {COLUMNS} FROM groups r WHERE {VISIBLE} AND {} ORDER BY {order}, r.seq LIMIT ? OFFSET ?",
        filter.sql
    );
    let query = bind_all(sqlx::query_as(&sql).bind(provider_id), &filter.binds);
    Ok(query
        .bind(limit)
        .bind(offset.min(i64::MAX as u64) as i64)
        .fetch_all(db)
        .await?)
}

/// Every group, in creation order (for export and the admin list).
pub async fn all<'e>(
    db: impl Executor<'e, Database = Sqlite>,
) -> Result<Vec<GroupRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM groups r ORDER BY r.display_name_key");
    Ok(sqlx::query_as(&sql).fetch_all(db).await?)
}

/// What the admin group list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminFilter {
    /// Part of the name, without regard to ASCII case.
    pub search: Option<String>,
    pub status: Option<String>,
    /// A provider id, or `local` for groups no provider manages.
    pub provider: Option<String>,
    pub offset: u64,
    pub limit: u64,
}

/// A group with the number of its site members.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct CountedRow {
    #[sqlx(flatten)]
    pub group: GroupRow,
    pub site_members: i64,
}

/// Groups for the admin list, with the total matching.
pub async fn admin_list(
    db: &sqlx::SqlitePool,
    filter: &AdminFilter,
) -> Result<(Vec<CountedRow>, u64), StoreError> {
    let mut conditions = String::from("1");
    let mut binds: Vec<String> = Vec::new();
    if let Some(search) = filter.search.as_ref().filter(|s| !s.trim().is_empty()) {
        conditions.push_str(" AND instr(lower(r.display_name), lower(?)) > 0");
        binds.push(search.trim().to_owned());
    }
    if let Some(status) = &filter.status {
        conditions.push_str(" AND r.status = ?");
        binds.push(status.clone());
    }
    match filter.provider.as_deref() {
        Some("local") => conditions.push_str(" AND (r.managed = 0 OR r.provider_id IS NULL)"),
        Some(provider) => {
            conditions.push_str(" AND r.provider_id = ? AND r.managed = 1");
            binds.push(provider.to_owned());
        }
        None => {}
    }
    let count_sql = format!("SELECT COUNT(*) FROM groups r WHERE {conditions}");
    let mut count = sqlx::query_as::<_, (i64,)>(&count_sql);
    for b in &binds {
        count = count.bind(b);
    }
    let (total,) = count.fetch_one(db).await?;
    let sql = format!(
        "SELECT {COLUMNS},
                (SELECT COUNT(*) FROM group_members gm WHERE gm.group_seq = r.seq AND gm.site = 1) AS site_members
         FROM groups r WHERE {conditions} ORDER BY r.display_name_key LIMIT ? OFFSET ?"
    );
    let mut query = sqlx::query_as::<_, CountedRow>(&sql);
    for b in &binds {
        query = query.bind(b);
    }
    let rows = query
        .bind(filter.limit.min(i64::MAX as u64) as i64)
        .bind(filter.offset.min(i64::MAX as u64) as i64)
        .fetch_all(db)
        .await?;
    Ok((rows, total.max(0) as u64))
}
