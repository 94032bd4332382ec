//! The decisions. Each function appends to the trace the steps that decided its result.

use super::options::{
    Account, AuthMethod, DeprovisionBehavior, DisabledReason, GroupsFrom, Options, Role, Settings,
    Status, TwoFactor,
};
use super::trace::{Trace, names};

/// What the rules know about a user, besides its account.
#[derive(Debug, Clone, Copy)]
pub struct UserFacts<'a> {
    pub user_name: &'a str,
    /// Names of the IdP groups the user is in.
    pub idp_groups: &'a [String],
    pub groups_from: GroupsFrom,
    /// The enterprise extension's `organization`, if any.
    pub organization: Option<&'a str>,
}

/// One evaluation of a user.
#[derive(Debug, Clone, Copy)]
pub struct UserInput<'a> {
    pub options: &'a Options,
    pub settings: &'a Settings,
    pub facts: UserFacts<'a>,
    /// The account as it stands; `None` when the request creates it.
    pub current: Option<&'a Account>,
    /// `active` as this request states it, if it does.
    pub active: Option<bool>,
}

/// The account a user should have after this request. Re-derived from the facts on every
/// change, so held users are released (and held again) as their groups change, and roles are
/// recomputed on every membership change.
pub fn evaluate_user(input: &UserInput, trace: &mut Trace) -> Account {
    let options = input.options;
    let facts = input.facts;
    let mut account = match input.current {
        Some(current) => current.clone(),
        None => new_account(options, input.settings, facts.user_name, trace),
    };
    match (input.active, account.disabled_reason) {
        (Some(false), _) => {
            if account.disabled_reason != Some(DisabledReason::Idp) {
                trace.note("active = false from the IdP → disabled (the IdP's active:false always disables)");
            }
            account.disabled_reason = Some(DisabledReason::Idp);
        }
        (Some(true), Some(reason)) => {
            trace.note(format!(
                "active = true from the IdP → re-enabled (it was disabled: {})",
                reason_text(reason)
            ));
            account.disabled_reason = None;
        }
        _ => {}
    }
    let gate = user_gate(options, facts, trace);
    let was = account.status;
    (account.status, account.held_reason) = match (account.disabled_reason, gate) {
        (Some(reason), _) => {
            if was != Status::Disabled || input.current.is_none() {
                trace.note(format!("status → disabled ({})", reason_text(reason)));
            }
            (Status::Disabled, None)
        }
        (None, Err(reason)) => (Status::Held, Some(reason)),
        (None, Ok(())) => (Status::Active, None),
    };
    match (was, account.status, input.current.is_some()) {
        (Status::Held, Status::Active, true) => trace.note(format!(
            "'{}' is released: it now has a site account",
            facts.user_name
        )),
        (Status::Active, Status::Held, true) => trace.note(format!(
            "'{}' is held again: it loses its site account",
            facts.user_name
        )),
        _ => {}
    }
    account.role = role(options, facts, account.role, trace);
    account.authentication_method = auth_method(options, facts, trace);
    account.require_2fa = two_factor(options, input.settings, trace);
    account.company = company(options, facts.organization, account.company.take(), trace);
    account
}

/// The fields set once, when the account is created (SPEC.md: defaults for auto-provisioned
/// users).
fn new_account(
    options: &Options,
    settings: &Settings,
    user_name: &str,
    trace: &mut Trace,
) -> Account {
    let mut account = Account::new();
    trace.note(format!("new user '{user_name}'"));
    account.time_zone = Some(if options.provision_time_zone.trim().is_empty() {
        trace.option(
            "provision_time_zone",
            "",
            format!("blank → the site's time zone \"{}\"", settings.time_zone),
        );
        settings.time_zone.clone()
    } else {
        trace.option(
            "provision_time_zone",
            &options.provision_time_zone,
            "time zone set",
        );
        options.provision_time_zone.trim().to_owned()
    });
    account.dav_permission = options.provision_dav_permission;
    account.ftp_permission = options.provision_ftp_permission;
    account.sftp_permission = options.provision_sftp_permission;
    trace.note(format!(
        "provision_dav_permission = {}, provision_ftp_permission = {}, provision_sftp_permission = {}: WebDAV {}, FTP {}, SFTP {}",
        options.provision_dav_permission,
        options.provision_ftp_permission,
        options.provision_sftp_permission,
        allowed(options.provision_dav_permission),
        allowed(options.provision_ftp_permission),
        allowed(options.provision_sftp_permission),
    ));
    account
}

fn allowed(yes: bool) -> &'static str {
    if yes { "allowed" } else { "not allowed" }
}

fn reason_text(reason: DisabledReason) -> &'static str {
    match reason {
        DisabledReason::Idp => "the IdP sent active:false",
        DisabledReason::Deprovisioned => "de-provisioned after the IdP's DELETE",
        DisabledReason::LifecycleRule => "by a user lifecycle rule",
        DisabledReason::Admin => "by an administrator",
    }
}

/// `provision_group_required`: `Err(reason)` when the user must be held.
fn user_gate(options: &Options, facts: UserFacts, trace: &mut Trace) -> Result<(), String> {
    let required = &options.provision_group_required;
    if required.is_empty() {
        return Ok(());
    }
    match required.first_match(facts.idp_groups) {
        Some(group) => {
            trace.option(
                "provision_group_required",
                required,
                format!("user is in \"{group}\" → provisioned"),
            );
            Ok(())
        }
        None => {
            trace.option(
                "provision_group_required",
                required,
                format!(
                    "user is in {} ({}) → held",
                    names(facts.idp_groups),
                    facts.groups_from.describe()
                ),
            );
            Err(format!(
                "not in any group of provision_group_required \"{required}\""
            ))
        }
    }
}

/// Role mapping; precedence site admin > read-only site admin > user. Without any mapping
/// configured the role is left as it is (an administrator may have set it).
fn role(options: &Options, facts: UserFacts, current: Role, trace: &mut Trace) -> Role {
    let lists = [
        (
            "provision_site_admin_groups",
            &options.provision_site_admin_groups,
            Role::SiteAdmin,
        ),
        (
            "provision_readonly_site_admin_groups",
            &options.provision_readonly_site_admin_groups,
            Role::ReadonlySiteAdmin,
        ),
    ];
    if lists.iter().all(|(_, list, _)| list.is_empty()) {
        return current;
    }
    for (option, list, role) in lists {
        if let Some(group) = list.first_match(facts.idp_groups) {
            trace.option(
                option,
                list,
                format!("user is in \"{group}\" → role {role}"),
            );
            return role;
        }
    }
    let configured: Vec<String> = lists
        .iter()
        .filter(|(_, list, _)| !list.is_empty())
        .map(|(option, list, _)| format!("{option} = \"{list}\""))
        .collect();
    trace.note(format!(
        "{}: user is in none of them → role user",
        configured.join(", ")
    ));
    Role::User
}

/// `provision_email_signup_groups`: a site-managed password instead of SSO only.
fn auth_method(options: &Options, facts: UserFacts, trace: &mut Trace) -> AuthMethod {
    let list = &options.provision_email_signup_groups;
    if list.is_empty() {
        return AuthMethod::Sso;
    }
    match list.first_match(facts.idp_groups) {
        Some(group) => {
            trace.option(
                "provision_email_signup_groups",
                list,
                format!("user is in \"{group}\" → authentication method email_signup"),
            );
            AuthMethod::EmailSignup
        }
        None => {
            trace.option(
                "provision_email_signup_groups",
                list,
                "user is in none of them → authentication method sso",
            );
            AuthMethod::Sso
        }
    }
}

fn two_factor(options: &Options, settings: &Settings, trace: &mut Trace) -> bool {
    match options.provision_require_2fa {
        TwoFactor::UseSystemSetting => {
            trace.setting(
                "provision_require_2fa",
                TwoFactor::UseSystemSetting,
                format!(
                    "the site {} 2FA → 2FA {}",
                    if settings.require_2fa {
                        "requires"
                    } else {
                        "does not require"
                    },
                    required(settings.require_2fa)
                ),
            );
            settings.require_2fa
        }
        TwoFactor::AlwaysRequire => {
            trace.setting(
                "provision_require_2fa",
                TwoFactor::AlwaysRequire,
                "2FA required",
            );
            true
        }
        TwoFactor::NeverRequire => {
            trace.setting(
                "provision_require_2fa",
                TwoFactor::NeverRequire,
                "2FA not required",
            );
            false
        }
    }
}

fn required(yes: bool) -> &'static str {
    if yes { "required" } else { "not required" }
}

/// `provision_company`, else the IdP's enterprise `organization`.
fn company(
    options: &Options,
    organization: Option<&str>,
    current: Option<String>,
    trace: &mut Trace,
) -> Option<String> {
    let fixed = options.provision_company.trim();
    if !fixed.is_empty() {
        if current.as_deref() != Some(fixed) {
            trace.option("provision_company", fixed, format!("company \"{fixed}\""));
        }
        return Some(fixed.to_owned());
    }
    match organization.map(str::trim).filter(|o| !o.is_empty()) {
        Some(org) => {
            if current.as_deref() != Some(org) {
                trace.option(
                    "provision_company",
                    "",
                    format!("blank → the IdP's organization \"{org}\""),
                );
            }
            Some(org.to_owned())
        }
        None => current,
    }
}

/// Whether an IdP group becomes a site group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupStatus {
    Active,
    Held(String),
}

/// `provision_group_inclusion` and `provision_group_exclusion` (the exclusion wins).
pub fn evaluate_group(options: &Options, name: &str, trace: &mut Trace) -> GroupStatus {
    let (inclusion, exclusion) = (
        &options.provision_group_inclusion,
        &options.provision_group_exclusion,
    );
    let included = inclusion.is_empty() || inclusion.matches(name);
    if !exclusion.is_empty() && exclusion.matches(name) {
        let despite = if !inclusion.is_empty() && included {
            format!(
                " (despite matching provision_group_inclusion \"{inclusion}\": the exclusion wins)"
            )
        } else {
            String::new()
        };
        trace.option(
            "provision_group_exclusion",
            exclusion,
            format!("group \"{name}\" matches → held{despite}"),
        );
        return GroupStatus::Held(format!(
            "excluded by provision_group_exclusion \"{exclusion}\""
        ));
    }
    if !included {
        trace.option(
            "provision_group_inclusion",
            inclusion,
            format!("group \"{name}\" does not match → held"),
        );
        return GroupStatus::Held(format!("not in provision_group_inclusion \"{inclusion}\""));
    }
    if !inclusion.is_empty() {
        trace.option(
            "provision_group_inclusion",
            inclusion,
            format!("group \"{name}\" matches → provisioned"),
        );
    }
    GroupStatus::Active
}

/// What happens on the site to a membership the IdP changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Membership {
    /// Applied to the site group.
    Apply,
    /// Recorded as the IdP's only.
    RecordOnly,
}

/// The IdP put `user` into `group`.
pub fn membership_added(
    options: &Options,
    user: &str,
    user_held: bool,
    group: &str,
    group_status: &GroupStatus,
    trace: &mut Trace,
) -> Membership {
    if !options.provision_groups {
        trace.setting(
            "provision_groups",
            false,
            format!("'{user}' in \"{group}\" recorded, not applied to the site"),
        );
        return Membership::RecordOnly;
    }
    if let GroupStatus::Held(reason) = group_status {
        trace.note(format!(
            "group \"{group}\" is held ({reason}): '{user}' recorded as a member, not applied"
        ));
        return Membership::RecordOnly;
    }
    if user_held {
        trace.note(format!(
            "'{user}' is held: its membership of \"{group}\" applies when it is released"
        ));
        return Membership::RecordOnly;
    }
    trace.setting(
        "provision_groups",
        true,
        format!("'{user}' added to \"{group}\""),
    );
    Membership::Apply
}

/// The IdP took `user` out of `group`.
pub fn membership_removed(
    options: &Options,
    user: &str,
    group: &str,
    trace: &mut Trace,
) -> Membership {
    if !options.deprovision_groups {
        trace.setting(
            "deprovision_groups",
            false,
            format!("'{user}' stays in \"{group}\" on the site"),
        );
        return Membership::RecordOnly;
    }
    trace.setting(
        "deprovision_groups",
        true,
        format!("'{user}' removed from \"{group}\""),
    );
    Membership::Apply
}

/// `provision_group_admin_groups`: whether the user administers the provisioned groups it is
/// in; `None` when no such list is configured (nothing to change).
pub fn group_admin(options: &Options, facts: UserFacts, trace: &mut Trace) -> Option<bool> {
    let list = &options.provision_group_admin_groups;
    if list.is_empty() {
        return None;
    }
    Some(match list.first_match(facts.idp_groups) {
        Some(group) => {
            trace.option(
                "provision_group_admin_groups",
                list,
                format!("user is in \"{group}\" → group admin of its groups"),
            );
            true
        }
        None => {
            trace.option(
                "provision_group_admin_groups",
                list,
                "user is in none of them → not a group admin",
            );
            false
        }
    })
}

/// What the IdP's `DELETE` of a user does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deprovision {
    Disable,
    Delete,
    /// SCIM management ends; the account stays, as a local account.
    EndManagement,
}

pub fn user_deleted(options: &Options, user: &str, trace: &mut Trace) -> Deprovision {
    if !options.deprovision_users {
        trace.setting(
            "deprovision_users",
            false,
            format!(
                "the IdP's DELETE ends SCIM management; '{user}' stays, active, as a local account"
            ),
        );
        return Deprovision::EndManagement;
    }
    match options.deprovision_behavior {
        DeprovisionBehavior::Disable => {
            trace.setting(
                "deprovision_behavior",
                DeprovisionBehavior::Disable,
                format!("'{user}' disabled, kept for audit"),
            );
            Deprovision::Disable
        }
        DeprovisionBehavior::Delete => {
            trace.setting(
                "deprovision_behavior",
                DeprovisionBehavior::Delete,
                format!("'{user}' deleted"),
            );
            Deprovision::Delete
        }
    }
}

/// What the IdP's `DELETE` of a group does to the site group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupDeleted {
    Delete,
    /// SCIM management ends; the group and its site memberships stay, as a local group.
    EndManagement,
}

pub fn group_deleted(options: &Options, group: &str, trace: &mut Trace) -> GroupDeleted {
    if options.deprovision_groups {
        trace.setting(
            "deprovision_groups",
            true,
            format!("the IdP deleted \"{group}\" → the site group and its memberships are removed"),
        );
        GroupDeleted::Delete
    } else {
        trace.setting(
            "deprovision_groups",
            false,
            format!(
                "the IdP deleted \"{group}\" → SCIM management ends; the group stays, with its members, as a local group"
            ),
        );
        GroupDeleted::EndManagement
    }
}

/// The outcome of a (simulated) SAML sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignIn {
    /// First login provisioning: create the account.
    Create,
    /// The account exists and may sign in.
    SignIn,
    Refused(String),
}

/// `exists`: `None` when there is no account with that name; otherwise whether this provider
/// manages it and its status.
pub fn sign_in(
    options: &Options,
    user: &str,
    exists: Option<(bool, Status)>,
    trace: &mut Trace,
) -> SignIn {
    match exists {
        None if options.provision_users => {
            trace.setting(
                "provision_users",
                true,
                format!("no account '{user}' yet → created at first login"),
            );
            SignIn::Create
        }
        None => {
            trace.setting(
                "provision_users",
                false,
                format!("no account '{user}' → sign-in refused"),
            );
            SignIn::Refused(format!(
                "there is no account '{user}' and provision_users is off"
            ))
        }
        Some((false, _)) => {
            let reason = format!("'{user}' exists but is not associated with this SSO provider");
            trace.note(format!("{reason} → sign-in refused"));
            SignIn::Refused(reason)
        }
        Some((true, Status::Active)) => {
            trace.note(format!("'{user}' signs in"));
            SignIn::SignIn
        }
        Some((true, status)) => {
            let reason = format!("'{user}' is {status}");
            trace.note(format!("{reason} → sign-in refused"));
            SignIn::Refused(reason)
        }
    }
}

#[cfg(test)]
mod tests;
