//! The single writer: a dedicated thread running a current-thread Tokio runtime that owns the
//! write connection and commits queued jobs in groups (see the module doc of `store`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqlitePool};
use sqlx::{ConnectOptions, Connection};
use tokio::sync::{mpsc, oneshot, watch};

use super::history::{self, NewHistory};
use super::settings::SettingsRow;
use super::{LogDatabase, StoreError};

tokio::task_local! {
    /// History entries the running job wants written with its transaction (see
    /// [`defer_history`]).
    static PENDING_HISTORY: std::cell::RefCell<Vec<NewHistory>>;
}

/// What the writer remembers between transactions, for the jobs it runs. Only jobs read and
/// write the database it is derived from, and they all run on the writer, so it stays true as
/// long as it is dropped when a job fails (its writes are undone), when a commit fails, and
/// when another process commits.
#[derive(Debug, Default)]
pub(super) struct Memo {
    /// The site settings row; `None` until a job reads it, and after it is written.
    pub settings: Option<SettingsRow>,
}

type SharedMemo = Arc<std::sync::Mutex<Memo>>;

tokio::task_local! {
    static MEMO: SharedMemo;
}

/// Runs `f` on the writer's memo, when called from a write job.
pub(super) fn with_memo<R>(f: impl FnOnce(&mut Memo) -> R) -> Option<R> {
    MEMO.try_with(|memo| memo.lock().ok().map(|mut memo| f(&mut memo)))
        .ok()
        .flatten()
}

fn forget(memo: &SharedMemo) {
    if let Ok(mut memo) = memo.lock() {
        *memo = Memo::default();
    }
}

/// Hands `entries` to the writer, which inserts the entries of every job of the group that
/// succeeded in one statement just before it commits; a job that fails leaves none. One
/// statement per group instead of one per job: on this machine every statement is a round trip
/// between threads, and a write job is bounded by their number. Outside a write job, the
/// entries come back (`Err`) for the caller to insert itself.
pub fn defer_history(entries: Vec<NewHistory>) -> Result<(), Vec<NewHistory>> {
    let mut slot = Some(entries);
    let _ = PENDING_HISTORY.try_with(|pending| {
        if let Some(entries) = slot.take() {
            pending.borrow_mut().extend(entries);
        }
    });
    match slot {
        None => Ok(()),
        Some(entries) => Err(entries),
    }
}

/// A boxed future borrowing the connection for `'c`.
pub type BoxFuture<'c, T> = Pin<Box<dyn Future<Output = T> + Send + 'c>>;

/// Delivers a job's result once the fate of its transaction is known (`Some` = commit failed).
type Deliver = Box<dyn FnOnce(Option<StoreError>) + Send>;

/// Runs a job on the connection; says whether it succeeded and how to answer its caller. One
/// trait object carries the caller's closure and its typed answer channel together.
trait RunJob: Send {
    fn run<'c>(
        self: Box<Self>,
        connection: &'c mut SqliteConnection,
    ) -> BoxFuture<'c, (bool, Deliver)>;
}

type Run = Box<dyn RunJob>;

/// A caller's job, with the channel its result goes back on.
struct Call<T, E, F> {
    job: F,
    answer: oneshot::Sender<Result<T, E>>,
}

impl<T, E, F> RunJob for Call<T, E, F>
where
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
    F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, E>> + Send + 'static,
{
    fn run<'c>(
        self: Box<Self>,
        connection: &'c mut SqliteConnection,
    ) -> BoxFuture<'c, (bool, Deliver)> {
        let Call { job, answer } = *self;
        Box::pin(async move {
            let result = job(connection).await;
            let ok = result.is_ok();
            let deliver: Deliver = Box::new(move |commit_error| {
                let _ = answer.send(match commit_error {
                    None => result,
                    Some(error) => Err(E::from(error)),
                });
            });
            (ok, deliver)
        })
    }
}

/// A queued job, and how to answer its caller if it never gets to run.
pub(super) struct Job {
    run: Run,
    abort: Box<dyn FnOnce(StoreError) + Send>,
    /// Whether the job runs inside its own savepoint (see [`Savepoint`]).
    savepoint: Savepoint,
}

/// How a job's changes are undone if it fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Savepoint {
    /// The job may write several times before failing: it runs in a savepoint that is rolled
    /// back on failure.
    Yes,
    /// The job writes at most once, as its last statement, so a failure leaves nothing behind
    /// (SQLite undoes a failed statement by itself). Saves a round trip per job.
    NotNeeded,
}

/// At most this many jobs share one transaction; enough to amortise the commit, small enough
/// that no caller waits behind a long queue.
const MAX_GROUP: usize = 64;

/// How often the writer looks for commits made by other processes (the CLI on the same
/// database), so caches built from what this process wrote can be dropped.
const EXTERNAL_CHECK_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// SQLite's `data_version`: it changes when another connection commits (never for this
/// connection's own commits), which makes it exactly the "someone else wrote" signal.
async fn data_version(connection: &mut SqliteConnection) -> i64 {
    sqlx::query_scalar::<_, i64>("PRAGMA data_version")
        .fetch_one(&mut *connection)
        .await
        .unwrap_or(0)
}

#[derive(Debug, Clone)]
pub(super) enum Writer {
    /// File databases: the dedicated writer thread.
    Thread(mpsc::Sender<Message>),
    /// In-memory databases: the one pooled connection, one job per transaction.
    Pool(SqlitePool, SharedMemo, Commits),
}

pub(super) enum Message {
    Job(Job),
    /// Answered once every job queued before it has been committed.
    Flush(oneshot::Sender<()>),
    /// Applies the embedded migrations, outside any job transaction.
    Migrate(oneshot::Sender<Result<(), StoreError>>),
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Message::Job(_) => "Job",
            Message::Flush(_) => "Flush",
            Message::Migrate(_) => "Migrate",
        })
    }
}

/// Counts commits: bumped after every transaction the writer commits and whenever it notices
/// another process's, so that live views ([`super::Store::commits`]) read again.
pub(super) type Commits = watch::Sender<u64>;

fn bump(commits: &Commits) {
    commits.send_modify(|n| *n = n.wrapping_add(1));
}

impl Writer {
    /// Starts the writer thread with a connection opened from `options`; `external` is
    /// incremented whenever another process commits to the database.
    pub async fn spawn(
        options: SqliteConnectOptions,
        log: LogDatabase,
        external: Arc<AtomicU64>,
        commits: Commits,
    ) -> Result<Writer, StoreError> {
        let (sender, receiver) = mpsc::channel::<Message>(4096);
        let (ready_tx, ready_rx) = oneshot::channel::<Result<(), StoreError>>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ =
                            ready_tx.send(Err(StoreError::Writer(format!("cannot start: {e}"))));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let connected = match options.connect().await {
                        Ok(mut connection) => log
                            .attach_for_writing(&mut connection)
                            .await
                            .map(|()| connection),
                        Err(e) => Err(e),
                    };
                    match connected {
                        Ok(connection) => {
                            let _ = ready_tx.send(Ok(()));
                            serve(connection, receiver, external, commits).await;
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(StoreError::Database(e)));
                        }
                    }
                });
            })
            .map_err(|e| StoreError::Writer(format!("cannot start the writer thread: {e}")))?;
        ready_rx.await.map_err(|_| StoreError::WriterGone)??;
        Ok(Writer::Thread(sender))
    }

    pub fn on_pool(pool: SqlitePool, commits: Commits) -> Writer {
        Writer::Pool(pool, SharedMemo::default(), commits)
    }

    /// Applies the embedded migrations.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Writer::Thread(sender) => {
                let (done_tx, done_rx) = oneshot::channel();
                sender
                    .send(Message::Migrate(done_tx))
                    .await
                    .map_err(|_| StoreError::WriterGone)?;
                done_rx.await.map_err(|_| StoreError::WriterGone)?
            }
            Writer::Pool(pool, _, _) => Ok(sqlx::migrate!("./migrations").run(pool).await?),
        }
    }

    /// Queues `job` and waits for its answer. The job is boxed before anything is awaited, so
    /// the returned future holds only type-erased parts and is `Send` wherever it is used.
    pub fn run<T, E, F>(
        &self,
        savepoint: Savepoint,
        job: F,
    ) -> impl Future<Output = Result<T, E>> + Send + 'static
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, E>> + Send + 'static,
    {
        let (answer_tx, answer_rx) = oneshot::channel::<Result<T, E>>();
        let (abort_tx, abort_rx) = oneshot::channel::<StoreError>();
        let run: Run = Box::new(Call {
            job,
            answer: answer_tx,
        });
        let abort = Box::new(move |error: StoreError| {
            let _ = abort_tx.send(error);
        });
        let submitted = submit(
            self.clone(),
            Job {
                run,
                abort,
                savepoint,
            },
        );
        async move {
            submitted.await;
            match answer_rx.await {
                Ok(result) => result,
                // The job never ran: say why.
                Err(_) => Err(E::from(abort_rx.await.unwrap_or(StoreError::WriterGone))),
            }
        }
    }

    /// Waits until every job queued so far is committed, then stops the writer thread.
    pub async fn close(&self) {
        if let Writer::Thread(sender) = self {
            let (done_tx, done_rx) = oneshot::channel();
            if sender.send(Message::Flush(done_tx)).await.is_ok() {
                let _ = done_rx.await;
            }
        }
    }
}

/// Hands a job to the writer (or, for in-memory databases, runs it).
fn submit(writer: Writer, job: Job) -> BoxFuture<'static, ()> {
    Box::pin(async move {
        match writer {
            Writer::Thread(sender) => {
                if let Err(mpsc::error::SendError(Message::Job(job))) =
                    sender.send(Message::Job(job)).await
                {
                    (job.abort)(StoreError::WriterGone);
                }
            }
            Writer::Pool(pool, memo, commits) => match pool.acquire().await {
                Ok(mut connection) => {
                    if run_group(&mut connection, &memo, vec![job]).await {
                        bump(&commits);
                    }
                }
                Err(e) => (job.abort)(StoreError::Database(e)),
            },
        }
    })
}

/// The writer thread's loop: take what is queued (up to [`MAX_GROUP`] jobs) and commit it as
/// one transaction.
async fn serve(
    mut connection: SqliteConnection,
    mut receiver: mpsc::Receiver<Message>,
    external: Arc<AtomicU64>,
    commits: Commits,
) {
    let mut flushes = Vec::new();
    let memo = SharedMemo::default();
    let mut tick = tokio::time::interval(EXTERNAL_CHECK_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seen = data_version(&mut connection).await;
    loop {
        let first = tokio::select! {
            message = receiver.recv() => match message {
                Some(message) => message,
                None => break,
            },
            _ = tick.tick() => {
                let now = data_version(&mut connection).await;
                if now != seen {
                    seen = now;
                    external.fetch_add(1, Ordering::SeqCst);
                    forget(&memo);
                    bump(&commits);
                }
                continue;
            }
        };
        let mut jobs = Vec::new();
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                Message::Job(job) => jobs.push(job),
                Message::Flush(done) => flushes.push(done),
                Message::Migrate(done) => {
                    forget(&memo);
                    let result = sqlx::migrate!("./migrations").run(&mut connection).await;
                    let _ = done.send(result.map_err(StoreError::from));
                }
            }
            if jobs.len() < MAX_GROUP {
                next = receiver.try_recv().ok();
            }
        }
        if !jobs.is_empty() && run_group(&mut connection, &memo, jobs).await {
            bump(&commits);
        }
        for done in flushes.drain(..) {
            let _ = done.send(());
        }
    }
    let _ = connection.close().await;
}

/// Runs `jobs` in one transaction, each in a savepoint, then answers each; `true` when the
/// transaction was committed.
fn run_group<'a>(
    connection: &'a mut SqliteConnection,
    memo: &'a SharedMemo,
    jobs: Vec<Job>,
) -> BoxFuture<'a, bool> {
    Box::pin(async move {
        let mut answers: Vec<Deliver> = Vec::with_capacity(jobs.len());
        if let Err(e) = sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut *connection)
            .await
        {
            let message = format!("cannot begin a transaction: {e}");
            for job in jobs {
                (job.abort)(StoreError::Writer(message.clone()));
            }
            return false;
        }
        let mut group_history = Vec::new();
        for job in jobs {
            let savepoint = job.savepoint == Savepoint::Yes;
            if savepoint
                && let Err(e) = sqlx::query("SAVEPOINT job").execute(&mut *connection).await
            {
                (job.abort)(StoreError::Database(e));
                continue;
            }
            let (ok, deliver, job_history) = MEMO
                .scope(
                    memo.clone(),
                    PENDING_HISTORY.scope(std::cell::RefCell::default(), async {
                        let (ok, deliver) = job.run.run(connection).await;
                        (ok, deliver, PENDING_HISTORY.with(|pending| pending.take()))
                    }),
                )
                .await;
            if !ok {
                // Whatever the job wrote is undone; so is anything it taught the memo.
                forget(memo);
            }
            let ended = if savepoint {
                end_savepoint(connection, ok).await
            } else {
                Ok(())
            };
            match ended {
                Ok(()) => {
                    if ok {
                        group_history.extend(job_history);
                    }
                    answers.push(deliver);
                }
                Err(e) => deliver(Some(StoreError::Database(e))),
            }
        }
        let committed = match history::insert(connection, &group_history).await {
            Err(e) => Err(format!("cannot write the history log: {e}")),
            Ok(()) => match sqlx::query("COMMIT").execute(&mut *connection).await {
                Ok(_) => Ok(()),
                Err(e) => Err(format!("commit failed: {e}")),
            },
        };
        match committed {
            Ok(()) => {
                answers.into_iter().for_each(|deliver| deliver(None));
                true
            }
            Err(message) => {
                forget(memo);
                let _ = sqlx::query("ROLLBACK").execute(&mut *connection).await;
                for deliver in answers {
                    deliver(Some(StoreError::Writer(message.clone())));
                }
                false
            }
        }
    })
}

/// Undoes a failed job's changes (`ROLLBACK TO` its savepoint). A successful job's savepoint is
/// left on the stack: `COMMIT` releases them all, and a `RELEASE` per job would be one more
/// round trip to sqlx's connection thread on every write.
async fn end_savepoint(connection: &mut SqliteConnection, keep: bool) -> Result<(), sqlx::Error> {
    if !keep {
        sqlx::query("ROLLBACK TO job")
            .execute(&mut *connection)
            .await?;
    }
    Ok(())
}
