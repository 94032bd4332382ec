//! Lists and searches over HTTP (RFC 7644 §3.4.2, §3.4.3, §3.9): pagination as the RFC says to
//! interpret it, sorting with unassigned values last, `attributes`/`excludedAttributes`, the
//! filter operators an IdP uses, and `POST /.search` at every level.

mod scim_common;

use serde_json::{Value, json};
use tokio::task::JoinSet;
use workbench_tests::{Scim, TestServer, encode, manual_clock};

use scim_common::*;

/// Creates users named `prefix0@example.com` … concurrently; returns their ids in name order.
async fn many_users(scim: &Scim, prefix: &str, n: usize) -> Vec<String> {
    let mut tasks = JoinSet::new();
    for i in 0..n {
        let scim = scim.clone();
        let name = format!("{prefix}{i:05}@example.com");
        tasks.spawn(async move { (i, create_user(&scim, &name).await) });
        if tasks.len() >= 16 {
            let _ = tasks.join_next().await;
        }
    }
    while tasks.join_next().await.is_some() {}
    let listed = fetch(
        scim,
        &format!(
            "/Users?filter={}&sortBy=userName&count=1000",
            encode(&format!(r#"userName sw "{prefix}""#))
        ),
    )
    .await;
    let found = ids(&listed);
    if n <= 1000 {
        assert_eq!(found.len(), n);
    }
    found
}

fn names(list: &Value, attribute: &str) -> Vec<Value> {
    list["Resources"]
        .as_array()
        .expect("Resources")
        .iter()
        .map(|r| r[attribute].clone())
        .collect()
}

#[tokio::test]
async fn pages_follow_start_index_and_count() {
    let server = TestServer::start().await;
    let okta = server.provider("okta").await;
    let all = many_users(&okta, "page", 5).await;
    let page = |start: &str, count: &str| {
        format!("/Users?sortBy=userName&startIndex={start}&count={count}")
    };

    let first = fetch(&okta, &page("1", "2")).await;
    assert_eq!(first["schemas"], json!([LIST_URN]));
    assert_eq!(
        (
            &first["totalResults"],
            &first["startIndex"],
            &first["itemsPerPage"]
        ),
        (&json!(5), &json!(1), &json!(2))
    );
    assert_eq!(ids(&first), all[..2]);
    let last = fetch(&okta, &page("5", "2")).await;
    assert_eq!(ids(&last), all[4..]);
    assert_eq!(last["itemsPerPage"], 1);
    let beyond = fetch(&okta, &page("6", "2")).await;
    assert_eq!(beyond["totalResults"], 5);
    assert_eq!(
        beyond["Resources"],
        json!([]),
        "an empty page still has Resources"
    );

    // RFC 7644 §3.4.2.4: count < 0 is 0 (only totalResults); startIndex < 1 is 1.
    for count in ["-1", "0", "-9223372036854775808"] {
        let counted = fetch(&okta, &page("1", count)).await;
        assert_eq!(counted["totalResults"], 5, "count={count}");
        assert_eq!(counted["itemsPerPage"], 0, "count={count}");
        assert_eq!(counted["Resources"], json!([]), "count={count}");
    }
    for start in ["0", "-3"] {
        let from_one = fetch(&okta, &page(start, "2")).await;
        assert_eq!(from_one["startIndex"], 1, "startIndex={start}");
        assert_eq!(ids(&from_one), all[..2], "startIndex={start}");
    }
    let default = fetch(&okta, "/Users?sortBy=userName").await;
    assert_eq!(ids(&default), all);
    for bad in ["count=ten", "count=1.5", "startIndex=first"] {
        let reply = okta.get(&format!("/Users?{bad}")).await;
        let name = bad.split('=').next().expect("a name");
        assert_scim_error(&reply, 400, None, &[name, "integer"]);
    }
    server.stop().await;
}

#[tokio::test]
async fn a_count_above_the_maximum_is_clamped_to_filter_max_results() {
    let server = TestServer::start().await;
    let okta = server.provider("okta").await;
    let all = many_users(&okta, "max", 1001).await;
    assert_eq!(all.len(), 1000, "the helper's own listing is one full page");
    let big = fetch(&okta, "/Users?count=5000").await;
    assert_eq!(big["totalResults"], 1001);
    assert_eq!(big["itemsPerPage"], 1000);
    assert_eq!(big["Resources"].as_array().map(Vec::len), Some(1000));
    let rest = fetch(&okta, "/Users?startIndex=1001&count=5000").await;
    assert_eq!(rest["itemsPerPage"], 1);
    server.stop().await;
}

#[tokio::test]
async fn sorting_by_user_name_display_name_and_created_in_both_orders() {
    let (clock, shared) = manual_clock(1_800_000_000_000);
    let server = TestServer::start_with(Some(shared)).await;
    let okta = server.provider("okta").await;
    let mut made = Vec::new();
    for (user_name, display) in [
        ("carol@example.com", Some("zed")),
        ("alice@example.com", None),
        ("Bob@example.com", Some("Amy")),
        ("dave@example.com", None),
    ] {
        let mut body = user_body(user_name);
        if let Some(display) = display {
            body["displayName"] = json!(display);
        }
        made.push(id_of(&create(&okta, "/Users", &body).await));
        clock.advance(1_000);
    }
    let [carol, alice, bob, dave] = [0, 1, 2, 3].map(|i| made[i].clone());
    let sorted = |query: &str| {
        let okta = okta.clone();
        let query = query.to_owned();
        async move { ids(&fetch(&okta, &format!("/Users?{query}")).await) }
    };
    // userName is case-insensitive: Bob sorts between alice and carol.
    assert_eq!(
        sorted("sortBy=userName").await,
        seq(&[&alice, &bob, &carol, &dave])
    );
    assert_eq!(
        sorted("sortBy=userName&sortOrder=descending").await,
        seq(&[&dave, &carol, &bob, &alice])
    );
    // Unassigned displayNames come last when ascending, first when descending.
    let ascending = sorted("sortBy=displayName&sortOrder=ascending").await;
    assert_eq!(ascending[..2], [bob.clone(), carol.clone()]);
    let mut tail = ascending[2..].to_vec();
    tail.sort();
    let mut unassigned = vec![alice.clone(), dave.clone()];
    unassigned.sort();
    assert_eq!(tail, unassigned);
    let descending = sorted("sortBy=displayName&sortOrder=descending").await;
    assert_eq!(descending[2..], [carol.clone(), bob.clone()]);
    assert_eq!(sorted("sortBy=meta.created").await, made);
    let mut newest_first = made.clone();
    newest_first.reverse();
    assert_eq!(
        sorted("sortBy=meta.created&sortOrder=descending").await,
        newest_first
    );
    // sortBy and a page together: the page is cut from the sorted list.
    assert_eq!(
        sorted("sortBy=userName&sortOrder=descending&startIndex=2&count=2").await,
        seq(&[&carol, &bob])
    );

    for name in ["Zeta", "alpha", "Mu"] {
        create_group(&okta, name, &[]).await;
    }
    let groups = fetch(&okta, "/Groups?sortBy=displayName").await;
    assert_eq!(names(&groups, "displayName"), ["alpha", "Mu", "Zeta"]);
    let groups = fetch(&okta, "/Groups?sortBy=displayName&sortOrder=descending").await;
    assert_eq!(names(&groups, "displayName"), ["Zeta", "Mu", "alpha"]);
    server.stop().await;
}

#[tokio::test]
async fn attributes_and_excluded_attributes_shape_one_resource_and_lists() {
    let server = TestServer::start().await;
    let okta = server.provider("okta").await;
    let mut body = user_body("shape@example.com");
    body["name"] = json!({ "givenName": "Sha", "familyName": "Pe" });
    body["emails"] = json!([{ "value": "shape@work.example", "type": "work", "primary": true }]);
    body["password"] = json!("s3cret!");
    let created = okta.post("/Users", &body).await;
    assert_eq!(created.status, 201);
    assert_eq!(
        created.body.get("password"),
        None,
        "password is never returned"
    );
    let id = id_of(&created.body);
    let path = format!("/Users/{id}");

    let keys = |resource: &Value| -> Vec<String> {
        let mut keys: Vec<String> = resource
            .as_object()
            .expect("an object")
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    };
    let only = fetch(&okta, &format!("{path}?attributes=userName")).await;
    assert_eq!(keys(&only), ["id", "schemas", "userName"], "{only}");
    let sub = fetch(
        &okta,
        &format!("{path}?attributes=name.givenName,emails.value"),
    )
    .await;
    assert_eq!(sub["name"], json!({ "givenName": "Sha" }));
    assert_eq!(sub["emails"], json!([{ "value": "shape@work.example" }]));
    assert_eq!(sub.get("userName"), None);
    let without = fetch(
        &okta,
        &format!("{path}?excludedAttributes=emails,name,id,schemas"),
    )
    .await;
    assert_eq!(without.get("emails"), None);
    assert_eq!(without.get("name"), None);
    assert_eq!(without["id"], id, "id is always returned");
    assert!(without["schemas"].is_array(), "schemas is always returned");
    assert_eq!(without["userName"], "shape@example.com");
    for query in ["attributes=password", "attributes=password,userName", ""] {
        let read = fetch(&okta, &format!("{path}?{query}")).await;
        assert_eq!(read.get("password"), None, "{query}: {read}");
    }

    create_user(&okta, "other@example.com").await;
    let list = fetch(&okta, "/Users?attributes=userName&sortBy=userName").await;
    for resource in list["Resources"].as_array().expect("Resources") {
        assert_eq!(keys(resource), ["id", "schemas", "userName"], "{resource}");
    }
    let list = fetch(&okta, "/Users?excludedAttributes=meta,active").await;
    for resource in list["Resources"].as_array().expect("Resources") {
        assert_eq!(resource.get("meta"), None);
        assert_eq!(resource.get("active"), None);
        assert!(resource["userName"].is_string());
    }
    server.stop().await;
}

/// Three users with emails, display names and `active` set, at moments one second apart, and a
/// group holding the first two.
struct Directory {
    okta: Scim,
    alice: String,
    bob: String,
    carol: String,
    group: String,
    /// `meta.lastModified` of alice.
    alice_modified: String,
}

async fn directory(server: &TestServer, clock: &workbench_core::clock::ManualClock) -> Directory {
    let okta = server.provider("okta").await;
    let mut people = Vec::new();
    for body in [
        json!({ "schemas": [USER_URN], "userName": "alice@example.com", "displayName": "Alice Smith",
                "active": true, "emails": [{ "value": "alice@work.example", "type": "work" }] }),
        json!({ "schemas": [USER_URN], "userName": "bob@example.com", "active": false,
                "emails": [{ "value": "bob@home.example.org", "type": "home" }] }),
        json!({ "schemas": [USER_URN], "userName": "carol@example.org", "displayName": "Carol",
                "active": true, "emails": [{ "value": "carol@x.example", "type": "work" },
                                           { "value": "c@home.example.net", "type": "home" }] }),
    ] {
        people.push(create(&okta, "/Users", &body).await);
        clock.advance(1_000);
    }
    let [alice, bob, carol] = [0, 1, 2].map(|i| id_of(&people[i]));
    let group = create_group(&okta, "Admins", &[&alice, &bob]).await;
    let alice_modified = people[0]["meta"]["lastModified"]
        .as_str()
        .expect("lastModified")
        .to_owned();
    Directory {
        okta,
        alice,
        bob,
        carol,
        group,
        alice_modified,
    }
}

async fn filtered(okta: &Scim, endpoint: &str, filter: &str) -> Vec<String> {
    let reply = okta
        .get(&format!(
            "{endpoint}?filter={}&sortBy=meta.created",
            encode(filter)
        ))
        .await;
    assert_eq!(reply.status, 200, "{filter}: {:?}", reply.body);
    let mut found = ids(&reply.body);
    assert_eq!(reply.body["totalResults"], found.len(), "{filter}");
    found.sort();
    found
}

/// Ids in the given order.
fn seq(ids: &[&String]) -> Vec<String> {
    ids.iter().map(|s| (*s).clone()).collect()
}

/// Ids in a stable order, for comparing sets.
fn set(ids: &[&String]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|s| (*s).clone()).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn user_filters_through_http() {
    let (clock, shared) = manual_clock(1_800_000_000_000);
    let server = TestServer::start_with(Some(shared)).await;
    let d = directory(&server, &clock).await;
    let (a, b, c) = (&d.alice, &d.bob, &d.carol);
    let cases: Vec<(String, Vec<String>)> = vec![
        (r#"userName eq "ALICE@example.com""#.into(), set(&[a])),
        (r#"USERNAME Eq "alice@example.com""#.into(), set(&[a])),
        (r#"userName co "example.com""#.into(), set(&[a, b])),
        (r#"userName sw "car""#.into(), set(&[c])),
        (r#"userName ew ".org""#.into(), set(&[c])),
        (r#"userName ne "bob@example.com""#.into(), set(&[a, c])),
        ("displayName pr".into(), set(&[a, c])),
        ("not (displayName pr)".into(), set(&[b])),
        ("active eq false".into(), set(&[b])),
        (
            r#"userName eq "alice@example.com" or userName eq "bob@example.com""#.into(),
            set(&[a, b]),
        ),
        (r#"active eq true and displayName sw "C""#.into(), set(&[c])),
        (
            r#"emails[type eq "work" and value co "@work"]"#.into(),
            set(&[a]),
        ),
        (r#"emails[type eq "home"]"#.into(), set(&[b, c])),
        (r#"emails.value ew ".net""#.into(), set(&[c])),
        (r#"emails.type eq "work""#.into(), set(&[a, c])),
        (
            format!(r#"meta.lastModified gt "{}""#, d.alice_modified),
            set(&[b, c]),
        ),
        (
            format!(r#"meta.lastModified le "{}""#, d.alice_modified),
            set(&[a]),
        ),
        (format!(r#"groups.value eq "{}""#, d.group), set(&[a, b])),
        (format!(r#"id eq "{c}""#), set(&[c])),
        (r#"userName eq "nobody@example.com""#.into(), vec![]),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            filtered(&d.okta, "/Users", &filter).await,
            expected,
            "{filter}"
        );
    }
    // A later change moves alice past the cut.
    clock.advance(1_000);
    let patch =
        patch_body(json!([{ "op": "replace", "path": "displayName", "value": "A. Smith" }]));
    assert_eq!(
        d.okta.patch(&format!("/Users/{a}"), &patch).await.status,
        200
    );
    let cut = format!(r#"meta.lastModified gt "{}""#, d.alice_modified);
    assert_eq!(filtered(&d.okta, "/Users", &cut).await, set(&[a, b, c]));
    server.stop().await;
}

#[tokio::test]
async fn group_filters_through_http() {
    let (clock, shared) = manual_clock(1_800_000_000_000);
    let server = TestServer::start_with(Some(shared)).await;
    let d = directory(&server, &clock).await;
    let others = create_group(&d.okta, "Others", &[&d.carol]).await;
    let empty = create_group(&d.okta, "Empty", &[]).await;
    let cases: Vec<(String, Vec<String>)> = vec![
        (r#"displayName eq "admins""#.into(), set(&[&d.group])),
        (
            format!(r#"members[value eq "{}"]"#, d.alice),
            set(&[&d.group]),
        ),
        (
            format!(r#"members[value eq "{}"]"#, d.carol),
            set(&[&others]),
        ),
        (format!(r#"members.value eq "{}""#, d.bob), set(&[&d.group])),
        ("members pr".into(), set(&[&d.group, &others])),
        ("not (members pr)".into(), set(&[&empty])),
        (
            r#"displayName sw "E" or displayName sw "O""#.into(),
            set(&[&empty, &others]),
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            filtered(&d.okta, "/Groups", &filter).await,
            expected,
            "{filter}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn searches_at_the_root_and_per_resource_type() {
    let (clock, shared) = manual_clock(1_800_000_000_000);
    let server = TestServer::start_with(Some(shared)).await;
    let d = directory(&server, &clock).await;
    let search = |filter: Option<&str>| {
        let mut body = json!({ "schemas": [SEARCH_URN], "sortBy": "meta.created" });
        if let Some(filter) = filter {
            body["filter"] = json!(filter);
        }
        body
    };

    let everything = d.okta.post("/.search", &search(None)).await;
    assert_eq!(everything.status, 200, "{everything:?}");
    assert_eq!(everything.body["schemas"], json!([LIST_URN]));
    assert_eq!(everything.body["totalResults"], 4);
    assert_eq!(
        ids(&everything.body),
        seq(&[&d.alice, &d.bob, &d.carol, &d.group])
    );
    let types: Vec<Value> = everything.body["Resources"]
        .as_array()
        .expect("Resources")
        .iter()
        .map(|r| r["meta"]["resourceType"].clone())
        .collect();
    assert_eq!(types, ["User", "User", "User", "Group"]);

    // A filter both types can hold (displayName) searches both.
    let both = d
        .okta
        .post("/.search", &search(Some(r#"displayName sw "A""#)))
        .await;
    assert_eq!(ids(&both.body), seq(&[&d.alice, &d.group]));
    // One only users can hold searches users.
    let users = d
        .okta
        .post("/.search", &search(Some(r#"userName sw "bob""#)))
        .await;
    assert_eq!(ids(&users.body), seq(&[&d.bob]));
    // Paging crosses from users into groups.
    let mut paged = search(None);
    paged["startIndex"] = json!(3);
    paged["count"] = json!(2);
    let page = d.okta.post("/.search", &paged).await;
    assert_eq!(page.body["totalResults"], 4);
    assert_eq!(ids(&page.body), seq(&[&d.carol, &d.group]));

    let users = d
        .okta
        .post("/Users/.search", &search(Some(r#"emails[type eq "work"]"#)))
        .await;
    assert_eq!(users.status, 200, "{users:?}");
    assert_eq!(ids(&users.body), seq(&[&d.alice, &d.carol]));
    let mut projected = search(Some(r#"userName eq "carol@example.org""#));
    projected["attributes"] = json!(["userName"]);
    let users = d.okta.post("/Users/.search", &projected).await;
    assert_eq!(users.body["Resources"][0].get("emails"), None);
    assert_eq!(users.body["Resources"][0]["userName"], "carol@example.org");
    let groups = d
        .okta
        .post(
            "/Groups/.search",
            &search(Some(r#"displayName eq "Admins""#)),
        )
        .await;
    assert_eq!(ids(&groups.body), seq(&[&d.group]));
    let wrong_type = d
        .okta
        .post("/Groups/.search", &search(Some(r#"userName eq "x""#)))
        .await;
    assert_scim_error(&wrong_type, 400, Some("invalidFilter"), &["userName"]);
    server.stop().await;
}
