//! Stage three (in memory): whether a resource matches a checked filter. This is the reference
//! semantics; the store's SQL lowering must agree with it (tests compare the two).
//!
//! Semantics where RFC 7644 is silent, chosen so that SQL can express them:
//! - a comparison on a multi-valued attribute matches when any value matches;
//! - `ne` is the negation of `eq` (so a missing attribute is `ne` anything but null);
//! - `eq null` matches when the attribute has no value, `ne null` when it has one;
//! - `pr` matches a value that is not null, not `""`, not `[]` and not `{}`;
//! - orderings on a missing value are false;
//! - `schemas` is derived when the resource does not carry it (canonical form never does):
//!   the core schema and each extension whose object is present, as the rendered resource
//!   lists them.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::ast::CompareOp;
use super::check::{AttrRef, Expr, Location, Operand};
use crate::compare::{cmp_str, fold_case};
use crate::datetime::DateTime;
use crate::schema::{Owner, ResourceType};

impl Expr {
    /// Whether `resource` (a resource's JSON object in canonical form, or one item of a
    /// multi-valued attribute for [`Location::Element`] references) matches.
    pub fn matches(&self, resource: &Map<String, Value>) -> bool {
        match self {
            Expr::And(items) => items.iter().all(|e| e.matches(resource)),
            Expr::Or(items) => items.iter().any(|e| e.matches(resource)),
            Expr::Not(inner) => !inner.matches(resource),
            Expr::Present(attr) => leaves(attr, resource).any(|v| is_present(&v)),
            Expr::Compare(attr, op, operand) => compare(attr, *op, operand, resource),
            Expr::ValuePath(attr, inner) => items(attr, resource)
                .any(|item| item.as_object().is_some_and(|item| inner.matches(item))),
        }
    }
}

/// Looks up `name` in `object`: the canonical spelling first, then any case.
pub(crate) fn get_ci<'v>(object: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    object.get(name).or_else(|| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// The attribute's value(s): each item of a multi-valued attribute, or the single value.
fn items<'v>(
    attr: &AttrRef,
    resource: &'v Map<String, Value>,
) -> impl Iterator<Item = Cow<'v, Value>> {
    let mut derived = Vec::new();
    let stored = match attr.location {
        Location::Resource(Owner::Extension(schema)) => get_ci(resource, schema.id)
            .and_then(Value::as_object)
            .and_then(|ext| get_ci(ext, attr.attr.name)),
        Location::Schemas(rtype) => {
            let stored = get_ci(resource, attr.attr.name);
            if stored.is_none() {
                derived = derived_schemas(rtype, resource);
            }
            stored
        }
        Location::Resource(_) | Location::Element => get_ci(resource, attr.attr.name),
    };
    let (many, one) = match stored {
        Some(Value::Array(values)) => (values.as_slice(), None),
        other => (&[][..], other),
    };
    many.iter()
        .chain(one)
        .map(Cow::Borrowed)
        .chain(derived.into_iter().map(Cow::Owned))
}

/// `schemas` of a canonical resource of `rtype`: the core schema, then each extension whose
/// object is present (as [`crate::Resource::schemas`] lists them).
fn derived_schemas(rtype: &ResourceType, resource: &Map<String, Value>) -> Vec<Value> {
    rtype
        .schemas()
        .enumerate()
        .filter(|(i, schema)| *i == 0 || get_ci(resource, schema.id).is_some())
        .map(|(_, schema)| Value::from(schema.id))
        .collect()
}

/// The compared values: the sub-attribute of each item when there is one.
fn leaves<'v>(
    attr: &AttrRef,
    resource: &'v Map<String, Value>,
) -> impl Iterator<Item = Cow<'v, Value>> {
    let sub = attr.sub;
    items(attr, resource)
        .filter_map(move |item| match (sub, item) {
            (None, item) => Some(item),
            (Some(sub), Cow::Borrowed(item)) => item
                .as_object()
                .and_then(|o| get_ci(o, sub.name))
                .map(Cow::Borrowed),
            (Some(_), Cow::Owned(_)) => None,
        })
        .filter(|v| !v.is_null())
}

fn is_present(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => o.values().any(is_present),
        _ => true,
    }
}

fn compare(
    attr: &AttrRef,
    op: CompareOp,
    operand: &Operand,
    resource: &Map<String, Value>,
) -> bool {
    match (op, operand) {
        (CompareOp::Eq, Operand::Null) => !leaves(attr, resource).any(|v| is_present(&v)),
        (CompareOp::Ne, Operand::Null) => leaves(attr, resource).any(|v| is_present(&v)),
        (CompareOp::Ne, _) => {
            !leaves(attr, resource).any(|v| leaf_matches(attr, CompareOp::Eq, operand, &v))
        }
        _ => leaves(attr, resource).any(|v| leaf_matches(attr, op, operand, &v)),
    }
}

fn leaf_matches(attr: &AttrRef, op: CompareOp, operand: &Operand, value: &Value) -> bool {
    let leaf = attr.leaf();
    let ordering = match (operand, value) {
        (Operand::Str(want), Value::String(have)) => {
            if op.is_substring() {
                let (have, want) = if leaf.case_exact {
                    (have.into(), want.into())
                } else {
                    (fold_case(have), fold_case(want))
                };
                return match op {
                    CompareOp::Co => have.contains(want.as_ref()),
                    CompareOp::Sw => have.starts_with(want.as_ref()),
                    _ => have.ends_with(want.as_ref()),
                };
            }
            cmp_str(leaf, have, want)
        }
        (Operand::Bool(want), Value::Bool(have)) => have.cmp(want),
        (Operand::Int(want), Value::Number(have)) => match have.as_i64() {
            Some(have) => have.cmp(want),
            None => match have.as_f64().and_then(|h| h.partial_cmp(&(*want as f64))) {
                Some(o) => o,
                None => return false,
            },
        },
        (Operand::Dec(want), Value::Number(have)) => {
            match have.as_f64().and_then(|h| h.partial_cmp(want)) {
                Some(o) => o,
                None => return false,
            }
        }
        (Operand::DateTime(want), Value::String(have)) => match DateTime::parse(have) {
            Some(have) => have.cmp(want),
            None => return false,
        },
        _ => return false,
    };
    match op {
        CompareOp::Eq => ordering == Ordering::Equal,
        CompareOp::Ne => ordering != Ordering::Equal,
        CompareOp::Gt => ordering == Ordering::Greater,
        CompareOp::Ge => ordering != Ordering::Less,
        CompareOp::Lt => ordering == Ordering::Less,
        CompareOp::Le => ordering != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}
