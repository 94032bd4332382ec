//! Shared helpers for the black-box tests in `tests/`: a real engine listening on
//! `127.0.0.1:0` with a database in a temporary directory, SSO providers with fresh tokens, and
//! a small SCIM client. Tests drive the product over HTTP; they never reach into its internals
//! beyond starting it and creating providers (the CLI's job, done in-process for speed).

pub mod idp;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use workbench_core::clock::SharedClock;
use workbench_core::server::{self, Running, ServeOptions};
use workbench_core::site::credentials::Issued;
use workbench_core::site::{ProviderKind, ScimAuth, providers};
use workbench_core::store::Location;

/// The workspace root (where the top `Cargo.toml` is).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `cargo` with `args` in the workspace and returns its standard output; panics with
/// standard error when it fails.
pub fn cargo(args: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(args)
        .current_dir(workspace_root())
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo {args:?}: {e}"));
    assert!(
        output.status.success(),
        "cargo {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A running engine on ephemeral loopback ports with its own database.
#[derive(Debug)]
pub struct TestServer {
    pub running: Running,
    /// `http://127.0.0.1:PORT/api/scim`
    pub base: String,
    pub dir: tempfile::TempDir,
}

impl TestServer {
    /// Starts an engine with the system clock.
    pub async fn start() -> TestServer {
        Self::start_with(None).await
    }

    /// Starts an engine reading `clock`.
    pub async fn start_with(clock: Option<SharedClock>) -> TestServer {
        Self::start_with_tick(clock, server::LIFECYCLE_TICK).await
    }

    /// Starts an engine reading `clock` whose lifecycle scheduler looks for due rules every
    /// `tick`.
    pub async fn start_with_tick(
        clock: Option<SharedClock>,
        tick: std::time::Duration,
    ) -> TestServer {
        let dir = tempfile::tempdir().expect("temporary directory");
        let options = ServeOptions {
            location: Location::File(dir.path().join("workbench.db")),
            scim_addr: "127.0.0.1:0".into(),
            admin_addr: "127.0.0.1:0".into(),
            admin_token: Some("test-admin-token".into()),
            public_url: None,
            clock,
            lifecycle_tick: tick,
            log: workbench_core::logs::LogOptions::default(),
        };
        let running = server::start(options).await.expect("the engine starts");
        let base = running.scim_base_url();
        TestServer { running, base, dir }
    }

    /// Creates an SSO provider of `kind` with SCIM `auth`, and a client holding its secret.
    pub async fn provider_with(&self, kind: &str, auth: &str) -> Scim {
        let site = &self.running.state.site;
        let kind = ProviderKind::parse(kind).expect("a provider kind");
        let auth = ScimAuth::parse(auth).expect("a SCIM authentication method");
        let (provider, issued) =
            providers::create(site, &format!("{} test", kind.as_str()), kind, Some(auth))
                .await
                .expect("provider created");
        let authorization = match issued {
            Some(Issued::Token { token, .. }) => format!("Bearer {token}"),
            Some(Issued::Basic {
                username, password, ..
            }) => {
                format!(
                    "Basic {}",
                    base64_encode(format!("{username}:{password}").as_bytes())
                )
            }
            None => String::new(),
        };
        Scim::new(&self.base, &authorization, &provider.id)
    }

    /// A provider using bearer tokens.
    pub async fn provider(&self, kind: &str) -> Scim {
        self.provider_with(kind, "token").await
    }

    /// The admin API client (with the test admin token).
    pub fn admin(&self) -> Admin {
        Admin {
            client: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("HTTP client"),
            base: format!("http://{}/admin/api", self.running.admin_addr),
            token: self.running.admin_token.clone(),
        }
    }

    /// Creates a provider of `kind` through the admin API with `fields` (options by their API
    /// names, e.g. `json!({"provision_group_required": "IT"})`), and a SCIM client holding its
    /// first secret.
    pub async fn provider_via_admin(&self, kind: &str, fields: Value) -> Scim {
        let created = self
            .admin()
            .post(
                "/providers",
                &serde_json::json!({ "name": format!("{kind} e2e"), "kind": kind, "fields": fields }),
            )
            .await;
        assert_eq!(
            created.status,
            StatusCode::CREATED,
            "provider created: {}",
            created.body
        );
        let secret = &created.body["secret"];
        let authorization = match (
            secret["token"].as_str(),
            secret["username"].as_str(),
            secret["password"].as_str(),
        ) {
            (Some(token), _, _) => format!("Bearer {token}"),
            (None, Some(user), Some(password)) => format!(
                "Basic {}",
                base64_encode(format!("{user}:{password}").as_bytes())
            ),
            _ => String::new(),
        };
        let id = created.body["provider"]["id"]
            .as_str()
            .expect("a provider id");
        Scim::new(&self.base, &authorization, id)
    }

    /// Stops the engine gracefully.
    pub async fn stop(self) {
        self.running.shutdown().await;
    }
}

/// A SCIM client for one provider.
#[derive(Debug, Clone)]
pub struct Scim {
    pub client: reqwest::Client,
    pub base: String,
    pub authorization: String,
    pub provider_id: String,
}

/// An admin API client.
#[derive(Debug, Clone)]
pub struct Admin {
    pub client: reqwest::Client,
    /// `http://127.0.0.1:PORT/admin/api`
    pub base: String,
    pub token: String,
}

impl Admin {
    /// Sends a request to `path` (relative to `/admin/api`, e.g. `/users?search=x`).
    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Reply {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {}", self.token));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        reply(request.send().await.expect("the admin API answers")).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::POST, path, Some(body)).await
    }
    pub async fn patch(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::PATCH, path, Some(body)).await
    }
    pub async fn put(&self, path: &str) -> Reply {
        self.send(Method::PUT, path, None).await
    }
    pub async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, None).await
    }

    /// The admin detail of the user named `username` (panics if there is none).
    pub async fn user_named(&self, username: &str) -> Value {
        let found = self
            .get(&format!("/users?search={}", encode(username)))
            .await;
        assert_eq!(found.status, StatusCode::OK, "user list: {}", found.body);
        let id = found.body["items"]
            .as_array()
            .and_then(|items| {
                items.iter().find(|u| {
                    u["username"]
                        .as_str()
                        .is_some_and(|n| n.eq_ignore_ascii_case(username))
                })
            })
            .and_then(|u| u["id"].as_str())
            .unwrap_or_else(|| panic!("no user named {username}: {}", found.body))
            .to_owned();
        let detail = self.get(&format!("/users/{id}")).await;
        assert_eq!(
            detail.status,
            StatusCode::OK,
            "user detail: {}",
            detail.body
        );
        detail.body
    }

    /// The admin detail of the group named `name` (panics if there is none).
    pub async fn group_named(&self, name: &str) -> Value {
        let found = self.get(&format!("/groups?search={}", encode(name))).await;
        assert_eq!(found.status, StatusCode::OK, "group list: {}", found.body);
        let id = found.body["items"]
            .as_array()
            .and_then(|items| {
                items.iter().find(|g| {
                    g["name"]
                        .as_str()
                        .is_some_and(|n| n.eq_ignore_ascii_case(name))
                })
            })
            .and_then(|g| g["id"].as_str())
            .unwrap_or_else(|| panic!("no group named {name}: {}", found.body))
            .to_owned();
        let detail = self.get(&format!("/groups/{id}")).await;
        assert_eq!(
            detail.status,
            StatusCode::OK,
            "group detail: {}",
            detail.body
        );
        detail.body
    }

    /// History entries (newest first) about a user or group id or name.
    pub async fn history_of(&self, target: &str) -> Vec<Value> {
        let page = self
            .get(&format!("/history?target={}&limit=500", encode(target)))
            .await;
        assert_eq!(page.status, StatusCode::OK, "history: {}", page.body);
        page.body["items"].as_array().cloned().unwrap_or_default()
    }
}

/// A response: status, headers, and the body as JSON (`Value::Null` when empty, a string when
/// not JSON).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Scim {
    pub fn new(base: &str, authorization: &str, provider_id: &str) -> Scim {
        Scim {
            client: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("HTTP client"),
            base: base.to_owned(),
            authorization: authorization.to_owned(),
            provider_id: provider_id.to_owned(),
        }
    }

    /// The same provider presenting another `Authorization` value.
    pub fn with_authorization(&self, authorization: &str) -> Scim {
        Scim {
            authorization: authorization.to_owned(),
            ..self.clone()
        }
    }

    /// Sends a request to `path` (relative to the SCIM base URL, e.g. `/Users?filter=…`).
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if !self.authorization.is_empty() {
            request = request.header("authorization", &self.authorization);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/scim+json")
                .body(body.to_string());
        }
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes()).expect("header name");
            request = request.header(name, HeaderValue::from_str(value).expect("header value"));
        }
        let response = request.send().await.expect("the server answers");
        reply(response).await
    }

    /// Sends raw bytes with a given content type.
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Reply {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .body(body);
        if !self.authorization.is_empty() {
            request = request.header("authorization", &self.authorization);
        }
        if let Some(kind) = content_type {
            request = request.header("content-type", kind);
        }
        reply(request.send().await.expect("the server answers")).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None, &[]).await
    }
    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::POST, path, Some(body), &[]).await
    }
    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::PUT, path, Some(body), &[]).await
    }
    pub async fn patch(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::PATCH, path, Some(body), &[]).await
    }
    pub async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, None, &[]).await
    }
}

async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("a body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Reply {
        status,
        headers,
        body,
    }
}

/// `filter` percent-encoded for a query string.
pub fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Whether `actual` contains everything in `expected`: objects by key (recursively), arrays
/// element by element in order (the actual array may be longer only if `expected` is shorter
/// and each expected element matches the one at the same index), scalars by equality.
pub fn contains(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => e
            .iter()
            .all(|(k, v)| a.get(k).is_some_and(|av| contains(av, v))),
        (Value::Array(a), Value::Array(e)) => {
            e.len() <= a.len() && e.iter().zip(a).all(|(ev, av)| contains(av, ev))
        }
        _ => actual == expected,
    }
}

/// A shared handle on a manual clock, for tests that move time.
pub fn manual_clock(at_millis: i64) -> (workbench_core::clock::ManualClock, SharedClock) {
    let clock = workbench_core::clock::ManualClock::at(at_millis);
    (clock.clone(), Arc::new(clock))
}
