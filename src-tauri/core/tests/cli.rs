//! The `scim-workbench` binary as scripts use it (ARCHITECTURE.md "Contracts"): `provider …`
//! print JSON, refuse bad values with a non-zero exit, work while a server runs on the same
//! database; `serve` prints its URLs, serves, and stops cleanly on SIGTERM.

// Helpers outside `#[test]` functions panic on setup failures, as the tests themselves do.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_scim-workbench");

/// A directory removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("scim-workbench-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn db(&self) -> String {
        self.0.join("workbench.db").display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

/// Runs a command that must succeed and print one JSON document.
fn json_of(args: &[&str]) -> Value {
    let output = run(args);
    assert!(
        output.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?} did not print JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// Runs a command that must fail; returns its standard error.
fn refused(args: &[&str]) -> String {
    let output = run(args);
    assert!(!output.status.success(), "{args:?} should have failed");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn provider_create_prints_id_and_the_secret_once() {
    let scratch = Scratch::new("create");
    let db = scratch.db();
    let token = json_of(&[
        "provider",
        "create",
        "--db",
        &db,
        "--name",
        "Okta prod",
        "--kind",
        "okta",
    ]);
    assert_eq!(token["kind"], "okta");
    assert_eq!(token["scim_authentication_method"], "token");
    assert!(token["id"].as_str().is_some_and(|id| id.len() == 36));
    assert!(
        token["token"]
            .as_str()
            .is_some_and(|t| t.starts_with("scimwb_"))
    );
    assert!(
        token["expires_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );

    let basic = json_of(&[
        "provider", "create", "--db", &db, "--name", "OneLogin", "--kind", "onelogin", "--auth",
        "basic",
    ]);
    assert!(
        basic["username"]
            .as_str()
            .is_some_and(|u| u.starts_with("scim-"))
    );
    assert_eq!(basic["password"].as_str().map(str::len), Some(32));
    assert!(basic.get("token").is_none());

    let oidc = json_of(&[
        "provider", "create", "--db", &db, "--name", "Google", "--kind", "oidc",
    ]);
    assert_eq!(oidc["scim_authentication_method"], "none");
    assert!(oidc.get("token").is_none() && oidc.get("password").is_none());

    let list = json_of(&["provider", "list", "--db", &db]);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Okta prod", "OneLogin", "Google"]);
    let listed = list.to_string();
    for secret in [&token["token"], &basic["password"]] {
        assert!(
            !listed.contains(secret.as_str().unwrap()),
            "a secret is listed"
        );
    }
}

#[test]
fn refused_values_exit_non_zero_with_a_reason() {
    let scratch = Scratch::new("refuse");
    let db = scratch.db();
    assert!(
        refused(&[
            "provider", "create", "--db", &db, "--name", "X", "--kind", "ping"
        ])
        .contains("unknown provider kind 'ping'")
    );
    assert!(
        refused(&[
            "provider", "create", "--db", &db, "--name", "X", "--kind", "oauth", "--auth", "token"
        ])
        .contains("works only with SAML-based SSO providers")
    );
    let id = json_of(&[
        "provider", "create", "--db", &db, "--name", "Okta", "--kind", "okta",
    ])["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        refused(&["provider", "set", "--db", &db, &id, "kind=oidc"]).contains("cannot enable it")
    );
    assert!(
        refused(&["provider", "set", "--db", &db, &id, "colour=blue"])
            .contains("unknown provider field 'colour'")
    );
    assert!(
        refused(&[
            "provider",
            "set",
            "--db",
            &db,
            &id,
            "scim_authentication_method=maybe"
        ])
        .contains("not one of none, basic, token")
    );
    assert!(
        refused(&["provider", "set", "--db", &db, &id, "novalue"]).contains("is not FIELD=VALUE")
    );
    assert!(
        refused(&[
            "provider",
            "token",
            "--db",
            &db,
            &id,
            "--expires",
            "someday"
        ])
        .contains("is not a date")
    );
    assert!(refused(&["provider", "token", "--db", &db, "no-such-id"]).contains("no SSO provider"));
    // Nothing was half-applied: the provider is as created.
    let list = json_of(&["provider", "list", "--db", &db]);
    assert_eq!(list[0]["kind"], "okta");
    assert_eq!(list[0]["scim_authentication_method"], "token");

    let set = json_of(&[
        "provider",
        "set",
        "--db",
        &db,
        &id,
        "name=Okta (prod)",
        "scim_authentication_method=basic",
    ]);
    assert_eq!(
        (
            set["name"].as_str(),
            set["scim_authentication_method"].as_str()
        ),
        (Some("Okta (prod)"), Some("basic"))
    );
}

#[test]
fn tokens_have_the_asked_expiry_and_can_be_revoked() {
    let scratch = Scratch::new("tokens");
    let db = scratch.db();
    let id = json_of(&[
        "provider", "create", "--db", &db, "--name", "Entra", "--kind", "entra_id",
    ])["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = json_of(&[
        "provider",
        "token",
        "--db",
        &db,
        &id,
        "--expires",
        "2030-01-31",
    ]);
    assert_eq!(token["expires_at"], "2030-01-31T23:59:59Z");
    let credential = token["credential_id"].as_str().unwrap().to_owned();
    json_of(&["provider", "revoke", "--db", &db, &id, &credential]);
    let listed = json_of(&["provider", "credentials", "--db", &db, &id]);
    let revoked = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == credential.as_str())
        .unwrap();
    assert!(revoked["revoked_at"].is_string());
    assert!(
        !listed
            .to_string()
            .contains(token["token"].as_str().unwrap())
    );
}

/// A `serve` process on free ports, with the SCIM base URL it printed.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(db: &str) -> Server {
        let mut child = Command::new(BIN)
            .args([
                "serve",
                "--db",
                db,
                "--scim-addr",
                "127.0.0.1:0",
                "--admin-addr",
                "127.0.0.1:0",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut base = None;
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(url) = line.strip_prefix("SCIM base URL: ") {
                base = Some(url.trim().to_owned());
                break;
            }
        }
        // Keep reading what the server prints, as a terminal would.
        std::thread::spawn(move || lines.for_each(drop));
        Server {
            child,
            base: base.expect("serve prints its SCIM base URL"),
        }
    }

    /// One HTTP/1.1 request; returns the status and the body as JSON (Null when empty).
    fn request(&self, method: &str, path: &str, token: &str, body: Option<&Value>) -> (u16, Value) {
        let authority = self
            .base
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        let mut stream = TcpStream::connect(&authority).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let body = body.map(Value::to_string).unwrap_or_default();
        let target = format!(
            "{}{path}",
            self.base.trim_start_matches(&format!("http://{authority}"))
        );
        write!(
            stream,
            "{method} {target} HTTP/1.1\r\nHost: {authority}\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/scim+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response.split(' ').nth(1).unwrap().parse().unwrap();
        let payload = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b)
            .unwrap_or_default();
        (status, serde_json::from_str(payload).unwrap_or(Value::Null))
    }

    /// Sends SIGTERM and waits; returns whether it exited successfully.
    fn terminate(mut self) -> bool {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        for _ in 0..200 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        false
    }
}

#[test]
fn serve_provisions_over_http_and_stops_cleanly_on_sigterm() {
    let scratch = Scratch::new("serve");
    let db = scratch.db();
    let first = json_of(&[
        "provider", "create", "--db", &db, "--name", "Okta", "--kind", "okta",
    ]);
    let server = Server::start(&db);
    let token = first["token"].as_str().unwrap();
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "Grace.Hopper@Example.com",
        "active": true
    });
    let (status, created) = server.request("POST", "/Users", token, Some(&user));
    assert_eq!(status, 201, "{created}");
    let (status, found) = server.request(
        "GET",
        "/Users?filter=userName%20eq%20%22grace.hopper%40example.com%22",
        token,
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(found["totalResults"], 1);
    assert_eq!(found["Resources"][0]["id"], created["id"]);

    // The CLI works on the database while the server runs, and the server sees its changes.
    let second = json_of(&[
        "provider", "create", "--db", &db, "--name", "Entra", "--kind", "entra_id",
    ]);
    let (status, listed) = server.request("GET", "/Users", second["token"].as_str().unwrap(), None);
    assert_eq!(
        (status, &listed["totalResults"]),
        (200, &json!(0)),
        "a provider sees only its own users"
    );
    let revoked = first["credential_id"].as_str().unwrap();
    json_of(&[
        "provider",
        "revoke",
        "--db",
        &db,
        first["id"].as_str().unwrap(),
        revoked,
    ]);
    // The server notices another process's commit within ~250 ms and drops what it cached.
    let mut answer = server.request("GET", "/Users", token, None);
    for _ in 0..40 {
        if answer.0 == 401 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
        answer = server.request("GET", "/Users", token, None);
    }
    let (status, error) = answer;
    assert_eq!(status, 401, "{error}");
    assert!(error["detail"].as_str().unwrap().contains("revoked"));

    assert!(server.terminate(), "serve exits with success on SIGTERM");
    let exported = json_of(&["export", "--db", &db]);
    assert_eq!(exported["users"][0]["username"], "Grace.Hopper@Example.com");
    assert!(
        !exported.to_string().contains(token),
        "export carries no secrets"
    );
}
