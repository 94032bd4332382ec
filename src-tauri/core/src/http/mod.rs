//! HTTP: the SCIM listener (what the IdP talks to, under [`SCIM_PATH`]) and the admin listener
//! (the UI's API). `scim_router(state)` / `admin_router(state)` build the apps; [`serve`] runs
//! one on a listener until the shutdown future completes, letting requests in flight finish.

pub mod admin;
pub mod auth;
pub mod dry_run;
mod endpoint;
pub mod error;
pub mod events;
pub mod io;
pub mod replay;
pub mod scim;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;
use workbench_scim::discovery::{AuthenticationScheme, ServiceProviderConfig};

use crate::site::Site;
use crate::site::listing::MAX_PAGE_SIZE;

/// Where the SCIM API lives on the SCIM listener.
pub const SCIM_PATH: &str = "/api/scim";

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct Config {
    /// The largest request body accepted, in bytes.
    pub body_limit: usize,
    /// The admin API's bearer token (per launch).
    pub admin_token: String,
    /// The SCIM base URL to put in `meta.location` instead of the one requests arrive on.
    pub public_url: Option<String>,
    /// The SCIM listener's address, for base URLs of requests without a `Host`.
    pub scim_addr: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            body_limit: workbench_scim::json::DEFAULT_MAX_BODY,
            admin_token: crate::secrets::hex(&crate::secrets::random_bytes::<16>()),
            public_url: None,
            scim_addr: "127.0.0.1:8787".into(),
        }
    }
}

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub site: Site,
    pub config: Arc<Config>,
    /// Where the SCIM listener's exchanges go ([`crate::logs`]); off unless the server
    /// started a log writer.
    pub log: crate::logs::Recorder,
    /// Set once the server is stopping: endless responses (the live stream) end on it, so that
    /// a graceful shutdown does not wait for them forever.
    stopping: tokio::sync::watch::Sender<bool>,
}

impl AppState {
    pub fn new(site: Site, config: Config) -> Self {
        AppState {
            site,
            config: Arc::new(config),
            log: crate::logs::Recorder::off(),
            stopping: tokio::sync::watch::Sender::new(false),
        }
    }

    /// Tells every listener and live stream of this state to stop.
    pub fn stop(&self) {
        self.stopping.send_replace(true);
    }

    /// Completes once [`AppState::stop`] has been called.
    pub fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut stopping = self.stopping.subscribe();
        async move {
            // The sender lives in this state, which outlives its listeners.
            let _ = stopping.wait_for(|stop| *stop).await;
        }
    }

    /// The same state, logging SCIM exchanges to `recorder`.
    pub fn with_log(self, recorder: crate::logs::Recorder) -> Self {
        AppState {
            log: recorder,
            ..self
        }
    }

    /// The SCIM base URL resources are addressed under outside a SCIM request (the admin API's
    /// SCIM views, dry runs): the public URL if one is set, else the SCIM listener's.
    pub fn scim_base_url(&self) -> String {
        match &self.config.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}{SCIM_PATH}", self.config.scim_addr),
        }
    }

    /// `/ServiceProviderConfig`: what this server supports.
    pub fn service_provider_config(&self) -> ServiceProviderConfig {
        ServiceProviderConfig {
            documentation_uri: None,
            patch: true,
            bulk: None,
            filter_max_results: MAX_PAGE_SIZE,
            change_password: false,
            sort: true,
            etag: true,
            authentication_schemes: vec![
                AuthenticationScheme::bearer_token(true),
                AuthenticationScheme::http_basic(false),
            ],
        }
    }
}

/// The SCIM listener's app.
pub fn scim_router(state: AppState) -> Router {
    Router::new()
        .nest(SCIM_PATH, scim::routes())
        .fallback(scim_not_found)
        .layer(axum::middleware::from_fn(io::negotiate_media_type))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::logs::capture::capture,
        ))
        .with_state(state)
}

async fn scim_not_found(uri: axum::http::Uri) -> error::ScimFailure {
    error::ScimFailure(workbench_scim::ScimError::NotFound(format!(
        "{} is not a SCIM endpoint; the SCIM base URL is {SCIM_PATH}",
        uri.path()
    )))
}

/// The admin listener's app.
pub fn admin_router(state: AppState) -> Router {
    admin::routes(state.clone()).with_state(state)
}

/// Serves `app` on `listener` until `shutdown` completes; requests in flight finish first.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
