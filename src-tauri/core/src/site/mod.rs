//! The site model: SSO providers and their SCIM credentials, and the users and groups they
//! provision, as domain operations over the store. The SCIM protocol itself (validation,
//! PATCH, filters) is `workbench-scim`'s; this layer decides what is stored and who sees it.

pub mod accounts;
pub mod credentials;
pub mod demo;
pub mod document;
pub mod groups;
pub mod history;
pub mod lifecycle;
pub mod listing;
pub mod live;
pub mod log_export;
pub mod options;
mod positions;
pub mod provider_admin;
pub mod providers;
pub mod provision;
pub mod render;
pub mod scim_log;
pub mod search;
pub mod settings;
pub mod sign_in;
pub mod site_groups;
pub mod users;

use crate::clock::SharedClock;
use crate::rules;
use crate::store::history::NewHistory;
use crate::store::{Millis, Store, StoreError};
use workbench_scim::ScimError;

pub use providers::{Provider, ProviderKind, ScimAuth};

/// The engine's handle on the site: the store, the clock, the cache of verified SCIM
/// credentials and the index of list positions.
#[derive(Debug, Clone)]
pub struct Site {
    store: Store,
    clock: SharedClock,
    auth_cache: std::sync::Arc<credentials::AuthCache>,
    positions: std::sync::Arc<positions::Positions>,
}

impl Site {
    pub fn new(store: Store, clock: SharedClock) -> Self {
        Site {
            store,
            clock,
            auth_cache: Default::default(),
            positions: Default::default(),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn now(&self) -> Millis {
        self.clock.now()
    }
}

/// Who is calling the SCIM API, and under which base URL resources are addressed.
#[derive(Debug, Clone)]
pub struct Caller {
    pub provider: Provider,
    /// A dry run: the request is decided and answered as usual, and nothing is kept.
    pub dry_run: bool,
    /// The SCIM base URL the client used, without a trailing slash
    /// (`https://abc.ngrok.app/api/scim`).
    pub base_url: String,
}

/// What the rules decided for one change: the trace, and the account changes made (or, in a
/// dry run, that would have been made) as history entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub trace: rules::Trace,
    pub changes: Vec<NewHistory>,
}

impl Outcome {
    fn absorb(&mut self, (trace, changes): (rules::Trace, Vec<NewHistory>)) {
        self.trace.extend(trace);
        self.changes.extend(changes);
    }
}

/// A resource as stored now: its full representation (JSON text, with `id` and `meta`), its
/// version (for `ETag`) and its URL (`meta.location`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub json: String,
    pub version: i64,
    pub location: String,
}

impl Found {
    /// The resource's `id` (the last segment of its location).
    pub fn id(&self) -> &str {
        self.location.rsplit('/').next().unwrap_or_default()
    }

    /// The representation as a JSON value.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(&self.json).unwrap_or(serde_json::Value::Null)
    }
}

/// A failure of a site operation.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    /// The request broke a rule of the SCIM protocol (validation, PATCH, filter).
    #[error(transparent)]
    Scim(#[from] ScimError),
    #[error("{0}")]
    NotFound(String),
    /// A unique value is taken (`userName`, a group's `displayName`).
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PreconditionFailed(String),
    /// A value given to a command or the admin API is not acceptable.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Unauthorized(String),
    /// The site's settings do not allow this (manual management off).
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SiteError {
    /// The SCIM error a client is answered with. Store failures are logged here with their
    /// detail and answered without it.
    pub fn into_scim(self) -> ScimError {
        match self {
            SiteError::Scim(e) => e,
            SiteError::NotFound(d) => ScimError::NotFound(d),
            SiteError::Conflict(d) => ScimError::Uniqueness(d),
            SiteError::PreconditionFailed(d) => ScimError::PreconditionFailed(d),
            SiteError::Invalid(d) => ScimError::InvalidValue(d),
            SiteError::Unauthorized(d) => ScimError::Unauthorized(d),
            SiteError::Forbidden(d) => ScimError::Forbidden(d),
            SiteError::Store(e) => {
                tracing::error!(error = %e, "store failure while serving a SCIM request");
                ScimError::Internal(
                    "the server could not complete the request; its log has the cause".into(),
                )
            }
        }
    }
}

/// The largest page the admin lists return.
pub const MAX_PAGE: u32 = 500;

/// A page size asked of an admin list: `default` when absent, else between 1 and [`MAX_PAGE`].
pub fn page_limit(asked: Option<u32>, default: u32) -> Result<u32, SiteError> {
    match asked.unwrap_or(default) {
        limit @ 1..=MAX_PAGE => Ok(limit),
        limit => Err(SiteError::Invalid(format!(
            "limit must be between 1 and {MAX_PAGE}, not {limit}"
        ))),
    }
}

/// An optional RFC 3339 time of a log query (`since`, `until`), in milliseconds.
pub fn query_time(field: &str, text: Option<&str>) -> Result<Option<Millis>, SiteError> {
    text.map(|t| {
        render::parse_rfc3339(t).ok_or_else(|| {
            SiteError::Invalid(format!(
                "{field} must be an RFC 3339 time such as 2026-11-28T09:00:00Z, not \"{t}\""
            ))
        })
    })
    .transpose()
}

/// The `before` cursor of a log query: the `next` of a previous page.
pub fn query_cursor(before: Option<&str>) -> Result<Option<i64>, SiteError> {
    before
        .map(|b| {
            b.parse::<i64>().map_err(|_| {
                SiteError::Invalid(format!(
                    "before must be the 'next' cursor of a previous page, not \"{b}\""
                ))
            })
        })
        .transpose()
}

/// Cuts `rows`, fetched with `limit + 1`, to `limit`, and returns the `next` cursor (the
/// `seq` of the last row kept) when there were more.
pub fn cursor_page<T>(
    mut rows: Vec<T>,
    limit: u32,
    seq: impl Fn(&T) -> i64,
) -> (Vec<T>, Option<String>) {
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next = if more {
        rows.last().map(|r| seq(r).to_string())
    } else {
        None
    };
    (rows, next)
}

/// The entity tag of a stored version (weak: the representation may differ by projection).
pub fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

/// Checks an `If-Match` header value against the current version (RFC 7232 §3.1; `*` matches
/// anything). `None`: no precondition.
pub fn check_if_match(if_match: Option<&str>, version: i64) -> Result<(), SiteError> {
    let Some(header) = if_match else {
        return Ok(());
    };
    let current = etag(version);
    let matches = header.split(',').map(str::trim).any(|tag| {
        tag == "*"
            || tag == current
            || tag.trim_start_matches("W/") == current.trim_start_matches("W/")
    });
    if matches {
        Ok(())
    } else {
        Err(SiteError::PreconditionFailed(format!(
            "If-Match {header} does not match the current version {current}"
        )))
    }
}
