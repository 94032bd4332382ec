//! SCIM credentials: bearer tokens with an expiry date and Basic username/passwords, generated
//! from the OS CSPRNG, shown once, stored as SHA-256 hashes, compared in constant time.
//!
//! A token reads `scimwb_<credential id>_<secret>`: the id finds the row, the secret is checked
//! against its hash. Verified credentials are cached so a busy IdP does not cost a database
//! read per request: a change made in this process (revoke, reset, a provider setting) clears
//! the cache at once, a commit by another process (the CLI against the same database) within
//! about 250 ms (`Store::external_changes`), and no entry lives longer than [`CACHE_TTL_MS`].

use std::collections::HashMap;
use std::sync::Mutex;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::providers::{Provider, ProviderKind, ScimAuth};
use super::{Site, SiteError};
use crate::secrets;
use crate::store::{Millis, credentials as rows, providers as provider_rows};

/// How long a token lives when no expiry is given: one year.
pub const DEFAULT_TOKEN_LIFETIME_MS: Millis = 365 * 24 * 3600 * 1000;

/// How long a verified credential is trusted without reading the database again.
pub const CACHE_TTL_MS: Millis = 60_000;

/// How often `last_used_at` is written for a busy credential.
const TOUCH_EVERY_MS: Millis = 60_000;

const TOKEN_PREFIX: &str = "scimwb_";

/// A newly issued secret, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Issued {
    Token {
        credential_id: String,
        token: String,
        #[serde(serialize_with = "super::render::serialize_opt_millis")]
        expires_at: Option<Millis>,
    },
    Basic {
        credential_id: String,
        username: String,
        password: String,
    },
}

/// A credential as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialInfo {
    pub id: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(serialize_with = "super::render::serialize_millis")]
    pub created_at: Millis,
    #[serde(serialize_with = "super::render::serialize_opt_millis")]
    pub expires_at: Option<Millis>,
    #[serde(serialize_with = "super::render::serialize_opt_millis")]
    pub revoked_at: Option<Millis>,
    #[serde(serialize_with = "super::render::serialize_opt_millis")]
    pub last_used_at: Option<Millis>,
}

/// Issues a bearer token for a provider; `expires_at` defaults to one year from now.
pub async fn issue_token(
    site: &Site,
    provider_id: &str,
    expires_at: Option<Millis>,
) -> Result<Issued, SiteError> {
    let now = site.now();
    let expires_at = expires_at.unwrap_or(now + DEFAULT_TOKEN_LIFETIME_MS);
    if expires_at <= now {
        return Err(SiteError::Invalid(
            "a token's expiry date must be in the future".into(),
        ));
    }
    let id = secrets::hex(&secrets::random_bytes::<8>());
    let secret = secrets::hex(&secrets::random_bytes::<32>());
    let row = rows::CredentialRow {
        id: id.clone(),
        provider_id: provider_id.to_owned(),
        kind: "token".into(),
        username: None,
        secret_hash: secrets::hash(&secret),
        created_at: now,
        expires_at: Some(expires_at),
        revoked_at: None,
        last_used_at: None,
    };
    insert_for_provider(site, row).await?;
    Ok(Issued::Token {
        token: format!("{TOKEN_PREFIX}{id}_{secret}"),
        credential_id: id,
        expires_at: Some(expires_at),
    })
}

/// Creates a new Basic username and password for a provider, revoking the previous one.
pub async fn reset_basic(site: &Site, provider_id: &str) -> Result<Issued, SiteError> {
    let now = site.now();
    let id = secrets::hex(&secrets::random_bytes::<8>());
    let username = format!("scim-{}", &id[..12]);
    let password = secrets::hex(&secrets::random_bytes::<16>());
    let row = rows::CredentialRow {
        id: id.clone(),
        provider_id: provider_id.to_owned(),
        kind: "basic".into(),
        username: Some(username.clone()),
        secret_hash: secrets::hash(&password),
        created_at: now,
        expires_at: None,
        revoked_at: None,
        last_used_at: None,
    };
    let provider = provider_id.to_owned();
    site.store()
        .write(move |conn| {
            Box::pin(async move {
                require_provider(&mut *conn, &provider).await?;
                rows::revoke_all(&mut *conn, &provider, "basic", now).await?;
                rows::insert(&mut *conn, &row)
                    .await
                    .map_err(SiteError::from)
            })
        })
        .await?;
    forget_cached(site);
    Ok(Issued::Basic {
        credential_id: id,
        username,
        password,
    })
}

async fn insert_for_provider(site: &Site, row: rows::CredentialRow) -> Result<(), SiteError> {
    site.store()
        .write(move |conn| {
            Box::pin(async move {
                require_provider(&mut *conn, &row.provider_id).await?;
                rows::insert(&mut *conn, &row)
                    .await
                    .map_err(SiteError::from)
            })
        })
        .await
}

async fn require_provider(
    conn: &mut sqlx::SqliteConnection,
    provider_id: &str,
) -> Result<(), SiteError> {
    match provider_rows::get(conn, provider_id).await? {
        Some(_) => Ok(()),
        None => Err(SiteError::NotFound(format!(
            "no SSO provider with id '{provider_id}'"
        ))),
    }
}

/// Revokes a credential of a provider.
pub async fn revoke(site: &Site, provider_id: &str, credential_id: &str) -> Result<(), SiteError> {
    let now = site.now();
    let (provider, credential) = (provider_id.to_owned(), credential_id.to_owned());
    site.store()
        .write(move |conn| {
            Box::pin(async move {
                match rows::get(&mut *conn, &credential).await? {
                    Some(row) if row.provider_id == provider => {}
                    _ => {
                        return Err(SiteError::NotFound(format!(
                            "provider '{provider}' has no credential '{credential}'"
                        )));
                    }
                }
                rows::revoke(&mut *conn, &credential, now).await?;
                Ok(())
            })
        })
        .await?;
    forget_cached(site);
    Ok(())
}

/// Moves a token's expiry date.
pub async fn extend(
    site: &Site,
    provider_id: &str,
    credential_id: &str,
    expires_at: Millis,
) -> Result<(), SiteError> {
    if expires_at <= site.now() {
        return Err(SiteError::Invalid(
            "a token's expiry date must be in the future".into(),
        ));
    }
    let (provider, credential) = (provider_id.to_owned(), credential_id.to_owned());
    site.store()
        .write(move |conn| {
            Box::pin(async move {
                match rows::get(&mut *conn, &credential).await? {
                    Some(row) if row.provider_id == provider && row.kind == "token" => {}
                    _ => {
                        return Err(SiteError::NotFound(format!(
                            "provider '{provider}' has no token '{credential}'"
                        )));
                    }
                }
                rows::set_expiry(&mut *conn, &credential, Some(expires_at)).await?;
                Ok(())
            })
        })
        .await?;
    forget_cached(site);
    Ok(())
}

pub async fn list(site: &Site, provider_id: &str) -> Result<Vec<CredentialInfo>, SiteError> {
    let rows = rows::list_for_provider(site.store().reader(), provider_id).await?;
    Ok(rows
        .into_iter()
        .map(|r| CredentialInfo {
            id: r.id,
            kind: r.kind,
            username: r.username,
            created_at: r.created_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
            last_used_at: r.last_used_at,
        })
        .collect())
}

/// A credential as presented in an `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented {
    Bearer(String),
    Basic { username: String, password: String },
}

/// The provider a verified credential belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    pub provider: Provider,
    pub credential_id: String,
}

/// Verifies a presented credential and finds its provider. The error says precisely what is
/// wrong (unknown, revoked, expired, wrong method), for the 401's detail.
pub async fn authenticate(site: &Site, presented: &Presented) -> Result<Authenticated, SiteError> {
    let now = site.now();
    let key = cache_key(presented);
    let generation = site.store().external_changes();
    if let Some(hit) = site.auth_cache.get(&key, now, generation) {
        return Ok(hit);
    }
    let row = verified(site, presented).await?;
    if let Some(at) = row.revoked_at {
        return Err(SiteError::Unauthorized(format!(
            "this credential was revoked on {}",
            super::render::rfc3339(at)
        )));
    }
    if let Some(at) = row.expires_at.filter(|at| *at <= now) {
        return Err(SiteError::Unauthorized(format!(
            "this token expired on {}",
            super::render::rfc3339(at)
        )));
    }
    let provider = super::providers::get(site, &row.provider_id).await?;
    let expected = if row.kind == "token" {
        ScimAuth::Token
    } else {
        ScimAuth::Basic
    };
    if provider.scim_authentication_method != expected {
        let detail = match provider.scim_authentication_method {
            ScimAuth::None => format!(
                "SCIM provisioning is turned off for SSO provider '{}'",
                provider.name
            ),
            method => format!(
                "SSO provider '{}' accepts {} credentials for SCIM, not {}",
                provider.name,
                method.as_str(),
                expected.as_str()
            ),
        };
        return Err(SiteError::Unauthorized(detail));
    }
    let authenticated = Authenticated {
        provider,
        credential_id: row.id.clone(),
    };
    let touch = site
        .auth_cache
        .put(key, authenticated.clone(), row.expires_at, now, generation);
    if touch {
        tokio::spawn(record_use(site.store().clone(), row.id, now));
    }
    Ok(authenticated)
}

/// The credential `presented` names, if its secret is right (whatever its state).
async fn verified(site: &Site, presented: &Presented) -> Result<rows::CredentialRow, SiteError> {
    let db = site.store().reader();
    Ok(match presented {
        Presented::Bearer(token) => {
            let parsed = token
                .strip_prefix(TOKEN_PREFIX)
                .and_then(|rest| rest.split_once('_'));
            let Some((id, secret)) = parsed else {
                return Err(SiteError::Unauthorized(
                    "the bearer token is not a SCIM Workbench token".into(),
                ));
            };
            let row = rows::get(db, id)
                .await?
                .filter(|r| r.kind == "token" && secrets::verify(secret, &r.secret_hash));
            row.ok_or_else(|| SiteError::Unauthorized("the bearer token is not valid".into()))?
        }
        Presented::Basic { username, password } => {
            let row = rows::get_by_username(db, username)
                .await?
                .filter(|r| secrets::verify(password, &r.secret_hash));
            row.ok_or_else(|| {
                SiteError::Unauthorized("the SCIM username or password is not valid".into())
            })?
        }
    })
}

/// Whose credential `presented` is when its secret is right but it was refused (revoked,
/// expired, or for a provider that takes another method or has SCIM off): the SCIM log names
/// the provider of such a request.
pub async fn owner(site: &Site, presented: &Presented) -> Option<(String, ProviderKind)> {
    let row = verified(site, presented).await.ok()?;
    let provider = super::providers::get(site, &row.provider_id).await.ok()?;
    Some((provider.id, provider.kind))
}

/// The provider a replayed request acts as (`logs::capture::Replay`). No credential is
/// presented, so what is checked is that the provider still exists and has SCIM on.
pub async fn replay_as(site: &Site, provider_id: &str) -> Result<Authenticated, SiteError> {
    let provider = super::providers::get(site, provider_id)
        .await
        .map_err(|e| match e {
            SiteError::NotFound(_) => SiteError::Unauthorized(format!(
                "the replay acts as SSO provider {provider_id}, which no longer exists"
            )),
            other => other,
        })?;
    if provider.scim_authentication_method == ScimAuth::None {
        return Err(SiteError::Unauthorized(format!(
            "SCIM provisioning is turned off for SSO provider '{}'",
            provider.name
        )));
    }
    Ok(Authenticated {
        provider,
        credential_id: String::new(),
    })
}

/// The job writing `last_used_at`; a named function so its higher-ranked type is explicit
/// (inference fails for closures inside spawned futures).
fn touch_job(
    id: String,
    now: Millis,
) -> impl for<'c> FnOnce(
    &'c mut sqlx::SqliteConnection,
) -> crate::store::BoxFuture<'c, Result<(), crate::store::StoreError>>
+ Send
+ 'static {
    move |conn| Box::pin(async move { rows::touch(conn, &id, now).await })
}

/// Writes a credential's `last_used_at` (off the request path).
async fn record_use(store: crate::store::Store, id: String, now: Millis) {
    if let Err(e) = store.write_single(touch_job(id, now)).await {
        tracing::warn!(error = %e, "could not record a credential's last use");
    }
}

fn cache_key(presented: &Presented) -> [u8; 32] {
    let mut hasher = Sha256::new();
    match presented {
        Presented::Bearer(token) => {
            hasher.update(b"bearer\0");
            hasher.update(token.as_bytes());
        }
        Presented::Basic { username, password } => {
            hasher.update(b"basic\0");
            hasher.update(username.as_bytes());
            hasher.update(b"\0");
            hasher.update(password.as_bytes());
        }
    }
    hasher.finalize().into()
}

/// Drops every cached verification (after a change to credentials or providers).
pub fn forget_cached(site: &Site) {
    site.auth_cache.clear();
}

/// Recently verified credentials, by the hash of what was presented.
#[derive(Debug, Default)]
pub struct AuthCache {
    entries: Mutex<HashMap<[u8; 32], CacheEntry>>,
}

#[derive(Debug, Clone)]
struct CacheEntry {
    authenticated: Authenticated,
    verified_at: Millis,
    /// `Store::external_changes` when verified.
    generation: u64,
    expires_at: Option<Millis>,
    touched_at: Millis,
}

impl AuthCache {
    fn get(&self, key: &[u8; 32], now: Millis, generation: u64) -> Option<Authenticated> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(key)?;
        let fresh = entry.generation == generation
            && now - entry.verified_at < CACHE_TTL_MS
            && entry.expires_at.is_none_or(|at| at > now);
        fresh.then(|| entry.authenticated.clone())
    }

    /// Caches a verification; returns whether `last_used_at` is due for a write.
    fn put(
        &self,
        key: [u8; 32],
        authenticated: Authenticated,
        expires_at: Option<Millis>,
        now: Millis,
        generation: u64,
    ) -> bool {
        let Ok(mut entries) = self.entries.lock() else {
            return false;
        };
        if entries.len() > 10_000 {
            entries.clear();
        }
        let touched_at = entries.get(&key).map_or(0, |e| e.touched_at);
        let due = now - touched_at >= TOUCH_EVERY_MS;
        entries.insert(
            key,
            CacheEntry {
                authenticated,
                verified_at: now,
                generation,
                expires_at,
                touched_at: if due { now } else { touched_at },
            },
        );
        due
    }

    fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}
