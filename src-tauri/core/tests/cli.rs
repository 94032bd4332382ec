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
use workbench_core::site::options::{FIELDS, Kind};

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

/// A value for every option that differs from a new provider's default, in the form
/// `provider set` takes.
fn non_default(name: &str, kind: Kind, current: &Value) -> (String, Value) {
    match kind {
        Kind::Bool => {
            let flipped = !current.as_bool().unwrap();
            (flipped.to_string(), json!(flipped))
        }
        Kind::Deprovision => ("delete".into(), json!("delete")),
        Kind::TwoFactor => ("always_require".into(), json!("always_require")),
        Kind::Text if name == "provision_time_zone" => {
            ("Europe/Berlin".into(), json!("Europe/Berlin"))
        }
        Kind::Text => ("Acme Corp".into(), json!("Acme Corp")),
        Kind::List => ("IT, Support*".into(), json!("IT, Support*")),
    }
}

#[test]
fn provider_set_covers_every_option_and_export_shows_them() {
    let scratch = Scratch::new("options");
    let db = scratch.db();
    let created = json_of(&[
        "provider", "create", "--db", &db, "--name", "Okta", "--kind", "okta",
    ]);
    let id = created["id"].as_str().unwrap().to_owned();
    let defaults = json_of(&["provider", "list", "--db", &db])[0]["options"].clone();

    let mut assignments = Vec::new();
    let mut expected = serde_json::Map::new();
    for (name, kind, _) in FIELDS {
        let (text, value) = non_default(name, *kind, &defaults[*name]);
        assert_ne!(defaults[*name], value, "{name} already had {value}");
        assignments.push(format!("{name}={text}"));
        expected.insert((*name).to_owned(), value);
    }
    let mut args = vec!["provider", "set", "--db", &db, &id];
    args.extend(assignments.iter().map(String::as_str));
    let set = json_of(&args);
    assert_eq!(set["options"], Value::Object(expected.clone()));

    let exported = json_of(&["export", "--db", &db]);
    assert_eq!(
        exported["providers"][0]["options"],
        Value::Object(expected),
        "export reads the options back under the same names"
    );
}

/// The fields the export promises for every user and group (ARCHITECTURE.md "Contracts").
const USER_FIELDS: &[&str] = &[
    "username",
    "email",
    "status",
    "held_reason",
    "role",
    "authentication_method",
    "provider_id",
    "managed",
    "company",
    "time_zone",
    "require_2fa",
    "dav_permission",
    "ftp_permission",
    "sftp_permission",
    "groups",
    "group_admin_of",
];
const GROUP_FIELDS: &[&str] = &["name", "status", "held_reason", "members", "admins"];

/// `export` without the moment it ran, for comparing two sites.
fn exported_site(db: &str) -> Value {
    let mut exported = json_of(&["export", "--db", db]);
    exported.as_object_mut().unwrap().remove("exported_at");
    exported
}

#[test]
fn the_demo_site_exports_and_imports_into_an_empty_database_unchanged() {
    let scratch = Scratch::new("documents");
    let demo_db = scratch.0.join("demo.db").display().to_string();
    let loaded = json_of(&["demo", "--db", &demo_db]);
    assert!(loaded["imported"]["providers"].as_u64().unwrap() >= 3);
    assert!(
        loaded["secrets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["secret"]["kind"].is_string()),
        "the demo prints the secrets of the providers it created, once"
    );

    let original = exported_site(&demo_db);
    assert_eq!(original["format"], "scim-workbench-site");
    let users = original["users"].as_array().unwrap();
    let groups = original["groups"].as_array().unwrap();
    assert!(users.len() >= 5 && groups.len() >= 3, "a meaningful site");
    for user in users {
        for field in USER_FIELDS {
            assert!(user.get(*field).is_some(), "user lacks {field}: {user}");
        }
    }
    for group in groups {
        for field in GROUP_FIELDS {
            assert!(group.get(*field).is_some(), "group lacks {field}: {group}");
        }
    }
    assert!(
        users.iter().any(|u| u["managed"] == true) && users.iter().any(|u| u["managed"] == false)
    );

    // From a file, then from standard input into a second database.
    let file = scratch.0.join("site.json");
    std::fs::write(&file, original.to_string()).unwrap();
    let copy_db = scratch.0.join("copy.db").display().to_string();
    json_of(&["import", "--db", &copy_db, file.to_str().unwrap()]);
    assert_eq!(exported_site(&copy_db), original);

    let piped_db = scratch.0.join("piped.db").display().to_string();
    let mut child = Command::new(BIN)
        .args(["import", "--db", &piped_db, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(original.to_string().as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(exported_site(&piped_db), original);

    // A second import would mix two sites: refused, and the site is unchanged.
    assert!(
        refused(&["import", "--db", &copy_db, file.to_str().unwrap()])
            .contains("import restores a site into an empty database")
    );
    assert_eq!(exported_site(&copy_db), original);
}

#[test]
fn import_refuses_documents_that_are_not_sites_and_writes_nothing() {
    let scratch = Scratch::new("bad-documents");
    let db = scratch.db();
    let file = scratch.0.join("site.json");
    for (text, reason) in [
        ("{not json", "the site document is not valid"),
        (
            r#"{"format": "other", "version": 1, "settings": {}}"#,
            "expected format \"scim-workbench-site\" version 1",
        ),
    ] {
        std::fs::write(&file, text).unwrap();
        let error = refused(&["import", "--db", &db, file.to_str().unwrap()]);
        assert!(error.contains(reason), "{text}: {error}");
    }
    assert!(refused(&["import", "--db", &db, "/nonexistent/site.json"]).contains("cannot read"));
    let empty = json_of(&["export", "--db", &db]);
    assert_eq!(empty["users"], json!([]));
    assert_eq!(empty["providers"], json!([]));
}

#[test]
fn logs_prints_the_scim_log_and_follows_it() {
    let scratch = Scratch::new("logs");
    let db = scratch.db();
    let created = json_of(&[
        "provider", "create", "--db", &db, "--name", "Okta", "--kind", "okta",
    ]);
    let token = created["token"].as_str().unwrap();
    let server = Server::start(&db);
    assert_eq!(server.request("GET", "/Users", "wrong", None).0, 401);
    assert_eq!(server.request("GET", "/Users", token, None).0, 200);

    // Written in batches off the request path: wait until both are in the log.
    let mut logged = 0;
    for _ in 0..100 {
        let output = run(&["logs", "--db", &db, "--json"]);
        logged = String::from_utf8_lossy(&output.stdout).lines().count();
        if logged == 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(logged, 2);
    let mut follower = Command::new(BIN)
        .args(["logs", "--db", &db, "--follow", "--json", "--last", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(follower.stdout.take().unwrap()).lines();
    std::thread::sleep(Duration::from_millis(300));
    let (status, _) = server.request("DELETE", "/Users/nobody", token, None);
    assert_eq!(status, 404);
    let followed: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(
        (
            followed["request_method"].as_str(),
            followed["http_response_code"].as_u64()
        ),
        (Some("DELETE"), Some(404))
    );
    assert_eq!(followed["provider_id"], created["id"]);
    follower.kill().unwrap();
    let _ = follower.wait();

    let readable = run(&["logs", "--db", &db, "--status", "4xx"]);
    assert!(readable.status.success());
    let text = String::from_utf8(readable.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].contains("  401  GET    /api/scim/Users"), "{text}");
    assert!(
        lines[1].contains("  404  DELETE /api/scim/Users/nobody"),
        "{text}"
    );
    assert!(!text.contains("wrong"), "no credential in the log: {text}");
    assert!(
        refused(&["logs", "--db", &db, "--status", "teapot"])
            .contains("status must be a code such as 409 or a class such as 4xx")
    );
    assert!(server.terminate());
}

#[test]
fn kill_9_during_creates_loses_no_created_user_and_at_most_the_last_log_batch() {
    let scratch = Scratch::new("kill9");
    let db = scratch.db();
    let created = json_of(&[
        "provider", "create", "--db", &db, "--name", "Okta", "--kind", "okta",
    ]);
    let token = created["token"].as_str().unwrap();
    let mut server = Server::start(&db);
    // Creates one after another for a second, each answer timed.
    let started = std::time::Instant::now();
    let mut answered = Vec::new();
    let mut n = 0;
    while started.elapsed() < Duration::from_secs(1) {
        n += 1;
        let user = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": format!("user{n}@example.com"),
        });
        let (status, body) = server.request("POST", "/Users", token, Some(&user));
        assert_eq!(status, 201, "{body}");
        answered.push((
            body["id"].as_str().unwrap().to_owned(),
            std::time::Instant::now(),
        ));
    }
    server.child.kill().unwrap();
    let killed = std::time::Instant::now();
    let _ = server.child.wait();

    // Every 201 is in the database.
    let exported = json_of(&["export", "--db", &db]);
    let users: Vec<&str> = exported["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["id"].as_str())
        .collect();
    for (id, _) in &answered {
        assert!(
            users.contains(&id.as_str()),
            "user {id} answered 201 but is gone"
        );
    }
    // The log has every exchange but those of the last batch window (100 ms) before the kill;
    // 400 ms leaves room for the store's group commit on a loaded machine.
    let log = run(&["logs", "--db", &db, "--json", "--last", "100000"]);
    let logged: Vec<Value> = String::from_utf8_lossy(&log.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let logged_ids: Vec<&str> = logged
        .iter()
        .flat_map(|e| e["resources"].as_array().unwrap().iter())
        .filter_map(Value::as_str)
        .collect();
    let settled: Vec<&String> = answered
        .iter()
        .filter(|(_, at)| killed.duration_since(*at) > Duration::from_millis(400))
        .map(|(id, _)| id)
        .collect();
    assert!(settled.len() > 10, "only {} creates settled", settled.len());
    for id in settled {
        assert!(
            logged_ids.contains(&id.as_str()),
            "the create of {id} is not in the log"
        );
    }
    println!(
        "{} creates answered 201, all kept; {} of them logged before the kill",
        answered.len(),
        logged.len()
    );
}
