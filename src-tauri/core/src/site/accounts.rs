//! Users as an administrator sees and changes them (the admin API): the list with filters, a
//! user's detail (account, SCIM view, groups, history), and the manual changes — create a
//! local user, edit, enable, disable, delete, associate with an SSO provider. Every manual
//! change is refused with the reason while manual user management is off.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use workbench_scim::schema::{USER, USER_URN};
use workbench_scim::{Tolerances, resource};

use super::history::{self, HistoryEntry};
use super::provision::{Change, Interface, Target};
use super::render::rfc3339;
use super::settings::{Manual, check_time_zone, require_manual};
use super::{Site, SiteError, providers, users};
use crate::rules::{AuthMethod, DisabledReason, Role, Status};
use crate::secrets;
use crate::store::groups as group_rows;
use crate::store::users::{self as rows, AccountRow, AdminFilter, UserRow};

/// A user as the admin API lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub email: Option<String>,
    pub status: Status,
    /// Why a `held` user has no site account.
    pub held_reason: Option<String>,
    /// Who disabled a `disabled` user (it decides who may enable it again).
    pub disabled_reason: Option<DisabledReason>,
    pub role: Role,
    pub authentication_method: AuthMethod,
    /// The SSO provider that manages the user (absent for local users).
    pub provider_id: Option<String>,
    pub managed: bool,
    /// The IdP deleted it; the account is kept, disabled, and its provider no longer sees it.
    pub scim_deleted: bool,
    pub company: Option<String>,
    pub time_zone: Option<String>,
    pub require_2fa: bool,
    pub dav_permission: bool,
    pub ftp_permission: bool,
    pub sftp_permission: bool,
    pub last_login_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl UserView {
    pub fn of(row: &UserRow) -> UserView {
        let a = &row.account;
        UserView {
            id: row.id.clone(),
            username: row.user_name.clone(),
            email: a.email.clone(),
            status: Status::parse(&a.status).unwrap_or_default(),
            held_reason: a.held_reason.clone(),
            disabled_reason: a.disabled_reason.as_deref().and_then(DisabledReason::parse),
            role: Role::parse(&a.role).unwrap_or_default(),
            authentication_method: AuthMethod::parse(&a.authentication_method).unwrap_or_default(),
            provider_id: row.provider_id.clone().filter(|_| a.managed),
            managed: a.managed && row.provider_id.is_some(),
            scim_deleted: a.scim_deleted,
            company: a.company.clone(),
            time_zone: a.time_zone.clone(),
            require_2fa: a.require_2fa,
            dav_permission: a.dav_permission,
            ftp_permission: a.ftp_permission,
            sftp_permission: a.sftp_permission,
            last_login_at: a.last_login_at.map(rfc3339),
            created_at: rfc3339(row.created_at),
            updated_at: rfc3339(row.updated_at),
        }
    }
}

/// One group a user is in, seen from both sides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct UserGroup {
    pub group_id: String,
    pub name: String,
    pub group_status: Status,
    /// A member on the site.
    pub on_site: bool,
    /// The IdP lists the user in this group.
    pub from_idp: bool,
    pub admin: bool,
}

/// Everything about one user.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct UserDetail {
    pub user: UserView,
    /// The group names the IdP sent on the user (absent when it sends none).
    pub idp_groups: Option<Vec<String>>,
    /// The SCIM resource as the managing provider sees it (absent for local users).
    #[specta(type = Option<specta_typescript::Unknown>)]
    pub scim: Option<Value>,
    pub groups: Vec<UserGroup>,
    /// The latest history entries about the user, newest first.
    pub history: Vec<HistoryEntry>,
}

/// Which users to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    /// Part of the username or email, without regard to case.
    #[serde(default)]
    pub search: Option<String>,
    #[serde(default)]
    pub status: Option<Status>,
    /// A provider id, or `local` for users no provider manages.
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub role: Option<Role>,
    #[serde(default)]
    pub offset: Option<u32>,
    /// At most 500; 50 when absent.
    #[serde(default)]
    pub limit: Option<u32>,
}

/// A page of users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct UserPage {
    pub items: Vec<UserView>,
    pub total: u32,
    pub offset: u32,
    pub limit: u32,
}

pub async fn list(site: &Site, query: UserQuery) -> Result<UserPage, SiteError> {
    let limit = super::page_limit(query.limit, 50)?;
    let offset = query.offset.unwrap_or(0);
    let filter = AdminFilter {
        search: query.search,
        status: query.status.map(|s| s.as_str().to_owned()),
        provider: query.provider,
        role: query.role.map(|r| r.as_str().to_owned()),
        offset: u64::from(offset),
        limit: u64::from(limit),
    };
    let (rows, total) = rows::admin_list(site.store().reader(), &filter).await?;
    Ok(UserPage {
        items: rows.iter().map(UserView::of).collect(),
        total: u32::try_from(total).unwrap_or(u32::MAX),
        offset,
        limit,
    })
}

async fn find(db: &sqlx::SqlitePool, id: &str) -> Result<UserRow, SiteError> {
    rows::get(db, id)
        .await?
        .ok_or_else(|| SiteError::NotFound(format!("no user with id '{id}'")))
}

/// A user's detail; `scim_base_url` addresses its SCIM view (`meta.location`, `$ref`s).
pub async fn detail(site: &Site, id: &str, scim_base_url: &str) -> Result<UserDetail, SiteError> {
    let db = site.store().reader();
    let row = find(db, id).await?;
    let groups = group_rows::memberships_named(db, id)
        .await?
        .into_iter()
        .map(|m| UserGroup {
            group_id: m.group_id,
            name: m.group_name,
            group_status: Status::parse(&m.group_status).unwrap_or_default(),
            on_site: m.site,
            from_idp: m.scim,
            admin: m.admin,
        })
        .collect();
    let managed = row.account.managed && row.provider_id.is_some();
    let scim = if managed {
        Some(super::render::user(&row.scim(), scim_base_url)?.to_value())
    } else {
        None
    };
    Ok(UserDetail {
        idp_groups: row
            .account
            .idp_groups
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok()),
        user: UserView::of(&row),
        scim,
        groups,
        history: history::about(site, id, 50).await?,
    })
}

/// A local user to create.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub role: Option<Role>,
    #[serde(default)]
    pub company: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub require_2fa: Option<bool>,
    #[serde(default)]
    pub dav_permission: Option<bool>,
    #[serde(default)]
    pub ftp_permission: Option<bool>,
    #[serde(default)]
    pub sftp_permission: Option<bool>,
}

/// Changes to a user: the fields given are set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct UserEdit {
    /// Only for local users: a managed user's name comes from its IdP.
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub role: Option<Role>,
    #[serde(default)]
    pub authentication_method: Option<AuthMethod>,
    #[serde(default)]
    pub company: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub require_2fa: Option<bool>,
    #[serde(default)]
    pub dav_permission: Option<bool>,
    #[serde(default)]
    pub ftp_permission: Option<bool>,
    #[serde(default)]
    pub sftp_permission: Option<bool>,
}

fn check_line(field: &str, value: &str) -> Result<String, SiteError> {
    let value = value.trim();
    if value.chars().any(char::is_control) {
        return Err(SiteError::Invalid(format!("{field} is one line of text")));
    }
    Ok(value.to_owned())
}

fn check_username(name: &str) -> Result<String, SiteError> {
    let name = check_line("username", name)?;
    if name.is_empty() {
        return Err(SiteError::Invalid("a user needs a username".into()));
    }
    Ok(name)
}

fn check_email(email: &str) -> Result<Option<String>, SiteError> {
    let email = check_line("email", email)?;
    if email.is_empty() {
        return Ok(None);
    }
    let shaped = email
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if !shaped || email.contains(char::is_whitespace) {
        return Err(SiteError::Invalid(format!(
            "email \"{email}\" is not an email address"
        )));
    }
    Ok(Some(email))
}

/// The SCIM resource kept for a local user (what a provider would see once it is associated).
fn local_resource(
    id: &str,
    username: &str,
    email: Option<&str>,
) -> Result<users::Prepared, SiteError> {
    let mut body = json!({ "schemas": [USER_URN], "userName": username, "active": true });
    if let Some(email) = email {
        body["emails"] = json!([{ "value": email, "type": "work", "primary": true }]);
    }
    let parsed = resource::parse(&USER, body, &mut Tolerances::new())?;
    users::prepare(parsed.resource, id, None)
}

pub async fn create(site: &Site, new: NewUser) -> Result<UserView, SiteError> {
    let username = check_username(&new.username)?;
    let email = new.email.as_deref().map(check_email).transpose()?.flatten();
    let time_zone = new
        .time_zone
        .as_deref()
        .map(|z| check_time_zone("time_zone", z))
        .transpose()?;
    let company = new
        .company
        .as_deref()
        .map(|c| check_line("company", c))
        .transpose()?;
    let id = secrets::uuid();
    let prepared = local_resource(&id, &username, email.as_deref())?;
    let now = site.now();
    site.store()
        .write(move |conn| {
            Box::pin(async move {
                require_manual(conn, Manual::Users, "create a user").await?;
                let settings = crate::store::settings::get(&mut *conn).await?;
                let account = AccountRow {
                    email: prepared.email,
                    status: Status::Active.as_str().to_owned(),
                    role: new.role.unwrap_or_default().as_str().to_owned(),
                    authentication_method: AuthMethod::Password.as_str().to_owned(),
                    managed: false,
                    require_2fa: new.require_2fa.unwrap_or(settings.require_2fa),
                    dav_permission: new.dav_permission.unwrap_or(false),
                    ftp_permission: new.ftp_permission.unwrap_or(false),
                    sftp_permission: new.sftp_permission.unwrap_or(false),
                    time_zone: Some(time_zone.unwrap_or(settings.time_zone)),
                    company: company.filter(|c| !c.is_empty()),
                    status_changed_at: Some(now),
                    ..AccountRow::default()
                };
                let write = prepared.write;
                if let Err(e) = rows::insert(&mut *conn, &write, &account, now).await {
                    return Err(users::on_unique(conn, e, &write, "").await);
                }
                let mut change = Change::start(conn, None, Interface::Web, now).await?;
                change.record(
                    "user_created",
                    Target::User {
                        id: &write.id,
                        name: &write.user_name,
                    },
                    format!("local user {} created", write.user_name),
                );
                change.finish(conn).await?;
                let row = rows::get(&mut *conn, &write.id).await?;
                row.map(|r| UserView::of(&r))
                    .ok_or_else(|| SiteError::NotFound("the new user vanished".into()))
            })
        })
        .await
}

/// Runs `apply` on user `id` inside one job (refused while manual user management is off),
/// stores the account it returns and the history entry it describes.
async fn change_user<F>(
    site: &Site,
    id: &str,
    action: &'static str,
    apply: F,
) -> Result<UserView, SiteError>
where
    F: FnOnce(&UserRow, &mut AccountRow) -> Result<Option<(String, String)>, SiteError>
        + Send
        + 'static,
{
    let id = id.to_owned();
    let now = site.now();
    let (view, provider) = site
        .store()
        .write(move |conn| {
            Box::pin(async move {
                require_manual(conn, Manual::Users, action).await?;
                let row = rows::get(&mut *conn, &id)
                    .await?
                    .ok_or_else(|| SiteError::NotFound(format!("no user with id '{id}'")))?;
                let mut account = row.account.clone();
                let Some((history_action, detail)) = apply(&row, &mut account)? else {
                    return Ok((UserView::of(&row), None));
                };
                if account.status != row.account.status {
                    account.status_changed_at = Some(now);
                }
                rows::update_account(&mut *conn, row.seq, row.provider_id.as_deref(), &account)
                    .await?;
                let mut change = Change::start(conn, None, Interface::Web, now).await?;
                change.record_for(
                    row.provider_id.as_deref(),
                    &history_action,
                    Target::User {
                        id: &row.id,
                        name: &row.user_name,
                    },
                    detail,
                );
                change.finish(conn).await?;
                let provider = row.provider_id.clone().filter(|_| row.account.managed);
                let row = UserRow { account, ..row };
                Ok::<_, SiteError>((UserView::of(&row), provider))
            })
        })
        .await?;
    if let Some(provider) = provider {
        site.positions.forget(&provider);
    }
    Ok(view)
}

pub async fn edit(site: &Site, id: &str, edit: UserEdit) -> Result<UserView, SiteError> {
    let email = edit.email.as_deref().map(check_email).transpose()?;
    let time_zone = edit
        .time_zone
        .as_deref()
        .map(|z| check_time_zone("time_zone", z))
        .transpose()?;
    let company = edit
        .company
        .as_deref()
        .map(|c| check_line("company", c))
        .transpose()?;
    let username = edit.username.as_deref().map(check_username).transpose()?;
    if let Some(name) = username {
        rename(site, id, &name).await?;
    }
    change_user(site, id, "edit a user", move |row, account| {
        let before = account.clone();
        if let Some(email) = email {
            account.email = email;
        }
        if let Some(role) = edit.role {
            account.role = role.as_str().to_owned();
        }
        if let Some(method) = edit.authentication_method {
            let managed = row.account.managed && row.provider_id.is_some();
            if managed == (method == AuthMethod::Password) {
                return Err(SiteError::Invalid(if managed {
                    "a user an SSO provider manages signs in with SSO (sso or email_signup), not a local password".into()
                } else {
                    "a local user signs in with a password; associate it with an SSO provider to use SSO".into()
                }));
            }
            account.authentication_method = method.as_str().to_owned();
        }
        if let Some(zone) = time_zone {
            account.time_zone = Some(zone);
        }
        if let Some(company) = company {
            account.company = Some(company).filter(|c| !c.is_empty());
        }
        for (value, field) in [
            (edit.require_2fa, &mut account.require_2fa),
            (edit.dav_permission, &mut account.dav_permission),
            (edit.ftp_permission, &mut account.ftp_permission),
            (edit.sftp_permission, &mut account.sftp_permission),
        ] {
            if let Some(value) = value {
                *field = value;
            }
        }
        if *account == before {
            return Ok(None);
        }
        Ok(Some(("user_updated".into(), format!("user {} edited", row.user_name))))
    })
    .await
}

/// Renames a local user (its stored resource follows).
async fn rename(site: &Site, id: &str, name: &str) -> Result<(), SiteError> {
    let (id, name) = (id.to_owned(), name.to_owned());
    let now = site.now();
    site.store()
        .write(move |conn| {
            Box::pin(async move {
                require_manual(conn, Manual::Users, "edit a user").await?;
                let row = rows::get(&mut *conn, &id)
                    .await?
                    .ok_or_else(|| SiteError::NotFound(format!("no user with id '{id}'")))?;
                if row.user_name == name {
                    return Ok(());
                }
                if row.account.managed && row.provider_id.is_some() {
                    return Err(SiteError::Invalid(
                        "the username of a user an SSO provider manages comes from the IdP; change it there".into(),
                    ));
                }
                let prepared = local_resource(&row.id, &name, row.account.email.as_deref())?;
                let write = prepared.write;
                if let Err(e) = rows::update(&mut *conn, row.seq, &write, &row.account, now).await {
                    return Err(users::on_unique(conn, e, &write, "").await);
                }
                let mut change = Change::start(conn, None, Interface::Web, now).await?;
                change.record(
                    "user_updated",
                    Target::User { id: &row.id, name: &name },
                    format!("user {} renamed to {name}", row.user_name),
                );
                change.finish(conn).await?;
                Ok::<_, SiteError>(())
            })
        })
        .await
}

pub async fn enable(site: &Site, id: &str) -> Result<UserView, SiteError> {
    change_user(site, id, "enable a user", |row, account| {
        match Status::parse(&account.status).unwrap_or_default() {
            Status::Active => Ok(None),
            Status::Held => Err(SiteError::Invalid(format!(
                "'{}' is held by the provisioning rules ({}); it gets a site account when the rules let it in",
                row.user_name,
                account.held_reason.as_deref().unwrap_or("no reason recorded")
            ))),
            Status::Disabled => {
                account.status = Status::Active.as_str().to_owned();
                account.disabled_reason = None;
                Ok(Some(("user_enabled".into(), format!("user {} enabled", row.user_name))))
            }
        }
    })
    .await
}

pub async fn disable(site: &Site, id: &str) -> Result<UserView, SiteError> {
    change_user(
        site,
        id,
        "disable a user",
        |row, account| match Status::parse(&account.status).unwrap_or_default() {
            Status::Disabled => Ok(None),
            Status::Held => Err(SiteError::Invalid(format!(
                "'{}' is held: it has no site account to disable",
                row.user_name
            ))),
            Status::Active => {
                account.status = Status::Disabled.as_str().to_owned();
                account.disabled_reason = Some(DisabledReason::Admin.as_str().to_owned());
                Ok(Some((
                    "user_disabled".into(),
                    format!("user {} disabled", row.user_name),
                )))
            }
        },
    )
    .await
}

pub async fn delete(site: &Site, id: &str) -> Result<(), SiteError> {
    let id = id.to_owned();
    let now = site.now();
    let provider = site
        .store()
        .write(move |conn| {
            Box::pin(async move {
                require_manual(conn, Manual::Users, "delete a user").await?;
                let row = rows::get(&mut *conn, &id)
                    .await?
                    .ok_or_else(|| SiteError::NotFound(format!("no user with id '{id}'")))?;
                group_rows::touch_containing(&mut *conn, &row.id, now).await?;
                rows::delete(&mut *conn, row.seq).await?;
                let mut change = Change::start(conn, None, Interface::Web, now).await?;
                change.record_for(
                    row.provider_id.as_deref(),
                    "user_deleted",
                    Target::User {
                        id: &row.id,
                        name: &row.user_name,
                    },
                    format!("user {} deleted", row.user_name),
                );
                change.finish(conn).await?;
                Ok::<_, SiteError>(row.provider_id.filter(|_| row.account.managed))
            })
        })
        .await?;
    if let Some(provider) = provider {
        site.positions.forget(&provider);
    }
    Ok(())
}

/// Associates an existing local (or unlinked) user with an SSO provider: from now on the
/// provider manages it, sees it over SCIM and can change it.
pub async fn associate(site: &Site, id: &str, provider_id: &str) -> Result<UserView, SiteError> {
    let provider = providers::get(site, provider_id).await?;
    let id = id.to_owned();
    let now = site.now();
    let view = site
        .store()
        .write(move |conn| {
            Box::pin(async move {
                require_manual(conn, Manual::Users, "associate a user with an SSO provider").await?;
                let row = rows::get(&mut *conn, &id)
                    .await?
                    .ok_or_else(|| SiteError::NotFound(format!("no user with id '{id}'")))?;
                if row.account.managed && row.provider_id.is_some() {
                    let current = row.provider_id.as_deref().unwrap_or_default();
                    return Err(SiteError::Conflict(format!(
                        "'{}' is already managed by SSO provider {current}; a user has one managing provider",
                        row.user_name
                    )));
                }
                let mut account = row.account.clone();
                account.managed = true;
                account.scim_deleted = false;
                account.authentication_method = AuthMethod::Sso.as_str().to_owned();
                rows::update_account(&mut *conn, row.seq, Some(&provider.id), &account).await?;
                let mut change = Change::start(conn, Some(&provider), Interface::Web, now).await?;
                change.record(
                    "user_associated",
                    Target::User { id: &row.id, name: &row.user_name },
                    format!(
                        "user {} associated with SSO provider {}: it now manages the user over SCIM",
                        row.user_name, provider.name
                    ),
                );
                change.finish(conn).await?;
                let row = UserRow { account, provider_id: Some(provider.id.clone()), ..row };
                Ok::<_, SiteError>(UserView::of(&row))
            })
        })
        .await?;
    site.positions.forget(provider_id);
    Ok(view)
}
