//! The `scim-workbench` command line (clap): `serve`, `provider …`, `export`, `import`, `demo`. Commands that
//! print data print JSON on standard output; errors go to standard error with a non-zero exit.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use serde_json::{Value, json};

use crate::clock::SystemClock;
use crate::logs::terminal::{self, LogsRequest};
use crate::logs::{LogOptions, Redaction, Retention};
use crate::server::{self, ServeOptions};
use crate::site::credentials::{self, Issued};
use crate::site::{ProviderKind, ScimAuth, Site, SiteError, demo, document, providers};
use crate::store::{Location, Millis, Store};

#[derive(Debug, Parser)]
#[command(
    name = "scim-workbench",
    version,
    about = "A SCIM 2.0 provisioning workbench: point an identity provider at it and watch provisioning live."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the SCIM server and the admin API until Ctrl-C or SIGTERM.
    Serve(ServeArgs),
    /// Manage SSO providers and their SCIM credentials.
    #[command(subcommand)]
    Provider(ProviderCommand),
    /// Print the whole site (settings, providers without secrets, users, groups, lifecycle
    /// rules) as one JSON document.
    Export(DbArg),
    /// Restore a document printed by `export` into an empty database (providers get no
    /// credentials: issue them with `provider token` / `provider password`).
    Import {
        #[command(flatten)]
        db: DbArg,
        /// The document (`-` for standard input).
        file: PathBuf,
    },
    /// Load the demo site into an empty database and print each SCIM provider's new secret.
    Demo(DbArg),
    /// Print the SCIM log (the newest exchanges, oldest first) and, with --follow, each new one
    /// as the server writes it.
    Logs(LogsArgs),
}

#[derive(Debug, Args)]
struct LogsArgs {
    #[command(flatten)]
    db: DbArg,
    /// Keep printing new exchanges until Ctrl-C.
    #[arg(long, short)]
    follow: bool,
    /// Only this SSO provider's exchanges (its id).
    #[arg(long)]
    provider: Option<String>,
    /// Only this status (`409`) or class (`4xx`).
    #[arg(long)]
    status: Option<String>,
    /// Only this method (`PATCH`).
    #[arg(long)]
    method: Option<String>,
    /// How many of the newest exchanges to print first.
    #[arg(long, default_value_t = 50)]
    last: u32,
    /// One JSON object per exchange and line (NDJSON), with headers, bodies and the trace.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct DbArg {
    /// The database file (default: scim-workbench/workbench.db in the platform data directory;
    /// `sqlite::memory:` for a throw-away in-memory database).
    #[arg(long, env = "SCIM_WORKBENCH_DB")]
    db: Option<String>,
}

#[derive(Debug, Args)]
struct ServeArgs {
    #[command(flatten)]
    db: DbArg,
    /// Address of the SCIM listener (the one a tunnel exposes).
    #[arg(long, default_value = "127.0.0.1:8787")]
    scim_addr: String,
    /// Address of the admin listener (keep it on loopback).
    #[arg(long, default_value = "127.0.0.1:8788")]
    admin_addr: String,
    /// The admin API token (default: a new random token each launch, printed at start).
    #[arg(long, env = "SCIM_WORKBENCH_ADMIN_TOKEN")]
    admin_token: Option<String>,
    /// The public SCIM base URL to write into `meta.location` (e.g. the tunnel's
    /// `https://abc.ngrok.app/api/scim`); by default the Host each request arrives with.
    #[arg(long)]
    public_url: Option<String>,
    /// Open the admin page in the default browser once listening.
    #[arg(long)]
    open: bool,
    /// Load the demo site first if the database is empty (and print its providers' secrets).
    #[arg(long)]
    demo: bool,
    /// Keep at most this many SCIM log entries (the oldest are pruned in the background).
    #[arg(long, default_value_t = Retention::default().entries)]
    log_keep_entries: u64,
    /// Keep at most this many megabytes of SCIM log headers and bodies.
    #[arg(long, default_value_t = Retention::default().bytes / (1024 * 1024))]
    log_keep_mb: u64,
    /// More header and attribute names to redact in the SCIM log (comma-separated; the
    /// Authorization header and passwords always are), e.g. an IdP's custom token header.
    #[arg(long)]
    log_redact: Option<String>,
    /// Do not log SCIM exchanges at all (to measure what the log costs).
    #[arg(long)]
    no_scim_log: bool,
}

#[derive(Debug, Subcommand)]
enum ProviderCommand {
    /// Create an SSO provider and print its id and first SCIM secret (shown once).
    Create {
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        name: String,
        /// okta, entra_id, onelogin, jumpcloud, duo, ldap, saml, oauth or oidc.
        #[arg(long)]
        kind: String,
        /// SCIM authentication: token (default), basic, or none.
        #[arg(long)]
        auth: Option<String>,
    },
    /// Print every provider as a JSON array.
    List(DbArg),
    /// Set provider fields by their API names: `name=…`, `scim_authentication_method=basic`.
    Set {
        #[command(flatten)]
        db: DbArg,
        id: String,
        #[arg(required = true, value_name = "FIELD=VALUE")]
        assignments: Vec<String>,
    },
    /// Issue another bearer token (printed once).
    Token {
        #[command(flatten)]
        db: DbArg,
        id: String,
        /// Expiry: a date (YYYY-MM-DD, end of that day UTC), an RFC 3339 time, or a number of
        /// days (`90d`). Default: one year.
        #[arg(long)]
        expires: Option<String>,
    },
    /// List a provider's credentials (never their secrets).
    Credentials {
        #[command(flatten)]
        db: DbArg,
        id: String,
    },
    /// Revoke one credential of a provider.
    Revoke {
        #[command(flatten)]
        db: DbArg,
        id: String,
        credential_id: String,
    },
    /// Create a new Basic username and password (printed once), revoking the previous one.
    Password {
        #[command(flatten)]
        db: DbArg,
        id: String,
    },
}

/// Runs the command line; the exit code says whether it worked.
pub async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Serve(args) => serve(args).await,
        Command::Provider(command) => provider(command).await,
        Command::Export(db) => {
            let site = open(&db).await?;
            let exported = document::export(&site).await.map_err(message)?;
            print(&serde_json::to_value(exported).map_err(|e| e.to_string())?);
            site.store().close().await;
            Ok(())
        }
        Command::Import { db, file } => {
            let text = if file.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())
                    .map_err(|e| format!("cannot read standard input: {e}"))?
            } else {
                std::fs::read_to_string(&file)
                    .map_err(|e| format!("cannot read {}: {e}", file.display()))?
            };
            let parsed = document::parse(&text).map_err(message)?;
            let site = open(&db).await?;
            let imported = document::import(&site, parsed).await.map_err(message);
            site.store().close().await;
            print(&json!({ "imported": imported? }));
            Ok(())
        }
        Command::Logs(args) => {
            let site = open(&args.db).await?;
            let request = LogsRequest {
                provider_id: args.provider,
                status: args.status,
                method: args.method,
                last: args.last,
                follow: args.follow,
                json: args.json,
            };
            let printed = terminal::print(&site, request).await;
            site.store().close().await;
            printed
        }
        Command::Demo(db) => {
            let site = open(&db).await?;
            let loaded = demo::load(&site).await.map_err(message);
            site.store().close().await;
            print(&serde_json::to_value(loaded?).map_err(|e| e.to_string())?);
            Ok(())
        }
    }
}

/// The default database: `scim-workbench/workbench.db` in the platform's data directory.
pub fn default_db_path() -> Result<PathBuf, String> {
    directories::ProjectDirs::from("", "", "scim-workbench")
        .map(|dirs| dirs.data_dir().join("workbench.db"))
        .ok_or_else(|| "cannot find a data directory for this user; pass --db PATH".to_owned())
}

fn location(db: &DbArg) -> Result<Location, String> {
    match &db.db {
        Some(text) => Ok(Location::parse(text)),
        None => Ok(Location::File(default_db_path()?)),
    }
}

async fn open(db: &DbArg) -> Result<Site, String> {
    let store = Store::open(&location(db)?)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Site::new(store, Arc::new(SystemClock)))
}

fn message(error: SiteError) -> String {
    error.to_string()
}

fn print(value: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
    );
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let options = ServeOptions {
        location: location(&args.db)?,
        scim_addr: args.scim_addr,
        admin_addr: args.admin_addr,
        admin_token: args.admin_token,
        public_url: args.public_url,
        clock: None,
        lifecycle_tick: server::LIFECYCLE_TICK,
        log: LogOptions {
            enabled: !args.no_scim_log,
            retention: Retention {
                entries: args.log_keep_entries,
                bytes: args.log_keep_mb.saturating_mul(1024 * 1024),
            },
            redaction: Redaction::parse(args.log_redact.as_deref().unwrap_or("")),
            body_limit: None,
            ..LogOptions::default()
        },
    };
    let database = options.location.to_string();
    let running = server::start(options).await.map_err(|e| e.to_string())?;
    let mut demo_note = String::new();
    if args.demo {
        match demo::load(&running.state.site).await {
            Ok(loaded) => {
                demo_note.push_str("Demo site loaded. SCIM secrets (shown once):\n");
                for p in &loaded.secrets {
                    let secret = match (&p.secret.token, &p.secret.username, &p.secret.password) {
                        (Some(token), _, _) => format!("token {token}"),
                        (None, Some(user), Some(password)) => format!("basic {user} / {password}"),
                        _ => continue,
                    };
                    demo_note.push_str(&format!("  {}: {secret}\n", p.provider_name));
                }
            }
            Err(SiteError::Conflict(_)) => {
                demo_note.push_str("The database is not empty: --demo loaded nothing.\n");
            }
            Err(e) => {
                running.shutdown().await;
                return Err(format!("cannot load the demo site: {e}"));
            }
        }
    }
    // A closed standard output (a script that read the URL and left) must not stop the server.
    let banner = format!(
        "SCIM base URL: {}\nAdmin URL:     {}\nAdmin token:   {}\nDatabase:      {database}\n{demo_note}Press Ctrl-C to stop.\n",
        running.scim_base_url(),
        running.admin_url(),
        running.admin_token
    );
    let mut stdout = std::io::stdout();
    let _ = stdout
        .write_all(banner.as_bytes())
        .and_then(|()| stdout.flush());
    if args.open {
        open_in_browser(&running.admin_url());
    }
    server::shutdown_signal().await;
    eprintln!("shutting down: finishing requests in flight and flushing the database");
    running.shutdown().await;
    Ok(())
}

fn open_in_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    if let Err(e) = std::process::Command::new(opener).arg(url).spawn() {
        eprintln!("could not open a browser ({opener}: {e}); open {url} yourself");
    }
}

async fn provider(command: ProviderCommand) -> Result<(), String> {
    match command {
        ProviderCommand::Create {
            db,
            name,
            kind,
            auth,
        } => {
            let site = open(&db).await?;
            let kind = ProviderKind::parse(&kind).map_err(message)?;
            let auth = auth
                .as_deref()
                .map(ScimAuth::parse)
                .transpose()
                .map_err(message)?;
            let (provider, issued) = providers::create(&site, &name, kind, auth)
                .await
                .map_err(message)?;
            let mut out = serde_json::to_value(&provider).map_err(|e| e.to_string())?;
            let secret = issued
                .map(|i| serde_json::to_value(&i))
                .transpose()
                .map_err(|e| e.to_string())?;
            if let (Some(object), Some(Value::Object(secret))) = (out.as_object_mut(), secret) {
                object.extend(secret);
            }
            print(&out);
            site.store().close().await;
        }
        ProviderCommand::List(db) => {
            let site = open(&db).await?;
            print(
                &serde_json::to_value(providers::list(&site).await.map_err(message)?)
                    .map_err(|e| e.to_string())?,
            );
            site.store().close().await;
        }
        ProviderCommand::Set {
            db,
            id,
            assignments,
        } => {
            let pairs = assignments
                .iter()
                .map(|a| match a.split_once('=') {
                    Some((field, value)) => Ok((field.trim().to_owned(), value.to_owned())),
                    None => Err(format!("'{a}' is not FIELD=VALUE")),
                })
                .collect::<Result<Vec<_>, String>>()?;
            let site = open(&db).await?;
            let provider = providers::set(&site, &id, &pairs).await.map_err(message)?;
            print(&serde_json::to_value(provider).map_err(|e| e.to_string())?);
            site.store().close().await;
        }
        ProviderCommand::Token { db, id, expires } => {
            let site = open(&db).await?;
            let expires_at = expires
                .as_deref()
                .map(|e| parse_expiry(e, site.now()))
                .transpose()?;
            let issued = credentials::issue_token(&site, &id, expires_at)
                .await
                .map_err(message)?;
            print(&serde_json::to_value(&issued).map_err(|e| e.to_string())?);
            site.store().close().await;
        }
        ProviderCommand::Credentials { db, id } => {
            let site = open(&db).await?;
            providers::get(&site, &id).await.map_err(message)?;
            print(
                &serde_json::to_value(credentials::list(&site, &id).await.map_err(message)?)
                    .map_err(|e| e.to_string())?,
            );
            site.store().close().await;
        }
        ProviderCommand::Revoke {
            db,
            id,
            credential_id,
        } => {
            let site = open(&db).await?;
            credentials::revoke(&site, &id, &credential_id)
                .await
                .map_err(message)?;
            print(&json!({ "revoked": credential_id }));
            site.store().close().await;
        }
        ProviderCommand::Password { db, id } => {
            let site = open(&db).await?;
            let issued = credentials::reset_basic(&site, &id)
                .await
                .map_err(message)?;
            if let Issued::Basic { .. } = issued {
                print(&serde_json::to_value(&issued).map_err(|e| e.to_string())?);
            }
            site.store().close().await;
        }
    }
    Ok(())
}

/// `2027-01-31` (end of that day, UTC), an RFC 3339 time, or `90d`.
fn parse_expiry(text: &str, now: Millis) -> Result<Millis, String> {
    crate::site::render::parse_expiry(text, now).ok_or_else(|| {
        format!("--expires '{text}' is not a date (YYYY-MM-DD), an RFC 3339 time, or a number of days (90d)")
    })
}
