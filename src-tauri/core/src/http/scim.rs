//! The SCIM listener's routes (RFC 7644 §3): thin handlers that read the request, make one call
//! into the site, and write the SCIM response.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use workbench_scim::message::{ListQuery, ListResponse};
use workbench_scim::projection::Projection;
use workbench_scim::schema::ResourceType;
use workbench_scim::{ScimError, Tolerances, discovery};

use super::AppState;
use super::auth::Authenticated;
use super::endpoint::{Endpoint, Groups, Users};
use super::error::ScimFailure;
use super::io::{
    ResourceId, ScimBody, base_url, header_string, json_response, json_text_response, with_outcome,
    with_resource_headers, with_trace,
};
use crate::site::listing::Listed;
use crate::site::{Found, Outcome, etag, listing};

type Handled = Result<Response, ScimFailure>;

/// The routes below the SCIM base path.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/Users",
            only(
                &[Method::GET, Method::POST],
                get(list::<Users>).post(create::<Users>),
            ),
        )
        .route(
            "/Users/.search",
            only(&[Method::POST], post(search::<Users>)),
        )
        .route(
            "/Users/{id}",
            resource(
                get(read::<Users>)
                    .put(replace::<Users>)
                    .patch(patch::<Users>)
                    .delete(delete::<Users>),
            ),
        )
        .route(
            "/Groups",
            only(
                &[Method::GET, Method::POST],
                get(list::<Groups>).post(create::<Groups>),
            ),
        )
        .route(
            "/Groups/.search",
            only(&[Method::POST], post(search::<Groups>)),
        )
        .route(
            "/Groups/{id}",
            resource(
                get(read::<Groups>)
                    .put(replace::<Groups>)
                    .patch(patch::<Groups>)
                    .delete(delete::<Groups>),
            ),
        )
        .route("/.search", only(&[Method::POST], post(search_all)))
        .route(
            "/ServiceProviderConfig",
            only(&[Method::GET], get(service_provider_config)),
        )
        .route("/ResourceTypes", only(&[Method::GET], get(resource_types)))
        .route(
            "/ResourceTypes/{id}",
            only(&[Method::GET], get(resource_type)),
        )
        .route("/Schemas", only(&[Method::GET], get(schemas)))
        .route("/Schemas/{id}", only(&[Method::GET], get(schema)))
        .route("/Bulk", only(&[Method::POST], post(bulk)))
        .route("/Me", any_method(me))
        .fallback(not_found)
}

fn resource(router: MethodRouter<AppState>) -> MethodRouter<AppState> {
    only(
        &[Method::GET, Method::PUT, Method::PATCH, Method::DELETE],
        router,
    )
}

/// Answers other methods with a SCIM 405 naming the allowed ones.
fn only(allowed: &'static [Method], router: MethodRouter<AppState>) -> MethodRouter<AppState> {
    router.fallback(move |method: Method| async move {
        let names: Vec<&str> = allowed.iter().map(Method::as_str).collect();
        let mut response = ScimFailure(ScimError::MethodNotAllowed(format!(
            "{method} is not allowed here; this endpoint accepts {}",
            names.join(", ")
        )))
        .into_response();
        if let Ok(value) = HeaderValue::from_str(&names.join(", ")) {
            response.headers_mut().insert(header::ALLOW, value);
        }
        response
    })
}

fn any_method<H, T>(handler: H) -> MethodRouter<AppState>
where
    H: axum::handler::Handler<T, AppState>,
    T: 'static,
{
    axum::routing::any(handler)
}

async fn not_found(method: Method, uri: axum::http::Uri) -> ScimFailure {
    ScimFailure(ScimError::NotFound(format!(
        "{method} {}: no such SCIM endpoint (resources are under /Users and /Groups)",
        uri.path()
    )))
}

/// The list parameters of a query string.
fn query(raw: Option<String>) -> Result<ListQuery, ScimFailure> {
    let raw = raw.unwrap_or_default();
    let pairs: Vec<(String, String)> = form_urlencoded::parse(raw.as_bytes())
        .into_owned()
        .collect();
    Ok(ListQuery::from_query(
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    )?)
}

fn projection(
    rtype: &'static ResourceType,
    query: &ListQuery,
    tolerances: &mut Tolerances,
) -> Projection {
    Projection::new(
        rtype,
        &query.attributes,
        &query.excluded_attributes,
        tolerances,
    )
}

/// A single resource, projected, with `ETag` (and `Location` on creation).
fn resource_response(status: StatusCode, found: &Found, projection: &Projection) -> Response {
    let body = if projection.is_default() {
        found.json.clone()
    } else {
        listing::project(projection, &found.json)
    };
    let location = (status == StatusCode::CREATED).then_some(found.location.as_str());
    with_resource_headers(
        json_text_response(status, body),
        &etag(found.version),
        location,
    )
}

/// `GET` of one resource, answering `304` when `If-None-Match` names the current version.
fn read_response(found: &Found, projection: &Projection, headers: &HeaderMap) -> Response {
    let current = etag(found.version);
    let unchanged = header_string(headers, header::IF_NONE_MATCH).is_some_and(|tags| {
        tags.split(',')
            .map(str::trim)
            .any(|t| t == "*" || t.trim_start_matches("W/") == current.trim_start_matches("W/"))
    });
    if unchanged {
        let response = StatusCode::NOT_MODIFIED.into_response();
        return with_resource_headers(response, &current, None);
    }
    resource_response(StatusCode::OK, found, projection)
}

fn list_response(listed: Listed) -> Response {
    let body =
        ListResponse::json_with_serialized(listed.total, listed.start_index, &listed.resources);
    json_text_response(StatusCode::OK, body)
}

async fn list<K: Endpoint>(
    State(app): State<AppState>,
    auth: Authenticated,
    RawQuery(raw): RawQuery,
) -> Handled {
    let Authenticated {
        caller,
        mut tolerances,
    } = auth;
    let listed = K::list(&app.site, &caller, &query(raw)?, &mut tolerances).await?;
    Ok(with_trace(list_response(listed), tolerances))
}

async fn search<K: Endpoint>(
    State(app): State<AppState>,
    auth: Authenticated,
    ScimBody(body): ScimBody,
) -> Handled {
    let Authenticated {
        caller,
        mut tolerances,
    } = auth;
    let query = ListQuery::from_search_request(body, &mut tolerances)?;
    let listed = K::list(&app.site, &caller, &query, &mut tolerances).await?;
    Ok(with_trace(list_response(listed), tolerances))
}

async fn create<K: Endpoint>(
    State(app): State<AppState>,
    auth: Authenticated,
    RawQuery(raw): RawQuery,
    ScimBody(body): ScimBody,
) -> Handled {
    let Authenticated {
        caller,
        mut tolerances,
    } = auth;
    let projection = projection(K::RTYPE, &query(raw)?, &mut tolerances);
    let mut outcome = Outcome::default();
    let found = K::create(&app.site, &caller, body, &mut tolerances, &mut outcome).await?;
    Ok(with_outcome(
        with_trace(
            resource_response(StatusCode::CREATED, &found, &projection),
            tolerances,
        ),
        outcome,
    ))
}

async fn read<K: Endpoint>(
    State(app): State<AppState>,
    auth: Authenticated,
    ResourceId(id): ResourceId,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Handled {
    let Authenticated {
        caller,
        mut tolerances,
    } = auth;
    let projection = projection(K::RTYPE, &query(raw)?, &mut tolerances);
    let found = K::get(&app.site, &caller, &id, &projection).await?;
    Ok(with_trace(
        read_response(&found, &projection, &headers),
        tolerances,
    ))
}

async fn replace<K: Endpoint>(
    State(app): State<AppState>,
    auth: Authenticated,
    ResourceId(id): ResourceId,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    ScimBody(body): ScimBody,
) -> Handled {
    let Authenticated {
        caller,
        mut tolerances,
    } = auth;
    let projection = projection(K::RTYPE, &query(raw)?, &mut tolerances);
    let if_match = header_string(&headers, header::IF_MATCH);
    let mut outcome = Outcome::default();
    let found = K::replace(
        &app.site,
        &caller,
        &id,
        body,
        if_match,
        &mut tolerances,
        &mut outcome,
    )
    .await?;
    Ok(with_outcome(
        with_trace(
            resource_response(StatusCode::OK, &found, &projection),
            tolerances,
        ),
        outcome,
    ))
}

async fn patch<K: Endpoint>(
    State(app): State<AppState>,
    auth: Authenticated,
    ResourceId(id): ResourceId,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    ScimBody(body): ScimBody,
) -> Handled {
    let Authenticated {
        caller,
        mut tolerances,
    } = auth;
    let query = query(raw)?;
    let projection = projection(K::RTYPE, &query, &mut tolerances);
    let if_match = header_string(&headers, header::IF_MATCH);
    let mut outcome = Outcome::default();
    let found = K::patch(
        &app.site,
        &caller,
        &id,
        body,
        if_match,
        &query,
        &mut tolerances,
        &mut outcome,
    )
    .await?;
    let response = match found {
        Some(found) => resource_response(StatusCode::OK, &found, &projection),
        None => StatusCode::NO_CONTENT.into_response(),
    };
    Ok(with_outcome(with_trace(response, tolerances), outcome))
}

async fn delete<K: Endpoint>(
    State(app): State<AppState>,
    auth: Authenticated,
    ResourceId(id): ResourceId,
    headers: HeaderMap,
) -> Handled {
    let Authenticated { caller, tolerances } = auth;
    let mut outcome = Outcome::default();
    K::delete(
        &app.site,
        &caller,
        &id,
        header_string(&headers, header::IF_MATCH),
        &mut outcome,
    )
    .await?;
    Ok(with_outcome(
        with_trace(StatusCode::NO_CONTENT.into_response(), tolerances),
        outcome,
    ))
}

async fn search_all(
    State(app): State<AppState>,
    auth: Authenticated,
    ScimBody(body): ScimBody,
) -> Handled {
    let Authenticated {
        caller,
        mut tolerances,
    } = auth;
    let query = ListQuery::from_search_request(body, &mut tolerances)?;
    let listed = crate::site::search::all(&app.site, &caller, &query, &mut tolerances).await?;
    Ok(with_trace(list_response(listed), tolerances))
}

async fn service_provider_config(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let base = base_url(&headers, &app);
    let config = app
        .service_provider_config()
        .to_json(&format!("{base}/ServiceProviderConfig"));
    json_response(StatusCode::OK, &config)
}

async fn resource_types(State(app): State<AppState>, headers: HeaderMap) -> Response {
    json_response(
        StatusCode::OK,
        &discovery::resource_types_list(&base_url(&headers, &app)),
    )
}

async fn resource_type(
    State(app): State<AppState>,
    ResourceId(id): ResourceId,
    headers: HeaderMap,
) -> Handled {
    let rtype = workbench_scim::schema::RESOURCE_TYPES
        .iter()
        .find(|r| r.id.eq_ignore_ascii_case(&id))
        .ok_or_else(|| {
            ScimError::NotFound(format!(
                "no resource type '{id}'; this server has User and Group"
            ))
        })?;
    Ok(json_response(
        StatusCode::OK,
        &discovery::resource_type_json(rtype, &base_url(&headers, &app)),
    ))
}

async fn schemas(State(app): State<AppState>, headers: HeaderMap) -> Response {
    json_response(
        StatusCode::OK,
        &discovery::schemas_list(&base_url(&headers, &app)),
    )
}

async fn schema(
    State(app): State<AppState>,
    ResourceId(id): ResourceId,
    headers: HeaderMap,
) -> Handled {
    let schema = discovery::schema_by_id(&id)
        .ok_or_else(|| ScimError::NotFound(format!("no schema '{id}'")))?;
    Ok(json_response(
        StatusCode::OK,
        &discovery::schema_json(schema, &base_url(&headers, &app)),
    ))
}

/// `/Bulk`: not supported, as `/ServiceProviderConfig` says (`bulk.supported: false`).
async fn bulk(_auth: Authenticated) -> ScimFailure {
    ScimFailure(ScimError::NotImplemented(
        "bulk operations are not supported (see bulk.supported in /ServiceProviderConfig); send each operation on its own".into(),
    ))
}

/// `/Me` (RFC 7644 §3.11): requests come from an IdP, not from a user, so there is no "me".
async fn me(_auth: Authenticated) -> ScimFailure {
    ScimFailure(ScimError::NotImplemented(
        "/Me is not supported: SCIM clients here are identity providers, not users".into(),
    ))
}
