//! What the live stream carries: the SCIM log's new exchanges and the site's new changes (the
//! history log: users and groups created, updated, deleted, held, released, …), read from the
//! database after each commit. Both logs are numbered, so a position in the stream is a pair
//! of numbers, and a client that reconnects from one misses nothing and sees nothing twice.

use serde::Serialize;

use super::history::HistoryEntry;
use super::scim_log::{ScimLogEntry, ScimLogSummary};
use super::{Site, SiteError};
use crate::store::history::{self as history_rows, HistoryFilter};
use crate::store::scim_log::{self as scim_log_rows, ScimLogFilter};

/// At most this many entries of each log per batch; more wait for the next batch.
pub const BATCH_MAX: u32 = 1000;

/// A position in the stream: the last SCIM log exchange and history entry delivered. Written
/// `12-5` (the SSE event id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub scim_log: i64,
    pub history: i64,
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.scim_log, self.history)
    }
}

impl std::str::FromStr for Cursor {
    type Err = SiteError;

    fn from_str(text: &str) -> Result<Cursor, SiteError> {
        let parsed = text
            .trim()
            .split_once('-')
            .and_then(|(s, h)| Some((s.parse::<i64>().ok()?, h.parse::<i64>().ok()?)))
            .filter(|(s, h)| *s >= 0 && *h >= 0);
        match parsed {
            Some((scim_log, history)) => Ok(Cursor { scim_log, history }),
            None => Err(SiteError::Invalid(format!(
                "the stream position must be the id of an event of this stream, such as 12-5, \
                 not \"{text}\""
            ))),
        }
    }
}

/// New entries since a cursor.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct LiveBatch {
    /// Where this batch ends: the event id, to resume after it.
    pub cursor: String,
    /// New SCIM exchanges, oldest first.
    pub scim_log: Vec<ScimLogSummary>,
    /// New site changes, oldest first.
    pub changes: Vec<HistoryEntry>,
}

/// The end of both logs now.
pub async fn now(site: &Site) -> Result<Cursor, SiteError> {
    let reader = site.store().reader();
    Ok(Cursor {
        scim_log: scim_log_rows::newest_seq(reader).await?,
        history: history_rows::newest_seq(reader).await?,
    })
}

/// Where to resume from `asked`: itself, or the end of the logs if it lies beyond it (a
/// position from another database), so that what comes next is not skipped.
pub async fn resume_at(site: &Site, asked: Cursor) -> Result<Cursor, SiteError> {
    let end = now(site).await?;
    Ok(Cursor {
        scim_log: asked.scim_log.min(end.scim_log),
        history: asked.history.min(end.history),
    })
}

/// What follows `after`, at most [`BATCH_MAX`] of each log; `None` when nothing does. With the
/// batch come the position after it and whether more is waiting beyond it.
pub async fn batch(
    site: &Site,
    after: Cursor,
) -> Result<Option<(LiveBatch, Cursor, bool)>, SiteError> {
    let reader = site.store().reader();
    let exchanges = scim_log_rows::list(
        reader,
        &ScimLogFilter {
            after: Some(after.scim_log),
            limit: BATCH_MAX,
            ..ScimLogFilter::default()
        },
    )
    .await?;
    let changes = history_rows::list(
        reader,
        &HistoryFilter {
            after: Some(after.history),
            limit: BATCH_MAX,
            ..HistoryFilter::default()
        },
    )
    .await?;
    if exchanges.is_empty() && changes.is_empty() {
        return Ok(None);
    }
    let more = exchanges.len() == BATCH_MAX as usize || changes.len() == BATCH_MAX as usize;
    let cursor = Cursor {
        scim_log: exchanges.last().map_or(after.scim_log, |r| r.seq),
        history: changes.last().map_or(after.history, |r| r.seq),
    };
    let batch = LiveBatch {
        cursor: cursor.to_string(),
        scim_log: exchanges
            .into_iter()
            .map(|row| ScimLogSummary::from(ScimLogEntry::from(row)))
            .collect(),
        changes: changes.into_iter().map(HistoryEntry::from).collect(),
    };
    Ok(Some((batch, cursor, more)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_what_they_print() {
        let cursor = Cursor {
            scim_log: 12,
            history: 5,
        };
        assert_eq!(cursor.to_string(), "12-5");
        assert_eq!("12-5".parse::<Cursor>().ok(), Some(cursor));
        for bad in ["", "12", "12-", "-5", "a-b", "12-5-1", "-1-5"] {
            assert!(bad.parse::<Cursor>().is_err(), "{bad}");
        }
    }
}
