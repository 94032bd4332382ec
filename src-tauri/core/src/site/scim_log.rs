//! The SCIM log as the admin API shows it: every exchange on the SCIM listener, newest first,
//! redacted as it was stored (see `crate::logs`).

use serde::{Deserialize, Serialize};

use super::render::rfc3339;
use super::{Site, SiteError};
use crate::store::scim_log::{self as rows, ScimLogFilter, ScimLogRow, StatusFilter};

/// A header as logged (secrets already replaced).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct LoggedHeader {
    pub name: String,
    pub value: String,
}

/// A request or response body as logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct LoggedBody {
    /// Compact JSON when it parsed, else the text; ends with a marker when cut.
    pub text: String,
    pub json: bool,
    /// The size in bytes before it was cut, when it was.
    pub truncated_from: Option<u32>,
}

/// One exchange.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct ScimLogEntry {
    /// Its place in the log (the paging cursor).
    pub seq: String,
    pub at: String,
    /// The SSO provider whose credential was presented; absent when authentication failed.
    pub provider_id: Option<String>,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub request_headers: Vec<LoggedHeader>,
    pub request_body: LoggedBody,
    pub status: u32,
    pub response_headers: Vec<LoggedHeader>,
    pub response_body: LoggedBody,
    pub duration_ms: f64,
    pub client_address: Option<String>,
    pub user_agent: Option<String>,
    /// `okta`, `entra_id`, `onelogin`, `jumpcloud`, `duo` or `unknown`, and why.
    pub idp: String,
    pub idp_reason: String,
    /// Ids of the users and groups the exchange named or changed.
    pub resources: Vec<String>,
    /// Tolerances applied and the provisioning rules' decision, one step per line.
    pub trace: Vec<String>,
    /// The exchange this one re-sent, when it is a replay.
    pub replay_of: Option<String>,
}

fn count(n: Option<i64>) -> Option<u32> {
    n.map(|n| u32::try_from(n).unwrap_or(u32::MAX))
}

fn headers(text: &str) -> Vec<LoggedHeader> {
    serde_json::from_str::<Vec<(String, String)>>(text)
        .unwrap_or_default()
        .into_iter()
        .map(|(name, value)| LoggedHeader { name, value })
        .collect()
}

impl From<ScimLogRow> for ScimLogEntry {
    fn from(row: ScimLogRow) -> Self {
        ScimLogEntry {
            seq: row.seq.to_string(),
            at: rfc3339(row.at),
            provider_id: row.provider_id,
            method: row.method,
            path: row.path,
            query: row.query,
            request_headers: headers(&row.request_headers),
            request_body: LoggedBody {
                text: row.request_body,
                json: row.request_json,
                truncated_from: count(row.request_truncated),
            },
            status: u32::try_from(row.status).unwrap_or_default(),
            response_headers: headers(&row.response_headers),
            response_body: LoggedBody {
                text: row.response_body,
                json: row.response_json,
                truncated_from: count(row.response_truncated),
            },
            duration_ms: row.duration_us as f64 / 1000.0,
            client_address: row.client_addr,
            user_agent: row.user_agent,
            idp: row.idp,
            idp_reason: row.idp_reason,
            resources: serde_json::from_str(&row.resources).unwrap_or_default(),
            trace: serde_json::from_str(&row.trace).unwrap_or_default(),
            replay_of: row.replay_of.map(|seq| seq.to_string()),
        }
    }
}

/// One exchange without its headers and bodies: a line of a live view (the full exchange is
/// `GET /admin/api/scim-log/{seq}`).
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct ScimLogSummary {
    pub seq: String,
    pub at: String,
    pub provider_id: Option<String>,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub status: u32,
    pub duration_ms: f64,
    pub user_agent: Option<String>,
    pub idp: String,
    pub resources: Vec<String>,
    pub replay_of: Option<String>,
}

impl From<ScimLogEntry> for ScimLogSummary {
    fn from(entry: ScimLogEntry) -> Self {
        ScimLogSummary {
            seq: entry.seq,
            at: entry.at,
            provider_id: entry.provider_id,
            method: entry.method,
            path: entry.path,
            query: entry.query,
            status: entry.status,
            duration_ms: entry.duration_ms,
            user_agent: entry.user_agent,
            idp: entry.idp,
            resources: entry.resources,
            replay_of: entry.replay_of,
        }
    }
}

/// One exchange as exported: the seed service's SCIM log fields (`id`, `created_at`,
/// `request_path`, `request_method`, `http_response_code`, `user_agent`, `request_json`,
/// `response_json`), then ours. The two bodies are the logged text (JSON or not, as
/// `request_is_json` says), as the seed service gives them: strings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScimLogRecord {
    pub id: i64,
    pub created_at: String,
    pub request_path: String,
    pub request_method: String,
    pub http_response_code: i64,
    pub user_agent: Option<String>,
    pub request_json: String,
    pub response_json: String,
    pub provider_id: Option<String>,
    pub query: Option<String>,
    pub request_headers: Vec<LoggedHeader>,
    pub request_is_json: bool,
    pub request_truncated_from: Option<u32>,
    pub response_headers: Vec<LoggedHeader>,
    pub response_is_json: bool,
    pub response_truncated_from: Option<u32>,
    pub duration_ms: f64,
    pub client_address: Option<String>,
    pub idp: String,
    pub idp_reason: String,
    pub resources: Vec<String>,
    pub trace: Vec<String>,
    pub replay_of: Option<i64>,
}

impl From<ScimLogRow> for ScimLogRecord {
    /// Through [`ScimLogEntry`], so headers, resources and the trace are read in one place.
    fn from(row: ScimLogRow) -> Self {
        let (id, status) = (row.seq, row.status);
        let entry = ScimLogEntry::from(row);
        ScimLogRecord {
            id,
            created_at: entry.at,
            request_path: entry.path,
            request_method: entry.method,
            http_response_code: status,
            user_agent: entry.user_agent,
            request_json: entry.request_body.text,
            response_json: entry.response_body.text,
            provider_id: entry.provider_id,
            query: entry.query,
            request_headers: entry.request_headers,
            request_is_json: entry.request_body.json,
            request_truncated_from: entry.request_body.truncated_from,
            response_headers: entry.response_headers,
            response_is_json: entry.response_body.json,
            response_truncated_from: entry.response_body.truncated_from,
            duration_ms: entry.duration_ms,
            client_address: entry.client_address,
            idp: entry.idp,
            idp_reason: entry.idp_reason,
            resources: entry.resources,
            trace: entry.trace,
            replay_of: entry.replay_of.and_then(|seq| seq.parse().ok()),
        }
    }
}

/// Which exchanges to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct ScimLogQuery {
    #[serde(default)]
    pub provider_id: Option<String>,
    #[serde(default)]
    pub method: Option<String>,
    /// An exact status (`409`) or a class (`4xx`).
    #[serde(default)]
    pub status: Option<String>,
    /// Part of the path (`/Groups`), or a resource id the exchange named or changed.
    #[serde(default)]
    pub path: Option<String>,
    /// The IdP guess (`okta`, `entra_id`, …, `unknown`).
    #[serde(default)]
    pub idp: Option<String>,
    /// Text in the request or response body, without regard to case.
    #[serde(default)]
    pub text: Option<String>,
    /// Replays of this exchange (its `seq`).
    #[serde(default)]
    pub replay_of: Option<String>,
    /// RFC 3339 times: exchanges at or after `since`, before `until`.
    #[serde(default)]
    pub since: Option<String>,
    #[serde(default)]
    pub until: Option<String>,
    /// The `next` cursor of the previous page.
    #[serde(default)]
    pub before: Option<String>,
    /// At most 500; 100 when absent.
    #[serde(default)]
    pub limit: Option<u32>,
}

/// A page of exchanges, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct ScimLogPage {
    pub items: Vec<ScimLogEntry>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next: Option<String>,
}

/// `409` or `4xx`, as the `status` filter takes it.
pub fn status_filter(text: &str) -> Result<StatusFilter, SiteError> {
    let invalid = || {
        SiteError::Invalid(format!(
            "status must be a code such as 409 or a class such as 4xx, not \"{text}\""
        ))
    };
    let lower = text.trim().to_ascii_lowercase();
    if let Some(class) = lower.strip_suffix("xx") {
        return match class.parse::<i64>() {
            Ok(class @ 1..=5) => Ok(StatusFilter::Class(class)),
            _ => Err(invalid()),
        };
    }
    match lower.parse::<i64>() {
        Ok(code @ 100..=599) => Ok(StatusFilter::Exact(code)),
        _ => Err(invalid()),
    }
}

/// The store filter for `query`, except its `limit`.
pub(super) fn filter(query: ScimLogQuery) -> Result<ScimLogFilter, SiteError> {
    Ok(ScimLogFilter {
        provider_id: query.provider_id,
        method: query.method,
        status: query.status.as_deref().map(status_filter).transpose()?,
        path: query.path,
        idp: query.idp,
        text: query.text,
        replay_of: query
            .replay_of
            .as_deref()
            .map(|seq| {
                seq.parse::<i64>().map_err(|_| {
                    SiteError::Invalid(format!(
                        "replay_of must be the seq of a SCIM log entry, not \"{seq}\""
                    ))
                })
            })
            .transpose()?,
        since: super::query_time("since", query.since.as_deref())?,
        until: super::query_time("until", query.until.as_deref())?,
        before: super::query_cursor(query.before.as_deref())?,
        after: None,
        limit: 0,
    })
}

pub async fn list(site: &Site, query: ScimLogQuery) -> Result<ScimLogPage, SiteError> {
    let limit = super::page_limit(query.limit, 100)?;
    let filter = ScimLogFilter {
        limit: limit + 1,
        ..filter(query)?
    };
    let rows = rows::list(site.store().reader(), &filter).await?;
    let (rows, next) = super::cursor_page(rows, limit, |r| r.seq);
    Ok(ScimLogPage {
        items: rows.into_iter().map(ScimLogEntry::from).collect(),
        next,
    })
}

/// One exchange, by its `seq`.
pub async fn get(site: &Site, seq: &str) -> Result<ScimLogEntry, SiteError> {
    let not_found = || SiteError::NotFound(format!("no SCIM log entry {seq}"));
    let number = seq.parse::<i64>().map_err(|_| not_found())?;
    rows::get(site.store().reader(), number)
        .await?
        .map(ScimLogEntry::from)
        .ok_or_else(not_found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_filters_are_codes_or_classes() {
        assert_eq!(status_filter("409").ok(), Some(StatusFilter::Exact(409)));
        assert_eq!(status_filter("4XX").ok(), Some(StatusFilter::Class(4)));
        for bad in ["4x", "9xx", "600", "ok", ""] {
            assert!(status_filter(bad).is_err(), "{bad}");
        }
    }
}
