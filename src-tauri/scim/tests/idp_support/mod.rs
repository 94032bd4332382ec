//! Helpers shared by the IdP habit tests (`idp_*.rs`): each step a SCIM server takes with a
//! request body (create, PUT, PATCH, filtered list), run on the protocol crate alone, giving the
//! resulting JSON and the names of the tolerances that fired.
//!
//! Not every test file uses every helper.
#![allow(dead_code, clippy::unwrap_used)]

use serde_json::{Map, Value};
use workbench_scim::datetime::DateTime;
use workbench_scim::filter::parse_and_check;
use workbench_scim::patch::{self, Patched};
use workbench_scim::resource::{self, Meta};
use workbench_scim::schema::ResourceType;
use workbench_scim::{Resource, ScimError, Tolerances};

pub const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const PATCH_OP_URN: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const LIST_RESPONSE_URN: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// No tolerance fired: the RFC alone covers the request.
pub const NONE: [&str; 0] = [];

/// The distinct names of the rules that fired, sorted.
pub fn rules(tolerances: &Tolerances) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = tolerances.applied().iter().map(|a| a.rule.name()).collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// A `POST` body read as the server reads it, with the server-assigned `id`.
#[derive(Debug)]
pub struct Created {
    pub resource: Resource,
    /// The rendered resource (`201` body, without `meta`).
    pub json: Value,
    /// The read-only values the client sent, as an object.
    pub read_only: Value,
    pub rules: Vec<&'static str>,
}

pub fn post(rtype: &'static ResourceType, id: &str, body: Value) -> Created {
    let mut tolerances = Tolerances::new();
    let parsed = resource::parse(rtype, body, &mut tolerances)
        .unwrap_or_else(|e| panic!("create refused: {e:?}"));
    let mut resource = parsed.resource;
    resource.set_id(id);
    Created {
        json: resource.to_json(),
        read_only: Value::Object(parsed.read_only),
        rules: rules(&tolerances),
        resource,
    }
}

/// The error a `POST` body is refused with.
pub fn post_error(rtype: &'static ResourceType, body: Value) -> ScimError {
    match resource::parse(rtype, body, &mut Tolerances::new()) {
        Ok(parsed) => panic!("expected an error, got {:?}", parsed.resource.to_json()),
        Err(e) => e,
    }
}

/// A resource as the server stored it after a create, without asserting anything about it.
pub fn stored(rtype: &'static ResourceType, id: &str, body: Value) -> Resource {
    post(rtype, id, body).resource
}

/// `meta` as the server sets it, for bodies that echo a `GET` response.
pub fn meta(rtype: &ResourceType, id: &str) -> Meta {
    Meta {
        created: DateTime::from_unix(1_700_000_000, 0),
        last_modified: DateTime::from_unix(1_700_000_600, 0),
        location: format!("https://workbench.example/api/scim{}/{id}", rtype.endpoint),
        version: "W/\"1\"".to_owned(),
    }
}

/// `PUT` of `body` onto `existing`: the replaced resource and the rules that fired.
pub fn put(existing: &Resource, body: Value) -> (Resource, Vec<&'static str>) {
    let mut tolerances = Tolerances::new();
    let parsed = resource::parse(existing.resource_type(), body, &mut tolerances)
        .unwrap_or_else(|e| panic!("PUT body refused: {e:?}"));
    let replaced =
        resource::replace(existing, parsed).unwrap_or_else(|e| panic!("PUT refused: {e:?}"));
    (replaced, rules(&tolerances))
}

/// A PatchOp body applied to `existing`.
pub fn patch(existing: &Resource, body: Value) -> (Patched, Vec<&'static str>) {
    let mut tolerances = Tolerances::new();
    let patched = try_patch(existing, body, &mut tolerances)
        .unwrap_or_else(|e| panic!("PATCH refused: {e:?}"));
    (patched, rules(&tolerances))
}

/// The error a PatchOp body is refused with.
pub fn patch_error(existing: &Resource, body: Value) -> ScimError {
    match try_patch(existing, body, &mut Tolerances::new()) {
        Ok(patched) => panic!("expected an error, got {:?}", patched.resource.to_json()),
        Err(e) => e,
    }
}

fn try_patch(
    existing: &Resource,
    body: Value,
    tolerances: &mut Tolerances,
) -> Result<Patched, ScimError> {
    let operations = patch::parse_request(body, existing.resource_type(), tolerances)?;
    patch::apply(existing, &operations, tolerances)
}

/// The ids of `resources` that `filter` matches, and the rules that fired reading it.
pub fn matching(
    rtype: &'static ResourceType,
    filter: &str,
    resources: &[&Resource],
) -> (Vec<String>, Vec<&'static str>) {
    let mut tolerances = Tolerances::new();
    let expr = parse_and_check(filter, rtype, &mut tolerances)
        .unwrap_or_else(|e| panic!("filter {filter:?} refused: {e:?}"));
    let ids = resources
        .iter()
        .filter(|r| expr.matches(r.attrs()))
        .map(|r| r.id().unwrap_or_default().to_owned())
        .collect();
    (ids, rules(&tolerances))
}

/// A JSON object literal as a map.
pub fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}
