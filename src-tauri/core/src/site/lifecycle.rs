//! User lifecycle rules (SPEC.md): "disable users who have not signed in for 90 days", "delete
//! users disabled for a year". Run on demand (or as a dry run) and on a schedule — each enabled
//! rule once a day by the site's clock, so tests move time with a manual clock. Every action is
//! a history entry (interface `lifecycle rule`) with the trace that decided it. A user a rule
//! disables carries `disabled_reason = lifecycle_rule`: with manual user management off only
//! its IdP can enable it again (`active: true` over SCIM).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::history::HistoryEntry;
use super::provision::{Change, Interface, Target};
use super::render::rfc3339;
use super::{Site, SiteError};
use crate::rules::{DisabledReason, Role, Status, Trace};
use crate::secrets;
use crate::store::groups as group_rows;
use crate::store::lifecycle::{self as rows, LifecycleRow};
use crate::store::users::{self as user_rows, UserRow};
use crate::store::{Millis, StoreError};

const DAY_MS: Millis = 24 * 3600 * 1000;

/// How often the scheduler runs each enabled rule (by the site's clock).
pub const SCHEDULE_EVERY_MS: Millis = DAY_MS;

/// Which users a rule looks at, by how they sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum AuthScope {
    #[default]
    All,
    Password,
    Sso,
    EmailSignup,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum LifecycleAction {
    Disable,
    Delete,
}

/// `inactive`: active users without a sign-in for `inactivity_days`; `disabled`: users disabled
/// for `inactivity_days`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum UserState {
    Inactive,
    Disabled,
}

macro_rules! spelled {
    ($($ty:ident { $($v:ident => $w:literal),* })*) => {$(
        impl $ty {
            pub fn as_str(self) -> &'static str { match self { $($ty::$v => $w),* } }
            fn parse(text: &str) -> Option<$ty> { match text { $($w => Some($ty::$v),)* _ => None } }
        }
    )*};
}

spelled! {
    AuthScope { All => "all", Password => "password", Sso => "sso", EmailSignup => "email_signup" }
    LifecycleAction { Disable => "disable", Delete => "delete" }
    UserState { Inactive => "inactive", Disabled => "disabled" }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct LifecycleRule {
    pub id: String,
    pub name: String,
    pub authentication_method: AuthScope,
    pub inactivity_days: u32,
    pub include_site_admins: bool,
    /// Users who administer a group ("folder admins" in the seed's wording).
    pub include_folder_admins: bool,
    pub action: LifecycleAction,
    pub user_state: UserState,
    /// Whether the scheduler runs it (it can always be run on demand).
    pub enabled: bool,
    pub created_at: String,
    pub updated_at: String,
    pub last_run_at: Option<String>,
}

impl LifecycleRule {
    fn of(row: &LifecycleRow) -> Result<LifecycleRule, SiteError> {
        let corrupt = |what: &str| {
            SiteError::Store(StoreError::Corrupt(format!(
                "lifecycle rule {}: {what}",
                row.id
            )))
        };
        Ok(LifecycleRule {
            id: row.id.clone(),
            name: row.name.clone(),
            authentication_method: AuthScope::parse(&row.authentication_method)
                .ok_or_else(|| corrupt("authentication_method"))?,
            inactivity_days: u32::try_from(row.inactivity_days).unwrap_or(u32::MAX),
            include_site_admins: row.include_site_admins,
            include_folder_admins: row.include_folder_admins,
            action: LifecycleAction::parse(&row.action).ok_or_else(|| corrupt("action"))?,
            user_state: UserState::parse(&row.user_state).ok_or_else(|| corrupt("user_state"))?,
            enabled: row.enabled,
            created_at: rfc3339(row.created_at),
            updated_at: rfc3339(row.updated_at),
            last_run_at: row.last_run_at.map(rfc3339),
        })
    }
}

/// A rule to create, or (every field optional) a change to one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct LifecycleRuleInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub authentication_method: Option<AuthScope>,
    #[serde(default)]
    pub inactivity_days: Option<u32>,
    #[serde(default)]
    pub include_site_admins: Option<bool>,
    #[serde(default)]
    pub include_folder_admins: Option<bool>,
    #[serde(default)]
    pub action: Option<LifecycleAction>,
    #[serde(default)]
    pub user_state: Option<UserState>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// `input` over `row` (a new rule's defaults when creating), validated.
fn apply(
    row: &mut LifecycleRow,
    input: LifecycleRuleInput,
    creating: bool,
) -> Result<(), SiteError> {
    let required = |field: &str| SiteError::Invalid(format!("a lifecycle rule needs {field}"));
    if let Some(name) = input.name {
        let name = name.trim();
        if name.is_empty() || name.chars().any(char::is_control) {
            return Err(SiteError::Invalid(
                "a lifecycle rule's name is one non-empty line".into(),
            ));
        }
        row.name = name.to_owned();
    } else if creating {
        return Err(required("a name"));
    }
    match input.inactivity_days {
        Some(0) => {
            return Err(SiteError::Invalid(
                "inactivity_days must be at least 1".into(),
            ));
        }
        Some(days) if days > 36_500 => {
            return Err(SiteError::Invalid(
                "inactivity_days must be at most 36500 (100 years)".into(),
            ));
        }
        Some(days) => row.inactivity_days = i64::from(days),
        None if creating => return Err(required("inactivity_days")),
        None => {}
    }
    match input.action {
        Some(action) => row.action = action.as_str().to_owned(),
        None if creating => return Err(required("an action (disable or delete)")),
        None => {}
    }
    match input.user_state {
        Some(state) => row.user_state = state.as_str().to_owned(),
        None if creating => return Err(required("a user_state (inactive or disabled)")),
        None => {}
    }
    if let Some(scope) = input.authentication_method {
        row.authentication_method = scope.as_str().to_owned();
    }
    if let Some(v) = input.include_site_admins {
        row.include_site_admins = v;
    }
    if let Some(v) = input.include_folder_admins {
        row.include_folder_admins = v;
    }
    if let Some(v) = input.enabled {
        row.enabled = v;
    }
    if row.action == "disable" && row.user_state == "disabled" {
        return Err(SiteError::Invalid(
            "action 'disable' with user_state 'disabled' would do nothing: those users are disabled already (use action 'delete')".into(),
        ));
    }
    Ok(())
}

pub async fn list(site: &Site) -> Result<Vec<LifecycleRule>, SiteError> {
    rows::list(site.store().reader())
        .await?
        .iter()
        .map(LifecycleRule::of)
        .collect()
}

fn not_found(id: &str) -> SiteError {
    SiteError::NotFound(format!("no lifecycle rule with id '{id}'"))
}

pub async fn get(site: &Site, id: &str) -> Result<LifecycleRule, SiteError> {
    let row = rows::get(site.store().reader(), id)
        .await?
        .ok_or_else(|| not_found(id))?;
    LifecycleRule::of(&row)
}

pub async fn create(site: &Site, input: LifecycleRuleInput) -> Result<LifecycleRule, SiteError> {
    let now = site.now();
    let mut row = LifecycleRow {
        id: secrets::uuid(),
        name: String::new(),
        authentication_method: AuthScope::All.as_str().to_owned(),
        inactivity_days: 0,
        include_site_admins: false,
        include_folder_admins: false,
        action: String::new(),
        user_state: String::new(),
        enabled: true,
        created_at: now,
        updated_at: now,
        last_run_at: None,
    };
    apply(&mut row, input, true)?;
    let rule = LifecycleRule::of(&row)?;
    site.store()
        .write(move |conn| {
            Box::pin(async move { rows::insert(conn, &row).await.map_err(SiteError::from) })
        })
        .await?;
    Ok(rule)
}

pub async fn update(
    site: &Site,
    id: &str,
    input: LifecycleRuleInput,
) -> Result<LifecycleRule, SiteError> {
    let mut row = rows::get(site.store().reader(), id)
        .await?
        .ok_or_else(|| not_found(id))?;
    apply(&mut row, input, false)?;
    row.updated_at = site.now();
    let rule = LifecycleRule::of(&row)?;
    let found = site
        .store()
        .write(move |conn| {
            Box::pin(async move { rows::update(conn, &row).await.map_err(SiteError::from) })
        })
        .await?;
    if !found {
        return Err(not_found(id));
    }
    Ok(rule)
}

pub async fn delete(site: &Site, id: &str) -> Result<(), SiteError> {
    let owned = id.to_owned();
    let found = site
        .store()
        .write(move |conn| {
            Box::pin(async move { rows::delete(conn, &owned).await.map_err(SiteError::from) })
        })
        .await?;
    if found { Ok(()) } else { Err(not_found(id)) }
}

/// One user a run acted on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct Affected {
    pub user_id: String,
    pub username: String,
    pub action: LifecycleAction,
}

/// What one rule did (or would do, in a dry run).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct RunReport {
    pub rule_id: String,
    pub rule_name: String,
    pub at: String,
    pub affected: Vec<Affected>,
    pub trace: Vec<String>,
    pub changes: Vec<HistoryEntry>,
    pub dry_run: bool,
}

/// Which rules a run covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Which {
    /// One rule, enabled or not (run on demand).
    One(String),
    /// Every enabled rule.
    Enabled,
    /// Every enabled rule that has not run for [`SCHEDULE_EVERY_MS`] (the scheduler).
    Due,
}

/// Runs rules now, by the site's clock.
pub async fn run(site: &Site, which: Which, dry_run: bool) -> Result<Vec<RunReport>, SiteError> {
    let now = site.now();
    let (reports, providers) = site
        .store()
        .write_or_rehearse(dry_run, move |conn| {
            Box::pin(async move {
                let rules: Vec<LifecycleRow> = match &which {
                    Which::One(id) => vec![
                        rows::get(&mut *conn, id)
                            .await?
                            .ok_or_else(|| not_found(id))?,
                    ],
                    Which::Enabled => rows::list(&mut *conn)
                        .await?
                        .into_iter()
                        .filter(|r| r.enabled)
                        .collect(),
                    Which::Due => rows::list(&mut *conn)
                        .await?
                        .into_iter()
                        .filter(|r| {
                            r.enabled
                                && r.last_run_at.is_none_or(|at| now - at >= SCHEDULE_EVERY_MS)
                        })
                        .collect(),
                };
                let mut reports = Vec::with_capacity(rules.len());
                let mut providers = BTreeSet::new();
                for rule in rules {
                    reports.push(run_rule(conn, &rule, now, dry_run, &mut providers).await?);
                    rows::mark_run(&mut *conn, &rule.id, now).await?;
                }
                Ok::<_, SiteError>((reports, providers))
            })
        })
        .await?;
    if !dry_run {
        for provider in providers {
            site.positions.forget(&provider);
        }
    }
    Ok(reports)
}

async fn run_rule(
    conn: &mut sqlx::SqliteConnection,
    row: &LifecycleRow,
    now: Millis,
    dry_run: bool,
    providers: &mut BTreeSet<String>,
) -> Result<RunReport, SiteError> {
    let rule = LifecycleRule::of(row)?;
    let mut change = Change::start(conn, None, Interface::LifecycleRule, now).await?;
    let days = i64::from(rule.inactivity_days);
    let (status, idle_word) = match rule.user_state {
        UserState::Inactive => (Status::Active, "without a sign-in"),
        UserState::Disabled => (Status::Disabled, "disabled"),
    };
    let candidates = user_rows::idle(
        &mut *conn,
        status.as_str(),
        rule.authentication_method.as_str(),
        now - days * DAY_MS,
    )
    .await?;
    change.trace.note(format!(
        "lifecycle rule \"{}\": user_state = {}, authentication_method = {}, inactivity_days = {days}: {} user(s) {idle_word} for more than {days} days",
        rule.name,
        rule.user_state.as_str(),
        rule.authentication_method.as_str(),
        candidates.len()
    ));
    let mut affected = Vec::new();
    for user in candidates {
        if let Some(skip) = skipped(conn, &rule, &user).await? {
            change.trace.note(skip);
            continue;
        }
        let since = idle_since(&user, rule.user_state);
        change.trace.note(format!(
            "'{}' {idle_word} since {} ({} days) → {}",
            user.user_name,
            rfc3339(since),
            (now - since) / DAY_MS,
            match rule.action {
                LifecycleAction::Disable => "disabled",
                LifecycleAction::Delete => "deleted",
            }
        ));
        let target = Target::User {
            id: &user.id,
            name: &user.user_name,
        };
        match rule.action {
            LifecycleAction::Disable => {
                let mut account = user.account.clone();
                account.status = Status::Disabled.as_str().to_owned();
                account.disabled_reason = Some(DisabledReason::LifecycleRule.as_str().to_owned());
                account.status_changed_at = Some(now);
                user_rows::update_account(
                    &mut *conn,
                    user.seq,
                    user.provider_id.as_deref(),
                    &account,
                )
                .await?;
                change.record_for(
                    user.provider_id.as_deref(),
                    "user_disabled",
                    target,
                    format!(
                        "user {} disabled by lifecycle rule \"{}\"",
                        user.user_name, rule.name
                    ),
                );
            }
            LifecycleAction::Delete => {
                group_rows::touch_containing(&mut *conn, &user.id, now).await?;
                user_rows::delete(&mut *conn, user.seq).await?;
                change.record_for(
                    user.provider_id.as_deref(),
                    "user_deleted",
                    target,
                    format!(
                        "user {} deleted by lifecycle rule \"{}\"",
                        user.user_name, rule.name
                    ),
                );
            }
        }
        if let Some(provider) = user.provider_id.clone().filter(|_| user.account.managed) {
            providers.insert(provider);
        }
        affected.push(Affected {
            user_id: user.id.clone(),
            username: user.user_name.clone(),
            action: rule.action,
        });
    }
    let (trace, changes): (Trace, _) = change.finish(conn).await?;
    Ok(RunReport {
        rule_id: rule.id,
        rule_name: rule.name,
        at: rfc3339(now),
        affected,
        trace: trace.into_steps(),
        changes: changes.into_iter().map(HistoryEntry::from).collect(),
        dry_run,
    })
}

/// When a user became idle in the rule's sense.
fn idle_since(user: &UserRow, state: UserState) -> Millis {
    let a = &user.account;
    match state {
        UserState::Inactive => user
            .created_at
            .max(a.last_login_at.unwrap_or(0))
            .max(a.status_changed_at.unwrap_or(0)),
        UserState::Disabled => a.status_changed_at.unwrap_or(user.created_at),
    }
}

/// Why the rule leaves `user` alone, if it does (as a trace step).
async fn skipped(
    conn: &mut sqlx::SqliteConnection,
    rule: &LifecycleRule,
    user: &UserRow,
) -> Result<Option<String>, SiteError> {
    let role = Role::parse(&user.account.role).unwrap_or_default();
    if !rule.include_site_admins && role != Role::User {
        return Ok(Some(format!(
            "include_site_admins = false: '{}' is a {role} → skipped",
            user.user_name
        )));
    }
    if !rule.include_folder_admins {
        let administers = group_rows::memberships_of(&mut *conn, &user.id)
            .await?
            .iter()
            .any(|m| m.admin);
        if administers {
            return Ok(Some(format!(
                "include_folder_admins = false: '{}' administers a group → skipped",
                user.user_name
            )));
        }
    }
    Ok(None)
}
