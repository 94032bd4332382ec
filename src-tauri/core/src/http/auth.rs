//! Who is calling the SCIM listener: the `Authorization` header resolved to an SSO provider
//! (Bearer token, Basic username/password, or Okta's bare token), or a 401 that says why.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine;
use workbench_scim::{Rule, ScimError, Tolerances};

use super::AppState;
use super::error::ScimFailure;
use super::io::base_url;
use crate::logs::capture::{ProviderSlot, Replay};
use crate::site::Caller;
use crate::site::credentials::{self, Presented};

/// An authenticated SCIM caller, with the tolerances reading its header needed.
#[derive(Debug)]
pub struct Authenticated {
    pub caller: Caller,
    pub tolerances: Tolerances,
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ScimFailure;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let mut tolerances = Tolerances::new();
        let slot = parts.extensions.get::<ProviderSlot>().cloned();
        let replay_as = parts
            .extensions
            .get::<Replay>()
            .and_then(|r| r.provider_id.clone());
        let authenticated = match replay_as {
            Some(provider_id) => credentials::replay_as(&state.site, &provider_id).await?,
            None => {
                let presented = presented(parts, &mut tolerances)?;
                match credentials::authenticate(&state.site, &presented).await {
                    Ok(authenticated) => authenticated,
                    Err(refused) => {
                        // A right secret refused (revoked, expired, …): the log names whose.
                        if let Some(slot) = &slot
                            && let Some((id, kind)) =
                                credentials::owner(&state.site, &presented).await
                        {
                            slot.set(&id, kind);
                        }
                        return Err(refused.into());
                    }
                }
            }
        };
        let caller = Caller {
            dry_run: false,
            provider: authenticated.provider,
            base_url: base_url(&parts.headers, state),
        };
        parts.extensions.insert(caller.provider.clone());
        if let Some(slot) = slot {
            slot.set(&caller.provider.id, caller.provider.kind);
        }
        Ok(Authenticated { caller, tolerances })
    }
}

fn unauthorized(detail: &str) -> ScimFailure {
    ScimFailure(ScimError::Unauthorized(detail.to_owned()))
}

/// Reads the credential from the `Authorization` header.
fn presented(parts: &Parts, tolerances: &mut Tolerances) -> Result<Presented, ScimFailure> {
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Err(unauthorized(
            "no credential: send 'Authorization: Bearer <token>' or HTTP Basic with the SCIM \
             username and password of an SSO provider",
        ));
    };
    let value = value
        .to_str()
        .map_err(|_| unauthorized("the Authorization header is not readable text"))?
        .trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") && !rest.is_empty() {
        return Ok(Presented::Bearer(rest.to_owned()));
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(|| {
                unauthorized("the Basic credential is not base64 of 'username:password'")
            })?;
        let (username, password) = decoded.split_once(':').ok_or_else(|| {
            unauthorized("the Basic credential has no ':' between username and password")
        })?;
        return Ok(Presented::Basic {
            username: username.to_owned(),
            password: password.to_owned(),
        });
    }
    if rest.is_empty() && value.starts_with("scimwb_") {
        tolerances.note(
            Rule::TokenWithoutScheme,
            "read the Authorization value as a bearer token",
        );
        return Ok(Presented::Bearer(value.to_owned()));
    }
    Err(unauthorized(
        "the Authorization header is neither 'Bearer <token>' nor HTTP Basic",
    ))
}
