//! End-to-end tests of the user provisioning options (SPEC.md, "The site model"), one option at
//! a time, each shown set and unset: SCIM requests shaped like Okta's, Entra ID's, OneLogin's
//! and JumpCloud's (IDP-NOTES.md) and simulated SAML sign-ins (`POST /admin/api/sign-in`), then
//! the account through the admin API, the history entries and the decision trace they carry.

use reqwest::StatusCode;
use serde_json::{Value, json};
use workbench_tests::idp::*;
use workbench_tests::{Admin, Reply, Scim, TestServer, base64_encode};

// ---------------------------------------------------------------------------------------------
// Local helpers

/// A user the IdP created through a provider made for the test.
struct Provisioned {
    scim: Scim,
    id: String,
    /// `user` of the admin detail, right after the create.
    user: Value,
    /// The trace of the `user_created` history entry.
    trace: String,
}

/// Creates a `kind` provider with `fields` through the admin API, then `POST /Users` `body`
/// with its credential; returns the account and the trace of its `user_created` entry (made by
/// the `SCIM` interface, on behalf of that provider).
async fn provision(server: &TestServer, kind: &str, fields: Value, body: Value) -> Provisioned {
    let scim = server.provider_via_admin(kind, fields).await;
    let id = create_user(&scim, body).await;
    let admin = server.admin();
    let user = account(&admin, &id).await;
    let history = admin.history_of(&id).await;
    let created = newest(&history, "user_created");
    assert_eq!(created["interface"], "SCIM", "{created}");
    assert_eq!(
        created["provider_id"],
        scim.provider_id.as_str(),
        "{created}"
    );
    Provisioned {
        trace: trace_of(created),
        scim,
        id,
        user,
    }
}

/// `user` of the admin detail of the user `id`.
async fn account(admin: &Admin, id: &str) -> Value {
    let detail = admin.get(&format!("/users/{id}")).await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.body);
    detail.body["user"].clone()
}

/// A simulated SAML sign-in through `provider_id` (NameID and email `username`, IdP `groups`).
async fn sign_in(admin: &Admin, provider_id: &str, username: &str, groups: &[&str]) -> Value {
    let answer = admin
        .post(
            "/sign-in",
            &json!({
                "provider_id": provider_id,
                "username": username,
                "email": username,
                "attributes": {"givenName": "Test", "familyName": "User"},
                "groups": groups
            }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "sign-in: {}", answer.body);
    answer.body
}

/// A `401` as an IdP must see it: the RFC 7644 error body, its detail naming `words`.
fn assert_401(reply: &Reply, words: &str) {
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
    assert!(
        reply
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/scim+json")),
        "{:?}",
        reply.headers
    );
    assert_eq!(
        reply.body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"]),
        "{}",
        reply.body
    );
    assert_eq!(reply.body["status"], "401", "{}", reply.body);
    assert!(
        reply.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains(words)),
        "the detail should say {words:?}: {}",
        reply.body
    );
}

/// The admin user list's total (with `query`, e.g. `search=x`).
async fn user_count(admin: &Admin, query: &str) -> u64 {
    let listed = admin.get(&format!("/users?{query}")).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    listed.body["total"].as_u64().expect("a total")
}

/// A user as Entra ID creates it with the enterprise extension's `organization` mapped.
fn entra_user_of(name: &str, organization: &str) -> Value {
    let mut body = entra_user(name);
    body["schemas"] = json!([USER_URN, ENTERPRISE_URN]);
    body[ENTERPRISE_URN] = json!({"organization": organization, "department": "Research"});
    body
}

// ---------------------------------------------------------------------------------------------
// scim_authentication_method

#[tokio::test]
async fn scim_authentication_method_none_answers_401_with_a_scim_error() {
    let server = TestServer::start().await;
    let admin = server.admin();

    // Created with SCIM off: no secret, no credential; SCIM requests get a SCIM 401.
    let created = admin
        .post(
            "/providers",
            &json!({"name": "Okta off", "kind": "okta", "fields": {"scim_authentication_method": "none"}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["secret"], Value::Null, "{}", created.body);
    assert_eq!(
        created.body["provider"]["scim_authentication_method"],
        "none"
    );
    assert_eq!(created.body["provider"]["credentials"], json!([]));
    let anonymous = Scim::new(&server.base, "", "none");
    assert_401(
        &anonymous
            .post("/Users", &okta_user("nobody@example.com"))
            .await,
        "no credential",
    );

    // A token provider switched to none: its token is refused and says why.
    let okta = server.provider_via_admin("okta", json!({})).await;
    let path = format!("/providers/{}", okta.provider_id);
    let off = admin
        .patch(&path, &json!({"scim_authentication_method": "none"}))
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.body);
    assert_401(
        &okta.post("/Users", &okta_user("off@example.com")).await,
        "SCIM provisioning is turned off for SSO provider 'okta e2e'",
    );
    assert_401(&okta.get("/Users").await, "turned off");
    assert_eq!(user_count(&admin, "").await, 0, "nothing was created");
    let changes = admin
        .get(&format!(
            "/history?provider_id={}&action=provider_updated",
            okta.provider_id
        ))
        .await;
    assert_eq!(
        changes.body["items"][0]["detail"],
        "SSO provider okta e2e changed: scim_authentication_method",
        "{}",
        changes.body
    );

    // Back to token: the same bearer token provisions again.
    let on = admin
        .patch(&path, &json!({"scim_authentication_method": "token"}))
        .await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.body);
    let id = create_user(&okta, okta_user("on@example.com")).await;
    assert_eq!(account(&admin, &id).await["status"], "active");
    let history = admin.history_of(&id).await;
    assert_eq!(newest(&history, "user_created")["interface"], "SCIM");
    server.stop().await;
}

#[tokio::test]
async fn scim_authentication_method_basic_accepts_basic_auth_and_refuses_tokens() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let onelogin = provision(
        &server,
        "onelogin",
        json!({"scim_authentication_method": "basic"}),
        onelogin_user("basic@example.com", json!([])),
    )
    .await;
    assert!(
        onelogin.scim.authorization.starts_with("Basic "),
        "{}",
        onelogin.scim.authorization
    );
    assert_eq!(
        onelogin.user["provider_id"],
        onelogin.scim.provider_id.as_str()
    );
    assert_eq!(onelogin.user["managed"], true);
    assert_has(&onelogin.trace, "new user 'basic@example.com'");
    let view = admin
        .get(&format!("/providers/{}", onelogin.scim.provider_id))
        .await;
    assert_eq!(view.body["scim_authentication_method"], "basic");
    assert_eq!(
        view.body["credentials"][0]["kind"], "basic",
        "{}",
        view.body
    );

    // A bearer token issued to the same provider is not what it accepts.
    let issued = admin
        .post(
            &format!("/providers/{}/tokens", onelogin.scim.provider_id),
            &json!({}),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.body);
    let token = issued.body["token"].as_str().expect("a token");
    let bearer = onelogin.scim.with_authorization(&format!("Bearer {token}"));
    assert_401(
        &bearer.get(&format!("/Users/{}", onelogin.id)).await,
        "accepts basic credentials for SCIM, not token",
    );
    let fetched = onelogin.scim.get(&format!("/Users/{}", onelogin.id)).await;
    assert_eq!(fetched.status, StatusCode::OK, "{}", fetched.body);
    server.stop().await;
}

#[tokio::test]
async fn scim_authentication_method_token_accepts_bearer_and_refuses_basic_auth() {
    let server = TestServer::start().await;
    let admin = server.admin();
    // The default method.
    let jumpcloud = provision(&server, "jumpcloud", json!({}), jumpcloud_user("tok")).await;
    assert!(jumpcloud.scim.authorization.starts_with("Bearer "));
    assert_eq!(jumpcloud.user["status"], "active");
    assert_has(&jumpcloud.trace, "new user 'tok'");

    // A Basic username and password of the same provider are not what it accepts.
    let basic = admin
        .post(
            &format!("/providers/{}/basic", jumpcloud.scim.provider_id),
            &json!({}),
        )
        .await;
    assert_eq!(basic.status, StatusCode::CREATED, "{}", basic.body);
    let pair = format!(
        "{}:{}",
        basic.body["username"].as_str().expect("a username"),
        basic.body["password"].as_str().expect("a password")
    );
    let as_basic = jumpcloud
        .scim
        .with_authorization(&format!("Basic {}", base64_encode(pair.as_bytes())));
    assert_401(
        &as_basic.post("/Users", &jumpcloud_user("refused")).await,
        "accepts token credentials for SCIM, not basic",
    );
    assert_eq!(user_count(&admin, "search=refused").await, 0);
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// provision_users

#[tokio::test]
async fn provision_users_on_creates_the_account_at_first_sign_in() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = server
        .provider_via_admin("okta", json!({"provision_users": true}))
        .await;

    let first = sign_in(&admin, &okta.provider_id, "first@example.com", &[]).await;
    assert_eq!(first["outcome"], "created", "{first}");
    let trace = trace_of(&first);
    assert_has(
        &trace,
        "provision_users = true: no account 'first@example.com' yet → created at first login",
    );
    let detail = admin.user_named("first@example.com").await;
    let user = &detail["user"];
    assert_eq!(user["status"], "active", "{detail}");
    assert_eq!(user["managed"], true, "{detail}");
    assert_eq!(user["provider_id"], okta.provider_id.as_str(), "{detail}");
    assert_eq!(user["email"], "first@example.com", "{detail}");
    assert!(user["last_login_at"].is_string(), "{detail}");
    let id = user["id"].as_str().expect("an id");
    let history = admin.history_of(id).await;
    let created = newest(&history, "user_created");
    assert_eq!(created["interface"], "login", "{created}");
    assert_has(&trace_of(created), "provision_users = true");

    // The IdP now finds the account it manages; the next sign-in only signs in.
    let found = okta
        .get(&format!(
            "/Users?filter={}",
            workbench_tests::encode("userName eq \"first@example.com\"")
        ))
        .await;
    assert_eq!(found.body["totalResults"], 1, "{}", found.body);
    let again = sign_in(&admin, &okta.provider_id, "first@example.com", &[]).await;
    assert_eq!(again["outcome"], "signed_in", "{again}");
    let history = admin.history_of(id).await;
    assert_eq!(
        newest(&history, "user_login")["detail"],
        "first@example.com signed in through okta e2e"
    );
    server.stop().await;
}

#[tokio::test]
async fn provision_users_off_refuses_a_first_sign_in_without_an_account() {
    let server = TestServer::start().await;
    let admin = server.admin();
    // The default: provision_users off.
    let okta = server.provider_via_admin("okta", json!({})).await;

    let refused = sign_in(&admin, &okta.provider_id, "stranger@example.com", &[]).await;
    assert_eq!(refused["outcome"], "refused", "{refused}");
    assert_eq!(
        refused["reason"],
        "there is no account 'stranger@example.com' and provision_users is off"
    );
    assert_eq!(refused["user"], Value::Null);
    assert_has(
        &trace_of(&refused),
        "provision_users = false: no account 'stranger@example.com' → sign-in refused",
    );
    assert_eq!(user_count(&admin, "search=stranger").await, 0, "no account");
    assert_eq!(
        admin.history_of("stranger@example.com").await,
        Vec::<Value>::new()
    );

    // An account the IdP provisioned over SCIM signs in.
    let id = create_user(&okta, okta_user("known@example.com")).await;
    let known = sign_in(&admin, &okta.provider_id, "known@example.com", &[]).await;
    assert_eq!(known["outcome"], "signed_in", "{known}");
    assert_lacks(&trace_of(&known), "provision_users");
    let history = admin.history_of(&id).await;
    let login = newest(&history, "user_login");
    assert_eq!(login["interface"], "login");
    assert_has(&trace_of(login), "'known@example.com' signs in");
    assert!(account(&admin, &id).await["last_login_at"].is_string());
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// deprovision_users

#[tokio::test]
async fn deprovision_users_on_deprovisions_a_user_jumpcloud_deletes() {
    let server = TestServer::start().await;
    let admin = server.admin();
    // The default: deprovision_users on (and deprovision_behavior disable).
    let jc = provision(&server, "jumpcloud", json!({}), jumpcloud_user("jc-test")).await;
    let deleted = jc.scim.delete(&format!("/Users/{}", jc.id)).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    assert_eq!(
        jc.scim.get(&format!("/Users/{}", jc.id)).await.status,
        StatusCode::NOT_FOUND
    );
    let user = account(&admin, &jc.id).await;
    assert_eq!(user["status"], "disabled", "{user}");
    assert_eq!(user["disabled_reason"], "deprovisioned", "{user}");
    assert_eq!(user["scim_deleted"], true, "{user}");
    let history = admin.history_of(&jc.id).await;
    let disabled = newest(&history, "user_disabled");
    assert_eq!(disabled["detail"], "user jc-test disabled (de-provisioned)");
    let trace = trace_of(disabled);
    assert_has(
        &trace,
        "deprovision_behavior = disable: 'jc-test' disabled, kept for audit",
    );
    assert_lacks(&trace, "deprovision_users = false");
    server.stop().await;
}

#[tokio::test]
async fn deprovision_users_off_keeps_a_user_entra_deletes_as_a_local_account() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let entra = provision(
        &server,
        "entra_id",
        json!({"deprovision_users": false}),
        entra_user("kept@contoso.com"),
    )
    .await;
    let deleted = entra.scim.delete(&format!("/Users/{}", entra.id)).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    assert_eq!(
        entra.scim.get(&format!("/Users/{}", entra.id)).await.status,
        StatusCode::NOT_FOUND
    );
    let user = account(&admin, &entra.id).await;
    assert_eq!(user["status"], "active", "{user}");
    assert_eq!(user["managed"], false, "{user}");
    assert_eq!(user["provider_id"], Value::Null, "{user}");
    assert_eq!(user["authentication_method"], "password", "{user}");
    let history = admin.history_of(&entra.id).await;
    let unlinked = newest(&history, "user_unlinked");
    assert_eq!(
        unlinked["detail"],
        "user kept@contoso.com is no longer managed by entra_id e2e; kept as a local account"
    );
    assert_has(
        &trace_of(unlinked),
        "deprovision_users = false: the IdP's DELETE ends SCIM management; 'kept@contoso.com' stays, active, as a local account",
    );
    assert!(
        !actions(&history).contains(&"user_disabled".to_owned()),
        "{:?}",
        actions(&history)
    );
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// deprovision_behavior

#[tokio::test]
async fn deprovision_behavior_delete_removes_the_account_on_delete() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let jc = provision(
        &server,
        "jumpcloud",
        json!({"deprovision_behavior": "delete"}),
        jumpcloud_user("gone"),
    )
    .await;
    let deleted = jc.scim.delete(&format!("/Users/{}", jc.id)).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    let detail = admin.get(&format!("/users/{}", jc.id)).await;
    assert_eq!(detail.status, StatusCode::NOT_FOUND, "{}", detail.body);
    assert_eq!(user_count(&admin, "search=gone").await, 0);
    let history = admin.history_of(&jc.id).await;
    let gone = newest(&history, "user_deleted");
    assert_eq!(gone["detail"], "user gone deleted (de-provisioned)");
    assert_has(
        &trace_of(gone),
        "deprovision_behavior = delete: 'gone' deleted",
    );
    server.stop().await;
}

#[tokio::test]
async fn deprovision_behavior_disable_keeps_the_account_and_a_new_post_reprovisions_it() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let entra = provision(
        &server,
        "entra_id",
        json!({"deprovision_behavior": "disable"}),
        entra_user("audit@contoso.com"),
    )
    .await;
    let deleted = entra.scim.delete(&format!("/Users/{}", entra.id)).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    let user = account(&admin, &entra.id).await;
    assert_eq!(user["status"], "disabled", "{user}");
    assert_eq!(user["disabled_reason"], "deprovisioned", "{user}");
    assert_eq!(
        user["provider_id"],
        entra.scim.provider_id.as_str(),
        "still linked"
    );
    let history = admin.history_of(&entra.id).await;
    assert_has(
        &trace_of(newest(&history, "user_disabled")),
        "deprovision_behavior = disable: 'audit@contoso.com' disabled, kept for audit",
    );

    let again = entra
        .scim
        .post("/Users", &entra_user("audit@contoso.com"))
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    assert_eq!(again.body["id"], entra.id.as_str(), "the same account");
    assert_eq!(account(&admin, &entra.id).await["status"], "active");
    let history = admin.history_of(&entra.id).await;
    assert_eq!(newest(&history, "user_reprovisioned")["interface"], "SCIM");
    server.stop().await;
}

#[tokio::test]
async fn active_false_disables_whatever_the_deprovisioning_options_say() {
    let server = TestServer::start().await;
    let admin = server.admin();
    for (fields, name) in [
        (json!({}), "default@contoso.com"),
        (
            json!({"deprovision_behavior": "delete"}),
            "delete@contoso.com",
        ),
        (json!({"deprovision_users": false}), "off@contoso.com"),
    ] {
        let entra = provision(&server, "entra_id", fields.clone(), entra_user(name)).await;
        // Entra's PascalCase op with the boolean as a string.
        let body = patch(json!([{"op": "Replace", "path": "active", "value": "False"}]));
        let patched = patch_user(&entra.scim, &entra.id, body).await;
        assert_eq!(patched["active"], false, "{fields}: {patched}");
        let user = account(&admin, &entra.id).await;
        assert_eq!(user["status"], "disabled", "{fields}: {user}");
        assert_eq!(user["disabled_reason"], "idp", "{fields}: {user}");
        assert_eq!(user["managed"], true, "{fields}: {user}");
        let history = admin.history_of(&entra.id).await;
        let disabled = newest(&history, "user_disabled");
        assert_eq!(disabled["detail"], format!("user {name} disabled"));
        let trace = trace_of(disabled);
        assert_has(
            &trace,
            "active = false from the IdP → disabled (the IdP's active:false always disables)",
        );
        assert_lacks(&trace, "deprovision_");
    }
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// provision_company

#[tokio::test]
async fn provision_company_set_fixes_the_company_over_the_idps_organization() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let entra = provision(
        &server,
        "entra_id",
        json!({"provision_company": "Acme Corp"}),
        entra_user_of("fixed@contoso.com", "Contoso"),
    )
    .await;
    assert_eq!(entra.user["company"], "Acme Corp", "{}", entra.user);
    assert_has(
        &entra.trace,
        "provision_company = \"Acme Corp\": company \"Acme Corp\"",
    );
    assert_lacks(&entra.trace, "the IdP's organization");

    // Entra updates the organization through its URN path: the company stays fixed.
    let path = format!("{ENTERPRISE_URN}:organization");
    let body = patch(json!([{"op": "Replace", "path": path, "value": "Fabrikam"}]));
    let patched = patch_user(&entra.scim, &entra.id, body).await;
    assert_eq!(
        patched[ENTERPRISE_URN]["organization"], "Fabrikam",
        "{patched}"
    );
    assert_eq!(account(&admin, &entra.id).await["company"], "Acme Corp");
    let history = admin.history_of(&entra.id).await;
    assert!(
        !actions(&history).contains(&"user_updated".to_owned()),
        "{:?}",
        actions(&history)
    );
    server.stop().await;
}

#[tokio::test]
async fn provision_company_blank_takes_the_idps_enterprise_organization() {
    let server = TestServer::start().await;
    let admin = server.admin();
    // Okta with the enterprise extension mapped.
    let mut body = okta_user("org@example.com");
    body["schemas"] = json!([USER_URN, ENTERPRISE_URN]);
    body[ENTERPRISE_URN] = json!({"organization": "Initech", "employeeNumber": "42"});
    let okta = provision(&server, "okta", json!({}), body.clone()).await;
    assert_eq!(okta.user["company"], "Initech", "{}", okta.user);
    assert_has(
        &okta.trace,
        "provision_company = \"\": blank → the IdP's organization \"Initech\"",
    );

    // Okta's update: GET then PUT of the whole user with a new organization.
    body[ENTERPRISE_URN]["organization"] = json!("Initrode");
    let put = okta.scim.put(&format!("/Users/{}", okta.id), &body).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    assert_eq!(account(&admin, &okta.id).await["company"], "Initrode");
    let history = admin.history_of(&okta.id).await;
    let updated = newest(&history, "user_updated");
    assert_eq!(
        updated["detail"],
        "user org@example.com 2FA/company updated"
    );
    assert_has(
        &trace_of(updated),
        "provision_company = \"\": blank → the IdP's organization \"Initrode\"",
    );

    // Without an organization from the IdP, no company at all.
    let plain = provision(&server, "okta", json!({}), okta_user("plain@example.com")).await;
    assert_eq!(plain.user["company"], Value::Null, "{}", plain.user);
    assert_lacks(&plain.trace, "provision_company");
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// provision_group_default

/// Creates local site groups by name.
async fn site_groups(admin: &Admin, names: &[&str]) {
    for name in names {
        let created = admin.post("/groups", &json!({"name": name})).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    }
}

#[tokio::test]
async fn provision_group_default_joins_matching_site_groups_at_first_sign_in() {
    let server = TestServer::start().await;
    let admin = server.admin();
    site_groups(&admin, &["Staff", "Sales-EU", "Marketing"]).await;
    let okta = server
        .provider_via_admin(
            "okta",
            json!({"provision_users": true, "provision_group_default": "Staff, sales-*"}),
        )
        .await;

    let first = sign_in(&admin, &okta.provider_id, "newhire@example.com", &[]).await;
    assert_eq!(first["outcome"], "created", "{first}");
    assert_has(
        &trace_of(&first),
        "provision_group_default = \"Staff, sales-*\": 'newhire@example.com' joins \"Sales-EU\", \"Staff\"",
    );
    let detail = admin.user_named("newhire@example.com").await;
    for group in ["Staff", "Sales-EU"] {
        let membership = user_group(&detail, group).expect("a default group");
        assert_eq!(membership["on_site"], true, "{detail}");
        assert_eq!(membership["from_idp"], false, "{detail}");
    }
    assert!(user_group(&detail, "Marketing").is_none(), "{detail}");
    let history = admin.history_of("Staff").await;
    let added = newest(&history, "member_added");
    assert_eq!(
        added["detail"],
        "newhire@example.com added to Staff (default group at first login)"
    );
    assert_eq!(added["interface"], "login");
    assert_has(
        &trace_of(added),
        "provision_group_default = \"Staff, sales-*\"",
    );

    // Only the first login: a later sign-in joins nothing again.
    let again = sign_in(&admin, &okta.provider_id, "newhire@example.com", &[]).await;
    assert_eq!(again["outcome"], "signed_in", "{again}");
    assert_lacks(&trace_of(&again), "provision_group_default");
    let joins = actions(&admin.history_of("Staff").await)
        .into_iter()
        .filter(|a| a == "member_added")
        .count();
    assert_eq!(joins, 1, "joined once");
    server.stop().await;
}

#[tokio::test]
async fn provision_group_default_blank_joins_no_group_at_first_sign_in() {
    let server = TestServer::start().await;
    let admin = server.admin();
    site_groups(&admin, &["Staff"]).await;
    let okta = server
        .provider_via_admin("okta", json!({"provision_users": true}))
        .await;

    let first = sign_in(&admin, &okta.provider_id, "loner@example.com", &[]).await;
    assert_eq!(first["outcome"], "created", "{first}");
    assert_lacks(&trace_of(&first), "provision_group_default");
    let detail = admin.user_named("loner@example.com").await;
    assert_eq!(detail["groups"], json!([]), "{detail}");
    let id = detail["user"]["id"].as_str().expect("an id");
    let history = admin.history_of(id).await;
    assert_eq!(actions(&history), ["user_created"], "{history:?}");
    assert!(
        !actions(&admin.history_of("Staff").await).contains(&"member_added".to_owned()),
        "no default group joined"
    );
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// provision_group_required

#[tokio::test]
async fn provision_group_required_holds_a_user_outside_the_list_and_provisions_one_in_it() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let onelogin = server
        .provider_via_admin(
            "onelogin",
            json!({"provision_group_required": "Engineering, Ops-*"}),
        )
        .await;

    // Outside the list: stored for the IdP, no site account.
    let outsider = create_user(
        &onelogin,
        onelogin_user(
            "sales@example.com",
            json!([{"value": "g1", "display": "Sales"}]),
        ),
    )
    .await;
    let user = account(&admin, &outsider).await;
    assert_eq!(user["status"], "held", "{user}");
    assert_eq!(
        user["held_reason"],
        "not in any group of provision_group_required \"Engineering, Ops-*\""
    );
    let history = admin.history_of(&outsider).await;
    let held = newest(&history, "user_held");
    assert_has(
        &trace_of(held),
        "provision_group_required = \"Engineering, Ops-*\": user is in \"Sales\" (the groups the IdP sent on the user) → held",
    );
    assert_eq!(
        onelogin.get(&format!("/Users/{outsider}")).await.status,
        StatusCode::OK,
        "the IdP still reads its user"
    );

    // In the list (by wildcard, without regard to case): active.
    let insider = create_user(
        &onelogin,
        onelogin_user(
            "ops@example.com",
            json!([{"value": "g2", "display": "ops-eu"}]),
        ),
    )
    .await;
    assert_eq!(account(&admin, &insider).await["status"], "active");
    let history = admin.history_of(&insider).await;
    assert_has(
        &trace_of(newest(&history, "user_created")),
        "provision_group_required = \"Engineering, Ops-*\": user is in \"ops-eu\" → provisioned",
    );

    // A first sign-in outside the list is refused and creates nothing.
    admin
        .patch(
            &format!("/providers/{}", onelogin.provider_id),
            &json!({"provision_users": true}),
        )
        .await;
    let refused = sign_in(
        &admin,
        &onelogin.provider_id,
        "temp@example.com",
        &["Sales"],
    )
    .await;
    assert_eq!(refused["outcome"], "refused", "{refused}");
    assert_has(
        &trace_of(&refused),
        "'temp@example.com' is held (not in any group of provision_group_required \"Engineering, Ops-*\") → sign-in refused, no account created",
    );
    assert_eq!(user_count(&admin, "search=temp").await, 0);
    server.stop().await;
}

#[tokio::test]
async fn provision_group_required_blank_provisions_every_user() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let onelogin = provision(
        &server,
        "onelogin",
        json!({}),
        onelogin_user(
            "anyone@example.com",
            json!([{"value": "g1", "display": "Sales"}]),
        ),
    )
    .await;
    assert_eq!(onelogin.user["status"], "active", "{}", onelogin.user);
    assert_eq!(onelogin.user["held_reason"], Value::Null);
    assert_lacks(&onelogin.trace, "provision_group_required");
    let nobody = create_user(
        &onelogin.scim,
        onelogin_user("groupless@example.com", json!([])),
    )
    .await;
    assert_eq!(account(&admin, &nobody).await["status"], "active");
    let history = admin.history_of(&nobody).await;
    assert_eq!(actions(&history), ["user_created"], "{history:?}");
    assert_eq!(history[0]["detail"], "user groupless@example.com created");
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// provision_require_2fa

/// Sets the site-wide 2FA policy.
async fn site_requires_2fa(admin: &Admin, required: bool) {
    let set = admin
        .patch("/settings", &json!({"require_2fa": required}))
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    assert_eq!(set.body["require_2fa"], required, "{}", set.body);
}

#[tokio::test]
async fn provision_require_2fa_use_system_setting_follows_the_site_policy() {
    let server = TestServer::start().await;
    let admin = server.admin();
    // The default value, under a site that does not require 2FA.
    let relaxed = provision(&server, "okta", json!({}), okta_user("relaxed@example.com")).await;
    assert_eq!(relaxed.user["require_2fa"], false, "{}", relaxed.user);
    assert_has(
        &relaxed.trace,
        "provision_require_2fa = use_system_setting: the site does not require 2FA → 2FA not required",
    );

    site_requires_2fa(&admin, true).await;
    let strict = provision(
        &server,
        "okta",
        json!({"provision_require_2fa": "use_system_setting"}),
        okta_user("strict@example.com"),
    )
    .await;
    assert_eq!(strict.user["require_2fa"], true, "{}", strict.user);
    assert_has(
        &strict.trace,
        "provision_require_2fa = use_system_setting: the site requires 2FA → 2FA required",
    );
    server.stop().await;
}

#[tokio::test]
async fn provision_require_2fa_always_require_requires_it_on_a_site_that_does_not() {
    let server = TestServer::start().await;
    site_requires_2fa(&server.admin(), false).await;
    let jc = provision(
        &server,
        "jumpcloud",
        json!({"provision_require_2fa": "always_require"}),
        jumpcloud_user("always"),
    )
    .await;
    assert_eq!(jc.user["require_2fa"], true, "{}", jc.user);
    assert_has(
        &jc.trace,
        "provision_require_2fa = always_require: 2FA required",
    );
    assert_lacks(&jc.trace, "use_system_setting");
    server.stop().await;
}

#[tokio::test]
async fn provision_require_2fa_never_require_waives_it_on_a_site_that_requires_it() {
    let server = TestServer::start().await;
    site_requires_2fa(&server.admin(), true).await;
    let entra = provision(
        &server,
        "entra_id",
        json!({"provision_require_2fa": "never_require"}),
        entra_user("never@contoso.com"),
    )
    .await;
    assert_eq!(entra.user["require_2fa"], false, "{}", entra.user);
    assert_has(
        &entra.trace,
        "provision_require_2fa = never_require: 2FA not required",
    );
    assert_lacks(&entra.trace, "the site requires 2FA");
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// provision_dav_permission, provision_ftp_permission, provision_sftp_permission

/// `option` on: the user a `kind` provider creates has the account field `field` and the trace
/// says `allowed`; off (the default): it has not, and the trace says `not allowed`. The other
/// two permissions stay off either way.
async fn protocol_permission(kind: &str, option: &str, field: &str, protocol: &str) {
    let server = TestServer::start().await;
    let body = |name: &str| match kind {
        "okta" => okta_user(&format!("{name}@example.com")),
        "entra_id" => entra_user(&format!("{name}@contoso.com")),
        _ => jumpcloud_user(name),
    };
    let on = provision(&server, kind, json!({ option: true }), body("on")).await;
    let off = provision(&server, kind, json!({}), body("off")).await;
    for permission in ["dav_permission", "ftp_permission", "sftp_permission"] {
        assert_eq!(
            on.user[permission],
            permission == field,
            "{option} on, {permission}: {}",
            on.user
        );
        assert_eq!(
            off.user[permission], false,
            "default, {permission}: {}",
            off.user
        );
    }
    assert_has(&on.trace, &format!("{option} = true"));
    assert_has(&on.trace, &format!("{protocol} allowed"));
    assert_has(&off.trace, &format!("{option} = false"));
    assert_has(&off.trace, &format!("{protocol} not allowed"));
    server.stop().await;
}

#[tokio::test]
async fn provision_dav_permission_on_gives_webdav_and_off_does_not() {
    protocol_permission(
        "okta",
        "provision_dav_permission",
        "dav_permission",
        "WebDAV",
    )
    .await;
}

#[tokio::test]
async fn provision_ftp_permission_on_gives_ftp_and_off_does_not() {
    protocol_permission(
        "entra_id",
        "provision_ftp_permission",
        "ftp_permission",
        "FTP",
    )
    .await;
}

#[tokio::test]
async fn provision_sftp_permission_on_gives_sftp_and_off_does_not() {
    protocol_permission(
        "jumpcloud",
        "provision_sftp_permission",
        "sftp_permission",
        "SFTP",
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// provision_time_zone

#[tokio::test]
async fn provision_time_zone_set_is_the_new_users_time_zone() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let set = admin
        .patch("/settings", &json!({"time_zone": "Europe/Berlin"}))
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    let okta = provision(
        &server,
        "okta",
        json!({"provision_time_zone": "America/New_York"}),
        okta_user("nyc@example.com"),
    )
    .await;
    assert_eq!(okta.user["time_zone"], "America/New_York", "{}", okta.user);
    assert_has(
        &okta.trace,
        "provision_time_zone = \"America/New_York\": time zone set",
    );
    assert_lacks(&okta.trace, "Europe/Berlin");
    server.stop().await;
}

#[tokio::test]
async fn provision_time_zone_blank_takes_the_sites_time_zone() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let set = admin
        .patch("/settings", &json!({"time_zone": "Asia/Tokyo"}))
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    assert_eq!(admin.get("/settings").await.body["time_zone"], "Asia/Tokyo");
    let jc = provision(&server, "jumpcloud", json!({}), jumpcloud_user("tokyo")).await;
    assert_eq!(jc.user["time_zone"], "Asia/Tokyo", "{}", jc.user);
    assert_has(
        &jc.trace,
        "provision_time_zone = \"\": blank → the site's time zone \"Asia/Tokyo\"",
    );

    // A first sign-in provisions the same way.
    let okta = server
        .provider_via_admin("okta", json!({"provision_users": true}))
        .await;
    let first = sign_in(&admin, &okta.provider_id, "signin@example.com", &[]).await;
    assert_eq!(first["user"]["time_zone"], "Asia/Tokyo", "{first}");
    let detail = admin.user_named("signin@example.com").await;
    assert_eq!(detail["user"]["time_zone"], "Asia/Tokyo", "{detail}");
    let history = admin.history_of("signin@example.com").await;
    assert_has(
        &trace_of(newest(&history, "user_created")),
        "provision_time_zone = \"\": blank → the site's time zone \"Asia/Tokyo\"",
    );
    server.stop().await;
}
