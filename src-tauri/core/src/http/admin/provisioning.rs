//! Admin routes that exercise the rules: the dry run of a SCIM request, simulated sign-in, and
//! the history log they (and every real change) write to, and the SCIM log of every exchange.

use axum::extract::{Path, State};

use super::api::{Answer, Body, Params, ok};
use crate::http::AppState;
use crate::http::dry_run::{self, DryRunRequest, DryRunResult};
use crate::site::history::{self, HistoryPage, HistoryQuery};
use crate::site::scim_log::{self, ScimLogEntry, ScimLogPage, ScimLogQuery};
use crate::site::sign_in::{self, SignInRequest, SignInResult};

pub async fn dry_run(
    State(app): State<AppState>,
    Body(request): Body<DryRunRequest>,
) -> Answer<DryRunResult> {
    ok(dry_run::run(&app.site, request, &app.scim_base_url()).await)
}

pub async fn sign_in(
    State(app): State<AppState>,
    Body(request): Body<SignInRequest>,
) -> Answer<SignInResult> {
    ok(sign_in::sign_in(&app.site, request).await)
}

pub async fn history(
    State(app): State<AppState>,
    Params(query): Params<HistoryQuery>,
) -> Answer<HistoryPage> {
    ok(history::list(&app.site, query).await)
}

pub async fn scim_log(
    State(app): State<AppState>,
    Params(query): Params<ScimLogQuery>,
) -> Answer<ScimLogPage> {
    ok(scim_log::list(&app.site, query).await)
}

pub async fn scim_log_entry(
    State(app): State<AppState>,
    Path(seq): Path<String>,
) -> Answer<ScimLogEntry> {
    ok(scim_log::get(&app.site, &seq).await)
}
