//! The dry run of a SCIM request: the very site operation a real request runs (same rules, same
//! trace, inside a writer job that is rolled back), answered with what the IdP would have been
//! answered and what the site would have changed. Nothing is kept.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use workbench_scim::message::ListQuery;
use workbench_scim::{ScimError, Tolerances};

use super::endpoint::{Endpoint, Groups, Users};
use crate::site::history::HistoryEntry;
use crate::site::{Caller, Found, Outcome, Site, SiteError, providers};

/// A SCIM request to rehearse, as an IdP would send it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct DryRunRequest {
    /// The provider whose credentials the request would carry.
    pub provider_id: String,
    /// `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: String,
    /// `/Users`, `/Users/{id}`, `/Groups` or `/Groups/{id}`, optionally below the SCIM base
    /// path and with a query (`?attributes=members`).
    pub path: String,
    #[serde(default)]
    #[specta(type = Option<specta_typescript::Unknown>)]
    pub body: Option<Value>,
    #[serde(default)]
    pub if_match: Option<String>,
}

/// What the request would have done.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct DryRunResult {
    /// The HTTP status the IdP would get.
    pub status: u16,
    /// The body it would get (a resource, a SCIM error, or nothing for `204`).
    #[specta(type = Option<specta_typescript::Unknown>)]
    pub response: Option<Value>,
    /// The decision's steps, in order.
    pub trace: Vec<String>,
    /// The account changes that would be made (history entries).
    pub changes: Vec<HistoryEntry>,
    /// The IdP habits the server tolerated to read the request.
    pub tolerances: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Users,
    Groups,
}

/// `(resource type, id, query)` of a SCIM path.
fn route(path: &str) -> Result<(Kind, Option<String>, Option<String>), SiteError> {
    let (path, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q.to_owned())),
        None => (path, None),
    };
    let path = path
        .split_once(super::SCIM_PATH)
        .map_or(path, |(_, rest)| rest);
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let kind = match parts.first().copied() {
        Some("Users") => Kind::Users,
        Some("Groups") => Kind::Groups,
        _ => {
            return Err(SiteError::Invalid(format!(
                "path \"{path}\" is not a SCIM resource path: use /Users, /Users/{{id}}, /Groups or /Groups/{{id}}"
            )));
        }
    };
    match parts.len() {
        1 | 2 => Ok((kind, parts.get(1).map(|s| (*s).to_owned()), query)),
        _ => Err(SiteError::Invalid(format!(
            "path \"{path}\" has too many segments"
        ))),
    }
}

/// Rehearses `request`; `base_url` is the SCIM base URL resources are addressed under.
pub async fn run(
    site: &Site,
    request: DryRunRequest,
    base_url: &str,
) -> Result<DryRunResult, SiteError> {
    let provider = providers::get(site, &request.provider_id).await?;
    let (kind, id, query) = route(&request.path)?;
    let method = request.method.trim().to_ascii_uppercase();
    let caller = Caller {
        provider,
        dry_run: true,
        base_url: base_url.to_owned(),
    };
    let mut tolerances = Tolerances::new();
    let mut outcome = Outcome::default();
    let pairs: Vec<(String, String)> =
        form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let query = ListQuery::from_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
    let needs_body = matches!(method.as_str(), "POST" | "PUT" | "PATCH");
    let body = match (needs_body, request.body) {
        (true, Some(body)) => body,
        (true, None) => {
            return Err(SiteError::Invalid(format!(
                "a {method} request needs a body"
            )));
        }
        (false, _) => Value::Null,
    };
    let if_match = request.if_match;
    let answer = match (kind, method.as_str(), id.as_deref()) {
        (Kind::Users, "POST", None) => {
            created(Users::create(site, &caller, body, &mut tolerances, &mut outcome).await)
        }
        (Kind::Groups, "POST", None) => {
            created(Groups::create(site, &caller, body, &mut tolerances, &mut outcome).await)
        }
        (Kind::Users, "PUT", Some(id)) => ok(Users::replace(
            site,
            &caller,
            id,
            body,
            if_match,
            &mut tolerances,
            &mut outcome,
        )
        .await),
        (Kind::Groups, "PUT", Some(id)) => ok(Groups::replace(
            site,
            &caller,
            id,
            body,
            if_match,
            &mut tolerances,
            &mut outcome,
        )
        .await),
        (Kind::Users, "PATCH", Some(id)) => patched(
            Users::patch(
                site,
                &caller,
                id,
                body,
                if_match,
                &query,
                &mut tolerances,
                &mut outcome,
            )
            .await,
        ),
        (Kind::Groups, "PATCH", Some(id)) => patched(
            Groups::patch(
                site,
                &caller,
                id,
                body,
                if_match,
                &query,
                &mut tolerances,
                &mut outcome,
            )
            .await,
        ),
        (Kind::Users, "DELETE", Some(id)) => {
            deleted(Users::delete(site, &caller, id, if_match, &mut outcome).await)
        }
        (Kind::Groups, "DELETE", Some(id)) => {
            deleted(Groups::delete(site, &caller, id, if_match, &mut outcome).await)
        }
        (_, "GET", _) => {
            return Err(SiteError::Invalid(
                "a GET changes nothing: there is nothing to rehearse".into(),
            ));
        }
        _ => {
            return Err(SiteError::Invalid(format!(
                "{method} {} is not a SCIM write: use POST on a collection, or PUT, PATCH or DELETE on a resource",
                request.path
            )));
        }
    }?;
    let (status, response) = answer;
    let mut applied: Vec<String> = tolerances
        .applied()
        .iter()
        .map(|a| a.rule.name().to_owned())
        .collect();
    applied.dedup();
    Ok(DryRunResult {
        status,
        response,
        trace: outcome.trace.into_steps(),
        changes: outcome
            .changes
            .into_iter()
            .map(HistoryEntry::from)
            .collect(),
        tolerances: applied,
    })
}

type Answer = Result<(u16, Option<Value>), SiteError>;

/// A SCIM error is an answer like any other; only store failures are errors of the dry run.
fn answer<T>(
    result: Result<T, SiteError>,
    status: u16,
    body: impl FnOnce(T) -> Option<Value>,
) -> Answer {
    match result {
        Ok(value) => Ok((status, body(value))),
        Err(SiteError::Store(e)) => Err(SiteError::Store(e)),
        Err(e) => {
            let error: ScimError = e.into_scim();
            Ok((
                error.status(),
                serde_json::to_value(error.to_response()).ok(),
            ))
        }
    }
}

fn created(result: Result<Found, SiteError>) -> Answer {
    answer(result, 201, |f| Some(f.to_value()))
}

fn ok(result: Result<Found, SiteError>) -> Answer {
    answer(result, 200, |f| Some(f.to_value()))
}

fn patched(result: Result<Option<Found>, SiteError>) -> Answer {
    match result {
        Ok(None) => Ok((204, None)),
        other => answer(other, 200, |f| f.map(|f| f.to_value())),
    }
}

fn deleted(result: Result<(), SiteError>) -> Answer {
    answer(result, 204, |()| None)
}
