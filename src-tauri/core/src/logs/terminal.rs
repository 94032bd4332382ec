//! `scim-workbench logs`: the SCIM log in a terminal, for people without the UI — the newest
//! exchanges oldest first (like `tail`), then, with `--follow`, each new one as it is written.

use std::io::Write;
use std::time::Duration;

use crate::site::scim_log::{ScimLogRecord, status_filter};
use crate::site::{Site, SiteError};
use crate::store::scim_log::{self as rows, ScimLogFilter};

/// How often `--follow` looks for new entries (another process — the server — writes them).
const FOLLOW_EVERY: Duration = Duration::from_millis(250);

/// What to print.
#[derive(Debug, Clone, Default)]
pub struct LogsRequest {
    pub provider_id: Option<String>,
    /// `409` or `4xx`.
    pub status: Option<String>,
    pub method: Option<String>,
    /// How many of the newest entries to print first.
    pub last: u32,
    pub follow: bool,
    /// One JSON object per line (NDJSON, the records of the admin API's `scim-log.ndjson`
    /// export) instead of one readable line per exchange.
    pub json: bool,
}

/// Prints the log to standard output; returns when done (or, following, on Ctrl-C or a closed
/// output).
pub async fn print(site: &Site, request: LogsRequest) -> Result<(), String> {
    let mut filter = ScimLogFilter {
        provider_id: request.provider_id.clone(),
        method: request.method.clone(),
        status: request
            .status
            .as_deref()
            .map(status_filter)
            .transpose()
            .map_err(|e: SiteError| e.to_string())?,
        limit: request.last,
        ..ScimLogFilter::default()
    };
    // The cursor first: an entry written meanwhile is printed twice rather than never.
    let mut last_seq = max_seq(site).await?;
    let mut newest = fetch(site, &filter).await?;
    newest.reverse();
    if !emit(&newest, request.json) {
        return Ok(());
    }
    if !request.follow {
        return Ok(());
    }
    filter.limit = 500;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            _ = &mut ctrl_c => return Ok(()),
            _ = tokio::time::sleep(FOLLOW_EVERY) => {}
        }
        // Oldest first, in pages of 500, until caught up.
        loop {
            filter.after = Some(last_seq);
            let page = fetch(site, &filter).await?;
            let full = page.len() == filter.limit as usize;
            if let Some(entry) = page.last() {
                last_seq = entry.id;
            }
            if !emit(&page, request.json) {
                return Ok(());
            }
            if !full {
                break;
            }
        }
    }
}

async fn fetch(site: &Site, filter: &ScimLogFilter) -> Result<Vec<ScimLogRecord>, String> {
    let rows = rows::list(site.store().reader(), filter)
        .await
        .map_err(|e| e.to_string())?;
    Ok(rows.into_iter().map(ScimLogRecord::from).collect())
}

/// The newest `seq` of the whole log (following starts after it, whatever the filters).
async fn max_seq(site: &Site) -> Result<i64, String> {
    rows::newest_seq(site.store().reader())
        .await
        .map_err(|e| e.to_string())
}

/// Writes `entries`; `false` once standard output is closed (`… | head`).
fn emit(entries: &[ScimLogRecord], json: bool) -> bool {
    let mut out = std::io::stdout().lock();
    for entry in entries {
        let line = if json {
            serde_json::to_string(entry).unwrap_or_default()
        } else {
            line(entry)
        };
        if writeln!(out, "{line}").is_err() {
            return false;
        }
    }
    out.flush().is_ok()
}

/// One readable line: time, status, method, path and query, duration, IdP, provider.
pub fn line(entry: &ScimLogRecord) -> String {
    let query = entry
        .query
        .as_deref()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    format!(
        "{}  {}  {:<6} {}{}  {:.1} ms  {}  {}",
        entry.created_at,
        entry.http_response_code,
        entry.request_method,
        entry.request_path,
        query,
        entry.duration_ms,
        entry.idp,
        entry.provider_id.as_deref().unwrap_or("-"),
    )
}
