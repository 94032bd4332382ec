//! Reading a resource from a request body (`POST`, `PUT`): RFC 7643 validation plus the named
//! tolerances, giving the canonical [`Resource`] and the read-only values the client sent.

use serde_json::{Map, Value};

use super::Resource;
use super::coerce::{coerce, coerce_item, expected};
use crate::error::ScimError;
use crate::filter::AttrPath;
use crate::resolve;
use crate::schema::{Attribute, Mutability, Owner, ResourceType, SchemaRef};
use crate::tolerance::{Rule, Tolerances};

/// A request body read as a resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub resource: Resource,
    /// Values of `readOnly` attributes the client sent (`id`, `meta`, a User's `groups`), by
    /// canonical name (URN-qualified for extensions). RFC 7643 §7 says they are ignored; they
    /// are kept here because a User's `groups` tells which IdP groups the user is in.
    pub read_only: Map<String, Value>,
}

/// Reads `body` as a resource of `rtype`: the checks of RFC 7643 (types, `required`,
/// `readOnly` ignored, canonical names, extension attributes under their URN) with the
/// tolerances recorded in `tolerances`. Errors are `invalidSyntax` (not an object) or
/// `invalidValue`.
pub fn parse(
    rtype: &'static ResourceType,
    body: Value,
    tolerances: &mut Tolerances,
) -> Result<Parsed, ScimError> {
    let Value::Object(object) = body else {
        return Err(ScimError::InvalidSyntax(format!(
            "a {} must be a JSON object",
            rtype.name
        )));
    };
    let mut reader = Reader {
        rtype,
        resource: Resource::new(rtype),
        read_only: Map::new(),
        tolerances,
    };
    let mut saw_schemas = false;
    for (key, value) in object {
        if key.eq_ignore_ascii_case("schemas") {
            reader.check_schemas(&value)?;
            saw_schemas = true;
        } else if let Some(SchemaRef::Extension(schema)) =
            resolve::schema_by_urn(rtype, &key, reader.tolerances)
        {
            reader.read_extension(schema, value, &key)?;
        } else if let Some((owner, attr)) = rtype.attribute(None, &key) {
            reader.set(owner, attr, None, value, attr.name)?;
        } else {
            reader.read_qualified_key(&key, value)?;
        }
    }
    if !saw_schemas {
        reader.tolerances.note(
            Rule::SchemasMissing,
            format!("assumed [\"{}\"]", rtype.schema.id),
        );
    }
    check_required(&reader.resource)?;
    Ok(Parsed {
        resource: reader.resource,
        read_only: reader.read_only,
    })
}

/// `PUT` semantics (RFC 7644 §3.5.1): the incoming resource replaces `existing`, except that
/// read-only attributes (`id`, `meta`, `groups`) are kept, write-only ones (`password`) are
/// kept when not sent, and an `immutable` attribute that has a value must not change: sent
/// with another value it is a `mutability` error, left out it is kept (RFC 7643 §7: it "SHALL
/// NOT be updated"). The same holds for the attributes of extension schemas.
pub fn replace(existing: &Resource, incoming: Parsed) -> Result<Resource, ScimError> {
    let mut next = incoming.resource;
    let rtype = existing.rtype;
    let top_level = crate::schema::COMMON_ATTRIBUTES
        .iter()
        .chain(rtype.schema.attributes);
    for attr in top_level {
        carry_over(
            attr,
            existing.attrs.get(attr.name),
            &mut next.attrs,
            attr.name,
        )?;
    }
    for ext in rtype.extensions {
        let urn = ext.schema.id;
        let old = existing.attrs.get(urn).and_then(Value::as_object);
        let mut new = match next.attrs.remove(urn) {
            Some(Value::Object(new)) => new,
            _ => Map::new(),
        };
        for attr in ext.schema.attributes {
            let name = format!("{urn}:{}", attr.name);
            carry_over(attr, old.and_then(|o| o.get(attr.name)), &mut new, &name)?;
        }
        if !new.is_empty() {
            next.attrs.insert(urn.to_owned(), Value::Object(new));
        }
    }
    Ok(next)
}

/// Applies `attr`'s mutability to a PUT: `old` is the stored value, `next` the object the
/// replacement is being built in, `name` the attribute's full name for messages.
fn carry_over(
    attr: &'static Attribute,
    old: Option<&Value>,
    next: &mut Map<String, Value>,
    name: &str,
) -> Result<(), ScimError> {
    let keep_old = match attr.mutability {
        Mutability::ReadOnly => true,
        Mutability::WriteOnly => !next.contains_key(attr.name),
        Mutability::Immutable => match (old, next.get(attr.name)) {
            (Some(old), Some(new)) if !crate::compare::value_eq(attr, old, new) => {
                return Err(ScimError::Mutability(format!(
                    "'{name}' is immutable and already has a value"
                )));
            }
            (_, new) => new.is_none(),
        },
        Mutability::ReadWrite => false,
    };
    if keep_old {
        match old {
            Some(old) => next.insert(attr.name.to_owned(), old.clone()),
            None => next.remove(attr.name),
        };
    }
    Ok(())
}

struct Reader<'t> {
    rtype: &'static ResourceType,
    resource: Resource,
    read_only: Map<String, Value>,
    tolerances: &'t mut Tolerances,
}

impl Reader<'_> {
    fn check_schemas(&mut self, value: &Value) -> Result<(), ScimError> {
        let urns = value.as_array().filter(|a| a.iter().all(Value::is_string));
        let Some(urns) = urns else {
            return Err(ScimError::InvalidValue(
                "'schemas' must be an array of schema URNs".into(),
            ));
        };
        let mut has_core = false;
        for urn in urns.iter().filter_map(Value::as_str) {
            match resolve::schema_by_urn(self.rtype, urn, self.tolerances) {
                Some(SchemaRef::Core) => has_core = true,
                Some(SchemaRef::Extension(_)) => {}
                None if resolve::is_vendor_schema_urn(urn) => {
                    self.tolerances.note(
                        Rule::VendorSchemaUrnIgnored,
                        format!("ignored schema {urn}"),
                    );
                }
                None => {
                    let known: Vec<_> = self.rtype.schemas().map(|s| s.id).collect();
                    return Err(ScimError::InvalidValue(format!(
                        "unknown schema '{urn}' in 'schemas'; a {} accepts {}",
                        self.rtype.name,
                        known.join(" and ")
                    )));
                }
            }
        }
        if !has_core {
            return Err(ScimError::InvalidValue(format!(
                "'schemas' must include {}",
                self.rtype.schema.id
            )));
        }
        Ok(())
    }

    fn read_extension(
        &mut self,
        schema: &'static crate::schema::Schema,
        value: Value,
        key: &str,
    ) -> Result<(), ScimError> {
        let object = match value {
            Value::Null => return Ok(()),
            Value::Object(object) => object,
            other => return Err(expected(key, "an object of extension attributes", &other)),
        };
        for (name, value) in object {
            match schema.attribute(&name) {
                Some(attr) => {
                    let at = format!("{}:{}", schema.id, attr.name);
                    self.set(Owner::Extension(schema), attr, None, value, &at)?;
                }
                None => self.tolerances.note(
                    Rule::UnknownAttributeIgnored,
                    format!("'{}:{name}'", schema.id),
                ),
            }
        }
        Ok(())
    }

    /// A key that is not a plain attribute name: `urn:…:User:employeeNumber`, `name.givenName`.
    fn read_qualified_key(&mut self, key: &str, value: Value) -> Result<(), ScimError> {
        let resolved = AttrPath::parse(key)
            .ok()
            .filter(|p| p.urn.is_some() || p.sub.is_some())
            .and_then(|path| {
                Some((
                    resolve::attribute(self.rtype, &path, self.tolerances).ok()?,
                    path,
                ))
            });
        let Some((found, path)) = resolved else {
            self.tolerances
                .note(Rule::UnknownAttributeIgnored, format!("'{key}'"));
            return Ok(());
        };
        let rule = if path.urn.is_some() {
            Rule::UrnQualifiedKey
        } else {
            Rule::DottedKeyInValue
        };
        self.tolerances
            .note(rule, format!("read key '{key}' as an attribute path"));
        let at = canonical_name(found.owner, found.attr, found.sub);
        self.set(found.owner, found.attr, found.sub, value, &at)
    }

    /// Validates and stores `value` as `attr` (or its sub-attribute `sub`).
    fn set(
        &mut self,
        owner: Owner,
        attr: &'static Attribute,
        sub: Option<&'static Attribute>,
        value: Value,
        at: &str,
    ) -> Result<(), ScimError> {
        let read_only = attr.mutability == Mutability::ReadOnly
            || sub.is_some_and(|s| s.mutability == Mutability::ReadOnly);
        if read_only {
            self.read_only.insert(at.to_owned(), value);
            return Ok(());
        }
        let container = match owner {
            Owner::Extension(schema) => {
                let ext = self
                    .resource
                    .attrs
                    .entry(schema.id)
                    .or_insert_with(|| Value::Object(Map::new()));
                match ext {
                    Value::Object(ext) => ext,
                    _ => {
                        return Err(ScimError::Internal(
                            "extension storage is not an object".into(),
                        ));
                    }
                }
            }
            Owner::Core | Owner::Common => &mut self.resource.attrs,
        };
        let result = match sub {
            None => coerce(attr, value, at, self.tolerances)?
                .map(|v| store(container, attr.name, v, at)),
            Some(sub) if !attr.multi_valued => {
                coerce_item(sub, value, at, self.tolerances)?.map(|v| {
                    let mut partial = Map::new();
                    partial.insert(sub.name.to_owned(), v);
                    store(container, attr.name, Value::Object(partial), at)
                })
            }
            Some(_) => {
                return Err(ScimError::InvalidValue(format!(
                    "'{at}' names a sub-attribute of the multi-valued '{}'; send '{}' as a list",
                    attr.name, attr.name
                )));
            }
        };
        if let Owner::Extension(schema) = owner {
            let empty = self
                .resource
                .attrs
                .get(schema.id)
                .and_then(Value::as_object)
                .is_some_and(Map::is_empty);
            if empty {
                self.resource.attrs.remove(schema.id);
            }
        }
        result.unwrap_or(Ok(()))
    }
}

/// The name `read_only` and messages use for an attribute: as the schema spells it,
/// URN-qualified for extensions (`name.givenName`, `urn:…:enterprise:2.0:User:manager`), however
/// the client wrote it (`urn:…:core:2.0:User:Name.GivenName`).
fn canonical_name(owner: Owner, attr: &Attribute, sub: Option<&Attribute>) -> String {
    let mut name = match owner {
        Owner::Extension(schema) => format!("{}:{}", schema.id, attr.name),
        Owner::Core | Owner::Common => attr.name.to_owned(),
    };
    if let Some(sub) = sub {
        name.push('.');
        name.push_str(sub.name);
    }
    name
}

/// Inserts `value` under `name`; a second value for the same complex attribute merges its
/// sub-attributes (`name` and `name.familyName` in one body), anything else given twice is
/// an error.
fn store(
    container: &mut Map<String, Value>,
    name: &str,
    value: Value,
    at: &str,
) -> Result<(), ScimError> {
    match (container.get_mut(name), value) {
        (None, value) => {
            container.insert(name.to_owned(), value);
            Ok(())
        }
        (Some(Value::Object(existing)), Value::Object(more)) => {
            for (k, v) in more {
                if existing.insert(k.clone(), v).is_some() {
                    return Err(ScimError::InvalidValue(format!(
                        "'{name}.{k}' is given twice"
                    )));
                }
            }
            Ok(())
        }
        (Some(_), _) => Err(ScimError::InvalidValue(format!("'{at}' is given twice"))),
    }
}

fn check_required(resource: &Resource) -> Result<(), ScimError> {
    for schema in resource.rtype.schemas() {
        let container = if schema.id == resource.rtype.schema.id {
            Some(&resource.attrs)
        } else {
            resource.attrs.get(schema.id).and_then(Value::as_object)
        };
        for attr in schema.attributes.iter().filter(|a| a.required) {
            match container.and_then(|c| c.get(attr.name)) {
                None => {
                    return Err(ScimError::InvalidValue(format!(
                        "'{}' is required",
                        attr.name
                    )));
                }
                Some(Value::String(s)) if s.trim().is_empty() => {
                    return Err(ScimError::InvalidValue(format!(
                        "'{}' must not be empty",
                        attr.name
                    )));
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}
