//! `workbench-scim`: the SCIM 2.0 protocol (RFC 7643, RFC 7644) as a pure library.
//!
//! Schemas as data ([`schema`]), resource validation and rendering ([`resource`]), the full
//! filter grammar with a schema check and an in-memory evaluator ([`filter`]), PATCH paths and
//! operations ([`path`], [`patch`]), `attributes`/`excludedAttributes` ([`projection`]),
//! protocol messages ([`message`]), the discovery documents ([`discovery`]), request bodies
//! ([`json`]), the error catalog ([`error`]) and the named IdP tolerances ([`tolerance`]).
//!
//! Must not depend on IO, an async runtime, a database or HTTP: servers build on it, fuzzers
//! and benchmarks run it alone.

pub mod compare;
pub mod datetime;
pub mod discovery;
pub mod error;
pub mod filter;
pub mod json;
pub mod message;
pub mod patch;
pub mod path;
pub mod projection;
pub mod resource;
pub mod schema;
pub mod tolerance;

mod resolve;

pub use error::{ErrorResponse, Result, ScimError};
pub use resource::Resource;
pub use tolerance::{Applied, Rule, Tolerances};
