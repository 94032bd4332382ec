//! The effectful side of the rules: inside one writer job, load the facts a decision needs,
//! call the (pure) rules, apply what they decide — account fields, site memberships, group
//! status — and write one history entry per account change, carrying the trace.

use serde_json::Value;
use sqlx::SqliteConnection;

use super::SiteError;
use super::providers::Provider;
use crate::rules::{
    self, Account, AuthMethod, DisabledReason, GroupStatus, GroupsFrom, Membership, Role, Status,
    Trace, UserFacts, UserInput,
};
use crate::store::groups::{self as group_rows, GroupRow, NewMember};
use crate::store::history::{self, NewHistory};
use crate::store::settings;
use crate::store::users::{AccountRow, UserRow};
use crate::store::{Millis, users as user_rows};

/// Who made a change, as the history log names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interface {
    Scim,
    Web,
    LifecycleRule,
    Login,
}

impl Interface {
    pub fn as_str(self) -> &'static str {
        match self {
            Interface::Scim => "SCIM",
            Interface::Web => "web",
            Interface::LifecycleRule => "lifecycle rule",
            Interface::Login => "login",
        }
    }
}

/// One change in progress: the provider and settings it runs under, the trace of its
/// decisions, and the history entries it produces.
#[derive(Debug)]
pub struct Change<'p> {
    pub provider: Option<&'p Provider>,
    pub settings: rules::Settings,
    pub interface: Interface,
    pub now: Millis,
    pub trace: Trace,
    history: Vec<NewHistory>,
}

/// What a history entry is about.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    User { id: &'a str, name: &'a str },
    Group { id: &'a str, name: &'a str },
    Other(&'a str),
}

impl<'p> Change<'p> {
    pub async fn start(
        conn: &mut SqliteConnection,
        provider: Option<&'p Provider>,
        interface: Interface,
        now: Millis,
    ) -> Result<Change<'p>, SiteError> {
        let row = settings::get_in_job(&mut *conn).await?;
        Ok(Change {
            provider,
            settings: rules::Settings {
                require_2fa: row.require_2fa,
                time_zone: row.time_zone,
            },
            interface,
            now,
            trace: Trace::new(),
            history: Vec::new(),
        })
    }

    /// The provider's options for the rules (defaults without a provider).
    pub fn options(&self) -> rules::Options {
        self.provider.map(|p| p.rules.clone()).unwrap_or_default()
    }

    /// Records a history entry; it carries the trace as it stands.
    pub fn record(&mut self, action: &str, target: Target, detail: impl Into<String>) {
        self.record_for(None, action, target, detail);
    }

    /// Records a history entry about an account of `provider_id` when the change itself has no
    /// provider (an admin's edit, a lifecycle rule), so that the provider's history lists it.
    pub fn record_for(
        &mut self,
        provider_id: Option<&str>,
        action: &str,
        target: Target,
        detail: impl Into<String>,
    ) {
        let (target_type, target_id, target_name) = match target {
            Target::User { id, name } => ("user", Some(id), Some(name)),
            Target::Group { id, name } => ("group", Some(id), Some(name)),
            Target::Other(kind) => (kind, None, None),
        };
        let trace = (!self.trace.is_empty())
            .then(|| serde_json::to_string(self.trace.steps()).unwrap_or_default());
        self.history.push(NewHistory {
            at: self.now,
            interface: self.interface.as_str().to_owned(),
            action: action.to_owned(),
            target_type: target_type.to_owned(),
            target_id: target_id.map(str::to_owned),
            target_name: target_name.map(str::to_owned),
            provider_id: self
                .provider
                .map(|p| p.id.as_str())
                .or(provider_id)
                .map(str::to_owned),
            detail: detail.into(),
            trace,
        });
    }

    /// Writes the history entries; returns the trace and the entries.
    pub async fn finish(
        self,
        conn: &mut SqliteConnection,
    ) -> Result<(Trace, Vec<NewHistory>), SiteError> {
        history::insert_with_job(conn, self.history.clone()).await?;
        Ok((self.trace, self.history))
    }

    /// Discards the history (a dry run): returns the trace and the entries that would be written.
    pub fn into_parts(self) -> (Trace, Vec<NewHistory>) {
        (self.trace, self.history)
    }
}

/// The rules' view of a stored account.
pub fn account_of(row: &AccountRow) -> Account {
    Account {
        status: Status::parse(&row.status).unwrap_or_default(),
        held_reason: row.held_reason.clone(),
        disabled_reason: row
            .disabled_reason
            .as_deref()
            .and_then(DisabledReason::parse),
        role: Role::parse(&row.role).unwrap_or_default(),
        authentication_method: AuthMethod::parse(&row.authentication_method).unwrap_or_default(),
        require_2fa: row.require_2fa,
        company: row.company.clone(),
        time_zone: row.time_zone.clone(),
        dav_permission: row.dav_permission,
        ftp_permission: row.ftp_permission,
        sftp_permission: row.sftp_permission,
    }
}

/// `account` written back into a stored account (the fields the rules do not decide stay).
pub fn apply_account(row: &mut AccountRow, account: &Account, now: Millis) {
    if row.status != account.status.as_str() {
        row.status_changed_at = Some(now);
    }
    row.status = account.status.as_str().to_owned();
    row.held_reason = account.held_reason.clone();
    row.disabled_reason = account.disabled_reason.map(|r| r.as_str().to_owned());
    row.role = account.role.as_str().to_owned();
    row.authentication_method = account.authentication_method.as_str().to_owned();
    row.require_2fa = account.require_2fa;
    row.company = account.company.clone();
    row.time_zone = account.time_zone.clone();
    row.dav_permission = account.dav_permission;
    row.ftp_permission = account.ftp_permission;
    row.sftp_permission = account.sftp_permission;
}

/// The IdP groups of a stored user: the `groups` it sent on the user, else the groups it
/// pushed the user into.
pub fn idp_groups(row: &UserRow) -> (Vec<String>, GroupsFrom) {
    if let Some(names) = row
        .account
        .idp_groups
        .as_deref()
        .and_then(|j| serde_json::from_str::<Vec<String>>(j).ok())
    {
        return (names, GroupsFrom::UserAttribute);
    }
    let pushed: Vec<(String, String)> = serde_json::from_str(&row.memberships).unwrap_or_default();
    (
        pushed.into_iter().map(|(_, name)| name).collect(),
        GroupsFrom::PushedGroups,
    )
}

/// The group names in a `groups` attribute the IdP sent (`display`, else the name of the group
/// with that id); `None` when it sent none.
pub async fn groups_attribute(
    conn: &mut SqliteConnection,
    sent: Option<&Value>,
) -> Result<Option<Vec<String>>, SiteError> {
    let Some(Value::Array(items)) = sent else {
        return Ok(None);
    };
    let mut names = Vec::with_capacity(items.len());
    for item in items {
        if let Some(name) = item.as_str() {
            names.push(name.to_owned());
        } else if let Some(display) = item.get("display").and_then(Value::as_str) {
            names.push(display.to_owned());
        } else if let Some(id) = item.get("value").and_then(Value::as_str) {
            match group_rows::get(&mut *conn, id).await? {
                Some(group) => names.push(group.display_name),
                None => names.push(id.to_owned()),
            }
        }
    }
    Ok(Some(names))
}

/// Whether any option that reads a user's IdP groups is set (otherwise membership changes
/// leave accounts as they are, and re-evaluating them is skipped).
pub fn groups_decide_accounts(options: &rules::Options) -> bool {
    [
        &options.provision_group_required,
        &options.provision_site_admin_groups,
        &options.provision_readonly_site_admin_groups,
        &options.provision_group_admin_groups,
        &options.provision_email_signup_groups,
    ]
    .iter()
    .any(|list| !list.is_empty())
}

/// Evaluates a user and records what changed: returns the account to store. `before` is the
/// stored account (`None` for a new user). Site memberships follow a change into or out of
/// `held`; group-admin flags follow `provision_group_admin_groups`.
pub async fn reconcile_user(
    change: &mut Change<'_>,
    conn: &mut SqliteConnection,
    user: (&str, &str),
    before: Option<&AccountRow>,
    facts: (&[String], GroupsFrom, Option<&str>),
    active: Option<bool>,
) -> Result<AccountRow, SiteError> {
    let (id, name) = user;
    let options = change.options();
    let settings = change.settings.clone();
    let current = before.map(account_of);
    let input = UserInput {
        options: &options,
        settings: &settings,
        facts: UserFacts {
            user_name: name,
            idp_groups: facts.0,
            groups_from: facts.1,
            organization: facts.2,
        },
        current: current.as_ref(),
        active,
    };
    let desired = rules::evaluate_user(&input, &mut change.trace);
    let mut row = before.cloned().unwrap_or_else(|| AccountRow {
        managed: true,
        ..AccountRow::default()
    });
    apply_account(&mut row, &desired, change.now);
    let target = Target::User { id, name };
    match &current {
        None => {
            let detail = match desired.status {
                Status::Held => format!(
                    "user {name} created, held: {}",
                    desired.held_reason.as_deref().unwrap_or("")
                ),
                Status::Disabled => format!("user {name} created, disabled"),
                Status::Active => format!("user {name} created"),
            };
            change.record(
                if desired.status == Status::Held {
                    "user_held"
                } else {
                    "user_created"
                },
                target,
                detail,
            );
        }
        Some(current) => record_differences(change, target, current, &desired),
    }
    if let Some(current) = &current {
        sync_status_memberships(change, conn, id, name, current.status, desired.status).await?;
    }
    if let Some(admin) = rules::group_admin(&options, input.facts, &mut change.trace) {
        set_group_admin(change, conn, id, name, admin).await?;
    }
    Ok(row)
}

fn record_differences(change: &mut Change<'_>, target: Target, before: &Account, after: &Account) {
    let Target::User { name, .. } = target else {
        return;
    };
    match (before.status, after.status) {
        (a, b) if a == b => {}
        (_, Status::Held) => {
            let reason = after.held_reason.as_deref().unwrap_or("");
            change.record("user_held", target, format!("user {name} held: {reason}"));
        }
        (Status::Held, Status::Active) => {
            change.record("user_released", target, format!("user {name} released"))
        }
        (_, Status::Disabled) => {
            change.record("user_disabled", target, format!("user {name} disabled"))
        }
        (_, Status::Active) => {
            change.record("user_enabled", target, format!("user {name} enabled"))
        }
    }
    if before.role != after.role {
        change.record(
            "role_changed",
            target,
            format!(
                "user {name} role changed from {} to {}",
                before.role, after.role
            ),
        );
    }
    if before.authentication_method != after.authentication_method {
        change.record(
            "user_updated",
            target,
            format!(
                "user {name} authentication method changed from {} to {}",
                before.authentication_method, after.authentication_method
            ),
        );
    }
    if before.require_2fa != after.require_2fa || before.company != after.company {
        change.record(
            "user_updated",
            target,
            format!("user {name} 2FA/company updated"),
        );
    }
}

/// A held user has no site account, so no site memberships: they go when it is held and come
/// back (from the IdP's memberships, if `provision_groups`) when it is released.
async fn sync_status_memberships(
    change: &mut Change<'_>,
    conn: &mut SqliteConnection,
    id: &str,
    name: &str,
    before: Status,
    after: Status,
) -> Result<(), SiteError> {
    let held_before = before == Status::Held;
    let held_after = after == Status::Held;
    if held_before == held_after {
        return Ok(());
    }
    let options = change.options();
    for membership in group_rows::memberships_of(&mut *conn, id).await? {
        let Some(group) = group_rows::get_by_seq(&mut *conn, membership.group_seq).await? else {
            continue;
        };
        if held_after && membership.site {
            group_rows::set_site(&mut *conn, group.seq, id, "User", false, change.now).await?;
            change.record(
                "member_removed",
                Target::Group {
                    id: &group.id,
                    name: &group.display_name,
                },
                format!("{name} removed from {} (held)", group.display_name),
            );
        } else if !held_after && membership.scim && !membership.site {
            let status = group_status(&group);
            if rules::membership_added(
                &options,
                name,
                false,
                &group.display_name,
                &status,
                &mut change.trace,
            ) == Membership::Apply
            {
                group_rows::set_site(&mut *conn, group.seq, id, "User", true, change.now).await?;
                change.record(
                    "member_added",
                    Target::Group {
                        id: &group.id,
                        name: &group.display_name,
                    },
                    format!("{name} added to {} (released)", group.display_name),
                );
            }
        }
    }
    Ok(())
}

async fn set_group_admin(
    change: &mut Change<'_>,
    conn: &mut SqliteConnection,
    id: &str,
    name: &str,
    admin: bool,
) -> Result<(), SiteError> {
    for membership in group_rows::memberships_of(&mut *conn, id).await? {
        if !membership.site || membership.admin == admin {
            continue;
        }
        let Some(group) = group_rows::get_by_seq(&mut *conn, membership.group_seq).await? else {
            continue;
        };
        if group.provider_id.as_deref() != change.provider.map(|p| p.id.as_str()) {
            continue;
        }
        group_rows::set_admin(&mut *conn, group.seq, id, admin).await?;
        let (action, verb) = if admin {
            ("group_admin_granted", "now administers")
        } else {
            ("group_admin_revoked", "no longer administers")
        };
        change.record(
            action,
            Target::Group {
                id: &group.id,
                name: &group.display_name,
            },
            format!("{name} {verb} {}", group.display_name),
        );
    }
    Ok(())
}

/// A stored group's status as the rules see it.
pub fn group_status(group: &GroupRow) -> GroupStatus {
    if group.status == Status::Held.as_str() {
        GroupStatus::Held(group.held_reason.clone().unwrap_or_default())
    } else {
        GroupStatus::Active
    }
}

/// Evaluates a group's name against the inclusion/exclusion lists; applies a change of status
/// (site memberships go when it is held, come back when it is released).
pub async fn reconcile_group(
    change: &mut Change<'_>,
    conn: &mut SqliteConnection,
    group: &GroupRow,
    name: &str,
) -> Result<GroupStatus, SiteError> {
    let options = change.options();
    let desired = rules::evaluate_group(&options, name, &mut change.trace);
    let before = group_status(group);
    if desired == before {
        return Ok(desired);
    }
    let target = Target::Group {
        id: &group.id,
        name,
    };
    match &desired {
        GroupStatus::Held(reason) => {
            group_rows::set_status(&mut *conn, group.seq, "held", Some(reason)).await?;
            change.record("group_held", target, format!("group {name} held: {reason}"));
            let removed = group_rows::clear_site(conn, group.seq).await?;
            if removed > 0 {
                change.trace.note(format!(
                    "\"{name}\" is held: its {removed} site membership(s) are removed"
                ));
            }
        }
        GroupStatus::Active => {
            group_rows::set_status(&mut *conn, group.seq, "active", None).await?;
            change.record("group_released", target, format!("group {name} released"));
            let members = group_rows::site_members(&mut *conn, group.seq).await?;
            let ids: Vec<&str> = members
                .iter()
                .filter(|m| m.scim && !m.site)
                .map(|m| m.member_id.as_str())
                .collect();
            for user in user_rows::many(conn, &ids).await? {
                let held = user.account.status == Status::Held.as_str();
                let decision = rules::membership_added(
                    &options,
                    &user.user_name,
                    held,
                    name,
                    &GroupStatus::Active,
                    &mut change.trace,
                );
                if decision == Membership::Apply {
                    group_rows::set_site(&mut *conn, group.seq, &user.id, "User", true, change.now)
                        .await?;
                    change.record(
                        "member_added",
                        target,
                        format!("{} added to {name}", user.user_name),
                    );
                }
            }
        }
    }
    Ok(desired)
}

/// How many members of one request get their own trace steps; the rest are summed up.
const MEMBER_STEPS: usize = 20;

/// A member the IdP lists in a group, with what the rules need to know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub member: NewMember,
    /// `userName` or `displayName`.
    pub name: String,
    /// The member's site status (`held` members get no site membership yet).
    pub status: String,
}

/// Counts of what happened to members beyond [`MEMBER_STEPS`], for one summary step.
#[derive(Debug, Default)]
struct Rest {
    applied: usize,
    recorded: usize,
}

impl Rest {
    fn add(&mut self, decision: Membership) {
        match decision {
            Membership::Apply => self.applied += 1,
            Membership::RecordOnly => self.recorded += 1,
        }
    }

    fn note(&self, trace: &mut Trace, applied: &str) {
        let n = self.applied + self.recorded;
        if n > 0 {
            trace.note(format!(
                "… and {n} more member(s) decided the same way: {} {applied}, {} recorded only",
                self.applied, self.recorded
            ));
        }
    }
}

/// The IdP listed `members` (not yet listed) in `group`: each goes onto the site as the rules
/// say, then the users whose IdP groups changed are re-evaluated (when an option reads them).
/// Returns whether the IdP's member list changed.
pub async fn members_listed(
    change: &mut Change<'_>,
    conn: &mut SqliteConnection,
    group: &GroupRow,
    members: &[Listed],
) -> Result<bool, SiteError> {
    if members.is_empty() {
        return Ok(false);
    }
    let options = change.options();
    let status = group_status(group);
    let mut on_site = std::collections::HashSet::new();
    let mut rest = Rest::default();
    for (i, listed) in members.iter().enumerate() {
        let held = listed.status == Status::Held.as_str();
        let mut steps = Trace::new();
        let decision = rules::membership_added(
            &options,
            &listed.name,
            held,
            &group.display_name,
            &status,
            &mut steps,
        );
        if decision == Membership::Apply {
            on_site.insert(listed.member.member_id.clone());
        }
        if i < MEMBER_STEPS {
            change.trace.extend(steps);
        } else {
            rest.add(decision);
        }
    }
    rest.note(&mut change.trace, "added");
    let rows: Vec<NewMember> = members.iter().map(|l| l.member.clone()).collect();
    let added = group_rows::add_listed(
        &mut *conn,
        group.seq,
        &rows,
        &|id| on_site.contains(id),
        change.now,
    )
    .await?;
    let added: std::collections::HashSet<&str> = added.iter().map(String::as_str).collect();
    let target = Target::Group {
        id: &group.id,
        name: &group.display_name,
    };
    for listed in members
        .iter()
        .filter(|l| added.contains(l.member.member_id.as_str()))
    {
        if on_site.contains(&listed.member.member_id) {
            change.record(
                "member_added",
                target,
                format!("{} added to {}", listed.name, group.display_name),
            );
        }
    }
    let users: Vec<&str> = members
        .iter()
        .filter(|l| l.member.member_type == "User" && added.contains(l.member.member_id.as_str()))
        .map(|l| l.member.member_id.as_str())
        .collect();
    reevaluate(change, conn, &users).await?;
    Ok(!added.is_empty())
}

/// The IdP took `members` (listed ones, with their names) out of `group`. Returns whether its
/// member list changed.
pub async fn members_unlisted(
    change: &mut Change<'_>,
    conn: &mut SqliteConnection,
    group: &GroupRow,
    members: &[(String, String)],
) -> Result<bool, SiteError> {
    if members.is_empty() {
        return Ok(false);
    }
    let options = change.options();
    let mut rest = Rest::default();
    let mut decision = Membership::RecordOnly;
    for (i, (_, name)) in members.iter().enumerate() {
        let mut steps = Trace::new();
        decision = rules::membership_removed(&options, name, &group.display_name, &mut steps);
        if i < MEMBER_STEPS {
            change.trace.extend(steps);
        } else {
            rest.add(decision);
        }
    }
    rest.note(&mut change.trace, "removed");
    let keep = decision == Membership::RecordOnly;
    let ids: Vec<&str> = members.iter().map(|(id, _)| id.as_str()).collect();
    let site_before: std::collections::HashSet<String> = if keep {
        Default::default()
    } else {
        group_rows::site_members(&mut *conn, group.seq)
            .await?
            .into_iter()
            .filter(|m| m.site)
            .map(|m| m.member_id)
            .collect()
    };
    let removed = group_rows::remove_listed(&mut *conn, group.seq, &ids, keep).await?;
    let removed: std::collections::HashSet<&str> = removed.iter().map(String::as_str).collect();
    let target = Target::Group {
        id: &group.id,
        name: &group.display_name,
    };
    for (id, name) in members
        .iter()
        .filter(|(id, _)| removed.contains(id.as_str()))
    {
        if site_before.contains(id) {
            change.record(
                "member_removed",
                target,
                format!("{name} removed from {}", group.display_name),
            );
        }
    }
    let users: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|id| removed.contains(id))
        .collect();
    reevaluate(change, conn, &users).await?;
    Ok(!removed.is_empty())
}

/// Re-evaluates users after their IdP groups changed (only when an option reads them, and
/// only users that did not send their groups themselves).
pub async fn reevaluate(
    change: &mut Change<'_>,
    conn: &mut SqliteConnection,
    ids: &[&str],
) -> Result<(), SiteError> {
    let options = change.options();
    if ids.is_empty() || !groups_decide_accounts(&options) {
        return Ok(());
    }
    for user in user_rows::many(&mut *conn, ids).await? {
        if user.account.idp_groups.is_some() || !user.account.managed || user.account.scim_deleted {
            continue;
        }
        let (groups, from) = idp_groups(&user);
        let organization = organization(&user.resource);
        let account = reconcile_user(
            change,
            conn,
            (&user.id, &user.user_name),
            Some(&user.account),
            (&groups, from, organization.as_deref()),
            None,
        )
        .await?;
        if account != user.account {
            user_rows::update_account(&mut *conn, user.seq, user.provider_id.as_deref(), &account)
                .await?;
        }
    }
    Ok(())
}

/// The enterprise extension's `organization` in a stored representation.
pub fn organization(resource: &str) -> Option<String> {
    let value: Value = serde_json::from_str(resource).ok()?;
    value
        .get(workbench_scim::schema::ENTERPRISE_USER_URN)?
        .get("organization")?
        .as_str()
        .map(str::to_owned)
}
