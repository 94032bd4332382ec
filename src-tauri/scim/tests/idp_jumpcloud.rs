//! JumpCloud's habits (IDP-NOTES.md, "JumpCloud"), replayed on the protocol crate: 24-hex object
//! ids as `externalId`, `userName` that is not the email, `PUT` bodies with schemas in any order
//! and empty arrays, and member PATCHes with bare `{ "value": id }` items.

mod idp_support;

use idp_support::*;
use serde_json::{Value, json};
use workbench_scim::schema::{GROUP, USER};

const USER_ID: &str = "c0a80164-1f2e-4d3c-9b8a-7f6e5d4c3b2a";
const MEMBER_A: &str = "e2b1c0d9-8f7e-4a6b-9c5d-4e3f2a1b0c9d";
const MEMBER_B: &str = "f3c2d1e0-9a8b-4b7c-8d6e-5f4a3b2c1d0e";
const GROUP_ID: &str = "a1b2c3d4-e5f6-4789-8abc-def012345678";

fn jumpcloud_create_body() -> Value {
    json!({
        "schemas": [USER_URN, ENTERPRISE_URN],
        "externalId": "5f8d0a7b9c1e2d3f4a5b6c7d",
        "userName": "jdoe",
        "displayName": "Jane Doe",
        "name": { "givenName": "Jane", "familyName": "Doe" },
        "emails": [{ "value": "jane.doe@example.com", "type": "work", "primary": true }],
        "active": true,
        ENTERPRISE_URN: { "employeeNumber": "E-1001", "department": "Finance" }
    })
}

fn jumpcloud_user_json() -> Value {
    json!({
        "schemas": [USER_URN, ENTERPRISE_URN],
        "id": USER_ID,
        "externalId": "5f8d0a7b9c1e2d3f4a5b6c7d",
        "userName": "jdoe",
        "name": { "givenName": "Jane", "familyName": "Doe" },
        "displayName": "Jane Doe",
        "active": true,
        "emails": [{ "value": "jane.doe@example.com", "type": "work", "primary": true }],
        ENTERPRISE_URN: { "employeeNumber": "E-1001", "department": "Finance" }
    })
}

fn group_with(members: &[&str]) -> workbench_scim::Resource {
    let members: Vec<Value> = members.iter().map(|m| json!({ "value": m })).collect();
    stored(
        &GROUP,
        GROUP_ID,
        json!({ "schemas": [GROUP_URN], "displayName": "Finance", "members": members }),
    )
}

fn members_patch(op: &str, members: &[&str]) -> Value {
    let values: Vec<Value> = members.iter().map(|m| json!({ "value": m })).collect();
    json!({
        "schemas": [PATCH_OP_URN],
        "Operations": [{ "op": op, "path": "members", "value": values }]
    })
}

fn group_json(members: &[&str]) -> Value {
    let mut group = json!({ "schemas": [GROUP_URN], "id": GROUP_ID, "displayName": "Finance" });
    if !members.is_empty() {
        let members: Vec<Value> = members.iter().map(|m| json!({ "value": m })).collect();
        group["members"] = Value::Array(members);
    }
    group
}

// IDP-NOTES JumpCloud: "`externalId` is a 24-hex object id; `userName` need not equal the email".
#[test]
fn jumpcloud_create_with_hex_external_id_and_user_name_not_email() {
    let created = post(&USER, USER_ID, jumpcloud_create_body());
    assert_eq!(created.json, jumpcloud_user_json());
    assert_eq!(created.rules, NONE);
    // externalId is caseExact (RFC 7643 §3.1): the object id matches only as written.
    let user = created.resource;
    assert_eq!(
        matching(
            &USER,
            r#"externalId eq "5f8d0a7b9c1e2d3f4a5b6c7d""#,
            &[&user]
        ),
        (vec![USER_ID.to_owned()], vec![])
    );
    assert_eq!(
        matching(
            &USER,
            r#"externalId eq "5F8D0A7B9C1E2D3F4A5B6C7D""#,
            &[&user]
        )
        .0,
        Vec::<String>::new()
    );
    // userName and the email are independent attributes.
    assert_eq!(
        matching(&USER, r#"userName eq "jane.doe@example.com""#, &[&user]).0,
        Vec::<String>::new()
    );
}

// IDP-NOTES JumpCloud: "`PUT` bodies may list schemas in reverse order and carry empty arrays (`addresses: []`)".
#[test]
fn jumpcloud_put_with_schemas_reversed_and_empty_arrays() {
    let mut existing_body = jumpcloud_create_body();
    existing_body["addresses"] = json!([{ "type": "work", "locality": "Louisville" }]);
    existing_body["phoneNumbers"] = json!([{ "type": "work", "value": "+1 720 555 0100" }]);
    let existing = stored(&USER, USER_ID, existing_body);
    let (replaced, rules) = put(
        &existing,
        json!({
            "schemas": [ENTERPRISE_URN, USER_URN],
            "id": USER_ID,
            "externalId": "5f8d0a7b9c1e2d3f4a5b6c7d",
            "userName": "jdoe",
            "displayName": "Jane Doe",
            "name": { "givenName": "Jane", "familyName": "Doe" },
            "emails": [{ "value": "jane.doe@example.com", "type": "work", "primary": true }],
            "addresses": [],
            "phoneNumbers": [],
            "active": true,
            ENTERPRISE_URN: { "employeeNumber": "E-1001", "department": "Treasury" }
        }),
    );
    let mut expected = jumpcloud_user_json();
    expected[ENTERPRISE_URN]["department"] = json!("Treasury");
    assert_eq!(replaced.to_json(), expected);
    // `schemas` is a set and `[]` is unassigned (RFC 7643 §2.5): no tolerance.
    assert_eq!(rules, NONE);
}

// IDP-NOTES JumpCloud: "Its connection test creates a test user and a test group".
#[test]
fn jumpcloud_connection_test_creates_a_user_and_a_group() {
    let user = post(&USER, USER_ID, jumpcloud_create_body());
    assert_eq!(user.rules, NONE);
    let group = post(
        &GROUP,
        GROUP_ID,
        json!({ "schemas": [GROUP_URN], "displayName": "Finance", "members": [] }),
    );
    assert_eq!(group.json, group_json(&[]));
    assert_eq!(group.rules, NONE);
}

// IDP-NOTES JumpCloud: "Group membership PATCHes carry bare `{ "value": id }` items".
#[test]
fn jumpcloud_member_add_with_bare_value_items() {
    let (patched, rules) = patch(
        &group_with(&[]),
        members_patch("add", &[MEMBER_A, MEMBER_B]),
    );
    assert!(patched.changed);
    assert_eq!(
        patched.resource.to_json(),
        group_json(&[MEMBER_A, MEMBER_B])
    );
    assert_eq!(rules, NONE);
}

// IDP-NOTES JumpCloud: "removals as value arrays".
#[test]
fn jumpcloud_member_removal_as_value_array() {
    let (patched, rules) = patch(
        &group_with(&[MEMBER_A, MEMBER_B]),
        members_patch("remove", &[MEMBER_A]),
    );
    assert_eq!(patched.resource.to_json(), group_json(&[MEMBER_B]));
    assert_eq!(rules, ["remove-by-value-array"]);

    // Removing the last member leaves a group without `members`.
    let (emptied, _) = patch(&patched.resource, members_patch("remove", &[MEMBER_B]));
    assert_eq!(emptied.resource.to_json(), group_json(&[]));
}

// IDP-NOTES Everyone: "Repeated identical member adds must be idempotent (JumpCloud resends them)".
#[test]
fn jumpcloud_repeated_identical_member_adds_are_idempotent() {
    let group = group_with(&[MEMBER_A, MEMBER_B]);
    let (patched, rules) = patch(&group, members_patch("add", &[MEMBER_A, MEMBER_B]));
    assert!(!patched.changed);
    assert_eq!(
        patched.resource.to_json(),
        group_json(&[MEMBER_A, MEMBER_B])
    );
    assert_eq!(rules, ["duplicate-value-ignored"]);

    // The same member twice in one add is one member.
    let (patched, rules) = patch(
        &group_with(&[]),
        members_patch("add", &[MEMBER_A, MEMBER_A]),
    );
    assert_eq!(patched.resource.to_json(), group_json(&[MEMBER_A]));
    assert_eq!(rules, ["duplicate-value-ignored"]);
}
