//! IdP replay fixtures (STYLE.md, "Tests"): every JSON file under `tests/fixtures/idp/**` is a
//! sequence of requests one identity provider really sends, with what that IdP needs back. One
//! test replays them all, each against a fresh server, and reports every failing step at once.
//! The format is described in `tests/fixtures/idp/README.md`; a file that does not follow it is
//! a hard error, so that a typo cannot turn into a check that never runs.

#[path = "idp_fixtures/format.rs"]
mod format;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use format::{Expect, Fixture, Headers, Request, Step, load, missed, show, substitute, typed};
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;
use workbench_tests::{Reply, Scim, TestServer, encode, workspace_root};

const SCIM_JSON: &str = "application/scim+json";

#[tokio::test]
async fn idp_fixtures_replay() {
    let root = workspace_root().join("tests/fixtures/idp");
    let mut files = Vec::new();
    collect_json(&root, &mut files);
    files.sort();
    let (mut failures, mut steps) = (Vec::new(), 0);
    for file in &files {
        let name = file.strip_prefix(&root).unwrap_or(file).display();
        let fixture = load(file).unwrap_or_else(|e| panic!("{name} is not a fixture: {e}"));
        steps += fixture.steps.len();
        failures.extend(replay(&name.to_string(), &fixture).await);
    }
    assert!(steps > 0, "no fixture steps under {}", root.display());
    let (failed, report) = (failures.len(), failures.join("\n\n"));
    assert!(failed == 0, "{failed} of {steps} steps failed:\n\n{report}");
}

fn collect_json(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for path in entries.map(|e| e.expect("a directory entry").path()) {
        if path.is_dir() {
            collect_json(&path, out);
        } else if path.extension().is_some_and(|x| x == "json") {
            out.push(path);
        }
    }
}

/// Runs one fixture on a fresh server; returns a description of every failed step.
async fn replay(file: &str, fixture: &Fixture) -> Vec<String> {
    let server = TestServer::start().await;
    let auth = fixture.auth.as_deref().unwrap_or("token");
    let scim = server.provider_with(&fixture.idp, auth).await;
    let nanos = std::time::UNIX_EPOCH.elapsed().map_or(0, |d| d.as_nanos());
    let mut vars = HashMap::from([
        ("base".to_owned(), Value::from(server.base.as_str())),
        ("unique".to_owned(), Value::from(format!("{nanos:x}"))),
    ]);
    let mut failures = Vec::new();
    for step in &fixture.steps {
        let problems = run_step(&scim, &fixture.headers, step, &mut vars)
            .await
            .unwrap_or_else(|skipped| vec![skipped]);
        if !problems.is_empty() {
            let problems = problems.join("\n  ");
            failures.push(format!("{file} › '{}':\n  {problems}", step.name));
        }
    }
    server.stop().await;
    failures
}

/// Sends one step's request, captures its variables, and lists the expectations it missed.
async fn run_step(
    scim: &Scim,
    defaults: &Headers,
    step: &Step,
    vars: &mut HashMap<String, Value>,
) -> Result<Vec<String>, String> {
    let request: Request = typed(&substitute(&step.request, vars)?)?;
    let path = encode_query(&request.path);
    let reply = send(scim, defaults, &request, &path).await;
    let mut problems = Vec::new();
    for (var, pointer) in &step.capture {
        match reply.body.pointer(pointer) {
            Some(value) => drop(vars.insert(var.clone(), value.clone())),
            None => problems.push(format!("capture {var}: nothing at {pointer}")),
        }
    }
    let expect: Expect = typed(&substitute(&step.expect, vars)?)?;
    problems.extend(missed(&expect, &reply));
    if !problems.is_empty() {
        problems.insert(0, format!("{} {path} → {}", request.method, reply.status));
        problems.push(format!("actual body: {}", show(&reply.body)));
    }
    Ok(problems)
}

/// Sends `request` with the provider's credential (bare with `raw_authorization`), the
/// fixture's default headers and the step's own, which win.
async fn send(scim: &Scim, defaults: &Headers, request: &Request, path: &str) -> Reply {
    let mut credential = scim.authorization.as_str();
    if request.raw_authorization {
        credential = credential.trim_start_matches("Bearer ");
    }
    let mut headers = HeaderMap::new();
    headers.insert("authorization", credential.parse().expect("a credential"));
    if request.body.is_some() {
        headers.insert("content-type", HeaderValue::from_static(SCIM_JSON));
    }
    for (name, value) in defaults.iter().chain(&request.headers) {
        let name = HeaderName::from_bytes(name.as_bytes()).expect("a header name");
        match value {
            Some(value) => drop(headers.insert(name, value.parse().expect("a header value"))),
            None => drop(headers.remove(name)),
        }
    }
    let method = Method::from_bytes(request.method.as_bytes()).expect("checked when loading");
    let mut builder = scim.client.request(method, format!("{}{path}", scim.base));
    if let Some(body) = &request.body {
        builder = builder.body(body.to_string());
    }
    let response = builder.headers(headers).send().await.expect("an answer");
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = response.bytes().await.expect("a body");
    let body = match serde_json::from_slice(&bytes) {
        Ok(json) => json,
        Err(_) if bytes.is_empty() => Value::Null,
        Err(_) => Value::String(String::from_utf8_lossy(&bytes).into_owned()),
    };
    Reply {
        status,
        headers,
        body,
    }
}

/// Percent-encodes each query parameter's value, so that fixtures write filters as the IdP
/// means them (`filter=userName eq "a@b"`).
fn encode_query(path: &str) -> String {
    let Some((route, query)) = path.split_once('?') else {
        return path.to_owned();
    };
    let encode_value = |p: &str| match p.split_once('=') {
        Some((key, value)) => format!("{key}={}", encode(value)),
        None => p.to_owned(),
    };
    let params: Vec<String> = query.split('&').map(encode_value).collect();
    format!("{route}?{}", params.join("&"))
}
