//! Habits every IdP shares (IDP-NOTES.md, "Everyone"), replayed on the protocol crate: what the
//! resource becomes, and which named tolerances fired — none where RFC 7643/7644 already allow
//! the shape.

mod idp_support;

use idp_support::*;
use serde_json::{Value, json};
use workbench_scim::Tolerances;
use workbench_scim::message::{ListQuery, ListResponse};
use workbench_scim::projection::Projection;
use workbench_scim::schema::{GROUP, USER};

const USER_ID: &str = "5c3e2a1f-0d9b-4c8a-8e7f-6a5b4c3d2e1f";
const MEMBER_A: &str = "e2b1c0d9-8f7e-4a6b-9c5d-4e3f2a1b0c9d";
const MEMBER_B: &str = "f3c2d1e0-9a8b-4b7c-8d6e-5f4a3b2c1d0e";
const GROUP_ID: &str = "a1b2c3d4-e5f6-4789-8abc-def012345678";

fn user() -> workbench_scim::Resource {
    stored(
        &USER,
        USER_ID,
        json!({
            "schemas": [USER_URN],
            "userName": "bjensen@example.com",
            "name": { "givenName": "Barbara", "familyName": "Jensen" },
            "emails": [
                { "value": "bjensen@example.com", "type": "work", "primary": true },
                { "value": "babs@jensen.org", "type": "home" }
            ],
            "active": true
        }),
    )
}

fn user_json(changes: Value) -> Value {
    let mut expected = json!({
        "schemas": [USER_URN],
        "id": USER_ID,
        "userName": "bjensen@example.com",
        "name": { "givenName": "Barbara", "familyName": "Jensen" },
        "active": true,
        "emails": [
            { "value": "bjensen@example.com", "type": "work", "primary": true },
            { "value": "babs@jensen.org", "type": "home" }
        ]
    });
    for (key, value) in object(changes) {
        expected[key] = value;
    }
    expected
}

fn patch_op(operations: Value) -> Value {
    json!({ "schemas": [PATCH_OP_URN], "Operations": operations })
}

fn group(members: &[&str]) -> workbench_scim::Resource {
    let members: Vec<Value> = members.iter().map(|m| json!({ "value": m })).collect();
    stored(
        &GROUP,
        GROUP_ID,
        json!({ "schemas": [GROUP_URN], "displayName": "Staff", "members": members }),
    )
}

fn group_json(members: &[&str]) -> Value {
    let mut group = json!({ "schemas": [GROUP_URN], "id": GROUP_ID, "displayName": "Staff" });
    if !members.is_empty() {
        let members: Vec<Value> = members.iter().map(|m| json!({ "value": m })).collect();
        group["members"] = Value::Array(members);
    }
    group
}

// IDP-NOTES Everyone: "`op` values arrive in any case (`add`, `Add`, `ADD`)".
#[test]
fn everyone_op_in_any_case() {
    for (op, expected_rules) in [
        ("add", vec![]),
        ("Add", vec!["op-name-case"]),
        ("ADD", vec!["op-name-case"]),
    ] {
        let (patched, rules) = patch(
            &user(),
            patch_op(json!([{ "op": op, "path": "title", "value": "Tour Guide" }])),
        );
        assert_eq!(
            patched.resource.to_json(),
            user_json(json!({ "title": "Tour Guide" })),
            "{op}"
        );
        assert_eq!(rules, expected_rules, "{op}");
    }
    for op in ["Replace", "REPLACE", "Remove", "rEmOvE"] {
        let path_value = if op.eq_ignore_ascii_case("remove") {
            json!({ "op": op, "path": "name.givenName" })
        } else {
            json!({ "op": op, "path": "name.givenName", "value": "Babs" })
        };
        let (_, rules) = patch(&user(), patch_op(json!([path_value])));
        assert_eq!(rules, ["op-name-case"], "{op}");
    }
}

// IDP-NOTES Everyone: "Booleans sometimes arrive as strings (`"False"`, `"True"`)".
#[test]
fn everyone_booleans_as_strings_in_bodies_and_patches() {
    let created = post(
        &USER,
        USER_ID,
        json!({
            "schemas": [USER_URN],
            "userName": "bjensen@example.com",
            "emails": [{ "value": "bjensen@example.com", "primary": "True" }],
            "active": "true"
        }),
    );
    assert_eq!(
        created.json,
        json!({
            "schemas": [USER_URN],
            "id": USER_ID,
            "userName": "bjensen@example.com",
            "active": true,
            "emails": [{ "value": "bjensen@example.com", "primary": true }]
        })
    );
    assert_eq!(created.rules, ["boolean-as-string"]);

    let (patched, rules) = patch(
        &user(),
        patch_op(json!([{ "op": "replace", "value": { "active": "False" } }])),
    );
    assert_eq!(
        patched.resource.to_json(),
        user_json(json!({ "active": false }))
    );
    assert_eq!(rules, ["boolean-as-string"]);
}

// IDP-NOTES Everyone: "Booleans ... also inside filters (`primary EQ "True"`)".
#[test]
fn everyone_booleans_as_strings_in_filters() {
    let with_primary = user();
    let without_primary = stored(
        &USER,
        "no-primary",
        json!({
            "schemas": [USER_URN],
            "userName": "other@example.com",
            "emails": [{ "value": "other@example.com", "type": "work" }],
            "active": false
        }),
    );
    let all = [&with_primary, &without_primary];
    assert_eq!(
        matching(&USER, r#"emails[primary EQ "True"]"#, &all),
        (vec![USER_ID.to_owned()], vec!["boolean-string-in-filter"])
    );
    assert_eq!(
        matching(&USER, r#"active eq "False""#, &all),
        (
            vec!["no-primary".to_owned()],
            vec!["boolean-string-in-filter"]
        )
    );
    // The RFC spelling needs no tolerance; operators are case-insensitive (RFC 7644 §3.4.2.2).
    assert_eq!(
        matching(&USER, "emails[primary EQ true]", &all),
        (vec![USER_ID.to_owned()], vec![])
    );

    // In a PATCH path too.
    let (patched, rules) = patch(
        &with_primary,
        patch_op(json!([{
            "op": "replace",
            "path": "emails[primary eq \"True\"].value",
            "value": "barbara@example.com"
        }])),
    );
    assert_eq!(
        patched.resource.to_json(),
        user_json(json!({
            "emails": [
                { "value": "barbara@example.com", "type": "work", "primary": true },
                { "value": "babs@jensen.org", "type": "home" }
            ]
        }))
    );
    assert_eq!(rules, ["boolean-string-in-filter"]);
}

// IDP-NOTES Everyone: "PATCH with and without `path`".
#[test]
fn everyone_patch_with_and_without_path() {
    let expected = user_json(json!({
        "name": { "givenName": "Barbara", "familyName": "Jensen-Smith" },
        "title": "Tour Guide",
        "schemas": [USER_URN, ENTERPRISE_URN],
        ENTERPRISE_URN: { "department": "Tours" }
    }));
    let (with_path, rules) = patch(
        &user(),
        patch_op(json!([
            { "op": "replace", "path": "name.familyName", "value": "Jensen-Smith" },
            { "op": "add", "path": "title", "value": "Tour Guide" },
            { "op": "add", "path": format!("{ENTERPRISE_URN}:department"), "value": "Tours" }
        ])),
    );
    assert_eq!(with_path.resource.to_json(), expected);
    assert_eq!(rules, NONE);

    let (without_path, rules) = patch(
        &user(),
        patch_op(json!([
            { "op": "replace", "value": { "name": { "familyName": "Jensen-Smith" } } },
            {
                "op": "add",
                "value": { "title": "Tour Guide", ENTERPRISE_URN: { "department": "Tours" } }
            }
        ])),
    );
    assert_eq!(without_path.resource.to_json(), expected);
    assert_eq!(rules, NONE);
}

// IDP-NOTES Everyone: "a path-less `replace` whose `value` object has dotted keys (`"name.givenName"`)".
#[test]
fn everyone_pathless_replace_with_dotted_keys() {
    let (patched, rules) = patch(
        &user(),
        patch_op(json!([{
            "op": "replace",
            "value": { "name.givenName": "Babs", "name.familyName": "Jensen-Smith" }
        }])),
    );
    assert_eq!(
        patched.resource.to_json(),
        user_json(json!({ "name": { "givenName": "Babs", "familyName": "Jensen-Smith" } }))
    );
    assert_eq!(rules, ["dotted-key-in-value"]);
}

// IDP-NOTES Everyone: "... and URN-qualified keys (`"urn:…:enterprise:2.0:User:employeeNumber"`)".
#[test]
fn everyone_pathless_replace_with_urn_qualified_keys() {
    let (patched, rules) = patch(
        &user(),
        patch_op(json!([{
            "op": "replace",
            "value": {
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "701984",
                "urn:ietf:params:scim:schemas:core:2.0:User:title": "Tour Guide"
            }
        }])),
    );
    assert_eq!(
        patched.resource.to_json(),
        user_json(json!({
            "schemas": [USER_URN, ENTERPRISE_URN],
            "title": "Tour Guide",
            ENTERPRISE_URN: { "employeeNumber": "701984" }
        }))
    );
    assert_eq!(rules, ["urn-qualified-key"]);
}

// IDP-NOTES Everyone: "Group member removal both as a filter path ... and as `path: "members"` with a `value` array".
#[test]
fn everyone_member_removal_by_filter_path_and_by_value_array() {
    let (by_filter, rules) = patch(
        &group(&[MEMBER_A, MEMBER_B]),
        patch_op(json!([{ "op": "remove", "path": format!("members[value eq \"{MEMBER_A}\"]") }])),
    );
    assert_eq!(by_filter.resource.to_json(), group_json(&[MEMBER_B]));
    assert_eq!(rules, NONE);

    let (by_values, rules) = patch(
        &group(&[MEMBER_A, MEMBER_B]),
        patch_op(json!([{ "op": "remove", "path": "members", "value": [{ "value": MEMBER_A }] }])),
    );
    assert_eq!(by_values.resource.to_json(), group_json(&[MEMBER_B]));
    assert_eq!(rules, ["remove-by-value-array"]);

    // Without a value, `remove` of `members` removes them all (RFC 7644 §3.5.2.2).
    let (all, rules) = patch(
        &group(&[MEMBER_A, MEMBER_B]),
        patch_op(json!([{ "op": "remove", "path": "members" }])),
    );
    assert_eq!(all.resource.to_json(), group_json(&[]));
    assert_eq!(rules, NONE);
}

// IDP-NOTES Everyone: "Repeated identical member adds must be idempotent".
#[test]
fn everyone_repeated_identical_member_adds_are_idempotent() {
    let add = patch_op(json!([{
        "op": "add",
        "path": "members",
        "value": [{ "value": MEMBER_A, "display": "bjensen@example.com" }]
    }]));
    let (first, rules) = patch(&group(&[]), add.clone());
    assert!(first.changed);
    assert_eq!(rules, NONE);
    let (second, rules) = patch(&first.resource, add);
    assert!(!second.changed);
    assert_eq!(second.resource, first.resource);
    assert_eq!(rules, ["duplicate-value-ignored"]);
}

// IDP-NOTES Everyone: "A filtered list never answers 404: zero matches is `200` with an empty ListResponse".
#[test]
fn everyone_zero_matches_is_an_empty_list_response() {
    let query = ListQuery::from_query([
        ("filter", r#"userName eq "0d6c1f7e-random-connection-test""#),
        ("startIndex", "1"),
        ("count", "1"),
    ])
    .unwrap();
    let (ids, rules) = matching(&USER, query.filter.as_deref().unwrap(), &[&user()]);
    assert_eq!((ids, rules), (vec![], vec![]));
    let page = ListResponse::new(Vec::new(), 0, query.start_index);
    assert_eq!(
        serde_json::to_value(page).unwrap(),
        json!({
            "schemas": [LIST_RESPONSE_URN],
            "totalResults": 0,
            "startIndex": 1,
            "itemsPerPage": 0,
            "Resources": []
        })
    );
}

// IDP-NOTES Everyone: "Deactivated (`active:false`) users stay readable by `GET` and by filters".
#[test]
fn everyone_deactivated_users_still_matched_by_filters() {
    let (deactivated, _) = patch(
        &user(),
        patch_op(json!([{ "op": "replace", "path": "active", "value": false }])),
    );
    let deactivated = deactivated.resource;
    for filter in [
        r#"userName eq "bjensen@example.com""#,
        r#"emails[type eq "work" and value eq "bjensen@example.com"]"#,
        "active eq false",
        r#"id eq "5c3e2a1f-0d9b-4c8a-8e7f-6a5b4c3d2e1f""#,
    ] {
        assert_eq!(
            matching(&USER, filter, &[&deactivated]),
            (vec![USER_ID.to_owned()], vec![]),
            "{filter}"
        );
    }
    assert_eq!(deactivated.to_json(), user_json(json!({ "active": false })));
}

// IDP-NOTES Everyone: "Always return `id`" — also when `attributes=` asks for something else.
#[test]
fn everyone_id_is_always_returned() {
    let mut tolerances = Tolerances::new();
    let projection = Projection::new(&USER, &["userName".to_owned()], &[], &mut tolerances);
    assert_eq!(
        projection.apply(&user().to_json()),
        json!({ "schemas": [USER_URN], "id": USER_ID, "userName": "bjensen@example.com" })
    );
    let excluded = Projection::new(&USER, &[], &["id".to_owned()], &mut tolerances);
    assert_eq!(excluded.apply(&user().to_json())["id"], json!(USER_ID));
    assert_eq!(rules(&tolerances), NONE);
}

// IDP-NOTES Everyone: "Unknown attributes ... appear in the wild".
#[test]
fn everyone_unknown_attributes_are_ignored_and_named() {
    let created = post(
        &USER,
        USER_ID,
        json!({
            "schemas": [USER_URN, ENTERPRISE_URN],
            "userName": "bjensen@example.com",
            "name": { "givenName": "Barbara", "nickname": "Babs" },
            "emails": [{ "value": "bjensen@example.com", "verified": true }],
            "costCenterCode": "4130",
            "urn:ietf:params:scim:schemas:extension:okta:2.0:User": { "login": "bjensen" },
            ENTERPRISE_URN: { "department": "Tours", "badgeNumber": "77" }
        }),
    );
    assert_eq!(
        created.json,
        json!({
            "schemas": [USER_URN, ENTERPRISE_URN],
            "id": USER_ID,
            "userName": "bjensen@example.com",
            "name": { "givenName": "Barbara" },
            "emails": [{ "value": "bjensen@example.com" }],
            ENTERPRISE_URN: { "department": "Tours" }
        })
    );
    assert_eq!(created.rules, ["unknown-attribute-ignored"]);

    // In a path-less PATCH value too; with a path, an unknown attribute is `invalidPath`.
    let (patched, rules) = patch(
        &user(),
        patch_op(
            json!([{ "op": "replace", "value": { "title": "Guide", "costCenterCode": "1" } }]),
        ),
    );
    assert_eq!(
        patched.resource.to_json(),
        user_json(json!({ "title": "Guide" }))
    );
    assert_eq!(rules, ["unknown-attribute-ignored"]);
    let error = patch_error(
        &user(),
        patch_op(json!([{ "op": "replace", "path": "costCenterCode", "value": "1" }])),
    );
    assert_eq!(error.scim_type(), Some("invalidPath"));
}

// IDP-NOTES Everyone: "explicit `null`s ... appear in the wild".
#[test]
fn everyone_explicit_nulls_are_unassigned() {
    let created = post(
        &USER,
        USER_ID,
        json!({
            "schemas": [USER_URN],
            "externalId": null,
            "userName": "bjensen@example.com",
            "name": { "givenName": "Barbara", "middleName": null, "familyName": "Jensen" },
            "nickName": null,
            "emails": [{ "value": "bjensen@example.com", "type": null, "primary": true }],
            "phoneNumbers": null,
            "active": true,
            ENTERPRISE_URN: null
        }),
    );
    assert_eq!(
        created.json,
        json!({
            "schemas": [USER_URN],
            "id": USER_ID,
            "userName": "bjensen@example.com",
            "name": { "givenName": "Barbara", "familyName": "Jensen" },
            "active": true,
            "emails": [{ "value": "bjensen@example.com", "primary": true }]
        })
    );
    // RFC 7643 §2.5: null is unassigned; no tolerance.
    assert_eq!(created.rules, NONE);

    // A PUT with nulls clears what they name.
    let mut existing = user();
    existing.set_meta(&meta(&USER, USER_ID));
    let (replaced, rules) = put(
        &existing,
        json!({
            "schemas": [USER_URN],
            "userName": "bjensen@example.com",
            "name": null,
            "emails": null,
            "active": true
        }),
    );
    let mut expected = json!({
        "schemas": [USER_URN],
        "id": USER_ID,
        "userName": "bjensen@example.com",
        "active": true
    });
    expected["meta"] = existing.to_json()["meta"].clone();
    assert_eq!(replaced.to_json(), expected);
    assert_eq!(rules, NONE);
}

// IDP-NOTES Everyone: "a misspelled schema URN (`urn:ietf:params:scim:schemas:extension:enterprise:2.0User`)".
#[test]
fn everyone_misspelled_enterprise_urn() {
    const MISSPELLED: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0User";
    let created = post(
        &USER,
        USER_ID,
        json!({
            "schemas": [USER_URN, MISSPELLED],
            "userName": "bjensen@example.com",
            MISSPELLED: { "employeeNumber": "701984", "department": "Tours" }
        }),
    );
    assert_eq!(
        created.json,
        json!({
            "schemas": [USER_URN, ENTERPRISE_URN],
            "id": USER_ID,
            "userName": "bjensen@example.com",
            ENTERPRISE_URN: { "employeeNumber": "701984", "department": "Tours" }
        })
    );
    assert_eq!(created.rules, ["misspelled-enterprise-urn"]);

    // In PATCH paths and filters as well.
    let (patched, rules) = patch(
        &created.resource,
        patch_op(json!([
            { "op": "replace", "path": format!("{MISSPELLED}:department"), "value": "Sales" }
        ])),
    );
    assert_eq!(
        patched.resource.to_json(),
        json!({
            "schemas": [USER_URN, ENTERPRISE_URN],
            "id": USER_ID,
            "userName": "bjensen@example.com",
            ENTERPRISE_URN: { "employeeNumber": "701984", "department": "Sales" }
        })
    );
    assert_eq!(rules, ["misspelled-enterprise-urn"]);
    assert_eq!(
        matching(
            &USER,
            &format!(r#"{MISSPELLED}:employeeNumber eq "701984""#),
            &[&created.resource]
        ),
        (vec![USER_ID.to_owned()], vec!["misspelled-enterprise-urn"])
    );
}

// SPEC.md "IdP tolerance": "empty-path PATCHes carrying objects".
#[test]
fn everyone_empty_path_carrying_an_object() {
    let (patched, rules) = patch(
        &user(),
        patch_op(json!([{ "op": "replace", "path": "", "value": { "title": "Guide" } }])),
    );
    assert_eq!(
        patched.resource.to_json(),
        user_json(json!({ "title": "Guide" }))
    );
    assert_eq!(rules, ["empty-path-is-pathless"]);
}
