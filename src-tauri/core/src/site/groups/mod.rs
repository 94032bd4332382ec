//! SCIM operations on groups for one SSO provider. Members live in their own table: the common
//! member changes (add a list, remove by id or by value list, replace all, clear) are applied
//! as row inserts and updates without reading the group's other members, so their cost does not
//! grow with the group. Any other PATCH touching `members` (a filter on `display`, say) loads
//! the members and runs the protocol crate's PATCH engine on the whole group.
//!
//! Every change goes through the provisioning rules in the same transaction: a group's name
//! decides whether it is a site group or held (`provision_group_inclusion`/`_exclusion`), and
//! each membership the IdP adds or removes is applied to the site or only recorded
//! (`provision_groups`/`deprovision_groups`); members whose IdP groups changed are re-evaluated.

mod members;

use serde_json::{Map, Value};
use workbench_scim::compare::fold_case;
use workbench_scim::message::ListQuery;
use workbench_scim::patch::Operation;
use workbench_scim::schema::GROUP;
use workbench_scim::{Resource, Tolerances, patch, resource};

use super::listing::{self, Listed};
use super::provision::{self, Change, Interface, Target as HistoryTarget};
use super::render::{self, parse_stored};
use super::{Caller, Found, Outcome, Site, SiteError, check_if_match};
use crate::rules::{self, GroupDeleted, GroupStatus};
use crate::secrets;
use crate::store::groups::{self as rows, GroupRow, GroupWrite, MemberRow};
use crate::store::lower::Table;
use crate::store::{Millis, StoreError, Unique};
use members::{
    apply_steps, listed, listed_users, member_refs, resolve, set_members, split_member_ops,
};

/// What a caller needs back from a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Nothing: the answer is `204 No Content`.
    Nothing,
    /// The resource, with or without its members.
    Resource { members: bool },
}

fn to_write(mut resource: Resource, id: &str, provider_id: &str) -> Result<GroupWrite, SiteError> {
    for name in ["meta", "members"] {
        resource.remove(name);
    }
    resource.set_id(id);
    let display_name = resource
        .get_str("displayName")
        .ok_or_else(|| SiteError::Invalid("a group needs a displayName".into()))?
        .to_owned();
    let encode = |map: &Map<String, Value>| {
        serde_json::to_string(map).map_err(|e| SiteError::Store(StoreError::Corrupt(e.to_string())))
    };
    Ok(GroupWrite {
        id: id.to_owned(),
        provider_id: Some(provider_id.to_owned()),
        display_name_key: fold_case(&display_name).into_owned(),
        display_name,
        external_id: resource.get_str("externalId").map(str::to_owned),
        folded: encode(&resource.folded())?,
        resource: render::stored_text(&resource)?,
    })
}

/// The `409` for a group name someone else holds.
fn name_taken(holder: &GroupRow, name: &str, caller: &str) -> SiteError {
    if holder.provider_id.as_deref() == Some(caller) && holder.managed {
        return SiteError::Conflict(format!(
            "displayName '{name}' is already taken by group {}",
            holder.id
        ));
    }
    let what = if holder.managed && holder.provider_id.is_some() {
        "another SSO provider manages it"
    } else {
        "it is a local group"
    };
    SiteError::Conflict(format!(
        "a group named '{name}' already exists on this site and is not managed by this SSO provider ({what}); SCIM does not adopt \
         existing groups"
    ))
}

async fn on_unique(
    conn: &mut sqlx::SqliteConnection,
    error: StoreError,
    write: &GroupWrite,
    caller: &str,
) -> SiteError {
    let is_name =
        matches!(&error, StoreError::Database(e) if Unique::of(e) == Some(Unique::GroupName));
    if !is_name {
        return error.into();
    }
    match rows::by_name(&mut *conn, &write.display_name_key).await {
        Ok(Some(holder)) => name_taken(&holder, &write.display_name, caller),
        Ok(None) => error.into(),
        Err(e) => e.into(),
    }
}

fn row_after_write(row: GroupRow, write: GroupWrite, updated_at: Millis) -> GroupRow {
    GroupRow {
        id: write.id,
        provider_id: write.provider_id,
        display_name: write.display_name,
        resource: write.resource,
        updated_at,
        version: row.version + 1,
        ..row
    }
}

/// `POST /Groups`.
pub async fn create(
    site: &Site,
    caller: &Caller,
    body: Value,
    tolerances: &mut Tolerances,
    outcome: &mut Outcome,
) -> Result<Found, SiteError> {
    let mut parsed = resource::parse(&GROUP, body, tolerances)?.resource;
    let refs = match parsed.remove("members") {
        Some(items) => member_refs(items, tolerances)?,
        None => Vec::new(),
    };
    let id = secrets::uuid();
    let provider = caller.provider.clone();
    let write = to_write(parsed, &id, &provider.id)?;
    let now = site.now();
    let base = caller.base_url.clone();
    let (found, parts) = site
        .store()
        .write_or_rehearse(caller.dry_run, move |conn| {
            Box::pin(async move {
                if let Some(holder) = rows::by_name(&mut *conn, &write.display_name_key).await? {
                    return Err(name_taken(&holder, &write.display_name, &provider.id));
                }
                let mut change = Change::start(conn, Some(&provider), Interface::Scim, now).await?;
                let name = write.display_name.clone();
                let status = rules::evaluate_group(&change.options(), &name, &mut change.trace);
                let (status_text, reason) = match &status {
                    GroupStatus::Active => ("active", None),
                    GroupStatus::Held(reason) => ("held", Some(reason.as_str())),
                };
                let seq =
                    match rows::insert(&mut *conn, &write, status_text, reason, true, now).await {
                        Ok(seq) => seq,
                        Err(e) => return Err(on_unique(conn, e, &write, &provider.id).await),
                    };
                let target = HistoryTarget::Group {
                    id: &write.id,
                    name: &name,
                };
                match &status {
                    GroupStatus::Active => {
                        change.record("group_created", target, format!("group {name} created"))
                    }
                    GroupStatus::Held(reason) => change.record(
                        "group_held",
                        target,
                        format!("group {name} created, held: {reason}"),
                    ),
                }
                let row = GroupRow {
                    seq,
                    id: write.id,
                    provider_id: write.provider_id,
                    display_name: write.display_name,
                    resource: write.resource,
                    created_at: now,
                    updated_at: now,
                    version: 1,
                    status: status_text.to_owned(),
                    held_reason: reason.map(str::to_owned),
                    managed: true,
                };
                let members = resolve(conn, &provider.id, seq, &refs).await?;
                let members: Vec<provision::Listed> =
                    members.iter().map(|(r, m)| listed(r, m)).collect();
                provision::members_listed(&mut change, conn, &row, &members).await?;
                let found = found(&mut *conn, &row, true, &base).await?;
                let parts = change.finish(conn).await?;
                Ok::<_, SiteError>((found, parts))
            })
        })
        .await?;
    outcome.absorb(parts);
    Ok(found)
}

async fn visible<'e>(
    db: impl sqlx::Executor<'e, Database = sqlx::Sqlite>,
    caller: &str,
    id: &str,
) -> Result<GroupRow, SiteError> {
    rows::get(db, id)
        .await?
        .filter(|row| row.provider_id.as_deref() == Some(caller) && row.managed)
        .ok_or_else(|| SiteError::NotFound(format!("Group {id} not found")))
}

async fn found<'e>(
    db: impl sqlx::Executor<'e, Database = sqlx::Sqlite>,
    row: &GroupRow,
    with_members: bool,
    base_url: &str,
) -> Result<Found, SiteError> {
    let members: Option<Vec<MemberRow>> = if with_members {
        Some(rows::members(db, row.seq).await?)
    } else {
        None
    };
    render::group(row, members.as_deref(), base_url)
}

/// `GET /Groups/{id}`; members are read only when the response includes them.
pub async fn get(
    site: &Site,
    caller: &Caller,
    id: &str,
    with_members: bool,
) -> Result<Found, SiteError> {
    let row = visible(site.store().reader(), &caller.provider.id, id).await?;
    found(site.store().reader(), &row, with_members, &caller.base_url).await
}

/// Writes `next` (without members) over `row` if it differs; a new name is evaluated against
/// the group filters, and the users the IdP lists in it are re-evaluated.
async fn write_changed(
    change: &mut Change<'_>,
    conn: &mut sqlx::SqliteConnection,
    row: GroupRow,
    next: Resource,
) -> Result<(GroupRow, bool), SiteError> {
    let provider = change.provider.map(|p| p.id.clone()).unwrap_or_default();
    let write = to_write(next, &row.id, &provider)?;
    if write.resource == row.resource {
        return Ok((row, false));
    }
    if let Err(e) = rows::update(&mut *conn, row.seq, &write, change.now).await {
        return Err(on_unique(conn, e, &write, &provider).await);
    }
    let renamed = write.display_name != row.display_name;
    let old_name = row.display_name.clone();
    let mut row = row_after_write(row, write, change.now);
    if renamed {
        let name = row.display_name.clone();
        change.record(
            "group_updated",
            HistoryTarget::Group {
                id: &row.id,
                name: &name,
            },
            format!("group {old_name} renamed to {name}"),
        );
        let status = provision::reconcile_group(change, conn, &row, &name).await?;
        (row.status, row.held_reason) = match status {
            GroupStatus::Active => ("active".to_owned(), None),
            GroupStatus::Held(reason) => ("held".to_owned(), Some(reason)),
        };
        let users = listed_users(conn, row.seq).await?;
        let ids: Vec<&str> = users.iter().map(String::as_str).collect();
        provision::reevaluate(change, conn, &ids).await?;
    }
    Ok((row, true))
}

/// `PUT /Groups/{id}`: attributes and the member list are replaced.
pub async fn replace(
    site: &Site,
    caller: &Caller,
    id: &str,
    body: Value,
    if_match: Option<String>,
    tolerances: &mut Tolerances,
    outcome: &mut Outcome,
) -> Result<Found, SiteError> {
    let mut parsed = resource::parse(&GROUP, body, tolerances)?;
    let refs = match parsed.resource.remove("members") {
        Some(items) => member_refs(items, tolerances)?,
        None => Vec::new(),
    };
    let (provider, id, base) = (
        caller.provider.clone(),
        id.to_owned(),
        caller.base_url.clone(),
    );
    let now = site.now();
    let (found, parts) = site
        .store()
        .write_or_rehearse(caller.dry_run, move |conn| {
            Box::pin(async move {
                let row = visible(&mut *conn, &provider.id, &id).await?;
                check_if_match(if_match.as_deref(), row.version)?;
                let mut change = Change::start(conn, Some(&provider), Interface::Scim, now).await?;
                let existing = Resource::from_canonical(&GROUP, parse_stored(&row.resource)?);
                let next = resource::replace(&existing, parsed)?;
                let (mut row, changed) = write_changed(&mut change, conn, row, next).await?;
                if set_members(&mut change, conn, &row, &refs).await? && !changed {
                    rows::touch(&mut *conn, row.seq, now).await?;
                    (row.version, row.updated_at) = (row.version + 1, now);
                }
                let found = found(&mut *conn, &row, true, &base).await?;
                let parts = change.finish(conn).await?;
                Ok::<_, SiteError>((found, parts))
            })
        })
        .await?;
    outcome.absorb(parts);
    Ok(found)
}

/// `PATCH /Groups/{id}`.
#[allow(clippy::too_many_arguments)]
pub async fn patch(
    site: &Site,
    caller: &Caller,
    id: &str,
    body: Value,
    if_match: Option<String>,
    want: Want,
    tolerances: &mut Tolerances,
    outcome: &mut Outcome,
) -> Result<Option<Found>, SiteError> {
    let operations = patch::parse_request(body, &GROUP, tolerances)?;
    let split = split_member_ops(operations.clone(), tolerances);
    let (provider, id, base) = (
        caller.provider.clone(),
        id.to_owned(),
        caller.base_url.clone(),
    );
    let now = site.now();
    let mut job_tolerances = std::mem::take(tolerances);
    let (found, parts, job_tolerances) = site
        .store()
        .write_or_rehearse(caller.dry_run, move |conn| {
            Box::pin(async move {
                let row = visible(&mut *conn, &provider.id, &id).await?;
                check_if_match(if_match.as_deref(), row.version)?;
                let mut change = Change::start(conn, Some(&provider), Interface::Scim, now).await?;
                let mut existing = Resource::from_canonical(&GROUP, parse_stored(&row.resource)?);
                // The stored JSON has no id; with it, an echoed `id` (Okta's group push) is unchanged.
                existing.set_id(row.id.clone());
                let (mut row, changed, members_changed) = match split {
                    Some((others, steps)) => {
                        let (row, changed) = if others.is_empty() {
                            (row, false)
                        } else {
                            let patched = patch::apply(&existing, &others, &mut job_tolerances)?;
                            write_changed(&mut change, conn, row, patched.resource).await?
                        };
                        let members_changed =
                            apply_steps(&mut change, conn, &row, steps, &mut job_tolerances)
                                .await?;
                        (row, changed, members_changed)
                    }
                    None => {
                        whole_group_patch(
                            &mut change,
                            conn,
                            row,
                            existing,
                            &operations,
                            &mut job_tolerances,
                        )
                        .await?
                    }
                };
                if members_changed && !changed {
                    rows::touch(&mut *conn, row.seq, now).await?;
                    (row.version, row.updated_at) = (row.version + 1, now);
                }
                let found = match want {
                    Want::Nothing => None,
                    Want::Resource { members } => {
                        Some(found(&mut *conn, &row, members, &base).await?)
                    }
                };
                let parts = change.finish(conn).await?;
                Ok::<_, SiteError>((found, parts, job_tolerances))
            })
        })
        .await?;
    *tolerances = job_tolerances;
    outcome.absorb(parts);
    Ok(found)
}

/// The general path: the group with all its members through the PATCH engine, then the member
/// list set to the result. Returns the row, whether its attributes changed, and whether its
/// members did.
async fn whole_group_patch(
    change: &mut Change<'_>,
    conn: &mut sqlx::SqliteConnection,
    row: GroupRow,
    mut existing: Resource,
    operations: &[Operation],
    tolerances: &mut Tolerances,
) -> Result<(GroupRow, bool, bool), SiteError> {
    let before = rows::members(&mut *conn, row.seq).await?;
    let items: Vec<Value> = before
        .iter()
        .map(|m| {
            let mut item = Map::new();
            item.insert("value".into(), Value::from(m.member_id.as_str()));
            if let Some(display) = &m.display {
                item.insert("display".into(), Value::from(display.as_str()));
            }
            item.insert("type".into(), Value::from(m.member_type.as_str()));
            Value::Object(item)
        })
        .collect();
    if !items.is_empty() {
        existing.set_derived("members", Some(Value::Array(items)));
    }
    let mut patched = patch::apply(&existing, operations, tolerances)?.resource;
    let after = match patched.remove("members") {
        Some(items) => member_refs(items, tolerances)?,
        None => Vec::new(),
    };
    let (row, changed) = write_changed(change, conn, row, patched).await?;
    let members_changed = set_members(change, conn, &row, &after).await?;
    Ok((row, changed, members_changed))
}

/// `DELETE /Groups/{id}`: `deprovision_groups` decides whether the site group goes too.
pub async fn delete(
    site: &Site,
    caller: &Caller,
    id: &str,
    if_match: Option<String>,
    outcome: &mut Outcome,
) -> Result<(), SiteError> {
    let (provider, id) = (caller.provider.clone(), id.to_owned());
    let now = site.now();
    let parts = site
        .store()
        .write_or_rehearse(caller.dry_run, move |conn| {
            Box::pin(async move {
                let row = visible(&mut *conn, &provider.id, &id).await?;
                check_if_match(if_match.as_deref(), row.version)?;
                let mut change = Change::start(conn, Some(&provider), Interface::Scim, now).await?;
                let name = row.display_name.clone();
                let target = HistoryTarget::Group {
                    id: &row.id,
                    name: &name,
                };
                let users = listed_users(conn, row.seq).await?;
                // Groups that listed it change too (their members do): new version, new time.
                rows::touch_containing(&mut *conn, &row.id, now).await?;
                match rules::group_deleted(&change.options(), &name, &mut change.trace) {
                    GroupDeleted::Delete => {
                        rows::delete(&mut *conn, row.seq).await?;
                        change.record("group_deleted", target, format!("group {name} deleted"));
                    }
                    GroupDeleted::EndManagement => {
                        rows::unlist_all(conn, row.seq).await?;
                        rows::unlist_member(&mut *conn, &row.id).await?;
                        rows::end_management(&mut *conn, row.seq).await?;
                        change.record(
                            "group_unlinked",
                            target,
                            format!(
                                "group {name} is no longer managed by {}; kept as a local group",
                                provider.name
                            ),
                        );
                    }
                }
                let ids: Vec<&str> = users.iter().map(String::as_str).collect();
                provision::reevaluate(&mut change, conn, &ids).await?;
                let parts = change.finish(conn).await?;
                Ok::<_, SiteError>(parts)
            })
        })
        .await?;
    outcome.absorb(parts);
    Ok(())
}

/// `GET /Groups` and `POST /Groups/.search`.
pub async fn list(
    site: &Site,
    caller: &Caller,
    query: &ListQuery,
    tolerances: &mut Tolerances,
) -> Result<Listed, SiteError> {
    let plan = listing::plan(&GROUP, Table::Groups, query, tolerances)?;
    let db = site.store().reader();
    let provider = &caller.provider.id;
    let with_members = plan.projection().includes("members") || !plan.filter.exact;
    let render_page = |rows: Vec<GroupRow>| async move {
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(found(db, row, with_members, &caller.base_url).await?.json);
        }
        Ok::<_, SiteError>(out)
    };
    if plan.filter.exact {
        let rows = match plan.page_size {
            0 => Vec::new(),
            size => {
                rows::page(
                    db,
                    provider,
                    &plan.filter,
                    &plan.order,
                    Some(size),
                    plan.offset(),
                )
                .await?
            }
        };
        let total = match plan.total_from_page(rows.len()) {
            Some(total) => total,
            None => rows::count(db, provider, &plan.filter).await?,
        };
        return Ok(plan.listed(render_page(rows).await?, total));
    }
    let candidates = rows::page(db, provider, &plan.filter, &plan.order, None, 0).await?;
    let matching = plan.keep_matching(render_page(candidates).await?);
    Ok(plan.listed_from_all(matching))
}
