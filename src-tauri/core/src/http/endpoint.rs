//! What differs between `/Users` and `/Groups` for the SCIM handlers: the resource type, and
//! which site operation serves each method (and how a PATCH is answered).

use std::future::Future;

use serde_json::Value;
use workbench_scim::Tolerances;
use workbench_scim::message::ListQuery;
use workbench_scim::projection::Projection;
use workbench_scim::schema::{GROUP, ResourceType, USER};

use crate::site::groups::Want;
use crate::site::listing::Listed;
use crate::site::{Caller, Found, Outcome, Site, SiteError, groups, users};

/// What differs between `/Users` and `/Groups`: the resource type and the site calls.
pub trait Endpoint: Send + Sync + 'static {
    const RTYPE: &'static ResourceType;

    fn list<'a>(
        site: &'a Site,
        caller: &'a Caller,
        query: &'a ListQuery,
        tolerances: &'a mut Tolerances,
    ) -> impl Future<Output = Result<Listed, SiteError>> + Send + 'a;

    fn create<'a>(
        site: &'a Site,
        caller: &'a Caller,
        body: Value,
        tolerances: &'a mut Tolerances,
        outcome: &'a mut Outcome,
    ) -> impl Future<Output = Result<Found, SiteError>> + Send + 'a;

    fn get<'a>(
        site: &'a Site,
        caller: &'a Caller,
        id: &'a str,
        projection: &'a Projection,
    ) -> impl Future<Output = Result<Found, SiteError>> + Send + 'a;

    fn replace<'a>(
        site: &'a Site,
        caller: &'a Caller,
        id: &'a str,
        body: Value,
        if_match: Option<String>,
        tolerances: &'a mut Tolerances,
        outcome: &'a mut Outcome,
    ) -> impl Future<Output = Result<Found, SiteError>> + Send + 'a;

    /// `None`: answer `204 No Content`.
    #[allow(clippy::too_many_arguments)] // one per part of the request, as the handlers have them
    fn patch<'a>(
        site: &'a Site,
        caller: &'a Caller,
        id: &'a str,
        body: Value,
        if_match: Option<String>,
        query: &'a ListQuery,
        tolerances: &'a mut Tolerances,
        outcome: &'a mut Outcome,
    ) -> impl Future<Output = Result<Option<Found>, SiteError>> + Send + 'a;

    fn delete<'a>(
        site: &'a Site,
        caller: &'a Caller,
        id: &'a str,
        if_match: Option<String>,
        outcome: &'a mut Outcome,
    ) -> impl Future<Output = Result<(), SiteError>> + Send + 'a;
}

/// `/Users`.
pub struct Users;

impl Endpoint for Users {
    const RTYPE: &'static ResourceType = &USER;

    fn list<'a>(
        site: &'a Site,
        caller: &'a Caller,
        query: &'a ListQuery,
        tolerances: &'a mut Tolerances,
    ) -> impl Future<Output = Result<Listed, SiteError>> + Send + 'a {
        users::list(site, caller, query, tolerances)
    }
    fn create<'a>(
        site: &'a Site,
        caller: &'a Caller,
        body: Value,
        tolerances: &'a mut Tolerances,
        outcome: &'a mut Outcome,
    ) -> impl Future<Output = Result<Found, SiteError>> + Send + 'a {
        users::create(site, caller, body, tolerances, outcome)
    }
    fn get<'a>(
        site: &'a Site,
        caller: &'a Caller,
        id: &'a str,
        _: &'a Projection,
    ) -> impl Future<Output = Result<Found, SiteError>> + Send + 'a {
        users::get(site, caller, id)
    }
    fn replace<'a>(
        site: &'a Site,
        caller: &'a Caller,
        id: &'a str,
        body: Value,
        if_match: Option<String>,
        tolerances: &'a mut Tolerances,
        outcome: &'a mut Outcome,
    ) -> impl Future<Output = Result<Found, SiteError>> + Send + 'a {
        users::replace(site, caller, id, body, if_match, tolerances, outcome)
    }
    /// Okta expects the updated user back.
    async fn patch<'a>(
        site: &'a Site,
        caller: &'a Caller,
        id: &'a str,
        body: Value,
        if_match: Option<String>,
        _: &'a ListQuery,
        tolerances: &'a mut Tolerances,
        outcome: &'a mut Outcome,
    ) -> Result<Option<Found>, SiteError> {
        users::patch(site, caller, id, body, if_match, tolerances, outcome)
            .await
            .map(Some)
    }
    fn delete<'a>(
        site: &'a Site,
        caller: &'a Caller,
        id: &'a str,
        if_match: Option<String>,
        outcome: &'a mut Outcome,
    ) -> impl Future<Output = Result<(), SiteError>> + Send + 'a {
        users::delete(site, caller, id, if_match, outcome)
    }
}

/// `/Groups`.
pub struct Groups;

impl Endpoint for Groups {
    const RTYPE: &'static ResourceType = &GROUP;

    fn list<'a>(
        site: &'a Site,
        caller: &'a Caller,
        query: &'a ListQuery,
        tolerances: &'a mut Tolerances,
    ) -> impl Future<Output = Result<Listed, SiteError>> + Send + 'a {
        groups::list(site, caller, query, tolerances)
    }
    fn create<'a>(
        site: &'a Site,
        caller: &'a Caller,
        body: Value,
        tolerances: &'a mut Tolerances,
        outcome: &'a mut Outcome,
    ) -> impl Future<Output = Result<Found, SiteError>> + Send + 'a {
        groups::create(site, caller, body, tolerances, outcome)
    }
    /// Members are read only when the response includes them.
    fn get<'a>(
        site: &'a Site,
        caller: &'a Caller,
        id: &'a str,
        projection: &'a Projection,
    ) -> impl Future<Output = Result<Found, SiteError>> + Send + 'a {
        groups::get(site, caller, id, projection.includes("members"))
    }
    fn replace<'a>(
        site: &'a Site,
        caller: &'a Caller,
        id: &'a str,
        body: Value,
        if_match: Option<String>,
        tolerances: &'a mut Tolerances,
        outcome: &'a mut Outcome,
    ) -> impl Future<Output = Result<Found, SiteError>> + Send + 'a {
        groups::replace(site, caller, id, body, if_match, tolerances, outcome)
    }
    /// `204` (what Okta and Entra expect, and it never serialises 50,000 members) unless the
    /// request names `attributes`/`excludedAttributes`.
    async fn patch<'a>(
        site: &'a Site,
        caller: &'a Caller,
        id: &'a str,
        body: Value,
        if_match: Option<String>,
        query: &'a ListQuery,
        tolerances: &'a mut Tolerances,
        outcome: &'a mut Outcome,
    ) -> Result<Option<Found>, SiteError> {
        let want = if query.attributes.is_empty() && query.excluded_attributes.is_empty() {
            Want::Nothing
        } else {
            let projection = Projection::new(
                &GROUP,
                &query.attributes,
                &query.excluded_attributes,
                &mut Tolerances::new(),
            );
            Want::Resource {
                members: projection.includes("members"),
            }
        };
        groups::patch(site, caller, id, body, if_match, want, tolerances, outcome).await
    }
    fn delete<'a>(
        site: &'a Site,
        caller: &'a Caller,
        id: &'a str,
        if_match: Option<String>,
        outcome: &'a mut Outcome,
    ) -> impl Future<Output = Result<(), SiteError>> + Send + 'a {
        groups::delete(site, caller, id, if_match, outcome)
    }
}
