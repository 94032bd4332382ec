//! Checking one attribute value against its definition and bringing it to canonical form:
//! canonical sub-attribute names, typed scalars, unassigned values dropped. Used for request
//! bodies and PATCH values alike, so both accept exactly the same shapes.

use serde_json::{Map, Value};

use crate::compare::parse_bool;
use crate::datetime::DateTime;
use crate::error::ScimError;
use crate::schema::{AttrType, Attribute, Mutability};
use crate::tolerance::{Rule, Tolerances};

/// Validates `value` for `attr` (single- or multi-valued as the attribute says). `at` names the
/// value in error messages (`emails[1].primary`). `None`: the value is unassigned (null, `[]`,
/// `{}`; RFC 7643 §2.5).
pub(crate) fn coerce(
    attr: &'static Attribute,
    value: Value,
    at: &str,
    tolerances: &mut Tolerances,
) -> Result<Option<Value>, ScimError> {
    if attr.multi_valued {
        let items = match value {
            Value::Null => return Ok(None),
            Value::Array(items) => items,
            single => {
                tolerances.note(
                    Rule::SingleValueForMultiValued,
                    format!("read the single value of '{at}' as a one-item list"),
                );
                vec![single]
            }
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            if let Some(item) = coerce_item(attr, item, &format!("{at}[{i}]"), tolerances)? {
                out.push(item);
            }
        }
        check_single_primary(attr, &out, at)?;
        return Ok((!out.is_empty()).then_some(Value::Array(out)));
    }
    match value {
        Value::Array(mut items) if attr.is_complex() && items.len() == 1 => {
            tolerances.note(
                Rule::ArrayForSingularComplex,
                format!("read the one-item array of '{at}' as its item"),
            );
            coerce_item(attr, items.remove(0), at, tolerances)
        }
        Value::Array(_) => Err(ScimError::InvalidValue(format!(
            "'{at}' is single-valued; expected one value, not an array"
        ))),
        value => coerce_item(attr, value, at, tolerances),
    }
}

/// Validates one value of `attr` (one item, for a multi-valued attribute).
pub(crate) fn coerce_item(
    attr: &'static Attribute,
    value: Value,
    at: &str,
    tolerances: &mut Tolerances,
) -> Result<Option<Value>, ScimError> {
    if value.is_null() {
        return Ok(None);
    }
    if attr.is_complex() {
        return coerce_complex(attr, value, at, tolerances);
    }
    coerce_scalar(attr, value, at, tolerances).map(Some)
}

fn coerce_complex(
    attr: &'static Attribute,
    value: Value,
    at: &str,
    tolerances: &mut Tolerances,
) -> Result<Option<Value>, ScimError> {
    let object = match value {
        Value::Object(object) => object,
        // Entra's habit is a singular `manager` as a string; a multi-valued attribute given
        // scalars (`"emails": "x"`) is a type error, not something to guess at.
        scalar @ (Value::String(_) | Value::Number(_) | Value::Bool(_)) => {
            let Some(value_attr) = attr.value_sub_attribute().filter(|_| !attr.multi_valued) else {
                return Err(expected(at, "an object", &scalar));
            };
            tolerances.note(
                Rule::ScalarForComplex,
                format!("read '{at}': {scalar} as {{\"value\": {scalar}}}"),
            );
            let value = coerce_scalar(value_attr, scalar, &format!("{at}.value"), tolerances)?;
            return Ok(Some(Value::Object(Map::from_iter([(
                "value".to_owned(),
                value,
            )]))));
        }
        other => return Err(expected(at, "an object", &other)),
    };
    let mut out = Map::new();
    for (key, sub_value) in object {
        let Some(sub) = attr.sub_attribute(&key) else {
            tolerances.note(Rule::UnknownAttributeIgnored, format!("'{at}.{key}'"));
            continue;
        };
        // RFC 7643 §7: values of readOnly attributes given by the client SHALL be ignored.
        if sub.mutability == Mutability::ReadOnly {
            continue;
        }
        let sub_at = format!("{at}.{}", sub.name);
        if let Some(v) = coerce_item(sub, sub_value, &sub_at, tolerances)?
            && out.insert(sub.name.to_owned(), v).is_some()
        {
            return Err(ScimError::InvalidValue(format!(
                "'{sub_at}' is given twice"
            )));
        }
    }
    Ok((!out.is_empty()).then_some(Value::Object(out)))
}

fn coerce_scalar(
    attr: &'static Attribute,
    value: Value,
    at: &str,
    tolerances: &mut Tolerances,
) -> Result<Value, ScimError> {
    match (attr.kind, value) {
        (AttrType::String | AttrType::Reference, v @ Value::String(_)) => Ok(v),
        (AttrType::Binary, Value::String(s)) => {
            if is_base64(&s) {
                Ok(Value::String(s))
            } else {
                Err(ScimError::InvalidValue(format!(
                    "'{at}' must be base64-encoded binary"
                )))
            }
        }
        (AttrType::Boolean, v @ Value::Bool(_)) => Ok(v),
        (AttrType::Boolean, Value::String(s)) => match parse_bool(&s) {
            Some(b) => {
                tolerances.note(
                    Rule::BooleanAsString,
                    format!("read '{at}': \"{s}\" as {b}"),
                );
                Ok(Value::Bool(b))
            }
            None => Err(ScimError::InvalidValue(format!(
                "'{at}' must be true or false, not \"{s}\""
            ))),
        },
        (AttrType::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => match n.as_i64() {
            Some(_) => Ok(Value::Number(n)),
            None => Err(ScimError::InvalidValue(format!(
                "'{at}' is out of the 64-bit integer range"
            ))),
        },
        (AttrType::Decimal, v @ Value::Number(_)) => Ok(v),
        (AttrType::DateTime, Value::String(s)) => match DateTime::parse(&s) {
            Some(_) => Ok(Value::String(s)),
            None => Err(ScimError::InvalidValue(format!(
                "'{at}' must be a date-time such as \"2011-05-13T04:42:34Z\", not \"{s}\""
            ))),
        },
        (kind, other) => Err(expected(at, type_phrase(kind), &other)),
    }
}

fn type_phrase(kind: AttrType) -> &'static str {
    match kind {
        AttrType::String | AttrType::Reference | AttrType::Binary | AttrType::DateTime => {
            "a string"
        }
        AttrType::Boolean => "a boolean",
        AttrType::Integer => "an integer",
        AttrType::Decimal => "a number",
        AttrType::Complex => "an object",
    }
}

pub(crate) fn expected(at: &str, what: &str, got: &Value) -> ScimError {
    let got = match got {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    ScimError::InvalidValue(format!("'{at}' must be {what}, not {got}"))
}

/// RFC 7644 §3.5.2 and RFC 7643 §2.4: "primary" is true for at most one value.
pub(crate) fn check_single_primary(
    attr: &Attribute,
    items: &[Value],
    at: &str,
) -> Result<(), ScimError> {
    if attr.sub_attribute("primary").is_none() {
        return Ok(());
    }
    let primaries = items
        .iter()
        .filter(|i| i.get("primary") == Some(&Value::Bool(true)))
        .count();
    if primaries > 1 {
        return Err(ScimError::InvalidValue(format!(
            "'{at}' has {primaries} values marked primary; at most one may be"
        )));
    }
    Ok(())
}

/// Standard or URL-safe base64, padded or not, white space ignored (RFC 4648).
fn is_base64(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    s.len() - body.len() <= 2
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(b, b'+' | b'/' | b'-' | b'_')
                || b.is_ascii_whitespace()
        })
}
