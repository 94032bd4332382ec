//! The history log as the admin API shows it: one entry per account change, newest first,
//! each with the interface that made it (`SCIM`, `web`, `login`, `lifecycle rule`) and the
//! trace of the decision behind it.

use serde::{Deserialize, Serialize};

use super::render::rfc3339;
use super::{Site, SiteError};
use crate::store::history::{self as rows, HistoryFilter, HistoryRow, NewHistory};

/// An entry of the history log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct HistoryEntry {
    /// Its place in the log (the cursor for the next page); absent for a dry run's entries.
    pub seq: Option<String>,
    pub at: String,
    pub interface: String,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<String>,
    pub target_name: Option<String>,
    pub provider_id: Option<String>,
    pub detail: String,
    /// The steps of the decision behind the change.
    pub trace: Vec<String>,
}

impl From<HistoryRow> for HistoryEntry {
    fn from(row: HistoryRow) -> Self {
        HistoryEntry {
            seq: Some(row.seq.to_string()),
            at: rfc3339(row.at),
            interface: row.interface,
            action: row.action,
            target_type: row.target_type,
            target_id: row.target_id,
            target_name: row.target_name,
            provider_id: row.provider_id,
            detail: row.detail,
            trace: trace_steps(row.trace.as_deref()),
        }
    }
}

impl From<NewHistory> for HistoryEntry {
    fn from(entry: NewHistory) -> Self {
        HistoryEntry {
            seq: None,
            at: rfc3339(entry.at),
            interface: entry.interface,
            action: entry.action,
            target_type: entry.target_type,
            target_id: entry.target_id,
            target_name: entry.target_name,
            provider_id: entry.provider_id,
            detail: entry.detail,
            trace: trace_steps(entry.trace.as_deref()),
        }
    }
}

fn trace_steps(text: Option<&str>) -> Vec<String> {
    text.and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default()
}

/// An entry as exported: the seed service's history fields (`id`, `when`, `interface`,
/// `action`, `display`), then ours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryRecord {
    pub id: i64,
    pub when: String,
    pub interface: String,
    pub action: String,
    /// The entry in words.
    pub display: String,
    pub target_type: String,
    pub target_id: Option<String>,
    pub target_name: Option<String>,
    pub provider_id: Option<String>,
    pub trace: Vec<String>,
}

impl From<HistoryRow> for HistoryRecord {
    fn from(row: HistoryRow) -> Self {
        HistoryRecord {
            id: row.seq,
            when: rfc3339(row.at),
            interface: row.interface,
            action: row.action,
            display: row.detail,
            target_type: row.target_type,
            target_id: row.target_id,
            target_name: row.target_name,
            provider_id: row.provider_id,
            trace: trace_steps(row.trace.as_deref()),
        }
    }
}

/// Which entries to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// `SCIM`, `web`, `login` or `lifecycle rule`.
    #[serde(default)]
    pub interface: Option<String>,
    #[serde(default)]
    pub action: Option<String>,
    /// A user or group id, or a name (without regard to case).
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub provider_id: Option<String>,
    /// RFC 3339 times: entries at or after `since`, before `until`.
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

/// A page of entries, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct HistoryPage {
    pub items: Vec<HistoryEntry>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next: Option<String>,
}

/// The store filter for `query`, except its `limit`.
pub(super) fn filter(query: HistoryQuery) -> Result<HistoryFilter, SiteError> {
    Ok(HistoryFilter {
        interface: query.interface,
        action: query.action,
        target: query.target,
        provider_id: query.provider_id,
        since: super::query_time("since", query.since.as_deref())?,
        until: super::query_time("until", query.until.as_deref())?,
        before: super::query_cursor(query.before.as_deref())?,
        after: None,
        limit: 0,
    })
}

pub async fn list(site: &Site, query: HistoryQuery) -> Result<HistoryPage, SiteError> {
    let limit = super::page_limit(query.limit, 100)?;
    let filter = HistoryFilter {
        limit: limit + 1,
        ..filter(query)?
    };
    let rows = rows::list(site.store().reader(), &filter).await?;
    let (rows, next) = super::cursor_page(rows, limit, |r| r.seq);
    Ok(HistoryPage {
        items: rows.into_iter().map(HistoryEntry::from).collect(),
        next,
    })
}

/// The latest entries about one user or group.
pub async fn about(
    site: &Site,
    target_id: &str,
    limit: u32,
) -> Result<Vec<HistoryEntry>, SiteError> {
    let filter = HistoryFilter {
        target: Some(target_id.to_owned()),
        limit,
        ..HistoryFilter::default()
    };
    Ok(rows::list(site.store().reader(), &filter)
        .await?
        .into_iter()
        .map(HistoryEntry::from)
        .collect())
}
