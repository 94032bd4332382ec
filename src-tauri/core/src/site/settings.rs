//! Site settings (name, site-wide 2FA policy, time zone, the two manual-management switches)
//! and the guard the admin operations pass through when manual management is off.

use serde::{Deserialize, Serialize};

use super::provision::{Change, Interface, Target};
use super::{Site, SiteError};
use crate::store::settings::{self as rows, SettingsRow};

/// The site's settings, as the admin API shows and takes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct SiteSettings {
    pub name: String,
    /// The site-wide 2FA policy (`provision_require_2fa = use_system_setting` follows it).
    pub require_2fa: bool,
    /// IANA name (`Europe/Berlin`) or `UTC`: the default for users provisioned without one.
    pub time_zone: String,
    /// "Allow manual creation, editing and deletion of users outside SSO provisioning".
    pub allow_manual_user_management: bool,
    /// The same for groups.
    pub allow_manual_group_management: bool,
}

/// A change to the settings: the fields given are set, the others stay.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct SettingsChange {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub require_2fa: Option<bool>,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub allow_manual_user_management: Option<bool>,
    #[serde(default)]
    pub allow_manual_group_management: Option<bool>,
}

impl From<SettingsRow> for SiteSettings {
    fn from(row: SettingsRow) -> Self {
        SiteSettings {
            name: row.name,
            require_2fa: row.require_2fa,
            time_zone: row.time_zone,
            allow_manual_user_management: row.allow_manual_user_management,
            allow_manual_group_management: row.allow_manual_group_management,
        }
    }
}

pub async fn get(site: &Site) -> Result<SiteSettings, SiteError> {
    Ok(rows::get(site.store().reader()).await?.into())
}

/// Checks a time zone name: `UTC`, or IANA's `Area/Location` shape (`America/Argentina/Salta`).
pub fn check_time_zone(field: &str, zone: &str) -> Result<String, SiteError> {
    let zone = zone.trim();
    let part_ok = |p: &str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
    };
    let shaped = zone == "UTC" || (zone.contains('/') && zone.split('/').all(part_ok));
    if shaped && zone.len() <= 64 {
        Ok(zone.to_owned())
    } else {
        Err(SiteError::Invalid(format!(
            "{field} must be UTC or an IANA time zone name such as Europe/Berlin, not \"{zone}\""
        )))
    }
}

/// Applies `change`; returns the settings as they now stand.
pub async fn update(site: &Site, change: SettingsChange) -> Result<SiteSettings, SiteError> {
    let name = match change.name.as_deref().map(str::trim) {
        Some("") => return Err(SiteError::Invalid("the site needs a name".into())),
        Some(name) if name.chars().any(char::is_control) => {
            return Err(SiteError::Invalid(
                "the site name is one line of text".into(),
            ));
        }
        other => other.map(str::to_owned),
    };
    let time_zone = change
        .time_zone
        .as_deref()
        .map(|z| check_time_zone("time_zone", z))
        .transpose()?;
    let now = site.now();
    let row = site
        .store()
        .write(move |conn| {
            Box::pin(async move {
                let mut row = rows::get(&mut *conn).await?;
                let before = row.clone();
                if let Some(name) = name {
                    row.name = name;
                }
                if let Some(zone) = time_zone {
                    row.time_zone = zone;
                }
                if let Some(v) = change.require_2fa {
                    row.require_2fa = v;
                }
                if let Some(v) = change.allow_manual_user_management {
                    row.allow_manual_user_management = v;
                }
                if let Some(v) = change.allow_manual_group_management {
                    row.allow_manual_group_management = v;
                }
                if row == before {
                    return Ok(row);
                }
                row.updated_at = now;
                rows::update(&mut *conn, &row).await?;
                let mut change = Change::start(conn, None, Interface::Web, now).await?;
                change.record(
                    "settings_updated",
                    Target::Other("site"),
                    describe(&before, &row),
                );
                change.finish(conn).await?;
                Ok::<_, SiteError>(row)
            })
        })
        .await?;
    Ok(row.into())
}

fn describe(before: &SettingsRow, after: &SettingsRow) -> String {
    let mut parts = Vec::new();
    if before.name != after.name {
        parts.push(format!("name \"{}\"", after.name));
    }
    if before.require_2fa != after.require_2fa {
        parts.push(format!("require_2fa {}", after.require_2fa));
    }
    if before.time_zone != after.time_zone {
        parts.push(format!("time_zone {}", after.time_zone));
    }
    if before.allow_manual_user_management != after.allow_manual_user_management {
        parts.push(format!(
            "allow_manual_user_management {}",
            after.allow_manual_user_management
        ));
    }
    if before.allow_manual_group_management != after.allow_manual_group_management {
        parts.push(format!(
            "allow_manual_group_management {}",
            after.allow_manual_group_management
        ));
    }
    format!("site settings changed: {}", parts.join(", "))
}

/// What manual management covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Manual {
    Users,
    Groups,
}

/// Refuses (`403`, with the reason) an administrator's change when the site does not allow
/// manual management of `what`. Runs inside the change's job, so the answer and the change
/// see the same settings.
pub async fn require_manual(
    conn: &mut sqlx::SqliteConnection,
    what: Manual,
    action: &str,
) -> Result<(), SiteError> {
    let row = rows::get(&mut *conn).await?;
    let (allowed, setting, noun) = match what {
        Manual::Users => (
            row.allow_manual_user_management,
            "allow_manual_user_management",
            "users",
        ),
        Manual::Groups => (
            row.allow_manual_group_management,
            "allow_manual_group_management",
            "groups",
        ),
    };
    if allowed {
        return Ok(());
    }
    Err(SiteError::Forbidden(format!(
        "cannot {action}: manual management of {noun} is off ({setting} = false), so only SSO \
         provisioning changes {noun}; turn it on in the site settings to make this change"
    )))
}
