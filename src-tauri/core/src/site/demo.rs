//! The demo site (`demo/site.json`): a few providers of different kinds with options set,
//! local users (an administrator, service accounts, external collaborators), SCIM-managed
//! users including a held and a disabled one, groups (one held by the exclusion list) and
//! lifecycle rules — so a first start shows something meaningful. Loaded into an empty
//! database, then each provider with SCIM on gets a fresh secret (documents carry none).

use serde::Serialize;

use super::document::{self, Imported};
use super::provider_admin::{self, Expiry, Secret};
use super::providers::{self, ScimAuth};
use super::{Site, SiteError};

pub const DOCUMENT: &str = include_str!("../../demo/site.json");

/// A provider's new secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderSecret {
    pub provider_id: String,
    pub provider_name: String,
    pub secret: Secret,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Loaded {
    pub imported: Imported,
    pub secrets: Vec<ProviderSecret>,
}

pub async fn load(site: &Site) -> Result<Loaded, SiteError> {
    let imported = document::import(site, document::parse(DOCUMENT)?).await?;
    let mut secrets = Vec::new();
    for provider in providers::list(site).await? {
        let secret = match provider.scim_authentication_method {
            ScimAuth::None => continue,
            ScimAuth::Token => {
                provider_admin::issue_token(site, &provider.id, Expiry::default()).await?
            }
            ScimAuth::Basic => provider_admin::reset_basic(site, &provider.id).await?,
        };
        secrets.push(ProviderSecret {
            provider_id: provider.id,
            provider_name: provider.name,
            secret,
        });
    }
    Ok(Loaded { imported, secrets })
}
