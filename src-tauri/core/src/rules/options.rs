//! What the rules read (a provider's provisioning options, the site's settings) and what they
//! decide (an account's status, role and the fields set at provisioning). Field names are the
//! API's (SPEC.md, "The site model").

use std::fmt;

use serde::{Deserialize, Serialize};

use super::patterns::Patterns;

/// `deprovision_behavior`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum DeprovisionBehavior {
    /// Keep the account, disabled, for audit (the default).
    #[default]
    Disable,
    Delete,
}

/// `provision_require_2fa`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum TwoFactor {
    #[default]
    UseSystemSetting,
    AlwaysRequire,
    NeverRequire,
}

/// A user's role on the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    #[default]
    User,
    SiteAdmin,
    ReadonlySiteAdmin,
}

/// A user's (or group's) status: `held` is the IdP's record without a site account (group).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Active,
    Disabled,
    Held,
}

/// How a user signs in: a local password, the SSO provider, or a site-managed password given to
/// SSO users in `provision_email_signup_groups`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    Password,
    #[default]
    Sso,
    EmailSignup,
}

/// Who disabled an account: it decides who may enable it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum DisabledReason {
    /// The IdP sent `active: false`.
    Idp,
    /// The IdP deleted it and `deprovision_behavior` is `disable`.
    Deprovisioned,
    LifecycleRule,
    Admin,
}

macro_rules! words {
    ($($ty:ident { $($variant:ident => $word:literal),* $(,)? })*) => {$(
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $word),* }
            }

            /// The value spelled `text` (exactly as the API writes it).
            pub fn parse(text: &str) -> Option<$ty> {
                Self::ALL.iter().copied().find(|v| v.as_str() == text.trim())
            }

            /// The accepted spellings, for error messages.
            pub fn choices() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}

words! {
    DeprovisionBehavior { Disable => "disable", Delete => "delete" }
    TwoFactor { UseSystemSetting => "use_system_setting", AlwaysRequire => "always_require", NeverRequire => "never_require" }
    Role { User => "user", SiteAdmin => "site_admin", ReadonlySiteAdmin => "readonly_site_admin" }
    Status { Active => "active", Disabled => "disabled", Held => "held" }
    AuthMethod { Password => "password", Sso => "sso", EmailSignup => "email_signup" }
    DisabledReason { Idp => "idp", Deprovisioned => "deprovisioned", LifecycleRule => "lifecycle_rule", Admin => "admin" }
}

/// A provider's provisioning options, as the rules use them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub provision_users: bool,
    pub deprovision_users: bool,
    pub deprovision_behavior: DeprovisionBehavior,
    pub provision_groups: bool,
    pub deprovision_groups: bool,
    pub provision_company: String,
    pub provision_group_default: Patterns,
    pub provision_group_required: Patterns,
    pub provision_group_inclusion: Patterns,
    pub provision_group_exclusion: Patterns,
    pub provision_site_admin_groups: Patterns,
    pub provision_readonly_site_admin_groups: Patterns,
    pub provision_group_admin_groups: Patterns,
    pub provision_email_signup_groups: Patterns,
    pub provision_require_2fa: TwoFactor,
    pub provision_dav_permission: bool,
    pub provision_ftp_permission: bool,
    pub provision_sftp_permission: bool,
    pub provision_time_zone: String,
}

impl Default for Options {
    /// SPEC.md's defaults for a new provider.
    fn default() -> Self {
        Options {
            provision_users: false,
            deprovision_users: true,
            deprovision_behavior: DeprovisionBehavior::Disable,
            provision_groups: true,
            deprovision_groups: true,
            provision_company: String::new(),
            provision_group_default: Patterns::default(),
            provision_group_required: Patterns::default(),
            provision_group_inclusion: Patterns::default(),
            provision_group_exclusion: Patterns::default(),
            provision_site_admin_groups: Patterns::default(),
            provision_readonly_site_admin_groups: Patterns::default(),
            provision_group_admin_groups: Patterns::default(),
            provision_email_signup_groups: Patterns::default(),
            provision_require_2fa: TwoFactor::UseSystemSetting,
            provision_dav_permission: false,
            provision_ftp_permission: false,
            provision_sftp_permission: false,
            provision_time_zone: String::new(),
        }
    }
}

/// The site settings the rules read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The site-wide 2FA policy: whether every user must use 2FA.
    pub require_2fa: bool,
    pub time_zone: String,
}

/// Where a user's IdP groups came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupsFrom {
    /// The IdP sent a `groups` attribute on the user.
    UserAttribute,
    /// The memberships the IdP pushed to its groups.
    PushedGroups,
    /// The groups of a (simulated) sign-in.
    SignIn,
}

impl GroupsFrom {
    pub fn describe(self) -> &'static str {
        match self {
            GroupsFrom::UserAttribute => "the groups the IdP sent on the user",
            GroupsFrom::PushedGroups => "the IdP groups the user was pushed into",
            GroupsFrom::SignIn => "the groups of the sign-in",
        }
    }
}

/// What the rules decide about an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub status: Status,
    pub held_reason: Option<String>,
    /// Set while disabled: who disabled it, which decides who may re-enable it.
    pub disabled_reason: Option<DisabledReason>,
    pub role: Role,
    pub authentication_method: AuthMethod,
    pub require_2fa: bool,
    pub company: Option<String>,
    pub time_zone: Option<String>,
    pub dav_permission: bool,
    pub ftp_permission: bool,
    pub sftp_permission: bool,
}

impl Account {
    /// A fresh account before any rule ran.
    pub fn new() -> Self {
        Account {
            status: Status::Active,
            held_reason: None,
            disabled_reason: None,
            role: Role::User,
            authentication_method: AuthMethod::Sso,
            require_2fa: false,
            company: None,
            time_zone: None,
            dav_permission: false,
            ftp_permission: false,
            sftp_permission: false,
        }
    }
}

impl Default for Account {
    fn default() -> Self {
        Account::new()
    }
}
