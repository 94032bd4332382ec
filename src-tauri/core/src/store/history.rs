//! The `history` table: one human-readable entry per account change.

use sqlx::{Executor, FromRow, Sqlite};

use super::{Millis, StoreError};

/// An entry.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct HistoryRow {
    pub seq: i64,
    pub at: Millis,
    pub interface: String,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<String>,
    pub target_name: Option<String>,
    pub provider_id: Option<String>,
    pub detail: String,
    /// JSON array of the trace steps behind the change.
    pub trace: Option<String>,
}

/// An entry to write (`seq` is assigned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHistory {
    pub at: Millis,
    pub interface: String,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<String>,
    pub target_name: Option<String>,
    pub provider_id: Option<String>,
    pub detail: String,
    pub trace: Option<String>,
}

/// Writes entries, 100 per statement.
pub async fn insert(
    db: &mut sqlx::SqliteConnection,
    entries: &[NewHistory],
) -> Result<(), StoreError> {
    for chunk in entries.chunks(100) {
        let sql = format!(
            "INSERT INTO history (at, interface, action, target_type, target_id, target_name, provider_id, detail, trace) VALUES {}",
            vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?)"; chunk.len()].join(", ")
        );
        let mut query = sqlx::query(&sql);
        for e in chunk {
            query = query
                .bind(e.at)
                .bind(&e.interface)
                .bind(&e.action)
                .bind(&e.target_type)
                .bind(&e.target_id)
                .bind(&e.target_name)
                .bind(&e.provider_id)
                .bind(&e.detail)
                .bind(&e.trace);
        }
        query.execute(&mut *db).await?;
    }
    Ok(())
}

/// Writes `entries` with the transaction of the write job that is running: the writer inserts
/// them together with those of the other jobs it commits at once, and only if this job
/// succeeds (see [`super::writer::defer_history`]). Outside a write job, inserts them now.
pub async fn insert_with_job(
    db: &mut sqlx::SqliteConnection,
    entries: Vec<NewHistory>,
) -> Result<(), StoreError> {
    match super::writer::defer_history(entries) {
        Ok(()) => Ok(()),
        Err(entries) => insert(db, &entries).await,
    }
}

/// What to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryFilter {
    pub interface: Option<String>,
    pub action: Option<String>,
    /// Entries about this user/group id or name (exact id, or name without regard to case).
    pub target: Option<String>,
    pub provider_id: Option<String>,
    pub since: Option<Millis>,
    pub until: Option<Millis>,
    /// Entries older than this `seq` (the cursor of the previous page).
    pub before: Option<i64>,
    /// Entries newer than this `seq` (following the log); the list is then oldest first.
    pub after: Option<i64>,
    pub limit: u32,
}

/// The newest entry's `seq` (`0` when the log is empty).
pub async fn newest_seq<'e>(db: impl Executor<'e, Database = Sqlite>) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT COALESCE(MAX(seq), 0) FROM history")
            .fetch_one(db)
            .await?,
    )
}

/// Newest first (oldest first when following, with `after`).
pub async fn list<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    filter: &HistoryFilter,
) -> Result<Vec<HistoryRow>, StoreError> {
    let mut sql = String::from(
        "SELECT seq, at, interface, action, target_type, target_id, target_name, provider_id, detail, trace
         FROM history WHERE 1",
    );
    if filter.interface.is_some() {
        sql.push_str(" AND interface = ?");
    }
    if filter.action.is_some() {
        sql.push_str(" AND action = ?");
    }
    if filter.target.is_some() {
        sql.push_str(" AND (target_id = ? OR lower(target_name) = lower(?))");
    }
    if filter.provider_id.is_some() {
        sql.push_str(" AND provider_id = ?");
    }
    if filter.since.is_some() {
        sql.push_str(" AND at >= ?");
    }
    if filter.until.is_some() {
        sql.push_str(" AND at < ?");
    }
    if filter.before.is_some() {
        sql.push_str(" AND seq < ?");
    }
    if filter.after.is_some() {
        sql.push_str(" AND seq > ? ORDER BY seq ASC LIMIT ?");
    } else {
        sql.push_str(" ORDER BY seq DESC LIMIT ?");
    }
    let mut query = sqlx::query_as::<_, HistoryRow>(&sql);
    if let Some(v) = &filter.interface {
        query = query.bind(v);
    }
    if let Some(v) = &filter.action {
        query = query.bind(v);
    }
    if let Some(v) = &filter.target {
        query = query.bind(v).bind(v);
    }
    if let Some(v) = &filter.provider_id {
        query = query.bind(v);
    }
    if let Some(v) = filter.since {
        query = query.bind(v);
    }
    if let Some(v) = filter.until {
        query = query.bind(v);
    }
    if let Some(v) = filter.before {
        query = query.bind(v);
    }
    if let Some(v) = filter.after {
        query = query.bind(v);
    }
    Ok(query.bind(i64::from(filter.limit)).fetch_all(db).await?)
}
