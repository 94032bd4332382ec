//! Microsoft Entra ID's habits (IDP-NOTES.md, "Microsoft Entra ID"), replayed on the protocol
//! crate with the bodies Entra's provisioning service sends (shapes from Microsoft's "Develop
//! and plan provisioning for a SCIM endpoint" request examples and its SCIM validator): what
//! the resource becomes, and which named tolerances fired.

mod idp_support;

use idp_support::*;
use serde_json::{Value, json};
use workbench_scim::Tolerances;
use workbench_scim::discovery::schemas_list;
use workbench_scim::message::ListQuery;
use workbench_scim::projection::Projection;
use workbench_scim::schema::{GROUP, USER};

const USER_ID: &str = "2819c223-7f76-453a-919d-413861904646";
const MANAGER_ID: &str = "26118915-6090-4610-87e4-49d8ca9f808d";
const MEMBER_ID: &str = "f648f8d5ea4e4cd38e9c";
const OTHER_MEMBER_ID: &str = "b5c2f3a1d9e84e7f9a01";
const GROUP_ID: &str = "40734ae655284ad3abcc";
const MS_GROUP_URN: &str =
    "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";

/// `POST /Users` as Entra sends it.
fn entra_create_body() -> Value {
    json!({
        "schemas": [USER_URN, ENTERPRISE_URN],
        "externalId": "jyoung",
        "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
        "active": true,
        "emails": [{
            "primary": true,
            "type": "work",
            "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"
        }],
        "meta": { "resourceType": "User" },
        "name": {
            "formatted": "givenName familyName",
            "familyName": "familyName",
            "givenName": "givenName"
        },
        "roles": []
    })
}

fn entra_user() -> workbench_scim::Resource {
    stored(&USER, USER_ID, entra_create_body())
}

/// The user as Entra created it, rendered, with `changes` written over it.
fn entra_user_json(changes: Value) -> Value {
    let mut expected = json!({
        "schemas": [USER_URN],
        "id": USER_ID,
        "externalId": "jyoung",
        "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
        "name": {
            "formatted": "givenName familyName",
            "familyName": "familyName",
            "givenName": "givenName"
        },
        "active": true,
        "emails": [{
            "primary": true,
            "type": "work",
            "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"
        }]
    });
    for (key, value) in object(changes) {
        expected[key] = value;
    }
    expected
}

fn patch_op(operations: Value) -> Value {
    json!({ "schemas": [PATCH_OP_URN], "Operations": operations })
}

fn entra_group(members: &[&str]) -> workbench_scim::Resource {
    let members: Vec<Value> = members.iter().map(|m| json!({ "value": m })).collect();
    stored(
        &GROUP,
        GROUP_ID,
        json!({ "schemas": [GROUP_URN], "displayName": "Sales", "members": members }),
    )
}

// IDP-NOTES Entra (create, with `meta.resourceType` and `roles: []` as Entra sends them).
#[test]
fn entra_create_user_with_meta_and_empty_roles() {
    let created = post(&USER, USER_ID, entra_create_body());
    assert_eq!(created.json, entra_user_json(json!({})));
    assert_eq!(
        created.read_only,
        json!({ "meta": { "resourceType": "User" } })
    );
    assert_eq!(created.rules, NONE);
}

// IDP-NOTES Entra: "Ops in PascalCase (`Replace`)"; paths `emails[type eq "work"].value`, `name.familyName`.
#[test]
fn entra_pascal_case_replace_of_work_email_and_family_name() {
    let (patched, rules) = patch(
        &entra_user(),
        patch_op(json!([
            {
                "op": "Replace",
                "path": "emails[type eq \"work\"].value",
                "value": "updatedEmail@microsoft.com"
            },
            { "op": "Replace", "path": "name.familyName", "value": "updatedFamilyName" }
        ])),
    );
    assert_eq!(
        patched.resource.to_json(),
        entra_user_json(json!({
            "name": {
                "formatted": "givenName familyName",
                "familyName": "updatedFamilyName",
                "givenName": "givenName"
            },
            "emails": [{ "primary": true, "type": "work", "value": "updatedEmail@microsoft.com" }]
        }))
    );
    assert_eq!(rules, ["op-name-case"]);
}

// IDP-NOTES Entra: "`active` as `"False"`".
#[test]
fn entra_disable_user_with_active_as_string() {
    let (patched, rules) = patch(
        &entra_user(),
        patch_op(json!([{ "op": "Replace", "path": "active", "value": "False" }])),
    );
    assert_eq!(
        patched.resource.to_json(),
        entra_user_json(json!({ "active": false }))
    );
    assert_eq!(rules, ["boolean-as-string", "op-name-case"]);
}

// IDP-NOTES Entra: "filters use only `eq` and `and`, sometimes with an unquoted value (`externalId eq jyoung`)".
#[test]
fn entra_filters_with_eq_and_and_and_an_unquoted_value() {
    let user = entra_user();
    let other = stored(
        &USER,
        "other",
        json!({ "schemas": [USER_URN], "userName": "someone", "externalId": "jyoung2" }),
    );
    let query = ListQuery::from_query([(
        "filter",
        r#"userName eq "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1""#,
    )])
    .unwrap();
    assert_eq!(
        matching(&USER, query.filter.as_deref().unwrap(), &[&user, &other]),
        (vec![USER_ID.to_owned()], vec![])
    );
    assert_eq!(
        matching(
            &USER,
            r#"externalId eq "jyoung" and userName eq "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1""#,
            &[&user, &other]
        ),
        (vec![USER_ID.to_owned()], vec![])
    );
    assert_eq!(
        matching(&USER, "externalId eq jyoung", &[&user, &other]),
        (vec![USER_ID.to_owned()], vec!["unquoted-filter-value"])
    );
}

// IDP-NOTES Entra: "Paths such as `emails[type eq "work"].value`" — also in Entra's matching query filter.
#[test]
fn entra_filter_on_work_email_value() {
    // Microsoft's SCIM validator and Entra matching on the work email send
    // `filter=emails[type eq "work"].value eq "…"`, which RFC 7644's filter grammar lacks.
    let user = entra_user();
    let other = stored(
        &USER,
        "other",
        json!({
            "schemas": [USER_URN],
            "userName": "someone",
            "emails": [
                { "type": "home", "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com" }
            ]
        }),
    );
    let (ids, rules) = matching(
        &USER,
        r#"emails[type eq "work"].value eq "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com""#,
        &[&user, &other],
    );
    assert_eq!(ids, [USER_ID]);
    assert_eq!(rules, ["sub-attribute-after-value-filter"]);
}

// IDP-NOTES Entra: "enterprise-extension URN paths (`urn:…:enterprise:2.0:User:employeeNumber`)".
#[test]
fn entra_enterprise_extension_urn_paths() {
    let (patched, rules) = patch(
        &entra_user(),
        patch_op(json!([
            {
                "op": "Add",
                "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
                "value": "701984"
            },
            {
                "op": "Replace",
                "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                "value": "Tour Operations"
            }
        ])),
    );
    assert_eq!(
        patched.resource.to_json(),
        entra_user_json(json!({
            "schemas": [USER_URN, ENTERPRISE_URN],
            ENTERPRISE_URN: { "employeeNumber": "701984", "department": "Tour Operations" }
        }))
    );
    assert_eq!(rules, ["op-name-case"]);
}

// IDP-NOTES Entra: "A filtered `add` or `replace` on a multi-valued item that does not exist yet must create it."
#[test]
fn entra_filtered_add_and_replace_create_missing_items() {
    let bare = stored(
        &USER,
        USER_ID,
        json!({ "schemas": [USER_URN], "userName": "Test_User_ab6490ee" }),
    );
    let (patched, rules) = patch(
        &bare,
        patch_op(json!([
            { "op": "Add", "path": "emails[type eq \"work\"].value", "value": "jy@contoso.com" },
            { "op": "Replace", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555 0100" },
            { "op": "Add", "path": "addresses[type eq \"work\"].streetAddress", "value": "1 Microsoft Way" },
            { "op": "Add", "path": "addresses[type eq \"work\"].locality", "value": "Redmond" }
        ])),
    );
    assert_eq!(
        patched.resource.to_json(),
        json!({
            "schemas": [USER_URN],
            "id": USER_ID,
            "userName": "Test_User_ab6490ee",
            "emails": [{ "type": "work", "value": "jy@contoso.com" }],
            "phoneNumbers": [{ "type": "mobile", "value": "+1 555 0100" }],
            "addresses": [{ "type": "work", "streetAddress": "1 Microsoft Way", "locality": "Redmond" }]
        })
    );
    assert_eq!(rules, ["filtered-path-creates-item", "op-name-case"]);
}

// IDP-NOTES Entra: "Paths such as `emails[type eq "work"].value`" — an `Add` on an existing work email.
#[test]
fn entra_filtered_add_on_an_existing_item_updates_it() {
    // Entra sends `Add` (not `Replace`) for a changed work email: the item is written, not
    // duplicated, and nothing is created.
    let (patched, rules) = patch(
        &entra_user(),
        patch_op(json!([
            { "op": "Add", "path": "emails[type eq \"work\"].value", "value": "changed@contoso.com" }
        ])),
    );
    assert_eq!(
        patched.resource.to_json(),
        entra_user_json(json!({
            "emails": [{ "primary": true, "type": "work", "value": "changed@contoso.com" }]
        }))
    );
    assert_eq!(rules, ["op-name-case"]);
}

// IDP-NOTES Entra: "`manager` arrives as `[{ "value": id, "$ref": … }]`".
#[test]
fn entra_manager_as_one_item_array_with_ref() {
    let (patched, rules) = patch(
        &entra_user(),
        patch_op(json!([{
            "op": "Add",
            "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            "value": [{
                "value": MANAGER_ID,
                "$ref": format!("https://workbench.example/api/scim/Users/{MANAGER_ID}")
            }]
        }])),
    );
    assert_eq!(
        patched.resource.to_json(),
        entra_user_json(json!({
            "schemas": [USER_URN, ENTERPRISE_URN],
            ENTERPRISE_URN: {
                "manager": {
                    "value": MANAGER_ID,
                    "$ref": format!("https://workbench.example/api/scim/Users/{MANAGER_ID}")
                }
            }
        }))
    );
    assert_eq!(rules, ["array-for-singular-complex", "op-name-case"]);
}

// IDP-NOTES Entra: "`manager` arrives ... or as a plain string".
#[test]
fn entra_manager_as_plain_string() {
    let (patched, rules) = patch(
        &entra_user(),
        patch_op(json!([{
            "op": "Replace",
            "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            "value": MANAGER_ID
        }])),
    );
    assert_eq!(
        patched.resource.to_json(),
        entra_user_json(json!({
            "schemas": [USER_URN, ENTERPRISE_URN],
            ENTERPRISE_URN: { "manager": { "value": MANAGER_ID } }
        }))
    );
    assert_eq!(rules, ["op-name-case", "scalar-for-complex"]);
}

fn user_with_manager() -> workbench_scim::Resource {
    let mut body = entra_create_body();
    body[ENTERPRISE_URN] = json!({ "department": "Sales", "manager": { "value": MANAGER_ID } });
    stored(&USER, USER_ID, body)
}

// IDP-NOTES Entra: "removed with `manager[value eq "id"]`".
#[test]
fn entra_manager_removed_with_a_value_filter() {
    let (patched, rules) = patch(
        &user_with_manager(),
        patch_op(json!([{
            "op": "Remove",
            "path": format!(
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager[value eq \"{MANAGER_ID}\"]"
            )
        }])),
    );
    assert_eq!(
        patched.resource.to_json(),
        entra_user_json(json!({
            "schemas": [USER_URN, ENTERPRISE_URN],
            ENTERPRISE_URN: { "department": "Sales" }
        }))
    );
    assert_eq!(rules, ["filter-on-singular-complex", "op-name-case"]);

    // A filter naming another manager removes nothing.
    let (untouched, _) = patch(
        &user_with_manager(),
        patch_op(json!([{
            "op": "Remove",
            "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager[value eq \"someone-else\"]"
        }])),
    );
    assert!(!untouched.changed);
}

// IDP-NOTES Entra: "removed ... or a `Replace` with an empty value".
#[test]
fn entra_manager_removed_with_replace_to_empty_string() {
    let (patched, rules) = patch(
        &user_with_manager(),
        patch_op(json!([{
            "op": "Replace",
            "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            "value": ""
        }])),
    );
    assert_eq!(
        patched.resource.to_json(),
        entra_user_json(json!({
            "schemas": [USER_URN, ENTERPRISE_URN],
            ENTERPRISE_URN: { "department": "Sales" }
        }))
    );
    assert_eq!(rules, ["empty-value-clears", "op-name-case"]);
}

// IDP-NOTES Entra: "Groups: created empty (with an extra Microsoft schema URN)".
#[test]
fn entra_group_created_empty_with_the_microsoft_schema_urn() {
    let created = post(
        &GROUP,
        GROUP_ID,
        json!({
            "schemas": [GROUP_URN, MS_GROUP_URN],
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
            "displayName": "displayName",
            "meta": { "resourceType": "Group" }
        }),
    );
    assert_eq!(
        created.json,
        json!({
            "schemas": [GROUP_URN],
            "id": GROUP_ID,
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
            "displayName": "displayName"
        })
    );
    assert_eq!(
        created.read_only,
        json!({ "meta": { "resourceType": "Group" } })
    );
    assert_eq!(created.rules, ["vendor-schema-urn-ignored"]);
}

// IDP-NOTES Entra: "read with `excludedAttributes=members`".
#[test]
fn entra_group_read_with_excluded_members() {
    let group = entra_group(&[MEMBER_ID, OTHER_MEMBER_ID]);
    let query = ListQuery::from_query([("excludedAttributes", "members")]).unwrap();
    let mut tolerances = Tolerances::new();
    let projection = Projection::new(
        &GROUP,
        &query.attributes,
        &query.excluded_attributes,
        &mut tolerances,
    );
    assert!(!projection.includes("members"));
    assert_eq!(
        projection.apply(&group.to_json()),
        json!({ "schemas": [GROUP_URN], "id": GROUP_ID, "displayName": "Sales" })
    );
    assert_eq!(rules(&tolerances), NONE);
}

// IDP-NOTES Entra: "membership check `GET /Groups?excludedAttributes=members&filter=id eq "g" and members[value eq "u"]`".
#[test]
fn entra_membership_check_filter() {
    let with_member = entra_group(&[MEMBER_ID, OTHER_MEMBER_ID]);
    let without_member = entra_group(&[OTHER_MEMBER_ID]);
    let filter = format!(r#"id eq "{GROUP_ID}" and members[value eq "{MEMBER_ID}"]"#);
    assert_eq!(
        matching(&GROUP, &filter, &[&with_member]),
        (vec![GROUP_ID.to_owned()], vec![])
    );
    assert_eq!(
        matching(&GROUP, &filter, &[&without_member]),
        (vec![], vec![])
    );
}

// IDP-NOTES Entra: "members added/removed with value arrays".
#[test]
fn entra_members_added_and_removed_with_value_arrays() {
    let group = entra_group(&[]);
    let (added, rules) = patch(
        &group,
        patch_op(json!([{
            "op": "Add",
            "path": "members",
            "value": [
                { "$ref": null, "value": MEMBER_ID },
                { "$ref": null, "value": OTHER_MEMBER_ID }
            ]
        }])),
    );
    assert_eq!(
        added.resource.to_json(),
        json!({
            "schemas": [GROUP_URN],
            "id": GROUP_ID,
            "displayName": "Sales",
            "members": [{ "value": MEMBER_ID }, { "value": OTHER_MEMBER_ID }]
        })
    );
    assert_eq!(rules, ["op-name-case"]);

    let (removed, rules) = patch(
        &added.resource,
        patch_op(json!([{
            "op": "Remove",
            "path": "members",
            "value": [{ "$ref": null, "value": MEMBER_ID }]
        }])),
    );
    assert_eq!(
        removed.resource.to_json(),
        json!({
            "schemas": [GROUP_URN],
            "id": GROUP_ID,
            "displayName": "Sales",
            "members": [{ "value": OTHER_MEMBER_ID }]
        })
    );
    assert_eq!(rules, ["op-name-case", "remove-by-value-array"]);
}

// IDP-NOTES Entra: "a "null update" (a PATCH setting an attribute to `""` or `null`) to clear the attribute".
#[test]
fn entra_null_update_clears_the_attribute() {
    let mut body = entra_create_body();
    body["title"] = json!("Tour Guide");
    body[ENTERPRISE_URN] = json!({ "department": "Sales", "costCenter": "4130" });
    let user = stored(&USER, USER_ID, body);
    let (patched, rules) = patch(
        &user,
        patch_op(json!([
            { "op": "Replace", "path": "title", "value": "" },
            {
                "op": "Replace",
                "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                "value": null
            },
            { "op": "Replace", "path": "name.givenName", "value": "" }
        ])),
    );
    assert_eq!(
        patched.resource.to_json(),
        entra_user_json(json!({
            "schemas": [USER_URN, ENTERPRISE_URN],
            "name": { "formatted": "givenName familyName", "familyName": "familyName" },
            ENTERPRISE_URN: { "costCenter": "4130" }
        }))
    );
    assert_eq!(rules, ["empty-value-clears", "op-name-case"]);
}

// IDP-NOTES Entra: a "null update" of a filtered sub-attribute removes the record: clearing the
// work phone's number means the user has no work phone, not a work phone without a number.
#[test]
fn entra_null_update_of_a_filtered_value_removes_the_record() {
    let mut body = entra_create_body();
    body["phoneNumbers"] = json!([
        { "type": "work", "value": "+1 425 555 0100" },
        { "type": "mobile", "value": "+1 425 555 0199" }
    ]);
    let user = stored(&USER, USER_ID, body);
    let (patched, rules) = patch(
        &user,
        patch_op(json!([
            { "op": "Replace", "path": "phoneNumbers[type eq \"work\"].value", "value": "" },
            { "op": "Remove", "path": "emails[type eq \"work\"].value" }
        ])),
    );
    let mut expected = entra_user_json(json!({
        "phoneNumbers": [{ "type": "mobile", "value": "+1 425 555 0199" }]
    }));
    expected.as_object_mut().unwrap().remove("emails");
    assert_eq!(patched.resource.to_json(), expected);
    assert_eq!(rules, ["empty-value-clears", "op-name-case"]);
}

// IDP-NOTES Entra: "`/Schemas` as a ListResponse without nulls".
#[test]
fn entra_schemas_list_is_a_list_response_without_nulls() {
    fn nulls(value: &Value, at: &str, found: &mut Vec<String>) {
        match value {
            Value::Null => found.push(at.to_owned()),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    nulls(item, &format!("{at}[{i}]"), found);
                }
            }
            Value::Object(object) => {
                for (key, item) in object {
                    nulls(item, &format!("{at}.{key}"), found);
                }
            }
            _ => {}
        }
    }
    let list = serde_json::to_value(schemas_list("https://workbench.example/api/scim")).unwrap();
    let mut found = Vec::new();
    nulls(&list, "$", &mut found);
    assert_eq!(found, Vec::<String>::new());
    assert_eq!(list["schemas"], json!([LIST_RESPONSE_URN]));
    assert_eq!(
        (
            &list["totalResults"],
            &list["startIndex"],
            &list["itemsPerPage"]
        ),
        (&json!(3), &json!(1), &json!(3))
    );
    let ids: Vec<&Value> = list["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["id"])
        .collect();
    assert_eq!(ids, [USER_URN, ENTERPRISE_URN, GROUP_URN]);
}
