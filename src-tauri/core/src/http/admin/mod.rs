//! The admin listener's JSON API (the UI's backend). Loopback only, and every request needs the
//! per-launch admin token and a loopback `Host` (so a web page elsewhere cannot reach it through
//! DNS rebinding) and, when the browser sends one, a loopback or Tauri `Origin`.

pub mod api;
pub mod configuration;
pub mod directory;
mod exports;
mod provisioning;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::json;
use subtle::ConstantTimeEq;

use super::AppState;
pub use api::error;
use configuration as config;
use directory as dir;
use provisioning as prov;

/// The admin API (README.md has the table).
pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/admin/api/health", get(health))
        .route(
            "/admin/api/settings",
            get(config::get_settings).patch(config::update_settings),
        )
        .route(
            "/admin/api/providers",
            get(config::list_providers).post(config::create_provider),
        )
        .route(
            "/admin/api/providers/{id}",
            get(config::provider)
                .patch(config::update_provider)
                .delete(config::delete_provider),
        )
        .route(
            "/admin/api/providers/{id}/tokens",
            post(config::issue_token),
        )
        .route("/admin/api/providers/{id}/basic", post(config::reset_basic))
        .route(
            "/admin/api/providers/{id}/credentials/{credential}/extend",
            post(config::extend_credential),
        )
        .route(
            "/admin/api/providers/{id}/credentials/{credential}/revoke",
            post(config::revoke_credential),
        )
        .route(
            "/admin/api/users",
            get(dir::list_users).post(dir::create_user),
        )
        .route(
            "/admin/api/users/{id}",
            get(dir::user)
                .patch(dir::edit_user)
                .delete(dir::delete_user),
        )
        .route("/admin/api/users/{id}/enable", post(dir::enable_user))
        .route("/admin/api/users/{id}/disable", post(dir::disable_user))
        .route("/admin/api/users/{id}/associate", post(dir::associate_user))
        .route(
            "/admin/api/groups",
            get(dir::list_groups).post(dir::create_group),
        )
        .route(
            "/admin/api/groups/{id}",
            get(dir::group)
                .patch(dir::edit_group)
                .delete(dir::delete_group),
        )
        .route(
            "/admin/api/groups/{id}/members/{user}",
            put(dir::add_member).delete(dir::remove_member),
        )
        .route(
            "/admin/api/groups/{id}/admins/{user}",
            put(dir::grant_admin).delete(dir::revoke_admin),
        )
        .route(
            "/admin/api/lifecycle-rules",
            get(config::list_rules).post(config::create_rule),
        )
        .route("/admin/api/lifecycle-rules/run", post(config::run_rules))
        .route(
            "/admin/api/lifecycle-rules/{id}",
            get(config::rule)
                .patch(config::update_rule)
                .delete(config::delete_rule),
        )
        .route(
            "/admin/api/lifecycle-rules/{id}/run",
            post(config::run_rule),
        )
        .route("/admin/api/dry-run", post(prov::dry_run))
        .route("/admin/api/sign-in", post(prov::sign_in))
        .route("/admin/api/history", get(prov::history))
        .route("/admin/api/scim-log", get(prov::scim_log))
        .route("/admin/api/scim-log/{seq}", get(prov::scim_log_entry))
        .route(
            "/admin/api/scim-log/{seq}/replay",
            post(super::replay::replay),
        )
        .route("/admin/api/exports/{file}", get(exports::export))
        .route("/admin/api/events", get(super::events::events))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state, guard))
}

async fn method_not_allowed() -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this admin API endpoint does not take that method",
    )
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
