//! The SCIM error catalog (RFC 7644 §3.12): every failure this crate or a SCIM server built on it
//! can answer with, each variant documented with the HTTP status and `scimType` it produces.
//!
//! Must not depend on any transport: the HTTP layer turns a [`ScimError`] into a response with
//! [`ScimError::status`] and [`ScimError::to_response`]. Details are written for the client; they
//! never carry internal state (SQL, stack traces).

use serde::{Deserialize, Serialize};

/// The URN of the SCIM error message schema.
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// A SCIM failure. Each variant's doc line gives `HTTP status` and `scimType` (RFC 7644 §3.12).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScimError {
    /// 400 `invalidFilter`: the filter syntax was invalid, or an attribute or operator in it is
    /// not supported for that attribute. `position` is the byte offset where parsing failed.
    #[error("{detail}")]
    InvalidFilter {
        detail: String,
        position: Option<usize>,
    },
    /// 400 `tooMany`: the filter would return more results than the server is willing to
    /// compute; the client should narrow it.
    #[error("{0}")]
    TooMany(String),
    /// 409 `uniqueness`: a value the client gave is already in use (e.g. `userName`).
    #[error("{0}")]
    Uniqueness(String),
    /// 400 `mutability`: the change is not compatible with the attribute's mutability
    /// (`readOnly`, `immutable` with a value, or removing a required attribute).
    #[error("{0}")]
    Mutability(String),
    /// 400 `invalidSyntax`: the request body is not well-formed or does not follow the message
    /// schema (not JSON, not an object, `Operations` missing ...).
    #[error("{0}")]
    InvalidSyntax(String),
    /// 400 `invalidPath`: the PATCH `path` is malformed or names an attribute that does not
    /// exist. `position` is the byte offset where parsing failed, when known.
    #[error("{detail}")]
    InvalidPath {
        detail: String,
        position: Option<usize>,
    },
    /// 400 `noTarget`: the PATCH `path` selected nothing where it must (a filtered `replace`
    /// without a match, a `remove` without a path).
    #[error("{0}")]
    NoTarget(String),
    /// 400 `invalidValue`: a required value is missing, or a value does not fit the attribute's
    /// type or the operation.
    #[error("{0}")]
    InvalidValue(String),
    /// 400 `invalidVers`: the SCIM protocol version in the request is not supported.
    #[error("{0}")]
    InvalidVersion(String),
    /// 403 `sensitive`: the request cannot be completed because it would reveal sensitive
    /// information in a URI (e.g. a filter on a confidential attribute in a GET query).
    #[error("{0}")]
    Sensitive(String),
    /// 400 without `scimType`: a malformed request that fits no more specific type (a query
    /// parameter that is not a number, an unsupported `sortOrder` ...).
    #[error("{0}")]
    BadRequest(String),
    /// 401 without `scimType`: no credential, or one that is wrong, revoked or expired.
    #[error("{0}")]
    Unauthorized(String),
    /// 403 without `scimType`: the credential is valid but may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// 404 without `scimType`: no such resource (or not visible to this client), or no such
    /// endpoint.
    #[error("{0}")]
    NotFound(String),
    /// 405 without `scimType`: the endpoint exists but does not accept this method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// 409 without `scimType`: the request conflicts with the current state in a way that is not
    /// a uniqueness violation (e.g. a version conflict detected after the precondition check).
    #[error("{0}")]
    Conflict(String),
    /// 412 without `scimType`: `If-Match` did not match the resource's current version.
    #[error("{0}")]
    PreconditionFailed(String),
    /// 413 without `scimType`: the request body is larger than the server accepts.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 415 without `scimType`: the request body is not of a JSON media type.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 500 without `scimType`: the server failed; the detail says so without internals.
    #[error("{0}")]
    Internal(String),
    /// 501 without `scimType`: the operation is not supported (e.g. `/Bulk` when disabled).
    #[error("{0}")]
    NotImplemented(String),
}

impl ScimError {
    /// An `invalidFilter` error at a byte offset of the filter text.
    pub fn invalid_filter(detail: impl Into<String>, position: Option<usize>) -> Self {
        ScimError::InvalidFilter {
            detail: detail.into(),
            position,
        }
    }

    /// An `invalidPath` error at a byte offset of the path text.
    pub fn invalid_path(detail: impl Into<String>, position: Option<usize>) -> Self {
        ScimError::InvalidPath {
            detail: detail.into(),
            position,
        }
    }

    /// The HTTP status code this error is answered with.
    pub fn status(&self) -> u16 {
        use ScimError::*;
        match self {
            InvalidFilter { .. } | TooMany(_) | Mutability(_) | InvalidSyntax(_) => 400,
            InvalidPath { .. } | NoTarget(_) | InvalidValue(_) | InvalidVersion(_) => 400,
            BadRequest(_) => 400,
            Unauthorized(_) => 401,
            Sensitive(_) | Forbidden(_) => 403,
            NotFound(_) => 404,
            MethodNotAllowed(_) => 405,
            Uniqueness(_) | Conflict(_) => 409,
            PreconditionFailed(_) => 412,
            PayloadTooLarge(_) => 413,
            UnsupportedMediaType(_) => 415,
            Internal(_) => 500,
            NotImplemented(_) => 501,
        }
    }

    /// The `scimType` keyword (RFC 7644 Table 9), where the RFC defines one for this error.
    pub fn scim_type(&self) -> Option<&'static str> {
        use ScimError::*;
        Some(match self {
            InvalidFilter { .. } => "invalidFilter",
            TooMany(_) => "tooMany",
            Uniqueness(_) => "uniqueness",
            Mutability(_) => "mutability",
            InvalidSyntax(_) => "invalidSyntax",
            InvalidPath { .. } => "invalidPath",
            NoTarget(_) => "noTarget",
            InvalidValue(_) => "invalidValue",
            InvalidVersion(_) => "invalidVers",
            Sensitive(_) => "sensitive",
            _ => return None,
        })
    }

    /// The human-readable detail sent to the client.
    pub fn detail(&self) -> String {
        self.to_string()
    }

    /// The byte offset in the filter or path text where the problem was found, if known.
    pub fn position(&self) -> Option<usize> {
        match self {
            ScimError::InvalidFilter { position, .. } | ScimError::InvalidPath { position, .. } => {
                *position
            }
            _ => None,
        }
    }

    /// The same error with `context` before its detail (`Operations[2]: ...`).
    pub fn with_context(self, context: &str) -> Self {
        use ScimError::*;
        let add = |detail: String| format!("{context}: {detail}");
        match self {
            InvalidFilter { detail, position } => InvalidFilter {
                detail: add(detail),
                position,
            },
            InvalidPath { detail, position } => InvalidPath {
                detail: add(detail),
                position,
            },
            TooMany(d) => TooMany(add(d)),
            Uniqueness(d) => Uniqueness(add(d)),
            Mutability(d) => Mutability(add(d)),
            InvalidSyntax(d) => InvalidSyntax(add(d)),
            NoTarget(d) => NoTarget(add(d)),
            InvalidValue(d) => InvalidValue(add(d)),
            InvalidVersion(d) => InvalidVersion(add(d)),
            Sensitive(d) => Sensitive(add(d)),
            BadRequest(d) => BadRequest(add(d)),
            Unauthorized(d) => Unauthorized(add(d)),
            Forbidden(d) => Forbidden(add(d)),
            NotFound(d) => NotFound(add(d)),
            MethodNotAllowed(d) => MethodNotAllowed(add(d)),
            Conflict(d) => Conflict(add(d)),
            PreconditionFailed(d) => PreconditionFailed(add(d)),
            PayloadTooLarge(d) => PayloadTooLarge(add(d)),
            UnsupportedMediaType(d) => UnsupportedMediaType(add(d)),
            Internal(d) => Internal(add(d)),
            NotImplemented(d) => NotImplemented(add(d)),
        }
    }

    /// The SCIM error message body for this error.
    pub fn to_response(&self) -> ErrorResponse {
        ErrorResponse {
            schemas: vec![ERROR_SCHEMA.to_owned()],
            status: self.status().to_string(),
            scim_type: self.scim_type().map(str::to_owned),
            detail: Some(self.detail()),
        }
    }
}

/// The SCIM error message (RFC 7644 §3.12). `status` is a string, as the RFC says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResponse {
    pub schemas: Vec<String>,
    pub status: String,
    #[serde(rename = "scimType", skip_serializing_if = "Option::is_none", default)]
    pub scim_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub detail: Option<String>,
}

/// Result type of this crate.
pub type Result<T, E = ScimError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scim_type_answers_with_its_rfc_status() {
        let cases = [
            (
                ScimError::invalid_filter("x", Some(3)),
                400,
                Some("invalidFilter"),
            ),
            (ScimError::TooMany("x".into()), 400, Some("tooMany")),
            (ScimError::Uniqueness("x".into()), 409, Some("uniqueness")),
            (ScimError::Mutability("x".into()), 400, Some("mutability")),
            (
                ScimError::InvalidSyntax("x".into()),
                400,
                Some("invalidSyntax"),
            ),
            (ScimError::invalid_path("x", None), 400, Some("invalidPath")),
            (ScimError::NoTarget("x".into()), 400, Some("noTarget")),
            (
                ScimError::InvalidValue("x".into()),
                400,
                Some("invalidValue"),
            ),
            (
                ScimError::InvalidVersion("x".into()),
                400,
                Some("invalidVers"),
            ),
            (ScimError::Sensitive("x".into()), 403, Some("sensitive")),
            (ScimError::NotFound("x".into()), 404, None),
            (ScimError::PreconditionFailed("x".into()), 412, None),
            (ScimError::PayloadTooLarge("x".into()), 413, None),
            (ScimError::NotImplemented("x".into()), 501, None),
        ];
        for (error, status, scim_type) in cases {
            assert_eq!(error.status(), status, "{error:?}");
            assert_eq!(error.scim_type(), scim_type, "{error:?}");
        }
    }

    #[test]
    fn response_body_has_string_status_and_no_null_scim_type() {
        let body =
            serde_json::to_value(ScimError::NotFound("User 7 not found".into()).to_response())
                .unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "schemas": [ERROR_SCHEMA],
                "status": "404",
                "detail": "User 7 not found"
            })
        );
    }
}
