//! Applying PATCH operations, rule by rule as RFC 7644 §3.5.2.1–3 states them, on a copy of
//! the resource: a PATCH that fails anywhere leaves the original untouched (§3.5.2: atomic).

use serde_json::{Map, Value};

use super::finish::finish;
use super::items::{
    check_immutable, clear_sub_attributes, is_unassigned, merge_into, nulled_sub_attributes,
    remove_sub_attribute,
};
use super::lists::{
    add_items, create_from_filter, remove_listed, remove_matched, removes_record, write_matched,
};
use super::{OpKind, Operation};
use crate::compare::value_eq;
use crate::error::ScimError;
use crate::path::{AttrTarget, Target};
use crate::resolve::{self, KeyTarget};
use crate::resource::Resource;
use crate::resource::coerce::{coerce, coerce_item};
use crate::schema::{Attribute, Mutability, Owner, ResourceType, Schema};
use crate::tolerance::{Rule, Tolerances};

/// The result of a successful PATCH.
#[derive(Debug, Clone, PartialEq)]
pub struct Patched {
    pub resource: Resource,
    /// False when the operations left the resource as it was (RFC 7644 §3.5.2.1: then the
    /// modification time must not change).
    pub changed: bool,
}

/// Applies `operations` in order to a copy of `resource`. Either every operation applies and
/// the result is valid (required attributes present, one `primary` at most), or the error of
/// the first failing operation is returned and nothing changes.
pub fn apply(
    resource: &Resource,
    operations: &[Operation],
    tolerances: &mut Tolerances,
) -> Result<Patched, ScimError> {
    let rtype = resource.resource_type();
    let mut work = resource.clone();
    let mut engine = Engine {
        rtype,
        attrs: work.attrs_mut(),
        tolerances,
    };
    for (i, op) in operations.iter().enumerate() {
        engine
            .operation(op)
            .map_err(|e| e.with_context(&format!("Operations[{i}]")))?;
    }
    finish(rtype, work.attrs_mut())?;
    let changed = work.attrs() != resource.attrs();
    Ok(Patched {
        resource: work,
        changed,
    })
}

/// Whether a value came with an explicit `path` or as a key of a path-less value object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    Path,
    PathlessKey,
}

struct Engine<'a, 't> {
    rtype: &'static ResourceType,
    attrs: &'a mut Map<String, Value>,
    tolerances: &'t mut Tolerances,
}

impl Engine<'_, '_> {
    fn operation(&mut self, op: &Operation) -> Result<(), ScimError> {
        match &op.target {
            None => match &op.value {
                Some(Value::Object(object)) => self.pathless(op.kind, object),
                _ => Err(ScimError::InvalidValue(
                    "a path-less operation needs an object value".into(),
                )),
            },
            Some(Target::Extension(schema)) => self.extension(op.kind, schema, op.value.as_ref()),
            Some(Target::Attr(target)) => {
                self.attribute(op.kind, target, op.value.clone(), Origin::Path)
            }
        }
    }

    /// RFC 7644 §3.5.2.1/3 without `path`: each key of the value object is an attribute.
    fn pathless(&mut self, kind: OpKind, object: &Map<String, Value>) -> Result<(), ScimError> {
        for (key, value) in object {
            if key.eq_ignore_ascii_case("schemas") {
                self.tolerances
                    .note(Rule::ReadOnlyEchoIgnored, "ignored 'schemas' in the value");
                continue;
            }
            let target = match resolve::key_target(self.rtype, key, self.tolerances) {
                Some(KeyTarget::Extension(schema)) => {
                    self.extension(kind, schema, Some(value))?;
                    continue;
                }
                Some(KeyTarget::Path(path)) => {
                    match resolve::attribute(self.rtype, &path, self.tolerances) {
                        Ok(found) => {
                            if path.urn.is_some() {
                                self.tolerances.note(
                                    Rule::UrnQualifiedKey,
                                    format!("read key '{key}' as a path"),
                                );
                            } else if path.sub.is_some() {
                                self.tolerances.note(
                                    Rule::DottedKeyInValue,
                                    format!("read key '{key}' as a path"),
                                );
                            }
                            AttrTarget {
                                owner: found.owner,
                                attr: found.attr,
                                filter: None,
                                sub: found.sub,
                            }
                        }
                        Err(_) => {
                            self.tolerances
                                .note(Rule::UnknownAttributeIgnored, format!("'{key}'"));
                            continue;
                        }
                    }
                }
                None => {
                    self.tolerances
                        .note(Rule::UnknownAttributeIgnored, format!("'{key}'"));
                    continue;
                }
            };
            self.attribute(kind, &target, Some(value.clone()), Origin::PathlessKey)?;
        }
        Ok(())
    }

    /// A path that is an extension URN: the whole extension object.
    fn extension(
        &mut self,
        kind: OpKind,
        schema: &'static Schema,
        value: Option<&Value>,
    ) -> Result<(), ScimError> {
        if kind == OpKind::Remove {
            if let Some(required) = schema.attributes.iter().find(|a| a.required) {
                return Err(ScimError::Mutability(format!(
                    "'{}' is required",
                    required.name
                )));
            }
            self.attrs.remove(schema.id);
            return Ok(());
        }
        let object = match value {
            Some(Value::Object(object)) => object,
            Some(Value::Null) | None => return Ok(()),
            Some(_) => {
                return Err(ScimError::InvalidValue(format!(
                    "the value for {} must be an object",
                    schema.id
                )));
            }
        };
        for (key, v) in object {
            match schema.attribute(key) {
                Some(attr) => {
                    let target = AttrTarget {
                        owner: Owner::Extension(schema),
                        attr,
                        filter: None,
                        sub: None,
                    };
                    self.attribute(kind, &target, Some(v.clone()), Origin::PathlessKey)?;
                }
                None => self.tolerances.note(
                    Rule::UnknownAttributeIgnored,
                    format!("'{}:{key}'", schema.id),
                ),
            }
        }
        Ok(())
    }

    fn attribute(
        &mut self,
        mut kind: OpKind,
        target: &AttrTarget,
        mut value: Option<Value>,
        origin: Origin,
    ) -> Result<(), ScimError> {
        if self.refuse_read_only(target, value.as_ref(), origin)? {
            return Ok(());
        }
        if kind != OpKind::Remove && matches!(&value, Some(Value::Null) | Some(Value::String(_))) {
            let empty = value
                .as_ref()
                .is_some_and(|v| v.is_null() || v.as_str() == Some(""));
            if empty {
                self.tolerances.note(
                    Rule::EmptyValueClears,
                    format!(
                        "'{}' set to {} clears it",
                        target_name(target),
                        value.as_ref().map_or("null".into(), |v| v.to_string())
                    ),
                );
                kind = OpKind::Remove;
                value = None;
            }
        }
        match (&target.filter, target.sub) {
            (None, None) => self.whole(kind, target, value),
            (None, Some(sub)) => self.sub_of_each(kind, target, sub, value),
            (Some(_), _) => self.filtered(kind, target, value),
        }
    }

    /// Read-only targets: an error, except an unchanged echo in a path-less value (Okta sends
    /// the group's `id`) and `meta`, which are ignored and recorded. Returns whether to skip.
    fn refuse_read_only(
        &mut self,
        target: &AttrTarget,
        value: Option<&Value>,
        origin: Origin,
    ) -> Result<bool, ScimError> {
        let read_only = target.attr.mutability == Mutability::ReadOnly
            || target.leaf().mutability == Mutability::ReadOnly;
        if !read_only {
            return Ok(false);
        }
        let name = target_name(target);
        if origin == Origin::PathlessKey {
            let current =
                container(self.attrs, target.owner, false).and_then(|c| c.get(target.attr.name));
            let unchanged = match (current, value) {
                (Some(current), Some(value)) => value_eq(target.attr, current, value),
                // RFC 7643 §2.5: null, [] and {} are all "unassigned", like the current value.
                (None, Some(value)) => is_unassigned(value),
                _ => false,
            };
            if unchanged || target.attr.name == "meta" {
                self.tolerances.note(
                    Rule::ReadOnlyEchoIgnored,
                    format!("ignored read-only '{name}' in the value"),
                );
                return Ok(true);
            }
        }
        Err(ScimError::Mutability(format!(
            "'{name}' is readOnly and cannot be changed"
        )))
    }

    /// The whole attribute: §3.5.2.1 add, §3.5.2.2 remove, §3.5.2.3 replace.
    fn whole(
        &mut self,
        kind: OpKind,
        target: &AttrTarget,
        value: Option<Value>,
    ) -> Result<(), ScimError> {
        let attr = target.attr;
        let name = target_name(target);
        if kind == OpKind::Remove {
            if attr.required {
                return Err(ScimError::Mutability(format!(
                    "'{name}' is required and cannot be removed"
                )));
            }
            let Some(container) = container(self.attrs, target.owner, false) else {
                return Ok(());
            };
            return match value {
                Some(value) if attr.multi_valued || attr.is_complex() => {
                    remove_listed(attr, container, value, &name, self.tolerances)
                }
                _ => {
                    container.remove(attr.name);
                    Ok(())
                }
            };
        }
        let nulled = nulled_sub_attributes(attr, value.as_ref());
        let Some(value) = coerce(attr, value.unwrap_or(Value::Null), &name, self.tolerances)?
        else {
            if !nulled.is_empty() {
                // Only null sub-attributes: those become unassigned, the others stay.
                let existing =
                    container(self.attrs, target.owner, false).and_then(|c| c.get_mut(attr.name));
                return match existing {
                    Some(existing) => clear_sub_attributes(existing, &nulled, &name),
                    None => Ok(()),
                };
            }
            // An empty list or object: replace clears, add adds nothing.
            if kind == OpKind::Replace {
                return self.whole(OpKind::Remove, target, None);
            }
            return Ok(());
        };
        let container = container(self.attrs, target.owner, true).ok_or_else(storage_error)?;
        match (kind, attr.multi_valued, value) {
            (OpKind::Add, true, Value::Array(items)) => {
                add_items(attr, container, items, self.tolerances)
            }
            (OpKind::Replace, true, items) => {
                container.insert(attr.name.to_owned(), items);
                Ok(())
            }
            // RFC 7644 §3.5.2.1/3: on a complex attribute both add and replace write the given
            // sub-attributes and leave the others.
            (_, false, Value::Object(subs)) if attr.is_complex() => {
                let existing = container
                    .entry(attr.name)
                    .or_insert_with(|| Value::Object(Map::new()));
                merge_into(attr, existing, Value::Object(subs))?;
                clear_sub_attributes(existing, &nulled, &name)
            }
            (_, _, value) => {
                check_immutable(attr, container.get(attr.name), &value, &name)?;
                container.insert(attr.name.to_owned(), value);
                Ok(())
            }
        }
    }

    /// `attr.sub` without a filter: the sub-attribute of a singular complex attribute, or of
    /// every item of a multi-valued one.
    fn sub_of_each(
        &mut self,
        kind: OpKind,
        target: &AttrTarget,
        sub: &'static Attribute,
        value: Option<Value>,
    ) -> Result<(), ScimError> {
        let attr = target.attr;
        let name = target_name(target);
        let new = match kind {
            OpKind::Remove => None,
            _ => coerce_item(sub, value.unwrap_or(Value::Null), &name, self.tolerances)?,
        };
        let Some(container) = container(self.attrs, target.owner, new.is_some()) else {
            return Ok(());
        };
        let Some(new) = new else {
            if removes_record(sub) {
                container.remove(attr.name);
                return Ok(());
            }
            return match container.get_mut(attr.name) {
                Some(Value::Array(items)) => items
                    .iter_mut()
                    .filter_map(Value::as_object_mut)
                    .try_for_each(|item| remove_sub_attribute(item, sub, &name)),
                Some(Value::Object(object)) => remove_sub_attribute(object, sub, &name),
                _ => Ok(()),
            };
        };
        if !attr.multi_valued {
            let object = container
                .entry(attr.name)
                .or_insert_with(|| Value::Object(Map::new()));
            let object = object.as_object_mut().ok_or_else(storage_error)?;
            check_immutable(sub, object.get(sub.name), &new, &name)?;
            object.insert(sub.name.to_owned(), new);
            return Ok(());
        }
        let items = container
            .entry(attr.name)
            .or_insert_with(|| Value::Array(Vec::new()));
        let items = items.as_array_mut().ok_or_else(storage_error)?;
        if items.is_empty() {
            items.push(Value::Object(Map::new()));
        }
        for item in items.iter_mut().filter_map(Value::as_object_mut) {
            check_immutable(sub, item.get(sub.name), &new, &name)?;
            item.insert(sub.name.to_owned(), new.clone());
        }
        Ok(())
    }

    /// `attr[filter]` and `attr[filter].sub`.
    fn filtered(
        &mut self,
        kind: OpKind,
        target: &AttrTarget,
        value: Option<Value>,
    ) -> Result<(), ScimError> {
        let attr = target.attr;
        let name = target_name(target);
        let Some(filter) = &target.filter else {
            return Ok(());
        };
        let new = match (kind, target.sub) {
            (OpKind::Remove, _) => None,
            (_, Some(sub)) => {
                coerce_item(sub, value.unwrap_or(Value::Null), &name, self.tolerances)?
            }
            (_, None) => coerce_item(attr, value.unwrap_or(Value::Null), &name, self.tolerances)?,
        };
        if kind != OpKind::Remove && new.is_none() {
            return Ok(());
        }
        let Some(container) = container(self.attrs, target.owner, kind != OpKind::Remove) else {
            return Ok(());
        };
        let singular = !attr.multi_valued;
        let mut items = match container.remove(attr.name) {
            Some(Value::Array(items)) => items,
            Some(single) => vec![single],
            None => Vec::new(),
        };
        let matched: Vec<usize> = items
            .iter()
            .enumerate()
            .filter(|(_, item)| item.as_object().is_some_and(|o| filter.matches(o)))
            .map(|(i, _)| i)
            .collect();
        let result = match new {
            None => remove_matched(&mut items, &matched, target.sub, &name),
            Some(new) if matched.is_empty() => {
                create_from_filter(kind, target, &name, new, &mut items, self.tolerances)
            }
            Some(new) => write_matched(kind, target, new, &mut items, &matched),
        };
        if !items.is_empty() {
            let stored = if singular {
                items.swap_remove(0)
            } else {
                Value::Array(items)
            };
            container.insert(attr.name.to_owned(), stored);
        }
        result
    }
}

/// The object holding attributes of `owner`: the resource itself, or the extension object
/// (created on demand when `create`).
fn container(
    attrs: &mut Map<String, Value>,
    owner: Owner,
    create: bool,
) -> Option<&mut Map<String, Value>> {
    match owner {
        Owner::Common | Owner::Core => Some(attrs),
        Owner::Extension(schema) => {
            if create && !attrs.contains_key(schema.id) {
                attrs.insert(schema.id.to_owned(), Value::Object(Map::new()));
            }
            attrs.get_mut(schema.id).and_then(Value::as_object_mut)
        }
    }
}

pub(super) fn target_name(target: &AttrTarget) -> String {
    let mut name = match target.owner {
        Owner::Extension(schema) => format!("{}:{}", schema.id, target.attr.name),
        _ => target.attr.name.to_owned(),
    };
    if target.filter.is_some() {
        name.push_str("[…]");
    }
    if let Some(sub) = target.sub {
        name.push('.');
        name.push_str(sub.name);
    }
    name
}

pub(super) fn storage_error() -> ScimError {
    ScimError::Internal("a stored attribute does not have the shape of its schema".into())
}
