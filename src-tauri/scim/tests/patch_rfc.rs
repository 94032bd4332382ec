//! PATCH acceptance tests, rule by rule as RFC 7644 §3.5.2 and §3.5.2.1–3 state them, plus
//! every example those sections give. Each table row names the RFC bullet it covers; each row
//! compares the whole resulting representation (`Resource::to_json`) and `changed`, or the exact
//! `scimType` of the error (and then checks the original resource is untouched).
//!
//! Uses only the public API of `workbench-scim`: `patch::parse_request` + `patch::apply`.

use serde_json::{Map, Value, json};
use workbench_scim::patch::{self, Patched};
use workbench_scim::resource;
use workbench_scim::schema::ResourceType;
use workbench_scim::schema::{ENTERPRISE_USER_URN as ENT, GROUP, GROUP_URN, USER, USER_URN};
use workbench_scim::{Resource, Rule, ScimError, Tolerances};

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// Babs Jensen's id, as in RFC 7644's examples.
const USER_ID: &str = "2819c223-7f76-453a-919d-413861904646";
const GROUP_ID: &str = "acbf3ae7-8463-4692-b4fd-9b4da3f908ce";
/// James Smith, the second member in RFC 7644's examples.
const JAMES_ID: &str = "08e1d05d-121c-4561-8b96-473d93df9210";
const BABS_REF: &str = "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646";
const JAMES_REF: &str = "https://example.com/v2/Users/08e1d05d-121c-4561-8b96-473d93df9210";

// ---------------------------------------------------------------------------------------------
// Documents and the runner
// ---------------------------------------------------------------------------------------------

/// A core User document with `schemas` and `id`; `fields` are its other attributes.
fn user(fields: Value) -> Value {
    document(&[USER_URN], USER_ID, fields)
}

/// A User document with the enterprise extension holding `ext`.
fn ent_user(fields: Value, ext: Value) -> Value {
    let mut doc = document(&[USER_URN, ENT], USER_ID, fields);
    doc[ENT] = ext;
    doc
}

/// A Group document with `schemas` and `id`.
fn group(fields: Value) -> Value {
    document(&[GROUP_URN], GROUP_ID, fields)
}

fn document(schemas: &[&str], id: &str, fields: Value) -> Value {
    let mut doc = Map::new();
    doc.insert("schemas".into(), json!(schemas));
    doc.insert("id".into(), json!(id));
    if let Value::Object(fields) = fields {
        doc.extend(fields);
    }
    Value::Object(doc)
}

/// Babs as most rows start: a name, a display name, a primary work and a home email.
fn babs() -> Value {
    user(json!({
        "userName": "bjensen",
        "name": {"familyName": "Jensen", "givenName": "Barbara"},
        "displayName": "Babs Jensen",
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ]
    }))
}

/// The RFC's group with Babs as its one member.
fn tour_guides() -> Value {
    group(json!({
        "displayName": "Tour Guides",
        "members": [{"value": USER_ID, "display": "Babs Jensen", "$ref": BABS_REF}]
    }))
}

fn babs_member() -> Value {
    json!({"display": "Babs Jensen", "$ref": BABS_REF, "value": USER_ID})
}

fn james_member() -> Value {
    json!({"display": "James Smith", "$ref": JAMES_REF, "value": JAMES_ID})
}

fn rtype_of(doc: &Value) -> &'static ResourceType {
    let is_group = doc["schemas"]
        .as_array()
        .is_some_and(|s| s.iter().any(|u| u == GROUP_URN));
    if is_group { &GROUP } else { &USER }
}

/// Reads `doc` as a stored resource (validated by `resource::parse`, id assigned).
fn stored(doc: &Value) -> Resource {
    let rtype = rtype_of(doc);
    let mut tolerances = Tolerances::new();
    let mut resource = resource::parse(rtype, doc.clone(), &mut tolerances)
        .unwrap_or_else(|e| panic!("fixture does not parse: {e}\n{doc:#}"))
        .resource;
    resource.set_id(doc["id"].as_str().expect("fixtures have an id"));
    resource
}

/// Parses `operations` as the `Operations` of a PatchOp body and applies them to `resource`.
fn patch_ops(resource: &Resource, operations: Value) -> (Result<Patched, ScimError>, Tolerances) {
    let body = json!({"schemas": [PATCH_OP], "Operations": operations});
    let mut tolerances = Tolerances::new();
    let result = patch::parse_request(body, resource.resource_type(), &mut tolerances)
        .and_then(|ops| patch::apply(resource, &ops, &mut tolerances));
    (result, tolerances)
}

/// One row of a table.
struct Case {
    /// The RFC bullet (or IdP habit) the row covers.
    rule: &'static str,
    before: Value,
    ops: Value,
    /// The whole resulting document and `changed`, or the `scimType` of the error.
    expect: Result<(Value, bool), &'static str>,
    /// Tolerances that must have fired.
    fires: Vec<Rule>,
    /// Tolerances that must not have fired.
    quiet: Vec<Rule>,
}

fn row(
    rule: &'static str,
    before: Value,
    ops: Value,
    expect: Result<(Value, bool), &'static str>,
) -> Case {
    Case {
        rule,
        before,
        ops,
        expect,
        fires: Vec::new(),
        quiet: Vec::new(),
    }
}

impl Case {
    fn fires(mut self, rule: Rule) -> Self {
        self.fires.push(rule);
        self
    }
    fn quiet(mut self, rule: Rule) -> Self {
        self.quiet.push(rule);
        self
    }
}

/// The resource becomes `after`.
fn becomes(after: Value) -> Result<(Value, bool), &'static str> {
    Ok((after, true))
}

/// The PATCH succeeds and the resource stays `before` (`changed == false`).
fn no_change(before: Value) -> Result<(Value, bool), &'static str> {
    Ok((before, false))
}

/// The PATCH fails with this `scimType` (status 400).
fn fails(scim_type: &'static str) -> Result<(Value, bool), &'static str> {
    Err(scim_type)
}

fn check(case: &Case) -> Result<(), String> {
    let original = stored(&case.before);
    let snapshot = original.clone();
    let (result, tolerances) = patch_ops(&original, case.ops.clone());
    if original != snapshot || original.to_json() != snapshot.to_json() {
        return Err("the original resource changed".into());
    }
    match (&case.expect, result) {
        (Ok((after, changed)), Ok(patched)) => {
            let got = patched.resource.to_json();
            if &got != after {
                return Err(format!(
                    "expected\n{after:#}\ngot\n{got:#}\n(tolerances: {:?})",
                    tolerances.applied()
                ));
            }
            if patched.changed != *changed {
                return Err(format!(
                    "expected changed == {changed}, got {}",
                    patched.changed
                ));
            }
        }
        (Ok(_), Err(e)) => {
            return Err(format!("expected success, got {:?}: {e}", e.scim_type()));
        }
        (Err(scim_type), Ok(patched)) => {
            return Err(format!(
                "expected {scim_type}, got success:\n{:#}",
                patched.resource.to_json()
            ));
        }
        (Err(scim_type), Err(e)) => {
            if e.scim_type() != Some(*scim_type) || e.status() != 400 {
                return Err(format!(
                    "expected 400 {scim_type}, got {} {:?}: {e}",
                    e.status(),
                    e.scim_type()
                ));
            }
        }
    }
    for rule in &case.fires {
        if !tolerances.fired(*rule) {
            return Err(format!(
                "expected {rule} to fire; fired: {:?}",
                tolerances.applied()
            ));
        }
    }
    for rule in &case.quiet {
        if tolerances.fired(*rule) {
            return Err(format!("{rule} fired but should not have"));
        }
    }
    Ok(())
}

/// Runs every row and reports all failing rows at once.
fn run(table: Vec<Case>) {
    let failures: Vec<String> = table
        .iter()
        .filter_map(|case| {
            check(case)
                .err()
                .map(|why| format!("── {}\n   ops: {}\n   {why}", case.rule, case.ops))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        table.len(),
        failures.join("\n")
    );
}

/// Applies `ops` and returns the resulting document, failing the test on an error.
fn patched(before: &Value, ops: Value) -> (Value, bool) {
    let (result, tolerances) = patch_ops(&stored(before), ops);
    match result {
        Ok(p) => (p.resource.to_json(), p.changed),
        Err(e) => panic!("PATCH failed: {e} (tolerances: {:?})", tolerances.applied()),
    }
}

/// Like [`patched`] for an example of the RFC itself, which needs no IdP tolerance.
fn rfc_example(before: &Value, ops: Value) -> (Value, bool) {
    let (result, tolerances) = patch_ops(&stored(before), ops);
    assert!(
        tolerances.is_empty(),
        "tolerances fired: {:?}",
        tolerances.applied()
    );
    match result {
        Ok(p) => (p.resource.to_json(), p.changed),
        Err(e) => panic!("PATCH failed: {e}"),
    }
}

// ---------------------------------------------------------------------------------------------
// §3.5.2: general rules
// ---------------------------------------------------------------------------------------------

#[test]
fn op_names_are_case_insensitive() {
    run(vec![
        // §3.5.2 (and IDP-NOTES "everyone"): `op` in any case.
        row(
            "§3.5.2 op \"ADD\"",
            user(json!({"userName": "bjensen"})),
            json!([{"op": "ADD", "path": "nickName", "value": "Babs"}]),
            becomes(user(json!({"userName": "bjensen", "nickName": "Babs"}))),
        )
        .fires(Rule::OpNameCase),
        row(
            "§3.5.2 op \"Replace\" (Entra's PascalCase)",
            user(json!({"userName": "bjensen", "nickName": "B"})),
            json!([{"op": "Replace", "path": "nickName", "value": "Babs"}]),
            becomes(user(json!({"userName": "bjensen", "nickName": "Babs"}))),
        )
        .fires(Rule::OpNameCase),
        row(
            "§3.5.2 op \"rEmOvE\"",
            user(json!({"userName": "bjensen", "nickName": "Babs"})),
            json!([{"op": "rEmOvE", "path": "nickName"}]),
            becomes(user(json!({"userName": "bjensen"}))),
        )
        .fires(Rule::OpNameCase),
        row(
            "§3.5.2 op in lower case needs no tolerance",
            user(json!({"userName": "bjensen"})),
            json!([{"op": "add", "path": "nickName", "value": "Babs"}]),
            becomes(user(json!({"userName": "bjensen", "nickName": "Babs"}))),
        )
        .quiet(Rule::OpNameCase),
        row(
            "§3.5.2 an op that is none of add/remove/replace",
            user(json!({"userName": "bjensen"})),
            json!([{"op": "move", "path": "nickName", "value": "Babs"}]),
            fails("invalidSyntax"),
        ),
    ]);
}

#[test]
fn operations_apply_in_order() {
    let more = json!({"value": "babs@example.org", "type": "other"});
    run(vec![
        // §3.5.2: "Operations are applied sequentially in the order they appear in the array."
        row(
            "§3.5.2 in order: the later replace wins",
            user(json!({"userName": "bjensen"})),
            json!([
                {"op": "replace", "path": "displayName", "value": "First"},
                {"op": "replace", "path": "displayName", "value": "Second"}
            ]),
            becomes(user(
                json!({"userName": "bjensen", "displayName": "Second"}),
            )),
        ),
        row(
            "§3.5.2 in order: a later operation sees what an earlier one added",
            babs(),
            json!([
                {"op": "add", "path": "emails", "value": [more]},
                {"op": "replace", "path": r#"emails[value ew "example.org"].display"#, "value": "Other"}
            ]),
            becomes(user(json!({
                "userName": "bjensen",
                "name": {"familyName": "Jensen", "givenName": "Barbara"},
                "displayName": "Babs Jensen",
                "emails": [
                    {"value": "bjensen@example.com", "type": "work", "primary": true},
                    {"value": "babs@jensen.org", "type": "home"},
                    {"value": "babs@example.org", "type": "other", "display": "Other"}
                ]
            }))),
        ),
        row(
            "§3.5.2 in order: reversed, the replace finds nothing yet",
            babs(),
            json!([
                {"op": "replace", "path": r#"emails[value ew "example.org"].display"#, "value": "Other"},
                {"op": "add", "path": "emails", "value": [more]}
            ]),
            fails("noTarget"),
        ),
        row(
            "§3.5.2 in order: add then remove leaves the resource as it was",
            babs(),
            json!([
                {"op": "add", "path": "emails", "value": [more]},
                {"op": "remove", "path": r#"emails[type eq "other"]"#}
            ]),
            no_change(babs()),
        ),
        row(
            "§3.5.2 in order: remove then add",
            babs(),
            json!([
                {"op": "remove", "path": "emails"},
                {"op": "add", "path": "emails", "value": [more]}
            ]),
            becomes(user(json!({
                "userName": "bjensen",
                "name": {"familyName": "Jensen", "givenName": "Barbara"},
                "displayName": "Babs Jensen",
                "emails": [{"value": "babs@example.org", "type": "other"}]
            }))),
        ),
    ]);
}

#[test]
fn a_failing_operation_fails_the_whole_patch() {
    run(vec![
        // §3.5.2: "A PATCH request, regardless of the number of operations, SHALL be treated
        // as atomic." The runner also checks the original resource is untouched.
        row(
            "§3.5.2 atomic: readOnly failure after a good replace",
            babs(),
            json!([
                {"op": "replace", "path": "displayName", "value": "Changed"},
                {"op": "replace", "path": "id", "value": "another-id"}
            ]),
            fails("mutability"),
        ),
        row(
            "§3.5.2 atomic: removing a required attribute after a good add",
            babs(),
            json!([
                {"op": "add", "path": "nickName", "value": "Babs"},
                {"op": "remove", "path": "userName"}
            ]),
            fails("mutability"),
        ),
        row(
            "§3.5.2 atomic: noTarget after good operations",
            babs(),
            json!([
                {"op": "replace", "path": "displayName", "value": "Changed"},
                {"op": "remove", "path": "emails"},
                {"op": "replace", "path": r#"emails[type eq "work" and value ew "nowhere.invalid"]"#,
                 "value": {"value": "x@nowhere.invalid", "type": "work"}}
            ]),
            fails("noTarget"),
        ),
        row(
            "§3.5.2 atomic: invalidValue after a good add",
            babs(),
            json!([
                {"op": "add", "path": "emails", "value": [{"value": "b@example.org"}]},
                {"op": "replace", "path": "active", "value": "maybe"}
            ]),
            fails("invalidValue"),
        ),
        row(
            "§3.5.2 atomic: an invalid path anywhere fails the request before anything applies",
            babs(),
            json!([
                {"op": "replace", "path": "displayName", "value": "Changed"},
                {"op": "replace", "path": "noSuchAttribute", "value": "x"}
            ]),
            fails("invalidPath"),
        ),
        row(
            "§3.5.2 atomic: the first failure wins (mutability before invalidValue)",
            tour_guides(),
            json!([
                {"op": "replace", "path": "displayName", "value": "Guides"},
                {"op": "replace", "path": format!(r#"members[value eq "{USER_ID}"].value"#), "value": JAMES_ID},
                {"op": "replace", "path": "displayName", "value": 42}
            ]),
            fails("mutability"),
        ),
    ]);
}

#[test]
fn setting_primary_clears_the_other_primaries() {
    let base = |emails: Value| user(json!({"userName": "bjensen", "emails": emails}));
    let work = json!({"value": "bjensen@example.com", "type": "work", "primary": true});
    let home = json!({"value": "babs@jensen.org", "type": "home"});
    run(vec![
        // §3.5.2: "a PATCH operation that sets a value's "primary" sub-attribute to "true"
        // SHALL cause the server to automatically set "primary" to "false" for any other values".
        row(
            "§3.5.2 primary: add a new primary value",
            base(json!([work, home])),
            json!([{"op": "add", "path": "emails",
                    "value": [{"value": "babs@example.org", "type": "other", "primary": true}]}]),
            becomes(base(json!([
                {"value": "bjensen@example.com", "type": "work", "primary": false},
                home,
                {"value": "babs@example.org", "type": "other", "primary": true}
            ]))),
        ),
        row(
            "§3.5.2 primary: valuePath.primary set to true",
            base(json!([work, home])),
            json!([{"op": "replace", "path": r#"emails[type eq "home"].primary"#, "value": true}]),
            becomes(base(json!([
                {"value": "bjensen@example.com", "type": "work", "primary": false},
                {"value": "babs@jensen.org", "type": "home", "primary": true}
            ]))),
        ),
        row(
            "§3.5.2 primary: valuePath replaced by a primary record",
            base(json!([work, home])),
            json!([{"op": "replace", "path": r#"emails[type eq "home"]"#,
                    "value": {"value": "babs@jensen.org", "type": "home", "primary": true}}]),
            becomes(base(json!([
                {"value": "bjensen@example.com", "type": "work", "primary": false},
                {"value": "babs@jensen.org", "type": "home", "primary": true}
            ]))),
        ),
        row(
            "§3.5.2 primary: an existing value re-added as primary",
            base(json!([work, home])),
            json!([{"op": "add", "path": "emails",
                    "value": [{"value": "babs@jensen.org", "type": "home", "primary": true}]}]),
            becomes(base(json!([
                {"value": "bjensen@example.com", "type": "work", "primary": false},
                {"value": "babs@jensen.org", "type": "home", "primary": true}
            ]))),
        ),
        row(
            "§3.5.2 primary: \"True\" as a string (Entra) still demotes the others",
            base(json!([work, home])),
            json!([{"op": "Add", "path": "emails",
                    "value": [{"value": "babs@example.org", "type": "other", "primary": "True"}]}]),
            becomes(base(json!([
                {"value": "bjensen@example.com", "type": "work", "primary": false},
                home,
                {"value": "babs@example.org", "type": "other", "primary": true}
            ]))),
        )
        .fires(Rule::BooleanAsString),
        row(
            "§3.5.2 primary: one value given two primaries is invalid",
            base(json!([home])),
            json!([{"op": "add", "path": "emails", "value": [
                {"value": "a@example.org", "type": "other", "primary": true},
                {"value": "b@example.org", "type": "other", "primary": true}
            ]}]),
            fails("invalidValue"),
        ),
        row(
            // Not in the RFC: one operation asking for two primaries cannot be honoured.
            "§3.5.2 primary: primary set true on every value is invalid",
            base(json!([work, home])),
            json!([{"op": "replace", "path": "emails.primary", "value": true}]),
            fails("invalidValue"),
        ),
        row(
            "§3.5.2 primary: setting primary false leaves the others alone",
            base(json!([work, home])),
            json!([{"op": "replace", "path": r#"emails[type eq "home"].primary"#, "value": false}]),
            becomes(base(json!([
                work,
                {"value": "babs@jensen.org", "type": "home", "primary": false}
            ]))),
        ),
    ]);
}

#[test]
fn operations_respect_mutability() {
    let members_of = |display: Option<&str>| {
        let mut babs = json!({"value": USER_ID, "$ref": BABS_REF});
        if let Some(display) = display {
            babs["display"] = json!(display);
        }
        group(json!({"displayName": "Tour Guides", "members": [babs]}))
    };
    let babs_path = format!(r#"members[value eq "{USER_ID}"]"#);
    run(vec![
        // §3.5.2: "a client MUST NOT modify an attribute that has mutability "readOnly" or
        // "immutable". However, a client MAY "add" a value to an "immutable" attribute if the
        // attribute had no previous value." → 400 mutability.
        row(
            "§3.5.2 readOnly: replace id",
            babs(),
            json!([{"op": "replace", "path": "id", "value": "another-id"}]),
            fails("mutability"),
        ),
        row(
            "§3.5.2 readOnly: remove id",
            babs(),
            json!([{"op": "remove", "path": "id"}]),
            fails("mutability"),
        ),
        row(
            "§3.5.2 readOnly: add to a User's groups",
            babs(),
            json!([{"op": "add", "path": "groups", "value": [{"value": GROUP_ID}]}]),
            fails("mutability"),
        ),
        row(
            "§3.5.2 readOnly: a sub-attribute of meta",
            babs(),
            json!([{"op": "replace", "path": "meta.lastModified", "value": "2011-05-13T04:42:34Z"}]),
            fails("mutability"),
        ),
        row(
            "§3.5.2 readOnly: a readOnly sub-attribute (manager.displayName)",
            babs(),
            json!([{"op": "replace", "path": format!("{ENT}:manager.displayName"), "value": "Boss"}]),
            fails("mutability"),
        ),
        row(
            "§3.5.2 readOnly: a changed id in a path-less value",
            babs(),
            json!([{"op": "replace", "value": {"id": "another-id", "displayName": "B"}}]),
            fails("mutability"),
        ),
        row(
            "§3.5.2 readOnly: Okta echoes the unchanged id in a path-less replace",
            tour_guides(),
            json!([{"op": "replace", "value": {"id": GROUP_ID, "displayName": "Guides"}}]),
            becomes(group(json!({
                "displayName": "Guides",
                "members": [{"value": USER_ID, "display": "Babs Jensen", "$ref": BABS_REF}]
            }))),
        )
        .fires(Rule::ReadOnlyEchoIgnored),
        row(
            "§3.5.2 immutable: members[value eq].value changed",
            members_of(Some("Babs Jensen")),
            json!([{"op": "replace", "path": format!("{babs_path}.value"), "value": JAMES_ID}]),
            fails("mutability"),
        ),
        row(
            "§3.5.2 immutable: members[value eq].value set to the value it has",
            members_of(Some("Babs Jensen")),
            json!([{"op": "replace", "path": format!("{babs_path}.value"), "value": USER_ID}]),
            no_change(members_of(Some("Babs Jensen"))),
        ),
        row(
            "§3.5.2 immutable: a record replaced with a different immutable sub-attribute",
            members_of(Some("Babs Jensen")),
            json!([{"op": "replace", "path": babs_path,
                    "value": {"value": USER_ID, "display": "Barbara"}}]),
            fails("mutability"),
        ),
        row(
            // §3.5.2.1 "already contains the value": the member is there, its immutable
            // display stays (Okta re-adds members with a new display after a rename).
            "§3.5.2.1 immutable: re-adding a member with another display changes nothing",
            members_of(Some("Babs Jensen")),
            json!([{"op": "add", "path": "members", "value": [{"value": USER_ID, "display": "Barbara"}]}]),
            no_change(members_of(Some("Babs Jensen"))),
        )
        .fires(Rule::DuplicateValueIgnored),
        row(
            "§3.5.2.1 immutable: a re-added member keeps its display and gains a type",
            members_of(Some("Babs Jensen")),
            json!([{"op": "add", "path": "members",
                    "value": [{"value": USER_ID, "display": "Barbara", "type": "User"}]}]),
            becomes(group(json!({
                "displayName": "Tour Guides",
                "members": [{"value": USER_ID, "$ref": BABS_REF, "display": "Babs Jensen", "type": "User"}]
            }))),
        )
        .fires(Rule::DuplicateValueIgnored),
        row(
            "§3.5.2 immutable: an add through a valuePath to a set display → mutability",
            members_of(Some("Babs Jensen")),
            json!([{"op": "add", "path": format!("{babs_path}.display"), "value": "Barbara"}]),
            fails("mutability"),
        ),
        row(
            "§3.5.2 immutable: MAY add a value when the attribute had none",
            members_of(None),
            json!([{"op": "add", "path": format!("{babs_path}.display"), "value": "Babs Jensen"}]),
            becomes(members_of(Some("Babs Jensen"))),
        ),
        row(
            "§3.5.2 immutable: removing a set sub-attribute changes it",
            members_of(Some("Babs Jensen")),
            json!([{"op": "remove", "path": format!("{babs_path}.display")}]),
            fails("mutability"),
        ),
        row(
            "§3.5.2 immutable: removing it from every record changes them",
            members_of(Some("Babs Jensen")),
            json!([{"op": "remove", "path": "members.display"}]),
            fails("mutability"),
        ),
        row(
            "§3.5.2 immutable: removing a sub-attribute that has no value changes nothing",
            members_of(None),
            json!([{"op": "remove", "path": format!("{babs_path}.display")}]),
            no_change(members_of(None)),
        ),
        row(
            "§3.5.2 immutable: removing the whole record is allowed",
            members_of(Some("Babs Jensen")),
            json!([{"op": "remove", "path": babs_path}]),
            becomes(group(json!({"displayName": "Tour Guides"}))),
        ),
        row(
            "§3.5.2 readOnly: an unassigned echo of an unassigned attribute is ignored",
            babs(),
            json!([{"op": "replace", "value": {"groups": [], "nickName": "Babs"}}]),
            becomes(user(json!({
                "userName": "bjensen",
                "name": {"familyName": "Jensen", "givenName": "Barbara"},
                "displayName": "Babs Jensen",
                "nickName": "Babs",
                "emails": [
                    {"value": "bjensen@example.com", "type": "work", "primary": true},
                    {"value": "babs@jensen.org", "type": "home"}
                ]
            }))),
        )
        .fires(Rule::ReadOnlyEchoIgnored),
        row(
            "§3.5.2 readOnly: a path-less value for groups is refused",
            babs(),
            json!([{"op": "add", "value": {"groups": [{"value": GROUP_ID}]}}]),
            fails("mutability"),
        ),
        row(
            "§3.5.2 required: remove userName",
            babs(),
            json!([{"op": "remove", "path": "userName"}]),
            fails("mutability"),
        ),
        row(
            "§3.5.2 required: remove a Group's displayName",
            tour_guides(),
            json!([{"op": "remove", "path": "displayName"}]),
            fails("mutability"),
        ),
        row(
            "§3.5.2 required: replace userName with null (unassigns it)",
            babs(),
            json!([{"op": "replace", "path": "userName", "value": null}]),
            fails("mutability"),
        ),
        row(
            "§3.5.2 required: replace userName with \"\" (Entra's null update)",
            babs(),
            json!([{"op": "Replace", "path": "userName", "value": ""}]),
            fails("mutability"),
        ),
        row(
            "§3.5.2 required: path-less replace setting displayName to null",
            tour_guides(),
            json!([{"op": "replace", "value": {"displayName": null}}]),
            fails("mutability"),
        ),
    ]);
}

#[test]
fn malformed_operations_are_rejected() {
    run(vec![
        // §3.5.2.1 / §3.5.2.3: "The operation MUST contain a "value" member" → invalidValue
        // (RFC 7644 Table 9: "A required value was missing").
        row(
            "§3.5.2.1 add without value",
            babs(),
            json!([{"op": "add", "path": "nickName"}]),
            fails("invalidValue"),
        ),
        row(
            "§3.5.2.3 replace without value",
            babs(),
            json!([{"op": "replace", "path": "nickName"}]),
            fails("invalidValue"),
        ),
        row(
            "§3.5.2.1 add without path or value",
            babs(),
            json!([{"op": "add"}]),
            fails("invalidValue"),
        ),
        row(
            "§3.5.2.3 a path-less value must be an object of attributes",
            babs(),
            json!([{"op": "replace", "value": "Babs"}]),
            fails("invalidValue"),
        ),
        row(
            "§3.5.2 a value of the wrong type",
            babs(),
            json!([{"op": "replace", "path": "active", "value": [1, 2]}]),
            fails("invalidValue"),
        ),
        // §3.5.2.2: remove without path → noTarget.
        row(
            "§3.5.2.2 remove without path",
            babs(),
            json!([{"op": "remove"}]),
            fails("noTarget"),
        ),
    ]);
}

#[test]
fn bad_paths_are_invalid_path() {
    let bad_syntax = [
        r#"emails[type eq "work""#,
        r#"emails[type eq]"#,
        r#"emails[type xx "work"]"#,
        r#"emails[type eq "work"]]"#,
        r#"emails[type eq "work"]."#,
        r#"emails[type eq "work"][value eq "x"]"#,
        r#"emails[type eq "work"] extra"#,
        r#"name.givenName[value eq "x"]"#,
        "name..givenName",
        "name.givenName.more",
        "9lives",
        "emails[]",
        "[type eq \"work\"]",
        "emails.",
    ];
    let unknown = [
        "noSuchAttribute",
        "name.noSuchPart",
        r#"emails[noSuch eq "x"]"#,
        r#"emails[type eq "work"].noSuch"#,
        // An extension attribute must be URN-qualified (RFC 7644 §3.10).
        "employeeNumber",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:noSuch",
        "urn:example:params:scim:schemas:unknown:1.0:User:employeeNumber",
        "userName.value",
        // A value filter only applies to complex attributes.
        r#"userName[value eq "x"]"#,
        r#"emails[value.x eq "x"]"#,
    ];
    let mut table = Vec::new();
    for path in bad_syntax {
        // §3.5.2: a path that does not follow the PATH rule → invalidPath.
        table.push(row(
            "§3.5.2 malformed path",
            babs(),
            json!([{"op": "replace", "path": path, "value": "x"}]),
            fails("invalidPath"),
        ));
    }
    for path in unknown {
        // §3.5.2 / Table 9: "The "path" attribute ... did not map to an attribute" → invalidPath.
        table.push(row(
            "§3.5.2 unknown attribute in a path",
            babs(),
            json!([{"op": "add", "path": path, "value": "x"}]),
            fails("invalidPath"),
        ));
    }
    for path in [
        "userName",
        format!("{ENT}:employeeNumber").as_str(),
        "emails",
    ] {
        table.push(row(
            "§3.5.2 a User attribute in a Group path",
            tour_guides(),
            json!([{"op": "remove", "path": path}]),
            fails("invalidPath"),
        ));
    }
    table.push(row(
        "§3.5.2 path must be a string",
        babs(),
        json!([{"op": "remove", "path": 42}]),
        fails("invalidPath"),
    ));
    table.push(row(
        "§3.5.2 path in a remove is checked too",
        babs(),
        json!([{"op": "remove", "path": r#"emails[type eq "work""#}]),
        fails("invalidPath"),
    ));
    run(table);
}

#[test]
fn nothing_changes_when_the_operations_change_nothing() {
    run(vec![
        // §3.5.2.1: "If the target location already contains the value specified, no changes
        // SHOULD be made to the resource ... SHALL NOT change the modify timestamp."
        row(
            "§3.5.2.1 unchanged: replace with the same single value",
            babs(),
            json!([{"op": "replace", "path": "displayName", "value": "Babs Jensen"}]),
            no_change(babs()),
        ),
        row(
            "§3.5.2.1 unchanged: path-less replace with the values already there",
            babs(),
            json!([{"op": "replace", "value": {
                "displayName": "Babs Jensen",
                "name": {"givenName": "Barbara"}
            }}]),
            no_change(babs()),
        ),
        row(
            "§3.5.2.1 unchanged: add an email that is already there",
            babs(),
            json!([{"op": "add", "path": "emails", "value": [{"value": "babs@jensen.org", "type": "home"}]}]),
            no_change(babs()),
        )
        .fires(Rule::DuplicateValueIgnored),
        row(
            "§3.5.2.2 unchanged: remove an attribute that has no value",
            babs(),
            json!([{"op": "remove", "path": "nickName"}]),
            no_change(babs()),
        ),
        row(
            "§3.5.2.3 unchanged: replace a list with the same list",
            babs(),
            json!([{"op": "replace", "path": "emails", "value": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}
            ]}]),
            no_change(babs()),
        ),
        row(
            "§3.5.2 unchanged: remove and re-add the same attribute",
            babs(),
            json!([
                {"op": "remove", "path": "displayName"},
                {"op": "add", "path": "displayName", "value": "Babs Jensen"}
            ]),
            no_change(babs()),
        ),
    ]);
}

// ---------------------------------------------------------------------------------------------
// §3.5.2.1: add
// ---------------------------------------------------------------------------------------------

#[test]
fn add_follows_rfc_7644_3_5_2_1() {
    let james = |extra: Value| {
        let mut doc = group(json!({"displayName": "Tour Guides", "members": [james_member()]}));
        if let Value::Object(extra) = extra {
            doc.as_object_mut().unwrap().extend(extra);
        }
        doc
    };
    run(vec![
        row(
            "§3.5.2.1 no path: the value is an object of attributes to add",
            user(json!({"userName": "bjensen"})),
            json!([{"op": "add", "value": {"nickName": "Babs", "title": "Tour Guide"}}]),
            becomes(user(json!({"userName": "bjensen", "nickName": "Babs", "title": "Tour Guide"}))),
        ),
        row(
            "§3.5.2.1 a missing attribute is added",
            user(json!({"userName": "bjensen"})),
            json!([{"op": "add", "path": "title", "value": "Tour Guide"}]),
            becomes(user(json!({"userName": "bjensen", "title": "Tour Guide"}))),
        ),
        row(
            "§3.5.2.1 a missing multi-valued attribute is added",
            user(json!({"userName": "bjensen"})),
            json!([{"op": "add", "path": "phoneNumbers", "value": [{"value": "555-555-5555", "type": "work"}]}]),
            becomes(user(json!({
                "userName": "bjensen",
                "phoneNumbers": [{"value": "555-555-5555", "type": "work"}]
            }))),
        ),
        row(
            "§3.5.2.1 complex: the given sub-attributes are merged in",
            babs(),
            json!([{"op": "add", "path": "name", "value": {"middleName": "Jane", "givenName": "Babs"}}]),
            becomes(user(json!({
                "userName": "bjensen",
                "name": {"familyName": "Jensen", "givenName": "Babs", "middleName": "Jane"},
                "displayName": "Babs Jensen",
                "emails": [
                    {"value": "bjensen@example.com", "type": "work", "primary": true},
                    {"value": "babs@jensen.org", "type": "home"}
                ]
            }))),
        ),
        row(
            "§3.5.2.1 complex: a sub-attribute path adds that sub-attribute",
            user(json!({"userName": "bjensen", "name": {"familyName": "Jensen"}})),
            json!([{"op": "add", "path": "name.honorificPrefix", "value": "Ms."}]),
            becomes(user(json!({
                "userName": "bjensen",
                "name": {"familyName": "Jensen", "honorificPrefix": "Ms."}
            }))),
        ),
        row(
            "§3.5.2.1 complex: a missing complex attribute is added",
            user(json!({"userName": "bjensen"})),
            json!([{"op": "add", "path": "name.givenName", "value": "Barbara"}]),
            becomes(user(json!({"userName": "bjensen", "name": {"givenName": "Barbara"}}))),
        ),
        row(
            "§3.5.2.1 multi-valued: new values are appended",
            babs(),
            json!([{"op": "add", "path": "emails", "value": [
                {"value": "babs@example.org", "type": "other"},
                {"value": "bj@example.net", "type": "other"}
            ]}]),
            becomes(user(json!({
                "userName": "bjensen",
                "name": {"familyName": "Jensen", "givenName": "Barbara"},
                "displayName": "Babs Jensen",
                "emails": [
                    {"value": "bjensen@example.com", "type": "work", "primary": true},
                    {"value": "babs@jensen.org", "type": "home"},
                    {"value": "babs@example.org", "type": "other"},
                    {"value": "bj@example.net", "type": "other"}
                ]
            }))),
        ),
        row(
            "§3.5.2.1 multi-valued: a group member is appended",
            james(json!({})),
            json!([{"op": "add", "path": "members", "value": [babs_member()]}]),
            becomes(group(json!({
                "displayName": "Tour Guides",
                "members": [james_member(), babs_member()]
            }))),
        ),
        row(
            "§3.5.2.1 single-valued: the existing value is replaced",
            babs(),
            json!([{"op": "add", "path": "displayName", "value": "Barbara Jensen"}]),
            becomes(user(json!({
                "userName": "bjensen",
                "name": {"familyName": "Jensen", "givenName": "Barbara"},
                "displayName": "Barbara Jensen",
                "emails": [
                    {"value": "bjensen@example.com", "type": "work", "primary": true},
                    {"value": "babs@jensen.org", "type": "home"}
                ]
            }))),
        ),
        row(
            "§3.5.2.1 already present: the same value of a single-valued attribute",
            babs(),
            json!([{"op": "add", "path": "displayName", "value": "Babs Jensen"}]),
            no_change(babs()),
        ),
        row(
            "§3.5.2.1 already present: an email (value compared case-insensitively)",
            babs(),
            json!([{"op": "add", "path": "emails", "value": [{"value": "BJensen@Example.com", "type": "work"}]}]),
            no_change(babs()),
        )
        .fires(Rule::DuplicateValueIgnored),
        row(
            "§3.5.2.1 already present: a member re-sent bare (JumpCloud)",
            james(json!({})),
            json!([{"op": "add", "path": "members", "value": [{"value": JAMES_ID}]}]),
            no_change(james(json!({}))),
        )
        .fires(Rule::DuplicateValueIgnored),
        row(
            "§3.5.2.1 already present: a member with a type, re-sent without it",
            group(json!({"displayName": "Tour Guides", "members": [{"value": JAMES_ID, "type": "User"}]})),
            json!([{"op": "add", "path": "members", "value": [{"value": JAMES_ID}]}]),
            no_change(group(json!({"displayName": "Tour Guides", "members": [{"value": JAMES_ID, "type": "User"}]}))),
        ),
        row(
            "§3.5.2.1 already present: a member with a type, re-sent with a display",
            group(json!({"displayName": "Tour Guides", "members": [{"value": JAMES_ID, "type": "User"}]})),
            json!([{"op": "add", "path": "members", "value": [{"value": JAMES_ID, "display": "James Smith"}]}]),
            becomes(group(json!({
                "displayName": "Tour Guides",
                "members": [{"value": JAMES_ID, "type": "User", "display": "James Smith"}]
            }))),
        ),
        row(
            "§3.5.2.1 already present: the stored spelling of a case-insensitive value stays",
            babs(),
            json!([{"op": "add", "path": "emails", "value": [
                {"value": "BJensen@Example.com", "type": "work", "display": "Work"}
            ]}]),
            becomes(user(json!({
                "userName": "bjensen",
                "name": {"familyName": "Jensen", "givenName": "Barbara"},
                "displayName": "Babs Jensen",
                "emails": [
                    {"value": "bjensen@example.com", "type": "work", "primary": true, "display": "Work"},
                    {"value": "babs@jensen.org", "type": "home"}
                ]
            }))),
        ),
        row(
            "§3.5.2.1 complex: a sub-attribute given as null is cleared",
            babs(),
            json!([{"op": "add", "path": "name", "value": {"givenName": null}}]),
            becomes(user(json!({
                "userName": "bjensen",
                "name": {"familyName": "Jensen"},
                "displayName": "Babs Jensen",
                "emails": [
                    {"value": "bjensen@example.com", "type": "work", "primary": true},
                    {"value": "babs@jensen.org", "type": "home"}
                ]
            }))),
        ),
        row(
            "§3.5.2.1 a valuePath (not only eq) that matches nothing → noTarget",
            babs(),
            json!([{"op": "add", "path": r#"emails[value co "nowhere"].display"#, "value": "X"}]),
            fails("noTarget"),
        ),
        row(
            "§3.5.2.1 already present: a complex value whose sub-attributes are all there",
            babs(),
            json!([{"op": "add", "path": "name", "value": {"givenName": "Barbara"}}]),
            no_change(babs()),
        ),
        row(
            "§3.5.2.1 target exists: an existing email gets the new sub-attribute",
            babs(),
            json!([{"op": "add", "path": "emails", "value": [
                {"value": "babs@jensen.org", "type": "home", "display": "Home"}
            ]}]),
            becomes(user(json!({
                "userName": "bjensen",
                "name": {"familyName": "Jensen", "givenName": "Barbara"},
                "displayName": "Babs Jensen",
                "emails": [
                    {"value": "bjensen@example.com", "type": "work", "primary": true},
                    {"value": "babs@jensen.org", "type": "home", "display": "Home"}
                ]
            }))),
        ),
        row(
            "§3.5.2.1 a valuePath with a sub-attribute adds it to the matching records",
            babs(),
            json!([{"op": "add", "path": r#"emails[type eq "work"].display"#, "value": "Work"}]),
            becomes(user(json!({
                "userName": "bjensen",
                "name": {"familyName": "Jensen", "givenName": "Barbara"},
                "displayName": "Babs Jensen",
                "emails": [
                    {"value": "bjensen@example.com", "type": "work", "primary": true, "display": "Work"},
                    {"value": "babs@jensen.org", "type": "home"}
                ]
            }))),
        ),
        row(
            "§3.5.2.1 an empty list adds nothing",
            babs(),
            json!([{"op": "add", "path": "phoneNumbers", "value": []}]),
            no_change(babs()),
        ),
    ]);
}

// ---------------------------------------------------------------------------------------------
// §3.5.2.2: remove
// ---------------------------------------------------------------------------------------------

#[test]
fn remove_follows_rfc_7644_3_5_2_2() {
    let babs_without = |emails: Value| {
        let mut doc = babs();
        match emails {
            Value::Null => {
                doc.as_object_mut().unwrap().remove("emails");
            }
            emails => doc["emails"] = emails,
        }
        doc
    };
    let phones = user(json!({
        "userName": "bjensen",
        "phoneNumbers": [{"value": "555-555-5555"}, {"value": "555-555-4444", "type": "mobile"}]
    }));
    run(vec![
        row(
            "§3.5.2.2 no path → noTarget",
            babs(),
            json!([{"op": "remove", "value": {"nickName": "Babs"}}]),
            fails("noTarget"),
        ),
        row(
            "§3.5.2.2 single-valued: the attribute is removed",
            babs(),
            json!([{"op": "remove", "path": "displayName"}]),
            becomes(user(json!({
                "userName": "bjensen",
                "name": {"familyName": "Jensen", "givenName": "Barbara"},
                "emails": [
                    {"value": "bjensen@example.com", "type": "work", "primary": true},
                    {"value": "babs@jensen.org", "type": "home"}
                ]
            }))),
        ),
        row(
            "§3.5.2.2 single-valued complex: the attribute is removed",
            babs(),
            json!([{"op": "remove", "path": "name"}]),
            becomes(user(json!({
                "userName": "bjensen",
                "displayName": "Babs Jensen",
                "emails": [
                    {"value": "bjensen@example.com", "type": "work", "primary": true},
                    {"value": "babs@jensen.org", "type": "home"}
                ]
            }))),
        ),
        row(
            "§3.5.2.2 a sub-attribute of a singular complex attribute",
            babs(),
            json!([{"op": "remove", "path": "name.givenName"}]),
            becomes(user(json!({
                "userName": "bjensen",
                "name": {"familyName": "Jensen"},
                "displayName": "Babs Jensen",
                "emails": [
                    {"value": "bjensen@example.com", "type": "work", "primary": true},
                    {"value": "babs@jensen.org", "type": "home"}
                ]
            }))),
        ),
        row(
            "§3.5.2.2 the last sub-attribute removed leaves the attribute unassigned",
            user(json!({"userName": "bjensen", "name": {"givenName": "Barbara"}})),
            json!([{"op": "remove", "path": "name.givenName"}]),
            becomes(user(json!({"userName": "bjensen"}))),
        ),
        row(
            "§3.5.2.2 multi-valued without filter: all values removed",
            babs(),
            json!([{"op": "remove", "path": "emails"}]),
            becomes(babs_without(Value::Null)),
        ),
        row(
            "§3.5.2.2 multi-valued with a filter comparing value: matched values removed",
            babs(),
            json!([{"op": "remove", "path": r#"emails[value eq "babs@jensen.org"]"#}]),
            becomes(babs_without(json!([
                {"value": "bjensen@example.com", "type": "work", "primary": true}
            ]))),
        ),
        row(
            "§3.5.2.2 complex multi-valued with a filter on sub-attributes: matching records removed",
            babs(),
            json!([{"op": "remove", "path": r#"emails[type eq "work" and primary eq true]"#}]),
            becomes(babs_without(
                json!([{"value": "babs@jensen.org", "type": "home"}]),
            )),
        ),
        row(
            "§3.5.2.2 complex multi-valued with filter and sub-attribute: that sub-attribute removed",
            babs(),
            json!([{"op": "remove", "path": r#"emails[type eq "work"].primary"#}]),
            becomes(babs_without(json!([
                {"value": "bjensen@example.com", "type": "work"},
                {"value": "babs@jensen.org", "type": "home"}
            ]))),
        ),
        row(
            "§3.5.2.2 a sub-attribute of every value (no filter)",
            babs(),
            json!([{"op": "remove", "path": "emails.type"}]),
            becomes(babs_without(json!([
                {"value": "bjensen@example.com", "primary": true},
                {"value": "babs@jensen.org"}
            ]))),
        ),
        row(
            "§3.5.2.2 no values remain: the attribute is unassigned",
            babs(),
            json!([{"op": "remove", "path": r#"emails[type eq "work" or type eq "home"]"#}]),
            becomes(babs_without(Value::Null)),
        ),
        row(
            "§3.5.2.2 a record left without sub-attributes is removed; none left: unassigned",
            user(json!({"userName": "bjensen", "phoneNumbers": [{"value": "555-555-5555"}]})),
            json!([{"op": "remove", "path": r#"phoneNumbers[value eq "555-555-5555"].value"#}]),
            becomes(user(json!({"userName": "bjensen"}))),
        ),
        row(
            "§3.5.2.2 sub-attribute removed from the matching record only",
            phones.clone(),
            json!([{"op": "remove", "path": r#"phoneNumbers[type eq "mobile"].type"#}]),
            becomes(user(json!({
                "userName": "bjensen",
                "phoneNumbers": [{"value": "555-555-5555"}, {"value": "555-555-4444"}]
            }))),
        ),
        row(
            "§3.5.2.2 a filter that matches nothing changes nothing",
            babs(),
            json!([{"op": "remove", "path": r#"emails[type eq "other"]"#}]),
            no_change(babs()),
        ),
        row(
            "§3.5.2.2 a filter on an attribute with no values changes nothing",
            babs(),
            json!([{"op": "remove", "path": r#"phoneNumbers[type eq "work"].value"#}]),
            no_change(babs()),
        ),
        row(
            "§3.5.2.2 removing a member who is not in the group changes nothing",
            tour_guides(),
            json!([{"op": "remove", "path": format!(r#"members[value eq "{JAMES_ID}"]"#)}]),
            no_change(tour_guides()),
        ),
        row(
            "§3.5.2.2 removal by value array (Okta, Entra, JumpCloud)",
            group(
                json!({"displayName": "Tour Guides", "members": [babs_member(), james_member()]}),
            ),
            json!([{"op": "remove", "path": "members", "value": [{"value": USER_ID}]}]),
            becomes(group(
                json!({"displayName": "Tour Guides", "members": [james_member()]}),
            )),
        )
        .fires(Rule::RemoveByValueArray),
        row(
            "§3.5.2.2 removal by value array matches a member whatever its type",
            group(json!({"displayName": "Tour Guides", "members": [
                {"value": USER_ID, "type": "User"}, {"value": JAMES_ID, "type": "User"}
            ]})),
            json!([{"op": "remove", "path": "members", "value": [{"value": USER_ID}]}]),
            becomes(group(json!({"displayName": "Tour Guides", "members": [{"value": JAMES_ID, "type": "User"}]}))),
        )
        .fires(Rule::RemoveByValueArray),
        row(
            "§3.5.2.2 removing a readOnly attribute → mutability",
            babs(),
            json!([{"op": "remove", "path": "meta"}]),
            fails("mutability"),
        ),
    ]);
}

// ---------------------------------------------------------------------------------------------
// §3.5.2.3: replace
// ---------------------------------------------------------------------------------------------

#[test]
fn replace_follows_rfc_7644_3_5_2_3() {
    let with_emails = |emails: Value| {
        let mut doc = babs();
        doc["emails"] = emails;
        doc
    };
    let two_work = with_emails(json!([
        {"value": "bjensen@example.com", "type": "work", "primary": true},
        {"value": "babs@jensen.org", "type": "home"},
        {"value": "barbara@example.com", "type": "work"}
    ]));
    run(vec![
        row(
            "§3.5.2.3 no path: the value's attributes are replaced",
            babs(),
            json!([{"op": "replace", "value": {"displayName": "Barbara", "nickName": "Babs"}}]),
            becomes(user(json!({
                "userName": "bjensen",
                "name": {"familyName": "Jensen", "givenName": "Barbara"},
                "displayName": "Barbara",
                "nickName": "Babs",
                "emails": [
                    {"value": "bjensen@example.com", "type": "work", "primary": true},
                    {"value": "babs@jensen.org", "type": "home"}
                ]
            }))),
        ),
        row(
            "§3.5.2.3 single-valued: the value is replaced",
            user(json!({"userName": "bjensen", "active": true})),
            json!([{"op": "replace", "path": "active", "value": false}]),
            becomes(user(json!({"userName": "bjensen", "active": false}))),
        ),
        row(
            "§3.5.2.3 single-valued: Entra's \"False\"",
            user(json!({"userName": "bjensen", "active": true})),
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
            becomes(user(json!({"userName": "bjensen", "active": false}))),
        )
        .fires(Rule::BooleanAsString),
        row(
            "§3.5.2.3 multi-valued without filter: all values replaced",
            babs(),
            json!([{"op": "replace", "path": "emails", "value": [{"value": "babs@example.org", "type": "other"}]}]),
            becomes(with_emails(json!([{"value": "babs@example.org", "type": "other"}]))),
        ),
        row(
            "§3.5.2.3 multi-valued replaced by an empty list: unassigned",
            babs(),
            json!([{"op": "replace", "path": "emails", "value": []}]),
            becomes(user(json!({
                "userName": "bjensen",
                "name": {"familyName": "Jensen", "givenName": "Barbara"},
                "displayName": "Babs Jensen"
            }))),
        ),
        row(
            "§3.5.2.3 a missing single-valued attribute: treated as add",
            user(json!({"userName": "bjensen"})),
            json!([{"op": "replace", "path": "nickName", "value": "Babs"}]),
            becomes(user(json!({"userName": "bjensen", "nickName": "Babs"}))),
        ),
        row(
            "§3.5.2.3 a missing multi-valued attribute: treated as add",
            user(json!({"userName": "bjensen"})),
            json!([{"op": "replace", "path": "phoneNumbers", "value": [{"value": "555-555-5555"}]}]),
            becomes(user(json!({"userName": "bjensen", "phoneNumbers": [{"value": "555-555-5555"}]}))),
        ),
        row(
            "§3.5.2.3 a missing sub-attribute: treated as add",
            babs(),
            json!([{"op": "replace", "path": "name.middleName", "value": "Jane"}]),
            becomes(user(json!({
                "userName": "bjensen",
                "name": {"familyName": "Jensen", "givenName": "Barbara", "middleName": "Jane"},
                "displayName": "Babs Jensen",
                "emails": [
                    {"value": "bjensen@example.com", "type": "work", "primary": true},
                    {"value": "babs@jensen.org", "type": "home"}
                ]
            }))),
        ),
        row(
            "§3.5.2.3 complex: given sub-attributes replaced, the others left unchanged",
            babs(),
            json!([{"op": "replace", "path": "name", "value": {"givenName": "Babs", "honorificPrefix": "Ms."}}]),
            becomes(user(json!({
                "userName": "bjensen",
                "name": {"familyName": "Jensen", "givenName": "Babs", "honorificPrefix": "Ms."},
                "displayName": "Babs Jensen",
                "emails": [
                    {"value": "bjensen@example.com", "type": "work", "primary": true},
                    {"value": "babs@jensen.org", "type": "home"}
                ]
            }))),
        ),
        row(
            "§3.5.2.3 complex: a sub-attribute replaced by null becomes unassigned, others kept",
            babs(),
            json!([{"op": "replace", "path": "name", "value": {"givenName": null, "middleName": "Jane"}}]),
            becomes(user(json!({
                "userName": "bjensen",
                "name": {"familyName": "Jensen", "middleName": "Jane"},
                "displayName": "Babs Jensen",
                "emails": [
                    {"value": "bjensen@example.com", "type": "work", "primary": true},
                    {"value": "babs@jensen.org", "type": "home"}
                ]
            }))),
        ),
        row(
            "§3.5.2.3 complex: only null sub-attributes clear just those",
            babs(),
            json!([{"op": "replace", "path": "name", "value": {"givenName": null}}]),
            becomes(user(json!({
                "userName": "bjensen",
                "name": {"familyName": "Jensen"},
                "displayName": "Babs Jensen",
                "emails": [
                    {"value": "bjensen@example.com", "type": "work", "primary": true},
                    {"value": "babs@jensen.org", "type": "home"}
                ]
            }))),
        ),
        row(
            "§3.5.2.3 complex: a path-less null sub-attribute clears just that one",
            babs(),
            json!([{"op": "replace", "value": {"name": {"givenName": null}, "nickName": "Babs"}}]),
            becomes(user(json!({
                "userName": "bjensen",
                "name": {"familyName": "Jensen"},
                "displayName": "Babs Jensen",
                "nickName": "Babs",
                "emails": [
                    {"value": "bjensen@example.com", "type": "work", "primary": true},
                    {"value": "babs@jensen.org", "type": "home"}
                ]
            }))),
        ),
        row(
            "§3.5.2.3 complex: replaced by {} it is unassigned",
            babs(),
            json!([{"op": "replace", "path": "name", "value": {}}]),
            becomes(user(json!({
                "userName": "bjensen",
                "displayName": "Babs Jensen",
                "emails": [
                    {"value": "bjensen@example.com", "type": "work", "primary": true},
                    {"value": "babs@jensen.org", "type": "home"}
                ]
            }))),
        ),
        row(
            "§3.5.2.3 valuePath: the matching record is replaced",
            babs(),
            json!([{"op": "replace", "path": r#"emails[type eq "work"]"#,
                    "value": {"value": "babs@work.example.com", "type": "work"}}]),
            becomes(with_emails(json!([
                {"value": "babs@work.example.com", "type": "work"},
                {"value": "babs@jensen.org", "type": "home"}
            ]))),
        ),
        row(
            "§3.5.2.3 valuePath: all matching records are replaced",
            two_work.clone(),
            json!([{"op": "replace", "path": r#"emails[type eq "work"]"#,
                    "value": {"value": "babs@work.example.com", "type": "work"}}]),
            becomes(with_emails(json!([
                {"value": "babs@work.example.com", "type": "work"},
                {"value": "babs@jensen.org", "type": "home"},
                {"value": "babs@work.example.com", "type": "work"}
            ]))),
        ),
        row(
            "§3.5.2.3 valuePath.subAttr: that sub-attribute of the matching record",
            babs(),
            json!([{"op": "replace", "path": r#"emails[type eq "work"].value"#, "value": "babs@work.example.com"}]),
            becomes(with_emails(json!([
                {"value": "babs@work.example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}
            ]))),
        ),
        row(
            "§3.5.2.3 valuePath.subAttr: that sub-attribute of every matching record",
            two_work.clone(),
            json!([{"op": "replace", "path": r#"emails[type eq "work"].display"#, "value": "Work"}]),
            becomes(with_emails(json!([
                {"value": "bjensen@example.com", "type": "work", "primary": true, "display": "Work"},
                {"value": "babs@jensen.org", "type": "home"},
                {"value": "barbara@example.com", "type": "work", "display": "Work"}
            ]))),
        ),
        row(
            "§3.5.2.3 valuePath without a match (not only eq) → noTarget",
            babs(),
            json!([{"op": "replace", "path": r#"emails[type eq "other" and value ew "example.org"]"#,
                    "value": {"value": "babs@example.org", "type": "other"}}]),
            fails("noTarget"),
        ),
        row(
            "§3.5.2.3 valuePath.subAttr without a match (co) → noTarget",
            babs(),
            json!([{"op": "replace", "path": r#"emails[value co "nowhere"].display"#, "value": "X"}]),
            fails("noTarget"),
        ),
        row(
            "§3.5.2.3 valuePath without a match (or) → noTarget",
            babs(),
            json!([{"op": "replace", "path": r#"emails[type eq "other" or type eq "pager"].value"#,
                    "value": "babs@example.org"}]),
            fails("noTarget"),
        ),
        row(
            "§3.5.2.3 valuePath without a match (ne) → noTarget",
            user(json!({"userName": "bjensen"})),
            json!([{"op": "replace", "path": r#"emails[type ne "work"].value"#, "value": "babs@example.org"}]),
            fails("noTarget"),
        ),
        row(
            "§3.5.2.3 valuePath without a match in a Group → noTarget",
            tour_guides(),
            json!([{"op": "replace", "path": r#"members[display sw "James"].display"#, "value": "J"}]),
            fails("noTarget"),
        ),
        row(
            "§3.5.2.3 Entra: valuePath.subAttr of eq terms without a match creates the record",
            babs(),
            json!([{"op": "Replace", "path": r#"emails[type eq "other"].value"#, "value": "babs@example.org"}]),
            becomes(with_emails(json!([
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"},
                {"type": "other", "value": "babs@example.org"}
            ]))),
        )
        .fires(Rule::FilteredPathCreatesItem),
        row(
            "§3.5.2.3 Entra: valuePath of eq terms without a match creates the record",
            user(json!({"userName": "bjensen"})),
            json!([{"op": "replace", "path": r#"phoneNumbers[type eq "work"]"#, "value": {"value": "555-555-5555"}}]),
            becomes(user(json!({
                "userName": "bjensen",
                "phoneNumbers": [{"type": "work", "value": "555-555-5555"}]
            }))),
        )
        .fires(Rule::FilteredPathCreatesItem),
        row(
            "§3.5.2.3 Entra: an add through eq terms creates the record too",
            user(json!({"userName": "bjensen"})),
            json!([{"op": "Add", "path": r#"emails[type eq "work" and primary eq true].value"#,
                    "value": "bjensen@example.com"}]),
            becomes(user(json!({
                "userName": "bjensen",
                "emails": [{"type": "work", "primary": true, "value": "bjensen@example.com"}]
            }))),
        )
        .fires(Rule::FilteredPathCreatesItem),
        row(
            "§3.5.2.3 Entra: the created record's primary demotes the others",
            babs(),
            json!([{"op": "Add", "path": r#"emails[type eq "other" and primary eq "True"].value"#,
                    "value": "babs@example.org"}]),
            becomes(with_emails(json!([
                {"value": "bjensen@example.com", "type": "work", "primary": false},
                {"value": "babs@jensen.org", "type": "home"},
                {"type": "other", "primary": true, "value": "babs@example.org"}
            ]))),
        )
        .fires(Rule::FilteredPathCreatesItem),
        row(
            "§3.5.2.3 Entra's creation needs a record the client may write: readOnly term → noTarget",
            user(json!({"userName": "bjensen"})),
            json!([{"op": "Replace", "path": format!(r#"{ENT}:manager[displayName eq "Boss"].value"#), "value": "m1"}]),
            fails("noTarget"),
        ),
        row(
            "§3.5.2.3 Entra's creation needs a record the filter can describe: contradicting eq → noTarget",
            babs(),
            json!([{"op": "Replace", "path": r#"emails[type eq "other" and type eq "pager"].value"#,
                    "value": "babs@example.org"}]),
            fails("noTarget"),
        ),
        row(
            "§3.5.2.3 a matching valuePath creates nothing",
            babs(),
            json!([{"op": "Replace", "path": r#"emails[type eq "home"].value"#, "value": "babs@home.example.org"}]),
            becomes(with_emails(json!([
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@home.example.org", "type": "home"}
            ]))),
        )
        .quiet(Rule::FilteredPathCreatesItem),
        row(
            "§3.5.2.3 Entra's null update: \"\" clears the attribute",
            user(json!({"userName": "bjensen", "nickName": "Babs"})),
            json!([{"op": "Replace", "path": "nickName", "value": ""}]),
            becomes(user(json!({"userName": "bjensen"}))),
        )
        .fires(Rule::EmptyValueClears),
    ]);
}

// ---------------------------------------------------------------------------------------------
// Extension attributes (RFC 7644 §3.5.2 with §3.10 URN-qualified paths)
// ---------------------------------------------------------------------------------------------

#[test]
fn extension_paths() {
    let core = || json!({"userName": "bjensen"});
    let manager = "26118915-6090-4610-87e4-49d8ca9f808d";
    let manager_ref = format!("../Users/{manager}");
    run(vec![
        row(
            "§3.5.2.1 URN:attr adds an extension attribute (and the extension)",
            user(core()),
            json!([{"op": "add", "path": format!("{ENT}:employeeNumber"), "value": "701984"}]),
            becomes(ent_user(core(), json!({"employeeNumber": "701984"}))),
        ),
        row(
            "§3.5.2.3 URN:attr replaces an extension attribute",
            ent_user(core(), json!({"employeeNumber": "701984", "costCenter": "4130"})),
            json!([{"op": "replace", "path": format!("{ENT}:employeeNumber"), "value": "701985"}]),
            becomes(ent_user(core(), json!({"employeeNumber": "701985", "costCenter": "4130"}))),
        ),
        row(
            "§3.5.2.2 URN:attr removes it; the last one leaves no extension",
            ent_user(core(), json!({"employeeNumber": "701984"})),
            json!([{"op": "remove", "path": format!("{ENT}:employeeNumber")}]),
            becomes(user(core())),
        ),
        row(
            "§3.5.2.3 URN:attr.sub on a missing complex attribute adds it",
            user(core()),
            json!([{"op": "replace", "path": format!("{ENT}:manager.value"), "value": manager}]),
            becomes(ent_user(core(), json!({"manager": {"value": manager}}))),
        ),
        row(
            "§3.5.2.3 URN:attr.sub replaces that sub-attribute, others kept",
            ent_user(core(), json!({"manager": {"value": "old-id", "$ref": manager_ref}})),
            json!([{"op": "replace", "path": format!("{ENT}:manager.value"), "value": manager}]),
            becomes(ent_user(core(), json!({"manager": {"value": manager, "$ref": manager_ref}}))),
        ),
        row(
            "§3.5.2.2 URN:attr.sub removed; nothing left: the extension goes",
            ent_user(core(), json!({"manager": {"value": manager}})),
            json!([{"op": "remove", "path": format!("{ENT}:manager.value")}]),
            becomes(user(core())),
        ),
        row(
            "§3.5.2.1 the bare URN as path: the value's attributes are added to the extension",
            ent_user(core(), json!({"costCenter": "4130"})),
            json!([{"op": "add", "path": ENT, "value": {"employeeNumber": "701984", "department": "Tour Operations"}}]),
            becomes(ent_user(core(), json!({
                "costCenter": "4130", "employeeNumber": "701984", "department": "Tour Operations"
            }))),
        ),
        row(
            "§3.5.2.3 the bare URN as path: the given attributes replaced, others kept",
            ent_user(core(), json!({"costCenter": "4130", "department": "Sales"})),
            json!([{"op": "replace", "path": ENT, "value": {"department": "Tour Operations", "manager": {"value": manager}}}]),
            becomes(ent_user(core(), json!({
                "costCenter": "4130", "department": "Tour Operations", "manager": {"value": manager}
            }))),
        ),
        row(
            "§3.5.2.2 the bare URN as path removes the whole extension",
            ent_user(core(), json!({"costCenter": "4130", "department": "Sales"})),
            json!([{"op": "remove", "path": ENT}]),
            becomes(user(core())),
        ),
        row(
            "§3.5.2.1 path-less value with the extension URN as a key",
            user(core()),
            json!([{"op": "add", "value": {"nickName": "Babs", ENT: {"employeeNumber": "701984"}}}]),
            becomes(ent_user(json!({"userName": "bjensen", "nickName": "Babs"}), json!({"employeeNumber": "701984"}))),
        ),
        row(
            "§3.5.2.3 path-less value with URN-qualified attribute keys (Entra)",
            ent_user(core(), json!({"employeeNumber": "1", "costCenter": "4130"})),
            json!([{"op": "Replace", "value": {
                format!("{ENT}:employeeNumber"): "701984",
                format!("{ENT}:manager.value"): manager
            }}]),
            becomes(ent_user(core(), json!({
                "employeeNumber": "701984", "costCenter": "4130", "manager": {"value": manager}
            }))),
        )
        .fires(Rule::UrnQualifiedKey),
        row(
            "§3.5.2.3 path-less value with dotted keys (Entra)",
            user(json!({"userName": "bjensen", "name": {"familyName": "Jensen"}})),
            json!([{"op": "replace", "value": {"name.givenName": "Barbara"}}]),
            becomes(user(json!({"userName": "bjensen", "name": {"familyName": "Jensen", "givenName": "Barbara"}}))),
        )
        .fires(Rule::DottedKeyInValue),
        row(
            "§3.10 a core attribute may be URN-qualified",
            user(core()),
            json!([{"op": "add", "path": format!("{USER_URN}:nickName"), "value": "Babs"}]),
            becomes(user(json!({"userName": "bjensen", "nickName": "Babs"}))),
        ),
        row(
            "§3.5.2 the misspelled enterprise URN (…:2.0User) is read as the real one",
            user(core()),
            json!([{"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0User:department",
                    "value": "Tour Operations"}]),
            becomes(ent_user(core(), json!({"department": "Tour Operations"}))),
        )
        .fires(Rule::MisspelledEnterpriseUrn),
        row(
            "§3.5.2.3 Entra: manager as a plain id",
            user(core()),
            json!([{"op": "Replace", "path": format!("{ENT}:manager"), "value": manager}]),
            becomes(ent_user(core(), json!({"manager": {"value": manager}}))),
        )
        .fires(Rule::ScalarForComplex),
        row(
            "§3.5.2.2 Entra: manager[value eq id] removes the manager",
            ent_user(core(), json!({"manager": {"value": manager}, "costCenter": "4130"})),
            json!([{"op": "Remove", "path": format!(r#"{ENT}:manager[value eq "{manager}"]"#)}]),
            becomes(ent_user(core(), json!({"costCenter": "4130"}))),
        )
        .fires(Rule::FilterOnSingularComplex),
        row(
            "§3.5.2.3 Entra: replace manager with an empty value removes it",
            ent_user(core(), json!({"manager": {"value": manager}, "costCenter": "4130"})),
            json!([{"op": "Replace", "path": format!("{ENT}:manager"), "value": ""}]),
            becomes(ent_user(core(), json!({"costCenter": "4130"}))),
        )
        .fires(Rule::EmptyValueClears),
        row(
            "§3.5.2 an extension value of the wrong shape → invalidValue",
            user(core()),
            json!([{"op": "add", "path": ENT, "value": "701984"}]),
            fails("invalidValue"),
        ),
    ]);
}

// ---------------------------------------------------------------------------------------------
// The examples of RFC 7644 §3.5.2.1–3, with their exact results
// ---------------------------------------------------------------------------------------------

#[test]
fn rfc_example_add_a_member_to_a_group() {
    let before = group(json!({"displayName": "Tour Guides", "members": [james_member()]}));
    let ops = json!([{
        "op": "add",
        "path": "members",
        "value": [{
            "display": "Babs Jensen",
            "$ref": BABS_REF,
            "value": "2819c223-7f76-453a-919d-413861904646"
        }]
    }]);
    let expected = group(json!({
        "displayName": "Tour Guides",
        "members": [james_member(), babs_member()]
    }));
    assert_eq!(rfc_example(&before, ops.clone()), (expected.clone(), true));
    // Sending it again: "no changes SHOULD be made".
    assert_eq!(patched(&expected, ops), (expected.clone(), false));
}

#[test]
fn rfc_example_add_emails_and_nickname_without_path() {
    let before = user(json!({
        "userName": "bjensen",
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}]
    }));
    let ops = json!([{
        "op": "add",
        "value": {
            "emails": [{"value": "babs@jensen.org", "type": "home"}],
            "nickname": "Babs"
        }
    }]);
    let expected = user(json!({
        "userName": "bjensen",
        "nickName": "Babs",
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ]
    }));
    assert_eq!(rfc_example(&before, ops), (expected, true));
}

#[test]
fn rfc_example_remove_a_single_member() {
    let before = group(json!({
        "displayName": "Tour Guides",
        "members": [babs_member(), james_member()]
    }));
    let ops = json!([{
        "op": "remove",
        "path": "members[value eq \"2819c223-7f76-453a-919d-413861904646\"]"
    }]);
    let expected = group(json!({"displayName": "Tour Guides", "members": [james_member()]}));
    assert_eq!(rfc_example(&before, ops.clone()), (expected.clone(), true));
    // "If the user was not a member of this group, no changes are made".
    assert_eq!(patched(&expected, ops), (expected.clone(), false));
}

#[test]
fn rfc_example_remove_all_members() {
    let before = group(json!({
        "displayName": "Tour Guides",
        "members": [babs_member(), james_member()]
    }));
    let ops = json!([{"op": "remove", "path": "members"}]);
    let expected = group(json!({"displayName": "Tour Guides"}));
    assert_eq!(rfc_example(&before, ops), (expected, true));
}

#[test]
fn rfc_example_remove_one_member_and_add_another() {
    let before = tour_guides();
    // As the RFC writes it: no space between `eq` and the value.
    let ops = json!([
        {
            "op": "remove",
            "path": "members[value eq\"2819c223-7f76-453a-919d-413861904646\"]"
        },
        {
            "op": "add",
            "path": "members",
            "value": [{
                "display": "James Smith",
                "$ref": JAMES_REF,
                "value": "08e1d05d-121c-4561-8b96-473d93df9210"
            }]
        }
    ]);
    let expected = group(json!({"displayName": "Tour Guides", "members": [james_member()]}));
    assert_eq!(rfc_example(&before, ops), (expected, true));
}

#[test]
fn rfc_example_replace_all_members_by_remove_and_add() {
    let other = json!({"value": "c3a26dd3-27a0-4dec-a2ac-ce211e105f97", "display": "Tim Tour"});
    let before = group(json!({"displayName": "Tour Guides", "members": [other]}));
    let ops = json!([
        {"op": "remove", "path": "members"},
        {
            "op": "add",
            "path": "members",
            "value": [
                {
                    "display": "Babs Jensen",
                    "$ref": BABS_REF,
                    "value": "2819c223-7f76-453a-919d-413861904646"
                },
                {
                    "display": "James Smith",
                    "$ref": JAMES_REF,
                    "value": "08e1d05d-121c-4561-8b96-473d93df9210"
                }
            ]
        }
    ]);
    let expected = group(json!({
        "displayName": "Tour Guides",
        "members": [babs_member(), james_member()]
    }));
    assert_eq!(rfc_example(&before, ops), (expected, true));
}

#[test]
fn rfc_example_remove_emails_by_complex_filter() {
    let before = user(json!({
        "userName": "bjensen",
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"},
            {"value": "babs@example.org", "type": "work"}
        ]
    }));
    let ops = json!([{
        "op": "remove",
        "path": "emails[type eq \"work\" and value ew \"example.com\"]"
    }]);
    let expected = user(json!({
        "userName": "bjensen",
        "emails": [
            {"value": "babs@jensen.org", "type": "home"},
            {"value": "babs@example.org", "type": "work"}
        ]
    }));
    assert_eq!(rfc_example(&before, ops), (expected, true));
}

#[test]
fn rfc_example_replace_all_members() {
    let before = group(json!({
        "displayName": "Tour Guides",
        "members": [{"value": "c3a26dd3-27a0-4dec-a2ac-ce211e105f97", "display": "Tim Tour"}]
    }));
    let ops = json!([{
        "op": "replace",
        "path": "members",
        "value": [
            {
                "display": "Babs Jensen",
                "$ref": BABS_REF,
                "value": "2819c223-7f76-453a-919d-413861904646"
            },
            {
                "display": "James Smith",
                "$ref": JAMES_REF,
                "value": "08e1d05d-121c-4561-8b96-473d93df9210"
            }
        ]
    }]);
    let expected = group(json!({
        "displayName": "Tour Guides",
        "members": [babs_member(), james_member()]
    }));
    assert_eq!(rfc_example(&before, ops), (expected, true));
}

fn babs_with_addresses() -> Value {
    user(json!({
        "userName": "bjensen",
        "addresses": [
            {
                "type": "work",
                "streetAddress": "100 Universal City Plaza",
                "locality": "Hollywood",
                "region": "CA",
                "postalCode": "91608",
                "country": "USA",
                "formatted": "100 Universal City Plaza\nHollywood, CA 91608 USA",
                "primary": true
            },
            {
                "type": "home",
                "streetAddress": "456 Hollywood Blvd",
                "locality": "Hollywood",
                "region": "CA",
                "postalCode": "91608",
                "country": "USA",
                "formatted": "456 Hollywood Blvd\nHollywood, CA 91608 USA"
            }
        ]
    }))
}

fn home_address() -> Value {
    json!({
        "type": "home",
        "streetAddress": "456 Hollywood Blvd",
        "locality": "Hollywood",
        "region": "CA",
        "postalCode": "91608",
        "country": "USA",
        "formatted": "456 Hollywood Blvd\nHollywood, CA 91608 USA"
    })
}

#[test]
fn rfc_example_replace_the_work_address() {
    let ops = json!([{
        "op": "replace",
        "path": "addresses[type eq \"work\"]",
        "value": {
            "type": "work",
            "streetAddress": "911 Universal City Plaza",
            "locality": "Hollywood",
            "region": "CA",
            "postalCode": "91608",
            "country": "US",
            "formatted": "911 Universal City Plaza\nHollywood, CA 91608 US",
            "primary": true
        }
    }]);
    let expected = user(json!({
        "userName": "bjensen",
        "addresses": [
            {
                "type": "work",
                "streetAddress": "911 Universal City Plaza",
                "locality": "Hollywood",
                "region": "CA",
                "postalCode": "91608",
                "country": "US",
                "formatted": "911 Universal City Plaza\nHollywood, CA 91608 US",
                "primary": true
            },
            home_address()
        ]
    }));
    assert_eq!(rfc_example(&babs_with_addresses(), ops), (expected, true));
}

#[test]
fn rfc_example_replace_the_work_street_address() {
    let ops = json!([{
        "op": "replace",
        "path": "addresses[type eq \"work\"].streetAddress",
        "value": "1010 Broadway Ave"
    }]);
    let expected = user(json!({
        "userName": "bjensen",
        "addresses": [
            {
                "type": "work",
                "streetAddress": "1010 Broadway Ave",
                "locality": "Hollywood",
                "region": "CA",
                "postalCode": "91608",
                "country": "USA",
                "formatted": "100 Universal City Plaza\nHollywood, CA 91608 USA",
                "primary": true
            },
            home_address()
        ]
    }));
    assert_eq!(rfc_example(&babs_with_addresses(), ops), (expected, true));
}

#[test]
fn rfc_example_replace_emails_and_nickname_without_path() {
    let before = user(json!({
        "userName": "bjensen",
        "nickName": "Barbie",
        "emails": [{"value": "bjensen@old.example.com", "type": "work", "primary": true}]
    }));
    let ops = json!([{
        "op": "replace",
        "value": {
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}
            ],
            "nickname": "Babs"
        }
    }]);
    let expected = user(json!({
        "userName": "bjensen",
        "nickName": "Babs",
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ]
    }));
    assert_eq!(rfc_example(&before, ops), (expected, true));
}

#[test]
fn rfc_example_remove_a_certificate_by_value() {
    // Base64 DER prefixes of two certificates (RFC 7643 §8.2 shows the first).
    let first = "MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMCVVMx";
    let second = "MIIDQzCCAqygAwIBAgICEAEwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMCVVMx";
    let before = user(json!({
        "userName": "bjensen",
        "x509Certificates": [{"value": first}, {"value": second}]
    }));
    let ops = json!([{"op": "remove", "path": format!("x509Certificates[value eq \"{first}\"]")}]);
    let expected = user(json!({"userName": "bjensen", "x509Certificates": [{"value": second}]}));
    assert_eq!(rfc_example(&before, ops), (expected, true));
    // Binary values are case-exact: the same letters in another case match nothing.
    let lower = json!([{"op": "remove", "path": format!("x509Certificates[value eq \"{}\"]", first.to_lowercase())}]);
    assert_eq!(patched(&before, lower), (before.clone(), false));
}

// ---------------------------------------------------------------------------------------------
// Error catalog of the PATCH message itself (§3.5.2 and §3.12)
// ---------------------------------------------------------------------------------------------

#[test]
fn patch_message_errors() {
    let resource = stored(&babs());
    let cases = [
        (json!([]), "invalidSyntax"),
        (
            json!({"schemas": ["urn:example:wrong"], "Operations": [{"op": "remove", "path": "nickName"}]}),
            "invalidSyntax",
        ),
        (json!({"schemas": [PATCH_OP]}), "invalidSyntax"),
        (
            json!({"schemas": [PATCH_OP], "Operations": {"op": "add"}}),
            "invalidSyntax",
        ),
        (
            json!({"schemas": [PATCH_OP], "Operations": ["add"]}),
            "invalidSyntax",
        ),
        (
            json!({"schemas": [PATCH_OP], "Operations": [{"path": "nickName", "value": "B"}]}),
            "invalidSyntax",
        ),
        (
            json!({"schemas": [PATCH_OP], "Operations": [{"op": 1, "path": "nickName"}]}),
            "invalidSyntax",
        ),
        (
            json!({"schemas": [PATCH_OP], "Operations": []}),
            "invalidValue",
        ),
    ];
    for (body, scim_type) in cases {
        let mut tolerances = Tolerances::new();
        let error = patch::parse_request(body.clone(), &USER, &mut tolerances)
            .and_then(|ops| patch::apply(&resource, &ops, &mut tolerances))
            .expect_err(&body.to_string());
        assert_eq!(error.scim_type(), Some(scim_type), "{body}: {error}");
        assert_eq!(error.status(), 400, "{body}");
    }
}
