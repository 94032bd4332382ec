//! The SCIM listener as an IdP meets it over HTTP (RFC 7644 §3): media types, creation headers,
//! ETags and preconditions, methods and unknown paths, the discovery endpoints, the endpoints
//! this server does not implement, and the admin listener's guard. Authentication is in
//! `scim_http_auth.rs`; provider isolation in `scim_http_isolation.rs`; lists, filters and sorting
//! in `scim_http_listing.rs`; group membership in `scim_http_groups.rs`.

mod scim_common;

use reqwest::Method;
use serde_json::{Value, json};
use workbench_tests::{Reply, Scim, TestServer};

use scim_common::*;

fn content_type(reply: &Reply) -> &str {
    reply.header("content-type").unwrap_or_default()
}

#[tokio::test]
async fn responses_are_scim_json_unless_the_client_accepts_only_json() {
    let server = TestServer::start().await;
    let okta = server.provider("okta").await;
    let id = create_user(&okta, "media@example.com").await;

    let plain = okta.get(&format!("/Users/{id}")).await;
    assert_eq!(plain.status, 200);
    assert!(
        content_type(&plain).starts_with("application/scim+json"),
        "{plain:?}"
    );

    for (accept, expected) in [
        ("application/json", "application/json"),
        ("application/scim+json", "application/scim+json"),
        (
            "application/scim+json, application/json",
            "application/scim+json",
        ),
        ("application/json;q=0.9, */*;q=0.1", "application/scim+json"),
    ] {
        for path in [format!("/Users/{id}"), "/Users".to_owned()] {
            let reply = okta
                .send(Method::GET, &path, None, &[("accept", accept)])
                .await;
            assert_eq!(reply.status, 200, "{reply:?}");
            assert!(
                content_type(&reply).starts_with(expected),
                "Accept: {accept} on {path} answers {expected}: {reply:?}"
            );
        }
    }
    // An error answers a JSON-only client in the type it accepts, too.
    let missing = okta
        .send(
            Method::GET,
            "/Users/nope",
            None,
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(missing.status, 404);
    assert!(
        content_type(&missing).starts_with("application/json"),
        "{missing:?}"
    );
    assert_eq!(missing.body["schemas"], json!([ERROR_URN]));
    server.stop().await;
}

#[tokio::test]
async fn request_bodies_in_any_json_media_type_or_none_are_accepted() {
    let server = TestServer::start().await;
    let okta = server.provider("okta").await;
    for (i, kind) in [
        Some("application/json"),
        Some("application/scim+json; charset=utf-8"),
        Some("APPLICATION/SCIM+JSON"),
        None,
    ]
    .into_iter()
    .enumerate()
    {
        let body = user_body(&format!("type{i}@example.com")).to_string();
        let reply = okta
            .send_raw(Method::POST, "/Users", kind, body.into_bytes())
            .await;
        assert_eq!(reply.status, 201, "Content-Type {kind:?}: {:?}", reply.body);
    }
    let refused = okta
        .send_raw(
            Method::POST,
            "/Users",
            Some("text/plain"),
            user_body("plain@example.com").to_string().into_bytes(),
        )
        .await;
    assert_scim_error(
        &refused,
        415,
        None,
        &["text/plain", "application/scim+json"],
    );
    let listed = fetch(&okta, "/Users").await;
    assert_eq!(
        listed["totalResults"], 4,
        "the text/plain user was not created: {listed}"
    );
    server.stop().await;
}

#[tokio::test]
async fn creation_answers_201_with_location_and_etag_of_the_new_resource() {
    let server = TestServer::start().await;
    let okta = server.provider("okta").await;
    for (endpoint, body) in [
        ("/Users", user_body("created@example.com")),
        ("/Groups", group_body("Created", &[])),
    ] {
        let reply = okta.post(endpoint, &body).await;
        assert_eq!(reply.status, 201, "{reply:?}");
        let id = id_of(&reply.body);
        let location = reply.header("location").expect("a Location header");
        assert_eq!(location, format!("{}{endpoint}/{id}", okta.base));
        assert_eq!(reply.body["meta"]["location"], location);
        let etag = reply.header("etag").expect("an ETag header");
        assert!(etag.starts_with("W/\""), "a weak ETag: {etag}");
        assert_eq!(reply.body["meta"]["version"], etag);
        let read = okta.get(&format!("{endpoint}/{id}")).await;
        assert_eq!(read.header("etag"), Some(etag));
    }
    server.stop().await;
}

#[tokio::test]
async fn get_with_the_current_etag_in_if_none_match_answers_304() {
    let server = TestServer::start().await;
    let okta = server.provider("okta").await;
    let created = create(&okta, "/Users", &user_body("cache@example.com")).await;
    let path = format!("/Users/{}", id_of(&created));
    let etag = created["meta"]["version"]
        .as_str()
        .expect("a version")
        .to_owned();

    let unchanged = okta
        .send(Method::GET, &path, None, &[("if-none-match", &etag)])
        .await;
    assert_eq!(unchanged.status, 304, "{unchanged:?}");
    assert_eq!(unchanged.body, Value::Null, "a 304 has no body");
    assert_eq!(unchanged.header("etag"), Some(etag.as_str()));

    let stale = okta
        .send(Method::GET, &path, None, &[("if-none-match", "W/\"999\"")])
        .await;
    assert_eq!(stale.status, 200);
    assert_eq!(stale.body["userName"], "cache@example.com");
    server.stop().await;
}

/// A user, its first ETag (stale after the change) and its current ETag.
async fn user_with_two_versions(okta: &Scim) -> (String, String, String) {
    let created = create(okta, "/Users", &user_body("etag@example.com")).await;
    let id = id_of(&created);
    let first = created["meta"]["version"]
        .as_str()
        .expect("version")
        .to_owned();
    let changed = okta
        .patch(
            &format!("/Users/{id}"),
            &patch_body(json!([{ "op": "replace", "path": "displayName", "value": "Two" }])),
        )
        .await;
    assert_eq!(changed.status, 200, "{changed:?}");
    let current = changed.header("etag").expect("an ETag").to_owned();
    assert_ne!(first, current, "a change moves the version");
    (id, first, current)
}

#[tokio::test]
async fn writes_with_a_stale_if_match_answer_412_and_change_nothing() {
    let server = TestServer::start().await;
    let okta = server.provider("okta").await;
    let (id, stale, _) = user_with_two_versions(&okta).await;
    let path = format!("/Users/{id}");
    let before = fetch(&okta, &path).await;
    let mut replacement = user_body("etag@example.com");
    replacement["displayName"] = json!("Three");
    let patch = patch_body(json!([{ "op": "replace", "path": "displayName", "value": "Three" }]));
    for (method, body) in [
        (Method::PUT, Some(&replacement)),
        (Method::PATCH, Some(&patch)),
        (Method::DELETE, None),
    ] {
        let reply = okta
            .send(method.clone(), &path, body, &[("if-match", &stale)])
            .await;
        assert_scim_error(&reply, 412, None, &[&stale]);
        assert_eq!(
            fetch(&okta, &path).await,
            before,
            "{method} changed nothing"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn writes_with_the_current_etag_verbatim_succeed() {
    let server = TestServer::start().await;
    let okta = server.provider("okta").await;
    let (id, _, current) = user_with_two_versions(&okta).await;
    let path = format!("/Users/{id}");

    let mut replacement = user_body("etag@example.com");
    replacement["displayName"] = json!("Three");
    let put = okta
        .send(
            Method::PUT,
            &path,
            Some(&replacement),
            &[("if-match", &current)],
        )
        .await;
    assert_eq!(put.status, 200, "{put:?}");
    assert_eq!(put.body["displayName"], "Three");
    let current = put.header("etag").expect("an ETag").to_owned();

    let patch = patch_body(json!([{ "op": "replace", "path": "displayName", "value": "Four" }]));
    let patched = okta
        .send(
            Method::PATCH,
            &path,
            Some(&patch),
            &[("if-match", &current)],
        )
        .await;
    assert_eq!(patched.status, 200, "{patched:?}");
    assert_eq!(patched.body["displayName"], "Four");
    let current = patched.header("etag").expect("an ETag").to_owned();

    let deleted = okta
        .send(Method::DELETE, &path, None, &[("if-match", &current)])
        .await;
    assert_eq!(deleted.status, 204, "{deleted:?}");
    assert_scim_error(&okta.get(&path).await, 404, None, &[&id]);

    // Groups honour If-Match the same way.
    let group = create(&okta, "/Groups", &group_body("Tagged", &[])).await;
    let group_path = format!("/Groups/{}", id_of(&group));
    let stale = okta
        .send(
            Method::DELETE,
            &group_path,
            None,
            &[("if-match", "W/\"41\"")],
        )
        .await;
    assert_scim_error(&stale, 412, None, &[]);
    let version = group["meta"]["version"].as_str().expect("version");
    let deleted = okta
        .send(Method::DELETE, &group_path, None, &[("if-match", version)])
        .await;
    assert_eq!(deleted.status, 204, "{deleted:?}");
    server.stop().await;
}

#[tokio::test]
async fn discovery_endpoints_refuse_writes_with_405_and_allow() {
    let server = TestServer::start().await;
    let okta = server.provider("okta").await;
    for path in ["/ServiceProviderConfig", "/ResourceTypes", "/Schemas"] {
        for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            let body = json!({});
            let body = (method != Method::DELETE).then_some(&body);
            let reply = okta.send(method.clone(), path, body, &[]).await;
            assert_scim_error(&reply, 405, None, &[method.as_str(), "GET"]);
            assert_eq!(reply.header("allow"), Some("GET"), "{method} {path}");
        }
    }
    let id = create_user(&okta, "method@example.com").await;
    let reply = okta.post(&format!("/Users/{id}"), &json!({})).await;
    assert_scim_error(&reply, 405, None, &["POST"]);
    assert_eq!(reply.header("allow"), Some("GET, PUT, PATCH, DELETE"));
    let reply = okta.delete("/Users").await;
    assert_scim_error(&reply, 405, None, &["DELETE"]);
    assert_eq!(reply.header("allow"), Some("GET, POST"));
    server.stop().await;
}

#[tokio::test]
async fn unknown_paths_and_ids_answer_scim_404s() {
    let server = TestServer::start().await;
    let okta = server.provider("okta").await;
    for path in ["/Nothing", "/Users/x/y", "/users-and-more"] {
        let reply = okta.get(path).await;
        assert_scim_error(&reply, 404, None, &[path]);
    }
    let outside = Scim::new(
        &okta.base.replace("/api/scim", "/scim/v2"),
        &okta.authorization,
        &okta.provider_id,
    );
    let reply = outside.get("/Users").await;
    assert_scim_error(&reply, 404, None, &["/scim/v2/Users", "/api/scim"]);

    let unknown = "2819c223-7f76-453a-919d-413861904646";
    for endpoint in ["/Users", "/Groups"] {
        let path = format!("{endpoint}/{unknown}");
        assert_scim_error(&okta.get(&path).await, 404, None, &[unknown]);
        assert_scim_error(&okta.delete(&path).await, 404, None, &[unknown]);
        let patch = patch_body(json!([{ "op": "replace", "path": "externalId", "value": "x" }]));
        assert_scim_error(&okta.patch(&path, &patch).await, 404, None, &[unknown]);
    }
    let put = okta
        .put(
            &format!("/Users/{unknown}"),
            &user_body("ghost@example.com"),
        )
        .await;
    assert_scim_error(&put, 404, None, &[unknown]);
    let put = okta
        .put(&format!("/Groups/{unknown}"), &group_body("Ghosts", &[]))
        .await;
    assert_scim_error(&put, 404, None, &[unknown]);
    assert_eq!(
        fetch(&okta, "/Users").await["totalResults"],
        0,
        "PUT creates nothing"
    );
    server.stop().await;
}

#[tokio::test]
async fn bulk_and_me_are_not_implemented() {
    let server = TestServer::start().await;
    let okta = server.provider("okta").await;
    let bulk = okta
        .post(
            "/Bulk",
            &json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                "Operations": [{ "method": "POST", "path": "/Users", "bulkId": "1",
                                 "data": user_body("bulk@example.com") }]
            }),
        )
        .await;
    assert_scim_error(&bulk, 501, None, &["bulk"]);
    assert_eq!(fetch(&okta, "/Users").await["totalResults"], 0);
    for method in [Method::GET, Method::PUT, Method::PATCH, Method::DELETE] {
        let me = okta.send(method, "/Me", None, &[]).await;
        assert_scim_error(&me, 501, None, &["/Me"]);
    }
    server.stop().await;
}

#[tokio::test]
async fn service_provider_config_says_what_the_server_supports() {
    let server = TestServer::start().await;
    let okta = server.provider("okta").await;
    let config = fetch(&okta, "/ServiceProviderConfig").await;
    assert_eq!(
        config["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"])
    );
    assert_eq!(config["patch"]["supported"], true);
    assert_eq!(config["bulk"]["supported"], false);
    assert_eq!(config["filter"]["supported"], true);
    assert_eq!(config["filter"]["maxResults"], 1000);
    assert_eq!(config["changePassword"]["supported"], false);
    assert_eq!(config["sort"]["supported"], true);
    assert_eq!(config["etag"]["supported"], true);
    let schemes: Vec<&str> = config["authenticationSchemes"]
        .as_array()
        .expect("authenticationSchemes")
        .iter()
        .filter_map(|s| s["type"].as_str())
        .collect();
    assert_eq!(schemes, ["oauthbearertoken", "httpbasic"]);
    assert_eq!(config["meta"]["resourceType"], "ServiceProviderConfig");
    assert_eq!(
        config["meta"]["location"],
        format!("{}/ServiceProviderConfig", okta.base)
    );
    server.stop().await;
}

#[tokio::test]
async fn resource_types_describe_users_and_groups() {
    let server = TestServer::start().await;
    let okta = server.provider("okta").await;
    let list = fetch(&okta, "/ResourceTypes").await;
    assert_eq!(list["schemas"], json!([LIST_URN]));
    assert_eq!(list["totalResults"], 2);
    assert_eq!(ids(&list), ["User", "Group"]);
    let user = fetch(&okta, "/ResourceTypes/User").await;
    assert_eq!(user["endpoint"], "/Users");
    assert_eq!(user["schema"], USER_URN);
    assert_eq!(
        user["schemaExtensions"],
        json!([{ "schema": ENTERPRISE_URN, "required": false }])
    );
    assert_eq!(
        user["meta"]["location"],
        format!("{}/ResourceTypes/User", okta.base)
    );
    let group = fetch(&okta, "/ResourceTypes/Group").await;
    assert_eq!(group["endpoint"], "/Groups");
    assert_eq!(group["schema"], GROUP_URN);
    let missing = okta.get("/ResourceTypes/Device").await;
    assert_scim_error(&missing, 404, None, &["Device"]);
    server.stop().await;
}

#[tokio::test]
async fn schemas_describe_every_attribute() {
    let server = TestServer::start().await;
    let okta = server.provider("okta").await;
    let list = fetch(&okta, "/Schemas").await;
    assert_eq!(list["totalResults"], 3);
    assert_eq!(ids(&list), [USER_URN, ENTERPRISE_URN, GROUP_URN]);
    let user = fetch(&okta, &format!("/Schemas/{USER_URN}")).await;
    assert_eq!(user["id"], USER_URN);
    assert_eq!(user["name"], "User");
    let attribute = |name: &str| -> Value {
        user["attributes"]
            .as_array()
            .expect("attributes")
            .iter()
            .find(|a| a["name"] == name)
            .unwrap_or_else(|| panic!("attribute {name}"))
            .clone()
    };
    let user_name = attribute("userName");
    assert_eq!(user_name["required"], true);
    assert_eq!(user_name["uniqueness"], "server");
    assert_eq!(user_name["caseExact"], false);
    assert_eq!(attribute("password")["returned"], "never");
    assert_eq!(attribute("groups")["mutability"], "readOnly");
    assert_eq!(attribute("emails")["multiValued"], true);
    assert_eq!(
        user["meta"]["location"],
        format!("{}/Schemas/{USER_URN}", okta.base)
    );
    let group = fetch(&okta, &format!("/Schemas/{GROUP_URN}")).await;
    assert_eq!(group["name"], "Group");
    let missing = okta
        .get("/Schemas/urn:example:params:scim:schemas:Device")
        .await;
    assert_scim_error(
        &missing,
        404,
        None,
        &["urn:example:params:scim:schemas:Device"],
    );
    server.stop().await;
}

/// A request to the admin listener with `headers`.
async fn admin_get(server: &TestServer, headers: &[(&str, &str)]) -> Reply {
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("HTTP client");
    let mut request = client.get(format!(
        "http://{}/admin/api/health",
        server.running.admin_addr
    ));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("the admin listener answers");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.json().await.expect("a JSON body");
    Reply {
        status,
        headers,
        body,
    }
}

#[tokio::test]
async fn admin_health_needs_the_admin_token_and_a_loopback_host_and_origin() {
    let server = TestServer::start().await;
    let token = format!("Bearer {}", server.running.admin_token);
    assert_eq!(server.running.admin_token, "test-admin-token");

    for headers in [vec![], vec![("authorization", "Bearer wrong-token")]] {
        let refused = admin_get(&server, &headers).await;
        assert_eq!(refused.status, 401, "{refused:?}");
        assert_eq!(refused.body["error"], "unauthorized");
        assert!(
            refused.body["detail"]
                .as_str()
                .is_some_and(|d| d.contains("admin token")),
            "{refused:?}"
        );
    }

    let ok = admin_get(&server, &[("authorization", &token)]).await;
    assert_eq!(ok.status, 200, "{ok:?}");
    assert_eq!(ok.body["status"], "ok");

    let port = server.running.admin_addr.port().to_string();
    let localhost = format!("localhost:{port}");
    let ok = admin_get(&server, &[("authorization", &token), ("host", &localhost)]).await;
    assert_eq!(ok.status, 200, "a loopback Host is accepted: {ok:?}");

    let rebinding = format!("evil.example:{port}");
    let refused = admin_get(&server, &[("authorization", &token), ("host", &rebinding)]).await;
    assert_eq!(refused.status, 403, "{refused:?}");
    assert_eq!(refused.body["error"], "forbidden_host");
    assert!(
        refused.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("Host"))
    );

    let refused = admin_get(
        &server,
        &[
            ("authorization", &token),
            ("origin", "https://evil.example"),
        ],
    )
    .await;
    assert_eq!(refused.status, 403, "{refused:?}");
    assert_eq!(refused.body["error"], "forbidden_origin");
    let local_origin = format!("http://127.0.0.1:{port}");
    let ok = admin_get(
        &server,
        &[("authorization", &token), ("origin", &local_origin)],
    )
    .await;
    assert_eq!(ok.status, 200, "a loopback Origin is accepted: {ok:?}");
    server.stop().await;
}
