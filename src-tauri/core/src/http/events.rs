//! `GET /admin/api/events`: the live stream (Server-Sent Events) of new SCIM log exchanges and
//! site changes. Each event is a batch: the stream reads both logs after every commit, at most
//! ten times a second, and sends what is new in one `batch` event whose id is the position
//! after it. A client that reconnects with `Last-Event-ID` (or `?after=`) gets exactly what it
//! missed; one that connects without gets a `ready` event naming the current position first,
//! so that even its first reconnect misses nothing.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use futures_util::{StreamExt, stream};
use serde::Deserialize;
use tokio::sync::watch;
use tokio::time::Instant;

use super::AppState;
use super::admin::api::{ApiError, Params};
use crate::site::SiteError;
use crate::site::live::{self, Cursor};

/// At most one event per this long (ten a second).
pub const MIN_GAP: Duration = Duration::from_millis(100);

/// A comment line this often keeps proxies and idle timeouts from closing a quiet stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// How long a browser waits before reconnecting, in milliseconds.
const RETRY_MS: u32 = 1000;

/// Where to start.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// The id of the last event seen (as `Last-Event-ID`, which wins when both are sent).
    #[serde(default)]
    pub after: Option<String>,
}

pub async fn events(
    State(app): State<AppState>,
    headers: HeaderMap,
    Params(query): Params<EventsQuery>,
) -> Response {
    let asked = headers
        .get("last-event-id")
        .map(|v| v.to_str().unwrap_or("").to_owned())
        .or(query.after);
    let start = match asked {
        Some(text) => match text.parse::<Cursor>() {
            Ok(cursor) => live::resume_at(&app.site, cursor).await,
            Err(e) => Err(e),
        },
        None => live::now(&app.site).await,
    };
    let cursor = match start {
        Ok(cursor) => cursor,
        Err(e) => return ApiError(e).into_response(),
    };
    let ready = format!(
        "retry: {RETRY_MS}\nid: {cursor}\nevent: ready\ndata: {{\"cursor\":\"{cursor}\"}}\n\n"
    );
    let stream = Stream {
        commits: app.site.store().commits(),
        app,
        cursor,
        sent: Instant::now(),
        more: true,
    };
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(body(ready, stream)),
    )
        .into_response()
}

/// One subscriber's state.
#[derive(Debug)]
struct Stream {
    app: AppState,
    commits: watch::Receiver<u64>,
    cursor: Cursor,
    /// When the last event went out.
    sent: Instant,
    /// Whether to read before waiting for a commit (at the start, and after a full batch).
    more: bool,
}

/// What the stream does next.
enum Step {
    Send(String),
    End,
}

impl Stream {
    async fn next(&mut self) -> Result<Step, SiteError> {
        loop {
            if !self.more {
                tokio::select! {
                    changed = self.commits.changed() => if changed.is_err() {
                        return Ok(Step::End);
                    },
                    () = self.app.stopped() => return Ok(Step::End),
                    () = tokio::time::sleep(KEEP_ALIVE) => {
                        return Ok(Step::Send(": keep-alive\n\n".into()));
                    }
                }
            }
            tokio::select! {
                () = tokio::time::sleep_until(self.sent + MIN_GAP) => {}
                () = self.app.stopped() => return Ok(Step::End),
            }
            // Seen before reading: a commit during the read wakes the next wait.
            self.commits.borrow_and_update();
            match live::batch(&self.app.site, self.cursor).await? {
                None => self.more = false,
                Some((batch, cursor, more)) => {
                    self.more = more;
                    self.sent = Instant::now();
                    self.cursor = cursor;
                    let data = serde_json::to_string(&batch).unwrap_or_default();
                    return Ok(Step::Send(format!(
                        "id: {}\nevent: batch\ndata: {data}\n\n",
                        batch.cursor
                    )));
                }
            }
        }
    }
}

/// The `ready` event, then the batches as they come.
fn body(
    ready: String,
    state: Stream,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    let batches = stream::unfold(state, |mut state| async move {
        match state.next().await {
            Ok(Step::Send(text)) => Some((Ok(Bytes::from(text)), state)),
            Ok(Step::End) => None,
            Err(e) => {
                // The client reconnects with the last id it saw and misses nothing.
                tracing::error!(error = %e, "the live stream could not read the logs");
                None
            }
        }
    });
    stream::once(async move { Ok(Bytes::from(ready)) }).chain(batches)
}
