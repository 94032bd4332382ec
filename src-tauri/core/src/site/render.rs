//! Turning stored rows into SCIM resources (`id`, `meta`, derived `groups`/`members`), and the
//! time formats of every JSON the engine prints.

use serde::Serializer;
use serde_json::{Map, Value, json};
use workbench_scim::Resource;
use workbench_scim::datetime::DateTime;
use workbench_scim::resource::Meta;
use workbench_scim::schema::{GROUP, USER};

use super::{SiteError, etag};
use crate::store::groups::{GroupRow, MemberRow};
use crate::store::users::UserRow;
use crate::store::{Millis, StoreError};

/// A Unix-millisecond time as an instant.
pub fn datetime(ms: Millis) -> DateTime {
    DateTime::from_unix(
        ms.div_euclid(1000),
        (ms.rem_euclid(1000) * 1_000_000) as u32,
    )
}

/// A Unix-millisecond time as RFC 3339 (`2026-11-28T11:04:46.120Z`).
pub fn rfc3339(ms: Millis) -> String {
    datetime(ms).to_rfc3339()
}

pub fn serialize_millis<S: Serializer>(ms: &Millis, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*ms))
}

pub fn serialize_opt_millis<S: Serializer>(ms: &Option<Millis>, s: S) -> Result<S::Ok, S::Error> {
    match ms {
        Some(ms) => s.serialize_str(&rfc3339(*ms)),
        None => s.serialize_none(),
    }
}

/// The stored canonical JSON of a resource.
pub fn parse_stored(text: &str) -> Result<Map<String, Value>, SiteError> {
    serde_json::from_str(text).map_err(|e| {
        SiteError::Store(StoreError::Corrupt(format!(
            "a stored resource is not JSON: {e}"
        )))
    })
}

fn meta(created: Millis, updated: Millis, version: i64, location: String) -> Meta {
    Meta {
        created: datetime(created),
        last_modified: datetime(updated),
        location,
        version: etag(version),
    }
}

/// A user as a SCIM resource, with its direct memberships (from the row) as `groups`.
pub fn user(row: &UserRow, base_url: &str) -> Result<Resource, SiteError> {
    let memberships: Vec<(String, String)> =
        serde_json::from_str(&row.memberships).map_err(|e| {
            SiteError::Store(StoreError::Corrupt(format!(
                "memberships are not JSON: {e}"
            )))
        })?;
    let mut resource = Resource::from_canonical(&USER, parse_stored(&row.resource)?);
    resource.set_id(row.id.clone());
    if !memberships.is_empty() {
        let groups: Vec<Value> = memberships
            .iter()
            .map(|(id, display)| {
                json!({
                    "value": id,
                    "$ref": format!("{base_url}/Groups/{id}"),
                    "display": display,
                    "type": "direct"
                })
            })
            .collect();
        resource.set_derived("groups", Some(Value::Array(groups)));
    }
    resource.set_meta(&meta(
        row.created_at,
        row.updated_at,
        row.version,
        format!("{base_url}/Users/{}", row.id),
    ));
    Ok(resource)
}

/// A group as a SCIM resource; `members` only when loaded.
pub fn group(
    row: &GroupRow,
    members: Option<&[MemberRow]>,
    base_url: &str,
) -> Result<Resource, SiteError> {
    let mut resource = Resource::from_canonical(&GROUP, parse_stored(&row.resource)?);
    resource.set_id(row.id.clone());
    if let Some(members) = members.filter(|m| !m.is_empty()) {
        resource.set_derived(
            "members",
            Some(Value::Array(
                members.iter().map(|m| member(m, base_url)).collect(),
            )),
        );
    }
    resource.set_meta(&meta(
        row.created_at,
        row.updated_at,
        row.version,
        format!("{base_url}/Groups/{}", row.id),
    ));
    Ok(resource)
}

fn member(m: &MemberRow, base_url: &str) -> Value {
    let endpoint = if m.member_type == "Group" {
        "Groups"
    } else {
        "Users"
    };
    let mut item = Map::new();
    item.insert("value".into(), Value::from(m.member_id.as_str()));
    item.insert(
        "$ref".into(),
        Value::from(format!("{base_url}/{endpoint}/{}", m.member_id)),
    );
    if let Some(display) = &m.display {
        item.insert("display".into(), Value::from(display.as_str()));
    }
    item.insert("type".into(), Value::from(m.member_type.as_str()));
    Value::Object(item)
}
