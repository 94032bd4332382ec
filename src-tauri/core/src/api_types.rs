//! The admin API's request and response types as TypeScript, for the web UI
//! (`ui/src/api/types.gen.ts`, regenerated and checked for drift by `tests/typescript.rs`).

use crate::http::admin::directory::Association;
use crate::http::dry_run::{DryRunRequest, DryRunResult};
use crate::http::events::EventsQuery;
use crate::http::replay::ReplayRequest;
use crate::site::accounts::{NewUser, UserDetail, UserEdit, UserPage, UserQuery};
use crate::site::history::{HistoryPage, HistoryQuery};
use crate::site::lifecycle::{LifecycleRule, LifecycleRuleInput, RunReport};
use crate::site::live::LiveBatch;
use crate::site::provider_admin::{CreatedProvider, Expiry, NewProvider, ProviderView, Secret};
use crate::site::scim_log::{ScimLogEntry, ScimLogPage, ScimLogQuery, ScimLogSummary};
use crate::site::settings::{SettingsChange, SiteSettings};
use crate::site::sign_in::{SignInRequest, SignInResult};
use crate::site::site_groups::{GroupDetail, GroupEdit, GroupPage, GroupQuery, NewGroup};

/// The header of the generated file.
const HEADER: &str = "// Generated from the Rust DTOs by `cargo test -p workbench-core --test typescript`.\n// Do not edit by hand: change the Rust types and rerun the test.\n";

/// Every admin API type, as one TypeScript module.
pub fn typescript() -> Result<String, String> {
    let types = specta::Types::default()
        .register::<SiteSettings>()
        .register::<SettingsChange>()
        .register::<ProviderView>()
        .register::<NewProvider>()
        .register::<CreatedProvider>()
        .register::<Secret>()
        .register::<Expiry>()
        .register::<UserQuery>()
        .register::<UserPage>()
        .register::<UserDetail>()
        .register::<NewUser>()
        .register::<UserEdit>()
        .register::<Association>()
        .register::<GroupQuery>()
        .register::<GroupPage>()
        .register::<GroupDetail>()
        .register::<NewGroup>()
        .register::<GroupEdit>()
        .register::<LifecycleRule>()
        .register::<LifecycleRuleInput>()
        .register::<RunReport>()
        .register::<crate::http::admin::configuration::RunRequest>()
        .register::<DryRunRequest>()
        .register::<DryRunResult>()
        .register::<SignInRequest>()
        .register::<SignInResult>()
        .register::<HistoryQuery>()
        .register::<HistoryPage>()
        .register::<ScimLogQuery>()
        .register::<ScimLogPage>()
        .register::<ScimLogEntry>()
        .register::<ScimLogSummary>()
        .register::<EventsQuery>()
        .register::<LiveBatch>()
        .register::<ReplayRequest>();
    let body = specta_typescript::Typescript::default()
        .export(&types, specta_serde::Format)
        .map_err(|e| e.to_string())?;
    Ok(format!("{HEADER}{body}"))
}
