//! Background WAL checkpoints. Left to SQLite, a checkpoint runs inside whichever commit pushes
//! the WAL past 1,000 pages, copying ~4 MB and syncing the database file while that commit's
//! callers wait: the slowest 1% of writes. A task with its own connection copies pages back
//! a few times a second in `PASSIVE` mode (it never blocks the writer or readers), so when the
//! writer's own checkpoint comes due there is little left for it to copy.
//!
//! The writer keeps its automatic checkpoint on purpose: only a checkpoint that finishes
//! while no one appends lets the next transaction restart the WAL from its beginning. With
//! background checkpoints alone, a steady stream of writes grew the WAL to 1.5 GB during a
//! 100,000-user load, and truncating it back stalled a write for 400 ms.

use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};
use tokio::sync::oneshot;

use super::LogDatabase;

/// How often the WAL is copied back into the database.
const EVERY: Duration = Duration::from_millis(200);

/// A running checkpointer; [`Checkpointer::stop`] ends it.
#[derive(Debug)]
pub(super) struct Checkpointer {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Checkpointer {
    pub async fn start(
        options: SqliteConnectOptions,
        log: LogDatabase,
    ) -> Result<Checkpointer, sqlx::Error> {
        let mut connection = options.connect().await?;
        // Unqualified, `wal_checkpoint` checkpoints every attached database: the log's too.
        log.attach(&mut connection).await?;
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(run(connection, stopped));
        Ok(Checkpointer { stop, task })
    }

    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

async fn run(mut connection: SqliteConnection, mut stopped: oneshot::Receiver<()>) {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            _ = tick.tick() => {
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&mut connection).await {
                    tracing::warn!(error = %e, "a background WAL checkpoint failed");
                }
            }
        }
    }
    let _ = connection.close().await;
}
