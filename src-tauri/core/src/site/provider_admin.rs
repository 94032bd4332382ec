//! SSO providers as the admin API shows and changes them: views with options and credentials
//! (never secrets), creation with options, changes by field name (the same names and checks as
//! `provider set`), deletion, and the credential operations whose secrets are shown once.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::credentials::{self, Issued};
use super::options::ProviderOptions;
use super::provision::{Change, Interface, Target};
use super::render::{parse_expiry, rfc3339};
use super::{Site, SiteError, providers};
use crate::store::providers as rows;

/// A credential as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct CredentialView {
    pub id: String,
    /// `token` or `basic`.
    pub kind: String,
    pub username: Option<String>,
    /// `active`, `expired` or `revoked`.
    pub state: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
}

/// A provider with its options and credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct ProviderView {
    pub id: String,
    pub name: String,
    pub kind: String,
    /// `none`, `basic` or `token`.
    pub scim_authentication_method: String,
    /// Whether this kind of provider can enable SCIM at all (SAML-based kinds only).
    pub supports_scim: bool,
    pub options: ProviderOptions,
    pub credentials: Vec<CredentialView>,
    pub created_at: String,
    pub updated_at: String,
}

/// A secret, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct Secret {
    pub credential_id: String,
    /// `token` or `basic`.
    pub kind: String,
    pub token: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub expires_at: Option<String>,
}

impl From<Issued> for Secret {
    fn from(issued: Issued) -> Self {
        match issued {
            Issued::Token {
                credential_id,
                token,
                expires_at,
            } => Secret {
                credential_id,
                kind: "token".into(),
                token: Some(token),
                username: None,
                password: None,
                expires_at: expires_at.map(rfc3339),
            },
            Issued::Basic {
                credential_id,
                username,
                password,
            } => Secret {
                credential_id,
                kind: "basic".into(),
                token: None,
                username: Some(username),
                password: Some(password),
                expires_at: None,
            },
        }
    }
}

/// A new provider and its first secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct CreatedProvider {
    pub provider: ProviderView,
    /// Absent when SCIM is off (`none`).
    pub secret: Option<Secret>,
}

/// A provider to create: `fields` are options (and `scim_authentication_method`) by their
/// API names, as in a change.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct NewProvider {
    pub name: String,
    pub kind: String,
    #[serde(default)]
    #[specta(type = BTreeMap<String, specta_typescript::Unknown>)]
    pub fields: BTreeMap<String, Value>,
}

pub async fn view(site: &Site, id: &str) -> Result<ProviderView, SiteError> {
    let provider = providers::get(site, id).await?;
    let now = site.now();
    let credentials = credentials::list(site, id)
        .await?
        .into_iter()
        .map(|c| CredentialView {
            state: if c.revoked_at.is_some() {
                "revoked"
            } else if c.expires_at.is_some_and(|at| at <= now) {
                "expired"
            } else {
                "active"
            }
            .to_owned(),
            id: c.id,
            kind: c.kind,
            username: c.username,
            created_at: rfc3339(c.created_at),
            expires_at: c.expires_at.map(rfc3339),
            revoked_at: c.revoked_at.map(rfc3339),
            last_used_at: c.last_used_at.map(rfc3339),
        })
        .collect();
    Ok(ProviderView {
        supports_scim: provider.kind.supports_scim(),
        id: provider.id,
        name: provider.name,
        kind: provider.kind.as_str().to_owned(),
        scim_authentication_method: provider.scim_authentication_method.as_str().to_owned(),
        options: provider.options,
        credentials,
        created_at: rfc3339(provider.created_at),
        updated_at: rfc3339(provider.updated_at),
    })
}

pub async fn list(site: &Site) -> Result<Vec<ProviderView>, SiteError> {
    let mut views = Vec::new();
    for provider in providers::list(site).await? {
        views.push(view(site, &provider.id).await?);
    }
    Ok(views)
}

/// A JSON value as the text `provider set` takes: booleans and strings as they are, a list of
/// names as lines.
fn as_text(field: &str, value: &Value) -> Result<String, SiteError> {
    match value {
        Value::Bool(b) => Ok(b.to_string()),
        Value::String(s) => Ok(s.clone()),
        Value::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str().map(str::to_owned).ok_or_else(|| {
                    SiteError::Invalid(format!("{field}: a list holds group names (strings)"))
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(|names| names.join("\n")),
        other => Err(SiteError::Invalid(format!(
            "{field} takes a string or a boolean, not {other}"
        ))),
    }
}

fn assignments(fields: &BTreeMap<String, Value>) -> Result<Vec<(String, String)>, SiteError> {
    fields
        .iter()
        .map(|(field, value)| Ok((field.clone(), as_text(field, value)?)))
        .collect()
}

/// Checks a change without writing it: the whole change is refused on the first bad field.
fn check(provider: &providers::Provider, pairs: &[(String, String)]) -> Result<(), SiteError> {
    let mut options = provider.options.clone();
    let mut kind = provider.kind;
    for (field, value) in pairs {
        match field.as_str() {
            "name" | "scim_authentication_method" => {}
            "kind" => kind = providers::ProviderKind::parse(value)?,
            option => options.set(option, value)?,
        }
    }
    options.validate(kind).map(|_| ())
}

pub async fn create(site: &Site, new: NewProvider) -> Result<CreatedProvider, SiteError> {
    let kind = providers::ProviderKind::parse(&new.kind)?;
    let pairs = assignments(&new.fields)?;
    if pairs.iter().any(|(f, _)| f == "name" || f == "kind") {
        return Err(SiteError::Invalid(
            "name and kind are given beside fields, not in them".into(),
        ));
    }
    // Every value is checked before anything is created.
    let draft = providers::Provider {
        id: String::new(),
        name: new.name.clone(),
        kind,
        scim_authentication_method: providers::ScimAuth::None,
        options: ProviderOptions::default(),
        rules: Default::default(),
        created_at: 0,
        updated_at: 0,
    };
    check(&draft, &pairs)?;
    let auth = pairs
        .iter()
        .find(|(f, _)| f == "scim_authentication_method")
        .map(|(_, v)| providers::ScimAuth::parse(v))
        .transpose()?;
    let (provider, issued) = providers::create(site, &new.name, kind, auth).await?;
    let options: Vec<(String, String)> = pairs
        .into_iter()
        .filter(|(f, _)| f != "scim_authentication_method")
        .collect();
    if !options.is_empty() {
        providers::set(site, &provider.id, &options).await?;
    }
    record(
        site,
        &provider.id,
        "provider_created",
        format!("SSO provider {} ({}) created", provider.name, kind.as_str()),
    )
    .await?;
    Ok(CreatedProvider {
        provider: view(site, &provider.id).await?,
        secret: issued.map(Secret::from),
    })
}

/// Sets fields by their API names; one refused value refuses the whole change.
pub async fn update(
    site: &Site,
    id: &str,
    fields: BTreeMap<String, Value>,
) -> Result<ProviderView, SiteError> {
    let pairs = assignments(&fields)?;
    let before = providers::get(site, id).await?;
    let after = providers::set(site, id, &pairs).await?;
    let changed: Vec<&str> = pairs.iter().map(|(f, _)| f.as_str()).collect();
    if before != after {
        record(
            site,
            id,
            "provider_updated",
            format!(
                "SSO provider {} changed: {}",
                after.name,
                changed.join(", ")
            ),
        )
        .await?;
    }
    view(site, id).await
}

/// Deletes a provider; the users and groups it managed stay, as local ones.
pub async fn delete(site: &Site, id: &str) -> Result<(), SiteError> {
    let provider = providers::get(site, id).await?;
    let now = site.now();
    let owned = provider.clone();
    site.store()
        .write(move |conn| {
            Box::pin(async move {
                let (users, groups) = rows::unlink_all(&mut *conn, &owned.id).await?;
                rows::delete(&mut *conn, &owned.id).await?;
                let mut change = Change::start(conn, None, Interface::Web, now).await?;
                change.record(
                    "provider_deleted",
                    Target::Other("provider"),
                    format!(
                        "SSO provider {} deleted; its {users} user(s) and {groups} group(s) stay as local ones",
                        owned.name
                    ),
                );
                change.finish(conn).await?;
                Ok::<_, SiteError>(())
            })
        })
        .await?;
    credentials::forget_cached(site);
    site.positions.forget(id);
    Ok(())
}

async fn record(
    site: &Site,
    provider_id: &str,
    action: &'static str,
    detail: String,
) -> Result<(), SiteError> {
    let provider = providers::get(site, provider_id).await?;
    let now = site.now();
    site.store()
        .write(move |conn| {
            Box::pin(async move {
                let mut change = Change::start(conn, Some(&provider), Interface::Web, now).await?;
                change.record(action, Target::Other("provider"), detail);
                change.finish(conn).await?;
                Ok::<_, SiteError>(())
            })
        })
        .await
}

/// A token's expiry: `2027-01-31`, an RFC 3339 time, or `90d`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct Expiry {
    #[serde(default)]
    pub expires_at: Option<String>,
}

fn expiry(site: &Site, text: Option<&str>) -> Result<Option<i64>, SiteError> {
    text.map(|t| {
        parse_expiry(t, site.now()).ok_or_else(|| {
            SiteError::Invalid(format!(
                "expires_at \"{t}\" is not a date (YYYY-MM-DD), an RFC 3339 time, or a number of days (90d)"
            ))
        })
    })
    .transpose()
}

pub async fn issue_token(site: &Site, id: &str, request: Expiry) -> Result<Secret, SiteError> {
    let at = expiry(site, request.expires_at.as_deref())?;
    Ok(credentials::issue_token(site, id, at).await?.into())
}

pub async fn extend(
    site: &Site,
    id: &str,
    credential_id: &str,
    request: Expiry,
) -> Result<ProviderView, SiteError> {
    let at = expiry(site, request.expires_at.as_deref())?
        .ok_or_else(|| SiteError::Invalid("extending a token needs expires_at".into()))?;
    credentials::extend(site, id, credential_id, at).await?;
    view(site, id).await
}

pub async fn revoke(site: &Site, id: &str, credential_id: &str) -> Result<ProviderView, SiteError> {
    credentials::revoke(site, id, credential_id).await?;
    view(site, id).await
}

pub async fn reset_basic(site: &Site, id: &str) -> Result<Secret, SiteError> {
    Ok(credentials::reset_basic(site, id).await?.into())
}
