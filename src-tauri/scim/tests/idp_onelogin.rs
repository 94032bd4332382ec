//! OneLogin's habits (IDP-NOTES.md, "OneLogin"), replayed on the protocol crate. OneLogin builds
//! create bodies from a tenant-defined JSON template (its "SCIM JSON Template" field, core or
//! enterprise flavoured), so the shapes below are templates after substitution.

mod idp_support;

use idp_support::*;
use serde_json::json;
use workbench_scim::schema::{GROUP, USER};

const USER_ID: &str = "0f1e2d3c-4b5a-4697-8879-6a5b4c3d2e1f";
const MANAGER_ID: &str = "9a8b7c6d-5e4f-4031-a2b1-c0d9e8f7a6b5";
const GROUP_ID: &str = "7c6b5a49-3827-4165-9a0b-1c2d3e4f5a6b";

// IDP-NOTES OneLogin: "Create bodies come from a tenant-defined JSON template (core ... schema)".
#[test]
fn onelogin_core_template_create() {
    let created = post(
        &USER,
        USER_ID,
        json!({
            "schemas": [USER_URN],
            "userName": "kim.lee@example.com",
            "name": { "familyName": "Lee", "givenName": "Kim" },
            "emails": [{ "value": "kim.lee@example.com", "type": "work", "primary": true }],
            "displayName": "Kim Lee",
            "title": "Engineer",
            "active": true
        }),
    );
    assert_eq!(
        created.json,
        json!({
            "schemas": [USER_URN],
            "id": USER_ID,
            "userName": "kim.lee@example.com",
            "name": { "familyName": "Lee", "givenName": "Kim" },
            "displayName": "Kim Lee",
            "title": "Engineer",
            "active": true,
            "emails": [{ "value": "kim.lee@example.com", "type": "work", "primary": true }]
        })
    );
    assert_eq!(created.rules, NONE);
}

// IDP-NOTES OneLogin: "Create bodies come from a tenant-defined JSON template (... enterprise schema)".
#[test]
fn onelogin_enterprise_template_create() {
    let created = post(
        &USER,
        USER_ID,
        json!({
            "schemas": [USER_URN, ENTERPRISE_URN],
            "userName": "kim.lee",
            "name": { "familyName": "Lee", "givenName": "Kim", "formatted": "Kim Lee" },
            "emails": [{ "value": "kim.lee@example.com", "type": "work", "primary": true }],
            "phoneNumbers": [{ "value": "+1 415 555 0100", "type": "work" }],
            "title": "Engineer",
            "userType": "Employee",
            ENTERPRISE_URN: {
                "employeeNumber": "10042",
                "costCenter": "CC-7",
                "organization": "Example Inc.",
                "division": "R&D",
                "department": "Platform",
                "manager": { "value": MANAGER_ID, "displayName": "Pat Manager" }
            }
        }),
    );
    assert_eq!(
        created.json,
        json!({
            "schemas": [USER_URN, ENTERPRISE_URN],
            "id": USER_ID,
            "userName": "kim.lee",
            "name": { "familyName": "Lee", "givenName": "Kim", "formatted": "Kim Lee" },
            "title": "Engineer",
            "userType": "Employee",
            "emails": [{ "value": "kim.lee@example.com", "type": "work", "primary": true }],
            "phoneNumbers": [{ "value": "+1 415 555 0100", "type": "work" }],
            ENTERPRISE_URN: {
                "employeeNumber": "10042",
                "costCenter": "CC-7",
                "organization": "Example Inc.",
                "division": "R&D",
                "department": "Platform",
                // manager.displayName is readOnly (RFC 7643 §4.3): the server fills it in.
                "manager": { "value": MANAGER_ID }
            }
        })
    );
    assert_eq!(created.rules, NONE);
}

// IDP-NOTES OneLogin: templates vary in shape — a template that leaves out `schemas`.
#[test]
fn onelogin_template_without_schemas() {
    let created = post(
        &USER,
        USER_ID,
        json!({
            "userName": "kim.lee@example.com",
            "name": { "familyName": "Lee", "givenName": "Kim" },
            "emails": [{ "value": "kim.lee@example.com", "type": "work", "primary": true }],
            ENTERPRISE_URN: { "department": "Platform" }
        }),
    );
    assert_eq!(
        created.json,
        json!({
            "schemas": [USER_URN, ENTERPRISE_URN],
            "id": USER_ID,
            "userName": "kim.lee@example.com",
            "name": { "familyName": "Lee", "givenName": "Kim" },
            "emails": [{ "value": "kim.lee@example.com", "type": "work", "primary": true }],
            ENTERPRISE_URN: { "department": "Platform" }
        })
    );
    assert_eq!(created.rules, ["schemas-missing"]);
}

// IDP-NOTES OneLogin: templates vary in shape — one object where a list is expected.
#[test]
fn onelogin_template_with_a_single_email_object() {
    let created = post(
        &USER,
        USER_ID,
        json!({
            "schemas": [USER_URN],
            "userName": "kim.lee@example.com",
            "emails": { "value": "kim.lee@example.com", "type": "work", "primary": true }
        }),
    );
    assert_eq!(
        created.json,
        json!({
            "schemas": [USER_URN],
            "id": USER_ID,
            "userName": "kim.lee@example.com",
            "emails": [{ "value": "kim.lee@example.com", "type": "work", "primary": true }]
        })
    );
    assert_eq!(created.rules, ["single-value-for-multi-valued"]);
}

// IDP-NOTES OneLogin: "Updates users with `PUT`".
#[test]
fn onelogin_put_update_replaces_the_user() {
    let existing = stored(
        &USER,
        USER_ID,
        json!({
            "schemas": [USER_URN, ENTERPRISE_URN],
            "userName": "kim.lee@example.com",
            "name": { "familyName": "Lee", "givenName": "Kim" },
            "title": "Engineer",
            "password": "s3cret-Template",
            "emails": [{ "value": "kim.lee@example.com", "type": "work", "primary": true }],
            ENTERPRISE_URN: { "department": "Platform", "employeeNumber": "10042" }
        }),
    );
    // The template no longer maps `title`; department changed; no password in updates.
    let (replaced, rules) = put(
        &existing,
        json!({
            "schemas": [USER_URN, ENTERPRISE_URN],
            "userName": "kim.lee@example.com",
            "name": { "familyName": "Lee-Park", "givenName": "Kim" },
            "emails": [{ "value": "kim.lee@example.com", "type": "work", "primary": true }],
            ENTERPRISE_URN: { "department": "Infrastructure", "employeeNumber": "10042" }
        }),
    );
    assert_eq!(
        replaced.to_json(),
        json!({
            "schemas": [USER_URN, ENTERPRISE_URN],
            "id": USER_ID,
            "userName": "kim.lee@example.com",
            "name": { "familyName": "Lee-Park", "givenName": "Kim" },
            "emails": [{ "value": "kim.lee@example.com", "type": "work", "primary": true }],
            ENTERPRISE_URN: { "department": "Infrastructure", "employeeNumber": "10042" }
        })
    );
    assert_eq!(replaced.get_str("password"), Some("s3cret-Template"));
    assert_eq!(rules, NONE);
}

// IDP-NOTES OneLogin: "`PATCH` for groups".
#[test]
fn onelogin_group_membership_by_patch() {
    let group = stored(
        &GROUP,
        GROUP_ID,
        json!({
            "schemas": [GROUP_URN],
            "displayName": "Engineering",
            "members": [{ "value": MANAGER_ID }]
        }),
    );
    let (patched, rules) = patch(
        &group,
        json!({
            "schemas": [PATCH_OP_URN],
            "Operations": [
                { "op": "add", "path": "members", "value": [{ "value": USER_ID }] },
                { "op": "remove", "path": format!("members[value eq \"{MANAGER_ID}\"]") },
                { "op": "replace", "path": "displayName", "value": "Engineering (all)" }
            ]
        }),
    );
    assert_eq!(
        patched.resource.to_json(),
        json!({
            "schemas": [GROUP_URN],
            "id": GROUP_ID,
            "displayName": "Engineering (all)",
            "members": [{ "value": USER_ID }]
        })
    );
    assert_eq!(rules, NONE);
}
