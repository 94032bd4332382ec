//! Admin routes for the site's configuration: settings, SSO providers and their credentials,
//! and user lifecycle rules.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;

use super::api::{Answer, ApiError, Body, Json, done, ok};
use crate::http::AppState;
use crate::site::lifecycle::{self, LifecycleRule, LifecycleRuleInput, RunReport, Which};
use crate::site::provider_admin::{
    self, CreatedProvider, Expiry, NewProvider, ProviderView, Secret,
};
use crate::site::settings::{self, SettingsChange, SiteSettings};

pub async fn get_settings(State(app): State<AppState>) -> Answer<SiteSettings> {
    ok(settings::get(&app.site).await)
}

pub async fn update_settings(
    State(app): State<AppState>,
    Body(change): Body<SettingsChange>,
) -> Answer<SiteSettings> {
    ok(settings::update(&app.site, change).await)
}

pub async fn list_providers(State(app): State<AppState>) -> Answer<Vec<ProviderView>> {
    ok(provider_admin::list(&app.site).await)
}

pub async fn create_provider(
    State(app): State<AppState>,
    Body(new): Body<NewProvider>,
) -> Result<(StatusCode, Json<CreatedProvider>), ApiError> {
    Ok((
        StatusCode::CREATED,
        ok(provider_admin::create(&app.site, new).await)?,
    ))
}

pub async fn provider(State(app): State<AppState>, Path(id): Path<String>) -> Answer<ProviderView> {
    ok(provider_admin::view(&app.site, &id).await)
}

/// Fields by their API names (SPEC.md): `{"provision_group_required": "IT, Support*"}`.
pub async fn update_provider(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Body(fields): Body<BTreeMap<String, Value>>,
) -> Answer<ProviderView> {
    ok(provider_admin::update(&app.site, &id, fields).await)
}

pub async fn delete_provider(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    done(provider_admin::delete(&app.site, &id).await)
}

pub async fn issue_token(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Body(expiry): Body<Expiry>,
) -> Result<(StatusCode, Json<Secret>), ApiError> {
    Ok((
        StatusCode::CREATED,
        ok(provider_admin::issue_token(&app.site, &id, expiry).await)?,
    ))
}

pub async fn extend_credential(
    State(app): State<AppState>,
    Path((id, credential)): Path<(String, String)>,
    Body(expiry): Body<Expiry>,
) -> Answer<ProviderView> {
    ok(provider_admin::extend(&app.site, &id, &credential, expiry).await)
}

pub async fn revoke_credential(
    State(app): State<AppState>,
    Path((id, credential)): Path<(String, String)>,
) -> Answer<ProviderView> {
    ok(provider_admin::revoke(&app.site, &id, &credential).await)
}

pub async fn reset_basic(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Secret>), ApiError> {
    Ok((
        StatusCode::CREATED,
        ok(provider_admin::reset_basic(&app.site, &id).await)?,
    ))
}

pub async fn list_rules(State(app): State<AppState>) -> Answer<Vec<LifecycleRule>> {
    ok(lifecycle::list(&app.site).await)
}

pub async fn create_rule(
    State(app): State<AppState>,
    Body(input): Body<LifecycleRuleInput>,
) -> Result<(StatusCode, Json<LifecycleRule>), ApiError> {
    Ok((
        StatusCode::CREATED,
        ok(lifecycle::create(&app.site, input).await)?,
    ))
}

pub async fn rule(State(app): State<AppState>, Path(id): Path<String>) -> Answer<LifecycleRule> {
    ok(lifecycle::get(&app.site, &id).await)
}

pub async fn update_rule(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Body(input): Body<LifecycleRuleInput>,
) -> Answer<LifecycleRule> {
    ok(lifecycle::update(&app.site, &id, input).await)
}

pub async fn delete_rule(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    done(lifecycle::delete(&app.site, &id).await)
}

/// How to run rules on demand.
#[derive(Debug, Clone, Default, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// Report what would happen, change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

pub async fn run_rule(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Body(run): Body<RunRequest>,
) -> Answer<Vec<RunReport>> {
    ok(lifecycle::run(&app.site, Which::One(id), run.dry_run).await)
}

pub async fn run_rules(
    State(app): State<AppState>,
    Body(run): Body<RunRequest>,
) -> Answer<Vec<RunReport>> {
    ok(lifecycle::run(&app.site, Which::Enabled, run.dry_run).await)
}
