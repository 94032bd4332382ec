//! SSO providers: kinds, SCIM authentication method, and the operations the CLI and admin API
//! use (create with a first credential, list, get, set fields by their API names).

use serde::Serialize;

use super::credentials::{self, Issued};
use super::options::ProviderOptions;
use super::{Site, SiteError};
use crate::rules;
use crate::secrets;
use crate::store::{Millis, providers as rows};

/// What kind of SSO provider (SPEC.md: only SAML-based kinds can enable SCIM).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ProviderKind {
    #[serde(rename = "okta")]
    Okta,
    #[serde(rename = "entra_id")]
    EntraId,
    #[serde(rename = "onelogin")]
    OneLogin,
    #[serde(rename = "jumpcloud")]
    JumpCloud,
    #[serde(rename = "duo")]
    Duo,
    #[serde(rename = "ldap")]
    Ldap,
    #[serde(rename = "saml")]
    Saml,
    #[serde(rename = "oauth")]
    Oauth,
    #[serde(rename = "oidc")]
    Oidc,
}

impl ProviderKind {
    pub const ALL: [ProviderKind; 9] = [
        ProviderKind::Okta,
        ProviderKind::EntraId,
        ProviderKind::OneLogin,
        ProviderKind::JumpCloud,
        ProviderKind::Duo,
        ProviderKind::Ldap,
        ProviderKind::Saml,
        ProviderKind::Oauth,
        ProviderKind::Oidc,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Okta => "okta",
            ProviderKind::EntraId => "entra_id",
            ProviderKind::OneLogin => "onelogin",
            ProviderKind::JumpCloud => "jumpcloud",
            ProviderKind::Duo => "duo",
            ProviderKind::Ldap => "ldap",
            ProviderKind::Saml => "saml",
            ProviderKind::Oauth => "oauth",
            ProviderKind::Oidc => "oidc",
        }
    }

    pub fn parse(text: &str) -> Result<ProviderKind, SiteError> {
        ProviderKind::ALL
            .into_iter()
            .find(|k| k.as_str() == text.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                let all: Vec<&str> = ProviderKind::ALL.iter().map(|k| k.as_str()).collect();
                SiteError::Invalid(format!(
                    "unknown provider kind '{text}'; expected one of {}",
                    all.join(", ")
                ))
            })
    }

    /// SCIM provisioning works only with SAML-based providers, not OAuth or OpenID Connect.
    pub fn supports_scim(self) -> bool {
        !matches!(self, ProviderKind::Oauth | ProviderKind::Oidc)
    }
}

/// `scim_authentication_method`: how the provider's IdP authenticates to the SCIM API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScimAuth {
    /// SCIM is off for this provider.
    None,
    /// A generated SCIM username and password (HTTP Basic).
    Basic,
    /// Bearer tokens with expiry dates.
    Token,
}

impl ScimAuth {
    pub fn as_str(self) -> &'static str {
        match self {
            ScimAuth::None => "none",
            ScimAuth::Basic => "basic",
            ScimAuth::Token => "token",
        }
    }

    pub fn parse(text: &str) -> Result<ScimAuth, SiteError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(ScimAuth::None),
            "basic" => Ok(ScimAuth::Basic),
            "token" => Ok(ScimAuth::Token),
            _ => Err(SiteError::Invalid(format!(
                "scim_authentication_method '{text}' is not one of none, basic, token"
            ))),
        }
    }
}

/// An SSO provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provider {
    pub id: String,
    pub name: String,
    pub kind: ProviderKind,
    pub scim_authentication_method: ScimAuth,
    pub options: ProviderOptions,
    /// The options as the rules read them (lists parsed).
    #[serde(skip)]
    pub rules: rules::Options,
    #[serde(serialize_with = "super::render::serialize_millis")]
    pub created_at: Millis,
    #[serde(serialize_with = "super::render::serialize_millis")]
    pub updated_at: Millis,
}

impl Provider {
    fn from_row(row: rows::ProviderRow) -> Result<Provider, SiteError> {
        let kind = ProviderKind::parse(&row.kind)?;
        let options = ProviderOptions::from_json(&row.options)?;
        Ok(Provider {
            rules: options.validate(kind)?,
            options,
            kind,
            scim_authentication_method: ScimAuth::parse(&row.scim_authentication_method)?,
            id: row.id,
            name: row.name,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }

    fn to_row(&self) -> rows::ProviderRow {
        rows::ProviderRow {
            id: self.id.clone(),
            name: self.name.clone(),
            kind: self.kind.as_str().to_owned(),
            scim_authentication_method: self.scim_authentication_method.as_str().to_owned(),
            options: self.options.to_json(),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// The fields `set` accepts, by their API names.
fn check_scim_allowed(kind: ProviderKind, auth: ScimAuth) -> Result<(), SiteError> {
    if auth != ScimAuth::None && !kind.supports_scim() {
        return Err(SiteError::Invalid(format!(
            "SCIM provisioning works only with SAML-based SSO providers; a provider of kind '{}' \
             cannot enable it (scim_authentication_method must stay 'none')",
            kind.as_str()
        )));
    }
    Ok(())
}

fn check_name(name: &str) -> Result<String, SiteError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(SiteError::Invalid("a provider needs a name".into()));
    }
    Ok(name.to_owned())
}

/// Creates a provider. Without `auth`, SCIM uses tokens (SPEC.md defaults), or is off for kinds
/// that cannot enable it. Returns the first credential's secret, shown once.
pub async fn create(
    site: &Site,
    name: &str,
    kind: ProviderKind,
    auth: Option<ScimAuth>,
) -> Result<(Provider, Option<Issued>), SiteError> {
    let auth = auth.unwrap_or(if kind.supports_scim() {
        ScimAuth::Token
    } else {
        ScimAuth::None
    });
    check_scim_allowed(kind, auth)?;
    let now = site.now();
    let options = ProviderOptions::default();
    let provider = Provider {
        id: secrets::uuid(),
        name: check_name(name)?,
        kind,
        scim_authentication_method: auth,
        rules: options.validate(kind)?,
        options,
        created_at: now,
        updated_at: now,
    };
    let row = provider.to_row();
    site.store()
        .write(move |conn| {
            Box::pin(async move { rows::insert(conn, &row).await.map_err(SiteError::from) })
        })
        .await?;
    let issued = match auth {
        ScimAuth::None => None,
        ScimAuth::Token => Some(credentials::issue_token(site, &provider.id, None).await?),
        ScimAuth::Basic => Some(credentials::reset_basic(site, &provider.id).await?),
    };
    Ok((provider, issued))
}

pub async fn list(site: &Site) -> Result<Vec<Provider>, SiteError> {
    rows::list(site.store().reader())
        .await?
        .into_iter()
        .map(Provider::from_row)
        .collect()
}

pub async fn get(site: &Site, id: &str) -> Result<Provider, SiteError> {
    match rows::get(site.store().reader(), id).await? {
        Some(row) => Provider::from_row(row),
        None => Err(SiteError::NotFound(format!(
            "no SSO provider with id '{id}'"
        ))),
    }
}

/// Sets fields by their API names (`name=Okta prod`, `scim_authentication_method=basic`,
/// `provision_group_required=IT,Support*`, every option of SPEC.md's table). All values are
/// checked before any is written; one refused value refuses the whole change.
pub async fn set(
    site: &Site,
    id: &str,
    assignments: &[(String, String)],
) -> Result<Provider, SiteError> {
    let mut provider = get(site, id).await?;
    for (field, value) in assignments {
        match field.as_str() {
            "name" => provider.name = check_name(value)?,
            "kind" => provider.kind = ProviderKind::parse(value)?,
            "scim_authentication_method" => {
                provider.scim_authentication_method = ScimAuth::parse(value)?
            }
            option => provider.options.set(option, value)?,
        }
    }
    check_scim_allowed(provider.kind, provider.scim_authentication_method)?;
    provider.rules = provider.options.validate(provider.kind)?;
    provider.updated_at = site.now();
    let row = provider.to_row();
    site.store()
        .write(move |conn| {
            Box::pin(async move { rows::update(conn, &row).await.map_err(SiteError::from) })
        })
        .await?;
    credentials::forget_cached(site);
    Ok(provider)
}
