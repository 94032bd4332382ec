//! Capture: a middleware on the SCIM listener that records every exchange — failed
//! authentication, malformed bodies and unknown paths included — redacts it, and hands it to
//! the log writer off the request path.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::{Body, HttpBody};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::BodyExt;
use tokio::sync::oneshot;

use super::body::{self, StoredBody};
use super::idp;
use super::redact::Redaction;
use crate::http::AppState;
use crate::http::io::{Decisions, Trace};
use crate::site::ProviderKind;
use crate::store::scim_log::ScimLogRow;

/// Filled by authentication when the credential names a provider: which one it was.
#[derive(Debug, Clone, Default)]
pub struct ProviderSlot(Arc<Mutex<Option<(String, ProviderKind)>>>);

impl ProviderSlot {
    pub fn set(&self, id: &str, kind: ProviderKind) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some((id.to_owned(), kind));
        }
    }

    fn get(&self) -> Option<(String, ProviderKind)> {
        self.0.lock().ok().and_then(|slot| slot.clone())
    }
}

/// Set on a replayed request by the replay endpoint (in-process only: nothing on the wire can
/// set a request extension): the exchange it re-sends, the provider it acts as, and who waits
/// for the new entry's `seq`.
#[derive(Debug, Clone)]
pub struct Replay {
    pub of: i64,
    /// The provider the request authenticates as; `None` sends the logged (redacted)
    /// `Authorization` header, which fails as the original did.
    pub provider_id: Option<String>,
    tell: Arc<Mutex<Option<oneshot::Sender<i64>>>>,
}

impl Replay {
    /// A replay of exchange `of`, and where its new entry's `seq` will arrive.
    pub fn new(of: i64, provider_id: Option<String>) -> (Replay, oneshot::Receiver<i64>) {
        let (tell, told) = oneshot::channel();
        let replay = Replay {
            of,
            provider_id,
            tell: Arc::new(Mutex::new(Some(tell))),
        };
        (replay, told)
    }

    fn take_tell(&self) -> Option<oneshot::Sender<i64>> {
        self.tell.lock().ok().and_then(|mut tell| tell.take())
    }
}

/// The middleware (see the module doc).
pub async fn capture(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let recorder = state.log.clone();
    if !recorder.is_on() {
        return next.run(request).await;
    }
    let started = Instant::now();
    let at = state.site.now();
    let (mut parts, body) = request.into_parts();
    let client = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.to_string());
    let replay = parts.extensions.get::<Replay>().cloned();
    let slot = ProviderSlot::default();
    parts.extensions.insert(slot.clone());
    // The handler reads the body as usual (its own size limit applies); what it reads is copied
    // here, up to the log's limit: (bytes copied, bytes read in all). A request without a body
    // (most GETs and DELETEs) is passed on as it is.
    let seen = Arc::new(Mutex::new((Vec::new(), 0usize)));
    let body = if body.is_end_stream() {
        body
    } else {
        let copy = seen.clone();
        let cap = recorder.body_limit() + 1;
        Body::new(body.map_frame(move |frame| {
            if let (Some(data), Ok(mut seen)) = (frame.data_ref(), copy.lock()) {
                let room = cap.saturating_sub(seen.0.len());
                seen.0.extend_from_slice(&data[..data.len().min(room)]);
                seen.1 += data.len();
            }
            frame
        }))
    };
    let method = parts.method.to_string();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().map(str::to_owned);
    // Written out (redacted) now rather than copied for later.
    let request_headers = headers_json(&parts.headers, recorder.redaction());
    let user_agent = header(&parts.headers, "user-agent");
    let response = next.run(Request::from_parts(parts, body)).await;

    let (mut response_parts, response_body) = response.into_parts();
    let response_bytes = match response_body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            tracing::warn!(error = %e, "could not read a SCIM response body for the log");
            axum::body::Bytes::new()
        }
    };
    let duration = started.elapsed();
    let (request_bytes, read) = seen
        .lock()
        .map(|mut s| std::mem::take(&mut *s))
        .unwrap_or_default();
    let unseen = read.saturating_sub(request_bytes.len());
    let redaction = recorder.redaction();
    let (request_body, request_json) =
        body::store_request(&request_bytes, unseen, recorder.body_limit(), redaction);
    let response_is_json =
        header(&response_parts.headers, "content-type").is_some_and(|t| t.contains("json"));
    let response_stored = body::store_own(&response_bytes, response_is_json, recorder.body_limit());
    let provider = slot.get();
    let guess = idp::guess(
        user_agent.as_deref(),
        provider.as_ref().map(|(_, kind)| *kind),
        request_json.as_ref(),
    );
    let mut trace: Vec<String> = Vec::new();
    if let Some(Trace(tolerances)) = response_parts.extensions.get::<Trace>() {
        trace.extend(
            tolerances
                .applied()
                .iter()
                .map(|a| format!("tolerance {}", a.rule.name())),
        );
    }
    let mut resources: Vec<String> = Vec::new();
    if let Some(Decisions(outcome)) = response_parts.extensions.remove::<Decisions>() {
        trace.extend(outcome.trace.steps().iter().cloned());
        resources.extend(outcome.changes.iter().filter_map(|c| c.target_id.clone()));
    }
    // A create names its resource in `Location`; other requests in their path.
    if let Some(id) = header(&response_parts.headers, "location")
        .as_deref()
        .and_then(path_id)
    {
        resources.push(id.to_owned());
    }
    if let Some(id) = path_id(&path) {
        resources.push(id.to_owned());
    }
    resources.sort();
    resources.dedup();
    let row = ScimLogRow {
        seq: 0,
        at,
        provider_id: provider.map(|(id, _)| id),
        method,
        path,
        query,
        request_headers,
        request_json: request_body.json,
        request_truncated: truncated(&request_body),
        request_body: request_body.text,
        status: i64::from(response_parts.status.as_u16()),
        response_headers: headers_json(&response_parts.headers, recorder.redaction()),
        response_json: response_stored.json,
        response_truncated: truncated(&response_stored),
        response_body: response_stored.text,
        duration_us: i64::try_from(duration.as_micros()).unwrap_or(i64::MAX),
        client_addr: client,
        user_agent,
        idp: guess.idp.as_str().to_owned(),
        idp_reason: guess.why,
        resources: json_list(&resources),
        trace: json_list(&trace),
        replay_of: replay.as_ref().map(|r| r.of),
    };
    recorder
        .record(row, replay.as_ref().and_then(Replay::take_tell))
        .await;
    Response::from_parts(response_parts, Body::from(response_bytes))
}

fn truncated(body: &StoredBody) -> Option<i64> {
    body.truncated_from
        .map(|n| i64::try_from(n).unwrap_or(i64::MAX))
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).map(|v| text(v).into_owned())
}

/// A header value as text (visible ASCII almost always; anything else read leniently).
fn text(value: &axum::http::HeaderValue) -> Cow<'_, str> {
    match value.to_str() {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(value.as_bytes()),
    }
}

/// `[[name, value], …]`, redacted; written straight out, this runs for every exchange.
fn headers_json(headers: &HeaderMap, redaction: &Redaction) -> String {
    let pairs: Vec<(&str, Cow<'_, str>)> = headers
        .iter()
        .map(|(name, value)| {
            let value = match text(value) {
                Cow::Borrowed(text) => redaction.header(name.as_str(), text),
                Cow::Owned(text) => Cow::Owned(redaction.header(name.as_str(), &text).into_owned()),
            };
            (name.as_str(), value)
        })
        .collect();
    json_list(&pairs)
}

/// A list as JSON text (strings and pairs of strings cannot fail to serialise).
fn json_list(items: &[impl serde::Serialize]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned())
}

/// The resource id in `/api/scim/Users/{id}` or `/api/scim/Groups/{id}`.
fn path_id(path: &str) -> Option<&str> {
    let mut segments = path.trim_end_matches('/').rsplit('/');
    let id = segments.next()?;
    let kind = segments.next()?;
    (matches!(kind, "Users" | "Groups") && !id.is_empty() && !id.starts_with('.')).then_some(id)
}
