//! Operations on the items of multi-valued attributes that PATCH needs: identity of items,
//! merging, `primary` uniqueness, and building an item from a value filter.

use serde_json::{Map, Number, Value};

use crate::compare::{simple_eq, value_eq};
use crate::error::ScimError;
use crate::filter::{CompareOp, Expr, Location, Operand};
use crate::schema::{Attribute, Mutability};

/// Whether `a` and `b` are the same item of `attr`: for complex items with a `value`, the same
/// `value` and `type` (so `{value: id, display: "Bob"}` re-adds member `id`); otherwise equal.
pub(super) fn same_item(attr: &'static Attribute, a: &Value, b: &Value) -> bool {
    if let (Some(value_attr), Some(av), Some(bv)) =
        (attr.value_sub_attribute(), a.get("value"), b.get("value"))
    {
        let type_attr = attr.sub_attribute("type");
        let same_type = match (type_attr, a.get("type"), b.get("type")) {
            (Some(t), Some(x), Some(y)) => simple_eq(t, x, y),
            (_, None, None) => true,
            _ => false,
        };
        return simple_eq(value_attr, av, bv) && same_type;
    }
    value_eq(attr, a, b)
}

/// Whether every sub-attribute of `new` already has that value in `existing`.
pub(super) fn covers(attr: &'static Attribute, existing: &Value, new: &Value) -> bool {
    match (existing.as_object(), new.as_object()) {
        (Some(existing), Some(new)) => new.iter().all(|(k, v)| {
            let sub = attr.sub_attribute(k);
            existing
                .get(k)
                .is_some_and(|e| sub.map_or(e == v, |s| simple_eq(s, e, v)))
        }),
        _ => value_eq(attr, existing, new),
    }
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
/// missing item creates exactly this.
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
        if attr.location != Location::Element || attr.sub.is_some() {
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
        item.insert(attr.attr.name.to_owned(), value);
    }
    Some(item)
}
