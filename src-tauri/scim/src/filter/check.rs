//! Stage two: a parsed [`Filter`] checked against a resource type's schema, giving an [`Expr`]
//! whose attribute references point at schema definitions and whose literals have the
//! attribute's type. Everything that can be wrong with a well-formed filter is found here
//! (unknown attributes, `gt` on a boolean, a date that is not a date), so evaluation and SQL
//! lowering cannot fail.

use super::ast::{AttrPath, CompValue, CompareOp, Filter};
use crate::compare::parse_bool;
use crate::datetime::DateTime;
use crate::error::ScimError;
use crate::resolve;
use crate::schema::{AttrType, Attribute, Owner, ResourceType, SCHEMAS_ATTRIBUTE};
use crate::tolerance::{Rule, Tolerances};

/// Where an attribute reference is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// In the resource: top level, or under the extension URN.
    Resource(Owner),
    /// In one item of a multi-valued complex attribute (inside `attr[...]`).
    Element,
    /// The resource's `schemas` list (RFC 7643 §3). Canonical resources do not store it, so it
    /// is derived as [`crate::Resource::schemas`] does: this type's core schema, and each
    /// extension whose object is present. A `schemas` member that is present is used as is.
    Schemas(&'static ResourceType),
}

/// A resolved attribute reference: the attribute and, optionally, one of its sub-attributes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttrRef {
    pub location: Location,
    pub attr: &'static Attribute,
    pub sub: Option<&'static Attribute>,
}

impl AttrRef {
    /// The attribute whose values are compared: the sub-attribute if there is one.
    pub fn leaf(&self) -> &'static Attribute {
        self.sub.unwrap_or(self.attr)
    }

    /// The canonical name, URN-qualified for extension attributes: `emails.value`,
    /// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber`.
    pub fn canonical_name(&self) -> String {
        let mut name = match self.location {
            Location::Resource(Owner::Extension(schema)) => {
                format!("{}:{}", schema.id, self.attr.name)
            }
            _ => self.attr.name.to_owned(),
        };
        if let Some(sub) = self.sub {
            name.push('.');
            name.push_str(sub.name);
        }
        name
    }
}

/// A literal, typed by the attribute it is compared with.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Null,
    Bool(bool),
    Int(i64),
    Dec(f64),
    /// For `string`, `reference` and `binary` attributes; compared case-insensitively unless
    /// the attribute is `caseExact`.
    Str(String),
    DateTime(DateTime),
}

/// A checked filter. Same shape as [`Filter`]; see [`Expr::matches`] for the semantics.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Compare(AttrRef, CompareOp, Operand),
    Present(AttrRef),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    /// `attr[inner]`: some item of `attr` matches `inner`, whose references are
    /// [`Location::Element`].
    ValuePath(AttrRef, Box<Expr>),
}

/// Checks `filter` against `rtype`. Errors are `invalidFilter`.
pub fn check(
    filter: &Filter,
    rtype: &'static ResourceType,
    tolerances: &mut Tolerances,
) -> Result<Expr, ScimError> {
    Checker {
        scope: Scope::Resource(rtype),
        tolerances,
    }
    .expr(filter)
}

/// Checks `filter` as the inside of `parent[...]`: names are sub-attributes of `parent`.
pub fn check_within(
    filter: &Filter,
    parent: &'static Attribute,
    tolerances: &mut Tolerances,
) -> Result<Expr, ScimError> {
    if !parent.is_complex() {
        return Err(invalid(format!(
            "'{}' has no sub-attributes to filter on",
            parent.name
        )));
    }
    Checker {
        scope: Scope::Element(parent),
        tolerances,
    }
    .expr(filter)
}

fn invalid(detail: String) -> ScimError {
    ScimError::invalid_filter(detail, None)
}

enum Scope {
    Resource(&'static ResourceType),
    Element(&'static Attribute),
}

struct Checker<'t> {
    scope: Scope,
    tolerances: &'t mut Tolerances,
}

impl Checker<'_> {
    fn expr(&mut self, filter: &Filter) -> Result<Expr, ScimError> {
        Ok(match filter {
            Filter::And(items) => Expr::And(self.all(items)?),
            Filter::Or(items) => Expr::Or(self.all(items)?),
            Filter::Not(inner) => Expr::Not(Box::new(self.expr(inner)?)),
            Filter::Present(path) => Expr::Present(self.resolve(path)?),
            Filter::Compare(path, op, value) => {
                let mut attr = self.resolve(path)?;
                if attr.sub.is_none() && attr.attr.is_complex() {
                    // RFC 7644 §3.4.2.2: a filter on a multi-valued complex attribute compares
                    // its `value` sub-attribute.
                    attr.sub = Some(attr.attr.value_sub_attribute().ok_or_else(|| {
                        invalid(format!(
                            "'{path}' is complex; compare one of its sub-attributes ({})",
                            sub_names(attr.attr)
                        ))
                    })?);
                }
                let operand = self.operand(&attr, path, *op, value)?;
                Expr::Compare(attr, *op, operand)
            }
            Filter::ValuePath(path, inner) => {
                let attr = self.resolve(path)?;
                if !attr.attr.is_complex() || attr.sub.is_some() {
                    return Err(invalid(format!(
                        "'{path}[...]': value filters apply to complex attributes"
                    )));
                }
                if !attr.attr.multi_valued {
                    self.tolerances.note(
                        Rule::FilterOnSingularComplex,
                        format!("filtered the singular '{path}' as a one-item list"),
                    );
                }
                let inner = check_within(inner, attr.attr, self.tolerances)?;
                Expr::ValuePath(attr, Box::new(inner))
            }
        })
    }

    fn all(&mut self, items: &[Filter]) -> Result<Vec<Expr>, ScimError> {
        items.iter().map(|f| self.expr(f)).collect()
    }

    fn resolve(&mut self, path: &AttrPath) -> Result<AttrRef, ScimError> {
        match self.scope {
            Scope::Resource(rtype) => {
                let found = resolve::attribute(rtype, path, self.tolerances).map_err(invalid)?;
                let location = if std::ptr::eq(found.attr, &SCHEMAS_ATTRIBUTE) {
                    Location::Schemas(rtype)
                } else {
                    Location::Resource(found.owner)
                };
                Ok(AttrRef {
                    location,
                    attr: found.attr,
                    sub: found.sub,
                })
            }
            Scope::Element(parent) => {
                if path.urn.is_some() || path.sub.is_some() {
                    return Err(invalid(format!(
                        "'{path}': inside '{}[...]' write a sub-attribute name",
                        parent.name
                    )));
                }
                let attr = resolve::sub_attribute(parent, &path.name).map_err(invalid)?;
                Ok(AttrRef {
                    location: Location::Element,
                    attr,
                    sub: None,
                })
            }
        }
    }

    /// Types `value` by the compared attribute and checks `op` is meaningful for it.
    fn operand(
        &mut self,
        attr: &AttrRef,
        path: &AttrPath,
        op: CompareOp,
        value: &CompValue,
    ) -> Result<Operand, ScimError> {
        let leaf = attr.leaf();
        let kind = leaf.kind;
        let refuse = |why: &str| invalid(format!("'{path} {} {value}': {why}", op.as_str()));
        if let CompValue::Null = value {
            return match op {
                CompareOp::Eq | CompareOp::Ne => Ok(Operand::Null),
                _ => Err(refuse("null can only be compared with eq or ne")),
            };
        }
        if op.is_ordering() && matches!(kind, AttrType::Boolean | AttrType::Binary) {
            // RFC 7644 §3.4.2.2: gt/ge/lt/le on boolean or binary attributes SHALL fail.
            return Err(refuse(&format!(
                "{} attributes cannot be ordered",
                kind.as_str()
            )));
        }
        if op.is_substring()
            && !matches!(
                kind,
                AttrType::String | AttrType::Reference | AttrType::Binary
            )
        {
            return Err(refuse(&format!(
                "{} is a substring operator; '{path}' is {}",
                op.as_str(),
                kind.as_str()
            )));
        }
        match (kind, value) {
            (AttrType::Boolean, CompValue::Bool(b)) => Ok(Operand::Bool(*b)),
            (AttrType::Boolean, CompValue::Str(s)) => match parse_bool(s) {
                Some(b) => {
                    self.tolerances.note(
                        Rule::BooleanStringInFilter,
                        format!("read \"{s}\" as {b} in '{path}'"),
                    );
                    Ok(Operand::Bool(b))
                }
                None => Err(refuse("expected true or false")),
            },
            (AttrType::String | AttrType::Reference | AttrType::Binary, CompValue::Str(s)) => {
                Ok(Operand::Str(s.clone()))
            }
            (AttrType::String | AttrType::Reference, CompValue::Number(n)) => {
                self.tolerances.note(
                    Rule::UnquotedFilterValue,
                    format!(
                        "compared the number {n} with the string attribute '{path}' as \"{n}\""
                    ),
                );
                Ok(Operand::Str(n.to_string()))
            }
            (AttrType::Integer, CompValue::Number(n)) => n
                .as_i64()
                .map(Operand::Int)
                .ok_or_else(|| refuse("expected an integer that fits 64 bits")),
            (AttrType::Decimal, CompValue::Number(n)) => n
                .as_f64()
                .map(Operand::Dec)
                .ok_or_else(|| refuse("expected a number")),
            (AttrType::DateTime, CompValue::Str(s)) => DateTime::parse(s)
                .map(Operand::DateTime)
                .ok_or_else(|| refuse("expected a date-time such as \"2011-05-13T04:42:34Z\"")),
            (AttrType::Complex, _) => Err(refuse("complex attributes can only be tested with pr")),
            _ => Err(refuse(&format!("'{path}' is of type {}", kind.as_str()))),
        }
    }
}

fn sub_names(attr: &Attribute) -> String {
    attr.sub_attributes
        .iter()
        .map(|a| format!("{}.{}", attr.name, a.name))
        .collect::<Vec<_>>()
        .join(", ")
}
