//! `POST /admin/api/scim-log/{seq}/replay`: re-sends a logged request — same method, path,
//! query, headers and body — through the SCIM listener's own router, as the same provider, and
//! answers with the new exchange, which the log links to the original (`replay_of`). The
//! quickest way to reproduce what an IdP did.
//!
//! The log keeps no secrets, so the replay cannot present the original credential: it acts as
//! the logged provider directly (an in-process request extension nothing on the wire can set).
//! An exchange that failed authentication has no provider and is re-sent with its logged,
//! redacted `Authorization` header, so it fails again — unless the caller names a provider.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderName, HeaderValue, Method, Request, StatusCode};
use serde::Deserialize;
use tower_service::Service;

use super::AppState;
use super::admin::api::{ApiError, Body as JsonBody, Json};
use crate::logs::capture::Replay;
use crate::site::scim_log::{self, ScimLogEntry};
use crate::site::{SiteError, providers};

/// Headers not re-sent: the transport's own, and the credential (the replay acts as the
/// provider instead).
const NOT_RESENT: [&str; 6] = [
    "content-length",
    "transfer-encoding",
    "connection",
    "cookie",
    "authorization",
    "scim-workbench-replay-of",
];

/// How long the new entry may take to be written (the log writes every 100 ms).
const WRITTEN_WITHIN: Duration = Duration::from_secs(10);

/// How to replay.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct ReplayRequest {
    /// Act as this SSO provider instead of the logged one (needed to replay an exchange that
    /// failed authentication and had none).
    #[serde(default)]
    pub provider_id: Option<String>,
}

pub async fn replay(
    State(app): State<AppState>,
    Path(seq): Path<String>,
    JsonBody(request): JsonBody<ReplayRequest>,
) -> Result<(StatusCode, Json<ScimLogEntry>), ApiError> {
    let original = scim_log::get(&app.site, &seq).await?;
    if !app.log.is_on() {
        return Err(SiteError::Conflict(
            "the SCIM log is off (serve --no-scim-log), so a replay could not be recorded".into(),
        )
        .into());
    }
    if let Some(size) = original.request_body.truncated_from {
        return Err(SiteError::Conflict(format!(
            "the logged request body was cut (it had {size} bytes), so a replay would send a \
             different request"
        ))
        .into());
    }
    let provider_id = match request.provider_id {
        Some(id) => Some(providers::get(&app.site, &id).await?.id),
        None => original.provider_id.clone(),
    };
    let of: i64 = original
        .seq
        .parse()
        .map_err(|_| SiteError::NotFound(format!("no SCIM log entry {}", original.seq)))?;
    let mut resent = build(&original, provider_id.is_some())?;
    let (marker, written) = Replay::new(of, provider_id);
    resent.extensions_mut().insert(marker);
    let answered = super::scim_router(app.clone()).call(resent).await;
    let status = match &answered {
        Ok(response) => response.status().as_u16(),
        Err(never) => match *never {},
    };
    // The response was read whole by the log's capture before it came back here.
    drop(answered);
    let seq = tokio::time::timeout(WRITTEN_WITHIN, written)
        .await
        .ok()
        .and_then(Result::ok)
        .ok_or_else(|| {
            SiteError::Conflict(format!(
                "the replay was answered {status} but its log entry was not written (the \
                 server is stopping?)"
            ))
        })?;
    let entry = scim_log::get(&app.site, &seq.to_string()).await?;
    Ok((StatusCode::CREATED, Json(entry)))
}

/// The logged request as a request again, without its credential when the replay acts as a
/// provider.
fn build(original: &ScimLogEntry, as_provider: bool) -> Result<Request<Body>, SiteError> {
    let invalid = |what: &str| {
        SiteError::Invalid(format!(
            "the logged request cannot be sent again: its {what} is not valid HTTP"
        ))
    };
    let method = Method::from_bytes(original.method.as_bytes()).map_err(|_| invalid("method"))?;
    let uri = match &original.query {
        Some(query) => format!("{}?{query}", original.path),
        None => original.path.clone(),
    };
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .body(Body::from(original.request_body.text.clone()))
        .map_err(|_| invalid("path"))?;
    let headers = request.headers_mut();
    for logged in &original.request_headers {
        let name = logged.name.to_ascii_lowercase();
        if NOT_RESENT.contains(&name.as_str()) && (name != "authorization" || as_provider) {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&logged.value),
        ) {
            headers.append(name, value);
        }
    }
    headers.insert(
        HeaderName::from_static("scim-workbench-replay-of"),
        HeaderValue::from_str(&original.seq).map_err(|_| invalid("seq"))?,
    );
    Ok(request)
}
