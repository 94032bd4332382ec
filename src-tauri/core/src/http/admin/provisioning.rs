//! Admin routes that exercise the rules: the dry run of a SCIM request, simulated sign-in, and
//! the history log they (and every real change) write to.

use axum::extract::State;

use super::api::{Answer, Body, Params, ok};
use crate::http::AppState;
use crate::http::dry_run::{self, DryRunRequest, DryRunResult};
use crate::site::history::{self, HistoryPage, HistoryQuery};
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
