//! Okta's habits (IDP-NOTES.md, "Okta"), replayed on the protocol crate with the bodies Okta
//! sends (shapes from Okta's SCIM 2.0 provisioning reference): what the resource becomes, and
//! which named tolerances fired — none where RFC 7643/7644 already allow the shape.

mod idp_support;

use idp_support::*;
use serde_json::{Value, json};
use workbench_scim::ScimError;
use workbench_scim::message::{ListQuery, ListResponse};
use workbench_scim::schema::{GROUP, USER};

const USER_ID: &str = "23a35c27-23d3-4c03-b4c5-6443c09e7173";
const OTHER_USER_ID: &str = "89bb1940-b905-4575-9e7f-6f887cfb368e";
const THIRD_USER_ID: &str = "6f9d2c41-0b8e-4e52-a1d3-2c7f5b9e8a10";
const GROUP_ID: &str = "abf4dd94-a4c0-4f67-89c9-76b03340cb9b";

/// `POST /Users` as Okta sends it.
fn okta_create_body() -> Value {
    json!({
        "schemas": [USER_URN],
        "userName": "test.user@okta.local",
        "name": { "givenName": "Test", "familyName": "User" },
        "emails": [{ "primary": true, "value": "test.user@okta.local", "type": "work" }],
        "displayName": "Test User",
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "1mz050nq",
        "active": true
    })
}

fn okta_user() -> workbench_scim::Resource {
    stored(&USER, USER_ID, okta_create_body())
}

fn member(id: &str, display: &str) -> Value {
    json!({ "value": id, "display": display })
}

fn group_with(members: Value) -> workbench_scim::Resource {
    stored(
        &GROUP,
        GROUP_ID,
        json!({ "schemas": [GROUP_URN], "displayName": "Test SCIMv2", "members": members }),
    )
}

// IDP-NOTES Okta: "Create carries `password`, `groups: []`, `locale`, `externalId`, `active: true`."
#[test]
fn okta_create_user_with_password_empty_groups_locale_external_id_and_active() {
    let created = post(&USER, USER_ID, okta_create_body());
    assert_eq!(
        created.json,
        json!({
            "schemas": [USER_URN],
            "id": USER_ID,
            "externalId": "00ujl29u0le5T6Aj10h7",
            "userName": "test.user@okta.local",
            "name": { "givenName": "Test", "familyName": "User" },
            "displayName": "Test User",
            "locale": "en-US",
            "active": true,
            "emails": [{ "primary": true, "value": "test.user@okta.local", "type": "work" }]
        })
    );
    // The password is kept for the server (hashing, sign-in tests) but never rendered.
    assert_eq!(created.resource.get_str("password"), Some("1mz050nq"));
    // `groups` is readOnly (RFC 7643 §4.1.2): ignored, but reported.
    assert_eq!(created.read_only, json!({ "groups": [] }));
    assert_eq!(created.rules, NONE);
}

// IDP-NOTES Okta: "Exists check: `GET /Users?filter=userName eq "x@y"&startIndex=1&count=100`."
#[test]
fn okta_user_exists_check_filter_with_start_index_and_count() {
    let query = ListQuery::from_query([
        ("filter", r#"userName eq "test.user@okta.local""#),
        ("startIndex", "1"),
        ("count", "100"),
    ])
    .unwrap();
    assert_eq!(
        query,
        ListQuery {
            filter: Some(r#"userName eq "test.user@okta.local""#.to_owned()),
            start_index: 1,
            count: Some(100),
            ..ListQuery::default()
        }
    );
    let user = okta_user();
    let other = stored(
        &USER,
        OTHER_USER_ID,
        json!({ "schemas": [USER_URN], "userName": "someone.else@okta.local" }),
    );
    let filter = query.filter.as_deref().unwrap();
    assert_eq!(
        matching(&USER, filter, &[&user, &other]),
        (vec![USER_ID.to_owned()], vec![])
    );
    // userName is caseExact false (RFC 7643 §4.1.1): Okta's login may differ in case.
    assert_eq!(
        matching(
            &USER,
            r#"userName eq "Test.User@OKTA.local""#,
            &[&user, &other]
        )
        .0,
        [USER_ID]
    );
    let page = ListResponse::new(vec![user.to_json()], 1, query.start_index);
    assert_eq!(
        serde_json::to_value(page).unwrap(),
        json!({
            "schemas": [LIST_RESPONSE_URN],
            "totalResults": 1,
            "startIndex": 1,
            "itemsPerPage": 1,
            "Resources": [{
                "schemas": [USER_URN],
                "id": USER_ID,
                "externalId": "00ujl29u0le5T6Aj10h7",
                "userName": "test.user@okta.local",
                "name": { "givenName": "Test", "familyName": "User" },
                "displayName": "Test User",
                "locale": "en-US",
                "active": true,
                "emails": [{ "primary": true, "value": "test.user@okta.local", "type": "work" }]
            }]
        })
    );
}

// IDP-NOTES Okta: "Updates: `GET` then `PUT` of the whole user."
#[test]
fn okta_put_of_the_whole_user_after_get() {
    let mut existing = okta_user();
    existing.set_meta(&meta(&USER, USER_ID));
    let mut body = existing.to_json();
    body["name"] = json!({ "givenName": "Another", "middleName": "Test", "familyName": "User" });
    body["displayName"] = json!("Another Test User");
    body["groups"] = json!([]);
    body["password"] = json!("1mz050nq");
    let (replaced, rules) = put(&existing, body);
    assert_eq!(
        replaced.to_json(),
        json!({
            "schemas": [USER_URN],
            "id": USER_ID,
            "externalId": "00ujl29u0le5T6Aj10h7",
            "userName": "test.user@okta.local",
            "name": { "givenName": "Another", "middleName": "Test", "familyName": "User" },
            "displayName": "Another Test User",
            "locale": "en-US",
            "active": true,
            "emails": [{ "primary": true, "value": "test.user@okta.local", "type": "work" }],
            "meta": {
                "resourceType": "User",
                "created": "2023-11-14T22:13:20Z",
                "lastModified": "2023-11-14T22:23:20Z",
                "location": format!("https://workbench.example/api/scim/Users/{USER_ID}"),
                "version": "W/\"1\""
            }
        })
    );
    assert_eq!(replaced.get_str("password"), Some("1mz050nq"));
    // id, meta and groups echoed from the GET are readOnly: RFC 7644 §3.5.1 ignores them.
    assert_eq!(rules, NONE);
}

// IDP-NOTES Okta: "Deactivation: `PATCH` `{"op":"replace","value":{"active":false}}`."
#[test]
fn okta_deactivation_is_a_pathless_replace_of_active() {
    let (patched, rules) = patch(
        &okta_user(),
        json!({
            "schemas": [PATCH_OP_URN],
            "Operations": [{ "op": "replace", "value": { "active": false } }]
        }),
    );
    assert!(patched.changed);
    assert_eq!(
        patched.resource.to_json(),
        json!({
            "schemas": [USER_URN],
            "id": USER_ID,
            "externalId": "00ujl29u0le5T6Aj10h7",
            "userName": "test.user@okta.local",
            "name": { "givenName": "Test", "familyName": "User" },
            "displayName": "Test User",
            "locale": "en-US",
            "active": false,
            "emails": [{ "primary": true, "value": "test.user@okta.local", "type": "work" }]
        })
    );
    assert_eq!(patched.resource.get_str("password"), Some("1mz050nq"));
    assert_eq!(rules, NONE);
}

// IDP-NOTES Okta: "Groups: exists check `filter=displayName eq "…"`".
#[test]
fn okta_group_exists_check_by_display_name() {
    let group = group_with(json!([]));
    let other = stored(
        &GROUP,
        "5d1c7a3e-6f1b-4c0a-9e2d-8b7a6c5d4e3f",
        json!({ "schemas": [GROUP_URN], "displayName": "Test SCIMv2 (old)" }),
    );
    let query = ListQuery::from_query([
        ("filter", r#"displayName eq "Test SCIMv2""#),
        ("startIndex", "1"),
        ("count", "100"),
    ])
    .unwrap();
    let filter = query.filter.as_deref().unwrap();
    assert_eq!(
        matching(&GROUP, filter, &[&group, &other]),
        (vec![GROUP_ID.to_owned()], vec![])
    );
}

// IDP-NOTES Okta: "create with `members: []`".
#[test]
fn okta_group_create_with_empty_members() {
    let created = post(
        &GROUP,
        GROUP_ID,
        json!({ "schemas": [GROUP_URN], "displayName": "Test SCIMv2", "members": [] }),
    );
    assert_eq!(
        created.json,
        json!({ "schemas": [GROUP_URN], "id": GROUP_ID, "displayName": "Test SCIMv2" })
    );
    assert_eq!(created.read_only, json!({}));
    // An empty array is unassigned (RFC 7643 §2.5): no tolerance needed.
    assert_eq!(created.rules, NONE);
}

// IDP-NOTES Okta: "on every push a path-less `replace` with `{"id": …, "displayName": …}`".
#[test]
fn okta_group_push_pathless_replace_with_id_and_display_name() {
    let group = group_with(json!([member(USER_ID, "test.user@okta.local")]));
    let (patched, rules) = patch(
        &group,
        json!({
            "schemas": [PATCH_OP_URN],
            "Operations": [{
                "op": "replace",
                "value": { "id": GROUP_ID, "displayName": "Test SCIMv2 renamed" }
            }]
        }),
    );
    assert!(patched.changed);
    assert_eq!(
        patched.resource.to_json(),
        json!({
            "schemas": [GROUP_URN],
            "id": GROUP_ID,
            "displayName": "Test SCIMv2 renamed",
            "members": [{ "value": USER_ID, "display": "test.user@okta.local" }]
        })
    );
    assert_eq!(rules, ["read-only-echo-ignored"]);

    // Pushing the same name again changes nothing (the server keeps lastModified).
    let (again, _) = patch(
        &patched.resource,
        json!({
            "schemas": [PATCH_OP_URN],
            "Operations": [{
                "op": "replace",
                "value": { "id": GROUP_ID, "displayName": "Test SCIMv2 renamed" }
            }]
        }),
    );
    assert!(!again.changed);

    // A different id is not an echo: still a mutability error.
    let error = patch_error(
        &group,
        json!({
            "schemas": [PATCH_OP_URN],
            "Operations": [{ "op": "replace", "value": { "id": "another-id", "displayName": "x" } }]
        }),
    );
    assert_eq!(
        error,
        ScimError::Mutability("Operations[0]: 'id' is readOnly and cannot be changed".into())
    );
}

// IDP-NOTES Okta: "membership as `remove` `members[value eq …]` plus `add` `members` `[{value, display}]`".
#[test]
fn okta_membership_remove_by_value_filter_and_add_with_display() {
    let group = group_with(json!([
        member(USER_ID, "test.user@okta.local"),
        member(OTHER_USER_ID, "other.user@okta.local")
    ]));
    let (patched, rules) = patch(
        &group,
        json!({
            "schemas": [PATCH_OP_URN],
            "Operations": [
                { "op": "remove", "path": format!("members[value eq \"{OTHER_USER_ID}\"]") },
                {
                    "op": "add",
                    "path": "members",
                    "value": [{ "value": THIRD_USER_ID, "display": "third.user@okta.local" }]
                }
            ]
        }),
    );
    assert!(patched.changed);
    assert_eq!(
        patched.resource.to_json(),
        json!({
            "schemas": [GROUP_URN],
            "id": GROUP_ID,
            "displayName": "Test SCIMv2",
            "members": [
                { "value": USER_ID, "display": "test.user@okta.local" },
                { "value": THIRD_USER_ID, "display": "third.user@okta.local" }
            ]
        })
    );
    assert_eq!(rules, NONE);
}

// IDP-NOTES Okta: "sometimes a full `replace` of `members`".
#[test]
fn okta_full_replace_of_members() {
    let group = group_with(json!([
        member(USER_ID, "test.user@okta.local"),
        member(OTHER_USER_ID, "other.user@okta.local")
    ]));
    let (patched, rules) = patch(
        &group,
        json!({
            "schemas": [PATCH_OP_URN],
            "Operations": [{
                "op": "replace",
                "path": "members",
                "value": [
                    { "value": THIRD_USER_ID, "display": "third.user@okta.local" },
                    { "value": USER_ID, "display": "test.user@okta.local" }
                ]
            }]
        }),
    );
    assert_eq!(
        patched.resource.to_json(),
        json!({
            "schemas": [GROUP_URN],
            "id": GROUP_ID,
            "displayName": "Test SCIMv2",
            "members": [
                { "value": THIRD_USER_ID, "display": "third.user@okta.local" },
                { "value": USER_ID, "display": "test.user@okta.local" }
            ]
        })
    );
    assert_eq!(rules, NONE);

    // Replacing with an empty list empties the group.
    let (emptied, rules) = patch(
        &group,
        json!({
            "schemas": [PATCH_OP_URN],
            "Operations": [{ "op": "replace", "path": "members", "value": [] }]
        }),
    );
    assert_eq!(
        emptied.resource.to_json(),
        json!({ "schemas": [GROUP_URN], "id": GROUP_ID, "displayName": "Test SCIMv2" })
    );
    assert_eq!(rules, NONE);
}

// SPEC.md "IdP tolerance": "Okta's user-exists filter and `PUT`-style group updates".
#[test]
fn okta_put_style_group_update_replaces_members() {
    let mut existing = group_with(json!([member(USER_ID, "test.user@okta.local")]));
    existing.set_meta(&meta(&GROUP, GROUP_ID));
    let (replaced, rules) = put(
        &existing,
        json!({
            "schemas": [GROUP_URN],
            "id": GROUP_ID,
            "displayName": "Test SCIMv2",
            "members": [{ "value": OTHER_USER_ID, "display": "other.user@okta.local" }]
        }),
    );
    assert_eq!(
        replaced.to_json(),
        json!({
            "schemas": [GROUP_URN],
            "id": GROUP_ID,
            "displayName": "Test SCIMv2",
            "members": [{ "value": OTHER_USER_ID, "display": "other.user@okta.local" }],
            "meta": {
                "resourceType": "Group",
                "created": "2023-11-14T22:13:20Z",
                "lastModified": "2023-11-14T22:23:20Z",
                "location": format!("https://workbench.example/api/scim/Groups/{GROUP_ID}"),
                "version": "W/\"1\""
            }
        })
    );
    assert_eq!(rules, NONE);
}

// IDP-NOTES Okta: "Imports page through `GET /Users?startIndex=1&count=100` ... integer `totalResults` ...".
#[test]
fn okta_import_pages_with_integer_counters() {
    let query = ListQuery::from_query([("startIndex", "101"), ("count", "100")]).unwrap();
    assert_eq!(
        query,
        ListQuery {
            start_index: 101,
            count: Some(100),
            ..ListQuery::default()
        }
    );
    let page = ListResponse::new(vec![okta_user().to_json()], 101, query.start_index);
    let rendered = serde_json::to_string(&page).unwrap();
    assert!(
        rendered.starts_with(&format!(
            r#"{{"schemas":["{LIST_RESPONSE_URN}"],"totalResults":101,"startIndex":101,"itemsPerPage":1,"Resources":[{{"#
        )),
        "{rendered}"
    );
}

// IDP-NOTES Okta: "membership as ... `add` `members` `[{value, display}]`", re-pushed after a rename.
#[test]
fn okta_member_re_add_with_a_changed_display_is_idempotent() {
    // Okta's `display` is the user's current login, so a re-push after a rename re-adds a
    // member with a new `display`. The member is already there (IDP-NOTES Everyone: "Repeated
    // identical member adds must be idempotent"): success and no change, RFC 7644 §3.5.2.1;
    // `members` sub-attributes are immutable (RFC 7643 §4.2).
    let group = group_with(json!([member(USER_ID, "test.user@okta.local")]));
    let (patched, rules) = patch(
        &group,
        json!({
            "schemas": [PATCH_OP_URN],
            "Operations": [{
                "op": "add",
                "path": "members",
                "value": [{ "value": USER_ID, "display": "renamed.user@okta.local" }]
            }]
        }),
    );
    assert!(!patched.changed);
    assert_eq!(
        patched.resource.to_json(),
        json!({
            "schemas": [GROUP_URN],
            "id": GROUP_ID,
            "displayName": "Test SCIMv2",
            "members": [{ "value": USER_ID, "display": "test.user@okta.local" }]
        })
    );
    assert_eq!(rules, ["duplicate-value-ignored"]);
}
