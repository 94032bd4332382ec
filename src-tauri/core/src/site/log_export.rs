//! Exports of the SCIM log and the history log: every entry a query matches, newest first,
//! read a page at a time so that exporting the whole retained log (100,000 exchanges by
//! default) never holds it in memory.

use super::history::{self, HistoryQuery, HistoryRecord};
use super::scim_log::{self, ScimLogQuery, ScimLogRecord};
use super::{Site, SiteError};
use crate::store::history::{self as history_rows, HistoryFilter};
use crate::store::scim_log::{self as scim_log_rows, ScimLogFilter};

/// Entries read per page. A SCIM log entry can hold two 64 KiB bodies, so this bounds an
/// export's memory at about 25 MiB in the worst case and a few hundred KiB in the usual one.
const PAGE: u32 = 200;

/// Which log.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    ScimLog(ScimLogFilter),
    History(HistoryFilter),
}

/// An export being read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    source: Source,
    /// How many entries may still follow (`None`: all that match).
    left: Option<u64>,
    done: bool,
}

/// `limit` of an export: how many entries at most, all when absent.
fn total(limit: Option<u32>) -> Result<Option<u64>, SiteError> {
    match limit {
        Some(0) => Err(SiteError::Invalid(
            "limit must be at least 1, or absent to export every matching entry".into(),
        )),
        limit => Ok(limit.map(u64::from)),
    }
}

impl Export {
    /// The SCIM log's exchanges matching `query` (the list's filters; `before` starts below a
    /// cursor; `limit` caps the whole export rather than a page).
    pub fn scim_log(query: ScimLogQuery) -> Result<Export, SiteError> {
        let left = total(query.limit)?;
        Ok(Export {
            source: Source::ScimLog(scim_log::filter(query)?),
            left,
            done: false,
        })
    }

    /// The history log's entries matching `query`, likewise.
    pub fn history(query: HistoryQuery) -> Result<Export, SiteError> {
        let left = total(query.limit)?;
        Ok(Export {
            source: Source::History(history::filter(query)?),
            left,
            done: false,
        })
    }

    /// The next page, each entry serialised as one line of compact JSON; `None` once every
    /// entry has been read.
    pub async fn next_page(&mut self, site: &Site) -> Result<Option<Vec<String>>, SiteError> {
        if self.done {
            return Ok(None);
        }
        let limit = self.left.map_or(PAGE, |left| {
            u32::try_from(left.min(u64::from(PAGE))).unwrap_or(PAGE)
        });
        let reader = site.store().reader();
        let (lines, oldest) = match &mut self.source {
            Source::ScimLog(filter) => {
                filter.limit = limit;
                let rows = scim_log_rows::list(reader, filter).await?;
                let oldest = rows.last().map(|r| r.seq);
                let lines = rows.into_iter().map(|r| line(&ScimLogRecord::from(r)));
                (lines.collect::<Vec<_>>(), oldest)
            }
            Source::History(filter) => {
                filter.limit = limit;
                let rows = history_rows::list(reader, filter).await?;
                let oldest = rows.last().map(|r| r.seq);
                let lines = rows.into_iter().map(|r| line(&HistoryRecord::from(r)));
                (lines.collect::<Vec<_>>(), oldest)
            }
        };
        match &mut self.source {
            Source::ScimLog(filter) => filter.before = oldest,
            Source::History(filter) => filter.before = oldest,
        }
        if let Some(left) = &mut self.left {
            *left -= lines.len() as u64;
        }
        self.done = lines.len() < limit as usize || self.left == Some(0);
        Ok(if lines.is_empty() { None } else { Some(lines) })
    }
}

fn line(record: &impl serde::Serialize) -> String {
    // The records hold strings, numbers and lists only: serialising cannot fail.
    serde_json::to_string(record).unwrap_or_default()
}
