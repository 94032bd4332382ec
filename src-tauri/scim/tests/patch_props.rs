//! Properties of PATCH (RFC 7644 §3.5.2) over generated Users, Groups and operation lists:
//! reading and applying never panics and only ever fails with a 400 SCIM error; a failed PATCH
//! changes nothing; a successful one yields a resource that validates, round-trips and has at
//! most one `primary` per attribute; re-sending an add changes nothing.
//!
//! Case counts are modest (256) so the suite stays fast; raise `PROPTEST_CASES` to dig deeper.

use proptest::collection::vec;
use proptest::option::of as opt;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::TestCaseError;
use serde_json::{Map, Number, Value, json};
use workbench_scim::patch::{self, Patched};
use workbench_scim::resource;
use workbench_scim::schema::{ENTERPRISE_USER_URN as ENT, GROUP, GROUP_URN, USER, USER_URN};
use workbench_scim::{Resource, ScimError, Tolerances};

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

// ---------------------------------------------------------------------------------------------
// Pools the generators draw from
// ---------------------------------------------------------------------------------------------

const USER_NAMES: &[&str] = &["bjensen", "jsmith", "Ünïcødé", "a@b.example"];
const WORDS: &[&str] = &["Babs", "Barbara", "Jensen", "Tour Guide", "Ms.", "x", "Ω"];
const EMAILS: &[&str] = &[
    "bjensen@example.com",
    "BJensen@Example.com",
    "babs@jensen.org",
    "babs@example.org",
];
const EMAIL_TYPES: &[&str] = &["work", "home", "other"];
const MEMBER_IDS: &[&str] = &[
    "u1",
    "u2",
    "U1",
    "g1",
    "2819c223-7f76-453a-919d-413861904646",
];
const MEMBER_TYPES: &[&str] = &["User", "Group"];

fn user_paths() -> Vec<String> {
    let mut paths: Vec<String> = [
        "userName",
        "USERNAME",
        "displayName",
        "nickName",
        "title",
        "active",
        "password",
        "externalId",
        "name",
        "name.givenName",
        "name.familyName",
        "emails",
        "emails.value",
        "emails.primary",
        "emails.type",
        r#"emails[type eq "work"]"#,
        r#"emails[type eq "work"].value"#,
        r#"emails[type eq "home"].primary"#,
        r#"Emails[Type EQ "work"].VALUE"#,
        r#"emails[value ew "example.com"]"#,
        r#"emails[value ew "example.com"].display"#,
        r#"emails[primary eq true]"#,
        r#"emails[type eq "work" and primary eq "True"].display"#,
        r#"emails[not (type eq "work")]"#,
        r#"emails[value pr]"#,
        r#"emails[type eq work]"#,
        "addresses",
        r#"addresses[type eq "work"]"#,
        r#"addresses[type eq "work"].streetAddress"#,
        "phoneNumbers",
        r#"phoneNumbers[type eq "mobile"].value"#,
        "x509Certificates",
        r#"x509Certificates[value eq "TWFu"]"#,
        "groups",
        "id",
        "meta",
        "meta.created",
        "schemas",
        "urn:ietf:params:scim:schemas:core:2.0:User:nickName",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0User:department",
    ]
    .iter()
    .map(|p| p.to_string())
    .collect();
    paths.push(ENT.to_owned());
    for tail in [
        "employeeNumber",
        "department",
        "manager",
        "manager.value",
        "manager.displayName",
        r#"manager[value eq "m1"]"#,
        r#"manager[value eq "m1"].value"#,
        r#"manager[displayName eq "Boss"].value"#,
    ] {
        paths.push(format!("{ENT}:{tail}"));
    }
    paths
}

fn group_paths() -> Vec<String> {
    [
        "displayName",
        "members",
        "members.display",
        "members.value",
        r#"members[value eq "u1"]"#,
        r#"members[value eq "u1"].display"#,
        r#"members[value eq "u2"].value"#,
        r#"members[type eq "Group"]"#,
        r#"members[display sw "B"]"#,
        r#"members[value eq "u1" and type eq "User"].display"#,
        "externalId",
    ]
    .iter()
    .map(|p| p.to_string())
    .collect()
}

fn invalid_paths() -> Vec<String> {
    let mut paths: Vec<String> = [
        "",
        " ",
        "emails[",
        "emails[type eq",
        r#"emails[type eq "work"]]"#,
        r#"emails[type eq "work"].value.x"#,
        "name..givenName",
        "[]",
        ".",
        "urn:",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:",
        "émails",
        "\u{0}",
        "noSuchAttribute",
        r#"userName[value eq "x"]"#,
        r#"emails[type gt true]"#,
        r#"emails[value eq "\"]"#,
    ]
    .iter()
    .map(|p| p.to_string())
    .collect();
    paths.push("a".repeat(70_000));
    paths.push(format!("emails{}", "[".repeat(200)));
    paths.push(format!(
        r#"emails[{}type eq "work"{}]"#,
        "(".repeat(100),
        ")".repeat(100)
    ));
    paths.push(format!(r#"emails[{}type eq "work"]"#, "not ".repeat(100)));
    paths
}

/// Values that fit some attribute somewhere, so that many generated operations succeed.
fn sensible_values() -> Vec<Value> {
    vec![
        json!("Babs"),
        json!(""),
        json!(" "),
        Value::Null,
        json!(true),
        json!(false),
        json!("True"),
        json!("false"),
        json!(0),
        json!(-1),
        json!(1.5),
        json!(u64::MAX),
        json!("2011-05-13T04:42:34Z"),
        json!("bjensen@example.com"),
        json!("TWFu"),
        json!([]),
        json!({}),
        json!([null]),
        json!([[]]),
        json!({"givenName": "B", "familyName": null}),
        json!({"givenName": null}),
        json!([{"value": "a@example.com", "type": "work", "primary": true}]),
        json!([{"value": "babs@jensen.org", "type": "home"}]),
        json!({"value": "a@example.com", "type": "other", "primary": "True"}),
        json!([{"value": "u1"}]),
        json!([{"value": "u1", "display": "B", "type": "User"}, {"value": "u2"}]),
        json!({"value": "u1"}),
        json!({"value": "m1", "displayName": "Boss", "$ref": "../Users/m1"}),
        json!({"employeeNumber": "1", "manager": {"value": "m1", "displayName": "Boss"}}),
        json!({"emails": [{"value": "b@example.org"}], "nickName": "B", "id": "x"}),
        json!({"displayName": "G", "members": [{"value": "u2"}], "id": "g-id"}),
        json!({"meta": {"created": "2011-05-13T04:42:34Z"}, "schemas": [USER_URN]}),
        json!({ENT: {"department": "Tours"}, "active": "False"}),
        json!({format!("{ENT}:employeeNumber"): "7", "name.givenName": "G", "noSuch": 1}),
        json!({"userName": null}),
        json!({"groups": []}),
        json!([{"streetAddress": "1 Road", "type": "work", "primary": true}]),
        json!("x".repeat(70_000)),
        json!(
            (0..500)
                .map(|i| json!({"value": format!("u{i}")}))
                .collect::<Vec<_>>()
        ),
        deep(200),
    ]
}

/// `[[[ … {"value": "x"} … ]]]`, `depth` levels deep.
fn deep(depth: usize) -> Value {
    (0..depth).fold(json!({"value": "x"}), |inner, i| {
        if i % 2 == 0 {
            json!([inner])
        } else {
            json!({"value": inner})
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

fn word() -> impl Strategy<Value = &'static str> {
    select(WORDS)
}

fn arb_email() -> impl Strategy<Value = Value> {
    (select(EMAILS), opt(select(EMAIL_TYPES)), opt(word())).prop_map(|(value, kind, display)| {
        let mut email = json!({"value": value});
        if let Some(kind) = kind {
            email["type"] = json!(kind);
        }
        if let Some(display) = display {
            email["display"] = json!(display);
        }
        email
    })
}

/// A User body that `resource::parse` accepts: core attributes, emails with at most one
/// primary, addresses, phone numbers and sometimes the enterprise extension.
fn arb_user_doc() -> impl Strategy<Value = Value> {
    let core = (
        select(USER_NAMES),
        opt(word()),
        opt(word()),
        opt(any::<bool>()),
        opt((opt(word()), opt(word()))),
    );
    let lists = (
        vec(arb_email(), 0..4),
        opt(any::<Index>()),
        vec((opt(select(EMAIL_TYPES)), opt(word())), 0..3),
        vec(
            (
                select(&["555-0100", "555-0199"][..]),
                opt(select(&["mobile", "work"][..])),
            ),
            0..3,
        ),
    );
    let enterprise = opt((
        opt(select(&["1", "701984"][..])),
        opt(word()),
        opt(select(&["m1", "m2"][..])),
    ));
    (core, lists, enterprise).prop_map(|(core, lists, enterprise)| {
        let (user_name, display_name, nick_name, active, name) = core;
        let (mut emails, primary, addresses, phones) = lists;
        let mut doc = json!({"schemas": [USER_URN, ENT], "userName": user_name});
        if let Some(v) = display_name {
            doc["displayName"] = json!(v);
        }
        if let Some(v) = nick_name {
            doc["nickName"] = json!(v);
        }
        if let Some(v) = active {
            doc["active"] = json!(v);
        }
        if let Some((given, family)) = name {
            doc["name"] = json!({"givenName": given, "familyName": family});
        }
        if let (Some(i), false) = (primary, emails.is_empty()) {
            let i = i.index(emails.len());
            emails[i]["primary"] = json!(true);
        }
        doc["emails"] = json!(emails);
        doc["addresses"] = addresses
            .into_iter()
            .map(|(kind, street)| json!({"type": kind, "streetAddress": street}))
            .collect();
        doc["phoneNumbers"] = phones
            .into_iter()
            .map(|(value, kind)| json!({"value": value, "type": kind}))
            .collect();
        if let Some((number, department, manager)) = enterprise {
            doc[ENT] = json!({
                "employeeNumber": number,
                "department": department,
                "manager": manager.map(|m| json!({"value": m}))
            });
        }
        doc
    })
}

fn arb_member() -> impl Strategy<Value = Value> {
    (select(MEMBER_IDS), opt(word()), opt(select(MEMBER_TYPES))).prop_map(|(id, display, kind)| {
        let mut member = json!({"value": id});
        if let Some(display) = display {
            member["display"] = json!(display);
        }
        if let Some(kind) = kind {
            member["type"] = json!(kind);
        }
        member
    })
}

fn arb_group_doc() -> impl Strategy<Value = Value> {
    (select(&["Tour Guides", "Admins"][..]), vec(arb_member(), 0..5)).prop_map(|(name, members)| {
        json!({"schemas": [GROUP_URN], "displayName": name, "members": members})
    })
}

/// Reads a generated document as a stored resource (a Group when its schemas say so).
fn stored(doc: &Value) -> Resource {
    let group = doc["schemas"][0] == GROUP_URN;
    let rtype = if group { &GROUP } else { &USER };
    let mut tolerances = Tolerances::new();
    let mut resource = resource::parse(rtype, doc.clone(), &mut tolerances)
        .unwrap_or_else(|e| panic!("generated document does not parse: {e}\n{doc:#}"))
        .resource;
    resource.set_id(if group { "g-id" } else { "u-id" });
    resource
}

fn arb_doc() -> impl Strategy<Value = Value> {
    prop_oneof![arb_user_doc(), arb_group_doc()]
}

/// Any JSON: scalars of every kind (huge, negative, fractional, unicode), nested arrays and
/// objects whose keys are often attribute names.
fn arb_json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        select(
            &[
                "value",
                "type",
                "primary",
                "display",
                "givenName",
                "familyName",
                "emails",
                "members",
                "userName",
                "displayName",
                "id",
                "meta",
                "schemas",
                "$ref",
                "name",
                "name.givenName",
                "active",
                "manager",
                "VALUE",
                "Operations",
                "op",
                "path",
            ][..]
        )
        .prop_map(str::to_owned),
        Just(ENT.to_owned()),
        Just(format!("{ENT}:employeeNumber")),
        ".{0,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        ".{0,12}".prop_map(Value::String),
        select(sensible_values()),
    ];
    leaf.prop_recursive(6, 48, 6, move |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            vec((key.clone(), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// `add`, `remove` or `replace` in random case.
fn arb_kind() -> impl Strategy<Value = String> {
    (
        select(&["add", "remove", "replace"][..]),
        vec(any::<bool>(), 7),
    )
        .prop_map(|(name, upper)| {
            name.chars()
                .zip(upper)
                .map(|(c, up)| if up { c.to_ascii_uppercase() } else { c })
                .collect()
        })
}

/// A real op name in random case, sometimes something else entirely.
fn arb_op_name() -> impl Strategy<Value = Value> {
    prop_oneof![
        8 => arb_kind().prop_map(Value::String),
        1 => select(&["delete", "", "copy", "ad d", "add "][..]).prop_map(Value::from),
        1 => arb_json(),
    ]
}

fn arb_path() -> impl Strategy<Value = Value> {
    let valid = prop_oneof![select(user_paths()), select(group_paths())].prop_map(Value::String);
    prop_oneof![
        6 => valid,
        2 => select(invalid_paths()).prop_map(Value::String),
        1 => r#"[a-zA-Z.\[\]" :()=]{0,24}"#.prop_map(Value::String),
        1 => arb_json(),
    ]
}

fn arb_value() -> impl Strategy<Value = Value> {
    prop_oneof![3 => select(sensible_values()), 2 => arb_json()]
}

/// One entry of `Operations` as a careless client writes it: any of `op`, `path`, `value` may
/// be missing or of any type; keys may be shouted.
fn arb_wild_operation() -> impl Strategy<Value = Value> {
    (
        opt(arb_op_name()),
        opt(arb_path()),
        opt(arb_value()),
        any::<bool>(),
    )
        .prop_map(|(op, path, value, shout)| {
            let key = |k: &str| {
                if shout {
                    k.to_uppercase()
                } else {
                    k.to_owned()
                }
            };
            let mut entry = Map::new();
            for (name, member) in [("op", op), ("path", path), ("value", value)] {
                if let Some(member) = member {
                    entry.insert(key(name), member);
                }
            }
            Value::Object(entry)
        })
}

/// A target (`None`: no path) and values that fit it.
type Target = (Option<String>, Vec<Value>);

fn strings() -> Vec<Value> {
    vec![
        json!("Babs"),
        json!("Tour Guide"),
        json!("Ω"),
        json!(""),
        Value::Null,
    ]
}

fn booleans() -> Vec<Value> {
    vec![json!(true), json!(false), json!("True"), json!("false")]
}

fn targets(paths: &[&str], values: &[Value]) -> Vec<Target> {
    paths
        .iter()
        .map(|p| (Some(p.replace("ENT", ENT)), values.to_vec()))
        .collect()
}

fn user_targets() -> Vec<Target> {
    let email = |value: &str, kind: &str, primary: bool| json!({"value": value, "type": kind, "primary": primary});
    let emails = vec![
        json!([email("c@example.net", "other", true)]),
        json!([email("bjensen@example.com", "work", false), {"value": "babs@jensen.org"}]),
        json!([{"value": "BJENSEN@example.com", "type": "work", "display": "W"}]),
        json!({"value": "d@example.net", "primary": "True"}),
        json!([]),
    ];
    let email_records = vec![
        json!({"value": "w@example.com", "type": "work"}),
        email("w@example.com", "work", true),
        json!({"display": "D", "primary": false}),
    ];
    let addresses = vec![
        json!([{"type": "work", "streetAddress": "911 Universal City Plaza", "primary": true}]),
        json!({"type": "home", "locality": "Hollywood"}),
    ];
    let mut all = targets(
        &[
            "displayName",
            "nickName",
            "title",
            "userName",
            "externalId",
            "name.givenName",
            "name.familyName",
            "emails.display",
            r#"emails[type eq "work"].value"#,
            r#"emails[type eq "other"].display"#,
            r#"emails[value ew "example.com"].display"#,
            r#"addresses[type eq "work"].streetAddress"#,
            "urn:ietf:params:scim:schemas:core:2.0:User:nickName",
            "ENT:employeeNumber",
            "ENT:department",
            "ENT:manager.value",
            r#"ENT:manager[value eq "m1"].value"#,
            r#"ENT:manager[displayName eq "Boss"].value"#,
        ],
        &strings(),
    );
    all.extend(targets(
        &[
            "active",
            "emails.primary",
            r#"emails[type eq "home"].primary"#,
            r#"emails[type eq "work" and primary eq "True"].primary"#,
            r#"addresses[type eq "work"].primary"#,
        ],
        &booleans(),
    ));
    all.extend(targets(&["emails"], &emails));
    all.extend(targets(
        &[
            r#"emails[type eq "work"]"#,
            r#"emails[value ew "example.com"]"#,
            r#"emails[type eq "other" and primary eq true]"#,
        ],
        &email_records,
    ));
    all.extend(targets(
        &["addresses", r#"addresses[type eq "work"]"#],
        &addresses,
    ));
    all.extend(targets(
        &["phoneNumbers", r#"phoneNumbers[type eq "mobile"]"#],
        &[
            json!([{"value": "555-0142", "type": "mobile"}]),
            json!({"value": "555-0100"}),
        ],
    ));
    all.extend(targets(
        &["name"],
        &[
            json!({"givenName": "Babs"}),
            json!({"givenName": null, "middleName": "Jane"}),
            json!({"familyName": null}),
            json!({}),
        ],
    ));
    all.extend(targets(
        &[
            "ENT:manager",
            r#"ENT:manager[displayName eq "Boss"]"#,
            r#"ENT:manager[value eq "m1"]"#,
        ],
        &[
            json!({"value": "m2"}),
            json!("m3"),
            json!([{"value": "m1", "$ref": "../Users/m1"}]),
            json!(""),
        ],
    ));
    all.extend(targets(
        &["ENT"],
        &[
            json!({"employeeNumber": "7", "manager": {"value": "m1", "displayName": "Boss"}}),
            json!({"department": null}),
        ],
    ));
    all.push((
        None,
        vec![
            json!({"displayName": "B", "nickName": null}),
            json!({"emails": [{"value": "babs@jensen.org", "type": "home"}], "nickname": "Babs"}),
            json!({"name.givenName": "G", format!("{ENT}:employeeNumber"): "7"}),
            json!({ENT: {"department": "Tours"}, "active": "False"}),
            json!({"id": "u-id", "name": {"givenName": null}}),
        ],
    ));
    all
}

fn group_targets() -> Vec<Target> {
    let mut all = targets(
        &[
            "displayName",
            "externalId",
            r#"members[value eq "u1"].display"#,
            r#"members[type eq "Group"].display"#,
            r#"members[value eq "u2"].value"#,
        ],
        &[
            json!("Tour Guides"),
            json!("u2"),
            json!("u3"),
            json!(""),
            Value::Null,
        ],
    );
    all.extend(targets(
        &[
            "members",
            r#"members[value eq "u1"]"#,
            r#"members[display sw "B"]"#,
        ],
        &[
            json!([{"value": "u1"}, {"value": "u2", "display": "Babs"}]),
            json!([{"value": "U1", "type": "User"}]),
            json!({"value": "g1", "type": "Group"}),
            json!({"display": "Babs"}),
            json!([]),
        ],
    ));
    all.push((
        None,
        vec![
            json!({"displayName": "Admins", "id": "g-id"}),
            json!({"members": [{"value": "u1"}, {"value": "u2"}]}),
        ],
    ));
    all
}

/// A well-formed operation on one of `targets`, usually with a value that fits it.
fn arb_operation_on(targets: Vec<Target>) -> impl Strategy<Value = Value> {
    let fitting = (select(targets), any::<Index>()).prop_map(|((path, values), i)| {
        let value = values[i.index(values.len())].clone();
        (path, value)
    });
    let other = (
        select(user_paths()).prop_map(Some),
        select(sensible_values()),
    );
    (arb_kind(), prop_oneof![5 => fitting, 1 => other]).prop_map(|(op, (path, value))| {
        let mut entry = json!({"op": op, "value": value});
        if let Some(path) = path {
            entry["path"] = json!(path);
        }
        entry
    })
}

fn patch_op_body(ops: Vec<Value>) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": ops})
}

/// A resource document and a well-formed PatchOp body for it.
fn arb_sensible_patch() -> impl Strategy<Value = (Value, Value)> {
    prop_oneof![
        (arb_user_doc(), vec(arb_operation_on(user_targets()), 1..4)),
        (
            arb_group_doc(),
            vec(arb_operation_on(group_targets()), 1..4)
        ),
    ]
    .prop_map(|(doc, ops)| (doc, patch_op_body(ops)))
}

/// A resource document and any body: usually a PatchOp whose operations mix well-formed and careless
/// ones, sometimes without `schemas`, sometimes any JSON at all.
fn arb_wild_patch() -> impl Strategy<Value = (Value, Value)> {
    let operation = || {
        prop_oneof![
            2 => arb_wild_operation(),
            1 => arb_operation_on(user_targets()),
            1 => arb_operation_on(group_targets()),
        ]
    };
    let body = prop_oneof![
        8 => vec(operation(), 1..6).prop_map(patch_op_body),
        1 => vec(operation(), 0..4).prop_map(|ops| json!({"Operations": ops})),
        1 => arb_json(),
    ];
    (arb_doc(), body)
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

fn patch_body(resource: &Resource, body: Value) -> Result<Patched, ScimError> {
    let mut tolerances = Tolerances::new();
    patch::parse_request(body, resource.resource_type(), &mut tolerances)
        .and_then(|ops| patch::apply(resource, &ops, &mut tolerances))
}

fn patch_ops(resource: &Resource, ops: &[Value]) -> Result<Patched, ScimError> {
    patch_body(resource, json!({"schemas": [PATCH_OP], "Operations": ops}))
}

/// A PATCH error is one of the 400 errors of RFC 7644 §3.12, never a server failure.
fn check_error(error: &ScimError) -> Result<(), TestCaseError> {
    prop_assert_eq!(error.status(), 400, "{:?}", error);
    prop_assert!(error.scim_type().is_some(), "no scimType: {:?}", error);
    Ok(())
}

/// The result validates as a resource, renders and re-reads to the same document, has at most
/// one primary per multi-valued attribute, and `changed` says whether it differs.
fn check_result(before: &Resource, patched: &Patched) -> Result<(), TestCaseError> {
    let after = &patched.resource;
    prop_assert_eq!(patched.changed, after != before, "changed is wrong");
    let rendered = after.to_json();
    let mut tolerances = Tolerances::new();
    let reparsed = resource::parse(after.resource_type(), rendered.clone(), &mut tolerances);
    let mut reparsed = match reparsed {
        Ok(parsed) => parsed.resource,
        Err(e) => return Err(TestCaseError::fail(format!("{e}\n{rendered:#}"))),
    };
    if let Some(id) = after.id() {
        reparsed.set_id(id);
    }
    prop_assert_eq!(reparsed.to_json(), rendered.clone(), "does not round-trip");
    let mut holders = vec![&rendered];
    holders.extend(rendered.get(ENT));
    for holder in holders {
        for (name, value) in holder.as_object().into_iter().flatten() {
            if let Value::Array(items) = value {
                let primaries = items.iter().filter(|i| i["primary"] == json!(true)).count();
                prop_assert!(primaries <= 1, "{} primaries in '{}'", primaries, name);
            }
        }
    }
    Ok(())
}

/// An operation that succeeds on every generated resource, alone or with the others.
fn good_user_op() -> impl Strategy<Value = Value> {
    prop_oneof![
        word().prop_map(|w| json!({"op": "replace", "path": "displayName", "value": w})),
        word().prop_map(|w| json!({"op": "Add", "path": "nickName", "value": w})),
        (select(&["c@example.net", "d@example.net"][..]), word()).prop_map(|(v, d)| json!(
            {"op": "add", "path": "emails", "value": [{"value": v, "type": "other", "display": d}]}
        )),
        Just(json!({"op": "remove", "path": r#"emails[type eq "home"]"#})),
        word().prop_map(|w| json!({"op": "replace", "path": "name.givenName", "value": w})),
        Just(json!({"op": "add", "path": format!("{ENT}:employeeNumber"), "value": "42"})),
        Just(json!({"op": "Replace", "path": "active", "value": "False"})),
        Just(json!({"op": "remove", "path": "title"})),
        word().prop_map(
            |w| json!({"op": "replace", "path": r#"emails[type eq "work"].display"#, "value": w})
        ),
        Just(
            json!({"op": "add", "path": "phoneNumbers", "value": [{"value": "555-0142", "type": "mobile"}]})
        ),
    ]
}

/// An operation that fails on every generated User, with the `scimType` it fails with.
fn bad_user_op() -> impl Strategy<Value = (Value, &'static str)> {
    select(vec![
        (
            json!({"op": "replace", "path": "id", "value": "other"}),
            "mutability",
        ),
        (json!({"op": "remove", "path": "userName"}), "mutability"),
        (
            json!({"op": "add", "path": "groups", "value": [{"value": "g1"}]}),
            "mutability",
        ),
        (
            json!({"op": "replace", "path": "active", "value": "maybe"}),
            "invalidValue",
        ),
        (json!({"op": "add", "path": "nickName"}), "invalidValue"),
        (json!({"op": "remove"}), "noTarget"),
        (
            json!({"op": "replace", "path": r#"emails[type eq "work" and value ew "@nowhere.invalid"]"#,
                   "value": {"value": "x@nowhere.invalid"}}),
            "noTarget",
        ),
        (
            json!({"op": "add", "path": "noSuchAttribute", "value": 1}),
            "invalidPath",
        ),
        (
            json!({"op": "move", "path": "nickName", "value": "B"}),
            "invalidSyntax",
        ),
    ])
}

fn good_group_op() -> impl Strategy<Value = Value> {
    prop_oneof![
        select(MEMBER_IDS)
            .prop_map(|id| json!({"op": "add", "path": "members", "value": [{"value": id}]})),
        select(MEMBER_IDS)
            .prop_map(|id| json!({"op": "remove", "path": format!(r#"members[value eq "{id}"]"#)})),
        word().prop_map(|w| json!({"op": "replace", "path": "displayName", "value": w})),
        Just(json!({"op": "remove", "path": "members", "value": [{"value": "u2"}]})),
    ]
}

fn bad_group_op() -> impl Strategy<Value = (Value, &'static str)> {
    select(vec![
        (json!({"op": "remove", "path": "displayName"}), "mutability"),
        (
            json!({"op": "replace", "path": "displayName", "value": null}),
            "mutability",
        ),
        (
            json!({"op": "replace", "value": {"id": "another"}}),
            "mutability",
        ),
        (
            json!({"op": "replace", "path": r#"members[display sw "zz" and value eq "u1"].display"#, "value": "Z"}),
            "noTarget",
        ),
        (
            json!({"op": "add", "path": "userName", "value": "x"}),
            "invalidPath",
        ),
        (
            json!({"op": "replace", "path": "displayName", "value": 7}),
            "invalidValue",
        ),
    ])
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

proptest! {
    // No regression files: a failure prints its minimal input; make it a row in patch_rfc.rs.
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(256)
    })]

    /// (a) Anything a client sends is read and applied without a panic, and fails, if at all,
    /// with a 400 SCIM error; (b) a failure leaves the resource as it was; (c) a success is a
    /// valid resource.
    #[test]
    fn any_patch_is_applied_or_refused_cleanly((doc, body) in arb_wild_patch()) {
        let resource = stored(&doc);
        let snapshot = resource.clone();
        let rendered = resource.to_json();
        match patch_body(&resource, body) {
            Ok(patched) => check_result(&resource, &patched)?,
            Err(error) => check_error(&error)?,
        }
        prop_assert!(resource == snapshot, "the original resource changed");
        prop_assert_eq!(resource.to_json(), rendered);
    }

    /// (c) Well-formed operations with plausible values: every success validates, round-trips
    /// and has one primary at most.
    #[test]
    fn successful_patches_yield_valid_resources((doc, body) in arb_sensible_patch()) {
        let resource = stored(&doc);
        let snapshot = resource.clone();
        match patch_body(&resource, body) {
            Ok(patched) => check_result(&resource, &patched)?,
            Err(error) => {
                check_error(&error)?;
                prop_assert!(resource == snapshot, "the original resource changed");
            }
        }
    }

    /// (b) A User PATCH with one failing operation anywhere in the list fails with that
    /// operation's error and changes nothing, although the other operations alone succeed.
    #[test]
    fn a_failing_user_operation_anywhere_fails_everything(
        doc in arb_user_doc(),
        good in vec(good_user_op(), 0..6),
        (bad, scim_type) in bad_user_op(),
        at in any::<Index>(),
    ) {
        let resource = stored(&doc);
        let alone = patch_ops(&resource, &good);
        prop_assert!(good.is_empty() || alone.is_ok(), "the good operations fail: {:?}", alone.err());
        let mut ops = good.clone();
        ops.insert(at.index(good.len() + 1), bad);
        let snapshot = resource.clone();
        let rendered = resource.to_json();
        match patch_ops(&resource, &ops) {
            Ok(patched) => prop_assert!(false, "succeeded: {}", patched.resource.to_json()),
            Err(error) => prop_assert_eq!(error.scim_type(), Some(scim_type), "{}", error),
        }
        prop_assert!(resource == snapshot, "the original resource changed");
        prop_assert_eq!(resource.to_json(), rendered);
    }

    /// (b) The same for Groups.
    #[test]
    fn a_failing_group_operation_anywhere_fails_everything(
        doc in arb_group_doc(),
        good in vec(good_group_op(), 0..6),
        (bad, scim_type) in bad_group_op(),
        at in any::<Index>(),
    ) {
        let resource = stored(&doc);
        let alone = patch_ops(&resource, &good);
        prop_assert!(good.is_empty() || alone.is_ok(), "the good operations fail: {:?}", alone.err());
        let mut ops = good.clone();
        ops.insert(at.index(good.len() + 1), bad);
        let snapshot = resource.clone();
        match patch_ops(&resource, &ops) {
            Ok(patched) => prop_assert!(false, "succeeded: {}", patched.resource.to_json()),
            Err(error) => prop_assert_eq!(error.scim_type(), Some(scim_type), "{}", error),
        }
        prop_assert!(resource == snapshot, "the original resource changed");
    }

    /// (d) Re-sending a member add changes nothing (RFC 7644 §3.5.2.1; JumpCloud resends).
    #[test]
    fn adding_the_same_members_twice_is_idempotent(
        doc in arb_group_doc(),
        members in vec(arb_member(), 1..4),
        op in select(&["add", "Add", "ADD"][..]),
    ) {
        let resource = stored(&doc);
        let ops = [json!({"op": op, "path": "members", "value": members})];
        if let Ok(first) = patch_ops(&resource, &ops) {
            check_result(&resource, &first)?;
            let second = patch_ops(&first.resource, &ops);
            prop_assert!(second.is_ok(), "second add failed: {:?}", second.as_ref().err());
            if let Ok(second) = second {
                prop_assert!(!second.changed, "second add changed {}", second.resource.to_json());
                prop_assert_eq!(second.resource.to_json(), first.resource.to_json());
                prop_assert!(second.resource == first.resource);
            }
        }
    }

    /// (d) Re-sending an email add changes nothing, with or without a path.
    #[test]
    fn adding_the_same_emails_twice_is_idempotent(
        doc in arb_user_doc(),
        emails in vec(arb_email(), 1..4),
        primary in opt(any::<Index>()),
        pathless in any::<bool>(),
    ) {
        let resource = stored(&doc);
        let mut emails = emails;
        if let Some(i) = primary {
            let i = i.index(emails.len());
            emails[i]["primary"] = json!(true);
        }
        let ops = if pathless {
            [json!({"op": "add", "value": {"emails": emails}})]
        } else {
            [json!({"op": "add", "path": "emails", "value": emails})]
        };
        if let Ok(first) = patch_ops(&resource, &ops) {
            check_result(&resource, &first)?;
            let second = patch_ops(&first.resource, &ops);
            prop_assert!(second.is_ok(), "second add failed: {:?}", second.as_ref().err());
            if let Ok(second) = second {
                prop_assert!(!second.changed, "second add changed {}", second.resource.to_json());
                prop_assert_eq!(second.resource.to_json(), first.resource.to_json());
                prop_assert!(second.resource == first.resource);
            }
        }
    }
}
