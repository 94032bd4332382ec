//! SCIM operations on users (RFC 7644 §3.3–§3.6) for one SSO provider. A provider sees, and can
//! change, only the users it manages; a `userName` held by anyone else is a `409` that says why
//! (SCIM never adopts an existing account). Every write goes through the provisioning rules in
//! the same transaction: the account fields, held/active/disabled status, role and site
//! memberships they decide are stored with the SCIM change, with history entries and a trace.

use serde_json::Value;
use workbench_scim::compare::fold_case;
use workbench_scim::message::ListQuery;
use workbench_scim::patch::{OpKind, Operation};
use workbench_scim::path::Target as PatchTarget;
use workbench_scim::schema::USER;
use workbench_scim::{Resource, Tolerances, patch, resource};

use super::listing::{self, Listed};
use super::provision::{self, Change, Interface, Target};
use super::render::{self, parse_stored};
use super::{Caller, Found, Outcome, Site, SiteError, check_if_match};
use crate::rules::{self, Deprovision, GroupsFrom};
use crate::secrets;
use crate::store::groups as group_rows;
use crate::store::lower::Table;
use crate::store::users::{self as rows, AccountRow, ScimUserRow, UserRow, UserWrite};
use crate::store::{Millis, StoreError, Unique};

/// Attributes the server derives or must not keep: never stored in the resource JSON.
const NOT_STORED: [&str; 3] = ["meta", "groups", "password"];

/// A user resource ready to store: the row's SCIM side and what the account takes from it.
pub(super) struct Prepared {
    pub(super) write: UserWrite,
    pub(super) password_given: bool,
    pub(super) email: Option<String>,
    pub(super) organization: Option<String>,
}

/// The row to write for `resource`; the password, if any, is dropped (the workbench only
/// records that one was set).
pub(super) fn prepare(
    mut resource: Resource,
    id: &str,
    provider_id: Option<&str>,
) -> Result<Prepared, SiteError> {
    let password_given = resource.remove("password").is_some();
    for name in NOT_STORED {
        resource.remove(name);
    }
    resource.set_id(id);
    let user_name = resource
        .get_str("userName")
        .ok_or_else(|| SiteError::Invalid("a user needs a userName".into()))?
        .to_owned();
    let email = email_of(&resource, &user_name);
    let encode = |map: &serde_json::Map<String, Value>| {
        serde_json::to_string(map).map_err(|e| SiteError::Store(StoreError::Corrupt(e.to_string())))
    };
    let write = UserWrite {
        id: id.to_owned(),
        provider_id: provider_id.map(str::to_owned),
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
    let organization = provision::organization(&write.resource);
    Ok(Prepared {
        write,
        password_given,
        email,
        organization,
    })
}

/// The account's email: the primary email, else the first, else the user name if it is one.
fn email_of(resource: &Resource, user_name: &str) -> Option<String> {
    let emails = resource.get("emails").and_then(Value::as_array);
    let value = |item: &Value| item.get("value").and_then(Value::as_str).map(str::to_owned);
    emails
        .and_then(|items| {
            items
                .iter()
                .find(|i| i.get("primary").and_then(Value::as_bool) == Some(true))
                .or_else(|| items.first())
        })
        .and_then(value)
        .or_else(|| user_name.contains('@').then(|| user_name.to_owned()))
}

/// The `409` for a user name someone else holds: who holds it decides what the client is told.
pub(super) fn name_taken(holder: &UserRow, user_name: &str, caller: &str) -> SiteError {
    let visible = holder.provider_id.as_deref() == Some(caller)
        && holder.account.managed
        && !holder.account.scim_deleted;
    if visible {
        return SiteError::Conflict(format!(
            "userName '{user_name}' is already taken by user {}",
            holder.id
        ));
    }
    let what = if holder.account.managed && holder.provider_id.is_some() {
        "another SSO provider manages it"
    } else {
        "it is a local account"
    };
    SiteError::Conflict(format!(
        "an account with userName '{user_name}' already exists on this site and is not managed by this SSO provider ({what}); SCIM \
         does not adopt existing accounts: associate the account with this SSO provider first, \
         then retry"
    ))
}

/// The `409` when a write runs into the unique index (a rename onto a taken name).
pub(super) async fn on_unique(
    conn: &mut sqlx::SqliteConnection,
    error: StoreError,
    write: &UserWrite,
    caller: &str,
) -> SiteError {
    let is_name =
        matches!(&error, StoreError::Database(e) if Unique::of(e) == Some(Unique::UserName));
    if !is_name {
        return error.into();
    }
    match rows::by_user_name(&mut *conn, &write.user_name_key).await {
        Ok(Some(holder)) => name_taken(&holder, &write.user_name, caller),
        Ok(None) => error.into(),
        Err(e) => e.into(),
    }
}

/// The IdP groups a request states for a user: the `groups` it sent (names), if any. An empty
/// list counts only once the IdP has sent groups on the user before: Okta sends `groups: []` on
/// every create and pushes memberships to groups instead.
async fn stated_groups(
    conn: &mut sqlx::SqliteConnection,
    sent: Option<&Value>,
    before: Option<&AccountRow>,
) -> Result<Option<Vec<String>>, SiteError> {
    let Some(names) = provision::groups_attribute(conn, sent).await? else {
        return Ok(before
            .and_then(|b| b.idp_groups.clone())
            .and_then(|j| serde_json::from_str(&j).ok()));
    };
    let sent_before = before.is_some_and(|b| b.idp_groups.is_some());
    Ok((!names.is_empty() || sent_before).then_some(names))
}

/// `POST /Users`.
pub async fn create(
    site: &Site,
    caller: &Caller,
    body: Value,
    tolerances: &mut Tolerances,
    outcome: &mut Outcome,
) -> Result<Found, SiteError> {
    let sent_groups = field(&body, "groups");
    let parsed = resource::parse(&USER, body, tolerances)?.resource;
    let active = parsed.get("active").and_then(Value::as_bool);
    let provider = caller.provider.clone();
    let now = site.now();
    let (row, came_back, parts) = site
        .store()
        .write_or_rehearse(caller.dry_run, move |conn| {
            Box::pin(async move {
                // A new name is the common case: insert first, and look the name up only when
                // it is taken (a round trip fewer per create). Nothing is written before an
                // insert that fails, and its trace is dropped with `attempt`.
                let mut attempt =
                    Change::start(conn, Some(&provider), Interface::Scim, now).await?;
                let id = secrets::uuid();
                let inserted = insert(
                    &mut attempt,
                    conn,
                    parsed.clone(),
                    &id,
                    sent_groups.as_ref(),
                    active,
                )
                .await?;
                let (row, came_back, change) = match inserted {
                    Some(row) => (row, false, attempt),
                    None => {
                        let mut change =
                            Change::start(conn, Some(&provider), Interface::Scim, now).await?;
                        let user_name = parsed.get_str("userName").unwrap_or_default();
                        let holder = rows::by_user_name(&mut *conn, &fold_case(user_name))
                            .await?
                            .ok_or_else(|| {
                                SiteError::Conflict(format!(
                                    "userName '{user_name}' is taken, but by no user this transaction can see"
                                ))
                            })?;
                        if holder.provider_id.as_deref() != Some(provider.id.as_str())
                            || !holder.account.scim_deleted
                        {
                            return Err(name_taken(&holder, user_name, &provider.id));
                        }
                        let row = reprovision(
                            &mut change,
                            conn,
                            holder,
                            parsed,
                            sent_groups.as_ref(),
                            active,
                        )
                        .await?;
                        (row, true, change)
                    }
                };
                let parts = change.finish(conn).await?;
                Ok::<_, SiteError>((row, came_back, parts))
            })
        })
        .await?;
    outcome.absorb(parts);
    if !caller.dry_run {
        if came_back {
            site.positions.forget(&caller.provider.id);
        } else {
            site.positions.added(&caller.provider.id, row.seq);
        }
    }
    render::user(&row.scim(), &caller.base_url)
}

/// A top-level member of a request body, by case-insensitive name.
fn field(body: &Value, name: &str) -> Option<Value> {
    body.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}

/// Creates a user the IdP sent, as the rules decide; `None` when its `userName` is taken.
async fn insert(
    change: &mut Change<'_>,
    conn: &mut sqlx::SqliteConnection,
    resource: Resource,
    id: &str,
    sent_groups: Option<&Value>,
    active: Option<bool>,
) -> Result<Option<UserRow>, SiteError> {
    let provider = change.provider.map(|p| p.id.clone()).unwrap_or_default();
    let prepared = prepare(resource, id, Some(&provider))?;
    let groups = stated_groups(conn, sent_groups, None).await?;
    let (names, from) = match &groups {
        Some(names) => (names.clone(), GroupsFrom::UserAttribute),
        None => (Vec::new(), GroupsFrom::PushedGroups),
    };
    let write = prepared.write;
    let mut account = provision::reconcile_user(
        change,
        conn,
        (id, &write.user_name),
        None,
        (&names, from, prepared.organization.as_deref()),
        active,
    )
    .await?;
    account.email = prepared.email;
    account.idp_groups = groups.map(|g| serde_json::Value::from(g).to_string());
    account.status_changed_at = Some(change.now);
    let seq = match rows::insert(&mut *conn, &write, &account, change.now).await {
        Ok(seq) => seq,
        Err(StoreError::Database(e)) if Unique::of(&e) == Some(Unique::UserName) => {
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Some(row_after_write(
        seq,
        write,
        change.now,
        change.now,
        1,
        "[]".into(),
        account,
    )))
}

/// The IdP creates again a user it deleted while `deprovision_behavior` was `disable`: the
/// same account comes back (SPEC.md), re-evaluated by the rules.
async fn reprovision(
    change: &mut Change<'_>,
    conn: &mut sqlx::SqliteConnection,
    held: UserRow,
    resource: Resource,
    sent_groups: Option<&Value>,
    active: Option<bool>,
) -> Result<UserRow, SiteError> {
    let provider = change.provider.map(|p| p.id.clone()).unwrap_or_default();
    let prepared = prepare(resource, &held.id, Some(&provider))?;
    let name = prepared.write.user_name.clone();
    change.trace.note(format!(
        "'{name}' was de-provisioned (disabled) after this provider's DELETE; the IdP creates it again → the same account is re-provisioned"
    ));
    change.record(
        "user_reprovisioned",
        Target::User {
            id: &held.id,
            name: &name,
        },
        format!("user {name} re-provisioned"),
    );
    // The account as it was before the DELETE disabled it.
    let mut before = held.account.clone();
    before.status = rules::Status::Active.as_str().to_owned();
    before.disabled_reason = None;
    before.scim_deleted = false;
    let groups = stated_groups(conn, sent_groups, None).await?;
    let (names, from) = match &groups {
        Some(names) => (names.clone(), GroupsFrom::UserAttribute),
        None => (Vec::new(), GroupsFrom::PushedGroups),
    };
    let mut account = provision::reconcile_user(
        change,
        conn,
        (&held.id, &name),
        Some(&before),
        (&names, from, prepared.organization.as_deref()),
        active,
    )
    .await?;
    account.email = prepared.email;
    account.idp_groups = groups.map(|g| serde_json::Value::from(g).to_string());
    account.status_changed_at = Some(change.now);
    let mut write = prepared.write;
    write.password_set = prepared.password_given;
    if let Err(e) = rows::update(&mut *conn, held.seq, &write, &account, change.now).await {
        return Err(on_unique(conn, e, &write, &provider).await);
    }
    Ok(row_after_write(
        held.seq,
        write,
        held.created_at,
        change.now,
        held.version + 1,
        held.memberships,
        account,
    ))
}

fn row_after_write(
    seq: i64,
    write: UserWrite,
    created_at: Millis,
    updated_at: Millis,
    version: i64,
    memberships: String,
    account: AccountRow,
) -> UserRow {
    UserRow {
        seq,
        id: write.id,
        provider_id: write.provider_id,
        user_name: write.user_name,
        resource: write.resource,
        password_set: write.password_set,
        created_at,
        updated_at,
        version,
        memberships,
        account,
    }
}

/// The user `id` if `caller` manages it (and has not deleted it).
async fn visible<'e>(
    db: impl sqlx::Executor<'e, Database = sqlx::Sqlite>,
    caller: &str,
    id: &str,
) -> Result<UserRow, SiteError> {
    rows::get(db, id)
        .await?
        .filter(|row| {
            row.provider_id.as_deref() == Some(caller)
                && row.account.managed
                && !row.account.scim_deleted
        })
        .ok_or_else(|| SiteError::NotFound(format!("User {id} not found")))
}

/// `GET /Users/{id}`.
pub async fn get(site: &Site, caller: &Caller, id: &str) -> Result<Found, SiteError> {
    let row = rows::scim_get(site.store().reader(), &caller.provider.id, id)
        .await?
        .ok_or_else(|| SiteError::NotFound(format!("User {id} not found")))?;
    render::user(&row, &caller.base_url)
}

/// What an update states besides the new resource.
struct Stated {
    /// `active`, if the request set it.
    active: Option<bool>,
    /// The `groups` member of a `PUT` body.
    groups: Option<Value>,
}

/// Writes `next` over `row` with the account the rules decide; returns the row as it stands.
async fn update(
    change: &mut Change<'_>,
    conn: &mut sqlx::SqliteConnection,
    row: UserRow,
    next: Resource,
    stated: Stated,
) -> Result<UserRow, SiteError> {
    let provider = change.provider.map(|p| p.id.clone()).unwrap_or_default();
    let prepared = prepare(next, &row.id, Some(&provider))?;
    let mut write = prepared.write;
    write.password_set = prepared.password_given || row.password_set;
    let groups = stated_groups(conn, stated.groups.as_ref(), Some(&row.account)).await?;
    let (names, from) = match &groups {
        Some(names) => (names.clone(), GroupsFrom::UserAttribute),
        None => provision::idp_groups(&row),
    };
    let mut account = provision::reconcile_user(
        change,
        conn,
        (&row.id, &write.user_name),
        Some(&row.account),
        (&names, from, prepared.organization.as_deref()),
        stated.active,
    )
    .await?;
    account.email = prepared.email;
    account.idp_groups = groups.map(|g| serde_json::Value::from(g).to_string());
    let resource_same = write.resource == row.resource && write.password_set == row.password_set;
    if resource_same {
        if account != row.account {
            rows::update_account(&mut *conn, row.seq, row.provider_id.as_deref(), &account).await?;
        }
        return Ok(UserRow { account, ..row });
    }
    if let Err(e) = rows::update(&mut *conn, row.seq, &write, &account, change.now).await {
        return Err(on_unique(conn, e, &write, &provider).await);
    }
    if write.user_name != row.user_name {
        let (old, new) = (&row.user_name, &write.user_name);
        change.record(
            "user_updated",
            Target::User {
                id: &row.id,
                name: new,
            },
            format!("user {old} renamed to {new}"),
        );
    }
    Ok(row_after_write(
        row.seq,
        write,
        row.created_at,
        change.now,
        row.version + 1,
        row.memberships,
        account,
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
    outcome: &mut Outcome,
) -> Result<Found, SiteError> {
    let groups = field(&body, "groups");
    let parsed = resource::parse(&USER, body, tolerances)?;
    let active = parsed.resource.get("active").and_then(Value::as_bool);
    let (provider, id) = (caller.provider.clone(), id.to_owned());
    let now = site.now();
    let (row, parts) = site
        .store()
        .write_or_rehearse(caller.dry_run, move |conn| {
            Box::pin(async move {
                let row = visible(&mut *conn, &provider.id, &id).await?;
                check_if_match(if_match.as_deref(), row.version)?;
                let mut change = Change::start(conn, Some(&provider), Interface::Scim, now).await?;
                let existing = Resource::from_canonical(&USER, parse_stored(&row.resource)?);
                let next = resource::replace(&existing, parsed)?;
                let row = update(&mut change, conn, row, next, Stated { active, groups }).await?;
                let parts = change.finish(conn).await?;
                Ok::<_, SiteError>((row, parts))
            })
        })
        .await?;
    outcome.absorb(parts);
    render::user(&row.scim(), &caller.base_url)
}

/// Whether a PATCH operation sets `active` (by path, or inside a path-less value).
fn sets_active(op: &Operation) -> bool {
    if op.kind == OpKind::Remove {
        return false;
    }
    match &op.target {
        Some(PatchTarget::Attr(target)) => target.attr.name == "active" && target.sub.is_none(),
        Some(_) => false,
        None => op
            .value
            .as_ref()
            .and_then(Value::as_object)
            .is_some_and(|o| o.keys().any(|k| k.eq_ignore_ascii_case("active"))),
    }
}

/// `PATCH /Users/{id}` (RFC 7644 §3.5.2): applied atomically to the stored user.
pub async fn patch(
    site: &Site,
    caller: &Caller,
    id: &str,
    body: Value,
    if_match: Option<String>,
    tolerances: &mut Tolerances,
    outcome: &mut Outcome,
) -> Result<Found, SiteError> {
    let operations = patch::parse_request(body, &USER, tolerances)?;
    let states_active = operations.iter().any(sets_active);
    let (provider, id) = (caller.provider.clone(), id.to_owned());
    let now = site.now();
    let mut job_tolerances = std::mem::take(tolerances);
    let (row, parts, job_tolerances) = site
        .store()
        .write_or_rehearse(caller.dry_run, move |conn| {
            Box::pin(async move {
                let row = visible(&mut *conn, &provider.id, &id).await?;
                check_if_match(if_match.as_deref(), row.version)?;
                let mut existing = Resource::from_canonical(&USER, parse_stored(&row.resource)?);
                // The stored JSON has no id; with it, an echoed `id` (Okta's group push) is unchanged.
                existing.set_id(row.id.clone());
                let patched = patch::apply(&existing, &operations, &mut job_tolerances)?;
                if !patched.changed && !states_active {
                    return Ok((row, (rules::Trace::new(), Vec::new()), job_tolerances));
                }
                let active = states_active
                    .then(|| patched.resource.get("active").and_then(Value::as_bool))
                    .flatten();
                let mut change = Change::start(conn, Some(&provider), Interface::Scim, now).await?;
                let stated = Stated {
                    active,
                    groups: None,
                };
                let row = update(&mut change, conn, row, patched.resource, stated).await?;
                let parts = change.finish(conn).await?;
                Ok::<_, SiteError>((row, parts, job_tolerances))
            })
        })
        .await?;
    *tolerances = job_tolerances;
    outcome.absorb(parts);
    render::user(&row.scim(), &caller.base_url)
}

/// `DELETE /Users/{id}`: `deprovision_users` and `deprovision_behavior` decide what becomes of
/// the account; either way the provider no longer sees it.
pub async fn delete(
    site: &Site,
    caller: &Caller,
    id: &str,
    if_match: Option<String>,
    outcome: &mut Outcome,
) -> Result<(), SiteError> {
    let (provider, id) = (caller.provider.clone(), id.to_owned());
    let now = site.now();
    let (seq, parts) = site
        .store()
        .write_or_rehearse(caller.dry_run, move |conn| {
            Box::pin(async move {
                let row = visible(&mut *conn, &provider.id, &id).await?;
                check_if_match(if_match.as_deref(), row.version)?;
                let mut change = Change::start(conn, Some(&provider), Interface::Scim, now).await?;
                deprovision(&mut change, conn, row.clone()).await?;
                let parts = change.finish(conn).await?;
                Ok::<_, SiteError>((row.seq, parts))
            })
        })
        .await?;
    outcome.absorb(parts);
    if !caller.dry_run {
        site.positions.removed(&caller.provider.id, seq);
    }
    Ok(())
}

/// The IdP deleted `row`.
async fn deprovision(
    change: &mut Change<'_>,
    conn: &mut sqlx::SqliteConnection,
    row: UserRow,
) -> Result<(), SiteError> {
    let options = change.options();
    let (id, name) = (row.id.as_str(), row.user_name.as_str());
    let target = Target::User { id, name };
    // Groups that listed it change (their members do): new version, new time.
    group_rows::touch_containing(&mut *conn, id, change.now).await?;
    match rules::user_deleted(&options, name, &mut change.trace) {
        Deprovision::Delete => {
            rows::delete(&mut *conn, row.seq).await?;
            change.record(
                "user_deleted",
                target,
                format!("user {name} deleted (de-provisioned)"),
            );
        }
        Deprovision::Disable => {
            group_rows::unlist_member(&mut *conn, id).await?;
            let mut account = row.account.clone();
            if account.status != rules::Status::Disabled.as_str() {
                account.status_changed_at = Some(change.now);
            }
            account.status = rules::Status::Disabled.as_str().to_owned();
            account.held_reason = None;
            account.disabled_reason =
                Some(rules::DisabledReason::Deprovisioned.as_str().to_owned());
            account.scim_deleted = true;
            rows::update_account(&mut *conn, row.seq, row.provider_id.as_deref(), &account).await?;
            change.record(
                "user_disabled",
                target,
                format!("user {name} disabled (de-provisioned)"),
            );
        }
        Deprovision::EndManagement => {
            group_rows::unlist_member(&mut *conn, id).await?;
            let mut account = row.account.clone();
            account.managed = false;
            account.authentication_method = rules::AuthMethod::Password.as_str().to_owned();
            rows::update_account(&mut *conn, row.seq, None, &account).await?;
            let provider = change.provider.map(|p| p.name.clone()).unwrap_or_default();
            change.record(
                "user_unlinked",
                target,
                format!("user {name} is no longer managed by {provider}; kept as a local account"),
            );
        }
    }
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
    let render_page = |rows: Vec<ScimUserRow>| {
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
