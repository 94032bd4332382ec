//! Admin routes for users and groups: thin handlers over `site::accounts` and
//! `site::site_groups`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::api::{Answer, ApiError, Body, Params, done, ok};
use crate::http::AppState;
use crate::site::accounts::{self, NewUser, UserDetail, UserEdit, UserPage, UserQuery, UserView};
use crate::site::site_groups::{
    self, GroupDetail, GroupEdit, GroupPage, GroupQuery, GroupView, MemberChange, NewGroup,
};

pub async fn list_users(
    State(app): State<AppState>,
    Params(query): Params<UserQuery>,
) -> Answer<UserPage> {
    ok(accounts::list(&app.site, query).await)
}

pub async fn create_user(
    State(app): State<AppState>,
    Body(new): Body<NewUser>,
) -> Result<(StatusCode, super::api::Json<UserView>), ApiError> {
    let view = ok(accounts::create(&app.site, new).await)?;
    Ok((StatusCode::CREATED, view))
}

pub async fn user(State(app): State<AppState>, Path(id): Path<String>) -> Answer<UserDetail> {
    ok(accounts::detail(&app.site, &id, &app.scim_base_url()).await)
}

pub async fn edit_user(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Body(edit): Body<UserEdit>,
) -> Answer<UserView> {
    ok(accounts::edit(&app.site, &id, edit).await)
}

pub async fn delete_user(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    done(accounts::delete(&app.site, &id).await)
}

pub async fn enable_user(State(app): State<AppState>, Path(id): Path<String>) -> Answer<UserView> {
    ok(accounts::enable(&app.site, &id).await)
}

pub async fn disable_user(State(app): State<AppState>, Path(id): Path<String>) -> Answer<UserView> {
    ok(accounts::disable(&app.site, &id).await)
}

/// The provider to associate a user with.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct Association {
    pub provider_id: String,
}

pub async fn associate_user(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Body(with): Body<Association>,
) -> Answer<UserView> {
    ok(accounts::associate(&app.site, &id, &with.provider_id).await)
}

pub async fn list_groups(
    State(app): State<AppState>,
    Params(query): Params<GroupQuery>,
) -> Answer<GroupPage> {
    ok(site_groups::list(&app.site, query).await)
}

pub async fn create_group(
    State(app): State<AppState>,
    Body(new): Body<NewGroup>,
) -> Result<(StatusCode, super::api::Json<GroupView>), ApiError> {
    let view = ok(site_groups::create(&app.site, new).await)?;
    Ok((StatusCode::CREATED, view))
}

pub async fn group(State(app): State<AppState>, Path(id): Path<String>) -> Answer<GroupDetail> {
    ok(site_groups::detail(&app.site, &id, &app.scim_base_url()).await)
}

pub async fn edit_group(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Body(edit): Body<GroupEdit>,
) -> Answer<GroupView> {
    ok(site_groups::edit(&app.site, &id, edit).await)
}

pub async fn delete_group(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    done(site_groups::delete(&app.site, &id).await)
}

async fn member(
    app: AppState,
    (id, user): (String, String),
    what: MemberChange,
) -> Answer<GroupDetail> {
    ok(site_groups::change_member(&app.site, &id, &user, what, &app.scim_base_url()).await)
}

pub async fn add_member(
    State(app): State<AppState>,
    Path(ids): Path<(String, String)>,
) -> Answer<GroupDetail> {
    member(app, ids, MemberChange::Add).await
}

pub async fn remove_member(
    State(app): State<AppState>,
    Path(ids): Path<(String, String)>,
) -> Answer<GroupDetail> {
    member(app, ids, MemberChange::Remove).await
}

pub async fn grant_admin(
    State(app): State<AppState>,
    Path(ids): Path<(String, String)>,
) -> Answer<GroupDetail> {
    member(app, ids, MemberChange::GrantAdmin).await
}

pub async fn revoke_admin(
    State(app): State<AppState>,
    Path(ids): Path<(String, String)>,
) -> Answer<GroupDetail> {
    member(app, ids, MemberChange::RevokeAdmin).await
}
