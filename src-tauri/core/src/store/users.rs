//! The `users` table: one row per user — the site account, and when `managed` the managing
//! provider's SCIM resource (canonical JSON, with the attributes filters look up most as indexed
//! columns).

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
    pub user_name: String,
    pub resource: String,
    pub password_set: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub version: i64,
    /// `[[group id, group display name], …]`: the groups the IdP lists the user in.
    pub memberships: String,
    #[sqlx(flatten)]
    pub account: AccountRow,
}

/// The site side of a user.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, Default)]
pub struct AccountRow {
    pub email: Option<String>,
    pub status: String,
    pub held_reason: Option<String>,
    pub disabled_reason: Option<String>,
    pub role: String,
    pub authentication_method: String,
    pub managed: bool,
    pub scim_deleted: bool,
    pub require_2fa: bool,
    pub dav_permission: bool,
    pub ftp_permission: bool,
    pub sftp_permission: bool,
    pub time_zone: Option<String>,
    pub company: Option<String>,
    pub last_login_at: Option<Millis>,
    /// JSON array of the group names the IdP sent on the user; `None` when it sends none.
    pub idp_groups: Option<String>,
    pub status_changed_at: Option<Millis>,
}

/// The SCIM side written for a user; the `*_key` values are case-folded.
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

/// What a SCIM read renders: the stored resource and the groups the IdP lists the user in,
/// without the site account (reads decode only these columns).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ScimUserRow {
    pub id: String,
    pub resource: String,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub version: i64,
    /// As [`UserRow::memberships`].
    pub memberships: String,
}

impl UserRow {
    /// The SCIM side of the row, for rendering.
    pub fn scim(&self) -> ScimUserRow {
        ScimUserRow {
            id: self.id.clone(),
            resource: self.resource.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
            memberships: self.memberships.clone(),
        }
    }
}

/// `[[group id, display name], …]` of the groups the IdP lists user `r` in.
macro_rules! memberships_sql {
    () => {
        "(SELECT json_group_array(json_array(m.id, m.display_name)) FROM
       (SELECT g.id, g.display_name FROM group_members gm JOIN groups g ON g.seq = gm.group_seq
        WHERE gm.member_id = r.id AND gm.scim = 1 ORDER BY g.display_name_key, g.id) m) AS memberships"
    };
}

/// The columns of [`ScimUserRow`].
const SCIM_COLUMNS: &str = concat!(
    "r.id, r.resource, r.created_at, r.updated_at, r.version, ",
    memberships_sql!()
);

/// The row, its account, and its IdP memberships: one statement for what a rendered user and
/// the rules need.
const COLUMNS: &str = concat!(
    "r.seq, r.id, r.provider_id, r.user_name, r.resource, r.password_set, r.created_at,
    r.updated_at, r.version, ",
    memberships_sql!(),
    ",
    r.email, r.status, r.held_reason, r.disabled_reason, r.role, r.authentication_method, r.managed,
    r.scim_deleted, r.require_2fa, r.dav_permission, r.ftp_permission, r.sftp_permission,
    r.time_zone, r.company, r.last_login_at, r.idp_groups, r.status_changed_at"
);

/// The users a provider's SCIM endpoint sees (`?` = the provider id).
const VISIBLE: &str = "r.provider_id = ? AND r.managed = 1 AND r.scim_deleted = 0";

/// Inserts a user; returns its `seq`.
pub async fn insert<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    user: &UserWrite,
    account: &AccountRow,
    now: Millis,
) -> Result<i64, StoreError> {
    let query = sqlx::query_scalar(
        "INSERT INTO users (id, provider_id, user_name, user_name_key, external_id, display_name_key,
             active, password_set, resource, folded, created_at, updated_at, version,
             email, status, held_reason, disabled_reason, role, authentication_method, managed,
             scim_deleted, require_2fa, dav_permission, ftp_permission, sftp_permission, time_zone,
             company, last_login_at, idp_groups, status_changed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         RETURNING seq",
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
    .bind(now);
    Ok(bind_account(query, account).fetch_one(db).await?)
}

fn bind_account<'q, O>(
    query: sqlx::query::QueryScalar<'q, Sqlite, O, SqliteArguments<'q>>,
    a: &'q AccountRow,
) -> sqlx::query::QueryScalar<'q, Sqlite, O, SqliteArguments<'q>> {
    query
        .bind(&a.email)
        .bind(&a.status)
        .bind(&a.held_reason)
        .bind(&a.disabled_reason)
        .bind(&a.role)
        .bind(&a.authentication_method)
        .bind(a.managed)
        .bind(a.scim_deleted)
        .bind(a.require_2fa)
        .bind(a.dav_permission)
        .bind(a.ftp_permission)
        .bind(a.sftp_permission)
        .bind(&a.time_zone)
        .bind(&a.company)
        .bind(a.last_login_at)
        .bind(&a.idp_groups)
        .bind(a.status_changed_at)
}

const SET_ACCOUNT: &str = "email = ?, status = ?, held_reason = ?, disabled_reason = ?, role = ?,
    authentication_method = ?, managed = ?, scim_deleted = ?, require_2fa = ?, dav_permission = ?,
    ftp_permission = ?, sftp_permission = ?, time_zone = ?, company = ?, last_login_at = ?,
    idp_groups = ?, status_changed_at = ?";

/// Rewrites a user's SCIM resource (bumping its version) and its account.
pub async fn update<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    seq: i64,
    user: &UserWrite,
    account: &AccountRow,
    now: Millis,
) -> Result<(), StoreError> {
    let sql = format!(
        "UPDATE users SET provider_id = ?, user_name = ?, user_name_key = ?, external_id = ?,
             display_name_key = ?, active = ?, password_set = ?, resource = ?, folded = ?,
             updated_at = ?, version = version + 1, {SET_ACCOUNT}
         WHERE seq = ? RETURNING seq"
    );
    let query = sqlx::query_scalar::<_, i64>(&sql)
        .bind(&user.provider_id)
        .bind(&user.user_name)
        .bind(&user.user_name_key)
        .bind(&user.external_id)
        .bind(&user.display_name_key)
        .bind(user.active)
        .bind(user.password_set)
        .bind(&user.resource)
        .bind(&user.folded)
        .bind(now);
    bind_account(query, account)
        .bind(seq)
        .fetch_optional(db)
        .await?;
    Ok(())
}

/// Rewrites a user's account only (the SCIM resource and its version are unchanged).
pub async fn update_account<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    seq: i64,
    provider_id: Option<&str>,
    account: &AccountRow,
) -> Result<(), StoreError> {
    let sql =
        format!("UPDATE users SET provider_id = ?, {SET_ACCOUNT} WHERE seq = ? RETURNING seq");
    let query = sqlx::query_scalar::<_, i64>(&sql).bind(provider_id);
    bind_account(query, account)
        .bind(seq)
        .fetch_optional(db)
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

/// The user holding a user name (folded), if any.
/// User `id` as provider `provider_id`'s SCIM endpoint sees it (`None` if it does not).
pub async fn scim_get<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    provider_id: &str,
    id: &str,
) -> Result<Option<ScimUserRow>, StoreError> {
    let sql = format!("SELECT {SCIM_COLUMNS} FROM users r WHERE r.id = ? AND {VISIBLE}");
    Ok(sqlx::query_as(&sql)
        .bind(id)
        .bind(provider_id)
        .fetch_optional(db)
        .await?)
}

pub async fn by_user_name<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    user_name_key: &str,
) -> Result<Option<UserRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM users r WHERE r.user_name_key = ?");
    Ok(sqlx::query_as(&sql)
        .bind(user_name_key)
        .fetch_optional(db)
        .await?)
}

/// The users with these ids (any provider), for re-evaluating them together.
pub async fn many(
    db: &mut sqlx::SqliteConnection,
    ids: &[&str],
) -> Result<Vec<UserRow>, StoreError> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT {COLUMNS} FROM users r WHERE r.id IN ({}) ORDER BY r.seq",
            placeholders(chunk.len())
        );
        let mut query = sqlx::query_as(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        found.extend(query.fetch_all(&mut *db).await?);
    }
    Ok(found)
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

/// Records a sign-in.
pub async fn touch_login<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    seq: i64,
    at: Millis,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE users SET last_login_at = ? WHERE seq = ?")
        .bind(at)
        .bind(seq)
        .execute(db)
        .await?;
    Ok(())
}

/// How many users `provider_id` sees that satisfy `filter`.
pub async fn count<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    provider_id: &str,
    filter: &Lowered,
) -> Result<u64, StoreError> {
    let sql = format!(
        "SELECT COUNT(*) FROM users r WHERE {VISIBLE} AND {}",
        filter.sql
    );
    let query = bind_all(
        sqlx::query_as::<_, (i64,)>(&sql).bind(provider_id),
        &filter.binds,
    );
    let (n,) = query.fetch_one(db).await?;
    Ok(n.max(0) as u64)
}

/// Users `provider_id` sees satisfying `filter`, ordered by `order` (an SQL expression on `r`,
/// from the fixed set in `lower`), then by `seq`; `limit` `None` means all.
pub async fn page<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    provider_id: &str,
    filter: &Lowered,
    order: &str,
    limit: Option<u64>,
    offset: u64,
) -> Result<Vec<ScimUserRow>, StoreError> {
    let limit = limit.map_or(-1, |l| l.min(i64::MAX as u64) as i64);
    let sql = format!(
        "SELECT {SCIM_COLUMNS} FROM users r WHERE {VISIBLE} AND {} ORDER BY {order}, r.seq LIMIT ? OFFSET ?",
        filter.sql
    );
    let query = bind_all(sqlx::query_as(&sql).bind(provider_id), &filter.binds);
    Ok(query
        .bind(limit)
        .bind(offset.min(i64::MAX as u64) as i64)
        .fetch_all(db)
        .await?)
}

/// The `seq` of every user `provider_id` sees, ascending (the default list order).
pub async fn seqs<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    provider_id: &str,
) -> Result<Vec<i64>, StoreError> {
    let sql = format!("SELECT r.seq FROM users r WHERE {VISIBLE} ORDER BY r.seq");
    Ok(sqlx::query_scalar(&sql)
        .bind(provider_id)
        .fetch_all(db)
        .await?)
}

/// Up to `limit` users `provider_id` sees, in the default order, from `seq` on.
pub async fn page_from<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    provider_id: &str,
    seq: i64,
    limit: u64,
) -> Result<Vec<ScimUserRow>, StoreError> {
    let sql = format!(
        "SELECT {SCIM_COLUMNS} FROM users r WHERE {VISIBLE} AND r.seq >= ? ORDER BY r.seq LIMIT ?"
    );
    Ok(sqlx::query_as(&sql)
        .bind(provider_id)
        .bind(seq)
        .bind(limit.min(i64::MAX as u64) as i64)
        .fetch_all(db)
        .await?)
}

/// Every user, in creation order (for export).
pub async fn all<'e>(db: impl Executor<'e, Database = Sqlite>) -> Result<Vec<UserRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM users r ORDER BY r.seq");
    Ok(sqlx::query_as(&sql).fetch_all(db).await?)
}

/// What the admin list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminFilter {
    /// Part of the user name or email, without regard to ASCII case.
    pub search: Option<String>,
    pub status: Option<String>,
    /// A provider id, or `local` for users no provider manages.
    pub provider: Option<String>,
    pub role: Option<String>,
    pub offset: u64,
    pub limit: u64,
}

/// Users for the admin list, with the total matching.
pub async fn admin_list<'e, E>(
    db: E,
    filter: &AdminFilter,
) -> Result<(Vec<UserRow>, u64), StoreError>
where
    E: Executor<'e, Database = Sqlite> + Copy,
{
    let mut conditions = String::from("1");
    let mut binds: Vec<String> = Vec::new();
    if let Some(search) = filter.search.as_ref().filter(|s| !s.trim().is_empty()) {
        conditions.push_str(" AND (instr(lower(r.user_name), lower(?)) > 0 OR instr(lower(IFNULL(r.email, '')), lower(?)) > 0)");
        binds.push(search.trim().to_owned());
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
    if let Some(role) = &filter.role {
        conditions.push_str(" AND r.role = ?");
        binds.push(role.clone());
    }
    let count_sql = format!("SELECT COUNT(*) FROM users r WHERE {conditions}");
    let mut count = sqlx::query_as::<_, (i64,)>(&count_sql);
    for b in &binds {
        count = count.bind(b);
    }
    let (total,) = count.fetch_one(db).await?;
    let sql = format!(
        "SELECT {COLUMNS} FROM users r WHERE {conditions} ORDER BY r.user_name_key LIMIT ? OFFSET ?"
    );
    let mut query = sqlx::query_as::<_, UserRow>(&sql);
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

/// Users a lifecycle rule may act on: `status` as given, its authentication method (`all`
/// for any), and idle since before `before`: for active users the latest of creation, last
/// sign-in and (re-)activation; for disabled users the time they were disabled.
pub async fn idle<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    status: &str,
    authentication_method: &str,
    before: Millis,
) -> Result<Vec<UserRow>, StoreError> {
    let since = if status == "disabled" {
        "COALESCE(r.status_changed_at, r.created_at)"
    } else {
        "MAX(r.created_at, COALESCE(r.last_login_at, 0), COALESCE(r.status_changed_at, 0))"
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM users r WHERE r.status = ? AND (? = 'all' OR r.authentication_method = ?)
         AND {since} < ? ORDER BY r.seq"
    );
    Ok(sqlx::query_as(&sql)
        .bind(status)
        .bind(authentication_method)
        .bind(authentication_method)
        .bind(before)
        .fetch_all(db)
        .await?)
}

pub(super) fn placeholders(n: usize) -> String {
    vec!["?"; n].join(",")
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
