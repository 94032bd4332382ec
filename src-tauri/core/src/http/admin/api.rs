//! What every admin handler shares: errors as `{error, detail}` with a proper status, and JSON
//! body and query extractors whose rejections are such errors too.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::site::SiteError;

/// An admin API error: `{error, detail}` with a proper status.
pub fn error(status: StatusCode, error: &str, detail: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": error, "detail": detail })),
    )
        .into_response()
}

/// A failed admin request.
#[derive(Debug)]
pub struct ApiError(pub SiteError);

impl From<SiteError> for ApiError {
    fn from(e: SiteError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = match &self.0 {
            SiteError::Scim(_) | SiteError::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid"),
            SiteError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            SiteError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            SiteError::PreconditionFailed(_) => {
                (StatusCode::PRECONDITION_FAILED, "precondition_failed")
            }
            SiteError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            SiteError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            SiteError::Store(e) => {
                tracing::error!(error = %e, "store failure while serving an admin request");
                return error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the server could not complete the request; its log has the cause",
                );
            }
        };
        let detail = match &self.0 {
            SiteError::Scim(e) => e.detail(),
            other => other.to_string(),
        };
        error(status, code, &detail)
    }
}

pub type Answer<T> = Result<Json<T>, ApiError>;

/// A JSON response.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `Ok` wrapped for handlers: `ok(site_call.await)`.
pub fn ok<T>(result: Result<T, SiteError>) -> Answer<T> {
    result.map(Json).map_err(ApiError)
}

/// `204 No Content` for a change that returns nothing.
pub fn done(result: Result<(), SiteError>) -> Result<StatusCode, ApiError> {
    result.map(|()| StatusCode::NO_CONTENT).map_err(ApiError)
}

/// A JSON request body; anything unreadable is a `400` naming the problem.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|e| error(StatusCode::BAD_REQUEST, "invalid_body", &e.body_text()))?;
        let bytes = if bytes.iter().all(u8::is_ascii_whitespace) {
            &b"{}"[..]
        } else {
            &bytes[..]
        };
        serde_json::from_slice(bytes).map(Body).map_err(|e| {
            error(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                &format!("the request body is not what this endpoint takes: {e}"),
            )
        })
    }
}

/// Query parameters; unknown or malformed ones are a `400` naming the problem.
#[derive(Debug)]
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Params(q.0))
            .map_err(|e| error(StatusCode::BAD_REQUEST, "invalid_query", &e.body_text()))
    }
}
