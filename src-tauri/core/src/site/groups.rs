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

use std::collections::HashMap;

use serde_json::{Map, Value};
use workbench_scim::compare::fold_case;
use workbench_scim::filter::{CompareOp, Expr, Location, Operand};
use workbench_scim::message::ListQuery;
use workbench_scim::patch::{OpKind, Operation};
use workbench_scim::path::{AttrTarget, Target};
use workbench_scim::schema::{GROUP, GROUP_SCHEMA};
use workbench_scim::{Resource, Rule, ScimError, Tolerances, patch, resource};

use super::listing::{self, Listed};
use super::provision::{self, Change, Interface, Target as HistoryTarget};
use super::render::{self, parse_stored};
use super::{Caller, Found, Outcome, Site, SiteError, check_if_match};
use crate::rules::{self, GroupDeleted, GroupStatus};
use crate::secrets;
use crate::store::groups::{self as rows, GroupRow, GroupWrite, MemberRow, NewMember, Resolved};
use crate::store::lower::Table;
use crate::store::{Millis, StoreError, Unique};

/// What a caller needs back from a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Nothing: the answer is `204 No Content`.
    Nothing,
    /// The resource, with or without its members.
    Resource { members: bool },
}

fn members_attr() -> &'static workbench_scim::schema::Attribute {
    GROUP_SCHEMA
        .attribute("members")
        .expect("the Group schema defines members")
}

/// A member as the IdP names it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct MemberRef {
    id: String,
    display: Option<String>,
}

/// Reads validated `members` items (`{value, display, type, $ref}`); each needs a `value`.
fn member_refs(items: Value, tolerances: &mut Tolerances) -> Result<Vec<MemberRef>, SiteError> {
    let Some(Value::Array(items)) =
        resource::coerce_value(members_attr(), items, "members", tolerances)?
    else {
        return Ok(Vec::new());
    };
    let mut refs: Vec<MemberRef> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Some(id) = item.get("value").and_then(Value::as_str) else {
            return Err(ScimError::InvalidValue(format!(
                "members[{i}] needs a 'value' (the member's id)"
            ))
            .into());
        };
        if !refs.iter().any(|r| r.id == id) {
            let display = item
                .get("display")
                .and_then(Value::as_str)
                .map(str::to_owned);
            refs.push(MemberRef {
                id: id.to_owned(),
                display,
            });
        }
    }
    Ok(refs)
}

/// The members `refs` names, each checked to be a user or group of this provider, and whether
/// group `seq` lists it already.
async fn resolve(
    conn: &mut sqlx::SqliteConnection,
    provider: &str,
    seq: i64,
    refs: &[MemberRef],
) -> Result<Vec<(MemberRef, Resolved)>, SiteError> {
    let ids: Vec<&str> = refs.iter().map(|r| r.id.as_str()).collect();
    let mut found: HashMap<String, Resolved> = rows::resolve_members(conn, provider, seq, &ids)
        .await?
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
    refs.iter()
        .map(|r| match found.remove(&r.id) {
            Some(resolved) => Ok((r.clone(), resolved)),
            None => Err(SiteError::Scim(ScimError::InvalidValue(format!(
                "members: '{}' is not the id of a User or Group provisioned by this SSO provider",
                r.id
            )))),
        })
        .collect()
}

fn listed(r: &MemberRef, resolved: &Resolved) -> provision::Listed {
    provision::Listed {
        member: NewMember {
            member_id: r.id.clone(),
            member_type: resolved.kind.clone(),
            display: r.display.clone(),
        },
        name: resolved.name.clone(),
        status: resolved.status.clone(),
    }
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

/// The users the IdP lists in group `seq`.
async fn listed_users(
    conn: &mut sqlx::SqliteConnection,
    seq: i64,
) -> Result<Vec<String>, SiteError> {
    Ok(rows::members(&mut *conn, seq)
        .await?
        .into_iter()
        .filter(|m| m.member_type == "User")
        .map(|m| m.member_id)
        .collect())
}

/// The IdP adds `refs` to the group. Returns whether its member list changed.
async fn add_members(
    change: &mut Change<'_>,
    conn: &mut sqlx::SqliteConnection,
    row: &GroupRow,
    refs: &[MemberRef],
    tolerances: &mut Tolerances,
) -> Result<bool, SiteError> {
    let provider = change.provider.map(|p| p.id.clone()).unwrap_or_default();
    let resolved = resolve(conn, &provider, row.seq, refs).await?;
    let already = resolved.iter().filter(|(_, m)| m.listed).count();
    if already > 0 {
        tolerances.note(
            Rule::DuplicateValueIgnored,
            format!("{already} member(s) added were already members"),
        );
    }
    let new: Vec<provision::Listed> = resolved
        .iter()
        .filter(|(_, m)| !m.listed)
        .map(|(r, m)| listed(r, m))
        .collect();
    provision::members_listed(change, conn, row, &new).await
}

/// The IdP removes the members with `ids` from the group (ids it does not list are ignored).
async fn remove_members(
    change: &mut Change<'_>,
    conn: &mut sqlx::SqliteConnection,
    row: &GroupRow,
    ids: &[&str],
) -> Result<bool, SiteError> {
    let provider = change.provider.map(|p| p.id.clone()).unwrap_or_default();
    let named: Vec<(String, String)> = rows::resolve_members(conn, &provider, row.seq, ids)
        .await?
        .into_iter()
        .filter(|m| m.listed)
        .map(|m| (m.id, m.name))
        .collect();
    let known: std::collections::HashSet<&str> = named.iter().map(|(id, _)| id.as_str()).collect();
    // Members that are no longer the provider's to see (a user it deleted) still leave the list.
    let mut unnamed: Vec<(String, String)> = Vec::new();
    if known.len() < ids.len() {
        let listed: std::collections::HashSet<String> = rows::listed_ids(&mut *conn, row.seq)
            .await?
            .into_iter()
            .collect();
        unnamed = ids
            .iter()
            .filter(|id| !known.contains(**id) && listed.contains(**id))
            .map(|id| ((*id).to_owned(), (*id).to_owned()))
            .collect();
    }
    let all: Vec<(String, String)> = named.into_iter().chain(unnamed).collect();
    provision::members_unlisted(change, conn, row, &all).await
}

/// The IdP's member list becomes `refs`. Returns whether it changed.
async fn set_members(
    change: &mut Change<'_>,
    conn: &mut sqlx::SqliteConnection,
    row: &GroupRow,
    refs: &[MemberRef],
) -> Result<bool, SiteError> {
    let provider = change.provider.map(|p| p.id.clone()).unwrap_or_default();
    let resolved = resolve(conn, &provider, row.seq, refs).await?;
    let before = rows::members(&mut *conn, row.seq).await?;
    let wanted: std::collections::HashSet<&str> = refs.iter().map(|r| r.id.as_str()).collect();
    let gone: Vec<&str> = before
        .iter()
        .filter(|m| !wanted.contains(m.member_id.as_str()))
        .map(|m| m.member_id.as_str())
        .collect();
    let mut changed = remove_members(change, conn, row, &gone).await?;
    let displays: HashMap<&str, Option<&str>> = before
        .iter()
        .map(|m| (m.member_id.as_str(), m.display.as_deref()))
        .collect();
    let renamed: Vec<(&str, Option<&str>)> = resolved
        .iter()
        .filter(|(r, m)| {
            m.listed
                && displays
                    .get(r.id.as_str())
                    .is_some_and(|d| *d != r.display.as_deref())
        })
        .map(|(r, _)| (r.id.as_str(), r.display.as_deref()))
        .collect();
    if !renamed.is_empty() {
        rows::set_displays(conn, row.seq, &renamed).await?;
        changed = true;
    }
    let new: Vec<provision::Listed> = resolved
        .iter()
        .filter(|(_, m)| !m.listed)
        .map(|(r, m)| listed(r, m))
        .collect();
    changed |= provision::members_listed(change, conn, row, &new).await?;
    Ok(changed)
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

/// One change to the member rows.
#[derive(Debug, Clone, PartialEq)]
enum MemberStep {
    Add(Value),
    Replace(Value),
    Remove(Vec<String>),
    Clear,
}

/// Splits PATCH operations into member-row steps and operations on the other attributes.
/// `None`: some operation on `members` has a form the row steps do not cover.
fn split_member_ops(
    operations: Vec<Operation>,
    tolerances: &mut Tolerances,
) -> Option<(Vec<Operation>, Vec<MemberStep>)> {
    let mut others = Vec::new();
    let mut steps = Vec::new();
    for op in operations {
        match &op.target {
            None => {
                let Some(Value::Object(object)) = &op.value else {
                    others.push(op);
                    continue;
                };
                let key = object
                    .keys()
                    .find(|k| k.eq_ignore_ascii_case("members"))
                    .cloned();
                let Some(key) = key else {
                    others.push(op);
                    continue;
                };
                let mut rest = object.clone();
                let items = rest.remove(&key).unwrap_or(Value::Null);
                steps.push(match op.kind {
                    OpKind::Add => MemberStep::Add(items),
                    _ => MemberStep::Replace(items),
                });
                if !rest.is_empty() {
                    others.push(Operation {
                        value: Some(Value::Object(rest)),
                        ..op
                    });
                }
            }
            Some(Target::Attr(target)) if target.attr.name == "members" => {
                steps.push(member_step(&op, target, tolerances)?);
            }
            Some(_) => others.push(op),
        }
    }
    Some((others, steps))
}

fn member_step(
    op: &Operation,
    target: &AttrTarget,
    tolerances: &mut Tolerances,
) -> Option<MemberStep> {
    if target.sub.is_some() {
        return None;
    }
    match (op.kind, &target.filter, &op.value) {
        (OpKind::Add, None, Some(v)) => Some(MemberStep::Add(v.clone())),
        (OpKind::Replace, None, Some(v)) => Some(MemberStep::Replace(v.clone())),
        (OpKind::Remove, None, None | Some(Value::Null)) => Some(MemberStep::Clear),
        (OpKind::Remove, None, Some(v)) => {
            let ids = listed_ids(v)?;
            tolerances.note(
                Rule::RemoveByValueArray,
                format!("removed {} listed member(s)", ids.len()),
            );
            Some(MemberStep::Remove(ids))
        }
        (OpKind::Remove, Some(filter), _) => filtered_ids(filter).map(MemberStep::Remove),
        _ => None,
    }
}

/// The ids of a removal value array (`[{"value": id}, …]`, or one such object).
fn listed_ids(value: &Value) -> Option<Vec<String>> {
    let items = match value {
        Value::Array(items) => items.as_slice(),
        single => std::slice::from_ref(single),
    };
    items
        .iter()
        .map(|i| i.get("value").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

/// The ids a filter `value eq "a"` (or `value eq "a" or value eq "b"`) names.
fn filtered_ids(filter: &Expr) -> Option<Vec<String>> {
    match filter {
        Expr::Compare(attr, CompareOp::Eq, Operand::Str(id))
            if attr.location == Location::Element && attr.attr.name == "value" =>
        {
            Some(vec![id.clone()])
        }
        Expr::Or(items) => items
            .iter()
            .map(filtered_ids)
            .collect::<Option<Vec<_>>>()
            .map(|v| v.concat()),
        _ => None,
    }
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

/// Applies member steps; returns whether the IdP's member list changed.
async fn apply_steps(
    change: &mut Change<'_>,
    conn: &mut sqlx::SqliteConnection,
    row: &GroupRow,
    steps: Vec<MemberStep>,
    tolerances: &mut Tolerances,
) -> Result<bool, SiteError> {
    let mut changed = false;
    for step in steps {
        match step {
            MemberStep::Add(items) | MemberStep::Replace(items) if matches!(items, Value::Null) => {
            }
            MemberStep::Add(items) => {
                let refs = member_refs(items, tolerances)?;
                changed |= add_members(change, conn, row, &refs, tolerances).await?;
            }
            MemberStep::Replace(items) => {
                let refs = member_refs(items, tolerances)?;
                changed |= set_members(change, conn, row, &refs).await?;
            }
            MemberStep::Remove(ids) => {
                let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
                changed |= remove_members(change, conn, row, &ids).await?;
            }
            MemberStep::Clear => {
                let ids = rows::listed_ids(&mut *conn, row.seq).await?;
                let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
                changed |= remove_members(change, conn, row, &ids).await?;
            }
        }
    }
    Ok(changed)
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
