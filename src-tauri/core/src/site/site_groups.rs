//! Groups as an administrator sees and changes them (the admin API): the list, a group's detail
//! (members from both sides, admins, SCIM view, history), and the manual changes — create a
//! local group, rename, delete, add or remove a site member, grant or revoke group admin. Every
//! manual change is refused with the reason while manual group management is off.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use workbench_scim::schema::{GROUP, GROUP_URN};
use workbench_scim::{Resource, Tolerances, resource};

use super::history::{self, HistoryEntry};
use super::provision::{Change, Interface, Target};
use super::render::{self, rfc3339};
use super::settings::{Manual, require_manual};
use super::{Site, SiteError};
use crate::rules::Status;
use crate::secrets;
use crate::store::groups::{self as rows, AdminFilter, GroupRow, GroupWrite};
use crate::store::users as user_rows;
use crate::store::{StoreError, Unique};

/// A group as the admin API lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct GroupView {
    pub id: String,
    pub name: String,
    /// `active` (a site group) or `held` (the IdP's record, kept out by the group filters).
    pub status: Status,
    pub held_reason: Option<String>,
    pub provider_id: Option<String>,
    pub managed: bool,
    /// How many members it has on the site.
    pub site_members: u32,
    pub created_at: String,
    pub updated_at: String,
}

impl GroupView {
    fn of(row: &GroupRow, site_members: i64) -> GroupView {
        GroupView {
            id: row.id.clone(),
            name: row.display_name.clone(),
            status: Status::parse(&row.status).unwrap_or_default(),
            held_reason: row.held_reason.clone(),
            provider_id: row.provider_id.clone().filter(|_| row.managed),
            managed: row.managed && row.provider_id.is_some(),
            site_members: u32::try_from(site_members).unwrap_or(u32::MAX),
            created_at: rfc3339(row.created_at),
            updated_at: rfc3339(row.updated_at),
        }
    }
}

/// A member of a group, seen from both sides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct GroupMember {
    pub member_id: String,
    /// `User` or `Group`.
    pub member_type: String,
    pub name: String,
    /// A member on the site.
    pub on_site: bool,
    /// The IdP lists it.
    pub from_idp: bool,
    pub admin: bool,
}

/// Everything about one group.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct GroupDetail {
    pub group: GroupView,
    /// The SCIM resource as the managing provider sees it (absent for local groups).
    #[specta(type = Option<specta_typescript::Unknown>)]
    pub scim: Option<Value>,
    pub members: Vec<GroupMember>,
    pub history: Vec<HistoryEntry>,
}

/// Which groups to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct GroupQuery {
    #[serde(default)]
    pub search: Option<String>,
    #[serde(default)]
    pub status: Option<Status>,
    /// A provider id, or `local`.
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub offset: Option<u32>,
    /// At most 500; 50 when absent.
    #[serde(default)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct GroupPage {
    pub items: Vec<GroupView>,
    pub total: u32,
    pub offset: u32,
    pub limit: u32,
}

pub async fn list(site: &Site, query: GroupQuery) -> Result<GroupPage, SiteError> {
    let limit = super::page_limit(query.limit, 50)?;
    let offset = query.offset.unwrap_or(0);
    let filter = AdminFilter {
        search: query.search,
        status: query.status.map(|s| s.as_str().to_owned()),
        provider: query.provider,
        offset: u64::from(offset),
        limit: u64::from(limit),
    };
    let (rows, total) = rows::admin_list(site.store().reader(), &filter).await?;
    Ok(GroupPage {
        items: rows
            .iter()
            .map(|r| GroupView::of(&r.group, r.site_members))
            .collect(),
        total: u32::try_from(total).unwrap_or(u32::MAX),
        offset,
        limit,
    })
}

async fn find<'e>(
    db: impl sqlx::Executor<'e, Database = sqlx::Sqlite>,
    id: &str,
) -> Result<GroupRow, SiteError> {
    rows::get(db, id)
        .await?
        .ok_or_else(|| SiteError::NotFound(format!("no group with id '{id}'")))
}

/// A group's detail; `scim_base_url` addresses its SCIM view.
pub async fn detail(site: &Site, id: &str, scim_base_url: &str) -> Result<GroupDetail, SiteError> {
    let db = site.store().reader();
    let row = find(db, id).await?;
    let members: Vec<GroupMember> = rows::members_named(db, row.seq)
        .await?
        .into_iter()
        .map(|m| GroupMember {
            member_id: m.member_id,
            member_type: m.member_type,
            name: m.name,
            on_site: m.site,
            from_idp: m.scim,
            admin: m.admin,
        })
        .collect();
    let on_site = members.iter().filter(|m| m.on_site).count() as i64;
    let scim = if row.managed && row.provider_id.is_some() {
        let listed = rows::members(db, row.seq).await?;
        Some(render::group(&row, Some(&listed), scim_base_url)?.to_value())
    } else {
        None
    };
    Ok(GroupDetail {
        group: GroupView::of(&row, on_site),
        scim,
        members,
        history: history::about(site, id, 50).await?,
    })
}

/// A local group to create.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct NewGroup {
    pub name: String,
}

/// Changes to a group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct GroupEdit {
    /// Only for local groups: a managed group's name comes from its IdP.
    #[serde(default)]
    pub name: Option<String>,
}

fn check_name(name: &str) -> Result<String, SiteError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(SiteError::Invalid("a group needs a name".into()));
    }
    if name.chars().any(char::is_control) {
        return Err(SiteError::Invalid(
            "a group name is one line of text".into(),
        ));
    }
    Ok(name.to_owned())
}

fn local_write(id: &str, name: &str) -> Result<GroupWrite, SiteError> {
    let body = json!({ "schemas": [GROUP_URN], "displayName": name });
    let mut resource: Resource = resource::parse(&GROUP, body, &mut Tolerances::new())?.resource;
    resource.set_id(id);
    let encode = |map: &serde_json::Map<String, Value>| {
        serde_json::to_string(map).map_err(|e| SiteError::Store(StoreError::Corrupt(e.to_string())))
    };
    Ok(GroupWrite {
        id: id.to_owned(),
        provider_id: None,
        display_name: name.to_owned(),
        display_name_key: workbench_scim::compare::fold_case(name).into_owned(),
        external_id: None,
        folded: encode(&resource.folded())?,
        resource: render::stored_text(&resource)?,
    })
}

fn name_taken(name: &str, error: StoreError) -> SiteError {
    match &error {
        StoreError::Database(e) if Unique::of(e) == Some(Unique::GroupName) => {
            SiteError::Conflict(format!("a group named '{name}' already exists"))
        }
        _ => error.into(),
    }
}

pub async fn create(site: &Site, new: NewGroup) -> Result<GroupView, SiteError> {
    let name = check_name(&new.name)?;
    let id = secrets::uuid();
    let write = local_write(&id, &name)?;
    let now = site.now();
    site.store()
        .write(move |conn| {
            Box::pin(async move {
                require_manual(conn, Manual::Groups, "create a group").await?;
                let seq = rows::insert(&mut *conn, &write, "active", None, false, now)
                    .await
                    .map_err(|e| name_taken(&write.display_name, e))?;
                let mut change = Change::start(conn, None, Interface::Web, now).await?;
                change.record(
                    "group_created",
                    Target::Group {
                        id: &write.id,
                        name: &write.display_name,
                    },
                    format!("local group {} created", write.display_name),
                );
                change.finish(conn).await?;
                let row = rows::get_by_seq(&mut *conn, seq).await?;
                row.map(|r| GroupView::of(&r, 0))
                    .ok_or_else(|| SiteError::NotFound("the new group vanished".into()))
            })
        })
        .await
}

pub async fn edit(site: &Site, id: &str, edit: GroupEdit) -> Result<GroupView, SiteError> {
    let name = edit.name.as_deref().map(check_name).transpose()?;
    let id = id.to_owned();
    let now = site.now();
    site.store()
        .write(move |conn| {
            Box::pin(async move {
                require_manual(conn, Manual::Groups, "edit a group").await?;
                let row = find(&mut *conn, &id).await?;
                let Some(name) = name.filter(|n| *n != row.display_name) else {
                    return Ok(GroupView::of(&row, 0));
                };
                if row.managed && row.provider_id.is_some() {
                    return Err(SiteError::Invalid(
                        "the name of a group an SSO provider manages comes from the IdP; rename it there".into(),
                    ));
                }
                let write = local_write(&row.id, &name)?;
                rows::update(&mut *conn, row.seq, &write, now)
                    .await
                    .map_err(|e| name_taken(&name, e))?;
                let mut change = Change::start(conn, None, Interface::Web, now).await?;
                change.record(
                    "group_updated",
                    Target::Group { id: &row.id, name: &name },
                    format!("group {} renamed to {name}", row.display_name),
                );
                change.finish(conn).await?;
                let row = find(&mut *conn, &id).await?;
                Ok::<_, SiteError>(GroupView::of(&row, 0))
            })
        })
        .await
}

pub async fn delete(site: &Site, id: &str) -> Result<(), SiteError> {
    let id = id.to_owned();
    let now = site.now();
    site.store()
        .write(move |conn| {
            Box::pin(async move {
                require_manual(conn, Manual::Groups, "delete a group").await?;
                let row = find(&mut *conn, &id).await?;
                rows::touch_containing(&mut *conn, &row.id, now).await?;
                rows::delete(&mut *conn, row.seq).await?;
                let mut change = Change::start(conn, None, Interface::Web, now).await?;
                change.record(
                    "group_deleted",
                    Target::Group {
                        id: &row.id,
                        name: &row.display_name,
                    },
                    format!("group {} deleted", row.display_name),
                );
                change.finish(conn).await?;
                Ok::<_, SiteError>(())
            })
        })
        .await
}

/// A site membership an administrator changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberChange {
    Add,
    Remove,
    GrantAdmin,
    RevokeAdmin,
}

/// Changes user `user_id`'s site membership of group `id` (the IdP's list is not touched).
pub async fn change_member(
    site: &Site,
    id: &str,
    user_id: &str,
    what: MemberChange,
    scim_base_url: &str,
) -> Result<GroupDetail, SiteError> {
    let (group_id, user_id) = (id.to_owned(), user_id.to_owned());
    let now = site.now();
    site.store()
        .write(move |conn| {
            Box::pin(async move {
                require_manual(conn, Manual::Groups, "change a group's members").await?;
                let group = find(&mut *conn, &group_id).await?;
                let user = user_rows::get(&mut *conn, &user_id)
                    .await?
                    .ok_or_else(|| SiteError::NotFound(format!("no user with id '{user_id}'")))?;
                let is_member = rows::memberships_of(&mut *conn, &user.id)
                    .await?
                    .into_iter()
                    .find(|m| m.group_seq == group.seq)
                    .filter(|m| m.site);
                let (action, detail) = match what {
                    MemberChange::Add => {
                        if group.status == Status::Held.as_str() {
                            return Err(SiteError::Invalid(format!(
                                "group {} is held ({}): it is not a site group",
                                group.display_name,
                                group.held_reason.as_deref().unwrap_or("no reason recorded")
                            )));
                        }
                        if user.account.status == Status::Held.as_str() {
                            return Err(SiteError::Invalid(format!(
                                "'{}' is held: it has no site account to add",
                                user.user_name
                            )));
                        }
                        if is_member.is_some() {
                            return Ok(());
                        }
                        rows::set_site(&mut *conn, group.seq, &user.id, "User", true, now).await?;
                        (
                            "member_added",
                            format!("{} added to {}", user.user_name, group.display_name),
                        )
                    }
                    MemberChange::Remove => {
                        if is_member.is_none() {
                            return Ok(());
                        }
                        rows::set_site(&mut *conn, group.seq, &user.id, "User", false, now).await?;
                        (
                            "member_removed",
                            format!("{} removed from {}", user.user_name, group.display_name),
                        )
                    }
                    MemberChange::GrantAdmin | MemberChange::RevokeAdmin => {
                        let grant = what == MemberChange::GrantAdmin;
                        let Some(member) = is_member else {
                            return Err(SiteError::Invalid(format!(
                                "'{}' is not a member of {} on the site; add it first",
                                user.user_name, group.display_name
                            )));
                        };
                        if member.admin == grant {
                            return Ok(());
                        }
                        rows::set_admin(&mut *conn, group.seq, &user.id, grant).await?;
                        if grant {
                            (
                                "group_admin_granted",
                                format!(
                                    "{} now administers {}",
                                    user.user_name, group.display_name
                                ),
                            )
                        } else {
                            (
                                "group_admin_revoked",
                                format!(
                                    "{} no longer administers {}",
                                    user.user_name, group.display_name
                                ),
                            )
                        }
                    }
                };
                let mut change = Change::start(conn, None, Interface::Web, now).await?;
                change.record(
                    action,
                    Target::Group {
                        id: &group.id,
                        name: &group.display_name,
                    },
                    detail,
                );
                change.finish(conn).await?;
                Ok::<_, SiteError>(())
            })
        })
        .await?;
    detail(site, id, scim_base_url).await
}
