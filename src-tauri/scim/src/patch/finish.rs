//! What a resource must satisfy after all operations of a PATCH: nothing empty left behind,
//! required attributes present, at most one `primary` per multi-valued attribute.

use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::resource::coerce::check_single_primary;
use crate::schema::ResourceType;

/// After all operations: drop what became empty, then check what a resource must satisfy.
pub(super) fn finish(
    rtype: &'static ResourceType,
    attrs: &mut Map<String, Value>,
) -> Result<(), ScimError> {
    prune(attrs);
    for ext in rtype.extensions {
        if let Some(Value::Object(ext_attrs)) = attrs.get_mut(ext.schema.id) {
            prune(ext_attrs);
            if ext_attrs.is_empty() {
                attrs.remove(ext.schema.id);
            }
        }
    }
    for schema in rtype.schemas() {
        let holder = if schema.id == rtype.schema.id {
            Some(&*attrs)
        } else {
            attrs.get(schema.id).and_then(Value::as_object)
        };
        for attr in schema.attributes {
            let value = holder.and_then(|h| h.get(attr.name));
            if attr.required
                && value.is_none_or(|v| v.as_str().is_some_and(|s| s.trim().is_empty()))
            {
                return Err(ScimError::Mutability(format!(
                    "'{}' is required and cannot be removed",
                    attr.name
                )));
            }
            if let (true, Some(Value::Array(items))) = (attr.multi_valued, value) {
                check_single_primary(attr, items, attr.name)?;
            }
        }
    }
    Ok(())
}

/// Removes empty objects inside items, empty items, empty lists and empty complex values.
fn prune(attrs: &mut Map<String, Value>) {
    attrs.retain(|_, value| match value {
        Value::Array(items) => {
            items.retain(|i| {
                !matches!(i, Value::Null) && i.as_object().is_none_or(|o| !o.is_empty())
            });
            !items.is_empty()
        }
        Value::Object(object) => !object.is_empty(),
        Value::Null => false,
        _ => true,
    });
}
