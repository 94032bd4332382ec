//! End-to-end tests of the administrator's side of the site model (SPEC.md, "The site model";
//! README.md, "Admin API"): the manual-management switches and what they refuse, user lifecycle
//! rules run on demand and by the scheduler (and the lock-out they leave for the IdP to lift),
//! bad provider and credential input refused whole with `{error, detail}`, and the paged user
//! and history lists. Everything goes over real HTTP; state is re-read after every refusal.

mod scim_common;

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use workbench_core::site::render::rfc3339;
use workbench_tests::idp::*;
use workbench_tests::{Admin, Reply, Scim, TestServer, encode, manual_clock};

use scim_common::assert_scim_error;

const DAY_MS: i64 = 24 * 3600 * 1000;
/// 2027-01-15T08:00:00Z: a fixed start for the tests that move time.
const START: i64 = 1_800_000_000_000;

/// Asserts an admin API error: the status, `{error, detail}` with `error` = `code`, and a
/// detail naming every one of `words`.
#[track_caller]
fn assert_admin_error(reply: &Reply, status: StatusCode, code: &str, words: &[&str]) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.body["error"], code, "{}", reply.body);
    let detail = reply.body["detail"]
        .as_str()
        .unwrap_or_else(|| panic!("a detail: {}", reply.body));
    for word in words {
        assert!(
            detail.contains(word),
            "the detail should name {word:?}: {detail}"
        );
    }
}

/// `403` because manual management of `noun` (`users` / `groups`) is off, naming `action`.
#[track_caller]
fn assert_manual_off(reply: &Reply, noun: &str, action: &str) {
    let setting = format!(
        "allow_manual_{}_management = false",
        &noun[..noun.len() - 1]
    );
    assert_admin_error(
        reply,
        StatusCode::FORBIDDEN,
        "forbidden",
        &[
            action,
            &setting,
            &format!("manual management of {noun} is off"),
        ],
    );
}

/// Sets the site settings `change` and checks they took.
async fn settings(admin: &Admin, change: Value) -> Value {
    let reply = admin.patch("/settings", &change).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    for (field, value) in change.as_object().expect("an object") {
        assert_eq!(&reply.body[field], value, "{}", reply.body);
    }
    reply.body
}

/// `GET` that must answer `200`; its body.
async fn get_ok(admin: &Admin, path: &str) -> Value {
    let reply = admin.get(path).await;
    assert_eq!(reply.status, StatusCode::OK, "GET {path}: {}", reply.body);
    reply.body
}

/// Creates a provider through the admin API; the whole `201` body (provider and secret).
async fn create_provider(admin: &Admin, name: &str, kind: &str, fields: Value) -> Value {
    let reply = admin
        .post(
            "/providers",
            &json!({"name": name, "kind": kind, "fields": fields}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.body
}

/// A SCIM client presenting bearer `token` for `provider_id`.
fn bearer(server: &TestServer, provider_id: &str, token: &Value) -> Scim {
    let token = token.as_str().expect("a token");
    Scim::new(&server.base, &format!("Bearer {token}"), provider_id)
}

fn str_of<'a>(value: &'a Value, what: &str) -> &'a str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{what} should be a string: {value}"))
}

/// The `username`s of a user page, in order.
fn usernames(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a page with items: {page}"))
        .iter()
        .map(|u| str_of(&u["username"], "username").to_owned())
        .collect()
}

/// The number of history entries with `action`.
async fn count_actions(admin: &Admin, action: &str) -> usize {
    let page = get_ok(admin, &format!("/history?action={action}&limit=500")).await;
    page["items"].as_array().map_or(0, Vec::len)
}

// ---------------------------------------------------------------------------------------------
// Manual management switches

#[tokio::test]
async fn manual_user_management_off_refuses_every_admin_change_and_on_allows_them() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = server.provider_via_admin("okta", json!({})).await;
    let alice = create_user(&okta, okta_user("alice@example.com")).await;
    let local = admin
        .post(
            "/users",
            &json!({"username": "local@example.com", "email": "local@example.com"}),
        )
        .await;
    assert_eq!(local.status, StatusCode::CREATED, "{}", local.body);
    let local = str_of(&local.body["id"], "id").to_owned();

    let initial = get_ok(&admin, "/settings").await;
    assert_eq!(
        initial["allow_manual_user_management"], true,
        "on by default"
    );
    assert_eq!(
        initial["allow_manual_group_management"], true,
        "on by default"
    );
    settings(&admin, json!({"allow_manual_user_management": false})).await;

    let alice_before = get_ok(&admin, &format!("/users/{alice}")).await;
    let local_before = get_ok(&admin, &format!("/users/{local}")).await;
    let list_before = get_ok(&admin, "/users").await;
    assert_eq!(alice_before["user"]["managed"], true, "{alice_before}");

    let refused = admin
        .post("/users", &json!({"username": "new@example.com"}))
        .await;
    assert_manual_off(&refused, "users", "create a user");
    let refused = admin
        .patch(
            &format!("/users/{alice}"),
            &json!({"company": "Acme", "require_2fa": true, "role": "site_admin"}),
        )
        .await;
    assert_manual_off(&refused, "users", "edit a user");
    let refused = admin
        .patch(
            &format!("/users/{local}"),
            &json!({"username": "renamed@example.com"}),
        )
        .await;
    assert_manual_off(&refused, "users", "edit a user");
    let refused = admin
        .post(&format!("/users/{alice}/disable"), &json!({}))
        .await;
    assert_manual_off(&refused, "users", "disable a user");
    let refused = admin
        .post(&format!("/users/{alice}/enable"), &json!({}))
        .await;
    assert_manual_off(&refused, "users", "enable a user");
    let refused = admin.delete(&format!("/users/{alice}")).await;
    assert_manual_off(&refused, "users", "delete a user");
    let refused = admin.delete(&format!("/users/{local}")).await;
    assert_manual_off(&refused, "users", "delete a user");
    let refused = admin
        .post(
            &format!("/users/{local}/associate"),
            &json!({"provider_id": okta.provider_id}),
        )
        .await;
    assert_manual_off(&refused, "users", "associate a user with an SSO provider");

    // Nothing changed: both users read back exactly as before, no user was added.
    assert_eq!(
        get_ok(&admin, &format!("/users/{alice}")).await,
        alice_before
    );
    assert_eq!(
        get_ok(&admin, &format!("/users/{local}")).await,
        local_before
    );
    assert_eq!(get_ok(&admin, "/users").await, list_before);
    assert_eq!(
        okta.get(&format!("/Users/{local}")).await.status,
        StatusCode::NOT_FOUND,
        "the refused association did not hand the local user to the provider"
    );
    // Manual group management is a separate switch: still on.
    let group = admin
        .post("/groups", &json!({"name": "Still allowed"}))
        .await;
    assert_eq!(group.status, StatusCode::CREATED, "{}", group.body);
    // SCIM is not manual management: the IdP still changes its user.
    let patched = patch_user(
        &okta,
        &alice,
        patch(json!([{"op": "replace", "path": "displayName", "value": "Alice L."}])),
    )
    .await;
    assert_eq!(patched["displayName"], "Alice L.");

    // On again: the same changes go through.
    settings(&admin, json!({"allow_manual_user_management": true})).await;
    let edited = admin
        .patch(
            &format!("/users/{alice}"),
            &json!({"company": "Acme", "require_2fa": true, "role": "site_admin"}),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    assert_eq!(edited.body["company"], "Acme");
    assert_eq!(edited.body["require_2fa"], true);
    assert_eq!(edited.body["role"], "site_admin");
    let disabled = admin
        .post(&format!("/users/{alice}/disable"), &json!({}))
        .await;
    assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.body);
    assert_eq!(disabled.body["status"], "disabled");
    assert_eq!(disabled.body["disabled_reason"], "admin");
    let enabled = admin
        .post(&format!("/users/{alice}/enable"), &json!({}))
        .await;
    assert_eq!(enabled.status, StatusCode::OK, "{}", enabled.body);
    assert_eq!(enabled.body["status"], "active");
    assert_eq!(enabled.body["disabled_reason"], Value::Null);
    let associated = admin
        .post(
            &format!("/users/{local}/associate"),
            &json!({"provider_id": okta.provider_id}),
        )
        .await;
    assert_eq!(associated.status, StatusCode::OK, "{}", associated.body);
    assert_eq!(associated.body["managed"], true);
    assert_eq!(associated.body["provider_id"], okta.provider_id.as_str());
    assert_eq!(
        okta.get(&format!("/Users/{local}")).await.status,
        StatusCode::OK,
        "the provider now sees the associated user"
    );
    let created = admin
        .post("/users", &json!({"username": "new@example.com"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let web: Vec<String> = admin
        .history_of(&alice)
        .await
        .iter()
        .filter(|e| e["interface"] == "web")
        .filter_map(|e| e["action"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        web,
        ["user_enabled", "user_disabled", "user_updated"],
        "newest first, one web entry per change that went through"
    );
    let deleted = admin.delete(&format!("/users/{alice}")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    assert_eq!(
        admin.get(&format!("/users/{alice}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        okta.get(&format!("/Users/{alice}")).await.status,
        StatusCode::NOT_FOUND
    );
    server.stop().await;
}

#[tokio::test]
async fn manual_group_management_off_refuses_every_admin_change_and_on_allows_them() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = server.provider_via_admin("okta", json!({})).await;
    let alice = create_user(&okta, okta_user("alice@example.com")).await;
    let bob = create_user(&okta, okta_user("bob@example.com")).await;
    let engineering = create_group(&okta, okta_group("Engineering")).await;
    patch_group(&okta, &engineering, okta_add(&alice, "alice@example.com")).await;
    let local = admin.post("/groups", &json!({"name": "Local Team"})).await;
    assert_eq!(local.status, StatusCode::CREATED, "{}", local.body);
    let local = str_of(&local.body["id"], "id").to_owned();

    settings(&admin, json!({"allow_manual_group_management": false})).await;
    let engineering_before = get_ok(&admin, &format!("/groups/{engineering}")).await;
    let local_before = get_ok(&admin, &format!("/groups/{local}")).await;
    let list_before = get_ok(&admin, "/groups").await;

    let refused = admin.post("/groups", &json!({"name": "New Team"})).await;
    assert_manual_off(&refused, "groups", "create a group");
    let refused = admin
        .patch(
            &format!("/groups/{local}"),
            &json!({"name": "Renamed Team"}),
        )
        .await;
    assert_manual_off(&refused, "groups", "edit a group");
    let refused = admin.delete(&format!("/groups/{engineering}")).await;
    assert_manual_off(&refused, "groups", "delete a group");
    let refused = admin.delete(&format!("/groups/{local}")).await;
    assert_manual_off(&refused, "groups", "delete a group");
    for (method, path) in [
        ("PUT", format!("/groups/{engineering}/members/{bob}")),
        ("DELETE", format!("/groups/{engineering}/members/{alice}")),
        ("PUT", format!("/groups/{engineering}/admins/{alice}")),
        ("PUT", format!("/groups/{local}/members/{alice}")),
    ] {
        let refused = if method == "PUT" {
            admin.put(&path).await
        } else {
            admin.delete(&path).await
        };
        assert_manual_off(&refused, "groups", "change a group's members");
    }

    assert_eq!(
        get_ok(&admin, &format!("/groups/{engineering}")).await,
        engineering_before
    );
    assert_eq!(
        get_ok(&admin, &format!("/groups/{local}")).await,
        local_before
    );
    assert_eq!(get_ok(&admin, "/groups").await, list_before);
    // Manual user management is a separate switch: still on.
    let user = admin
        .post("/users", &json!({"username": "still-allowed@example.com"}))
        .await;
    assert_eq!(user.status, StatusCode::CREATED, "{}", user.body);
    // The IdP still changes its groups.
    patch_group(&okta, &engineering, okta_add(&bob, "bob@example.com")).await;
    let detail = admin.group_named("Engineering").await;
    assert_eq!(detail["group"]["site_members"], 2, "{detail}");

    settings(&admin, json!({"allow_manual_group_management": true})).await;
    let created = admin.post("/groups", &json!({"name": "New Team"})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let renamed = admin
        .patch(
            &format!("/groups/{local}"),
            &json!({"name": "Renamed Team"}),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    assert_eq!(renamed.body["name"], "Renamed Team");
    let added = admin.put(&format!("/groups/{local}/members/{alice}")).await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    let member = group_member(&added.body, "alice@example.com").expect("alice added");
    assert_eq!(member["on_site"], true, "{}", added.body);
    let granted = admin.put(&format!("/groups/{local}/admins/{alice}")).await;
    assert_eq!(granted.status, StatusCode::OK, "{}", granted.body);
    let member = group_member(&granted.body, "alice@example.com").expect("alice listed");
    assert_eq!(member["admin"], true, "{}", granted.body);
    let removed = admin
        .delete(&format!("/groups/{engineering}/members/{bob}"))
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    let unlisted = admin
        .delete(&format!("/groups/{local}/members/{alice}"))
        .await;
    assert_eq!(unlisted.status, StatusCode::OK, "{}", unlisted.body);
    let alice_now = get_ok(&admin, &format!("/users/{alice}")).await;
    assert!(
        user_group(&alice_now, "Renamed Team").is_none(),
        "a membership removed on the site and never sent by the IdP is gone: {alice_now}"
    );
    let deleted = admin.delete(&format!("/groups/{engineering}")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    assert_eq!(
        admin.get(&format!("/groups/{engineering}")).await.status,
        StatusCode::NOT_FOUND
    );
    let history = admin.history_of(&local).await;
    assert_eq!(
        actions(&history),
        [
            "member_removed",
            "group_admin_granted",
            "member_added",
            "group_updated",
            "group_created"
        ],
        "{history:?}"
    );
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Lifecycle rules

#[tokio::test]
async fn a_lifecycle_rule_disables_an_idle_scim_user_that_only_its_idp_can_enable_again() {
    let (clock, shared) = manual_clock(START);
    let server = TestServer::start_with(Some(shared)).await;
    let admin = server.admin();
    let okta = server.provider_via_admin("okta", json!({})).await;
    let idle = create_user(&okta, okta_user("idle@example.com")).await;
    clock.advance(91 * DAY_MS);
    create_user(&okta, okta_user("fresh@example.com")).await;

    // Disabled for the scheduler: this test runs it on demand only.
    let rule = admin
        .post(
            "/lifecycle-rules",
            &json!({
                "name": "Disable idle users",
                "inactivity_days": 90,
                "action": "disable",
                "user_state": "inactive",
                "enabled": false
            }),
        )
        .await;
    assert_eq!(rule.status, StatusCode::CREATED, "{}", rule.body);
    assert_eq!(rule.body["authentication_method"], "all", "{}", rule.body);
    assert_eq!(rule.body["last_run_at"], Value::Null, "{}", rule.body);
    let rule_id = str_of(&rule.body["id"], "rule id").to_owned();

    // A dry run reports, changes nothing.
    let rehearsal = admin
        .post(
            &format!("/lifecycle-rules/{rule_id}/run"),
            &json!({"dry_run": true}),
        )
        .await;
    assert_eq!(rehearsal.status, StatusCode::OK, "{}", rehearsal.body);
    assert_eq!(rehearsal.body[0]["dry_run"], true);
    assert_eq!(
        rehearsal.body[0]["affected"],
        json!([{"user_id": idle, "username": "idle@example.com", "action": "disable"}])
    );
    assert_eq!(
        admin.user_named("idle@example.com").await["user"]["status"],
        "active"
    );
    assert_eq!(
        get_ok(&admin, "/history?interface=lifecycle%20rule").await["items"],
        json!([])
    );

    settings(&admin, json!({"allow_manual_user_management": false})).await;
    let run = admin
        .post(&format!("/lifecycle-rules/{rule_id}/run"), &json!({}))
        .await;
    assert_eq!(run.status, StatusCode::OK, "{}", run.body);
    let report = &run.body[0];
    assert_eq!(report["dry_run"], false);
    assert_eq!(
        report["affected"],
        json!([{"user_id": idle, "username": "idle@example.com", "action": "disable"}]),
        "only the user idle for more than 90 days: {report}"
    );
    let steps = trace_of(report);
    assert!(
        steps.contains("lifecycle rule \"Disable idle users\": user_state = inactive, authentication_method = all, inactivity_days = 90: 1 user(s) without a sign-in for more than 90 days"),
        "{steps}"
    );
    assert!(
        steps.contains(&format!(
            "'idle@example.com' without a sign-in since {} (91 days) → disabled",
            rfc3339(START)
        )),
        "{steps}"
    );

    let detail = admin.user_named("idle@example.com").await;
    assert_eq!(detail["user"]["status"], "disabled", "{detail}");
    assert_eq!(
        detail["user"]["disabled_reason"], "lifecycle_rule",
        "{detail}"
    );
    assert_eq!(
        admin.user_named("fresh@example.com").await["user"]["status"],
        "active"
    );
    let history = admin.history_of(&idle).await;
    let disabled = newest(&history, "user_disabled");
    assert_eq!(disabled["interface"], "lifecycle rule", "{disabled}");
    assert_eq!(
        disabled["detail"],
        "user idle@example.com disabled by lifecycle rule \"Disable idle users\""
    );
    // The provider's history lists what happened to its users, whoever did it.
    assert_eq!(
        disabled["provider_id"],
        okta.provider_id.as_str(),
        "{disabled}"
    );
    let of_provider = get_ok(
        &admin,
        &format!("/history?provider_id={}", okta.provider_id),
    )
    .await;
    assert!(
        of_provider["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|e| e["seq"] == disabled["seq"])),
        "{of_provider}"
    );
    assert!(
        trace_of(disabled).contains("'idle@example.com' without a sign-in since"),
        "{}",
        trace_of(disabled)
    );
    assert_eq!(
        get_ok(&admin, &format!("/lifecycle-rules/{rule_id}")).await["last_run_at"],
        rfc3339(START + 91 * DAY_MS)
    );

    // Manual management is off: the administrator cannot lift the rule's lock-out.
    let refused = admin
        .post(&format!("/users/{idle}/enable"), &json!({}))
        .await;
    assert_manual_off(&refused, "users", "enable a user");
    let detail = admin.user_named("idle@example.com").await;
    assert_eq!(detail["user"]["status"], "disabled", "{detail}");
    assert_eq!(detail["user"]["disabled_reason"], "lifecycle_rule");

    // Okta re-activates it: replace active true.
    clock.advance(60_000);
    let enabled = patch_user(
        &okta,
        &idle,
        patch(json!([{"op": "replace", "value": {"active": true}}])),
    )
    .await;
    assert_eq!(enabled["active"], true, "{enabled}");
    let detail = admin.user_named("idle@example.com").await;
    assert_eq!(detail["user"]["status"], "active", "{detail}");
    assert_eq!(detail["user"]["disabled_reason"], Value::Null, "{detail}");
    let history = admin.history_of(&idle).await;
    assert_eq!(
        actions(&history)[..2],
        ["user_enabled", "user_disabled"],
        "{history:?}"
    );
    let reenabled = &history[0];
    assert_eq!(reenabled["interface"], "SCIM");
    assert_eq!(reenabled["provider_id"], okta.provider_id.as_str());
    assert!(
        trace_of(reenabled).contains(
            "active = true from the IdP → re-enabled (it was disabled: by a user lifecycle rule)"
        ),
        "{}",
        trace_of(reenabled)
    );
    // The re-enabled user is no longer idle: running the rule again leaves it alone.
    let again = admin
        .post(&format!("/lifecycle-rules/{rule_id}/run"), &json!({}))
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.body[0]["affected"], json!([]), "{}", again.body);
    server.stop().await;
}

#[tokio::test]
async fn the_scheduler_runs_an_enabled_rule_once_the_clock_passes_its_due_time() {
    let (clock, shared) = manual_clock(START);
    let server = TestServer::start_with_tick(Some(shared), Duration::from_millis(50)).await;
    let admin = server.admin();
    let okta = server.provider_via_admin("okta", json!({})).await;
    let user = create_user(&okta, okta_user("sleepy@example.com")).await;
    let due = admin
        .post(
            "/lifecycle-rules",
            &json!({"name": "Disable after 30 days", "inactivity_days": 30, "action": "disable", "user_state": "inactive"}),
        )
        .await;
    assert_eq!(due.status, StatusCode::CREATED, "{}", due.body);
    assert_eq!(
        due.body["enabled"], true,
        "enabled by default: {}",
        due.body
    );
    // A rule the scheduler must leave alone: it would delete the user.
    let off = admin
        .post(
            "/lifecycle-rules",
            &json!({"name": "Delete after 20 days", "inactivity_days": 20, "action": "delete", "user_state": "inactive", "enabled": false}),
        )
        .await;
    assert_eq!(off.status, StatusCode::CREATED, "{}", off.body);
    let due_id = str_of(&due.body["id"], "id").to_owned();
    let off_id = str_of(&off.body["id"], "id").to_owned();

    // Several ticks with the clock standing still: nothing is done to anyone.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        admin.user_named("sleepy@example.com").await["user"]["status"],
        "active"
    );
    assert_eq!(
        get_ok(&admin, "/history?interface=lifecycle%20rule").await["items"],
        json!([]),
        "no lifecycle action before the clock moved"
    );

    clock.advance(31 * DAY_MS);
    let mut status = Value::Null;
    for _ in 0..100 {
        status = admin.user_named("sleepy@example.com").await["user"]["status"].clone();
        if status == "disabled" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        status, "disabled",
        "the scheduler ran the due rule within 5 s"
    );
    let detail = admin.user_named("sleepy@example.com").await;
    assert_eq!(
        detail["user"]["disabled_reason"], "lifecycle_rule",
        "{detail}"
    );
    let history = admin.history_of(&user).await;
    let disabled = newest(&history, "user_disabled");
    assert_eq!(disabled["interface"], "lifecycle rule");
    assert_eq!(
        disabled["detail"],
        "user sleepy@example.com disabled by lifecycle rule \"Disable after 30 days\""
    );
    assert_eq!(
        get_ok(&admin, &format!("/lifecycle-rules/{due_id}")).await["last_run_at"],
        rfc3339(START + 31 * DAY_MS)
    );
    // The disabled rule did not run: the user exists and the rule never ran.
    assert_eq!(
        get_ok(&admin, &format!("/lifecycle-rules/{off_id}")).await["last_run_at"],
        Value::Null
    );
    let lifecycle = get_ok(&admin, "/history?interface=lifecycle%20rule").await;
    assert_eq!(
        actions(lifecycle["items"].as_array().expect("items")),
        ["user_disabled"],
        "one action, once: {lifecycle}"
    );
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Bad input

#[tokio::test]
async fn a_provider_with_a_bad_field_is_not_created_at_all() {
    let server = TestServer::start().await;
    let admin = server.admin();
    for (kind, fields, words) in [
        (
            "okta",
            json!({"provision_company": "Acme", "provision_colour": "blue"}),
            vec![
                "unknown provider field 'provision_colour'",
                "provision_group_required",
            ],
        ),
        (
            "okta",
            json!({"deprovision_behavior": "archive"}),
            vec!["deprovision_behavior", "\"archive\"", "disable", "delete"],
        ),
        (
            "okta",
            json!({"provision_require_2fa": "sometimes"}),
            vec!["provision_require_2fa", "\"sometimes\"", "always_require"],
        ),
        (
            "okta",
            json!({"scim_authentication_method": "kerberos"}),
            vec![
                "scim_authentication_method",
                "'kerberos'",
                "none, basic, token",
            ],
        ),
        (
            "okta",
            json!({"provision_users": "yes"}),
            vec!["provision_users", "true or false"],
        ),
        (
            "okta",
            json!({"provision_users": 1}),
            vec!["provision_users", "a string or a boolean"],
        ),
        (
            "okta",
            json!({"provision_group_required": "IT,,Support"}),
            vec!["provision_group_required", "entry 2", "empty"],
        ),
        (
            "onelogin",
            json!({"provision_site_admin_groups": "Eng[ineering]"}),
            vec!["provision_site_admin_groups", "only * and ? are wildcards"],
        ),
        (
            "oidc",
            json!({"scim_authentication_method": "token"}),
            vec!["SAML-based", "'oidc'"],
        ),
        (
            "oauth",
            json!({"scim_authentication_method": "basic"}),
            vec!["SAML-based", "'oauth'"],
        ),
        (
            "entra_id",
            json!({"provision_group_inclusion": "Eng*"}),
            vec!["provision_group_inclusion", "Entra ID", "group memberships"],
        ),
        (
            "entra_id",
            json!({"provision_group_required": "IT"}),
            vec!["provision_group_required", "Entra ID"],
        ),
        (
            "kerberos",
            json!({}),
            vec!["unknown provider kind 'kerberos'"],
        ),
    ] {
        let reply = admin
            .post(
                "/providers",
                &json!({"name": "Refused", "kind": kind, "fields": fields}),
            )
            .await;
        assert_admin_error(&reply, StatusCode::BAD_REQUEST, "invalid", &words);
    }
    assert_eq!(
        get_ok(&admin, "/providers").await,
        json!([]),
        "no provider was half-created"
    );
    assert_eq!(count_actions(&admin, "provider_created").await, 0);

    // The same kinds with acceptable fields are fine: an OIDC provider without SCIM, an Entra
    // ID provider with a role mapping (only the group filters are refused).
    let oidc = create_provider(&admin, "OIDC", "oidc", json!({})).await;
    assert_eq!(oidc["provider"]["scim_authentication_method"], "none");
    assert_eq!(oidc["provider"]["supports_scim"], false);
    assert_eq!(oidc["secret"], Value::Null);
    let entra = create_provider(
        &admin,
        "Entra",
        "entra_id",
        json!({"provision_site_admin_groups": "IT-Admins"}),
    )
    .await;
    assert_eq!(
        entra["provider"]["options"]["provision_site_admin_groups"],
        "IT-Admins"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_provider_change_with_one_bad_field_changes_none_of_them() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = create_provider(
        &admin,
        "Okta",
        "okta",
        json!({"provision_group_required": "IT"}),
    )
    .await;
    let okta_id = str_of(&okta["provider"]["id"], "id").to_owned();
    let entra = create_provider(&admin, "Entra", "entra_id", json!({})).await;
    let entra_id = str_of(&entra["provider"]["id"], "id").to_owned();
    let oidc = create_provider(&admin, "OIDC", "oidc", json!({})).await;
    let oidc_id = str_of(&oidc["provider"]["id"], "id").to_owned();
    let before: Vec<Value> = {
        let mut views = Vec::new();
        for id in [&okta_id, &entra_id, &oidc_id] {
            views.push(get_ok(&admin, &format!("/providers/{id}")).await);
        }
        views
    };
    let updates_before = count_actions(&admin, "provider_updated").await;

    let good = json!({
        "name": "Okta renamed",
        "provision_company": "Acme",
        "provision_users": true,
        "provision_time_zone": "Europe/Berlin",
        "deprovision_behavior": "delete"
    });
    for (id, bad, words) in [
        (
            &okta_id,
            json!({"deprovision_behavior": "archive"}),
            vec!["deprovision_behavior", "\"archive\""],
        ),
        (
            &okta_id,
            json!({"provision_require_2fa": "sometimes"}),
            vec!["provision_require_2fa", "\"sometimes\""],
        ),
        (
            &okta_id,
            json!({"scim_authentication_method": "kerberos"}),
            vec!["scim_authentication_method", "'kerberos'"],
        ),
        (
            &okta_id,
            json!({"zz_unknown_option": "x"}),
            vec!["unknown provider field 'zz_unknown_option'"],
        ),
        (
            &okta_id,
            json!({"provision_group_exclusion": "IT,,Support"}),
            vec!["provision_group_exclusion", "entry 2"],
        ),
        (
            &okta_id,
            json!({"provision_group_admin_groups": "Eng[ineering]"}),
            vec!["provision_group_admin_groups", "only * and ? are wildcards"],
        ),
        (
            &okta_id,
            json!({"name": "  "}),
            vec!["a provider needs a name"],
        ),
        // The existing group filter makes a switch to Entra ID impossible.
        (
            &okta_id,
            json!({"kind": "entra_id"}),
            vec!["provision_group_required", "Entra ID"],
        ),
        (
            &entra_id,
            json!({"provision_group_required": "IT"}),
            vec!["provision_group_required", "Entra ID"],
        ),
        (
            &oidc_id,
            json!({"scim_authentication_method": "token"}),
            vec!["SAML-based", "'oidc'"],
        ),
    ] {
        let mut fields = good.clone();
        for (field, value) in bad.as_object().expect("an object") {
            fields[field] = value.clone();
        }
        let reply = admin.patch(&format!("/providers/{id}"), &fields).await;
        assert_admin_error(&reply, StatusCode::BAD_REQUEST, "invalid", &words);
    }
    for (view, id) in before.iter().zip([&okta_id, &entra_id, &oidc_id]) {
        assert_eq!(
            &get_ok(&admin, &format!("/providers/{id}")).await,
            view,
            "no field of the refused changes was written"
        );
    }
    assert_eq!(
        count_actions(&admin, "provider_updated").await,
        updates_before
    );
    assert_eq!(
        before[2]["credentials"],
        json!([]),
        "OIDC got no credential"
    );

    // The good fields alone go through, together.
    let changed = admin.patch(&format!("/providers/{okta_id}"), &good).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(changed.body["name"], "Okta renamed");
    let options = &changed.body["options"];
    assert_eq!(options["provision_company"], "Acme");
    assert_eq!(options["provision_users"], true);
    assert_eq!(options["provision_time_zone"], "Europe/Berlin");
    assert_eq!(options["deprovision_behavior"], "delete");
    assert_eq!(options["provision_group_required"], "IT");
    server.stop().await;
}

#[tokio::test]
async fn a_provider_that_does_not_exist_is_404_for_every_route() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let missing = "00000000-0000-0000-0000-000000000000";
    let words = [format!("no SSO provider with id '{missing}'")];
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    for reply in [
        admin.get(&format!("/providers/{missing}")).await,
        admin
            .patch(
                &format!("/providers/{missing}"),
                &json!({"provision_users": true}),
            )
            .await,
        admin.delete(&format!("/providers/{missing}")).await,
        admin
            .post(
                &format!("/providers/{missing}/tokens"),
                &json!({"expires_at": "90d"}),
            )
            .await,
        admin
            .post(&format!("/providers/{missing}/basic"), &json!({}))
            .await,
    ] {
        assert_admin_error(&reply, StatusCode::NOT_FOUND, "not_found", &words);
    }
    // A credential that is not the provider's.
    let okta = create_provider(&admin, "Okta", "okta", json!({})).await;
    let okta_id = str_of(&okta["provider"]["id"], "id");
    let reply = admin
        .post(
            &format!("/providers/{okta_id}/credentials/nope/revoke"),
            &json!({}),
        )
        .await;
    assert_admin_error(
        &reply,
        StatusCode::NOT_FOUND,
        "not_found",
        &["has no credential 'nope'"],
    );
    assert_eq!(
        get_ok(&admin, "/providers").await.as_array().map(Vec::len),
        Some(1)
    );
    server.stop().await;
}

#[tokio::test]
async fn expired_and_revoked_tokens_get_401_with_a_scim_error_body() {
    let (clock, shared) = manual_clock(START);
    let server = TestServer::start_with(Some(shared)).await;
    let admin = server.admin();
    let created = create_provider(&admin, "Okta", "okta", json!({})).await;
    let provider_id = str_of(&created["provider"]["id"], "id").to_owned();
    let first = bearer(&server, &provider_id, &created["secret"]["token"]);
    let first_credential = str_of(&created["secret"]["credential_id"], "credential id").to_owned();

    // Bad expiries are refused and issue nothing.
    for (expiry, words) in [
        ("tomorrow", vec!["expires_at \"tomorrow\" is not a date"]),
        ("2020-01-01", vec!["must be in the future"]),
    ] {
        let reply = admin
            .post(
                &format!("/providers/{provider_id}/tokens"),
                &json!({"expires_at": expiry}),
            )
            .await;
        assert_admin_error(&reply, StatusCode::BAD_REQUEST, "invalid", &words);
    }
    let view = get_ok(&admin, &format!("/providers/{provider_id}")).await;
    assert_eq!(
        view["credentials"].as_array().map(Vec::len),
        Some(1),
        "{view}"
    );

    let issued = admin
        .post(
            &format!("/providers/{provider_id}/tokens"),
            &json!({"expires_at": "1d"}),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.body);
    assert_eq!(issued.body["kind"], "token");
    assert_eq!(issued.body["expires_at"], rfc3339(START + DAY_MS));
    let short = bearer(&server, &provider_id, &issued.body["token"]);
    let short_credential = str_of(&issued.body["credential_id"], "credential id").to_owned();
    assert_eq!(short.get("/Users").await.status, StatusCode::OK);

    clock.advance(DAY_MS + 1);
    let reply = short.get("/Users").await;
    assert_scim_error(&reply, 401, None, &["expired"]);
    let reply = short.post("/Users", &okta_user("late@example.com")).await;
    assert_scim_error(&reply, 401, None, &["expired"]);
    assert_eq!(
        first.get("/Users").await.body["totalResults"],
        0,
        "the first token still works, and nothing was created: {:?}",
        first.get("/Users").await.body
    );
    let view = get_ok(&admin, &format!("/providers/{provider_id}")).await;
    let state = |view: &Value, id: &str| {
        view["credentials"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["id"] == id))
            .map(|c| c["state"].clone())
            .unwrap_or_else(|| panic!("credential {id} listed: {view}"))
    };
    assert_eq!(state(&view, &short_credential), "expired");
    assert_eq!(state(&view, &first_credential), "active");
    assert!(
        !view
            .to_string()
            .contains(str_of(&issued.body["token"], "token")),
        "the view never shows a secret"
    );

    // Extended, the short token works again.
    let extended = admin
        .post(
            &format!("/providers/{provider_id}/credentials/{short_credential}/extend"),
            &json!({"expires_at": "30d"}),
        )
        .await;
    assert_eq!(extended.status, StatusCode::OK, "{}", extended.body);
    assert_eq!(state(&extended.body, &short_credential), "active");
    assert_eq!(short.get("/Users").await.status, StatusCode::OK);

    // Revoked, the first token is refused at once; the other still works.
    let revoked = admin
        .post(
            &format!("/providers/{provider_id}/credentials/{first_credential}/revoke"),
            &json!({}),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    assert_eq!(state(&revoked.body, &first_credential), "revoked");
    let reply = first.get("/Users").await;
    assert_scim_error(&reply, 401, None, &["revoked"]);
    let reply = first.post("/Users", &okta_user("ghost@example.com")).await;
    assert_scim_error(&reply, 401, None, &["revoked"]);
    let listed = short.get("/Users").await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    assert_eq!(listed.body["totalResults"], 0, "{}", listed.body);
    server.stop().await;
}

#[tokio::test]
async fn the_admin_api_needs_the_admin_token() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("HTTP client");
    let url = format!("{}/users", admin.base);

    let no_token = client.get(&url).send().await.expect("an answer");
    assert_eq!(no_token.status(), StatusCode::UNAUTHORIZED);
    let body: Value = no_token.json().await.expect("JSON");
    assert_eq!(body["error"], "unauthorized", "{body}");
    assert!(
        str_of(&body["detail"], "detail").contains("Authorization: Bearer <admin token>"),
        "{body}"
    );

    let wrong = Admin {
        token: "not-the-admin-token".into(),
        ..admin.clone()
    };
    for reply in [
        wrong.get("/users").await,
        wrong.get("/settings").await,
        wrong
            .post("/users", &json!({"username": "intruder@example.com"}))
            .await,
        wrong
            .patch("/settings", &json!({"allow_manual_user_management": false}))
            .await,
    ] {
        assert_admin_error(
            &reply,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            &["admin token"],
        );
    }
    let scheme = client
        .get(&url)
        .header("authorization", format!("Basic {}", admin.token))
        .send()
        .await
        .expect("an answer");
    assert_eq!(scheme.status(), StatusCode::UNAUTHORIZED, "Bearer only");

    // Nothing the refused requests asked for happened.
    assert_eq!(get_ok(&admin, "/users").await["total"], 0);
    assert_eq!(
        get_ok(&admin, "/settings").await["allow_manual_user_management"],
        true
    );
    server.stop().await;
}

#[tokio::test]
async fn a_bad_lifecycle_rule_is_refused_whole() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let valid = json!({"name": "Idle", "inactivity_days": 30, "action": "disable", "user_state": "inactive"});
    for (change, code, word) in [
        (
            json!({"inactivity_days": 0}),
            "invalid",
            "inactivity_days must be at least 1",
        ),
        (
            json!({"inactivity_days": 36_501}),
            "invalid",
            "at most 36500",
        ),
        (json!({"action": "archive"}), "invalid_body", "archive"),
        (json!({"user_state": "asleep"}), "invalid_body", "asleep"),
        (
            json!({"authentication_method": "kerberos"}),
            "invalid_body",
            "kerberos",
        ),
        (
            json!({"user_state": "disabled"}),
            "invalid",
            "action 'disable' with user_state 'disabled' would do nothing",
        ),
        (
            json!({"name": " "}),
            "invalid",
            "name is one non-empty line",
        ),
        (
            json!({"colour": "red"}),
            "invalid_body",
            "unknown field `colour`",
        ),
    ] {
        let mut body = valid.clone();
        for (field, value) in change.as_object().expect("an object") {
            body[field] = value.clone();
        }
        let reply = admin.post("/lifecycle-rules", &body).await;
        assert_admin_error(&reply, StatusCode::BAD_REQUEST, code, &[word]);
    }
    let reply = admin
        .post(
            "/lifecycle-rules",
            &json!({"inactivity_days": 30, "action": "disable", "user_state": "inactive"}),
        )
        .await;
    assert_admin_error(
        &reply,
        StatusCode::BAD_REQUEST,
        "invalid",
        &["a lifecycle rule needs a name"],
    );
    assert_eq!(get_ok(&admin, "/lifecycle-rules").await, json!([]));

    // A change with one bad field changes nothing.
    let created = admin.post("/lifecycle-rules", &valid).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = str_of(&created.body["id"], "id").to_owned();
    let reply = admin
        .patch(
            &format!("/lifecycle-rules/{id}"),
            &json!({"name": "Renamed", "enabled": false, "inactivity_days": 0}),
        )
        .await;
    assert_admin_error(
        &reply,
        StatusCode::BAD_REQUEST,
        "invalid",
        &["inactivity_days must be at least 1"],
    );
    assert_eq!(
        get_ok(&admin, &format!("/lifecycle-rules/{id}")).await,
        created.body
    );
    let missing = "00000000-0000-0000-0000-000000000000";
    let not_found = format!("no lifecycle rule with id '{missing}'");
    for reply in [
        admin.get(&format!("/lifecycle-rules/{missing}")).await,
        admin
            .patch(
                &format!("/lifecycle-rules/{missing}"),
                &json!({"enabled": false}),
            )
            .await,
        admin.delete(&format!("/lifecycle-rules/{missing}")).await,
        admin
            .post(&format!("/lifecycle-rules/{missing}/run"), &json!({}))
            .await,
    ] {
        assert_admin_error(&reply, StatusCode::NOT_FOUND, "not_found", &[&not_found]);
    }
    let reply = admin
        .post(&format!("/lifecycle-rules/{id}/run"), &json!({"dry": true}))
        .await;
    assert_admin_error(
        &reply,
        StatusCode::BAD_REQUEST,
        "invalid_body",
        &["dry_run"],
    );
    assert_eq!(
        get_ok(&admin, &format!("/lifecycle-rules/{id}")).await["last_run_at"],
        Value::Null,
        "a refused run does not run"
    );
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Listing

#[tokio::test]
async fn the_user_list_filters_by_search_status_provider_and_role_and_pages() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = server
        .provider_via_admin("okta", json!({"provision_site_admin_groups": "Admins"}))
        .await;
    let saml = server.provider_via_admin("saml", json!({})).await;
    let mut okta_ids = Vec::new();
    for n in 1..=5 {
        okta_ids.push(create_user(&okta, okta_user(&format!("okta-{n:02}@example.com"))).await);
    }
    create_user(&saml, okta_user("saml-01@corp.example")).await;
    let admins = create_group(&okta, okta_group("Admins")).await;
    patch_group(
        &okta,
        &admins,
        okta_add(&okta_ids[0], "okta-01@example.com"),
    )
    .await;
    patch_user(&okta, &okta_ids[1], deactivate()).await;
    for (name, role) in [
        ("local-a@example.com", "site_admin"),
        ("local-b@example.com", "readonly_site_admin"),
        ("Local-C@Example.com", "user"),
    ] {
        let created = admin
            .post(
                "/users",
                &json!({"username": name, "email": name, "role": role}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    }
    let local_c = admin.user_named("local-c@example.com").await;
    let disabled = admin
        .post(
            &format!("/users/{}/disable", str_of(&local_c["user"]["id"], "id")),
            &json!({}),
        )
        .await;
    assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.body);

    let all = get_ok(&admin, "/users").await;
    assert_eq!(all["total"], 9, "{all}");
    assert_eq!(all["offset"], 0);
    assert_eq!(all["limit"], 50, "the default page size");
    let okta_page = get_ok(&admin, &format!("/users?provider={}", okta.provider_id)).await;
    assert_eq!(
        usernames(&okta_page),
        [
            "okta-01@example.com",
            "okta-02@example.com",
            "okta-03@example.com",
            "okta-04@example.com",
            "okta-05@example.com"
        ]
    );
    assert!(
        okta_page["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|u| u["provider_id"] == okta.provider_id.as_str() && u["managed"] == true),
        "{okta_page}"
    );
    let local = get_ok(&admin, "/users?provider=local").await;
    assert_eq!(
        usernames(&local),
        [
            "local-a@example.com",
            "local-b@example.com",
            "Local-C@Example.com"
        ]
    );
    assert_eq!(local["total"], 3);
    let saml_page = get_ok(&admin, &format!("/users?provider={}", saml.provider_id)).await;
    assert_eq!(usernames(&saml_page), ["saml-01@corp.example"]);

    let disabled = get_ok(&admin, "/users?status=disabled").await;
    assert_eq!(
        usernames(&disabled),
        ["Local-C@Example.com", "okta-02@example.com"]
    );
    let active = get_ok(&admin, "/users?status=active").await;
    assert_eq!(active["total"], 7, "{active}");
    let site_admins = get_ok(&admin, "/users?role=site_admin").await;
    assert_eq!(
        usernames(&site_admins),
        ["local-a@example.com", "okta-01@example.com"]
    );
    let readonly = get_ok(&admin, "/users?role=readonly_site_admin").await;
    assert_eq!(usernames(&readonly), ["local-b@example.com"]);
    // Search: part of the username or email, without regard to case.
    let search = get_ok(&admin, "/users?search=OKTA-0").await;
    assert_eq!(search["total"], 5, "{search}");
    let search = get_ok(&admin, "/users?search=corp.EXAMPLE").await;
    assert_eq!(usernames(&search), ["saml-01@corp.example"]);
    assert_eq!(get_ok(&admin, "/users?search=nobody").await["total"], 0);
    // Filters combine.
    let combined = get_ok(
        &admin,
        &format!("/users?provider={}&status=disabled", okta.provider_id),
    )
    .await;
    assert_eq!(usernames(&combined), ["okta-02@example.com"]);
    let combined = get_ok(&admin, "/users?search=local&role=site_admin&status=active").await;
    assert_eq!(usernames(&combined), ["local-a@example.com"]);

    // Pages: ordered by username, each user once, the total on every page.
    let mut seen = Vec::new();
    for offset in [0, 4, 8] {
        let page = get_ok(&admin, &format!("/users?limit=4&offset={offset}")).await;
        assert_eq!(page["total"], 9, "{page}");
        assert_eq!(page["limit"], 4);
        assert_eq!(page["offset"], offset);
        seen.extend(usernames(&page));
    }
    assert_eq!(seen, usernames(&all), "the pages put together are the list");
    let beyond = get_ok(&admin, "/users?limit=4&offset=40").await;
    assert_eq!(beyond["items"], json!([]));
    assert_eq!(beyond["total"], 9);

    // Bad queries are 400 naming the problem.
    for (query, code, word) in [
        ("limit=0", "invalid", "limit must be between 1 and"),
        ("limit=501", "invalid", "limit must be between 1 and"),
        ("status=archived", "invalid_query", "status"),
        ("role=owner", "invalid_query", "role"),
        ("offset=-1", "invalid_query", "offset"),
        ("colour=red", "invalid_query", "colour"),
    ] {
        let reply = admin.get(&format!("/users?{query}")).await;
        assert_admin_error(&reply, StatusCode::BAD_REQUEST, code, &[word]);
    }
    server.stop().await;
}

#[tokio::test]
async fn the_history_list_filters_by_target_and_interface_and_pages_with_a_cursor() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = server.provider_via_admin("okta", json!({})).await;
    let mut ids = Vec::new();
    for n in 1..=4 {
        ids.push(create_user(&okta, okta_user(&format!("user-{n}@example.com"))).await);
    }
    patch_user(&okta, &ids[0], deactivate()).await;
    patch_user(
        &okta,
        &ids[0],
        patch(json!([{"op": "replace", "value": {"active": true}}])),
    )
    .await;
    let local = admin
        .post("/users", &json!({"username": "Desk-User@example.com"}))
        .await;
    assert_eq!(local.status, StatusCode::CREATED, "{}", local.body);
    let local_id = str_of(&local.body["id"], "id").to_owned();
    let edited = admin
        .patch(&format!("/users/{local_id}"), &json!({"company": "Acme"}))
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);

    // By target: the id, or the name without regard to case.
    let first = get_ok(&admin, &format!("/history?target={}", ids[0])).await;
    assert_eq!(
        actions(first["items"].as_array().expect("items")),
        ["user_enabled", "user_disabled", "user_created"],
        "{first}"
    );
    assert!(
        first["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|e| e["target_id"] == ids[0].as_str()
                && e["interface"] == "SCIM"
                && e["provider_id"] == okta.provider_id.as_str()),
        "{first}"
    );
    assert_eq!(first["next"], Value::Null, "one page");
    let by_name = get_ok(
        &admin,
        &format!("/history?target={}", encode("desk-user@EXAMPLE.com")),
    )
    .await;
    assert_eq!(
        actions(by_name["items"].as_array().expect("items")),
        ["user_updated", "user_created"],
        "{by_name}"
    );

    // By interface.
    let web = get_ok(&admin, "/history?interface=web&limit=500").await;
    let web = web["items"].as_array().expect("items");
    assert!(!web.is_empty());
    assert!(web.iter().all(|e| e["interface"] == "web"), "{web:?}");
    assert!(
        web.iter()
            .any(|e| e["action"] == "user_created" && e["target_id"] == local_id.as_str()),
        "{web:?}"
    );
    assert!(
        web.iter()
            .all(|e| e["provider_id"] != okta.provider_id.as_str()
                || e["action"] == "provider_created"),
        "no SCIM change is listed as web: {web:?}"
    );
    let scim_all = get_ok(&admin, "/history?interface=SCIM&limit=500").await;
    let scim_all = scim_all["items"].as_array().expect("items").clone();
    assert_eq!(
        scim_all.len(),
        6,
        "4 created, 1 disabled, 1 enabled: {scim_all:?}"
    );
    assert!(scim_all.iter().all(|e| e["interface"] == "SCIM"));
    let combined = get_ok(&admin, &format!("/history?interface=web&target={}", ids[0])).await;
    assert_eq!(combined["items"], json!([]), "{combined}");
    let combined = get_ok(
        &admin,
        &format!(
            "/history?interface=SCIM&action=user_disabled&target={}",
            ids[0]
        ),
    )
    .await;
    assert_eq!(
        actions(combined["items"].as_array().expect("items")),
        ["user_disabled"]
    );

    // Pages of 4 following `next`: newest first, every entry once, the last page has no next.
    let mut paged: Vec<Value> = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let path = match &cursor {
            Some(before) => format!("/history?interface=SCIM&limit=4&before={before}"),
            None => "/history?interface=SCIM&limit=4".to_owned(),
        };
        let page = get_ok(&admin, &path).await;
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= 4, "{page}");
        paged.extend(items.iter().cloned());
        match page["next"].as_str() {
            Some(next) => {
                assert_eq!(items.len(), 4, "a page with a next is full: {page}");
                cursor = Some(next.to_owned());
            }
            None => {
                cursor = None;
                break;
            }
        }
    }
    assert_eq!(cursor, None, "the pages end");
    assert_eq!(paged, scim_all, "the pages put together are the whole list");
    let seqs: Vec<i64> = paged
        .iter()
        .map(|e| {
            str_of(&e["seq"], "seq")
                .parse()
                .unwrap_or_else(|_| panic!("a numeric seq: {e}"))
        })
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[0] > w[1]),
        "newest first: {seqs:?}"
    );

    for (query, code, word) in [
        ("before=abc", "invalid", "before must be the 'next' cursor"),
        (
            "since=yesterday",
            "invalid",
            "since must be an RFC 3339 time",
        ),
        (
            "until=2026-13-99",
            "invalid",
            "until must be an RFC 3339 time",
        ),
        ("limit=0", "invalid", "limit must be between 1 and"),
        ("colour=red", "invalid_query", "colour"),
    ] {
        let reply = admin.get(&format!("/history?{query}")).await;
        assert_admin_error(&reply, StatusCode::BAD_REQUEST, code, &[word]);
    }
    server.stop().await;
}
