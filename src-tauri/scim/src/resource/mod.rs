//! SCIM resources: a validated, canonical JSON object of one resource type, read from request
//! bodies ([`parse`], [`replace`]) and rendered back ([`Resource::to_json`]) with `schemas` and
//! `meta`, never with `returned: never` attributes such as `password`.
//!
//! Canonical form: attribute names spelled as in the schema; common and core attributes at the
//! top level; extension attributes in an object under the extension's URN; no `schemas` key
//! (it is derived); unassigned attributes absent.

pub(crate) mod coerce;
mod input;

pub use input::{Parsed, parse, replace};

/// Validates `value` for `attr` exactly as a request body's attribute is validated (servers
/// that apply part of a PATCH themselves, such as group members kept as rows, use this so
/// both paths accept the same shapes). `None`: the value is unassigned.
pub fn coerce_value(
    attr: &'static crate::schema::Attribute,
    value: Value,
    at: &str,
    tolerances: &mut crate::Tolerances,
) -> Result<Option<Value>, crate::ScimError> {
    coerce::coerce(attr, value, at, tolerances)
}

use serde_json::{Map, Value};

use crate::compare::fold_case;
use crate::datetime::DateTime;
use crate::schema::{AttrType, Attribute, COMMON_ATTRIBUTES, ResourceType, Returned, Schema};

/// A resource of one type, in canonical form.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    rtype: &'static ResourceType,
    attrs: Map<String, Value>,
}

/// The server-maintained `meta` attribute (RFC 7643 §3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub created: DateTime,
    pub last_modified: DateTime,
    /// The resource's URI, `https://host/api/scim/Users/{id}`.
    pub location: String,
    /// The entity tag, e.g. `W/"3"`.
    pub version: String,
}

impl Resource {
    /// An empty resource of `rtype`.
    pub fn new(rtype: &'static ResourceType) -> Self {
        Resource {
            rtype,
            attrs: Map::new(),
        }
    }

    /// A resource from canonical JSON the server stored itself (not client input: nothing is
    /// checked). A `schemas` key is dropped; it is derived when rendering.
    pub fn from_canonical(rtype: &'static ResourceType, mut attrs: Map<String, Value>) -> Self {
        attrs.remove("schemas");
        Resource { rtype, attrs }
    }

    pub fn resource_type(&self) -> &'static ResourceType {
        self.rtype
    }

    /// The canonical attributes, including `id` and `meta` once set; no `schemas`.
    pub fn attrs(&self) -> &Map<String, Value> {
        &self.attrs
    }

    /// Consumes the resource, giving its canonical attributes (for storage).
    pub fn into_attrs(self) -> Map<String, Value> {
        self.attrs
    }

    pub(crate) fn attrs_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.attrs
    }

    /// A top-level (common or core) attribute.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.attrs.get(name)
    }

    /// A top-level string attribute (`userName`, `externalId`, `displayName` ...).
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).and_then(Value::as_str)
    }

    /// An attribute of an extension schema.
    pub fn extension_attr(&self, schema: &Schema, name: &str) -> Option<&Value> {
        self.attrs.get(schema.id)?.get(name)
    }

    pub fn id(&self) -> Option<&str> {
        self.get_str("id")
    }

    /// Sets the server-assigned `id`.
    pub fn set_id(&mut self, id: impl Into<String>) {
        self.attrs.insert("id".to_owned(), Value::String(id.into()));
    }

    /// Removes a top-level attribute (or an extension's object, by URN), returning it.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        self.attrs.shift_remove(name)
    }

    /// Sets a server-maintained top-level attribute such as the derived `groups` of a User, or
    /// removes it with `None`.
    pub fn set_derived(&mut self, name: &str, value: Option<Value>) {
        match value {
            Some(value) => self.attrs.insert(name.to_owned(), value),
            None => self.attrs.remove(name),
        };
    }

    /// Sets `meta`; `resourceType` comes from the resource type.
    pub fn set_meta(&mut self, meta: &Meta) {
        let object = Map::from_iter([
            ("resourceType".to_owned(), Value::from(self.rtype.name)),
            ("created".to_owned(), Value::from(meta.created.to_rfc3339())),
            (
                "lastModified".to_owned(),
                Value::from(meta.last_modified.to_rfc3339()),
            ),
            ("location".to_owned(), Value::from(meta.location.as_str())),
            ("version".to_owned(), Value::from(meta.version.as_str())),
        ]);
        self.attrs.insert("meta".to_owned(), Value::Object(object));
    }

    /// The schema URNs of this resource: the core schema and each extension with attributes
    /// (an empty extension object, which [`Resource::to_json`] leaves out, does not count).
    pub fn schemas(&self) -> Vec<&'static str> {
        self.rtype
            .schemas()
            .enumerate()
            .filter(|(i, s)| *i == 0 || self.has_extension(s))
            .map(|(_, s)| s.id)
            .collect()
    }

    /// Whether the extension `schema` has an attribute that is rendered.
    fn has_extension(&self, schema: &Schema) -> bool {
        let Some(Value::Object(ext_attrs)) = self.attrs.get(schema.id) else {
            return false;
        };
        schema
            .attributes
            .iter()
            .any(|a| a.returned != Returned::Never && ext_attrs.contains_key(a.name))
    }

    /// The full representation: `schemas`, `id`, `externalId`, the core attributes in schema
    /// order, extensions, then `meta`. `returned: never` attributes are left out.
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("schemas".to_owned(), Value::from(self.schemas()));
        let [id, external_id, meta] = &COMMON_ATTRIBUTES;
        for attr in [id, external_id] {
            if let Some(v) = self.attrs.get(attr.name) {
                out.insert(attr.name.to_owned(), v.clone());
            }
        }
        render_attributes(self.rtype.schema, &self.attrs, &mut out);
        for ext in self.rtype.extensions {
            if let Some(Value::Object(ext_attrs)) = self.attrs.get(ext.schema.id) {
                let mut ext_out = Map::new();
                render_attributes(ext.schema, ext_attrs, &mut ext_out);
                if !ext_out.is_empty() {
                    out.insert(ext.schema.id.to_owned(), Value::Object(ext_out));
                }
            }
        }
        if let Some(v) = self.attrs.get(meta.name) {
            out.insert(meta.name.to_owned(), v.clone());
        }
        Value::Object(out)
    }
}

impl Resource {
    /// The attributes with every case-insensitive string (`caseExact: false`) folded as
    /// filters compare them ([`fold_case`]). A store keeps this beside the resource so that
    /// SQL comparisons of folded text agree exactly with [`crate::filter::Expr::matches`].
    pub fn folded(&self) -> Map<String, Value> {
        let mut out = Map::new();
        for (key, value) in &self.attrs {
            let folded = match self.rtype.extension_by_urn(key) {
                Some(schema) => match value {
                    Value::Object(ext) => Value::Object(
                        ext.iter()
                            .map(|(k, v)| (k.clone(), fold_by(schema.attribute(k), v)))
                            .collect(),
                    ),
                    other => other.clone(),
                },
                None => fold_by(self.rtype.attribute(None, key).map(|(_, a)| a), value),
            };
            out.insert(key.clone(), folded);
        }
        out
    }
}

/// `value` with the case-insensitive strings of `attr` folded; unknown attributes unchanged.
fn fold_by(attr: Option<&'static Attribute>, value: &Value) -> Value {
    let Some(attr) = attr else {
        return value.clone();
    };
    match value {
        Value::Array(items) => Value::Array(items.iter().map(|i| fold_item(attr, i)).collect()),
        single => fold_item(attr, single),
    }
}

fn fold_item(attr: &'static Attribute, value: &Value) -> Value {
    match value {
        Value::String(s)
            if !attr.case_exact && matches!(attr.kind, AttrType::String | AttrType::Reference) =>
        {
            Value::String(fold_case(s).into_owned())
        }
        Value::Object(object) if attr.is_complex() => Value::Object(
            object
                .iter()
                .map(|(k, v)| (k.clone(), fold_by(attr.sub_attribute(k), v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn render_attributes(schema: &Schema, attrs: &Map<String, Value>, out: &mut Map<String, Value>) {
    for attr in schema.attributes {
        if attr.returned == Returned::Never {
            continue;
        }
        if let Some(v) = attrs.get(attr.name) {
            out.insert(attr.name.to_owned(), v.clone());
        }
    }
}
