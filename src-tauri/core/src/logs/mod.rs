//! The SCIM request log (SPEC.md "Logs"): what is kept of each exchange, and how secrets are
//! taken out of it before it is stored.

pub mod body;
pub mod idp;
pub mod redact;
