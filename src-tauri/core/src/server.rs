//! Running the engine: open the database, bind both listeners, print where they are, serve
//! until Ctrl-C or SIGTERM, then let requests in flight finish and the writer flush.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::clock::{SharedClock, SystemClock};
use crate::http::{self, AppState, Config, SCIM_PATH};
use crate::logs::{LogOptions, LogWriter, Recorder};
use crate::site::{Site, lifecycle};
use crate::store::{Location, Store};

/// What `serve` needs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub location: Location,
    pub scim_addr: String,
    pub admin_addr: String,
    pub admin_token: Option<String>,
    pub public_url: Option<String>,
    /// The clock the engine reads (tests move it); `None` is the system clock.
    pub clock: Option<SharedClock>,
    /// How often the lifecycle scheduler looks for rules that are due (by the engine's clock).
    pub lifecycle_tick: Duration,
    /// How the SCIM log is kept (retention, extra redacted names, body size).
    pub log: LogOptions,
}

/// The scheduler's default period: a rule is due once a day, so a minute's delay is nothing.
pub const LIFECYCLE_TICK: Duration = Duration::from_secs(60);

/// A running engine: both listeners bound, serving until [`Running::shutdown`].
#[derive(Debug)]
pub struct Running {
    pub scim_addr: SocketAddr,
    pub admin_addr: SocketAddr,
    pub admin_token: String,
    pub state: AppState,
    tasks: Vec<tokio::task::JoinHandle<std::io::Result<()>>>,
    log_writer: Option<LogWriter>,
}

impl Running {
    pub fn scim_base_url(&self) -> String {
        format!("http://{}{SCIM_PATH}", self.scim_addr)
    }

    pub fn admin_url(&self) -> String {
        format!("http://{}/", self.admin_addr)
    }

    /// Stops accepting, waits for requests in flight, then closes the database.
    pub async fn shutdown(self) {
        self.state.stop();
        for task in self.tasks {
            match task.await {
                Ok(Err(e)) => tracing::error!(error = %e, "a listener failed while shutting down"),
                Err(e) => tracing::error!(error = %e, "a listener task failed"),
                Ok(Ok(())) => {}
            }
        }
        // The listeners are done, so every exchange is queued: write them all.
        if let Some(log_writer) = self.log_writer {
            log_writer.finish().await;
        }
        self.state.site.store().close().await;
    }
}

/// Opens the database and starts both listeners.
pub async fn start(options: ServeOptions) -> Result<Running, StartError> {
    let store = Store::open(&options.location).await?;
    let scim = bind(&options.scim_addr).await?;
    let admin = bind(&options.admin_addr).await?;
    let admin_ip = admin
        .local_addr()
        .map_err(|e| StartError::Bind(options.admin_addr.clone(), e))?
        .ip();
    if !admin_ip.is_loopback() {
        tracing::warn!(address = %admin_ip, "the admin listener is bound beyond loopback, as asked");
    }
    let scim_addr = scim
        .local_addr()
        .map_err(|e| StartError::Bind(options.scim_addr.clone(), e))?;
    let admin_addr = admin
        .local_addr()
        .map_err(|e| StartError::Bind(options.admin_addr.clone(), e))?;
    let config = Config {
        admin_token: options
            .admin_token
            .unwrap_or_else(|| Config::default().admin_token),
        public_url: options.public_url,
        scim_addr: scim_addr.to_string(),
        ..Config::default()
    };
    let clock = options.clock.unwrap_or_else(|| Arc::new(SystemClock));
    let (log_writer, recorder) = if options.log.enabled {
        let (writer, recorder) = LogWriter::start(store.clone(), options.log.clone());
        (Some(writer), recorder)
    } else {
        (None, Recorder::off())
    };
    let state = AppState::new(Site::new(store, clock), config).with_log(recorder);
    let until = || state.stopped();
    let tasks = vec![
        tokio::spawn(http::serve(scim, http::scim_router(state.clone()), until())),
        tokio::spawn(http::serve(
            admin,
            http::admin_router(state.clone()),
            until(),
        )),
        tokio::spawn(schedule_lifecycle(
            state.site.clone(),
            options.lifecycle_tick,
            until(),
        )),
    ];
    Ok(Running {
        scim_addr,
        admin_addr,
        admin_token: state.config.admin_token.clone(),
        state,
        tasks,
        log_writer,
    })
}

/// Runs the lifecycle rules that are due, every `tick`, until `stop` completes.
async fn schedule_lifecycle(
    site: Site,
    tick: Duration,
    stop: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let mut interval = tokio::time::interval(tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => return Ok(()),
            _ = interval.tick() => {
                match lifecycle::run(&site, lifecycle::Which::Due, false).await {
                    Ok(reports) => {
                        for report in reports.iter().filter(|r| !r.affected.is_empty()) {
                            tracing::info!(rule = %report.rule_name, users = report.affected.len(), "lifecycle rule ran");
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "the lifecycle scheduler could not run the rules"),
                }
            }
        }
    }
}

async fn bind(addr: &str) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| StartError::Bind(addr.to_owned(), e))
}

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("cannot listen on {0}: {1}")]
    Bind(String, std::io::Error),
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
