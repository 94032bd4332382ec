//! Operations on the items of multi-valued attributes, and on complex values, that PATCH needs:
//! identity of items, merging, clearing sub-attributes, `primary` uniqueness, and building an
//! item from a value filter.

use serde_json::{Map, Number, Value};

use crate::compare::{simple_eq, value_eq};
use crate::error::ScimError;
use crate::filter::{CompareOp, Expr, Location, Operand};
use crate::schema::{Attribute, Mutability};

/// Whether `a` and `b` are the same item of `attr`: for complex items with a `value`, the same
/// `value` and, when both give one, the same `type` (so `{value: id}` and
/// `{value: id, type: "User"}` are the same member, and `{value: id, display: "Bob"}` re-adds
/// member `id`); otherwise equal.
pub(super) fn same_item(attr: &'static Attribute, a: &Value, b: &Value) -> bool {
    if let (Some(value_attr), Some(av), Some(bv)) =
        (attr.value_sub_attribute(), a.get("value"), b.get("value"))
    {
        let same_type = match (attr.sub_attribute("type"), a.get("type"), b.get("type")) {
            (Some(t), Some(x), Some(y)) => simple_eq(t, x, y),
            _ => true,
        };
        return simple_eq(value_attr, av, bv) && same_type;
    }
    value_eq(attr, a, b)
}

/// What `new` adds to the item `existing` it re-adds (RFC 7644 §3.5.2.1): the sub-attributes
/// `existing` does not already have with an equal value (by the sub-attribute's rules, so
/// `BJensen@Example.com` is already there when `bjensen@example.com` is, and keeps its stored
/// spelling); `None` when it adds nothing. An immutable sub-attribute that already has another
/// value keeps it, and the flag says so: Okta re-adds a member with the user's new login as
/// `display` after a rename, and that member is already there.
pub(super) fn not_yet_in(
    attr: &'static Attribute,
    existing: &Value,
    new: Value,
) -> (Option<Value>, bool) {
    let (Some(existing), Value::Object(new)) = (existing.as_object(), &new) else {
        return ((!value_eq(attr, existing, &new)).then_some(new), false);
    };
    let mut kept_immutable = false;
    let mut fresh = Map::new();
    for (k, v) in new {
        let sub = attr.sub_attribute(k);
        match existing.get(k) {
            Some(e) if sub.map_or(e == v, |s| simple_eq(s, e, v)) => {}
            Some(_) if sub.is_some_and(|s| s.mutability == Mutability::Immutable) => {
                kept_immutable = true;
            }
            _ => {
                fresh.insert(k.clone(), v.clone());
            }
        }
    }
    (
        (!fresh.is_empty()).then_some(Value::Object(fresh)),
        kept_immutable,
    )
}

/// Writes the sub-attributes of `new` into `existing` (an `add` to an item that is there).
/// An immutable sub-attribute that already has a different value is an error.
pub(super) fn merge_into(
    attr: &'static Attribute,
    existing: &mut Value,
    new: Value,
) -> Result<(), ScimError> {
    let (Some(existing), Value::Object(new)) = (existing.as_object_mut(), new) else {
        return Ok(());
    };
    for (k, v) in new {
        if let Some(sub) = attr.sub_attribute(&k) {
            check_immutable(
                sub,
                existing.get(&k),
                &v,
                &format!("{}.{}", attr.name, sub.name),
            )?;
        }
        existing.insert(k, v);
    }
    Ok(())
}

/// RFC 7644 §3.5.2: an immutable attribute may be set when it has no value, never changed.
/// `name` is the attribute's full name for the message.
pub(super) fn check_immutable(
    attr: &'static Attribute,
    old: Option<&Value>,
    new: &Value,
    name: &str,
) -> Result<(), ScimError> {
    match old {
        Some(old) if attr.mutability == Mutability::Immutable && !value_eq(attr, old, new) => Err(
            ScimError::Mutability(format!("'{name}' is immutable and already has a value")),
        ),
        _ => Ok(()),
    }
}

/// RFC 7644 §3.5.2: setting `primary` true on one item sets it false on the others.
pub(super) fn demote_other_primaries(items: &mut [Value], keep: usize) {
    if items.get(keep).and_then(|i| i.get("primary")) != Some(&Value::Bool(true)) {
        return;
    }
    for (i, item) in items.iter_mut().enumerate() {
        if i != keep
            && let Some(Value::Bool(primary)) = item.get_mut("primary")
        {
            *primary = false;
        }
    }
}

/// The item a value filter describes when it is only `eq` terms joined by `and`
/// (`type eq "work"`, `type eq "work" and primary eq true`): Entra's filtered add on a
/// missing item creates exactly this. `None` when the filter describes no item a client may
/// create: other operators, a `readOnly` sub-attribute (`manager[displayName eq "Bob"]`; RFC
/// 7643 §7 lets only the server set it), or one sub-attribute with two values.
pub(super) fn item_from_filter(filter: &Expr) -> Option<Map<String, Value>> {
    let terms: Vec<&Expr> = match filter {
        Expr::And(items) => items.iter().collect(),
        single => vec![single],
    };
    let mut item = Map::new();
    for term in terms {
        let Expr::Compare(attr, CompareOp::Eq, operand) = term else {
            return None;
        };
        if attr.location != Location::Element
            || attr.sub.is_some()
            || attr.attr.mutability == Mutability::ReadOnly
        {
            return None;
        }
        let value = match operand {
            Operand::Str(s) => Value::String(s.clone()),
            Operand::Bool(b) => Value::Bool(*b),
            Operand::Int(i) => Value::from(*i),
            Operand::Dec(d) => Value::Number(Number::from_f64(*d)?),
            Operand::DateTime(dt) => Value::String(dt.to_rfc3339()),
            Operand::Null => return None,
        };
        match item.get(attr.attr.name) {
            Some(earlier) if !simple_eq(attr.attr, earlier, &value) => return None,
            _ => {
                item.insert(attr.attr.name.to_owned(), value);
            }
        }
    }
    Some(item)
}

/// The sub-attributes a value for the singular complex `attr` sets to `null`
/// (`{"givenName": null}`). RFC 7643 §2.5 makes null "unassigned", so an add or replace of
/// the complex attribute clears them (§3.5.2.3: the sub-attributes not given stay as they are).
/// `readOnly` ones are left out: a client's values for them are ignored (RFC 7643 §7).
pub(super) fn nulled_sub_attributes(
    attr: &'static Attribute,
    value: Option<&Value>,
) -> Vec<&'static Attribute> {
    if attr.multi_valued || !attr.is_complex() {
        return Vec::new();
    }
    let Some(Value::Object(object)) = value else {
        return Vec::new();
    };
    object
        .iter()
        .filter(|(_, v)| v.is_null())
        .filter_map(|(k, _)| attr.sub_attribute(k))
        .filter(|sub| sub.mutability != Mutability::ReadOnly)
        .collect()
}

/// Removes `subs` from the complex value `existing`; an immutable one that has a value cannot
/// be cleared.
pub(super) fn clear_sub_attributes(
    existing: &mut Value,
    subs: &[&'static Attribute],
    name: &str,
) -> Result<(), ScimError> {
    let Some(object) = existing.as_object_mut() else {
        return Ok(());
    };
    subs.iter()
        .try_for_each(|sub| remove_sub_attribute(object, sub, &format!("{name}.{}", sub.name)))
}

/// Removes `sub` from one complex value. Removing an immutable sub-attribute that has a value
/// changes it, which RFC 7644 §3.5.2 forbids (`mutability`); removing the whole record is fine.
pub(super) fn remove_sub_attribute(
    item: &mut Map<String, Value>,
    sub: &'static Attribute,
    name: &str,
) -> Result<(), ScimError> {
    match item.remove(sub.name) {
        Some(old) => check_immutable(sub, Some(&old), &Value::Null, name),
        None => Ok(()),
    }
}

/// Null, `[]` or `{}`: no value (RFC 7643 §2.5).
pub(super) fn is_unassigned(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        Value::Object(object) => object.is_empty(),
        _ => false,
    }
}
