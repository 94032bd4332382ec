//! Changing the item list of a multi-valued attribute: adding items (idempotently), removing
//! listed or matched items, and the filtered add/replace with Entra's create-if-missing.

use serde_json::{Map, Value};

use super::OpKind;
use super::apply::{storage_error, target_name};
use super::items::{
    check_immutable, demote_other_primaries, item_from_filter, merge_into, not_yet_in,
    remove_sub_attribute, same_item,
};
use crate::error::ScimError;
use crate::path::AttrTarget;
use crate::resource::coerce::coerce_item;
use crate::schema::Attribute;
use crate::tolerance::{Rule, Tolerances};

/// §3.5.2.2 with the tolerance for a value array: removes the listed items (or the singular
/// complex value, when it matches).
pub(super) fn remove_listed(
    attr: &'static Attribute,
    container: &mut Map<String, Value>,
    value: Value,
    name: &str,
    tolerances: &mut Tolerances,
) -> Result<(), ScimError> {
    let listed = match value {
        Value::Array(items) => items,
        Value::Null => {
            container.remove(attr.name);
            return Ok(());
        }
        single => vec![single],
    };
    let mut wanted = Vec::with_capacity(listed.len());
    for (i, item) in listed.into_iter().enumerate() {
        if let Some(item) = coerce_item(attr, item, &format!("{name}[{i}]"), tolerances)? {
            wanted.push(item);
        }
    }
    tolerances.note(
        Rule::RemoveByValueArray,
        format!("removed {} listed value(s) of '{name}'", wanted.len()),
    );
    match container.get_mut(attr.name) {
        Some(Value::Array(items)) => {
            items.retain(|item| !wanted.iter().any(|w| same_item(attr, item, w)))
        }
        Some(single) if wanted.iter().any(|w| same_item(attr, single, w)) => {
            container.remove(attr.name);
        }
        _ => {}
    }
    Ok(())
}

/// §3.5.2.1 on a multi-valued attribute: appends new items; an item that is already there is
/// completed with the sub-attributes it lacks (see [`not_yet_in`]), or left alone.
pub(super) fn add_items(
    attr: &'static Attribute,
    container: &mut Map<String, Value>,
    items: Vec<Value>,
    tolerances: &mut Tolerances,
) -> Result<(), ScimError> {
    let list = container
        .entry(attr.name)
        .or_insert_with(|| Value::Array(Vec::new()));
    let list = list.as_array_mut().ok_or_else(storage_error)?;
    let mut duplicates = 0;
    for item in items {
        let index = match list
            .iter()
            .position(|existing| same_item(attr, existing, &item))
        {
            Some(i) => {
                let (fresh, kept_immutable) = not_yet_in(attr, &list[i], item);
                if fresh.is_none() || kept_immutable {
                    duplicates += 1;
                }
                if let Some(fresh) = fresh {
                    merge_into(attr, &mut list[i], fresh)?;
                }
                i
            }
            None => {
                list.push(item);
                list.len() - 1
            }
        };
        demote_other_primaries(list, index);
    }
    if duplicates > 0 {
        tolerances.note(
            Rule::DuplicateValueIgnored,
            format!(
                "{duplicates} value(s) added to '{}' were already there",
                attr.name
            ),
        );
    }
    Ok(())
}

/// §3.5.2.2 with a filter: removes the matched records, or their sub-attribute `sub` (and then
/// the records left empty).
pub(super) fn remove_matched(
    items: &mut Vec<Value>,
    matched: &[usize],
    sub: Option<&'static Attribute>,
    name: &str,
) -> Result<(), ScimError> {
    match sub {
        None => remove_indices(items, matched),
        Some(sub) if removes_record(sub) => remove_indices(items, matched),
        Some(sub) => {
            for &i in matched {
                if let Some(item) = items[i].as_object_mut() {
                    remove_sub_attribute(item, sub, name)?;
                }
            }
            items.retain(|item| item.as_object().is_none_or(|o| !o.is_empty()));
        }
    }
    Ok(())
}

/// Removing the `value` of a record removes the record: an email or phone number without its
/// value is no value at all. Entra's null update of `phoneNumbers[type eq "work"].value` means
/// "the work phone is gone", not "keep a work phone with no number".
pub(super) fn removes_record(sub: &Attribute) -> bool {
    sub.name == "value"
}

/// Removes the items at `indices` (ascending or not) in one pass.
pub(super) fn remove_indices(items: &mut Vec<Value>, indices: &[usize]) {
    let mut doomed = vec![false; items.len()];
    for &i in indices {
        if let Some(d) = doomed.get_mut(i) {
            *d = true;
        }
    }
    let mut position = 0;
    items.retain(|_| {
        position += 1;
        !doomed[position - 1]
    });
}

/// A filtered add/replace that matched nothing: Entra's habit creates the item the filter
/// describes; otherwise RFC 7644 §3.5.2.3 says `noTarget`.
pub(super) fn create_from_filter(
    kind: OpKind,
    target: &AttrTarget,
    name: &str,
    new: Value,
    items: &mut Vec<Value>,
    tolerances: &mut Tolerances,
) -> Result<(), ScimError> {
    let template = target.filter.as_ref().and_then(item_from_filter);
    let Some(mut item) = template else {
        return Err(ScimError::NoTarget(format!(
            "no value of '{}' matches '{name}' ({} needs an existing value)",
            target.attr.name,
            kind.as_str()
        )));
    };
    match (target.sub, new) {
        (Some(sub), new) => {
            item.insert(sub.name.to_owned(), new);
        }
        (None, Value::Object(fields)) => item.extend(fields),
        (None, _) => return Err(storage_error()),
    }
    tolerances.note(
        Rule::FilteredPathCreatesItem,
        format!(
            "no value matched '{name}'; created {}",
            Value::Object(item.clone())
        ),
    );
    if !target.attr.multi_valued {
        items.clear();
    }
    items.push(Value::Object(item));
    let last = items.len() - 1;
    demote_other_primaries(items, last);
    Ok(())
}

/// A filtered add/replace with matches: §3.5.2.3 replaces each matched item (or its
/// sub-attribute); an add completes them.
pub(super) fn write_matched(
    kind: OpKind,
    target: &AttrTarget,
    new: Value,
    items: &mut [Value],
    matched: &[usize],
) -> Result<(), ScimError> {
    let attr = target.attr;
    for &i in matched {
        match target.sub {
            Some(sub) => {
                let item = items[i].as_object_mut().ok_or_else(storage_error)?;
                check_immutable(sub, item.get(sub.name), &new, &target_name(target))?;
                item.insert(sub.name.to_owned(), new.clone());
            }
            None if kind == OpKind::Add => merge_into(attr, &mut items[i], new.clone())?,
            None => {
                for sub in attr.sub_attributes {
                    if let (Some(old), Some(new)) = (items[i].get(sub.name), new.get(sub.name)) {
                        check_immutable(
                            sub,
                            Some(old),
                            new,
                            &format!("{}.{}", attr.name, sub.name),
                        )?;
                    }
                }
                items[i] = new.clone();
            }
        }
        demote_other_primaries(items, i);
    }
    Ok(())
}
