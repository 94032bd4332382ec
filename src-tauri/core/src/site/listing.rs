//! Planning a list or search (RFC 7644 §3.4.2): the filter checked and lowered, the sort, the
//! page, and the projection; and cutting the page when part of the filter runs in Rust.

use serde_json::Value;
use workbench_scim::filter::{Expr, parse_and_check};
use workbench_scim::message::{ListQuery, SortOrder};
use workbench_scim::path::{Target, resolve_text};
use workbench_scim::projection::Projection;
use workbench_scim::schema::ResourceType;
use workbench_scim::{ScimError, Tolerances};

use super::SiteError;
use crate::store::lower::{self, Lowered, Table};

/// Page size when the client asks for none.
pub const DEFAULT_PAGE_SIZE: u64 = 100;

/// The most resources one page holds (`filter.maxResults` in `/ServiceProviderConfig`).
pub const MAX_PAGE_SIZE: u64 = 1000;

/// The default list order: creation order.
const DEFAULT_ORDER: &str = "r.seq";

/// One page of results, projected and serialised, ready for a ListResponse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub resources: Vec<String>,
    pub total: u64,
    pub start_index: u64,
}

/// How a list request runs.
#[derive(Debug)]
pub(super) struct Plan {
    pub filter: Lowered,
    expr: Option<Expr>,
    pub order: String,
    start_index: u64,
    pub page_size: u64,
    projection: Projection,
}

/// Checks and lowers everything the query asks for. A filter the resource type cannot hold is
/// `invalidFilter`; an attribute that cannot be sorted on is `invalidValue`.
pub(super) fn plan(
    rtype: &'static ResourceType,
    table: Table,
    query: &ListQuery,
    tolerances: &mut Tolerances,
) -> Result<Plan, SiteError> {
    let expr = match &query.filter {
        Some(text) => Some(parse_and_check(text, rtype, tolerances)?),
        None => None,
    };
    let filter = match &expr {
        Some(expr) => lower::lower(expr, table),
        None => Lowered {
            sql: "1".into(),
            binds: Vec::new(),
            exact: true,
        },
    };
    let order = match &query.sort_by {
        None => DEFAULT_ORDER.to_owned(),
        Some(sort_by) => sort_order(rtype, table, sort_by, query.sort_order, tolerances)?,
    };
    Ok(Plan {
        filter,
        expr,
        order,
        start_index: query.start_index.max(1),
        page_size: query.count.unwrap_or(DEFAULT_PAGE_SIZE).min(MAX_PAGE_SIZE),
        projection: Projection::new(
            rtype,
            &query.attributes,
            &query.excluded_attributes,
            tolerances,
        ),
    })
}

fn sort_order(
    rtype: &'static ResourceType,
    table: Table,
    sort_by: &str,
    order: SortOrder,
    tolerances: &mut Tolerances,
) -> Result<String, SiteError> {
    let invalid = |why: String| {
        SiteError::Scim(ScimError::InvalidValue(format!(
            "sortBy '{sort_by}': {why}"
        )))
    };
    let target = resolve_text(sort_by, rtype, tolerances).map_err(|e| invalid(e.detail()))?;
    let Target::Attr(target) = target else {
        return Err(invalid("name an attribute, not a whole extension".into()));
    };
    if target.filter.is_some() {
        return Err(invalid("a sort key cannot have a value filter".into()));
    }
    lower::order_by(
        table,
        target.owner,
        target.attr,
        target.sub,
        order == SortOrder::Descending,
    )
    .ok_or_else(|| invalid("this attribute cannot be sorted on".into()))
}

impl Plan {
    /// Rows to skip: `startIndex` is 1-based.
    pub fn offset(&self) -> u64 {
        self.start_index - 1
    }

    /// No filter and no `sortBy`: the default order, which the position index can page.
    pub fn is_unfiltered_default_order(&self) -> bool {
        self.expr.is_none() && self.order == DEFAULT_ORDER
    }

    /// The total, when a first page that came back short already tells it (no count query).
    pub fn total_from_page(&self, rows: usize) -> Option<u64> {
        (self.offset() == 0 && (rows as u64) < self.page_size).then_some(rows as u64)
    }

    /// The projection of this request (also for single-resource reads).
    pub fn projection(&self) -> &Projection {
        &self.projection
    }

    /// A page SQL cut (full representations), projected, with the total.
    pub fn listed(&self, resources: Vec<String>, total: u64) -> Listed {
        let resources = if self.projection.is_default() {
            resources
        } else {
            resources
                .iter()
                .map(|r| project(&self.projection, r))
                .collect()
        };
        Listed {
            resources,
            total,
            start_index: self.start_index,
        }
    }

    /// The candidates that really match (the part of the filter SQL could not express).
    pub fn keep_matching(&self, candidates: Vec<String>) -> Vec<String> {
        let Some(expr) = &self.expr else {
            return candidates;
        };
        candidates
            .into_iter()
            .filter(|r| {
                let value = serde_json::from_str::<Value>(r).unwrap_or(Value::Null);
                value.as_object().is_some_and(|o| expr.matches(o))
            })
            .collect()
    }

    /// A page cut from every match, in order.
    pub fn listed_from_all(&self, matching: Vec<String>) -> Listed {
        let total = matching.len() as u64;
        let page: Vec<String> = matching
            .into_iter()
            .skip(usize::try_from(self.offset()).unwrap_or(usize::MAX))
            .take(usize::try_from(self.page_size).unwrap_or(usize::MAX))
            .collect();
        self.listed(page, total)
    }
}

/// `projection` applied to a serialised representation.
pub fn project(projection: &Projection, representation: &str) -> String {
    match serde_json::from_str::<Value>(representation) {
        Ok(value) => projection.apply(&value).to_string(),
        Err(_) => representation.to_owned(),
    }
}
