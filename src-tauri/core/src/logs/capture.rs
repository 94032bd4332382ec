//! Capture: a middleware on the SCIM listener that records every exchange — failed
//! authentication, malformed bodies and unknown paths included — redacts it, and hands it to
//! the log writer off the request path.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::{Body, HttpBody};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{CONTENT_TYPE, LOCATION, USER_AGENT};
use axum::http::{HeaderMap, HeaderValue};
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
use crate::store::scim_log::NewEntry;

/// Filled by authentication when the credential names a provider: which one it was.
#[derive(Debug, Clone, Default)]
pub struct ProviderSlot(Arc<Mutex<Option<(String, ProviderKind)>>>);

impl ProviderSlot {
    pub fn set(&self, id: &str, kind: ProviderKind) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some((id.to_owned(), kind));
        }
    }

    fn take(&self) -> Option<(String, ProviderKind)> {
        self.0.lock().ok().and_then(|mut slot| slot.take())
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

/// The middleware (see the module doc). It runs for every SCIM request, so it copies little:
/// the request line and `User-Agent` are kept by reference, the response body is borrowed, and
/// the entry is encoded straight into the one buffer the log writer receives.
pub async fn capture(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let recorder = &state.log;
    if !recorder.is_on() {
        return next.run(request).await;
    }
    let started = Instant::now();
    let at = state.site.now();
    let (mut parts, body) = request.into_parts();
    let client = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let replay = parts.extensions.get::<Replay>().cloned();
    let slot = ProviderSlot::default();
    parts.extensions.insert(slot.clone());
    // The handler reads the body as usual (its own size limit applies); what it reads is copied
    // here, up to the log's limit: (bytes copied, bytes read in all). A request without a body
    // (most GETs and DELETEs) is passed on as it is.
    let seen = (!body.is_end_stream()).then(|| Arc::new(Mutex::new((Vec::new(), 0usize))));
    let body = if let Some(seen) = &seen {
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
    } else {
        body
    };
    // Shared, not copied: both hold their bytes by reference count.
    let method = parts.method.clone();
    let uri = parts.uri.clone();
    let user_agent = parts.headers.get(USER_AGENT).cloned();
    // Written out (redacted) now rather than copied for later.
    let request_headers = headers_json(&parts.headers, recorder.redaction());
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
        .and_then(|seen| seen.lock().ok().map(|mut s| std::mem::take(&mut *s)))
        .unwrap_or_default();
    let unseen = read.saturating_sub(request_bytes.len());
    let redaction = recorder.redaction();
    let (request_body, request_json) =
        body::store_request(&request_bytes, unseen, recorder.body_limit(), redaction);
    let response_is_json = response_parts
        .headers
        .get(CONTENT_TYPE)
        .is_some_and(|t| text(t).contains("json"));
    let response_stored = body::store_own(&response_bytes, response_is_json, recorder.body_limit());
    let provider = slot.take();
    let user_agent = user_agent.as_ref().map(text);
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
    let mut resources: Vec<&str> = Vec::new();
    let decisions = response_parts.extensions.remove::<Decisions>();
    if let Some(Decisions(outcome)) = &decisions {
        trace.extend(outcome.trace.steps().iter().cloned());
        resources.extend(
            outcome
                .changes
                .iter()
                .filter_map(|c| c.target_id.as_deref()),
        );
    }
    // A create names its resource in `Location`; other requests in their path.
    let location = response_parts.headers.get(LOCATION).map(text);
    resources.extend(location.as_deref().and_then(path_id));
    resources.extend(path_id(uri.path()));
    resources.sort_unstable();
    resources.dedup();
    let client = client.map(address);
    let response_headers = headers_json(&response_parts.headers, redaction);
    let entry = NewEntry {
        at,
        provider_id: provider.as_ref().map(|(id, _)| id.as_str()),
        method: method.as_str(),
        path: uri.path(),
        query: uri.query(),
        request_headers: &request_headers,
        request_body: &request_body.text,
        request_json: request_body.json,
        request_truncated: truncated(&request_body),
        status: i64::from(response_parts.status.as_u16()),
        response_headers: &response_headers,
        response_body: &response_stored.text,
        response_json: response_stored.json,
        response_truncated: truncated(&response_stored),
        duration_us: i64::try_from(duration.as_micros()).unwrap_or(i64::MAX),
        client_addr: client.as_deref(),
        user_agent: user_agent.as_deref(),
        idp: guess.idp.as_str(),
        idp_reason: &guess.why,
        resources: &json_list(&resources),
        trace: &json_list(&trace),
        replay_of: replay.as_ref().map(|r| r.of),
    }
    .encode_sharing(&response_bytes);
    drop(response_stored);
    recorder
        .record(entry, replay.as_ref().and_then(Replay::take_tell))
        .await;
    Response::from_parts(response_parts, Body::from(response_bytes))
}

fn truncated(body: &StoredBody) -> Option<i64> {
    body.truncated_from
        .map(|n| i64::try_from(n).unwrap_or(i64::MAX))
}

/// A header value as text (visible ASCII almost always; anything else read leniently, invalid
/// UTF-8 as U+FFFD). Not `HeaderValue::to_str`, which checks byte by byte for visible ASCII:
/// the UTF-8 check runs many bytes at a time, and JSON escaping takes care of the rest.
fn text(value: &HeaderValue) -> Cow<'_, str> {
    String::from_utf8_lossy(value.as_bytes())
}

/// `[["name","value"],…]`, redacted, written straight out: this runs twice per exchange.
fn headers_json(headers: &HeaderMap, redaction: &Redaction) -> String {
    // Room for every name and value with their quotes, brackets and commas; a redacted
    // credential is longer than most, hence the slack.
    let room = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 8)
        .sum::<usize>();
    let mut out = String::with_capacity(room + 64);
    out.push('[');
    for (i, (name, value)) in headers.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        // A header name is a token (RFC 9110): nothing in it needs escaping.
        out.push_str("[\"");
        out.push_str(name.as_str());
        out.push_str("\",");
        redaction.header(name.as_str(), &text(value), |value| {
            push_json_string(&mut out, value);
        });
        out.push(']');
    }
    out.push(']');
    out
}

/// Whether a byte must be escaped in a JSON string.
fn needs_escape(b: u8) -> bool {
    b == b'"' || b == b'\\' || b < b' '
}

/// Appends `text` as a JSON string.
fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    // Header values and ids almost never need escaping: one pass over all the bytes (without
    // an early exit, so that it runs many bytes at a time) decides, and they go in whole.
    if !text.bytes().fold(false, |any, b| any | needs_escape(b)) {
        out.push_str(text);
        out.push('"');
        return;
    }
    let mut rest = text;
    // Bytes, not chars: what needs escaping is ASCII, and never inside a multi-byte char.
    while let Some(at) = rest.bytes().position(needs_escape) {
        out.push_str(&rest[..at]);
        let c = rest[at..].chars().next().unwrap_or(' ');
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
        }
        rest = &rest[at + c.len_utf8()..];
    }
    out.push_str(rest);
    out.push('"');
}

/// A list as JSON text (strings cannot fail to serialise).
fn json_list(items: &[impl AsRef<str>]) -> Cow<'static, str> {
    if items.is_empty() {
        return Cow::Borrowed("[]");
    }
    let room = items.iter().map(|i| i.as_ref().len() + 3).sum::<usize>();
    let mut out = String::with_capacity(room + 2);
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_string(&mut out, item.as_ref());
    }
    out.push(']');
    Cow::Owned(out)
}

/// A client's address as text: `Display` for IPv6, written out for IPv4 (every exchange
/// through a tunnel comes from a loopback IPv4 address), without the formatting machinery.
fn address(address: SocketAddr) -> String {
    let SocketAddr::V4(v4) = address else {
        return address.to_string();
    };
    let mut out = String::with_capacity(21);
    for (i, octet) in v4.ip().octets().into_iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        push_decimal(&mut out, u32::from(octet));
    }
    out.push(':');
    push_decimal(&mut out, u32::from(v4.port()));
    out
}

fn push_decimal(out: &mut String, mut n: u32) {
    let mut digits = [b'0'; 10];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + u8::try_from(n % 10).unwrap_or(0);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    digits[at..].iter().for_each(|&d| out.push(char::from(d)));
}

/// The resource id in `/api/scim/Users/{id}` or `/api/scim/Groups/{id}`.
fn path_id(path: &str) -> Option<&str> {
    let mut segments = path.trim_end_matches('/').rsplit('/');
    let id = segments.next()?;
    let kind = segments.next()?;
    (matches!(kind, "Users" | "Groups") && !id.is_empty() && !id.starts_with('.')).then_some(id)
}

#[cfg(test)]
mod tests {
    use axum::http::header::AUTHORIZATION;

    use super::*;

    #[test]
    fn json_strings_escape_what_json_needs() {
        for text in [
            "",
            "plain",
            "a \"quote\"",
            "back\\slash",
            "nl\n cr\r tab\t nul\0 unit\u{1f} del\u{7f}",
            "ü → 😀",
        ] {
            let mut out = String::new();
            push_json_string(&mut out, text);
            assert_eq!(serde_json::from_str::<String>(&out).unwrap(), text, "{out}");
        }
        assert_eq!(json_list(&["a\"b", "c"]), r#"["a\"b","c"]"#);
        assert_eq!(json_list(&[] as &[&str]), "[]");
    }

    #[test]
    fn client_addresses_read_as_display_writes_them() {
        for text in [
            "127.0.0.1:8080",
            "0.0.0.0:0",
            "255.255.255.255:65535",
            "10.20.3.4:50001",
            "[::1]:443",
            "[fe80::1%2]:9",
        ] {
            let parsed: SocketAddr = text.parse().unwrap();
            assert_eq!(address(parsed), parsed.to_string());
        }
    }

    #[test]
    fn headers_are_pairs_in_order_with_secrets_redacted() {
        let mut headers = HeaderMap::new();
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_static("Bearer scimwb_secret"),
        );
        headers.insert("x-odd", HeaderValue::from_bytes(b"a\"b\\c\td").unwrap());
        headers.append("x-many", HeaderValue::from_static("1"));
        headers.append("x-many", HeaderValue::from_static("2"));
        headers.insert("x-latin", HeaderValue::from_bytes(b"caf\xe9").unwrap());
        let json = headers_json(&headers, &Redaction::default());
        let pairs: Vec<(String, String)> = serde_json::from_str(&json).unwrap();
        let names: Vec<&str> = pairs.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["authorization", "x-odd", "x-many", "x-many", "x-latin"]
        );
        assert!(
            pairs[0].1.starts_with("Bearer [redacted] (sha256 "),
            "{json}"
        );
        assert!(!json.contains("scimwb_secret"));
        assert_eq!(pairs[1].1, "a\"b\\c\td");
        assert_eq!((pairs[2].1.as_str(), pairs[3].1.as_str()), ("1", "2"));
        assert_eq!(pairs[4].1, "caf\u{fffd}");
        assert_eq!(headers_json(&HeaderMap::new(), &Redaction::default()), "[]");
    }
}
