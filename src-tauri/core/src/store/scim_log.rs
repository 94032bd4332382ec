//! The `scim_log` table: requests on the SCIM listener as the log keeps them (already
//! redacted; see `crate::logs`).

use sqlx::sqlite::SqliteConnection;
use sqlx::{Executor, FromRow, Sqlite};

use super::{Millis, StoreError};

/// One logged exchange. Headers are JSON arrays of `[name, value]`; `resources` and `trace`
/// are JSON arrays of strings.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ScimLogRow {
    /// Assigned when written (`0` before).
    pub seq: i64,
    pub at: Millis,
    pub provider_id: Option<String>,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub request_headers: String,
    pub request_body: String,
    pub request_json: bool,
    /// The size of the redacted body before it was cut, when it was.
    pub request_truncated: Option<i64>,
    pub status: i64,
    pub response_headers: String,
    pub response_body: String,
    pub response_json: bool,
    pub response_truncated: Option<i64>,
    pub duration_us: i64,
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
    pub idp: String,
    pub idp_reason: String,
    pub resources: String,
    pub trace: String,
    /// The exchange this one re-sent, when it is a replay.
    pub replay_of: Option<i64>,
}

const COLUMNS: &str = "at, size, provider_id, method, path, query, request_headers, request_body,
    request_json, request_truncated, status, response_headers, response_body, response_json,
    response_truncated, duration_us, client_addr, user_agent, idp, idp_reason, resources, trace,
    replay_of";

/// The columns read back (`size` is the store's own business).
const LISTED: &str = "at, provider_id, method, path, query, request_headers, request_body,
    request_json, request_truncated, status, response_headers, response_body, response_json,
    response_truncated, duration_us, client_addr, user_agent, idp, idp_reason, resources, trace,
    replay_of";

/// Columns per row, for the statement size.
const PER_ROW: usize = 23;

/// Rows per `INSERT`, largest first. A batch of any size is written as statements of these
/// sizes, so only these nine are ever prepared: with a statement per batch size, nearly every
/// batch prepared a new one of thousands of parameters. (256 rows are 5,888 parameters, well
/// under SQLite's 32,766.)
const CHUNKS: [usize; 9] = [256, 128, 64, 32, 16, 8, 4, 2, 1];

/// Writes `rows`; returns the `seq` of the last (`0` for none). The rows are numbered
/// consecutively in order (a new row's `seq` is one more than the largest, and this is the
/// only writer), so the first is `last - rows.len() + 1`.
pub async fn insert(
    connection: &mut SqliteConnection,
    rows: &[ScimLogRow],
) -> Result<i64, StoreError> {
    let mut last = 0;
    let mut rest = rows;
    while !rest.is_empty() {
        let size = CHUNKS.into_iter().find(|c| *c <= rest.len()).unwrap_or(1);
        let (chunk, tail) = rest.split_at(size);
        last = insert_statement(&mut *connection, chunk).await?;
        rest = tail;
    }
    Ok(last)
}

/// One `INSERT` of `rows`.
async fn insert_statement(
    connection: &mut SqliteConnection,
    rows: &[ScimLogRow],
) -> Result<i64, StoreError> {
    let one = format!("({})", vec!["?"; PER_ROW].join(", "));
    let sql = format!(
        "INSERT INTO scim_log ({COLUMNS}) VALUES {}",
        vec![one.as_str(); rows.len()].join(", ")
    );
    let mut query = sqlx::query(&sql);
    for r in rows {
        let size = [
            &r.request_headers,
            &r.request_body,
            &r.response_headers,
            &r.response_body,
        ]
        .iter()
        .map(|text| text.len())
        .sum::<usize>();
        query = query
            .bind(r.at)
            .bind(i64::try_from(size).unwrap_or(i64::MAX))
            .bind(&r.provider_id)
            .bind(&r.method)
            .bind(&r.path)
            .bind(&r.query)
            .bind(&r.request_headers)
            .bind(&r.request_body)
            .bind(r.request_json)
            .bind(r.request_truncated)
            .bind(r.status)
            .bind(&r.response_headers)
            .bind(&r.response_body)
            .bind(r.response_json)
            .bind(r.response_truncated)
            .bind(r.duration_us)
            .bind(&r.client_addr)
            .bind(&r.user_agent)
            .bind(&r.idp)
            .bind(&r.idp_reason)
            .bind(&r.resources)
            .bind(&r.trace)
            .bind(r.replay_of);
    }
    Ok(query.execute(connection).await?.last_insert_rowid())
}

/// What to list, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScimLogFilter {
    pub provider_id: Option<String>,
    pub method: Option<String>,
    /// An exact status (`404`) or a class (`4` for 4xx).
    pub status: Option<StatusFilter>,
    /// Part of the path (`/Groups`) or of a resource id the exchange named or changed, without
    /// regard to case.
    pub path: Option<String>,
    pub idp: Option<String>,
    /// Text anywhere in the request or response body, without regard to case.
    pub text: Option<String>,
    /// Replays of this exchange.
    pub replay_of: Option<i64>,
    pub since: Option<Millis>,
    pub until: Option<Millis>,
    /// Entries older than this `seq` (the cursor of the previous page).
    pub before: Option<i64>,
    /// Entries newer than this `seq` (following the log); the list is then oldest first, so
    /// a follower that pages on misses nothing.
    pub after: Option<i64>,
    pub limit: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Exact(i64),
    Class(i64),
}

/// Entries matching `filter`, newest first (oldest first when following, with `after`).
pub async fn list<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    filter: &ScimLogFilter,
) -> Result<Vec<ScimLogRow>, StoreError> {
    let mut conditions = vec!["1 = 1".to_owned()];
    let mut texts: Vec<String> = Vec::new();
    let mut numbers: Vec<i64> = Vec::new();
    // Conditions bind in this order: texts first, then numbers (see below).
    if let Some(provider) = &filter.provider_id {
        conditions.push("provider_id = ?".into());
        texts.push(provider.clone());
    }
    if let Some(method) = &filter.method {
        conditions.push("method = ?".into());
        texts.push(method.to_ascii_uppercase());
    }
    if let Some(path) = &filter.path {
        conditions.push(
            "(instr(lower(path), lower(?)) > 0 OR instr(lower(resources), lower(?)) > 0)".into(),
        );
        texts.push(path.clone());
        texts.push(path.clone());
    }
    if let Some(idp) = &filter.idp {
        conditions.push("idp = ?".into());
        texts.push(idp.clone());
    }
    if let Some(text) = &filter.text {
        conditions.push(
            "(instr(lower(request_body), lower(?)) > 0 OR instr(lower(response_body), lower(?)) > 0)"
                .into(),
        );
        texts.push(text.clone());
        texts.push(text.clone());
    }
    match filter.status {
        Some(StatusFilter::Exact(code)) => {
            conditions.push("status = ?".into());
            numbers.push(code);
        }
        Some(StatusFilter::Class(class)) => {
            conditions.push("status >= ? AND status < ?".into());
            numbers.push(class * 100);
            numbers.push(class * 100 + 100);
        }
        None => {}
    }
    for (value, condition) in [
        (filter.replay_of, "replay_of = ?"),
        (filter.since, "at >= ?"),
        (filter.until, "at < ?"),
        (filter.before, "seq < ?"),
        (filter.after, "seq > ?"),
    ] {
        if let Some(value) = value {
            conditions.push(condition.into());
            numbers.push(value);
        }
    }
    let order = if filter.after.is_some() {
        "ASC"
    } else {
        "DESC"
    };
    let sql = format!(
        "SELECT seq, {LISTED} FROM scim_log WHERE {} ORDER BY seq {order} LIMIT ?",
        conditions.join(" AND ")
    );
    let mut query = sqlx::query_as(&sql);
    for text in &texts {
        query = query.bind(text);
    }
    for number in &numbers {
        query = query.bind(number);
    }
    Ok(query.bind(i64::from(filter.limit)).fetch_all(db).await?)
}

/// The newest entry's `seq` (`0` when the log is empty).
pub async fn newest_seq<'e>(db: impl Executor<'e, Database = Sqlite>) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT COALESCE(MAX(seq), 0) FROM scim_log")
            .fetch_one(db)
            .await?,
    )
}

/// One entry.
pub async fn get<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    seq: i64,
) -> Result<Option<ScimLogRow>, StoreError> {
    let sql = format!("SELECT seq, {LISTED} FROM scim_log WHERE seq = ?");
    Ok(sqlx::query_as(&sql).bind(seq).fetch_optional(db).await?)
}

/// The `seq` below which entries go: the oldest beyond the newest `keep_entries`, and beyond
/// the newest that together hold at most `keep_bytes` (the newest entry always stays); `None`
/// for an empty log. A read over the covering `(seq, size)` index, so it runs beside the writer
/// rather than holding it.
pub async fn prune_below<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    keep_entries: u64,
    keep_bytes: u64,
) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT COALESCE(MIN(seq), (SELECT MAX(seq) FROM scim_log)) FROM (
             SELECT seq,
                    SUM(size) OVER (ORDER BY seq DESC ROWS UNBOUNDED PRECEDING) AS total,
                    ROW_NUMBER() OVER (ORDER BY seq DESC) AS n
             FROM scim_log
         ) WHERE total <= ? AND n <= ?",
    )
    .bind(i64::try_from(keep_bytes).unwrap_or(i64::MAX))
    .bind(i64::try_from(keep_entries).unwrap_or(i64::MAX))
    .fetch_one(db)
    .await?)
}

/// Deletes the oldest entries below `seq`, at most `at_most` of them (entries are only ever
/// deleted from the oldest end, so their numbers have no gaps); returns how many went.
pub async fn delete_below<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    seq: i64,
    at_most: u32,
) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "DELETE FROM scim_log WHERE seq < ? AND seq < (SELECT MIN(seq) FROM scim_log) + ?",
    )
    .bind(seq)
    .bind(i64::from(at_most))
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
