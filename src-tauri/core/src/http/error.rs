//! SCIM errors as HTTP responses: the RFC 7644 §3.12 body, `application/scim+json`, and the
//! status the error catalog gives.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use workbench_scim::ScimError;

use crate::site::SiteError;

/// A failed SCIM request, ready to answer.
#[derive(Debug)]
pub struct ScimFailure(pub ScimError);

impl From<ScimError> for ScimFailure {
    fn from(error: ScimError) -> Self {
        ScimFailure(error)
    }
}

impl From<SiteError> for ScimFailure {
    fn from(error: SiteError) -> Self {
        ScimFailure(error.into_scim())
    }
}

impl IntoResponse for ScimFailure {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self.0.to_response()).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(super::io::SCIM_JSON),
        );
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(
                    "Bearer realm=\"SCIM Workbench\", Basic realm=\"SCIM Workbench\"",
                ),
            );
        }
        response.extensions_mut().insert(self.0);
        response
    }
}
