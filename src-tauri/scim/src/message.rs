//! Protocol messages (RFC 7644 §3.4.2, §3.4.3, §3.5.2, §3.7): ListResponse, SearchRequest and
//! the list query parameters, PatchOp, BulkRequest/BulkResponse. The Error message is in
//! [`crate::error`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ScimError;
use crate::tolerance::{Rule, Tolerances};

pub const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const SEARCH_REQUEST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const BULK_REQUEST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
pub const BULK_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";

/// A page of query results (RFC 7644 §3.4.2). `Resources` is always present, `[]` when empty:
/// IdP connection tests expect exactly that for a random filter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListResponse {
    pub schemas: Vec<String>,
    pub total_results: u64,
    pub start_index: u64,
    pub items_per_page: u64,
    #[serde(rename = "Resources", default)]
    pub resources: Vec<Value>,
}

impl ListResponse {
    /// A page holding `resources`, found among `total_results`, starting at `start_index`.
    pub fn new(resources: Vec<Value>, total_results: u64, start_index: u64) -> Self {
        ListResponse {
            schemas: vec![LIST_RESPONSE_SCHEMA.to_owned()],
            total_results,
            start_index,
            items_per_page: resources.len() as u64,
            resources,
        }
    }
}

impl ListResponse {
    /// The ListResponse JSON around resources that are already serialised (each a JSON object),
    /// so a server can page out stored representations without parsing them again.
    pub fn json_with_serialized(
        total_results: u64,
        start_index: u64,
        resources: &[String],
    ) -> String {
        let size: usize = resources.iter().map(|r| r.len() + 1).sum();
        let mut out = String::with_capacity(size + 160);
        out.push_str("{\"schemas\":[\"");
        out.push_str(LIST_RESPONSE_SCHEMA);
        out.push_str(&format!(
            "\"],\"totalResults\":{total_results},\"startIndex\":{start_index},\"itemsPerPage\":{},\"Resources\":[",
            resources.len()
        ));
        for (i, resource) in resources.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(resource);
        }
        out.push_str("]}");
        out
    }
}

/// `sortOrder` (RFC 7644 §3.4.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    #[default]
    Ascending,
    Descending,
}

/// The parameters of a list or search request, from query parameters or a SearchRequest
/// body, normalised as RFC 7644 §3.4.2.4 says (`startIndex` < 1 is 1, `count` < 0 is 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub filter: Option<String>,
    pub sort_by: Option<String>,
    pub sort_order: SortOrder,
    /// 1-based index of the first result.
    pub start_index: u64,
    /// Requested page size; `None` leaves it to the server.
    pub count: Option<u64>,
    pub attributes: Vec<String>,
    pub excluded_attributes: Vec<String>,
}

impl Default for ListQuery {
    fn default() -> Self {
        ListQuery {
            filter: None,
            sort_by: None,
            sort_order: SortOrder::Ascending,
            start_index: 1,
            count: None,
            attributes: Vec::new(),
            excluded_attributes: Vec::new(),
        }
    }
}

impl ListQuery {
    /// Reads URL query parameters (already percent-decoded). Names are matched without
    /// regard to case; unknown parameters are ignored. A `startIndex` or `count` that is not an
    /// integer, or a `sortOrder` other than `ascending`/`descending`, is a `400` without
    /// `scimType` ([`ScimError::BadRequest`], as the error catalog says).
    pub fn from_query<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, ScimError> {
        let mut query = ListQuery::default();
        for (key, value) in pairs {
            match key.to_ascii_lowercase().as_str() {
                "filter" => query.filter = Some(value.to_owned()),
                "sortby" => query.sort_by = non_empty(value),
                "sortorder" => query.sort_order = sort_order(value)?,
                "startindex" => {
                    query.start_index = start_index(parse_integer("startIndex", value)?)
                }
                "count" => query.count = Some(count(parse_integer("count", value)?)),
                "attributes" => query.attributes = split_list(value),
                "excludedattributes" => query.excluded_attributes = split_list(value),
                _ => {}
            }
        }
        Ok(query)
    }

    /// Reads a SearchRequest body (`POST /.search`, RFC 7644 §3.4.3).
    pub fn from_search_request(
        body: Value,
        tolerances: &mut Tolerances,
    ) -> Result<Self, ScimError> {
        let Value::Object(body) = body else {
            return Err(ScimError::InvalidSyntax(
                "a SearchRequest must be a JSON object".into(),
            ));
        };
        let field = |name: &str| {
            body.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        };
        match field("schemas") {
            None => tolerances.note(
                Rule::SchemasMissing,
                format!("assumed [\"{SEARCH_REQUEST_SCHEMA}\"]"),
            ),
            Some(Value::Array(urns))
                if urns.iter().any(|u| {
                    u.as_str()
                        .is_some_and(|u| u.eq_ignore_ascii_case(SEARCH_REQUEST_SCHEMA))
                }) => {}
            Some(_) => {
                return Err(ScimError::InvalidSyntax(format!(
                    "'schemas' of a SearchRequest must be [\"{SEARCH_REQUEST_SCHEMA}\"]"
                )));
            }
        }
        let mut query = ListQuery::default();
        let text = |name: &str| -> Result<Option<String>, ScimError> {
            match field(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(ScimError::InvalidValue(format!(
                    "'{name}' must be a string"
                ))),
            }
        };
        query.filter = text("filter")?;
        query.sort_by = text("sortBy")?.and_then(|s| non_empty(&s));
        if let Some(order) = text("sortOrder")? {
            query.sort_order = sort_order(&order)?;
        }
        let integer = |name: &str| -> Result<Option<i64>, ScimError> {
            match field(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Number(n)) => n
                    .as_i64()
                    .or_else(|| n.as_u64().map(|_| i64::MAX))
                    .map(Some)
                    .ok_or_else(|| ScimError::InvalidValue(format!("'{name}' must be an integer"))),
                Some(_) => Err(ScimError::InvalidValue(format!(
                    "'{name}' must be an integer"
                ))),
            }
        };
        if let Some(n) = integer("startIndex")? {
            query.start_index = start_index(n);
        }
        query.count = integer("count")?.map(count);
        query.attributes = string_list(field("attributes"), "attributes")?;
        query.excluded_attributes = string_list(field("excludedAttributes"), "excludedAttributes")?;
        Ok(query)
    }
}

fn non_empty(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

fn sort_order(value: &str) -> Result<SortOrder, ScimError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "ascending" | "" => Ok(SortOrder::Ascending),
        "descending" => Ok(SortOrder::Descending),
        _ => Err(ScimError::BadRequest(format!(
            "sortOrder is \"{value}\"; expected \"ascending\" or \"descending\""
        ))),
    }
}

/// An integer parameter; digits beyond the 64-bit range saturate.
fn parse_integer(name: &str, value: &str) -> Result<i64, ScimError> {
    let value = value.trim();
    value.parse::<i64>().or_else(|_| {
        let digits = value.strip_prefix('-').unwrap_or(value);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(if value.starts_with('-') {
                i64::MIN
            } else {
                i64::MAX
            })
        } else {
            Err(ScimError::BadRequest(format!(
                "{name} is \"{value}\"; expected an integer"
            )))
        }
    })
}

/// RFC 7644 §3.4.2.4: "A value less than 1 SHALL be interpreted as 1."
fn start_index(n: i64) -> u64 {
    n.max(1) as u64
}

/// RFC 7644 §3.4.2.4: "A negative value SHALL be interpreted as 0."
fn count(n: i64) -> u64 {
    n.max(0) as u64
}

fn split_list(value: &str) -> Vec<String> {
    value.split(',').filter_map(non_empty).collect()
}

fn string_list(value: Option<&Value>, name: &str) -> Result<Vec<String>, ScimError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(split_list(s)),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                ScimError::InvalidValue(format!("'{name}' must be an array of strings"))
            }),
        Some(_) => Err(ScimError::InvalidValue(format!(
            "'{name}' must be an array of strings"
        ))),
    }
}

/// A PatchOp request (RFC 7644 §3.5.2), for clients and simulators that build one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchRequest {
    pub schemas: Vec<String>,
    #[serde(rename = "Operations")]
    pub operations: Vec<PatchOperation>,
}

/// One operation of a [`PatchRequest`], as written on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchOperation {
    pub op: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub value: Option<Value>,
}

impl PatchRequest {
    pub fn new(operations: Vec<PatchOperation>) -> Self {
        PatchRequest {
            schemas: vec![PATCH_OP_SCHEMA.to_owned()],
            operations,
        }
    }
}

/// A BulkRequest (RFC 7644 §3.7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkRequest {
    pub schemas: Vec<String>,
    #[serde(
        rename = "failOnErrors",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub fail_on_errors: Option<u32>,
    #[serde(rename = "Operations")]
    pub operations: Vec<BulkOperation>,
}

/// One operation of a [`BulkRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkOperation {
    pub method: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub bulk_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub data: Option<Value>,
}

/// A BulkResponse (RFC 7644 §3.7.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkResponse {
    pub schemas: Vec<String>,
    #[serde(rename = "Operations")]
    pub operations: Vec<BulkOperationResponse>,
}

/// The outcome of one bulk operation; `status` is the HTTP status as a string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkOperationResponse {
    pub method: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub bulk_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub location: Option<String>,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub response: Option<Value>,
}

impl BulkRequest {
    /// Reads a BulkRequest body. Errors are `invalidSyntax`.
    pub fn from_value(body: Value) -> Result<Self, ScimError> {
        let request: BulkRequest = serde_json::from_value(body)
            .map_err(|e| ScimError::InvalidSyntax(format!("not a BulkRequest: {e}")))?;
        if !request
            .schemas
            .iter()
            .any(|s| s.eq_ignore_ascii_case(BULK_REQUEST_SCHEMA))
        {
            return Err(ScimError::InvalidSyntax(format!(
                "'schemas' must be [\"{BULK_REQUEST_SCHEMA}\"]"
            )));
        }
        Ok(request)
    }
}

impl BulkResponse {
    pub fn new(operations: Vec<BulkOperationResponse>) -> Self {
        BulkResponse {
            schemas: vec![BULK_RESPONSE_SCHEMA.to_owned()],
            operations,
        }
    }
}
