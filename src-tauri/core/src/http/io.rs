//! Reading SCIM requests and writing SCIM responses: JSON bodies with a size limit and a media
//! type check, the base URL the client used, `application/scim+json` (or `application/json`
//! for clients that accept only that) with `ETag` and `Location`.

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use workbench_scim::{ScimError, Tolerances};

use super::AppState;
use super::error::ScimFailure;

pub const SCIM_JSON: &str = "application/scim+json";
const JSON: &str = "application/json";

/// A request body read as JSON (RFC 7644 §3.1: `application/scim+json` or `application/json`,
/// any parameters; a missing type is accepted as JSON).
#[derive(Debug)]
pub struct ScimBody(pub Value);

impl FromRequest<AppState> for ScimBody {
    type Rejection = ScimFailure;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let limit = state.config.body_limit;
        if let Some(kind) = request.headers().get(header::CONTENT_TYPE) {
            let kind = kind.to_str().unwrap_or_default();
            let essence = kind
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            let json = essence.is_empty()
                || essence == SCIM_JSON
                || essence == JSON
                || essence.ends_with("+json")
                || essence == "*/*";
            if !json {
                return Err(ScimError::UnsupportedMediaType(format!(
                    "Content-Type '{kind}' is not JSON; send {SCIM_JSON} (or {JSON})"
                ))
                .into());
            }
        }
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(too_large(declared.unwrap_or_default(), limit).into());
        }
        let bytes = axum::body::to_bytes(request.into_body(), limit)
            .await
            .map_err(|e| {
                let source = std::error::Error::source(&e);
                if source.is_some_and(|s| s.is::<http_body_util::LengthLimitError>()) {
                    ScimFailure(too_large(limit as u64 + 1, limit))
                } else {
                    ScimFailure(ScimError::InvalidSyntax(format!(
                        "the request body could not be read: {e}"
                    )))
                }
            })?;
        Ok(ScimBody(workbench_scim::json::parse_body(&bytes, limit)?))
    }
}

/// The `{id}` of a resource URL. An id that does not decode (percent-escapes that are not
/// UTF-8) names no resource: a SCIM `404`, not axum's plain-text `400`.
#[derive(Debug)]
pub struct ResourceId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ResourceId {
    type Rejection = ScimFailure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(id)) => Ok(ResourceId(id)),
            Err(rejection) => Err(ScimError::NotFound(format!(
                "{} not found: {}",
                parts.uri.path(),
                rejection.body_text()
            ))
            .into()),
        }
    }
}

fn too_large(size: u64, limit: usize) -> ScimError {
    ScimError::PayloadTooLarge(format!(
        "the request body is {} bytes; this server accepts at most {limit} bytes",
        if size > limit as u64 {
            format!("more than {limit}")
        } else {
            size.to_string()
        }
    ))
}

/// The SCIM base URL as the client addressed it (through a tunnel it is the public host), or
/// the configured public URL.
pub fn base_url(headers: &HeaderMap, state: &AppState) -> String {
    if let Some(url) = &state.config.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let first = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(',').next().unwrap_or_default().trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let proto = first("x-forwarded-proto")
        .filter(|p| p == "https" || p == "http")
        .unwrap_or_else(|| "http".into());
    let host = first("x-forwarded-host")
        .or_else(|| first(header::HOST.as_str()))
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .unwrap_or_else(|| state.config.scim_addr.clone());
    format!("{proto}://{host}{}", super::SCIM_PATH)
}

/// Whether the client accepts only `application/json` (then responses carry that type).
fn wants_plain_json(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let types: Vec<String> = accept
        .split(',')
        .map(|t| {
            t.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .collect();
    types.iter().any(|t| t == JSON)
        && !types
            .iter()
            .any(|t| t == SCIM_JSON || t == "*/*" || t == "application/*")
}

/// Middleware: every SCIM response (resources, lists, errors, fallbacks) is
/// `application/scim+json`, or `application/json` for a client that accepts only that
/// (RFC 7644 §3.1 / §8.1).
pub async fn negotiate_media_type(request: Request, next: Next) -> Response {
    let plain = wants_plain_json(request.headers());
    let mut response = next.run(request).await;
    let is_scim = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|kind| kind == SCIM_JSON);
    if plain && is_scim {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
    }
    response
}

/// A SCIM JSON response with `status` ([`negotiate_media_type`] picks the final type).
pub fn json_response(status: StatusCode, body: &impl Serialize) -> Response {
    let bytes = match serde_json::to_vec(body) {
        Ok(bytes) => bytes,
        Err(e) => {
            return ScimFailure(ScimError::Internal(format!(
                "cannot encode the response: {e}"
            )))
            .into_response();
        }
    };
    let mut response = (status, Body::from(bytes)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    response
}

/// A SCIM JSON response whose body is already serialised JSON.
pub fn json_text_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, Body::from(body)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    response
}

/// Adds `ETag` (and `Location`, for creations) to a resource response.
pub fn with_resource_headers(
    mut response: Response,
    etag: &str,
    location: Option<&str>,
) -> Response {
    if let Ok(value) = HeaderValue::from_str(etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    if let Some(location) = location.and_then(|l| HeaderValue::from_str(l).ok()) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// Which tolerances a request needed, carried on the response for the log (and listed in the
/// `SCIM-Workbench-Tolerances` header for people reading responses by hand).
#[derive(Debug, Clone, Default)]
pub struct Trace(pub Tolerances);

pub fn with_trace(mut response: Response, tolerances: Tolerances) -> Response {
    if !tolerances.is_empty() {
        let mut names: Vec<&str> = tolerances.applied().iter().map(|a| a.rule.name()).collect();
        names.sort_unstable();
        names.dedup();
        if let Ok(value) = HeaderValue::from_str(&names.join(", ")) {
            response
                .headers_mut()
                .insert("scim-workbench-tolerances", value);
        }
    }
    response.extensions_mut().insert(Trace(tolerances));
    response
}

/// What the provisioning rules decided for a request (trace and account changes), carried on
/// the response for the log.
#[derive(Debug, Clone, Default)]
pub struct Decisions(pub crate::site::Outcome);

pub fn with_outcome(mut response: Response, outcome: crate::site::Outcome) -> Response {
    response.extensions_mut().insert(Decisions(outcome));
    response
}

/// `If-Match` / `If-None-Match` as strings.
pub fn header_string(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}
