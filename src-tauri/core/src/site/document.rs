//! The whole site as one JSON document — settings, providers with their options (never
//! secrets), users, groups with members and admins, lifecycle rules — for `export`, and its
//! restore into an empty database for `import` (demo set-ups, moving a set-up between
//! machines). Field names are the admin API's.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use workbench_scim::schema::{GROUP, USER, USER_URN};
use workbench_scim::{Tolerances, resource};

use super::lifecycle::{AuthScope, LifecycleAction, UserState};
use super::options::ProviderOptions;
use super::providers::{ProviderKind, ScimAuth};
use super::render::{self, parse_rfc3339, rfc3339};
use super::settings::SiteSettings;
use super::{Site, SiteError, users};
use crate::rules::{AuthMethod, DisabledReason, Role, Status};
use crate::store::groups::{self as group_rows, GroupWrite, NewMember};
use crate::store::lifecycle::{self as rule_rows, LifecycleRow};
use crate::store::providers::{self as provider_rows, ProviderRow};
use crate::store::users::{self as user_rows, AccountRow};
use crate::store::{Millis, StoreError, settings as settings_rows};

/// What the `format` field of a site document says.
pub const FORMAT: &str = "scim-workbench-site";
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteDocument {
    pub format: String,
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exported_at: Option<String>,
    pub settings: SiteSettings,
    #[serde(default)]
    pub providers: Vec<ProviderDoc>,
    #[serde(default)]
    pub users: Vec<UserDoc>,
    #[serde(default)]
    pub groups: Vec<GroupDoc>,
    #[serde(default)]
    pub lifecycle_rules: Vec<RuleDoc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderDoc {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub scim_authentication_method: String,
    #[serde(default)]
    pub options: ProviderOptions,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserDoc {
    #[serde(default)]
    pub id: Option<String>,
    pub username: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub status: Status,
    #[serde(default)]
    pub held_reason: Option<String>,
    #[serde(default)]
    pub disabled_reason: Option<DisabledReason>,
    #[serde(default)]
    pub role: Role,
    pub authentication_method: AuthMethod,
    #[serde(default)]
    pub provider_id: Option<String>,
    #[serde(default)]
    pub managed: bool,
    #[serde(default)]
    pub scim_deleted: bool,
    #[serde(default)]
    pub company: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub require_2fa: bool,
    #[serde(default)]
    pub dav_permission: bool,
    #[serde(default)]
    pub ftp_permission: bool,
    #[serde(default)]
    pub sftp_permission: bool,
    #[serde(default)]
    pub last_login_at: Option<String>,
    /// Site groups (by name) the user is a member of.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Site groups (by name) the user administers.
    #[serde(default)]
    pub group_admin_of: Vec<String>,
    /// The group names the IdP sent on the user, when it sends them.
    #[serde(default)]
    pub idp_groups: Option<Vec<String>>,
    /// The SCIM resource its provider sees (managed users).
    #[serde(default)]
    pub scim: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupDoc {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub status: Status,
    #[serde(default)]
    pub held_reason: Option<String>,
    #[serde(default)]
    pub provider_id: Option<String>,
    #[serde(default)]
    pub managed: bool,
    /// Site members (usernames, or names of member groups).
    #[serde(default)]
    pub members: Vec<String>,
    /// Usernames of the group's admins.
    #[serde(default)]
    pub admins: Vec<String>,
    /// The members its IdP lists (managed groups).
    #[serde(default)]
    pub idp_members: Vec<String>,
    #[serde(default)]
    pub scim: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDoc {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub authentication_method: AuthScope,
    pub inactivity_days: u32,
    #[serde(default)]
    pub include_site_admins: bool,
    #[serde(default)]
    pub include_folder_admins: bool,
    pub action: LifecycleAction,
    pub user_state: UserState,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// The site as a document.
pub async fn export(site: &Site) -> Result<SiteDocument, SiteError> {
    let db = site.store().reader();
    let settings = super::settings::get(site).await?;
    let providers = provider_rows::list(db)
        .await?
        .into_iter()
        .map(|p| {
            Ok(ProviderDoc {
                options: ProviderOptions::from_json(&p.options)?,
                id: p.id,
                name: p.name,
                kind: p.kind,
                scim_authentication_method: p.scim_authentication_method,
            })
        })
        .collect::<Result<Vec<_>, SiteError>>()?;
    let user_rows = user_rows::all(db).await?;
    let group_rows = group_rows::all(db).await?;
    let names: HashMap<String, String> = user_rows
        .iter()
        .map(|u| (u.id.clone(), u.user_name.clone()))
        .chain(
            group_rows
                .iter()
                .map(|g| (g.id.clone(), g.display_name.clone())),
        )
        .collect();
    let group_names: HashMap<i64, String> = group_rows
        .iter()
        .map(|g| (g.seq, g.display_name.clone()))
        .collect();
    let mut users = Vec::with_capacity(user_rows.len());
    for row in &user_rows {
        let mut groups = Vec::new();
        let mut admin_of = Vec::new();
        for m in group_rows::memberships_of(db, &row.id).await? {
            let Some(name) = group_names.get(&m.group_seq) else {
                continue;
            };
            if m.site {
                groups.push(name.clone());
            }
            if m.admin {
                admin_of.push(name.clone());
            }
        }
        let a = &row.account;
        let managed = a.managed && row.provider_id.is_some();
        let scim = if managed {
            let mut value = render::user(&row.scim(), "")?.to_value();
            if let Some(object) = value.as_object_mut() {
                object.shift_remove("meta");
                object.shift_remove("groups");
            }
            Some(value)
        } else {
            None
        };
        users.push(UserDoc {
            id: Some(row.id.clone()),
            username: row.user_name.clone(),
            email: a.email.clone(),
            status: Status::parse(&a.status).unwrap_or_default(),
            held_reason: a.held_reason.clone(),
            disabled_reason: a.disabled_reason.as_deref().and_then(DisabledReason::parse),
            role: Role::parse(&a.role).unwrap_or_default(),
            authentication_method: AuthMethod::parse(&a.authentication_method).unwrap_or_default(),
            provider_id: row.provider_id.clone().filter(|_| managed),
            managed,
            scim_deleted: a.scim_deleted,
            company: a.company.clone(),
            time_zone: a.time_zone.clone(),
            require_2fa: a.require_2fa,
            dav_permission: a.dav_permission,
            ftp_permission: a.ftp_permission,
            sftp_permission: a.sftp_permission,
            last_login_at: a.last_login_at.map(rfc3339),
            groups,
            group_admin_of: admin_of,
            idp_groups: a
                .idp_groups
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok()),
            scim,
        });
    }
    let mut groups = Vec::with_capacity(group_rows.len());
    for row in &group_rows {
        let rows = group_rows::site_members(db, row.seq).await?;
        let name_of = |id: &String| names.get(id).cloned().unwrap_or_else(|| id.clone());
        let managed = row.managed && row.provider_id.is_some();
        let scim = if managed {
            let mut value = render::group(row, None, "")?.to_value();
            if let Some(object) = value.as_object_mut() {
                object.shift_remove("meta");
            }
            Some(value)
        } else {
            None
        };
        groups.push(GroupDoc {
            id: Some(row.id.clone()),
            name: row.display_name.clone(),
            status: Status::parse(&row.status).unwrap_or_default(),
            held_reason: row.held_reason.clone(),
            provider_id: row.provider_id.clone().filter(|_| managed),
            managed,
            members: rows
                .iter()
                .filter(|m| m.site)
                .map(|m| name_of(&m.member_id))
                .collect(),
            admins: rows
                .iter()
                .filter(|m| m.admin)
                .map(|m| name_of(&m.member_id))
                .collect(),
            idp_members: rows
                .iter()
                .filter(|m| m.scim)
                .map(|m| name_of(&m.member_id))
                .collect(),
            scim,
        });
    }
    let lifecycle_rules = super::lifecycle::list(site)
        .await?
        .into_iter()
        .map(|r| RuleDoc {
            id: Some(r.id),
            name: r.name,
            authentication_method: r.authentication_method,
            inactivity_days: r.inactivity_days,
            include_site_admins: r.include_site_admins,
            include_folder_admins: r.include_folder_admins,
            action: r.action,
            user_state: r.user_state,
            enabled: r.enabled,
        })
        .collect();
    Ok(SiteDocument {
        format: FORMAT.into(),
        version: VERSION,
        exported_at: Some(rfc3339(site.now())),
        settings,
        providers,
        users,
        groups,
        lifecycle_rules,
    })
}

/// What an import restored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Imported {
    pub providers: usize,
    pub users: usize,
    pub groups: usize,
    pub lifecycle_rules: usize,
}

fn invalid(what: impl std::fmt::Display) -> SiteError {
    SiteError::Invalid(format!("the site document is not valid: {what}"))
}

/// Reads a document (JSON text), with errors that say where it is wrong.
pub fn parse(text: &str) -> Result<SiteDocument, SiteError> {
    // The format first: another kind of document should be named as such, not reported as a
    // site with missing fields.
    let value: Value = serde_json::from_str(text).map_err(invalid)?;
    let (format, version) = (&value["format"], &value["version"]);
    if format.as_str() != Some(FORMAT) || version.as_u64() != Some(u64::from(VERSION)) {
        return Err(invalid(format!(
            "expected format \"{FORMAT}\" version {VERSION}, found format {format} version {version}"
        )));
    }
    // Read again as text so that errors carry their line and column.
    serde_json::from_str(text).map_err(invalid)
}

/// Restores `document` into an empty database, all or nothing.
pub async fn import(site: &Site, document: SiteDocument) -> Result<Imported, SiteError> {
    let plan = Plan::of(document, site.now())?;
    let counts = Imported {
        providers: plan.providers.len(),
        users: plan.users.len(),
        groups: plan.groups.len(),
        lifecycle_rules: plan.rules.len(),
    };
    site.store()
        .write(move |conn| Box::pin(async move { plan.apply(conn).await }))
        .await?;
    Ok(counts)
}

/// A document checked and turned into rows.
struct Plan {
    settings: SiteSettings,
    providers: Vec<ProviderRow>,
    users: Vec<(user_rows::UserWrite, AccountRow)>,
    groups: Vec<(GroupWrite, String, Option<String>, bool)>,
    /// `(group name, member name, scim, site, admin)`.
    memberships: Vec<(String, String, bool, bool, bool)>,
    rules: Vec<LifecycleRow>,
    now: Millis,
}

impl Plan {
    fn of(document: SiteDocument, now: Millis) -> Result<Plan, SiteError> {
        let settings = document.settings;
        super::settings::check_time_zone("settings.time_zone", &settings.time_zone)?;
        let mut providers = Vec::new();
        for p in &document.providers {
            let kind = ProviderKind::parse(&p.kind)
                .map_err(|e| invalid(format!("provider {}: {e}", p.name)))?;
            ScimAuth::parse(&p.scim_authentication_method)
                .map_err(|e| invalid(format!("provider {}: {e}", p.name)))?;
            p.options
                .validate(kind)
                .map_err(|e| invalid(format!("provider {}: {e}", p.name)))?;
            providers.push(ProviderRow {
                id: p.id.clone(),
                name: p.name.clone(),
                kind: p.kind.clone(),
                scim_authentication_method: p.scim_authentication_method.clone(),
                options: p.options.to_json(),
                created_at: now,
                updated_at: now,
            });
        }
        let provider_ids: Vec<&str> = providers.iter().map(|p| p.id.as_str()).collect();
        let mut users = Vec::new();
        let mut memberships = Vec::new();
        for u in &document.users {
            let context = |e: SiteError| invalid(format!("user {}: {e}", u.username));
            let provider = u.provider_id.as_deref().filter(|_| u.managed);
            if let Some(p) = provider
                && !provider_ids.contains(&p)
            {
                return Err(invalid(format!(
                    "user {} names provider {p}, which the document does not have",
                    u.username
                )));
            }
            let id = u.id.clone().unwrap_or_else(crate::secrets::uuid);
            let body = match (&u.scim, provider) {
                (Some(scim), Some(_)) => scim.clone(),
                _ => {
                    let mut body = json!({ "schemas": [USER_URN], "userName": u.username, "active": u.status != Status::Disabled });
                    if let Some(email) = &u.email {
                        body["emails"] =
                            json!([{ "value": email, "type": "work", "primary": true }]);
                    }
                    body
                }
            };
            let parsed = resource::parse(&USER, body, &mut Tolerances::new())
                .map_err(|e| context(e.into()))?;
            let prepared = users::prepare(parsed.resource, &id, provider).map_err(context)?;
            if prepared.write.user_name != u.username {
                return Err(invalid(format!(
                    "user {}: its scim userName is {}",
                    u.username, prepared.write.user_name
                )));
            }
            let time = |t: &Option<String>| -> Result<Option<Millis>, SiteError> {
                t.as_deref()
                    .map(|t| {
                        parse_rfc3339(t).ok_or_else(|| {
                            invalid(format!(
                                "user {}: \"{t}\" is not an RFC 3339 time",
                                u.username
                            ))
                        })
                    })
                    .transpose()
            };
            let account = AccountRow {
                email: u.email.clone(),
                status: u.status.as_str().to_owned(),
                held_reason: u.held_reason.clone(),
                disabled_reason: u.disabled_reason.map(|r| r.as_str().to_owned()),
                role: u.role.as_str().to_owned(),
                authentication_method: u.authentication_method.as_str().to_owned(),
                managed: provider.is_some(),
                scim_deleted: u.scim_deleted,
                require_2fa: u.require_2fa,
                dav_permission: u.dav_permission,
                ftp_permission: u.ftp_permission,
                sftp_permission: u.sftp_permission,
                time_zone: u.time_zone.clone(),
                company: u.company.clone(),
                last_login_at: time(&u.last_login_at)?,
                idp_groups: u
                    .idp_groups
                    .as_ref()
                    .map(|g| Value::from(g.clone()).to_string()),
                status_changed_at: Some(now),
            };
            for group in &u.groups {
                memberships.push((
                    group.clone(),
                    u.username.clone(),
                    false,
                    true,
                    u.group_admin_of.contains(group),
                ));
            }
            if let Some(group) = u.group_admin_of.iter().find(|g| !u.groups.contains(g)) {
                return Err(invalid(format!(
                    "user {} administers {group} without being a member of it",
                    u.username
                )));
            }
            users.push((prepared.write, account));
        }
        let mut groups = Vec::new();
        for g in &document.groups {
            let provider = g.provider_id.as_deref().filter(|_| g.managed);
            if let Some(p) = provider
                && !provider_ids.contains(&p)
            {
                return Err(invalid(format!(
                    "group {} names provider {p}, which the document does not have",
                    g.name
                )));
            }
            let id = g.id.clone().unwrap_or_else(crate::secrets::uuid);
            let body = match (&g.scim, provider) {
                (Some(scim), Some(_)) => scim.clone(),
                _ => json!({ "schemas": [GROUP.schema.id], "displayName": g.name }),
            };
            let mut parsed = resource::parse(&GROUP, body, &mut Tolerances::new())
                .map_err(|e| invalid(format!("group {}: {e}", g.name)))?
                .resource;
            parsed.remove("members");
            parsed.remove("meta");
            parsed.set_id(&id);
            let write = GroupWrite {
                id: id.clone(),
                provider_id: provider.map(str::to_owned),
                display_name: g.name.clone(),
                display_name_key: workbench_scim::compare::fold_case(&g.name).into_owned(),
                external_id: parsed.get_str("externalId").map(str::to_owned),
                folded: serde_json::to_string(&parsed.folded()).map_err(invalid)?,
                resource: render::stored_text(&parsed)?,
            };
            groups.push((
                write,
                g.status.as_str().to_owned(),
                g.held_reason.clone(),
                provider.is_some(),
            ));
            // Members from the group's side: its admins and any members the users did not list.
            for member in &g.members {
                let listed = memberships
                    .iter()
                    .any(|(gn, mn, _, site, _)| gn == &g.name && mn == member && *site);
                if !listed {
                    memberships.push((
                        g.name.clone(),
                        member.clone(),
                        false,
                        true,
                        g.admins.contains(member),
                    ));
                }
            }
            for member in &g.idp_members {
                memberships.push((g.name.clone(), member.clone(), true, false, false));
            }
        }
        let rules = document
            .lifecycle_rules
            .iter()
            .map(|r| {
                if r.inactivity_days == 0
                    || (r.action == LifecycleAction::Disable && r.user_state == UserState::Disabled)
                {
                    return Err(invalid(format!("lifecycle rule {} is not valid", r.name)));
                }
                Ok(LifecycleRow {
                    id: r.id.clone().unwrap_or_else(crate::secrets::uuid),
                    name: r.name.clone(),
                    authentication_method: r.authentication_method.as_str().to_owned(),
                    inactivity_days: i64::from(r.inactivity_days),
                    include_site_admins: r.include_site_admins,
                    include_folder_admins: r.include_folder_admins,
                    action: r.action.as_str().to_owned(),
                    user_state: r.user_state.as_str().to_owned(),
                    enabled: r.enabled,
                    created_at: now,
                    updated_at: now,
                    last_run_at: None,
                })
            })
            .collect::<Result<Vec<_>, SiteError>>()?;
        Ok(Plan {
            settings,
            providers,
            users,
            groups,
            memberships,
            rules,
            now,
        })
    }

    async fn apply(self, conn: &mut sqlx::SqliteConnection) -> Result<(), SiteError> {
        let empty: (i64,) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM providers) + (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM groups)",
        )
        .fetch_one(&mut *conn)
        .await
        .map_err(StoreError::from)?;
        if empty.0 > 0 {
            return Err(SiteError::Conflict(
                "import restores a site into an empty database; this one already has providers, users or groups".into(),
            ));
        }
        let now = self.now;
        let mut settings = settings_rows::get(&mut *conn).await?;
        settings.name = self.settings.name;
        settings.require_2fa = self.settings.require_2fa;
        settings.time_zone = self.settings.time_zone;
        settings.allow_manual_user_management = self.settings.allow_manual_user_management;
        settings.allow_manual_group_management = self.settings.allow_manual_group_management;
        settings.updated_at = now;
        settings_rows::update(&mut *conn, &settings).await?;
        for p in &self.providers {
            provider_rows::insert(&mut *conn, p).await?;
        }
        let mut ids: BTreeMap<String, (String, &'static str)> = BTreeMap::new();
        for (write, account) in &self.users {
            user_rows::insert(&mut *conn, write, account, now)
                .await
                .map_err(|e| invalid(format!("user {}: {e}", write.user_name)))?;
            ids.insert(
                workbench_scim::compare::fold_case(&write.user_name).into_owned(),
                (write.id.clone(), "User"),
            );
        }
        let mut seqs: BTreeMap<String, i64> = BTreeMap::new();
        for (write, status, reason, managed) in &self.groups {
            let seq =
                group_rows::insert(&mut *conn, write, status, reason.as_deref(), *managed, now)
                    .await
                    .map_err(|e| invalid(format!("group {}: {e}", write.display_name)))?;
            seqs.insert(write.display_name_key.clone(), seq);
            ids.entry(write.display_name_key.clone())
                .or_insert((write.id.clone(), "Group"));
        }
        for (group, member, scim, site, admin) in &self.memberships {
            let key = |n: &str| workbench_scim::compare::fold_case(n).into_owned();
            let seq = *seqs.get(&key(group)).ok_or_else(|| {
                invalid(format!(
                    "membership of {member} names group {group}, which the document does not have"
                ))
            })?;
            let (id, kind) = ids.get(&key(member)).cloned().ok_or_else(|| {
                invalid(format!(
                    "group {group} names member {member}, which the document does not have"
                ))
            })?;
            if *scim {
                let rows = [NewMember {
                    member_id: id.clone(),
                    member_type: kind.to_owned(),
                    display: None,
                }];
                group_rows::add_listed(&mut *conn, seq, &rows, &|_| false, now).await?;
            }
            if *site {
                group_rows::set_site(&mut *conn, seq, &id, kind, true, now).await?;
            }
            if *admin {
                group_rows::set_admin(&mut *conn, seq, &id, true).await?;
            }
        }
        for rule in &self.rules {
            rule_rows::insert(&mut *conn, rule).await?;
        }
        Ok(())
    }
}
