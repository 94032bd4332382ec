//! Request bodies shaped like real IdPs' (IDP-NOTES.md), and readers for what the admin API
//! answers about them: history entries, their traces, user and group details.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{Admin, Scim};

pub const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const ENTRA_GROUP_URN: &str =
    "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";

/// A user as Okta creates it (`groups: []`: Okta pushes memberships to groups instead).
pub fn okta_user(name: &str) -> Value {
    json!({
        "schemas": [USER_URN],
        "userName": name,
        "name": {"givenName": "Test", "familyName": "User"},
        "emails": [{"value": name, "type": "work", "primary": true}],
        "locale": "en-US",
        "externalId": format!("00u-{name}"),
        "password": "Sup3r-secret!",
        "active": true,
        "groups": []
    })
}

/// A user as Entra ID creates it.
pub fn entra_user(name: &str) -> Value {
    json!({
        "schemas": [USER_URN],
        "externalId": name.split('@').next().unwrap_or(name),
        "userName": name,
        "active": true,
        "emails": [{"primary": true, "type": "work", "value": name}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Test User", "familyName": "User", "givenName": "Test"},
        "roles": []
    })
}

/// A user as JumpCloud creates it (userName need not be the email; 24-hex externalId).
pub fn jumpcloud_user(name: &str) -> Value {
    json!({
        "schemas": [USER_URN],
        "userName": name,
        "externalId": "5f1e2d3c4b5a69788796a5b4",
        "name": {"givenName": "Test", "familyName": "User"},
        "emails": [{"value": format!("{name}@example.com"), "type": "work", "primary": true}],
        "addresses": [],
        "active": true
    })
}

/// A user as a OneLogin template sends it, with the IdP's group membership on the user.
pub fn onelogin_user(name: &str, groups: Value) -> Value {
    json!({
        "schemas": [USER_URN],
        "userName": name,
        "name": {"familyName": "User", "givenName": "Test"},
        "emails": [{"value": name, "type": "work", "primary": true}],
        "displayName": "Test User",
        "active": true,
        "groups": groups
    })
}

/// A group as Okta pushes it: created with an empty member list.
pub fn okta_group(name: &str) -> Value {
    json!({"schemas": [GROUP_URN], "displayName": name, "members": []})
}

/// A group as Entra ID creates it: empty, with the Microsoft schema URN.
pub fn entra_group(name: &str) -> Value {
    json!({
        "schemas": [GROUP_URN, ENTRA_GROUP_URN],
        "externalId": format!("8aa1a0c0-{name}"),
        "displayName": name,
        "meta": {"resourceType": "Group"}
    })
}

/// A PatchOp message with `ops`.
pub fn patch(ops: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}

/// Okta: `add` `members` `[{value, display}]`.
pub fn okta_add(user_id: &str, display: &str) -> Value {
    patch(
        json!([{"op": "add", "path": "members", "value": [{"value": user_id, "display": display}]}]),
    )
}

/// Okta: `remove` `members[value eq "id"]`.
pub fn okta_remove(user_id: &str) -> Value {
    patch(json!([{"op": "remove", "path": format!("members[value eq \"{user_id}\"]")}]))
}

/// Entra ID (PascalCase `op`) and JumpCloud (bare `{value}` items): `members` with a value
/// array, for adds and value-array removals.
pub fn members_op(op: &str, user_ids: &[&str]) -> Value {
    let value: Vec<Value> = user_ids.iter().map(|id| json!({"value": id})).collect();
    patch(json!([{"op": op, "path": "members", "value": value}]))
}

/// Okta and Entra ID: `replace` `active` `false` (the user is unassigned or disabled).
pub fn deactivate() -> Value {
    patch(json!([{"op": "replace", "value": {"active": false}}]))
}

/// Every trace step of `history`, one per line.
pub fn traces(history: &[Value]) -> String {
    history.iter().map(trace_of).collect::<Vec<_>>().join("\n")
}

/// The trace of one history entry (or a dry run's answer), one step per line.
pub fn trace_of(entry: &Value) -> String {
    entry["trace"]
        .as_array()
        .map(|steps| steps.iter().filter_map(Value::as_str).collect::<Vec<_>>())
        .unwrap_or_default()
        .join("\n")
}

/// Asserts that `trace` has `step` (a whole step or part of one).
pub fn assert_has(trace: &str, step: &str) {
    assert!(
        trace.contains(step),
        "expected {step:?} in the trace:\n{trace}"
    );
}

/// Asserts that no step of `trace` has `words`.
pub fn assert_lacks(trace: &str, words: &str) {
    assert!(
        !trace.contains(words),
        "expected no {words:?} in the trace:\n{trace}"
    );
}

/// The actions of `history`, newest first.
pub fn actions(history: &[Value]) -> Vec<String> {
    history
        .iter()
        .filter_map(|e| e["action"].as_str().map(str::to_owned))
        .collect()
}

/// The newest entry with `action` (panics if there is none).
pub fn newest<'a>(history: &'a [Value], action: &str) -> &'a Value {
    history
        .iter()
        .find(|e| e["action"] == action)
        .unwrap_or_else(|| panic!("no {action} entry in {:?}", actions(history)))
}

/// The user detail's entry for `group` (`None` when it is in no such group on either side).
pub fn user_group<'a>(detail: &'a Value, group: &str) -> Option<&'a Value> {
    detail["groups"]
        .as_array()
        .and_then(|groups| groups.iter().find(|g| g["name"] == group))
}

/// The group detail's entry for the member named `name`.
pub fn group_member<'a>(detail: &'a Value, name: &str) -> Option<&'a Value> {
    detail["members"]
        .as_array()
        .and_then(|members| members.iter().find(|m| m["name"] == name))
}

/// `POST /Users` the IdP expects `201` for; returns the id.
pub async fn create_user(scim: &Scim, body: Value) -> String {
    created(scim, "/Users", body).await
}

/// `POST /Groups` the IdP expects `201` for; returns the id.
pub async fn create_group(scim: &Scim, body: Value) -> String {
    created(scim, "/Groups", body).await
}

async fn created(scim: &Scim, endpoint: &str, body: Value) -> String {
    let created = scim.post(endpoint, &body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    created.body["id"].as_str().expect("an id").to_owned()
}

/// A group `PATCH` the IdP expects `204` for.
pub async fn patch_group(scim: &Scim, group_id: &str, body: Value) {
    let patched = scim.patch(&format!("/Groups/{group_id}"), &body).await;
    assert_eq!(patched.status, StatusCode::NO_CONTENT, "{}", patched.body);
}

/// A user `PATCH` the IdP expects `200` for.
pub async fn patch_user(scim: &Scim, user_id: &str, body: Value) -> Value {
    let patched = scim.patch(&format!("/Users/{user_id}"), &body).await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    patched.body
}

/// The trace a SCIM request from `scim`'s provider would produce (the admin dry run: same rules,
/// nothing kept), one step per line.
pub async fn dry_run(admin: &Admin, scim: &Scim, method: &str, path: &str, body: Value) -> String {
    let answer = admin
        .post(
            "/dry-run",
            &json!({"provider_id": scim.provider_id, "method": method, "path": path, "body": body}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "dry run: {}", answer.body);
    trace_of(&answer.body)
}
