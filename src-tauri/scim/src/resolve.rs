//! Resolving written attribute names and schema URNs against a resource type: one place for the
//! lookup rules that filters, PATCH paths, projections and request bodies share.

use crate::filter::AttrPath;
use crate::schema::{Attribute, ENTERPRISE_USER_URN, Owner, ResourceType, Schema, SchemaRef};
use crate::tolerance::{Rule, Tolerances};

/// The enterprise URN as some clients misspell it (no `:` before `User`).
const MISSPELLED_ENTERPRISE_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0User";

/// Schema URNs that IdPs put in `schemas` without sending any attribute of theirs.
const VENDOR_SCHEMA_URNS: &[&str] =
    &["http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"];

/// The schema `urn` names for `rtype`, reading the misspelled enterprise URN as the real one.
pub(crate) fn schema_by_urn(
    rtype: &ResourceType,
    urn: &str,
    tolerances: &mut Tolerances,
) -> Option<SchemaRef> {
    if let Some(found) = rtype.schema_by_urn(urn) {
        return Some(found);
    }
    if urn.eq_ignore_ascii_case(MISSPELLED_ENTERPRISE_URN) {
        let found = rtype.schema_by_urn(ENTERPRISE_USER_URN)?;
        tolerances.note(
            Rule::MisspelledEnterpriseUrn,
            format!("read {urn} as {ENTERPRISE_USER_URN}"),
        );
        return Some(found);
    }
    None
}

/// Whether `urn` is a vendor schema URN that carries no attributes and may be ignored.
pub(crate) fn is_vendor_schema_urn(urn: &str) -> bool {
    VENDOR_SCHEMA_URNS
        .iter()
        .any(|v| v.eq_ignore_ascii_case(urn))
}

/// An attribute path resolved against a resource type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Resolved {
    pub owner: Owner,
    pub attr: &'static Attribute,
    pub sub: Option<&'static Attribute>,
}

/// Resolves `path` (URN, name, sub-attribute) against `rtype`. The error is a sentence naming
/// what is unknown; callers wrap it into their own error kind.
pub(crate) fn attribute(
    rtype: &ResourceType,
    path: &AttrPath,
    tolerances: &mut Tolerances,
) -> Result<Resolved, String> {
    let (owner, attr) = match &path.urn {
        None => rtype.attribute(None, &path.name),
        Some(urn) => match schema_by_urn(rtype, urn, tolerances) {
            None => return Err(format!("unknown schema URN '{urn}' for a {}", rtype.name)),
            Some(SchemaRef::Core) => rtype.attribute(None, &path.name),
            Some(SchemaRef::Extension(schema)) => schema
                .attribute(&path.name)
                .map(|a| (Owner::Extension(schema), a)),
        },
    }
    .ok_or_else(|| unknown_attribute(rtype, path))?;
    let sub = match &path.sub {
        None => None,
        Some(sub) => Some(sub_attribute(attr, sub)?),
    };
    Ok(Resolved { owner, attr, sub })
}

/// The sub-attribute `name` of the complex attribute `attr`.
pub(crate) fn sub_attribute(
    attr: &'static Attribute,
    name: &str,
) -> Result<&'static Attribute, String> {
    if !attr.is_complex() {
        return Err(format!("'{}' has no sub-attributes", attr.name));
    }
    attr.sub_attribute(name)
        .ok_or_else(|| format!("'{}' has no sub-attribute '{name}'", attr.name))
}

fn unknown_attribute(rtype: &ResourceType, path: &AttrPath) -> String {
    let qualified = match &path.urn {
        Some(urn) => format!("{urn}:{}", path.name),
        None => path.name.clone(),
    };
    let in_extension = path.urn.is_none()
        && rtype
            .extensions
            .iter()
            .any(|e| e.schema.attribute(&path.name).is_some());
    if in_extension {
        let urn = rtype
            .extensions
            .iter()
            .map(|e| e.schema)
            .find(|s| s.attribute(&path.name).is_some())
            .map_or("", |s: &Schema| s.id);
        format!(
            "unknown attribute '{qualified}'; it is an extension attribute: write '{urn}:{}'",
            path.name
        )
    } else {
        format!("unknown attribute '{qualified}' for a {}", rtype.name)
    }
}

/// Splits a full attribute name written as one string (`name.givenName`,
/// `urn:…:User:employeeNumber`) into a path, or names the extension URN when the string is one.
pub(crate) enum KeyTarget {
    Path(AttrPath),
    Extension(&'static Schema),
}

/// Reads a JSON key of a PATCH value object or request body as an attribute path.
pub(crate) fn key_target(
    rtype: &ResourceType,
    key: &str,
    tolerances: &mut Tolerances,
) -> Option<KeyTarget> {
    if let Some(SchemaRef::Extension(schema)) = schema_by_urn(rtype, key, tolerances) {
        return Some(KeyTarget::Extension(schema));
    }
    AttrPath::parse(key).ok().map(KeyTarget::Path)
}
