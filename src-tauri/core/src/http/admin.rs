//! The admin listener's JSON API (the UI's backend). Loopback only, and every request needs the
//! per-launch admin token and a loopback `Host` (so a web page elsewhere cannot reach it through
//! DNS rebinding) and, when the browser sends one, a loopback or Tauri `Origin`.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use subtle::ConstantTimeEq;

use super::AppState;

pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/admin/api/health", get(health))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state, guard))
}

/// An admin API error: `{error, detail}` with a proper status.
pub fn error(status: StatusCode, error: &str, detail: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": error, "detail": detail })),
    )
        .into_response()
}

async fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such admin API endpoint",
    )
}

fn is_loopback_host(host: &str) -> bool {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    };
    matches!(name, "127.0.0.1" | "localhost" | "[::1]")
}

fn origin_allowed(origin: &str) -> bool {
    if origin == "tauri://localhost" || origin == "http://tauri.localhost" {
        return true;
    }
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(is_loopback_host)
}

async fn guard(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let headers: &HeaderMap = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    if !is_loopback_host(host) {
        return error(
            StatusCode::FORBIDDEN,
            "forbidden_host",
            "the admin API answers only to a loopback Host",
        );
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok())
        && !origin_allowed(origin)
    {
        return error(
            StatusCode::FORBIDDEN,
            "forbidden_origin",
            "requests from this web origin are not allowed",
        );
    }
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let expected = app.config.admin_token.as_bytes();
    if presented.is_empty() || !bool::from(presented.as_bytes().ct_eq(expected)) {
        return error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send 'Authorization: Bearer <admin token>'; the token is printed when the server starts",
        );
    }
    next.run(request).await
}

async fn health(State(app): State<AppState>) -> Response {
    axum::Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "database": app.site.store().location().to_string(),
        "scim_addr": app.config.scim_addr,
    }))
    .into_response()
}
