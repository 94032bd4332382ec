//! SCIM filters (RFC 7644 §3.4.2.2) in named stages: [`Filter::parse`] (syntax, grammar in
//! `grammar.abnf` beside this file) → [`check`] (against a resource type's schema, giving a
//! typed [`Expr`]) → evaluation in memory ([`Expr::matches`]) or lowering to SQL by the store.
//!
//! Pure: no IO. Bounded: [`MAX_LEN`] bytes of text, [`MAX_DEPTH`] levels of nesting.

mod ast;
mod check;
mod eval;
mod parse;
pub(crate) mod scan;

pub use ast::{AttrPath, CompValue, CompareOp, Filter};
pub use check::{AttrRef, Expr, Location, Operand, check, check_within};

use crate::error::ScimError;
use crate::schema::ResourceType;
use crate::tolerance::Tolerances;

/// The longest filter accepted, in bytes. Real IdP filters are under 300 bytes; this leaves
/// room for long `or` chains of ids while bounding work per request.
pub const MAX_LEN: usize = 64 * 1024;

/// How deep parentheses, `not` and value brackets may nest.
pub const MAX_DEPTH: usize = 50;

/// A syntax error in a filter or path: a message that quotes the text and a byte position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub pos: usize,
}

impl SyntaxError {
    pub fn into_filter_error(self) -> ScimError {
        ScimError::invalid_filter(format!("invalid filter: {}", self.message), Some(self.pos))
    }

    pub fn into_path_error(self) -> ScimError {
        ScimError::invalid_path(format!("invalid path: {}", self.message), Some(self.pos))
    }
}

impl Filter {
    /// Parses `text` by the RFC grammar, strictly.
    pub fn parse(text: &str) -> Result<Filter, ScimError> {
        parse::parse(text, None).map_err(SyntaxError::into_filter_error)
    }

    /// Parses `text`, accepting the IdP habits the grammar lacks (unquoted values) and
    /// recording each in `tolerances`.
    pub fn parse_lenient(text: &str, tolerances: &mut Tolerances) -> Result<Filter, ScimError> {
        parse::parse(text, Some(tolerances)).map_err(SyntaxError::into_filter_error)
    }
}

/// Parses leniently and checks against `rtype`: what a server does with `?filter=`.
pub fn parse_and_check(
    text: &str,
    rtype: &'static ResourceType,
    tolerances: &mut Tolerances,
) -> Result<Expr, ScimError> {
    let filter = Filter::parse_lenient(text, tolerances)?;
    check(&filter, rtype, tolerances)
}

/// A parser positioned at a `[` in `scan`, for the PATCH path parser.
pub(crate) fn parse_brackets<'a, 't>(
    scan: scan::Scanner<'a>,
    tolerances: Option<&'t mut Tolerances>,
) -> parse::Parser<'a, 't> {
    parse::Parser::new(scan, tolerances)
}
