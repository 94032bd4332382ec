//! PATCH paths (RFC 7644 §3.5.2): `PATH = attrPath / valuePath [subAttr]`, parsed with the
//! filter scanner (grammar in `filter/grammar.abnf`), printed canonically, and resolved against
//! a resource type into a [`Target`].

use std::fmt;

use crate::error::ScimError;
use crate::filter::scan::Scanner;
use crate::filter::{AttrPath, Expr, Filter, MAX_LEN, SyntaxError, check_within};
use crate::resolve;
use crate::schema::{Attribute, Owner, ResourceType, Schema, SchemaRef};
use crate::tolerance::{Rule, Tolerances};

/// A PATCH path as written. With a `filter`, `attr.sub` is `None` and the sub-attribute after
/// the brackets is in `sub`; without, `sub` is `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    pub attr: AttrPath,
    pub filter: Option<Filter>,
    pub sub: Option<String>,
}

impl PatchPath {
    /// Parses `text` by the RFC grammar.
    pub fn parse(text: &str) -> Result<PatchPath, ScimError> {
        parse(text, None).map_err(SyntaxError::into_path_error)
    }

    /// Parses `text`, accepting unquoted filter values (Entra ID) and recording them.
    pub fn parse_lenient(text: &str, tolerances: &mut Tolerances) -> Result<PatchPath, ScimError> {
        parse(text, Some(tolerances)).map_err(SyntaxError::into_path_error)
    }

    /// Resolves the path against `rtype`. Errors are `invalidPath`.
    pub fn resolve(
        &self,
        rtype: &'static ResourceType,
        tolerances: &mut Tolerances,
    ) -> Result<Target, ScimError> {
        let invalid = |detail: String| {
            ScimError::invalid_path(format!("invalid path '{self}': {detail}"), None)
        };
        let found = resolve::attribute(rtype, &self.attr, tolerances).map_err(invalid)?;
        let Some(filter) = &self.filter else {
            return Ok(Target::Attr(AttrTarget {
                owner: found.owner,
                attr: found.attr,
                filter: None,
                sub: found.sub,
            }));
        };
        if !found.attr.is_complex() {
            return Err(invalid(format!(
                "'{}' is not complex; it cannot be filtered",
                found.attr.name
            )));
        }
        if !found.attr.multi_valued {
            tolerances.note(
                Rule::FilterOnSingularComplex,
                format!(
                    "filtered the singular '{}' as a one-item list",
                    found.attr.name
                ),
            );
        }
        let expr = check_within(filter, found.attr, tolerances).map_err(|e| invalid(e.detail()))?;
        let sub = match &self.sub {
            None => None,
            Some(sub) => Some(resolve::sub_attribute(found.attr, sub).map_err(invalid)?),
        };
        Ok(Target::Attr(AttrTarget {
            owner: found.owner,
            attr: found.attr,
            filter: Some(expr),
            sub,
        }))
    }
}

impl fmt::Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.attr)?;
        if let Some(filter) = &self.filter {
            write!(f, "[{filter}]")?;
        }
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

fn parse(text: &str, tolerances: Option<&mut Tolerances>) -> Result<PatchPath, SyntaxError> {
    if text.len() > MAX_LEN {
        return Err(SyntaxError {
            message: format!("path is {} bytes long; the limit is {MAX_LEN}", text.len()),
            pos: MAX_LEN,
        });
    }
    let mut scan = Scanner::new(text);
    scan.skip_ws();
    let attr = scan.attr_path()?;
    let mut path = PatchPath {
        attr,
        filter: None,
        sub: None,
    };
    if scan.peek() == Some(b'[') {
        if path.attr.sub.is_some() {
            return Err(scan.error("a value filter follows an attribute, not a sub-attribute"));
        }
        let mut parser = crate::filter::parse_brackets(scan, tolerances);
        path.filter = Some(parser.brackets()?);
        scan = parser.scan;
        if scan.eat(b'.') {
            let start = scan.pos();
            let sub = scan.path_word();
            let checked = AttrPath::parse(sub)
                .ok()
                .filter(|p| p.urn.is_none() && p.sub.is_none());
            match checked {
                Some(p) => path.sub = Some(p.name),
                None => return Err(scan.error_at(start, "expected a sub-attribute name after ']'")),
            }
        }
    }
    scan.skip_ws();
    if !scan.at_end() {
        return Err(scan.error("unexpected text after the path"));
    }
    Ok(path)
}

/// What a PATCH operation's path selects in a resource.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// The whole object of an extension schema (the path is just its URN).
    Extension(&'static Schema),
    /// An attribute, possibly narrowed by a value filter and/or to a sub-attribute.
    Attr(AttrTarget),
}

/// An attribute target: `attr`, `attr.sub`, `attr[filter]` or `attr[filter].sub`.
#[derive(Debug, Clone, PartialEq)]
pub struct AttrTarget {
    pub owner: Owner,
    pub attr: &'static Attribute,
    pub filter: Option<Expr>,
    pub sub: Option<&'static Attribute>,
}

impl AttrTarget {
    /// The attribute a value is written to: the sub-attribute if there is one.
    pub fn leaf(&self) -> &'static Attribute {
        self.sub.unwrap_or(self.attr)
    }
}

/// Reads the text of a PATCH `path` member: an extension URN (possibly misspelled, see
/// [`Rule::MisspelledEnterpriseUrn`]) or a path.
pub fn resolve_text(
    text: &str,
    rtype: &'static ResourceType,
    tolerances: &mut Tolerances,
) -> Result<Target, ScimError> {
    if let Some(SchemaRef::Extension(schema)) =
        resolve::schema_by_urn(rtype, text.trim(), tolerances)
    {
        return Ok(Target::Extension(schema));
    }
    PatchPath::parse_lenient(text, tolerances)?.resolve(rtype, tolerances)
}
