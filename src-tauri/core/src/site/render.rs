//! Rendering stored rows as SCIM representations, and the time formats of every JSON the
//! engine prints.
//!
//! A row's `resource` column holds the resource's representation as `Resource::to_json` gives
//! it (`schemas`, `id`, attributes in schema order) without the parts that change on their
//! own: `meta` (from the row's columns) and a user's `groups` or a group's `members` (from the
//! membership rows). Rendering appends those to the stored text, so serving a resource never
//! parses and re-serialises it; a `Value` is built only when a projection needs one.

use serde::Serializer;
use serde_json::{Map, Value, json};
use workbench_scim::Resource;
use workbench_scim::datetime::DateTime;

use super::{Found, SiteError, etag};
use crate::store::groups::{GroupRow, MemberRow};
use crate::store::users::ScimUserRow;
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

/// An RFC 3339 time as Unix milliseconds.
pub fn parse_rfc3339(text: &str) -> Option<Millis> {
    DateTime::parse(text.trim()).map(|dt| dt.secs * 1000 + i64::from(dt.nanos / 1_000_000))
}

/// An expiry as people write it: `2027-01-31` (the end of that day, UTC), an RFC 3339 time,
/// or a number of days from `now` (`90d`).
pub fn parse_expiry(text: &str, now: Millis) -> Option<Millis> {
    let text = text.trim();
    if let Some(days) = text.strip_suffix('d').and_then(|d| d.parse::<i64>().ok()) {
        return Some(now + days * 24 * 3600 * 1000);
    }
    if text.len() == 10 {
        return parse_rfc3339(&format!("{text}T23:59:59Z"));
    }
    parse_rfc3339(text)
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

fn corrupt(what: &str, e: impl std::fmt::Display) -> SiteError {
    SiteError::Store(StoreError::Corrupt(format!("{what}: {e}")))
}

/// The stored representation as canonical attributes (for PATCH and PUT).
pub fn parse_stored(text: &str) -> Result<Map<String, Value>, SiteError> {
    serde_json::from_str(text).map_err(|e| corrupt("a stored resource is not JSON", e))
}

/// What the `resource` column holds for `resource` (which must carry its `id`).
pub fn stored_text(resource: &Resource) -> Result<String, SiteError> {
    serde_json::to_string(&resource.to_json()).map_err(|e| corrupt("cannot encode a resource", e))
}

fn meta(
    resource_type: &str,
    created: Millis,
    updated: Millis,
    version: i64,
    location: &str,
) -> String {
    json!({
        "resourceType": resource_type,
        "created": rfc3339(created),
        "lastModified": rfc3339(updated),
        "location": location,
        "version": etag(version),
    })
    .to_string()
}

/// `stored` with `extra` members appended (each `(name, JSON text)`).
fn splice(stored: &str, extra: &[(&str, String)]) -> Result<String, SiteError> {
    let body = stored
        .strip_suffix('}')
        .ok_or_else(|| corrupt("a stored resource", "not a JSON object"))?;
    let mut out = String::with_capacity(
        stored.len() + extra.iter().map(|(_, v)| v.len() + 16).sum::<usize>(),
    );
    out.push_str(body);
    for (name, value) in extra {
        out.push_str(",\"");
        out.push_str(name);
        out.push_str("\":");
        out.push_str(value);
    }
    out.push('}');
    Ok(out)
}

/// A user's representation, with its direct memberships (from the row) as `groups`.
pub fn user(row: &ScimUserRow, base_url: &str) -> Result<Found, SiteError> {
    let location = format!("{base_url}/Users/{}", row.id);
    let memberships: Vec<(String, String)> = serde_json::from_str(&row.memberships)
        .map_err(|e| corrupt("memberships are not JSON", e))?;
    let mut extra = Vec::with_capacity(2);
    if !memberships.is_empty() {
        let groups: Vec<Value> = memberships
            .iter()
            .map(|(id, display)| {
                json!({ "value": id, "$ref": format!("{base_url}/Groups/{id}"), "display": display, "type": "direct" })
            })
            .collect();
        extra.push(("groups", Value::Array(groups).to_string()));
    }
    extra.push((
        "meta",
        meta(
            "User",
            row.created_at,
            row.updated_at,
            row.version,
            &location,
        ),
    ));
    Ok(Found {
        json: splice(&row.resource, &extra)?,
        version: row.version,
        location,
    })
}

/// A group's representation; `members` only when loaded.
pub fn group(
    row: &GroupRow,
    members: Option<&[MemberRow]>,
    base_url: &str,
) -> Result<Found, SiteError> {
    let location = format!("{base_url}/Groups/{}", row.id);
    let mut extra = Vec::with_capacity(2);
    if let Some(members) = members.filter(|m| !m.is_empty()) {
        let items: Vec<Value> = members.iter().map(|m| member(m, base_url)).collect();
        extra.push(("members", Value::Array(items).to_string()));
    }
    extra.push((
        "meta",
        meta(
            "Group",
            row.created_at,
            row.updated_at,
            row.version,
            &location,
        ),
    ));
    Ok(Found {
        json: splice(&row.resource, &extra)?,
        version: row.version,
        location,
    })
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
