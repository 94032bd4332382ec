//! SCIM operations on users (RFC 7644 §3.3–§3.6) for one SSO provider: a provider sees, and can
//! change, only the users it manages; a `userName` held by anyone else is a `409` that says
//! why (SCIM never adopts an existing account).

use serde_json::Value;
use workbench_scim::compare::fold_case;
use workbench_scim::message::ListQuery;
use workbench_scim::schema::USER;
use workbench_scim::{Resource, Tolerances, patch, resource};

use super::listing::{self, Listed};
use super::render::{self, parse_stored};
use super::{Caller, Found, Site, SiteError, check_if_match};
use crate::secrets;
use crate::store::lower::Table;
use crate::store::users::{self as rows, UserRow, UserWrite};
use crate::store::{Millis, StoreError, Unique};

/// Attributes the server derives or must not keep: never stored in the resource JSON.
const NOT_STORED: [&str; 3] = ["meta", "groups", "password"];

/// The row to write for `resource`; the password, if any, is dropped (the workbench only
/// records that one was set).
fn to_write(
    mut resource: Resource,
    id: &str,
    provider_id: &str,
) -> Result<(UserWrite, bool), SiteError> {
    let password_given = resource.remove("password").is_some();
    for name in NOT_STORED {
        resource.remove(name);
    }
    resource.set_id(id);
    let user_name = resource
        .get_str("userName")
        .ok_or_else(|| SiteError::Invalid("a user needs a userName".into()))?
        .to_owned();
    let encode = |map: &serde_json::Map<String, Value>| {
        serde_json::to_string(map).map_err(|e| SiteError::Store(StoreError::Corrupt(e.to_string())))
    };
    let write = UserWrite {
        id: id.to_owned(),
        provider_id: Some(provider_id.to_owned()),
        user_name_key: fold_case(&user_name).into_owned(),
        user_name,
        external_id: resource.get_str("externalId").map(str::to_owned),
        display_name_key: resource
            .get_str("displayName")
            .map(|d| fold_case(d).into_owned()),
        active: resource.get("active").and_then(Value::as_bool),
        password_set: password_given,
        folded: encode(&resource.folded())?,
        resource: render::stored_text(&resource)?,
    };
    Ok((write, password_given))
}

/// The `409` for a taken user name: who holds it decides what the client is told.
async fn name_taken(
    conn: &mut sqlx::SqliteConnection,
    write: &UserWrite,
    caller: &str,
) -> SiteError {
    let holder = match rows::holder_of_user_name(&mut *conn, &write.user_name_key).await {
        Ok(holder) => holder,
        Err(e) => return e.into(),
    };
    match holder {
        Some((id, Some(provider))) if provider == caller => SiteError::Conflict(format!(
            "userName '{}' is already taken by user {id}",
            write.user_name
        )),
        _ => SiteError::Conflict(format!(
            "an account with userName '{}' already exists on this site and is not managed by this \
             SSO provider; SCIM does not adopt existing accounts: associate the account with this \
             SSO provider first, then retry",
            write.user_name
        )),
    }
}

fn conflict_or(error: StoreError) -> Result<(), StoreError> {
    match Unique::of(match &error {
        StoreError::Database(e) => e,
        _ => return Err(error),
    }) {
        Some(Unique::UserName) => Ok(()),
        _ => Err(error),
    }
}

/// `POST /Users`.
pub async fn create(
    site: &Site,
    caller: &Caller,
    body: Value,
    tolerances: &mut Tolerances,
) -> Result<Found, SiteError> {
    let parsed = resource::parse(&USER, body, tolerances)?;
    let id = secrets::uuid();
    let provider = caller.provider.id.clone();
    let (write, _) = to_write(parsed.resource, &id, &provider)?;
    let now = site.now();
    let row = site
        .store()
        .write_single(move |conn| {
            Box::pin(async move {
                match rows::insert(&mut *conn, &write, now).await {
                    Ok(seq) => Ok(row_after_write(seq, write, now, now, 1, "[]".into())),
                    Err(e) => {
                        conflict_or(e)?;
                        Err(name_taken(conn, &write, &provider).await)
                    }
                }
            })
        })
        .await?;
    site.positions.added(&caller.provider.id, row.seq);
    render::user(&row, &caller.base_url)
}

fn row_after_write(
    seq: i64,
    write: UserWrite,
    created_at: Millis,
    updated_at: Millis,
    version: i64,
    memberships: String,
) -> UserRow {
    UserRow {
        seq,
        id: write.id,
        provider_id: write.provider_id,
        resource: write.resource,
        password_set: write.password_set,
        created_at,
        updated_at,
        version,
        memberships,
    }
}

/// The user `id` if `caller` manages it.
async fn visible<'e>(
    db: impl sqlx::Executor<'e, Database = sqlx::Sqlite>,
    caller: &str,
    id: &str,
) -> Result<UserRow, SiteError> {
    rows::get(db, id)
        .await?
        .filter(|row| row.provider_id.as_deref() == Some(caller))
        .ok_or_else(|| SiteError::NotFound(format!("User {id} not found")))
}

/// Renders a user with its memberships.
fn found(row: &UserRow, base_url: &str) -> Result<Found, SiteError> {
    render::user(row, base_url)
}

/// `GET /Users/{id}`.
pub async fn get(site: &Site, caller: &Caller, id: &str) -> Result<Found, SiteError> {
    let row = visible(site.store().reader(), &caller.provider.id, id).await?;
    found(&row, &caller.base_url)
}

/// Writes `next` over `row` if it differs; returns the row as it now stands.
async fn write_changed(
    conn: &mut sqlx::SqliteConnection,
    row: UserRow,
    next: Resource,
    provider: &str,
    now: Millis,
) -> Result<UserRow, SiteError> {
    let (mut write, password_given) = to_write(next, &row.id, provider)?;
    write.password_set = password_given || row.password_set;
    if write.resource == row.resource && write.password_set == row.password_set {
        return Ok(row);
    }
    if let Err(e) = rows::update(&mut *conn, row.seq, &write, now).await {
        conflict_or(e)?;
        return Err(name_taken(conn, &write, provider).await);
    }
    let memberships = row.memberships;
    Ok(row_after_write(
        row.seq,
        write,
        row.created_at,
        now,
        row.version + 1,
        memberships,
    ))
}

/// `PUT /Users/{id}` (RFC 7644 §3.5.1).
pub async fn replace(
    site: &Site,
    caller: &Caller,
    id: &str,
    body: Value,
    if_match: Option<String>,
    tolerances: &mut Tolerances,
) -> Result<Found, SiteError> {
    let parsed = resource::parse(&USER, body, tolerances)?;
    let (provider, id, base) = (
        caller.provider.id.clone(),
        id.to_owned(),
        caller.base_url.clone(),
    );
    let now = site.now();
    site.store()
        .write_single(move |conn| {
            Box::pin(async move {
                let row = visible(&mut *conn, &provider, &id).await?;
                check_if_match(if_match.as_deref(), row.version)?;
                let existing = Resource::from_canonical(&USER, parse_stored(&row.resource)?);
                let next = resource::replace(&existing, parsed)?;
                let row = write_changed(&mut *conn, row, next, &provider, now).await?;
                found(&row, &base)
            })
        })
        .await
}

/// `PATCH /Users/{id}` (RFC 7644 §3.5.2): applied atomically to the stored user.
pub async fn patch(
    site: &Site,
    caller: &Caller,
    id: &str,
    body: Value,
    if_match: Option<String>,
    tolerances: &mut Tolerances,
) -> Result<Found, SiteError> {
    let operations = patch::parse_request(body, &USER, tolerances)?;
    let (provider, id, base) = (
        caller.provider.id.clone(),
        id.to_owned(),
        caller.base_url.clone(),
    );
    let now = site.now();
    let mut job_tolerances = std::mem::take(tolerances);
    let (found, job_tolerances) = site
        .store()
        .write_single(move |conn| {
            Box::pin(async move {
                let row = visible(&mut *conn, &provider, &id).await?;
                check_if_match(if_match.as_deref(), row.version)?;
                let mut existing = Resource::from_canonical(&USER, parse_stored(&row.resource)?);
                // The stored JSON has no id; with it, an echoed `id` (Okta's group push) is unchanged.
                existing.set_id(row.id.clone());
                let patched = patch::apply(&existing, &operations, &mut job_tolerances)?;
                let row = if patched.changed {
                    write_changed(&mut *conn, row, patched.resource, &provider, now).await?
                } else {
                    row
                };
                Ok::<_, SiteError>((found(&row, &base)?, job_tolerances))
            })
        })
        .await?;
    *tolerances = job_tolerances;
    Ok(found)
}

/// `DELETE /Users/{id}`.
pub async fn delete(
    site: &Site,
    caller: &Caller,
    id: &str,
    if_match: Option<String>,
) -> Result<(), SiteError> {
    let (provider, id) = (caller.provider.id.clone(), id.to_owned());
    let now = site.now();
    let seq = site
        .store()
        .write(move |conn| {
            Box::pin(async move {
                let row = visible(&mut *conn, &provider, &id).await?;
                check_if_match(if_match.as_deref(), row.version)?;
                // Groups that listed it change too (their members do): new version, new time.
                crate::store::groups::touch_containing(&mut *conn, &row.id, now).await?;
                rows::delete(&mut *conn, row.seq).await?;
                Ok::<_, SiteError>(row.seq)
            })
        })
        .await?;
    site.positions.removed(&caller.provider.id, seq);
    Ok(())
}

/// `GET /Users` and `POST /Users/.search`.
pub async fn list(
    site: &Site,
    caller: &Caller,
    query: &ListQuery,
    tolerances: &mut Tolerances,
) -> Result<Listed, SiteError> {
    let plan = listing::plan(&USER, Table::Users, query, tolerances)?;
    let db = site.store().reader();
    let provider = &caller.provider.id;
    let render_page = |rows: Vec<UserRow>| {
        rows.iter()
            .map(|row| render::user(row, &caller.base_url).map(|found| found.json))
            .collect::<Result<Vec<String>, SiteError>>()
    };
    if plan.is_unfiltered_default_order() {
        let start = site
            .positions
            .page_start(site.store(), provider, plan.offset())
            .await?;
        if let Some(start) = start {
            let rows = match (start.seq, plan.page_size) {
                (Some(seq), size) if size > 0 => rows::page_from(db, provider, seq, size).await?,
                _ => Vec::new(),
            };
            return Ok(plan.listed(render_page(rows)?, start.total));
        }
    }
    if plan.filter.exact {
        let rows = match plan.page_size {
            0 => Vec::new(),
            size => {
                rows::page(
                    db,
                    provider,
                    &plan.filter,
                    &plan.order,
                    Some(size),
                    plan.offset(),
                )
                .await?
            }
        };
        let total = match plan.total_from_page(rows.len()) {
            Some(total) => total,
            None => rows::count(db, provider, &plan.filter).await?,
        };
        return Ok(plan.listed(render_page(rows)?, total));
    }
    // Part of the filter is evaluated in Rust (see store::lower): every candidate is rendered
    // and tested, then the page is cut.
    let candidates = rows::page(db, provider, &plan.filter, &plan.order, None, 0).await?;
    let matching = plan.keep_matching(render_page(candidates)?);
    Ok(plan.listed_from_all(matching))
}
