//! The IdP's member lists: reading `members` values, checking that every member is the
//! provider's, and applying adds, removals and full replaces as row changes through the
//! provisioning rules (`provision::members_listed` / `members_unlisted`).

use std::collections::HashMap;

use serde_json::Value;
use workbench_scim::filter::{CompareOp, Expr, Location, Operand};
use workbench_scim::patch::{OpKind, Operation};
use workbench_scim::path::{AttrTarget, Target};
use workbench_scim::schema::GROUP_SCHEMA;
use workbench_scim::{Rule, ScimError, Tolerances, resource};

use super::super::SiteError;
use super::super::provision::{self, Change};
use crate::store::groups::{self as rows, GroupRow, NewMember, Resolved};

pub(super) fn members_attr() -> &'static workbench_scim::schema::Attribute {
    GROUP_SCHEMA
        .attribute("members")
        .expect("the Group schema defines members")
}

/// A member as the IdP names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct MemberRef {
    pub(super) id: String,
    pub(super) display: Option<String>,
}

/// Reads validated `members` items (`{value, display, type, $ref}`); each needs a `value`.
pub(super) fn member_refs(
    items: Value,
    tolerances: &mut Tolerances,
) -> Result<Vec<MemberRef>, SiteError> {
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
pub(super) async fn resolve(
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

pub(super) fn listed(r: &MemberRef, resolved: &Resolved) -> provision::Listed {
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

/// The users the IdP lists in group `seq`.
pub(super) async fn listed_users(
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
pub(super) async fn add_members(
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
pub(super) async fn remove_members(
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
pub(super) async fn set_members(
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

/// One change to the member rows.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum MemberStep {
    Add(Value),
    Replace(Value),
    Remove(Vec<String>),
    Clear,
}

/// Splits PATCH operations into member-row steps and operations on the other attributes.
/// `None`: some operation on `members` has a form the row steps do not cover.
pub(super) fn split_member_ops(
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

pub(super) fn member_step(
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
pub(super) fn listed_ids(value: &Value) -> Option<Vec<String>> {
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
pub(super) fn filtered_ids(filter: &Expr) -> Option<Vec<String>> {
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

/// Applies member steps; returns whether the IdP's member list changed.
pub(super) async fn apply_steps(
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
