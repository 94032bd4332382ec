//! Scenario tests of the provisioning model over real HTTP: SCIM requests shaped like a real
//! IdP's, asserting the site state, the history entries and the trace text.

use reqwest::StatusCode;
use serde_json::{Value, json};
use workbench_tests::TestServer;
use workbench_tests::idp::{assert_has, okta_group, okta_user, patch, traces};

#[tokio::test]
async fn a_user_held_by_the_required_groups_is_released_by_an_allowed_group_and_held_again() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = server
        .provider_via_admin("okta", json!({"provision_group_required": "IT, Support*"}))
        .await;

    let created = okta.post("/Users", &okta_user("held@example.com")).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let user_id = created.body["id"].as_str().expect("id").to_owned();
    let detail = admin.user_named("held@example.com").await;
    assert_eq!(detail["user"]["status"], "held");
    assert!(
        detail["user"]["held_reason"]
            .as_str()
            .unwrap_or_default()
            .contains("IT, Support*"),
        "{detail}"
    );
    let history = admin.history_of(&user_id).await;
    assert_eq!(history[0]["action"], "user_held");
    assert!(
        traces(&history)
            .contains("provision_group_required = \"IT, Support*\": user is in no groups"),
        "{}",
        traces(&history)
    );

    // Okta pushes the group, then the membership.
    let group = okta
        .post("/Groups", &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Support-EU", "members": []}))
        .await;
    assert_eq!(group.status, StatusCode::CREATED, "{}", group.body);
    let group_id = group.body["id"].as_str().expect("id").to_owned();
    let added = okta
        .patch(
            &format!("/Groups/{group_id}"),
            &patch(json!([{"op": "add", "path": "members", "value": [{"value": user_id, "display": "held@example.com"}]}])),
        )
        .await;
    assert_eq!(added.status, StatusCode::NO_CONTENT, "{}", added.body);
    let detail = admin.user_named("held@example.com").await;
    assert_eq!(detail["user"]["status"], "active", "{detail}");
    let history = admin.history_of(&user_id).await;
    assert_eq!(history[0]["action"], "user_released", "{history:?}");
    assert_has(
        &traces(&history[..1]),
        "provision_group_required = \"IT, Support*\": user is in \"Support-EU\" → provisioned",
    );
    let support = admin.group_named("Support-EU").await;
    let member = &support["members"][0];
    assert_eq!(member["name"], "held@example.com");
    assert_eq!(member["on_site"], true, "{support}");

    // Removed from the group: held again, and off the site group.
    let removed = okta
        .patch(
            &format!("/Groups/{group_id}"),
            &patch(json!([{"op": "remove", "path": format!("members[value eq \"{user_id}\"]")}])),
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.body);
    let detail = admin.user_named("held@example.com").await;
    assert_eq!(detail["user"]["status"], "held", "{detail}");
    let history = admin.history_of(&user_id).await;
    assert_eq!(history[0]["action"], "user_held", "{history:?}");
    let support = admin.group_named("Support-EU").await;
    assert_eq!(support["members"], json!([]), "{support}");
    server.stop().await;
}

#[tokio::test]
async fn a_group_matching_the_inclusion_list_is_still_held_by_the_exclusion_list() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = server
        .provider_via_admin(
            "okta",
            json!({"provision_group_inclusion": "Eng*", "provision_group_exclusion": "*-test"}),
        )
        .await;
    let user = okta.post("/Users", &okta_user("eve@example.com")).await;
    let user_id = user.body["id"].as_str().expect("id").to_owned();

    let held = okta.post("/Groups", &okta_group("Eng-test")).await;
    assert_eq!(
        held.status,
        StatusCode::CREATED,
        "the IdP's request succeeds: {}",
        held.body
    );
    let kept = okta.post("/Groups", &okta_group("Eng-Platform")).await;
    assert_eq!(kept.status, StatusCode::CREATED);

    let detail = admin.group_named("Eng-test").await;
    assert_eq!(detail["group"]["status"], "held", "{detail}");
    assert!(
        detail["group"]["held_reason"]
            .as_str()
            .unwrap_or_default()
            .contains("provision_group_exclusion")
    );
    let history = admin.history_of("Eng-test").await;
    assert_eq!(history[0]["action"], "group_held");
    let trace = traces(&history);
    assert_has(
        &trace,
        "provision_group_exclusion = \"*-test\": group \"Eng-test\" matches → held (despite matching provision_group_inclusion \"Eng*\": the exclusion wins)",
    );
    assert_eq!(
        admin.group_named("Eng-Platform").await["group"]["status"],
        "active"
    );

    // A member pushed into the held group is recorded, not applied.
    let held_id = held.body["id"].as_str().expect("id").to_owned();
    let pushed = okta
        .patch(
            &format!("/Groups/{held_id}"),
            &patch(json!([{"op": "add", "path": "members", "value": [{"value": user_id}]}])),
        )
        .await;
    assert_eq!(pushed.status, StatusCode::NO_CONTENT);
    let detail = admin.group_named("Eng-test").await;
    assert_eq!(detail["members"][0]["from_idp"], true, "{detail}");
    assert_eq!(detail["members"][0]["on_site"], false, "{detail}");
    let fetched = okta.get(&format!("/Groups/{held_id}")).await;
    assert_eq!(
        fetched.body["members"][0]["value"],
        user_id.as_str(),
        "the IdP still sees its member"
    );
    server.stop().await;
}

#[tokio::test]
async fn site_admin_wins_over_read_only_admin_and_roles_follow_membership_changes() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = server
        .provider_via_admin(
            "okta",
            json!({
                "provision_site_admin_groups": "IT-Admins",
                "provision_readonly_site_admin_groups": "Auditors"
            }),
        )
        .await;
    let user = okta.post("/Users", &okta_user("root@example.com")).await;
    let user_id = user.body["id"].as_str().expect("id").to_owned();
    assert_eq!(
        admin.user_named("root@example.com").await["user"]["role"],
        "user"
    );
    let mut group_ids = Vec::new();
    for name in ["Auditors", "IT-Admins"] {
        let created = okta.post("/Groups", &okta_group(name)).await;
        let id = created.body["id"].as_str().expect("id").to_owned();
        let added = okta
            .patch(
                &format!("/Groups/{id}"),
                &patch(json!([{"op": "add", "path": "members", "value": [{"value": user_id}]}])),
            )
            .await;
        assert_eq!(added.status, StatusCode::NO_CONTENT);
        group_ids.push(id);
    }
    let detail = admin.user_named("root@example.com").await;
    assert_eq!(
        detail["user"]["role"], "site_admin",
        "in both groups, site admin wins: {detail}"
    );
    let history = admin.history_of(&user_id).await;
    assert_eq!(history[0]["action"], "role_changed");
    assert_eq!(
        history[0]["detail"],
        "user root@example.com role changed from readonly_site_admin to site_admin"
    );
    assert_has(
        &traces(&history[..1]),
        "provision_site_admin_groups = \"IT-Admins\": user is in \"IT-Admins\" → role site_admin",
    );

    // Out of IT-Admins: back to read-only admin; out of Auditors too: a plain user.
    for (id, expected) in [
        (&group_ids[1], "readonly_site_admin"),
        (&group_ids[0], "user"),
    ] {
        let removed = okta
            .patch(
                &format!("/Groups/{id}"),
                &patch(
                    json!([{"op": "remove", "path": format!("members[value eq \"{user_id}\"]")}]),
                ),
            )
            .await;
        assert_eq!(removed.status, StatusCode::NO_CONTENT);
        assert_eq!(
            admin.user_named("root@example.com").await["user"]["role"],
            expected
        );
    }
    let history = admin.history_of(&user_id).await;
    assert_has(
        &traces(&history[..1]),
        "user is in none of them → role user",
    );
    server.stop().await;
}

#[tokio::test]
async fn an_entra_provider_refuses_group_filters_and_keeps_its_options() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let refused = admin
        .post(
            "/providers",
            &json!({"name": "Entra", "kind": "entra_id", "fields": {"provision_group_required": "IT"}}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert_eq!(refused.body["error"], "invalid");
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("Entra ID does not send group memberships on users"),
        "{}",
        refused.body
    );
    assert_eq!(
        admin.get("/providers").await.body,
        json!([]),
        "nothing was created"
    );

    let entra = server
        .provider_via_admin(
            "entra_id",
            json!({"provision_site_admin_groups": "IT-Admins"}),
        )
        .await;
    for field in [
        "provision_group_required",
        "provision_group_inclusion",
        "provision_group_exclusion",
    ] {
        let change = admin
            .patch(
                &format!("/providers/{}", entra.provider_id),
                &json!({ field: "IT*", "provision_company": "Changed" }),
            )
            .await;
        assert_eq!(
            change.status,
            StatusCode::BAD_REQUEST,
            "{field}: {}",
            change.body
        );
        assert!(
            change.body["detail"]
                .as_str()
                .unwrap_or_default()
                .starts_with(field),
            "{}",
            change.body
        );
    }
    let view = admin
        .get(&format!("/providers/{}", entra.provider_id))
        .await;
    assert_eq!(view.body["options"]["provision_group_required"], "");
    assert_eq!(
        view.body["options"]["provision_company"], "",
        "a refused change writes nothing"
    );
    assert_eq!(
        view.body["options"]["provision_site_admin_groups"],
        "IT-Admins"
    );
    server.stop().await;
}

#[tokio::test]
async fn deprovision_behavior_delete_removes_the_account_and_disable_keeps_it() {
    let server = TestServer::start().await;
    let admin = server.admin();
    for (behavior, name) in [
        ("delete", "gone@example.com"),
        ("disable", "kept@example.com"),
    ] {
        let okta = server
            .provider_via_admin("okta", json!({"deprovision_behavior": behavior}))
            .await;
        let created = okta.post("/Users", &okta_user(name)).await;
        let id = created.body["id"].as_str().expect("id").to_owned();
        let deleted = okta.delete(&format!("/Users/{id}")).await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        assert_eq!(
            okta.get(&format!("/Users/{id}")).await.status,
            StatusCode::NOT_FOUND,
            "{behavior}"
        );
        let history = admin.history_of(&id).await;
        let detail = admin.get(&format!("/users/{id}")).await;
        match behavior {
            "delete" => {
                assert_eq!(detail.status, StatusCode::NOT_FOUND, "{}", detail.body);
                assert_eq!(history[0]["action"], "user_deleted");
                assert!(
                    traces(&history[..1])
                        .contains("deprovision_behavior = delete: 'gone@example.com' deleted")
                );
            }
            _ => {
                assert_eq!(detail.body["user"]["status"], "disabled", "{}", detail.body);
                assert_eq!(detail.body["user"]["disabled_reason"], "deprovisioned");
                assert_eq!(
                    detail.body["user"]["provider_id"],
                    okta.provider_id.as_str(),
                    "still linked"
                );
                assert_eq!(history[0]["action"], "user_disabled");
                assert!(traces(&history[..1]).contains(
                    "deprovision_behavior = disable: 'kept@example.com' disabled, kept for audit"
                ));
                // The same provider creating it again brings the same account back.
                let again = okta.post("/Users", &okta_user(name)).await;
                assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
                assert_eq!(again.body["id"], id.as_str(), "the same account");
                let detail = admin.get(&format!("/users/{id}")).await;
                assert_eq!(detail.body["user"]["status"], "active");
                assert_eq!(
                    admin
                        .history_of(&id)
                        .await
                        .last()
                        .map(|e| e["action"].clone()),
                    Some(json!("user_created"))
                );
                assert!(
                    admin
                        .history_of(&id)
                        .await
                        .iter()
                        .any(|e| e["action"] == "user_reprovisioned")
                );
            }
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn with_deprovision_users_off_a_delete_only_ends_scim_management() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = server
        .provider_via_admin("okta", json!({"deprovision_users": false}))
        .await;
    let created = okta.post("/Users", &okta_user("stays@example.com")).await;
    let id = created.body["id"].as_str().expect("id").to_owned();
    assert_eq!(
        okta.delete(&format!("/Users/{id}")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        okta.get(&format!("/Users/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    let detail = admin.get(&format!("/users/{id}")).await.body;
    assert_eq!(detail["user"]["status"], "active", "{detail}");
    assert_eq!(detail["user"]["managed"], false);
    assert_eq!(detail["user"]["provider_id"], Value::Null);
    assert_eq!(detail["user"]["authentication_method"], "password");
    let history = admin.history_of(&id).await;
    assert_eq!(history[0]["action"], "user_unlinked");
    assert_has(
        &traces(&history[..1]),
        "deprovision_users = false: the IdP's DELETE ends SCIM management; 'stays@example.com' stays, active, as a local account",
    );
    // Now a local account: the provider cannot create it again.
    let again = okta.post("/Users", &okta_user("stays@example.com")).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.body["scimType"], "uniqueness");
    server.stop().await;
}

#[tokio::test]
async fn an_existing_local_user_is_not_adopted_until_associated_then_it_is_managed() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let local = admin
        .post(
            "/users",
            &json!({"username": "grace@example.com", "email": "grace@example.com"}),
        )
        .await;
    assert_eq!(local.status, StatusCode::CREATED, "{}", local.body);
    let id = local.body["id"].as_str().expect("id").to_owned();
    let okta = server.provider_via_admin("okta", json!({})).await;

    let refused = okta.post("/Users", &okta_user("grace@example.com")).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.body["scimType"], "uniqueness");
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("associate the account with this SSO provider first"),
        "{}",
        refused.body
    );
    assert_eq!(
        okta.get(&format!("/Users/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    let listed = okta.get("/Users").await;
    assert_eq!(
        listed.body["totalResults"], 0,
        "the provider sees none of the site's local users"
    );

    let associated = admin
        .post(
            &format!("/users/{id}/associate"),
            &json!({"provider_id": okta.provider_id}),
        )
        .await;
    assert_eq!(associated.status, StatusCode::OK, "{}", associated.body);
    assert_eq!(associated.body["managed"], true);
    assert_eq!(associated.body["authentication_method"], "sso");
    assert_eq!(admin.history_of(&id).await[0]["action"], "user_associated");

    // Now the IdP finds it (Okta's exists check), and manages it.
    let found = okta
        .get(&format!(
            "/Users?filter={}",
            workbench_tests::encode("userName eq \"grace@example.com\"")
        ))
        .await;
    assert_eq!(found.body["totalResults"], 1, "{}", found.body);
    let mut body = okta_user("grace@example.com");
    body["active"] = json!(false);
    let updated = okta.put(&format!("/Users/{id}"), &body).await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    let detail = admin.get(&format!("/users/{id}")).await.body;
    assert_eq!(detail["user"]["status"], "disabled");
    assert_eq!(detail["user"]["disabled_reason"], "idp");
    server.stop().await;
}
