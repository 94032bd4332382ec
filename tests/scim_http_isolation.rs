//! One SSO provider never sees nor touches another's users and groups (SPEC.md "Users and
//! groups: managed versus local"), and names are unique across the site: SCIM never adopts an
//! account another provider manages, and says so.

mod scim_common;

use reqwest::Method;
use serde_json::{Value, json};
use workbench_tests::{Scim, TestServer, encode};

use scim_common::*;

/// Provider A's user and group (the user a member), as A sees them.
async fn provider_a_resources(a: &Scim) -> (String, String) {
    let mut body = user_body("shared@example.com");
    body["externalId"] = json!("ext-shared");
    body["displayName"] = json!("Shared Person");
    let user = id_of(&create(a, "/Users", &body).await);
    let group = create_group(a, "Shared Group", &[&user]).await;
    (user, group)
}

#[tokio::test]
async fn another_providers_user_and_group_answer_404_to_every_method() {
    let server = TestServer::start().await;
    let a = server.provider("okta").await;
    let b = server.provider("entra_id").await;
    let (user, group) = provider_a_resources(&a).await;
    let user_before = fetch(&a, &format!("/Users/{user}")).await;
    let group_before = fetch(&a, &format!("/Groups/{group}")).await;

    let rename = patch_body(json!([{ "op": "replace", "path": "displayName", "value": "Stolen" }]));
    for (path, replacement) in [
        (format!("/Users/{user}"), user_body("stolen@example.com")),
        (format!("/Groups/{group}"), group_body("Stolen", &[])),
    ] {
        let id = path.rsplit('/').next().expect("an id").to_owned();
        for (method, body) in [
            (Method::GET, None),
            (Method::PUT, Some(&replacement)),
            (Method::PATCH, Some(&rename)),
            (Method::DELETE, None),
        ] {
            let reply = b.send(method.clone(), &path, body, &[]).await;
            assert_scim_error(&reply, 404, None, &[&id, "not found"]);
            // Even with the right ETag: B learns nothing about A's resource.
            let version = user_before["meta"]["version"].as_str().expect("version");
            let reply = b
                .send(method.clone(), &path, body, &[("if-match", version)])
                .await;
            assert_eq!(
                reply.status, 404,
                "{method} {path} with If-Match: {reply:?}"
            );
        }
    }
    assert_eq!(fetch(&a, &format!("/Users/{user}")).await, user_before);
    assert_eq!(fetch(&a, &format!("/Groups/{group}")).await, group_before);
    server.stop().await;
}

#[tokio::test]
async fn another_providers_resources_are_absent_from_lists_filters_and_searches() {
    let server = TestServer::start().await;
    let a = server.provider("okta").await;
    let b = server.provider("onelogin").await;
    let (user, group) = provider_a_resources(&a).await;
    let own = create_user(&b, "own@example.com").await;

    let filters = [
        "/Users".to_owned(),
        format!(
            "/Users?filter={}",
            encode(r#"userName eq "shared@example.com""#)
        ),
        format!("/Users?filter={}", encode(r#"externalId eq "ext-shared""#)),
        format!("/Users?filter={}", encode(&format!(r#"id eq "{user}""#))),
        format!(
            "/Users?filter={}",
            encode(&format!(r#"groups.value eq "{group}""#))
        ),
        format!("/Users?filter={}", encode(r#"displayName co "Shared""#)),
    ];
    for path in &filters {
        let listed = fetch(&b, path).await;
        let seen = ids(&listed);
        assert!(!seen.contains(&user), "{path} leaks A's user: {listed}");
    }
    assert_eq!(ids(&fetch(&b, "/Users").await), [own.as_str()]);
    assert_eq!(fetch(&b, "/Groups").await["totalResults"], 0);
    let by_name = format!(
        "/Groups?filter={}",
        encode(r#"displayName eq "Shared Group""#)
    );
    assert_eq!(fetch(&b, &by_name).await["totalResults"], 0);
    let by_member = format!(
        "/Groups?filter={}",
        encode(&format!(r#"members[value eq "{user}"]"#))
    );
    assert_eq!(fetch(&b, &by_member).await["totalResults"], 0);
    let search = b
        .post("/.search", &json!({ "schemas": [SEARCH_URN] }))
        .await;
    assert_eq!(search.status, 200, "{search:?}");
    assert_eq!(
        ids(&search.body),
        [own.as_str()],
        "B's root search sees only B's user"
    );
    // A's lists are unaffected by B.
    assert_eq!(ids(&fetch(&a, "/Users").await), [user]);
    assert_eq!(ids(&fetch(&a, "/Groups").await), [group]);
    server.stop().await;
}

#[tokio::test]
async fn another_providers_user_cannot_be_made_a_member() {
    let server = TestServer::start().await;
    let a = server.provider("okta").await;
    let b = server.provider("jumpcloud").await;
    let (user, _) = provider_a_resources(&a).await;
    let reply = b.post("/Groups", &group_body("Poachers", &[&user])).await;
    assert_scim_error(&reply, 400, Some("invalidValue"), &[&user, "not the id"]);
    assert_eq!(
        fetch(&b, "/Groups").await["totalResults"],
        0,
        "nothing created"
    );

    let group = create_group(&b, "Poachers", &[]).await;
    let add = patch_body(json!([{ "op": "add", "path": "members", "value": [{ "value": user }] }]));
    let reply = b.patch(&format!("/Groups/{group}"), &add).await;
    assert_scim_error(&reply, 400, Some("invalidValue"), &[&user]);
    let after = fetch(&b, &format!("/Groups/{group}")).await;
    assert_eq!(after.get("members"), None, "{after}");
    assert_eq!(
        after["meta"]["version"], "W/\"1\"",
        "the group did not change"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_user_name_held_by_another_provider_is_a_409_that_says_to_associate_first() {
    let server = TestServer::start().await;
    let a = server.provider("okta").await;
    let b = server.provider("entra_id").await;
    let (user, _) = provider_a_resources(&a).await;
    let before = fetch(&a, &format!("/Users/{user}")).await;
    for user_name in ["shared@example.com", "SHARED@Example.COM"] {
        let reply = b.post("/Users", &user_body(user_name)).await;
        assert_scim_error(
            &reply,
            409,
            Some("uniqueness"),
            &[
                user_name,
                "already exists",
                "not managed by this SSO provider",
                "associate the account with this SSO provider first",
            ],
        );
        let detail = reply.body["detail"].as_str().unwrap_or_default();
        assert!(
            !detail.contains(&user),
            "the detail does not reveal A's id: {detail}"
        );
    }
    // Renaming B's own user onto A's userName is refused the same way.
    let own = create_user(&b, "own@example.com").await;
    let rename =
        patch_body(json!([{ "op": "replace", "path": "userName", "value": "shared@example.com" }]));
    let reply = b.patch(&format!("/Users/{own}"), &rename).await;
    assert_scim_error(&reply, 409, Some("uniqueness"), &["associate"]);
    assert_eq!(
        fetch(&b, &format!("/Users/{own}")).await["userName"],
        "own@example.com"
    );
    assert_eq!(ids(&fetch(&b, "/Users").await), [own]);
    assert_eq!(
        fetch(&a, &format!("/Users/{user}")).await,
        before,
        "A's user is untouched"
    );
    server.stop().await;
}

#[tokio::test]
async fn the_same_user_name_twice_for_one_provider_is_a_409() {
    let server = TestServer::start().await;
    let okta = server.provider("okta").await;
    let first = create_user(&okta, "twice@example.com").await;
    let reply = okta.post("/Users", &user_body("Twice@Example.com")).await;
    assert_scim_error(
        &reply,
        409,
        Some("uniqueness"),
        &["Twice@Example.com", &first],
    );

    let second = create_user(&okta, "second@example.com").await;
    let path = format!("/Users/{second}");
    let before = fetch(&okta, &path).await;
    let reply = okta.put(&path, &user_body("TWICE@example.com")).await;
    assert_scim_error(&reply, 409, Some("uniqueness"), &["already taken"]);
    assert_eq!(fetch(&okta, &path).await, before);
    assert_eq!(fetch(&okta, "/Users").await["totalResults"], 2);
    server.stop().await;
}

#[tokio::test]
async fn group_display_names_are_unique_across_the_site() {
    let server = TestServer::start().await;
    let a = server.provider("okta").await;
    let b = server.provider("onelogin").await;
    let first = create_group(&a, "Engineering", &[]).await;

    let reply = a.post("/Groups", &group_body("engineering", &[])).await;
    assert_scim_error(&reply, 409, Some("uniqueness"), &["engineering", &first]);

    let reply = b.post("/Groups", &group_body("Engineering", &[])).await;
    assert_scim_error(
        &reply,
        409,
        Some("uniqueness"),
        &["already exists", "not managed by this SSO provider"],
    );

    let other = create_group(&a, "Sales", &[]).await;
    let rename =
        patch_body(json!([{ "op": "replace", "path": "displayName", "value": "ENGINEERING" }]));
    let reply = a.patch(&format!("/Groups/{other}"), &rename).await;
    assert_scim_error(&reply, 409, Some("uniqueness"), &["ENGINEERING"]);
    let sales = fetch(&a, &format!("/Groups/{other}")).await;
    assert_eq!(sales["displayName"], "Sales");
    assert_eq!(sales["meta"]["version"], "W/\"1\"");
    assert_eq!(fetch(&a, "/Groups").await["totalResults"], 2);
    assert_eq!(fetch(&b, "/Groups").await["totalResults"], 0);
    server.stop().await;
}

#[tokio::test]
async fn a_deleted_users_name_is_free_again_for_its_provider() {
    let server = TestServer::start().await;
    let okta = server.provider("okta").await;
    let id = create_user(&okta, "again@example.com").await;
    assert_eq!(okta.delete(&format!("/Users/{id}")).await.status, 204);
    assert_scim_error(&okta.get(&format!("/Users/{id}")).await, 404, None, &[&id]);
    let reply = okta.post("/Users", &user_body("again@example.com")).await;
    assert_eq!(reply.status, 201, "{reply:?}");
    let listed = fetch(&okta, "/Users").await;
    assert_eq!(listed["totalResults"], 1);
    assert_eq!(
        listed["Resources"][0]["userName"],
        Value::from("again@example.com")
    );
    server.stop().await;
}
