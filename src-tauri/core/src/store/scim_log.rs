//! The SCIM log as the store keeps it (already redacted; see `crate::logs`): pages of
//! LZ4-compressed entries, one page per write of the log writer (migration
//! `0005_scim_log_pages.sql` says why). Entries are numbered consecutively across pages, so a
//! page holds `first_seq..=last_seq` and an entry is found by its number.

use bytes::Bytes;
use sqlx::sqlite::{SqliteConnection, SqlitePool};
use sqlx::{FromRow, Row};

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

impl ScimLogRow {
    /// Bytes of headers and bodies: what the size retention counts.
    pub fn size(&self) -> i64 {
        self.entry().size()
    }

    /// The row's fields, borrowed (its `seq` is given again when it is written).
    pub fn entry(&self) -> NewEntry<'_> {
        NewEntry {
            at: self.at,
            provider_id: self.provider_id.as_deref(),
            method: &self.method,
            path: &self.path,
            query: self.query.as_deref(),
            request_headers: &self.request_headers,
            request_body: &self.request_body,
            request_json: self.request_json,
            request_truncated: self.request_truncated,
            status: self.status,
            response_headers: &self.response_headers,
            response_body: &self.response_body,
            response_json: self.response_json,
            response_truncated: self.response_truncated,
            duration_us: self.duration_us,
            client_addr: self.client_addr.as_deref(),
            user_agent: self.user_agent.as_deref(),
            idp: &self.idp,
            idp_reason: &self.idp_reason,
            resources: &self.resources,
            trace: &self.trace,
            replay_of: self.replay_of,
        }
    }

    /// The row ready to be written (see [`insert`]).
    pub fn encode(&self) -> Encoded {
        self.entry().encode()
    }
}

/// An exchange to log, its fields borrowed from wherever they were captured: the capture
/// middleware fills one from the request and response it holds, without copying a field into
/// a `String` of its own. The fields are [`ScimLogRow`]'s, without the `seq`.
#[derive(Debug, Clone, Copy)]
pub struct NewEntry<'a> {
    pub at: Millis,
    pub provider_id: Option<&'a str>,
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub request_headers: &'a str,
    pub request_body: &'a str,
    pub request_json: bool,
    pub request_truncated: Option<i64>,
    pub status: i64,
    pub response_headers: &'a str,
    pub response_body: &'a str,
    pub response_json: bool,
    pub response_truncated: Option<i64>,
    pub duration_us: i64,
    pub client_addr: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub idp: &'a str,
    pub idp_reason: &'a str,
    pub resources: &'a str,
    pub trace: &'a str,
    pub replay_of: Option<i64>,
}

impl NewEntry<'_> {
    /// Bytes of headers and bodies: what the size retention counts.
    pub fn size(&self) -> i64 {
        let bytes = self.request_headers.len()
            + self.request_body.len()
            + self.response_headers.len()
            + self.response_body.len();
        i64::try_from(bytes).unwrap_or(i64::MAX)
    }

    /// The entry in the page format (see [`page`]), in one buffer of the exact size: the only
    /// allocation an exchange costs the log once it is captured, and the only thing the log
    /// writer has to free.
    pub fn encode(&self) -> Encoded {
        self.encode_with(None)
    }

    /// [`NewEntry::encode`], keeping the response body by reference when `response_body` is
    /// the text of `body` (borrowed from it, as capture borrows a body it keeps whole): it is
    /// then copied once, into its page, instead of into the entry first. A list page of 100
    /// users is 56 KiB. Otherwise the same as `encode`.
    pub fn encode_sharing(&self, body: &Bytes) -> Encoded {
        let same = self.response_body.as_ptr() == body.as_ptr()
            && self.response_body.len() == body.len()
            && u32::try_from(body.len()).is_ok();
        self.encode_with(same.then(|| body.clone()))
    }

    fn encode_with(&self, shared: Option<Bytes>) -> Encoded {
        let texts = [
            self.method,
            self.path,
            self.request_headers,
            self.request_body,
            self.response_headers,
            self.response_body,
            self.idp,
            self.idp_reason,
            self.resources,
            self.trace,
        ];
        let maybe_texts = [
            self.provider_id,
            self.query,
            self.client_addr,
            self.user_agent,
        ];
        let maybe_numbers = [
            self.request_truncated,
            self.response_truncated,
            self.replay_of,
        ];
        let length = 3 * 8 // at, status, duration_us
            + 2 // the two JSON flags
            + texts.iter().map(|t| 4 + t.len()).sum::<usize>()
            + maybe_texts.iter().map(|t| 1 + t.map_or(0, |t| 4 + t.len())).sum::<usize>()
            + maybe_numbers.iter().map(|n| 1 + n.map_or(0, |_| 8)).sum::<usize>()
            - shared.as_ref().map_or(0, Bytes::len);
        let mut bytes = Vec::with_capacity(length);
        let mut field = Field(&mut bytes);
        field.number(self.at);
        field.maybe_text(self.provider_id);
        field.text(self.method);
        field.text(self.path);
        field.maybe_text(self.query);
        field.text(self.request_headers);
        field.text(self.request_body);
        field.flag(self.request_json);
        field.maybe_number(self.request_truncated);
        field.number(self.status);
        field.text(self.response_headers);
        let shared_body = match shared {
            Some(body) => {
                field.length(&body);
                Some((field.0.len(), body))
            }
            None => {
                field.text(self.response_body);
                None
            }
        };
        field.flag(self.response_json);
        field.maybe_number(self.response_truncated);
        field.number(self.duration_us);
        field.maybe_text(self.client_addr);
        field.maybe_text(self.user_agent);
        field.text(self.idp);
        field.text(self.idp_reason);
        field.text(self.resources);
        field.text(self.trace);
        field.maybe_number(self.replay_of);
        debug_assert_eq!(bytes.len(), length);
        Encoded {
            at: self.at,
            size: self.size(),
            bytes,
            shared_body,
        }
    }
}

/// An entry in the page format without its `seq`, which it is given when written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    at: Millis,
    size: i64,
    bytes: Vec<u8>,
    /// The response body, when it is kept by reference: it belongs at this offset of `bytes`
    /// (after its length, which `bytes` holds).
    shared_body: Option<(usize, Bytes)>,
}

impl Encoded {
    /// Appends the entry in the page format.
    fn write_to(&self, out: &mut Vec<u8>) {
        match &self.shared_body {
            None => out.extend_from_slice(&self.bytes),
            Some((at, body)) => {
                out.extend_from_slice(&self.bytes[..*at]);
                out.extend_from_slice(body);
                out.extend_from_slice(&self.bytes[*at..]);
            }
        }
    }

    /// Bytes of headers and bodies: what the size retention counts.
    pub fn size(&self) -> i64 {
        self.size
    }
}

/// The log database's schema (it is attached as `log`; see `store::LogDatabase`): pages of
/// entries, one per write of the log writer, each holding its entries oldest first as
/// length-prefixed fields compressed with LZ4 (see [`page`]). Entries are numbered
/// consecutively across pages; the columns let a query skip pages by number and time.
pub(super) const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS log.scim_log_page (
    first_seq   INTEGER PRIMARY KEY,
    last_seq    INTEGER NOT NULL,
    first_at    INTEGER NOT NULL,
    last_at     INTEGER NOT NULL,
    entries     INTEGER NOT NULL,
    -- Bytes of the entries' headers and bodies before compression, for the size retention.
    bytes       INTEGER NOT NULL,
    data        BLOB NOT NULL
)";

/// Most entries per page (the log writer writes at most this many per transaction).
const PAGE_ENTRIES: usize = 512;

/// Most bytes of headers and bodies per page, so that reading one entry of a page of large
/// bodies (list responses of 64 KiB) never decompresses more than a few MiB.
const PAGE_BYTES: i64 = 4 * 1024 * 1024;

/// Pages read per query while listing.
const PAGES_PER_READ: i64 = 8;

fn corrupt(first_seq: i64, why: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("SCIM log page {first_seq} cannot be read: {why}"))
}

/// Entries numbered from `first_seq` as one page's data: each entry's `seq`, then its fields
/// in [`ScimLogRow`]'s order, numbers as 8 bytes little-endian, flags as a byte, text as a
/// 4-byte length and its bytes, absent values as a `0` byte (present: `1`, then the value);
/// the whole LZ4-compressed. Bodies go in as they are: no escaping, which for 64 KiB list
/// responses was most of the cost.
fn page(first_seq: i64, entries: &[Encoded]) -> Vec<u8> {
    // Both buffers stay with the thread (the store's writer) at the size of the largest page,
    // a few MiB: allocating, zeroing and faulting in 4 MiB per page of list responses cost more
    // than a tenth of what compressing them does.
    thread_local! {
        static SCRATCH: std::cell::RefCell<(Vec<u8>, Vec<u8>)> = std::cell::RefCell::default();
    }
    SCRATCH.with(|scratch| {
        let mut scratch = scratch.borrow_mut();
        let (plain, packed) = &mut *scratch;
        plain.clear();
        for (seq, entry) in (first_seq..).zip(entries) {
            Field(plain).number(seq);
            entry.write_to(plain);
        }
        let bound = lz4_flex::block::get_maximum_output_size(plain.len());
        if packed.len() < bound {
            packed.resize(bound, 0);
        }
        // The output has the maximum size the input can compress to, so this does not fail;
        // if it ever did, the crate's allocating encoder writes the same format.
        let Ok(length) = lz4_flex::block::compress_into(plain, packed) else {
            return lz4_flex::compress_prepend_size(plain);
        };
        // What `lz4_flex::compress_prepend_size` writes: the plain size, then the block.
        let plain_size = u32::try_from(plain.len()).unwrap_or(u32::MAX);
        let mut data = Vec::with_capacity(4 + length);
        data.extend_from_slice(&plain_size.to_le_bytes());
        data.extend_from_slice(&packed[..length]);
        data
    })
}

/// Appends the fields of an entry.
struct Field<'a>(&'a mut Vec<u8>);

impl Field<'_> {
    fn number(&mut self, n: i64) {
        self.0.extend_from_slice(&n.to_le_bytes());
    }
    fn flag(&mut self, b: bool) {
        self.0.push(u8::from(b));
    }
    fn text(&mut self, t: &str) {
        let length = self.length(t.as_bytes());
        self.0.extend_from_slice(&t.as_bytes()[..length]);
    }
    /// Writes the length of a text field (its bytes are written after it by the caller);
    /// returns how many bytes that is.
    fn length(&mut self, t: &[u8]) -> usize {
        // Bodies are cut at 64 KiB and headers are small: a length always fits.
        let length = u32::try_from(t.len()).unwrap_or(u32::MAX);
        self.0.extend_from_slice(&length.to_le_bytes());
        length as usize
    }
    fn maybe_number(&mut self, n: Option<i64>) {
        self.flag(n.is_some());
        if let Some(n) = n {
            self.number(n);
        }
    }
    fn maybe_text(&mut self, t: Option<&str>) {
        self.flag(t.is_some());
        if let Some(t) = t {
            self.text(t);
        }
    }
}

/// Reads the fields of entries back; `None` when the data ends early or is not UTF-8.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn number(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn flag(&mut self) -> Option<bool> {
        Some(self.take(1)?[0] != 0)
    }
    fn text(&mut self) -> Option<String> {
        let length = u32::from_le_bytes(self.take(4)?.try_into().ok()?) as usize;
        String::from_utf8(self.take(length)?.to_vec()).ok()
    }
    fn maybe_number(&mut self) -> Option<Option<i64>> {
        Some(if self.flag()? {
            Some(self.number()?)
        } else {
            None
        })
    }
    fn maybe_text(&mut self) -> Option<Option<String>> {
        Some(if self.flag()? {
            Some(self.text()?)
        } else {
            None
        })
    }
    fn row(&mut self) -> Option<ScimLogRow> {
        Some(ScimLogRow {
            seq: self.number()?,
            at: self.number()?,
            provider_id: self.maybe_text()?,
            method: self.text()?,
            path: self.text()?,
            query: self.maybe_text()?,
            request_headers: self.text()?,
            request_body: self.text()?,
            request_json: self.flag()?,
            request_truncated: self.maybe_number()?,
            status: self.number()?,
            response_headers: self.text()?,
            response_body: self.text()?,
            response_json: self.flag()?,
            response_truncated: self.maybe_number()?,
            duration_us: self.number()?,
            client_addr: self.maybe_text()?,
            user_agent: self.maybe_text()?,
            idp: self.text()?,
            idp_reason: self.text()?,
            resources: self.text()?,
            trace: self.text()?,
            replay_of: self.maybe_number()?,
        })
    }
}

/// A page's entries, oldest first.
fn decode(first_seq: i64, data: &[u8]) -> Result<Vec<ScimLogRow>, StoreError> {
    let bytes = lz4_flex::decompress_size_prepended(data).map_err(|e| corrupt(first_seq, e))?;
    let mut reader = Reader(&bytes);
    let mut rows = Vec::new();
    while !reader.0.is_empty() {
        rows.push(
            reader
                .row()
                .ok_or_else(|| corrupt(first_seq, "an entry ends early or is not UTF-8"))?,
        );
    }
    Ok(rows)
}

/// Writes `entries` as one page (or more, past [`PAGE_ENTRIES`] or [`PAGE_BYTES`]), numbering
/// them after the newest entry; returns the `seq` of the last (`0` for none). The first is
/// `last - entries.len() + 1`.
pub async fn insert(
    connection: &mut SqliteConnection,
    entries: &[Encoded],
) -> Result<i64, StoreError> {
    let mut last = newest_on(&mut *connection).await?;
    let (mut start, mut bytes) = (0, 0);
    for (i, entry) in entries.iter().enumerate() {
        if i > start && (i - start == PAGE_ENTRIES || bytes + entry.size > PAGE_BYTES) {
            write_page(&mut *connection, last + 1, &entries[start..i]).await?;
            last += (i - start) as i64;
            (start, bytes) = (i, 0);
        }
        bytes += entry.size;
    }
    if start < entries.len() {
        write_page(&mut *connection, last + 1, &entries[start..]).await?;
        last += (entries.len() - start) as i64;
    }
    Ok(last)
}

/// Writes `entries`, numbered from `first_seq`, as one page.
async fn write_page(
    connection: &mut SqliteConnection,
    first_seq: i64,
    entries: &[Encoded],
) -> Result<(), StoreError> {
    if entries.is_empty() {
        return Ok(());
    }
    let times = entries.iter().map(|e| e.at);
    sqlx::query(
        "INSERT INTO scim_log_page (first_seq, last_seq, first_at, last_at, entries, bytes, data)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(first_seq)
    .bind(first_seq + entries.len() as i64 - 1)
    .bind(times.clone().min())
    .bind(times.max())
    .bind(entries.len() as i64)
    .bind(entries.iter().map(|e| e.size).sum::<i64>())
    .bind(page(first_seq, entries))
    .execute(&mut *connection)
    .await?;
    Ok(())
}

async fn newest_on(connection: &mut SqliteConnection) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT COALESCE(MAX(last_seq), 0) FROM scim_log_page")
            .fetch_one(connection)
            .await?,
    )
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

impl ScimLogFilter {
    fn matches(&self, row: &ScimLogRow) -> bool {
        fn contains(haystack: &str, needle: &str) -> bool {
            haystack.to_lowercase().contains(&needle.to_lowercase())
        }
        self.provider_id
            .as_ref()
            .is_none_or(|p| row.provider_id.as_ref() == Some(p))
            && self
                .method
                .as_ref()
                .is_none_or(|m| row.method.eq_ignore_ascii_case(m))
            && match self.status {
                Some(StatusFilter::Exact(code)) => row.status == code,
                Some(StatusFilter::Class(class)) => row.status / 100 == class,
                None => true,
            }
            && self
                .path
                .as_ref()
                .is_none_or(|p| contains(&row.path, p) || contains(&row.resources, p))
            && self.idp.as_ref().is_none_or(|i| &row.idp == i)
            && self
                .text
                .as_ref()
                .is_none_or(|t| contains(&row.request_body, t) || contains(&row.response_body, t))
            && self.replay_of.is_none_or(|r| row.replay_of == Some(r))
            && self.since.is_none_or(|t| row.at >= t)
            && self.until.is_none_or(|t| row.at < t)
            && self.before.is_none_or(|s| row.seq < s)
            && self.after.is_none_or(|s| row.seq > s)
    }
}

/// Entries matching `filter`, newest first (oldest first when following, with `after`).
pub async fn list(db: &SqlitePool, filter: &ScimLogFilter) -> Result<Vec<ScimLogRow>, StoreError> {
    let oldest_first = filter.after.is_some();
    let mut found = Vec::new();
    // Pages are read a few at a time, from where the filter starts; the next read starts past
    // the last page read.
    let mut cursor: Option<i64> = None;
    while found.len() < filter.limit as usize {
        let pages = if oldest_first {
            sqlx::query(
                "SELECT first_seq, data FROM scim_log_page
                 WHERE last_seq > ? AND first_seq > ? AND (? IS NULL OR last_at >= ?)
                   AND (? IS NULL OR first_at < ?) AND (? IS NULL OR first_seq < ?)
                 ORDER BY first_seq ASC LIMIT ?",
            )
            .bind(filter.after.unwrap_or(0))
            .bind(cursor.unwrap_or(i64::MIN))
        } else {
            sqlx::query(
                "SELECT first_seq, data FROM scim_log_page
                 WHERE first_seq < ? AND first_seq < ? AND (? IS NULL OR last_at >= ?)
                   AND (? IS NULL OR first_at < ?) AND (? IS NULL OR first_seq < ?)
                 ORDER BY first_seq DESC LIMIT ?",
            )
            .bind(filter.before.unwrap_or(i64::MAX))
            .bind(cursor.unwrap_or(i64::MAX))
        }
        .bind(filter.since)
        .bind(filter.since)
        .bind(filter.until.map(|_| 0))
        .bind(filter.until.unwrap_or(i64::MAX))
        .bind(filter.before.map(|_| 0))
        .bind(filter.before.unwrap_or(i64::MAX))
        .bind(PAGES_PER_READ)
        .fetch_all(db)
        .await?;
        if pages.is_empty() {
            break;
        }
        for page in &pages {
            let first_seq: i64 = page.try_get("first_seq")?;
            let data: Vec<u8> = page.try_get("data")?;
            cursor = Some(first_seq);
            let mut rows = decode(first_seq, &data)?;
            if !oldest_first {
                rows.reverse();
            }
            for row in rows {
                if filter.matches(&row) {
                    found.push(row);
                    if found.len() == filter.limit as usize {
                        return Ok(found);
                    }
                }
            }
        }
    }
    Ok(found)
}

/// The newest entry's `seq` (`0` when the log is empty).
pub async fn newest_seq(db: &SqlitePool) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT COALESCE(MAX(last_seq), 0) FROM scim_log_page")
            .fetch_one(db)
            .await?,
    )
}

/// One entry.
pub async fn get(db: &SqlitePool, seq: i64) -> Result<Option<ScimLogRow>, StoreError> {
    let page = sqlx::query(
        "SELECT first_seq, data FROM scim_log_page WHERE first_seq <= ? AND last_seq >= ?",
    )
    .bind(seq)
    .bind(seq)
    .fetch_optional(db)
    .await?;
    let Some(page) = page else {
        return Ok(None);
    };
    let first_seq: i64 = page.try_get("first_seq")?;
    let data: Vec<u8> = page.try_get("data")?;
    Ok(decode(first_seq, &data)?.into_iter().find(|r| r.seq == seq))
}

/// The `seq` below which entries go: the oldest beyond the newest `keep_entries`, and beyond
/// the newest that together hold at most `keep_bytes` (the newest entry always stays); `None`
/// for an empty log. Reads page totals, and decompresses only the page where the cut falls.
pub async fn prune_below(
    db: &SqlitePool,
    keep_entries: u64,
    keep_bytes: u64,
) -> Result<Option<i64>, StoreError> {
    let keep_entries = i64::try_from(keep_entries).unwrap_or(i64::MAX).max(1);
    let keep_bytes = i64::try_from(keep_bytes).unwrap_or(i64::MAX);
    let pages: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT first_seq, last_seq, entries, bytes FROM scim_log_page ORDER BY first_seq DESC",
    )
    .fetch_all(db)
    .await?;
    let Some(newest) = pages.first().map(|p| p.1) else {
        return Ok(None);
    };
    let (mut entries, mut bytes) = (0i64, 0i64);
    for (first_seq, _, page_entries, page_bytes) in pages {
        if entries + page_entries <= keep_entries && bytes + page_bytes <= keep_bytes {
            entries += page_entries;
            bytes += page_bytes;
            continue;
        }
        // The cut falls in this page: walk it newest first.
        let data: Vec<u8> =
            sqlx::query_scalar("SELECT data FROM scim_log_page WHERE first_seq = ?")
                .bind(first_seq)
                .fetch_one(db)
                .await?;
        let mut below = first_seq;
        for row in decode(first_seq, &data)?.into_iter().rev() {
            if entries + 1 > keep_entries || bytes + row.size() > keep_bytes {
                below = row.seq + 1;
                break;
            }
            entries += 1;
            bytes += row.size();
        }
        return Ok(Some(below.min(newest)));
    }
    Ok(Some(pages_oldest(db).await?))
}

/// The oldest `seq` (nothing below it to delete).
async fn pages_oldest(db: &SqlitePool) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT COALESCE(MIN(first_seq), 0) FROM scim_log_page")
            .fetch_one(db)
            .await?,
    )
}

/// Deletes entries below `seq`: whole pages, at most about `at_most` entries of them, or, when
/// none is left whole, the older part of the page `seq` falls in. Returns how many went.
pub async fn delete_below(
    connection: &mut SqliteConnection,
    seq: i64,
    at_most: u32,
) -> Result<u64, StoreError> {
    let pages = i64::from(at_most).div_euclid(PAGE_ENTRIES as i64).max(1);
    let deleted: Vec<i64> = sqlx::query_scalar(
        "DELETE FROM scim_log_page WHERE first_seq IN (
             SELECT first_seq FROM scim_log_page WHERE last_seq < ? ORDER BY first_seq LIMIT ?
         ) RETURNING entries",
    )
    .bind(seq)
    .bind(pages)
    .fetch_all(&mut *connection)
    .await?;
    if !deleted.is_empty() {
        return Ok(deleted.iter().map(|n| u64::try_from(*n).unwrap_or(0)).sum());
    }
    let page: Option<(i64, Vec<u8>)> = sqlx::query_as(
        "SELECT first_seq, data FROM scim_log_page WHERE first_seq < ? AND last_seq >= ?",
    )
    .bind(seq)
    .bind(seq)
    .fetch_optional(&mut *connection)
    .await?;
    let Some((first_seq, data)) = page else {
        return Ok(0);
    };
    let (gone, kept): (Vec<ScimLogRow>, Vec<ScimLogRow>) = decode(first_seq, &data)?
        .into_iter()
        .partition(|r| r.seq < seq);
    sqlx::query("DELETE FROM scim_log_page WHERE first_seq = ?")
        .bind(first_seq)
        .execute(&mut *connection)
        .await?;
    if let Some(first_kept) = kept.first().map(|r| r.seq) {
        let kept: Vec<Encoded> = kept.iter().map(ScimLogRow::encode).collect();
        write_page(&mut *connection, first_kept, &kept).await?;
    }
    Ok(gone.len() as u64)
}

/// Moves the rows of the old one-row-per-exchange table into pages (run when the store opens);
/// returns how many moved.
pub async fn move_old_rows(connection: &mut SqliteConnection) -> Result<u64, StoreError> {
    const OLD: &str = "seq, at, provider_id, method, path, query, request_headers, request_body,
        request_json, request_truncated, status, response_headers, response_body, response_json,
        response_truncated, duration_us, client_addr, user_agent, idp, idp_reason, resources, trace,
        replay_of";
    let mut moved = 0;
    loop {
        let rows: Vec<ScimLogRow> = sqlx::query_as(&format!(
            "SELECT {OLD} FROM scim_log ORDER BY seq LIMIT {PAGE_ENTRIES}"
        ))
        .fetch_all(&mut *connection)
        .await?;
        let Some(last) = rows.last().map(|r| r.seq) else {
            return Ok(moved);
        };
        // Old numbers are kept (pages after them continue from the newest).
        for run in rows.chunk_by(|a, b| b.seq == a.seq + 1) {
            let entries: Vec<Encoded> = run.iter().map(ScimLogRow::encode).collect();
            write_page(&mut *connection, run[0].seq, &entries).await?;
        }
        sqlx::query("DELETE FROM scim_log WHERE seq <= ?")
            .bind(last)
            .execute(&mut *connection)
            .await?;
        moved += rows.len() as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seq: i64, text: &str, some: bool) -> ScimLogRow {
        let maybe = |t: &str| some.then(|| t.to_owned());
        ScimLogRow {
            seq,
            at: -seq,
            provider_id: maybe("p"),
            method: "PATCH".into(),
            path: format!("/api/scim/Users/{text}"),
            query: maybe("filter=userName eq \"ü\""),
            request_headers: "[]".into(),
            request_body: text.into(),
            request_json: some,
            request_truncated: some.then_some(70_000),
            status: 204,
            response_headers: String::new(),
            response_body: String::new(),
            response_json: !some,
            response_truncated: None,
            duration_us: i64::MAX,
            client_addr: maybe("127.0.0.1:1"),
            user_agent: None,
            idp: "entra_id".into(),
            idp_reason: "–".into(),
            resources: "[]".into(),
            trace: "[\"→\"]".into(),
            replay_of: some.then_some(seq - 1),
        }
    }

    #[test]
    fn pages_read_back_what_was_written() {
        let rows = vec![
            row(1, "", false),
            row(2, "{\"password\":\"[redacted]\"}\n\u{0}", true),
            row(3, &"ß".repeat(10_000), true),
        ];
        let entries: Vec<Encoded> = rows.iter().map(ScimLogRow::encode).collect();
        assert_eq!(decode(1, &page(1, &entries)).ok(), Some(rows));
        assert_eq!(decode(1, &page(1, &[])).ok(), Some(Vec::new()));
    }

    #[test]
    fn a_shared_response_body_reads_back_as_if_copied() {
        let mut rows = vec![row(1, "a", true), row(2, "b", false), row(3, "c", true)];
        rows[0].response_body = "{\"Resources\":[\"é\"]}".repeat(1_000);
        rows[2].response_body = "not the bytes given".into();
        let body = Bytes::from(rows[0].response_body.clone());
        let shared = |row: &ScimLogRow, body: &Bytes| {
            let mut entry = row.entry();
            // Borrowed from the shared bytes, as capture borrows a response body.
            let text = std::str::from_utf8(body).unwrap();
            if text == row.response_body {
                entry.response_body = text;
            }
            entry.encode_sharing(body)
        };
        let entries = vec![
            shared(&rows[0], &body),
            rows[1].encode(),
            shared(&rows[2], &body),
        ];
        assert!(entries[0].shared_body.is_some());
        // Text that is not borrowed from the bytes is copied, whatever they hold.
        assert!(entries[2].shared_body.is_none());
        assert_eq!(entries[2], rows[2].encode());
        assert_eq!(entries[0].size(), rows[0].entry().size());
        assert_eq!(decode(1, &page(1, &entries)).ok(), Some(rows));
    }

    #[test]
    fn damaged_pages_are_an_error_not_a_panic() {
        let data = page(1, &[row(1, "body", true).encode()]);
        assert!(decode(1, &data[..data.len() - 3]).is_err());
        let text = lz4_flex::compress_prepend_size(b"\x01\x00");
        assert!(matches!(decode(7, &text), Err(StoreError::Corrupt(_))));
    }
}
