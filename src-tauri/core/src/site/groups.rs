//! SCIM operations on groups for one SSO provider. Members live in their own table: the common
//! member changes (add a list, remove by id or by value list, replace all, clear) are applied
//! as row inserts and deletes without reading the group's other members, so their cost does not
//! grow with the group. Any other PATCH touching `members` (a filter on `display`, say) loads
//! the members and runs the protocol crate's PATCH engine on the whole group.

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
use super::render::{self, parse_stored};
use super::{Caller, Found, Site, SiteError, check_if_match};
use crate::secrets;
use crate::store::groups::{self as rows, GroupRow, GroupWrite, MemberRow, NewMember};
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

/// Checks that every referenced member is a user or group of this provider.
async fn resolve(
    conn: &mut sqlx::SqliteConnection,
    provider: &str,
    refs: &[MemberRef],
) -> Result<Vec<NewMember>, SiteError> {
    let ids: Vec<&str> = refs.iter().map(|r| r.id.as_str()).collect();
    let types: HashMap<String, String> = rows::resolve_members(conn, provider, &ids)
        .await?
        .into_iter()
        .collect();
    refs.iter()
        .map(|r| match types.get(&r.id) {
            Some(kind) => Ok(NewMember {
                member_id: r.id.clone(),
                member_type: kind.clone(),
                display: r.display.clone(),
            }),
            None => Err(SiteError::Scim(ScimError::InvalidValue(format!(
                "members: '{}' is not the id of a User or Group provisioned by this SSO provider",
                r.id
            )))),
        })
        .collect()
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

async fn name_taken(
    conn: &mut sqlx::SqliteConnection,
    write: &GroupWrite,
    caller: &str,
) -> SiteError {
    match rows::holder_of_name(&mut *conn, &write.display_name_key).await {
        Err(e) => e.into(),
        Ok(Some((id, Some(provider)))) if provider == caller => SiteError::Conflict(format!(
            "displayName '{}' is already taken by group {id}",
            write.display_name
        )),
        Ok(_) => SiteError::Conflict(format!(
            "a group named '{}' already exists on this site and is not managed by this SSO \
             provider; SCIM does not adopt existing groups",
            write.display_name
        )),
    }
}

fn conflict_or(error: StoreError) -> Result<(), StoreError> {
    match &error {
        StoreError::Database(e) if Unique::of(e) == Some(Unique::GroupName) => Ok(()),
        _ => Err(error),
    }
}

fn row_after_write(
    seq: i64,
    write: GroupWrite,
    created_at: Millis,
    updated_at: Millis,
    version: i64,
) -> GroupRow {
    GroupRow {
        seq,
        id: write.id,
        provider_id: write.provider_id,
        resource: write.resource,
        created_at,
        updated_at,
        version,
    }
}

/// `POST /Groups`.
pub async fn create(
    site: &Site,
    caller: &Caller,
    body: Value,
    tolerances: &mut Tolerances,
) -> Result<Found, SiteError> {
    let mut parsed = resource::parse(&GROUP, body, tolerances)?.resource;
    let refs = match parsed.remove("members") {
        Some(items) => member_refs(items, tolerances)?,
        None => Vec::new(),
    };
    let id = secrets::uuid();
    let provider = caller.provider.id.clone();
    let write = to_write(parsed, &id, &provider)?;
    let now = site.now();
    let base = caller.base_url.clone();
    site.store()
        .write(move |conn| {
            Box::pin(async move {
                let seq = match rows::insert(&mut *conn, &write, now).await {
                    Ok(seq) => seq,
                    Err(e) => {
                        conflict_or(e)?;
                        return Err(name_taken(conn, &write, &provider).await);
                    }
                };
                let members = resolve(conn, &provider, &refs).await?;
                rows::add_members(conn, seq, &members, now).await?;
                let row = row_after_write(seq, write, now, now, 1);
                found(&mut *conn, &row, true, &base).await
            })
        })
        .await
}

async fn visible<'e>(
    db: impl sqlx::Executor<'e, Database = sqlx::Sqlite>,
    caller: &str,
    id: &str,
) -> Result<GroupRow, SiteError> {
    rows::get(db, id)
        .await?
        .filter(|row| row.provider_id.as_deref() == Some(caller))
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

/// Writes `next` (without members) over `row` if it differs.
async fn write_changed(
    conn: &mut sqlx::SqliteConnection,
    row: GroupRow,
    next: Resource,
    provider: &str,
    now: Millis,
) -> Result<(GroupRow, bool), SiteError> {
    let write = to_write(next, &row.id, provider)?;
    if write.resource == row.resource {
        return Ok((row, false));
    }
    if let Err(e) = rows::update(&mut *conn, row.seq, &write, now).await {
        conflict_or(e)?;
        return Err(name_taken(conn, &write, provider).await);
    }
    let version = row.version + 1;
    Ok((
        row_after_write(row.seq, write, row.created_at, now, version),
        true,
    ))
}

/// `PUT /Groups/{id}`: attributes and the member list are replaced.
pub async fn replace(
    site: &Site,
    caller: &Caller,
    id: &str,
    body: Value,
    if_match: Option<String>,
    tolerances: &mut Tolerances,
) -> Result<Found, SiteError> {
    let mut parsed = resource::parse(&GROUP, body, tolerances)?;
    let refs = match parsed.resource.remove("members") {
        Some(items) => member_refs(items, tolerances)?,
        None => Vec::new(),
    };
    let (provider, id, base) = (
        caller.provider.id.clone(),
        id.to_owned(),
        caller.base_url.clone(),
    );
    let now = site.now();
    site.store()
        .write(move |conn| {
            Box::pin(async move {
                let row = visible(&mut *conn, &provider, &id).await?;
                check_if_match(if_match.as_deref(), row.version)?;
                let existing = Resource::from_canonical(&GROUP, parse_stored(&row.resource)?);
                let next = resource::replace(&existing, parsed)?;
                let (mut row, changed) =
                    write_changed(&mut *conn, row, next, &provider, now).await?;
                let members = resolve(&mut *conn, &provider, &refs).await?;
                let before = rows::members(&mut *conn, row.seq).await?;
                if !same_members(&before, &members) {
                    rows::clear_members(&mut *conn, row.seq).await?;
                    rows::add_members(&mut *conn, row.seq, &members, now).await?;
                    if !changed {
                        rows::touch(&mut *conn, row.seq, now).await?;
                        (row.version, row.updated_at) = (row.version + 1, now);
                    }
                }
                found(&mut *conn, &row, true, &base).await
            })
        })
        .await
}

fn same_members(before: &[MemberRow], after: &[NewMember]) -> bool {
    before.len() == after.len()
        && after.iter().all(|m| {
            before.iter().any(|b| {
                b.member_id == m.member_id
                    && b.display == m.display
                    && b.member_type == m.member_type
            })
        })
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
pub async fn patch(
    site: &Site,
    caller: &Caller,
    id: &str,
    body: Value,
    if_match: Option<String>,
    want: Want,
    tolerances: &mut Tolerances,
) -> Result<Option<Found>, SiteError> {
    let operations = patch::parse_request(body, &GROUP, tolerances)?;
    let split = split_member_ops(operations.clone(), tolerances);
    let (provider, id, base) = (
        caller.provider.id.clone(),
        id.to_owned(),
        caller.base_url.clone(),
    );
    let now = site.now();
    let mut job_tolerances = std::mem::take(tolerances);
    let (found, job_tolerances) = site
        .store()
        .write(move |conn| {
            Box::pin(async move {
                let row = visible(&mut *conn, &provider, &id).await?;
                check_if_match(if_match.as_deref(), row.version)?;
                let mut existing = Resource::from_canonical(&GROUP, parse_stored(&row.resource)?);
                // The stored JSON has no id; with it, an echoed `id` (Okta's group push) is unchanged.
                existing.set_id(row.id.clone());
                let row = match split {
                    Some((others, steps)) => {
                        let (mut row, changed) = if others.is_empty() {
                            (row, false)
                        } else {
                            let patched = patch::apply(&existing, &others, &mut job_tolerances)?;
                            write_changed(&mut *conn, row, patched.resource, &provider, now).await?
                        };
                        let members_changed =
                            apply_steps(conn, &provider, row.seq, steps, now, &mut job_tolerances)
                                .await?;
                        if members_changed && !changed {
                            rows::touch(&mut *conn, row.seq, now).await?;
                            (row.version, row.updated_at) = (row.version + 1, now);
                        }
                        row
                    }
                    None => {
                        whole_group_patch(
                            conn,
                            row,
                            existing,
                            &operations,
                            &provider,
                            now,
                            &mut job_tolerances,
                        )
                        .await?
                    }
                };
                let found = match want {
                    Want::Nothing => None,
                    Want::Resource { members } => {
                        Some(found(&mut *conn, &row, members, &base).await?)
                    }
                };
                Ok::<_, SiteError>((found, job_tolerances))
            })
        })
        .await?;
    *tolerances = job_tolerances;
    Ok(found)
}

/// Applies member steps as row changes; returns whether any membership changed.
async fn apply_steps(
    conn: &mut sqlx::SqliteConnection,
    provider: &str,
    seq: i64,
    steps: Vec<MemberStep>,
    now: Millis,
    tolerances: &mut Tolerances,
) -> Result<bool, SiteError> {
    let mut changed = false;
    for step in steps {
        match step {
            MemberStep::Add(items) | MemberStep::Replace(items) if matches!(items, Value::Null) => {
            }
            MemberStep::Add(items) => {
                let refs = member_refs(items, tolerances)?;
                let listed: Vec<(String, Option<String>)> = refs
                    .iter()
                    .map(|r| (r.id.clone(), r.display.clone()))
                    .collect();
                let added = rows::add_known_members(conn, seq, provider, &listed, now)
                    .await?
                    .len() as u64;
                if added < refs.len() as u64 {
                    // Members already, or not the provider's: the latter is an error (and the
                    // savepoint undoes what was added).
                    resolve(conn, provider, &refs).await?;
                }
                let already = refs.len() as u64 - added;
                if already > 0 {
                    tolerances.note(
                        Rule::DuplicateValueIgnored,
                        format!("{already} member(s) added were already members"),
                    );
                }
                changed |= added > 0;
            }
            MemberStep::Replace(items) => {
                let refs = member_refs(items, tolerances)?;
                let members = resolve(conn, provider, &refs).await?;
                let before = rows::members(&mut *conn, seq).await?;
                if !same_members(&before, &members) {
                    rows::clear_members(&mut *conn, seq).await?;
                    rows::add_members(conn, seq, &members, now).await?;
                    changed = true;
                }
            }
            MemberStep::Remove(ids) => {
                let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
                changed |= rows::remove_members(conn, seq, &ids).await? > 0;
            }
            MemberStep::Clear => changed |= rows::clear_members(&mut *conn, seq).await? > 0,
        }
    }
    Ok(changed)
}

/// The general path: the group with all its members through the PATCH engine, then the member
/// rows rewritten if the list changed.
async fn whole_group_patch(
    conn: &mut sqlx::SqliteConnection,
    row: GroupRow,
    mut existing: Resource,
    operations: &[Operation],
    provider: &str,
    now: Millis,
    tolerances: &mut Tolerances,
) -> Result<GroupRow, SiteError> {
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
    let (mut row, changed) = write_changed(&mut *conn, row, patched, provider, now).await?;
    let members = resolve(conn, provider, &after).await?;
    if !same_members(&before, &members) {
        rows::clear_members(&mut *conn, row.seq).await?;
        rows::add_members(conn, row.seq, &members, now).await?;
        if !changed {
            rows::touch(&mut *conn, row.seq, now).await?;
            (row.version, row.updated_at) = (row.version + 1, now);
        }
    }
    Ok(row)
}

/// `DELETE /Groups/{id}`.
pub async fn delete(
    site: &Site,
    caller: &Caller,
    id: &str,
    if_match: Option<String>,
) -> Result<(), SiteError> {
    let (provider, id) = (caller.provider.id.clone(), id.to_owned());
    let now = site.now();
    site.store()
        .write(move |conn| {
            Box::pin(async move {
                let row = visible(&mut *conn, &provider, &id).await?;
                check_if_match(if_match.as_deref(), row.version)?;
                // Groups that listed it change too (their members do): new version, new time.
                crate::store::groups::touch_containing(&mut *conn, &row.id, now).await?;
                rows::delete(&mut *conn, row.seq).await?;
                Ok(())
            })
        })
        .await
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
