//! Resource validation and rendering (RFC 7643), PUT semantics, projections, list query
//! parameters and the discovery documents, as tables: each row a body or parameter and the
//! exact resource, error or document it gives.

#![allow(clippy::unwrap_used)]

use serde_json::{Map, Value, json};
use workbench_scim::datetime::DateTime;
use workbench_scim::discovery::{
    AuthenticationScheme, BulkLimits, ServiceProviderConfig, resource_types_list, schema_by_id,
    schemas_list,
};
use workbench_scim::message::{ListQuery, SortOrder};
use workbench_scim::projection::Projection;
use workbench_scim::resource::{self, Meta, Parsed};
use workbench_scim::schema::{
    AttrType, Attribute, ENTERPRISE_USER_SCHEMA, GROUP, GROUP_SCHEMA, ResourceType, Returned,
    Schema, USER, USER_SCHEMA,
};
use workbench_scim::{Resource, ScimError, Tolerances};

const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const DEVICE_URN: &str = "urn:example:params:scim:schemas:core:2.0:Device";
const BASE: &str = "https://workbench.example/api/scim";

/// A resource type with one attribute of every data type, an immutable attribute and a
/// `returned: request` one: the built-in schemas have no writable integer, decimal or dateTime.
static DEVICE_SCHEMA: Schema = Schema {
    id: DEVICE_URN,
    name: "Device",
    description: "A device, for tests",
    attributes: &[
        Attribute::string("serial").required(),
        Attribute::boolean("managed"),
        Attribute::new("ports", AttrType::Integer),
        Attribute::new("weight", AttrType::Decimal),
        Attribute::date_time("purchased"),
        Attribute::binary("certificate"),
        Attribute::reference("homepage", &["external"]),
        Attribute::complex(
            "location",
            &[
                Attribute::string("building"),
                Attribute::new("floor", AttrType::Integer),
            ],
        ),
        Attribute::string("assetTag").immutable(),
        Attribute::string("notes").returned(Returned::Request),
    ],
};

static DEVICE: ResourceType = ResourceType {
    id: "Device",
    name: "Device",
    endpoint: "/Devices",
    description: "Device",
    schema: &DEVICE_SCHEMA,
    extensions: &[],
};

fn parse(rtype: &'static ResourceType, body: Value) -> (Result<Parsed, ScimError>, Vec<String>) {
    let mut tolerances = Tolerances::new();
    let parsed = resource::parse(rtype, body, &mut tolerances);
    let mut rules: Vec<String> = tolerances
        .applied()
        .iter()
        .map(|a| a.rule.name().to_owned())
        .collect();
    rules.sort();
    rules.dedup();
    (parsed, rules)
}

fn rendered(rtype: &'static ResourceType, body: Value) -> Value {
    match parse(rtype, body) {
        (Ok(parsed), _) => parsed.resource.to_json(),
        (Err(e), _) => panic!("refused: {e:?}"),
    }
}

fn error(rtype: &'static ResourceType, body: Value) -> ScimError {
    match parse(rtype, body) {
        (Ok(parsed), _) => panic!("accepted: {}", parsed.resource.to_json()),
        (Err(e), _) => e,
    }
}

fn invalid_value(detail: &str) -> ScimError {
    ScimError::InvalidValue(detail.to_owned())
}

/// A Device body: `serial` plus `attr: value`.
fn device(attr: &str, value: Value) -> Value {
    let mut body = json!({ "schemas": [DEVICE_URN], "serial": "SN-1" });
    body[attr] = value;
    body
}

#[test]
fn every_data_type_accepts_its_values() {
    let cases: Vec<(&str, Value, Value, Vec<&str>)> = vec![
        ("serial", json!("SN-2"), json!("SN-2"), vec![]),
        ("managed", json!(true), json!(true), vec![]),
        (
            "managed",
            json!("FALSE"),
            json!(false),
            vec!["boolean-as-string"],
        ),
        ("ports", json!(8), json!(8), vec![]),
        ("ports", json!(-3), json!(-3), vec![]),
        ("weight", json!(1.5), json!(1.5), vec![]),
        ("weight", json!(2), json!(2), vec![]),
        (
            "purchased",
            json!("2011-05-13T04:42:34Z"),
            json!("2011-05-13T04:42:34Z"),
            vec![],
        ),
        (
            "purchased",
            json!("2011-05-13T04:42:34.120+02:00"),
            json!("2011-05-13T04:42:34.120+02:00"),
            vec![],
        ),
        (
            "certificate",
            json!("TUlJREVEQ0NBaTJn"),
            json!("TUlJREVEQ0NBaTJn"),
            vec![],
        ),
        (
            "certificate",
            json!("TUlJ-REVE_Q0N="),
            json!("TUlJ-REVE_Q0N="),
            vec![],
        ),
        (
            "homepage",
            json!("https://example.com/devices/1"),
            json!("https://example.com/devices/1"),
            vec![],
        ),
        (
            "location",
            json!({ "Building": "B7", "floor": 3 }),
            json!({ "building": "B7", "floor": 3 }),
            vec![],
        ),
        (
            "location",
            json!([{ "building": "B7" }]),
            json!({ "building": "B7" }),
            vec!["array-for-singular-complex"],
        ),
    ];
    for (attr, value, canonical, expected_rules) in cases {
        let (parsed, rules) = parse(&DEVICE, device(attr, value.clone()));
        let json = parsed
            .unwrap_or_else(|e| panic!("{attr}: {value} refused: {e:?}"))
            .resource
            .to_json();
        let mut expected = json!({ "schemas": [DEVICE_URN], "serial": "SN-1" });
        expected[attr] = canonical;
        assert_eq!(json, expected, "{attr}: {value}");
        assert_eq!(rules, expected_rules, "{attr}: {value}");
    }
}

#[test]
fn every_data_type_refuses_other_values_with_an_exact_message() {
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "serial",
            json!(42),
            "'serial' must be a string, not a number",
        ),
        (
            "serial",
            json!(true),
            "'serial' must be a string, not a boolean",
        ),
        (
            "serial",
            json!({ "value": "x" }),
            "'serial' must be a string, not an object",
        ),
        (
            "serial",
            json!(["SN-1", "SN-2"]),
            "'serial' is single-valued; expected one value, not an array",
        ),
        (
            "managed",
            json!("yes"),
            "'managed' must be true or false, not \"yes\"",
        ),
        (
            "managed",
            json!(1),
            "'managed' must be a boolean, not a number",
        ),
        (
            "ports",
            json!("8"),
            "'ports' must be an integer, not a string",
        ),
        (
            "ports",
            json!(8.5),
            "'ports' must be an integer, not a number",
        ),
        (
            "ports",
            json!(18_446_744_073_709_551_615_u64),
            "'ports' is out of the 64-bit integer range",
        ),
        (
            "weight",
            json!("1.5"),
            "'weight' must be a number, not a string",
        ),
        (
            "weight",
            json!(false),
            "'weight' must be a number, not a boolean",
        ),
        (
            "purchased",
            json!("2011-05-13"),
            "'purchased' must be a date-time such as \"2011-05-13T04:42:34Z\", not \"2011-05-13\"",
        ),
        (
            "purchased",
            json!("2011-02-30T04:42:34Z"),
            "'purchased' must be a date-time such as \"2011-05-13T04:42:34Z\", not \"2011-02-30T04:42:34Z\"",
        ),
        (
            "purchased",
            json!(1_305_261_754),
            "'purchased' must be a string, not a number",
        ),
        (
            "certificate",
            json!("not base64!"),
            "'certificate' must be base64-encoded binary",
        ),
        (
            "certificate",
            json!("QUJD===="),
            "'certificate' must be base64-encoded binary",
        ),
        (
            "homepage",
            json!(7),
            "'homepage' must be a string, not a number",
        ),
        (
            "location",
            json!("B7"),
            "'location' must be an object, not a string",
        ),
        (
            "location",
            json!({ "floor": "3" }),
            "'location.floor' must be an integer, not a string",
        ),
        (
            "location",
            json!([{ "floor": 1 }, { "floor": 2 }]),
            "'location' is single-valued; expected one value, not an array",
        ),
    ];
    for (attr, value, detail) in cases {
        assert_eq!(
            error(&DEVICE, device(attr, value.clone())),
            invalid_value(detail),
            "{attr}: {value}"
        );
    }
}

#[test]
fn user_and_group_attributes_refuse_wrong_types_with_an_exact_message() {
    let cases: Vec<(&'static ResourceType, Value, String)> = vec![
        (
            &USER,
            json!({ "userName": 5 }),
            "'userName' must be a string, not a number".into(),
        ),
        (
            &USER,
            json!({ "userName": "b", "active": "yes" }),
            "'active' must be true or false, not \"yes\"".into(),
        ),
        (
            &USER,
            json!({ "userName": "b", "name": "Barbara Jensen" }),
            "'name' must be an object, not a string".into(),
        ),
        (
            &USER,
            json!({ "userName": "b", "emails": [{ "value": 5 }] }),
            "'emails[0].value' must be a string, not a number".into(),
        ),
        (
            &USER,
            json!({ "userName": "b", "emails": [{ "value": "a@x", "primary": "maybe" }] }),
            "'emails[0].primary' must be true or false, not \"maybe\"".into(),
        ),
        (
            &USER,
            json!({ "userName": "b", "emails": [
                { "value": "a@x", "primary": true },
                { "value": "b@x", "primary": true }
            ] }),
            "'emails' has 2 values marked primary; at most one may be".into(),
        ),
        (
            &USER,
            json!({ "userName": "b", "x509Certificates": [{ "value": "%%%" }] }),
            "'x509Certificates[0].value' must be base64-encoded binary".into(),
        ),
        (
            &USER,
            json!({ "userName": "b", "profileUrl": ["https://x"] }),
            "'profileUrl' is single-valued; expected one value, not an array".into(),
        ),
        (
            &USER,
            json!({ "userName": "b", "emails.value": "a@x" }),
            "'emails.value' names a sub-attribute of the multi-valued 'emails'; send 'emails' as a list".into(),
        ),
        (
            &USER,
            json!({ "userName": "b", ENTERPRISE_URN: "Sales" }),
            format!("'{ENTERPRISE_URN}' must be an object of extension attributes, not a string"),
        ),
        (
            &USER,
            json!({ "userName": "b", ENTERPRISE_URN: { "employeeNumber": 701_984 } }),
            format!("'{ENTERPRISE_URN}:employeeNumber' must be a string, not a number"),
        ),
        (
            &GROUP,
            json!({ "displayName": "Sales", "members": [{ "value": 7 }] }),
            "'members[0].value' must be a string, not a number".into(),
        ),
    ];
    for (rtype, body, detail) in cases {
        assert_eq!(error(rtype, body.clone()), invalid_value(&detail), "{body}");
    }
    assert_eq!(
        error(&USER, json!(["not", "an", "object"])),
        ScimError::InvalidSyntax("a User must be a JSON object".into())
    );
}

#[test]
fn required_attributes_missing_or_empty() {
    let cases: Vec<(&'static ResourceType, Value, &str)> = vec![
        (
            &USER,
            json!({ "schemas": [USER_URN] }),
            "'userName' is required",
        ),
        (
            &USER,
            json!({ "schemas": [USER_URN], "userName": null }),
            "'userName' is required",
        ),
        (
            &USER,
            json!({ "schemas": [USER_URN], "userName": "" }),
            "'userName' must not be empty",
        ),
        (
            &USER,
            json!({ "schemas": [USER_URN], "userName": " \t " }),
            "'userName' must not be empty",
        ),
        (
            &GROUP,
            json!({ "schemas": [GROUP_URN], "members": [] }),
            "'displayName' is required",
        ),
        (
            &GROUP,
            json!({ "schemas": [GROUP_URN], "displayName": "" }),
            "'displayName' must not be empty",
        ),
    ];
    for (rtype, body, detail) in cases {
        assert_eq!(error(rtype, body.clone()), invalid_value(detail), "{body}");
    }
}

#[test]
fn read_only_attributes_are_ignored_but_reported() {
    let (parsed, rules) = parse(
        &USER,
        json!({
            "schemas": [USER_URN],
            "id": "client-chosen-id",
            "userName": "bjensen",
            "meta": { "resourceType": "User", "created": "2011-08-01T18:29:49.793Z" },
            "groups": [{ "value": "g1", "display": "Sales" }],
            "name": { "givenName": "Barbara" }
        }),
    );
    let parsed = parsed.unwrap();
    assert_eq!(
        parsed.resource.to_json(),
        json!({ "schemas": [USER_URN], "userName": "bjensen", "name": { "givenName": "Barbara" } })
    );
    assert_eq!(
        Value::Object(parsed.read_only),
        json!({
            "id": "client-chosen-id",
            "meta": { "resourceType": "User", "created": "2011-08-01T18:29:49.793Z" },
            "groups": [{ "value": "g1", "display": "Sales" }]
        })
    );
    // RFC 7643 §7 ignores them: no tolerance.
    assert_eq!(rules, Vec::<String>::new());

    // Given under full names, they are reported under their canonical names.
    let (parsed, rules) = parse(
        &USER,
        json!({
            "userName": "bjensen",
            "urn:ietf:params:scim:schemas:core:2.0:User:groups": [{ "value": "g1" }],
            "META.created": "2011-08-01T18:29:49.793Z",
            "urn:ietf:params:scim:schemas:core:2.0:User:Name.GivenName": "Barbara"
        }),
    );
    let parsed = parsed.unwrap();
    assert_eq!(
        Value::Object(parsed.read_only),
        json!({ "groups": [{ "value": "g1" }], "meta.created": "2011-08-01T18:29:49.793Z" })
    );
    assert_eq!(
        parsed.resource.to_json(),
        json!({ "schemas": [USER_URN], "userName": "bjensen", "name": { "givenName": "Barbara" } })
    );
    assert_eq!(
        rules,
        [
            "dotted-key-in-value",
            "schemas-missing",
            "urn-qualified-key"
        ]
    );
}

#[test]
fn schemas_must_be_known_and_include_the_core_urn() {
    let cases: Vec<(&'static ResourceType, Value, ScimError)> = vec![
        (
            &USER,
            json!({ "schemas": [USER_URN, "urn:example:custom:2.0:User"], "userName": "b" }),
            invalid_value(&format!(
                "unknown schema 'urn:example:custom:2.0:User' in 'schemas'; a User accepts {USER_URN} and {ENTERPRISE_URN}"
            )),
        ),
        (
            &GROUP,
            json!({ "schemas": [USER_URN], "displayName": "Sales" }),
            invalid_value(&format!(
                "unknown schema '{USER_URN}' in 'schemas'; a Group accepts {GROUP_URN}"
            )),
        ),
        (
            &USER,
            json!({ "schemas": [ENTERPRISE_URN], "userName": "b" }),
            invalid_value(&format!("'schemas' must include {USER_URN}")),
        ),
        (
            &USER,
            json!({ "schemas": [], "userName": "b" }),
            invalid_value(&format!("'schemas' must include {USER_URN}")),
        ),
        (
            &USER,
            json!({ "schemas": USER_URN, "userName": "b" }),
            invalid_value("'schemas' must be an array of schema URNs"),
        ),
        (
            &USER,
            json!({ "schemas": [USER_URN, 7], "userName": "b" }),
            invalid_value("'schemas' must be an array of schema URNs"),
        ),
    ];
    for (rtype, body, expected) in cases {
        assert_eq!(error(rtype, body.clone()), expected, "{body}");
    }
    // URNs compare without regard to case (RFC 8141 §3).
    assert_eq!(
        rendered(
            &USER,
            json!({ "schemas": [USER_URN.to_uppercase()], "userName": "b" })
        ),
        json!({ "schemas": [USER_URN], "userName": "b" })
    );
}

#[test]
fn attribute_names_are_case_insensitive_at_every_level() {
    let (parsed, rules) = parse(
        &USER,
        json!({
            "SCHEMAS": [USER_URN, ENTERPRISE_URN],
            "USERNAME": "bjensen",
            "Name": { "GivenName": "Barbara", "FAMILYNAME": "Jensen" },
            "Emails": [{ "Value": "bjensen@example.com", "TYPE": "work", "Primary": true }],
            "EXTERNALID": "701984",
            ENTERPRISE_URN.to_uppercase(): { "EmployeeNumber": "701984", "MANAGER": { "VALUE": "m1" } }
        }),
    );
    assert_eq!(
        parsed.unwrap().resource.to_json(),
        json!({
            "schemas": [USER_URN, ENTERPRISE_URN],
            "externalId": "701984",
            "userName": "bjensen",
            "name": { "givenName": "Barbara", "familyName": "Jensen" },
            "emails": [{ "value": "bjensen@example.com", "type": "work", "primary": true }],
            ENTERPRISE_URN: { "employeeNumber": "701984", "manager": { "value": "m1" } }
        })
    );
    assert_eq!(rules, Vec::<String>::new());
}

#[test]
fn the_same_attribute_given_twice() {
    let cases: Vec<(Value, String)> = vec![
        (
            json!({ "userName": "a", "USERNAME": "b" }),
            "'userName' is given twice".into(),
        ),
        (
            json!({ "userName": "a", "emails": [], "Emails": [{ "value": "x@y" }], "EMAILS": [{ "value": "z@y" }] }),
            "'emails' is given twice".into(),
        ),
        (
            json!({ "userName": "a", "name": { "givenName": "A", "GIVENNAME": "B" } }),
            "'name.givenName' is given twice".into(),
        ),
        (
            json!({ "userName": "a", "name": { "givenName": "A" }, "name.givenName": "B" }),
            "'name.givenName' is given twice".into(),
        ),
        (
            json!({
                "userName": "a",
                ENTERPRISE_URN: { "department": "Sales" },
                format!("{ENTERPRISE_URN}:department"): "Tours"
            }),
            format!("'{ENTERPRISE_URN}:department' is given twice"),
        ),
    ];
    for (body, detail) in cases {
        assert_eq!(error(&USER, body.clone()), invalid_value(&detail), "{body}");
    }
    // A value and a sub-attribute of the same complex attribute merge.
    assert_eq!(
        rendered(
            &USER,
            json!({ "userName": "a", "name": { "givenName": "A" }, "name.familyName": "B" })
        ),
        json!({ "schemas": [USER_URN], "userName": "a", "name": { "givenName": "A", "familyName": "B" } })
    );
}

#[test]
fn extension_attributes_live_under_their_urn() {
    let body = json!({
        "schemas": [USER_URN, ENTERPRISE_URN],
        "userName": "bjensen",
        ENTERPRISE_URN: {
            "employeeNumber": "701984",
            "manager": { "value": "m1", "$ref": "../Users/m1", "displayName": "ignored" }
        }
    });
    let parsed = resource::parse(&USER, body, &mut Tolerances::new()).unwrap();
    let user = parsed.resource;
    assert_eq!(
        user.extension_attr(&ENTERPRISE_USER_SCHEMA, "employeeNumber"),
        Some(&json!("701984"))
    );
    assert_eq!(user.get("employeeNumber"), None);
    assert_eq!(
        user.to_json(),
        json!({
            "schemas": [USER_URN, ENTERPRISE_URN],
            "userName": "bjensen",
            ENTERPRISE_URN: {
                "employeeNumber": "701984",
                "manager": { "value": "m1", "$ref": "../Users/m1" }
            }
        })
    );
    // An extension whose attributes are all unassigned is left out, and so is its URN.
    assert_eq!(
        rendered(
            &USER,
            json!({
                "schemas": [USER_URN, ENTERPRISE_URN],
                "userName": "bjensen",
                ENTERPRISE_URN: { "employeeNumber": null, "manager": {} }
            })
        ),
        json!({ "schemas": [USER_URN], "userName": "bjensen" })
    );
}

#[test]
fn schemas_name_only_extensions_that_are_rendered() {
    let stored = |attrs: Value| {
        let Value::Object(attrs) = attrs else {
            unreachable!()
        };
        Resource::from_canonical(&USER, attrs).to_json()
    };
    assert_eq!(
        stored(json!({ "userName": "b", ENTERPRISE_URN: {} })),
        json!({ "schemas": [USER_URN], "userName": "b" })
    );
    assert_eq!(
        stored(json!({ "schemas": ["x"], "userName": "b", ENTERPRISE_URN: { "division": "D" } })),
        json!({ "schemas": [USER_URN, ENTERPRISE_URN], "userName": "b", ENTERPRISE_URN: { "division": "D" } })
    );
}

#[test]
fn password_is_stored_but_never_rendered() {
    let (parsed, _) = parse(
        &USER,
        json!({ "schemas": [USER_URN], "userName": "bjensen", "password": "t1meMa$heen" }),
    );
    let user = parsed.unwrap().resource;
    assert_eq!(user.get_str("password"), Some("t1meMa$heen"));
    assert_eq!(
        user.to_json(),
        json!({ "schemas": [USER_URN], "userName": "bjensen" })
    );
    let asked = Projection::new(&USER, &["password".to_owned()], &[], &mut Tolerances::new());
    assert_eq!(
        asked.apply(&user.to_json()),
        json!({ "schemas": [USER_URN] })
    );
}

#[test]
fn rendering_order_is_schemas_id_external_id_core_extensions_meta() {
    let (parsed, _) = parse(
        &USER,
        json!({
            ENTERPRISE_URN: { "department": "Tours" },
            "emails": [{ "value": "b@x" }],
            "active": true,
            "userName": "bjensen",
            "externalId": "e1",
            "schemas": [ENTERPRISE_URN, USER_URN],
            "displayName": "Babs"
        }),
    );
    let mut user = parsed.unwrap().resource;
    user.set_meta(&Meta {
        created: DateTime::from_unix(1_700_000_000, 0),
        last_modified: DateTime::from_unix(1_700_000_000, 120_000_000),
        location: format!("{BASE}/Users/u1"),
        version: "W/\"3\"".to_owned(),
    });
    user.set_id("u1");
    assert_eq!(
        serde_json::to_string(&user.to_json()).unwrap(),
        format!(
            concat!(
                r#"{{"schemas":["{user}","{ent}"],"id":"u1","externalId":"e1","userName":"bjensen","#,
                r#""displayName":"Babs","active":true,"emails":[{{"value":"b@x"}}],"#,
                r#""{ent}":{{"department":"Tours"}},"meta":{{"resourceType":"User","#,
                r#""created":"2023-11-14T22:13:20Z","lastModified":"2023-11-14T22:13:20.120Z","#,
                r#""location":"{base}/Users/u1","version":"W/\"3\""}}}}"#
            ),
            user = USER_URN,
            ent = ENTERPRISE_URN,
            base = BASE
        )
    );
}

/// A stored user with everything PUT must keep or clear.
fn stored_user() -> Resource {
    let mut user = resource::parse(
        &USER,
        json!({
            "schemas": [USER_URN, ENTERPRISE_URN],
            "externalId": "e1",
            "userName": "bjensen",
            "title": "Tour Guide",
            "password": "old-secret",
            "emails": [{ "value": "b@x", "type": "work" }],
            ENTERPRISE_URN: { "department": "Tours" }
        }),
        &mut Tolerances::new(),
    )
    .unwrap()
    .resource;
    user.set_id("u1");
    user.set_derived(
        "groups",
        Some(json!([{ "value": "g1", "display": "Sales" }])),
    );
    user.set_meta(&Meta {
        created: DateTime::from_unix(1_700_000_000, 0),
        last_modified: DateTime::from_unix(1_700_000_000, 0),
        location: format!("{BASE}/Users/u1"),
        version: "W/\"1\"".to_owned(),
    });
    user
}

fn put(existing: &Resource, body: Value) -> Result<Resource, ScimError> {
    let parsed = resource::parse(existing.resource_type(), body, &mut Tolerances::new())?;
    resource::replace(existing, parsed)
}

#[test]
fn put_replaces_everything_but_read_only_and_absent_write_only_attributes() {
    let existing = stored_user();
    let replaced = put(
        &existing,
        json!({
            "schemas": [USER_URN],
            "id": "another-id",
            "meta": { "resourceType": "User", "version": "W/\"99\"" },
            "groups": [],
            "userName": "bjensen",
            "displayName": "Babs Jensen"
        }),
    )
    .unwrap();
    let mut expected = json!({
        "schemas": [USER_URN],
        "id": "u1",
        "userName": "bjensen",
        "displayName": "Babs Jensen",
        "groups": [{ "value": "g1", "display": "Sales" }]
    });
    expected["meta"] = existing.to_json()["meta"].clone();
    assert_eq!(replaced.to_json(), expected);
    assert_eq!(replaced.get_str("password"), Some("old-secret"));

    let with_password = put(
        &existing,
        json!({ "schemas": [USER_URN], "userName": "bjensen", "password": "new-secret" }),
    )
    .unwrap();
    assert_eq!(with_password.get_str("password"), Some("new-secret"));
}

#[test]
fn put_keeps_an_immutable_value_and_refuses_to_change_it() {
    let mut existing = resource::parse(
        &DEVICE,
        json!({ "serial": "SN-1", "assetTag": "A-7", "notes": "rack 4" }),
        &mut Tolerances::new(),
    )
    .unwrap()
    .resource;
    existing.set_id("d1");
    assert_eq!(
        put(&existing, json!({ "serial": "SN-1", "assetTag": "A-8" })),
        Err(ScimError::Mutability(
            "'assetTag' is immutable and already has a value".into()
        ))
    );
    assert_eq!(
        put(&existing, json!({ "serial": "SN-2", "assetTag": "A-7" }))
            .unwrap()
            .to_json(),
        json!({ "schemas": [DEVICE_URN], "id": "d1", "serial": "SN-2", "assetTag": "A-7" })
    );
    // RFC 7643 §7: an immutable attribute "SHALL NOT be updated"; leaving it out of a PUT
    // does not remove it.
    assert_eq!(
        put(&existing, json!({ "serial": "SN-3" }))
            .unwrap()
            .to_json(),
        json!({ "schemas": [DEVICE_URN], "id": "d1", "serial": "SN-3", "assetTag": "A-7" })
    );
}

fn full_user() -> Value {
    let mut user = resource::parse(
        &USER,
        json!({
            "schemas": [USER_URN, ENTERPRISE_URN],
            "externalId": "e1",
            "userName": "bjensen",
            "name": { "givenName": "Barbara", "familyName": "Jensen" },
            "emails": [
                { "value": "b@work.example", "type": "work", "primary": true },
                { "value": "b@home.example", "type": "home" }
            ],
            ENTERPRISE_URN: { "department": "Tours", "employeeNumber": "701984" }
        }),
        &mut Tolerances::new(),
    )
    .unwrap()
    .resource;
    user.set_id("u1");
    user.set_meta(&Meta {
        created: DateTime::from_unix(1_700_000_000, 0),
        last_modified: DateTime::from_unix(1_700_000_000, 0),
        location: format!("{BASE}/Users/u1"),
        version: "W/\"1\"".to_owned(),
    });
    user.to_json()
}

fn project(attributes: &[&str], excluded: &[&str]) -> Value {
    let owned = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
    let mut tolerances = Tolerances::new();
    let projection = Projection::new(&USER, &owned(attributes), &owned(excluded), &mut tolerances);
    assert!(tolerances.is_empty(), "{:?}", tolerances.applied());
    projection.apply(&full_user())
}

#[test]
fn projection_with_attributes() {
    let meta = full_user()["meta"].clone();
    let cases: Vec<(&[&str], Value)> = vec![
        (
            &["userName"],
            json!({ "schemas": [USER_URN], "id": "u1", "userName": "bjensen" }),
        ),
        (
            &["USERNAME", "name.givenName", "emails.value"],
            json!({
                "schemas": [USER_URN],
                "id": "u1",
                "userName": "bjensen",
                "name": { "givenName": "Barbara" },
                "emails": [{ "value": "b@work.example" }, { "value": "b@home.example" }]
            }),
        ),
        (
            &["emails"],
            json!({
                "schemas": [USER_URN],
                "id": "u1",
                "emails": [
                    { "value": "b@work.example", "type": "work", "primary": true },
                    { "value": "b@home.example", "type": "home" }
                ]
            }),
        ),
        (
            &[ENTERPRISE_URN],
            json!({
                "schemas": [USER_URN, ENTERPRISE_URN],
                "id": "u1",
                ENTERPRISE_URN: { "department": "Tours", "employeeNumber": "701984" }
            }),
        ),
        (
            &["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"],
            json!({
                "schemas": [USER_URN, ENTERPRISE_URN],
                "id": "u1",
                ENTERPRISE_URN: { "department": "Tours" }
            }),
        ),
        (
            &["urn:ietf:params:scim:schemas:core:2.0:User:userName"],
            json!({ "schemas": [USER_URN], "id": "u1", "userName": "bjensen" }),
        ),
        (
            &["meta"],
            json!({ "schemas": [USER_URN], "id": "u1", "meta": meta }),
        ),
        (
            &["meta.version"],
            json!({ "schemas": [USER_URN], "id": "u1", "meta": { "version": "W/\"1\"" } }),
        ),
        (&["password"], json!({ "schemas": [USER_URN], "id": "u1" })),
        (&["nickName"], json!({ "schemas": [USER_URN], "id": "u1" })),
        // Names that are no attribute are ignored: the response simply lacks them.
        (&["shoeSize"], json!({ "schemas": [USER_URN], "id": "u1" })),
        (
            &["shoeSize", "userName"],
            json!({ "schemas": [USER_URN], "id": "u1", "userName": "bjensen" }),
        ),
    ];
    for (attributes, expected) in cases {
        assert_eq!(
            project(attributes, &[]),
            expected,
            "attributes={attributes:?}"
        );
    }
}

#[test]
fn projection_with_excluded_attributes() {
    let everything = full_user();
    let without = |keys: &[&str]| {
        let mut out = everything.clone();
        for key in keys {
            out.as_object_mut().unwrap().remove(*key);
        }
        out
    };
    let mut without_family_name = everything.clone();
    without_family_name["name"] = json!({ "givenName": "Barbara" });
    let mut without_types = everything.clone();
    without_types["emails"] = json!([
        { "value": "b@work.example", "primary": true },
        { "value": "b@home.example" }
    ]);
    let mut without_extension = without(&[ENTERPRISE_URN]);
    without_extension["schemas"] = json!([USER_URN]);
    let mut without_department = everything.clone();
    without_department[ENTERPRISE_URN] = json!({ "employeeNumber": "701984" });

    let cases: Vec<(&[&str], Value)> = vec![
        (&[], everything.clone()),
        (&["emails", "meta"], without(&["emails", "meta"])),
        (&["name.familyName"], without_family_name),
        (&["emails.type"], without_types),
        (&[ENTERPRISE_URN], without_extension),
        (
            &["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"],
            without_department,
        ),
        // `returned: always` cannot be excluded; unknown names are ignored.
        (&["id", "schemas", "shoeSize"], everything.clone()),
    ];
    for (excluded, expected) in cases {
        assert_eq!(
            project(&[], excluded),
            expected,
            "excludedAttributes={excluded:?}"
        );
    }
    // Both given: attributes narrows, excludedAttributes removes from that.
    assert_eq!(
        project(&["name", "userName"], &["name.givenName"]),
        json!({ "schemas": [USER_URN], "id": "u1", "userName": "bjensen", "name": { "familyName": "Jensen" } })
    );
}

#[test]
fn projection_of_returned_request_attributes() {
    let mut device = resource::parse(
        &DEVICE,
        json!({ "serial": "SN-1", "notes": "rack 4", "ports": 8 }),
        &mut Tolerances::new(),
    )
    .unwrap()
    .resource;
    device.set_id("d1");
    let json = device.to_json();
    let project = |attributes: &[&str], excluded: &[&str]| {
        let owned = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
        Projection::new(
            &DEVICE,
            &owned(attributes),
            &owned(excluded),
            &mut Tolerances::new(),
        )
        .apply(&json)
    };
    assert_eq!(
        project(&[], &[]),
        json!({ "schemas": [DEVICE_URN], "id": "d1", "serial": "SN-1", "ports": 8 })
    );
    assert_eq!(
        project(&["notes"], &[]),
        json!({ "schemas": [DEVICE_URN], "id": "d1", "notes": "rack 4" })
    );
    assert_eq!(
        project(&[], &["ports"]),
        json!({ "schemas": [DEVICE_URN], "id": "d1", "serial": "SN-1" })
    );
}

#[test]
fn projection_tells_the_server_what_to_load() {
    let owned = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
    let excluded = Projection::new(&GROUP, &[], &owned(&["members"]), &mut Tolerances::new());
    assert!(!excluded.includes("members"));
    assert!(excluded.includes("displayName"));
    assert!(excluded.includes("id"));
    let narrowed = Projection::new(
        &GROUP,
        &owned(&["displayName"]),
        &[],
        &mut Tolerances::new(),
    );
    assert!(narrowed.is_narrowed());
    assert!(!narrowed.includes("members"));
    let default = Projection::default_for(&GROUP);
    assert!(default.includes("members"));
    assert!(!default.is_narrowed());
}

fn query(pairs: &[(&str, &str)]) -> Result<ListQuery, ScimError> {
    ListQuery::from_query(pairs.iter().copied())
}

#[test]
fn list_query_from_url_parameters() {
    let cases: Vec<(&[(&str, &str)], ListQuery)> = vec![
        (&[], ListQuery::default()),
        (
            &[
                ("filter", r#"userName eq "b""#),
                ("startIndex", "0"),
                ("count", "-1"),
            ],
            ListQuery {
                filter: Some(r#"userName eq "b""#.into()),
                start_index: 1,
                count: Some(0),
                ..ListQuery::default()
            },
        ),
        (
            &[("startIndex", "-7"), ("count", "0")],
            ListQuery {
                start_index: 1,
                count: Some(0),
                ..ListQuery::default()
            },
        ),
        (
            &[("STARTINDEX", " 21 "), ("Count", "10"), ("utm_source", "x")],
            ListQuery {
                start_index: 21,
                count: Some(10),
                ..ListQuery::default()
            },
        ),
        (
            &[("startIndex", "99999999999999999999999")],
            ListQuery {
                start_index: i64::MAX as u64,
                ..ListQuery::default()
            },
        ),
        (
            &[("sortBy", "name.familyName"), ("sortOrder", "DESCENDING")],
            ListQuery {
                sort_by: Some("name.familyName".into()),
                sort_order: SortOrder::Descending,
                ..ListQuery::default()
            },
        ),
        (
            &[("sortBy", ""), ("sortOrder", "ascending")],
            ListQuery::default(),
        ),
        (
            &[
                ("attributes", "userName, name.givenName,,emails"),
                ("excludedattributes", "members"),
            ],
            ListQuery {
                attributes: vec!["userName".into(), "name.givenName".into(), "emails".into()],
                excluded_attributes: vec!["members".into()],
                ..ListQuery::default()
            },
        ),
    ];
    for (pairs, expected) in cases {
        assert_eq!(query(pairs), Ok(expected), "{pairs:?}");
    }
}

#[test]
fn list_query_refuses_what_is_not_a_number_or_an_order() {
    // 400 without scimType (the error catalog's BadRequest): these are query parameters,
    // not attribute values.
    let cases: Vec<(&[(&str, &str)], &str)> = vec![
        (
            &[("startIndex", "abc")],
            "startIndex is \"abc\"; expected an integer",
        ),
        (
            &[("count", "10.5")],
            "count is \"10.5\"; expected an integer",
        ),
        (&[("count", "")], "count is \"\"; expected an integer"),
        (
            &[("sortOrder", "sideways")],
            "sortOrder is \"sideways\"; expected \"ascending\" or \"descending\"",
        ),
    ];
    for (pairs, detail) in cases {
        let error = query(pairs).unwrap_err();
        assert_eq!(error, ScimError::BadRequest(detail.into()), "{pairs:?}");
        assert_eq!((error.status(), error.scim_type()), (400, None));
    }
}

#[test]
fn list_query_from_a_search_request() {
    const SEARCH: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
    let mut tolerances = Tolerances::new();
    let query = ListQuery::from_search_request(
        json!({
            "schemas": [SEARCH],
            "attributes": ["displayName", "userName"],
            "excludedAttributes": ["emails"],
            "filter": "displayName sw \"smith\"",
            "sortBy": "userName",
            "sortOrder": "descending",
            "startIndex": 0,
            "count": -10
        }),
        &mut tolerances,
    )
    .unwrap();
    assert_eq!(
        query,
        ListQuery {
            filter: Some("displayName sw \"smith\"".into()),
            sort_by: Some("userName".into()),
            sort_order: SortOrder::Descending,
            start_index: 1,
            count: Some(0),
            attributes: vec!["displayName".into(), "userName".into()],
            excluded_attributes: vec!["emails".into()],
        }
    );
    assert!(tolerances.is_empty());

    let mut tolerances = Tolerances::new();
    let query =
        ListQuery::from_search_request(json!({ "startIndex": 11, "count": 10 }), &mut tolerances)
            .unwrap();
    assert_eq!(
        query,
        ListQuery {
            start_index: 11,
            count: Some(10),
            ..ListQuery::default()
        }
    );
    assert!(tolerances.fired(workbench_scim::Rule::SchemasMissing));

    let errors: Vec<(Value, ScimError)> = vec![
        (
            json!("filter=x"),
            ScimError::InvalidSyntax("a SearchRequest must be a JSON object".into()),
        ),
        (
            json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"] }),
            ScimError::InvalidSyntax(format!(
                "'schemas' of a SearchRequest must be [\"{SEARCH}\"]"
            )),
        ),
        (
            json!({ "schemas": [SEARCH], "count": "10" }),
            invalid_value("'count' must be an integer"),
        ),
        (
            json!({ "schemas": [SEARCH], "startIndex": 1.5 }),
            invalid_value("'startIndex' must be an integer"),
        ),
        (
            json!({ "schemas": [SEARCH], "filter": 7 }),
            invalid_value("'filter' must be a string"),
        ),
        (
            json!({ "schemas": [SEARCH], "attributes": [1] }),
            invalid_value("'attributes' must be an array of strings"),
        ),
        (
            json!({ "schemas": [SEARCH], "sortOrder": "up" }),
            ScimError::BadRequest(
                "sortOrder is \"up\"; expected \"ascending\" or \"descending\"".into(),
            ),
        ),
    ];
    for (body, expected) in errors {
        assert_eq!(
            ListQuery::from_search_request(body.clone(), &mut Tolerances::new()),
            Err(expected),
            "{body}"
        );
    }
}

/// The names of every null in `value`, as JSON paths.
fn nulls(value: &Value, at: &str) -> Vec<String> {
    match value {
        Value::Null => vec![at.to_owned()],
        Value::Array(items) => items
            .iter()
            .enumerate()
            .flat_map(|(i, item)| nulls(item, &format!("{at}[{i}]")))
            .collect(),
        Value::Object(object) => object
            .iter()
            .flat_map(|(key, item)| nulls(item, &format!("{at}.{key}")))
            .collect(),
        _ => Vec::new(),
    }
}

/// Checks one attribute definition of `/Schemas` against the table it came from.
fn check_attribute_document(doc: &Value, attr: &Attribute, at: &str) {
    let mut expected = Map::new();
    expected.insert("name".into(), json!(attr.name));
    expected.insert("type".into(), json!(attr.kind.as_str()));
    expected.insert("multiValued".into(), json!(attr.multi_valued));
    expected.insert("description".into(), json!(attr.description));
    expected.insert("required".into(), json!(attr.required));
    expected.insert("caseExact".into(), json!(attr.case_exact));
    expected.insert("mutability".into(), json!(attr.mutability.as_str()));
    expected.insert("returned".into(), json!(attr.returned.as_str()));
    expected.insert("uniqueness".into(), json!(attr.uniqueness.as_str()));
    if !attr.canonical_values.is_empty() {
        expected.insert("canonicalValues".into(), json!(attr.canonical_values));
    }
    if !attr.reference_types.is_empty() {
        expected.insert("referenceTypes".into(), json!(attr.reference_types));
    }
    assert!(!attr.description.is_empty(), "{at} has no description");
    if attr.kind == AttrType::Reference {
        assert!(
            !attr.reference_types.is_empty(),
            "{at} has no referenceTypes"
        );
    }
    let subs = doc.get("subAttributes");
    if attr.is_complex() {
        let subs = subs
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("{at}: no subAttributes"));
        assert_eq!(subs.len(), attr.sub_attributes.len(), "{at}");
        for (sub_doc, sub) in subs.iter().zip(attr.sub_attributes) {
            check_attribute_document(sub_doc, sub, &format!("{at}.{}", sub.name));
        }
        expected.insert("subAttributes".into(), subs.clone().into());
    } else {
        assert!(subs.is_none(), "{at} is not complex but has subAttributes");
    }
    assert_eq!(doc, &Value::Object(expected), "{at}");
}

#[test]
fn schemas_document_lists_every_attribute_with_its_characteristics_and_no_nulls() {
    let list = serde_json::to_value(schemas_list(BASE)).unwrap();
    assert_eq!(nulls(&list, "$"), Vec::<String>::new());
    assert_eq!(
        (
            &list["schemas"],
            &list["totalResults"],
            &list["startIndex"],
            &list["itemsPerPage"]
        ),
        (
            &json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"]),
            &json!(3),
            &json!(1),
            &json!(3)
        )
    );
    let schemas = [&USER_SCHEMA, &ENTERPRISE_USER_SCHEMA, &GROUP_SCHEMA];
    let docs = list["Resources"].as_array().unwrap();
    assert_eq!(docs.len(), schemas.len());
    for (doc, schema) in docs.iter().zip(schemas) {
        let attributes = doc["attributes"].as_array().unwrap();
        assert_eq!(attributes.len(), schema.attributes.len(), "{}", schema.id);
        for (attr_doc, attr) in attributes.iter().zip(schema.attributes) {
            check_attribute_document(attr_doc, attr, &format!("{}:{}", schema.id, attr.name));
        }
        assert_eq!(
            doc,
            &json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
                "id": schema.id,
                "name": schema.name,
                "description": schema.description,
                "attributes": attributes,
                "meta": { "resourceType": "Schema", "location": format!("{BASE}/Schemas/{}", schema.id) }
            })
        );
    }
    // The one document written out in full, as RFC 7643 §8.7.1 shows it.
    let manager = &docs[1]["attributes"][5];
    assert_eq!(
        manager,
        &json!({
            "name": "manager",
            "type": "complex",
            "subAttributes": [
                {
                    "name": "value", "type": "string", "multiValued": false,
                    "description": "The id of the SCIM resource of the user's manager.",
                    "required": false, "caseExact": true, "mutability": "readWrite",
                    "returned": "default", "uniqueness": "none"
                },
                {
                    "name": "$ref", "type": "reference", "multiValued": false,
                    "description": "The URI of the manager's resource.",
                    "required": false, "caseExact": true, "mutability": "readWrite",
                    "returned": "default", "uniqueness": "none", "referenceTypes": ["User"]
                },
                {
                    "name": "displayName", "type": "string", "multiValued": false,
                    "description": "The manager's display name.",
                    "required": false, "caseExact": false, "mutability": "readOnly",
                    "returned": "default", "uniqueness": "none"
                }
            ],
            "multiValued": false,
            "description": "The user's manager.",
            "required": false,
            "caseExact": false,
            "mutability": "readWrite",
            "returned": "default",
            "uniqueness": "none"
        })
    );
    assert_eq!(
        schema_by_id(&ENTERPRISE_URN.to_uppercase()).map(|s| s.id),
        Some(ENTERPRISE_URN)
    );
    assert_eq!(schema_by_id("urn:example:unknown"), None);
}

#[test]
fn resource_types_document() {
    let list = serde_json::to_value(resource_types_list(BASE)).unwrap();
    assert_eq!(
        list,
        json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": 2,
            "startIndex": 1,
            "itemsPerPage": 2,
            "Resources": [
                {
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
                    "id": "User",
                    "name": "User",
                    "endpoint": "/Users",
                    "description": "User Account",
                    "schema": USER_URN,
                    "schemaExtensions": [{ "schema": ENTERPRISE_URN, "required": false }],
                    "meta": { "resourceType": "ResourceType", "location": format!("{BASE}/ResourceTypes/User") }
                },
                {
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
                    "id": "Group",
                    "name": "Group",
                    "endpoint": "/Groups",
                    "description": "Group",
                    "schema": GROUP_URN,
                    "schemaExtensions": [],
                    "meta": { "resourceType": "ResourceType", "location": format!("{BASE}/ResourceTypes/Group") }
                }
            ]
        })
    );
}

#[test]
fn service_provider_config_document() {
    let config = ServiceProviderConfig {
        documentation_uri: Some("https://workbench.example/docs/scim".into()),
        patch: true,
        bulk: Some(BulkLimits {
            max_operations: 1000,
            max_payload_size: 1_048_576,
        }),
        filter_max_results: 200,
        change_password: false,
        sort: true,
        etag: true,
        authentication_schemes: vec![
            AuthenticationScheme::bearer_token(true),
            AuthenticationScheme::http_basic(false),
        ],
    };
    let doc = config.to_json(&format!("{BASE}/ServiceProviderConfig"));
    assert_eq!(
        doc,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "documentationUri": "https://workbench.example/docs/scim",
            "patch": { "supported": true },
            "bulk": { "supported": true, "maxOperations": 1000, "maxPayloadSize": 1_048_576 },
            "filter": { "supported": true, "maxResults": 200 },
            "changePassword": { "supported": false },
            "sort": { "supported": true },
            "etag": { "supported": true },
            "authenticationSchemes": [
                {
                    "type": "oauthbearertoken",
                    "name": "OAuth Bearer Token",
                    "description": "Authentication with a bearer token issued for an SSO provider",
                    "specUri": "https://www.rfc-editor.org/info/rfc6750",
                    "primary": true
                },
                {
                    "type": "httpbasic",
                    "name": "HTTP Basic",
                    "description": "Authentication with a SCIM username and password issued for an SSO provider",
                    "specUri": "https://www.rfc-editor.org/info/rfc7617",
                    "primary": false
                }
            ],
            "meta": { "resourceType": "ServiceProviderConfig", "location": format!("{BASE}/ServiceProviderConfig") }
        })
    );
    assert_eq!(nulls(&doc, "$"), Vec::<String>::new());
}
