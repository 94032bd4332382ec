//! Comparing attribute values by the schema's rules: `caseExact` strings, chronological
//! dateTimes, numeric numbers. Shared by filter evaluation and PATCH (duplicate detection), so
//! "equal" means the same everywhere.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::Value;

use crate::datetime::DateTime;
use crate::schema::{AttrType, Attribute};

/// Lower-cases `s` for case-insensitive comparison (Unicode-aware; no allocation for
/// lower-case ASCII).
pub fn fold_case(s: &str) -> Cow<'_, str> {
    if s.bytes().all(|b| !b.is_ascii_uppercase() && b.is_ascii()) {
        Cow::Borrowed(s)
    } else if s.is_ascii() {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Owned(s.to_lowercase())
    }
}

/// Orders two strings of `attr` (folding case unless `caseExact`).
pub fn cmp_str(attr: &Attribute, a: &str, b: &str) -> Ordering {
    if attr.case_exact {
        a.cmp(b)
    } else {
        fold_case(a).cmp(&fold_case(b))
    }
}

/// Whether two JSON values of the simple attribute `attr` are equal under its rules.
pub fn simple_eq(attr: &Attribute, a: &Value, b: &Value) -> bool {
    match (attr.kind, a, b) {
        (AttrType::DateTime, Value::String(x), Value::String(y)) => {
            match (DateTime::parse(x), DateTime::parse(y)) {
                (Some(x), Some(y)) => x == y,
                _ => x == y,
            }
        }
        (_, Value::String(x), Value::String(y)) => cmp_str(attr, x, y) == Ordering::Equal,
        (_, Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        _ => a == b,
    }
}

/// Whether two values of `attr` (simple, or a complex object) are equal: complex values are
/// equal when they have the same sub-attributes with equal values.
pub fn value_eq(attr: &Attribute, a: &Value, b: &Value) -> bool {
    if !attr.is_complex() {
        return simple_eq(attr, a, b);
    }
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return a == b;
    };
    a.len() == b.len()
        && a.iter()
            .all(|(key, x)| match (b.get(key), attr.sub_attribute(key)) {
                (Some(y), Some(sub)) => simple_eq(sub, x, y),
                (Some(y), None) => x == y,
                (None, _) => false,
            })
}

/// `true`/`false` in any case, as Entra ID and Okta write booleans in strings.
pub fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}
