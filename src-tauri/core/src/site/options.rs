//! A provider's provisioning options as the API, the CLI and exports write them (SPEC.md's
//! field names), their validation, and their form for the rules.

use serde::{Deserialize, Serialize};

use super::SiteError;
use super::providers::ProviderKind;
use crate::rules::{self, DeprovisionBehavior, Patterns, TwoFactor};

/// The provisioning options of an SSO provider. Group lists are text: names or wildcards
/// separated by commas or new lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(default, deny_unknown_fields)]
pub struct ProviderOptions {
    pub provision_users: bool,
    pub deprovision_users: bool,
    pub deprovision_behavior: DeprovisionBehavior,
    pub provision_groups: bool,
    pub deprovision_groups: bool,
    pub provision_company: String,
    pub provision_group_default: String,
    pub provision_group_required: String,
    pub provision_group_inclusion: String,
    pub provision_group_exclusion: String,
    pub provision_site_admin_groups: String,
    pub provision_readonly_site_admin_groups: String,
    pub provision_group_admin_groups: String,
    pub provision_email_signup_groups: String,
    pub provision_require_2fa: TwoFactor,
    pub provision_dav_permission: bool,
    pub provision_ftp_permission: bool,
    pub provision_sftp_permission: bool,
    pub provision_time_zone: String,
}

impl Default for ProviderOptions {
    /// SPEC.md's defaults for a new provider.
    fn default() -> Self {
        ProviderOptions {
            provision_users: false,
            deprovision_users: true,
            deprovision_behavior: DeprovisionBehavior::Disable,
            provision_groups: true,
            deprovision_groups: true,
            provision_company: String::new(),
            provision_group_default: String::new(),
            provision_group_required: String::new(),
            provision_group_inclusion: String::new(),
            provision_group_exclusion: String::new(),
            provision_site_admin_groups: String::new(),
            provision_readonly_site_admin_groups: String::new(),
            provision_group_admin_groups: String::new(),
            provision_email_signup_groups: String::new(),
            provision_require_2fa: TwoFactor::UseSystemSetting,
            provision_dav_permission: false,
            provision_ftp_permission: false,
            provision_sftp_permission: false,
            provision_time_zone: String::new(),
        }
    }
}

/// Every option, by name, with its kind and the seed's label: the table of SPEC.md.
pub const FIELDS: &[(&str, Kind, &str)] = &[
    (
        "provision_users",
        Kind::Bool,
        "automatically provision users on first login",
    ),
    (
        "deprovision_users",
        Kind::Bool,
        "automatically de-provision users",
    ),
    (
        "deprovision_behavior",
        Kind::Deprovision,
        "method used for de-provisioning users (disable, delete)",
    ),
    (
        "provision_groups",
        Kind::Bool,
        "automatically provision group memberships",
    ),
    (
        "deprovision_groups",
        Kind::Bool,
        "automatically de-provision group memberships",
    ),
    ("provision_company", Kind::Text, "provision company"),
    (
        "provision_group_default",
        Kind::List,
        "default groups on first login",
    ),
    (
        "provision_group_required",
        Kind::List,
        "only provision users in these groups",
    ),
    (
        "provision_group_inclusion",
        Kind::List,
        "only provision these groups",
    ),
    (
        "provision_group_exclusion",
        Kind::List,
        "exclude these groups from provisioning",
    ),
    (
        "provision_site_admin_groups",
        Kind::List,
        "provision users in these groups to be site admins",
    ),
    (
        "provision_readonly_site_admin_groups",
        Kind::List,
        "provision users in these groups to be read-only site admins",
    ),
    (
        "provision_group_admin_groups",
        Kind::List,
        "provision users in these groups to be group admins",
    ),
    (
        "provision_email_signup_groups",
        Kind::List,
        "provision users in these groups to manage their password via the site",
    ),
    (
        "provision_require_2fa",
        Kind::TwoFactor,
        "provision users with 2FA (use_system_setting, always_require, never_require)",
    ),
    (
        "provision_dav_permission",
        Kind::Bool,
        "auto-provisioned users get WebDAV permission",
    ),
    (
        "provision_ftp_permission",
        Kind::Bool,
        "auto-provisioned users get FTP(S) permission",
    ),
    (
        "provision_sftp_permission",
        Kind::Bool,
        "auto-provisioned users get SFTP permission",
    ),
    (
        "provision_time_zone",
        Kind::Text,
        "default time zone for auto-provisioned users (blank: the site's)",
    ),
];

/// What values an option takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Text,
    List,
    Deprovision,
    TwoFactor,
}

/// The group filters Entra ID cannot feed (it sends no group memberships on users).
const GROUP_FILTERS: [&str; 3] = [
    "provision_group_required",
    "provision_group_inclusion",
    "provision_group_exclusion",
];

fn parse_bool(field: &str, value: &str) -> Result<bool, SiteError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(SiteError::Invalid(format!(
            "{field} must be true or false, not \"{value}\""
        ))),
    }
}

impl ProviderOptions {
    /// Sets one option from its text form (CLI `FIELD=VALUE`).
    pub fn set(&mut self, field: &str, value: &str) -> Result<(), SiteError> {
        let text = || value.trim().to_owned();
        match field {
            "provision_users" => self.provision_users = parse_bool(field, value)?,
            "deprovision_users" => self.deprovision_users = parse_bool(field, value)?,
            "provision_groups" => self.provision_groups = parse_bool(field, value)?,
            "deprovision_groups" => self.deprovision_groups = parse_bool(field, value)?,
            "provision_dav_permission" => self.provision_dav_permission = parse_bool(field, value)?,
            "provision_ftp_permission" => self.provision_ftp_permission = parse_bool(field, value)?,
            "provision_sftp_permission" => {
                self.provision_sftp_permission = parse_bool(field, value)?
            }
            "deprovision_behavior" => {
                self.deprovision_behavior = DeprovisionBehavior::parse(value).ok_or_else(|| {
                    SiteError::Invalid(format!(
                        "deprovision_behavior must be one of {}, not \"{value}\"",
                        DeprovisionBehavior::choices()
                    ))
                })?;
            }
            "provision_require_2fa" => {
                self.provision_require_2fa = TwoFactor::parse(value).ok_or_else(|| {
                    SiteError::Invalid(format!(
                        "provision_require_2fa must be one of {}, not \"{value}\"",
                        TwoFactor::choices()
                    ))
                })?;
            }
            "provision_company" => self.provision_company = text(),
            "provision_time_zone" => self.provision_time_zone = text(),
            "provision_group_default" => self.provision_group_default = text(),
            "provision_group_required" => self.provision_group_required = text(),
            "provision_group_inclusion" => self.provision_group_inclusion = text(),
            "provision_group_exclusion" => self.provision_group_exclusion = text(),
            "provision_site_admin_groups" => self.provision_site_admin_groups = text(),
            "provision_readonly_site_admin_groups" => {
                self.provision_readonly_site_admin_groups = text()
            }
            "provision_group_admin_groups" => self.provision_group_admin_groups = text(),
            "provision_email_signup_groups" => self.provision_email_signup_groups = text(),
            other => return Err(unknown(other)),
        }
        Ok(())
    }

    /// Checks every option for a provider of `kind`; the first problem is the error.
    pub fn validate(&self, kind: ProviderKind) -> Result<rules::Options, SiteError> {
        let lists = [
            ("provision_group_default", &self.provision_group_default),
            ("provision_group_required", &self.provision_group_required),
            ("provision_group_inclusion", &self.provision_group_inclusion),
            ("provision_group_exclusion", &self.provision_group_exclusion),
            (
                "provision_site_admin_groups",
                &self.provision_site_admin_groups,
            ),
            (
                "provision_readonly_site_admin_groups",
                &self.provision_readonly_site_admin_groups,
            ),
            (
                "provision_group_admin_groups",
                &self.provision_group_admin_groups,
            ),
            (
                "provision_email_signup_groups",
                &self.provision_email_signup_groups,
            ),
        ];
        let mut parsed = Vec::with_capacity(lists.len());
        for (field, text) in lists {
            let list =
                Patterns::parse(text).map_err(|e| SiteError::Invalid(format!("{field}: {e}")))?;
            if kind == ProviderKind::EntraId && GROUP_FILTERS.contains(&field) && !list.is_empty() {
                return Err(SiteError::Invalid(format!(
                    "{field} cannot be used with an Entra ID provider: Entra ID does not send group \
                     memberships on users, so the group filters have nothing to match. Scope \
                     provisioning in Entra ID instead (scoping filters on a provisioning attribute)"
                )));
            }
            parsed.push(list);
        }
        if self.provision_time_zone.chars().any(char::is_control)
            || self.provision_company.chars().any(char::is_control)
        {
            return Err(SiteError::Invalid(
                "provision_company and provision_time_zone are single lines of text".into(),
            ));
        }
        let mut parsed = parsed.into_iter();
        let mut next = || parsed.next().unwrap_or_default();
        Ok(rules::Options {
            provision_users: self.provision_users,
            deprovision_users: self.deprovision_users,
            deprovision_behavior: self.deprovision_behavior,
            provision_groups: self.provision_groups,
            deprovision_groups: self.deprovision_groups,
            provision_company: self.provision_company.clone(),
            provision_group_default: next(),
            provision_group_required: next(),
            provision_group_inclusion: next(),
            provision_group_exclusion: next(),
            provision_site_admin_groups: next(),
            provision_readonly_site_admin_groups: next(),
            provision_group_admin_groups: next(),
            provision_email_signup_groups: next(),
            provision_require_2fa: self.provision_require_2fa,
            provision_dav_permission: self.provision_dav_permission,
            provision_ftp_permission: self.provision_ftp_permission,
            provision_sftp_permission: self.provision_sftp_permission,
            provision_time_zone: self.provision_time_zone.clone(),
        })
    }

    /// The stored form.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }

    /// From the stored form; missing fields take their defaults.
    pub fn from_json(text: &str) -> Result<ProviderOptions, SiteError> {
        serde_json::from_str(text)
            .map_err(|e| SiteError::Invalid(format!("stored provider options are not valid: {e}")))
    }
}

/// The error for a field that is not an option (nor a provider attribute).
pub fn unknown(field: &str) -> SiteError {
    let mut names: Vec<&str> = vec!["name", "kind", "scim_authentication_method"];
    names.extend(FIELDS.iter().map(|(name, _, _)| *name));
    SiteError::Invalid(format!(
        "unknown provider field '{field}'; the fields are: {}",
        names.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_option_is_settable_and_documented() {
        let mut options = ProviderOptions::default();
        for (field, kind, _) in FIELDS {
            let value = match kind {
                Kind::Bool => "true",
                Kind::Text => "Acme",
                Kind::List => "IT,Support*",
                Kind::Deprovision => "delete",
                Kind::TwoFactor => "always_require",
            };
            options.set(field, value).unwrap();
        }
        let json: serde_json::Value = serde_json::from_str(&options.to_json()).unwrap();
        assert_eq!(json.as_object().unwrap().len(), FIELDS.len());
        assert_eq!(
            ProviderOptions::from_json(&options.to_json()).unwrap(),
            options
        );
        assert_eq!(
            ProviderOptions::from_json("{}").unwrap(),
            ProviderOptions::default()
        );
    }

    #[test]
    fn bad_values_are_refused_by_name() {
        let mut options = ProviderOptions::default();
        for (field, value, says) in [
            ("provision_users", "yes", "must be true or false"),
            ("deprovision_behavior", "archive", "one of disable, delete"),
            (
                "provision_require_2fa",
                "sometimes",
                "one of use_system_setting",
            ),
            (
                "provision_colour",
                "blue",
                "unknown provider field 'provision_colour'",
            ),
        ] {
            let error = options.set(field, value).unwrap_err().to_string();
            assert!(error.contains(says), "{field}: {error}");
        }
        options
            .set("provision_site_admin_groups", "Admins,,Owners")
            .unwrap();
        let error = options
            .validate(ProviderKind::Okta)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("provision_site_admin_groups: entry 2"),
            "{error}"
        );
    }

    #[test]
    fn entra_refuses_group_filters_but_not_role_mapping() {
        let mut options = ProviderOptions::default();
        options
            .set("provision_site_admin_groups", "Admins")
            .unwrap();
        assert!(options.validate(ProviderKind::EntraId).is_ok());
        options.set("provision_group_inclusion", "Eng*").unwrap();
        let error = options
            .validate(ProviderKind::EntraId)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("cannot be used with an Entra ID provider"),
            "{error}"
        );
        assert!(options.validate(ProviderKind::Okta).is_ok());
    }
}
