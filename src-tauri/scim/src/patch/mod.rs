//! PATCH (RFC 7644 §3.5.2): reading a PatchOp request into resolved [`Operation`]s, and
//! applying them to a resource atomically ([`apply`]).

mod apply;
mod finish;
mod items;
mod lists;

pub use apply::{Patched, apply};

use serde_json::Value;

use crate::error::ScimError;
use crate::message::PATCH_OP_SCHEMA;
use crate::path::{Target, resolve_text};
use crate::schema::ResourceType;
use crate::tolerance::{Rule, Tolerances};

/// At most this many operations in one PATCH request. Entra and Okta send one to a few;
/// member changes travel as value arrays inside one operation.
pub const MAX_OPERATIONS: usize = 10_000;

/// `add`, `remove` or `replace`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Add,
    Remove,
    Replace,
}

impl OpKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Add => "add",
            OpKind::Remove => "remove",
            OpKind::Replace => "replace",
        }
    }
}

/// One PATCH operation with its path resolved against the resource type.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub kind: OpKind,
    /// The path as the client wrote it (for messages and traces).
    pub path_text: Option<String>,
    pub target: Option<Target>,
    pub value: Option<Value>,
}

/// Reads a PatchOp request body (RFC 7644 §3.5.2) for a resource of `rtype`. Errors:
/// `invalidSyntax` for a malformed message, `invalidPath` for a bad path, `invalidValue` for a
/// missing value, `noTarget` for a `remove` without path.
pub fn parse_request(
    body: Value,
    rtype: &'static ResourceType,
    tolerances: &mut Tolerances,
) -> Result<Vec<Operation>, ScimError> {
    let Value::Object(mut message) = body else {
        return Err(ScimError::InvalidSyntax(
            "a PATCH body must be a JSON object".into(),
        ));
    };
    match message
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("schemas"))
        .map(|(_, v)| v)
    {
        None => tolerances.note(
            Rule::SchemasMissing,
            format!("assumed [\"{PATCH_OP_SCHEMA}\"]"),
        ),
        Some(Value::Array(urns))
            if urns.iter().any(|u| {
                u.as_str()
                    .is_some_and(|u| u.eq_ignore_ascii_case(PATCH_OP_SCHEMA))
            }) => {}
        Some(_) => {
            return Err(ScimError::InvalidSyntax(format!(
                "'schemas' of a PATCH body must be [\"{PATCH_OP_SCHEMA}\"]"
            )));
        }
    }
    let key = message
        .keys()
        .find(|k| k.eq_ignore_ascii_case("Operations"))
        .cloned();
    let operations = match key.and_then(|k| message.remove(&k)) {
        Some(Value::Array(ops)) if !ops.is_empty() => ops,
        Some(Value::Array(_)) => {
            return Err(ScimError::InvalidValue("'Operations' is empty".into()));
        }
        Some(_) => {
            return Err(ScimError::InvalidSyntax(
                "'Operations' must be an array".into(),
            ));
        }
        None => {
            return Err(ScimError::InvalidSyntax(
                "a PATCH body needs 'Operations'".into(),
            ));
        }
    };
    if operations.len() > MAX_OPERATIONS {
        return Err(ScimError::TooMany(format!(
            "{} operations in one PATCH; the limit is {MAX_OPERATIONS}",
            operations.len()
        )));
    }
    operations
        .into_iter()
        .enumerate()
        .map(|(i, op)| parse_operation(i, op, rtype, tolerances))
        .collect()
}

fn parse_operation(
    index: usize,
    op: Value,
    rtype: &'static ResourceType,
    tolerances: &mut Tolerances,
) -> Result<Operation, ScimError> {
    let Value::Object(mut op) = op else {
        return Err(ScimError::InvalidSyntax(format!(
            "Operations[{index}] must be an object"
        )));
    };
    let mut take = |name: &str| {
        let key = op.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned();
        key.and_then(|k| op.remove(&k))
    };
    let (op_name, path, value) = (take("op"), take("path"), take("value"));
    let kind = match op_name {
        Some(Value::String(name)) => op_kind(&name, index, tolerances)?,
        Some(_) => {
            return Err(ScimError::InvalidSyntax(format!(
                "Operations[{index}].op must be a string"
            )));
        }
        None => {
            return Err(ScimError::InvalidSyntax(format!(
                "Operations[{index}] has no 'op'"
            )));
        }
    };
    let path_text = match path {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) if p.trim().is_empty() => {
            tolerances.note(
                Rule::EmptyPathIsPathless,
                format!("Operations[{index}]: read \"path\": \"\" as no path"),
            );
            None
        }
        Some(Value::String(p)) => Some(p),
        Some(_) => {
            return Err(ScimError::invalid_path(
                format!("Operations[{index}].path must be a string"),
                None,
            ));
        }
    };
    let target = path_text
        .as_deref()
        .map(|p| resolve_text(p, rtype, tolerances))
        .transpose()?;
    match (kind, &target, &value) {
        (OpKind::Remove, None, _) => {
            return Err(ScimError::NoTarget(format!(
                "Operations[{index}]: 'remove' needs a 'path'"
            )));
        }
        (OpKind::Add | OpKind::Replace, _, None) => {
            return Err(ScimError::InvalidValue(format!(
                "Operations[{index}]: '{}' needs a 'value'",
                kind.as_str()
            )));
        }
        (OpKind::Add | OpKind::Replace, None, Some(v)) if !v.is_object() => {
            return Err(ScimError::InvalidValue(format!(
                "Operations[{index}]: without a 'path', the 'value' of '{}' must be an object of attributes",
                kind.as_str()
            )));
        }
        _ => {}
    }
    Ok(Operation {
        kind,
        path_text,
        target,
        value,
    })
}

fn op_kind(name: &str, index: usize, tolerances: &mut Tolerances) -> Result<OpKind, ScimError> {
    let kind = [OpKind::Add, OpKind::Remove, OpKind::Replace]
        .into_iter()
        .find(|k| k.as_str().eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            ScimError::InvalidSyntax(format!(
                "Operations[{index}].op is \"{name}\"; expected add, remove or replace"
            ))
        })?;
    if kind.as_str() != name {
        tolerances.note(
            Rule::OpNameCase,
            format!("read op \"{name}\" as \"{}\"", kind.as_str()),
        );
    }
    Ok(kind)
}
