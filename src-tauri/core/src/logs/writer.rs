//! The log writer: captured exchanges go over a channel to one task that writes them in
//! batches through the store's writer, off the request path.
//!
//! Entries are written [`BATCH_WINDOW`] after the first of a window arrives: all that are
//! queued by then, in one transaction (at most [`BATCH_ROWS`]). The task is not woken per
//! entry, only per window. A crash loses at most the entries of the last window (plus those the
//! store's writer had not committed yet). A graceful shutdown writes everything queued.
//!
//! Every commit makes SQLite's readers drop their page caches and memory maps, which costs
//! the SCIM server's reads more than the write itself; so the log commits once per window, and
//! pruning rides along in the same transaction, a chunk per window.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};

use super::body::DEFAULT_LIMIT;
use super::redact::Redaction;
use sqlx::SqliteConnection;

use crate::store::scim_log::{self, Encoded};
use crate::store::{Store, StoreError};

/// How long the first entry of a batch waits for company.
pub const BATCH_WINDOW: Duration = Duration::from_millis(100);

/// The most entries one write (one transaction) carries: a window's worth at 40,000 requests
/// per second, a few milliseconds of writing.
pub const BATCH_ROWS: usize = 4096;

/// How often, at most, old entries are pruned (only after new ones were written).
pub const PRUNE_EVERY: Duration = Duration::from_secs(10);

/// How much of the log is kept: the newest `entries`, and of those the newest that hold at
/// most `bytes` of headers and bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub entries: u64,
    pub bytes: u64,
}

impl Default for Retention {
    /// 100,000 exchanges or 512 MiB: a full Okta import of a large tenant, and still small
    /// next to a laptop's disk.
    fn default() -> Self {
        Retention {
            entries: 100_000,
            bytes: 512 * 1024 * 1024,
        }
    }
}

/// How the SCIM log is kept.
#[derive(Debug, Clone)]
pub struct LogOptions {
    /// Whether exchanges are logged at all.
    pub enabled: bool,
    pub retention: Retention,
    pub redaction: Redaction,
    /// The largest body kept whole, in bytes ([`DEFAULT_LIMIT`] when `None`).
    pub body_limit: Option<usize>,
    /// How often, at most, the writer works out what the retention cuts ([`PRUNE_EVERY`]).
    pub prune_every: Duration,
}

impl Default for LogOptions {
    fn default() -> Self {
        LogOptions {
            enabled: true,
            retention: Retention::default(),
            redaction: Redaction::default(),
            body_limit: None,
            prune_every: PRUNE_EVERY,
        }
    }
}

/// Entries waiting for the writer before requests wait for it (back-pressure, not loss).
const QUEUE: usize = 16 * 1024;

/// An entry on its way to the log, and who waits to hear the `seq` it was given.
#[derive(Debug)]
struct Queued {
    entry: Encoded,
    tell: Option<oneshot::Sender<i64>>,
}

/// What the capture middleware hands entries to. `Recorder::off()` logs nothing.
#[derive(Debug, Clone)]
pub struct Recorder {
    sender: Option<mpsc::Sender<Queued>>,
    redaction: Arc<Redaction>,
    body_limit: usize,
}

impl Recorder {
    /// A recorder that records nothing (logging off).
    pub fn off() -> Recorder {
        Recorder {
            sender: None,
            redaction: Arc::default(),
            body_limit: DEFAULT_LIMIT,
        }
    }

    pub fn is_on(&self) -> bool {
        self.sender.is_some()
    }

    pub fn redaction(&self) -> &Redaction {
        &self.redaction
    }

    pub fn body_limit(&self) -> usize {
        self.body_limit
    }

    /// Queues an entry (waits only when the queue is full); `tell` hears its `seq` once it
    /// is written.
    pub async fn record(&self, entry: Encoded, tell: Option<oneshot::Sender<i64>>) {
        if let Some(sender) = &self.sender
            && sender.send(Queued { entry, tell }).await.is_err()
        {
            tracing::warn!("the SCIM log writer has stopped; an entry was not logged");
        }
    }
}

/// The running writer task; [`LogWriter::finish`] writes what is queued and stops it.
#[derive(Debug)]
pub struct LogWriter {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl LogWriter {
    /// Starts the writer on `store`; returns it and the recorder that feeds it.
    pub fn start(store: Store, options: LogOptions) -> (LogWriter, Recorder) {
        let (sender, receiver) = mpsc::channel(QUEUE);
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(
            store,
            receiver,
            stopped,
            options.retention,
            options.prune_every,
        ));
        let recorder = Recorder {
            sender: Some(sender),
            redaction: Arc::new(options.redaction),
            body_limit: options.body_limit.unwrap_or(DEFAULT_LIMIT),
        };
        (LogWriter { stop, task }, recorder)
    }

    /// Writes every queued entry, then stops. Call after the SCIM listener has stopped.
    pub async fn finish(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "the SCIM log writer failed");
        }
    }
}

async fn run(
    store: Store,
    mut receiver: mpsc::Receiver<Queued>,
    mut stopped: watch::Receiver<bool>,
    retention: Retention,
    prune_every: Duration,
) {
    // Where the retention cuts (what is below it goes, a chunk per write), and when that was
    // last worked out.
    let mut prune_below: Option<i64> = None;
    let mut pruned_at = tokio::time::Instant::now();
    loop {
        let first = tokio::select! {
            queued = receiver.recv() => match queued {
                Some(queued) => queued,
                None => return,
            },
            // Any change is the stop (the value only ever goes to `true`); a dropped sender
            // means the same.
            _ = stopped.changed() => {
                drain(&store, &mut receiver).await;
                prune(&store, retention).await;
                return;
            }
        };
        // The window passes without a wake-up per entry; then everything queued is written,
        // a transaction per BATCH_ROWS, so a busy server never falls behind its log.
        let deadline = tokio::time::Instant::now() + BATCH_WINDOW;
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => {}
            _ = stopped.changed() => {
                write(&store, vec![first], None).await;
                drain(&store, &mut receiver).await;
                prune(&store, retention).await;
                return;
            }
        }
        // Only when entries come: an idle log has nothing new to prune.
        if pruned_at.elapsed() >= prune_every {
            prune_below = cutoff(&store, retention).await;
            pruned_at = tokio::time::Instant::now();
        }
        let mut batch = vec![first];
        loop {
            while batch.len() < BATCH_ROWS
                && let Ok(queued) = receiver.try_recv()
            {
                batch.push(queued);
            }
            // The last full batch may have taken all there was.
            if batch.is_empty() {
                break;
            }
            let more = batch.len() == BATCH_ROWS;
            // Pruning at least twice what came in keeps the log from outgrowing its retention
            // however busy the server is.
            let chunk = PRUNE_CHUNK.max(2 * u32::try_from(batch.len()).unwrap_or(u32::MAX));
            let taken = std::mem::take(&mut batch);
            let pruned = write(&store, taken, prune_below.map(|below| (below, chunk))).await;
            if pruned.is_none_or(|n| n == 0) {
                prune_below = None;
            }
            if !more {
                break;
            }
        }
    }
}

/// The `seq` below which the retention no longer keeps entries, if any go.
async fn cutoff(store: &Store, retention: Retention) -> Option<i64> {
    match scim_log::prune_below(store.reader(), retention.entries, retention.bytes).await {
        Ok(below) => below,
        Err(e) => {
            tracing::error!(error = %e, "could not work out what to prune from the SCIM log");
            None
        }
    }
}

/// Entries deleted per write job while pruning: small enough that SCIM writes queued behind a
/// prune wait milliseconds, not the second that deleting 100,000 entries at once takes.
const PRUNE_CHUNK: u32 = 2_000;

/// Deletes what the retention no longer keeps, a chunk per write job; returns how many went.
/// The writer prunes as it writes; this is for when it stops, and for tests.
pub async fn prune(store: &Store, retention: Retention) -> u64 {
    let Some(below) = cutoff(store, retention).await else {
        return 0;
    };
    let mut pruned = 0;
    loop {
        let deleted = store
            .write(move |conn| Box::pin(delete_chunk(conn, below, PRUNE_CHUNK)))
            .await;
        match deleted {
            Ok(0) => break,
            Ok(n) => pruned += n,
            Err(e) => {
                tracing::error!(error = %e, "could not prune the SCIM log");
                break;
            }
        }
    }
    if pruned > 0 {
        tracing::debug!(entries = pruned, "pruned the SCIM log");
    }
    pruned
}

/// Writes whatever is still queued (graceful shutdown).
async fn drain(store: &Store, receiver: &mut mpsc::Receiver<Queued>) {
    let mut batch = Vec::new();
    while let Ok(queued) = receiver.try_recv() {
        batch.push(queued);
        if batch.len() == BATCH_ROWS {
            write(store, std::mem::take(&mut batch), None).await;
        }
    }
    write(store, batch, None).await;
}

/// Writes `batch` in one transaction and, in the same transaction, deletes up to `chunk`
/// entries below `prune.0`. Returns how many were pruned, `None` when pruning failed: a prune
/// that fails (a damaged page) is undone on its own and never costs the new entries.
async fn write(store: &Store, batch: Vec<Queued>, prune: Option<(i64, u32)>) -> Option<u64> {
    if batch.is_empty() {
        return Some(0);
    }
    let count = batch.len();
    let (entries, tells): (Vec<Encoded>, Vec<_>) =
        batch.into_iter().map(|q| (q.entry, q.tell)).unzip();
    // In a savepoint of its own: the job writes pages and deletes old ones.
    let written = store
        .write(move |conn| {
            Box::pin(async move {
                let last = scim_log::insert(&mut *conn, &entries).await?;
                let pruned = match prune {
                    Some((below, chunk)) => prune_within(conn, below, chunk).await,
                    None => Ok(0),
                };
                Ok::<_, StoreError>((last, pruned))
            })
        })
        .await;
    match written {
        Ok((last, pruned)) => {
            let first = last - count as i64 + 1;
            for (seq, tell) in (first..).zip(tells) {
                if let Some(tell) = tell {
                    let _ = tell.send(seq);
                }
            }
            match pruned {
                Ok(n) => Some(n),
                Err(e) => {
                    tracing::error!(error = %e, "could not prune the SCIM log");
                    None
                }
            }
        }
        Err(e) => {
            tracing::error!(error = %e, entries = count, "could not write SCIM log entries");
            None
        }
    }
}

/// Deletes entries below `below`, whole pages first, then the older part of the page the cut
/// falls in, until about `chunk` are gone or none is left; returns how many went.
async fn delete_chunk(
    conn: &mut SqliteConnection,
    below: i64,
    chunk: u32,
) -> Result<u64, StoreError> {
    let mut deleted = 0;
    while deleted < u64::from(chunk) {
        let room = u32::try_from(u64::from(chunk) - deleted).unwrap_or(chunk);
        match scim_log::delete_below(&mut *conn, below, room).await? {
            0 => break,
            n => deleted += n,
        }
    }
    Ok(deleted)
}

/// [`delete_chunk`] inside a savepoint of the running transaction, undone alone if it fails.
async fn prune_within(
    conn: &mut SqliteConnection,
    below: i64,
    chunk: u32,
) -> Result<u64, StoreError> {
    sqlx::query("SAVEPOINT log_prune")
        .execute(&mut *conn)
        .await?;
    let deleted = delete_chunk(&mut *conn, below, chunk).await;
    if deleted.is_err() {
        sqlx::query("ROLLBACK TO log_prune")
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("RELEASE log_prune").execute(&mut *conn).await?;
    deleted
}
