//! The SCIM request log (SPEC.md "Logs"): every exchange on the SCIM listener captured
//! ([`capture`]), redacted before storage ([`redact`], [`body`]), with a guess of the IdP
//! ([`idp`]), and written in batches off the request path ([`writer`]).

pub mod body;
pub mod capture;
pub mod idp;
pub mod redact;
pub mod terminal;
pub mod writer;

pub use redact::Redaction;
pub use writer::{LogOptions, LogWriter, Recorder, Retention};
