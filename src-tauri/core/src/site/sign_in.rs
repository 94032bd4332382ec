//! Simulated SAML sign-in through an SSO provider: what the IdP would assert (NameID/username,
//! email, attributes, groups) goes through the same rules as SCIM — first-login provisioning
//! (`provision_users`), default groups (`provision_group_default`), the group filters and role
//! mapping — and a successful sign-in records the last-login time. Can be a dry run.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use workbench_scim::compare::fold_case;
use workbench_scim::schema::{ENTERPRISE_USER_URN, USER, USER_URN};
use workbench_scim::{Tolerances, resource};

use super::accounts::UserView;
use super::history::HistoryEntry;
use super::provision::{self, Change, Interface, Target};
use super::{Site, SiteError, providers, users};
use crate::rules::{self, GroupsFrom, SignIn, Status};
use crate::secrets;
use crate::store::groups as group_rows;
use crate::store::users::{self as rows, UserRow};

/// What the IdP asserts at sign-in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    pub provider_id: String,
    /// The NameID: the site username.
    pub username: String,
    #[serde(default)]
    pub email: Option<String>,
    /// SAML attributes; `givenName`, `familyName`, `displayName` and `organization` fill the
    /// new user's profile.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// The IdP groups asserted for the user.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Decide and answer, keep nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// How a sign-in ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum SignInOutcome {
    /// First-login provisioning created the account, and the user is signed in.
    Created,
    SignedIn,
    Refused,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct SignInResult {
    pub outcome: SignInOutcome,
    /// Why a sign-in was refused.
    pub reason: Option<String>,
    /// The account after the sign-in (as it would be, in a dry run).
    pub user: Option<UserView>,
    pub trace: Vec<String>,
    pub changes: Vec<HistoryEntry>,
    pub dry_run: bool,
}

pub async fn sign_in(site: &Site, request: SignInRequest) -> Result<SignInResult, SiteError> {
    let provider = providers::get(site, &request.provider_id).await?;
    let username = request.username.trim().to_owned();
    if username.is_empty() || username.chars().any(char::is_control) {
        return Err(SiteError::Invalid(
            "a sign-in needs a username (the NameID), one line of text".into(),
        ));
    }
    let dry_run = request.dry_run;
    let now = site.now();
    let (outcome, reason, user, (trace, changes)) = site
        .store()
        .write_or_rehearse(dry_run, move |conn| {
            Box::pin(async move {
                let mut change =
                    Change::start(conn, Some(&provider), Interface::Login, now).await?;
                let existing = rows::by_user_name(&mut *conn, &fold_case(&username)).await?;
                let exists = existing.as_ref().map(|u| {
                    let linked = u.provider_id.as_deref() == Some(provider.id.as_str())
                        && u.account.managed
                        && !u.account.scim_deleted;
                    (linked, Status::parse(&u.account.status).unwrap_or_default())
                });
                let options = change.options();
                match (
                    rules::sign_in(&options, &username, exists, &mut change.trace),
                    existing,
                ) {
                    (SignIn::Create, _) => {
                        let created = create(&mut change, conn, &request, &username).await?;
                        match created {
                            Ok(row) => {
                                let parts = change.finish(conn).await?;
                                Ok((SignInOutcome::Created, None, Some(row), parts))
                            }
                            Err(reason) => {
                                // A held user gets no account at sign-in: nothing is kept.
                                let (trace, _) = change.into_parts();
                                Ok((
                                    SignInOutcome::Refused,
                                    Some(reason),
                                    None,
                                    (trace, Vec::new()),
                                ))
                            }
                        }
                    }
                    (SignIn::SignIn, Some(row)) => {
                        rows::touch_login(&mut *conn, row.seq, now).await?;
                        change.record(
                            "user_login",
                            Target::User {
                                id: &row.id,
                                name: &row.user_name,
                            },
                            format!("{} signed in through {}", row.user_name, provider.name),
                        );
                        let row = rows::get(&mut *conn, &row.id).await?;
                        let parts = change.finish(conn).await?;
                        Ok((SignInOutcome::SignedIn, None, row, parts))
                    }
                    (SignIn::Refused(reason), existing) => {
                        let (trace, _) = change.into_parts();
                        Ok((
                            SignInOutcome::Refused,
                            Some(reason),
                            existing,
                            (trace, Vec::new()),
                        ))
                    }
                    (SignIn::SignIn, None) => {
                        Err(SiteError::NotFound(format!("no user '{username}'")))
                    }
                }
            })
        })
        .await?;
    Ok(SignInResult {
        outcome,
        reason,
        user: user.as_ref().map(UserView::of),
        trace: trace.into_steps(),
        changes: changes.into_iter().map(HistoryEntry::from).collect(),
        dry_run,
    })
}

/// First-login provisioning. `Err(reason)` (nothing written) when the rules hold the user.
async fn create(
    change: &mut Change<'_>,
    conn: &mut sqlx::SqliteConnection,
    request: &SignInRequest,
    username: &str,
) -> Result<Result<UserRow, String>, SiteError> {
    let provider = change.provider.map(|p| p.id.clone()).unwrap_or_default();
    let id = secrets::uuid();
    let prepared = users::prepare(profile(request, username)?, &id, Some(&provider))?;
    let groups = &request.groups;
    let mut account = provision::reconcile_user(
        change,
        conn,
        (&id, username),
        None,
        (groups, GroupsFrom::SignIn, prepared.organization.as_deref()),
        None,
    )
    .await?;
    if account.status == Status::Held.as_str() {
        let reason = account.held_reason.unwrap_or_default();
        change.trace.note(format!(
            "'{username}' is held ({reason}) → sign-in refused, no account created"
        ));
        return Ok(Err(format!("'{username}' is held: {reason}")));
    }
    account.email = prepared.email;
    account.idp_groups = (!groups.is_empty()).then(|| Value::from(groups.clone()).to_string());
    account.last_login_at = Some(change.now);
    account.status_changed_at = Some(change.now);
    let write = prepared.write;
    if let Err(e) = rows::insert(&mut *conn, &write, &account, change.now).await {
        return Err(users::on_unique(conn, e, &write, &provider).await);
    }
    default_groups(change, conn, &id, username).await?;
    let row = rows::get(&mut *conn, &id).await?;
    Ok(Ok(row.ok_or_else(|| {
        SiteError::NotFound("the new user vanished".into())
    })?))
}

/// The SCIM resource a sign-in creates: what the assertion says.
fn profile(request: &SignInRequest, username: &str) -> Result<workbench_scim::Resource, SiteError> {
    let attr = |name: &str| {
        request
            .attributes
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    };
    let mut body = json!({ "schemas": [USER_URN], "userName": username, "active": true });
    let email = request
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .or_else(|| attr("email"));
    if let Some(email) = email {
        body["emails"] = json!([{ "value": email, "type": "work", "primary": true }]);
    }
    if let Some(given) = attr("givenName") {
        body["name"]["givenName"] = json!(given);
    }
    if let Some(family) = attr("familyName") {
        body["name"]["familyName"] = json!(family);
    }
    if let Some(display) = attr("displayName") {
        body["displayName"] = json!(display);
    }
    if let Some(org) = attr("organization").or_else(|| attr("company")) {
        body["schemas"] = json!([USER_URN, ENTERPRISE_USER_URN]);
        body[ENTERPRISE_USER_URN] = json!({ "organization": org });
    }
    Ok(resource::parse(&USER, body, &mut Tolerances::new())?.resource)
}

/// `provision_group_default`: the site groups a new user joins at first login.
async fn default_groups(
    change: &mut Change<'_>,
    conn: &mut sqlx::SqliteConnection,
    id: &str,
    username: &str,
) -> Result<(), SiteError> {
    let options = change.options();
    let list = &options.provision_group_default;
    if list.is_empty() {
        return Ok(());
    }
    let groups = group_rows::all(&mut *conn).await?;
    let mut joining = Vec::new();
    for group in groups.iter().filter(|g| list.matches(&g.display_name)) {
        if group.status == Status::Held.as_str() {
            change.trace.option(
                "provision_group_default",
                list,
                format!(
                    "\"{}\" matches but is held → not joined",
                    group.display_name
                ),
            );
        } else {
            joining.push(group);
        }
    }
    let names: Vec<String> = joining.iter().map(|g| g.display_name.clone()).collect();
    let finding = if names.is_empty() {
        "no site group matches → no default groups".to_owned()
    } else {
        format!("'{username}' joins {}", quoted(&names))
    };
    change
        .trace
        .option("provision_group_default", list, finding);
    for group in joining {
        group_rows::set_site(&mut *conn, group.seq, id, "User", true, change.now).await?;
        change.record(
            "member_added",
            Target::Group {
                id: &group.id,
                name: &group.display_name,
            },
            format!(
                "{username} added to {} (default group at first login)",
                group.display_name
            ),
        );
    }
    Ok(())
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}
