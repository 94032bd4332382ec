//! `GET /admin/api/exports/{scim-log,history}.{json,ndjson}`: a log's entries matching the
//! list's filters, newest first, as a download. The body is streamed a page at a time, so the
//! whole retained log exports in constant memory.

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use serde::de::DeserializeOwned;

use super::api::{ApiError, error};
use crate::http::AppState;
use crate::site::Site;
use crate::site::log_export::Export;
use crate::site::render::rfc3339;

/// The files on offer.
const FILES: &str = "scim-log.json, scim-log.ndjson, history.json, history.ndjson";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// One JSON array.
    Json,
    /// One JSON object per line.
    Ndjson,
}

impl Format {
    fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Ndjson => "application/x-ndjson",
        }
    }
}

pub async fn export(State(app): State<AppState>, Path(file): Path<String>, uri: Uri) -> Response {
    let (log, format) = match file.rsplit_once('.') {
        Some((log, "json")) => (log, Format::Json),
        Some((log, "ndjson")) => (log, Format::Ndjson),
        _ => return unknown(&file),
    };
    let export = match log {
        "scim-log" => query(&uri).map(|q| Export::scim_log(q).map_err(ApiError)),
        "history" => query(&uri).map(|q| Export::history(q).map_err(ApiError)),
        _ => return unknown(&file),
    };
    let mut export = match export {
        Ok(Ok(export)) => export,
        Ok(Err(e)) => return e.into_response(),
        Err(why) => return error(StatusCode::BAD_REQUEST, "invalid_query", &why),
    };
    // The first page is read before the response starts, so that a store failure is an error
    // status rather than a cut-off file.
    let first = match export.next_page(&app.site).await {
        Ok(page) => page,
        Err(e) => return ApiError(e).into_response(),
    };
    let stamp: String = rfc3339(app.site.now())
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let extension = match format {
        Format::Json => "json",
        Format::Ndjson => "ndjson",
    };
    (
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{log}-{stamp}.{extension}\""),
            ),
        ],
        Body::from_stream(body(app.site.clone(), export, first, format)),
    )
        .into_response()
}

fn unknown(file: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        &format!("there is no export \"{file}\"; the exports are {FILES}"),
    )
}

/// The list's query parameters; why not, for the list's `400`.
fn query<T: DeserializeOwned>(uri: &Uri) -> Result<T, String> {
    Query::<T>::try_from_uri(uri)
        .map(|q| q.0)
        .map_err(|e| e.body_text())
}

/// Where the body is.
#[derive(Debug)]
struct Progress {
    site: Site,
    export: Export,
    /// A page read but not yet written.
    page: Option<Vec<String>>,
    format: Format,
    /// Nothing written yet (the JSON array is not open).
    started: bool,
    finished: bool,
}

/// The body, a page per chunk: `[`, entries separated by commas, `]` for JSON; one entry per
/// line for NDJSON. A store failure part-way ends the body early (and is logged), leaving a
/// JSON array unclosed, so the file cannot be mistaken for a complete one.
fn body(
    site: Site,
    export: Export,
    first: Option<Vec<String>>,
    format: Format,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    let progress = Progress {
        site,
        export,
        page: first,
        format,
        started: false,
        finished: false,
    };
    stream::unfold(progress, |mut p| async move {
        if p.finished {
            return None;
        }
        let page = match p.page.take() {
            Some(page) => Some(page),
            None if !p.started => None,
            None => match p.export.next_page(&p.site).await {
                Ok(page) => page,
                Err(e) => {
                    tracing::error!(error = %e, "a log export failed part-way");
                    p.finished = true;
                    return Some((Err(std::io::Error::other(e.to_string())), p));
                }
            },
        };
        let mut chunk = String::new();
        match (p.format, page) {
            (Format::Json, Some(lines)) => {
                chunk.push_str(if p.started { ",\n" } else { "[\n" });
                chunk.push_str(&lines.join(",\n"));
            }
            (Format::Json, None) => {
                chunk.push_str(if p.started { "\n]\n" } else { "[]\n" });
                p.finished = true;
            }
            (Format::Ndjson, Some(lines)) => {
                for line in lines {
                    chunk.push_str(&line);
                    chunk.push('\n');
                }
            }
            (Format::Ndjson, None) => p.finished = true,
        }
        p.started = true;
        Some((Ok(Bytes::from(chunk)), p))
    })
}
