//! SCIM log retention (`store::scim_log::prune`): the newest N entries, and of those the newest
//! that hold at most M bytes of headers and bodies; the newest entry always stays.

use workbench_core::logs::Retention;
use workbench_core::store::scim_log::{self, ScimLogFilter, ScimLogRow};
use workbench_core::store::{Location, Store, StoreError};

fn entry(at: i64, body_bytes: usize) -> ScimLogRow {
    ScimLogRow {
        seq: 0,
        at,
        provider_id: None,
        method: "GET".into(),
        path: "/api/scim/Users".into(),
        query: None,
        request_headers: "[]".into(),
        request_body: "x".repeat(body_bytes),
        request_json: false,
        request_truncated: None,
        status: 200,
        response_headers: "[]".into(),
        response_body: String::new(),
        response_json: false,
        response_truncated: None,
        duration_us: 1,
        client_addr: None,
        user_agent: None,
        idp: "unknown".into(),
        idp_reason: "test".into(),
        resources: "[]".into(),
        trace: "[]".into(),
        replay_of: None,
    }
}

async fn insert(store: &Store, rows: &[ScimLogRow]) {
    let entries: Vec<_> = rows.iter().map(ScimLogRow::encode).collect();
    store
        .write_single(move |conn| {
            Box::pin(async move { scim_log::insert(&mut *conn, &entries).await })
        })
        .await
        .map_err(|e: StoreError| e.to_string())
        .expect("entries written");
}

async fn store_with(entries: Vec<ScimLogRow>) -> Store {
    let store = Store::open(&Location::Memory).await.expect("a store");
    insert(&store, &entries).await;
    store
}

async fn prune(store: &Store, entries: u64, bytes: u64) -> u64 {
    workbench_core::logs::writer::prune(store, Retention { entries, bytes }).await
}

/// The `at` of every entry left, newest first.
async fn kept(store: &Store) -> Vec<i64> {
    let filter = ScimLogFilter {
        limit: 1000,
        ..ScimLogFilter::default()
    };
    scim_log::list(store.reader(), &filter)
        .await
        .expect("listed")
        .iter()
        .map(|r| r.at)
        .collect()
}

#[tokio::test]
async fn the_newest_entries_are_kept_up_to_the_count() {
    let store = store_with((1..=20).map(|at| entry(at, 10)).collect()).await;
    assert_eq!(prune(&store, 5, u64::MAX).await, 15);
    assert_eq!(kept(&store).await, vec![20, 19, 18, 17, 16]);
    assert_eq!(prune(&store, 5, u64::MAX).await, 0, "nothing more to prune");
}

#[tokio::test]
async fn the_newest_entries_are_kept_up_to_the_size() {
    // Each entry is 4 bytes of headers ("[]" twice) plus its body.
    let store = store_with((1..=10).map(|at| entry(at, 96)).collect()).await;
    assert_eq!(prune(&store, 1000, 300).await, 7);
    assert_eq!(kept(&store).await, vec![10, 9, 8]);
    // An entry bigger than the whole allowance: the newest one still stays.
    assert_eq!(prune(&store, 1000, 10).await, 2);
    assert_eq!(kept(&store).await, vec![10]);
}

#[tokio::test]
async fn a_prune_larger_than_one_chunk_takes_them_all() {
    // Deleted 2,000 per write job, so that SCIM writes never wait behind one long delete.
    let store = store_with((1..=5_000).map(|at| entry(at, 1)).collect()).await;
    assert_eq!(prune(&store, 10, u64::MAX).await, 4_990);
    assert_eq!(
        kept(&store).await,
        (4_991..=5_000).rev().collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn entries_kept_a_row_each_before_pages_are_moved_into_pages_when_the_store_opens() {
    let dir = tempfile::tempdir().expect("a directory");
    let location = Location::File(dir.path().join("old.db"));
    let store = Store::open(&location).await.expect("a store");
    // Rows as the log kept them before migration 0005, numbered 7..=9.
    store
        .write_single(|conn| {
            Box::pin(async move {
                for seq in 7..=9 {
                    sqlx::query(
                        "INSERT INTO scim_log (seq, at, size, method, path, request_headers,
                         request_body, request_json, status, response_headers, response_body,
                         response_json, duration_us, idp, idp_reason, resources, trace)
                         VALUES (?, ?, 2, 'GET', '/api/scim/Users', '[]', '', 0, 200, '[]', '',
                         0, 1, 'okta', 'old', '[]', '[]')",
                    )
                    .bind(seq)
                    .bind(seq * 1000)
                    .execute(&mut *conn)
                    .await?;
                }
                Ok::<(), StoreError>(())
            })
        })
        .await
        .expect("old rows written");
    store.close().await;

    let store = Store::open(&location).await.expect("reopened");
    assert_eq!(kept(&store).await, vec![9000, 8000, 7000]);
    let old = scim_log::get(store.reader(), 8).await.expect("read");
    assert_eq!(old.map(|r| r.idp_reason), Some("old".to_owned()));
    // New entries continue after the moved ones.
    let last = store
        .write_single(|conn| {
            Box::pin(
                async move { scim_log::insert(&mut *conn, &[entry(10_000, 1).encode()]).await },
            )
        })
        .await
        .map_err(|e: StoreError| e.to_string())
        .expect("written");
    assert_eq!(last, 10);
    store.close().await;
}

#[tokio::test]
async fn large_bodies_are_paged_a_few_mebibytes_at_a_time_and_all_read_back() {
    // Ten 1 MiB bodies: pages hold at most 4 MiB, so one entry never means decompressing all.
    let store = store_with((1..=10).map(|at| entry(at, 1024 * 1024)).collect()).await;
    let pages: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM scim_log_page")
        .fetch_one(store.reader())
        .await
        .expect("counted");
    assert!(pages >= 3, "{pages} pages");
    assert_eq!(kept(&store).await, (1..=10).rev().collect::<Vec<_>>());
    let fifth = scim_log::get(store.reader(), 5).await.expect("read");
    assert_eq!(fifth.map(|r| r.request_body.len()), Some(1024 * 1024));
}

#[tokio::test]
async fn the_running_writer_prunes_as_it_writes_and_exactly_when_it_stops() {
    use workbench_core::logs::{LogOptions, LogWriter};
    let store = Store::open(&Location::Memory).await.expect("a store");
    let options = LogOptions {
        retention: Retention {
            entries: 100,
            bytes: u64::MAX,
        },
        prune_every: std::time::Duration::ZERO,
        ..LogOptions::default()
    };
    let (writer, recorder) = LogWriter::start(store.clone(), options);
    // Six windows of 300 entries: 1,800 in all.
    let mut at = 0;
    for _ in 0..6 {
        for _ in 0..300 {
            at += 1;
            recorder.record(entry(at, 1).encode(), None).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    // Each window's write prunes to the retention as it stood before the window.
    let running = kept(&store).await.len();
    assert!(running <= 100 + 300, "{running} entries kept while running");
    writer.finish().await;
    assert_eq!(
        kept(&store).await,
        (1_701..=1_800).rev().collect::<Vec<_>>()
    );
}

async fn write_entries(store: &Store, ats: std::ops::RangeInclusive<i64>) {
    insert(store, &ats.map(|at| entry(at, 1)).collect::<Vec<_>>()).await;
}

/// A store in `dir/work.db`.
async fn file_store(dir: &tempfile::TempDir) -> (std::path::PathBuf, Store) {
    let path = dir.path().join("work.db");
    let store = Store::open(&Location::File(path.clone()))
        .await
        .expect("a store");
    (path, store)
}

/// A connection of its own to the main file, without the log attached.
async fn plain_connection(path: &std::path::Path) -> sqlx::SqliteConnection {
    use sqlx::ConnectOptions;
    sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .connect()
        .await
        .expect("a connection to the main file")
}

/// `data_version` of the main file as a separate connection sees it: it moves when anyone
/// else commits to that file, which is what makes SQLite drop that connection's caches.
async fn main_version(connection: &mut sqlx::SqliteConnection) -> i64 {
    sqlx::query_scalar("PRAGMA data_version")
        .fetch_one(&mut *connection)
        .await
        .expect("data_version")
}

#[tokio::test]
async fn the_log_lives_in_its_own_file_and_its_commits_leave_the_main_file_alone() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().expect("a directory");
    let (path, store) = file_store(&dir).await;
    let mut watcher = plain_connection(&path).await;
    let before = main_version(&mut watcher).await;
    write_entries(&store, 1..=50).await;
    assert_eq!(
        main_version(&mut watcher).await,
        before,
        "a log commit touched the main file"
    );
    // A write to the main file does move it (so the check above can fail).
    store
        .write_single(|conn| {
            Box::pin(async move {
                sqlx::query("CREATE TABLE scratch (x)")
                    .execute(&mut *conn)
                    .await
                    .map_err(StoreError::from)
            })
        })
        .await
        .expect("a site write");
    assert_ne!(main_version(&mut watcher).await, before);
    let in_main: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'scim_log_page'")
            .fetch_one(&mut watcher)
            .await
            .expect("counted");
    assert_eq!(in_main, 0, "the main file has no log pages");
    watcher.close().await.expect("closed");
    assert_eq!(kept(&store).await, (1..=50).rev().collect::<Vec<_>>());
    store.close().await;
    assert!(dir.path().join("work.db-log").is_file());
}

#[tokio::test]
async fn pages_kept_in_the_main_file_before_the_log_had_its_own_move_there_when_the_store_opens() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().expect("a directory");
    let (path, store) = file_store(&dir).await;
    write_entries(&store, 1..=30).await;
    store.close().await;
    // Put the pages back where migration 0005 kept them, and forget migration 0006.
    let mut old = plain_connection(&path).await;
    for statement in [
        format!("ATTACH DATABASE '{}-log' AS log", path.display()),
        "CREATE TABLE main.scim_log_page AS SELECT * FROM log.scim_log_page".into(),
        "DELETE FROM log.scim_log_page".into(),
        "DELETE FROM _sqlx_migrations WHERE version = 6".into(),
    ] {
        sqlx::query(&statement)
            .execute(&mut old)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    old.close().await.expect("closed");

    let store = Store::open(&Location::File(path)).await.expect("reopened");
    assert_eq!(kept(&store).await, (1..=30).rev().collect::<Vec<_>>());
    write_entries(&store, 31..=31).await;
    let newest = scim_log::get(store.reader(), 31).await.expect("read");
    assert_eq!(
        newest.map(|r| r.at),
        Some(31),
        "numbering goes on after the moved pages"
    );
    store.close().await;
}
