//! The IdP replay fixture format (`tests/fixtures/idp/README.md`): what a fixture file holds,
//! the checks that make a malformed file a hard error, `${var}` substitution, and what each
//! expectation means. No IO beyond reading the file; the runner is `tests/idp_fixtures.rs`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use reqwest::Method;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use workbench_scim::Rule;
use workbench_tests::{Reply, contains};

const IDPS: [&str; 4] = ["okta", "entra_id", "onelogin", "jumpcloud"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    pub idp: String,
    /// `token` (the default) or `basic`.
    pub auth: Option<String>,
    /// For people reading the fixture (required, so that every fixture says what it shows).
    #[serde(rename = "description")]
    _description: String,
    #[serde(default)]
    pub headers: Headers,
    pub steps: Vec<Step>,
}

/// Header name → value; `null` removes a default (or, expected, says the header is absent).
pub type Headers = BTreeMap<String, Option<String>>;

/// A step; `request` and `expect` stay JSON until their `${var}`s are substituted.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub name: String,
    pub request: Value,
    pub expect: Value,
    #[serde(default)]
    pub capture: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Headers,
    pub body: Option<Value>,
    pub raw_authorization: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Expect {
    pub status: u16,
    pub body: Option<Value>,
    pub absent: Vec<String>,
    pub lengths: BTreeMap<String, usize>,
    pub includes: BTreeMap<String, Vec<Value>>,
    pub headers: Headers,
    pub tolerances: Vec<String>,
}

/// Reads a fixture and checks what serde cannot, so that a typo is an error rather than an
/// expectation that never runs.
pub fn load(path: &Path) -> Result<Fixture, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let fixture: Fixture = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let auth = fixture.auth.as_deref().unwrap_or("token");
    if !IDPS.contains(&fixture.idp.as_str()) || !["token", "basic"].contains(&auth) {
        return Err(format!("idp must be one of {IDPS:?}, auth token or basic"));
    }
    for (i, step) in fixture.steps.iter().enumerate() {
        let at = |what: &str| format!("step {i} '{}': {what}", step.name);
        let unique = fixture.steps[..i].iter().all(|s| s.name != step.name);
        let request: Request = typed(&step.request).map_err(|e| at(&e))?;
        let method = Method::from_bytes(request.method.as_bytes()).is_ok();
        let expect: Expect = typed(&step.expect).map_err(|e| at(&e))?;
        let status = (100..600).contains(&expect.status);
        let known = |r: &String| Rule::ALL.iter().any(|k| k.name() == r);
        let rules = expect.tolerances.iter().all(known);
        let keys = expect.lengths.keys().chain(expect.includes.keys());
        let mut pointers = keys.chain(&expect.absent).chain(step.capture.values());
        let pointers = pointers.all(|p| p.starts_with('/'));
        let path = request.path.starts_with('/');
        let checks = [
            (unique, "the name repeats"),
            (method, "not an HTTP method"),
            (path, "the path does not start with /"),
            (status, "the status is not an HTTP status"),
            (rules, "an unknown tolerance rule"),
            (pointers, "a JSON pointer does not start with /"),
        ];
        if let Some((_, problem)) = checks.iter().find(|(ok, _)| !ok) {
            return Err(at(problem));
        }
    }
    Ok(fixture)
}

pub fn typed<T: DeserializeOwned>(value: &Value) -> Result<T, String> {
    serde_json::from_value(value.clone()).map_err(|e| e.to_string())
}

/// Replaces `${name}` in every string: a string that is only `${name}` takes the variable's
/// JSON value (a number stays a number); elsewhere the variable is spliced in as text.
pub fn substitute(value: &Value, vars: &HashMap<String, Value>) -> Result<Value, String> {
    Ok(match value {
        Value::String(text) => {
            let whole = text.strip_prefix("${").and_then(|t| t.strip_suffix('}'));
            if let Some(found) = whole.and_then(|name| vars.get(name)) {
                return Ok(found.clone());
            }
            let mut text = text.clone();
            for (name, value) in vars {
                let value = value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_owned);
                text = text.replace(&format!("${{{name}}}"), &value);
            }
            if let Some((_, name)) = text.split_once("${") {
                let name = name.split('}').next().unwrap_or(name);
                return Err(format!(
                    "skipped: ${{{name}}} was not captured by an earlier step"
                ));
            }
            Value::String(text)
        }
        Value::Array(items) => items
            .iter()
            .map(|v| substitute(v, vars))
            .collect::<Result<_, _>>()?,
        Value::Object(map) => {
            let pair =
                |(k, v): (&String, &Value)| Ok::<_, String>((k.clone(), substitute(v, vars)?));
            map.iter().map(pair).collect::<Result<_, _>>()?
        }
        other => other.clone(),
    })
}

/// The expectations `reply` does not meet.
pub fn missed(expect: &Expect, reply: &Reply) -> Vec<String> {
    let (body, mut problems) = (&reply.body, Vec::new());
    if reply.status != expect.status {
        problems.push(format!("status: expected {}", expect.status));
    }
    if let Some(wanted) = expect.body.as_ref().filter(|w| !contains(body, w)) {
        problems.push(format!("body: expected to contain {}", show(wanted)));
    }
    for pointer in expect.absent.iter().filter(|p| body.pointer(p).is_some()) {
        problems.push(format!("body: {pointer} should be absent"));
    }
    for (pointer, count) in &expect.lengths {
        let len = body
            .pointer(pointer)
            .and_then(Value::as_array)
            .map(Vec::len);
        if len != Some(*count) {
            problems.push(format!(
                "body: {pointer} should hold {count} items, has {len:?}"
            ));
        }
    }
    for (pointer, items) in &expect.includes {
        let array = body.pointer(pointer).and_then(Value::as_array);
        for item in items {
            if !array.is_some_and(|a| a.iter().any(|actual| contains(actual, item))) {
                problems.push(format!(
                    "body: no item of {pointer} contains {}",
                    show(item)
                ));
            }
        }
    }
    for (name, wanted) in &expect.headers {
        let got = reply.header(name);
        let ok = match (got, wanted) {
            (Some(got), Some(part)) => got.contains(part.as_str()),
            (got, part) => got.is_none() && part.is_none(),
        };
        if !ok {
            problems.push(format!("header {name}: expected {wanted:?}, got {got:?}"));
        }
    }
    let fired = reply.header("scim-workbench-tolerances").unwrap_or("");
    let fired: Vec<&str> = fired.split(", ").filter(|r| !r.is_empty()).collect();
    for rule in &expect.tolerances {
        if !fired.contains(&rule.as_str()) {
            problems.push(format!("tolerance {rule} did not fire (fired: {fired:?})"));
        }
    }
    problems
}

/// A body for a failure report, cut short.
pub fn show(value: &Value) -> String {
    value.to_string().chars().take(2000).collect()
}
