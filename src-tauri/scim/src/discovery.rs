//! The discovery documents (RFC 7644 §4): `/ServiceProviderConfig`, `/ResourceTypes` and
//! `/Schemas`, generated from the schema tables and the server's capabilities, never written
//! by hand. No `null` anywhere (Entra ID rejects them in `/Schemas`).

use serde_json::{Map, Value, json};

use crate::message::ListResponse;
use crate::schema::{Attribute, RESOURCE_TYPES, ResourceType, Schema};

pub const SERVICE_PROVIDER_CONFIG_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
pub const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// What the server supports, as `/ServiceProviderConfig` states it (RFC 7643 §5).
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceProviderConfig {
    pub documentation_uri: Option<String>,
    pub patch: bool,
    pub bulk: Option<BulkLimits>,
    /// The most results one list response returns.
    pub filter_max_results: u64,
    pub change_password: bool,
    pub sort: bool,
    pub etag: bool,
    pub authentication_schemes: Vec<AuthenticationScheme>,
}

/// `bulk.maxOperations` and `bulk.maxPayloadSize`, when bulk is supported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkLimits {
    pub max_operations: u64,
    pub max_payload_size: u64,
}

/// One entry of `authenticationSchemes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticationScheme {
    /// `oauthbearertoken` or `httpbasic` (RFC 7643 §5).
    pub kind: String,
    pub name: String,
    pub description: String,
    pub spec_uri: Option<String>,
    pub primary: bool,
}

impl AuthenticationScheme {
    /// A bearer token in the `Authorization` header (RFC 6750).
    pub fn bearer_token(primary: bool) -> Self {
        AuthenticationScheme {
            kind: "oauthbearertoken".into(),
            name: "OAuth Bearer Token".into(),
            description: "Authentication with a bearer token issued for an SSO provider".into(),
            spec_uri: Some("https://www.rfc-editor.org/info/rfc6750".into()),
            primary,
        }
    }

    /// HTTP Basic (RFC 7617).
    pub fn http_basic(primary: bool) -> Self {
        AuthenticationScheme {
            kind: "httpbasic".into(),
            name: "HTTP Basic".into(),
            description:
                "Authentication with a SCIM username and password issued for an SSO provider".into(),
            spec_uri: Some("https://www.rfc-editor.org/info/rfc7617".into()),
            primary,
        }
    }
}

impl ServiceProviderConfig {
    /// The `/ServiceProviderConfig` document; `location` is its absolute URL.
    pub fn to_json(&self, location: &str) -> Value {
        let mut out = Map::new();
        out.insert("schemas".into(), json!([SERVICE_PROVIDER_CONFIG_SCHEMA]));
        if let Some(uri) = &self.documentation_uri {
            out.insert("documentationUri".into(), json!(uri));
        }
        out.insert("patch".into(), json!({ "supported": self.patch }));
        out.insert(
            "bulk".into(),
            match self.bulk {
                Some(b) => json!({
                    "supported": true,
                    "maxOperations": b.max_operations,
                    "maxPayloadSize": b.max_payload_size
                }),
                None => json!({ "supported": false, "maxOperations": 0, "maxPayloadSize": 0 }),
            },
        );
        out.insert(
            "filter".into(),
            json!({ "supported": true, "maxResults": self.filter_max_results }),
        );
        out.insert(
            "changePassword".into(),
            json!({ "supported": self.change_password }),
        );
        out.insert("sort".into(), json!({ "supported": self.sort }));
        out.insert("etag".into(), json!({ "supported": self.etag }));
        let schemes: Vec<Value> = self
            .authentication_schemes
            .iter()
            .map(|s| {
                let mut scheme = Map::new();
                scheme.insert("type".into(), json!(s.kind));
                scheme.insert("name".into(), json!(s.name));
                scheme.insert("description".into(), json!(s.description));
                if let Some(uri) = &s.spec_uri {
                    scheme.insert("specUri".into(), json!(uri));
                }
                scheme.insert("primary".into(), json!(s.primary));
                Value::Object(scheme)
            })
            .collect();
        out.insert("authenticationSchemes".into(), Value::Array(schemes));
        out.insert(
            "meta".into(),
            json!({ "resourceType": "ServiceProviderConfig", "location": location }),
        );
        Value::Object(out)
    }
}

/// One `/ResourceTypes/{id}` document; `base` is the SCIM base URL without trailing slash.
pub fn resource_type_json(rtype: &ResourceType, base: &str) -> Value {
    let extensions: Vec<Value> = rtype
        .extensions
        .iter()
        .map(|e| json!({ "schema": e.schema.id, "required": e.required }))
        .collect();
    json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": rtype.id,
        "name": rtype.name,
        "endpoint": rtype.endpoint,
        "description": rtype.description,
        "schema": rtype.schema.id,
        "schemaExtensions": extensions,
        "meta": {
            "resourceType": "ResourceType",
            "location": format!("{base}/ResourceTypes/{}", rtype.id)
        }
    })
}

/// The `/ResourceTypes` list.
pub fn resource_types_list(base: &str) -> ListResponse {
    let items: Vec<Value> = RESOURCE_TYPES
        .iter()
        .map(|r| resource_type_json(r, base))
        .collect();
    let total = items.len() as u64;
    ListResponse::new(items, total, 1)
}

/// Every schema of every resource type, in discovery order, without duplicates.
pub fn all_schemas() -> Vec<&'static Schema> {
    let mut out: Vec<&'static Schema> = Vec::new();
    for schema in RESOURCE_TYPES.iter().flat_map(|r| r.schemas()) {
        if !out.iter().any(|s| s.id == schema.id) {
            out.push(schema);
        }
    }
    out
}

/// The schema with URN `id` (case-insensitive), for `/Schemas/{id}`.
pub fn schema_by_id(id: &str) -> Option<&'static Schema> {
    all_schemas()
        .into_iter()
        .find(|s| s.id.eq_ignore_ascii_case(id))
}

/// One `/Schemas/{id}` document.
pub fn schema_json(schema: &Schema, base: &str) -> Value {
    let attributes: Vec<Value> = schema.attributes.iter().map(attribute_json).collect();
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": schema.id,
        "name": schema.name,
        "description": schema.description,
        "attributes": attributes,
        "meta": {
            "resourceType": "Schema",
            "location": format!("{base}/Schemas/{}", schema.id)
        }
    })
}

/// The `/Schemas` list.
pub fn schemas_list(base: &str) -> ListResponse {
    let items: Vec<Value> = all_schemas()
        .into_iter()
        .map(|s| schema_json(s, base))
        .collect();
    let total = items.len() as u64;
    ListResponse::new(items, total, 1)
}

/// An attribute definition as RFC 7643 §7 represents it.
fn attribute_json(attr: &Attribute) -> Value {
    let mut out = Map::new();
    out.insert("name".into(), json!(attr.name));
    out.insert("type".into(), json!(attr.kind.as_str()));
    if attr.is_complex() {
        let subs: Vec<Value> = attr.sub_attributes.iter().map(attribute_json).collect();
        out.insert("subAttributes".into(), Value::Array(subs));
    }
    out.insert("multiValued".into(), json!(attr.multi_valued));
    out.insert("description".into(), json!(attr.description));
    out.insert("required".into(), json!(attr.required));
    if !attr.canonical_values.is_empty() {
        out.insert("canonicalValues".into(), json!(attr.canonical_values));
    }
    out.insert("caseExact".into(), json!(attr.case_exact));
    out.insert("mutability".into(), json!(attr.mutability.as_str()));
    out.insert("returned".into(), json!(attr.returned.as_str()));
    out.insert("uniqueness".into(), json!(attr.uniqueness.as_str()));
    if !attr.reference_types.is_empty() {
        out.insert("referenceTypes".into(), json!(attr.reference_types));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{ENTERPRISE_USER_URN, GROUP_URN, USER_URN};

    fn has_null(value: &Value) -> bool {
        match value {
            Value::Null => true,
            Value::Array(items) => items.iter().any(has_null),
            Value::Object(object) => object.values().any(has_null),
            _ => false,
        }
    }

    #[test]
    fn schemas_document_lists_every_schema_without_nulls() {
        let list = serde_json::to_value(schemas_list("https://x/api/scim")).unwrap();
        assert!(!has_null(&list));
        let ids: Vec<&str> = list["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [USER_URN, ENTERPRISE_USER_URN, GROUP_URN]);
        assert_eq!(list["totalResults"], 3);
        let user = &list["Resources"][0];
        let emails = user["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == "emails")
            .unwrap();
        assert_eq!(emails["multiValued"], true);
        assert_eq!(
            emails["subAttributes"][2]["canonicalValues"],
            json!(["work", "home", "other"])
        );
        let password = user["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == "password")
            .unwrap();
        assert_eq!(
            (
                password["returned"].as_str(),
                password["mutability"].as_str()
            ),
            (Some("never"), Some("writeOnly"))
        );
    }

    #[test]
    fn resource_types_and_config_are_well_formed() {
        let types = serde_json::to_value(resource_types_list("https://x/api/scim")).unwrap();
        assert_eq!(
            types["Resources"][0]["schemaExtensions"][0]["schema"],
            ENTERPRISE_USER_URN
        );
        assert_eq!(types["Resources"][1]["endpoint"], "/Groups");
        let config = ServiceProviderConfig {
            documentation_uri: None,
            patch: true,
            bulk: None,
            filter_max_results: 200,
            change_password: false,
            sort: true,
            etag: true,
            authentication_schemes: vec![AuthenticationScheme::bearer_token(true)],
        }
        .to_json("https://x/api/scim/ServiceProviderConfig");
        assert!(!has_null(&config));
        assert_eq!(config["bulk"]["supported"], false);
        assert_eq!(
            config["authenticationSchemes"][0]["type"],
            "oauthbearertoken"
        );
    }
}
