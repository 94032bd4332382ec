//! End-to-end tests of the group-driven provisioning options (SPEC.md, "The site model"), one
//! option at a time, each shown set and unset: SCIM requests shaped like Okta's, Entra ID's,
//! JumpCloud's and OneLogin's (IDP-NOTES.md), then the site state through the admin API, the
//! history entries and the decision trace they carry.

use reqwest::StatusCode;
use serde_json::{Value, json};
use workbench_tests::TestServer;
use workbench_tests::idp::*;

// ---------------------------------------------------------------------------------------------
// provision_groups

#[tokio::test]
async fn provision_groups_on_applies_an_okta_membership_to_the_site_group() {
    let server = TestServer::start().await;
    let admin = server.admin();
    // The default: provision_groups on.
    let okta = server.provider_via_admin("okta", json!({})).await;
    let alice = create_user(&okta, okta_user("alice@example.com")).await;

    // Okta's exists check, the create with `members: []`, then its push of id + displayName.
    let exists = okta
        .get(&format!(
            "/Groups?filter={}",
            workbench_tests::encode("displayName eq \"Engineering\"")
        ))
        .await;
    assert_eq!(exists.body["totalResults"], 0, "{}", exists.body);
    let group = create_group(&okta, okta_group("Engineering")).await;
    patch_group(
        &okta,
        &group,
        patch(json!([{"op": "replace", "value": {"id": group, "displayName": "Engineering"}}])),
    )
    .await;
    patch_group(&okta, &group, okta_add(&alice, "alice@example.com")).await;

    let detail = admin.user_named("alice@example.com").await;
    let membership = user_group(&detail, "Engineering").expect("alice is in Engineering");
    assert_eq!(membership["on_site"], true, "{detail}");
    assert_eq!(membership["from_idp"], true, "{detail}");
    let engineering = admin.group_named("Engineering").await;
    assert_eq!(engineering["group"]["site_members"], 1, "{engineering}");
    let member = group_member(&engineering, "alice@example.com").expect("alice listed");
    assert_eq!(member["on_site"], true, "{engineering}");

    let history = admin.history_of(&group).await;
    let added = newest(&history, "member_added");
    assert_eq!(added["interface"], "SCIM");
    assert_eq!(added["detail"], "alice@example.com added to Engineering");
    assert!(
        trace_of(added)
            .contains("provision_groups = true: 'alice@example.com' added to \"Engineering\""),
        "{}",
        trace_of(added)
    );
    server.stop().await;
}

#[tokio::test]
async fn provision_groups_off_records_the_membership_without_applying_it() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = server
        .provider_via_admin("okta", json!({"provision_groups": false}))
        .await;
    let bob = create_user(&okta, okta_user("bob@example.com")).await;
    let group = create_group(&okta, okta_group("Engineering")).await;

    let trace = dry_run(
        &admin,
        &okta,
        "PATCH",
        &format!("/Groups/{group}"),
        okta_add(&bob, "bob@example.com"),
    )
    .await;
    assert_has(
        &trace,
        "provision_groups = false: 'bob@example.com' in \"Engineering\" recorded, not applied to the site",
    );
    patch_group(&okta, &group, okta_add(&bob, "bob@example.com")).await;

    // The IdP sees its membership; the site group does not have the member.
    let scim_group = okta.get(&format!("/Groups/{group}")).await;
    assert_eq!(
        scim_group.body["members"][0]["value"],
        bob.as_str(),
        "{}",
        scim_group.body
    );
    let detail = admin.user_named("bob@example.com").await;
    let membership = user_group(&detail, "Engineering").expect("the IdP's membership is recorded");
    assert_eq!(membership["from_idp"], true, "{detail}");
    assert_eq!(membership["on_site"], false, "{detail}");
    let engineering = admin.group_named("Engineering").await;
    assert_eq!(engineering["group"]["site_members"], 0, "{engineering}");
    let member = group_member(&engineering, "bob@example.com").expect("bob listed by the IdP");
    assert_eq!(member["on_site"], false, "{engineering}");
    assert_eq!(member["from_idp"], true, "{engineering}");
    let history = admin.history_of(&group).await;
    assert!(
        !actions(&history).contains(&"member_added".to_owned()),
        "{:?}",
        actions(&history)
    );
    server.stop().await;
}

#[tokio::test]
async fn provision_groups_off_still_lets_the_recorded_membership_decide_the_role() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = server
        .provider_via_admin(
            "okta",
            json!({"provision_groups": false, "provision_site_admin_groups": "Engineering"}),
        )
        .await;
    let bob = create_user(&okta, okta_user("bob@example.com")).await;
    let group = create_group(&okta, okta_group("Engineering")).await;
    patch_group(&okta, &group, okta_add(&bob, "bob@example.com")).await;

    let detail = admin.user_named("bob@example.com").await;
    assert_eq!(detail["user"]["role"], "site_admin", "{detail}");
    assert_eq!(
        user_group(&detail, "Engineering").expect("recorded")["on_site"],
        false
    );
    let history = admin.history_of(&bob).await;
    let changed = newest(&history, "role_changed");
    let trace = trace_of(changed);
    assert_has(
        &trace,
        "provision_groups = false: 'bob@example.com' in \"Engineering\" recorded, not applied to the site",
    );
    assert_has(
        &trace,
        "provision_site_admin_groups = \"Engineering\": user is in \"Engineering\" → role site_admin",
    );
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// deprovision_groups

#[tokio::test]
async fn deprovision_groups_on_takes_removed_members_off_the_site_group() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = server.provider_via_admin("okta", json!({})).await;
    let alice = create_user(&okta, okta_user("alice@example.com")).await;
    let carl = create_user(&okta, okta_user("carl@example.com")).await;
    let group = create_group(&okta, okta_group("Engineering")).await;
    patch_group(&okta, &group, okta_add(&alice, "alice@example.com")).await;
    patch_group(&okta, &group, okta_add(&carl, "carl@example.com")).await;

    // Okta's filtered removal.
    patch_group(&okta, &group, okta_remove(&alice)).await;
    let detail = admin.user_named("alice@example.com").await;
    assert!(user_group(&detail, "Engineering").is_none(), "{detail}");
    let history = admin.history_of(&group).await;
    let removed = newest(&history, "member_removed");
    assert_eq!(
        removed["detail"],
        "alice@example.com removed from Engineering"
    );
    assert_has(
        &trace_of(removed),
        "deprovision_groups = true: 'alice@example.com' removed from \"Engineering\"",
    );

    // Okta's full replace of the member list drops carl.
    patch_group(
        &okta,
        &group,
        patch(json!([{"op": "replace", "path": "members", "value": []}])),
    )
    .await;
    let engineering = admin.group_named("Engineering").await;
    assert_eq!(engineering["members"], json!([]), "{engineering}");
    let history = admin.history_of(&group).await;
    assert_eq!(
        history[0]["action"],
        "member_removed",
        "{:?}",
        actions(&history)
    );
    assert_eq!(
        history[0]["detail"],
        "carl@example.com removed from Engineering"
    );
    server.stop().await;
}

#[tokio::test]
async fn deprovision_groups_off_keeps_removed_members_on_the_site_group() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let entra = server
        .provider_via_admin("entra_id", json!({"deprovision_groups": false}))
        .await;
    let adele = create_user(&entra, entra_user("AdeleV@contoso.example")).await;
    let alex = create_user(&entra, entra_user("AlexW@contoso.example")).await;
    let group = create_group(&entra, entra_group("Sales and Marketing")).await;
    patch_group(&entra, &group, members_op("Add", &[&adele, &alex])).await;
    let sales = admin.group_named("Sales and Marketing").await;
    assert_eq!(sales["group"]["site_members"], 2, "{sales}");

    let trace = dry_run(
        &admin,
        &entra,
        "PATCH",
        &format!("/Groups/{group}"),
        members_op("Remove", &[&adele]),
    )
    .await;
    assert_has(
        &trace,
        "deprovision_groups = false: 'AdeleV@contoso.example' stays in \"Sales and Marketing\" on the site",
    );
    patch_group(&entra, &group, members_op("Remove", &[&adele])).await;

    // Entra's membership check no longer finds her; the site group still has her.
    let check = entra
        .get(&format!(
            "/Groups?excludedAttributes=members&filter={}",
            workbench_tests::encode(&format!(
                "id eq \"{group}\" and members[value eq \"{adele}\"]"
            ))
        ))
        .await;
    assert_eq!(check.body["totalResults"], 0, "{}", check.body);
    let detail = admin.user_named("AdeleV@contoso.example").await;
    let membership = user_group(&detail, "Sales and Marketing").expect("still a site member");
    assert_eq!(membership["on_site"], true, "{detail}");
    assert_eq!(membership["from_idp"], false, "{detail}");
    let sales = admin.group_named("Sales and Marketing").await;
    assert_eq!(sales["group"]["site_members"], 2, "{sales}");
    let history = admin.history_of(&group).await;
    assert!(
        !actions(&history).contains(&"member_removed".to_owned()),
        "{:?}",
        actions(&history)
    );
    server.stop().await;
}

#[tokio::test]
async fn deprovision_groups_on_deletes_the_site_group_when_the_idp_deletes_it() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = server.provider_via_admin("okta", json!({})).await;
    let alice = create_user(&okta, okta_user("alice@example.com")).await;
    let group = create_group(&okta, okta_group("Engineering")).await;
    patch_group(&okta, &group, okta_add(&alice, "alice@example.com")).await;

    let deleted = okta.delete(&format!("/Groups/{group}")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    assert_eq!(
        okta.get(&format!("/Groups/{group}")).await.status,
        StatusCode::NOT_FOUND
    );
    let gone = admin.get(&format!("/groups/{group}")).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "{}", gone.body);
    let detail = admin.user_named("alice@example.com").await;
    assert_eq!(detail["groups"], json!([]), "{detail}");
    let history = admin.history_of(&group).await;
    assert_eq!(
        history[0]["action"],
        "group_deleted",
        "{:?}",
        actions(&history)
    );
    assert_eq!(history[0]["detail"], "group Engineering deleted");
    assert_has(
        &trace_of(&history[0]),
        "deprovision_groups = true: the IdP deleted \"Engineering\" → the site group and its memberships are removed",
    );
    server.stop().await;
}

#[tokio::test]
async fn deprovision_groups_off_keeps_a_deleted_group_as_a_local_group() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = server
        .provider_via_admin("okta", json!({"deprovision_groups": false}))
        .await;
    let alice = create_user(&okta, okta_user("alice@example.com")).await;
    let group = create_group(&okta, okta_group("Engineering")).await;
    patch_group(&okta, &group, okta_add(&alice, "alice@example.com")).await;

    let deleted = okta.delete(&format!("/Groups/{group}")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    assert_eq!(
        okta.get(&format!("/Groups/{group}")).await.status,
        StatusCode::NOT_FOUND
    );
    let engineering = admin.group_named("Engineering").await;
    assert_eq!(engineering["group"]["id"], group.as_str());
    assert_eq!(engineering["group"]["managed"], false, "{engineering}");
    assert_eq!(
        engineering["group"]["provider_id"],
        Value::Null,
        "{engineering}"
    );
    let member = group_member(&engineering, "alice@example.com").expect("alice stays");
    assert_eq!(member["on_site"], true, "{engineering}");
    assert_eq!(member["from_idp"], false, "{engineering}");
    let history = admin.history_of(&group).await;
    assert_eq!(
        history[0]["action"],
        "group_unlinked",
        "{:?}",
        actions(&history)
    );
    assert_eq!(
        history[0]["detail"],
        "group Engineering is no longer managed by okta e2e; kept as a local group"
    );
    assert_has(
        &trace_of(&history[0]),
        "deprovision_groups = false: the IdP deleted \"Engineering\" → SCIM management ends; the group stays, with its members, as a local group",
    );
    // Now a local group: SCIM does not adopt it back.
    let again = okta.post("/Groups", &okta_group("Engineering")).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert_eq!(again.body["scimType"], "uniqueness", "{}", again.body);
    assert!(
        again.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("it is a local group"),
        "{}",
        again.body
    );
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// provision_group_inclusion

#[tokio::test]
async fn provision_group_inclusion_holds_groups_that_do_not_match_and_releases_them_on_rename() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = server
        .provider_via_admin("okta", json!({"provision_group_inclusion": "Eng*"}))
        .await;
    let alice = create_user(&okta, okta_user("alice@example.com")).await;

    let engineering = create_group(&okta, okta_group("Engineering")).await;
    let history = admin.history_of(&engineering).await;
    assert_eq!(
        history[0]["action"],
        "group_created",
        "{:?}",
        actions(&history)
    );
    assert_has(
        &trace_of(&history[0]),
        "provision_group_inclusion = \"Eng*\": group \"Engineering\" matches → provisioned",
    );
    assert_eq!(
        admin.group_named("Engineering").await["group"]["status"],
        "active"
    );

    let marketing = create_group(&okta, okta_group("Marketing")).await;
    let detail = admin.group_named("Marketing").await;
    assert_eq!(detail["group"]["status"], "held", "{detail}");
    assert_eq!(
        detail["group"]["held_reason"],
        "not in provision_group_inclusion \"Eng*\""
    );
    let history = admin.history_of(&marketing).await;
    assert_eq!(
        history[0]["action"],
        "group_held",
        "{:?}",
        actions(&history)
    );
    assert_eq!(
        history[0]["detail"],
        "group Marketing created, held: not in provision_group_inclusion \"Eng*\""
    );
    assert_has(
        &trace_of(&history[0]),
        "provision_group_inclusion = \"Eng*\": group \"Marketing\" does not match → held",
    );
    // The held group is still the IdP's resource.
    assert_eq!(
        okta.get(&format!("/Groups/{marketing}")).await.status,
        StatusCode::OK
    );

    patch_group(&okta, &engineering, okta_add(&alice, "alice@example.com")).await;
    let trace = dry_run(
        &admin,
        &okta,
        "PATCH",
        &format!("/Groups/{marketing}"),
        okta_add(&alice, "alice@example.com"),
    )
    .await;
    assert_has(
        &trace,
        "group \"Marketing\" is held (not in provision_group_inclusion \"Eng*\"): 'alice@example.com' recorded as a member, not applied",
    );
    patch_group(&okta, &marketing, okta_add(&alice, "alice@example.com")).await;
    let detail = admin.user_named("alice@example.com").await;
    let eng = user_group(&detail, "Engineering").expect("in Engineering");
    assert_eq!(
        (&eng["on_site"], &eng["group_status"]),
        (&json!(true), &json!("active")),
        "{detail}"
    );
    let mkt = user_group(&detail, "Marketing").expect("listed in Marketing");
    assert_eq!(mkt["group_status"], "held", "{detail}");
    assert_eq!(mkt["on_site"], false, "{detail}");
    assert_eq!(mkt["from_idp"], true, "{detail}");

    // Okta renames the group to a name the inclusion list matches: released, members applied.
    patch_group(
        &okta,
        &marketing,
        patch(
            json!([{"op": "replace", "value": {"id": marketing, "displayName": "Eng-Marketing"}}]),
        ),
    )
    .await;
    let detail = admin.group_named("Eng-Marketing").await;
    assert_eq!(detail["group"]["status"], "active", "{detail}");
    assert_eq!(
        group_member(&detail, "alice@example.com").expect("alice")["on_site"],
        true
    );
    let history = admin.history_of(&marketing).await;
    let released = newest(&history, "group_released");
    assert_has(
        &trace_of(released),
        "provision_group_inclusion = \"Eng*\": group \"Eng-Marketing\" matches → provisioned",
    );
    let added = newest(&history, "member_added");
    assert!(
        trace_of(added)
            .contains("provision_groups = true: 'alice@example.com' added to \"Eng-Marketing\""),
        "{}",
        trace_of(added)
    );
    server.stop().await;
}

#[tokio::test]
async fn without_provision_group_inclusion_every_group_is_a_site_group() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = server.provider_via_admin("okta", json!({})).await;
    let alice = create_user(&okta, okta_user("alice@example.com")).await;
    let marketing = create_group(&okta, okta_group("Marketing")).await;
    patch_group(&okta, &marketing, okta_add(&alice, "alice@example.com")).await;

    let detail = admin.group_named("Marketing").await;
    assert_eq!(detail["group"]["status"], "active", "{detail}");
    assert_eq!(detail["group"]["held_reason"], Value::Null, "{detail}");
    assert_eq!(
        group_member(&detail, "alice@example.com").expect("alice")["on_site"],
        true
    );
    let history = admin.history_of(&marketing).await;
    assert_eq!(
        newest(&history, "group_created")["detail"],
        "group Marketing created"
    );
    assert!(
        !actions(&history).contains(&"group_held".to_owned()),
        "{:?}",
        actions(&history)
    );
    assert_lacks(&traces(&history), "provision_group_inclusion");
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// provision_group_exclusion

#[tokio::test]
async fn provision_group_exclusion_holds_matching_groups_even_when_the_inclusion_matches() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = server
        .provider_via_admin(
            "okta",
            json!({"provision_group_inclusion": "Eng*, Contractors", "provision_group_exclusion": "*Contractors"}),
        )
        .await;
    let alice = create_user(&okta, okta_user("alice@example.com")).await;

    let excluded = create_group(&okta, okta_group("Eng-Contractors")).await;
    let detail = admin.group_named("Eng-Contractors").await;
    assert_eq!(detail["group"]["status"], "held", "{detail}");
    assert_eq!(
        detail["group"]["held_reason"],
        "excluded by provision_group_exclusion \"*Contractors\""
    );
    let history = admin.history_of(&excluded).await;
    assert_eq!(
        history[0]["action"],
        "group_held",
        "{:?}",
        actions(&history)
    );
    assert_has(
        &trace_of(&history[0]),
        "provision_group_exclusion = \"*Contractors\": group \"Eng-Contractors\" matches → held (despite matching provision_group_inclusion \"Eng*, Contractors\": the exclusion wins)",
    );
    patch_group(&okta, &excluded, okta_add(&alice, "alice@example.com")).await;
    let detail = admin.group_named("Eng-Contractors").await;
    let member = group_member(&detail, "alice@example.com").expect("listed by the IdP");
    assert_eq!(
        (&member["on_site"], &member["from_idp"]),
        (&json!(false), &json!(true)),
        "{detail}"
    );

    let core = create_group(&okta, okta_group("Eng-Core")).await;
    assert_eq!(
        admin.group_named("Eng-Core").await["group"]["status"],
        "active"
    );
    let history = admin.history_of(&core).await;
    assert_has(
        &trace_of(&history[0]),
        "provision_group_inclusion = \"Eng*, Contractors\": group \"Eng-Core\" matches → provisioned",
    );
    assert_lacks(&trace_of(&history[0]), "provision_group_exclusion");
    server.stop().await;
}

#[tokio::test]
async fn without_provision_group_exclusion_the_inclusion_alone_decides() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = server
        .provider_via_admin("okta", json!({"provision_group_inclusion": "Eng*"}))
        .await;
    let alice = create_user(&okta, okta_user("alice@example.com")).await;
    let group = create_group(&okta, okta_group("Eng-Contractors")).await;
    patch_group(&okta, &group, okta_add(&alice, "alice@example.com")).await;

    let detail = admin.group_named("Eng-Contractors").await;
    assert_eq!(detail["group"]["status"], "active", "{detail}");
    assert_eq!(
        group_member(&detail, "alice@example.com").expect("alice")["on_site"],
        true
    );
    let history = admin.history_of(&group).await;
    let created = newest(&history, "group_created");
    assert_has(
        &trace_of(created),
        "provision_group_inclusion = \"Eng*\": group \"Eng-Contractors\" matches → provisioned",
    );
    assert_lacks(&traces(&history), "provision_group_exclusion");
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// provision_site_admin_groups, provision_readonly_site_admin_groups

#[tokio::test]
async fn site_admin_group_lists_set_the_role_from_okta_pushes_and_recompute_it_on_removal() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = server
        .provider_via_admin(
            "okta",
            json!({"provision_site_admin_groups": "Admins", "provision_readonly_site_admin_groups": "Auditors"}),
        )
        .await;
    let carol = create_user(&okta, okta_user("carol@example.com")).await;
    let admins = create_group(&okta, okta_group("Admins")).await;
    let auditors = create_group(&okta, okta_group("Auditors")).await;

    let detail = admin.user_named("carol@example.com").await;
    assert_eq!(detail["user"]["role"], "user", "{detail}");
    let history = admin.history_of(&carol).await;
    assert!(
        trace_of(newest(&history, "user_created")).contains(
            "provision_site_admin_groups = \"Admins\", provision_readonly_site_admin_groups = \"Auditors\": user is in none of them → role user"
        ),
        "{}",
        traces(&history)
    );

    // Into Auditors: read-only site admin.
    patch_group(&okta, &auditors, okta_add(&carol, "carol@example.com")).await;
    assert_eq!(
        admin.user_named("carol@example.com").await["user"]["role"],
        "readonly_site_admin"
    );
    let history = admin.history_of(&carol).await;
    assert_eq!(
        history[0]["action"],
        "role_changed",
        "{:?}",
        actions(&history)
    );
    assert_eq!(
        history[0]["detail"],
        "user carol@example.com role changed from user to readonly_site_admin"
    );
    assert_has(
        &trace_of(&history[0]),
        "provision_readonly_site_admin_groups = \"Auditors\": user is in \"Auditors\" → role readonly_site_admin",
    );

    // Into Admins as well: site admin wins.
    patch_group(&okta, &admins, okta_add(&carol, "carol@example.com")).await;
    assert_eq!(
        admin.user_named("carol@example.com").await["user"]["role"],
        "site_admin"
    );
    let history = admin.history_of(&carol).await;
    assert_eq!(
        history[0]["action"],
        "role_changed",
        "{:?}",
        actions(&history)
    );
    assert_eq!(
        history[0]["detail"],
        "user carol@example.com role changed from readonly_site_admin to site_admin"
    );
    assert_has(
        &trace_of(&history[0]),
        "provision_site_admin_groups = \"Admins\": user is in \"Admins\" → role site_admin",
    );

    // Out of Admins: back to read-only; out of Auditors: user.
    patch_group(&okta, &admins, okta_remove(&carol)).await;
    assert_eq!(
        admin.user_named("carol@example.com").await["user"]["role"],
        "readonly_site_admin"
    );
    let history = admin.history_of(&carol).await;
    assert_eq!(
        history[0]["detail"],
        "user carol@example.com role changed from site_admin to readonly_site_admin"
    );
    patch_group(&okta, &auditors, okta_remove(&carol)).await;
    assert_eq!(
        admin.user_named("carol@example.com").await["user"]["role"],
        "user"
    );
    let history = admin.history_of(&carol).await;
    assert_eq!(
        history[0]["action"],
        "role_changed",
        "{:?}",
        actions(&history)
    );
    assert_eq!(
        history[0]["detail"],
        "user carol@example.com role changed from readonly_site_admin to user"
    );
    assert_has(
        &trace_of(&history[0]),
        "provision_site_admin_groups = \"Admins\", provision_readonly_site_admin_groups = \"Auditors\": user is in none of them → role user",
    );
    let roles = history
        .iter()
        .filter(|e| e["action"] == "role_changed")
        .count();
    assert_eq!(roles, 4, "{:?}", actions(&history));
    server.stop().await;
}

#[tokio::test]
async fn readonly_site_admin_groups_follow_entra_value_array_adds_and_removes() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let entra = server
        .provider_via_admin(
            "entra_id",
            json!({"provision_readonly_site_admin_groups": "Audit*"}),
        )
        .await;
    let adele = create_user(&entra, entra_user("AdeleV@contoso.example")).await;
    let group = create_group(&entra, entra_group("Auditors EU")).await;

    patch_group(&entra, &group, members_op("Add", &[&adele])).await;
    assert_eq!(
        admin.user_named("AdeleV@contoso.example").await["user"]["role"],
        "readonly_site_admin"
    );
    let history = admin.history_of(&adele).await;
    assert_eq!(
        history[0]["action"],
        "role_changed",
        "{:?}",
        actions(&history)
    );
    assert_has(
        &trace_of(&history[0]),
        "provision_readonly_site_admin_groups = \"Audit*\": user is in \"Auditors EU\" → role readonly_site_admin",
    );

    patch_group(&entra, &group, members_op("Remove", &[&adele])).await;
    assert_eq!(
        admin.user_named("AdeleV@contoso.example").await["user"]["role"],
        "user"
    );
    let history = admin.history_of(&adele).await;
    assert_eq!(
        history[0]["action"],
        "role_changed",
        "{:?}",
        actions(&history)
    );
    assert_eq!(
        history[0]["detail"],
        "user AdeleV@contoso.example role changed from readonly_site_admin to user"
    );
    assert_has(
        &trace_of(&history[0]),
        "provision_readonly_site_admin_groups = \"Audit*\": user is in none of them → role user",
    );
    server.stop().await;
}

#[tokio::test]
async fn without_site_admin_group_lists_membership_of_admins_leaves_the_role_alone() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let entra = server.provider_via_admin("entra_id", json!({})).await;
    let adele = create_user(&entra, entra_user("AdeleV@contoso.example")).await;
    let admins = create_group(&entra, entra_group("Admins")).await;
    let auditors = create_group(&entra, entra_group("Auditors")).await;
    patch_group(&entra, &admins, members_op("Add", &[&adele])).await;
    patch_group(&entra, &auditors, members_op("Add", &[&adele])).await;

    let detail = admin.user_named("AdeleV@contoso.example").await;
    assert_eq!(detail["user"]["role"], "user", "{detail}");
    assert_eq!(
        user_group(&detail, "Admins").expect("in Admins")["on_site"],
        true
    );
    let history = admin.history_of(&adele).await;
    assert!(
        !actions(&history).contains(&"role_changed".to_owned()),
        "{:?}",
        actions(&history)
    );
    let all = [
        admin.history_of(&admins).await,
        admin.history_of(&auditors).await,
        history,
    ]
    .concat();
    assert_lacks(&traces(&all), "site_admin_groups");
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// provision_group_admin_groups

#[tokio::test]
async fn group_admin_groups_make_members_admins_of_their_provisioned_groups() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let jumpcloud = server
        .provider_via_admin(
            "jumpcloud",
            json!({"provision_group_admin_groups": "Team Leads"}),
        )
        .await;
    let lead = create_user(&jumpcloud, jumpcloud_user("lead")).await;
    let dev = create_user(&jumpcloud, jumpcloud_user("dev")).await;
    let engineering = create_group(
        &jumpcloud,
        json!({"schemas": [GROUP_URN], "displayName": "Engineering"}),
    )
    .await;
    let leads = create_group(
        &jumpcloud,
        json!({"schemas": [GROUP_URN], "displayName": "Team Leads"}),
    )
    .await;

    patch_group(&jumpcloud, &engineering, members_op("add", &[&lead, &dev])).await;
    // JumpCloud resends the same add: idempotent.
    patch_group(&jumpcloud, &engineering, members_op("add", &[&lead, &dev])).await;
    let detail = admin.group_named("Engineering").await;
    assert_eq!(
        group_member(&detail, "lead").expect("lead")["admin"],
        false,
        "{detail}"
    );

    patch_group(&jumpcloud, &leads, members_op("add", &[&lead])).await;
    let detail = admin.group_named("Engineering").await;
    let lead_member = group_member(&detail, "lead").expect("lead");
    assert_eq!(
        (&lead_member["on_site"], &lead_member["admin"]),
        (&json!(true), &json!(true)),
        "{detail}"
    );
    assert_eq!(
        group_member(&detail, "dev").expect("dev")["admin"],
        false,
        "{detail}"
    );
    let user = admin.user_named("lead").await;
    assert_eq!(
        user_group(&user, "Engineering").expect("Engineering")["admin"],
        true,
        "{user}"
    );
    assert_eq!(
        user_group(&user, "Team Leads").expect("Team Leads")["admin"],
        true,
        "{user}"
    );
    let history = admin.history_of(&engineering).await;
    assert_eq!(
        history[0]["action"],
        "group_admin_granted",
        "{:?}",
        actions(&history)
    );
    assert_eq!(history[0]["detail"], "lead now administers Engineering");
    assert_has(
        &trace_of(&history[0]),
        "provision_group_admin_groups = \"Team Leads\": user is in \"Team Leads\" → group admin of its groups",
    );

    // A group pushed later with the lead in it: administered from the start.
    let design = create_group(
        &jumpcloud,
        json!({"schemas": [GROUP_URN], "displayName": "Design", "members": [{"value": lead}, {"value": dev}]}),
    )
    .await;
    let detail = admin.group_named("Design").await;
    assert_eq!(
        group_member(&detail, "lead").expect("lead")["admin"],
        true,
        "{detail}"
    );
    assert_eq!(
        group_member(&detail, "dev").expect("dev")["admin"],
        false,
        "{detail}"
    );
    assert_eq!(
        newest(&admin.history_of(&design).await, "group_admin_granted")["detail"],
        "lead now administers Design"
    );

    // Out of Team Leads (a value-array removal): no longer an admin anywhere.
    patch_group(&jumpcloud, &leads, members_op("remove", &[&lead])).await;
    let user = admin.user_named("lead").await;
    assert!(user_group(&user, "Team Leads").is_none(), "{user}");
    assert_eq!(
        user_group(&user, "Engineering").expect("Engineering")["admin"],
        false,
        "{user}"
    );
    assert_eq!(
        user_group(&user, "Design").expect("Design")["admin"],
        false,
        "{user}"
    );
    let history = admin.history_of(&engineering).await;
    assert_eq!(
        history[0]["action"],
        "group_admin_revoked",
        "{:?}",
        actions(&history)
    );
    assert_eq!(
        history[0]["detail"],
        "lead no longer administers Engineering"
    );
    assert_has(
        &trace_of(&history[0]),
        "provision_group_admin_groups = \"Team Leads\": user is in none of them → not a group admin",
    );
    server.stop().await;
}

#[tokio::test]
async fn without_group_admin_groups_no_member_administers_a_group() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let jumpcloud = server.provider_via_admin("jumpcloud", json!({})).await;
    let lead = create_user(&jumpcloud, jumpcloud_user("lead")).await;
    let engineering = create_group(
        &jumpcloud,
        json!({"schemas": [GROUP_URN], "displayName": "Engineering"}),
    )
    .await;
    let leads = create_group(
        &jumpcloud,
        json!({"schemas": [GROUP_URN], "displayName": "Team Leads"}),
    )
    .await;
    patch_group(&jumpcloud, &engineering, members_op("add", &[&lead])).await;
    patch_group(&jumpcloud, &leads, members_op("add", &[&lead])).await;

    let user = admin.user_named("lead").await;
    for group in ["Engineering", "Team Leads"] {
        let membership = user_group(&user, group).expect("a member");
        assert_eq!(
            (&membership["on_site"], &membership["admin"]),
            (&json!(true), &json!(false)),
            "{user}"
        );
    }
    let all = [
        admin.history_of(&engineering).await,
        admin.history_of(&leads).await,
    ]
    .concat();
    assert!(
        !actions(&all).contains(&"group_admin_granted".to_owned()),
        "{:?}",
        actions(&all)
    );
    assert_lacks(&traces(&all), "provision_group_admin_groups");
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// provision_email_signup_groups

#[tokio::test]
async fn email_signup_groups_switch_the_authentication_method_with_membership() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = server
        .provider_via_admin(
            "okta",
            json!({"provision_email_signup_groups": "Contractors*"}),
        )
        .await;
    let dana = create_user(&okta, okta_user("dana@example.com")).await;
    let group = create_group(&okta, okta_group("Contractors-EU")).await;
    assert_eq!(
        admin.user_named("dana@example.com").await["user"]["authentication_method"],
        "sso"
    );
    let history = admin.history_of(&dana).await;
    assert!(
        trace_of(newest(&history, "user_created"))
            .contains("provision_email_signup_groups = \"Contractors*\": user is in none of them → authentication method sso"),
        "{}",
        traces(&history)
    );

    patch_group(&okta, &group, okta_add(&dana, "dana@example.com")).await;
    assert_eq!(
        admin.user_named("dana@example.com").await["user"]["authentication_method"],
        "email_signup"
    );
    let history = admin.history_of(&dana).await;
    assert_eq!(
        history[0]["action"],
        "user_updated",
        "{:?}",
        actions(&history)
    );
    assert_eq!(
        history[0]["detail"],
        "user dana@example.com authentication method changed from sso to email_signup"
    );
    assert_has(
        &trace_of(&history[0]),
        "provision_email_signup_groups = \"Contractors*\": user is in \"Contractors-EU\" → authentication method email_signup",
    );

    patch_group(&okta, &group, okta_remove(&dana)).await;
    assert_eq!(
        admin.user_named("dana@example.com").await["user"]["authentication_method"],
        "sso"
    );
    let history = admin.history_of(&dana).await;
    assert_eq!(
        history[0]["detail"],
        "user dana@example.com authentication method changed from email_signup to sso"
    );
    assert!(
        trace_of(&history[0])
            .contains("provision_email_signup_groups = \"Contractors*\": user is in none of them → authentication method sso"),
        "{}",
        trace_of(&history[0])
    );
    server.stop().await;
}

#[tokio::test]
async fn without_email_signup_groups_members_stay_sso() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = server.provider_via_admin("okta", json!({})).await;
    let dana = create_user(&okta, okta_user("dana@example.com")).await;
    let group = create_group(&okta, okta_group("Contractors-EU")).await;
    patch_group(&okta, &group, okta_add(&dana, "dana@example.com")).await;

    let detail = admin.user_named("dana@example.com").await;
    assert_eq!(detail["user"]["authentication_method"], "sso", "{detail}");
    assert_eq!(
        user_group(&detail, "Contractors-EU").expect("a member")["on_site"],
        true
    );
    let history = admin.history_of(&dana).await;
    assert_eq!(
        actions(&history),
        vec!["user_created".to_owned()],
        "{history:?}"
    );
    assert_lacks(&traces(&history), "provision_email_signup_groups");
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Group membership sent on the user

#[tokio::test]
async fn groups_sent_on_the_user_decide_the_required_groups_and_the_role() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let onelogin = server
        .provider_via_admin(
            "onelogin",
            json!({"provision_group_required": "IT", "provision_site_admin_groups": "IT"}),
        )
        .await;
    let it = create_group(
        &onelogin,
        json!({"schemas": [GROUP_URN], "displayName": "IT"}),
    )
    .await;

    let erin = create_user(
        &onelogin,
        onelogin_user("erin@example.com", json!([{"value": it, "display": "IT"}])),
    )
    .await;
    let detail = admin.user_named("erin@example.com").await;
    assert_eq!(detail["user"]["status"], "active", "{detail}");
    assert_eq!(detail["user"]["role"], "site_admin", "{detail}");
    assert_eq!(detail["idp_groups"], json!(["IT"]), "{detail}");
    let history = admin.history_of(&erin).await;
    let created = newest(&history, "user_created");
    let trace = trace_of(created);
    assert_has(
        &trace,
        "provision_group_required = \"IT\": user is in \"IT\" → provisioned",
    );
    assert_has(
        &trace,
        "provision_site_admin_groups = \"IT\": user is in \"IT\" → role site_admin",
    );

    // OneLogin updates with PUT of the whole user; the groups it sends now are none.
    let put = onelogin
        .put(
            &format!("/Users/{erin}"),
            &onelogin_user("erin@example.com", json!([])),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    let detail = admin.user_named("erin@example.com").await;
    assert_eq!(detail["user"]["status"], "held", "{detail}");
    assert_eq!(
        detail["user"]["held_reason"],
        "not in any group of provision_group_required \"IT\""
    );
    assert_eq!(detail["user"]["role"], "user", "{detail}");
    assert_eq!(detail["idp_groups"], json!([]), "{detail}");
    let history = admin.history_of(&erin).await;
    let held = newest(&history, "user_held");
    assert_has(
        &trace_of(held),
        "provision_group_required = \"IT\": user is in no groups (the groups the IdP sent on the user) → held",
    );
    let demoted = newest(&history, "role_changed");
    assert_eq!(
        demoted["detail"],
        "user erin@example.com role changed from site_admin to user"
    );
    assert!(
        trace_of(demoted)
            .contains("provision_site_admin_groups = \"IT\": user is in none of them → role user"),
        "{}",
        trace_of(demoted)
    );

    // The group again, by id only: the name is looked up.
    let put = onelogin
        .put(
            &format!("/Users/{erin}"),
            &onelogin_user("erin@example.com", json!([{"value": it}])),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    let detail = admin.user_named("erin@example.com").await;
    assert_eq!(detail["user"]["status"], "active", "{detail}");
    assert_eq!(detail["user"]["role"], "site_admin", "{detail}");
    let history = admin.history_of(&erin).await;
    let released = newest(&history, "user_released");
    assert!(
        trace_of(released)
            .contains("provision_group_required = \"IT\": user is in \"IT\" → provisioned"),
        "{}",
        trace_of(released)
    );
    assert!(
        trace_of(released).contains("'erin@example.com' is released: it now has a site account")
    );
    server.stop().await;
}
