//! SQLite access: the only place with SQL. One file per table or aggregate; this file opens the
//! database (WAL, migrations) and owns the two ways in: a pool of read-only connections used
//! directly by requests, and [`Store::write`], which runs a job on the single writer.
//!
//! The writer is one connection on a dedicated thread with its own current-thread runtime:
//! sqlx hands every statement to a worker thread, and on a multi-threaded runtime each of those
//! round trips pays for waking a parked thread (measured here: 3,500 autocommits/s vs 14,000 on
//! a current-thread runtime). Jobs that arrive together are committed together (group commit),
//! each inside its own savepoint, so one failing job rolls back alone and every caller hears
//! back only after its change is durable.

mod checkpoint;
pub mod credentials;
mod error;
pub mod groups;
pub mod history;
pub mod lifecycle;
pub mod lower;
pub mod providers;
pub mod scim_log;
pub mod settings;
pub mod users;
mod writer;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};

pub use error::{StoreError, Unique};
pub use writer::{BoxFuture, Savepoint};

/// Where the database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A file; created with its directory if missing.
    File(PathBuf),
    /// A private in-memory database (tests): one connection serves reads and writes.
    Memory,
}

impl Location {
    /// `sqlite::memory:` (or `:memory:`) means [`Location::Memory`]; anything else is a path.
    pub fn parse(text: &str) -> Location {
        match text {
            "sqlite::memory:" | ":memory:" => Location::Memory,
            path => Location::File(PathBuf::from(
                path.strip_prefix("sqlite://").unwrap_or(path),
            )),
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::File(path) => write!(f, "{}", path.display()),
            Location::Memory => f.write_str("sqlite::memory:"),
        }
    }
}

/// How long a connection waits for another process's write lock (the CLI writing while a
/// server runs) before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The SCIM log's own database, attached as `log` to every connection: a file beside the
/// main one ([`LogDatabase::beside`]), or memory beside an in-memory store.
///
/// Why a second file: every commit to a database makes SQLite's other connections drop their
/// page caches and memory maps of it. The log commits ten times a second while an IdP is busy,
/// and refilling those caches after each commit cost the SCIM server's reads more than writing
/// the log itself (BENCHMARKS.md, "What the SCIM log costs"). Log commits now touch only this
/// file, so the SCIM data's readers keep their caches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogDatabase(String);

impl LogDatabase {
    /// `PATH-log` for the database at `PATH` (SQLite adds its own `-wal` and `-shm` to it).
    pub fn beside(path: &Path) -> Result<LogDatabase, StoreError> {
        let text = path.to_str().ok_or_else(|| StoreError::Open {
            path: path.display().to_string(),
            detail: "the path is not valid UTF-8, which the SCIM log's file needs".into(),
        })?;
        Ok(LogDatabase(format!("{text}-log")))
    }

    fn memory() -> LogDatabase {
        LogDatabase(":memory:".into())
    }

    /// Attaches the log to `connection` as `log` (creating its file if the connection may).
    async fn attach(&self, connection: &mut SqliteConnection) -> Result<(), sqlx::Error> {
        sqlx::query("ATTACH DATABASE ? AS log")
            .bind(&self.0)
            .execute(&mut *connection)
            .await?;
        Ok(())
    }

    /// [`LogDatabase::attach`] for the writer, which also sets how the log's file is written
    /// (in WAL mode like the main file, with a small cache: the log is appended to, and read
    /// back by people, not requests) and creates its table when the file is new.
    async fn attach_for_writing(
        &self,
        connection: &mut SqliteConnection,
    ) -> Result<(), sqlx::Error> {
        self.attach(&mut *connection).await?;
        for statement in [
            "PRAGMA log.journal_mode = WAL",
            "PRAGMA log.synchronous = NORMAL",
            "PRAGMA log.journal_size_limit = 67108864",
            "PRAGMA log.cache_size = -4000",
            scim_log::SCHEMA,
        ] {
            sqlx::query(statement).execute(&mut *connection).await?;
        }
        Ok(())
    }
}

/// The database.
#[derive(Debug, Clone)]
pub struct Store {
    reader: SqlitePool,
    writer: writer::Writer,
    /// Shared: a store is cloned into every request's state.
    location: Arc<Location>,
    external: Arc<AtomicU64>,
    commits: writer::Commits,
    checkpointer: Arc<std::sync::Mutex<Option<checkpoint::Checkpointer>>>,
}

/// Moves SCIM log rows kept one per row (before migration 0005) into pages.
async fn move_old_log_rows(writer: &writer::Writer) -> Result<(), StoreError> {
    let moved = writer
        .run(Savepoint::Yes, |conn| {
            Box::pin(async move { scim_log::move_old_rows(conn).await })
        })
        .await?;
    if moved > 0 {
        tracing::info!(entries = moved, "moved the SCIM log into pages");
    }
    Ok(())
}

impl Store {
    /// Opens (creating if needed) and migrates the database.
    pub async fn open(location: &Location) -> Result<Store, StoreError> {
        match location {
            Location::File(path) => Self::open_file(path).await,
            Location::Memory => Self::open_memory().await,
        }
    }

    async fn open_file(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Open {
                path: path.display().to_string(),
                detail: format!("cannot create directory {}: {source}", dir.display()),
            })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true)
            .pragma("cache_size", "-32000")
            .pragma("journal_size_limit", "67108864")
            // Savepoint journals (every multi-statement write job has one) and temporary
            // B-trees in memory, not in temporary files: a file costs writes on every job.
            .pragma("temp_store", "MEMORY")
            // Pages missing from SQLite's cache are read through a memory map instead of a
            // pread() each; address space, not memory.
            .pragma("mmap_size", "1073741824");
        let open_error = |e: sqlx::Error| StoreError::Open {
            path: path.display().to_string(),
            detail: e.to_string(),
        };
        let external = Arc::new(AtomicU64::new(0));
        let commits = writer::Commits::new(0);
        let log = LogDatabase::beside(path)?;
        let writer = writer::Writer::spawn(
            options.clone(),
            log.clone(),
            external.clone(),
            commits.clone(),
        )
        .await
        .map_err(|e| match e {
            StoreError::Database(e) => open_error(e),
            other => other,
        })?;
        writer.migrate().await?;
        move_old_log_rows(&writer).await?;
        // No ping before each checkout: it is a round trip to sqlx's worker thread per query,
        // and a local SQLite file does not go away between queries.
        let attach = log.clone();
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .min_connections(1)
            .test_before_acquire(false)
            .after_connect(move |connection, _| {
                let log = attach.clone();
                Box::pin(async move { log.attach(connection).await })
            })
            .connect_with(options.clone().read_only(true))
            .await
            .map_err(open_error)?;
        let checkpointer = checkpoint::Checkpointer::start(options, log)
            .await
            .map_err(open_error)?;
        Ok(Store {
            reader,
            writer,
            location: Arc::new(Location::File(path.to_owned())),
            external,
            commits,
            checkpointer: Arc::new(std::sync::Mutex::new(Some(checkpointer))),
        })
    }

    async fn open_memory() -> Result<Store, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        // One connection for ever: the attached in-memory log lives as long as it does.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .test_before_acquire(false)
            .idle_timeout(None)
            .max_lifetime(None)
            .after_connect(|connection, _| {
                Box::pin(async move { LogDatabase::memory().attach_for_writing(connection).await })
            })
            .connect_with(options)
            .await?;
        let commits = writer::Commits::new(0);
        let writer = writer::Writer::on_pool(pool.clone(), commits.clone());
        writer.migrate().await?;
        move_old_log_rows(&writer).await?;
        // A private in-memory database: no other process can write to it.
        Ok(Store {
            reader: pool,
            writer,
            location: Arc::new(Location::Memory),
            external: Arc::default(),
            commits,
            checkpointer: Arc::default(),
        })
    }

    /// The read-only connections, for queries.
    pub fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    /// A number that changes (within ~250 ms) whenever another process commits to the
    /// database: anything this process cached from the database is stale once it moves.
    /// Changes each time a transaction is committed (by this process's writer, or, noticed
    /// within 250 ms, by another process): what a live view waits on before reading again.
    pub fn commits(&self) -> tokio::sync::watch::Receiver<u64> {
        self.commits.subscribe()
    }

    pub fn external_changes(&self) -> u64 {
        self.external.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Runs `job` on the writer inside its own savepoint of a (possibly shared) transaction and
    /// returns its result once the transaction has committed. An `Err` from the job rolls back
    /// everything the job did and nothing else.
    pub fn write<T, E, F>(
        &self,
        job: F,
    ) -> impl std::future::Future<Output = Result<T, E>> + Send + 'static
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, E>> + Send + 'static,
    {
        self.writer.run(Savepoint::Yes, job)
    }

    /// [`Store::write`] for a job whose only write is its last statement ([`Savepoint::NotNeeded`]):
    /// a failure leaves nothing behind, so no savepoint is taken.
    pub fn write_single<T, E, F>(
        &self,
        job: F,
    ) -> impl std::future::Future<Output = Result<T, E>> + Send + 'static
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, E>> + Send + 'static,
    {
        self.writer.run(Savepoint::NotNeeded, job)
    }

    /// [`Store::write`], or with `rehearse` a dry run of it: the job runs on the writer exactly
    /// as it would, sees its own changes, and everything it wrote is rolled back.
    pub fn write_or_rehearse<T, E, F>(
        &self,
        rehearse: bool,
        job: F,
    ) -> BoxFuture<'static, Result<T, E>>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, E>> + Send + 'static,
    {
        if !rehearse {
            return Box::pin(self.write(job));
        }
        let rehearsed = self.writer.run(Savepoint::Yes, move |conn| {
            let run = job(conn);
            Box::pin(async move {
                // Failing the job is what rolls its savepoint back; the result rides on the error.
                let failed: Result<std::convert::Infallible, Rehearsal<T, E>> = match run.await {
                    Ok(done) => Err(Rehearsal::Done(done)),
                    Err(e) => Err(Rehearsal::Failed(e)),
                };
                failed
            })
        });
        Box::pin(async move {
            match rehearsed.await {
                Ok(never) => match never {},
                Err(Rehearsal::Done(done)) => Ok(done),
                Err(Rehearsal::Failed(e)) => Err(e),
            }
        })
    }

    /// Waits for queued writes, then closes every connection (graceful shutdown).
    pub async fn close(&self) {
        self.writer.close().await;
        let checkpointer = self.checkpointer.lock().ok().and_then(|mut c| c.take());
        if let Some(checkpointer) = checkpointer {
            checkpointer.stop().await;
        }
        self.reader.close().await;
    }
}

/// How a rehearsed job ended (see [`Store::write_or_rehearse`]).
enum Rehearsal<T, E> {
    Done(T),
    Failed(E),
}

impl<T, E: From<StoreError>> From<StoreError> for Rehearsal<T, E> {
    fn from(error: StoreError) -> Self {
        Rehearsal::Failed(E::from(error))
    }
}

/// Milliseconds since the Unix epoch, as stored in every `*_at` column.
pub type Millis = i64;
